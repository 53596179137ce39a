// The demo on WebGPU (SwiftShader in headless Chromium): same first bad step as the native CLI,
// and `auto` keeps the CPU on such a slow adapter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, nativeVerdict, screenshot } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

test('webgpu backend scores like the native CLI', { timeout: 600_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(server.url + 'index.html?backend=webgpu');
  await page.waitForFunction(() => ['ready', 'error'].includes(document.getElementById('status').dataset.state), null, { timeout: 300_000 });
  assert.equal(await page.textContent('#error'), '');
  assert.equal(await page.$eval('#backend', (e) => e.dataset.backend), 'webgpu');
  assert.equal(await page.$eval('#backend', (e) => e.dataset.build), 'full', 'WebGPU loads the full module');
  const problem = 'What is 17 times 4?';
  const steps = ['17 * 4 = 58.', 'So the answer is 58.'];
  await page.fill('#problem', problem);
  await page.fill('#solution', steps.join('\n'));
  await page.selectOption('#delay', '0');
  await page.click('#stream');
  await page.waitForSelector('#steps[data-done="true"]', { timeout: 400_000 });
  const threshold = Number(await page.inputValue('#threshold'));
  const native = nativeVerdict({ problem, steps }, ['--threshold', String(threshold)]);
  assert.equal(await page.$eval('#steps', (e) => e.dataset.firstBad), native.first_bad_step === null ? 'none' : String(native.first_bad_step));
  const scores = await page.$$eval('#steps li.step', (els) => els.map((e) => Number(e.dataset.score)));
  scores.forEach((s, i) => assert.ok(Math.abs(s - native.steps[i].score) < 1.5e-3));
  await screenshot(page, 'demo-webgpu');
  await page.close();
});

test('auto measures both backends and keeps the faster', { timeout: 600_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(server.url + 'index.html');
  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'ready', null, { timeout: 400_000 });
  const text = await page.textContent('#backend');
  const m = [...text.matchAll(/(webgpu|cpu) (\d+) ms/g)].map((x) => [x[1], Number(x[2])]);
  assert.equal(m.length, 2, text);
  const faster = m[0][1] <= m[1][1] ? m[0][0] : m[1][0];
  assert.equal(await page.$eval('#backend', (e) => e.dataset.backend), faster);
  assert.equal(await page.$eval('#backend', (e) => e.dataset.build), 'full', 'auto measures WebGPU: the full module');
  // the choice is remembered for this adapter: the next load does not measure again
  await page.reload();
  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'ready', null, { timeout: 400_000 });
  assert.match(await page.textContent('#backend'), /the choice measured earlier on this adapter/);
  assert.equal(await page.$eval('#backend', (e) => e.dataset.backend), faster);
  assert.equal(await page.$eval('#backend', (e) => e.dataset.build), faster === 'cpu' ? 'cpu' : 'full', 'a remembered CPU choice loads the CPU-only module');
  await page.close();
});
