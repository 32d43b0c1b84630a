#!/usr/bin/env bash
# Builds build/wasyncio.{mjs,wasm} (and the test module) when sources changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh "${1:-build}"
# Debian's Emscripten runs its JS optimiser with a Node that cannot find
# Debian's acorn unless told where it lives.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
if [ ! -f build/CMakeCache.txt ]; then
  emcmake cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build --parallel 2 -- --no-print-directory | grep -v '^\[' || true
test -f build/wasyncio.wasm && test -f build/wasyncio_test.wasm
