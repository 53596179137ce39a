//! Search and selection: `prm select` (what to label next), `prm search` (step search over a tree)
//! and the labelling loop's way back into training (`prm train --extra`).

mod common;

use std::path::Path;

use common::{assert_clean_error, prm, root, stderr};

fn fixture(name: &str) -> String {
    root()
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// The data folder, if it is there (tests that need it skip with one line otherwise).
fn data() -> Option<String> {
    let data = std::env::var("PRM_DATA")
        .unwrap_or_else(|_| root().join("../shared/data").display().to_string());
    if Path::new(&data).join("prm800k-phase1/test.jsonl").is_file() {
        Some(data)
    } else {
        eprintln!("skipped: no data folder at {data}");
        None
    }
}

#[test]
fn select_chooses_convincing_wrong_answers_first_and_skips_a_bad_line() {
    let out = std::env::temp_dir().join(format!("prm-select-{}.jsonl", std::process::id()));
    let o = prm()
        .args([
            "select",
            "--pool",
            &fixture("pool.jsonl"),
            "--n",
            "4",
            "--json",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("line 7"), "the bad line is reported: {err}");
    assert!(err.contains("6 scored (4 with a wrong answer)"), "{err}");
    let chosen: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(chosen.len(), 4);
    // round(0.8 x 4) = 3 wrong answers by PRM score, then the most convincing of the rest
    let reasons: Vec<&str> = chosen
        .iter()
        .map(|c| c["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "convincing-wrong",
            "convincing-wrong",
            "convincing-wrong",
            "convincing"
        ]
    );
    for c in &chosen[..3] {
        assert_eq!(c["answer_correct"], false);
    }
    let scores: Vec<f64> = chosen[..3]
        .iter()
        .map(|c| c["prm_score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "by PRM score: {scores:?}"
    );
    // the file for the labelling page: the same solutions, one per line, with their verdicts
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, chosen);
    assert!(
        lines
            .iter()
            .all(|l| l["steps"].as_array().is_some_and(|s| !s.is_empty())
                && l["verdict"]["steps"].is_array())
    );
    std::fs::remove_file(&out).ok();

    let o = prm()
        .args(["select", "--pool", "/nonexistent.jsonl", "--n", "2"])
        .output()
        .unwrap();
    assert_clean_error(&o, "cannot read");
}

#[test]
fn search_walks_a_users_tree_and_refuses_a_bad_one() {
    let o = prm()
        .args(["search", "--tree", &fixture("tree.json"), "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let w: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let threshold = w["threshold"].as_f64().unwrap();
    let events = w["events"].as_array().unwrap();
    assert_eq!(events[0]["kind"], "visit");
    // a visited step is at or above the threshold; the chosen path ends a solution
    for e in events.iter().filter(|e| e["kind"] == "visit") {
        assert!(e["score"].as_f64().unwrap() >= threshold, "{e}");
    }
    let chosen = w["chosen"].as_array().unwrap();
    assert!(!chosen.is_empty());
    assert!(
        chosen
            .last()
            .unwrap()
            .as_str()
            .unwrap()
            .starts_with("The answer is")
    );
    if w["found"] == true {
        let last = events.last().unwrap();
        assert_eq!(last["kind"], "visit");
        assert_eq!(last["path"], w["path"]);
    }
    // the table
    let o = prm()
        .args(["search", "--tree", &fixture("tree.json")])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("chosen path"));

    let bad = std::env::temp_dir().join(format!("prm-bad-tree-{}.json", std::process::id()));
    std::fs::write(&bad, r#"{"problem": "p", "children": [{"text": " "}]}"#).unwrap();
    let o = prm().args(["search", "--tree"]).arg(&bad).output().unwrap();
    assert_clean_error(&o, "empty");
    std::fs::remove_file(&bad).ok();
}

#[test]
fn search_over_prm800k_test_trees_reports_every_walk() {
    let Some(data) = data() else { return };
    let o = prm()
        .args(["search", "--data", &data, "--limit", "3", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["trees"], 3);
    for k in [
        "prm",
        "random",
        "greedy",
        "orm",
        "prm_found",
        "prm_correct_answer",
    ] {
        let v = r[k].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{k} = {v}");
    }
}

/// The educator of the round trip: marks each chosen solution as the labelling page exports it
/// (PRM800K rows, one per rated step): +1 up to the step the verdict flags, −1 there (a wrong
/// answer always has one), every step +1 for a right answer.
fn label_like_an_educator(chosen: &[serde_json::Value]) -> String {
    let mut out = String::new();
    for c in chosen {
        let steps: Vec<&str> = c["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let bad = c["verdict"]["first_bad_step"].as_u64().map(|b| b as usize);
        let last = match (c["answer_correct"].as_bool(), bad) {
            (Some(false), Some(b)) => b,
            _ => steps.len() - 1,
        };
        for i in 0..=last {
            let wrong = c["answer_correct"] == false && Some(i) == bad;
            let row = serde_json::json!({
                "instruction": c["problem"], "responses": &steps[..i], "next_response": steps[i],
                "rating": if wrong { -1 } else { 1 }, "answer": null, "is_human_response": false,
                "is_solution": i + 1 == steps.len(), "is_preferred_response": true,
            });
            out.push_str(&format!("{row}\n"));
        }
    }
    out
}

#[test]
fn the_labelling_loop_round_trips_select_label_train_score() {
    let Some(data) = data() else { return };
    if !root().join(".cache/minilm/model.safetensors").is_file() {
        eprintln!("skipped: no .cache/minilm (scripts/setup.sh)");
        return;
    }
    let work = std::env::temp_dir().join(format!("prm-extra-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let train = |extra: &str, run: &str| {
        prm()
            .args(["train", "--data", &data, "--minilm"])
            .arg(root().join(".cache/minilm"))
            .arg("--work")
            .arg(work.join(run))
            .arg("--out")
            .arg(work.join(run).join("model"))
            .args(["--steps", "2", "--layers", "1", "--batch-tokens", "256"])
            .args([
                "--max-train-tokens",
                "128",
                "--extra",
                extra,
                "--extra-weight",
                "0.5",
            ])
            .output()
            .unwrap()
    };
    // select -> label -> train --extra -> score
    std::fs::create_dir_all(&work).unwrap();
    let o = prm()
        .args([
            "select",
            "--pool",
            &fixture("pool.jsonl"),
            "--n",
            "3",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let chosen: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let labels = work.join("labels.jsonl");
    let rows = label_like_an_educator(&chosen);
    std::fs::write(&labels, &rows).unwrap();
    let o = train(labels.to_str().unwrap(), "loop");
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let n = rows.lines().count();
    assert!(
        err.contains(&format!("{n} rated rows, 50% of the draws")),
        "{err}"
    );
    // the page's own export (tests/fixtures/labels.jsonl, checked by the e2e test) reads too
    let o = train(&fixture("labels.jsonl"), "page");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = prm()
        .args(["score", "--json", "--model"])
        .arg(work.join("loop/model"))
        .arg(root().join("samples/wrong_step.json"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // a file of no rated rows is refused before any training
    let o = train(&fixture("tree.json"), "bad");
    assert_clean_error(&o, "--extra");
    // rows of an evaluation problem (here MATH-500's first) are never trained on
    let first: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(Path::new(&data).join("math/math500_test.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let leak = work.join("leak.jsonl");
    let row = serde_json::json!({"instruction": first["problem"], "responses": [],
        "next_response": "Let x = 1.", "rating": 1, "answer": null, "is_solution": false});
    std::fs::write(&leak, format!("{row}\n")).unwrap();
    let o = train(leak.to_str().unwrap(), "leak");
    assert_clean_error(&o, "outside the evaluation problems");
    std::fs::remove_dir_all(&work).ok();
}
