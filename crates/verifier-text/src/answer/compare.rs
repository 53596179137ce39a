//! Whether two answers are the same: exactly (rationals), numerically for roots and π, element by
//! element for tuples and lists; undecided where a wrong "matches" or "does not match" could follow.

use super::{
    MAX_ANSWER_BYTES,
    float::FloatParser,
    normalize::{balanced, prepare, top_level_items},
};

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

/// A bracketed tuple or interval: `(open, items, close)`.
fn tuple(s: &str) -> Option<(char, Vec<&str>, char)> {
    let open = s.chars().next().filter(|c| matches!(c, '(' | '['))?;
    let close = s.chars().last().filter(|c| matches!(c, ')' | ']'))?;
    let inner = &s[1..s.len() - 1];
    // the brackets must enclose the whole answer: `(1)(2)` is not a tuple
    let items = top_level_items(inner);
    (balanced(inner) && items.len() >= 2).then_some((open, items, close))
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
