//! Comparing the two sides of a claim: equal within the rounding the text shows, or a false
//! claim with the correct value.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, Zero};

use super::eval::{Val, format};
use super::lex::{Tok, Token};

/// A side that is just a written number (`58`, `-3`, `0.75`, `25%`, `\boxed{7}`): its decimals
/// and whether it is a percentage.
pub(super) fn literal(side: &[Token]) -> Option<(u32, bool)> {
    let mut s = side;
    while let [
        Token {
            tok: Tok::Open(_), ..
        },
        inner @ ..,
        Token {
            tok: Tok::Close(_), ..
        },
    ] = s
    {
        s = inner;
    }
    if let [
        Token {
            tok: Tok::Op('-' | '+'),
            ..
        },
        rest @ ..,
    ] = s
    {
        s = rest;
    }
    match s {
        [
            Token {
                tok: Tok::Num { decimals, .. },
                ..
            },
        ] => Some((*decimals, false)),
        [
            Token {
                tok: Tok::Num { decimals, .. },
                ..
            },
            Token {
                tok: Tok::Percent, ..
            },
        ] => Some((*decimals, true)),
        _ => None,
    }
}

pub(super) fn pow10(k: u32) -> BigRational {
    BigRational::from_integer(num_traits::pow(BigInt::from(10), k as usize))
}

pub(super) struct Side<'a> {
    pub(super) toks: &'a [Token],
    pub(super) val: Val,
}

/// A false claim: the correct value as text, the correct value and the claimed one.
pub(super) struct Mismatch {
    pub(super) expected: String,
    pub(super) truth: BigRational,
    pub(super) claimed: BigRational,
}

/// Compare two sides; `Some` when the claim is false.
pub(super) fn compare(a: &Side, b: &Side, approx: bool) -> Option<Mismatch> {
    let la = literal(a.toks);
    let lb = literal(b.toks);
    // the rounding the text shows: a decimal with k places may be off by less than 10^-k
    let mut tol = BigRational::zero();
    for lit in [la, lb] {
        if let Some((k, pct)) = lit
            && (k > 0 || approx)
        {
            let mut unit = pow10(k).recip();
            if pct {
                unit /= BigRational::from_integer(100.into());
            }
            tol = tol.max(unit);
        }
    }
    // a computed side built from rounded decimals (`(2.8284)^2 = 8`) carries their rounding
    for (lit, side) in [(la, a), (lb, b)] {
        if lit.is_none() {
            tol = tol.max(rounding_error(side));
        }
    }
    let within = |x: &BigRational, y: &BigRational| -> bool {
        let d = (x - y).abs();
        if approx {
            let scale = x.abs().max(y.abs()) * BigRational::new(1.into(), 20.into());
            d <= tol.clone().max(scale)
        } else {
            d < tol || d.is_zero()
        }
    };
    let hundred = BigRational::from_integer(100.into());
    let holds = within(&a.val.q, &b.val.q)
        || (a.val.pct != b.val.pct && {
            // `40/50*100 = 80%` and `0.8 = 80%` are both what people mean
            let (p, n) = if a.val.pct {
                (&a.val.q, &b.val.q)
            } else {
                (&b.val.q, &a.val.q)
            };
            within(&(p * &hundred), n)
        });
    if holds {
        return None;
    }
    // The expected value is the computed side's: the other side is the claimed result.
    let (truth, claimed, shown_as) = match (la, lb) {
        (Some(_), None) => (&b.val, &a.val, la),
        _ => (&a.val, &b.val, lb),
    };
    let expected = if shown_as.is_some_and(|(_, pct)| pct) {
        // the claimed result is a percentage: show the truth as one, in the closer reading
        let as_fraction = truth.q.clone();
        let as_number = &truth.q / &hundred;
        let frac = if (&as_fraction - &claimed.q).abs() <= (&as_number - &claimed.q).abs() {
            as_fraction
        } else {
            as_number
        };
        format!("{}%", format(&(frac * &hundred)))
    } else {
        format(&truth.q)
    };
    Some(Mismatch {
        expected,
        truth: truth.q.clone(),
        claimed: claimed.q.clone(),
    })
}

/// How far a computed side may be off because its decimal inputs with two or more places were
/// rounded: twice the sum of their relative half-units, times the value.
pub(super) fn rounding_error(side: &Side) -> BigRational {
    let mut rel = BigRational::zero();
    for t in side.toks {
        if let Tok::Num { value, decimals } = &t.tok
            && *decimals >= 2
            && !value.is_zero()
        {
            rel += pow10(*decimals).recip() / BigRational::from_integer(2.into()) / value.abs();
        }
    }
    rel * BigRational::from_integer(2.into()) * side.val.q.abs()
}

/// `claimed / truth` is a power of ten (`5 * 3 = $15,000` after "5 thousand dollars").
pub(super) fn power_of_ten_apart(truth: &BigRational, claimed: &BigRational) -> bool {
    if truth.is_zero() || claimed.is_zero() {
        return false;
    }
    let r = (claimed / truth).abs();
    (1..=12).any(|k| r == pow10(k) || r == pow10(k).recip())
}
