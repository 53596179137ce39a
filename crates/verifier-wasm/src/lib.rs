//! The browser surface of the verifier (the only wasm-bindgen crate): a `Verifier` class that
//! loads the model from bytes on WebGPU or the CPU, scores whole solutions, and streams steps
//! through a `Session` whose cost per step does not grow with the steps before it.
//!
//! Errors reach JavaScript as exceptions with a one-line message; nothing here panics on bad input.

use std::{cell::RefCell, rc::Rc};

use burn::prelude::*;
use serde::Serialize;
use verifier_core::{
    Aggregate, Check, ModelFiles, ScoreRequest, Scorer, Stream, Verdict, check_step,
    verdict::{StepRule, combine},
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

mod backend;

pub use backend::{BackendChoice, webgpu_available};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** One arithmetic claim of a step, checked exactly (`expected`: the right value when false). */
export interface Check { claim: string; holds: boolean; expected: string | null }
/** One scored step: `score` (the probability that the reasoning is still right after it) is
 * `model_score`, or 0 when a check fails; `step_score` is the step's own score, the one the
 * threshold applies to (the prior updated by this step's change of belief). */
export interface StepVerdict { text: string; score: number; step_score: number; model_score: number; checks: Check[] }
/** The verdict: the same object as `prm score --json`. */
export interface Verdict {
  steps: StepVerdict[];
  prm_score: number;
  aggregate: "product" | "min" | "last";
  orm_score: number;
  threshold: number;
  /** The rule's prior (null: step scores are the scores after each step). */
  prior: number | null;
  /** 0-based index of the first step whose step score is below the threshold, or null. */
  first_bad_step: number | null;
}
/** What `Session.push` resolves to. */
export interface PushedStep { index: number; text: string; score: number; model_score: number; checks: Check[]; orm_score: number; ms: number; warnings: string[] }
/** What `auto` measured on each backend. */
export interface ProbeResult { backend: "webgpu" | "cpu"; ms: number }
"#;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsError::new(&e.to_string()).into()
}

/// JSON-compatible conversion: `None` becomes `null`, maps become plain objects.
fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(js_err)
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

struct Inner {
    scorer: Scorer,
    backend: String,
    adapter: String,
    /// How `auto` decided, when it ran: (backend, probe milliseconds).
    probe: Vec<(String, f64)>,
}

async fn read_back(t: Tensor<2>) -> Result<Vec<f32>, JsValue> {
    t.into_data_async()
        .await
        .map_err(|e| {
            js_err(format!(
                "reading results back from the device failed: {e:?}"
            ))
        })?
        .try_to_vec::<f32>()
        .map_err(|e| js_err(format!("unexpected result type: {e:?}")))
}

async fn read_back1(t: Tensor<1>) -> Result<Vec<f32>, JsValue> {
    let n = t.dims()[0];
    read_back(t.reshape([1, n])).await
}

fn parse_aggregate(a: Option<String>) -> Result<Option<Aggregate>, JsValue> {
    a.map(|s| s.parse::<Aggregate>().map_err(js_err))
        .transpose()
}

fn check_threshold(t: Option<f64>) -> Result<(), JsValue> {
    match t {
        Some(t) if !(0.0..=1.0).contains(&t) => Err(js_err("threshold must be between 0 and 1")),
        _ => Ok(()),
    }
}

async fn score_inner(
    inner: &Inner,
    req: ScoreRequest,
    threshold: Option<f64>,
    aggregate: Option<Aggregate>,
) -> Result<Verdict, JsValue> {
    let enc = inner
        .scorer
        .encoder
        .encode(&req.problem, &req.steps)
        .map_err(js_err)?;
    let probs = read_back(inner.scorer.probabilities(&enc)).await?;
    inner
        .scorer
        .verdict(req.steps, &probs, threshold, aggregate)
        .map_err(js_err)
}

/// A loaded verifier.
#[wasm_bindgen]
pub struct Verifier {
    inner: Rc<Inner>,
}

#[wasm_bindgen]
impl Verifier {
    /// Load a model from the bytes of its `config.json`, `tokenizer.json` and `model.bpk`.
    /// `backend` is `"auto"` (default: measure WebGPU and CPU, keep the faster), `"webgpu"` or
    /// `"cpu"`. Resolves to a `Verifier`; rejects with a clear message on bad files.
    #[wasm_bindgen(js_name = fromBytes, unchecked_return_type = "Promise<Verifier>")]
    pub fn from_bytes(
        config: Vec<u8>,
        tokenizer: Vec<u8>,
        weights: Vec<u8>,
        backend: Option<String>,
    ) -> js_sys::Promise {
        future_to_promise(async move {
            let choice: BackendChoice = backend
                .as_deref()
                .unwrap_or("auto")
                .parse()
                .map_err(js_err)?;
            let inner = backend::load(choice, &config, &tokenizer, weights).await?;
            Ok(Verifier {
                inner: Rc::new(inner),
            }
            .into())
        })
    }

    /// The active backend: `"webgpu"` or `"cpu"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.inner.backend.clone()
    }

    /// The adapter the backend runs on (GPU name, or the CPU fallback's reason).
    #[wasm_bindgen(getter)]
    pub fn adapter(&self) -> String {
        self.inner.adapter.clone()
    }

    /// What `auto` measured: `[{backend, ms}]` (empty when a backend was forced).
    #[wasm_bindgen(getter, unchecked_return_type = "ProbeResult[]")]
    pub fn probe(&self) -> Result<JsValue, JsValue> {
        #[derive(Serialize)]
        struct P<'a> {
            backend: &'a str,
            ms: f64,
        }
        let v: Vec<P> = self
            .inner
            .probe
            .iter()
            .map(|(b, ms)| P {
                backend: b,
                ms: *ms,
            })
            .collect();
        to_js(&v)
    }

    /// The step threshold stored with the model.
    #[wasm_bindgen(getter)]
    pub fn threshold(&self) -> f64 {
        self.inner.scorer.config.threshold
    }

    /// The model's settings and metrics (`config.json`).
    #[wasm_bindgen(getter)]
    pub fn config(&self) -> Result<JsValue, JsValue> {
        to_js(&self.inner.scorer.config)
    }

    /// Score a problem and its steps (an array of strings). Resolves to the verdict object, the
    /// same JSON as `prm score --json`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Verdict>")]
    pub fn score(
        &self,
        problem: String,
        #[wasm_bindgen(unchecked_param_type = "string[]")] steps: JsValue,
        threshold: Option<f64>,
        aggregate: Option<String>,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            check_threshold(threshold)?;
            let steps: Vec<String> = serde_wasm_bindgen::from_value(steps)
                .map_err(|_| js_err("steps must be an array of strings"))?;
            let req = ScoreRequest::new(problem, steps).map_err(js_err)?;
            to_js(&score_inner(&inner, req, threshold, parse_aggregate(aggregate)?).await?)
        })
    }

    /// Score a problem and a solution text, split into steps by the shared splitter.
    #[wasm_bindgen(js_name = scoreSolution, unchecked_return_type = "Promise<Verdict>")]
    pub fn score_solution(
        &self,
        problem: String,
        solution: String,
        threshold: Option<f64>,
        aggregate: Option<String>,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            check_threshold(threshold)?;
            let req = ScoreRequest::from_solution(&problem, &solution).map_err(js_err)?;
            to_js(&score_inner(&inner, req, threshold, parse_aggregate(aggregate)?).await?)
        })
    }

    /// Start streaming a solution to `problem`: push steps one at a time to the returned session.
    pub fn start(&self, problem: String) -> Result<Session, JsValue> {
        let stream = self.inner.scorer.start(&problem).map_err(js_err)?;
        Ok(Session {
            inner: self.inner.clone(),
            state: Rc::new(RefCell::new(SessionState {
                stream,
                steps: Vec::new(),
                scores: Vec::new(),
                orm: f64::NAN,
            })),
        })
    }
}

/// Split a solution text into steps with the shared splitter.
#[wasm_bindgen(js_name = splitSteps)]
pub fn split_steps(solution: &str) -> Vec<String> {
    verifier_core::split_steps(solution)
}

struct SessionState {
    stream: Stream,
    steps: Vec<String>,
    scores: Vec<f64>,
    orm: f64,
}

/// A streaming session: one problem, steps pushed as they arrive.
#[wasm_bindgen]
pub struct Session {
    inner: Rc<Inner>,
    state: Rc<RefCell<SessionState>>,
}

#[derive(Serialize)]
struct Pushed {
    index: usize,
    text: String,
    /// The model's score combined with the checks (`verdict::combine`).
    score: f64,
    model_score: f64,
    checks: Vec<Check>,
    orm_score: f64,
    /// Milliseconds from the push to the read-back of its score.
    ms: f64,
    warnings: Vec<String>,
}

#[wasm_bindgen]
impl Session {
    /// Score one more step. Resolves to `{index, text, score, model_score, checks, orm_score, ms,
    /// warnings}`; the step scores of the rule are in `verdict()`.
    /// Earlier steps are not re-read (their keys and values are cached).
    #[wasm_bindgen(unchecked_return_type = "Promise<PushedStep>")]
    pub fn push(&self, step: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        let state = self.state.clone();
        future_to_promise(async move {
            let t0 = now_ms();
            let (probs, index, warnings) = {
                let mut st = state
                    .try_borrow_mut()
                    .map_err(|_| js_err("the previous push has not finished yet"))?;
                let before = st.stream.warnings.len();
                let probs = inner.scorer.push(&mut st.stream, &step).map_err(js_err)?;
                let warnings = st.stream.warnings[before..].to_vec();
                (probs, st.steps.len(), warnings)
            };
            let values = read_back1(probs).await?;
            let (score, orm) = (values[0] as f64, values[1] as f64);
            let mut st = state
                .try_borrow_mut()
                .map_err(|_| js_err("the previous push has not finished yet"))?;
            st.steps.push(step.clone());
            st.scores.push(score);
            st.orm = orm;
            let checks = check_step(&step);
            to_js(&Pushed {
                index,
                score: combine(score, &checks),
                model_score: score,
                checks,
                text: step,
                orm_score: orm,
                ms: now_ms() - t0,
                warnings,
            })
        })
    }

    /// Number of steps scored so far.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.state.borrow().scores.len()
    }

    /// The verdict over the steps pushed so far (same object as `Verifier.score`).
    #[wasm_bindgen(unchecked_return_type = "Verdict")]
    pub fn verdict(
        &self,
        threshold: Option<f64>,
        aggregate: Option<String>,
    ) -> Result<JsValue, JsValue> {
        check_threshold(threshold)?;
        let st = self
            .state
            .try_borrow()
            .map_err(|_| js_err("a push is still running"))?;
        if st.scores.is_empty() {
            return Err(js_err("no steps pushed yet"));
        }
        let cfg = &self.inner.scorer.config;
        let rule = StepRule::new(threshold.unwrap_or(cfg.threshold), cfg.prior).map_err(js_err)?;
        let v = Verdict::new(
            st.steps.clone(),
            &st.scores,
            st.orm,
            parse_aggregate(aggregate)?.unwrap_or(cfg.aggregate),
            rule,
        );
        to_js(&v)
    }
}

/// Load a scorer for a device (shared by both backends).
fn load_scorer(
    config: &[u8],
    tokenizer: &[u8],
    weights: Vec<u8>,
    device: &Device,
) -> Result<Scorer, JsValue> {
    Scorer::load(
        ModelFiles {
            config,
            tokenizer,
            weights,
        },
        device,
    )
    .map_err(js_err)
}

/// Rust-side API (used by the wasm-bindgen tests): the same operations without JS promises.
impl Verifier {
    pub async fn load(
        choice: BackendChoice,
        config: &[u8],
        tokenizer: &[u8],
        weights: Vec<u8>,
    ) -> Result<Verifier, JsValue> {
        Ok(Verifier {
            inner: Rc::new(backend::load(choice, config, tokenizer, weights).await?),
        })
    }

    pub async fn score_steps(&self, problem: &str, steps: Vec<String>) -> Result<Verdict, JsValue> {
        let req = ScoreRequest::new(problem.to_string(), steps).map_err(js_err)?;
        score_inner(&self.inner, req, None, None).await
    }

    /// Stream `steps` through a session; returns the per-step scores as they arrived.
    pub async fn stream_steps(&self, problem: &str, steps: &[String]) -> Result<Vec<f64>, JsValue> {
        let mut stream = self.inner.scorer.start(problem).map_err(js_err)?;
        let mut out = Vec::new();
        for s in steps {
            let t = self.inner.scorer.push(&mut stream, s).map_err(js_err)?;
            out.push(read_back1(t).await?[0] as f64);
        }
        Ok(out)
    }
}
