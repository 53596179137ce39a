//! Exact arithmetic checks: find the equalities a step claims (`17 × 4 = 68`, `\frac{3}{4} =
//! 0.75`, `<<48/2=24>>`, `15% of 80 = 12`, chains `a = b = c`) and evaluate both sides with
//! rational arithmetic.
//!
//! The rule is **no false alarms**: a side is only evaluated when it is a closed arithmetic
//! expression whose edges are clear. Anything touching a variable, a function, a unit glued to a
//! number, a ratio `3:4`, a word like "times" or "half of" that would change its meaning, modular
//! arithmetic, or a number too large to handle is skipped, not guessed. A claim holds when both
//! sides are equal, allowing the rounding the text shows: a decimal written with `k` places may be
//! off by less than `10^-k`; `≈`, `\approx`, `~` or "about" allow 5%.

mod claims;
mod compare;
mod eval;
mod lex;

use num_rational::BigRational;

use serde::{Deserialize, Serialize};

use claims::{TESTING, arith_run, is_arith, left_edge_ok, normalize, right_edge_ok, skip_step};
use compare::{Side, compare, literal, power_of_ten_apart};
use eval::evaluate;
pub use eval::{MAX_BITS, format};
use lex::{Tok, Token, tokenize};

/// Steps longer than this many bytes are not checked (bounded work on pasted text).
pub const MAX_CHECK_BYTES: usize = 20_000;

/// One arithmetic claim found in a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// The claim as written, e.g. `17 × 4 = 58`.
    pub claim: String,
    /// Whether the equality holds (within the rounding the text shows).
    pub holds: bool,
    /// The correct value when the claim is false.
    pub expected: Option<String>,
}

/// The index of the first step that makes a false arithmetic claim (such a step is certainly
/// wrong), or `None` when every claim the checks find holds.
pub fn first_false_claim<S: AsRef<str>>(steps: &[S]) -> Option<usize> {
    steps
        .iter()
        .position(|s| check_step(s.as_ref()).iter().any(|c| !c.holds))
}

/// All arithmetic claims in one step, each checked exactly.
pub fn check_step(text: &str) -> Vec<Check> {
    if text.len() > MAX_CHECK_BYTES {
        return Vec::new();
    }
    let latex = text.contains('\\');
    let lower = text.to_lowercase();
    if TESTING.iter().any(|w| lower.contains(w)) {
        return Vec::new();
    }
    let toks = normalize(tokenize(text));
    if skip_step(&toks) {
        return Vec::new();
    }
    // "to the nearest dollar", "rounded": every claim may be rounded
    let rounded = ["nearest", "round"].iter().any(|w| lower.contains(w));
    // a unit or scale change written in words: results a power of ten apart are not judged
    let scaled = [
        "thousand", "million", "billion", "hundred", "cent", "percent",
    ]
    .iter()
    .any(|w| lower.contains(w));
    let eqs: Vec<usize> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t.tok, Tok::Eq { .. }))
        .map(|(i, _)| i)
        .collect();
    let mut out: Vec<Check> = Vec::new();
    let mut k = 0;
    while k < eqs.len() {
        // a chain: consecutive `=` with only arithmetic between them
        let mut end = k;
        while end + 1 < eqs.len()
            && toks[eqs[end] + 1..eqs[end + 1]]
                .iter()
                .all(|t| is_arith(&t.tok))
            && eqs[end + 1] > eqs[end] + 1
        {
            end += 1;
        }
        let chain = &eqs[k..=end];
        k = end + 1;

        // the outer sides: arithmetic tokens before the first `=` and after the last one
        let first = chain[0];
        let last = *chain.last().unwrap_or(&first);
        let l = arith_run(&toks, first, true);
        let r = arith_run(&toks, last + 1, false);

        let mut sides: Vec<Option<Side>> = Vec::with_capacity(chain.len() + 1);
        // leftmost
        let left = &toks[l..first];
        // "Weeks 1-2 = ...": a range, not a subtraction
        let range = left.len() >= 3
            && matches!(left[0].tok, Tok::Num { .. })
            && left[1].tok == Tok::Op('-')
            && !left[1].space_before
            && !left[2].space_before
            && l > 0
            && matches!(toks[l - 1].tok, Tok::Word(_));
        // "a 6-8-10 triangle": numbers joined by glued hyphens are a name
        let hyphen_name = |side: &[Token]| {
            side.windows(3)
                .filter(|w| {
                    matches!(w[0].tok, Tok::Num { .. })
                        && w[1].tok == Tok::Op('-')
                        && !w[1].space_before
                        && !w[2].space_before
                        && matches!(w[2].tok, Tok::Num { .. })
                })
                .count()
                >= 2
        };
        let left_ok = !left.is_empty()
            && !range
            && left_edge_ok(
                l.checked_sub(1).map(|p| &toks[p]),
                l.checked_sub(2).map(|p| &toks[p]),
                &left[0],
                literal(left).is_some(),
                latex,
            );
        let left_ok = left_ok && !hyphen_name(left);
        sides.push(if left_ok {
            evaluate(left, latex).map(|val| Side { toks: left, val })
        } else {
            None
        });
        for w in chain.windows(2) {
            let mid = &toks[w[0] + 1..w[1]];
            sides.push(evaluate(mid, latex).map(|val| Side { toks: mid, val }));
        }
        let right = &toks[last + 1..r];
        // `= 15% of $300` at the end of a chain: "of $300" usually belongs to the sentence
        let right_ok = !right.is_empty()
            && !right.iter().any(|t| t.tok == Tok::Of)
            && right_edge_ok(toks.get(r), toks.get(r + 1), latex);
        sides.push(if right_ok {
            evaluate(right, latex).map(|val| Side { toks: right, val })
        } else {
            None
        });
        // `\frac 26, \frac 28 = \frac 13, \frac 14`: lists on both sides, not one equality
        let comma = |t: Option<&Token>| matches!(t.map(|t| &t.tok), Some(Tok::Punct(',')));
        if comma(l.checked_sub(1).map(|p| &toks[p])) && comma(toks.get(r)) {
            let n = sides.len();
            sides[0] = None;
            sides[n - 1] = None;
        }

        for (j, pair) in sides.windows(2).enumerate() {
            let (Some(a), Some(b)) = (&pair[0], &pair[1]) else {
                continue;
            };
            // `10 = -10`, `0 = 8`: a written contradiction or a substitution, not a calculation
            if literal(a.toks).is_some() && literal(b.toks).is_some()
                || hyphen_name(a.toks)
                || hyphen_name(b.toks)
            {
                continue;
            }
            let approx = rounded || matches!(toks[chain[j]].tok, Tok::Eq { approx: true });
            let mismatch = compare(a, b, approx);
            if scaled
                && mismatch
                    .as_ref()
                    .is_some_and(|m| power_of_ten_apart(&m.truth, &m.claimed))
            {
                continue;
            }
            let expected = mismatch.map(|m| m.expected);
            let (s, e) = (a.toks[0].start, b.toks[b.toks.len() - 1].end);
            let claim = text
                .get(s..e)
                .unwrap_or("")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if !out.iter().any(|c| c.claim == claim) {
                out.push(Check {
                    claim,
                    holds: expected.is_none(),
                    expected,
                });
            }
        }
    }
    out
}

/// The exact value of a whole text read as one closed arithmetic expression (`\frac{3}{4}`,
/// `-12.50`, `15%`, `2^{10}`), with the decimals it is written with when it is a single literal
/// (`None` for an expression) and whether it is a percentage. `None` when the text is anything
/// else (a word, a variable, an irrational root, a tuple).
pub fn exact_value(text: &str) -> Option<(BigRational, Option<u32>, bool)> {
    if text.len() > MAX_CHECK_BYTES {
        return None;
    }
    let toks: Vec<Token> = normalize(tokenize(text))
        .into_iter()
        .filter(|t| t.tok != Tok::Dollar)
        .collect();
    let v = evaluate(&toks, text.contains('\\'))?;
    let lit = literal(&toks);
    Some((v.q, lit.map(|l| l.0), v.pct || lit.is_some_and(|l| l.1)))
}

/// The quantities a text works with: every number it writes, and every result it states (the
/// arithmetic right after an `=`, evaluated exactly). Used to compare a solution with a reference.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Quantities {
    pub numbers: Vec<BigRational>,
    pub results: Vec<BigRational>,
}

pub fn quantities(text: &str) -> Quantities {
    let mut out = Quantities::default();
    if text.len() > MAX_CHECK_BYTES {
        return out;
    }
    let latex = text.contains('\\');
    let toks = normalize(tokenize(text));
    for (i, t) in toks.iter().enumerate() {
        match &t.tok {
            Tok::Num { value, .. } => out.numbers.push(value.clone()),
            Tok::Eq { .. } => {
                let end = arith_run(&toks, i + 1, false);
                if end > i + 1
                    && let Some(v) = evaluate(&toks[i + 1..end], latex)
                {
                    out.results.push(v.q);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
