//! Wrong steps whose arithmetic is right (issue 27's "consistent wrong steps"): take a correct
//! reference step with a calculation, make its reasoning wrong — another quantity used in place
//! of one of its operands, or another operation — and recompute its result, so the step's claims
//! all hold and the only error is one of reasoning, at a known step. The exact checks must pass on
//! every step made here (that is what makes it a reasoning error), so each is re-checked before it
//! is returned; the solution is cut after it, as every training source is cut at its first error.

use num_rational::BigRational;
use num_traits::Signed;
use rand::{Rng, seq::IndexedRandom};
use verifier_text::arith::{check_step, exact_value, format};

use crate::{
    LabeledSolution,
    mutate::{number_spans, wrong_at},
};

/// How a step's reasoning was made wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// One operand replaced by another quantity of the problem or of an earlier step.
    WrongQuantity,
    /// One operator replaced by another (`+` for `-`, `*` for `/`, …).
    WrongOperation,
}

/// The operators a calculation may be written with, and what each can be replaced by.
const OPERATORS: [(char, &[char]); 6] = [
    ('+', &['-', '*']),
    ('-', &['+']),
    ('*', &['+', '/']),
    ('/', &['*', '-']),
    ('×', &['+', '÷']),
    ('÷', &['×', '-']),
];

/// A value as a GSM8K reference would write it ([`format`]): an integer, or a decimal of at most
/// two places; `None` for a negative value or any other fraction (not a plausible quantity of
/// these problems).
fn plain(v: &BigRational) -> Option<String> {
    let cents = v * BigRational::from_integer(100.into());
    (!v.is_negative() && cents.is_integer()).then(|| format(v))
}

/// The value of a number as written (`1,250`, `0.5`).
fn value(s: &str) -> Option<BigRational> {
    exact_value(s).map(|(v, _, _)| v)
}

/// One calculation of `step` written as `lhs = result` (a single `=`), with where it stands.
struct Calculation<'a> {
    start: usize,
    lhs: &'a str,
    result: &'a str,
    end: usize,
}

fn calculations(step: &str) -> Vec<Calculation<'_>> {
    check_step(step)
        .into_iter()
        .filter(|c| c.holds && c.claim.matches('=').count() == 1)
        .filter_map(|c| {
            let start = step.find(&c.claim)?;
            let end = start + c.claim.len();
            let (lhs, result) = c.claim.split_once('=')?;
            let lhs_len = lhs.trim_end().len();
            let result = result.trim();
            let result_start = end - result.len();
            Some(Calculation {
                start,
                lhs: &step[start..start + lhs_len],
                result: &step[result_start..end],
                end,
            })
        })
        .collect()
}

/// A wrong left-hand side for `calc`: one operand swapped for another of `quantities`, or one
/// operator for another.
fn wrong_lhs<R: Rng>(
    calc: &Calculation,
    quantities: &[(&str, BigRational)],
    rng: &mut R,
) -> Option<(String, Change)> {
    let spans = number_spans(calc.lhs);
    let ops: Vec<(usize, char, &[char])> = calc
        .lhs
        .char_indices()
        .filter_map(|(i, c)| {
            let &(op, by) = OPERATORS.iter().find(|(o, _)| *o == c)?;
            // a sign in front of the first number is not an operation
            (i > 0).then_some((i, op, by))
        })
        .collect();
    let change = if !ops.is_empty() && rng.random_bool(0.4) {
        Change::WrongOperation
    } else {
        Change::WrongQuantity
    };
    let (start, end, by) = match change {
        Change::WrongOperation => {
            let &(i, op, by) = ops.choose(rng)?;
            (i, i + op.len_utf8(), by.choose(rng)?.to_string())
        }
        Change::WrongQuantity => {
            let &(s, e) = spans.choose(rng)?;
            let old = value(&calc.lhs[s..e])?;
            let others: Vec<&str> = quantities
                .iter()
                .filter(|(_, v)| *v != old)
                .map(|(q, _)| *q)
                .collect();
            (s, e, others.choose(rng)?.to_string())
        }
    };
    Some((
        format!("{}{by}{}", &calc.lhs[..start], &calc.lhs[end..]),
        change,
    ))
}

/// Make `step` wrong in its reasoning while every claim it writes stays true; `quantities` are
/// the numbers the problem and the earlier steps write. `None` if the step has no calculation to
/// change or no change gives a plain result.
pub fn consistent_wrong_step<R: Rng>(
    step: &str,
    quantities: &[String],
    rng: &mut R,
) -> Option<(String, Change)> {
    wrong_step(step, &calculations(step), quantities, rng)
}

/// [`consistent_wrong_step`] on the calculations of `step` already found.
fn wrong_step<R: Rng>(
    step: &str,
    calcs: &[Calculation],
    quantities: &[String],
    rng: &mut R,
) -> Option<(String, Change)> {
    let calc = calcs.choose(rng)?;
    let quantities: Vec<(&str, BigRational)> = quantities
        .iter()
        .filter_map(|q| Some((q.as_str(), value(q)?)))
        .collect();
    // the result's number, and what is written around it (`$80`)
    let &(rs, re) = number_spans(calc.result).last()?;
    let old_text = &calc.result[rs..re];
    let old = value(old_text)?;
    for _ in 0..4 {
        let Some((lhs, change)) = wrong_lhs(calc, &quantities, rng) else {
            continue;
        };
        let Some(new) = value(&lhs).filter(|v| *v != old).and_then(|v| plain(&v)) else {
            continue;
        };
        // the result is rewritten where the calculation states it and wherever the rest of the
        // step repeats it
        let rest = &step[calc.end..];
        let mut tail = String::with_capacity(rest.len());
        let mut at = 0;
        for (s, e) in number_spans(rest) {
            if &rest[s..e] == old_text {
                tail.push_str(&rest[at..s]);
                tail.push_str(&new);
                at = e;
            }
        }
        tail.push_str(&rest[at..]);
        let out = format!(
            "{}{lhs} = {}{new}{}{tail}",
            &step[..calc.start],
            &calc.result[..rs],
            &calc.result[re..]
        );
        let checks = check_step(&out);
        if out != step && !checks.is_empty() && checks.iter().all(|c| c.holds) {
            return Some((out, change));
        }
    }
    None
}

/// A wrong version of a correct solution whose arithmetic is all true: one step's reasoning made
/// wrong by [`consistent_wrong_step`], the solution cut after it, labelled correct up to it and
/// wrong at it.
pub fn consistent_solution<R: Rng>(sol: &LabeledSolution, rng: &mut R) -> Option<LabeledSolution> {
    let calcs: Vec<Vec<Calculation>> = sol.steps.iter().map(|s| calculations(s)).collect();
    let candidates: Vec<usize> = (0..sol.steps.len())
        .filter(|&i| !calcs[i].is_empty())
        .collect();
    let &k = candidates.choose(rng)?;
    let quantities: Vec<String> = std::iter::once(sol.problem.as_str())
        .chain(sol.steps[..k].iter().map(String::as_str))
        .flat_map(|t| {
            number_spans(t)
                .into_iter()
                .map(move |(s, e)| t[s..e].to_string())
        })
        .collect();
    let (wrong, _) = wrong_step(&sol.steps[k], &calcs[k], &quantities, rng)?;
    Some(wrong_at(sol, k, wrong, "gsm8k-consistent"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    fn q(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn plain_values() {
        let r = |n: i64, d: i64| BigRational::new(n.into(), d.into());
        assert_eq!(plain(&r(24, 1)).as_deref(), Some("24"));
        assert_eq!(plain(&r(5, 2)).as_deref(), Some("2.5"));
        assert_eq!(plain(&r(1, 4)).as_deref(), Some("0.25"));
        assert_eq!(plain(&r(101, 100)).as_deref(), Some("1.01"));
        assert_eq!(plain(&r(1, 3)), None);
        assert_eq!(plain(&r(-2, 1)), None);
    }

    #[test]
    fn the_wrong_step_keeps_true_arithmetic() -> Result<(), String> {
        let mut rng = StdRng::seed_from_u64(5);
        let step = "Natalia sold 48 / 2 = $24 in May, so 24 clips.";
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let Some((w, change)) = consistent_wrong_step(step, &q(&["48", "72", "3"]), &mut rng)
            else {
                continue;
            };
            assert_ne!(w, step);
            let checks = check_step(&w);
            assert!(!checks.is_empty() && checks.iter().all(|c| c.holds), "{w}");
            // the repeated result follows the new one
            let result = w
                .split(" = $")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .ok_or(format!("no result in {w}"))?;
            assert!(w.ends_with(&format!("so {result} clips.")), "{w}");
            seen.insert(change);
        }
        assert_eq!(seen.len(), 2, "both kinds of change are made");
        assert!(consistent_wrong_step("No calculation here.", &q(&["1"]), &mut rng).is_none());
        assert!(
            consistent_wrong_step("48 / 2 = 25", &q(&["3"]), &mut rng).is_none(),
            "a false claim is not a correct step to start from"
        );
        Ok(())
    }

    #[test]
    fn consistent_solution_labels() -> Result<(), String> {
        let mut rng = StdRng::seed_from_u64(9);
        let sol = LabeledSolution {
            problem: "Tom has 17 boxes of 4 pens and gives away 30 pens.".into(),
            steps: vec![
                "He has 17 * 4 = 68 pens.".into(),
                "68 - 30 = 38 are left.".into(),
                "The answer is 38.".into(),
            ],
            labels: vec![true; 3],
            answer_correct: Some(true),
            source: "gsm8k-ref",
            ..Default::default()
        };
        let m = (0..20)
            .find_map(|_| consistent_solution(&sol, &mut rng))
            .ok_or("no consistent wrong step in 20 draws")?;
        let k = m.steps.len() - 1;
        assert!(k < 2);
        assert_eq!(m.labels, [vec![true; k], vec![false]].concat());
        assert_eq!(m.steps[..k], sol.steps[..k]);
        assert_ne!(m.steps[k], sol.steps[k]);
        assert_eq!(m.source, "gsm8k-consistent");
        assert_eq!(verifier_text::first_false_claim(&m.steps), None);
        Ok(())
    }
}
