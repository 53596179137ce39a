//! Exact evaluation of one side of a claim: rational arithmetic with bounded work.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::lex::{Tok, Token};

/// No intermediate value may need more bits than this (numerator + denominator): `9^9^9` and
/// friends are refused instead of computed.
pub const MAX_BITS: u64 = 4096;
/// Nesting deeper than this is not evaluated.
const MAX_DEPTH: usize = 40;
/// Sides longer than this many tokens are not evaluated.
pub const MAX_TOKENS: usize = 300;

/// A value and whether it is a percentage (`15%` is 3/20 with `pct`).
#[derive(Clone, Debug, PartialEq)]
pub struct Val {
    pub q: BigRational,
    pub pct: bool,
}

/// Evaluate `t` exactly; `None` when it is not a closed arithmetic expression (or too big).
/// `latex`: the step is LaTeX, where `2^10` means `2^1 0`, so an unbraced exponent must be one digit.
pub fn evaluate(t: &[Token], latex: bool) -> Option<Val> {
    if t.is_empty() || t.len() > MAX_TOKENS {
        return None;
    }
    let mut p = Parser {
        t,
        i: 0,
        depth: 0,
        latex,
    };
    let v = p.expr()?;
    (p.i == t.len()).then_some(v)
}

struct Parser<'a> {
    t: &'a [Token],
    i: usize,
    depth: usize,
    latex: bool,
}

fn bounded(v: Val) -> Option<Val> {
    (v.q.numer().bits() + v.q.denom().bits() <= MAX_BITS).then_some(v)
}

fn int(n: i64) -> BigRational {
    BigRational::from_integer(BigInt::from(n))
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i).map(|x| &x.tok)
    }

    fn expr(&mut self) -> Option<Val> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let mut v = self.term()?;
        while let Some(&Tok::Op(c @ ('+' | '-'))) = self.peek() {
            self.i += 1;
            let r = self.term()?;
            // `50 + 20%` has no single reading: not evaluated
            if v.pct != r.pct {
                return None;
            }
            let q = if c == '+' { v.q + r.q } else { v.q - r.q };
            v = bounded(Val { q, pct: v.pct })?;
        }
        self.depth -= 1;
        Some(v)
    }

    fn term(&mut self) -> Option<Val> {
        let mut v = self.unary()?;
        let mut last_div = false;
        loop {
            match self.peek() {
                Some(Tok::Op('*') | Tok::Of) => {
                    self.i += 1;
                    let r = self.unary()?;
                    // `1.2 x 100% = 120` and `15% of 80 = 12`: either reading may be meant
                    v = bounded(Val {
                        q: v.q * r.q,
                        pct: v.pct || r.pct,
                    })?;
                    last_div = false;
                }
                Some(Tok::Op('/')) => {
                    // `25 / 1/3` is written for 25 / (1/3) as often as for (25/1)/3: not read
                    if last_div {
                        return None;
                    }
                    self.i += 1;
                    let r = self.unary()?;
                    // `7500/75%` ("per percent") has no single reading either
                    if r.q.is_zero() || r.pct {
                        return None;
                    }
                    v = bounded(Val {
                        q: v.q / r.q,
                        pct: v.pct,
                    })?;
                    last_div = true;
                }
                // implicit product: `2(3+4)`, `(2)(3)`
                Some(Tok::Open('(' | '['))
                    if matches!(self.t[self.i - 1].tok, Tok::Num { .. } | Tok::Close(_)) =>
                {
                    let r = self.unary()?;
                    v = bounded(Val {
                        q: v.q * r.q,
                        pct: v.pct || r.pct,
                    })?;
                    last_div = false;
                }
                _ => return Some(v),
            }
        }
    }

    fn unary(&mut self) -> Option<Val> {
        match self.peek() {
            Some(Tok::Op('-')) => {
                self.i += 1;
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return None;
                }
                let v = self.unary()?;
                self.depth -= 1;
                Some(Val {
                    q: -v.q,
                    pct: v.pct,
                })
            }
            Some(Tok::Op('+')) => {
                self.i += 1;
                self.unary()
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Option<Val> {
        let base = self.postfix()?;
        if self.peek() != Some(&Tok::Op('^')) {
            return Some(base);
        }
        self.i += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        if self.latex
            && let Some(tok) = self.t.get(self.i)
            && matches!(tok.tok, Tok::Num { .. })
            && tok.end - tok.start > 1
        {
            return None;
        }
        let e = self.unary()?;
        self.depth -= 1;
        if base.pct || e.pct || !e.q.is_integer() {
            return None;
        }
        let e = e.q.to_integer().to_i64()?;
        let bits = base.q.numer().bits() + base.q.denom().bits();
        if e.unsigned_abs().saturating_mul(bits.max(1)) > MAX_BITS {
            return None;
        }
        if base.q.is_zero() && e < 0 {
            return None;
        }
        let q = if e >= 0 {
            num_traits::pow(base.q, e as usize)
        } else {
            num_traits::pow(base.q.recip(), e.unsigned_abs() as usize)
        };
        bounded(Val { q, pct: false })
    }

    fn postfix(&mut self) -> Option<Val> {
        let mut v = self.atom()?;
        while self.peek() == Some(&Tok::Percent) {
            self.i += 1;
            if v.pct {
                return None;
            }
            v = Val {
                q: v.q / int(100),
                pct: true,
            };
        }
        Some(v)
    }

    fn group(&mut self) -> Option<Val> {
        let open = match self.peek() {
            Some(&Tok::Open(c)) => c,
            _ => return None,
        };
        self.i += 1;
        let v = self.expr()?;
        let close = match open {
            '(' => ')',
            '[' => ']',
            _ => '}',
        };
        if self.peek() != Some(&Tok::Close(close)) {
            return None;
        }
        self.i += 1;
        Some(v)
    }

    fn atom(&mut self) -> Option<Val> {
        match self.peek()?.clone() {
            Tok::Num { value, .. } => {
                self.i += 1;
                Some(Val {
                    q: value,
                    pct: false,
                })
            }
            Tok::Open(_) => self.group(),
            Tok::Frac => {
                self.i += 1;
                let (a, b) = if matches!(self.peek(), Some(Tok::Open('{'))) {
                    let a = self.group()?;
                    let b = if matches!(self.peek(), Some(Tok::Open('{'))) {
                        self.group()?
                    } else {
                        self.single_digit()?
                    };
                    (a, b)
                } else {
                    // `\frac12`: two single digits
                    let tok = self.t.get(self.i)?;
                    match &tok.tok {
                        Tok::Num { value, decimals: 0 } if tok.end - tok.start == 2 => {
                            self.i += 1;
                            let n = value.to_integer().to_i64()?;
                            (
                                Val {
                                    q: int(n / 10),
                                    pct: false,
                                },
                                Val {
                                    q: int(n % 10),
                                    pct: false,
                                },
                            )
                        }
                        _ => return None,
                    }
                };
                if b.q.is_zero() || a.pct || b.pct {
                    return None;
                }
                bounded(Val {
                    q: a.q / b.q,
                    pct: false,
                })
            }
            Tok::Sqrt => {
                self.i += 1;
                let mut n = 2u32;
                if matches!(self.peek(), Some(Tok::Open('['))) {
                    let idx = self.group()?;
                    if !idx.q.is_integer() {
                        return None;
                    }
                    n = idx
                        .q
                        .to_integer()
                        .to_u32()
                        .filter(|n| (2..=12).contains(n))?;
                }
                let arg = match self.peek() {
                    Some(Tok::Open('{' | '(')) => self.group()?,
                    Some(Tok::Num { .. }) => self.atom()?,
                    _ => return None,
                };
                if arg.pct {
                    return None;
                }
                root(&arg.q, n).map(|q| Val { q, pct: false })
            }
            _ => None,
        }
    }

    /// `\frac{1}2`: a lone digit as the second argument.
    fn single_digit(&mut self) -> Option<Val> {
        let tok = self.t.get(self.i)?;
        match &tok.tok {
            Tok::Num { value, decimals: 0 } if tok.end - tok.start == 1 => {
                self.i += 1;
                Some(Val {
                    q: value.clone(),
                    pct: false,
                })
            }
            _ => None,
        }
    }
}

/// The exact `n`th root of `q`, if it is rational.
fn root(q: &BigRational, n: u32) -> Option<BigRational> {
    if q.is_negative() && n % 2 == 0 {
        return None;
    }
    let exact = |x: &BigInt| -> Option<BigInt> {
        let r = x.nth_root(n);
        (num_traits::pow(r.clone(), n as usize) == *x).then_some(r)
    };
    Some(BigRational::new(exact(q.numer())?, exact(q.denom())?))
}

/// `q` as the text a person would write: `68`, `0.875`, `-7/3`.
pub fn format(q: &BigRational) -> String {
    if q.is_integer() {
        return q.to_integer().to_string();
    }
    // terminating decimal with at most 8 places?
    let mut d = q.denom().clone();
    let (two, five) = (BigInt::from(2), BigInt::from(5));
    let mut places = 0;
    let (mut twos, mut fives) = (0, 0);
    while (&d % &two).is_zero() {
        d /= &two;
        twos += 1;
    }
    while (&d % &five).is_zero() {
        d /= &five;
        fives += 1;
    }
    if d.is_one() {
        places = twos.max(fives);
    }
    if d.is_one() && places <= 8 {
        let scale = num_traits::pow(BigInt::from(10), places);
        let n = (q * BigRational::from_integer(scale)).to_integer();
        let neg = n.is_negative();
        let digits = n.abs().to_string();
        let digits = format!("{digits:0>width$}", width = places + 1);
        let (int_part, frac) = digits.split_at(digits.len() - places);
        return format!("{}{int_part}.{frac}", if neg { "-" } else { "" });
    }
    let approx = q
        .to_f64()
        .map(|f| format!(" ≈ {}", trim_float(f)))
        .unwrap_or_default();
    format!("{}/{}{approx}", q.numer(), q.denom())
}

fn trim_float(f: f64) -> String {
    let s = format!("{f:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}
