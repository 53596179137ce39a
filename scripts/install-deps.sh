#!/usr/bin/env bash
# Install what the build and the tests need, once: Chromium + chromedriver and pip (Debian/Ubuntu
# packages, with sudo when not root), the wasm32 target, wasm-bindgen-cli 0.2.130 and the npm
# packages. What it cannot install: Rust >= 1.95 (rustup) and Node >= 20 — it says so and stops.
# `--demo`: only what the demo needs (Python 3 to serve it, no browser for tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
need() { echo "error: $1" >&2; exit 1; }
command -v cargo >/dev/null || need "Rust is not installed: install rustup (https://rustup.rs), then Rust >= 1.95"
command -v node >/dev/null || need "Node.js is not installed: install Node >= 20"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || need "Node >= 20 is needed (found $(node --version))"
missing=()
command -v python3 >/dev/null || missing+=(python3)
if [ "${1:-}" != "--demo" ]; then
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (apt)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if ! wasm-bindgen --version 2>/dev/null | grep -q 0.2.130; then
  cargo install wasm-bindgen-cli --version 0.2.130
fi
[ -d node_modules/playwright-core ] && [ -d node_modules/katex ] && [ -d node_modules/binaryen ] && [ -d node_modules/axe-core ] \
  || npm ci --no-audit --no-fund --loglevel=error
