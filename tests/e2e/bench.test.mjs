// The browser bench page still runs (its timings are reported by `node benches/browser/run.mjs`
// and compared with onnxruntime-web by `bash benches/compare.sh`, never asserted here).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch({ webgpu: false }); });
after(async () => { await browser?.close(); server?.stop(); });

test('the bench page measures load, a whole score and 20 streamed steps on the CPU', { timeout: 300_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}benches/browser/bench.html?backend=cpu`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 240_000 });
  const r = await page.evaluate(() => window.benchResult);
  assert.equal(r.error, undefined, r.error);
  assert.equal(r.backend, 'cpu');
  assert.equal(r.perStep.length, 20);
  for (const k of ['coldLoadMs', 'firstScoreMs', 'step1Ms', 'step20Ms']) assert.ok(r[k] > 0, `${k} = ${r[k]}`);
  await page.close();
});
