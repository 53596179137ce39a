//! Datasets for training and evaluating the verifier: PRM800K step labels, GSM8K and MATH
//! references (with mutation-made wrong steps), GSM8K model solutions, ProcessBench and best-of-N
//! sets; answer grading; and the list of evaluation problems never trained on.

pub mod consistent;
pub mod mutate;
pub mod sources;

use std::path::{Path, PathBuf};

use serde::{Deserialize, de::DeserializeOwned};

/// Errors reading data files; one line each.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("data folder {0} not found (pass --data DIR; see the README for ../shared/data)")]
    MissingDir(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

pub type Result<T> = std::result::Result<T, DataError>;

/// A solution with step labels: `labels[i]` says whether the reasoning is still correct after
/// step `i`; only steps `0..labels.len()` are supervised (up to and including the first error).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabeledSolution {
    pub problem: String,
    pub steps: Vec<String>,
    pub labels: Vec<bool>,
    /// Supervised steps the raters called neutral (PRM800K rating 0): counted as correct in
    /// `labels`; a trainer may drop them instead (`prm train --neutral drop`).
    pub neutral: Vec<usize>,
    /// Whether the final answer is right, when known (ORM label).
    pub answer_correct: Option<bool>,
    pub source: &'static str,
}

impl LabeledSolution {
    /// Index of the first wrong step among the supervised ones.
    pub fn first_error(&self) -> Option<usize> {
        self.labels.iter().position(|&l| !l)
    }

    /// Step labels derived from the outcome label and the exact arithmetic checks, for a solution
    /// that has only an outcome label (weak supervision in the manner of Math-Shepherd): the first
    /// step with a false arithmetic claim is wrong and the steps before it are taken as correct;
    /// with no false claim, a right final answer makes every step correct and a wrong one leaves
    /// the steps unsupervised (where the error is, is unknown). Existing labels are kept.
    pub fn with_outcome_step_labels(mut self) -> Self {
        if !self.labels.is_empty() {
            return self;
        }
        self.labels = match (
            verifier_text::first_false_claim(&self.steps),
            self.answer_correct,
        ) {
            (Some(k), _) => (0..=k).map(|i| i < k).collect(),
            (None, Some(true)) => vec![true; self.steps.len()],
            (None, _) => Vec::new(),
        };
        self
    }
}

/// The data folder (`../shared/data` by default).
#[derive(Clone, Debug)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        if !root.is_dir() {
            return Err(DataError::MissingDir(root));
        }
        Ok(DataDir { root })
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

/// Read a whole file (clear error naming the path).
pub fn read_file(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Read a JSON-lines file into `T`s.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let text = read_file(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| DataError::Parse {
                path: path.to_path_buf(),
                line: i + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

/// Read a JSON file holding one value.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = read_file(path)?;
    serde_json::from_str(&text).map_err(|e| DataError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        message: e.to_string(),
    })
}

/// Key used to recognise the same problem across datasets.
pub fn problem_key(problem: &str) -> String {
    problem
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A claim in a correct reference solution that is false as written, checked by hand.
#[derive(Clone, Debug, Deserialize)]
pub struct ReferenceError {
    /// `gsm8k` or `math` (train splits).
    pub dataset: String,
    /// The claim as the arithmetic checker reports it.
    pub claim: String,
    pub note: String,
}

/// The hand-checked arithmetic errors in the GSM8K and MATH train references.
pub fn reference_errors() -> Result<Vec<ReferenceError>> {
    #[derive(Deserialize)]
    struct File {
        errors: Vec<ReferenceError>,
    }
    serde_json::from_str::<File>(include_str!("../data/reference_errors.json"))
        .map(|f| f.errors)
        .map_err(|e| DataError::Parse {
            path: "crates/verifier-data/data/reference_errors.json".into(),
            line: e.line(),
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reference_errors_parse() -> Result<(), crate::DataError> {
        let e = super::reference_errors()?;
        assert!(e.len() >= 20);
        assert!(
            e.iter()
                .all(|e| matches!(e.dataset.as_str(), "gsm8k" | "math") && !e.claim.is_empty())
        );
        Ok(())
    }

    fn outcome_only(steps: &[&str], right: bool) -> super::LabeledSolution {
        super::LabeledSolution {
            problem: "P".into(),
            steps: steps.iter().map(|s| s.to_string()).collect(),
            answer_correct: Some(right),
            ..Default::default()
        }
    }

    /// The first false claim is the first wrong step whatever the answer; without one, a right
    /// answer makes every step correct and a wrong one supervises no step.
    #[test]
    fn outcome_step_labels() {
        let steps = [
            "She has 3 + 4 = 7 apples.",
            "Then 7 * 2 = 15.",
            "So 15 - 1 = 14.",
        ];
        for right in [true, false] {
            assert_eq!(
                outcome_only(&steps, right)
                    .with_outcome_step_labels()
                    .labels,
                [true, false]
            );
        }
        let clean = ["She has 3 + 4 = 7 apples.", "Twice that is 14."];
        assert_eq!(
            outcome_only(&clean, true).with_outcome_step_labels().labels,
            [true, true]
        );
        assert!(
            outcome_only(&clean, false)
                .with_outcome_step_labels()
                .labels
                .is_empty()
        );
        let mut labelled = outcome_only(&steps, true);
        labelled.labels = vec![true, true, true];
        assert_eq!(
            labelled.with_outcome_step_labels().labels,
            [true, true, true]
        );
    }
}
