//! Floating-point values of closed expressions with roots and π.

use super::MAX_ANSWER_BYTES;

/// A tiny floating-point evaluator for closed expressions with roots and π: `2\sqrt{3}`,
/// `\frac{\pi}{4}`, `3\sqrt[3]{2}`. Anything else (a letter, a function) is `None`.
pub(super) struct FloatParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl FloatParser<'_> {
    pub(super) fn eval(s: &str) -> Option<f64> {
        if s.len() > MAX_ANSWER_BYTES {
            return None;
        }
        // `2\frac{1}{2}` is a mixed number (2.5) to some, a product (1) to others: not read
        if s.as_bytes()
            .windows(6)
            .any(|w| w[0].is_ascii_digit() && &w[1..] == b"\\frac")
        {
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
