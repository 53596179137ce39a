//! Helpers shared by the end-to-end tests of the `prm` binary.
#![allow(dead_code)]

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

pub fn prm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_prm"))
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn sample(name: &str) -> PathBuf {
    root().join("samples").join(name)
}

pub fn run_stdin(args: &[&str], input: &[u8]) -> Output {
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

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// A failed run: non-zero exit, one `error:` line, no panic.
pub fn assert_clean_error(o: &Output, mention: &str) {
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

pub fn verdict(args: &[&str]) -> serde_json::Value {
    let o = prm().args(args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("one JSON object")
}

pub fn copy_model(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in ["config.json", "tokenizer.json", "model.bpk"] {
        std::fs::copy(root().join("models/verifier").join(f), to.join(f)).unwrap();
    }
}

/// The data folder beside the repository (as in CI), if it is there; without it a test that
/// measures on it has nothing to measure.
pub fn shared_data() -> Option<PathBuf> {
    let data = root().join("../shared/data");
    if data.join("gsm8k/train.jsonl").is_file() && data.join("processbench/gsm8k.json").is_file() {
        Some(data)
    } else {
        eprintln!("skipped: no {}", data.display());
        None
    }
}
