//! The evaluation report as types: what `prm eval` writes to `report.json` and to the model's
//! `config.json` (`metrics`), and what the terminal table, the model card and the plots read.
//! `prm eval exercise` adds its own report under `exercise`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use verifier_core::{Calibration, ExerciseRule};

use crate::metrics::PbScore;

/// ProcessBench results of one judge: per subset (or file), and their mean F1.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PbTable {
    pub subsets: BTreeMap<String, PbScore>,
    pub average_f1: f64,
}

impl PbTable {
    /// The table of per-subset results, averaged in the order given.
    pub fn new(rows: Vec<(String, PbScore)>) -> Self {
        let average_f1 = rows.iter().map(|r| r.1.f1).sum::<f64>() / rows.len().max(1) as f64;
        PbTable {
            subsets: rows.into_iter().collect(),
            average_f1,
        }
    }
}

/// A judge that is the step rule (a threshold, with a prior when `prior` is set), chosen on gsm8k.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RuleTable {
    pub threshold: f64,
    pub prior: Option<f64>,
    #[serde(flatten)]
    pub table: PbTable,
}

/// A judge that is a threshold on some score (no prior), chosen on gsm8k.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ThresholdTable {
    pub threshold: f64,
    #[serde(flatten)]
    pub table: PbTable,
}

/// The step rule with a threshold that falls with the step's position.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PositionTable {
    pub threshold: f64,
    pub prior: Option<f64>,
    pub decay: f64,
    #[serde(flatten)]
    pub table: PbTable,
}

/// The rule without a prior, gated by the answer head: nothing is flagged when the ORM score is
/// at least `orm_gate`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GatedTable {
    pub threshold: f64,
    pub orm_gate: f64,
    #[serde(flatten)]
    pub table: PbTable,
}

/// ProcessBench items with a correct final answer and a wrong step, and who catches them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RightAnswerWrongReasoning {
    pub items: usize,
    pub prm_flags: usize,
    pub orm_rejects: usize,
    pub checks_flag: usize,
}

/// One calibration fit and how it does on PRM800K test.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CalibrationCandidate {
    pub set: String,
    pub steps: usize,
    pub fit: Option<Calibration>,
    pub prm800k_ece_after: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CalibrationReport {
    pub fitted_on: String,
    pub fit: Option<Calibration>,
    /// Whether the fit is the model's calibration now (`--update-model`).
    pub applied: bool,
    pub prm800k_ece_before: f64,
    pub candidates: Vec<CalibrationCandidate>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Prm800kTest {
    pub rated_steps: usize,
    pub step_auc: Option<f64>,
    pub ece: f64,
    /// (mean predicted, observed frequency, count) per bin of width 0.1.
    pub reliability: Vec<(f64, f64, usize)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SelectorAccuracy {
    pub method: String,
    pub accuracy: f64,
}

/// Best-of-N: how often each selector picks a correct candidate.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BestOfN {
    pub problems: usize,
    /// Candidates per problem.
    pub n: usize,
    pub rows: Vec<SelectorAccuracy>,
    /// False alarms: how many of the candidates with a right answer the product flags.
    #[serde(default)]
    pub correct_flagged: Option<FalseAlarms>,
}

/// The candidates with a right answer, and how many of them the product (model + checks, the
/// step rule) flags a step in: as it decides, and without its restatement rule (a bare answer
/// line carrying the score of the work it restates).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FalseAlarms {
    pub correct: usize,
    pub flagged: usize,
    pub flagged_without_restatement_rule: usize,
}

/// `prm eval`'s report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub model: String,
    pub limit: Option<usize>,
    /// The step rule the rows below use (the model's, or the one chosen with `--update-model`).
    pub threshold: f64,
    pub prior: Option<f64>,
    pub threshold_chosen_on_gsm8k: f64,
    pub prior_chosen_on_gsm8k: Option<f64>,
    /// The product: the model with the arithmetic checks, under the rule above.
    pub processbench: BTreeMap<String, PbScore>,
    pub processbench_average_f1: f64,
    pub processbench_model_only: RuleTable,
    pub processbench_checks_only: PbTable,
    // Ablations: reports written before they existed lack them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processbench_no_prior: Option<ThresholdTable>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processbench_running_product: Option<ThresholdTable>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processbench_position_threshold: Option<PositionTable>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processbench_orm_gated: Option<GatedTable>,
    pub right_answer_wrong_reasoning: RightAnswerWrongReasoning,
    /// The product's judge (model + checks, the rule's prior) at thresholds across the range
    /// ([`crate::metrics::sweep_grid`]): what the demo's calibration view draws under its
    /// threshold slider. Reports written before it existed lack it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threshold_sweep: Vec<ThresholdTable>,
    pub calibration: CalibrationReport,
    pub prm800k_test: Prm800kTest,
    pub best_of_4_gsm8k_heldout: BestOfN,
    pub best_of_8_qwen_math: BestOfN,
    /// Added by `prm eval exercise --update-model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<ExerciseReport>,
}

impl Report {
    /// The report stored in a model's `config.json` (`None` before the first `prm eval
    /// --update-model`, or for a report this version cannot read).
    pub fn of_model(metrics: &serde_json::Value) -> Option<Report> {
        serde_json::from_value(metrics.clone()).ok()
    }

    /// As JSON: objects' keys sorted, as `report.json` and `config.json` have always had them.
    pub fn to_json(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::to_value(self)
    }
}

/// How the answer grader agrees with ProcessBench's `final_answer_correct`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Agreement {
    pub items: usize,
    /// The solution's answer said to match, and the benchmark says it is correct / wrong.
    pub matches_correct: usize,
    pub matches_wrong: usize,
    /// Said not to match, and the benchmark says wrong / correct.
    pub differs_wrong: usize,
    pub differs_correct: usize,
    pub undecided: usize,
    /// Of the "matches", the share that is right; of the correct answers, the share said to match.
    pub match_precision: f64,
    pub match_recall: f64,
}

/// ProcessBench F1 of one way of judging, and the exact first-error rate on the erroneous items
/// whose final answer is wrong (where exercise mode always names a step).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExerciseRow {
    #[serde(flatten)]
    pub f1: PbScore,
    pub wrong_answer_items: usize,
    pub wrong_answer_located: usize,
    pub wrong_answer_exact_rate: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExerciseSubset {
    pub answer_grader: Agreement,
    /// By mode: "reference-free", "answer known", "answer + reference".
    pub modes: BTreeMap<String, ExerciseRow>,
}

/// `prm eval exercise`'s report.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExerciseReport {
    pub model: String,
    pub limit: Option<usize>,
    pub threshold: f64,
    /// The reference-free step rule's prior, beside `threshold` (absent for a plain threshold
    /// rule and from reports written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<f64>,
    pub exercise_rule: ExerciseRule,
    pub exercise_rule_chosen_on_gsm8k: bool,
    /// The ensemble's other models (`--ensemble-with`), whose probabilities were averaged with
    /// the model's; `threshold` is then the rule chosen on the averaged gsm8k scores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ensemble_with: Vec<String>,
    pub subsets: BTreeMap<String, ExerciseSubset>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_models_report_reads_and_writes_back_unchanged() -> anyhow::Result<()> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../models/verifier/config.json"
        );
        let config: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
        let metrics = &config["metrics"];
        let report = Report::of_model(metrics).ok_or_else(|| anyhow::anyhow!("unreadable"))?;
        assert!(report.exercise.is_some());
        assert_eq!(&report.to_json()?, metrics);
        // a report from before the ablation rows still reads
        let mut old = metrics.clone();
        if let Some(o) = old.as_object_mut() {
            o.remove("processbench_orm_gated");
            o.remove("exercise");
        }
        let old = Report::of_model(&old).ok_or_else(|| anyhow::anyhow!("old unreadable"))?;
        assert!(old.processbench_orm_gated.is_none() && old.exercise.is_none());
        assert!(Report::of_model(&serde_json::Value::Null).is_none());
        Ok(())
    }
}
