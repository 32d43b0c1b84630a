#!/usr/bin/env bash
# npm start: builds if needed and serves the page on http://127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec node scripts/serve.mjs "$@"
