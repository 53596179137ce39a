// The browser under load and under bad input (CPU backend): 20 widgets on one page share one
// worker and one copy of the model; a 1,000-step streamed session keeps its memory bounded and
// its cost per step flat; a worker that dies is replaced and the page says so; the bad-input
// suite of the native CLI gives the same one-line messages in the browser. Figures go to
// test-artifacts/reliability.json (the README's Reliability section quotes them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, startServer, launch } from './harness.mjs';

let server, browser;
const figures = {};
before(async () => { server = await startServer(); browser = await launch({ webgpu: false }); });
after(async () => {
  writeFileSync(join(ARTIFACTS, 'reliability.json'), JSON.stringify(figures, null, 2));
  await browser?.close();
  server?.stop();
});

const MiB = 1024 * 1024;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function widgetsPage(n) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}tests/e2e/pages/widgets.html?n=${n}`);
  return { page, errors };
}

async function waitForVerdicts(page, n) {
  await page.waitForFunction((n) => Object.keys(window.verdicts).length === n, n, { timeout: 280_000 });
  return page.evaluate(() => window.verdicts);
}

test('twenty widgets share one worker and one copy of the model', { timeout: 600_000 }, async () => {
  const one = await widgetsPage(1);
  await waitForVerdicts(one.page, 1);
  const [single] = await one.page.evaluate(() => customElements.get('step-verifier').stats());
  await one.page.close();

  const { page, errors } = await widgetsPage(20);
  const verdicts = await waitForVerdicts(page, 20);
  for (const [id, v] of Object.entries(verdicts)) {
    assert.equal(v.error, undefined, `${id}: ${v.error}`);
    const i = Number(id.slice(1));
    // the false product of every third solution is its first wrong step
    if (i % 3 === 0) assert.equal(v.first_bad_step, 0, id);
  }
  const stats = await page.evaluate(() => customElements.get('step-verifier').stats());
  assert.equal(stats.length, 1, 'one model, one worker');
  assert.equal(page.workers().length, 1, 'one worker on the page');
  assert.ok(stats[0].wasmBytes <= single.wasmBytes + 64 * MiB, `20 widgets: ${stats[0].wasmBytes} bytes vs one: ${single.wasmBytes}`);
  figures.widgets = { one_widget_wasm_mib: single.wasmBytes / MiB, twenty_widgets_wasm_mib: stats[0].wasmBytes / MiB, workers: page.workers().length };
  assert.deepEqual(errors, []);
  await page.close();
});

test('a 1,000-step streamed session keeps its memory bounded and its cost per step flat', { timeout: 600_000 }, async () => {
  const { page, errors } = await widgetsPage(0);
  const r = await page.evaluate(async () => {
    const { VerifierClient } = await import('/web/client.js');
    const client = new VerifierClient();
    await client.load('/models/verifier/', { backend: 'cpu' });
    const s = await client.start('A farmer plants rows of trees. Each row has 12 trees. How many trees are in the rows so far?');
    const ms = [], trip = [], memory = [];
    for (let i = 1; i <= 1000; i++) {
      const t0 = performance.now();
      const v = await s.push(`Row ${i} adds 12 trees, so there are ${12 * (i - 1)} + 12 = ${12 * i} trees so far.`);
      trip.push(performance.now() - t0);
      ms.push(v.ms);
      if (v.index !== i - 1 || v.steps.length !== i) throw new Error(`push ${i}: index ${v.index}, ${v.steps.length} steps`);
      if (i === 100 || i === 1000) memory.push((await client.stats()).wasmBytes);
    }
    const last = await s.verdict({ final: true });
    await s.end();
    client.terminate();
    return { ms, trip, memory, steps: last.steps.length, firstBad: last.first_bad_step };
  });
  assert.equal(r.steps, 1000);
  assert.equal(r.firstBad, null, 'every step is right');
  const [first, last] = [r.ms.slice(0, 100), r.ms.slice(-100)];
  const [tripFirst, tripLast] = [r.trip.slice(0, 100), r.trip.slice(-100)];
  figures.stream = {
    steps: 1000,
    push_ms_median_steps_1_100: median(first),
    push_ms_median_steps_901_1000: median(last),
    round_trip_ms_median_steps_1_100: median(tripFirst),
    round_trip_ms_median_steps_901_1000: median(tripLast),
    wasm_mib_after_100: r.memory[0] / MiB,
    wasm_mib_after_1000: r.memory[1] / MiB,
  };
  // bounded: the keys and values of one window, whatever the length
  assert.ok(r.memory[1] <= r.memory[0] + 16 * MiB, JSON.stringify(figures.stream));
  // flat: the model's work per step does not grow with the steps before it (a cost that grew
  // with the length would be ten times higher at step 1,000 than at step 100)
  assert.ok(median(last) < 3 * median(first), JSON.stringify(figures.stream));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a worker that dies is replaced, and the widget says so and verifies again', { timeout: 600_000 }, async () => {
  const { page, errors } = await widgetsPage(1);
  await waitForVerdicts(page, 1);
  const [dying] = page.workers();
  // an uncaught error in the worker: what the page sees of a crashed worker
  await dying.evaluate(() => { setTimeout(() => { throw new Error('simulated crash'); }); });
  await page.waitForTimeout(200);
  await page.evaluate(() => { window.verdicts = {}; document.getElementById('w0').setAttribute('threshold', '0.5'); });
  const verdicts = await waitForVerdicts(page, 1);
  assert.equal(verdicts.w0.error, undefined, verdicts.w0.error);
  const notice = await page.evaluate(() => document.getElementById('w0').shadowRoot.querySelector('.notice').textContent);
  assert.match(notice, /stopped .*simulated crash.* and was restarted/);
  const [stats] = await page.evaluate(() => customElements.get('step-verifier').stats());
  assert.equal(stats.restarts, 1);
  assert.equal(page.workers().length, 1, 'the dead worker is gone');
  assert.deepEqual(errors, []);
  await page.close();
});

/** The native CLI's one error line for a request (`prm score --json`), without "error: ". */
function nativeError({ threshold, ...request }) {
  const args = threshold === undefined ? [] : ['--threshold', String(threshold)];
  const r = spawnSync(join(ROOT, 'target/release/prm'), ['score', '--json', ...args], { input: JSON.stringify(request), cwd: ROOT });
  assert.notEqual(r.status, 0, `native accepted ${JSON.stringify(request).slice(0, 80)}`);
  const line = String(r.stderr).split('\n').find((l) => l.startsWith('error: '));
  assert.ok(line, String(r.stderr));
  return line.slice('error: '.length);
}

test('bad input gets the native CLI\'s message in the browser, bad model files a clear error', { timeout: 600_000 }, async () => {
  const bad = join(ROOT, 'test-artifacts', 'bad-models');
  rmSync(bad, { recursive: true, force: true });
  const model = (name, edit) => {
    const dir = join(bad, name);
    mkdirSync(dir, { recursive: true });
    for (const f of ['config.json', 'tokenizer.json', 'model.bpk']) copyFileSync(join(ROOT, 'models/verifier', f), join(dir, f));
    edit(dir);
  };
  const config = JSON.parse(readFileSync(join(ROOT, 'models/verifier/config.json'), 'utf8'));
  // weights of another architecture (the digests updated, so only the architecture differs)
  model('wrong-architecture', (dir) => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, architecture: { ...config.architecture, num_layers: 7 } }));
  });
  model('truncated', (dir) => {
    const w = readFileSync(join(dir, 'model.bpk'));
    writeFileSync(join(dir, 'model.bpk'), w.subarray(0, w.length >> 1));
  });
  const { page, errors } = await widgetsPage(0);
  const requests = [
    { problem: '', steps: ['1 + 1 = 2'] },
    { problem: 'p', steps: [] },
    { problem: 'p', steps: ['1 + 1 = 2', '   '] },
    { problem: 'p', steps: Array.from({ length: 10_000 }, (_, i) => `x = ${i}`) },
    { problem: 'p', steps: ['1 + 1 = 2'], threshold: 2 },
  ];
  const r = await page.evaluate(async (requests) => {
    const { VerifierClient } = await import('/web/client.js');
    const client = new VerifierClient();
    const caught = (p) => p.then((v) => ({ ok: v }), (e) => ({ kind: e.kind, message: e.message }));
    await client.load('/models/verifier/', { backend: 'cpu' });
    const out = { requests: [] };
    for (const q of requests) out.requests.push(await caught(client.score(q.problem, q.steps, { threshold: q.threshold })));
    // 10^5 characters in one step: cut with a warning; lone surrogates: read, not a crash
    out.huge = await caught(client.score('p', ['7 * 8 = 56 ' + 'x'.repeat(100_000)]));
    out.surrogates = await caught(client.score('p \ud800 q', ['2 + 2 = 4 \udc00', 'so 4 \ud83d']));
    out.wrongArchitecture = await caught(client.load('/test-artifacts/bad-models/wrong-architecture/', { backend: 'cpu' }));
    out.truncated = await caught(client.load('/test-artifacts/bad-models/truncated/', { backend: 'cpu' }));
    // a cached model file cut short is noticed and fetched again
    const cache = await caches.open('step-verifier-model-v2');
    for (const req of await cache.keys()) {
      if (!req.url.includes('/models/verifier/model.bpk')) continue;
      const bytes = new Uint8Array(await (await cache.match(req)).arrayBuffer());
      await cache.put(req, new Response(bytes.subarray(0, 1000)));
      out.cutShort = true;
    }
    out.reload = await caught(client.load('/models/verifier/', { backend: 'cpu' }));
    out.after = await caught(client.score('p', ['1 + 1 = 2']));
    client.terminate();
    return out;
  }, requests);
  r.requests.forEach((got, i) => {
    assert.equal(got.kind, 'BadInputError', JSON.stringify(got));
    const native = nativeError(requests[i]);
    assert.ok(native.includes(got.message), `browser ${JSON.stringify(got.message)} vs native ${JSON.stringify(native)}`);
  });
  assert.ok(r.huge.ok, JSON.stringify(r.huge));
  assert.deepEqual(r.huge.ok.verdict.warnings, ['step 1 was cut to its first 8192 bytes (it has 100011)']);
  assert.equal(r.huge.ok.verdict.steps.length, 1);
  assert.ok(r.surrogates.ok, JSON.stringify(r.surrogates));
  assert.equal(r.wrongArchitecture.kind, 'ModelError', JSON.stringify(r.wrongArchitecture));
  assert.equal(r.truncated.kind, 'NetworkError', JSON.stringify(r.truncated));
  assert.match(r.truncated.message, /model\.bpk arrived damaged or cut short/);
  assert.ok(r.cutShort, 'the model was in the cache');
  assert.equal(r.reload.ok?.cached, false, `a cut-short cached file is fetched again: ${JSON.stringify(r.reload)}`);
  assert.ok(r.after.ok, JSON.stringify(r.after));
  figures.bad_input = { requests: requests.length + 2, model_files: 3, panics: 0 };
  assert.deepEqual(errors, []);
  await page.close();
  rmSync(bad, { recursive: true, force: true });
});
