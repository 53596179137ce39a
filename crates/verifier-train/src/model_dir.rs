//! Model directories on disk: `config.json`, `tokenizer.json`, `model.bpk`, `MODEL_CARD.md`.
//! Every write goes to a temporary name first and is renamed into place, so a kill never leaves
//! a half-written file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::prelude::Device;
use sha2::{Digest, Sha256};
use verifier_core::{FileDigest, ModelConfig, ModelFiles, Scorer};

pub const CONFIG: &str = "config.json";
pub const TOKENIZER: &str = "tokenizer.json";
pub const WEIGHTS: &str = "model.bpk";
pub const CARD: &str = "MODEL_CARD.md";

/// The shipped model: `models/verifier` in the repository (or `$PRM_MODEL`).
/// The model used without `--model`: `$PRM_MODEL`, else `models/verifier` in the current folder,
/// else beside the executable (`prm` in `target/release/` of a checkout finds the checkout's
/// model; an installed `prm` finds `models/verifier` next to it).
pub fn default_model_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PRM_MODEL") {
        return PathBuf::from(p);
    }
    let here = PathBuf::from("models/verifier");
    let beside_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .take(4)
            .map(|d| d.join("models/verifier"))
            .find(|d| d.join(CONFIG).is_file())
    });
    if here.join(CONFIG).is_file() {
        here
    } else {
        beside_exe.unwrap_or(here)
    }
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>> {
    let p = dir.join(name);
    std::fs::read(&p).with_context(|| format!("cannot read model file {}", p.display()))
}

/// Load a model directory onto `device`.
pub fn load(dir: &Path, device: &Device) -> Result<Scorer> {
    Ok(load_with_tokenizer(dir, device)?.0)
}

/// Load a model directory onto `device`; also give back the bytes of its `tokenizer.json`.
pub fn load_with_tokenizer(dir: &Path, device: &Device) -> Result<(Scorer, Vec<u8>)> {
    if !dir.is_dir() {
        bail!("model directory {} not found", dir.display());
    }
    let config = read(dir, CONFIG)?;
    let tokenizer = read(dir, TOKENIZER)?;
    let weights = read(dir, WEIGHTS)?;
    // the recorded digests, where there are any: a mixed-up or damaged file is refused by name
    if let Ok(cfg) = ModelConfig::from_json(&config) {
        for (name, bytes) in [(TOKENIZER, &tokenizer), (WEIGHTS, &weights)] {
            if let Some(d) = cfg.files.get(name)
                && *d != digest(bytes)
            {
                bail!(
                    "{} does not match the digest in {} (expected {} bytes, sha256 {}): a damaged file, or one of another model",
                    dir.join(name).display(),
                    CONFIG,
                    d.bytes,
                    d.sha256
                );
            }
        }
    }
    let scorer = Scorer::load(
        ModelFiles {
            config: &config,
            tokenizer: &tokenizer,
            weights,
        },
        device,
    )
    .with_context(|| format!("cannot load model {}", dir.display()))?;
    Ok((scorer, tokenizer))
}

/// Size and SHA-256 of a file's bytes.
pub fn digest(bytes: &[u8]) -> FileDigest {
    FileDigest {
        bytes: bytes.len() as u64,
        sha256: Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    }
}

/// `config.json` bytes with the digests of the tokenizer and weights recorded in `files`.
pub fn with_digests(config: &[u8], tokenizer: &[u8], weights: &[u8]) -> Result<Vec<u8>> {
    let mut cfg = ModelConfig::from_json(config)?;
    cfg.files = [
        (TOKENIZER.to_string(), digest(tokenizer)),
        (WEIGHTS.to_string(), digest(weights)),
    ]
    .into();
    Ok(serde_json::to_string_pretty(&cfg)?.into_bytes())
}

/// Record the digests of a model directory's files in its `config.json`.
pub fn stamp_digests(dir: &Path) -> Result<()> {
    let cfg = with_digests(
        &read(dir, CONFIG)?,
        &read(dir, TOKENIZER)?,
        &read(dir, WEIGHTS)?,
    )?;
    write_atomic(&dir.join(CONFIG), &cfg)
}

pub fn read_config(dir: &Path) -> Result<ModelConfig> {
    Ok(ModelConfig::from_json(&read(dir, CONFIG)?)?)
}

/// Write `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path
        .file_name()
        .context("path has no file name")?
        .to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move {} into place", path.display()))?;
    Ok(())
}

/// Write a whole model directory: files go to a sibling temporary directory that replaces `dir`
/// only once complete.
pub fn write_dir(dir: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = dir
        .file_name()
        .context("model dir has no name")?
        .to_string_lossy();
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    let get = |name: &str| files.iter().find(|f| f.0 == name).map(|f| f.1);
    let stamped = match (get(CONFIG), get(TOKENIZER), get(WEIGHTS)) {
        (Some(c), Some(t), Some(w)) => Some(with_digests(c, t, w)?),
        _ => None,
    };
    for (file, bytes) in files {
        let bytes = match &stamped {
            Some(c) if *file == CONFIG => c.as_slice(),
            _ => bytes,
        };
        std::fs::write(tmp.join(file), bytes).with_context(|| format!("cannot write {file}"))?;
    }
    if dir.exists() {
        std::fs::rename(dir, &old)?;
    }
    std::fs::rename(&tmp, dir)
        .with_context(|| format!("cannot move model into {}", dir.display()))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Rewrite a model directory's weights in compact storage (int8 matrices, f16 rest).
pub fn compact(dir: &Path) -> Result<()> {
    let scorer = load(dir, &burn::prelude::Device::flex())?;
    let bytes = verifier_core::scorer::save_weights(&scorer.model, true)?;
    let before = std::fs::metadata(dir.join(WEIGHTS))?.len();
    // the whole directory is replaced at once, so the weights and the digests in config.json
    // never disagree on disk
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        (CONFIG, read(dir, CONFIG)?),
        (TOKENIZER, read(dir, TOKENIZER)?),
        (WEIGHTS, bytes.clone()),
    ];
    if dir.join(CARD).is_file() {
        files.push((CARD, read(dir, CARD)?));
    }
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    write_dir(dir, &refs)?;
    eprintln!(
        "{}: {:.1} MB -> {:.1} MB",
        dir.join(WEIGHTS).display(),
        before as f64 / 1e6,
        bytes.len() as f64 / 1e6
    );
    Ok(())
}
