// The model runs here, in a dedicated module worker; pages only post messages (see client.js).
// Protocol: {id, type, ...} in; {id, type: 'result', value} | {id, type: 'error', kind, message} |
// {id, type: 'progress', file, loaded, total, fraction, cached} out. `kind` is the error's class:
// 'BadInputError' (fix the request), 'ModelError' (the model files), 'BackendError' (the device),
// 'NetworkError' (a download), 'WorkerError' (the wasm module crashed: the reply carries
// `fatal: true` and the worker closes; the page's client starts a fresh one).
const CACHE_NAME = 'step-verifier-model-v2';
const MODEL_FILES = ['tokenizer.json', 'model.bpk'];
// Two builds of the wasm module: `full` (WebGPU and CPU) and `cpu` (CPU only, about a third of the
// bytes). The CPU build is loaded wherever WebGPU will not be used: backend 'cpu', no WebGPU
// adapter, or `auto` that chose the CPU on this adapter before.
const BUILDS = {
  full: { js: '../pkg/verifier_wasm.js', wasm: new URL('../pkg/verifier_wasm_bg.wasm', import.meta.url).href },
  cpu: { js: '../pkg/cpu/verifier_wasm.js', wasm: new URL('../pkg/cpu/verifier_wasm_bg.wasm', import.meta.url).href },
};

// The module in use: {build, ready: Promise<{wasm: its bindings, exports}>}, instantiated once
// (the full build replaces the CPU one when WebGPU is wanted later; never the other way round).
let module = null;
let loading = null; // the load in flight, if any
let verifier = null;
let loadedBytes = null; // kept to restart on the CPU if the GPU is lost
let fallbackNote = null;
const sessions = new Map();
let nextSession = 1;

class NetworkError extends Error {
  constructor(message) { super(message); this.name = 'NetworkError'; }
}

async function openCache() {
  try {
    return await caches.open(CACHE_NAME);
  } catch {
    return null; // no Cache API here (e.g. not a secure context): fetch every time
  }
}

async function get(url) {
  let resp;
  try {
    resp = await fetch(url, { cache: 'no-cache' });
  } catch (e) {
    throw new NetworkError(`cannot fetch ${url}: ${e.message}`);
  }
  if (!resp.ok) throw new NetworkError(`cannot fetch ${url}: HTTP ${resp.status}`);
  return resp;
}

/** Read a response's body, reporting every chunk. */
async function readBody(resp, report) {
  if (!resp.body) {
    const buf = new Uint8Array(await resp.arrayBuffer());
    report(buf.length);
    return buf;
  }
  const reader = resp.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    report(loaded);
  }
  const buf = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    buf.set(c, off);
    off += c.length;
  }
  return buf;
}

async function sha256(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Whether bytes are the file `config.json` describes (size, and SHA-256 where there is one). */
async function intact(bytes, digest) {
  if (!digest) return true;
  if (bytes.length !== digest.bytes) return false;
  return !crypto.subtle || (await sha256(bytes)) === digest.sha256;
}

/** The cache key of a model file: its URL and its content's digest (a new model at the same URL is fetched again). */
function cacheKey(url, digest) {
  return digest ? `${url}?sha256=${digest.sha256}` : url;
}

async function fetchConfig(base) {
  const url = new URL('config.json', base).href;
  const bytes = new Uint8Array(await (await get(url)).arrayBuffer());
  let config;
  try {
    config = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    const err = new Error(`${url} is not JSON: ${e.message}`);
    err.name = 'ModelError';
    throw err;
  }
  return { bytes, files: config.files || {} };
}

/**
 * Fetch the wasm module of `build` (none: the one instantiated serves) and the model files, from
 * the cache where they are intact, with progress over every byte: {file, loaded, total, fraction,
 * cached}.
 */
async function fetchAll(base, progress, cache, build) {
  const config = await fetchConfig(base);
  const wanted = MODEL_FILES.map((f) => ({ file: f, url: new URL(f, base).href, digest: config.files[f] }));
  if (build) wanted.unshift({ file: 'verifier_wasm_bg.wasm', url: BUILDS[build].wasm, wasm: true });
  // cached and intact, or to download: every download is started first, so that every size is
  // known before the first byte is counted
  for (const w of wanted) {
    const hit = !w.wasm && cache && (await cache.match(cacheKey(w.url, w.digest)));
    if (hit) {
      const bytes = new Uint8Array(await hit.arrayBuffer());
      if (await intact(bytes, w.digest)) {
        w.bytes = bytes;
        w.cached = true;
        continue;
      }
      await cache.delete(cacheKey(w.url, w.digest)); // cut short or damaged: fetch again
    }
    w.resp = await get(w.url);
    w.total = Number(w.resp.headers.get('content-length')) || w.digest?.bytes || 0;
  }
  const total = wanted.reduce((n, w) => n + (w.bytes ? w.bytes.length : w.total), 0);
  const done = new Map();
  const report = (w, loaded) => {
    done.set(w.file, loaded);
    const all = [...done.values()].reduce((a, b) => a + b, 0);
    progress({ file: w.file, loaded, total: w.bytes ? w.bytes.length : w.total, fraction: total ? Math.min(1, all / total) : 0, cached: !!w.cached });
  };
  for (const w of wanted) {
    if (w.bytes) { report(w, w.bytes.length); continue; }
    w.bytes = await readBody(w.resp, (n) => report(w, n));
    if (!(await intact(w.bytes, w.digest))) {
      throw new NetworkError(`${w.url} arrived damaged or cut short (${w.bytes.length} bytes, config.json says ${w.digest.bytes})`);
    }
  }
  const byName = Object.fromEntries(wanted.map((w) => [w.file, w]));
  return { cache, config, byName, wanted };
}

/** The WebGPU adapter's name (null without one): what `auto`'s choice is remembered for. */
async function adapterName() {
  try {
    const a = await navigator.gpu?.requestAdapter();
    if (!a) return null;
    const i = a.info || (a.requestAdapterInfo ? await a.requestAdapterInfo() : {});
    return [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ') || 'unnamed adapter';
  } catch {
    return null;
  }
}

const choiceKey = (adapter) => `https://step-verifier.invalid/auto-choice?adapter=${encodeURIComponent(adapter)}`;

/** Instantiate `build` from its bytes or URL, once; a failed start is forgotten (tried again next time). */
async function instantiate(build, bytes) {
  if (module?.build === build) return module.ready;
  const m = { build };
  m.ready = (async () => {
    const wasm = await import(BUILDS[build].js);
    const exports = await wasm.default({ module_or_path: bytes ?? BUILDS[build].wasm });
    return { wasm, exports };
  })();
  module = m;
  try {
    return await m.ready;
  } catch (e) {
    if (module === m) module = null;
    throw e;
  }
}

/**
 * The wasm module alone (no model): for the requests that only need its text functions. A load in
 * flight is waited for (it picks the module); with none, the CPU-only module serves.
 */
async function wasmModule() {
  if (!module && loading) await loading.catch(() => null);
  return module ? module.ready : instantiate('cpu');
}

async function loadModel(msg, progress) {
  const base = new URL(msg.base, msg.pageUrl || self.location.href);
  const cache = await openCache();
  // `auto` measures both backends once per adapter, then keeps its choice
  let backend = msg.backend || 'auto';
  const adapter = backend === 'auto' && cache ? await adapterName() : null;
  let remembered = false;
  if (adapter) {
    const hit = await cache.match(choiceKey(adapter));
    const choice = hit && (await hit.json().catch(() => null));
    if (choice?.backend === 'webgpu' || choice?.backend === 'cpu') {
      backend = choice.backend;
      remembered = true;
    }
  }
  // the module to fetch: the full one where WebGPU may be used, else the CPU-only one (none when
  // the one instantiated serves: the full module runs the CPU too)
  const hasGpu = !!self.navigator?.gpu;
  const gpuWanted = hasGpu && (backend === 'webgpu' || (backend === 'auto' && (adapter !== null || !cache)));
  const fetched = gpuWanted && module?.build !== 'full' ? 'full' : module ? null : 'cpu';
  const build = fetched ?? module.build;
  const { config, byName, wanted } = await fetchAll(base, progress, cache, fetched);
  const { wasm } = await instantiate(build, fetched && byName['verifier_wasm_bg.wasm'].bytes);
  const t0 = performance.now();
  let v;
  try {
    v = await wasm.Verifier.fromBytes(config.bytes, byName['tokenizer.json'].bytes, byName['model.bpk'].bytes, backend);
  } catch (e) {
    // never keep files that do not load (a crash of the module says nothing about the files)
    if (cache && !(e instanceof WebAssembly.RuntimeError)) for (const w of wanted) if (!w.wasm) await cache.delete(cacheKey(w.url, w.digest));
    throw e;
  }
  // cache only files that loaded, under their content's key
  if (cache) {
    for (const w of wanted) {
      if (!w.wasm && !w.cached) {
        await cache.put(cacheKey(w.url, w.digest), new Response(w.bytes, { headers: { 'content-type': 'application/octet-stream' } }));
      }
    }
  }
  if (adapter && !remembered && v.probe.length) {
    await cache.put(choiceKey(adapter), new Response(JSON.stringify({ backend: v.backend, probe: v.probe })));
  }
  if (verifier) verifier.free();
  verifier = v;
  loadedBytes = v.backend === 'webgpu' ? { config: config.bytes, tokenizer: byName['tokenizer.json'].bytes, weights: byName['model.bpk'].bytes } : null;
  fallbackNote = null;
  sessions.clear();
  const model = wanted.filter((w) => !w.wasm);
  return {
    backend: v.backend,
    adapter: v.adapter,
    probe: v.probe,
    remembered,
    threshold: v.threshold,
    config: v.config,
    initMs: performance.now() - t0,
    cached: model.every((w) => w.cached),
    bytes: config.bytes.length + model.reduce((n, w) => n + w.bytes.length, 0),
    webgpu: wasm.webgpuAvailable(),
    build,
  };
}

/** Whether every model file at `base` is in the cache, intact (config.json is fetched to know). */
async function hasModelInCache(msg) {
  const cache = await openCache();
  if (!cache) return false;
  const base = new URL(msg.base, msg.pageUrl || self.location.href);
  const { files } = await fetchConfig(base);
  for (const f of MODEL_FILES) {
    const url = new URL(f, base).href;
    const hit = await cache.match(cacheKey(url, files[f]));
    if (!hit || !(await intact(new Uint8Array(await hit.arrayBuffer()), files[f]))) return false;
  }
  return true;
}

/** Drop every cached copy of the model at `base` (any version). */
async function deleteModelInCache(msg) {
  const cache = await openCache();
  if (!cache) return { deleted: 0 };
  const base = new URL(msg.base, msg.pageUrl || self.location.href);
  const urls = MODEL_FILES.map((f) => new URL(f, base).href);
  let deleted = 0;
  for (const req of await cache.keys()) {
    const u = new URL(req.url);
    u.search = '';
    if (urls.includes(u.href) && (await cache.delete(req))) deleted++;
  }
  return { deleted };
}

/** Load a model (`loadModel`); `split` and `bestOfN` wait for it rather than start another module. */
async function load(msg, progress) {
  const p = loadModel(msg, progress);
  loading = p;
  try {
    return await p;
  } finally {
    if (loading === p) loading = null;
  }
}

// A WebGPU failure after loading (device lost, out of memory): restart on the CPU, once, however
// many requests failed together.
let fallingBack = null;
function fallBackToCpu(err) {
  if (fallingBack) return fallingBack;
  if (!verifier || verifier.backend !== 'webgpu' || !loadedBytes) return Promise.reject(err);
  fallingBack = (async () => {
    const { wasm } = await module.ready;
    const cpu = await wasm.Verifier.fromBytes(loadedBytes.config, loadedBytes.tokenizer, loadedBytes.weights, 'cpu');
    for (const s of sessions.values()) s.free();
    sessions.clear();
    verifier.free();
    verifier = cpu;
    loadedBytes = null;
    fallbackNote = `WebGPU failed (${err.message}); now on the CPU`;
  })().finally(() => { fallingBack = null; });
  return fallingBack;
}

function need() {
  if (!verifier) throw new Error('the model is not loaded yet');
  return verifier;
}

function session(id) {
  const s = sessions.get(id);
  if (!s) {
    const e = new Error(`no streaming session ${id}`);
    e.name = 'BadInputError';
    throw e;
  }
  return s;
}

// The options object of Verifier.score / scoreSolution / start: only the fields that are set.
function options(msg, keys = ['threshold', 'aggregate', 'answer', 'reference']) {
  const o = {};
  for (const k of keys) if (msg[k] !== undefined && msg[k] !== null && msg[k] !== '') o[k] = msg[k];
  return o;
}

// Only a device failure moves the work to the CPU; the error's kind says which it is.
const isGpuFailure = (e) => verifier?.backend === 'webgpu' && e?.name === 'BackendError';

const handlers = {
  load,
  hasModelInCache,
  deleteModelInCache,
  async score(msg) {
    const run = (v) => msg.steps
      ? v.score(msg.problem, msg.steps, options(msg))
      : v.scoreSolution(msg.problem, msg.solution, options(msg));
    const t0 = performance.now();
    let verdict;
    try {
      verdict = await run(need());
    } catch (e) {
      if (!isGpuFailure(e)) throw e;
      await fallBackToCpu(e);
      verdict = await run(need());
    }
    return { verdict, ms: performance.now() - t0, backend: verifier.backend, note: fallbackNote };
  },
  async searchTree(msg) {
    const tree = typeof msg.tree === 'string' ? msg.tree : JSON.stringify(msg.tree);
    return need().searchTree(tree, options(msg, ['threshold', 'maxVisits']));
  },
  async rejudge(msg) {
    return need().rejudge(msg.problem, msg.verdict, options(msg));
  },
  async start(msg) {
    const s = need().start(msg.problem, options(msg));
    const id = nextSession++;
    sessions.set(id, s);
    return { session: id };
  },
  async push(msg) {
    try {
      return await session(msg.session).push(msg.step);
    } catch (e) {
      if (!isGpuFailure(e)) throw e;
      await fallBackToCpu(e);
      const err = new Error(`${fallbackNote}: start the stream again`);
      err.name = 'BackendError';
      throw err;
    }
  },
  async verdict(msg) {
    return session(msg.session).verdict(options(msg, ['threshold', 'aggregate', 'final']));
  },
  async end(msg) {
    const s = sessions.get(msg.session);
    if (s) s.free();
    sessions.delete(msg.session);
    return true;
  },
  async split(msg) {
    return (await wasmModule()).wasm.splitSteps(msg.solution);
  },
  async bestOfN(msg) {
    return (await wasmModule()).wasm.bestOfN(msg.candidates, msg.answer || undefined);
  },
  async stats() {
    const exports = module ? (await module.ready.catch(() => null))?.exports : null;
    return { wasmBytes: exports?.memory?.buffer.byteLength ?? 0, sessions: sessions.size, loaded: verifier !== null };
  },
  async clearCache() {
    const had = await caches.delete(CACHE_NAME).catch(() => false);
    return { cleared: had };
  },
};

self.onmessage = async (ev) => {
  const msg = ev.data || {};
  const handler = handlers[msg.type];
  try {
    if (!handler) throw new Error(`unknown request ${msg.type}`);
    const value = await handler(msg, (p) => self.postMessage({ id: msg.id, type: 'progress', ...p }));
    self.postMessage({ id: msg.id, type: 'result', value });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof WebAssembly.RuntimeError) {
      // a trap (an abort, out of memory): the module's state cannot be trusted any more
      self.postMessage({ id: msg.id, type: 'error', kind: 'WorkerError', message: `the verifier crashed (${message})`, fatal: true });
      self.close();
      return;
    }
    const kind = e instanceof Error && e.name !== 'Error' ? e.name : 'Error';
    self.postMessage({ id: msg.id, type: 'error', kind, message });
  }
};
