//! End-to-end tests of `prm eval` (ProcessBench files, `--update-model`), `prm checks` on the
//! reference solutions and `prm average`, with the shipped model.

mod common;

use common::*;

#[test]
fn processbench_eval_reports_f1_per_file() {
    let f = sample("processbench_mini.json");
    let o = prm()
        .args(["eval", "processbench", "--json", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &v["files"]["processbench_mini"];
    assert_eq!(r["n"], 3);
    let (e, c, f1) = (
        r["acc_erroneous"].as_f64().unwrap(),
        r["acc_correct"].as_f64().unwrap(),
        r["f1"].as_f64().unwrap(),
    );
    let want = if e + c > 0.0 {
        2.0 * e * c / (e + c)
    } else {
        0.0
    };
    assert!((f1 - want).abs() < 1e-12);
    // threshold 0: nothing is ever flagged -> every correct item right, every erroneous one wrong
    let o = prm()
        .args([
            "eval",
            "processbench",
            "--json",
            "--threshold",
            "0",
            f.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files"]["processbench_mini"]["acc_correct"], 1.0);
    assert_eq!(v["files"]["processbench_mini"]["acc_erroneous"], 0.0);
    assert_clean_error(
        &prm()
            .args(["eval", "processbench", "/nonexistent.json"])
            .output()
            .unwrap(),
        "cannot read",
    );
    // bad items are all reported before any scoring and skipped; the others are scored
    let mut items: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
    let mut empty_step = items[0].clone();
    empty_step["steps"][1] = "  ".into();
    empty_step["id"] = "empty-step".into();
    let mut no_problem = items[1].clone();
    no_problem["problem"] = "".into();
    items.insert(1, empty_step);
    items.push(no_problem);
    let dir = std::env::temp_dir().join(format!("prm-pb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_file = dir.join("with_bad.json");
    std::fs::write(&bad_file, serde_json::to_vec(&items).unwrap()).unwrap();
    let o = prm()
        .args(["eval", "processbench", "--json", bad_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("item 2 (id empty-step): bad input: step 2 is empty"),
        "{err}"
    );
    assert!(err.contains("item 5 (id"), "{err}");
    assert!(err.contains("skipped 2 bad items"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["files"]["with_bad"]["n"], 3,
        "the good items are all scored"
    );
    assert_eq!(v["skipped"].as_array().unwrap().len(), 2);
    let o = prm()
        .args([
            "eval",
            "processbench",
            "--strict",
            bad_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_clean_error(&o, "2 bad items");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn eval_without_data_is_a_clear_error() {
    let o = prm()
        .args(["eval", "--data", "/nonexistent/data"])
        .output()
        .unwrap();
    assert_clean_error(&o, "data folder");
}

#[test]
fn arithmetic_checks_raise_no_false_alarm_on_the_reference_solutions() {
    let Some(data) = shared_data() else { return };
    let o = prm()
        .args([
            "checks",
            "--strict",
            "--show",
            "5",
            "--data",
            data.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("GSM8K train") && out.contains("-> 0 false alarms"),
        "{out}"
    );
}
#[test]
fn eval_update_model_stores_threshold_and_calibration_and_the_model_still_loads() {
    let Some(data) = shared_data() else { return };
    let tmp = std::env::temp_dir().join(format!("prm-cli-eval-{}", std::process::id()));
    let model = tmp.join("model");
    copy_model(&model);
    // start from an uncalibrated copy, so the stored calibration is the fitted one
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("config.json")).unwrap()).unwrap();
    cfg.as_object_mut().unwrap().remove("calibration");
    std::fs::write(model.join("config.json"), cfg.to_string()).unwrap();
    let out = tmp.join("reports");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "eval",
            "--limit",
            "6",
            "--model",
            model.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let o = prm()
        .args(args(&[
            "--update-model",
            "--calibrate-on",
            "processbench-gsm8k",
        ]))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    for key in [
        "processbench",
        "processbench_no_prior",
        "processbench_running_product",
        "processbench_orm_gated",
        "calibration",
        "prm800k_test",
        "best_of_4_gsm8k_heldout",
    ] {
        assert!(report[key].is_object(), "report lacks {key}");
    }
    assert_eq!(
        report["calibration"]["candidates"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let fit = &report["calibration"]["fit"];
    assert!(
        fit["scale"].as_f64().unwrap() > 0.0,
        "the gsm8k steps of 6 items hold both labels: {fit}"
    );
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("config.json")).unwrap()).unwrap();
    assert_eq!(cfg["threshold"], report["threshold"]);
    assert_eq!(
        cfg["prior"], report["prior"],
        "the rule's prior is stored with its threshold"
    );
    assert_eq!(
        cfg["calibration"], *fit,
        "fitted on an uncalibrated model, stored as fitted"
    );
    assert!(
        std::fs::read_to_string(model.join("MODEL_CARD.md"))
            .unwrap()
            .contains("Calibration")
    );
    // the updated model scores, with calibrated step scores
    let f = sample("correct.json");
    verdict(&[
        "score",
        "--json",
        "--model",
        model.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn averaging_a_model_with_itself_gives_its_raw_scores_and_records_the_models() {
    let tmp = std::env::temp_dir().join(format!("prm-avg-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let shipped = root().join("models/verifier");
    let out = tmp.join("avg");
    let o = prm()
        .args(["average", "--out", out.to_str().unwrap()])
        .args([&shipped, &shipped])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        config["training"]["average_of"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(
        config["training"]["command"]
            .as_str()
            .unwrap()
            .starts_with("prm average")
    );
    assert_eq!(
        config["calibration"]["scale"], 1.0,
        "calibration starts over"
    );
    assert!(out.join("MODEL_CARD.md").is_file());

    // Same weights: the average's (uncalibrated) step probabilities are the shipped model's
    // before its calibration.
    let f = sample("correct.json");
    let f = f.to_str().unwrap();
    let avg = verdict(&["score", "--json", "--model", out.to_str().unwrap(), f]);
    let ship = verdict(&["score", "--json", f]);
    let shipped_cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(shipped.join("config.json")).unwrap()).unwrap();
    let (a, b) = (
        shipped_cfg["calibration"]["scale"].as_f64().unwrap(),
        shipped_cfg["calibration"]["bias"].as_f64().unwrap(),
    );
    let steps = ship["steps"].as_array().unwrap();
    assert!(!steps.is_empty());
    for (s, t) in steps.iter().zip(avg["steps"].as_array().unwrap()) {
        let p = s["model_score"].as_f64().unwrap();
        let raw = 1.0 / (1.0 + (-(((p / (1.0 - p)).ln() - b) / a)).exp());
        let got = t["model_score"].as_f64().unwrap();
        assert!((raw - got).abs() < 2e-3, "{raw} vs {got}");
    }

    // a missing model is a clear error and writes nothing
    let o = prm()
        .args(["average", "--out", tmp.join("none").to_str().unwrap()])
        .args([&shipped, &tmp.join("missing")])
        .output()
        .unwrap();
    assert_clean_error(&o, "not found");
    assert!(!tmp.join("none").exists());
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn processbench_eval_keeps_its_scores_in_the_cache_and_reuses_them() {
    let f = sample("processbench_mini.json");
    let dir = std::env::temp_dir().join(format!("prm-pb-cache-{}", std::process::id()));
    let run = || {
        prm()
            .args(["eval", "processbench", "--json", "--cache"])
            .arg(&dir)
            .arg(&f)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", stderr(&first));
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(
        files.len(),
        1,
        "one cache file, no partial one left: {files:?}"
    );
    let second = run();
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("probabilities from"),
        "{}",
        stderr(&second)
    );
    assert_eq!(first.stdout, second.stdout);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn exercise_eval_writes_one_line_of_verdicts_per_item() {
    let Some(data) = shared_data() else { return };
    let tmp = std::env::temp_dir().join(format!("prm-cli-exercise-{}", std::process::id()));
    let items = tmp.join("items.jsonl");
    let o = prm()
        .args([
            "eval",
            "exercise",
            "--limit",
            "6",
            "--stored-rule",
            "--data",
        ])
        .arg(&data)
        .arg("--out")
        .arg(&tmp)
        .arg("--items-out")
        .arg(&items)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.join("exercise.json")).unwrap()).unwrap();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&items)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for sub in ["gsm8k", "math"] {
        let mine: Vec<&serde_json::Value> = lines.iter().filter(|l| l["subset"] == sub).collect();
        assert_eq!(
            mine.len() as u64,
            report["subsets"][sub]["modes"]["answer known"]["n"]
                .as_u64()
                .unwrap(),
            "{sub}: one line per item the report counts"
        );
        for l in mine {
            let steps = l["step_scores"].as_array().unwrap().len();
            assert!(steps > 0 && l["false_claims"].as_array().unwrap().len() == steps);
            // a decided mismatch always names a step, in both exercise modes
            if l["answer_matches"] == false {
                assert!(l["first_bad_step"]["answer known"].is_u64(), "{l}");
                assert!(l["first_bad_step"]["answer + reference"].is_u64(), "{l}");
            }
        }
    }
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn an_exercise_ensemble_chooses_its_rule_on_the_averaged_scores() {
    let Some(data) = shared_data() else { return };
    let tmp = std::env::temp_dir().join(format!("prm-cli-exercise-ens-{}", std::process::id()));
    let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/verifier");
    let run = |extra: &[&str]| {
        prm()
            .args(["eval", "exercise", "--limit", "6", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(&tmp)
            .args(extra)
            .output()
            .unwrap()
    };
    let m = model.to_str().unwrap();
    let o = run(&["--ensemble-with", m]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("ensemble of 2 models"), "{out}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.join("exercise.json")).unwrap()).unwrap();
    assert_eq!(report["ensemble_with"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["exercise_rule_chosen_on_gsm8k"], true);
    let missing = run(&["--ensemble-with", "no/such/model"]);
    assert_clean_error(&missing, "no/such/model");
    // an ensemble's rule is chosen on its averaged scores: a stored rule does not apply to them
    let stored = run(&["--ensemble-with", m, "--stored-rule"]);
    assert_clean_error(&stored, "cannot be used with");
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn the_exercise_rule_chosen_does_not_depend_on_the_stored_one() {
    let Some(data) = shared_data() else { return };
    let tmp = std::env::temp_dir().join(format!("prm-cli-exercise-stored-{}", std::process::id()));
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/verifier");
    // a copy of the shipped model whose stored exercise rule localises at 0.99 instead
    let copy = tmp.join("model");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    let cfg = copy.join("config.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&cfg).unwrap()).unwrap();
    v["exercise"]["mismatch_threshold"] = 0.99.into();
    std::fs::write(&cfg, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let chosen = |model: &std::path::Path, out: &str| {
        let o = prm()
            .args([
                "eval",
                "exercise",
                "--limit",
                "6",
                "--subsets",
                "gsm8k",
                "--data",
            ])
            .arg(&data)
            .arg("--model")
            .arg(model)
            .arg("--out")
            .arg(tmp.join(out))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(tmp.join(out).join("exercise.json")).unwrap())
                .unwrap();
        assert!(report["prior"].is_f64(), "{report}");
        report["exercise_rule"].clone()
    };
    // six items tie many thresholds: the first of equals on the grid wins, not the stored one
    assert_eq!(chosen(&shipped, "a"), chosen(&copy, "b"));
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn a_rule_chosen_on_a_file_judges_it_at_least_as_well_as_the_stored_one() {
    let f = sample("processbench_mini.json");
    let f1 = |extra: &[&str]| {
        let o = prm()
            .args(["eval", "processbench", "--json"])
            .args(extra)
            .arg(&f)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (
            v["files"]["processbench_mini"]["f1"].as_f64().unwrap(),
            v["chosen_on_files"].clone(),
        )
    };
    let (stored, none) = f1(&[]);
    let (chosen, on) = f1(&["--choose-on", "1"]);
    assert!(none.is_null());
    assert_eq!(on, 1);
    // the stored rule is a grid rule carried through the calibration: choosing on the file can
    // only do as well or better there (the stored rule judges this file right: so must the chosen)
    assert_eq!(stored, 1.0);
    assert!(chosen >= stored - 1e-12, "{chosen} < {stored}");
    assert_clean_error(
        &prm()
            .args(["eval", "processbench", "--choose-on", "2"])
            .arg(&f)
            .output()
            .unwrap(),
        "--choose-on 2",
    );
}

#[test]
fn an_ensemble_of_a_model_with_itself_judges_as_the_model_alone() {
    let f = sample("processbench_mini.json");
    let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/verifier");
    let run = |extra: &[&str]| {
        prm()
            .args(["eval", "processbench", "--json", "--choose-on", "1"])
            .args(extra)
            .arg(&f)
            .output()
            .unwrap()
    };
    let f1 = |o: &std::process::Output| {
        assert!(o.status.success(), "{}", stderr(o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["files"]["processbench_mini"].clone()
    };
    let alone = f1(&run(&[]));
    let m = model.to_str().unwrap();
    let pair = f1(&run(&["--ensemble-with", m]));
    // the same probabilities averaged, judged without the calibration by a rule chosen on them:
    // the calibration is monotone, so every verdict is the same
    for k in ["f1", "acc_erroneous", "acc_correct"] {
        let (a, b) = (alone[k].as_f64().unwrap(), pair[k].as_f64().unwrap());
        assert!((a - b).abs() < 1e-12, "{k}: {a} vs {b}");
    }
    let missing = run(&["--ensemble-with", "no/such/model"]);
    assert_clean_error(&missing, "no/such/model");
    let o = prm()
        .args(["eval", "processbench", "--ensemble-with", m])
        .arg(&f)
        .output()
        .unwrap();
    // clap names the missing --choose-on on the line after its error line
    assert_clean_error(&o, "required arguments");
    assert!(stderr(&o).contains("--choose-on"), "{}", stderr(&o));
}
