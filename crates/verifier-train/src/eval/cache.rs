//! The score cache: the model's probabilities per (model files, data set, items) on disk.

use std::path::{Path, PathBuf};

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
    pub(super) fn none() -> Self {
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

    pub(super) fn scores(
        &self,
        scorer: &Scorer,
        items: &[(&str, &[String])],
        batch_tokens: usize,
        label: &str,
    ) -> Result<Vec<StepProbs>> {
        let path = self.path(label, items);
        if let Some(p) = &path
            && let Ok(bytes) = std::fs::read(p)
            && let Ok(v) = serde_json::from_slice::<Vec<StepProbs>>(&bytes)
            && v.len() == items.len()
        {
            eprintln!("{label}: probabilities from {}", p.display());
            return Ok(v);
        }
        let probs: Vec<StepProbs> = score_all(scorer, items, batch_tokens, label)
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.with_context(|| format!("{label} item {}", i + 1)))
            .collect::<Result<_>>()?;
        if let Some(p) = &path {
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d)
                    .with_context(|| format!("cannot create {}", d.display()))?;
            }
            model_dir::write_atomic(p, &serde_json::to_vec(&probs)?)?;
        }
        Ok(probs)
    }
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
