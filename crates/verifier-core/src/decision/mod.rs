//! The decision layer: how the network's probabilities become a verdict. The network returns
//! uncalibrated probabilities; one [`Decision`] (calibration + step rule + the exact arithmetic
//! checks + the answer check of exercise mode) turns them into a [`Verdict`]. Validation lives in
//! its constructor; the model's `config.json` holds it; evaluation searches over its candidates;
//! the CLI and the browser (whole solutions and streamed steps) call the same code.

pub use verifier_text::answer;
pub mod calibration;
pub mod reference;
pub mod rule;

use serde::{Deserialize, Serialize};

pub use calibration::Calibration;
pub use reference::Reference;
pub use rule::{StepRule, first_below, logit, sigmoid};

use crate::{
    arith::{Check, check_step},
    error::{Result, VerifierError},
    verdict::{Aggregate, AnswerCheck, FlagReason, StepVerdict, Verdict},
};

/// A reference solution longer than this many steps is cut (the same limit as a solution's).
pub const MAX_REFERENCE_STEPS: usize = 256;

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

/// Which steps only restate an earlier result (`A: 18` after a step that ends in 18; see
/// [`answer::restates_earlier_result`]).
pub fn restatements<S: AsRef<str>>(texts: &[S]) -> Vec<bool> {
    (0..texts.len())
        .map(|i| i > 0 && answer::restates_earlier_result(texts[i].as_ref(), &texts[..i]))
        .collect()
}

/// A step that only restates an earlier result is as right as the work it restates: it carries
/// the combined score of the step before it (so its step score is the prior's, and it is never
/// the first flag). The network, which never saw a bare answer line rated, tends to distrust
/// one. Applied to a solution's combined scores, by the product and by evaluation alike.
pub fn carry_restatements(scores: &mut [f64], restated: &[bool]) {
    for i in 1..scores.len() {
        if restated.get(i) == Some(&true) {
            scores[i] = scores[i - 1];
        }
    }
}

/// The scores the step rule reads: each step's model score combined with its checks
/// ([`combine`]), restating steps (`restated`, from [`restatements`]) carrying the score before
/// them — what [`Decision::decide`] works on, for callers that hold the parts.
pub fn decided_scores(model_scores: &[f64], checks: &[Vec<Check>], restated: &[bool]) -> Vec<f64> {
    let mut scores: Vec<f64> = model_scores
        .iter()
        .zip(checks)
        .map(|(&p, c)| combine(p, c))
        .collect();
    carry_restatements(&mut scores, restated);
    scores
}

/// How exercise mode decides once the final answer is compared with the known one.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExerciseRule {
    /// The answer matches: besides a false arithmetic claim, only a step whose step score is below
    /// this stricter threshold is flagged (0: only false claims).
    pub match_threshold: f64,
    /// The answer does not match, so some step is wrong: the first step whose step score is below
    /// this threshold is named (else the one the model trusts least).
    pub mismatch_threshold: f64,
    /// The answer does not match and a reference solution is given: a step writing a number that
    /// neither the problem nor the reference contains is flagged too (the earliest evidence wins).
    pub use_reference: bool,
}

impl ExerciseRule {
    /// What a model whose evaluation has not chosen an exercise rule yet uses: only false claims
    /// on a right answer, the reference-free threshold to localise a wrong one.
    fn untuned(threshold: f64) -> Self {
        ExerciseRule {
            match_threshold: 0.0,
            mismatch_threshold: threshold,
            use_reference: true,
        }
    }
}

/// The fields of a [`Decision`] as `config.json` stores them (checked by [`Decision::new`]).
#[derive(Deserialize)]
struct DecisionFields {
    threshold: f64,
    #[serde(default)]
    prior: Option<f64>,
    #[serde(default)]
    aggregate: Aggregate,
    #[serde(default)]
    calibration: Calibration,
    #[serde(default)]
    exercise: Option<ExerciseRule>,
}

impl TryFrom<DecisionFields> for Decision {
    type Error = VerifierError;
    fn try_from(f: DecisionFields) -> Result<Self> {
        Decision::new(
            StepRule {
                threshold: f.threshold,
                prior: f.prior,
            },
            f.aggregate,
            f.calibration,
            f.exercise,
        )
    }
}

/// Calibration, step rule, aggregate and exercise rule: everything that turns probabilities into
/// a verdict. Built only through [`Decision::new`], so every instance is valid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DecisionFields")]
pub struct Decision {
    threshold: f64,
    prior: Option<f64>,
    aggregate: Aggregate,
    calibration: Calibration,
    exercise: ExerciseRule,
}

fn check_probability(name: &str, v: f64) -> Result<()> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(VerifierError::BadInput(format!(
            "{name} {v} is not between 0 and 1"
        )))
    }
}

/// Check a threshold a user gives (`None`: none given). The one check of a user's threshold;
/// [`Decision::with_overrides`] applies it.
pub fn check_threshold(threshold: Option<f64>) -> Result<()> {
    threshold.map_or(Ok(()), |t| check_probability("the threshold", t))
}

impl Decision {
    /// Validate and build (`exercise`: `None` for a model whose evaluation has not chosen one).
    pub fn new(
        rule: StepRule,
        aggregate: Aggregate,
        calibration: Calibration,
        exercise: Option<ExerciseRule>,
    ) -> Result<Self> {
        let rule = StepRule::new(rule.threshold, rule.prior)?;
        if !(calibration.scale.is_finite()
            && calibration.bias.is_finite()
            && calibration.scale > 0.0)
        {
            return Err(VerifierError::BadInput(format!(
                "calibration needs a positive finite scale and a finite bias, got {} and {}",
                calibration.scale, calibration.bias
            )));
        }
        let exercise = exercise.unwrap_or(ExerciseRule::untuned(rule.threshold));
        check_probability("the exercise match threshold", exercise.match_threshold)?;
        check_probability(
            "the exercise mismatch threshold",
            exercise.mismatch_threshold,
        )?;
        Ok(Decision {
            threshold: rule.threshold,
            prior: rule.prior,
            aggregate,
            calibration,
            exercise,
        })
    }

    /// The decision of a model no evaluation has tuned yet: threshold 0.5 on the scores after each
    /// step, no prior, no calibration, the product aggregate.
    pub fn untuned() -> Self {
        Decision {
            threshold: 0.5,
            prior: None,
            aggregate: Aggregate::default(),
            calibration: Calibration::default(),
            exercise: ExerciseRule::untuned(0.5),
        }
    }

    /// The step rule (reference-free).
    pub fn rule(&self) -> StepRule {
        StepRule {
            threshold: self.threshold,
            prior: self.prior,
        }
    }
    pub fn threshold(&self) -> f64 {
        self.threshold
    }
    pub fn aggregate(&self) -> Aggregate {
        self.aggregate
    }
    pub fn calibration(&self) -> Calibration {
        self.calibration
    }
    pub fn exercise(&self) -> ExerciseRule {
        self.exercise
    }

    /// The same decision with a caller's threshold and aggregate (`None`: keep the stored ones).
    /// The one place a threshold from a user is checked.
    pub fn with_overrides(
        &self,
        threshold: Option<f64>,
        aggregate: Option<Aggregate>,
    ) -> Result<Self> {
        check_threshold(threshold)?;
        let mut d = self.clone();
        if let Some(t) = threshold {
            d.threshold = t;
        }
        if let Some(a) = aggregate {
            d.aggregate = a;
        }
        Ok(d)
    }

    /// The same decision with another step rule (evaluation's choice).
    pub fn with_rule(&self, rule: StepRule) -> Result<Self> {
        Decision::new(rule, self.aggregate, self.calibration, Some(self.exercise))
    }

    /// The same decision with another calibration.
    pub fn with_calibration(&self, calibration: Calibration) -> Result<Self> {
        Decision::new(
            self.rule(),
            self.aggregate,
            calibration,
            Some(self.exercise),
        )
    }

    /// The same decision with another exercise rule.
    pub fn with_exercise(&self, exercise: ExerciseRule) -> Result<Self> {
        Decision::new(
            self.rule(),
            self.aggregate,
            self.calibration,
            Some(exercise),
        )
    }

    /// One step as it arrives: the model's probability calibrated, the step's arithmetic checked
    /// and combined with it. Its step score is set by [`Decision::decide`].
    pub fn step(&self, text: String, model_probability: f64) -> StepVerdict {
        let model_score = self.calibration.apply(model_probability);
        let checks = check_step(&text);
        StepVerdict {
            score: combine(model_score, &checks),
            step_score: 0.0,
            model_score,
            checks,
            reason: None,
            text,
        }
    }

    /// The verdict on a whole solution from the network's probabilities (per step) and its ORM
    /// probability.
    pub fn verdict(
        &self,
        steps: Vec<String>,
        model_probabilities: &[f64],
        orm_score: f64,
        exercise: Option<&Exercise>,
    ) -> Verdict {
        debug_assert_eq!(steps.len(), model_probabilities.len());
        let steps = steps
            .into_iter()
            .zip(model_probabilities)
            .map(|(t, &p)| self.step(t, p))
            .collect();
        self.decide(steps, orm_score, exercise, true)
    }

    /// Decide on steps made by [`Decision::step`]. `complete`: the solution is finished (while it
    /// streams in, only an explicitly stated final answer is compared).
    pub fn decide(
        &self,
        mut steps: Vec<StepVerdict>,
        orm_score: f64,
        exercise: Option<&Exercise>,
        complete: bool,
    ) -> Verdict {
        let mut scores: Vec<f64> = steps.iter().map(|s| s.score).collect();
        let texts: Vec<&str> = steps.iter().map(|s| s.text.as_str()).collect();
        carry_restatements(&mut scores, &restatements(&texts));
        for (s, &score) in steps.iter_mut().zip(&scores) {
            s.score = score;
        }
        let rule = self.rule();
        for (s, v) in steps.iter_mut().zip(rule.step_scores(&scores)) {
            s.step_score = v;
            s.reason = None;
        }
        let answer_check = exercise.and_then(|e| e.check(&steps, complete));
        let flag = match answer_check.as_ref().and_then(|c| c.matches) {
            // reference-free: the step rule alone (a false claim scores 0, so any threshold above
            // 0 flags it)
            None => first_flag(&steps, self.threshold, false, None),
            Some(true) => first_flag(&steps, self.exercise.match_threshold, true, None),
            Some(false) => {
                let reference = exercise
                    .and_then(|e| e.reference.as_ref())
                    .filter(|_| self.exercise.use_reference);
                first_flag(&steps, self.exercise.mismatch_threshold, true, reference).or_else(
                    || {
                        // the solution is wrong: name the step the model trusts least
                        steps
                            .iter()
                            .enumerate()
                            .min_by(|a, b| a.1.step_score.total_cmp(&b.1.step_score))
                            .map(|(i, _)| (i, FlagReason::WrongFinalAnswer))
                    },
                )
            }
        };
        if let Some((i, reason)) = flag {
            steps[i].reason = Some(reason);
        }
        let mut warnings = exercise.map(|e| e.warnings.clone()).unwrap_or_default();
        if let Some(c) = &answer_check
            && complete
            && c.found.is_some()
            && c.matches.is_none()
        {
            warnings.push(format!(
                "cannot tell whether the final answer {:?} is {:?}; judged without the answer",
                c.found.as_deref().unwrap_or(""),
                c.expected
            ));
        }
        Verdict {
            prm_score: self.aggregate.apply(&scores),
            aggregate: self.aggregate,
            orm_score,
            threshold: self.threshold,
            prior: self.prior,
            first_bad_step: flag.map(|f| f.0),
            answer_check,
            warnings,
            steps,
        }
    }
}

/// The first step that is flagged: a step score below `threshold`, a false claim (whatever the
/// threshold when `false_claims` is set), or (with a reference) a number the reference does not
/// explain — whichever comes first.
fn first_flag(
    steps: &[StepVerdict],
    threshold: f64,
    false_claims: bool,
    reference: Option<&Reference>,
) -> Option<(usize, FlagReason)> {
    steps.iter().enumerate().find_map(|(i, s)| {
        let false_claim = s.checks.iter().any(|c| !c.holds);
        if false_claim && (false_claims || s.step_score < threshold) {
            Some((i, FlagReason::FalseClaim))
        } else if reference.is_some_and(|r| r.diverges(&s.text)) {
            Some((i, FlagReason::DivergesFromReference))
        } else if s.step_score < threshold {
            Some((i, FlagReason::LowScore))
        } else {
            None
        }
    })
}

/// What the caller knows of an exercise: the final answer and a reference solution, both
/// optional. Building one never fails: what cannot be used is dropped with a warning and the
/// verdict falls back to the reference-free rule.
#[derive(Clone, Debug, Default)]
pub struct Exercise {
    answer: Option<String>,
    reference: Option<Reference>,
    pub warnings: Vec<String>,
}

impl Exercise {
    pub fn new(problem: &str, answer: Option<&str>, reference: Option<&[String]>) -> Self {
        let mut warnings = Vec::new();
        let answer = answer.and_then(|a| match answer::check_expected(a) {
            Ok(()) => Some(a.trim().to_string()),
            Err(why) => {
                warnings.push(format!("{why}; judged without the answer"));
                None
            }
        });
        let reference = reference.and_then(|r| {
            let r: Vec<String> = r.iter().filter(|s| !s.trim().is_empty()).cloned().collect();
            if r.is_empty() {
                warnings.push("the reference solution is empty; judged without it".into());
                return None;
            }
            let mut r = r;
            if r.len() > MAX_REFERENCE_STEPS {
                warnings.push(format!(
                    "the reference solution has {} steps; only the first {MAX_REFERENCE_STEPS} are used",
                    r.len()
                ));
                r.truncate(MAX_REFERENCE_STEPS);
            }
            let reference = Reference::new(problem, &r);
            if !reference.fits_problem {
                warnings.push(
                    "the reference solution uses none of the problem's numbers; is it for another problem? judged without it"
                        .into(),
                );
                return None;
            }
            Some(reference)
        });
        Exercise {
            answer,
            reference,
            warnings,
        }
    }

    /// The reference solution's quantities, when the reference is usable (`None` without one, or
    /// when it was dropped with a warning).
    pub fn reference(&self) -> Option<&Reference> {
        self.reference.as_ref()
    }

    /// The answer check of a solution so far (`None` without a usable answer).
    fn check(&self, steps: &[StepVerdict], complete: bool) -> Option<AnswerCheck> {
        let expected = self.answer.clone()?;
        let texts: Vec<&str> = steps.iter().map(|s| s.text.as_str()).collect();
        let (found, matches) = answer::judge(&texts, &expected, complete);
        Some(AnswerCheck {
            expected,
            found,
            matches,
        })
    }
}

#[cfg(test)]
mod tests;
