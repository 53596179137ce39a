// Search and selection in the browser: the best-of-N page, the step-search page, the labelling
// page (keyboard only, export as PRM800K rows) and the demo's calibration view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launch, screenshot, seriousA11yViolations, ROOT } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch({ webgpu: false }); });
after(async () => { await browser?.close(); server?.stop(); });

const ready = (page) => page.waitForFunction(() => ['ready', 'error'].includes(document.getElementById('status').dataset.state), null, { timeout: 300_000 });

test('best-of-N: every judge picks a candidate and the running accuracy counts the problem', { timeout: 600_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(server.url + 'web/best-of-n.html?backend=cpu');
  await ready(page);
  assert.equal(await page.$eval('#status', (e) => e.dataset.state), 'ready');
  await page.click('#next');
  await page.waitForFunction(() => document.querySelectorAll('#candidates details[data-correct]').length > 0, null, { timeout: 300_000 });
  const rows = await page.$$eval('#methods tr', (trs) => trs.map((t) => ({ m: t.dataset.method, pick: t.querySelector('.pick').textContent, acc: t.querySelector('.acc').textContent })));
  assert.deepEqual(rows.map((r) => r.m), ['PRM (product)', 'PRM (min)', 'PRM (last)', 'ORM', 'majority vote', 'PRM-weighted vote', 'ORM-weighted vote', 'random (expected)', 'oracle (any correct)']);
  const n = await page.$$eval('#candidates details', (d) => d.length);
  for (const r of rows.slice(0, 7)) {
    const m = /^#(\d+)/.exec(r.pick);
    assert.ok(m && Number(m[1]) >= 1 && Number(m[1]) <= n, `${r.m} picks a candidate: ${r.pick}`);
    assert.match(r.acc, /^[01] \/ 1 /, `${r.m}: one problem counted`);
  }
  // a judge's pick is tagged on its candidate
  assert.ok(await page.$$eval('#candidates summary .tag', (t) => t.length) >= 7);
  // your own candidates, checked against a known answer
  await page.click('#own summary');
  await page.fill('#own-problem', 'What is 6 + 6?');
  await page.fill('#own-answer', '12');
  await page.fill('#own-solutions', '6 + 6 = 12\nThe answer is 12.\n---\n6 + 6 = 13\nThe answer is 13.');
  await page.click('#own-run');
  await page.waitForFunction(() => document.querySelectorAll('#candidates details').length === 2 && document.querySelector('#candidates details[data-correct]'), null, { timeout: 120_000 });
  const marks = await page.$$eval('#candidates details', (d) => d.map((x) => x.dataset.correct));
  assert.deepEqual(marks, ['true', 'false']);
  await screenshot(page, 'best-of-n');
  assert.deepEqual(await seriousA11yViolations(page), []);
  await page.close();
});

test('step search: the walk is shown step by step and ends on a chosen path', { timeout: 600_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(server.url + 'web/search.html?backend=cpu&fast');
  await ready(page);
  await page.click('#run');
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('status').dataset.state), null, { timeout: 300_000 });
  assert.equal(await page.$eval('#error', (e) => e.textContent), '');
  assert.ok(await page.$$eval('#view li.visited', (l) => l.length) >= 1);
  const chosen = await page.$$eval('#chosen li', (l) => l.map((x) => x.textContent));
  assert.ok(chosen.length >= 2 && /answer is/.test(chosen.at(-1)), chosen.join(' | '));
  assert.match(await page.$eval('#summary', (e) => e.textContent), /backtrack/);
  // a bad tree is a clear error, not a crash
  await page.fill('#tree', '{"problem": "p", "children": [{"text": " "}]}');
  await page.click('#run');
  await page.waitForFunction(() => document.getElementById('error').textContent !== '', null, { timeout: 60_000 });
  assert.match(await page.$eval('#error', (e) => e.textContent), /empty/);
  await screenshot(page, 'search');
  assert.deepEqual(await seriousA11yViolations(page), []);
  await page.close();
});

test('labelling: keyboard ratings up to the first wrong step export as PRM800K rows', { timeout: 120_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(server.url + 'web/label.html');
  const items = [
    { problem: 'What is 6 + 6?', steps: ['6 + 6 = 13', 'The answer is 13.'], reason: 'convincing-wrong', answer_correct: false, prm_score: 0.7, verdict: null },
    { problem: 'What is 2 + 3?', steps: ['2 + 3 = 5', 'So it is 5.', 'The answer is 5.'], reason: 'convincing', answer_correct: true, prm_score: 0.9, verdict: null },
  ];
  await page.setInputFiles('#file', { name: 'chosen.jsonl', mimeType: 'application/json', buffer: Buffer.from(items.map((i) => JSON.stringify(i)).join('\n') + '\n{broken\n') });
  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'ready');
  assert.match(await page.$eval('#error', (e) => e.textContent), /1 line/);
  await page.keyboard.press('-'); // the first step is wrong: the solution's labels end there
  assert.equal(await page.$eval('#steps li[data-index="0"]', (l) => l.dataset.rating), '-1');
  await page.keyboard.press('ArrowRight');
  for (const k of ['1', '0', '1']) await page.keyboard.press(k);
  const ratings = await page.$$eval('#steps li', (l) => l.map((x) => x.dataset.rating));
  assert.deepEqual(ratings, ['1', '0', '1']);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const rows = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => [r.instruction, r.responses.length, r.next_response, r.rating, r.is_solution]), [
    ['What is 6 + 6?', 0, '6 + 6 = 13', -1, false],
    ['What is 2 + 3?', 0, '2 + 3 = 5', 1, false],
    ['What is 2 + 3?', 1, 'So it is 5.', 0, false],
    ['What is 2 + 3?', 2, 'The answer is 5.', 1, true],
  ]);
  // the same keys as the PRM800K rows `prm train --extra` reads (tests/fixtures/labels.jsonl)
  const fixture = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/labels.jsonl'), 'utf8').split('\n')[0]);
  assert.deepEqual(Object.keys(rows[0]).sort(), Object.keys(fixture).sort());
  // labels survive a reload of the page (kept in the browser until exported)
  await page.reload();
  await page.setInputFiles('#file', { name: 'chosen.jsonl', mimeType: 'application/json', buffer: Buffer.from(items.map((i) => JSON.stringify(i)).join('\n')) });
  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'ready');
  assert.equal(await page.$eval('#steps li[data-index="0"]', (l) => l.dataset.rating), '-1');
  assert.deepEqual(await seriousA11yViolations(page), []);
  await page.close();
});

test('calibration view: the stored sweep and reliability are drawn, the slider moves the mark', { timeout: 300_000 }, async () => {
  const config = JSON.parse(readFileSync(join(ROOT, 'models/verifier/config.json'), 'utf8'));
  const page = await browser.newPage();
  await page.goto(server.url + 'index.html?backend=cpu');
  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'ready', null, { timeout: 300_000 });
  await page.click('#calibration summary');
  assert.ok(await page.$$eval('#reliability-chart circle', (c) => c.length) === config.metrics.prm800k_test.reliability.length);
  assert.ok(config.metrics.threshold_sweep?.length, 'the shipped model stores a threshold sweep');
  // at the model's own threshold: the stored headline figures
  const own = config.metrics.threshold_sweep.find((r) => r.threshold === config.threshold);
  assert.ok(own, 'the sweep holds the model\'s own threshold');
  assert.equal(own.average_f1, config.metrics.processbench_average_f1);
  const text = await page.$eval('#sweep-text', (e) => e.textContent);
  assert.match(text, new RegExp(`At ${config.threshold.toFixed(2)}: F1 ${(100 * own.subsets.gsm8k.f1).toFixed(1)} on GSM8K`));
  const x1 = await page.$eval('#sweep-chart line.current', (l) => Number(l.getAttribute('x1')));
  await page.$eval('#threshold', (s) => { s.value = '0.9'; s.dispatchEvent(new Event('input')); });
  const x2 = await page.$eval('#sweep-chart line.current', (l) => Number(l.getAttribute('x1')));
  assert.ok(x2 > x1, 'the mark follows the slider');
  const row = config.metrics.threshold_sweep.reduce((b, r) => (Math.abs(r.threshold - 0.9) < Math.abs(b.threshold - 0.9) ? r : b));
  assert.match(await page.$eval('#sweep-text', (e) => e.textContent), new RegExp(`${(100 * row.average_f1).toFixed(1)} on average`));
  await screenshot(page, 'calibration');
  await page.close();
});
