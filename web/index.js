// step-verifier: check step-by-step math solutions in the browser. A burn model (a process reward
// model) runs in a Web Worker on WebGPU or the CPU; this module is the page side.
//
//   import { loadVerifier } from 'step-verifier';
//   const v = await loadVerifier(undefined, { onProgress: (p) => bar.value = p.fraction });
//   const { verdict } = await v.scoreSolution(problem, solution, { answer: '38' });
//
// The widget: import 'step-verifier/widget' and write <step-verifier problem="…" answer="…">.
import { VerifierClient, VerifierError } from './client.js';

export { VerifierClient, VerifierError };

/** The model shipped with this package. */
export const DEFAULT_MODEL = new URL('../models/verifier/', import.meta.url).href;
const WORKER = new URL('./worker.js', import.meta.url);

/**
 * Load a model by URL (a folder with config.json, tokenizer.json, model.bpk) in a new worker.
 * `onProgress({file, loaded, total, fraction, cached})` reports every byte, the wasm module
 * included. Resolves to a loaded `VerifierClient` (its `info` says backend, adapter, timings).
 */
export async function loadVerifier(modelUrl = DEFAULT_MODEL, { backend = 'auto', onProgress } = {}) {
  const client = new VerifierClient(WORKER);
  try {
    client.info = await client.load(modelUrl, { backend, onProgress });
  } catch (e) {
    client.terminate();
    throw e;
  }
  return client;
}

async function withWorker(f) {
  const client = new VerifierClient(WORKER);
  try {
    return await f(client);
  } finally {
    client.terminate();
  }
}

/** Whether the model at `modelUrl` is in the browser's cache, every file intact. */
export function hasModelInCache(modelUrl = DEFAULT_MODEL) {
  return withWorker((c) => c.hasModelInCache(modelUrl));
}

/** Drop every cached copy of the model at `modelUrl`. Resolves to {deleted}. */
export function deleteModelInCache(modelUrl = DEFAULT_MODEL) {
  return withWorker((c) => c.deleteModelInCache(modelUrl));
}
