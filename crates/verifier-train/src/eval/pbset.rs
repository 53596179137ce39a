//! A ProcessBench subset with its scores, checks and the rule variants of the ablations.

use anyhow::Result;
use verifier_core::{
    Calibration, Check, Scorer, StepRule, check_step,
    decision::{decided_scores, logit, restatements, sigmoid},
};
use verifier_data::sources;

use super::cache::{ScoreCache, score_items};
use crate::{
    metrics,
    report::{PbTable, ThresholdTable},
};

pub(super) struct PbSet {
    pub(super) name: String,
    pub(super) labels: Vec<i64>,
    pub(super) answer_correct: Vec<Option<bool>>,
    /// The arithmetic checks of every step.
    pub(super) checks: Vec<Vec<Vec<Check>>>,
    /// Which steps only restate an earlier result (`decision::restatements`).
    pub(super) restated: Vec<Vec<bool>>,
    /// The model's step probabilities.
    pub(super) scores: Vec<Vec<f64>>,
    /// The same, combined with the arithmetic checks (`verdict::combine`): what the product shows.
    pub(super) checked: Vec<Vec<f64>>,
    /// The checks alone: 0 for a step with a false claim, 1 otherwise.
    pub(super) checks_only: Vec<Vec<f64>>,
    pub(super) orm: Vec<f64>,
}

impl PbSet {
    pub(super) fn new(
        name: &str,
        items: &[sources::ProcessBenchItem],
        scored: Vec<(Vec<f64>, f64)>,
    ) -> Self {
        let checks: Vec<Vec<Vec<Check>>> = items
            .iter()
            .map(|i| i.steps.iter().map(|t| check_step(t)).collect())
            .collect();
        let mut set = PbSet {
            name: name.to_string(),
            labels: items.iter().map(|i| i.label).collect(),
            answer_correct: items.iter().map(|i| i.final_answer_correct).collect(),
            orm: scored.iter().map(|s| s.1).collect(),
            scores: scored.into_iter().map(|s| s.0).collect(),
            restated: items.iter().map(|i| restatements(&i.steps)).collect(),
            checked: Vec::new(),
            checks_only: Vec::new(),
            checks,
        };
        set.checks_only = set.combined(|_| 1.0);
        set.checked = set.combined(|p| p);
        set
    }

    /// The scores the product decides on: the checks combined with `base` of the model's
    /// probabilities, restating steps carrying the score before them (as `Decision::decide`).
    pub(super) fn combined(&self, base: impl Fn(f64) -> f64) -> Vec<Vec<f64>> {
        self.scores
            .iter()
            .zip(&self.checks)
            .zip(&self.restated)
            .map(|((s, c), r)| {
                let model: Vec<f64> = s.iter().map(|&p| base(p)).collect();
                decided_scores(&model, c, r)
            })
            .collect()
    }

    /// Apply a calibration to the model's step probabilities (and so to the combined scores).
    pub(super) fn calibrate(&mut self, c: Calibration) {
        for s in self.scores.iter_mut().flatten() {
            *s = c.apply(*s);
        }
        self.checked = self.combined(|p| p);
    }

    /// The model's probabilities of the steps whose correctness the labels give: every step of a
    /// correct solution, and the steps of a wrong one up to its first error.
    pub(super) fn labelled_steps(&self) -> (Vec<f64>, Vec<bool>) {
        let (mut p, mut y) = (Vec::new(), Vec::new());
        for (s, &l) in self.scores.iter().zip(&self.labels) {
            for (k, &v) in s.iter().enumerate() {
                if l >= 0 && k as i64 > l {
                    break;
                }
                p.push(v);
                y.push(l < 0 || (k as i64) < l);
            }
        }
        (p, y)
    }
}

pub(super) fn score_processbench(
    scorer: &Scorer,
    cache: &ScoreCache,
    name: &str,
    items: &[sources::ProcessBenchItem],
    batch_tokens: usize,
) -> Result<PbSet> {
    Ok(PbSet::new(
        name,
        items,
        score_items(scorer, cache, &pairs(items), batch_tokens, name)?,
    ))
}

/// The (problem, steps) of every item: what the scorer and the score cache take.
pub(super) fn pairs(items: &[sources::ProcessBenchItem]) -> Vec<(&str, &[String])> {
    items
        .iter()
        .map(|i| (i.problem.as_str(), i.steps.as_slice()))
        .collect()
}

/// The step and answer probabilities of the same items under several models (an ensemble), each
/// the mean of the models'; one model's come back unchanged.
pub(super) fn mean(scored: Vec<Vec<(Vec<f64>, f64)>>) -> Vec<(Vec<f64>, f64)> {
    let n = scored.len() as f64;
    let mut models = scored.into_iter();
    let Some(mut sum) = models.next() else {
        return Vec::new();
    };
    for other in models {
        for ((steps, orm), (s, o)) in sum.iter_mut().zip(other) {
            for (a, b) in steps.iter_mut().zip(s) {
                *a += b;
            }
            *orm += o;
        }
    }
    for (steps, orm) in &mut sum {
        for a in steps.iter_mut().chain(std::iter::once(orm)) {
            *a /= n;
        }
    }
    sum
}

/// Step scores with every step of a solution set to 1 (never flagged) when its ORM score is at
/// least `gate`.
pub(super) fn gated(sets: &[Vec<f64>], orm: &[f64], gate: f64) -> Vec<Vec<f64>> {
    sets.iter()
        .zip(orm)
        .map(|(s, &o)| {
            if o >= gate {
                vec![1.0; s.len()]
            } else {
                s.clone()
            }
        })
        .collect()
}

/// Running products of the step scores: the probability that every step so far is right, if the
/// step scores are read as conditional on the earlier steps being right.
pub(super) fn cumulative(sets: &[Vec<f64>]) -> Vec<Vec<f64>> {
    sets.iter()
        .map(|s| {
            s.iter()
                .scan(1.0, |acc, &p| {
                    *acc *= p;
                    Some(*acc)
                })
                .collect()
        })
        .collect()
}

/// Log-odds a step's threshold falls per unit of ln(position) in the position-dependent rule.
pub(super) const POSITION_DECAYS: [f64; 7] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0];

/// The step rule's step scores with the k-th step's (0-based) raised by `decay * ln(k + 1)` in
/// log-odds: the same as a threshold that falls that much with the step's position, so later steps
/// must look worse to be flagged (a long solution gives a fixed threshold more chances to fire).
/// It depends only on the steps so far, so it could stream.
pub(super) fn position_scaled(sets: &[Vec<f64>], prior: Option<f64>, decay: f64) -> Vec<Vec<f64>> {
    let rule = StepRule {
        threshold: 0.5,
        prior,
    };
    sets.iter()
        .map(|s| {
            rule.step_scores(s)
                .into_iter()
                .enumerate()
                .map(|(k, v)| {
                    // a step known to be wrong (a false claim) stays flagged
                    if v <= 0.0 {
                        0.0
                    } else {
                        sigmoid(logit(v) + decay * ((k + 1) as f64).ln())
                    }
                })
                .collect()
        })
        .collect()
}

/// The arithmetic checks alone flag the first step with a false claim (score 0).
pub(super) const CHECKS_RULE: StepRule = StepRule {
    threshold: 0.5,
    prior: None,
};

/// The product's judge (model + checks) at every threshold of [`metrics::sweep_grid`] and at the
/// rule's own, the rule's prior kept: `Report::threshold_sweep`, what the demo's calibration view
/// draws.
pub(super) fn threshold_sweep(sets: &[PbSet], rule: StepRule) -> Vec<ThresholdTable> {
    let mut grid = metrics::sweep_grid();
    grid.push(rule.threshold);
    grid.sort_by(f64::total_cmp);
    grid.dedup();
    grid.into_iter()
        .map(|threshold| ThresholdTable {
            threshold,
            table: PbTable::new(
                sets.iter()
                    .map(|s| {
                        let at = StepRule { threshold, ..rule };
                        (
                            s.name.clone(),
                            metrics::processbench_f1(&s.checked, &s.labels, at),
                        )
                    })
                    .collect(),
            ),
        })
        .collect()
}
