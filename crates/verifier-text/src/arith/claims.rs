//! Finding claims in a step's tokens: words that make `x` or "of" an operator, words that change
//! what a side computes, and where a claim's sides begin and end (clear edges only).

use super::lex::{Tok, Token};

/// Words right before a claim's left side that would change what it computes ("3 times 4 = 12").
pub(super) const OPERATOR_WORDS: &[&str] = &[
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
pub(super) const MULTIPLIER_WORDS: &[&str] = &[
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
pub(super) const APPROX_WORDS: &[&str] = &[
    "about",
    "approximately",
    "approx",
    "roughly",
    "around",
    "nearly",
    "almost",
    "circa",
];

pub(super) fn is_arith(t: &Tok) -> bool {
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

pub(super) fn last_word(w: &str) -> &str {
    w.split_whitespace().last().unwrap_or("")
}

pub(super) fn first_word(w: &str) -> &str {
    w.split_whitespace().next().unwrap_or("")
}

/// Rewrite words that are operators in context: `3 x 4`, `15% of 80`; drop "about" after `=`.
pub(super) fn normalize(toks: Vec<Token>) -> Vec<Token> {
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
pub(super) fn left_edge_ok(
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
pub(super) fn right_edge_ok(succ: Option<&Token>, after_succ: Option<&Token>, latex: bool) -> bool {
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

/// Words of a step that tests an equality and rejects it ("... = 61. This does not work."):
/// its false claims are the point, not a mistake.
pub(super) const TESTING: &[&str] = &[
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
pub(super) fn skip_step(toks: &[Token]) -> bool {
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
pub(super) fn arith_run(toks: &[Token], at: usize, backward: bool) -> usize {
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
