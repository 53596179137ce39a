//! Final answers: extraction from a solution (`\boxed{}`, "The answer is", `####`, the last
//! quantity of the last step) and equivalence with a known answer, exactly where it can be decided
//! (integers, decimals, fractions, `\frac`, percentages, thousands separators, units and currency,
//! LaTeX spacing, simple expressions with roots and π, tuples and lists). Equivalence has three
//! outcomes: a wrong "matches" would hide a wrong solution, so whatever cannot be decided is
//! `None` ("undecided"), never a guess.

/// The content of the last `\boxed{...}` (or `\fbox{...}`) in `text`, braces balanced.
pub fn extract_boxed(text: &str) -> Option<String> {
    let start = ["\\boxed", "\\fbox"]
        .iter()
        .filter_map(|m| text.rfind(m).map(|i| i + m.len()))
        .max()?;
    let rest = &text[start..];
    let rest_trim = rest.trim_start();
    if let Some(body) = rest_trim.strip_prefix('{') {
        let mut depth = 1usize;
        for (i, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(body[..i].to_string());
                    }
                }
                _ => {}
            }
        }
        None
    } else {
        // `\boxed 5` form
        let word: String = rest_trim
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '$')
            .collect();
        (!word.is_empty()).then_some(word)
    }
}

/// The GSM8K reference answer after `#### `.
pub fn gsm8k_reference_answer(answer: &str) -> Option<String> {
    answer
        .rsplit_once("####")
        .map(|(_, a)| a.trim().replace(',', ""))
}

/// The final answer a model solution states: `\boxed{}`, `#### n`, `A: n`, `The answer is n`,
/// else the last number in the text.
pub fn extract_final_answer(solution: &str) -> Option<String> {
    if let Some(b) = extract_boxed(solution) {
        return Some(b);
    }
    if let Some(a) = gsm8k_reference_answer(solution) {
        return Some(a);
    }
    for line in solution.lines().rev() {
        let l = line.trim();
        if let Some(a) = l.strip_prefix("A:") {
            return Some(a.trim().to_string());
        }
        let lower = l.to_ascii_lowercase();
        if let Some(i) = lower.rfind("the answer is") {
            let a = l[i + "the answer is".len()..]
                .trim()
                .trim_end_matches('.')
                .trim();
            if !a.is_empty() {
                return Some(a.to_string());
            }
        }
    }
    last_number(solution)
}

/// The last number (digits, optional sign, decimal point, thousands commas) in `text`.
pub fn last_number(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut end = None;
    let mut i = bytes.len();
    while i > 0 {
        i -= 1;
        if bytes[i].is_ascii_digit() {
            end = Some(i + 1);
            break;
        }
    }
    let end = end?;
    let mut start = end;
    while start > 0 {
        let c = bytes[start - 1];
        if c.is_ascii_digit() || c == b'.' || c == b',' {
            start -= 1;
        } else {
            break;
        }
    }
    if start > 0 && bytes[start - 1] == b'-' {
        start -= 1;
    }
    let s = text[start..end]
        .trim_start_matches([',', '.'])
        .replace(',', "");
    (!s.is_empty()).then_some(s)
}

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
    // 0.50 -> 0.5, 5.0 -> 5
    if s.contains('.')
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
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

fn matching_brace(s: &str, open: usize) -> Option<usize> {
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

/// Answers longer than this many bytes are not compared (bounded work on pasted text).
pub const MAX_ANSWER_BYTES: usize = 200;

/// A final answer found in a solution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub text: String,
    /// Stated explicitly (`\boxed{}`, `####`, "the answer is …"), or the last number of a last
    /// step in plain text ("So 35 students like games."); not the last number of a step with
    /// LaTeX in it, which is as likely a piece of an expression (`-\frac{2\sqrt3}{3}` ends in 3).
    pub reliable: bool,
}

/// The final answer a solution (given as steps) states. An explicit statement anywhere (the last
/// `\boxed{}`, `#### n`, "the answer is …", `A: …`) wins; when the solution is `complete`, the last
/// quantity of the last step is the answer otherwise (see [`Found::reliable`]). While a solution streams
/// in (`complete` is false) only explicit statements count.
pub fn final_answer<S: AsRef<str>>(steps: &[S], complete: bool) -> Option<Found> {
    for step in steps.iter().rev() {
        let step = step.as_ref();
        let explicit = extract_boxed(step)
            .or_else(|| gsm8k_reference_answer(step).filter(|a| !a.is_empty()))
            .or_else(|| stated_answer(step));
        if let Some(text) = explicit {
            return Some(Found {
                text,
                reliable: true,
            });
        }
    }
    if complete {
        let last = steps.last()?.as_ref();
        let latex = last.contains('\\') || last.matches('$').count() >= 2;
        return last_number(last).map(|text| Found {
            text,
            reliable: !latex,
        });
    }
    None
}

/// A solution's final answer against `expected`: what was found, and whether it matches. A found
/// answer that is not [`Found::reliable`] may be any quantity, so it can say "matches" but never
/// "does not match" (that would flag a right solution): it is undecided then.
pub fn judge<S: AsRef<str>>(
    steps: &[S],
    expected: &str,
    complete: bool,
) -> (Option<String>, Option<bool>) {
    let Some(found) = final_answer(steps, complete) else {
        return (None, None);
    };
    let matches = compare(&found.text, expected).filter(|&m| m || found.reliable);
    (Some(found.text), matches)
}

/// "The (final) answer is …", "Answer: …", "A: …" in one step, up to the end of its sentence (or
/// a closing "I hope it is correct").
fn stated_answer(step: &str) -> Option<String> {
    let lower = step.to_lowercase();
    let after = ["the answer is", "final answer is", "answer is", "answer:"]
        .iter()
        .filter_map(|m| lower.rfind(m).map(|i| i + m.len()))
        .max()
        .or_else(|| {
            step.lines()
                .rev()
                .find_map(|l| l.trim().strip_prefix("A:"))
                .and_then(|rest| step.rfind(rest))
        })?;
    // the markers are ASCII, so byte offsets in `lower` and `step` agree up to them (else `get`
    // gives nothing)
    let mut a = step.get(after..)?.trim().trim_start_matches(':').trim();
    for end in ["I hope", "\n\n"] {
        if let Some(i) = a.find(end) {
            a = &a[..i];
        }
    }
    // the end of the sentence: a period followed by a space (not a decimal point)
    if let Some(i) = a.find(". ") {
        a = &a[..i];
    }
    let a = a.trim().trim_end_matches(['.', '!']).trim();
    (!a.is_empty()).then(|| a.to_string())
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
fn prepare(answer: &str) -> Prepared {
    let boxed = extract_boxed(answer);
    let s = boxed
        .as_deref()
        .unwrap_or(answer)
        .replace('−', "-")
        .replace("{,}", ",");
    let pct = s.contains('%') || s.to_lowercase().contains("percent");
    let s = unwrap_text(&s.replace("percent", "").replace("\\text {", "\\text{"));
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
        let mut depth = 0i32;
        let mut ok = true;
        for c in inner.chars() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth < 0 {
                        ok = false;
                        break;
                    }
                }
                ',' if depth == 0 => {
                    ok = false;
                    break;
                }
                _ => {}
            }
        }
        if ok && depth == 0 {
            return inner.to_string();
        }
    }
    s
}

/// An answer ready to compare.
struct Prepared {
    text: String,
    pct: bool,
    /// The words after a leading number ("apples" of "12 apples"), singular, lower case.
    unit: String,
}

/// A value an answer stands for.
#[derive(Clone, Debug)]
enum Value {
    /// Exact, with the decimals it is written with when it is a single literal.
    Exact(num_rational::BigRational, Option<u32>),
    /// A closed expression with roots or π, evaluated in floating point.
    Approx(f64),
}

fn value(s: &str) -> Option<Value> {
    if let Some((q, decimals, _)) = crate::arith::exact_value(s) {
        return Some(Value::Exact(q, decimals));
    }
    FloatParser::eval(s).map(Value::Approx)
}

fn to_f64(q: &num_rational::BigRational) -> f64 {
    use num_traits::ToPrimitive;
    q.to_f64().unwrap_or(f64::NAN)
}

/// Whether two numeric answers are equal: `Some(true)` equal, `Some(false)` different, `None` when
/// one may be the other rounded or a percentage written as a plain number.
fn same_value(a: &Value, b: &Value, pct_a: bool, pct_b: bool) -> Option<bool> {
    use num_rational::BigRational;
    use num_traits::Signed;
    let hundred = BigRational::from_integer(100.into());
    // the decimals a side is written with, as the rounding it allows
    let rounding = |v: &Value| match v {
        Value::Exact(_, Some(k)) => Some(0.5 * 10f64.powi(-(*k as i32))),
        _ => None,
    };
    let (x, y) = (
        match a {
            Value::Exact(q, _) => to_f64(q),
            Value::Approx(f) => *f,
        },
        match b {
            Value::Exact(q, _) => to_f64(q),
            Value::Approx(f) => *f,
        },
    );
    if let (Value::Exact(p, _), Value::Exact(q, _)) = (a, b) {
        if p == q {
            return Some(true);
        }
        // "25%" for 0.25 (or the percentage's number for a percentage)
        if (pct_a && !pct_b && &(p / &hundred) == q) || (pct_b && !pct_a && &(q / &hundred) == p) {
            return Some(true);
        }
        if p == &(q * &hundred) || q == &(p * &hundred) {
            return None;
        }
        let diff = to_f64(&(p - q).abs());
        if [rounding(a), rounding(b)]
            .into_iter()
            .flatten()
            .any(|r| diff <= r * (1.0 + 1e-9))
        {
            return None;
        }
        return Some(false);
    }
    if !(x.is_finite() && y.is_finite()) {
        return None;
    }
    let diff = (x - y).abs();
    if diff <= 1e-9 * x.abs().max(y.abs()).max(1.0) {
        return Some(true);
    }
    if [rounding(a), rounding(b)]
        .into_iter()
        .flatten()
        .any(|r| diff <= r * (1.0 + 1e-9))
        || (x - 100.0 * y).abs() <= 1e-9 * x.abs().max(1.0)
        || (y - 100.0 * x).abs() <= 1e-9 * y.abs().max(1.0)
    {
        return None;
    }
    Some(false)
}

/// Split at commas outside brackets.
fn top_level_items(s: &str) -> Vec<&str> {
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

/// A bracketed tuple or interval: `(open, items, close)`.
fn tuple(s: &str) -> Option<(char, Vec<&str>, char)> {
    let open = s.chars().next().filter(|c| matches!(c, '(' | '['))?;
    let close = s.chars().last().filter(|c| matches!(c, ')' | ']'))?;
    let inner = &s[1..s.len() - 1];
    // the brackets must enclose the whole answer: `(1)(2)` is not a tuple
    let mut depth = 0i32;
    for c in inner.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            _ => {}
        }
    }
    let items = top_level_items(inner);
    (depth == 0 && items.len() >= 2).then_some((open, items, close))
}

fn compare_normalized(a: &str, b: &str, pct_a: bool, pct_b: bool, depth: usize) -> Option<bool> {
    if a.is_empty() || b.is_empty() || depth > 4 {
        return None;
    }
    if a == b {
        return Some(true);
    }
    match (tuple(a), tuple(b)) {
        (Some((oa, ia, ca)), Some((ob, ib, cb))) => {
            if (oa, ca) != (ob, cb) {
                return None;
            }
            if ia.len() != ib.len() {
                return Some(false);
            }
            let mut all = Some(true);
            for (x, y) in ia.iter().zip(&ib) {
                match compare_normalized(x, y, false, false, depth + 1) {
                    Some(false) => return Some(false),
                    None => all = None,
                    Some(true) => {}
                }
            }
            return all;
        }
        (None, None) => {}
        _ => return None,
    }
    let (la, lb) = (top_level_items(a), top_level_items(b));
    if la.len() > 1 || lb.len() > 1 {
        // a list of solutions: the same values in any order
        if la.len() != lb.len() {
            return None;
        }
        let mut used = vec![false; lb.len()];
        let mut decided = true;
        for x in &la {
            let mut found = false;
            for (j, y) in lb.iter().enumerate() {
                if used[j] {
                    continue;
                }
                match compare_normalized(x, y, false, false, depth + 1) {
                    Some(true) => {
                        used[j] = true;
                        found = true;
                        break;
                    }
                    None => decided = false,
                    Some(false) => {}
                }
            }
            if !found {
                return if decided { Some(false) } else { None };
            }
        }
        return Some(true);
    }
    same_value(&value(a)?, &value(b)?, pct_a, pct_b)
}

/// Whether the final answer `found` is the answer `expected`: `Some(true)` equivalent, `Some(false)`
/// different, `None` undecided (text, variables, a possible rounding, anything not understood).
pub fn compare(found: &str, expected: &str) -> Option<bool> {
    if found.len() > MAX_ANSWER_BYTES || expected.len() > MAX_ANSWER_BYTES {
        return None;
    }
    let (a, b) = (prepare(found), prepare(expected));
    if !a.unit.is_empty() && !b.unit.is_empty() && a.unit != b.unit {
        // "12 m" against "12 cm": the same number in other units is not the same answer
        return None;
    }
    compare_normalized(&a.text, &b.text, a.pct, b.pct, 0)
}

/// Whether a known answer can be used at all: `Err` says why not, in words.
pub fn check_expected(expected: &str) -> Result<(), String> {
    let t = expected.trim();
    if t.is_empty() {
        return Err("the given answer is empty".into());
    }
    if t.len() > MAX_ANSWER_BYTES {
        return Err(format!(
            "the given answer is {} bytes long; at most {MAX_ANSWER_BYTES} are compared",
            t.len()
        ));
    }
    if prepare(t).text.is_empty() {
        return Err(format!("the given answer {t:?} has nothing to compare"));
    }
    Ok(())
}

/// A tiny floating-point evaluator for closed expressions with roots and π: `2\sqrt{3}`,
/// `\frac{\pi}{4}`, `3\sqrt[3]{2}`. Anything else (a letter, a function) is `None`.
struct FloatParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl FloatParser<'_> {
    fn eval(s: &str) -> Option<f64> {
        if s.len() > MAX_ANSWER_BYTES {
            return None;
        }
        let s = s.replace("\\cdot", "*").replace("\\times", "*");
        let mut p = FloatParser {
            s: s.as_bytes(),
            i: 0,
            depth: 0,
        };
        let v = p.expr()?;
        (p.i == p.s.len() && v.is_finite()).then_some(v)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, t: &str) -> bool {
        if self.s[self.i..].starts_with(t.as_bytes()) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Option<f64> {
        self.depth += 1;
        if self.depth > 20 {
            return None;
        }
        let mut v = self.term()?;
        loop {
            if self.eat("+") {
                v += self.term()?;
            } else if self.eat("-") {
                v -= self.term()?;
            } else {
                break;
            }
        }
        self.depth -= 1;
        Some(v)
    }

    fn starts_atom(&self) -> bool {
        matches!(self.peek(), Some(b'0'..=b'9' | b'(' | b'{' | b'.'))
            || self.s[self.i..].starts_with(b"\\frac")
            || self.s[self.i..].starts_with(b"\\sqrt")
            || self.s[self.i..].starts_with(b"\\pi")
    }

    fn term(&mut self) -> Option<f64> {
        let mut v = self.unary()?;
        loop {
            if self.eat("*") {
                v *= self.unary()?;
            } else if self.eat("/") {
                v /= self.unary()?;
            } else if self.starts_atom() {
                v *= self.power()?;
            } else {
                break;
            }
        }
        Some(v)
    }

    fn unary(&mut self) -> Option<f64> {
        if self.eat("-") {
            return Some(-self.unary()?);
        }
        if self.eat("+") {
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Option<f64> {
        let base = self.atom()?;
        if self.eat("^") {
            let e = if self.peek() == Some(b'{') {
                self.atom()?
            } else if self.eat("-") {
                -self.digit()?
            } else {
                self.digit()?
            };
            return Some(base.powf(e));
        }
        Some(base)
    }

    fn digit(&mut self) -> Option<f64> {
        let d = self.peek().filter(u8::is_ascii_digit)?;
        self.i += 1;
        Some(f64::from(d - b'0'))
    }

    fn group(&mut self, open: &str, close: &str) -> Option<f64> {
        if !self.eat(open) {
            return None;
        }
        let v = self.expr()?;
        self.eat(close).then_some(v)
    }

    fn atom(&mut self) -> Option<f64> {
        if self.eat("\\frac") {
            let n = self.group("{", "}").or_else(|| self.digit())?;
            let d = self.group("{", "}").or_else(|| self.digit())?;
            return Some(n / d);
        }
        if self.eat("\\sqrt") {
            let k = if self.peek() == Some(b'[') {
                self.group("[", "]")?
            } else {
                2.0
            };
            let x = self.group("{", "}").or_else(|| self.digit())?;
            return (x >= 0.0 && k >= 1.0).then(|| x.powf(1.0 / k));
        }
        if self.eat("\\pi") || self.eat("π") {
            return Some(std::f64::consts::PI);
        }
        match self.peek()? {
            b'(' => self.group("(", ")"),
            b'{' => self.group("{", "}"),
            b'0'..=b'9' | b'.' => {
                let start = self.i;
                while matches!(self.peek(), Some(b'0'..=b'9' | b'.')) {
                    self.i += 1;
                }
                std::str::from_utf8(&self.s[start..self.i])
                    .ok()?
                    .parse()
                    .ok()
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxed() {
        assert_eq!(
            extract_boxed("so $\\boxed{\\frac{1}{2}}$."),
            Some("\\frac{1}{2}".into())
        );
        assert_eq!(
            extract_boxed("\\boxed{1} then \\boxed{2}"),
            Some("2".into())
        );
        assert_eq!(extract_boxed("\\boxed 5$"), Some("5".into()));
        assert_eq!(extract_boxed("no box"), None);
        assert_eq!(extract_boxed("\\boxed{unclosed"), None);
    }

    #[test]
    fn equivalent_answers_match() {
        for (a, b) in [
            ("\\dfrac{1}{2}", "\\frac12"),
            ("0.5", "\\frac{1}{2}"),
            ("1,000", "1000"),
            ("5 \\text{ inches}", "5"),
            ("90^\\circ", "90"),
            ("x = 3", "3"),
            ("\\left( 1, 2 \\right)", "(1,2)"),
            ("\\$18.00", "18"),
            ("$18", "18"),
            ("12 cm", "12"),
            ("12 m", "12"),
            ("1,234,567", "1234567"),
            ("38 apples", "38"),
            ("25\\%", "25"),
            ("25%", "0.25"),
            ("3/4", "\\frac{3}{4}"),
            ("\\sqrt{12}", "2\\sqrt{3}"),
            ("\\frac{\\pi}{4}", "\\frac14\\pi"),
            ("2, 1", "1,2"),
            ("\\boxed{7}", "7"),
            ("−5", "-5"),
            ("1{,}234", "1234"),
            ("\\(\\frac{1}{2}\\)", "\\frac12"),
            ("\\text{C}", "\\text{(C)}"),
            ("4x - 7", "(4x - 7)"),
            ("(b,c)=(6,5)", "(6,5)"),
            ("65", "65 \\text{ children tickets }"),
            ("8\\sqrt{3}", "8\\sqrt{3} \\text { square inches}"),
            (
                "\\begin{pmatrix} \\frac{1}{5} \\\\ -\\frac{3}{5} \\end{pmatrix}",
                "\\begin{pmatrix} 1/5 \\\\ -3/5 \\end{pmatrix}",
            ),
        ] {
            assert_eq!(compare(a, b), Some(true), "{a} vs {b}");
        }
    }

    #[test]
    fn different_answers_do_not_match() {
        for (a, b) in [
            ("3", "4"),
            ("28", "38"),
            ("(1,2)", "(2,1)"),
            ("\\frac{3}{4}", "\\frac{4}{3}"),
            ("2\\sqrt{3}", "3\\sqrt{2}"),
            ("(1,2)", "(1,2,3)"),
            ("1,3", "1,2"),
            ("-5", "5"),
            (
                "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
                "\\begin{pmatrix} 1 & 2 \\\\ 4 & 3 \\end{pmatrix}",
            ),
        ] {
            assert_eq!(compare(a, b), Some(false), "{a} vs {b}");
        }
    }

    #[test]
    fn what_cannot_be_decided_is_undecided() {
        for (a, b) in [
            ("", "4"),
            ("x^2+1", "1+x^2"),
            ("Monday", "Tuesday"),
            ("0.33", "\\frac{1}{3}"),
            ("33", "33.3"),
            ("25", "0.25"),
            ("(1,2)", "[1,2]"),
            ("12 m", "12 cm"),
            ("1", "1,2"),
        ] {
            assert_eq!(compare(a, b), None, "{a} vs {b}");
        }
        assert_eq!(compare(&"1".repeat(500), "1"), None);
        assert!(check_expected("  ").is_err());
        assert!(check_expected("\\text{}").is_err());
        assert!(check_expected("38").is_ok());
    }

    #[test]
    fn final_answers() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            final_answer(&s(&["x", "A: 26"]), true)
                .map(|f| f.text)
                .as_deref(),
            Some("26")
        );
        assert_eq!(
            final_answer(&s(&["so #### 1,234"]), false)
                .map(|f| f.text)
                .as_deref(),
            Some("1234")
        );
        assert_eq!(
            final_answer(&s(&["The answer is 7."]), false)
                .map(|f| f.text)
                .as_deref(),
            Some("7")
        );
        assert_eq!(
            final_answer(&s(&["Thus the final answer is: 12 apples."]), false)
                .map(|f| f.text)
                .as_deref(),
            Some("12 apples")
        );
        assert_eq!(
            final_answer(&s(&["we get 3", "then 4.5 apples"]), true)
                .map(|f| f.text)
                .as_deref(),
            Some("4.5")
        );
        assert_eq!(
            final_answer(&s(&["we get 3", "then 4.5 apples"]), false),
            None
        );
        assert_eq!(
            final_answer(&s(&["$\\boxed{\\frac{3}{4}}$", "done"]), true)
                .map(|f| f.text)
                .as_deref(),
            Some("\\frac{3}{4}")
        );
        assert_eq!(last_number("costs -12"), Some("-12".into()));
    }
}
