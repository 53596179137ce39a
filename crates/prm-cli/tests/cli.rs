//! End-to-end tests of `prm score` with the shipped model: the verdict JSON, the table, exercise
//! mode, and every kind of bad input giving a one-line error and a non-zero exit, never a panic.

mod common;

use common::*;
use std::path::Path;

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
