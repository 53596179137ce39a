//! A step that only states the final answer, restating a result an earlier step reached.

use super::{compare, extract_boxed, gsm8k_reference_answer, last_number, stated_answer};

/// Words a bare answer statement may use besides its marker and quantity.
const FILLER: &[&str] = &[
    "so",
    "thus",
    "therefore",
    "hence",
    "the",
    "final",
    "answer",
    "is",
    "a",
];

/// Whether `step` does nothing but state a final answer (`A: 18`, `The answer is 18.`, `#### 18`,
/// `The final answer is $\boxed{18}$`, `18 apples`) whose one number is, exactly, the last
/// quantity of an earlier step. Such a step adds no reasoning that could be wrong on its own: it
/// is as right as the step it restates.
pub fn restates_earlier_result<S: AsRef<str>>(step: &str, earlier: &[S]) -> bool {
    let Some(answer) = bare_answer(step) else {
        return false;
    };
    earlier.iter().any(|e| {
        last_number(e.as_ref()).is_some_and(|result| compare(&answer, &result) == Some(true))
    })
}

/// The number a bare answer statement states: one number, an answer marker (or nothing but the
/// number and at most two words of unit), no other words.
fn bare_answer(step: &str) -> Option<String> {
    let t = step.trim();
    if t.is_empty() || t.len() > 120 || number_runs(t) != 1 {
        return None;
    }
    let marked = extract_boxed(t).is_some()
        || gsm8k_reference_answer(t).is_some_and(|a| !a.is_empty())
        || stated_answer(t).is_some();
    // the words, LaTeX commands (`\boxed`, `\text`) left out
    let mut plain = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            while chars.next_if(|c| c.is_alphabetic()).is_some() {}
            plain.push(' ');
        } else {
            plain.push(c);
        }
    }
    let words: Vec<String> = plain
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let others = words
        .iter()
        .filter(|w| !FILLER.contains(&w.as_str()))
        .count();
    let unit_words = if marked { 3 } else { 2 };
    (others <= unit_words).then(|| last_number(t)).flatten()
}

/// How many separate numbers `text` holds (`1,200.5` is one).
fn number_runs(text: &str) -> usize {
    let b = text.as_bytes();
    let digit = |i: usize| b[i].is_ascii_digit();
    // a digit starts a number unless it follows a digit, or a separator that follows one
    let continues = |i: usize| {
        i > 0 && (digit(i - 1) || (i > 1 && matches!(b[i - 1], b'.' | b',') && digit(i - 2)))
    };
    (0..b.len()).filter(|&i| digit(i) && !continues(i)).count()
}

#[cfg(test)]
mod tests {
    use super::restates_earlier_result;

    const WORK: [&str; 2] = [
        "She buys 3 bags of 6 apples: 3 * 6 = 18",
        "She gives away 5, so 18 - 5 = 13 apples are left.",
    ];

    #[test]
    fn a_bare_answer_line_that_restates_an_earlier_result_is_recognised() {
        for step in [
            "A: 13",
            "The answer is 13.",
            "#### 13",
            "The final answer is $\\boxed{13}$.",
            "Therefore, the answer is 13 apples.",
            "13",
            "13 apples",
            "Answer: 13.0",
        ] {
            assert!(restates_earlier_result(step, &WORK), "{step}");
        }
    }

    #[test]
    fn anything_more_or_another_number_is_not_a_restatement() {
        for step in [
            "A: 15",                                   // not an earlier result
            "The answer is 13 - 2 = 11.",              // new arithmetic
            "She has 13 apples and 2 pears left now.", // more than a statement
            "So she ends the day with 13 apples in her basket at home.",
            "A: 3/4",
            "",
        ] {
            assert!(!restates_earlier_result(step, &WORK), "{step}");
        }
        // an earlier input is not a result: 6 is not the last quantity of a step
        assert!(!restates_earlier_result("A: 6", &WORK));
        assert!(!restates_earlier_result("A: 13", &[] as &[&str]));
    }
}
