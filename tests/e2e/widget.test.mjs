// The embeddable <step-verifier> on its example page fires `verdict` with the native verdict.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, nativeVerdict, screenshot, seriousA11yViolations, checkPhoneWidth } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); server?.stop(); });

test('widget example fires verdict events equal to prm score', { timeout: 300_000 }, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url + 'web/widget-example.html');
  await page.waitForFunction(() => window.verdicts && window.verdicts.ex1 && window.verdicts.ex2, null, { timeout: 240_000 });
  for (const id of ['ex1', 'ex2']) {
    const { problem, solution, verdict } = await page.evaluate((id) => {
      const e = document.getElementById(id);
      return { problem: e.getAttribute('problem'), solution: e.getAttribute('solution') ?? e.textContent, verdict: window.verdicts[id] };
    }, id);
    const native = nativeVerdict({ problem, solution });
    assert.equal(verdict.steps.length, native.steps.length);
    assert.equal(verdict.first_bad_step, native.first_bad_step);
    assert.equal(verdict.aggregate, native.aggregate);
    verdict.steps.forEach((s, i) => {
      assert.equal(s.text, native.steps[i].text);
      assert.ok(Math.abs(s.score - native.steps[i].score) < 1e-3);
      assert.ok(Math.abs(s.step_score - native.steps[i].step_score) < 2e-2);
    });
    assert.ok(Math.abs(verdict.orm_score - native.orm_score) < 1e-3);
    // the element renders its steps in its shadow root
    const rendered = await page.evaluate((id) => document.getElementById(id).shadowRoot.querySelectorAll('li.step').length, id);
    assert.equal(rendered, native.steps.length);
  }
  // changing an attribute re-verifies and fires again
  await page.evaluate(() => { window.verdicts = {}; document.getElementById('ex2').setAttribute('threshold', '1'); });
  await page.waitForFunction(() => window.verdicts.ex2, null, { timeout: 120_000 });
  assert.equal(await page.evaluate(() => window.verdicts.ex2.first_bad_step), 0);
  assert.deepEqual(errors, []);
  await screenshot(page, 'widget-example');
  await page.close();
});

test('a student types a wrong solution into the exercise widget and sees its first wrong step', { timeout: 300_000 }, async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url + 'web/widget-example.html');
  const steps = ['She makes 17 * 4 = 68 cookies.', 'She sells 40, so 68 - 40 = 28 are left.', 'The answer is 28.'];
  // keyboard only: focus the text area, type line by line (each Enter completes a step), Ctrl+Enter checks
  await page.locator('#ex3 textarea').focus();
  await page.keyboard.type(steps.join('\n'));
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => window.verdicts?.ex3?.answer_check?.found === '28' && window.verdicts.ex3.steps.length === 3, null, { timeout: 240_000 });
  const verdict = await page.evaluate(() => window.verdicts.ex3);
  assert.equal(verdict.answer_check.expected, '38');
  assert.equal(verdict.answer_check.matches, false);
  assert.notEqual(verdict.first_bad_step, null, 'a wrong answer always names a step');
  const { problem, answer, reference } = await page.evaluate(() => {
    const e = document.getElementById('ex3');
    return { problem: e.getAttribute('problem'), answer: e.getAttribute('answer'), reference: e.getAttribute('reference') };
  });
  const native = nativeVerdict({ problem, steps, answer, reference });
  assert.equal(verdict.first_bad_step, native.first_bad_step);
  assert.equal(verdict.steps[verdict.first_bad_step].reason, native.steps[native.first_bad_step].reason);
  // the flagged step is marked in text (not by colour alone) with its reason, and the status says it
  const flagged = await page.evaluate(() => {
    const root = document.getElementById('ex3').shadowRoot;
    const li = root.querySelector('li.step.first-bad');
    return { index: li?.dataset.index, text: li?.textContent ?? '', status: root.querySelector('[role="status"]').textContent };
  });
  assert.equal(Number(flagged.index), native.first_bad_step);
  assert.match(flagged.text, /First wrong step/);
  assert.match(flagged.status, /does not match the expected answer 38/);
  assert.deepEqual(errors, []);
  await screenshot(page, 'widget-exercise');
  assert.deepEqual(await seriousA11yViolations(page), [], 'no serious accessibility violations');
  assert.ok(await checkPhoneWidth(page, 'widget') <= 391, 'no sideways scrolling at 390 px');
  await page.close();
});
