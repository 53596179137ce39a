//! Training from the pretrained checkpoint: a short run (stopped early by `--stop-at-step`) of a
//! smaller backbone (`--layers 2`) writes atomic checkpoints, `--resume` continues from them after
//! the process is gone with the same architecture, and the model directory it writes loads and
//! scores. Needs the data folder and `.cache/minilm` (made by scripts/setup.sh).

use std::{path::Path, process::Command};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The data folder (`$PRM_DATA`, else `../shared/data` beside the checkout), if it is there.
fn data() -> Option<String> {
    let data = std::env::var("PRM_DATA")
        .unwrap_or_else(|_| root().join("../shared/data").display().to_string());
    if Path::new(&data)
        .join("prm800k-phase1/train.jsonl")
        .is_file()
    {
        Some(data)
    } else {
        eprintln!(
            "skipped: no data folder at {data} (set PRM_DATA; see the README's Data section)"
        );
        None
    }
}

fn train(work: &Path, steps: &str, extra: &[&str]) -> std::process::Output {
    let data = data().unwrap_or_default();
    Command::new(env!("CARGO_BIN_EXE_prm"))
        .args(["train", "--data", &data, "--minilm"])
        .arg(root().join(".cache/minilm"))
        .arg("--work")
        .arg(work)
        .arg("--out")
        .arg(work.join("model"))
        .args([
            "--steps",
            steps,
            "--checkpoint-every",
            "1",
            "--batch-tokens",
            "256",
            "--max-train-tokens",
            "128",
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn train_checkpoints_resumes_and_writes_a_loadable_model() {
    if data().is_none() {
        return;
    }
    let work = std::env::temp_dir().join(format!("prm-train-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    // a schedule of 4 steps, stopped after 2, of the first two pretrained encoder layers
    let o = train(&work, "4", &["--stop-at-step", "2", "--layers", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("stopping at step 2"));
    let progress: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.join("progress.json")).unwrap()).unwrap();
    assert_eq!(progress["step"], 2);
    assert_eq!(
        progress["args"]["steps"], 4,
        "--stop-at-step keeps the schedule"
    );
    let first = std::fs::read(work.join("checkpoint.bpk")).unwrap();

    let o = train(&work, "3", &["--resume"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("resuming at step 2 of 4"),
        "a smaller --steps does not shorten the schedule: {err}"
    );
    let progress: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.join("progress.json")).unwrap()).unwrap();
    assert_eq!(progress["step"], 4);
    assert_ne!(
        first,
        std::fs::read(work.join("checkpoint.bpk")).unwrap(),
        "the resumed step changed the weights"
    );
    // no temporary files left behind
    for e in std::fs::read_dir(&work).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(!name.contains(".tmp-"), "left {name}");
    }
    let model = work.join("model");
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["architecture"]["num_layers"], 2, "{config}");
    // the resumed model records both command lines, in order
    let command = config["training"]["command"].as_str().unwrap_or_default();
    let (first_run, resumed) = command.split_once(" && ").unwrap_or_default();
    assert!(first_run.contains("--stop-at-step 2"), "{command}");
    assert!(resumed.contains("--resume"), "{command}");
    for f in [
        "config.json",
        "tokenizer.json",
        "model.bpk",
        "MODEL_CARD.md",
    ] {
        assert!(model.join(f).is_file(), "{f}");
    }
    let o = Command::new(env!("CARGO_BIN_EXE_prm"))
        .args(["score", "--json", "--model"])
        .arg(&model)
        .arg(root().join("samples/correct.json"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn train_rejects_bad_layer_counts_and_mixtures_before_any_work() {
    if data().is_none() {
        return;
    }
    let work = std::env::temp_dir().join(format!("prm-train-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    for (extra, expect) in [
        (&["--layers", "13"][..], "--layers takes 1 to 12"),
        (&["--layers", "0"][..], "--layers takes 1 to 12"),
        (&["--layers", "12"][..], "over the browser budget"),
        (&["--mix", "0,0,0,0,0,0"][..], "not all zero"),
        (&["--mix", "1,0,0,0,-1,1"][..], "not negative"),
    ] {
        let o = train(&work, "1", extra);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{extra:?} was accepted");
        assert!(err.contains(expect), "{extra:?}: {err}");
        assert!(!work.exists(), "{extra:?} created the work folder");
    }
}
