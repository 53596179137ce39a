#!/usr/bin/env bash
# Side by side, one command: ours against onnxruntime on the same model and the same token ids.
#   1. exports the shipped model (f32 weights, the bench inputs, our native outputs) and builds
#      the same network as ONNX; onnxruntime must give our step probabilities to 1e-3;
#   2. natively: ours (burn CPU) vs onnxruntime CPU at 1 and 2 threads, batch 1 and 16;
#   3. in headless Chromium: ours (CPU/wasm) vs onnxruntime-web (wasm) at 1 and 2 threads, a whole
#      256-token forward and a 20-step solution streamed step by step;
#   4. writes benches/results/compare.json (raw timings and the ours/onnxruntime ratios) and
#      prints the table.
# Bench-only dependencies (onnx, onnxruntime, onnxruntime-web) go to .cache/compare/, never into
# the project's own dependencies or CI. Needs the browser package: builds it if pkg/ has none
# (after changing the Rust code, run scripts/build-web.sh first).
# Run it on an idle machine: every timing is wall-clock.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
C=.cache/compare
mkdir -p "$C/results" "$C/npm"

# bench-only dependencies
[ -x "$C/venv/bin/python" ] || python3 -m venv "$C/venv"
"$C/venv/bin/python" -c 'import onnx, onnxruntime, numpy, safetensors' 2>/dev/null ||
  "$C/venv/bin/pip" install -q onnx==1.23.2 onnxruntime==1.31.1 numpy safetensors
[ -d "$C/npm/node_modules/onnxruntime-web" ] || {
  [ -f "$C/npm/package.json" ] || echo '{"private": true}' > "$C/npm/package.json"
  npm install --prefix "$C/npm" --no-audit --no-fund --loglevel=error onnxruntime-web@1.30.0
}
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error
[ -f pkg/cpu/verifier_wasm_bg.wasm ] || bash scripts/build-web.sh

# 1. the same model in both runtimes
cargo bench -q -p verifier-train --bench compare -- export "$PWD/$C/model"
"$C/venv/bin/python" benches/compare/onnx_bench.py export "$C/model"

# 2. native
for t in 1 2; do
  echo "native, $t thread(s) ..." >&2
  RAYON_NUM_THREADS=$t cargo bench -q -p verifier-train --bench compare -- time > "$C/results/native-ours-t$t.json"
  "$C/venv/bin/python" benches/compare/onnx_bench.py time "$C/model" --threads "$t" > "$C/results/native-ort-t$t.json"
done

# 3 and 4. the browser, and the report
echo "browser ..." >&2
node benches/compare/run.mjs
