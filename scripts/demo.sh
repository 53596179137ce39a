#!/usr/bin/env bash
# Build the browser package and serve the demo with the shipped model (the README's first command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --demo
bash scripts/build-web.sh
exec python3 scripts/serve.py "${PORT:-8080}"
