#!/usr/bin/env bash
# Builds build/wasyncio.{mjs,wasm} (and the test module) when sources changed.
# WASYNCIO_BUILD=dir builds into dir instead (the tests load from there too).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh "${1:-build}"
out=${WASYNCIO_BUILD:-build}
# Debian's Emscripten runs its JS optimiser with a Node that cannot find
# Debian's acorn unless told where it lives.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
# WASYNCIO_SANITIZE=address|undefined makes it a sanitizer build (CMake's
# WA_SANITIZE; scripts/sanitize.sh), in its own WASYNCIO_BUILD directory.
san=${WASYNCIO_SANITIZE:-}
if [ ! -f "$out/CMakeCache.txt" ] ||
   { [ -n "$san" ] && ! grep -qx "WA_SANITIZE:STRING=$san" "$out/CMakeCache.txt"; }; then
  emcmake cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release ${san:+"-DWA_SANITIZE=$san"} >/dev/null
fi
# Progress lines hidden; a failed compile still fails the build (the
# tests would otherwise load the last good wasm).
status=0
cmake --build "$out" --parallel 2 -- --no-print-directory > "$out/build.log" 2>&1 || status=$?
grep -vE '^(\[|-- )' "$out/build.log" || true
[ "$status" = 0 ] || { echo "wasyncio: the build failed (log: $out/build.log)" >&2; exit "$status"; }
test -f "$out/wasyncio.wasm" && test -f "$out/wasyncio_test.wasm" && test -f "$out/json_test.cjs"
