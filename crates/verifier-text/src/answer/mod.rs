//! Final answers: extraction from a solution (`\boxed{}`, "The answer is", `####`, the last
//! quantity of the last step) and equivalence with a known answer, exactly where it can be decided
//! (integers, decimals, fractions, `\frac`, percentages, thousands separators, units and currency,
//! LaTeX spacing, simple expressions with roots and π, tuples and lists). Equivalence has three
//! outcomes: a wrong "matches" would hide a wrong solution, so whatever cannot be decided is
//! `None` ("undecided"), never a guess.

mod compare;
mod float;
mod normalize;
mod restate;
#[cfg(test)]
mod tests;

pub use compare::{check_expected, compare};
pub use normalize::normalize_answer;
pub use restate::restates_earlier_result;
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

/// The final answer of a whole solution text ([`extract_final_answer`]), normalised so that one
/// answer written two ways counts once in a vote; `None` when it states none.
pub fn voting_answer(solution: &str) -> Option<String> {
    extract_final_answer(solution)
        .map(|a| normalize_answer(&a))
        .filter(|a| !a.is_empty())
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
    // an answer stated early and worked on afterwards is not the final one: only the last two
    // steps are read for an explicit statement
    for step in steps.iter().rev().take(2) {
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
        // only the sentence that holds the last number is read (LaTeX earlier in the step does
        // not make "Therefore, the child is 72 inches tall." a piece of an expression), with
        // Markdown bold taken off ("has **10 digits**") and an escaped dollar read as one
        let sentence = last_sentence(last).replace("**", "").replace("\\$", "$");
        let latex = sentence.contains('\\') || sentence.matches('$').count() >= 2;
        return last_number(last).map(|text| Found {
            reliable: !latex && standalone_last_number(&sentence),
            text,
        });
    }
    None
}

/// The sentence of `text` that holds its last digit: from the end of the sentence before it (a
/// `.`, `!` or `?` followed by white space, or a line break) to the end of the text.
fn last_sentence(text: &str) -> &str {
    let Some(last_digit) = text.bytes().rposition(|b| b.is_ascii_digit()) else {
        return text;
    };
    let b = text.as_bytes();
    let start = (1..=last_digit)
        .rev()
        .find(|&i| {
            b[i - 1] == b'\n'
                || (matches!(b[i - 1], b'.' | b'!' | b'?') && i >= 2 && b[i].is_ascii_whitespace())
        })
        .unwrap_or(0);
    &text[start..]
}

/// Whether the last number of a text stands on its own ("so 35 students", "costs $12.", "-3."),
/// not as a piece of an expression ("1/4", "2^3", "3 + 4", "4x", "x_2").
fn standalone_last_number(text: &str) -> bool {
    let b = text.as_bytes();
    let Some(end) = b.iter().rposition(u8::is_ascii_digit).map(|i| i + 1) else {
        return false;
    };
    let mut start = end;
    while start > 0 && (b[start - 1].is_ascii_digit() || matches!(b[start - 1], b'.' | b',')) {
        start -= 1;
    }
    // a minus sign at the start of a word is the number's own
    if start > 0
        && b[start - 1] == b'-'
        && text[..start - 1]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == '$')
    {
        start -= 1;
    }
    let operator = |c: char| "+-*/^_<>{}[]\\|:×÷·−".contains(c);
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || operator(c));
    let spaced = |c: Option<char>| c.is_some_and(operator);
    !(glued(text[..start].chars().next_back())
        || glued(text[end..].chars().next())
        || spaced(text[..start].trim_end().chars().next_back())
        || spaced(text[end..].trim_start().chars().next()))
}

/// A solution's final answer against `expected`: what was found, and whether it matches. A found
/// answer that is not [`Found::reliable`] may be any quantity (a piece of an expression), so it
/// decides nothing: undecided.
pub fn judge<S: AsRef<str>>(
    steps: &[S],
    expected: &str,
    complete: bool,
) -> (Option<String>, Option<bool>) {
    let Some(found) = final_answer(steps, complete) else {
        return (None, None);
    };
    let matches = compare(&found.text, expected).filter(|_| found.reliable);
    (Some(found.text), matches)
}

/// "The (final) answer is …", "Answer: …", "A: …" in one step, up to the end of its sentence (or
/// a closing "I hope it is correct").
fn stated_answer(step: &str) -> Option<String> {
    // ASCII lower case keeps every byte where it was (the markers are ASCII)
    let lower = step.to_ascii_lowercase();
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
