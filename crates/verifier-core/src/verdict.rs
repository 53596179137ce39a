//! The verdict type and the score -> verdict rule, shared by the CLI and the browser.

use serde::{Deserialize, Serialize};

use crate::{
    arith::{Check, check_step},
    error::VerifierError,
};

/// How step probabilities are combined into one solution score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// Product of the step probabilities (Lightman et al. 2023).
    #[default]
    Product,
    /// The lowest step probability.
    Min,
    /// The probability after the last step.
    Last,
}

impl Aggregate {
    pub const ALL: [Aggregate; 3] = [Aggregate::Product, Aggregate::Min, Aggregate::Last];

    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Product => "product",
            Aggregate::Min => "min",
            Aggregate::Last => "last",
        }
    }

    /// Combine step probabilities; an empty list scores 1 (nothing is wrong yet).
    pub fn apply(self, scores: &[f64]) -> f64 {
        match self {
            Aggregate::Product => scores.iter().product(),
            Aggregate::Min => scores.iter().copied().fold(1.0, f64::min),
            Aggregate::Last => scores.last().copied().unwrap_or(1.0),
        }
    }
}

impl std::str::FromStr for Aggregate {
    type Err = VerifierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "product" | "prod" => Ok(Aggregate::Product),
            "min" => Ok(Aggregate::Min),
            "last" => Ok(Aggregate::Last),
            other => Err(VerifierError::BadInput(format!(
                "unknown aggregate {other:?} (expected product, min or last)"
            ))),
        }
    }
}

impl std::fmt::Display for Aggregate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One scored step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepVerdict {
    pub text: String,
    /// Probability that the reasoning is still correct after this step: the model's score,
    /// combined with the arithmetic checks by [`combine`].
    pub score: f64,
    /// The model's own probability, before the arithmetic checks.
    pub model_score: f64,
    /// The arithmetic claims found in the step, each checked exactly.
    #[serde(default)]
    pub checks: Vec<Check>,
}

/// The rule that combines the model with the arithmetic checks: a step with a false arithmetic
/// claim is certainly wrong (score 0) whatever the model says; otherwise the model's score stands.
/// (A true claim does not raise the score: right arithmetic can still be the wrong step.)
pub fn combine(model_score: f64, checks: &[Check]) -> f64 {
    if checks.iter().any(|c| !c.holds) {
        0.0
    } else {
        model_score
    }
}

/// The verdict on a whole solution: the object `prm score --json` prints and the browser returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub steps: Vec<StepVerdict>,
    pub prm_score: f64,
    pub aggregate: Aggregate,
    /// Probability that the final answer is right (outcome reward model).
    pub orm_score: f64,
    pub threshold: f64,
    /// 0-based index of the first step whose score is below the threshold, if any.
    pub first_bad_step: Option<usize>,
}

/// The index of the first score below `threshold` — the one rule that turns scores into a verdict.
pub fn first_below(scores: &[f64], threshold: f64) -> Option<usize> {
    scores.iter().position(|&s| s < threshold)
}

impl Verdict {
    /// Build a verdict from per-step probabilities and the ORM probability; every step's
    /// arithmetic is checked and combined with its probability by [`combine`].
    pub fn new(
        steps: Vec<String>,
        step_scores: &[f64],
        orm_score: f64,
        aggregate: Aggregate,
        threshold: f64,
    ) -> Self {
        debug_assert_eq!(steps.len(), step_scores.len());
        let steps: Vec<StepVerdict> = steps
            .into_iter()
            .zip(step_scores)
            .map(|(text, &model_score)| {
                let checks = check_step(&text);
                StepVerdict {
                    score: combine(model_score, &checks),
                    model_score,
                    checks,
                    text,
                }
            })
            .collect();
        let mut v = Verdict {
            steps,
            prm_score: 0.0,
            aggregate,
            orm_score,
            threshold,
            first_bad_step: None,
        };
        v.recompute();
        v
    }

    pub fn scores(&self) -> Vec<f64> {
        self.steps.iter().map(|s| s.score).collect()
    }

    /// Re-derive `prm_score` and `first_bad_step` after the threshold or aggregate changed.
    pub fn recompute(&mut self) {
        let scores = self.scores();
        self.prm_score = self.aggregate.apply(&scores);
        self.first_bad_step = first_below(&scores, self.threshold);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates() {
        let s = [0.9, 0.5, 0.8];
        assert!((Aggregate::Product.apply(&s) - 0.36).abs() < 1e-12);
        assert_eq!(Aggregate::Min.apply(&s), 0.5);
        assert_eq!(Aggregate::Last.apply(&s), 0.8);
        assert_eq!(Aggregate::Product.apply(&[]), 1.0);
        assert_eq!("MIN".parse::<Aggregate>().unwrap(), Aggregate::Min);
        assert!("mean".parse::<Aggregate>().is_err());
    }

    #[test]
    fn first_bad_step_is_first_below_threshold() {
        let v = Verdict::new(
            vec!["a".into(), "b".into(), "c".into()],
            &[0.9, 0.3, 0.1],
            0.7,
            Aggregate::Min,
            0.5,
        );
        assert_eq!(v.first_bad_step, Some(1));
        assert_eq!(v.prm_score, 0.1);
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["aggregate"], "min");
        assert_eq!(json["first_bad_step"], 1);
        assert_eq!(json["steps"][0]["text"], "a");
        let none = Verdict::new(vec!["a".into()], &[0.9], 0.7, Aggregate::Last, 0.5);
        assert_eq!(
            serde_json::to_value(&none).unwrap()["first_bad_step"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn a_false_claim_makes_the_step_wrong() {
        let v = Verdict::new(
            vec![
                "He buys 4 boxes.".into(),
                "So 17 × 4 = 58 pens.".into(),
                "17 × 4 = 68".into(),
            ],
            &[0.9, 0.95, 0.9],
            0.8,
            Aggregate::Product,
            0.5,
        );
        assert_eq!(v.first_bad_step, Some(1));
        assert_eq!(v.steps[1].score, 0.0);
        assert_eq!(v.steps[1].model_score, 0.95);
        assert_eq!(v.steps[1].checks.len(), 1);
        assert_eq!(v.steps[1].checks[0].expected.as_deref(), Some("68"));
        assert_eq!(
            v.steps[2].score, 0.9,
            "a true claim leaves the model's score"
        );
        assert!(v.steps[2].checks[0].holds);
        assert_eq!(v.prm_score, 0.0);
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["steps"][1]["checks"][0]["claim"], "17 × 4 = 58");
        assert_eq!(json["steps"][1]["checks"][0]["holds"], false);
        assert_eq!(json["steps"][0]["checks"], serde_json::json!([]));
    }
}
