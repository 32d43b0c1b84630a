#!/usr/bin/env bash
# npm test: installs what is missing, builds, runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh test
shopt -s globstar
exec node --test --test-reporter=spec tests/**/*.test.mjs
