//! What the evaluations share: loading the model, taking part of a set.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use verifier_core::{Decision, Scorer, Verdict};

use super::{
    args::Common,
    cache::{ScoreCache, score_items},
    pbset::mean,
};
use crate::{device, model_dir};

pub(crate) fn load(common: &Common) -> Result<(Scorer, PathBuf)> {
    let dir = common
        .model
        .clone()
        .unwrap_or_else(model_dir::default_model_dir);
    let device = device::select(common.device)?;
    Ok((model_dir::load(&dir, &device)?, dir))
}

/// An ensemble's other models (`--ensemble-with`), loaded on one device, each with its own
/// entries in the score cache.
pub(super) fn ensemble<'a>(
    dirs: &'a [PathBuf],
    cache: &Option<PathBuf>,
    device: device::DeviceKind,
) -> Result<Vec<(Scorer, ScoreCache, &'a Path)>> {
    if dirs.is_empty() {
        return Ok(Vec::new());
    }
    let device = device::select(device)?;
    dirs.iter()
        .map(|d| {
            let s = model_dir::load(d, &device)
                .with_context(|| format!("ensemble member {}", d.display()))?;
            let c = ScoreCache::new(cache.clone(), d, &s)?;
            Ok((s, c, d.as_path()))
        })
        .collect()
}

/// The step and answer probabilities of `pairs` under the model, averaged with those of the
/// ensemble's other models (the model's own when there are none).
pub(super) fn scored_by(
    model: (&Scorer, &ScoreCache),
    members: &[(Scorer, ScoreCache, &Path)],
    pairs: &[(&str, &[String])],
    batch_tokens: usize,
    label: &str,
) -> Result<Vec<(Vec<f64>, f64)>> {
    let mut scored = vec![score_items(model.0, model.1, pairs, batch_tokens, label)?];
    for (s, c, d) in members {
        scored.push(
            score_items(s, c, pairs, batch_tokens, label)
                .with_context(|| format!("ensemble member {}", d.display()))?,
        );
    }
    Ok(mean(scored))
}

/// The model, its decision with the command line's `--threshold`, and its folder.
pub(crate) fn load_with_decision(common: &Common) -> Result<(Scorer, Decision, PathBuf)> {
    let (scorer, dir) = load(common)?;
    let decision = scorer
        .config
        .decision
        .with_overrides(common.threshold, None)
        .context("--threshold")?;
    Ok((scorer, decision, dir))
}

/// The verdict on `steps` from their scored probabilities (`[step, answer]` per step, as the score
/// cache holds them).
pub(crate) fn verdict_of(decision: &Decision, steps: Vec<String>, probs: &[[f32; 2]]) -> Verdict {
    let scores: Vec<f64> = probs.iter().map(|x| f64::from(x[0])).collect();
    let orm = probs.last().map_or(0.0, |x| f64::from(x[1]));
    decision.verdict(steps, &scores, orm, None)
}

pub(super) fn take<T>(mut v: Vec<T>, limit: Option<usize>) -> Vec<T> {
    if let Some(n) = limit {
        v.truncate(n);
    }
    v
}

/// `n` items spread evenly over `v` (all of them without a limit): for sets stored sorted or
/// grouped, where the first `n` would be all of one kind or a handful of problems.
pub(crate) fn take_spread<T>(v: Vec<T>, limit: Option<usize>) -> Vec<T> {
    match limit {
        Some(n) if n < v.len() => {
            let len = v.len();
            v.into_iter()
                .enumerate()
                .filter(|(i, _)| (i * n) % len < n)
                .map(|(_, x)| x)
                .collect()
        }
        _ => v,
    }
}
