// The PRM-vs-ORM page judges every sample both ways and filters the disagreements.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, screenshot, seriousA11yViolations, checkPhoneWidth } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

test('compare page lists PRM and ORM judgments and filters disagreements', { timeout: 600_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(server.url + 'web/compare.html?backend=cpu');
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('status').dataset.state), null, { timeout: 540_000 });
  assert.equal(await page.$eval('#status', (e) => e.dataset.state), 'done');
  const rows = await page.$$eval('#rows tr', (trs) => trs.map((t) => t.dataset.kind));
  assert.ok(rows.length >= 2);
  for (const k of rows) assert.ok(['agree', 'right-answer-wrong-step', 'wrong-answer-convincing-steps'].includes(k));
  await page.click('[data-filter="disagree"]');
  const visible = await page.$$eval('#rows tr', (trs) => trs.filter((t) => !t.hidden).map((t) => t.dataset.kind));
  assert.equal(visible.length, rows.filter((k) => k !== 'agree').length);
  assert.ok(visible.every((k) => k !== 'agree'));
  await page.click('[data-filter="all"]');
  await screenshot(page, 'compare');
  // the answer-known column: a verdict for every row whose problem has a known answer
  const known = await page.$$eval('#rows tr td:last-child', (tds) => tds.map((t) => t.textContent));
  assert.equal(known.length, rows.length);
  assert.ok(known.some((t) => /expected answer/.test(t)), 'some rows are judged with their answer');
  assert.deepEqual(await seriousA11yViolations(page), [], 'no serious accessibility violations');
  assert.ok(await checkPhoneWidth(page, 'compare') <= 391, 'the table scrolls in its own box at 390 px');
  await page.close();
});
