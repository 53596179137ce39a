//! Property tests of the arithmetic checker: no panic and bounded work on any input, and the
//! checker agrees with plain integer arithmetic on generated claims.

use proptest::prelude::*;
use verifier_text::check_step;

fn mathy() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "1",
        "2",
        "9",
        "17",
        "0",
        "007",
        "1,250",
        "3.5",
        ".5",
        "9^9^9",
        "^",
        "^{",
        "}",
        "{",
        "(",
        ")",
        "[",
        "]",
        "=",
        "==",
        "<<",
        ">>",
        "+",
        "-",
        "*",
        "**",
        "/",
        "x",
        " of ",
        "%",
        "\\%",
        "$",
        "\\$",
        "\\frac",
        "\\sqrt",
        "\\sqrt[3]",
        "\\times",
        "\\cdot",
        "\\div",
        "\\approx",
        "≈",
        "×",
        "÷",
        "−",
        "²",
        "\\text{",
        "\\boxed{",
        "\\left(",
        "\\right)",
        "\\\\",
        "\n",
        " ",
        "about ",
        "and ",
        "times ",
        "x",
        "y",
        "!",
        ".",
        ",",
        ":",
        "&",
        "~",
        "é",
        "\u{0}",
        "\\",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn never_panics_on_math_like_text(s in mathy()) {
        let checks = check_step(&s);
        for c in checks {
            prop_assert!(c.holds == c.expected.is_none());
        }
    }

    #[test]
    fn never_panics_on_any_text(s in any::<String>()) {
        let _ = check_step(&s);
    }

    #[test]
    fn agrees_with_integer_arithmetic(a in 0i64..10_000, b in 1i64..10_000, op in 0usize..4, delta in -3i64..=3) {
        let (sym, v) = match op {
            0 => ("+", a + b),
            1 => ("-", a - b),
            2 => ("*", a * b),
            _ => ("/", if a % b == 0 { a / b } else { return Ok(()) }),
        };
        let claimed = v + delta;
        let checks = check_step(&format!("So {a} {sym} {b} = {claimed} apples."));
        prop_assert_eq!(checks.len(), 1);
        prop_assert_eq!(checks[0].holds, delta == 0);
        if delta != 0 {
            prop_assert_eq!(checks[0].expected.clone(), Some(v.to_string()));
        }
    }
}

#[test]
fn huge_inputs_are_bounded() {
    for s in [
        "9^9^9 = 1".to_string(),
        format!("{} = 1", "9^".repeat(2000) + "9"),
        format!("{} = 1", "(".repeat(100_000)),
        format!("{}1 = 1", "-".repeat(100_000)),
        format!("{} = 2", "1*".repeat(50_000) + "1"),
        "2^100000 = 3".to_string(),
        // within the size limit, so the parser's own bounds are what stops them
        format!("1 = {}1 = 1", "-".repeat(15_000)),
        format!("1 = {}1{} = 1", "(".repeat(7_000), ")".repeat(7_000)),
        format!("1 = {}9 = 1", "9^".repeat(5_000)),
        format!("1 = {} = 1", "9".repeat(250) + &"*99999".repeat(2_000)),
        format!("{}!", "1 = 1, ".repeat(20_000)),
    ] {
        let checks = check_step(&s);
        assert!(checks.iter().all(|c| c.holds || c.expected.is_some()));
    }
}
