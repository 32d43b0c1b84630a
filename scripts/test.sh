#!/usr/bin/env bash
# npm test: installs what is missing, builds, runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh test
shopt -s globstar
# Two test files at a time: most wait on Chromium, emcc or child processes,
# and every test that does not measure real time runs on the virtual clock.
exec node --test --test-concurrency=2 --test-reporter=spec tests/**/*.test.mjs
