#!/usr/bin/env bash
# npm run bench: builds if needed and prints the benchmark figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
# Pyodide (CPython on wasm) for its asyncio columns, kept out of the
# project's dependencies: npm test does not need its 14 MB. Without the
# registry its columns say n/a.
if [ ! -d build/bench-deps/node_modules/pyodide ]; then
  npm install --prefix build/bench-deps --no-save --no-audit --no-fund --loglevel=error pyodide@0.26 >/dev/null 2>&1 ||
    echo "bench: could not install pyodide from npm; its columns say n/a" >&2
fi
exec node tests/bench/bench.mjs "$@"
