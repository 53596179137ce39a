// Page side of the verifier: posts messages to the worker that runs the model.

/** An error from the verifier; `kind` (also its `name`) says whose it is to fix:
 * 'BadInputError' (the request), 'ModelError' (the model files), 'BackendError' (the device),
 * 'NetworkError' (a download), 'WorkerError' (the worker died). */
export class VerifierError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = kind;
    this.kind = kind;
  }
}

/**
 * A module worker from `url`, also when the script comes from another origin (a CDN): a worker
 * must be same-origin, so a same-origin blob worker imports the real module (which then fetches
 * the wasm and the model relative to its own URL).
 */
function makeWorker(url) {
  const u = new URL(url, globalThis.location?.href);
  if (!globalThis.location || u.origin === globalThis.location.origin) return new Worker(u, { type: 'module' });
  const src = `import ${JSON.stringify(u.href)};`;
  return new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
}

/** Requests that need the model loaded (after a restart, it is loaded again first). */
const NEEDS_MODEL = new Set(['score', 'rejudge', 'start', 'push', 'verdict', 'searchTree']);

/**
 * The page's handle on one verifier worker. A worker that dies (an uncaught error, a crash of the
 * wasm module) is replaced on the next request, and a `restart` event ({detail: {reason,
 * restarts}}) tells the page; the model is loaded again (from the browser's cache) before the next
 * request that needs it. The requests in flight when it died fail with a 'WorkerError';
 * streaming sessions are gone with it.
 */
export class VerifierClient extends EventTarget {
  constructor(workerUrl = new URL('./worker.js', import.meta.url)) {
    super();
    this.workerUrl = workerUrl;
    this.pending = new Map();
    this.nextId = 1;
    this.restarts = 0;
    this.loaded = null; // the arguments of the last successful load, to load again after a restart
    this.needsLoad = false;
    this.stopped = false;
    this.spawn();
  }

  spawn() {
    const worker = makeWorker(this.workerUrl);
    this.worker = worker;
    this.dead = null;
    worker.onmessage = (ev) => {
      const m = ev.data;
      const p = this.pending.get(m.id);
      if (p) {
        if (m.type === 'progress') {
          p.onProgress?.(m);
          return;
        }
        this.pending.delete(m.id);
        if (m.type === 'result') p.resolve(m.value);
        else p.reject(new VerifierError(m.kind || 'Error', m.message));
      }
      if (m.fatal) this.die(worker, m.message);
    };
    worker.onerror = (ev) => {
      ev.preventDefault?.();
      this.die(worker, `the verifier worker failed: ${ev.message || 'could not start'}`);
    };
  }

  /** The worker is gone: fail what it had, and replace it on the next request. */
  die(worker, reason) {
    if (worker !== this.worker || this.dead) return;
    this.dead = reason;
    worker.terminate();
    const err = new VerifierError('WorkerError', reason);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** A fresh worker in place of the dead one; the model is loaded again when next needed. */
  revive() {
    const reason = this.dead;
    this.spawn();
    if (this.stopped) { // stopped on purpose (`terminate`): a fresh start, not a restart
      this.stopped = false;
      return;
    }
    this.restarts += 1;
    this.needsLoad = this.loaded !== null;
    this.dispatchEvent(new CustomEvent('restart', { detail: { reason, restarts: this.restarts } }));
  }

  /** Load the model again in the fresh worker (once, however many requests wait for it). */
  reload() {
    if (!this.reloading) {
      this.reloading = this.post('load', this.loaded)
        .then(() => { this.needsLoad = false; }) // on failure: tried again by the next request
        .finally(() => { this.reloading = null; });
    }
    return this.reloading;
  }

  post(type, payload = {}, onProgress) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, type, ...payload });
    });
  }

  async call(type, payload = {}, onProgress) {
    if (this.dead) this.revive();
    if (this.needsLoad && NEEDS_MODEL.has(type)) await this.reload();
    return this.post(type, payload, onProgress);
  }

  /**
   * Load the model files from `base` (a URL folder). backend: 'auto' | 'webgpu' | 'cpu'.
   * onProgress({file, loaded, total, fraction, cached}) for every chunk of every file, the wasm
   * module included; `fraction` is the share of all bytes.
   */
  async load(base, { backend = 'auto', onProgress } = {}) {
    const args = { base: new URL(base, globalThis.location?.href).href, backend };
    this.needsLoad = false; // whatever was loaded before is replaced
    const info = await this.call('load', args, onProgress);
    this.loaded = args;
    return info;
  }

  /** What the worker holds: {wasmBytes (the wasm module's memory), sessions, loaded}. */
  stats() {
    return this.call('stats');
  }

  score(problem, steps, opts = {}) {
    return this.call('score', { problem, steps, ...opts });
  }

  scoreSolution(problem, solution, opts = {}) {
    return this.call('score', { problem, solution, ...opts });
  }

  /** The same verdict decided again with other options (e.g. {answer}); the model does not run again. */
  rejudge(problem, verdict, opts = {}) {
    return this.call('rejudge', { problem, verdict, ...opts });
  }

  /**
   * Step search over a tree of candidate steps ({problem, children: [{text, children}]}, an object
   * or its JSON): every path scored, then the walk by step score with backtracking.
   * `opts`: {threshold, maxVisits}. Resolves to {found, chosen, path, backtracks, events}.
   */
  searchTree(tree, opts = {}) {
    return this.call('searchTree', { tree, ...opts });
  }

  split(solution) {
    return this.call('split', { solution });
  }

  /**
   * Best-of-N: which candidate every method chooses. `candidates`: [{solution, step_scores, orm}]
   * (the text, and its verdict's step scores and `orm_score`); `answer`: the known answer, if any.
   * Resolves to {answers, correct, choices: [{method, name, index}], warnings}.
   */
  bestOfN(candidates, answer) {
    return this.call('bestOfN', { candidates, answer });
  }

  clearCache() {
    return this.call('clearCache');
  }

  hasModelInCache(base) {
    return this.call('hasModelInCache', { base: new URL(base, globalThis.location?.href).href });
  }

  deleteModelInCache(base) {
    return this.call('deleteModelInCache', { base: new URL(base, globalThis.location?.href).href });
  }

  /**
   * Start streaming; `opts`: {threshold, aggregate, answer, reference}. Returns {push(step) ->
   * the verdict so far with this step's index, verdict({threshold, aggregate, final}), end()}.
   */
  async start(problem, opts = {}) {
    const { session } = await this.call('start', { problem, ...opts });
    const worker = this.worker;
    // a session lives in the worker that started it: after a restart it is gone
    const inWorker = (type, payload) => (this.worker === worker && !this.dead
      ? this.call(type, { session, ...payload })
      : Promise.reject(new VerifierError('WorkerError', 'the verifier restarted: this streaming session is gone; start another')));
    return {
      push: (step) => inWorker('push', { step }),
      verdict: (o = {}) => inWorker('verdict', o),
      end: () => (this.worker === worker && !this.dead ? this.call('end', { session }) : Promise.resolve(true)),
    };
  }

  /** Stop the worker (the model with it); a later request starts a fresh one. */
  terminate() {
    this.die(this.worker, 'the verifier was stopped');
    this.loaded = null;
    this.needsLoad = false;
    this.stopped = true;
  }
}
