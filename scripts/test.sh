#!/usr/bin/env bash
# Every test of the project (the README's second command): installs what it needs (see
# scripts/install-deps.sh), then native unit and CLI tests, the wasm tests in headless Chromium
# (WebGPU and CPU against the native scores), and the Playwright end-to-end tests of the pages.
# Tests that need the data folder (../shared/data) skip with one line when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
t0=$(date +%s)
bash scripts/install-deps.sh
bash scripts/setup.sh
echo "set-up took $(( $(date +%s) - t0 )) s"
bash scripts/build-web.sh

echo "== native tests"
cargo test --release --workspace --exclude verifier-wasm

# the demo samples (ProcessBench problems) from the data folder, when it is there
if [ -d ../shared/data ]; then
  target/release/prm samples --data ../shared/data --out web/samples.json
else
  echo "no ../shared/data: the pages use web/samples-builtin.json" >&2
fi

echo "== wasm tests in headless Chromium"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-900}"
cargo test --release --target wasm32-unknown-unknown --target-dir target-wasm -p verifier-wasm

echo "== browser end-to-end tests"
node --test --test-concurrency=1 tests/e2e/
