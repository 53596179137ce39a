#!/usr/bin/env bash
# Build the browser package into pkg/ (wasm + JS bindings + TypeScript types, the page side, the
# model: the npm package) and copy KaTeX next to the pages. Only the wasm crate is compiled (the
# first build takes about 15-20 min on 2 cores, later ones seconds); the demo samples are written
# by the test command (web/samples-builtin.json serves until then).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
[ -d node_modules/katex ] && [ -d node_modules/binaryen ] || npm ci --no-audit --no-fund --loglevel=error
rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
command -v wasm-bindgen >/dev/null && wasm-bindgen --version | grep -q 0.2.130 || cargo install wasm-bindgen-cli --version 0.2.130

# Two builds of the module: pkg/ (WebGPU and CPU) and pkg/cpu/ (CPU only, about a third of the
# size), which the worker loads wherever WebGPU will not be used.
wasm_build() { # OUT_DIR [cargo flags]
  local out=$1; shift
  cargo build --release --target wasm32-unknown-unknown -p verifier-wasm --target-dir target-wasm "$@"
  wasm-bindgen --target web --out-dir "$out" --out-name verifier_wasm \
    target-wasm/wasm32-unknown-unknown/release/verifier_wasm.wasm
  node_modules/.bin/wasm-opt -O2 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue "$out/verifier_wasm_bg.wasm" -o "$out/verifier_wasm_bg.wasm.opt"
  mv "$out/verifier_wasm_bg.wasm.opt" "$out/verifier_wasm_bg.wasm"
}
wasm_build pkg
wasm_build pkg/cpu --no-default-features
rm -f pkg/cpu/*.d.ts

rm -rf web/vendor/katex && mkdir -p web/vendor && cp -r node_modules/katex/dist web/vendor/katex

# The npm package: the wasm build above, the page side (worker, client, widget), KaTeX, the
# shipped model, README and licences; paths that point out of web/ in the repository point
# inside the package.
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
sed -i "s/\"version\": \"[^\"]*\"/\"version\": \"$version\"/" pkg/package.json
for f in index.js index.d.ts client.js worker.js widget.js render.js style.css; do
  sed -e 's#\.\./pkg/#./#g' -e 's#\.\./models/verifier/#./models/verifier/#g' "web/$f" > "pkg/$f"
done
rm -rf pkg/vendor pkg/models && mkdir -p pkg/vendor/katex/contrib pkg/vendor/katex/fonts pkg/models/verifier
cp node_modules/katex/dist/katex.mjs node_modules/katex/dist/katex.min.css pkg/vendor/katex/
cp node_modules/katex/dist/contrib/auto-render.mjs pkg/vendor/katex/contrib/
cp node_modules/katex/dist/fonts/*.woff2 pkg/vendor/katex/fonts/
cp models/verifier/config.json models/verifier/tokenizer.json models/verifier/model.bpk models/verifier/MODEL_CARD.md pkg/models/verifier/
cp LICENSE-MIT LICENSE-APACHE pkg/

ls -l pkg/verifier_wasm_bg.wasm pkg/cpu/verifier_wasm_bg.wasm
