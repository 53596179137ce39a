//! The model's contract: one score per step, step-causal (later steps never change earlier
//! scores), streaming with the cache equals whole-solution scoring, windows included; and bad
//! weights are clear errors.

use burn::prelude::*;
use verifier_core::{
    Limits, ModelConfig, ModelFiles, Scorer, StepEncoder, VerifierConfig, VerifierError,
    scorer::save_weights,
};

fn tokenizer_json() -> Vec<u8> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../models/verifier/tokenizer.json"
    );
    std::fs::read(p).expect("shipped tokenizer")
}

fn small_scorer(limits: Limits) -> Scorer {
    let device = Device::flex();
    let encoder = StepEncoder::from_bytes(&tokenizer_json(), limits.clone()).unwrap();
    let arch = VerifierConfig::new()
        .with_vocab_size(encoder.vocab_size())
        .with_hidden_size(32)
        .with_num_layers(2)
        .with_num_heads(4)
        .with_intermediate_size(64)
        .with_max_positions(limits.max_positions);
    device.seed(7);
    let model = arch.init(&device);
    let config = ModelConfig {
        architecture: arch,
        limits,
        decision: verifier_core::Decision::untuned(),
        metrics: serde_json::Value::Null,
        training: serde_json::Value::Null,
        files: Default::default(),
    };
    Scorer {
        model,
        encoder,
        config,
        device,
    }
}

fn whole(scorer: &Scorer, problem: &str, steps: &[String]) -> Vec<f32> {
    let enc = scorer.encoder.encode(problem, steps).unwrap();
    scorer
        .probabilities(&enc)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
}

fn streamed(scorer: &Scorer, problem: &str, steps: &[String]) -> Vec<f32> {
    let mut s = scorer.start(problem).unwrap();
    let mut out = Vec::new();
    for st in steps {
        out.extend(
            scorer
                .push(&mut s, st)
                .unwrap()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap(),
        );
    }
    out
}

fn steps(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "Step {i}: we add {i} and {} to get {} apples in the basket.",
                i + 3,
                2 * i + 3
            )
        })
        .collect()
}

fn assert_close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-4, "{a:?}\nvs\n{b:?}");
    }
}

#[test]
fn one_score_per_step_and_probabilities() {
    let s = small_scorer(Limits::default());
    let p = whole(&s, "How many apples?", &steps(5));
    assert_eq!(p.len(), 10);
    assert!(p.iter().all(|x| (0.0..=1.0).contains(x)));
}

#[test]
fn later_steps_never_change_earlier_scores() {
    let s = small_scorer(Limits::default());
    let all = whole(&s, "How many apples?", &steps(6));
    let prefix = whole(&s, "How many apples?", &steps(3));
    for k in 0..3 {
        assert!((all[2 * k] - prefix[2 * k]).abs() < 1e-4);
    }
}

#[test]
fn streaming_equals_whole_solution() {
    let s = small_scorer(Limits::default());
    let st = steps(6);
    assert_close(
        &streamed(&s, "How many apples?", &st),
        &whole(&s, "How many apples?", &st),
    );
}

#[test]
fn long_solutions_are_scored_in_windows_identically() {
    let limits = Limits {
        max_positions: 96,
        max_problem_tokens: 16,
        max_step_tokens: 24,
        ..Limits::default()
    };
    let s = small_scorer(limits);
    let st = steps(14); // far more than 96 positions
    let w = whole(&s, "How many apples are in the basket?", &st);
    assert_eq!(w.len(), 28);
    assert_close(&streamed(&s, "How many apples are in the basket?", &st), &w);
}

#[test]
fn a_long_streamed_session_holds_one_window_and_goes_past_the_whole_solution_limit() {
    let s = small_scorer(Limits::default());
    let mut stream = s.start("How many apples are in the basket?").unwrap();
    let n = 2 * Limits::default().max_steps + 88; // 600 steps: whole solutions stop at 256
    let mut windows = 0;
    let mut last = 0;
    for st in steps(n) {
        let p = s.push(&mut stream, &st).unwrap();
        assert_eq!(p.dims(), [2]);
        let held = stream.cached_positions();
        assert!(
            held <= Limits::default().max_positions,
            "{held} positions held"
        );
        windows += usize::from(held < last);
        last = held;
    }
    assert_eq!(stream.len(), n);
    assert!(windows > 10, "the session moved through windows: {windows}");
}

#[test]
fn too_many_steps_is_an_error() {
    let s = small_scorer(Limits::default());
    let many: Vec<String> = (0..10_000).map(|i| format!("x = {i}")).collect();
    let err = s.encoder.encode("p", &many).unwrap_err();
    assert!(matches!(err, VerifierError::BadInput(_)), "{err}");
}

#[test]
fn huge_step_is_truncated_with_a_warning() {
    let s = small_scorer(Limits::default());
    let huge = "1 + 1 = 2 ".repeat(100_000);
    let enc = s.encoder.encode("p", &[huge]).unwrap();
    assert_eq!(enc.steps[0].len(), Limits::default().max_step_tokens + 1);
    assert!(enc.warnings.iter().any(|w| w.contains("step 1")));
    // few tokens but far more text than is looked at (one long "word"): said too
    let word = format!("7 * 8 = 56 {}", "x".repeat(100_000));
    let enc = s.encoder.encode("p", &[word]).unwrap();
    assert!(enc.steps[0].len() < Limits::default().max_step_tokens);
    assert_eq!(
        enc.warnings,
        ["step 1 was cut to its first 8192 bytes (it has 100011)"]
    );
}

#[test]
fn weights_round_trip_and_bad_weights_are_errors() {
    let s = small_scorer(Limits::default());
    let cfg = serde_json::to_vec(&s.config).unwrap();
    let tok = tokenizer_json();
    let device = Device::flex();
    for compact in [false, true] {
        let bytes = save_weights(&s.model, compact).unwrap();
        let loaded = Scorer::load(
            ModelFiles {
                config: &cfg,
                tokenizer: &tok,
                weights: bytes.clone(),
            },
            &device,
        )
        .unwrap();
        let a = whole(&s, "p", &steps(2));
        let b = whole(&loaded, "p", &steps(2));
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < if compact { 2e-2 } else { 1e-6 });
        }
        // truncated
        let cut = bytes[..bytes.len() / 2].to_vec();
        let e = Scorer::load(
            ModelFiles {
                config: &cfg,
                tokenizer: &tok,
                weights: cut,
            },
            &device,
        );
        assert!(
            matches!(e, Err(VerifierError::Weights(_))),
            "truncated weights must be an error"
        );
        // garbage and empty
        for bad in [vec![7u8; 1000], Vec::new()] {
            let e = Scorer::load(
                ModelFiles {
                    config: &cfg,
                    tokenizer: &tok,
                    weights: bad,
                },
                &device,
            );
            assert!(matches!(e, Err(VerifierError::Weights(_))));
        }
    }
    // wrong architecture: one more layer than the weights have
    let mut other = s.config.clone();
    other.architecture.num_layers = 3;
    let cfg3 = serde_json::to_vec(&other).unwrap();
    let e = Scorer::load(
        ModelFiles {
            config: &cfg3,
            tokenizer: &tok,
            weights: save_weights(&s.model, true).unwrap(),
        },
        &device,
    );
    let msg = e.err().expect("mismatch must fail").to_string();
    assert!(msg.contains("weights"), "{msg}");
    // malformed config
    let e = Scorer::load(
        ModelFiles {
            config: b"{",
            tokenizer: &tok,
            weights: vec![1],
        },
        &device,
    );
    assert!(matches!(e, Err(VerifierError::Config(_))));
}

#[test]
fn the_network_is_uncalibrated_and_the_decision_calibrates()
-> Result<(), Box<dyn std::error::Error>> {
    use verifier_core::Calibration;
    let mut cal = small_scorer(Limits::default());
    let c = Calibration {
        scale: 0.5,
        bias: -0.3,
    };
    let st = steps(5);
    let p = whole(&cal, "How many apples?", &st);
    cal.config.decision = cal.config.decision.with_calibration(c)?;
    let q = whole(&cal, "How many apples?", &st);
    assert_eq!(
        p, q,
        "the network's probabilities do not depend on the calibration"
    );
    let texts: Vec<String> = st.iter().map(|s| s.to_string()).collect();
    let v = cal.verdict(texts, &q, &cal.config.decision, None)?;
    for (s, raw) in v.steps.iter().zip(q.chunks(2)) {
        assert!((s.model_score - c.apply(raw[0] as f64)).abs() < 1e-12);
    }
    assert_eq!(
        v.orm_score,
        q[q.len() - 1] as f64,
        "the answer head is not calibrated"
    );
    assert_close(&streamed(&cal, "How many apples?", &st), &q);
    // a config with a nonsensical calibration is refused
    let mut bad = serde_json::to_value(&cal.config)?;
    bad["calibration"]["scale"] = serde_json::json!(-1.0);
    let e = ModelConfig::from_json(&serde_json::to_vec(&bad)?);
    assert!(matches!(e, Err(VerifierError::Config(_))));
    // an old config without the field loads as the identity
    let mut v = serde_json::to_value(&cal.config)?;
    v.as_object_mut()
        .ok_or("config is an object")?
        .remove("calibration");
    let old = ModelConfig::from_json(&serde_json::to_vec(&v)?)?;
    assert_eq!(old.decision.calibration(), Calibration::default());
    Ok(())
}

#[test]
fn calibration_fit_recovers_a_known_scaling() -> Result<(), &'static str> {
    use verifier_core::Calibration;
    // Labels drawn (deterministically) from sigmoid(0.4 z - 0.7): the fit must find about that.
    let truth = Calibration {
        scale: 0.4,
        bias: -0.7,
    };
    let (mut probs, mut labels) = (Vec::new(), Vec::new());
    let mut x: u64 = 12345;
    for i in 0..20000 {
        let z = -6.0 + 12.0 * (i as f64 / 20000.0);
        let p = 1.0 / (1.0 + (-z).exp());
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        probs.push(p);
        labels.push(u < truth.apply(p));
    }
    let fit = Calibration::fit(&probs, &labels).ok_or("both classes are present")?;
    assert!(
        (fit.scale - 0.4).abs() < 0.05 && (fit.bias + 0.7).abs() < 0.08,
        "{fit:?}"
    );
    assert!(
        Calibration::fit(&[0.2, 0.9], &[true, true]).is_none(),
        "one class only"
    );
    Ok(())
}

#[test]
fn a_calibration_carries_the_step_rule_through() -> Result<(), verifier_core::VerifierError> {
    use verifier_core::{Calibration, StepRule};
    let cal = Calibration {
        scale: 0.57,
        bias: -0.59,
    };
    let rule = StepRule::new(0.3, Some(0.85))?;
    let mapped = cal.map_rule(rule);
    // many solutions: every decision of the rule on raw scores is the mapped rule's on calibrated
    let mut x: u64 = 7;
    for _ in 0..2000 {
        let raw: Vec<f64> = (0..6)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                0.01 + 0.98 * ((x >> 11) as f64 / (1u64 << 53) as f64)
            })
            .collect();
        let calibrated: Vec<f64> = raw.iter().map(|&p| cal.apply(p)).collect();
        assert_eq!(
            rule.first_bad(&raw),
            mapped.first_bad(&calibrated),
            "{raw:?}"
        );
    }
    let same = Calibration::default().map_rule(rule);
    assert_eq!(same.threshold, 0.3);
    assert!((same.prior.unwrap_or(0.0) - 0.85).abs() < 1e-12);
    Ok(())
}
