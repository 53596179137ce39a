//! The browser surface of the verifier (the only wasm-bindgen crate): a `Verifier` class that
//! loads the model from bytes on WebGPU or the CPU, scores whole solutions, and streams steps
//! through a `Session` whose cost per step does not grow with the steps before it. The verdict is
//! made by the decision layer of `verifier-core`, the same code as the native CLI's.
//!
//! Errors reach JavaScript as exceptions with a one-line message; nothing here panics on bad input.

use std::{cell::RefCell, rc::Rc};

use serde::{Deserialize, Serialize};
use verifier_core::{
    Aggregate, Decision, ScoreRequest, Verdict, decision::check_threshold, input::ReferenceField,
    search::TreeInput,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

mod backend;
mod engine;

pub use backend::{BackendChoice, webgpu_available};
use engine::{Inner, SessionState, Slot, backend_err, js_err, now_ms, read_back1};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** One arithmetic claim of a step, checked exactly (`expected`: the right value when false). */
export interface Check { claim: string; holds: boolean; expected: string | null }
/** Why a step is the first bad one. */
export type FlagReason = "false_claim" | "low_score" | "diverges_from_reference" | "wrong_final_answer";
/** One scored step: `score` (the probability that the reasoning is still right after it) is
 * `model_score`, or 0 when a check fails; `step_score` is the step's own score, the one the
 * threshold applies to (the prior updated by this step's change of belief). */
export interface StepVerdict { text: string; score: number; step_score: number; model_score: number; checks: Check[]; reason: FlagReason | null }
/** The solution's final answer against the known one (exercise mode). */
export interface AnswerCheck { expected: string; found: string | null; matches: boolean | null }
/** The verdict: the same object as `prm score --json`. */
export interface Verdict {
  steps: StepVerdict[];
  prm_score: number;
  aggregate: "product" | "min" | "last";
  orm_score: number;
  threshold: number;
  /** The rule's prior (null: step scores are the scores after each step). */
  prior: number | null;
  /** 0-based index of the first bad step, or null; its `reason` says why. */
  first_bad_step: number | null;
  /** null unless an answer was given. */
  answer_check: AnswerCheck | null;
  warnings: string[];
}
/** Options of `score`, `scoreSolution` and `start`. */
export interface ScoreOptions {
  /** Step threshold (default: the model's). */
  threshold?: number;
  aggregate?: "product" | "min" | "last";
  /** The known final answer: exercise mode. */
  answer?: string;
  /** A reference solution, as a text or as steps. */
  reference?: string | string[];
}
/** What `Session.push` resolves to: the verdict over the steps so far, and this step's index. */
export interface PushedVerdict extends Verdict { index: number; ms: number }
/** One candidate of `bestOfN`: its text and its verdict's step scores and answer score. */
export interface BestOfNCandidate { solution: string; step_scores: number[]; orm: number }
/** A best-of-N method. */
export type SelectMethod = "prm_product" | "prm_min" | "prm_last" | "orm" | "majority_vote" | "prm_weighted_vote" | "orm_weighted_vote";
/** What `bestOfN` returns: every candidate's final answer (checked against the known one, where
 * given: `correct` null when not known or undecided) and every method's choice (`index` null:
 * none, e.g. a vote where no candidate states an answer). */
export interface BestOfN {
  answers: (string | null)[];
  correct: (boolean | null)[];
  choices: { method: SelectMethod; name: string; index: number | null }[];
  warnings: string[];
}
/** One step of a tree walk: taken (`visit`) or given up (`backtrack`), with its text and score. */
export interface WalkEvent { kind: "visit" | "backtrack"; path: number[]; text: string; score: number }
/** What `searchTree` returns: whether a solution was reached with every step at or above the
 * threshold, the chosen path (texts and child indices) and every event in order. */
export interface TreeWalk { threshold: number; found: boolean; chosen: string[]; path: number[]; backtracks: number; events: WalkEvent[] }
/** What `auto` measured on each backend. */
export interface ProbeResult { backend: "webgpu" | "cpu"; ms: number }
"#;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// JSON-compatible conversion: `None` becomes `null`, maps become plain objects.
/// A value as a plain JS object. Through one JSON string: a verdict of a long session holds
/// thousands of values, and one `JSON.parse` is far cheaper than a boundary crossing per value.
fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    let json =
        serde_json::to_string(v).map_err(|e| js_err(format!("cannot write the result: {e}")))?;
    js_sys::JSON::parse(&json)
}

/// The options object of `score`, `scoreSolution`, `start` and `Session.verdict`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    threshold: Option<f64>,
    aggregate: Option<String>,
    answer: Option<String>,
    reference: Option<ReferenceField>,
    /// `Session.verdict` only: the solution is finished.
    #[serde(rename = "final")]
    complete: Option<bool>,
}

impl Options {
    fn parse(v: JsValue) -> Result<Options, JsValue> {
        if v.is_undefined() || v.is_null() {
            return Ok(Options::default());
        }
        serde_wasm_bindgen::from_value(v).map_err(|e| {
            js_err(format!(
                "bad options ({e}); expected {{threshold?: number, aggregate?: string, answer?: string, reference?: string | string[]}}"
            ))
        })
    }

    /// The model's decision with this call's threshold and aggregate.
    fn decision(&self, model: &Decision) -> Result<Decision, JsValue> {
        let aggregate = self
            .aggregate
            .as_deref()
            .map(str::parse::<Aggregate>)
            .transpose()
            .map_err(js_err)?;
        model
            .with_overrides(self.threshold, aggregate)
            .map_err(js_err)
    }

    fn exercise(self, req: ScoreRequest) -> ScoreRequest {
        req.with_exercise(self.answer, self.reference.map(ReferenceField::into_steps))
    }
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
        self.inner.scorer.config.decision.threshold()
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
        #[wasm_bindgen(unchecked_param_type = "ScoreOptions | undefined")] options: JsValue,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let options = Options::parse(options)?;
            let decision = options.decision(&inner.scorer.config.decision)?;
            let steps: Vec<String> = serde_wasm_bindgen::from_value(steps)
                .map_err(|_| js_err("steps must be an array of strings"))?;
            let req = options.exercise(ScoreRequest::new(problem, steps).map_err(js_err)?);
            to_js(&inner.score(req, &decision).await?)
        })
    }

    /// Score a problem and a solution text, split into steps by the shared splitter.
    #[wasm_bindgen(js_name = scoreSolution, unchecked_return_type = "Promise<Verdict>")]
    pub fn score_solution(
        &self,
        problem: String,
        solution: String,
        #[wasm_bindgen(unchecked_param_type = "ScoreOptions | undefined")] options: JsValue,
    ) -> js_sys::Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let options = Options::parse(options)?;
            let decision = options.decision(&inner.scorer.config.decision)?;
            let req =
                options.exercise(ScoreRequest::from_solution(&problem, &solution).map_err(js_err)?);
            to_js(&inner.score(req, &decision).await?)
        })
    }

    /// Decide again on a verdict this verifier made, with other options (a threshold, a known
    /// answer, a reference): the model's scores are kept, only the decision layer runs again (no
    /// second pass of the network). Returns the new verdict.
    #[wasm_bindgen(unchecked_return_type = "Verdict")]
    pub fn rejudge(
        &self,
        problem: String,
        #[wasm_bindgen(unchecked_param_type = "Verdict")] verdict: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ScoreOptions | undefined")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let options = Options::parse(options)?;
        let decision = options.decision(&self.inner.scorer.config.decision)?;
        let v: Verdict = serde_wasm_bindgen::from_value(verdict)
            .map_err(|e| js_err(format!("not a verdict: {e}")))?;
        let req = options.exercise(
            ScoreRequest::new(problem, v.steps.iter().map(|s| s.text.clone()).collect())
                .map_err(js_err)?,
        );
        let exercise = req.exercise();
        to_js(&decision.decide(v.steps, v.orm_score, exercise.as_ref(), true))
    }

    /// Step search over a tree of candidate steps (`{"problem", "children": [{"text", "children"}]}`
    /// as JSON; a step without children ends a solution): every path to a leaf is scored, then the
    /// walk takes the best-scored step at each node and backtracks past steps below the threshold
    /// (`options.threshold`, default the model's), at most `maxVisits` steps (default 50).
    #[wasm_bindgen(js_name = searchTree, unchecked_return_type = "Promise<TreeWalk>")]
    pub fn search_tree(
        &self,
        tree: String,
        #[wasm_bindgen(
            unchecked_param_type = "{threshold?: number, maxVisits?: number} | undefined"
        )]
        options: JsValue,
    ) -> js_sys::Promise {
        #[derive(Default, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        struct SearchOptions {
            threshold: Option<f64>,
            max_visits: Option<usize>,
        }
        let inner = self.inner.clone();
        future_to_promise(async move {
            let options: SearchOptions = if options.is_undefined() || options.is_null() {
                SearchOptions::default()
            } else {
                serde_wasm_bindgen::from_value(options).map_err(|e| {
                    js_err(format!(
                        "bad options ({e}); expected {{threshold?: number, maxVisits?: number}}"
                    ))
                })?
            };
            let decision = inner
                .scorer
                .config
                .decision
                .with_overrides(options.threshold, None)
                .map_err(js_err)?;
            let tree = TreeInput::from_json(tree.as_bytes()).map_err(js_err)?;
            let mut verdicts = Vec::new();
            for path in tree.leaf_paths() {
                let req =
                    ScoreRequest::new(tree.problem.clone(), tree.texts(&path)).map_err(js_err)?;
                verdicts.push(inner.score(req, &decision).await?);
            }
            let nodes = tree.scored(&verdicts);
            to_js(&tree.walk(
                &nodes,
                decision.threshold(),
                options.max_visits.unwrap_or(50),
            ))
        })
    }

    /// Start streaming a solution to `problem`: push steps one at a time to the returned session.
    /// `options` as for `score` (the answer is compared once the solution states it).
    pub fn start(
        &self,
        problem: String,
        #[wasm_bindgen(unchecked_param_type = "ScoreOptions | undefined")] options: JsValue,
    ) -> Result<Session, JsValue> {
        let options = Options::parse(options)?;
        let decision = options.decision(&self.inner.scorer.config.decision)?;
        let stream = self.inner.scorer.start(&problem).map_err(js_err)?;
        let exercise = ScoreRequest {
            problem,
            steps: Vec::new(),
            answer: options.answer,
            reference: options.reference.map(ReferenceField::into_steps),
        }
        .exercise();
        Ok(Session {
            inner: self.inner.clone(),
            state: Rc::new(RefCell::new(SessionState {
                stream,
                decision,
                exercise,
                slots: Vec::new(),
            })),
        })
    }
}

/// Split a solution text into steps with the shared splitter.
#[wasm_bindgen(js_name = splitSteps)]
pub fn split_steps(solution: &str) -> Vec<String> {
    verifier_core::split_steps(solution)
}

/// Best-of-N: which of a problem's candidate solutions every method (PRM product / min / last,
/// ORM, majority vote, PRM- and ORM-weighted vote) chooses, from their verdicts' scores; with
/// `expected`, each candidate's final answer is checked against it. The same choice as the CLI's
/// evaluation (`verifier_core::select`).
#[wasm_bindgen(js_name = bestOfN, unchecked_return_type = "BestOfN")]
pub fn best_of_n(
    #[wasm_bindgen(unchecked_param_type = "BestOfNCandidate[]")] candidates: JsValue,
    expected: Option<String>,
) -> Result<JsValue, JsValue> {
    let cands: Vec<verifier_core::select::ScoredSolution> =
        serde_wasm_bindgen::from_value(candidates).map_err(|e| {
            js_err(format!(
                "bad candidates ({e}); expected [{{solution: string, step_scores: number[], orm: number}}]"
            ))
        })?;
    to_js(&verifier_core::select::best_of_n(
        &cands,
        expected.as_deref(),
    ))
}

/// A streaming session: one problem, steps pushed as they arrive.
#[wasm_bindgen]
pub struct Session {
    inner: Rc<Inner>,
    state: Rc<RefCell<SessionState>>,
}

#[derive(Serialize)]
struct Pushed {
    #[serde(flatten)]
    verdict: Verdict,
    /// The index of the step this push scored.
    index: usize,
    /// Milliseconds from the push to the read-back of its score.
    ms: f64,
}

#[wasm_bindgen]
impl Session {
    /// Score one more step. Resolves to the verdict over the steps so far (the step rule is
    /// causal: earlier steps keep their marks) with this step's `index` and `ms`. Earlier steps
    /// are not re-read (their keys and values are cached). Pushes may overlap: each gets its own
    /// index in push order.
    #[wasm_bindgen(unchecked_return_type = "Promise<PushedVerdict>")]
    pub fn push(&self, step: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        let state = self.state.clone();
        future_to_promise(async move {
            let t0 = now_ms();
            let (probs, index) = {
                let mut st = state
                    .try_borrow_mut()
                    .map_err(|_| js_err("the session is busy"))?;
                if st.failed() {
                    return Err(backend_err(
                        "an earlier step of this session could not be scored: start it again",
                    ));
                }
                let index = st.slots.len();
                let probs = inner.scorer.push(&mut st.stream, &step).map_err(js_err)?;
                st.slots.push(Slot::Pending);
                (probs, index)
            };
            let values = match read_back1(probs).await {
                Ok(v) => v,
                Err(e) => {
                    if let Ok(mut st) = state.try_borrow_mut() {
                        st.slots[index] = Slot::Failed;
                    }
                    return Err(e);
                }
            };
            let mut st = state
                .try_borrow_mut()
                .map_err(|_| js_err("the session is busy"))?;
            let step = st.decision.step(step, values[0] as f64);
            st.slots[index] = Slot::Done(step, values[1] as f64);
            // the verdict over the steps scored in order so far: an earlier push still in flight
            // ends it, and the verdict that push resolves to includes this step
            let verdict = st
                .verdict(&st.decision, false)
                .ok_or_else(|| js_err("the first step is still being scored"))?;
            to_js(&Pushed {
                verdict,
                index,
                ms: now_ms() - t0,
            })
        })
    }

    /// Number of steps scored so far.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.state.borrow().scored()
    }

    /// The verdict over the steps scored so far (same object as `Verifier.score`), with this
    /// call's `threshold` and `aggregate`; `{final: true}` when the solution is finished (its
    /// final answer is then compared even where not stated explicitly).
    #[wasm_bindgen(unchecked_return_type = "Verdict")]
    pub fn verdict(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "{threshold?: number, aggregate?: string, final?: boolean} | undefined"
        )]
        options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let options = Options::parse(options)?;
        check_threshold(options.threshold).map_err(js_err)?;
        let st = self
            .state
            .try_borrow()
            .map_err(|_| js_err("a push is still running"))?;
        let decision = options.decision(&st.decision)?;
        let v = st
            .verdict(&decision, options.complete.unwrap_or(false))
            .ok_or_else(|| js_err("no steps scored yet"))?;
        to_js(&v)
    }
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

    /// Score with the model's decision (and, optionally, a known answer).
    pub async fn score_steps(
        &self,
        problem: &str,
        steps: Vec<String>,
        answer: Option<String>,
    ) -> Result<Verdict, JsValue> {
        let req = ScoreRequest::new(problem.to_string(), steps)
            .map_err(js_err)?
            .with_exercise(answer, None);
        self.inner
            .score(req, &self.inner.scorer.config.decision)
            .await
    }

    /// Stream `steps` through a session; returns the model's probability of each step.
    pub async fn stream_steps(&self, problem: &str, steps: &[String]) -> Result<Vec<f64>, JsValue> {
        self.inner.stream_probabilities(problem, steps).await
    }
}
