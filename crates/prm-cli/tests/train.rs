//! Training from the pretrained checkpoint on burn-train's Learner: a short run (stopped early by
//! `--stop-at-step`) of a smaller backbone (`--layers 2`) writes atomic checkpoints, `--resume`
//! continues from them after the process is gone (stopped, or killed mid-run) with the same
//! architecture, and the model directory it writes loads and scores; two `prm serve-device`
//! processes lend their devices to one data-parallel run. Needs the data folder and
//! `.cache/minilm` (made by scripts/setup.sh).

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

/// `prm train` of a small run in `work` (model in `work/model`), a checkpoint every step.
fn train_command(work: &Path, steps: &str, extra: &[&str]) -> Command {
    let data = data().unwrap_or_default();
    let mut c = Command::new(env!("CARGO_BIN_EXE_prm"));
    c.args(["train", "--data", &data, "--minilm"])
        .arg(root().join(".cache/minilm"))
        .arg("--work")
        .arg(work)
        .arg("--out")
        .arg(work.join("model"))
        .args(["--steps", steps, "--checkpoint-every", "1"])
        .args(["--batch-tokens", "256", "--max-train-tokens", "128"])
        .args(extra);
    c
}

/// A fresh work folder for a test, or none (the test skips) without the data folder.
fn fresh_work(name: &str) -> Option<std::path::PathBuf> {
    data()?;
    let work = std::env::temp_dir().join(format!("prm-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    Some(work)
}

fn train(work: &Path, steps: &str, extra: &[&str]) -> std::process::Output {
    train_command(work, steps, extra).output().unwrap()
}

#[test]
fn train_checkpoints_resumes_and_writes_a_loadable_model() {
    let Some(work) = fresh_work("test") else {
        return;
    };
    // a schedule of 4 steps, stopped after 2, of the first two pretrained encoder layers, on a
    // mixture with every kind of made-up wrong step and the sibling pairs, ranked
    let mix = "prm800k=1,gsm8k-mut=1,gsm8k-consistent=1,prm800k-pairs=1";
    let o = train(
        &work,
        "4",
        &[
            "--stop-at-step",
            "2",
            "--layers",
            "2",
            "--mix",
            mix,
            "--ranking-weight",
            "1",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("stopping at step 2"));
    let progress: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.join("progress.json")).unwrap()).unwrap();
    assert_eq!(progress["step"], 2);
    assert_eq!(
        progress["args"]["steps"], 4,
        "--stop-at-step keeps the schedule"
    );
    // one epoch of the Learner per checkpoint interval; the last two are kept
    let first = std::fs::read(work.join("checkpoint/model-2.bpk")).unwrap();
    assert!(!work.join("checkpoint/model-3.bpk").exists());
    // each interval's validation loss and step AUC, and their plot
    let metrics = std::fs::read_to_string(work.join("metrics.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = metrics
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{metrics}");
    assert!(rows[1]["valid"]["loss"].as_f64().is_some(), "{metrics}");
    let auc = rows[1]["valid"]["step_auc"].as_f64();
    assert!(auc.is_some_and(|a| (0.0..=1.0).contains(&a)), "{metrics}");
    assert!(work.join("training.svg").is_file());

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
        std::fs::read(work.join("checkpoint/model-4.bpk")).unwrap(),
        "the resumed steps changed the weights"
    );
    assert_no_temporary_files(&work);
    let model = work.join("model");
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["architecture"]["num_layers"], 2, "{config}");
    assert_eq!(
        config["training"]["args"]["mix"],
        serde_json::json!([1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0]),
        "the mixture is recorded, the new sources last"
    );
    assert_eq!(
        config["training"]["args"]["ranking_weight"], 1.0,
        "{config}"
    );
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
    assert_scores(&model);
    let _ = std::fs::remove_dir_all(&work);
}

/// The model directory loads and scores a sample.
fn assert_scores(model: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_prm"))
        .args(["score", "--json", "--model"])
        .arg(model)
        .arg(root().join("samples/correct.json"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn assert_no_temporary_files(work: &Path) {
    for dir in [work.to_path_buf(), work.join("checkpoint")] {
        for e in std::fs::read_dir(&dir).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().to_string();
            assert!(!name.contains(".tmp-"), "left {name}");
        }
    }
}

fn progress_step(work: &Path) -> u64 {
    let progress: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.join("progress.json")).unwrap()).unwrap();
    progress["step"].as_u64().unwrap()
}

#[test]
fn a_run_killed_mid_way_resumes_from_its_last_checkpoint() {
    let Some(work) = fresh_work("kill") else {
        return;
    };
    let mut child = train_command(&work, "400", &["--layers", "1", "--valid-batches", "1"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // wait for the second checkpoint's three files, then kill the run without warning
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    let complete = |e: usize| {
        ["model", "optim", "scheduler"]
            .iter()
            .all(|f| work.join(format!("checkpoint/{f}-{e}.bpk")).exists())
    };
    while !(2..=400).any(complete) {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint in 10 minutes"
        );
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!work.join("model").exists(), "a killed run wrote no model");
    // resume, and stop two steps later
    let o = train(&work, "400", &["--resume", "--stop-at-step", "4"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let resumed_at: u64 = err
        .split("resuming at step ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(resumed_at >= 2, "{err}");
    assert!(err.contains("(stop step reached)"), "{err}");
    assert_eq!(progress_step(&work), 4.max(resumed_at));
    assert_no_temporary_files(&work);
    assert!(work.join("model/model.bpk").is_file());
    let _ = std::fs::remove_dir_all(&work);
}

/// A free TCP port on the loopback (bound, then released for the server).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_prm"))
        .args(["serve-device", "--port", &port.to_string()])
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "serve-device did not listen on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Server(child)
}

#[test]
fn two_lent_devices_train_one_model_data_parallel() {
    let Some(work) = fresh_work("remote") else {
        return;
    };
    let (p1, p2) = (free_port(), free_port());
    let (_s1, _s2) = (serve(p1), serve(p2));
    let devices = format!("remote:ws://127.0.0.1:{p1},remote:ws://127.0.0.1:{p2}");
    let o = train(
        &work,
        "2",
        &[
            "--layers",
            "1",
            "--valid-batches",
            "1",
            "--devices",
            &devices,
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("device 1: remote:ws://127.0.0.1:"), "{err}");
    let model = work.join("model");
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["training"]["steps"], 2, "{config}");
    assert_eq!(
        config["training"]["devices"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(
        config["training"]["loss_ema"]
            .as_f64()
            .is_some_and(f64::is_finite)
    );
    assert_scores(&model);
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn train_rejects_bad_layer_counts_and_mixtures_before_any_work() {
    let Some(work) = fresh_work("bad") else {
        return;
    };
    for (extra, expect) in [
        (&["--layers", "13"][..], "--layers takes 1 to 12"),
        (&["--layers", "0"][..], "--layers takes 1 to 12"),
        (&["--layers", "12"][..], "over the browser budget"),
        (&["--mix", "0,0,0,0,0,0"][..], "not all zero"),
        (&["--mix", "1,0,0,0,-1,1"][..], "not negative"),
        (
            &["--devices", "tpu:0"][..],
            "a device is cpu, wgpu:N, cuda:N or remote:ws://HOST:PORT",
        ),
        (
            &["--devices", "remote:http://x"][..],
            "remote:ws://HOST:PORT",
        ),
        (
            &["--devices", "cpu,cpu", "--strategy", "ddp"][..],
            "CUDA devices only",
        ),
        (
            &["--devices", "remote:ws://127.0.0.1:9"][..],
            "cannot connect",
        ),
    ] {
        let o = train(&work, "1", extra);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{extra:?} was accepted");
        assert!(err.contains(expect), "{extra:?}: {err}");
        assert!(!work.exists(), "{extra:?} created the work folder");
    }
}
