//! Post-hoc (Platt) calibration of the step probabilities, applied on the host.

use serde::{Deserialize, Serialize};

use super::rule::{StepRule, logit, sigmoid};

/// Platt scaling of the step head: `p = sigmoid(scale * logit + bias)`. A positive scale keeps the
/// order of the scores (and so the ROC curve), it only moves them towards observed frequencies.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub scale: f64,
    pub bias: f64,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            scale: 1.0,
            bias: 0.0,
        }
    }
}

impl Calibration {
    /// True for the identity (no calibration).
    pub fn is_identity(self) -> bool {
        self == Calibration::default()
    }

    /// Calibrate one probability (on the host, for already read-back scores).
    pub fn apply(self, p: f64) -> f64 {
        if self.is_identity() {
            return p;
        }
        sigmoid(self.scale * logit(p) + self.bias)
    }

    /// The rule on calibrated scores that makes the same decisions as `rule` on the scores before
    /// this calibration: the threshold is mapped, and so is the log-odds drop the prior allows.
    pub fn map_rule(self, rule: StepRule) -> StepRule {
        let threshold = self.apply(rule.threshold);
        let prior = rule
            .prior
            .map(|p| sigmoid(logit(threshold) + self.scale * (logit(p) - logit(rule.threshold))));
        StepRule { threshold, prior }
    }

    /// Fit `scale` and `bias` by logistic regression of `labels` on the logits of `probs`
    /// (Newton's method with backtracking on the log-loss, plus a tiny ridge term so separable
    /// data stays finite). `None` if there are no positive or no negative labels.
    pub fn fit(probs: &[f64], labels: &[bool]) -> Option<Calibration> {
        let pos = labels.iter().filter(|&&y| y).count();
        if pos == 0 || pos == labels.len() {
            return None;
        }
        let z: Vec<f64> = probs.iter().map(|&p| logit(p)).collect();
        let ridge = 1e-6 * labels.len() as f64;
        let loss = |a: f64, b: f64| -> f64 {
            let data: f64 = z
                .iter()
                .zip(labels)
                .map(|(&zi, &yi)| {
                    // log(1 + e^-m) with m the signed margin, computed without overflow
                    let m = if yi { a * zi + b } else { -(a * zi + b) };
                    if m >= 0.0 {
                        (-m).exp().ln_1p()
                    } else {
                        -m + m.exp().ln_1p()
                    }
                })
                .sum();
            data + 0.5 * ridge * ((a - 1.0).powi(2) + b * b)
        };
        let (mut a, mut b) = (0.0f64, 0.0f64);
        for _ in 0..100 {
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) =
                (ridge * (a - 1.0), ridge * b, ridge, 0.0, ridge);
            for (&zi, &yi) in z.iter().zip(labels) {
                let q = 1.0 / (1.0 + (-(a * zi + b)).exp());
                let r = q - f64::from(u8::from(yi));
                let w = q * (1.0 - q);
                ga += r * zi;
                gb += r;
                haa += w * zi * zi;
                hab += w * zi;
                hbb += w;
            }
            let det = haa * hbb - hab * hab;
            if det <= 0.0 || !det.is_finite() {
                break;
            }
            let da = (hbb * ga - hab * gb) / det;
            let db = (haa * gb - hab * ga) / det;
            let current = loss(a, b);
            let mut t = 1.0;
            while loss(a - t * da, b - t * db) > current && t > 1e-6 {
                t *= 0.5;
            }
            a -= t * da;
            b -= t * db;
            if t * (da.abs() + db.abs()) < 1e-10 {
                break;
            }
        }
        (a.is_finite() && b.is_finite() && a > 0.0).then_some(Calibration { scale: a, bias: b })
    }
}
