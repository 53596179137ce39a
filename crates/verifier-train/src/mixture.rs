//! The training data mixture: named sources in one table that the command line, sampling and the
//! model card read. A data set is added here (and given its pool in `train::Pools`).

use serde::{Deserialize, Serialize};

/// One source of training examples.
pub struct Source {
    /// Its name in `--mix`.
    pub name: &'static str,
    /// What it is, for `--help` and the model card.
    pub what: &'static str,
    /// Its draws are references with a mutation-made wrong step.
    pub mutated: bool,
    /// Its weight in the default mixture.
    pub default_weight: f64,
}

/// Every source, in the order of a recorded mixture's weights (a source added later goes last, so
/// that a recorded mixture from before it still reads).
pub const SOURCES: [Source; 8] = [
    Source {
        name: "prm800k",
        what: "PRM800K phase-1 trajectories with human step labels",
        mutated: false,
        default_weight: 0.45,
    },
    Source {
        name: "gsm8k-ref",
        what: "GSM8K reference solutions (every step correct)",
        mutated: false,
        default_weight: 0.08,
    },
    Source {
        name: "gsm8k-mut",
        what: "GSM8K references with one mutated wrong step",
        mutated: true,
        default_weight: 0.17,
    },
    Source {
        name: "math-ref",
        what: "MATH reference solutions (every step correct)",
        mutated: false,
        default_weight: 0.04,
    },
    Source {
        name: "math-mut",
        what: "MATH references with one mutated wrong step",
        mutated: true,
        default_weight: 0.11,
    },
    Source {
        name: "gsm8k-model",
        what: "GSM8K model solutions (answer labels; ORM)",
        mutated: false,
        default_weight: 0.15,
    },
    Source {
        name: "gsm8k-consistent",
        what: "GSM8K references with one step's reasoning made wrong and its arithmetic kept true \
               (another quantity or operation, the result recomputed)",
        mutated: true,
        default_weight: 0.0,
    },
    Source {
        name: "prm800k-pairs",
        what: "PRM800K sibling steps drawn as a pair: the same solution so far, one next step \
               rated right and one rated wrong (--ranking-weight ranks them)",
        mutated: false,
        default_weight: 0.0,
    },
];

/// How many sources the first recorded mixtures have (before `gsm8k-consistent` was added); a
/// record with fewer weights than [`SOURCES`] but at least these reads with 0 for the later ones.
const FIRST_RECORDED_SOURCES: usize = 6;

/// Weights over [`SOURCES`], in their order. Written on the command line by name
/// (`prm800k=0.45,gsm8k-ref=0.08`; unnamed sources get 0) or as one number per source in table
/// order; recorded in a model's config as those numbers (a record of the first six or seven
/// sources reads with 0 for the later ones).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct Mix(pub [f64; SOURCES.len()]);

impl Mix {
    /// The default mixture.
    pub fn default_mix() -> Self {
        Mix(SOURCES.map(|s| s.default_weight))
    }

    /// Whether any draw is a mutated reference.
    pub fn draws_mutations(&self) -> bool {
        SOURCES
            .iter()
            .zip(self.0)
            .any(|(s, w)| s.mutated && w > 0.0)
    }

    /// The sum of the weights.
    pub fn total(&self) -> f64 {
        self.0.iter().sum()
    }

    /// The name of the source a number in `[0, total)` falls on.
    pub fn pick(&self, x: f64) -> &'static str {
        let mut x = x;
        for (s, w) in SOURCES.iter().zip(self.0) {
            if x < w {
                return s.name;
            }
            x -= w;
        }
        // rounding at the top end: the last source with weight
        SOURCES
            .iter()
            .zip(self.0)
            .rev()
            .find(|(_, w)| *w > 0.0)
            .map_or(SOURCES[0].name, |(s, _)| s.name)
    }

    fn checked(weights: [f64; SOURCES.len()]) -> Result<Self, String> {
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || weights.iter().sum::<f64>() <= 0.0
        {
            return Err("--mix weights must be finite, not negative, and not all zero".into());
        }
        Ok(Mix(weights))
    }
}

impl TryFrom<Vec<f64>> for Mix {
    type Error = String;
    fn try_from(mut v: Vec<f64>) -> Result<Self, String> {
        if (FIRST_RECORDED_SOURCES..SOURCES.len()).contains(&v.len()) {
            v.resize(SOURCES.len(), 0.0);
        }
        let weights: [f64; SOURCES.len()] = v.try_into().map_err(|v: Vec<f64>| {
            format!("a mixture has {} weights, not {}", SOURCES.len(), v.len())
        })?;
        Mix::checked(weights)
    }
}

impl From<Mix> for Vec<f64> {
    fn from(m: Mix) -> Self {
        m.0.to_vec()
    }
}

impl std::str::FromStr for Mix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if !s.contains('=') {
            let v: Vec<f64> = s
                .split(',')
                .map(|w| {
                    w.trim()
                        .parse::<f64>()
                        .map_err(|e| format!("--mix weight {w:?}: {e}"))
                })
                .collect::<Result<_, _>>()?;
            return Mix::try_from(v);
        }
        let mut weights = [0.0; SOURCES.len()];
        for part in s.split(',') {
            let (name, w) = part
                .split_once('=')
                .ok_or_else(|| format!("--mix: {part:?} is not name=weight"))?;
            let i = SOURCES
                .iter()
                .position(|src| src.name == name.trim())
                .ok_or_else(|| {
                    let names: Vec<String> = SOURCES
                        .iter()
                        .map(|s| format!("{} ({})", s.name, s.what))
                        .collect();
                    format!(
                        "--mix: unknown source {name:?}; the sources: {}",
                        names.join(", ")
                    )
                })?;
            weights[i] = w
                .trim()
                .parse()
                .map_err(|e| format!("--mix weight of {name}: {e}"))?;
        }
        Mix::checked(weights)
    }
}

impl std::fmt::Display for Mix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = SOURCES
            .iter()
            .zip(self.0)
            .filter(|(_, w)| *w > 0.0)
            .map(|(s, w)| format!("{}={w}", s.name))
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_positional_and_recorded_mixtures_agree() -> Result<(), String> {
        let named: Mix = "prm800k=0.45,gsm8k-ref=0.08,math-ref=0.04,gsm8k-model=0.15".parse()?;
        let positional: Mix = "0.45,0.08,0,0.04,0,0.15".parse()?;
        assert_eq!(named, positional);
        assert!(!named.draws_mutations());
        assert!(Mix::default_mix().draws_mutations());
        assert_eq!(named.to_string().parse::<Mix>()?, named);
        let recorded: Mix =
            serde_json::from_str("[0.45, 0.08, 0, 0.04, 0, 0.15]").map_err(|e| e.to_string())?;
        assert_eq!(recorded, named);
        assert_eq!(
            serde_json::to_string(&named).map_err(|e| e.to_string())?,
            "[0.45,0.08,0.0,0.04,0.0,0.15,0.0,0.0]"
        );
        let seven: Mix =
            serde_json::from_str("[0.45, 0.08, 0, 0.04, 0, 0.15, 0]").map_err(|e| e.to_string())?;
        assert_eq!(seven, named);
        let consistent: Mix = "prm800k=0.45,gsm8k-consistent=0.1".parse()?;
        assert!(consistent.draws_mutations());
        assert_eq!(consistent.pick(0.5), "gsm8k-consistent");
        for bad in ["prm800k=-1", "nope=1", "0.5,0.5", "prm800k=0", "prm800k"] {
            assert!(bad.parse::<Mix>().is_err(), "{bad}");
        }
        // draws follow the weights
        let m: Mix = "prm800k=1,gsm8k-model=3".parse()?;
        assert_eq!(m.total(), 4.0);
        assert_eq!(m.pick(0.4), "prm800k");
        assert_eq!(m.pick(1.2), "gsm8k-model");
        assert_eq!(m.pick(3.999_999), "gsm8k-model");
        Ok(())
    }
}
