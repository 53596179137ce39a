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

export class VerifierClient {
  constructor(workerUrl = new URL('./worker.js', import.meta.url)) {
    this.worker = makeWorker(workerUrl);
    this.pending = new Map();
    this.nextId = 1;
    this.worker.onmessage = (ev) => {
      const m = ev.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') {
        p.onProgress?.(m);
        return;
      }
      this.pending.delete(m.id);
      if (m.type === 'result') p.resolve(m.value);
      else p.reject(new VerifierError(m.kind || 'Error', m.message));
    };
    this.worker.onerror = (ev) => {
      const err = new VerifierError('WorkerError', `the verifier worker failed: ${ev.message || 'could not start'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  call(type, payload = {}, onProgress) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ id, type, ...payload });
    });
  }

  /**
   * Load the model files from `base` (a URL folder). backend: 'auto' | 'webgpu' | 'cpu'.
   * onProgress({file, loaded, total, fraction, cached}) for every chunk of every file, the wasm
   * module included; `fraction` is the share of all bytes.
   */
  load(base, { backend = 'auto', onProgress } = {}) {
    return this.call('load', { base: new URL(base, globalThis.location?.href).href, backend }, onProgress);
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

  split(solution) {
    return this.call('split', { solution });
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
    return {
      push: (step) => this.call('push', { session, step }),
      verdict: (o = {}) => this.call('verdict', { session, ...o }),
      end: () => this.call('end', { session }),
    };
  }

  /** Stop the worker (the model with it). */
  terminate() {
    this.worker.terminate();
  }
}
