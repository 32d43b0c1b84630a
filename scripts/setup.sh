#!/usr/bin/env bash
# Makes sure the tools a command needs are here, installing what is missing
# from Debian's packages (as root) or stopping with the package to install.
#   scripts/setup.sh build    emcc and cmake
#   scripts/setup.sh test     the same, plus chromium and playwright-core
set -euo pipefail
cd "$(dirname "$0")/.."

need=(emcc:emscripten cmake:cmake)
[ "${1:-build}" = test ] && need+=(chromium:chromium)

missing=()
for pair in "${need[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "wasyncio: missing Debian packages: ${missing[*]}" >&2
    echo "          install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "wasyncio: installing ${missing[*]} (apt-get)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file.
if [ "${1:-build}" = test ] && [ ! node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "wasyncio: installing npm packages (npm ci)..." >&2
  # playwright-core drives the system chromium; it downloads no browser.
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
