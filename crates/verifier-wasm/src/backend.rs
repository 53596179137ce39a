//! Backend choice: WebGPU through burn's wgpu backend, or burn's CPU backend compiled to wasm.
//! `auto` measures a small probe on both and keeps the faster; WebGPU that is missing, has no
//! adapter, or fails falls back to the CPU with the reason reported. Built without the `webgpu`
//! feature (pkg/cpu/), every choice runs on the CPU.

#[cfg(feature = "webgpu")]
use std::cell::RefCell;

use burn::prelude::*;
use verifier_core::ScoreRequest;
use wasm_bindgen::prelude::*;

use crate::engine::{Inner, js_err, load_scorer, now_ms, read_back};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    Auto,
    WebGpu,
    Cpu,
}

impl std::str::FromStr for BackendChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(BackendChoice::Auto),
            "webgpu" => Ok(BackendChoice::WebGpu),
            "cpu" => Ok(BackendChoice::Cpu),
            other => Err(format!("unknown backend {other:?} (auto, webgpu or cpu)")),
        }
    }
}

/// Whether this global scope has `navigator.gpu` (WebGPU must not even be tried without it).
#[wasm_bindgen(js_name = webgpuAvailable)]
pub fn webgpu_available() -> bool {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &"navigator".into())
        .ok()
        .filter(|n| !n.is_undefined() && !n.is_null())
        .and_then(|n| js_sys::Reflect::get(&n, &"gpu".into()).ok())
        .is_some_and(|g| !g.is_undefined() && !g.is_null())
}

#[cfg(feature = "webgpu")]
thread_local! {
    /// The WebGPU device is initialised once per page or worker.
    static WEBGPU: RefCell<Option<Result<(Device, String), String>>> = const { RefCell::new(None) };
}

/// The WebGPU device and its adapter's name, or why there is none.
async fn webgpu_device() -> Result<(Device, String), String> {
    if !webgpu_available() {
        return Err("WebGPU is not available in this browser (no navigator.gpu)".into());
    }
    start_webgpu().await
}

#[cfg(not(feature = "webgpu"))]
async fn start_webgpu() -> Result<(Device, String), String> {
    Err("no WebGPU adapter here (the CPU-only module was loaded)".into())
}

#[cfg(feature = "webgpu")]
async fn start_webgpu() -> Result<(Device, String), String> {
    if let Some(r) = WEBGPU.with(|w| w.borrow().clone()) {
        return r;
    }
    let r = match Device::wgpu_options()
        .graphics_api(burn::tensor::wgpu::WgpuBackend::WebGpu)
        .init_with_setup_async()
        .await
    {
        Ok((device, setup)) => {
            let info = setup.adapter.get_info();
            let name = if info.name.is_empty() {
                "WebGPU adapter".to_string()
            } else {
                info.name.clone()
            };
            Ok((
                device,
                format!("{name} ({})", info.driver_info).replace(" ()", ""),
            ))
        }
        Err(e) => Err(format!("WebGPU could not start: {e}")),
    };
    WEBGPU.with(|w| *w.borrow_mut() = Some(r.clone()));
    r
}

/// Time one probe score (after a warm-up run that compiles shaders and fills caches).
async fn probe_ms(scorer: &verifier_core::Scorer) -> Result<f64, JsValue> {
    let req = ScoreRequest::new(
        "A shop sells 12 boxes with 8 pens in each box. How many pens does it sell?".into(),
        vec![
            "12 * 8 = 96 pens are sold.".into(),
            "The answer is 96.".into(),
        ],
    )
    .map_err(js_err)?;
    let enc = scorer
        .encoder
        .encode(&req.problem, &req.steps)
        .map_err(js_err)?;
    read_back(scorer.probabilities(&enc)).await?;
    let t0 = now_ms();
    read_back(scorer.probabilities(&enc)).await?;
    Ok(now_ms() - t0)
}

pub(crate) async fn load(
    choice: BackendChoice,
    config: &[u8],
    tokenizer: &[u8],
    weights: Vec<u8>,
) -> Result<Inner, JsValue> {
    let cpu = |reason: String, weights: Vec<u8>| -> Result<Inner, JsValue> {
        Ok(Inner {
            scorer: load_scorer(config, tokenizer, weights, &Device::flex())?,
            backend: "cpu".into(),
            adapter: reason,
            probe: Vec::new(),
        })
    };
    if choice == BackendChoice::Cpu {
        return cpu("CPU (wasm)".into(), weights);
    }
    let (device, adapter) = match webgpu_device().await {
        Ok(d) => d,
        Err(reason) => return cpu(format!("CPU (wasm) — {reason}"), weights),
    };
    let gpu = match load_scorer(config, tokenizer, weights.clone(), &device) {
        Ok(s) => s,
        // Bad files are bad on every backend: report them rather than fall back.
        Err(e) => return Err(e),
    };
    if choice == BackendChoice::WebGpu {
        return Ok(Inner {
            scorer: gpu,
            backend: "webgpu".into(),
            adapter,
            probe: Vec::new(),
        });
    }
    let gpu_ms = match probe_ms(&gpu).await {
        Ok(ms) => ms,
        Err(e) => {
            let msg = e
                .dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_else(|| "probe failed".into());
            return cpu(
                format!("CPU (wasm) — WebGPU failed on {adapter}: {msg}"),
                weights,
            );
        }
    };
    let cpu_scorer = load_scorer(config, tokenizer, weights, &Device::flex())?;
    let cpu_ms = probe_ms(&cpu_scorer).await?;
    let probe = vec![("webgpu".to_string(), gpu_ms), ("cpu".to_string(), cpu_ms)];
    if gpu_ms <= cpu_ms {
        Ok(Inner {
            scorer: gpu,
            backend: "webgpu".into(),
            adapter,
            probe,
        })
    } else {
        Ok(Inner {
            scorer: cpu_scorer,
            backend: "cpu".into(),
            adapter: format!("CPU (wasm) — faster than WebGPU on {adapter}"),
            probe,
        })
    }
}
