//! The step rule: from the scores after each step to the step scores the threshold applies to.

use serde::{Deserialize, Serialize};

use crate::error::VerifierError;

/// The index of the first score below `threshold`.
pub fn first_below(scores: &[f64], threshold: f64) -> Option<usize> {
    scores.iter().position(|&s| s < threshold)
}

/// The log-odds of a probability, kept finite at 0 and 1.
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-7, 1.0 - 1e-7);
    (p / (1.0 - p)).ln()
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The score -> verdict rule: the first step whose *step score* is below `threshold` is the first
/// bad step.
///
/// A verifier's score after step i is the probability that the reasoning is still correct after
/// it, so it can only fall along a solution; it also falls with length alone. The evidence a step
/// brings is how much it moves that belief: with a `prior` (the belief before the first step),
/// a step's score is the prior updated by that step alone,
/// `sigmoid(logit(prior) + logit(score_i) - logit(score_{i-1}))`, with `score_{-1} = prior` — so
/// the first step's score is its own, and a later step scores the prior when it changes nothing.
/// A step with a false arithmetic claim (score 0) always scores 0, and the step after it is scored
/// like a first step (its own score). Without a prior the step score is the score after the step.
/// In log-odds the model's Platt calibration is a fixed scale and shift, so a calibration carries
/// the rule through with a mapped threshold and prior (`Calibration::map_rule`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRule {
    pub threshold: f64,
    #[serde(default)]
    pub prior: Option<f64>,
}

impl StepRule {
    pub fn new(threshold: f64, prior: Option<f64>) -> Result<Self, VerifierError> {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(VerifierError::BadInput(format!(
                "threshold {threshold} is not between 0 and 1"
            )));
        }
        if let Some(p) = prior
            && !(p > 0.0 && p < 1.0)
        {
            return Err(VerifierError::BadInput(format!(
                "prior {p} is not strictly between 0 and 1"
            )));
        }
        Ok(StepRule { threshold, prior })
    }

    /// The step score of a step scored `score` after a step scored `before` (`None` for the first
    /// step; see the type's documentation).
    pub fn step_score(&self, before: Option<f64>, score: f64) -> f64 {
        let Some(prior) = self.prior else {
            return score;
        };
        if score <= 0.0 {
            return 0.0;
        }
        // after a step known to be wrong (score 0) there is no belief left to update: start again
        sigmoid(logit(prior) + logit(score) - logit(before.filter(|&b| b > 0.0).unwrap_or(prior)))
    }

    /// The step scores of a solution's scores.
    pub fn step_scores(&self, scores: &[f64]) -> Vec<f64> {
        let befores = std::iter::once(None).chain(scores.iter().copied().map(Some));
        scores
            .iter()
            .zip(befores)
            .map(|(&s, before)| self.step_score(before, s))
            .collect()
    }

    /// The index of the first bad step, if any.
    pub fn first_bad(&self, scores: &[f64]) -> Option<usize> {
        first_below(&self.step_scores(scores), self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Result = std::result::Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn step_scores_are_the_prior_updated_by_each_step() -> Result {
        let rule = StepRule::new(0.5, Some(0.8))?;
        let s = rule.step_scores(&[0.6, 0.6, 0.2, 0.25]);
        assert!(
            (s[0] - 0.6).abs() < 1e-9,
            "the first step keeps its own score"
        );
        assert!(
            (s[1] - 0.8).abs() < 1e-9,
            "a step that changes nothing scores the prior"
        );
        // 0.6 -> 0.2: the odds fall by a factor 6, from the prior's 4 to 2/3
        assert!((s[2] - 0.4).abs() < 1e-9, "{}", s[2]);
        assert!(
            s[3] > 0.8,
            "a step that raises the belief scores above the prior"
        );
        assert_eq!(rule.first_bad(&[0.6, 0.6, 0.2, 0.25]), Some(2));
        // one step at a time (streaming) gives the same step scores
        assert_eq!(rule.step_score(None, 0.6), s[0]);
        assert_eq!(rule.step_score(Some(0.6), 0.2), s[2]);
        // the absolute rule flags a long, slowly sinking solution that no single step breaks
        let sinking = [0.9, 0.8, 0.7, 0.6, 0.5, 0.45];
        assert_eq!(StepRule::new(0.5, None)?.first_bad(&sinking), Some(5));
        assert_eq!(StepRule::new(0.5, Some(0.9))?.first_bad(&sinking), None);
        assert!(StepRule::new(1.5, None).is_err());
        assert!(StepRule::new(0.5, Some(1.0)).is_err());
        assert!(StepRule::new(0.5, Some(f64::NAN)).is_err());
        Ok(())
    }
}
