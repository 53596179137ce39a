//! The score cache: the model's probabilities per (model files, data set, items) on disk.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};
use verifier_core::{Calibration, Scorer};

use crate::{
    batch::{StepProbs, score_all},
    model_dir,
};

/// Probabilities kept on disk per (model files, data set, items), so that the metrics can be
/// recomputed without scoring again. Without a folder it only scores.
pub(crate) struct ScoreCache {
    pub(super) dir: Option<PathBuf>,
    pub(super) model_key: u64,
}

impl ScoreCache {
    /// Score every time, keep nothing.
    pub(crate) fn none() -> Self {
        ScoreCache {
            dir: None,
            model_key: 0,
        }
    }

    pub(crate) fn new(dir: Option<PathBuf>, model_dir: &Path, scorer: &Scorer) -> Result<Self> {
        use std::hash::{DefaultHasher, Hash, Hasher};
        if dir.is_none() {
            return Ok(Self::none());
        }
        let mut h = DefaultHasher::new();
        for f in [model_dir::WEIGHTS, model_dir::TOKENIZER] {
            let path = model_dir.join(f);
            std::fs::read(&path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .hash(&mut h);
        }
        // the network's probabilities are uncalibrated (the calibration is the decision's); the
        // identity calibration stays in the key so that existing caches keep their names
        let c = &scorer.config;
        serde_json::to_string(&(&c.architecture, &c.limits, &Calibration::default()))?.hash(&mut h);
        Ok(ScoreCache {
            dir,
            model_key: h.finish(),
        })
    }

    pub(super) fn path(&self, label: &str, items: &[(&str, &[String])]) -> Option<PathBuf> {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let dir = self.dir.as_ref()?;
        let mut h = DefaultHasher::new();
        self.model_key.hash(&mut h);
        items.hash(&mut h);
        let name: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Some(dir.join(format!("{name}-{:016x}.json", h.finish())))
    }

    /// The probabilities of `items`: from the cache when it holds them, else scored. Scored
    /// items are appended to a `.partial.jsonl` file beside the cache file as they finish (every
    /// [`CHUNK`] items, each line `[index, probabilities]`), so a run that is interrupted resumes
    /// after the last finished chunk.
    pub(crate) fn scores(
        &self,
        scorer: &Scorer,
        items: &[(&str, &[String])],
        batch_tokens: usize,
        label: &str,
    ) -> Result<Vec<StepProbs>> {
        let Some(path) = self.path(label, items) else {
            return score_range(scorer, items, 0, batch_tokens, label);
        };
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(v) = serde_json::from_slice::<Vec<StepProbs>>(&bytes)
            && v.len() == items.len()
        {
            eprintln!("{label}: probabilities from {}", path.display());
            return Ok(v);
        }
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
        }
        let partial = path.with_extension("partial.jsonl");
        let mut probs = resume(&partial, items)?;
        if !probs.is_empty() {
            eprintln!(
                "{label}: resuming after {} of {} items ({})",
                probs.len(),
                items.len(),
                partial.display()
            );
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&partial)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        while probs.len() < items.len() {
            let start = probs.len();
            let end = (start + CHUNK).min(items.len());
            let chunk = score_range(scorer, &items[start..end], start, batch_tokens, label)?;
            let mut lines = Vec::new();
            for (i, p) in chunk.iter().enumerate() {
                serde_json::to_writer(&mut lines, &(start + i, p))?;
                lines.push(b'\n');
            }
            file.write_all(&lines)
                .and_then(|()| file.sync_data())
                .with_context(|| format!("cannot write {}", partial.display()))?;
            probs.extend(chunk);
        }
        model_dir::write_atomic(&path, &serde_json::to_vec(&probs)?)?;
        std::fs::remove_file(&partial).ok();
        Ok(probs)
    }
}

/// Items scored per append to the partial cache file.
pub(super) const CHUNK: usize = 256;

/// Score `items` (the items from `offset` on of a set); an item that cannot be scored is an error
/// naming its place in the set.
fn score_range(
    scorer: &Scorer,
    items: &[(&str, &[String])],
    offset: usize,
    batch_tokens: usize,
    label: &str,
) -> Result<Vec<StepProbs>> {
    // the progress bar names the first item of a later chunk
    let what = match offset {
        0 => label.to_string(),
        _ => format!("{label} {}+", offset + 1),
    };
    score_all(scorer, items, batch_tokens, &what)
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.with_context(|| format!("{label} item {}", offset + i + 1)))
        .collect()
}

/// The finished items of an interrupted run: the partial file's lines (`[index, probabilities]`)
/// for as long as each is whole, is the next item's and fits it (one probability pair per step);
/// the file is cut back to them, so that a line torn by the interruption (or a chunk that a
/// second run wrote again) is not kept.
fn resume(partial: &Path, items: &[(&str, &[String])]) -> Result<Vec<StepProbs>> {
    let Ok(bytes) = std::fs::read(partial) else {
        return Ok(Vec::new());
    };
    let mut probs = Vec::new();
    let mut good = 0;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let Some(item) = items.get(probs.len()) else {
            break;
        };
        match serde_json::from_slice::<(usize, StepProbs)>(line) {
            Ok((i, p)) if line.ends_with(b"\n") && i == probs.len() && p.len() == item.1.len() => {
                probs.push(p);
                good += line.len();
            }
            _ => break,
        }
    }
    if good < bytes.len() {
        std::fs::OpenOptions::new()
            .write(true)
            .open(partial)
            .and_then(|f| f.set_len(good as u64))
            .with_context(|| format!("cannot cut back {}", partial.display()))?;
    }
    Ok(probs)
}

/// Step scores (PRM) and ORM score of each item; an item that cannot be scored is an error.
pub(crate) fn score_items(
    scorer: &Scorer,
    cache: &ScoreCache,
    items: &[(&str, &[String])],
    batch_tokens: usize,
    label: &str,
) -> Result<Vec<(Vec<f64>, f64)>> {
    Ok(cache
        .scores(scorer, items, batch_tokens, label)?
        .into_iter()
        .map(|probs| {
            let steps = probs.iter().map(|p| p[0] as f64).collect();
            let orm = probs.last().map(|p| p[1] as f64).unwrap_or(0.0);
            (steps, orm)
        })
        .collect())
}
