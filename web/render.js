// Rendering shared by the pages and the widget. Untrusted text only ever goes through
// textContent; math is typeset by KaTeX with trust off.
import renderMathInElement from './vendor/katex/contrib/auto-render.mjs';

const KATEX_OPTIONS = {
  delimiters: [
    { left: '$$', right: '$$', display: true },
    { left: '\\[', right: '\\]', display: true },
    { left: '\\(', right: '\\)', display: false },
    { left: '$', right: '$', display: false },
  ],
  throwOnError: false,
  trust: false,
  strict: 'ignore',
  maxExpand: 200,
  maxSize: 20,
};

export const katexCss = new URL('./vendor/katex/katex.min.css', import.meta.url).href;

// "It costs $25 per hour and $3 per mile" is money, not math. Single-`$` math is turned off when
// the dollars do not pair up, or when a would-be formula between two of them reads like prose.
function dollarsAreMoney(text) {
  const parts = text.split(/(?<!\\)\$/);
  if (parts.length % 2 === 0) return true; // odd number of unescaped `$`
  for (let i = 1; i < parts.length; i += 2) {
    if (!parts[i].includes('\\') && /[A-Za-z]{3,}\s+[A-Za-z]{3,}/.test(parts[i])) return true;
  }
  return false;
}

/** Put `text` into `el` as text, then typeset the math in it. */
export function setMath(el, text) {
  el.textContent = text;
  const options = dollarsAreMoney(text)
    ? { ...KATEX_OPTIONS, delimiters: KATEX_OPTIONS.delimiters.filter((d) => d.left !== '$') }
    : KATEX_OPTIONS;
  try {
    renderMathInElement(el, options);
  } catch {
    el.textContent = text; // leave the plain text if typesetting fails
  }
}

/**
 * A formula too wide for its step scrolls inside it; such a scrolling formula is made reachable by
 * keyboard (a tab stop) and named, so that it can be scrolled without a mouse. Call once the
 * elements are laid out.
 */
export function markScrollableMath(root) {
  for (const m of root.querySelectorAll('.katex-display, .text .katex:not(.katex-display .katex)')) {
    if (m.scrollWidth > m.clientWidth + 1) {
      m.setAttribute('tabindex', '0');
      m.setAttribute('role', 'region');
      m.setAttribute('aria-label', 'formula, scrolls sideways');
    }
  }
}

/** Colour for a probability: red (0) through amber to green (1). */
export function scoreColor(p) {
  const hue = Math.round(120 * Math.max(0, Math.min(1, p)));
  return `hsl(${hue} 70% 88%)`;
}

export function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * The arithmetic checks of a step as a list: "17 × 4 = 58 ✗ — 68" for a false claim (the step is
 * wrong whatever the model says), "3 + 4 = 7 ✓" for a true one. Plain text only.
 */
export function renderChecks(checks) {
  const ul = el('ul', { class: 'checks' });
  for (const c of checks) {
    const li = el('li', { class: c.holds ? 'check ok' : 'check bad' });
    li.textContent = c.holds ? `${c.claim} ✓` : `${c.claim} ✗ — ${c.expected}`;
    if (!c.holds) li.title = 'arithmetic error: checked exactly, not guessed by the model';
    ul.append(li);
  }
  return ul;
}

/** Why a step is flagged, in plain words for a student. */
export const REASONS = {
  false_claim: 'a calculation in this step is wrong (checked exactly)',
  low_score: 'the model doubts this step (a model\'s judgement, not a proof)',
  diverges_from_reference: 'this step uses a number that neither the problem nor the worked solution has',
  wrong_final_answer: 'the final answer is wrong, and this is the step the model trusts least',
};

/** How far to trust a verdict, in plain words for a student (measured: README, "How far to trust it"). */
export const TRUST_TEXT = 'A flag that says a calculation is wrong was checked exactly: it is certain. ' +
  '"The model doubts this step" is a hint from a small model, not a proof: on a benchmark of wrong ' +
  'solutions it points at the exact first wrong step only 17–29% of the time, and it also flags some ' +
  'right steps. Told the expected answer, it almost never flags a solution whose answer is right ' +
  '(97% pass), and always names a step in one whose answer is wrong — the exact first error in ' +
  '28–50% of cases. No flag is no proof that a solution is right.';

/** The answer check of exercise mode as one line of text (or '' without one). */
export function answerCheckText(check) {
  if (!check) return '';
  const found = check.found === null ? 'no final answer yet' : `final answer ${check.found}`;
  const verdict = check.matches === true ? 'matches' : check.matches === false ? 'does not match' : 'cannot be compared with';
  return `${found} — ${verdict} the expected answer ${check.expected}`;
}

/**
 * Render a list of scored steps into `list` (an <ol>): `steps` is [{text, score?, step_score?,
 * model_score?, checks?}] (a verdict's steps), `firstBad` the index of the first step whose step
 * score is below the threshold (or null). The badge shows the step score (what the threshold
 * applies to) over the score after the step.
 */
export function renderSteps(list, steps, firstBad, threshold) {
  list.replaceChildren();
  steps.forEach((s, i) => {
    const li = el('li', { class: 'step', 'data-index': String(i) });
    const scored = s.step_score !== undefined;
    const badge = el('span', { class: 'badge' });
    badge.append(el('span', { class: 'score' }, scored ? s.step_score.toFixed(3) : '…'));
    if (scored) {
      Object.assign(li.dataset, { score: String(s.score), stepScore: String(s.step_score) });
      badge.append(el('span', { class: 'after' }, `after ${s.score.toFixed(2)}`));
      badge.title = `step score ${s.step_score.toFixed(3)}: this step's own evidence; ` +
        `${s.score.toFixed(3)}: probability that the reasoning is still right after it`;
    }
    const body = el('div', { class: 'text' });
    setMath(body, s.text);
    li.append(badge, body);
    if (s.checks && s.checks.length) {
      body.append(renderChecks(s.checks));
      if (s.checks.some((c) => !c.holds)) {
        li.classList.add('arith-error');
        badge.title = `model score ${s.model_score?.toFixed(3)}; a false arithmetic claim makes the step wrong`;
      }
    }
    if (scored) {
      li.style.background = scoreColor(s.step_score);
    } else {
      li.classList.add('pending');
    }
    if (firstBad === i) {
      li.classList.add('first-bad');
      const why = REASONS[s.reason] || `its step score is below ${threshold.toFixed(2)}`;
      // said in text, not by colour alone
      body.prepend(el('strong', { class: 'flag' }, `First wrong step: ${why}. `));
      li.setAttribute('aria-label', `step ${i + 1}, first wrong step: ${why}`);
    }
    list.append(li);
  });
  if (list.isConnected) markScrollableMath(list);
}

/**
 * Load the model for one of the pages under web/ (`?model=URL/` and `?backend=` override the
 * defaults) and say so in its #status and #backend elements. Resolves to the load info.
 */
export async function loadForPage(client) {
  const params = new URLSearchParams(location.search);
  const info = await client.load(params.get('model') || '../models/verifier/', { backend: params.get('backend') || 'auto' });
  const status = document.getElementById('status');
  status.dataset.state = 'ready';
  status.textContent = 'model ready';
  document.getElementById('backend').textContent = `backend: ${info.backend} — ${info.adapter}`;
  return info;
}
