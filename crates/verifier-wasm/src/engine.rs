//! What the bindgen surface runs on: a loaded scorer on its backend, the async read-back of
//! results, whole-solution scoring and the streaming state of a session. Plain Rust, so the
//! wasm-bindgen tests call it directly.

use burn::prelude::*;
use verifier_core::{
    Decision, Exercise, ModelFiles, ScoreRequest, Scorer, StepVerdict, Stream, Verdict,
    VerifierError,
};
use wasm_bindgen::prelude::*;

/// An error a page can tell apart by its JS `name`, not by its text: `BadInputError` (the caller
/// can fix the request), `ModelError` (the model files), `BackendError` (the device).
pub trait Kinded: std::fmt::Display {
    fn kind(&self) -> &'static str {
        "BadInputError"
    }
}

impl Kinded for VerifierError {
    fn kind(&self) -> &'static str {
        match self {
            VerifierError::BadInput(_) => "BadInputError",
            VerifierError::Tokenizer(_) | VerifierError::Config(_) | VerifierError::Weights(_) => {
                "ModelError"
            }
        }
    }
}
impl Kinded for String {}
impl Kinded for &str {}
impl Kinded for serde_wasm_bindgen::Error {}

fn named(message: &str, name: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    e.set_name(name);
    e.into()
}

/// A JS error of the error's kind.
pub fn js_err(e: impl Kinded) -> JsValue {
    named(&e.to_string(), e.kind())
}

/// A failure of the device (WebGPU lost, a read-back that failed).
pub fn backend_err(message: impl std::fmt::Display) -> JsValue {
    named(&message.to_string(), "BackendError")
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// A scorer on its backend.
pub struct Inner {
    pub scorer: Scorer,
    pub backend: String,
    pub adapter: String,
    /// How `auto` decided, when it ran: (backend, probe milliseconds).
    pub probe: Vec<(String, f64)>,
}

pub async fn read_back(t: Tensor<2>) -> Result<Vec<f32>, JsValue> {
    t.into_data_async()
        .await
        .map_err(|e| {
            backend_err(format!(
                "reading results back from the device failed: {e:?}"
            ))
        })?
        .try_to_vec::<f32>()
        .map_err(|e| backend_err(format!("unexpected result type: {e:?}")))
        .and_then(|v| {
            // a broken device can return NaN; it must not become a verdict (the CPU takes over)
            if v.iter().all(|x| x.is_finite()) {
                Ok(v)
            } else {
                Err(backend_err(
                    "the device returned a score that is not a number",
                ))
            }
        })
}

pub async fn read_back1(t: Tensor<1>) -> Result<Vec<f32>, JsValue> {
    let n = t.dims()[0];
    read_back(t.reshape([1, n])).await
}

/// Load a scorer for a device (shared by both backends).
pub fn load_scorer(
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

impl Inner {
    /// Score a whole request by `decision`.
    pub async fn score(&self, req: ScoreRequest, decision: &Decision) -> Result<Verdict, JsValue> {
        let enc = self
            .scorer
            .encoder
            .encode(&req.problem, &req.steps)
            .map_err(js_err)?;
        let probs = read_back(self.scorer.probabilities(&enc)).await?;
        let exercise = req.exercise();
        let mut v = self
            .scorer
            .verdict(req.steps, &probs, decision, exercise.as_ref())
            .map_err(js_err)?;
        v.warnings.extend(enc.warnings);
        Ok(v)
    }

    /// Stream `steps` through a session; the model's (calibrated) probability of each step as it
    /// arrived.
    pub async fn stream_probabilities(
        &self,
        problem: &str,
        steps: &[String],
    ) -> Result<Vec<f64>, JsValue> {
        let mut stream = self.scorer.start(problem).map_err(js_err)?;
        let mut out = Vec::new();
        for s in steps {
            let t = self.scorer.push(&mut stream, s).map_err(js_err)?;
            let p = read_back1(t).await?[0] as f64;
            out.push(self.scorer.config.decision.calibration().apply(p));
        }
        Ok(out)
    }
}

/// A streaming session's state: the model's stream, and every pushed step once its score is back
/// (a slot per step in push order, so two pushes in flight never share an index).
pub struct SessionState {
    pub stream: Stream,
    pub decision: Decision,
    pub exercise: Option<Exercise>,
    /// Every pushed step, by index.
    pub slots: Vec<Slot>,
}

/// A pushed step.
pub enum Slot {
    /// Its score is being read back.
    Pending,
    /// Scored: the step and the ORM score after it.
    Done(StepVerdict, f64),
    /// Its score could not be read back: the session cannot go on past it.
    Failed,
}

impl Slot {
    fn done(&self) -> Option<(&StepVerdict, f64)> {
        match self {
            Slot::Done(s, orm) => Some((s, *orm)),
            _ => None,
        }
    }
}

impl SessionState {
    /// The number of steps scored in order from the first.
    pub fn scored(&self) -> usize {
        self.slots.iter().map_while(Slot::done).count()
    }

    /// Whether a step could not be scored (the session must be started again).
    pub fn failed(&self) -> bool {
        self.slots.iter().any(|s| matches!(s, Slot::Failed))
    }

    /// The verdict over the steps scored so far, in order (a step whose push is still in flight
    /// ends the prefix). `complete`: the solution is finished, so its final answer is compared
    /// even where it is not stated explicitly.
    pub fn verdict(&self, decision: &Decision, complete: bool) -> Option<Verdict> {
        let done: Vec<(&StepVerdict, f64)> = self.slots.iter().map_while(Slot::done).collect();
        let orm = done.last()?.1;
        let steps: Vec<StepVerdict> = done.into_iter().map(|s| s.0.clone()).collect();
        let mut v = decision.decide(steps, orm, self.exercise.as_ref(), complete);
        v.warnings.extend(self.stream.warnings.iter().cloned());
        Some(v)
    }
}
