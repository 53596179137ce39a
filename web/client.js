// Page side of the verifier: posts messages to the worker that runs the model.
export class VerifierClient {
  constructor(workerUrl = new URL('./worker.js', import.meta.url)) {
    this.worker = new Worker(workerUrl, { type: 'module' });
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
      else p.reject(new Error(m.message));
    };
    this.worker.onerror = (ev) => {
      const err = new Error(`the verifier worker failed: ${ev.message || 'could not start'}`);
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

  /** Load the model files from `base` (a URL folder). backend: 'auto' | 'webgpu' | 'cpu'. */
  load(base, { backend = 'auto', onProgress } = {}) {
    return this.call('load', { base: new URL(base, location.href).href, backend }, onProgress);
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
}
