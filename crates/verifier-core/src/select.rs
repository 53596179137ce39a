//! Best-of-N: which of N candidate solutions of one problem to trust, by the step scores (PRM),
//! the answer score (ORM) or a vote over the final answers (Lightman et al. 2023, §3; Uesato et
//! al. 2022). The CLI's evaluation and the browser's best-of-N page both choose with [`pick`].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::{
    decision::answer::{check_expected, compare, voting_answer},
    verdict::Aggregate,
};

/// A way of choosing one candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The highest product of step scores.
    PrmProduct,
    /// The highest lowest step score.
    PrmMin,
    /// The highest score after the last step.
    PrmLast,
    /// The highest answer score.
    Orm,
    /// The final answer most candidates state.
    MajorityVote,
    /// The final answer with the largest sum of PRM (product) scores.
    PrmWeightedVote,
    /// The final answer with the largest sum of ORM scores.
    OrmWeightedVote,
}

impl Method {
    pub const ALL: [Method; 7] = [
        Method::PrmProduct,
        Method::PrmMin,
        Method::PrmLast,
        Method::Orm,
        Method::MajorityVote,
        Method::PrmWeightedVote,
        Method::OrmWeightedVote,
    ];

    /// The method that ranks by an aggregate of the step scores.
    pub fn prm(aggregate: Aggregate) -> Method {
        match aggregate {
            Aggregate::Product => Method::PrmProduct,
            Aggregate::Min => Method::PrmMin,
            Aggregate::Last => Method::PrmLast,
        }
    }

    /// Its name in tables and on the page.
    pub fn name(self) -> &'static str {
        match self {
            Method::PrmProduct => "PRM (product)",
            Method::PrmMin => "PRM (min)",
            Method::PrmLast => "PRM (last)",
            Method::Orm => "ORM",
            Method::MajorityVote => "majority vote",
            Method::PrmWeightedVote => "PRM-weighted vote",
            Method::OrmWeightedVote => "ORM-weighted vote",
        }
    }
}

/// One scored candidate solution.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    /// Its final answer, normalised for voting ([`crate::decision::answer::voting_answer`]);
    /// `None` when it states none (it takes no part in a vote).
    pub answer: Option<&'a str>,
    /// The step scores the PRM methods aggregate.
    pub step_scores: &'a [f64],
    /// The answer score.
    pub orm: f64,
}

/// The index of the candidate `method` chooses: the first of equals for a ranking; for a vote the
/// first candidate stating the winning answer (ties between answers: the smaller answer text).
/// `None` when there is no candidate, or for a vote when no candidate states an answer.
pub fn pick(method: Method, cands: &[Candidate<'_>]) -> Option<usize> {
    let argmax = |f: &dyn Fn(&Candidate) -> f64| {
        let mut best = 0;
        for i in 1..cands.len() {
            if f(&cands[i]) > f(&cands[best]) {
                best = i;
            }
        }
        (!cands.is_empty()).then_some(best)
    };
    let vote = |w: &dyn Fn(&Candidate) -> f64| {
        let mut tally: HashMap<&str, f64> = HashMap::new();
        for c in cands {
            if let Some(a) = c.answer {
                *tally.entry(a).or_default() += w(c);
            }
        }
        let (answer, _) = tally
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(a.0)))?;
        cands.iter().position(|c| c.answer == Some(answer))
    };
    match method {
        Method::PrmProduct | Method::PrmMin | Method::PrmLast => {
            let a = match method {
                Method::PrmMin => Aggregate::Min,
                Method::PrmLast => Aggregate::Last,
                _ => Aggregate::Product,
            };
            argmax(&|c| a.apply(c.step_scores))
        }
        Method::Orm => argmax(&|c| c.orm),
        Method::MajorityVote => vote(&|_| 1.0),
        Method::PrmWeightedVote => vote(&|c| Aggregate::Product.apply(c.step_scores)),
        Method::OrmWeightedVote => vote(&|c| c.orm),
    }
}

/// One candidate solution as a caller holds it: its text and its verdict's scores.
#[derive(Clone, Debug, Deserialize)]
pub struct ScoredSolution {
    pub solution: String,
    pub step_scores: Vec<f64>,
    pub orm: f64,
}

/// The candidate one method chooses.
#[derive(Clone, Debug, Serialize)]
pub struct Choice {
    pub method: Method,
    pub name: &'static str,
    /// `null` when it chooses none (a vote where no candidate states an answer).
    pub index: Option<usize>,
}

/// Every method's choice among one problem's candidates.
#[derive(Clone, Debug, Serialize)]
pub struct BestOfN {
    /// Each candidate's final answer as voted on (`null`: it states none).
    pub answers: Vec<Option<String>>,
    /// Each candidate's answer against the known one: `null` when no answer is known, or the
    /// comparison is undecided.
    pub correct: Vec<Option<bool>>,
    pub choices: Vec<Choice>,
    /// What was ignored, in words (an unusable known answer).
    pub warnings: Vec<String>,
}

/// Best-of-N over scored candidates, with their answers checked against `expected` when given.
pub fn best_of_n(cands: &[ScoredSolution], expected: Option<&str>) -> BestOfN {
    let mut warnings = Vec::new();
    let expected = expected.filter(|e| match check_expected(e) {
        Ok(()) => true,
        Err(why) => {
            warnings.push(format!("{why}: the answers are not checked"));
            false
        }
    });
    let answers: Vec<Option<String>> = cands.iter().map(|c| voting_answer(&c.solution)).collect();
    let correct = answers
        .iter()
        .map(|a| compare(a.as_deref()?, expected?))
        .collect();
    let list: Vec<Candidate> = cands
        .iter()
        .zip(&answers)
        .map(|(c, a)| Candidate {
            answer: a.as_deref(),
            step_scores: &c.step_scores,
            orm: c.orm,
        })
        .collect();
    let choices = Method::ALL
        .iter()
        .map(|&method| Choice {
            method,
            name: method.name(),
            index: pick(method, &list),
        })
        .collect();
    BestOfN {
        answers,
        correct,
        choices,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand<'a>(answer: Option<&'a str>, steps: &'a [f64], orm: f64) -> Candidate<'a> {
        Candidate {
            answer,
            step_scores: steps,
            orm,
        }
    }

    #[test]
    fn each_method_picks_its_own_candidate() {
        let (a, b, c) = ([0.9, 0.3], [0.6, 0.6], [0.5, 0.7]);
        let cands = [
            cand(Some("1"), &a, 0.2),
            cand(Some("2"), &b, 0.9),
            cand(Some("2"), &c, 0.1),
        ];
        // products 0.27 / 0.36 / 0.35; minima 0.3 / 0.6 / 0.5; last 0.3 / 0.6 / 0.7
        assert_eq!(pick(Method::PrmProduct, &cands), Some(1));
        assert_eq!(pick(Method::PrmMin, &cands), Some(1));
        assert_eq!(pick(Method::PrmLast, &cands), Some(2));
        assert_eq!(pick(Method::Orm, &cands), Some(1));
        assert_eq!(pick(Method::MajorityVote, &cands), Some(1));
        assert_eq!(pick(Method::PrmWeightedVote, &cands), Some(1));
        // ORM weights: "1" 0.2, "2" 1.0
        assert_eq!(pick(Method::OrmWeightedVote, &cands), Some(1));
        let heavy = [cand(Some("1"), &a, 2.0), cands[1], cands[2]];
        assert_eq!(pick(Method::OrmWeightedVote, &heavy), Some(0));
    }

    #[test]
    fn votes_skip_candidates_without_an_answer_and_break_ties_by_answer() {
        let s = [0.5];
        let cands = [
            cand(None, &s, 0.9),
            cand(Some("7"), &s, 0.1),
            cand(Some("3"), &s, 0.1),
        ];
        // "3" and "7" tie: the smaller text wins; the answerless candidate never does
        assert_eq!(pick(Method::MajorityVote, &cands), Some(2));
        assert_eq!(pick(Method::MajorityVote, &[cand(None, &s, 0.9)]), None);
        assert_eq!(pick(Method::Orm, &[cand(None, &s, 0.9)]), Some(0));
        assert_eq!(pick(Method::PrmProduct, &[]), None);
    }

    #[test]
    fn best_of_n_reads_the_answers_and_checks_them() {
        let sol = |text: &str, steps: Vec<f64>, orm: f64| ScoredSolution {
            solution: text.into(),
            step_scores: steps,
            orm,
        };
        let cands = [
            sol("6 + 6 = 12\nThe answer is 12.", vec![0.9, 0.9], 0.3),
            sol("6 * 2 = 12\n#### 12", vec![0.5, 0.6], 0.4),
            sol(
                "6 + 5 = 11\nSo the answer is \\boxed{11}",
                vec![0.95, 0.9],
                0.9,
            ),
        ];
        let b = best_of_n(&cands, Some("12"));
        assert_eq!(
            b.answers,
            [Some("12".into()), Some("12".into()), Some("11".into())]
        );
        assert_eq!(b.correct, [Some(true), Some(true), Some(false)]);
        let by = |m: Method| {
            b.choices
                .iter()
                .find(|c| c.method == m)
                .and_then(|c| c.index)
        };
        assert_eq!(by(Method::PrmProduct), Some(2));
        assert_eq!(by(Method::Orm), Some(2));
        assert_eq!(by(Method::MajorityVote), Some(0));
        assert_eq!(b.choices.len(), Method::ALL.len());
        assert!(b.warnings.is_empty());
        // no known answer: nothing is checked; an unusable one says so
        assert_eq!(best_of_n(&cands, None).correct, [None, None, None]);
        let bad = best_of_n(&cands, Some("  "));
        assert_eq!(bad.correct, [None, None, None]);
        assert_eq!(bad.warnings.len(), 1);
    }

    #[test]
    fn methods_serialise_by_snake_case_name() -> Result<(), serde_json::Error> {
        assert_eq!(
            serde_json::to_string(&Method::PrmWeightedVote)?,
            "\"prm_weighted_vote\""
        );
        assert_eq!(Method::prm(Aggregate::Last), Method::PrmLast);
        Ok(())
    }
}
