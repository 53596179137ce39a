//! Answers made comparable: LaTeX spacing and delimiters, `\text{}`, units and currency, thousands
//! separators, matrices, variables on the left of an `=`.

use super::extract_boxed;

const UNIT_WORDS: &[&str] = &[
    "degrees",
    "degree",
    "cm",
    "centimeters",
    "meters",
    "meter",
    "inches",
    "inch",
    "feet",
    "foot",
    "units",
    "unit",
    "square",
    "sq",
    "hours",
    "hour",
    "minutes",
    "minute",
    "seconds",
    "second",
    "dollars",
    "dollar",
    "cents",
    "cent",
    "miles",
    "mile",
    "km",
    "mph",
    "pounds",
    "ounces",
    "years",
    "days",
    "students",
    "people",
];

/// Normalise a final answer for string comparison (PRM800K/MATH conventions).
pub fn normalize_answer(answer: &str) -> String {
    let mut s = answer.trim().replace("\\text {", "\\text{");
    // math delimiters around the whole answer
    for (from, to) in [("\\(", ""), ("\\)", ""), ("\\[", ""), ("\\]", "")] {
        s = s.replace(from, to);
    }
    // matrices and vectors -> nested tuples: rows of entries
    for env in ["pmatrix", "bmatrix"] {
        let (b, e) = (format!("\\begin{{{env}}}"), format!("\\end{{{env}}}"));
        if let (Some(i), Some(j)) = (s.find(&b), s.rfind(&e))
            && i + b.len() <= j
        {
            let rows: Vec<String> = s[i + b.len()..j]
                .split("\\\\")
                .map(|r| format!("({})", r.replace('&', ",")))
                .collect();
            s = format!("{}({}){}", &s[..i], rows.join(","), &s[j + e.len()..]);
        }
    }
    // unwrap \text{...} and \mbox{...}
    for cmd in ["\\text", "\\textbf", "\\mbox", "\\mathrm"] {
        while let Some(i) = s.find(&format!("{cmd}{{")) {
            let open = i + cmd.len();
            let Some(close) = matching_brace(&s, open) else {
                break;
            };
            let inner = s[open + 1..close].to_string();
            s.replace_range(i..=close, &inner);
        }
    }
    for (from, to) in [
        ("\\left", ""),
        ("\\right", ""),
        ("\\!", ""),
        ("\\,", ""),
        ("\\;", ""),
        ("\\:", ""),
        ("\\ ", ""),
        ("\\dfrac", "\\frac"),
        ("\\tfrac", "\\frac"),
        ("^{\\circ}", ""),
        ("^\\circ", ""),
        ("\\circ", ""),
        ("°", ""),
        ("\\$", ""),
        ("$", ""),
        ("\\%", ""),
        ("%", ""),
        ("\\displaystyle", ""),
    ] {
        s = s.replace(from, to);
    }
    // unit words at the end: "5 inches", "12 \text{ cm}"
    loop {
        let t = s.trim_end().trim_end_matches(['.', ' ']).to_string();
        let lower = t.to_ascii_lowercase();
        let cut = UNIT_WORDS.iter().find_map(|u| {
            lower
                .strip_suffix(u)
                .filter(|rest| {
                    rest.ends_with([' ', '}', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
                        || rest.is_empty()
                })
                .map(|rest| rest.len())
        });
        match cut {
            Some(n) if n > 0 => s = t[..n].to_string(),
            _ => {
                s = t;
                break;
            }
        }
    }
    // "x = 5" -> "5", "(b, c) = (6, 5)" -> "(6, 5)" (variables on the left)
    if let Some((lhs, rhs)) = s.split_once('=') {
        let l = lhs.trim();
        let single = l.len() <= 2 && l.chars().all(|c| c.is_ascii_alphabetic());
        let tuple = l.len() <= 16
            && l.starts_with('(')
            && l.ends_with(')')
            && l[1..l.len() - 1]
                .split(',')
                .all(|v| v.trim().len() == 1 && v.trim().chars().all(|c| c.is_ascii_alphabetic()));
        if single || tuple {
            s = rhs.to_string();
        }
    }
    let mut s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    // \frac12 -> \frac{1}{2}; a/b stays as is and compares numerically below
    if let Some(rest) = s.strip_prefix("\\frac") {
        if rest.len() == 2 && rest.chars().all(|c| c.is_ascii_digit()) {
            s = format!("\\frac{{{}}}{{{}}}", &rest[..1], &rest[1..]);
        }
    }
    s = s.replace("\\{", "{").replace("\\}", "}");
    // 1,000 -> 1000 when it is a plain number with thousands groups (`1,3` is a list)
    if s.chars()
        .all(|c| c.is_ascii_digit() || c == ',' || c == '.' || c == '-')
        && thousands_groups(&s)
    {
        s = s.replace(',', "");
    }
    // 0.50 -> 0.5, 5.0 -> 5 (a single number only: `1.5-10` is an expression)
    if s.contains('.')
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && s.parse::<f64>().is_ok()
    {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
        if s.starts_with('.') {
            s.insert(0, '0');
        }
    }
    s.trim_end_matches('.').to_string()
}

/// `1,234,567.5`: every comma-separated group after the first has three digits.
fn thousands_groups(s: &str) -> bool {
    let int = s.split('.').next().unwrap_or("");
    let mut groups = int.trim_start_matches('-').split(',');
    let first = groups.next().unwrap_or("");
    !first.is_empty() && first.len() <= 3 && groups.all(|g| g.len() == 3) || !s.contains(',')
}

pub(super) fn matching_brace(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// A number followed by words only ("12 apples", "7 more days") -> the number and the words.
fn leading_number(s: &str) -> Option<(&str, &str)> {
    let t = s.trim();
    let end = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '$')))
        .map_or(t.len(), |(i, _)| i);
    let (num, rest) = t.split_at(end);
    (num.chars().any(|c| c.is_ascii_digit())
        && !rest.trim().is_empty()
        && rest
            .chars()
            .all(|c| c.is_alphabetic() || c.is_whitespace() || matches!(c, '.' | '\'')))
    .then_some((num, rest.trim()))
}

/// An answer made ready to compare: the boxed content if boxed, a leading number if only words
/// follow it, normalised, with whether it was written as a percentage.
pub(super) fn prepare(answer: &str) -> Prepared {
    let boxed = extract_boxed(answer);
    let s = boxed
        .as_deref()
        .unwrap_or(answer)
        .replace('−', "-")
        .replace("{,}", ",");
    let pct = s.contains('%') || s.to_lowercase().contains("percent");
    // LaTeX spacing and text commands out of the way, so that a unit reads as one ("12\,\text{cm}")
    let mut s = s.replace("percent", "");
    for (from, to) in [
        ("\\text {", "\\text{"),
        ("\\textbf{", "\\text{"),
        ("\\mathrm{", "\\text{"),
        ("\\mbox{", "\\text{"),
        ("\\,", " "),
        ("\\;", " "),
        ("\\:", " "),
        ("\\!", ""),
    ] {
        s = s.replace(from, to);
    }
    let s = unwrap_text(&s);
    // "2 1/2" may be a mixed number or a thousands group: not compared
    if digits_across_space(&s) {
        return Prepared {
            text: String::new(),
            pct,
            unit: String::new(),
        };
    }
    let (s, unit) = match leading_number(&s) {
        Some((num, unit)) => (num.to_string(), unit.to_lowercase()),
        None => (s.clone(), String::new()),
    };
    Prepared {
        text: strip_outer_parens(normalize_answer(&s)),
        pct,
        unit: unit.trim_end_matches(['s', '.']).to_string(),
    }
}

/// A digit, spaces, a digit: `2 1/2`, `1 234`.
fn digits_across_space(s: &str) -> bool {
    let b = s.as_bytes();
    (1..b.len()).any(|i| {
        b[i].is_ascii_whitespace() && b[i - 1].is_ascii_digit() && {
            let rest = s[i..].trim_start();
            rest.starts_with(|c: char| c.is_ascii_digit())
        }
    })
}

/// `\text{ children }` -> ` children ` (so that words after a number read as its unit).
fn unwrap_text(s: &str) -> String {
    let mut s = s.to_string();
    while let Some(i) = s.find("\\text{") {
        let open = i + "\\text".len();
        let Some(close) = matching_brace(&s, open) else {
            break;
        };
        let inner = s[open + 1..close].to_string();
        s.replace_range(i..=close, &inner);
    }
    s
}

/// `(4x-7)` -> `4x-7`, `(C)` -> `C`: one pair of brackets around everything, with no comma at the
/// top level inside (a tuple keeps its brackets).
fn strip_outer_parens(s: String) -> String {
    if s.len() >= 2 && s.starts_with('(') && s.ends_with(')') {
        let inner = &s[1..s.len() - 1];
        if balanced(inner) && top_level_items(inner).len() == 1 {
            return inner.to_string();
        }
    }
    s
}

/// Brackets that never close more than they opened and end closed: `(1)(2)` is not one group.
pub(super) fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Split at commas outside brackets.
pub(super) fn top_level_items(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// An answer ready to compare.
pub(super) struct Prepared {
    pub(super) text: String,
    pub(super) pct: bool,
    /// The words after a leading number ("apples" of "12 apples"), singular, lower case.
    pub(super) unit: String,
}
