// The calibration view: what the step threshold trades, from the model's stored evaluation
// (`metrics` in its config.json, written by `prm eval --update-model`). Two small SVG charts:
// F1 / flag rate / exact first error against the threshold (ProcessBench, the product's judge:
// model + arithmetic checks), and the reliability diagram of the step scores (PRM800K test).

const NS = 'http://www.w3.org/2000/svg';
const W = 320;
const H = 200;
const PAD = { l: 34, r: 8, t: 8, b: 28 };

function svgEl(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const x = (v) => PAD.l + v * (W - PAD.l - PAD.r);
const y = (v) => H - PAD.b - v * (H - PAD.t - PAD.b);

/** Axes from 0 to 1 on both sides, with labels. */
function frame(svg, xLabel, yLabel) {
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.replaceChildren();
  svg.append(svgEl('rect', { x: PAD.l, y: PAD.t, width: W - PAD.l - PAD.r, height: H - PAD.t - PAD.b, fill: 'none', stroke: '#999' }));
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(svgEl('text', { x: x(t), y: H - PAD.b + 12, 'font-size': 9, 'text-anchor': 'middle' }, t.toFixed(2)));
    svg.append(svgEl('text', { x: PAD.l - 3, y: y(t) + 3, 'font-size': 9, 'text-anchor': 'end' }, t.toFixed(2)));
  }
  svg.append(svgEl('text', { x: (PAD.l + W - PAD.r) / 2, y: H - 3, 'font-size': 10, 'text-anchor': 'middle' }, xLabel));
  svg.append(svgEl('text', { x: 10, y: (PAD.t + H - PAD.b) / 2, 'font-size': 10, 'text-anchor': 'middle', transform: `rotate(-90 10 ${(PAD.t + H - PAD.b) / 2})` }, yLabel));
}

function line(svg, pts, color, dash) {
  const d = pts.map(([a, b], i) => `${i ? 'L' : 'M'}${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ');
  svg.append(svgEl('path', { d, fill: 'none', stroke: color, 'stroke-width': 1.8, ...(dash ? { 'stroke-dasharray': '4 3' } : {}) }));
}

/** The curves of the sweep: mean over the subsets of each figure, and GSM8K's F1. */
export function sweepCurves(sweep) {
  const mean = (row, f) => {
    const subs = Object.values(row.subsets);
    return subs.reduce((a, s) => a + f(s), 0) / Math.max(1, subs.length);
  };
  return {
    f1Gsm8k: sweep.filter((r) => r.subsets.gsm8k).map((r) => [r.threshold, r.subsets.gsm8k.f1]),
    f1: sweep.map((r) => [r.threshold, r.average_f1]),
    flagged: sweep.map((r) => [r.threshold, mean(r, (s) => 1 - s.acc_correct)]),
    exact: sweep.map((r) => [r.threshold, mean(r, (s) => s.acc_erroneous)]),
  };
}

/** The sweep's row nearest to `threshold`. */
export function nearestRow(sweep, threshold) {
  return sweep.reduce((best, r) => (Math.abs(r.threshold - threshold) < Math.abs(best.threshold - threshold) ? r : best), sweep[0]);
}

const SERIES = [
  ['f1Gsm8k', 'F1, GSM8K', '#1f6feb', false],
  ['f1', 'F1, mean of 4 subsets', '#1f6feb', true],
  ['flagged', 'correct solutions flagged', '#c2410c', false],
  ['exact', 'wrong solutions: exact first error', '#15803d', false],
];

/** Draw F1 and flag rates against the threshold, the current one marked. */
export function drawSweep(svg, sweep, threshold) {
  frame(svg, 'step threshold', 'share');
  const curves = sweepCurves(sweep);
  for (const [key, , color, dash] of SERIES) if (curves[key].length) line(svg, curves[key], color, dash);
  svg.append(svgEl('line', { x1: x(threshold), x2: x(threshold), y1: y(0), y2: y(1), stroke: '#111', 'stroke-width': 1.5, class: 'current' }));
}

/** Draw the reliability diagram: observed frequency against mean predicted score per bin. */
export function drawReliability(svg, bins) {
  frame(svg, 'predicted step score', 'observed correct');
  line(svg, [[0, 0], [1, 1]], '#999', true);
  line(svg, bins.map(([p, f]) => [p, f]), '#1f6feb');
  const total = bins.reduce((a, b) => a + b[2], 0) || 1;
  for (const [p, f, n] of bins) {
    svg.append(svgEl('circle', { cx: x(p), cy: y(f), r: 2 + 6 * Math.sqrt(n / total), fill: '#1f6feb', 'fill-opacity': 0.5 }, undefined));
  }
}

/** One line of what the threshold means at this position, in words. */
export function sweepText(sweep, threshold) {
  const r = nearestRow(sweep, threshold);
  const subs = Object.values(r.subsets);
  const pct = (v) => `${Math.round(100 * v)}%`;
  const flagged = subs.reduce((a, s) => a + 1 - s.acc_correct, 0) / subs.length;
  const exact = subs.reduce((a, s) => a + s.acc_erroneous, 0) / subs.length;
  const gsm = r.subsets.gsm8k ? `F1 ${(100 * r.subsets.gsm8k.f1).toFixed(1)} on GSM8K, ` : '';
  return `At ${r.threshold.toFixed(2)}: ${gsm}${(100 * r.average_f1).toFixed(1)} on average; ` +
    `${pct(flagged)} of correct solutions get a flag, and the exact first wrong step is found in ` +
    `${pct(exact)} of wrong ones (ProcessBench, model + checks).`;
}

/** The legend, as list items of plain text. */
export function legend() {
  return SERIES.map(([, name, color, dash]) => ({ name, color, dash }));
}
