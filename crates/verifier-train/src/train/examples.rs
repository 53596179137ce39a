//! Training examples: the pools each source of the mixture draws from, and a window with its
//! step and answer targets.

use std::collections::{BTreeMap, HashSet};

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
    /// PRM800K sibling steps ([`sibling_groups`]): indices into `prm800k`.
    pub(super) prm800k_siblings: Vec<Siblings>,
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
        let prm800k_siblings = sibling_groups(&prm800k);
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
            prm800k_siblings,
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

    /// One draw from the source the mixture draws (by its name in `mixture::SOURCES`).
    /// With `--extra` rows, a share `extra_weight` of the draws is one of them.
    pub(super) fn sample<R: Rng>(&self, mix: &Mix, extra_weight: f64, rng: &mut R) -> Option<Draw> {
        if !self.extra.is_empty() && rng.random_range(0.0..1.0) < extra_weight {
            return self.extra.choose(rng).cloned().map(Draw::One);
        }
        let x = rng.random_range(0.0..mix.total());
        let one = match mix.pick(x) {
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
            "prm800k-pairs" => {
                let g = self.prm800k_siblings.choose(rng)?;
                let (&right, &wrong) = (g.right.choose(rng)?, g.wrong.choose(rng)?);
                return Some(Draw::Pair {
                    right: self.prm800k[right].clone(),
                    wrong: self.prm800k[wrong].clone(),
                });
            }
            other => unreachable!("a source of mixture::SOURCES without a pool: {other}"),
        };
        one.map(Draw::One)
    }
}

/// What one draw of the mixture gives.
pub(super) enum Draw {
    One(LabeledSolution),
    /// Two sibling steps: the same solution so far, then a step rated right and one rated wrong
    /// (the ranking loss makes the right one score above the wrong one).
    Pair {
        right: LabeledSolution,
        wrong: LabeledSolution,
    },
}

/// PRM800K rows that continue the same solution so far (problem and earlier steps, all rated
/// acceptable) with a different last step: those whose last step is rated right (+1) and those
/// rated wrong (-1); only groups with both.
pub(super) struct Siblings {
    pub(super) right: Vec<usize>,
    pub(super) wrong: Vec<usize>,
}

/// The sibling groups of PRM800K rows, in a fixed order (training draws are reproducible).
pub(super) fn sibling_groups(rows: &[LabeledSolution]) -> Vec<Siblings> {
    let mut groups: BTreeMap<(&str, &[String]), Siblings> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let n = r.steps.len();
        // every earlier step rated acceptable, the last one rated (neutral 0 ranks with neither)
        if n == 0 || r.labels.len() != n || r.neutral.contains(&(n - 1)) {
            continue;
        }
        let g = groups
            .entry((r.problem.as_str(), &r.steps[..n - 1]))
            .or_insert(Siblings {
                right: Vec::new(),
                wrong: Vec::new(),
            });
        if r.labels[n - 1] {
            g.right.push(i);
        } else {
            g.wrong.push(i);
        }
    }
    groups
        .into_values()
        .filter(|g| !g.right.is_empty() && !g.wrong.is_empty())
        .collect()
}

/// One training window with its targets.
#[derive(Clone)]
pub(super) struct Item {
    pub(super) window: WindowInput,
    /// Per marker: Some(label) if the step is supervised.
    pub(super) prm: Vec<Option<bool>>,
    /// Per marker: Some(label) at the marker where the answer is judged.
    pub(super) orm: Vec<Option<bool>>,
    /// A member of a sibling pair: the pair's number in its batch, and whether it is the right
    /// sibling (its last step is the one ranked).
    pub(super) pair: Option<(usize, bool)>,
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
    Some(Item {
        window,
        prm,
        orm,
        pair: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(problem: &str, steps: &[&str], labels: &[bool], neutral: &[usize]) -> LabeledSolution {
        LabeledSolution {
            problem: problem.into(),
            steps: steps.iter().map(|s| s.to_string()).collect(),
            labels: labels.to_vec(),
            neutral: neutral.to_vec(),
            answer_correct: None,
            source: "prm800k",
        }
    }

    #[test]
    fn siblings_share_problem_and_earlier_steps_and_differ_in_the_last_rating() {
        let rows = [
            row("p", &["a", "b"], &[true, true], &[]),
            row("p", &["a", "c"], &[true, false], &[]),
            row("p", &["a", "d"], &[true, true], &[1]), // neutral: ranks with neither
            row("p", &["a", "e"], &[true, false], &[]),
            row("q", &["a", "b"], &[true, true], &[]), // another problem: no wrong sibling
            row("p", &["x", "b"], &[false], &[]),      // an earlier step wrong: not a sibling
            row("p", &["x", "c"], &[false], &[]),
        ];
        let groups = sibling_groups(&rows);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].right, vec![0]);
        assert_eq!(groups[0].wrong, vec![1, 3]);
    }
}
