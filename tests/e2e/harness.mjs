// Shared set-up of the browser tests: a local server for the repository, headless Chromium
// through playwright-core, and the native `prm` binary for reference verdicts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Serve `dir` (default: the repository) on a free port of 127.0.0.1. */
export async function startServer(dir = ROOT) {
  const port = await freePort();
  const proc = spawn('python3', [join(ROOT, 'scripts/serve.py'), String(port), dir], { env: { ...process.env, SERVE_QUIET: '1' }, stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => { if (String(d).includes('serving')) resolve(); });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, stop: () => proc.kill() };
}

export async function launch({ webgpu = true } = {}) {
  const args = [
    '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--disable-quic',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  else args.push('--disable-gpu', '--disable-webgpu');
  const userDataDir = mkdtempSync(join(tmpdir(), 'verifier-chromium-'));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args,
    viewport: { width: 1280, height: 900 },
  });
}

/** The native verdict (`prm score --json`) for a request object. */
export function nativeVerdict(request, extraArgs = []) {
  const r = spawnSync(join(ROOT, 'target/release/prm'), ['score', '--json', ...extraArgs], { input: JSON.stringify(request), cwd: ROOT });
  if (r.status !== 0) throw new Error(`prm score failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Accessibility check with axe-core (WCAG 2 A and AA rules, open shadow roots included): the
 * violations of serious or critical impact, as one line each.
 */
export async function seriousA11yViolations(page) {
  await page.addScriptTag({ path: join(ROOT, 'node_modules/axe-core/axe.min.js') });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return violations;
}

/** At a phone's width (390 px) nothing scrolls sideways; a screenshot is kept as an artifact. */
export async function checkPhoneWidth(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  await screenshot(page, `${name}-phone`);
  await page.setViewportSize({ width: 1280, height: 900 });
  return width;
}
