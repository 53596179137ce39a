//! In a real browser (headless Chromium): the WebGPU and CPU backends give the same step scores as
//! the native CLI on a fixed set of solutions, to 1e-3; streaming gives the same scores too.
//! The native scores are in tests/fixtures/parity.json, checked against the native build by
//! `cargo test -p prm-cli --test cli` (so they cannot go stale).
#![cfg(target_arch = "wasm32")]

use serde::Deserialize;
use verifier_wasm::{BackendChoice, Verifier, webgpu_available};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

static CONFIG: &[u8] = include_bytes!("../../../models/verifier/config.json");
static TOKENIZER: &[u8] = include_bytes!("../../../models/verifier/tokenizer.json");
static WEIGHTS: &[u8] = include_bytes!("../../../models/verifier/model.bpk");
static FIXTURE: &str = include_str!("../../../tests/fixtures/parity.json");

#[derive(Deserialize)]
struct Case {
    problem: String,
    steps: Vec<String>,
    native: Native,
}

#[derive(Deserialize)]
struct Native {
    steps: Vec<Step>,
    orm_score: f64,
    first_bad_step: Option<usize>,
}

#[derive(Deserialize)]
struct Step {
    score: f64,
    model_score: f64,
    checks: Vec<verifier_core::Check>,
}

fn cases() -> Vec<Case> {
    serde_json::from_str(FIXTURE).expect("tests/fixtures/parity.json")
}

async fn check(choice: BackendChoice, limit: usize) -> String {
    let v = Verifier::load(choice, CONFIG, TOKENIZER, WEIGHTS.to_vec())
        .await
        .expect("model loads");
    for case in cases().into_iter().take(limit) {
        let verdict = v
            .score_steps(&case.problem, case.steps.clone(), None)
            .await
            .expect("scores");
        assert_eq!(verdict.steps.len(), case.native.steps.len());
        for (a, b) in verdict.steps.iter().zip(&case.native.steps) {
            assert!(
                (a.score - b.score).abs() < 1e-3,
                "{}: step {} vs native {}",
                v.backend(),
                a.score,
                b.score
            );
            assert_eq!(
                a.checks, b.checks,
                "the arithmetic checks are the same code in the browser"
            );
        }
        assert!((verdict.orm_score - case.native.orm_score).abs() < 1e-3);
        assert_eq!(verdict.first_bad_step, case.native.first_bad_step);
        let streamed = v
            .stream_steps(&case.problem, &case.steps)
            .await
            .expect("streams");
        for (a, b) in streamed.iter().zip(&case.native.steps) {
            assert!(
                (a - b.model_score).abs() < 1e-3,
                "{} streaming: {a} vs native {}",
                v.backend(),
                b.model_score
            );
        }
    }
    v.backend()
}

#[wasm_bindgen_test]
async fn cpu_backend_matches_native() {
    assert_eq!(check(BackendChoice::Cpu, usize::MAX).await, "cpu");
}

#[wasm_bindgen_test]
async fn webgpu_backend_matches_native() {
    assert!(
        webgpu_available(),
        "the test browser must expose WebGPU (--enable-unsafe-webgpu)"
    );
    // SwiftShader WebGPU is slow: two short solutions.
    assert_eq!(check(BackendChoice::WebGpu, 2).await, "webgpu");
}

#[wasm_bindgen_test]
async fn a_known_wrong_answer_names_a_step_in_the_browser_too() {
    let v = Verifier::load(BackendChoice::Cpu, CONFIG, TOKENIZER, WEIGHTS.to_vec())
        .await
        .expect("model loads");
    let case = &cases()[0];
    let verdict = v
        .score_steps(&case.problem, case.steps.clone(), Some("38".into()))
        .await
        .expect("scores");
    let check = verdict.answer_check.clone().expect("an answer was given");
    assert_eq!(check.matches, Some(false), "{check:?}");
    assert!(verdict.first_bad_step.is_some());
    assert!(verdict.reason().is_some());
}

#[wasm_bindgen_test]
async fn bad_weights_are_errors_not_panics() {
    let e = Verifier::load(BackendChoice::Cpu, CONFIG, TOKENIZER, b"garbage".to_vec()).await;
    let msg = e
        .err()
        .and_then(|e| js_sys::Error::from(e).message().as_string())
        .unwrap_or_default();
    assert!(msg.contains("weights"), "{msg}");
    let e = Verifier::load(BackendChoice::Cpu, b"{", TOKENIZER, WEIGHTS.to_vec()).await;
    assert!(e.is_err());
}
