// The npm package as a web developer gets it: `npm pack` of pkg/, unpacked and served from one
// origin (a CDN), used by a page on another origin — loadVerifier with progress, a verdict equal
// to the native CLI's, the content-keyed cache, and the <step-verifier> widget.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launch, nativeVerdict, screenshot, ROOT, ARTIFACTS } from './harness.mjs';

let page_server, cdn, browser, dir;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'step-verifier-pkg-'));
  const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: join(ROOT, 'pkg'), encoding: 'utf8' }).trim().split('\n').pop();
  execFileSync('tar', ['xzf', join(dir, tgz), '-C', dir]);
  cdn = await startServer(dir);
  page_server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  cdn?.stop();
  page_server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const PROBLEM = 'A baker makes 17 trays of cookies with 4 cookies on each tray. She sells 30 cookies. How many cookies are left?';
const STEPS = ['The baker makes 17 * 4 = 58 cookies.', 'After selling 30 cookies, she has 58 - 30 = 28 cookies left.', 'The answer is 28.'];

test('the packed package verifies a solution in a page on another origin', { timeout: 400_000 }, async () => {
  const pkg = JSON.parse(readFileSync(join(dir, 'package', 'package.json'), 'utf8'));
  const cargo = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8').match(/\[workspace\.package\][^[]*?version = "([^"]+)"/)[1];
  assert.equal(pkg.version, cargo, 'the package version is the crates\' version');
  for (const f of ['index.js', 'index.d.ts', 'widget.js', 'worker.js', 'verifier_wasm_bg.wasm', 'cpu/verifier_wasm_bg.wasm', 'cpu/verifier_wasm.js', 'models/verifier/model.bpk', 'README.md', 'LICENSE-MIT', 'LICENSE-APACHE']) {
    assert.ok(pkg.files.some((p) => f === p || f.startsWith(p)), `${f} is in the package`);
  }
  const base = `${cdn.url.replace('127.0.0.1', 'localhost')}package/`; // another origin than the page's
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  writeFileSync(join(ARTIFACTS, 'package-page.html'), `<!doctype html><meta charset="utf-8"><title>package test</title>
<body><h1>A page on another origin</h1>
<step-verifier id="w" problem="${PROBLEM}">${STEPS.join('\n')}</step-verifier>
<script type="module">
const base = new URLSearchParams(location.search).get('pkg');
window.verdicts = {};
document.addEventListener('verdict', (e) => { window.verdicts[e.target.id] = e.detail; });
const s = document.createElement('script'); s.type = 'module'; s.src = base + 'widget.js'; document.head.append(s);
const api = await import(base + 'index.js');
window.progress = [];
try {
  const v = await api.loadVerifier(undefined, { backend: 'cpu', onProgress: (p) => window.progress.push(p) });
  const { verdict } = await v.score(${JSON.stringify(PROBLEM)}, ${JSON.stringify(STEPS)}, { answer: '38' });
  const bad = await v.score('', ['x']).catch((e) => ({ kind: e.kind, message: e.message }));
  window.result = { verdict, info: v.info, bad, cached: await api.hasModelInCache() };
} catch (e) {
  window.result = { error: e.message, kind: e.kind };
}
</script>`);
  await page.goto(`${page_server.url}test-artifacts/package-page.html?pkg=${encodeURIComponent(base)}`);
  await page.waitForFunction(() => window.result, null, { timeout: 300_000 });
  const r = await page.evaluate(() => window.result);
  assert.equal(r.error, undefined, `loadVerifier failed: ${r.error}`);
  const native = nativeVerdict({ problem: PROBLEM, steps: STEPS, answer: '38' });
  assert.equal(r.verdict.first_bad_step, native.first_bad_step);
  assert.deepEqual(r.verdict.answer_check, native.answer_check);
  r.verdict.steps.forEach((s, i) => assert.ok(Math.abs(s.score - native.steps[i].score) < 1e-3));
  assert.equal(r.info.build, 'cpu', "backend 'cpu' loads the CPU-only module");
  assert.equal(r.bad.kind, 'BadInputError', 'errors cross the worker with their kind');
  assert.equal(r.cached, true, 'the model is in the cache once loaded');
  // progress over every byte, the wasm module included, ending at the whole
  const progress = await page.evaluate(() => window.progress);
  const files = new Set(progress.map((p) => p.file));
  for (const f of ['verifier_wasm_bg.wasm', 'tokenizer.json', 'model.bpk']) assert.ok(files.has(f), `progress for ${f}`);
  assert.equal(progress[progress.length - 1].fraction, 1);
  assert.ok(progress.every((p, i) => i === 0 || p.fraction >= progress[i - 1].fraction), 'the fraction never goes back');
  // the widget from the other origin renders the same first bad step
  await page.waitForFunction(() => window.verdicts.w, null, { timeout: 240_000 });
  const free = nativeVerdict({ problem: PROBLEM, solution: STEPS.join('\n') });
  assert.equal(await page.evaluate(() => window.verdicts.w.first_bad_step), free.first_bad_step);
  const fonts = await page.evaluate(() => document.querySelectorAll('link[data-step-verifier-fonts]').length);
  assert.equal(fonts, 1, 'KaTeX fonts declared in the document once');
  assert.deepEqual(errors, []);
  await screenshot(page, 'package-cross-origin');
  await page.close();
});
