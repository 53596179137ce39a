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
    /// The score of this step alone, the one the threshold applies to (see [`StepRule`]).
    pub step_score: f64,
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
    /// The rule's threshold on the step scores.
    pub threshold: f64,
    /// The rule's prior (see [`StepRule`]); `null`: step scores are the scores after each step.
    pub prior: Option<f64>,
    /// 0-based index of the first step whose step score is below the threshold, if any.
    pub first_bad_step: Option<usize>,
}

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

impl Verdict {
    /// Build a verdict from per-step probabilities and the ORM probability; every step's
    /// arithmetic is checked and combined with its probability by [`combine`].
    pub fn new(
        steps: Vec<String>,
        step_scores: &[f64],
        orm_score: f64,
        aggregate: Aggregate,
        rule: StepRule,
    ) -> Self {
        debug_assert_eq!(steps.len(), step_scores.len());
        let steps: Vec<StepVerdict> = steps
            .into_iter()
            .zip(step_scores)
            .map(|(text, &model_score)| {
                let checks = check_step(&text);
                StepVerdict {
                    score: combine(model_score, &checks),
                    step_score: 0.0,
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
            threshold: rule.threshold,
            prior: rule.prior,
            first_bad_step: None,
        };
        v.recompute();
        v
    }

    pub fn scores(&self) -> Vec<f64> {
        self.steps.iter().map(|s| s.score).collect()
    }

    pub fn rule(&self) -> StepRule {
        StepRule {
            threshold: self.threshold,
            prior: self.prior,
        }
    }

    /// Re-derive the step scores, `prm_score` and `first_bad_step` after the rule or aggregate
    /// changed.
    pub fn recompute(&mut self) {
        let scores = self.scores();
        let rule = self.rule();
        for (s, step) in self.steps.iter_mut().zip(rule.step_scores(&scores)) {
            s.step_score = step;
        }
        self.prm_score = self.aggregate.apply(&scores);
        self.first_bad_step = rule.first_bad(&scores);
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

    #[test]
    fn first_bad_step_is_first_below_threshold() -> Result {
        let v = Verdict::new(
            vec!["a".into(), "b".into(), "c".into()],
            &[0.9, 0.3, 0.1],
            0.7,
            Aggregate::Min,
            StepRule::new(0.5, None)?,
        );
        assert_eq!(v.first_bad_step, Some(1));
        assert_eq!(v.prm_score, 0.1);
        let json = serde_json::to_value(&v)?;
        assert_eq!(json["aggregate"], "min");
        assert_eq!(json["first_bad_step"], 1);
        assert_eq!(json["steps"][0]["text"], "a");
        let none = Verdict::new(
            vec!["a".into()],
            &[0.9],
            0.7,
            Aggregate::Last,
            StepRule::new(0.5, None)?,
        );
        assert_eq!(
            serde_json::to_value(&none)?["first_bad_step"],
            serde_json::Value::Null
        );
        Ok(())
    }

    #[test]
    fn a_false_claim_makes_the_step_wrong() -> Result {
        let v = Verdict::new(
            vec![
                "He buys 4 boxes.".into(),
                "So 17 × 4 = 58 pens.".into(),
                "17 × 4 = 68".into(),
            ],
            &[0.9, 0.95, 0.9],
            0.8,
            Aggregate::Product,
            StepRule::new(0.5, Some(0.8))?,
        );
        assert_eq!(v.first_bad_step, Some(1));
        assert_eq!(v.steps[1].score, 0.0);
        assert_eq!(v.steps[1].model_score, 0.95);
        assert_eq!(v.steps[1].checks.len(), 1);
        assert_eq!(v.steps[1].checks[0].expected.as_deref(), Some("68"));
        assert_eq!(
            v.steps[1].step_score, 0.0,
            "a false claim scores 0 under any rule"
        );
        assert_eq!(
            v.steps[2].score, 0.9,
            "a true claim leaves the model's score"
        );
        assert!(v.steps[2].checks[0].holds);
        assert!(
            (v.steps[2].step_score - 0.9).abs() < 1e-12,
            "after a wrong step the next is scored like a first step"
        );
        assert_eq!(v.prm_score, 0.0);
        let json = serde_json::to_value(&v)?;
        assert_eq!(json["steps"][1]["checks"][0]["claim"], "17 × 4 = 58");
        assert_eq!(json["steps"][1]["checks"][0]["holds"], false);
        assert_eq!(json["steps"][0]["checks"], serde_json::json!([]));
        Ok(())
    }

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
