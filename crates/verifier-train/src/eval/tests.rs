use super::{
    cache::ScoreCache,
    common::take_spread,
    pbset::{PbSet, cumulative, gated, mean, position_scaled},
    report::prefix_representatives,
};
use crate::batch::StepProbs;
use anyhow::{Context, Result};
use serde_json::json;
use verifier_core::{Calibration, StepRule, decision::logit};
use verifier_data::LabeledSolution;
use verifier_data::sources;

#[test]
fn the_position_threshold_spares_later_steps_and_keeps_false_claims() {
    let sets = vec![vec![0.6, 0.3, 0.3, 0.0, 0.3]];
    let plain = StepRule {
        threshold: 0.5,
        prior: Some(0.8),
    };
    assert_eq!(
        position_scaled(&sets, Some(0.8), 0.0),
        vec![plain.step_scores(&sets[0])],
        "no decay: the step rule's own step scores"
    );
    let scaled = &position_scaled(&sets, Some(0.8), 1.0)[0];
    let base = plain.step_scores(&sets[0]);
    assert!(
        (scaled[0] - base[0]).abs() < 1e-12,
        "the first step is unchanged"
    );
    // the third step changes nothing (0.3 after 0.3): it scores the prior, raised by ln 3
    assert!((logit(scaled[2]) - (logit(0.8) + 3f64.ln())).abs() < 1e-9);
    assert_eq!(scaled[3], 0.0, "a false claim stays flagged");
}

#[test]
fn take_spread_keeps_n_items_spread_over_the_set() {
    let v: Vec<usize> = (0..100).collect();
    assert_eq!(take_spread(v.clone(), Some(4)), vec![0, 25, 50, 75]);
    let got = take_spread(v.clone(), Some(30));
    assert_eq!(got.len(), 30);
    assert!(got.windows(2).all(|w| (3..=4).contains(&(w[1] - w[0]))));
    assert_eq!(take_spread(v.clone(), None), v);
    assert_eq!(take_spread(v.clone(), Some(500)), v);
}

fn sol(problem: &str, steps: &[&str]) -> LabeledSolution {
    LabeledSolution {
        problem: problem.into(),
        steps: steps.iter().map(|s| s.to_string()).collect(),
        labels: vec![true; steps.len()],
        answer_correct: None,
        source: "test",
        ..Default::default()
    }
}

fn pb_item(steps: &[&str], label: i64) -> Result<sources::ProcessBenchItem> {
    Ok(serde_json::from_value(
        json!({"id": "x", "problem": "p", "steps": steps, "label": label}),
    )?)
}

#[test]
fn labelled_steps_stop_at_the_first_error_and_calibration_keeps_checks() -> Result<()> {
    let items = [
        pb_item(&["a", "b", "c"], 1)?,
        pb_item(&["a", "2 + 2 = 5"], -1)?,
    ];
    let set = PbSet::new(
        "t",
        &items,
        vec![(vec![0.9, 0.4, 0.8], 0.3), (vec![0.7, 0.6], 0.9)],
    );
    let (p, y) = set.labelled_steps();
    assert_eq!(
        p,
        vec![0.9, 0.4, 0.7, 0.6],
        "the step after the first error has no label"
    );
    assert_eq!(y, vec![true, false, true, true]);
    assert_eq!(set.checked[1], vec![0.7, 0.0], "a false claim scores 0");
    let mut cal = set;
    cal.calibrate(Calibration {
        scale: 2.0,
        bias: 0.0,
    });
    assert!(cal.scores[0][0] > 0.9 && cal.scores[0][1] < 0.4);
    assert_eq!(cal.checked[1][1], 0.0, "still 0 after calibration");
    assert_eq!(
        cumulative(&[vec![0.5, 0.5, 1.0]]),
        vec![vec![0.5, 0.25, 0.25]]
    );
    assert_eq!(
        gated(&[vec![0.1, 0.2], vec![0.3]], &[0.9, 0.2], 0.5),
        vec![vec![1.0, 1.0], vec![0.3]]
    );
    Ok(())
}

#[test]
fn an_ensemble_averages_every_probability_and_keeps_the_checks() -> Result<()> {
    let items = [pb_item(&["a", "b"], 1)?, pb_item(&["a", "2 + 2 = 5"], -1)?];
    let scored =
        |s: [[f64; 2]; 2], orm: [f64; 2]| vec![(s[0].to_vec(), orm[0]), (s[1].to_vec(), orm[1])];
    let a = scored([[0.9, 0.4], [0.7, 0.6]], [0.2, 0.8]);
    let b = scored([[0.5, 0.2], [0.3, 1.0]], [0.6, 0.4]);
    let c = scored([[0.1, 0.0], [0.2, 0.2]], [0.1, 0.3]);
    assert_eq!(mean(vec![a.clone()]), a, "one model: its own probabilities");
    let e = PbSet::new("t", &items, mean(vec![a, b, c]));
    let near = |x: &[f64], y: &[f64]| x.iter().zip(y).all(|(p, q)| (p - q).abs() < 1e-12);
    assert!(near(&e.scores[0], &[0.5, 0.2]), "{:?}", e.scores);
    assert!(near(&e.scores[1], &[0.4, 0.6]), "{:?}", e.scores);
    assert!(near(&e.orm, &[0.3, 0.5]), "{:?}", e.orm);
    assert!(near(&e.checked[0], &[0.5, 0.2]), "{:?}", e.checked);
    assert_eq!(e.checked[1][1], 0.0, "a false claim still scores 0");
    Ok(())
}

#[test]
fn cache_returns_what_was_stored_for_the_same_items_only() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("prm-cache-test-{}", std::process::id()));
    let cache = ScoreCache {
        dir: Some(dir.clone()),
        model_key: 42,
    };
    let steps = vec!["a".to_string()];
    let other = vec!["b".to_string()];
    let items: Vec<(&str, &[String])> = vec![("p", &steps)];
    let path = cache
        .path("set 1", &items)
        .context("a cache with a folder has paths")?;
    assert_ne!(Some(&path), cache.path("set 1", &[("p", &other)]).as_ref());
    assert_ne!(
        Some(&path),
        ScoreCache {
            dir: Some(dir.clone()),
            model_key: 43
        }
        .path("set 1", &items)
        .as_ref()
    );
    assert_eq!(ScoreCache::none().path("set 1", &items), None);
    std::fs::create_dir_all(&dir)?;
    let stored: Vec<StepProbs> = vec![vec![[0.25, 0.75]]];
    std::fs::write(&path, serde_json::to_vec(&stored)?)?;
    // the stored values come back (scoring would give the model's own, different values)
    let scorer = crate::model_dir::load(
        &crate::model_dir::default_model_dir(),
        &burn::prelude::Device::flex(),
    )?;
    assert_eq!(cache.scores(&scorer, &items, 4096, "set 1")?, stored);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

#[test]
fn an_interrupted_scoring_resumes_after_its_last_finished_items() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("prm-resume-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let cache = ScoreCache {
        dir: Some(dir.clone()),
        model_key: 7,
    };
    let (one, two) = (
        vec!["2 + 2 = 4".to_string()],
        vec!["3 * 3 = 9".to_string(), "so 9.".to_string()],
    );
    let items: Vec<(&str, &[String])> = vec![("p", &one), ("q", &two), ("r", &one)];
    let path = cache.path("set", &items).context("a path")?;
    let partial = path.with_extension("partial.jsonl");
    // the first item finished (values no model gives), the second torn by the interruption
    std::fs::write(&partial, "[0,[[0.25,0.75]]]\n[1,[[0.5,0.5],[0.")?;
    let scorer = crate::model_dir::load(
        &crate::model_dir::default_model_dir(),
        &burn::prelude::Device::flex(),
    )?;
    let probs = cache.scores(&scorer, &items, 4096, "set")?;
    assert_eq!(
        probs[0],
        vec![[0.25, 0.75]],
        "the finished item is not scored again"
    );
    assert_eq!(probs[1].len(), 2);
    assert_ne!(probs[1][0], [0.5, 0.5], "the torn item is scored");
    assert_eq!(probs[2].len(), 1);
    assert!(
        !partial.exists(),
        "the partial file is gone once the set is whole"
    );
    assert_eq!(cache.scores(&scorer, &items, 4096, "set")?, probs);
    // a partial line that does not fit its item (another step count), or is another item's, is
    // not taken
    std::fs::remove_file(&path)?;
    std::fs::write(&partial, "[1,[[0.25,0.75]]]\n")?;
    let again = cache.scores(&scorer, &items, 4096, "set")?;
    assert_ne!(again[0][0], [0.25, 0.75]);
    std::fs::remove_file(&path)?;
    std::fs::write(&partial, "[0,[[0.25,0.75],[0.1,0.1]]]\n")?;
    let again = cache.scores(&scorer, &items, 4096, "set")?;
    assert_eq!(again[0].len(), 1);
    assert_ne!(again[0][0], [0.25, 0.75]);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

#[test]
fn prefixes_are_read_off_the_longest_trajectory() {
    let s = [
        sol("p", &["a", "b", "c"]),
        sol("p", &["a", "b"]),
        sol("p", &["a", "x"]),
        sol("q", &["a", "b"]),
        sol("p", &["a", "b", "c"]),
    ];
    let refs: Vec<&LabeledSolution> = s.iter().collect();
    let (reps, lookup) = prefix_representatives(&refs);
    assert_eq!(reps.len(), 3, "p/a,b,c; p/a,x; q/a,b");
    for (i, &(r, k)) in lookup.iter().enumerate() {
        let rep = &s[reps[r]];
        assert_eq!(rep.problem, s[i].problem);
        assert_eq!(&rep.steps[..=k], &s[i].steps[..], "solution {i}");
    }
}
