// Browser bench runner: `node benches/browser/run.mjs` (after scripts/build-web.sh). Runs the
// bench page on the CPU and WebGPU backends in headless Chromium, measures the bundle, and writes
// benches/browser/results.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { startServer, launch, ROOT } from '../../tests/e2e/harness.mjs';

const size = (rel) => {
  const b = readFileSync(join(ROOT, rel));
  return { raw: b.length, gzip: gzipSync(b, { level: 9 }).length };
};
const bundle = {
  wasm: size('pkg/verifier_wasm_bg.wasm'),
  wasm_cpu_only: size('pkg/cpu/verifier_wasm_bg.wasm'),
  js: size('pkg/verifier_wasm.js'),
  weights: size('models/verifier/model.bpk'),
  tokenizer: size('models/verifier/tokenizer.json'),
};
const server = await startServer();
const browser = await launch();
const runs = {};
try {
  for (const backend of (process.argv[2] || 'cpu,webgpu').split(',')) {
    const page = await browser.newPage();
    await page.goto(`${server.url}benches/browser/bench.html?backend=${backend}`);
    await page.waitForFunction(() => window.benchResult, null, { timeout: 1_200_000 });
    runs[backend] = await page.evaluate(() => window.benchResult);
    await page.close();
  }
} finally {
  await browser.close();
  server.stop();
}
const result = { date: new Date().toISOString(), chromium: '/usr/bin/chromium (headless, --enable-unsafe-webgpu)', bundle, runs };
writeFileSync(join(ROOT, 'benches/browser/results.json'), JSON.stringify(result, null, 1));
const mb = (n) => (n / 1e6).toFixed(2);
console.log('bundle (MB raw / gzip):', Object.entries(bundle).map(([k, v]) => `${k} ${mb(v.raw)}/${mb(v.gzip)}`).join(', '));
for (const [b, r] of Object.entries(runs)) {
  if (r.error) { console.log(b, 'error:', r.error); continue; }
  console.log(`${b} (${r.adapter}): cold load ${r.coldLoadMs.toFixed(0)} ms, first score ${r.firstScoreMs.toFixed(0)} ms, step 1 ${r.step1Ms.toFixed(0)} ms, step 20 ${r.step20Ms.toFixed(0)} ms (step20/step1 ${(r.step20Ms / r.step1Ms).toFixed(2)})`);
}
if (runs.cpu && runs.webgpu && !runs.cpu.error && !runs.webgpu.error) {
  console.log(`webgpu/cpu per-step ratio at step 20: ${(runs.webgpu.step20Ms / runs.cpu.step20Ms).toFixed(2)}`);
}
