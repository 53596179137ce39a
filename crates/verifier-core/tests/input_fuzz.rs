//! Property tests of the whole input path, from request bytes to a verdict's decision: request
//! JSON -> step splitting -> tokenization -> window planning -> the exercise (answer check and
//! reference) -> the decision. No input may panic, hang or lose a step.
//!
//! The number of cases per target is `PROPTEST_CASES` (proptest's default, 256, in the test run);
//! the full budget: `PROPTEST_CASES=1000000 cargo test --release -p verifier-core --test input_fuzz`.

use std::sync::OnceLock;

use proptest::prelude::*;
use verifier_core::{
    Aggregate, Calibration, Decision, Exercise, ScoreRequest, StepEncoder, StepRule,
    decision::answer, encode::Limits, scorer::windows,
};

static TOKENIZER: &[u8] = include_bytes!("../../../models/verifier/tokenizer.json");

fn encoder() -> &'static StepEncoder {
    static E: OnceLock<StepEncoder> = OnceLock::new();
    E.get_or_init(|| {
        // small limits, so that cutting, refusing and windowing are all reached
        let limits = Limits {
            max_problem_tokens: 24,
            max_step_tokens: 16,
            max_steps: 12,
            max_positions: 64,
            max_chars: 400,
        };
        StepEncoder::from_bytes(TOKENIZER, limits).expect("the shipped tokenizer loads")
    })
}

/// Text made of the pieces that matter to splitting, tokenizing and reading answers.
fn texty() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "17",
        "4",
        "= 58",
        "= 68",
        "3.5",
        "1,250",
        "\\frac{3}{4}",
        "\\boxed{",
        "}",
        "{",
        "$",
        "\\(",
        "\\)",
        "The answer is ",
        "#### ",
        "Step 1:",
        "Step 2:",
        "\n",
        "\n\n",
        " ",
        "apples",
        "x = ",
        "(1, 2)",
        "%",
        "\\sqrt{12}",
        "\\begin{pmatrix}",
        "\\\\",
        "&",
        "\\end{pmatrix}",
        "é",
        "\u{0}",
        "\u{200b}",
        "−",
        "I hope it is correct.",
        ". ",
        "A: ",
    ]);
    prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
}

/// Request JSON, well-formed or not.
fn request() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        (
            texty(),
            prop::collection::vec(texty(), 0..20),
            prop::option::of(texty()),
            prop::option::of(texty())
        )
            .prop_map(|(p, steps, answer, reference)| {
                let mut v = serde_json::json!({"problem": p, "steps": steps});
                if let Some(a) = answer {
                    v["answer"] = a.into();
                }
                if let Some(r) = reference {
                    v["reference"] = r.into();
                }
                v.to_string().into_bytes()
            }),
        (texty(), texty()).prop_map(|(p, s)| {
            serde_json::json!({"problem": p, "solution": s})
                .to_string()
                .into_bytes()
        }),
    ]
}

fn decision() -> Decision {
    Decision::new(
        StepRule {
            threshold: 0.4,
            prior: Some(0.6),
        },
        Aggregate::Product,
        Calibration {
            scale: 0.5,
            bias: -0.3,
        },
        None,
    )
    .expect("a valid decision")
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn the_input_path_never_panics_and_scores_every_step_once(bytes in request(), seed in any::<u64>()) {
        let Ok(req) = ScoreRequest::from_json(&bytes) else { return Ok(()) };
        prop_assert!(!req.steps.is_empty());
        if let Ok(enc) = encoder().encode(&req.problem, &req.steps) {
            prop_assert_eq!(enc.steps.len(), req.steps.len());
            let wins = windows(&enc, encoder().limits.max_positions);
            let mut scored = vec![0usize; req.steps.len()];
            for w in &wins {
                prop_assert_eq!(w.markers.len(), w.scored.len());
                for k in w.scored.clone() {
                    scored[k] += 1;
                }
            }
            prop_assert!(scored.iter().all(|&n| n == 1), "every step scored exactly once: {scored:?}");
        }
        // the decision over made-up probabilities, with the request's exercise
        let probs: Vec<f64> = (0..req.steps.len())
            .map(|i| ((seed.rotate_left(i as u32 * 7) % 1000) as f64) / 1000.0)
            .collect();
        let exercise = req.exercise();
        let v = decision().verdict(req.steps.clone(), &probs, 0.5, exercise.as_ref());
        prop_assert_eq!(v.steps.len(), req.steps.len());
        if v.answer_check.as_ref().and_then(|c| c.matches) == Some(false) {
            prop_assert!(v.first_bad_step.is_some(), "a wrong answer always names a step");
        }
        if let Some(i) = v.first_bad_step {
            prop_assert!(v.steps[i].reason.is_some());
        }
    }

    #[test]
    fn an_answer_never_differs_from_itself(a in texty(), b in texty()) {
        prop_assert_ne!(answer::compare(&a, &a), Some(false), "{:?}", a);
        let _ = answer::compare(&a, &b);
        let _ = answer::final_answer(&[a.as_str(), b.as_str()], true);
    }

    #[test]
    fn streaming_decides_as_the_whole_solution_does(steps in prop::collection::vec(texty(), 1..12), seed in any::<u64>()) {
        let d = decision();
        let probs: Vec<f64> = (0..steps.len())
            .map(|i| ((seed.rotate_left(i as u32 * 5) % 1000) as f64) / 1000.0)
            .collect();
        let ex = Exercise::new("Tom has 17 boxes of 4 pens.", Some("68"), None);
        let whole = d.verdict(steps.clone(), &probs, 0.5, Some(&ex));
        let mut made = Vec::new();
        for (t, &p) in steps.iter().zip(&probs) {
            made.push(d.step(t.clone(), p));
            let _ = d.decide(made.clone(), 0.5, Some(&ex), false);
        }
        prop_assert_eq!(d.decide(made, 0.5, Some(&ex), true), whole);
    }
}
