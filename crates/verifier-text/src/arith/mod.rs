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

mod eval;
mod lex;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, Zero};
use serde::{Deserialize, Serialize};

pub use eval::{MAX_BITS, format};
use eval::{Val, evaluate};
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

/// Words right before a claim's left side that would change what it computes ("3 times 4 = 12").
const OPERATOR_WORDS: &[&str] = &[
    "times",
    "of",
    "plus",
    "minus",
    "by",
    "over",
    "into",
    "half",
    "twice",
    "thrice",
    "double",
    "triple",
    "quadruple",
    "per",
    "less",
    "more",
    "than",
    "divided",
    "multiplied",
    "product",
    "sum",
    "difference",
    "quotient",
    "x",
    "and",
    "from",
    "add",
    "subtract",
    "multiply",
    "divide",
    "sqrt",
    "root",
    "square",
    "squared",
    "cube",
    "cubed",
    "log",
    "ln",
    "exp",
    "sin",
    "cos",
    "tan",
    "factorial",
    "choose",
    "mod",
    "modulo",
    "remainder",
    "base",
    "a",
    "each",
    "every",
    "dozen",
    "hundred",
    "thousand",
    "million",
    "billion",
    "percent",
    "fraction",
    "quarter",
    "third",
    "thirds",
    "fourth",
    "fourths",
    "fifth",
    "fifths",
    "tenth",
    "tenths",
    "after",
    "before",
    "without",
    "increase",
    "decrease",
    "discount",
    "off",
    "<number>",
];
/// Words right after a claim's right side that would change its value ("= 3 million").
const MULTIPLIER_WORDS: &[&str] = &[
    "times",
    "of",
    "x",
    "dozen",
    "dozens",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "billions",
    "trillion",
    "squared",
    "cubed",
    "percent",
    "factorial",
    "choose",
    "mod",
    "modulo",
    "remainder",
    "base",
    "plus",
    "minus",
    "divided",
    "multiplied",
    "over",
    "per",
    "half",
    "k",
    "m",
    "bn",
    "cents",
    "cent",
    "pennies",
    "percentage",
    "ths",
    "th",
    "st",
    "nd",
    "rd",
    "<number>",
    "full",
    "whole",
    "complete",
];
/// "= about 33": an approximate claim.
const APPROX_WORDS: &[&str] = &[
    "about",
    "approximately",
    "approx",
    "roughly",
    "around",
    "nearly",
    "almost",
    "circa",
];

fn is_arith(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Num { .. }
            | Tok::Op(_)
            | Tok::Of
            | Tok::Open(_)
            | Tok::Close(_)
            | Tok::Frac
            | Tok::Sqrt
            | Tok::Percent
    )
}

fn last_word(w: &str) -> &str {
    w.split_whitespace().last().unwrap_or("")
}

fn first_word(w: &str) -> &str {
    w.split_whitespace().next().unwrap_or("")
}

/// Rewrite words that are operators in context: `3 x 4`, `15% of 80`; drop "about" after `=`.
fn normalize(toks: Vec<Token>) -> Vec<Token> {
    let operand_end = |t: &Tok| matches!(t, Tok::Num { .. } | Tok::Close(_) | Tok::Percent);
    let operand_start =
        |t: &Tok| matches!(t, Tok::Num { .. } | Tok::Open(_) | Tok::Frac | Tok::Sqrt);
    // `$15\%$ of 80`: the closing `$` does not end the expression
    let n = toks.len();
    let keep: Vec<bool> = (0..n)
        .map(|k| {
            !(k > 0
                && k + 1 < n
                && toks[k].tok == Tok::Dollar
                && toks[k - 1].tok == Tok::Percent
                && matches!(&toks[k + 1].tok, Tok::Word(w) if w == "of"))
        })
        .collect();
    let mut toks: Vec<Token> = toks
        .into_iter()
        .zip(keep)
        .filter_map(|(t, k)| k.then_some(t))
        .collect();
    for k in 1..toks.len().saturating_sub(1) {
        let new = match &toks[k].tok {
            Tok::Word(w)
                if w == "x" && operand_end(&toks[k - 1].tok) && operand_start(&toks[k + 1].tok) =>
            {
                Tok::Op('*')
            }
            Tok::Word(w)
                if w == "of"
                    && toks[k - 1].tok == Tok::Percent
                    && operand_start(&toks[k + 1].tok) =>
            {
                Tok::Of
            }
            _ => continue,
        };
        toks[k].tok = new;
    }
    let mut out: Vec<Token> = Vec::with_capacity(toks.len());
    for t in toks {
        if let Tok::Word(w) = &t.tok
            && APPROX_WORDS.contains(&w.as_str())
            && let Some(Token {
                tok: Tok::Eq { approx },
                ..
            }) = out.last_mut()
        {
            *approx = true;
            continue;
        }
        out.push(t);
    }
    out
}

/// Is `pred` (the token before a claim's left side) a clear edge?
fn left_edge_ok(
    pred: Option<&Token>,
    before_pred: Option<&Token>,
    first: &Token,
    lone_literal: bool,
    latex: bool,
) -> bool {
    // `+ 1 = ...` continues an expression from elsewhere
    if first.tok == Tok::Op('+') {
        return false;
    }
    let signed = first.tok == Tok::Op('-');
    let Some(p) = pred else {
        // a LaTeX step may start in the middle of an expression (a line of an `align`)
        return !latex && !signed;
    };
    match &p.tok {
        Tok::Sep => true,
        // `of $80 = ...`: a lone number after `$` may be money continuing a sentence
        Tok::Dollar => !lone_literal,
        Tok::Break => !latex && !signed,
        Tok::Rel => !lone_literal,
        Tok::Word(w) => {
            // `f (2) = 5`, `f \left( \frac13 \right) = 1`: a function applied
            let call =
                matches!(first.tok, Tok::Open(_)) && (latex || last_word(w).chars().count() == 1);
            first.space_before
                && !OPERATOR_WORDS.contains(&last_word(w))
                && !signed
                && !lone_literal
                && !call
        }
        Tok::Punct(c) => {
            first.space_before
                && !lone_literal
                && matches!(c, '.' | ',' | ';' | ':' | '?' | '"' | '\'' | '“' | '‘')
        }
        // an unmatched bracket: fine unless it is a function call `f(`, `f (`, `\sqrt{`
        Tok::Open('(') => match before_pred.map(|b| &b.tok) {
            Some(Tok::Cmd(_) | Tok::Punct(_) | Tok::Op('^')) => false,
            Some(Tok::Word(w)) => !(latex || !p.space_before || w.chars().count() == 1),
            _ => true,
        },
        _ => false,
    }
}

/// Is `succ` (the token after a claim's right side) a clear edge?
fn right_edge_ok(succ: Option<&Token>, after_succ: Option<&Token>, latex: bool) -> bool {
    let Some(s) = succ else { return !latex };
    let next = after_succ.map(|a| &a.tok);
    match &s.tok {
        Tok::Sep | Tok::Rel | Tok::Dollar => true,
        // a line break: fine unless the expression goes on (`= 24 \\ - 4`)
        Tok::Break => match next {
            None => !latex,
            Some(Tok::Op(_)) => false,
            Some(_) => true,
        },
        // "= 1 and 1/3": a mixed number written out
        Tok::Word(w) if first_word(w) == "and" => {
            !matches!(next, Some(Tok::Num { .. } | Tok::Open(_) | Tok::Frac))
        }
        // a one-letter word after a number is a variable or a unit (`\tfrac12 s^3`, `7 r 1`)
        Tok::Word(w) => {
            s.space_before
                && !MULTIPLIER_WORDS.contains(&first_word(w))
                && first_word(w).chars().count() > 1
        }
        Tok::Punct(c) => {
            // `0.abab`, `3:4`, `1,2`: punctuation glued on both sides is not the end of a sentence
            // (`0.\overline{6}` too)
            let glued = !s.space_before
                && after_succ.is_some_and(|a| {
                    !a.space_before
                        && !matches!(a.tok, Tok::Sep | Tok::Dollar | Tok::Break | Tok::Close(_))
                });
            match c {
                '!' => s.space_before,
                '.' | ',' | ';' | ':' | '?' | '"' | '\'' | '”' | '’' => !glued,
                _ => false,
            }
        }
        Tok::Close(')') => true,
        _ => false,
    }
}

/// A side that is just a written number (`58`, `-3`, `0.75`, `25%`, `\boxed{7}`): its decimals
/// and whether it is a percentage.
fn literal(side: &[Token]) -> Option<(u32, bool)> {
    let mut s = side;
    while let [
        Token {
            tok: Tok::Open(_), ..
        },
        inner @ ..,
        Token {
            tok: Tok::Close(_), ..
        },
    ] = s
    {
        s = inner;
    }
    if let [
        Token {
            tok: Tok::Op('-' | '+'),
            ..
        },
        rest @ ..,
    ] = s
    {
        s = rest;
    }
    match s {
        [
            Token {
                tok: Tok::Num { decimals, .. },
                ..
            },
        ] => Some((*decimals, false)),
        [
            Token {
                tok: Tok::Num { decimals, .. },
                ..
            },
            Token {
                tok: Tok::Percent, ..
            },
        ] => Some((*decimals, true)),
        _ => None,
    }
}

fn pow10(k: u32) -> BigRational {
    BigRational::from_integer(num_traits::pow(BigInt::from(10), k as usize))
}

struct Side<'a> {
    toks: &'a [Token],
    val: Val,
}

/// A false claim: the correct value as text, the correct value and the claimed one.
struct Mismatch {
    expected: String,
    truth: BigRational,
    claimed: BigRational,
}

/// Compare two sides; `Some` when the claim is false.
fn compare(a: &Side, b: &Side, approx: bool) -> Option<Mismatch> {
    let la = literal(a.toks);
    let lb = literal(b.toks);
    // the rounding the text shows: a decimal with k places may be off by less than 10^-k
    let mut tol = BigRational::zero();
    for lit in [la, lb] {
        if let Some((k, pct)) = lit
            && (k > 0 || approx)
        {
            let mut unit = pow10(k).recip();
            if pct {
                unit /= BigRational::from_integer(100.into());
            }
            tol = tol.max(unit);
        }
    }
    // a computed side built from rounded decimals (`(2.8284)^2 = 8`) carries their rounding
    for (lit, side) in [(la, a), (lb, b)] {
        if lit.is_none() {
            tol = tol.max(rounding_error(side));
        }
    }
    let within = |x: &BigRational, y: &BigRational| -> bool {
        let d = (x - y).abs();
        if approx {
            let scale = x.abs().max(y.abs()) * BigRational::new(1.into(), 20.into());
            d <= tol.clone().max(scale)
        } else {
            d < tol || d.is_zero()
        }
    };
    let hundred = BigRational::from_integer(100.into());
    let holds = within(&a.val.q, &b.val.q)
        || (a.val.pct != b.val.pct && {
            // `40/50*100 = 80%` and `0.8 = 80%` are both what people mean
            let (p, n) = if a.val.pct {
                (&a.val.q, &b.val.q)
            } else {
                (&b.val.q, &a.val.q)
            };
            within(&(p * &hundred), n)
        });
    if holds {
        return None;
    }
    // The expected value is the computed side's: the other side is the claimed result.
    let (truth, claimed, shown_as) = match (la, lb) {
        (Some(_), None) => (&b.val, &a.val, la),
        _ => (&a.val, &b.val, lb),
    };
    let expected = if shown_as.is_some_and(|(_, pct)| pct) {
        // the claimed result is a percentage: show the truth as one, in the closer reading
        let as_fraction = truth.q.clone();
        let as_number = &truth.q / &hundred;
        let frac = if (&as_fraction - &claimed.q).abs() <= (&as_number - &claimed.q).abs() {
            as_fraction
        } else {
            as_number
        };
        format!("{}%", format(&(frac * &hundred)))
    } else {
        format(&truth.q)
    };
    Some(Mismatch {
        expected,
        truth: truth.q.clone(),
        claimed: claimed.q.clone(),
    })
}

/// How far a computed side may be off because its decimal inputs with two or more places were
/// rounded: twice the sum of their relative half-units, times the value.
fn rounding_error(side: &Side) -> BigRational {
    let mut rel = BigRational::zero();
    for t in side.toks {
        if let Tok::Num { value, decimals } = &t.tok
            && *decimals >= 2
            && !value.is_zero()
        {
            rel += pow10(*decimals).recip() / BigRational::from_integer(2.into()) / value.abs();
        }
    }
    rel * BigRational::from_integer(2.into()) * side.val.q.abs()
}

/// `claimed / truth` is a power of ten (`5 * 3 = $15,000` after "5 thousand dollars").
fn power_of_ten_apart(truth: &BigRational, claimed: &BigRational) -> bool {
    if truth.is_zero() || claimed.is_zero() {
        return false;
    }
    let r = (claimed / truth).abs();
    (1..=12).any(|k| r == pow10(k) || r == pow10(k).recip())
}

/// Words of a step that tests an equality and rejects it ("... = 61. This does not work."):
/// its false claims are the point, not a mistake.
const TESTING: &[&str] = &[
    "not equal",
    "does not",
    "doesn't",
    "is not",
    "isn't",
    "false",
    "\\neq",
    "≠",
    "contradiction",
    "incorrect",
    "invalid",
    "not work",
    "fails",
    "check",
    "verify",
    "try ",
    "trying",
    "test",
    "substitut",
    "plug",
    "suppose",
    "assume",
    "remain",
    "leftover",
];

/// Steps about modular arithmetic or number bases: their `=` is not equality of numbers.
fn skip_step(toks: &[Token]) -> bool {
    toks.iter().any(|t| match &t.tok {
        Tok::Word(w) => {
            matches!(
                last_word(w),
                "mod" | "modulo" | "base" | "remainder" | "digit" | "digits" | "parity"
            ) || first_word(w) == "mod"
        }
        Tok::Cmd(c) => matches!(
            c.as_str(),
            "pmod" | "bmod" | "mod" | "equiv" | "pmatrix" | "bmatrix"
        ),
        _ => false,
    })
}

/// Where the run of arithmetic tokens that starts at `at` ends, walking left of `at` (`backward`)
/// or right from it, stopping at a bracket that the run does not close (`(so 3+4 = 7)`).
fn arith_run(toks: &[Token], at: usize, backward: bool) -> usize {
    let mut i = at;
    let mut depth = 0i32;
    loop {
        let j = if backward {
            i.checked_sub(1)
        } else {
            (i < toks.len()).then_some(i)
        };
        let Some(j) = j.filter(|&j| is_arith(&toks[j].tok)) else {
            break;
        };
        let (opens, closes) = (
            matches!(toks[j].tok, Tok::Open(_)),
            matches!(toks[j].tok, Tok::Close(_)),
        );
        let (deeper, shallower) = if backward {
            (closes, opens)
        } else {
            (opens, closes)
        };
        if shallower {
            if depth == 0 {
                break;
            }
            depth -= 1;
        }
        depth += i32::from(deeper);
        i = if backward { j } else { j + 1 };
    }
    i
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
