//! Evaluation metrics: step ROC-AUC, ProcessBench F1, calibration, best-of-N selection.

use serde::{Deserialize, Serialize};
use verifier_core::{
    StepRule,
    select::{Candidate, Method, pick},
};

/// Area under the ROC curve (ties get half credit). `None` when one class is absent.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let pos = labels.iter().filter(|&&l| l).count() as f64;
    let neg = labels.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return None;
    }
    // rank-sum with average ranks for ties
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if labels[k] {
                rank_sum += avg_rank;
            }
        }
        i = j + 1;
    }
    Some((rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// ProcessBench result of one subset at one threshold.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PbScore {
    pub n: usize,
    pub acc_erroneous: f64,
    pub acc_correct: f64,
    pub f1: f64,
}

/// ProcessBench F1: the rule's first bad step vs the label (-1 = all correct).
pub fn processbench_f1(step_scores: &[Vec<f64>], labels: &[i64], rule: StepRule) -> PbScore {
    let preds: Vec<i64> = step_scores
        .iter()
        .map(|s| rule.first_bad(s).map_or(-1, |i| i as i64))
        .collect();
    f1_of_predictions(&preds, labels)
}

/// ProcessBench F1 of predicted first bad steps (-1: none) against the labels (-1: all correct).
pub fn f1_of_predictions(preds: &[i64], labels: &[i64]) -> PbScore {
    let (mut err_n, mut err_ok, mut cor_n, mut cor_ok) = (0usize, 0usize, 0usize, 0usize);
    for (&pred, &l) in preds.iter().zip(labels) {
        if l < 0 {
            cor_n += 1;
            cor_ok += usize::from(pred == -1);
        } else {
            err_n += 1;
            err_ok += usize::from(pred == l);
        }
    }
    let acc_e = if err_n > 0 {
        err_ok as f64 / err_n as f64
    } else {
        0.0
    };
    let acc_c = if cor_n > 0 {
        cor_ok as f64 / cor_n as f64
    } else {
        0.0
    };
    let f1 = if acc_e + acc_c > 0.0 {
        2.0 * acc_e * acc_c / (acc_e + acc_c)
    } else {
        0.0
    };
    PbScore {
        n: labels.len(),
        acc_erroneous: acc_e,
        acc_correct: acc_c,
        f1,
    }
}

/// Thresholds tried when choosing one: 0.01 ..= 0.99.
pub fn threshold_grid() -> Vec<f64> {
    (1..100).map(|i| i as f64 / 100.0).collect()
}

/// Thresholds of the stored threshold sweep (`Report::threshold_sweep`): 0.02 to 0.98.
pub fn sweep_grid() -> Vec<f64> {
    (1..50).map(|i| i as f64 / 50.0).collect()
}

/// Priors tried when choosing a rule: none (the threshold applies to the scores after each step)
/// and beliefs before the first step from 0.6 to 0.97.
pub fn prior_grid() -> Vec<Option<f64>> {
    std::iter::once(None)
        .chain([0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97].map(Some))
        .collect()
}

/// The rule with the best F1 (first of equals) among `priors` x [`threshold_grid`].
pub fn best_rule(
    step_scores: &[Vec<f64>],
    labels: &[i64],
    priors: &[Option<f64>],
) -> (StepRule, f64) {
    best_rule_over(&[(step_scores, labels)], priors)
}

/// The rule with the best mean F1 over several sets (`(step scores, labels)` each; first of
/// equals) among `priors` x [`threshold_grid`]: a rule chosen on several sets together.
pub fn best_rule_over(sets: &[(&[Vec<f64>], &[i64])], priors: &[Option<f64>]) -> (StepRule, f64) {
    let none = (
        StepRule {
            threshold: 0.5,
            prior: None,
        },
        -1.0,
    );
    let mean_f1 = |rule: StepRule| {
        let sum: f64 = sets
            .iter()
            .map(|(scores, labels)| processbench_f1(scores, labels, rule).f1)
            .sum();
        sum / sets.len().max(1) as f64
    };
    priors
        .iter()
        .flat_map(|&prior| {
            threshold_grid()
                .into_iter()
                .map(move |threshold| StepRule { threshold, prior })
        })
        .map(|rule| (rule, mean_f1(rule)))
        .fold(none, |best, cur| if cur.1 > best.1 { cur } else { best })
}

/// Reliability diagram bins and expected calibration error.
#[derive(Clone, Debug, Serialize)]
pub struct Reliability {
    pub ece: f64,
    /// (mean predicted, observed frequency, count) per bin of width 0.1.
    pub bins: Vec<(f64, f64, usize)>,
}

pub fn reliability(probs: &[f64], labels: &[bool]) -> Reliability {
    let nb = 10;
    let mut sum_p = vec![0.0; nb];
    let mut sum_y = vec![0.0; nb];
    let mut cnt = vec![0usize; nb];
    for (&p, &y) in probs.iter().zip(labels) {
        let b = ((p * nb as f64) as usize).min(nb - 1);
        sum_p[b] += p;
        sum_y[b] += f64::from(u8::from(y));
        cnt[b] += 1;
    }
    let n = probs.len().max(1) as f64;
    let mut ece = 0.0;
    let mut bins = Vec::new();
    for b in 0..nb {
        if cnt[b] == 0 {
            continue;
        }
        let c = cnt[b] as f64;
        let (mp, fy) = (sum_p[b] / c, sum_y[b] / c);
        ece += c / n * (mp - fy).abs();
        bins.push((mp, fy, cnt[b]));
    }
    Reliability { ece, bins }
}

/// Ways of choosing one of N candidate solutions: the product's own ([`Method`], the ones the
/// browser's best-of-N page offers) and the evaluation's extra rows.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum Selector {
    Method(Method),
    /// The lowest step score under the verdict's step rule.
    PrmStepMin(StepRule),
    /// A reference reward model's score, where the data has one.
    Reference,
    Random,
    Oracle,
}

impl Selector {
    pub fn name(self) -> String {
        match self {
            Selector::Method(m) => m.name().into(),
            Selector::PrmStepMin(_) => "PRM (min step score)".into(),
            Selector::Reference => "reference 7B RM".into(),
            Selector::Random => "random (expected)".into(),
            Selector::Oracle => "oracle".into(),
        }
    }
}

/// One scored candidate.
pub struct Scored<'a> {
    pub answer: &'a str,
    pub correct: bool,
    pub steps: Vec<f64>,
    pub orm: f64,
    pub reference: Option<f64>,
}

/// Accuracy contribution (0..1) of `selector` on one problem's candidates.
pub fn select(selector: Selector, cands: &[Scored<'_>]) -> f64 {
    // whether `method` picks a correct candidate, on the step scores and answer scores given
    let chosen =
        |method: Method, steps: &dyn Fn(&Scored) -> Vec<f64>, orm: &dyn Fn(&Scored) -> f64| {
            let steps: Vec<Vec<f64>> = cands.iter().map(steps).collect();
            let list: Vec<Candidate> = cands
                .iter()
                .zip(&steps)
                .map(|(c, s)| Candidate {
                    answer: Some(c.answer).filter(|a| !a.is_empty()),
                    step_scores: s,
                    orm: orm(c),
                })
                .collect();
            f64::from(u8::from(
                pick(method, &list).is_some_and(|i| cands[i].correct),
            ))
        };
    match selector {
        Selector::Method(m) => chosen(m, &|c| c.steps.clone(), &|c| c.orm),
        Selector::PrmStepMin(rule) => {
            chosen(Method::PrmMin, &|c| rule.step_scores(&c.steps), &|c| c.orm)
        }
        Selector::Reference => chosen(Method::Orm, &|c| c.steps.clone(), &|c| {
            c.reference.unwrap_or(f64::NEG_INFINITY)
        }),
        Selector::Random if !cands.is_empty() => {
            cands.iter().filter(|c| c.correct).count() as f64 / cands.len() as f64
        }
        Selector::Random => 0.0,
        Selector::Oracle => f64::from(u8::from(cands.iter().any(|c| c.correct))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_basics() {
        assert_eq!(
            roc_auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]),
            Some(1.0)
        );
        assert_eq!(
            roc_auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]),
            Some(0.0)
        );
        assert_eq!(roc_auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(roc_auc(&[0.5], &[true]), None);
    }

    #[test]
    fn processbench_scoring() {
        let scores = vec![vec![0.9, 0.2, 0.1], vec![0.9, 0.9], vec![0.1, 0.9]];
        let labels = vec![1, -1, 1];
        let r = processbench_f1(
            &scores,
            &labels,
            StepRule {
                threshold: 0.5,
                prior: None,
            },
        );
        assert_eq!(r.acc_erroneous, 0.5);
        assert_eq!(r.acc_correct, 1.0);
        assert!((r.f1 - 2.0 / 3.0).abs() < 1e-12);
        // a slowly sinking correct solution: only a rule with a prior leaves it unflagged
        let scores = vec![vec![0.9, 0.8, 0.6, 0.45, 0.3, 0.25], vec![0.9, 0.35, 0.3]];
        let labels = vec![-1, 1];
        let (rule, f1) = best_rule(&scores, &labels, &prior_grid());
        assert_eq!(f1, 1.0);
        assert!(rule.prior.is_some());
        assert!(best_rule(&scores, &labels, &[None]).1 < 1.0);
    }

    #[test]
    fn calibration_perfect_and_off() {
        let c = reliability(&[0.95, 0.95, 0.05, 0.05], &[true, true, false, false]);
        assert!((c.ece - 0.05).abs() < 1e-9);
    }

    #[test]
    fn selectors() {
        let mk = |a, c, s: f64, o| Scored {
            answer: a,
            correct: c,
            steps: vec![s],
            orm: o,
            reference: None,
        };
        let cands = vec![
            mk("1", false, 0.2, 0.9),
            mk("2", true, 0.9, 0.1),
            mk("1", false, 0.3, 0.5),
        ];
        assert_eq!(select(Selector::Method(Method::PrmProduct), &cands), 1.0);
        assert_eq!(select(Selector::Method(Method::Orm), &cands), 0.0);
        assert_eq!(select(Selector::Method(Method::MajorityVote), &cands), 0.0);
        assert_eq!(select(Selector::Oracle, &cands), 1.0);
        assert!((select(Selector::Random, &cands) - 1.0 / 3.0).abs() < 1e-12);
    }
}
