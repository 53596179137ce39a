//! Final-answer extraction and grading: MATH `\boxed{}` answers (normalised as in PRM800K's
//! grader: LaTeX spacing, `\left`/`\right`, `\dfrac`, units, degrees, trailing text) and GSM8K
//! numeric answers.

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
    let mut s = answer.trim().to_string();
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
    // "x = 5" -> "5" (single variable on the left)
    if let Some((lhs, rhs)) = s.split_once('=') {
        let l = lhs.trim();
        if l.len() <= 2 && l.chars().all(|c| c.is_ascii_alphabetic()) {
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
    // 1,000 -> 1000 when it is a plain number
    if s.chars()
        .all(|c| c.is_ascii_digit() || c == ',' || c == '.' || c == '-')
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

/// Value of a simple numeric answer: integer, decimal, `a/b`, `\frac{a}{b}`, `-\frac{a}{b}`.
pub fn numeric_value(normalized: &str) -> Option<f64> {
    let s = normalized;
    if let Ok(v) = s.parse::<f64>() {
        return v.is_finite().then_some(v);
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let v = if let Some(rest) = body.strip_prefix("\\frac{") {
        let close = rest.find('}')?;
        let num: f64 = rest[..close].parse().ok()?;
        let den_part = rest[close + 1..].strip_prefix('{')?.strip_suffix('}')?;
        let den: f64 = den_part.parse().ok()?;
        num / den
    } else if let Some((a, b)) = body.split_once('/') {
        a.parse::<f64>().ok()? / b.parse::<f64>().ok()?
    } else {
        return None;
    };
    let v = if neg { -v } else { v };
    v.is_finite().then_some(v)
}

/// Whether two final answers are the same, after normalisation, as strings or as numbers.
pub fn answers_match(given: &str, reference: &str) -> bool {
    let a = normalize_answer(given);
    let b = normalize_answer(reference);
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    match (numeric_value(&a), numeric_value(&b)) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-6 * y.abs().max(1.0),
        _ => false,
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
    fn grading() {
        assert!(answers_match("\\dfrac{1}{2}", "\\frac12"));
        assert!(answers_match("0.5", "\\frac{1}{2}"));
        assert!(answers_match("1,000", "1000"));
        assert!(answers_match("5 \\text{ inches}", "5"));
        assert!(answers_match("90^\\circ", "90"));
        assert!(answers_match("x = 3", "3"));
        assert!(answers_match("\\left( 1, 2 \\right)", "(1,2)"));
        assert!(answers_match("\\$18.00", "18"));
        assert!(!answers_match("3", "4"));
        assert!(!answers_match("(1,2)", "(2,1)"));
        assert!(!answers_match("", ""));
    }

    #[test]
    fn final_answers() {
        assert_eq!(extract_final_answer("x\nA: 26").as_deref(), Some("26"));
        assert_eq!(
            extract_final_answer("so #### 1,234").as_deref(),
            Some("1234")
        );
        assert_eq!(
            extract_final_answer("The answer is 7.").as_deref(),
            Some("7")
        );
        assert_eq!(
            extract_final_answer("we get 3 then 4.5 apples").as_deref(),
            Some("4.5")
        );
        assert_eq!(last_number("costs -12"), Some("-12".into()));
    }
}
