use super::*;

type Result = std::result::Result<(), Box<dyn std::error::Error>>;

fn decision(threshold: f64, prior: Option<f64>, aggregate: Aggregate) -> Decision {
    Decision::new(
        StepRule { threshold, prior },
        aggregate,
        Calibration::default(),
        None,
    )
    .expect("a valid decision")
}

fn texts(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn first_bad_step_is_first_below_threshold() -> Result {
    let v = decision(0.5, None, Aggregate::Min).verdict(
        texts(&["a", "b", "c"]),
        &[0.9, 0.3, 0.1],
        0.7,
        None,
    );
    assert_eq!(v.first_bad_step, Some(1));
    assert_eq!(v.reason(), Some(FlagReason::LowScore));
    assert_eq!(v.prm_score, 0.1);
    let json = serde_json::to_value(&v)?;
    assert_eq!(json["aggregate"], "min");
    assert_eq!(json["first_bad_step"], 1);
    assert_eq!(json["steps"][1]["reason"], "low_score");
    assert_eq!(json["steps"][0]["reason"], serde_json::Value::Null);
    assert_eq!(json["answer_check"], serde_json::Value::Null);
    assert_eq!(json["steps"][0]["text"], "a");
    let none = decision(0.5, None, Aggregate::Last).verdict(texts(&["a"]), &[0.9], 0.7, None);
    assert_eq!(
        serde_json::to_value(&none)?["first_bad_step"],
        serde_json::Value::Null
    );
    Ok(())
}

#[test]
fn a_false_claim_makes_the_step_wrong() -> Result {
    let v = decision(0.5, Some(0.8), Aggregate::Product).verdict(
        texts(&["He buys 4 boxes.", "So 17 × 4 = 58 pens.", "17 × 4 = 68"]),
        &[0.9, 0.95, 0.9],
        0.8,
        None,
    );
    assert_eq!(v.first_bad_step, Some(1));
    assert_eq!(v.reason(), Some(FlagReason::FalseClaim));
    assert_eq!(v.steps[1].score, 0.0);
    assert_eq!(v.steps[1].model_score, 0.95);
    assert_eq!(v.steps[1].checks[0].expected.as_deref(), Some("68"));
    assert_eq!(
        v.steps[1].step_score, 0.0,
        "a false claim scores 0 under any rule"
    );
    assert_eq!(
        v.steps[2].score, 0.9,
        "a true claim leaves the model's score"
    );
    assert!(
        (v.steps[2].step_score - 0.9).abs() < 1e-12,
        "after a wrong step the next is scored like a first step"
    );
    assert_eq!(v.prm_score, 0.0);
    Ok(())
}

#[test]
fn validation_lives_in_the_constructor_and_config_json_round_trips() -> Result {
    let bad = [
        StepRule {
            threshold: 1.5,
            prior: None,
        },
        StepRule {
            threshold: 0.5,
            prior: Some(1.0),
        },
        StepRule {
            threshold: f64::NAN,
            prior: None,
        },
    ];
    for rule in bad {
        assert!(Decision::new(rule, Aggregate::Product, Calibration::default(), None).is_err());
    }
    let d = decision(0.4, Some(0.6), Aggregate::Min);
    assert!(d.with_overrides(Some(-0.1), None).is_err());
    assert_eq!(d.with_overrides(Some(0.2), None)?.threshold(), 0.2);
    assert!(
        Decision::new(
            d.rule(),
            Aggregate::Min,
            Calibration {
                scale: -1.0,
                bias: 0.0
            },
            None
        )
        .is_err()
    );
    // the fields as config.json has always stored them (no exercise rule: the untuned one)
    let old: Decision = serde_json::from_str(
        r#"{"threshold": 0.4, "prior": 0.6, "aggregate": "min", "calibration": {"scale": 0.5, "bias": -0.3}}"#,
    )?;
    assert_eq!(old.rule(), d.rule());
    assert_eq!(old.exercise().mismatch_threshold, 0.4);
    let back: Decision = serde_json::from_value(serde_json::to_value(&old)?)?;
    assert_eq!(back, old);
    assert!(serde_json::from_str::<Decision>(r#"{"threshold": 2}"#).is_err());
    Ok(())
}

#[test]
fn calibration_is_applied_on_the_host_before_the_rule() -> Result {
    let c = Calibration {
        scale: 2.0,
        bias: 0.0,
    };
    let d = decision(0.5, None, Aggregate::Product).with_calibration(c)?;
    let v = d.verdict(texts(&["a"]), &[0.7], 0.5, None);
    assert!((v.steps[0].model_score - c.apply(0.7)).abs() < 1e-12);
    assert!(v.steps[0].model_score > 0.8);
    Ok(())
}

const PROBLEM: &str = "A baker makes 17 trays of 4 cookies and sells 30. How many are left?";

fn exercise_steps() -> Vec<String> {
    texts(&[
        "The baker makes 17 trays with 4 cookies each.",
        "She sold 40 of them, so 28 are left.",
        "The answer is 28.",
    ])
}

#[test]
fn a_matching_answer_flags_only_what_is_certain_or_very_doubtful() -> Result {
    let d = decision(0.5, None, Aggregate::Product).with_exercise(ExerciseRule {
        match_threshold: 0.1,
        mismatch_threshold: 0.5,
        use_reference: true,
    })?;
    let steps = texts(&[
        "She has 17 * 4 = 68 cookies.",
        "68 - 30 = 38 are left.",
        "The answer is 38.",
    ]);
    let probs = [0.9, 0.3, 0.4];
    let free = d.verdict(steps.clone(), &probs, 0.5, None);
    assert_eq!(
        free.first_bad_step,
        Some(1),
        "reference-free: the doubtful step"
    );
    let ex = Exercise::new(PROBLEM, Some("38"), None);
    let v = d.verdict(steps.clone(), &probs, 0.5, Some(&ex));
    assert_eq!(
        v.answer_check,
        Some(AnswerCheck {
            expected: "38".into(),
            found: Some("38".into()),
            matches: Some(true)
        })
    );
    assert_eq!(
        v.first_bad_step, None,
        "right answer: a merely doubtful step is not flagged"
    );
    let v = d.verdict(steps, &[0.9, 0.05, 0.4], 0.5, Some(&ex));
    assert_eq!(
        v.first_bad_step,
        Some(1),
        "but a step the model is very sure of is"
    );
    // right answer, wrong reasoning: a false claim is still caught
    let wrong = texts(&[
        "She has 17 * 4 = 58 cookies.",
        "She has 38 left.",
        "The answer is 38.",
    ]);
    let v = d.verdict(wrong, &[0.9, 0.9, 0.9], 0.5, Some(&ex));
    assert_eq!(
        (v.first_bad_step, v.reason()),
        (Some(0), Some(FlagReason::FalseClaim))
    );
    Ok(())
}

#[test]
fn a_wrong_answer_always_names_a_step() -> Result {
    let d = decision(0.5, None, Aggregate::Product);
    let ex = Exercise::new(PROBLEM, Some("38"), None);
    let steps = texts(&[
        "She has 68 cookies.",
        "She sells 40, so 28 are left.",
        "The answer is 28.",
    ]);
    let v = d.verdict(steps.clone(), &[0.9, 0.7, 0.8], 0.5, Some(&ex));
    assert_eq!(v.answer_check.as_ref().and_then(|c| c.matches), Some(false));
    assert_eq!(
        v.first_bad_step,
        Some(1),
        "no step below the threshold: the least trusted one"
    );
    assert_eq!(v.reason(), Some(FlagReason::WrongFinalAnswer));
    let free = d.verdict(steps, &[0.9, 0.7, 0.8], 0.5, None);
    assert_eq!(
        free.first_bad_step, None,
        "without the answer nothing is flagged"
    );
    Ok(())
}

#[test]
fn the_reference_finds_where_a_wrong_solution_leaves_it() -> Result {
    let d = decision(0.5, None, Aggregate::Product);
    let reference = texts(&[
        "17 * 4 = <<17*4=68>>68 cookies",
        "68 - 30 = <<68-30=38>>38 left",
        "#### 38",
    ]);
    let ex = Exercise::new(PROBLEM, Some("38"), Some(&reference));
    let steps = texts(&[
        "She bakes 68 cookies.",
        "After selling, 68 - 40 = 28 are left.",
        "The answer is 28.",
    ]);
    let v = d.verdict(steps, &[0.9, 0.8, 0.3], 0.5, Some(&ex));
    assert_eq!(
        (v.first_bad_step, v.reason()),
        (Some(1), Some(FlagReason::DivergesFromReference))
    );
    Ok(())
}

#[test]
fn streaming_decides_the_answer_when_it_is_stated() -> Result {
    let d = decision(0.5, None, Aggregate::Product);
    let ex = Exercise::new(PROBLEM, Some("38"), None);
    let all = exercise_steps();
    let mut steps = Vec::new();
    for (k, (t, p)) in all.iter().zip([0.9, 0.8, 0.8]).enumerate() {
        steps.push(d.step(t.clone(), p));
        let v = d.decide(steps.clone(), 0.5, Some(&ex), false);
        if k < 2 {
            assert_eq!(
                v.first_bad_step, None,
                "no answer stated yet: the reference-free rule"
            );
            assert_eq!(v.answer_check.as_ref().and_then(|c| c.found.clone()), None);
        } else {
            assert_eq!(v.answer_check.as_ref().and_then(|c| c.matches), Some(false));
            assert!(
                v.first_bad_step.is_some(),
                "re-decided once the answer is there"
            );
        }
    }
    Ok(())
}

#[test]
fn unusable_exercise_input_warns_and_falls_back() -> Result {
    let d = decision(0.5, None, Aggregate::Product);
    let steps = texts(&["She has 68 cookies.", "The answer is 28."]);
    for (answer, reference, want) in [
        (Some("  "), None, "answer is empty"),
        (Some("\\text{}"), None, "nothing to compare"),
        (None, Some(texts(&[" "])), "reference solution is empty"),
        (None, Some(texts(&["1 + 1 = 2"])), "another problem"),
    ] {
        let ex = Exercise::new(PROBLEM, answer, reference.as_deref());
        let v = d.verdict(steps.clone(), &[0.9, 0.8], 0.5, Some(&ex));
        assert_eq!(v.answer_check, None);
        assert_eq!(v.first_bad_step, None, "the reference-free verdict");
        assert!(
            v.warnings.iter().any(|w| w.contains(want)),
            "{:?} should mention {want}",
            v.warnings
        );
    }
    let long: Vec<String> = (0..300).map(|k| format!("17 + {k} = {}", 17 + k)).collect();
    let ex = Exercise::new(PROBLEM, None, Some(&long));
    assert!(ex.warnings[0].contains("only the first 256"));
    Ok(())
}

#[test]
fn a_bare_answer_line_is_as_right_as_the_work_it_restates() -> Result {
    let d = decision(0.5, Some(0.8), Aggregate::Product);
    let work = [
        "He buys 3 bags of 6 pens: 3 * 6 = 18",
        "He gives 5 away: 18 - 5 = 13",
    ];
    // the network distrusts the bare line (0.3); it restates 13, so it carries 0.9
    let steps = texts(&[work[0], work[1], "A: 13"]);
    let v = d.verdict(steps, &[0.9, 0.9, 0.3], 0.8, None);
    assert_eq!(v.first_bad_step, None);
    assert_eq!(v.steps[2].score, 0.9);
    assert_eq!(
        v.steps[2].model_score, 0.3,
        "the network's own score stays visible"
    );
    // an answer line stating something no step reached is judged on its own
    let steps = texts(&[work[0], work[1], "A: 15"]);
    let v = d.verdict(steps, &[0.9, 0.9, 0.3], 0.8, None);
    assert_eq!(v.first_bad_step, Some(2));
    // the rule carries the score, it does not raise it: a wrong step before stays flagged
    let steps = texts(&[work[0], work[1], "A: 13"]);
    let v = d.verdict(steps, &[0.9, 0.2, 0.3], 0.8, None);
    assert_eq!(v.first_bad_step, Some(1));
    Ok(())
}
