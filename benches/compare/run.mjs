// Browser half of `bash benches/compare.sh` and the report: runs benches/compare/compare.html in
// headless Chromium (cross-origin isolated, so onnxruntime-web may use threads) at 1 and 2
// threads, reads the native timings compare.sh wrote to .cache/compare/results/, and writes
// benches/results/compare.json with every raw timing and the ours / onnxruntime ratios.
import { readFileSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launch, ROOT } from '../../tests/e2e/harness.mjs';

const native = (who, t) => JSON.parse(readFileSync(join(ROOT, `.cache/compare/results/native-${who}-t${t}.json`), 'utf8'));
process.env.SERVE_ISOLATED = '1';
const server = await startServer();
const browser = await launch({ webgpu: false });
const browserRuns = {};
try {
  for (const threads of [1, 2]) {
    const page = await browser.newPage();
    await page.goto(`${server.url}benches/compare/compare.html?threads=${threads}&ours=${threads === 1 ? 1 : 0}`);
    await page.waitForFunction(() => window.benchResult, null, { timeout: 1_800_000 });
    browserRuns[`t${threads}`] = await page.evaluate(() => window.benchResult);
    await page.close();
    if (browserRuns[`t${threads}`].error) throw new Error(`compare page, ${threads} threads: ${browserRuns[`t${threads}`].error}`);
  }
} finally {
  await browser.close();
  server.stop();
}
if (!browserRuns.t2.crossOriginIsolated) throw new Error('the page was not cross-origin isolated: onnxruntime-web could not use 2 threads');

const nativeRuns = { ours_t1: native('ours', 1), ours_t2: native('ours', 2), ort_t1: native('ort', 1), ort_t2: native('ort', 2) };
const med = (x) => x.median;
const ratio = (ours, theirs) => med(ours) / med(theirs);
const [b1, b1ort] = [browserRuns.t1.ours, browserRuns.t1.ort];
const ratios = {
  wasm_whole_256_t1: ratio(b1.whole_256, b1ort.whole_256),
  wasm_step_t1: ratio(b1.mean_step, b1ort.mean_step),
  wasm_step1_t1: ratio(b1.step1, b1ort.step1),
  wasm_step20_t1: ratio(b1.step20, b1ort.step20),
  // ours has one thread in the browser; against onnxruntime-web's two:
  wasm_whole_256_ours_t1_vs_t2: ratio(b1.whole_256, browserRuns.t2.ort.whole_256),
  wasm_step_ours_t1_vs_t2: ratio(b1.mean_step, browserRuns.t2.ort.mean_step),
  native_whole_256_t1: ratio(nativeRuns.ours_t1.whole_256_b1, nativeRuns.ort_t1.whole_256_b1),
  native_whole_256_t2: ratio(nativeRuns.ours_t2.whole_256_b1, nativeRuns.ort_t2.whole_256_b1),
  native_batch16_t1: ratio(nativeRuns.ours_t1.whole_256_b16, nativeRuns.ort_t1.whole_256_b16),
  native_batch16_t2: ratio(nativeRuns.ours_t2.whole_256_b16, nativeRuns.ort_t2.whole_256_b16),
};
const wasmBytes = { cpu: statSync(join(ROOT, 'pkg/cpu/verifier_wasm_bg.wasm')).size, full: statSync(join(ROOT, 'pkg/verifier_wasm_bg.wasm')).size };
const result = {
  date: new Date().toISOString(),
  what: 'ours / onnxruntime, median milliseconds (below 1: ours is faster); same model, same token ids, outputs checked to 1e-3 first',
  ratios,
  ours_step20_over_step1: med(b1.step20) / med(b1.step1),
  native_parity_onnxruntime: JSON.parse(readFileSync(join(ROOT, '.cache/compare/model/parity-native.json'), 'utf8')),
  wasm_raw_bytes: wasmBytes,
  browser: browserRuns,
  native: nativeRuns,
};
mkdirSync(join(ROOT, 'benches/results'), { recursive: true });
writeFileSync(join(ROOT, 'benches/results/compare.json'), JSON.stringify(result, null, 1));

const ms = (x) => `${x.median.toFixed(1)} ms`;
console.log(`browser (${browserRuns.t1.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'Chromium'}), median of ${b1.whole_256.runs_ms.length} runs:`);
console.log(`  whole 256 tokens   ours t1 ${ms(b1.whole_256)} | onnxruntime-web t1 ${ms(b1ort.whole_256)}, t2 ${ms(browserRuns.t2.ort.whole_256)}`);
console.log(`  streamed step 1    ours t1 ${ms(b1.step1)} | onnxruntime-web t1 ${ms(b1ort.step1)}, t2 ${ms(browserRuns.t2.ort.step1)}`);
console.log(`  streamed step 20   ours t1 ${ms(b1.step20)} | onnxruntime-web t1 ${ms(b1ort.step20)}, t2 ${ms(browserRuns.t2.ort.step20)}`);
console.log(`  mean of 20 steps   ours t1 ${ms(b1.mean_step)} | onnxruntime-web t1 ${ms(b1ort.mean_step)}, t2 ${ms(browserRuns.t2.ort.mean_step)}`);
console.log('native, whole 256 tokens:');
for (const t of [1, 2]) {
  const [o, r] = [nativeRuns[`ours_t${t}`], nativeRuns[`ort_t${t}`]];
  console.log(`  ${t} thread(s)  batch 1: ours ${ms(o.whole_256_b1)} | onnxruntime ${ms(r.whole_256_b1)};  batch 16: ours ${o.tokens_per_s_b16.toFixed(0)} | onnxruntime ${r.tokens_per_s_b16.toFixed(0)} tokens/s`);
}
console.log('ratios ours / onnxruntime (median):');
for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(32)} ${v.toFixed(2)}`);
console.log(`  ours step 20 / step 1           ${result.ours_step20_over_step1.toFixed(2)}`);
console.log(`  wasm raw size                    ${(wasmBytes.cpu / 1e6).toFixed(2)} MB (CPU-only module), ${(wasmBytes.full / 1e6).toFixed(2)} MB (with WebGPU)`);
console.log('written: benches/results/compare.json');
