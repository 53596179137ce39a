//! End-to-end tests of the `prm` binary with the shipped model: the verdict JSON, the table, and
//! every kind of bad input giving a one-line error and a non-zero exit, never a panic.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

fn prm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_prm"))
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample(name: &str) -> PathBuf {
    root().join("samples").join(name)
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = prm()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The program may exit before reading everything (e.g. a bad option): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// A failed run: non-zero exit, one `error:` line, no panic.
fn assert_clean_error(o: &Output, mention: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "should fail: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line expected: {err}");
    assert!(
        lines[0].to_lowercase().contains(&mention.to_lowercase()),
        "{err:?} should mention {mention:?}"
    );
}

fn verdict(args: &[&str]) -> serde_json::Value {
    let o = prm().args(args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("one JSON object")
}

#[test]
fn score_json_has_the_shared_verdict_shape() {
    let v = verdict(&[
        "score",
        "--json",
        sample("wrong_step.json").to_str().unwrap(),
    ]);
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    for s in steps {
        let p = s["score"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert!(s["text"].is_string());
    }
    for k in ["prm_score", "orm_score", "threshold"] {
        assert!(v[k].as_f64().is_some(), "{k}");
    }
    assert_eq!(v["aggregate"], "product");
    assert!(v["first_bad_step"].is_null() || v["first_bad_step"].as_u64().is_some());
    // product aggregate is the product of the step scores
    let prod: f64 = steps.iter().map(|s| s["score"].as_f64().unwrap()).product();
    assert!((prod - v["prm_score"].as_f64().unwrap()).abs() < 1e-9);
}

#[test]
fn threshold_and_aggregate_options_drive_the_verdict() {
    let f = sample("wrong_step.json");
    let f = f.to_str().unwrap();
    let all_bad = verdict(&["score", "--json", "--threshold", "1", f]);
    assert_eq!(all_bad["first_bad_step"], 0);
    let none_bad = verdict(&["score", "--json", "--threshold", "0", f]);
    assert!(none_bad["first_bad_step"].is_null());
    let last = verdict(&["score", "--json", "--aggregate", "last", f]);
    assert_eq!(last["aggregate"], "last");
    assert_eq!(last["prm_score"], last["steps"][2]["score"]);
}

#[test]
fn a_known_answer_gives_the_answer_check_and_a_first_bad_step() {
    let f = sample("wrong_step.json");
    let f = f.to_str().unwrap();
    let free = verdict(&["score", "--json", f]);
    assert!(free["answer_check"].is_null(), "no answer given");
    // the solution's answer (28) against the right one (38): does not match, a step is named
    let v = verdict(&["score", "--json", "--answer", "38", f]);
    assert_eq!(v["answer_check"]["expected"], "38");
    assert_eq!(v["answer_check"]["found"], "28");
    assert_eq!(v["answer_check"]["matches"], false);
    let i = v["first_bad_step"]
        .as_u64()
        .expect("a wrong answer always names a step") as usize;
    assert!(v["steps"][i]["reason"].is_string(), "{v}");
    // told the solution's own answer, it matches
    let m = verdict(&["score", "--json", "--answer", "28", f]);
    assert_eq!(m["answer_check"]["matches"], true);
    // the table prints the check under the steps
    let o = prm().args(["score", "--answer", "38", f]).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("answer check: expected 38, found 28 — does not match"),
        "{out}"
    );
    // a reference from a file, and an unusable answer: a warning and the reference-free verdict
    let dir = std::env::temp_dir().join(format!("prm-ref-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let r = dir.join("ref.txt");
    std::fs::write(&r, "17 * 4 = 68 cookies\n68 - 30 = 38\nThe answer is 38.").unwrap();
    let o = prm()
        .args([
            "score",
            "--json",
            "--answer",
            "  ",
            "--reference",
            r.to_str().unwrap(),
            f,
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: the given answer is empty"),
        "{}",
        stderr(&o)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["answer_check"].is_null());
    assert_eq!(v["first_bad_step"], free["first_bad_step"]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn jsonl_scores_every_good_request_and_reports_the_bad_ones() {
    let good = std::fs::read_to_string(sample("wrong_step.json")).unwrap();
    let good: serde_json::Value = serde_json::from_str(&good).unwrap();
    let input = format!(
        "{}\n{{\"problem\": \"p\", \"steps\": []}}\nnot json\n\n{}\n",
        good,
        serde_json::json!({"problem": good["problem"], "steps": good["steps"], "answer": "38"})
    );
    let o = run_stdin(&["score", "--jsonl"], input.as_bytes());
    assert_eq!(
        o.status.code(),
        Some(3),
        "some requests bad: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains("line 2: bad input: the solution has no steps"),
        "{err}"
    );
    assert!(err.contains("line 3: bad input: malformed JSON"), "{err}");
    assert!(!err.contains("panicked"));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        4,
        "one line per request, in order (blank lines skipped)"
    );
    assert_eq!(lines[0]["steps"].as_array().unwrap().len(), 3);
    assert_eq!(lines[1]["line"], 2);
    assert!(
        lines[2]["error"]
            .as_str()
            .unwrap()
            .contains("malformed JSON")
    );
    assert_eq!(lines[3]["answer_check"]["matches"], false);
    let o = run_stdin(
        &["score", "--jsonl"],
        format!("\n\n{{\"problem\": \"p\"}}\n").as_bytes(),
    );
    assert!(
        stderr(&o).contains("line 3: bad input"),
        "input line numbers: {}",
        stderr(&o)
    );
    assert_eq!(
        lines[0]["steps"],
        verdict(&[
            "score",
            "--json",
            sample("wrong_step.json").to_str().unwrap()
        ])["steps"]
    );
    // --strict refuses before any scoring
    let o = run_stdin(&["score", "--jsonl", "--strict"], input.as_bytes());
    assert_clean_error(&o, "2 of 4 requests are bad");
    assert!(o.stdout.is_empty());
    // values of --device and --aggregate are listed and checked by clap
    let o = prm()
        .args(["score", "--aggregate", "mean"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("product, min, last"), "{}", stderr(&o));
}

#[test]
fn solution_text_is_split_by_the_shared_splitter_and_stdin_works() {
    let text = std::fs::read(sample("solution_text.json")).unwrap();
    let o = run_stdin(&["score", "--json"], &text);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["steps"].as_array().unwrap().len(), 3);
    assert_eq!(
        v["steps"][1]["text"],
        "He gives away 10, so he has 36 - 10 = 26 pencils."
    );
}

#[test]
fn table_output_is_readable() {
    let o = prm()
        .args(["score", sample("wrong_step.json").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("PRM score (product)"));
    assert!(out.contains("ORM score"));
    assert!(out.contains("17 * 4 = 58"));
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "empty"),
        (b"{\"problem\": ".to_vec(), "malformed JSON"),
        (
            b"{\"problem\": \"p\", \"steps\": [\"\xff\xfe\"]}".to_vec(),
            "UTF-8",
        ),
        (
            b"{\"problem\": \"\", \"steps\": [\"a\"]}".to_vec(),
            "problem is empty",
        ),
        (b"{\"problem\": \"p\", \"steps\": []}".to_vec(), "no steps"),
        (b"[1, 2]".to_vec(), "malformed JSON"),
    ];
    for (input, mention) in cases {
        assert_clean_error(&run_stdin(&["score"], &input), mention);
    }
    let many: Vec<String> = (0..10_000).map(|i| format!("x = {i}")).collect();
    let req = serde_json::json!({"problem": "p", "steps": many});
    assert_clean_error(
        &run_stdin(&["score"], req.to_string().as_bytes()),
        "too many steps",
    );
    assert_clean_error(
        &run_stdin(&["score", "--threshold", "2"], b"{}"),
        "threshold",
    );
    assert_clean_error(
        &prm()
            .args(["score", "/nonexistent/x.json"])
            .output()
            .unwrap(),
        "cannot read",
    );
}

#[test]
fn a_million_character_step_is_truncated_with_a_warning() {
    let req = serde_json::json!({"problem": "What is 2 + 2?", "steps": ["2 + 2 = 4 ".repeat(100_000), "The answer is 4."]});
    let o = run_stdin(&["score", "--json"], req.to_string().as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning: step 1 was cut"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["steps"].as_array().unwrap().len(), 2);
}

fn copy_model(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in ["config.json", "tokenizer.json", "model.bpk"] {
        std::fs::copy(root().join("models/verifier").join(f), to.join(f)).unwrap();
    }
}

#[test]
fn broken_model_files_are_one_line_errors() {
    let tmp = std::env::temp_dir().join(format!("prm-cli-test-{}", std::process::id()));
    let f = sample("correct.json");
    let f = f.to_str().unwrap();
    let run = |dir: &Path| {
        prm()
            .args(["score", "--model", dir.to_str().unwrap(), f])
            .output()
            .unwrap()
    };

    assert_clean_error(&run(&tmp.join("missing")), "not found");

    let truncated = tmp.join("truncated");
    copy_model(&truncated);
    let w = std::fs::read(truncated.join("model.bpk")).unwrap();
    std::fs::write(truncated.join("model.bpk"), &w[..w.len() / 3]).unwrap();
    // the shipped config.json records each file's size and SHA-256
    assert_clean_error(&run(&truncated), "model.bpk does not match the digest");

    let garbage = tmp.join("garbage");
    copy_model(&garbage);
    std::fs::write(garbage.join("model.bpk"), b"not a model at all").unwrap();
    assert_clean_error(&run(&garbage), "does not match the digest");
    // without recorded digests the weights themselves are refused
    for dir in [&truncated, &garbage] {
        let mut cfg: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
        cfg.as_object_mut().unwrap().remove("files");
        std::fs::write(dir.join("config.json"), cfg.to_string()).unwrap();
        assert_clean_error(&run(dir), "weights");
    }

    let arch = tmp.join("arch");
    copy_model(&arch);
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(arch.join("config.json")).unwrap()).unwrap();
    cfg["architecture"]["num_layers"] = 7.into();
    std::fs::write(arch.join("config.json"), cfg.to_string()).unwrap();
    assert_clean_error(&run(&arch), "weights");

    let badcfg = tmp.join("badcfg");
    copy_model(&badcfg);
    std::fs::write(badcfg.join("config.json"), b"{\"architecture\": 3").unwrap();
    assert_clean_error(&run(&badcfg), "config");
    let _ = std::fs::remove_dir_all(&tmp);
}

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
fn parity_fixture_matches_the_native_build() {
    // The browser tests compare WebGPU and CPU scores with these native ones; they must be current.
    let cases: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(root().join("tests/fixtures/parity.json")).unwrap())
            .unwrap();
    assert!(cases.len() >= 3);
    for c in cases {
        let req = serde_json::json!({"problem": c["problem"], "steps": c["steps"]});
        let o = run_stdin(&["score", "--json"], req.to_string().as_bytes());
        assert!(o.status.success());
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let stored = &c["native"];
        assert_eq!(
            v["first_bad_step"], stored["first_bad_step"],
            "run scripts/parity-fixture.sh after changing the model"
        );
        for (a, b) in v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .zip(stored["steps"].as_array().unwrap())
        {
            let (a, b) = (a["score"].as_f64().unwrap(), b["score"].as_f64().unwrap());
            assert!(
                (a - b).abs() < 1e-5,
                "{a} vs stored {b}: run scripts/parity-fixture.sh after changing the model"
            );
        }
    }
}

/// The data folder beside the repository (as in CI), if it is there; without it a test that
/// measures on it has nothing to measure.
fn shared_data() -> Option<PathBuf> {
    let data = root().join("../shared/data");
    if data.join("gsm8k/train.jsonl").is_file() && data.join("processbench/gsm8k.json").is_file() {
        Some(data)
    } else {
        eprintln!("skipped: no {}", data.display());
        None
    }
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
fn score_shows_a_false_claim_under_its_step() {
    let req =
        br#"{"problem": "Tom buys 17 packs of 4 pens.", "steps": ["He has 17 x 4 = 58 pens."]}"#;
    let o = run_stdin(&["score"], req);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("17 x 4 = 58 ✗ — 68"), "{out}");
    assert!(
        out.contains("first bad step: step 1 (0-based 0): a false arithmetic claim"),
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
    let o = prm()
        .args([
            "score",
            "--json",
            "--model",
            model.to_str().unwrap(),
            f.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
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
