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
if [ ! -f "$out/CMakeCache.txt" ]; then
  emcmake cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$out" --parallel 2 -- --no-print-directory | grep -v '^\[' || true
test -f "$out/wasyncio.wasm" && test -f "$out/wasyncio_test.wasm" && test -f "$out/json_test.cjs"
