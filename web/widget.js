// <step-verifier> — an embeddable verifier for educators. One module script:
//   <script type="module" src=".../web/widget.js"></script>
//
// A worked solution to check (the element's text, or the `solution` attribute):
//   <step-verifier problem="What is 17 x 4?" threshold="0.5">17 x 4 = 58
//   So the answer is 58.</step-verifier>
//
// An exercise (no solution given): the student writes steps in a text area inside the widget;
// every completed line is verified as it is written, and the first wrong step is marked with the
// reason. With `answer` (and optionally `reference`) the verifier knows the exercise's answer:
//   <step-verifier problem="A baker makes 17 trays of 4 cookies and sells 30. How many are left?"
//                  answer="38" reference="17 * 4 = 68 cookies. 68 - 30 = 38."></step-verifier>
// Anything in the page's HTML, `answer` and `reference` included, is visible to a student who
// opens the page source.
//
// Attributes: problem, answer, reference, threshold (default: the model's), model (base URL of
// the model files; default: the shipped model beside this script), solution.
// Fires `verdict` (detail: the verdict object) or `verdict-error` (detail: {message}).
import { VerifierClient } from './client.js';
import { setMath, renderSteps, katexCss, answerCheckText, el, REASONS, TRUST_TEXT } from './render.js';

const DEFAULT_MODEL = new URL('../models/verifier/', import.meta.url).href;
const STYLE = new URL('./style.css', import.meta.url).href;
const shared = new Map(); // model URL -> {client, ready, listeners}

// Every widget of a page shares one worker (and one copy of the model) per model URL; the
// download's progress goes to all of them.
function clientFor(model, listener, onRestart) {
  if (!shared.has(model)) {
    const client = new VerifierClient(new URL('./worker.js', import.meta.url));
    const listeners = new Set();
    const ready = client.load(model, { onProgress: (p) => listeners.forEach((f) => f(p)) });
    // a load that failed is tried again by the next widget run, not kept
    ready.catch(() => { if (shared.get(model)?.ready === ready) { shared.delete(model); client.terminate(); } });
    shared.set(model, { client, ready, listeners });
  }
  const entry = shared.get(model);
  if (listener) entry.listeners.add(listener);
  if (onRestart) entry.client.addEventListener('restart', onRestart);
  return entry;
}

// Chromium ignores @font-face inside a shadow root: KaTeX's fonts are declared in the document.
function declareFonts() {
  if (document.querySelector('link[data-step-verifier-fonts]')) return;
  const link = el('link', { rel: 'stylesheet', href: katexCss });
  link.dataset.stepVerifierFonts = '';
  document.head.append(link);
}


/** The completed lines of a text area: every non-empty line, the last only when `all`. */
function completedLines(text, all) {
  const lines = text.split('\n');
  if (!all) lines.pop(); // the line being typed
  return lines.map((l) => l.trim()).filter((l) => l.length > 0);
}

class StepVerifier extends HTMLElement {
  static observedAttributes = ['problem', 'threshold', 'solution', 'model', 'answer', 'reference'];

  /**
   * What the page's widgets hold: one entry per model URL (one worker each, shared by every
   * widget of that model) with its worker's stats ({wasmBytes, sessions, loaded}) and restarts.
   */
  static async stats() {
    return Promise.all([...shared].map(async ([model, { client }]) => ({ model, restarts: client.restarts, ...(await client.stats()) })));
  }

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    for (const href of [katexCss, STYLE]) root.append(el('link', { rel: 'stylesheet', href }));
    this.box = el('div');
    this.box.setAttribute('part', 'box');
    this.box.style.cssText = 'border:1px solid #d5d9e0;border-radius:8px;padding:.6rem .8rem;background:#fff;max-width:100%;box-sizing:border-box';
    this.problemView = el('div', { class: 'problem' });
    this.editor = el('div', { class: 'exercise' });
    const id = `sv-${Math.random().toString(36).slice(2)}`;
    const label = el('label', { for: id }, 'Your solution, one step per line (Enter ends a step; Ctrl+Enter checks the whole solution)');
    this.input = el('textarea', { id, rows: '6', spellcheck: 'false' });
    this.input.style.cssText = 'width:100%;box-sizing:border-box;font:inherit';
    this.check = el('button', { type: 'button' }, 'Check my solution');
    this.editor.append(label, this.input, this.check);
    this.list = el('ol', { class: 'steps' });
    this.progress = el('progress', { max: '1', value: '0', hidden: '' });
    this.progress.setAttribute('aria-label', 'downloading the verifier');
    this.progress.style.width = '100%';
    this.summary = el('div', { class: 'status' });
    this.summary.setAttribute('role', 'status');
    this.summary.setAttribute('aria-live', 'polite');
    this.summary.style.color = '#333';
    this.error = el('div', { class: 'error' });
    this.error.setAttribute('role', 'alert');
    const trust = el('details');
    trust.append(el('summary', {}, 'How far to trust this?'), el('p', {}, TRUST_TEXT));
    trust.style.fontSize = '0.85rem';
    this.box.append(this.problemView, this.editor, this.list, this.progress, this.summary, this.error, trust);
    this.onProgress = (p) => {
      this.progress.hidden = p.fraction >= 1;
      this.progress.value = p.fraction;
      this.summary.textContent = `${p.cached ? 'loading' : 'downloading'} the verifier: ${Math.round(100 * p.fraction)}%`;
    };
    this.notice = el('div', { class: 'notice' });
    this.notice.style.cssText = 'font-size:.85rem;color:#555';
    this.box.insertBefore(this.notice, trust);
    // the shared worker died and a fresh one took over: say so (a verdict being made is made again)
    this.onRestart = (e) => {
      this.notice.textContent = `The verifier stopped (${e.detail.reason}) and was restarted.`;
    };
    root.append(this.box);
    this.pending = null;
    this.run = 0;
    this.session = null; // exercise mode: {problem, options, pushed: [lines], handle}
    this.queue = Promise.resolve();
    this.input.addEventListener('input', () => this.onType(false));
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); this.onType(true); }
    });
    this.check.addEventListener('click', () => this.onType(true));
  }

  get exerciseMode() {
    return this.getAttribute('solution') === null && !(this.textContent || '').trim();
  }

  connectedCallback() {
    declareFonts();
    this.schedule();
  }

  attributeChangedCallback() {
    if (this.isConnected) this.schedule();
  }

  schedule() {
    // Batch attribute changes made together into one run.
    if (this.pending) return;
    this.pending = Promise.resolve().then(() => {
      this.pending = null;
      return this.exerciseMode ? this.resetExercise() : this.verify();
    });
  }

  settings() {
    // the threshold is checked where every threshold is: in the decision layer (Rust)
    const thresholdAttr = this.getAttribute('threshold');
    const threshold = thresholdAttr === null ? undefined : Number(thresholdAttr);
    return {
      problem: this.getAttribute('problem') ?? '',
      model: new URL(this.getAttribute('model') || DEFAULT_MODEL, document.baseURI).href,
      options: {
        threshold,
        answer: this.getAttribute('answer') || undefined,
        reference: this.getAttribute('reference') || undefined,
      },
    };
  }

  show(verdict, backend) {
    renderSteps(this.list, verdict.steps, verdict.first_bad_step, verdict.threshold);
    const parts = [];
    if (verdict.answer_check) parts.push(answerCheckText(verdict.answer_check));
    if (verdict.first_bad_step === null) {
      parts.push(verdict.steps.length ? 'no wrong step found' : '');
    } else {
      const reason = verdict.steps[verdict.first_bad_step].reason;
      parts.push(`first wrong step: step ${verdict.first_bad_step + 1} — ${REASONS[reason] || reason}`);
    }
    parts.push(`PRM ${verdict.prm_score.toFixed(3)} · ORM ${verdict.orm_score.toFixed(3)} · ${backend}`);
    this.summary.textContent = parts.filter(Boolean).join(' · ');
    this.verdict = verdict;
    this.dispatchEvent(new CustomEvent('verdict', { detail: verdict, bubbles: true, composed: true }));
  }

  fail(e) {
    this.summary.textContent = '';
    this.error.textContent = e.message;
    this.dispatchEvent(new CustomEvent('verdict-error', { detail: { message: e.message }, bubbles: true, composed: true }));
  }

  // A worked solution: verify it whole.
  async verify() {
    const run = ++this.run;
    this.editor.hidden = true;
    const solution = this.getAttribute('solution') ?? this.textContent ?? '';
    this.error.textContent = '';
    this.summary.textContent = 'loading the verifier…';
    try {
      const { problem, model, options } = this.settings();
      setMath(this.problemView, problem);
      const { client, ready } = clientFor(model, this.onProgress, this.onRestart);
      const info = await ready;
      this.progress.hidden = true;
      this.summary.textContent = 'verifying…';
      // a worker that died on the way is replaced: ask once more
      const { verdict } = await client.scoreSolution(problem, solution, options)
        .catch((e) => (e.kind === 'WorkerError' ? client.scoreSolution(problem, solution, options) : Promise.reject(e)));
      if (run !== this.run) return; // superseded by a newer run
      this.show(verdict, info.backend);
    } catch (e) {
      if (run === this.run) this.fail(e);
    }
  }

  // An exercise: a fresh text area; steps are streamed as they are completed.
  async resetExercise() {
    ++this.run;
    this.editor.hidden = false;
    this.error.textContent = '';
    this.list.replaceChildren();
    this.summary.textContent = 'write your solution, one step per line';
    try {
      const { problem } = this.settings();
      setMath(this.problemView, problem);
    } catch (e) {
      this.fail(e);
    }
    await this.closeSession();
    if (this.input.value.trim()) this.onType(false);
  }

  async closeSession() {
    const s = this.session;
    this.session = null;
    if (s) await s.handle.end().catch(() => {});
  }

  // Steps are pushed in order, one change at a time.
  onType(all) {
    const run = this.run;
    this.queue = this.queue
      .then(() => this.sync(all, run))
      // the worker died (its sessions with it): once more, on the fresh one, from the first step
      .catch((e) => (e.kind === 'WorkerError' && run === this.run ? this.sync(all, run) : Promise.reject(e)))
      .catch((e) => { if (run === this.run) this.fail(e); });
  }

  async sync(all, run) {
    const lines = completedLines(this.input.value, all);
    const { problem, model, options } = this.settings();
    const { client, ready } = clientFor(model, this.onProgress, this.onRestart);
    if (!this.session) this.summary.textContent = 'loading the verifier…';
    const info = await ready;
    this.progress.hidden = true;
    if (run !== this.run) return;
    // an edit above the last pushed step: start again
    const s = this.session;
    const extends_ = s && s.pushed.every((l, i) => lines[i] === l) && lines.length >= s.pushed.length;
    if (!extends_) {
      await this.closeSession();
      if (!lines.length) { this.list.replaceChildren(); return; }
      const handle = await client.start(problem, options);
      if (run !== this.run) { await handle.end().catch(() => {}); return; } // the exercise changed meanwhile
      this.session = { pushed: [], handle };
    }
    this.error.textContent = '';
    let verdict = null;
    for (const line of lines.slice(this.session.pushed.length)) {
      this.summary.textContent = `checking step ${this.session.pushed.length + 1}…`;
      try {
        verdict = await this.session.handle.push(line);
      } catch (e) {
        this.session = null; // the next change starts a fresh session
        throw e;
      }
      this.session.pushed.push(line);
      if (run !== this.run) return;
      this.show(verdict, info.backend);
    }
    if (all && this.session.pushed.length) {
      const final = await this.session.handle.verdict({ final: true }).catch((e) => {
        this.session = null; // the next try starts a fresh session
        throw e;
      });
      this.show(final, info.backend);
    }
  }
}

if (!customElements.get('step-verifier')) customElements.define('step-verifier', StepVerifier);
