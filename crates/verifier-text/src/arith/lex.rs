//! Tokens of a step's text for the arithmetic checker: numbers, operators, brackets, LaTeX
//! commands it understands, and everything else as words or punctuation (which end a claim).

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};

/// Literals longer than this many digits are not evaluated (bounded work).
pub const MAX_DIGITS: usize = 300;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A number literal; `decimals` = digits written after the decimal point.
    Num {
        value: BigRational,
        decimals: u32,
    },
    /// `+ - * / ^`
    Op(char),
    /// "of" after a percentage: `15% of 80`.
    Of,
    /// `( [ {`, with the closing char kept as `Close`.
    Open(char),
    Close(char),
    Frac,
    Sqrt,
    Percent,
    /// `=` (or `≈`/`\approx` with `approx`).
    Eq {
        approx: bool,
    },
    /// A word of prose (lower-cased), or the contents of `\text{...}`.
    Word(String),
    /// A LaTeX command the checker does not evaluate (`\pi`, `\sin`, ...).
    Cmd(String),
    /// A relation that is not an equality (`<`, `\le`, `\neq`, `\implies`, ...): ends a claim.
    Rel,
    /// A strong separator: `<<`, `>>`, `\[`, `\]`, `\begin{..}`, `\end{..}`.
    Sep,
    /// `$` in a LaTeX step: the edge of inline math.
    Dollar,
    /// A line break (`\\` or a newline): an expression may go on after it.
    Break,
    /// Any other character.
    Punct(char),
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    /// Byte span in the step text.
    pub start: usize,
    pub end: usize,
    /// Whitespace (or an ignored spacing command) came right before this token.
    pub space_before: bool,
}

/// Commands that are spacing or sizing only.
const TRANSPARENT: &[&str] = &[
    ",",
    "!",
    ";",
    ":",
    " ",
    "quad",
    "qquad",
    "left",
    "right",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "displaystyle",
    "textstyle",
    "boxed",
    "mathrm",
];
const TEXT_COMMANDS: &[&str] = &[
    "text",
    "mbox",
    "textbf",
    "textit",
    "textrm",
    "textnormal",
    "emph",
    "hbox",
];
const RELATIONS: &[&str] = &[
    "le",
    "leq",
    "ge",
    "geq",
    "lt",
    "gt",
    "ne",
    "neq",
    "implies",
    "Rightarrow",
    "rightarrow",
    "to",
    "Longrightarrow",
    "iff",
    "therefore",
    "because",
    "equiv",
    "sim",
    "cong",
    "pm",
    "mp",
    "in",
    "subset",
];

pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    let mut space = true;
    let latex = text.contains('\\');
    let push = |out: &mut Vec<Token>, tok: Tok, start: usize, end: usize, space: &mut bool| {
        out.push(Token {
            tok,
            start,
            end,
            space_before: *space,
        });
        *space = false;
    };
    while i < b.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let clen = c.len_utf8();
        let start = i;
        if c == '\n' {
            push(&mut out, Tok::Break, start, i + 1, &mut space);
            space = true;
            i += 1;
            continue;
        }
        if c == '$' && latex {
            push(&mut out, Tok::Dollar, start, i + 1, &mut space);
            space = true;
            i += 1;
            continue;
        }
        if c.is_whitespace() || c == '$' || c == '&' {
            space = true;
            i += clen;
            continue;
        }
        if c.is_ascii_digit()
            || (c == '.'
                && b.get(i + 1).is_some_and(u8::is_ascii_digit)
                && !b.get(i.wrapping_sub(1)).is_some_and(u8::is_ascii_digit))
        {
            let (tok, end) = number(text, i);
            push(&mut out, tok, start, end, &mut space);
            i = end;
            continue;
        }
        if c.is_alphabetic() {
            let mut end = i;
            for ch in text[i..].chars() {
                if ch.is_alphabetic() {
                    end += ch.len_utf8();
                } else {
                    break;
                }
            }
            push(
                &mut out,
                Tok::Word(text[i..end].to_lowercase()),
                start,
                end,
                &mut space,
            );
            i = end;
            continue;
        }
        if c == '\\' {
            // `\\` line break, `\name` command, or `\x` single-symbol command.
            let rest = &text[i + 1..];
            let name_len = rest
                .chars()
                .take_while(|ch| ch.is_ascii_alphabetic())
                .map(char::len_utf8)
                .sum::<usize>();
            let (name, end) = if name_len > 0 {
                (&rest[..name_len], i + 1 + name_len)
            } else {
                let l = rest.chars().next().map_or(0, char::len_utf8);
                (&rest[..l], i + 1 + l)
            };
            i = end;
            match name {
                "\\" => push(&mut out, Tok::Break, start, end, &mut space),
                "[" | "]" | "(" | ")" => push(&mut out, Tok::Sep, start, end, &mut space),
                "$" => space = true,
                "%" => push(&mut out, Tok::Percent, start, end, &mut space),
                "times" | "cdot" => push(&mut out, Tok::Op('*'), start, end, &mut space),
                "div" => push(&mut out, Tok::Op('/'), start, end, &mut space),
                "frac" | "dfrac" | "tfrac" => push(&mut out, Tok::Frac, start, end, &mut space),
                "sqrt" => push(&mut out, Tok::Sqrt, start, end, &mut space),
                "approx" | "simeq" | "doteq" => {
                    push(&mut out, Tok::Eq { approx: true }, start, end, &mut space)
                }
                "{" => push(&mut out, Tok::Punct('{'), start, end, &mut space),
                "}" => push(&mut out, Tok::Punct('}'), start, end, &mut space),
                "begin" | "end" => {
                    // skip the environment name
                    if text[i..].starts_with('{')
                        && let Some(close) = text[i..].find('}')
                    {
                        i += close + 1;
                    }
                    push(&mut out, Tok::Sep, start, i, &mut space);
                    space = true;
                }
                n if TEXT_COMMANDS.contains(&n) => {
                    // the argument is prose: one word token, with space semantics on both sides
                    let (content, after) = brace_group(text, i);
                    i = after;
                    space = true;
                    push(
                        &mut out,
                        Tok::Word(content.trim().to_lowercase()),
                        start,
                        after,
                        &mut space,
                    );
                    space = true;
                }
                n if TRANSPARENT.contains(&n) => {
                    if matches!(n, "," | "!" | ";" | ":" | " " | "quad" | "qquad") {
                        space = true;
                    }
                    if n == "mathrm" && text[i..].starts_with('{') {
                        // \mathrm{cm}: a unit word
                        let (content, after) = brace_group(text, i);
                        i = after;
                        space = true;
                        push(
                            &mut out,
                            Tok::Word(content.trim().to_lowercase()),
                            start,
                            after,
                            &mut space,
                        );
                        space = true;
                    }
                }
                n if RELATIONS.contains(&n) => push(&mut out, Tok::Rel, start, end, &mut space),
                n => push(&mut out, Tok::Cmd(n.to_string()), start, end, &mut space),
            }
            continue;
        }
        let next = text[i + clen..].chars().next();
        let (tok, len) = match c {
            '+' => (Tok::Op('+'), 1),
            '-' | '−' => (Tok::Op('-'), clen),
            '*' if next == Some('*') => (Tok::Op('^'), 2),
            // in LaTeX, `*` is a custom operation (`a * b = a^2 + b`), not a product
            '*' if latex => (Tok::Cmd("*".into()), 1),
            '*' | '×' | '·' | '⋅' | '∙' => (Tok::Op('*'), clen),
            '/' | '÷' => (Tok::Op('/'), clen),
            '^' => (Tok::Op('^'), 1),
            '√' => (Tok::Sqrt, clen),
            '%' => (Tok::Percent, 1),
            '≈' => (Tok::Eq { approx: true }, clen),
            '=' if next == Some('>') => (Tok::Rel, 2),
            '=' if next == Some('=') => (Tok::Eq { approx: false }, 2),
            '=' => (Tok::Eq { approx: false }, 1),
            '<' | '>' if next == Some(c) => (Tok::Sep, 2),
            '<' | '>' if next == Some('=') => (Tok::Rel, 2),
            '!' if next == Some('=') => (Tok::Rel, 2),
            '<' | '>' | '≤' | '≥' | '≠' | '⇒' | '→' | '∴' | '±' => (Tok::Rel, clen),
            '~' => {
                // `= ~33` reads "about 33"; elsewhere a LaTeX non-breaking space
                if matches!(
                    out.last(),
                    Some(Token {
                        tok: Tok::Eq { .. },
                        ..
                    })
                ) {
                    if let Some(Token {
                        tok: Tok::Eq { approx },
                        ..
                    }) = out.last_mut()
                    {
                        *approx = true;
                    }
                }
                space = true;
                i += 1;
                continue;
            }
            '²' => {
                push(&mut out, Tok::Op('^'), start, start, &mut space);
                (
                    Tok::Num {
                        value: BigRational::from_integer(2.into()),
                        decimals: 0,
                    },
                    clen,
                )
            }
            '³' => {
                push(&mut out, Tok::Op('^'), start, start, &mut space);
                (
                    Tok::Num {
                        value: BigRational::from_integer(3.into()),
                        decimals: 0,
                    },
                    clen,
                )
            }
            // in LaTeX, `[x]` may be the floor; only `\sqrt[3]` keeps its bracket
            '[' if latex && !matches!(out.last(), Some(Token { tok: Tok::Sqrt, .. })) => {
                (Tok::Punct('['), 1)
            }
            ']' if latex
                && !matches!(
                    out.iter().rev().nth(1),
                    Some(Token {
                        tok: Tok::Open('['),
                        ..
                    })
                ) =>
            {
                (Tok::Punct(']'), 1)
            }
            '(' | '[' => (Tok::Open(c), 1),
            ')' | ']' => (Tok::Close(c), 1),
            '{' => (Tok::Open('{'), 1),
            '}' => (Tok::Close('}'), 1),
            _ => (Tok::Punct(c), clen),
        };
        push(&mut out, tok, start, start + len, &mut space);
        i = start + len;
    }
    out
}

/// The text inside the brace group starting at `i` (which must be `{`), and the index after it.
fn brace_group(text: &str, i: usize) -> (&str, usize) {
    if !text[i..].starts_with('{') {
        return ("", i);
    }
    let mut depth = 0;
    for (k, ch) in text[i..].char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return (&text[i + 1..i + k], i + k + 1);
                }
            }
            _ => {}
        }
    }
    (&text[i + 1..], text.len())
}

/// Read a number literal at `i`: digits, thousands groups (`1,250`, `1{,}250`), decimals.
fn number(text: &str, i: usize) -> (Tok, usize) {
    let b = text.as_bytes();
    let mut digits = String::new();
    let mut j = i;
    let run = |j: &mut usize, digits: &mut String| {
        let s = *j;
        while *j < b.len() && b[*j].is_ascii_digit() {
            digits.push(b[*j] as char);
            *j += 1;
        }
        *j - s
    };
    let first = run(&mut j, &mut digits);
    if first > 0 && first <= 3 {
        // thousands groups: exactly three digits after each separator
        loop {
            let sep = if text[j..].starts_with(",\\!") || text[j..].starts_with("{,}") {
                3
            } else if text[j..].starts_with(",") && !text[j..].starts_with(", ") {
                1
            } else {
                0
            };
            if sep == 0 {
                break;
            }
            let after = j + sep;
            let n = b[after..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n != 3 {
                break;
            }
            digits.push_str(&text[after..after + 3]);
            j = after + 3;
        }
    }
    let mut decimals = 0u32;
    if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
        j += 1;
        decimals = run(&mut j, &mut digits) as u32;
    }
    // `0900`, `007`: a clock time or a code, not a quantity
    let leading_zero = first > 1 && b[i] == b'0';
    if digits.len() > MAX_DIGITS || leading_zero {
        // too long to evaluate: a word, so nothing around it is checked
        return (Tok::Word("<number>".into()), j);
    }
    let n: BigInt = digits.parse().unwrap_or_else(|_| BigInt::zero());
    let den = num_traits::pow(BigInt::from(10u8), decimals as usize);
    let value = if den.is_one() {
        BigRational::from_integer(n)
    } else {
        BigRational::new(n, den)
    };
    (Tok::Num { value, decimals }, j)
}
