// The model runs here, in a dedicated module worker; pages only post messages (see client.js).
// Protocol: {id, type, ...} in; {id, type: 'result', value} | {id, type: 'error', message} |
// {id, type: 'progress', ...} out.
import init, { Verifier, splitSteps, webgpuAvailable } from '../pkg/verifier_wasm.js';

const CACHE_NAME = 'step-verifier-model-v1';
const FILES = ['config.json', 'tokenizer.json', 'model.bpk'];
const ready = init({ module_or_path: new URL('../pkg/verifier_wasm_bg.wasm', import.meta.url) });

let verifier = null;
let loadedBytes = null; // kept to restart on the CPU if the GPU is lost
let fallbackNote = null;
const sessions = new Map();
let nextSession = 1;

async function openCache() {
  try {
    return await caches.open(CACHE_NAME);
  } catch {
    return null; // no Cache API here (e.g. not a secure context): fetch every time
  }
}

async function download(url, report) {
  let resp;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${url}: ${e.message}`);
  }
  if (!resp.ok) throw new Error(`cannot fetch ${url}: HTTP ${resp.status}`);
  const total = Number(resp.headers.get('content-length')) || 0;
  if (!resp.body) {
    const buf = new Uint8Array(await resp.arrayBuffer());
    report(buf.length, buf.length);
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
    report(loaded, total);
  }
  const buf = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    buf.set(c, off);
    off += c.length;
  }
  return buf;
}

async function load(msg, progress) {
  await ready;
  const base = new URL(msg.base, msg.pageUrl || self.location.href);
  const cache = await openCache();
  const bytes = {};
  const fromCache = {};
  for (const f of FILES) {
    const url = new URL(f, base).href;
    const hit = cache && (await cache.match(url));
    if (hit) {
      bytes[f] = new Uint8Array(await hit.arrayBuffer());
      fromCache[f] = true;
      progress({ file: f, loaded: bytes[f].length, total: bytes[f].length, cached: true });
    } else {
      bytes[f] = await download(url, (loaded, total) => progress({ file: f, loaded, total, cached: false }));
    }
  }
  const t0 = performance.now();
  let v;
  try {
    v = await Verifier.fromBytes(bytes['config.json'], bytes['tokenizer.json'], bytes['model.bpk'], msg.backend || 'auto');
  } catch (e) {
    // Never keep files that do not load.
    if (cache) for (const f of FILES) await cache.delete(new URL(f, base).href);
    throw e;
  }
  // Cache only files that loaded.
  if (cache) {
    for (const f of FILES) {
      if (!fromCache[f]) {
        await cache.put(new URL(f, base).href, new Response(bytes[f], { headers: { 'content-type': 'application/octet-stream' } }));
      }
    }
  }
  if (verifier) verifier.free();
  verifier = v;
  loadedBytes = v.backend === 'webgpu' ? bytes : null;
  fallbackNote = null;
  sessions.clear();
  return {
    backend: v.backend,
    adapter: v.adapter,
    probe: v.probe,
    threshold: v.threshold,
    config: v.config,
    initMs: performance.now() - t0,
    cached: FILES.every((f) => fromCache[f]),
    bytes: FILES.reduce((n, f) => n + bytes[f].length, 0),
    webgpu: webgpuAvailable(),
  };
}

// A WebGPU failure after loading (device lost, out of memory): restart on the CPU.
async function fallBackToCpu(err) {
  if (!verifier || verifier.backend !== 'webgpu' || !loadedBytes) throw err;
  const cpu = await Verifier.fromBytes(loadedBytes['config.json'], loadedBytes['tokenizer.json'], loadedBytes['model.bpk'], 'cpu');
  verifier.free();
  verifier = cpu;
  loadedBytes = null;
  sessions.clear();
  fallbackNote = `WebGPU failed (${err.message}); now on the CPU`;
}

function need() {
  if (!verifier) throw new Error('the model is not loaded yet');
  return verifier;
}

function session(id) {
  const s = sessions.get(id);
  if (!s) throw new Error(`no streaming session ${id}`);
  return s;
}

// Input errors are the user's to fix; anything else on WebGPU is treated as a device failure.
function isGpuFailure(e) {
  return verifier?.backend === 'webgpu' && !/^(bad input|bad options|tokenizer|model config|weights|the threshold|steps must|unknown aggregate|the session is busy|an earlier step|no steps)/.test(e.message);
}

// The options object of Verifier.score / scoreSolution / start: only the fields that are set.
function options(msg, keys = ['threshold', 'aggregate', 'answer', 'reference']) {
  const o = {};
  for (const k of keys) if (msg[k] !== undefined && msg[k] !== null && msg[k] !== '') o[k] = msg[k];
  return o;
}

const handlers = {
  load,
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
      throw new Error(`${fallbackNote}: start the stream again`);
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
    await ready;
    return splitSteps(msg.solution);
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
    self.postMessage({ id: msg.id, type: 'error', message });
  }
};
