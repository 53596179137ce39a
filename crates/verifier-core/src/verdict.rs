//! The verdict type, shared by the CLI and the browser (the rule that makes it: [`crate::decision`]).

use serde::{Deserialize, Serialize};

use crate::{arith::Check, error::VerifierError};

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

/// Why a step is the first bad one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    /// The step claims an equality that is false (checked exactly): certainly wrong.
    FalseClaim,
    /// The model doubts the step: its step score is below the threshold.
    LowScore,
    /// The step writes a number that neither the reference solution nor the problem contains
    /// (exercise mode, wrong final answer).
    DivergesFromReference,
    /// The final answer is wrong and nothing else singles out a step: the step the model trusts
    /// least.
    WrongFinalAnswer,
}

/// One scored step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepVerdict {
    pub text: String,
    /// Probability that the reasoning is still correct after this step: the model's score,
    /// combined with the arithmetic checks (a false claim makes it 0).
    pub score: f64,
    /// The score of this step alone, the one the threshold applies to (see
    /// [`crate::decision::StepRule`]).
    pub step_score: f64,
    /// The model's own (calibrated) probability, before the arithmetic checks.
    pub model_score: f64,
    /// The arithmetic claims found in the step, each checked exactly.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Why this step is the first bad step (`null` on every other step).
    #[serde(default)]
    pub reason: Option<FlagReason>,
}

/// The solution's final answer against the one the caller knows (exercise mode).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnswerCheck {
    /// The answer given with the request.
    pub expected: String,
    /// The final answer the solution states, `null` when none was found (yet).
    pub found: Option<String>,
    /// `true`/`false` when the two were compared exactly; `null` when it cannot be decided (or no
    /// final answer was found).
    pub matches: Option<bool>,
}

/// The verdict on a whole solution: the object `prm score --json` prints and the browser returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub steps: Vec<StepVerdict>,
    pub prm_score: f64,
    pub aggregate: Aggregate,
    /// Probability that the final answer is right (outcome reward model).
    pub orm_score: f64,
    /// The rule's threshold on the step scores.
    pub threshold: f64,
    /// The rule's prior (see [`crate::decision::StepRule`]); `null`: step scores are the scores
    /// after each step.
    pub prior: Option<f64>,
    /// 0-based index of the first bad step, if any; its `reason` says why.
    pub first_bad_step: Option<usize>,
    /// The answer check of exercise mode (`null` when no answer was given).
    #[serde(default)]
    pub answer_check: Option<AnswerCheck>,
    /// What was ignored or cut, in words (an unreadable answer, an empty reference, a long step).
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl Verdict {
    pub fn scores(&self) -> Vec<f64> {
        self.steps.iter().map(|s| s.score).collect()
    }

    /// Why the first bad step is flagged.
    pub fn reason(&self) -> Option<FlagReason> {
        self.first_bad_step
            .and_then(|i| self.steps.get(i))
            .and_then(|s| s.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Result = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn aggregates() -> Result {
        let s = [0.9, 0.5, 0.8];
        assert!((Aggregate::Product.apply(&s) - 0.36).abs() < 1e-12);
        assert_eq!(Aggregate::Min.apply(&s), 0.5);
        assert_eq!(Aggregate::Last.apply(&s), 0.8);
        assert_eq!(Aggregate::Product.apply(&[]), 1.0);
        assert_eq!("MIN".parse::<Aggregate>()?, Aggregate::Min);
        assert!("mean".parse::<Aggregate>().is_err());
        Ok(())
    }
}
