//! Training examples: the pools each source of the mixture draws from, and a window with its
//! step and answer targets.

use std::collections::HashSet;

use anyhow::{Context, Result};
use rand::{Rng, seq::IndexedRandom};
use verifier_core::{
    StepEncoder,
    scorer::{WindowInput, windows},
};
use verifier_data::{
    DataDir, LabeledSolution, consistent::consistent_solution, mutate::mutate_solution,
    problem_key, sources,
};

use super::Neutral;
use crate::mixture::Mix;

/// The pools examples are drawn from.
pub(super) struct Pools {
    pub(super) prm800k: Vec<LabeledSolution>,
    pub(super) gsm8k_ref: Vec<LabeledSolution>,
    pub(super) math_ref: Vec<LabeledSolution>,
    pub(super) gsm8k_model: Vec<LabeledSolution>,
    /// Rows given with `--extra`.
    pub(super) extra: Vec<LabeledSolution>,
    /// The problems an evaluation uses (MATH-500, ProcessBench, the held-out GSM8K problems):
    /// never trained on, `--extra` rows included.
    evaluation: HashSet<String>,
}

impl Pools {
    pub(super) fn load(data: &DataDir, outcome_step_labels: bool) -> Result<Self> {
        let exclude = sources::evaluation_problems(data)?;
        let keep = |v: Vec<LabeledSolution>, ex: &HashSet<String>| -> Vec<LabeledSolution> {
            v.into_iter()
                .filter(|s| !ex.contains(&problem_key(&s.problem)))
                .collect()
        };
        let prm800k = keep(sources::prm800k(data, "train")?, &exclude);
        let gsm8k_ref = keep(sources::gsm8k_references(data)?, &exclude);
        let math_ref = keep(sources::math_references(data, &exclude)?, &exclude);
        let (gsm8k_model, held_out) = sources::gsm8k_model_solutions(data, &exclude)?;
        let mut gsm8k_model = keep(gsm8k_model, &exclude);
        if outcome_step_labels {
            gsm8k_model = gsm8k_model
                .into_iter()
                .map(LabeledSolution::with_outcome_step_labels)
                .collect();
        }
        let mut evaluation = exclude;
        evaluation.extend(held_out.iter().map(|b| problem_key(&b.problem)));
        Ok(Pools {
            prm800k,
            gsm8k_ref,
            math_ref,
            gsm8k_model,
            extra: Vec::new(),
            evaluation,
        })
    }

    /// Add the labelled rows of `--extra` (PRM800K format), leaving out those of problems an
    /// evaluation uses; how many were left out.
    pub(super) fn load_extra(&mut self, f: &std::path::Path) -> Result<usize> {
        let rows = sources::prm800k_file(f).with_context(|| format!("--extra {}", f.display()))?;
        let all = rows.len();
        self.extra = rows
            .into_iter()
            .filter(|s| !self.evaluation.contains(&problem_key(&s.problem)))
            .collect();
        if self.extra.is_empty() {
            anyhow::bail!(
                "--extra {}: no rated rows outside the evaluation problems ({all} rows read)",
                f.display()
            );
        }
        Ok(all - self.extra.len())
    }

    pub(super) fn texts(&self) -> impl Iterator<Item = &str> {
        [
            &self.prm800k,
            &self.gsm8k_ref,
            &self.math_ref,
            &self.gsm8k_model,
            &self.extra,
        ]
        .into_iter()
        .flatten()
        .flat_map(|s| std::iter::once(s.problem.as_str()).chain(s.steps.iter().map(String::as_str)))
    }

    /// One example from the source the mixture draws (by its name in `mixture::SOURCES`).
    /// With `--extra` rows, a share `extra_weight` of the draws is one of them.
    pub(super) fn sample<R: Rng>(
        &self,
        mix: &Mix,
        extra_weight: f64,
        rng: &mut R,
    ) -> Option<LabeledSolution> {
        if !self.extra.is_empty() && rng.random_range(0.0..1.0) < extra_weight {
            return self.extra.choose(rng).cloned();
        }
        let x = rng.random_range(0.0..mix.total());
        match mix.pick(x) {
            "prm800k" => self.prm800k.choose(rng).cloned(),
            "gsm8k-ref" => self.gsm8k_ref.choose(rng).cloned(),
            "gsm8k-mut" => self
                .gsm8k_ref
                .choose(rng)
                .and_then(|s| mutate_solution(s, rng)),
            "math-ref" => self.math_ref.choose(rng).cloned(),
            "math-mut" => self
                .math_ref
                .choose(rng)
                .and_then(|s| mutate_solution(s, rng)),
            "gsm8k-model" => self.gsm8k_model.choose(rng).cloned(),
            "gsm8k-consistent" => self
                .gsm8k_ref
                .choose(rng)
                .and_then(|s| consistent_solution(s, rng)),
            other => unreachable!("a source of mixture::SOURCES without a pool: {other}"),
        }
    }
}

/// One training window with its targets.
#[derive(Clone)]
pub(super) struct Item {
    pub(super) window: WindowInput,
    /// Per marker: Some(label) if the step is supervised.
    pub(super) prm: Vec<Option<bool>>,
    /// Per marker: Some(label) at the marker where the answer is judged.
    pub(super) orm: Vec<Option<bool>>,
}

pub(super) fn make_item(
    enc_: &StepEncoder,
    sol: &LabeledSolution,
    max_tokens: usize,
    neutral: Neutral,
) -> Option<Item> {
    // Only the steps up to the last supervised one matter (or all, for an outcome label).
    let n = if sol.answer_correct.is_some()
        && sol.labels.len() <= sol.steps.len()
        && sol.labels.iter().all(|&l| l)
    {
        sol.steps.len()
    } else {
        sol.labels.len()
    };
    if n == 0 {
        return None;
    }
    let enc = enc_.encode(&sol.problem, &sol.steps[..n]).ok()?;
    let wins = windows(&enc, max_tokens);
    let window = wins.into_iter().last()?;
    let orm_at_end = n == sol.steps.len();
    let prm = window
        .scored
        .clone()
        .map(|k| match neutral {
            Neutral::Drop if sol.neutral.contains(&k) => None,
            _ => sol.labels.get(k).copied(),
        })
        .collect();
    let orm = window
        .scored
        .clone()
        .map(|k| {
            if orm_at_end && k + 1 == n {
                sol.answer_correct
            } else {
                None
            }
        })
        .collect();
    Some(Item { window, prm, orm })
}
