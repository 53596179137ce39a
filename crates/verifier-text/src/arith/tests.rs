use super::*;

fn one(text: &str) -> Check {
    let c = check_step(text);
    assert_eq!(c.len(), 1, "{text:?} -> {c:?}");
    c.into_iter().next().unwrap()
}

fn holds(text: &str) {
    let c = one(text);
    assert!(c.holds, "{text:?} should hold: {c:?}");
}

fn fails(text: &str, expected: &str) {
    let c = one(text);
    assert!(!c.holds, "{text:?} should fail: {c:?}");
    assert_eq!(c.expected.as_deref(), Some(expected), "{text:?}");
}

fn skipped(text: &str) {
    let c = check_step(text);
    assert!(c.is_empty(), "{text:?} should be skipped: {c:?}");
}

#[test]
fn plain_text_claims() {
    fails("17 × 4 = 58", "68");
    holds("17 × 4 = 68");
    holds("17*4=68");
    fails("17*4=58", "68");
    holds("He pays 3 x 4 = 12 dollars.");
    holds("So she has 48/2 = 24 clips left.");
    holds("So, -3 + 5 = 2");
    skipped("-3 + 5 = 2");
    holds("3 - 5 = -2");
    holds("2(3+4) = 14");
    holds("(2 + 3) * 4 = 20");
    holds("2^10 = 1024");
    holds("5² = 25");
    holds("2 ** 3 = 8");
}

#[test]
fn claim_text_and_expected() {
    let c = one("Then 17 × 4 = 58 apples.");
    assert_eq!(c.claim, "17 × 4 = 58");
    assert_eq!(c.expected.as_deref(), Some("68"));
    fails("1/3 + 1/3 = 1", "2/3 ≈ 0.6667");
    fails("3/4 + 1/8 = 5/8", "0.875");
}

#[test]
fn latex_claims() {
    holds(r"$\frac{3}{4} + \frac{1}{8} = \frac{7}{8}$");
    holds("3/4 + 1/8 = 7/8");
    fails(r"$\frac{3}{4} + \frac{1}{8} = \frac{5}{8}$", "0.875");
    holds(r"$2^{10} = 1024$");
    fails(r"$2^{10} = 1000$", "1024");
    holds(r"$\sqrt{49} = 7$");
    fails(r"$\sqrt{49} = 8$", "7");
    holds(r"$\sqrt[3]{27} = 3$");
    holds(r"$12 \times 5 = 60$");
    holds(r"$12 \cdot 5 = 60$");
    holds(r"$60 \div 5 = 12$");
    holds(r"$\dfrac12 = 0.5$");
    holds(r"$\left(3+4\right) \cdot 2 = 14$");
    holds(r"So the total is $\boxed{7}$, since $3 + 4 = \boxed{7}$.");
    holds(r"$1{,}250 + 250 = 1{,}500$");
}

#[test]
fn percent_money_decimals() {
    holds("15% of 80 = 12");
    holds(r"$15\%$ of 80 = 12.");
    fails("15% of 80 = 14", "12");
    holds("(40/50)*100 = 80%");
    holds("40/50 = 80%");
    fails("40/50 = 70%", "80%");
    holds("$1,250 + $250 = $1,500");
    holds("0.5 * 12 = 6");
    holds("1.25 + 2.5 = 3.75");
    fails("1.25 + 2.5 = 3.85", "3.75");
    holds("2/3 = 0.67");
    holds(r"Thus, \[ x^2 = (2.8284)^2 = 8 \]");
    fails("So 3.25 * 4 = 14.", "13");
    holds("10/3 = 3.33");
    fails("10/3 = 3.43", "10/3 ≈ 3.3333");
    holds("100/3 ≈ 33");
    holds("100/3 = about 33");
    holds(r"$100/3 \approx 33.3$");
    fails("100/3 = 33", "100/3 ≈ 33.3333");
}

#[test]
fn chains_and_calculator_notes() {
    let c = check_step("3 + 4 = 7 = 8 - 1");
    assert_eq!(c.len(), 2);
    assert!(c.iter().all(|c| c.holds));
    let c = check_step("Natalia sold 48/2 = <<48/2=24>>24 clips in May.");
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(c[0].holds);
    assert_eq!(c[0].claim, "48/2=24");
    let c = check_step("She earns 12 * 5 = <<12*5=50>>50 dollars.");
    assert!(
        c.iter()
            .any(|c| !c.holds && c.expected.as_deref() == Some("60")),
        "{c:?}"
    );
    let c = check_step("x = 3 + 4 = 7");
    assert_eq!(c.len(), 1);
    assert!(c[0].holds);
    let c = check_step("2 + 3 = 5, 5 + 4 = 9");
    assert_eq!(c.len(), 2, "{c:?}");
    assert!(c.iter().all(|c| c.holds));
}

#[test]
fn no_false_alarms_on_what_it_cannot_read() {
    skipped("x + 3 = 5");
    skipped("2x = 10");
    skipped("x^2 = 9");
    skipped("a_1 = 3");
    skipped("f(2) = 5");
    skipped(r"\sin 30 = 0.5");
    skipped("3 times 4 = 12");
    skipped("half of 48 = 24");
    skipped("The ratio is 3:4 = 6:8");
    skipped("It is 5 = 5 million");
    skipped("2 + 3 = 5x");
    skipped(r"2^{10} \equiv 24 \pmod{1000}");
    skipped("17 mod 5 = 2");
    skipped("5! = 120");
    skipped("3 + 3 = 3!");
    skipped("He is 48 = 24");
    skipped("50 + 20% = 60");
    skipped(r"5\pi = 15");
    skipped(r"\sqrt{2} = 1.5");
    skipped("1/0 = 5");
    skipped("2 1/2 = 2.5");
    skipped(r"2\frac{1}{2} = 2.5");
    skipped("10 - x = 3");
    skipped("a = b");
    skipped("");
    skipped("=");
    skipped("= = =");
    skipped(r"$5\ast 2 = 3(5)+4(2)-(5)(2)$");
    skipped(r"+ 1 = \frac{9}{2}");
    skipped("250 x 12 = 3 000 grams");
    skipped(r"Since $43\div 6 = 7 r 1$, the first");
    skipped(r"If $\frac{3}{11}=0.ababab\ldots$, then");
    skipped(r"so our answer is $\left[\frac{3 \times 2004 - 4}{10}\right] = \boxed{601}$.");
    skipped(r"The factorization $75 = 3^15^2 = (2+1)(4+1)(4+1)$, so $n = 2 \cdot 3$.");
    skipped(r"numerator $2$ are $\frac 26, \frac 28 = \frac 13, \frac 14$ anyway");
    skipped(
        r"the perimeter is $2(12) - 2(2) = 24
- 4 = \boxed{20}$ inches.",
    );
    skipped(r"1061520150601 &= 1 \cdot 100^6 + 6 \cdot 100^5\\");
    skipped(r"\[f \left( \frac{1}{3} \right) = \frac{1}{2}.\]");
    skipped("He has to leave at 0900-0130 = 0730 hours");
    skipped("Weeks 1-2 = 96 - 70");
    skipped("$1 / 2 = 50 cents");
    skipped("4 / 3 = 1 and 1/3");
    skipped("25 / 1/3 = 75");
    skipped("$7500/75% = $100");
    skipped("so the units digit is 7 * 3 = 1");
    assert!(
        check_step(r"First: \(25\%\) of $80 = \frac{25}{100} \times \$80 = \$20\). So")
            .iter()
            .all(|c| c.holds)
    );
    skipped(r"Third term: \(\frac{2}{3} = 0.\overline{6}\). Fourth");
    skipped(r"Check: \( 60 = 5^2 + 6^2 = 25 + 36 = 61 \). This does not work.");
    skipped(r"\[2250 \div 360 = 6 \text{ full rotations with } 90 \text{ degrees remaining}\]");
    skipped("Substituting, we get 0 + (15 - 1) * 71 = 999, which is 14 * 71 = 994.");
    skipped(r"we get that $|-7-3|=2(-7)+4$ or $10=-10$. Since");
    skipped(r"the smaller triangle is also a $6-8-10 = 3-4-5$ triangle");
    skipped(r"we find $10\%$ and then multiply: $10\% = 0.55$.");
    skipped(r"Since $f \left( \frac{1}{3} \right) = 1 - \frac{1}{2}$, we");
}

#[test]
fn bounded_work_on_huge_numbers() {
    skipped("9^9^9 = 1");
    skipped(r"9^{9^{9}} = 1");
    skipped("2^100000 = 1");
    let big = "9".repeat(5000);
    skipped(&format!("{big} + 1 = 1"));
    let deep = format!("{}1{} = 1", "(".repeat(10_000), ")".repeat(10_000));
    skipped(&deep);
    let many = "1+".repeat(5000) + "1 = 5001";
    skipped(&many);
    // still fine under the bounds
    holds("2^100 = 1267650600228229401496703205376");
}
