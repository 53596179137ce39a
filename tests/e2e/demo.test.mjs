// The demo page end to end: streaming, the first bad step against the native CLI, hostile text,
// bad input, and the CPU fallback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, copyFileSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launch, nativeVerdict, screenshot, ROOT, seriousA11yViolations, checkPhoneWidth } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

async function openDemo(query = '?backend=cpu') {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url + 'index.html' + query);
  return { page, errors };
}

async function waitReady(page, timeout = 120_000) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.getElementById('status').dataset.state), null, { timeout });
  return page.$eval('#status', (e) => e.dataset.state);
}

async function streamText(page, problem, solution, delay = '0') {
  await page.fill('#problem', problem);
  await page.fill('#solution', solution);
  await page.selectOption('#delay', delay);
  await page.click('#stream');
}

async function pageScores(page) {
  return page.$$eval('#steps li.step', (els) => els.map((e) => Number(e.dataset.score)));
}

test('a sample streams and highlights the same first bad step as prm score', { timeout: 300_000 }, async () => {
  const { page, errors } = await openDemo();
  assert.equal(await waitReady(page), 'ready');
  const sample = await page.evaluate(async () => {
    const r = await fetch('web/samples-builtin.json');
    return (await r.json()).samples[0];
  });
  await streamText(page, sample.problem, sample.steps.join('\n'));
  await page.waitForSelector('#steps[data-done="true"]', { timeout: 120_000 });
  const threshold = Number(await page.inputValue('#threshold'));
  const stored = JSON.parse(readFileSync(join(ROOT, 'models/verifier/config.json'), 'utf8')).threshold;
  // the range input keeps 15 significant digits; a 0.01 step would have rounded it to 0.36
  assert.ok(Math.abs(threshold - stored) < 1e-12, `the slider starts at the stored threshold ${stored}, not ${threshold}`);
  const native = nativeVerdict({ problem: sample.problem, steps: sample.steps }, ['--threshold', String(threshold)]);
  const firstBad = await page.$eval('#steps', (e) => e.dataset.firstBad);
  assert.equal(firstBad, native.first_bad_step === null ? 'none' : String(native.first_bad_step));
  const scores = await pageScores(page);
  assert.equal(scores.length, native.steps.length);
  scores.forEach((s, i) => assert.ok(Math.abs(s - native.steps[i].score) < 1.5e-3, `step ${i}: ${s} vs ${native.steps[i].score}`));
  // the badge shows the step score, the one the threshold applies to
  const stepScores = await page.$$eval('#steps li.step .score', (els) => els.map((e) => Number(e.textContent)));
  stepScores.forEach((s, i) => assert.ok(Math.abs(s - native.steps[i].step_score) < 2e-2, `step ${i}: ${s} vs ${native.steps[i].step_score}`));
  if (native.first_bad_step !== null) {
    const idx = await page.$eval('li.first-bad', (e) => e.dataset.index);
    assert.equal(Number(idx), native.first_bad_step);
  }
  // moving the threshold re-derives the verdict: at 1.0 every step is below it
  await page.$eval('#threshold', (e) => { e.value = '1'; e.dispatchEvent(new Event('input')); });
  await page.waitForFunction(() => document.getElementById('steps').dataset.firstBad === '0');
  assert.deepEqual(errors, []);
  await screenshot(page, 'demo-sample');
  assert.deepEqual(await seriousA11yViolations(page), [], 'no serious accessibility violations');
  assert.ok(await checkPhoneWidth(page, 'demo') <= 391, 'no sideways scrolling at 390 px');
  await page.close();
});

test('an arithmetic error is shown on its step with the right value, as prm score says', { timeout: 300_000 }, async () => {
  const { page, errors } = await openDemo();
  assert.equal(await waitReady(page), 'ready');
  const problem = 'Tom buys 17 packs of 4 pens. How many pens does he have?';
  const steps = ['Each pack has 4 pens.', 'So he has 17 × 4 = 58 pens.', 'The answer is 58.'];
  await streamText(page, problem, steps.join('\n'));
  await page.waitForSelector('#steps[data-done="true"]', { timeout: 120_000 });
  const bad = await page.$$eval('#steps li.step .check.bad', (els) => els.map((e) => e.textContent));
  assert.deepEqual(bad, ['17 × 4 = 58 ✗ — 68']);
  const native = nativeVerdict({ problem, steps }, []);
  // the false claim makes step 2 wrong whatever the model says (step 1 may be flagged earlier)
  assert.ok(native.first_bad_step !== null && native.first_bad_step <= 1);
  assert.deepEqual(native.steps[1].checks, [{ claim: '17 × 4 = 58', holds: false, expected: '68' }]);
  assert.equal(await page.$eval('#steps', (e) => e.dataset.firstBad), String(native.first_bad_step));
  assert.equal(await page.$eval('li.step.arith-error', (e) => e.dataset.index), '1');
  assert.equal((await pageScores(page))[1], 0);
  await screenshot(page, 'demo-arithmetic-check');
  assert.deepEqual(errors, []);
  await page.close();
});

test('streaming shows steps as they arrive', { timeout: 300_000 }, async () => {
  const { page } = await openDemo();
  await waitReady(page);
  await streamText(page, 'What is 2 + 3 + 4?', '2 + 3 = 5\n5 + 4 = 9\nThe answer is 9.', '1000');
  await page.waitForFunction(() => document.querySelectorAll('#steps li.step').length === 1);
  assert.equal(await page.$('#steps[data-done="true"]'), null, 'still streaming');
  await page.waitForFunction(() => document.querySelectorAll('#steps li.step:not(.pending)').length === 1, null, { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelectorAll('#steps li.step').length === 2, null, { timeout: 60_000 });
  await page.waitForSelector('#steps[data-done="true"]', { timeout: 120_000 });
  assert.equal((await pageScores(page)).length, 3);
  assert.match(await page.textContent('#timings'), /ms\/step/);
  await screenshot(page, 'demo-streaming');
  await page.close();
});

test('hostile solution text executes nothing', { timeout: 300_000 }, async () => {
  const { page } = await openDemo();
  await waitReady(page);
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });
  const problem = 'Evil <img src=x onerror="window.__pwned=1"> problem';
  const solution = [
    '<script>window.__pwned=2</script>',
    '<img src=x onerror="window.__pwned=3;alert(1)">',
    'Click $\\href{javascript:window.__pwned=4}{here}$ and $\\url{javascript:alert(1)}$',
    '$\\htmlData{x=1}{y}$ <iframe src="javascript:alert(1)"></iframe>',
  ].join('\n');
  await streamText(page, problem, solution);
  await page.waitForSelector('#steps[data-done="true"]', { timeout: 120_000 });
  for (const a of await page.$$('#steps a, #problem-view a')) await a.click({ force: true }).catch(() => {});
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(dialogs, 0);
  assert.equal(await page.$$eval('#steps img, #steps script, #steps iframe, #problem-view img', (e) => e.length), 0);
  assert.equal(await page.$$eval('a[href^="javascript"]', (e) => e.length), 0);
  assert.match(await page.textContent('#steps'), /<script>window.__pwned=2<\/script>/);
  await screenshot(page, 'demo-hostile');
  await page.close();
});

test('bad input gives a clear message and the page keeps working', { timeout: 300_000 }, async () => {
  const { page } = await openDemo();
  await waitReady(page);
  await streamText(page, 'What is 1 + 1?', '   \n  ');
  await page.waitForFunction(() => document.getElementById('error').textContent.length > 0);
  assert.match(await page.textContent('#error'), /no steps/);
  // a 10^5-character paste: cut with a warning, still scored
  await streamText(page, 'What is 1 + 1?', '1 + 1 = 2 '.repeat(10_000) + '\nThe answer is 2.');
  await page.waitForSelector('#steps[data-done="true"]', { timeout: 120_000 });
  assert.equal(await page.textContent('#error'), '');
  assert.match(await page.textContent('#warnings'), /cut to its first/);
  assert.equal((await pageScores(page)).length, 2);
  await screenshot(page, 'demo-long-paste');
  await page.close();
});

test('a model URL that 404s or serves garbage is reported, not fatal', { timeout: 300_000 }, async () => {
  const bad = join(ROOT, 'test-artifacts', 'garbage-model');
  mkdirSync(bad, { recursive: true });
  for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(ROOT, 'models/verifier', f), join(bad, f));
  writeFileSync(join(bad, 'model.bpk'), 'this is not a burnpack file');
  // the same without the files' digests in config.json: the weights themselves are refused
  const bare = join(ROOT, 'test-artifacts', 'garbage-model-no-digest');
  mkdirSync(bare, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(ROOT, 'models/verifier/config.json'), 'utf8'));
  delete cfg.files;
  writeFileSync(join(bare, 'config.json'), JSON.stringify(cfg));
  copyFileSync(join(ROOT, 'models/verifier/tokenizer.json'), join(bare, 'tokenizer.json'));
  writeFileSync(join(bare, 'model.bpk'), 'this is not a burnpack file');
  for (const [query, pattern] of [
    ['?backend=cpu&model=no-such-model/', /404/],
    ['?backend=cpu&model=test-artifacts/garbage-model/', /model\.bpk arrived damaged or cut short/],
    ['?backend=cpu&model=test-artifacts/garbage-model-no-digest/', /weights/],
  ]) {
    const { page } = await openDemo(query);
    assert.equal(await waitReady(page), 'error');
    assert.match(await page.textContent('#error'), pattern);
    // the page still works: samples load and the inputs respond
    await page.fill('#problem', 'still typing');
    assert.equal(await page.inputValue('#problem'), 'still typing');
    await page.close();
  }
  rmSync(bad, { recursive: true, force: true });
  rmSync(bare, { recursive: true, force: true });
});

test('auto picks the CPU when WebGPU is missing and says why', { timeout: 300_000 }, async () => {
  const noGpu = await launch({ webgpu: false });
  try {
    const page = await noGpu.newPage();
    await page.goto(server.url + 'index.html');
    await page.waitForFunction(() => document.getElementById('status').dataset.state === 'ready', null, { timeout: 120_000 });
    assert.equal(await page.$eval('#backend', (e) => e.dataset.backend), 'cpu');
    assert.match(await page.textContent('#backend'), /CPU \(wasm\)/);
    await screenshot(page, 'demo-no-webgpu');
  } finally {
    await noGpu.close();
  }
});
