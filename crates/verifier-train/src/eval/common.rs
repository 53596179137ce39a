//! What the evaluations share: loading the model, taking part of a set.

use std::path::PathBuf;

use anyhow::Result;
use verifier_core::Scorer;

use super::args::Common;
use crate::{device, model_dir};

pub(crate) fn load(common: &Common) -> Result<(Scorer, PathBuf)> {
    let dir = common
        .model
        .clone()
        .unwrap_or_else(model_dir::default_model_dir);
    let device = device::select(common.device)?;
    Ok((model_dir::load(&dir, &device)?, dir))
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
