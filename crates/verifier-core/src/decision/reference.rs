//! A reference solution as evidence: the quantities it (and the problem) works with. A solution
//! step that writes a number none of them explains has left the reference's path — often exactly
//! where a wrong solution goes wrong.

use num_rational::BigRational;

use crate::arith::quantities;

/// The quantities of a problem and its reference solution.
#[derive(Clone, Debug, Default)]
pub struct Reference {
    known: Vec<BigRational>,
    /// The reference writes at least one of the problem's numbers (or the problem has none): a
    /// reference of another problem usually shares none.
    pub fits_problem: bool,
}

impl Reference {
    /// Collect every number the problem and the reference write and every result the reference
    /// states (each text read once).
    pub fn new<S: AsRef<str>>(problem: &str, steps: &[S]) -> Self {
        let problem_numbers = quantities(problem).numbers;
        let mut fits_problem = problem_numbers.is_empty();
        let mut known = problem_numbers.clone();
        for s in steps {
            let q = quantities(s.as_ref());
            fits_problem |= q.numbers.iter().any(|v| problem_numbers.contains(v));
            known.extend(q.numbers);
            known.extend(q.results);
        }
        known.sort();
        known.dedup();
        Reference {
            known,
            fits_problem,
        }
    }

    /// Whether `v` is a quantity of the problem or the reference (also as a percentage: 25% and
    /// 0.25 are the same quantity).
    fn explains(&self, v: &BigRational) -> bool {
        let hundred = BigRational::from_integer(100.into());
        [v.clone(), v * &hundred, v / &hundred]
            .iter()
            .any(|x| self.known.binary_search(x).is_ok())
    }

    /// Whether a step writes a number (an operand or a result) that neither the problem nor the
    /// reference contains. Operands count too: a wrong solution often goes wrong by working with
    /// a quantity the problem never asks for (measured against results alone in docs/exercise.md,
    /// "Exercise mode: the reference solution").
    pub fn diverges(&self, step: &str) -> bool {
        let q = quantities(step);
        q.numbers
            .iter()
            .chain(&q.results)
            .any(|v| !self.explains(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_no_reference_quantity_explains_diverges() {
        let problem = "Tom has 17 boxes of 4 pens and gives away 30 pens. How many are left?";
        let reference = [
            "17 * 4 = <<17*4=68>>68 pens",
            "68 - 30 = <<68-30=38>>38",
            "#### 38",
        ];
        let r = Reference::new(problem, &reference);
        assert!(!r.diverges("He has 17 × 4 = 68 pens."));
        assert!(!r.diverges("68 - 30 = 38 pens are left."));
        assert!(r.diverges("He has 17 × 4 = 58 pens."), "58 is nowhere");
        assert!(r.diverges("58 - 30 = 28"), "28 is nowhere");
        assert!(!r.diverges("He gives some pens away."), "no number written");
        assert!(
            r.diverges("He buys 9 more boxes."),
            "an operand the problem and the reference never use"
        );
        assert!(!r.diverges("Of his 68 pens, he gives 30 away."));
        assert!(
            !r.diverges("That is 0.38 = 38%"),
            "a percentage of a known quantity"
        );
        assert!(r.fits_problem);
        assert!(Reference::new(problem, &["17 * 4"]).fits_problem);
        assert!(!Reference::new(problem, &["1 + 1 = 2"]).fits_problem);
    }
}
