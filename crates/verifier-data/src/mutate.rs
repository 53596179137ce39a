//! Wrong steps without humans (the Math-Shepherd / HGS-PRM idea): take a correct reference step
//! and change a number, an operator or a result so the step becomes false.

use rand::{Rng, seq::IndexedRandom};

use crate::LabeledSolution;

/// How a step was made wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// The value after the last `=` was changed.
    Result,
    /// A number in the computation was changed.
    Operand,
    /// An arithmetic operator was swapped.
    Operator,
}

/// Byte spans of the numbers in `text` (digits with optional decimals and thousands commas).
pub fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0
                || !(b[i - 1].is_ascii_alphanumeric()
                    || b[i - 1] == b'_'
                    || b[i - 1] == b'^'
                    || b[i - 1] == b'{' && i >= 2 && b[i - 2] == b'^'))
        {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_digit()
                    || ((b[i] == b'.' || b[i] == b',')
                        && i + 1 < b.len()
                        && b[i + 1].is_ascii_digit()))
            {
                i += 1;
            }
            // skip "Step 3" markers and numbers glued to letters (x2, 3rd)
            let before = text[..start].trim_end();
            let glued = i < b.len() && b[i].is_ascii_alphabetic();
            if !before.ends_with("Step") && !before.ends_with("step") && !glued {
                spans.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    spans
}

/// A plausible but wrong replacement for the number `s`.
pub fn wrong_number<R: Rng>(s: &str, rng: &mut R) -> Option<String> {
    let clean = s.replace(',', "");
    if let Some((int, frac)) = clean.split_once('.') {
        let digits = frac.len();
        let scaled: i64 = format!("{int}{frac}").parse().ok()?;
        let delta =
            [1i64, 2, 5, 10][rng.random_range(0..4)] * if rng.random_bool(0.5) { 1 } else { -1 };
        let v = (scaled + delta).max(0);
        if v == scaled {
            return None;
        }
        let p = 10i64.pow(digits as u32);
        return Some(format!("{}.{:0width$}", v / p, v % p, width = digits));
    }
    let n: i64 = clean.parse().ok()?;
    let candidates = [
        n + 1,
        n - 1,
        n + 2,
        n - 2,
        n + 10,
        n - 10,
        n * 2,
        if n % 2 == 0 { n / 2 } else { n + 3 },
        n * 10,
        if n >= 10 { n / 10 } else { n + 4 },
    ];
    let v = *candidates
        .iter()
        .filter(|&&v| v != n && v >= 0)
        .collect::<Vec<_>>()
        .choose(rng)?;
    Some(v.to_string())
}

const OPERATORS: [&str; 5] = [" + ", " - ", " * ", " / ", " x "];

/// Make `step` wrong with one mutation; `None` if it has nothing to change.
pub fn mutate_step<R: Rng>(step: &str, rng: &mut R) -> Option<(String, Mutation)> {
    let spans = number_spans(step);
    let result_span = step.rfind('=').and_then(|eq| {
        spans
            .iter()
            .copied()
            .find(|&(s, _)| s > eq && step[eq + 1..s].trim_matches([' ', '$', '\\']).is_empty())
    });
    let ops: Vec<(usize, &str)> = OPERATORS
        .iter()
        .flat_map(|op| {
            step.match_indices(op)
                .map(|(i, o)| (i, o))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut kinds = Vec::new();
    if result_span.is_some() {
        kinds.extend([Mutation::Result, Mutation::Result]);
    }
    if !spans.is_empty() {
        kinds.push(Mutation::Operand);
    }
    if !ops.is_empty() && !spans.is_empty() {
        kinds.push(Mutation::Operator);
    }
    let kind = *kinds.choose(rng)?;
    let (start, end, replacement) = match kind {
        Mutation::Result => {
            let (s, e) = result_span?;
            (s, e, wrong_number(&step[s..e], rng)?)
        }
        Mutation::Operand => {
            let (s, e) = *spans.choose(rng)?;
            (s, e, wrong_number(&step[s..e], rng)?)
        }
        Mutation::Operator => {
            let &(i, op) = ops.choose(rng)?;
            let others: Vec<&&str> = OPERATORS
                .iter()
                .filter(|o| **o != op && **o != " x ")
                .collect();
            (i, i + op.len(), others.choose(rng)?.to_string())
        }
    };
    let mut out = String::with_capacity(step.len() + 4);
    out.push_str(&step[..start]);
    out.push_str(&replacement);
    out.push_str(&step[end..]);
    (out != step).then_some((out, kind))
}

/// A wrong version of a correct solution: one step mutated, the solution cut after it, labelled
/// correct up to it and wrong at it.
pub fn mutate_solution<R: Rng>(sol: &LabeledSolution, rng: &mut R) -> Option<LabeledSolution> {
    let candidates: Vec<usize> = (0..sol.steps.len())
        .filter(|&i| !number_spans(&sol.steps[i]).is_empty())
        .collect();
    let &k = candidates.choose(rng)?;
    let (wrong, _) = mutate_step(&sol.steps[k], rng)?;
    let source = match sol.source {
        "gsm8k-ref" => "gsm8k-mut",
        "math-ref" => "math-mut",
        _ => "mutated",
    };
    Some(wrong_at(sol, k, wrong, source))
}

/// `sol` with its step `k` replaced by `wrong` and cut after it: correct up to it, wrong at it.
pub(crate) fn wrong_at(
    sol: &LabeledSolution,
    k: usize,
    wrong: String,
    source: &'static str,
) -> LabeledSolution {
    let mut steps = sol.steps[..k].to_vec();
    steps.push(wrong);
    let mut labels = vec![true; k];
    labels.push(false);
    LabeledSolution {
        problem: sol.problem.clone(),
        steps,
        labels,
        answer_correct: Some(false),
        source,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn spans_skip_markers_and_exponents() {
        let s = "Step 2: 17 * 4 = 68 and x^2 is 1,250.5";
        let nums: Vec<&str> = number_spans(s).iter().map(|&(a, b)| &s[a..b]).collect();
        assert_eq!(nums, vec!["17", "4", "68", "1,250.5"]);
    }

    #[test]
    fn mutations_change_the_step() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            let (m, _) = mutate_step("She has 16 - 3 = 13 eggs", &mut rng).unwrap();
            assert_ne!(m, "She has 16 - 3 = 13 eggs");
        }
        assert!(mutate_step("no numbers here", &mut rng).is_none());
    }

    #[test]
    fn mutated_solution_labels() {
        let mut rng = StdRng::seed_from_u64(7);
        let sol = LabeledSolution {
            problem: "p".into(),
            steps: vec!["Think.".into(), "2 + 2 = 4".into(), "Done.".into()],
            labels: vec![true; 3],
            answer_correct: Some(true),
            source: "gsm8k-ref",
            ..Default::default()
        };
        let m = mutate_solution(&sol, &mut rng).unwrap();
        assert_eq!(m.steps.len(), 2);
        assert_eq!(m.labels, vec![true, false]);
        assert_eq!(m.first_error(), Some(1));
        assert_eq!(m.source, "gsm8k-mut");
    }

    #[test]
    fn wrong_numbers_differ() {
        let mut rng = StdRng::seed_from_u64(3);
        for s in ["0", "7", "1,250", "0.25", "100"] {
            for _ in 0..50 {
                let w = wrong_number(s, &mut rng).unwrap();
                assert_ne!(w.replace(',', ""), s.replace(',', ""));
            }
        }
    }
}
