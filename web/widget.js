// <step-verifier> — an embeddable verifier for educators. One module script:
//   <script type="module" src=".../web/widget.js"></script>
//   <step-verifier problem="What is 17 x 4?" threshold="0.5">17 x 4 = 58
//   So the answer is 58.</step-verifier>
// Attributes: problem, threshold (default: the model's), model (base URL of the model files;
// default: the shipped model beside this script), solution (else the element's text content).
// Fires `verdict` (detail: the verdict object) or `verdict-error` (detail: {message}).
import { VerifierClient } from './client.js';
import { setMath, renderSteps, katexCss } from './render.js';

const DEFAULT_MODEL = new URL('../models/verifier/', import.meta.url).href;
const STYLE = new URL('./style.css', import.meta.url).href;
const shared = new Map(); // model URL -> {client, ready}

function clientFor(model) {
  if (!shared.has(model)) {
    const client = new VerifierClient(new URL('./worker.js', import.meta.url));
    shared.set(model, { client, ready: client.load(model) });
  }
  return shared.get(model);
}

class StepVerifier extends HTMLElement {
  static observedAttributes = ['problem', 'threshold', 'solution', 'model'];

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    for (const href of [katexCss, STYLE]) {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = href;
      root.append(link);
    }
    this.box = document.createElement('div');
    this.box.setAttribute('part', 'box');
    this.box.style.cssText = 'border:1px solid #d5d9e0;border-radius:8px;padding:.6rem .8rem;background:#fff';
    this.problemView = document.createElement('div');
    this.problemView.className = 'problem';
    this.list = document.createElement('ol');
    this.list.className = 'steps';
    this.summary = document.createElement('div');
    this.summary.className = 'status';
    this.summary.style.color = '#333';
    this.error = document.createElement('div');
    this.error.className = 'error';
    this.error.setAttribute('role', 'alert');
    this.box.append(this.problemView, this.list, this.summary, this.error);
    root.append(this.box);
    this.pending = null;
    this.run = 0;
  }

  connectedCallback() {
    this.schedule();
  }

  attributeChangedCallback() {
    if (this.isConnected) this.schedule();
  }

  schedule() {
    // Batch attribute changes made together into one scoring run.
    if (this.pending) return;
    this.pending = Promise.resolve().then(() => {
      this.pending = null;
      return this.verify();
    });
  }

  async verify() {
    const run = ++this.run;
    const problem = this.getAttribute('problem') ?? '';
    const solution = this.getAttribute('solution') ?? this.textContent ?? '';
    const thresholdAttr = this.getAttribute('threshold');
    const threshold = thresholdAttr === null ? undefined : Number(thresholdAttr);
    const model = new URL(this.getAttribute('model') || DEFAULT_MODEL, document.baseURI).href;
    this.error.textContent = '';
    this.summary.textContent = 'verifying…';
    setMath(this.problemView, problem);
    try {
      if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new Error('threshold must be between 0 and 1');
      const { client, ready } = clientFor(model);
      const info = await ready;
      const { verdict } = await client.scoreSolution(problem, solution, { threshold });
      if (run !== this.run) return; // superseded by a newer run
      renderSteps(this.list, verdict.steps, verdict.first_bad_step, verdict.threshold);
      const bad = verdict.first_bad_step === null ? 'no step score below the threshold' : `first step whose step score is below ${verdict.threshold.toFixed(2)}: step ${verdict.first_bad_step + 1}`;
      this.summary.textContent = `${bad} · PRM ${verdict.prm_score.toFixed(3)} · ORM ${verdict.orm_score.toFixed(3)} · ${info.backend}`;
      this.verdict = verdict;
      this.dispatchEvent(new CustomEvent('verdict', { detail: verdict, bubbles: true, composed: true }));
    } catch (e) {
      if (run !== this.run) return;
      this.summary.textContent = '';
      this.error.textContent = e.message;
      this.dispatchEvent(new CustomEvent('verdict-error', { detail: { message: e.message }, bubbles: true, composed: true }));
    }
  }
}

if (!customElements.get('step-verifier')) customElements.define('step-verifier', StepVerifier);
