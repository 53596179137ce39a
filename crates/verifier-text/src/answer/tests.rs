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
            "\\[\\begin{pmatrix}0&1\\\\1&0\\end{pmatrix}.\\]",
            "\\begin{pmatrix} 0 & 1 \\\\ 1 & 0 \\end{pmatrix}",
        ),
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
        ("2 1/2", "21/2"),
        ("2\\frac{1}{2}", "1"),
        ("12\\,\\text{cm}", "12 m"),
        ("5\\textbf{ hours}", "5 minutes"),
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
    assert!(final_answer(&s(&["then 4.5 apples"]), true).is_some_and(|f| f.reliable));
    assert!(
        !final_answer(&s(&["is \\(-\\frac{2\\sqrt{3}}{3}\\)."]), true).is_some_and(|f| f.reliable)
    );
    assert_eq!(
        final_answer(
            &s(&["The final answer is $16\\pi$. I hope it is correct."]),
            false
        )
        .map(|f| f.text)
        .as_deref(),
        Some("$16\\pi$")
    );
    // a last number decides only where it stands on its own in plain text
    assert_eq!(
        judge(&s(&["so there are 38 left"]), "38", true).1,
        Some(true)
    );
    assert_eq!(
        judge(&s(&["So 35 students like games."]), "25", true).1,
        Some(false)
    );
    assert_eq!(judge(&s(&["The answer is 28."]), "38", true).1, Some(false));
    assert_eq!(judge(&s(&["It costs -3."]), "-3", true).1, Some(true));
    // only the sentence holding the last number is read
    let tall =
        "The fourth is \\(69 + 3 = 72\\) inches. Therefore, the fourth child is 72 inches tall.";
    assert_eq!(judge(&s(&[tall]), "72", true).1, Some(true));
    assert_eq!(judge(&s(&[tall]), "70", true).1, Some(false));
    assert_eq!(
        judge(&s(&["\\(2^3 \\cdot 5^8\\) has **10 digits**."]), "9", true).1,
        None,
        "LaTeX in the same sentence"
    );
    assert_eq!(
        judge(
            &s(&["We get \\(x^2\\).\nSo the number has **10 digits**."]),
            "9",
            true
        )
        .1,
        Some(false)
    );
    assert_eq!(
        judge(&s(&["So the cost is \\$324."]), "324", true).1,
        Some(true),
        "an escaped dollar is a currency sign"
    );
    assert_eq!(
        judge(&s(&["So \\(p = 1/4\\). The odds are 1/4."]), "4", true).1,
        None,
        "a piece of an expression in plain text"
    );
    for (text, expected) in [
        ("The probability is 1/4.", "4"),
        ("The probability is 1/4.", "1/4"),
        ("So we get 3 + 4", "4"),
        ("the side is 2x", "2"),
        (
            "the area is \\(\\frac{8\\pi}{5}\\) square units",
            "\\frac{8\\pi}{5}",
        ),
    ] {
        assert_eq!(
            judge(&s(&[text]), expected, true).1,
            None,
            "{text} vs {expected}"
        );
    }
    // an answer stated early and then worked on is not the final one
    assert_eq!(
        final_answer(
            &s(&["The answer is 5.", "Check: 6 * 2 = 12", "so 12 apples."]),
            true
        )
        .map(|f| f.text),
        Some("12".to_string())
    );
    // byte offsets survive non-ASCII text before the marker
    assert_eq!(
        final_answer(&s(&["İİİ the answer is 125."]), false).map(|f| f.text),
        Some("125".to_string())
    );
    assert_ne!(compare("1.5-10", "0.5"), Some(true));
}
