#!/usr/bin/env bash
# npm run bench: builds if needed and prints the benchmark figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec node tests/bench/bench.mjs "$@"
