//! The score request: `{"problem": "...", "steps": [...]}` or `{"problem": "...", "solution": "..."}`,
//! optionally with what the caller knows of the exercise: `"answer"` (the final answer) and
//! `"reference"` (a reference solution, a text or a list of steps).

use serde::Deserialize;

use crate::{
    decision::Exercise,
    error::{Result, VerifierError},
    steps::split_steps,
};

/// Largest request accepted, in bytes.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    problem: String,
    #[serde(default)]
    steps: Option<Vec<String>>,
    #[serde(default)]
    solution: Option<String>,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    reference: Option<ReferenceField>,
}

/// A reference solution as a text or as steps.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ReferenceField {
    Text(String),
    Steps(Vec<String>),
}

impl ReferenceField {
    /// The reference's steps (a text is split by the shared splitter).
    pub fn into_steps(self) -> Vec<String> {
        match self {
            ReferenceField::Text(t) => split_steps(&t),
            ReferenceField::Steps(s) => s,
        }
    }
}

/// A problem and its solution steps, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreRequest {
    pub problem: String,
    pub steps: Vec<String>,
    /// The known final answer (exercise mode).
    pub answer: Option<String>,
    /// A reference solution's steps (exercise mode).
    pub reference: Option<Vec<String>>,
}

impl ScoreRequest {
    /// Build from a problem and a solution text, split by the shared splitter.
    pub fn from_solution(problem: &str, solution: &str) -> Result<Self> {
        Self::new(problem.to_string(), split_steps(solution))
    }

    /// Build from a problem and explicit steps (blank steps are refused, not dropped, so the
    /// step indices the caller sees stay the indices it sent).
    pub fn new(problem: String, steps: Vec<String>) -> Result<Self> {
        if problem.trim().is_empty() {
            return Err(VerifierError::BadInput("the problem is empty".into()));
        }
        if steps.is_empty() {
            return Err(VerifierError::BadInput("the solution has no steps".into()));
        }
        if let Some(i) = steps.iter().position(|s| s.trim().is_empty()) {
            return Err(VerifierError::BadInput(format!("step {} is empty", i + 1)));
        }
        Ok(ScoreRequest {
            problem,
            steps,
            answer: None,
            reference: None,
        })
    }

    /// The same request with what the caller knows of the exercise.
    pub fn with_exercise(mut self, answer: Option<String>, reference: Option<Vec<String>>) -> Self {
        self.answer = answer;
        self.reference = reference;
        self
    }

    /// What the request knows of the exercise, ready for the decision (`None` when nothing).
    pub fn exercise(&self) -> Option<Exercise> {
        if self.answer.is_none() && self.reference.is_none() {
            return None;
        }
        Some(Exercise::new(
            &self.problem,
            self.answer.as_deref(),
            self.reference.as_deref(),
        ))
    }

    /// Parse request JSON bytes (must be UTF-8).
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_REQUEST_BYTES {
            return Err(VerifierError::BadInput(format!(
                "input is {} bytes; at most {MAX_REQUEST_BYTES} are accepted",
                bytes.len()
            )));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(VerifierError::BadInput("input is empty".into()));
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            VerifierError::BadInput(format!("input is not UTF-8 (byte {})", e.valid_up_to()))
        })?;
        let raw: RawRequest = serde_json::from_str(text).map_err(|e| {
            VerifierError::BadInput(format!(
                "malformed JSON ({e}); expected {{\"problem\": str, \"steps\": [str]}} or {{\"problem\": str, \"solution\": str}}"
            ))
        })?;
        let reference = raw.reference.map(ReferenceField::into_steps);
        let req = match (raw.steps, raw.solution) {
            (Some(steps), None) => Self::new(raw.problem, steps),
            (None, Some(solution)) => Self::from_solution(&raw.problem, &solution),
            (Some(_), Some(_)) => Err(VerifierError::BadInput(
                "give either \"steps\" or \"solution\", not both".into(),
            )),
            (None, None) => Err(VerifierError::BadInput(
                "missing \"steps\" (a list) or \"solution\" (a text)".into(),
            )),
        }?;
        Ok(req.with_exercise(raw.answer, reference))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes() {
        let a = ScoreRequest::from_json(br#"{"problem":"p","steps":["a","b"]}"#).unwrap();
        assert_eq!(a.steps, vec!["a", "b"]);
        let b = ScoreRequest::from_json(br#"{"problem":"p","solution":"a\nb"}"#).unwrap();
        assert_eq!(a, b);
        assert!(a.exercise().is_none());
    }

    #[test]
    fn answer_and_reference_are_optional_fields() -> Result<()> {
        let r = ScoreRequest::from_json(
            br#"{"problem":"p 3","steps":["a"],"answer":"38","reference":"3 + 4 = 7\nso 38"}"#,
        )?;
        assert_eq!(r.answer.as_deref(), Some("38"));
        assert_eq!(r.reference.as_ref().map(Vec::len), Some(2));
        let l =
            ScoreRequest::from_json(br#"{"problem":"p","steps":["a"],"reference":["x","y","z"]}"#)?;
        assert_eq!(l.reference.map(|r| r.len()), Some(3));
        let err = ScoreRequest::from_json(br#"{"problem":"p","steps":["a"],"answer":7}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("malformed JSON"), "{err}");
        Ok(())
    }

    #[test]
    fn bad_inputs_are_clear_errors() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty"),
            (b"{", "malformed JSON"),
            (b"{\"problem\":\"\",\"steps\":[\"a\"]}", "problem is empty"),
            (b"{\"problem\":\"p\",\"steps\":[]}", "no steps"),
            (b"{\"problem\":\"p\",\"solution\":\"  \"}", "no steps"),
            (
                b"{\"problem\":\"p\",\"steps\":[\"a\",\" \"]}",
                "step 2 is empty",
            ),
            (b"{\"problem\":\"p\"}", "missing"),
            (
                b"{\"problem\":\"p\",\"steps\":[\"a\"],\"solution\":\"a\"}",
                "not both",
            ),
            (b"{\"problem\":\"\xff\",\"steps\":[\"a\"]}", "not UTF-8"),
            (
                b"{\"problem\":\"p\",\"steps\":[\"a\"],\"x\":1}",
                "unknown field",
            ),
        ];
        for (input, want) in cases {
            let err = ScoreRequest::from_json(input).unwrap_err().to_string();
            assert!(err.contains(want), "{err:?} should mention {want:?}");
            assert!(!err.contains('\n'), "one line: {err:?}");
        }
    }
}
