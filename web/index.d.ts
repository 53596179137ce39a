// Types of the step-verifier package (the page side; the verdict types come from the wasm build).
import type { Verdict, ScoreOptions, PushedVerdict, BestOfN, BestOfNCandidate, TreeWalk } from './verifier_wasm.js';
export type { Verdict, ScoreOptions, PushedVerdict, StepVerdict, AnswerCheck, FlagReason, Check, BestOfN, BestOfNCandidate, SelectMethod, TreeWalk, WalkEvent } from './verifier_wasm.js';

export type ErrorKind = 'BadInputError' | 'ModelError' | 'BackendError' | 'NetworkError' | 'WorkerError' | 'Error';

/** An error from the verifier: `kind` (also `name`) says whose it is to fix. */
export class VerifierError extends Error {
  kind: ErrorKind;
}

export interface LoadProgress { file: string; loaded: number; total: number; fraction: number; cached: boolean }

export interface LoadInfo {
  backend: 'webgpu' | 'cpu';
  adapter: string;
  probe: { backend: 'webgpu' | 'cpu'; ms: number }[];
  /** `auto` used the choice it measured earlier on this adapter (no probe this time). */
  remembered: boolean;
  threshold: number;
  config: unknown;
  initMs: number;
  cached: boolean;
  bytes: number;
  webgpu: boolean;
  /** The wasm module loaded: `full` (WebGPU and CPU) or `cpu` (CPU only, about a third of the bytes; loaded wherever WebGPU will not be used). */
  build: 'full' | 'cpu';
}

export interface Scored { verdict: Verdict; ms: number; backend: 'webgpu' | 'cpu'; note: string | null }

export interface StreamSession {
  /** Score one more step: the verdict over the steps so far, with this step's index. */
  push(step: string): Promise<PushedVerdict>;
  /** The verdict so far, decided again (no network pass); `final`: the solution is finished. */
  verdict(options?: { threshold?: number; aggregate?: 'product' | 'min' | 'last'; final?: boolean }): Promise<Verdict>;
  end(): Promise<boolean>;
}

/**
 * The page's handle on one verifier worker. A worker that dies is replaced on the next request
 * (the model loaded again from the cache) and a `restart` event says so; requests in flight fail
 * with a 'WorkerError', streaming sessions of the dead worker are gone.
 */
export class VerifierClient extends EventTarget {
  constructor(workerUrl?: string | URL);
  info?: LoadInfo;
  /** How many times the worker was replaced. */
  readonly restarts: number;
  load(base: string | URL, options?: { backend?: 'auto' | 'webgpu' | 'cpu'; onProgress?: (p: LoadProgress) => void }): Promise<LoadInfo>;
  score(problem: string, steps: string[], options?: ScoreOptions): Promise<Scored>;
  scoreSolution(problem: string, solution: string, options?: ScoreOptions): Promise<Scored>;
  rejudge(problem: string, verdict: Verdict, options?: ScoreOptions): Promise<Verdict>;
  start(problem: string, options?: ScoreOptions): Promise<StreamSession>;
  split(solution: string): Promise<string[]>;
  /** Best-of-N: every method's choice among candidates scored with `score`/`scoreSolution`
   * (`step_scores`: the verdict's step `score`s, `orm`: its `orm_score`); `answer`: the known one. */
  bestOfN(candidates: BestOfNCandidate[], answer?: string): Promise<BestOfN>;
  /** Step search over a tree of candidate steps: {problem, children: [{text, children?}]}. */
  searchTree(tree: string | { problem: string; children: unknown[] }, options?: { threshold?: number; maxVisits?: number }): Promise<TreeWalk>;
  hasModelInCache(base: string | URL): Promise<boolean>;
  deleteModelInCache(base: string | URL): Promise<{ deleted: number }>;
  clearCache(): Promise<{ cleared: boolean }>;
  /** What the worker holds: the wasm module's memory in bytes, open sessions, a loaded model. */
  stats(): Promise<{ wasmBytes: number; sessions: number; loaded: boolean }>;
  /** Stop the worker (the model with it); a later request starts a fresh one. */
  terminate(): void;
  addEventListener(type: 'restart', listener: (e: CustomEvent<{ reason: string; restarts: number }>) => void): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void;
}

/** The model shipped with the package. */
export const DEFAULT_MODEL: string;

/** Load a model by URL in a new worker, with progress over every byte (the wasm included). */
export function loadVerifier(
  modelUrl?: string | URL,
  options?: { backend?: 'auto' | 'webgpu' | 'cpu'; onProgress?: (p: LoadProgress) => void },
): Promise<VerifierClient>;

/** Whether the model at `modelUrl` is cached, every file intact. */
export function hasModelInCache(modelUrl?: string | URL): Promise<boolean>;

/** Drop every cached copy of the model at `modelUrl`. */
export function deleteModelInCache(modelUrl?: string | URL): Promise<{ deleted: number }>;
