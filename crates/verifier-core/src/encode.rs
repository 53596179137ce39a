//! From text to token blocks: the problem block, one block per step, and the windows that keep a
//! long solution inside the model's position range.
//!
//! Layout of one model input: `[CLS] problem [SEP] step_1 [SEP] step_2 [SEP] ...`. The `[SEP]`
//! that ends a step is the step marker: the PRM head reads the hidden state there. Every step is
//! tokenized on its own, so a step's tokens never depend on later steps.
//!
//! Over-long input policy (documented in the README): a problem is cut to
//! [`Limits::max_problem_tokens`] tokens and a step to [`Limits::max_step_tokens`] tokens, each with
//! a warning; a solution with more than [`Limits::max_steps`] steps is refused. A solution longer
//! than the position range is scored in windows (see [`plan_windows`]), so it still gets exactly
//! one score per step. A streamed session holds the keys and values of one window only, so its
//! memory and its cost per step do not grow with its length: it takes up to [`MAX_STREAM_STEPS`].

use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use crate::error::{Result, VerifierError};

/// Steps one streamed session takes (its step texts are kept for the verdict; the model's keys
/// and values are kept for the current window only).
pub const MAX_STREAM_STEPS: usize = 4096;

/// Input-size limits; stored with the model so the browser and the CLI agree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    pub max_problem_tokens: usize,
    pub max_step_tokens: usize,
    pub max_steps: usize,
    pub max_positions: usize,
    /// Characters of one step (or of the problem) looked at before tokenizing; bounds the work
    /// on a huge paste. Always far more than `max_*_tokens` tokens need.
    pub max_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_problem_tokens: 192,
            max_step_tokens: 128,
            max_steps: 256,
            max_positions: 512,
            max_chars: 8192,
        }
    }
}

/// A tokenized problem and steps, each block ending with the marker token.
#[derive(Clone, Debug, PartialEq)]
pub struct Encoded {
    /// `[CLS] problem [SEP]`
    pub problem: Vec<u32>,
    /// `step [SEP]` for each step.
    pub steps: Vec<Vec<u32>>,
    /// Human-readable notes about truncation.
    pub warnings: Vec<String>,
}

/// Steps `context` are re-read for context only; steps `scored` get their scores from this window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    pub context: std::ops::Range<usize>,
    pub scored: std::ops::Range<usize>,
}

/// Wraps the WordPiece tokenizer with the special tokens and limits the model needs.
#[derive(Clone)]
pub struct StepEncoder {
    tokenizer: Tokenizer,
    pub cls: u32,
    pub sep: u32,
    pub pad: u32,
    pub limits: Limits,
}

impl StepEncoder {
    /// Build from the bytes of a `tokenizer.json`.
    pub fn from_bytes(bytes: &[u8], limits: Limits) -> Result<Self> {
        let mut tokenizer = Tokenizer::from_bytes(bytes)
            .map_err(|e| VerifierError::Tokenizer(format!("cannot read tokenizer.json: {e}")))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| VerifierError::Tokenizer(e.to_string()))?;
        let id = |t: &str| {
            tokenizer
                .token_to_id(t)
                .ok_or_else(|| VerifierError::Tokenizer(format!("tokenizer has no {t} token")))
        };
        let (cls, sep, pad) = (id("[CLS]")?, id("[SEP]")?, id("[PAD]")?);
        if limits.max_problem_tokens + limits.max_step_tokens + 3 > limits.max_positions {
            return Err(VerifierError::Config(
                "limits leave no room for one step after the problem".into(),
            ));
        }
        Ok(StepEncoder {
            tokenizer,
            cls,
            sep,
            pad,
            limits,
        })
    }

    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    fn tokens(
        &self,
        text: &str,
        max_tokens: usize,
        what: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<u32>> {
        let mut text = text;
        let bytes = text.len();
        if bytes > self.limits.max_chars {
            let mut cut = self.limits.max_chars;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text = &text[..cut];
        }
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| VerifierError::Tokenizer(e.to_string()))?;
        let mut ids = enc.get_ids().to_vec();
        if ids.len() > max_tokens {
            warnings.push(format!(
                "{what} was cut to its first {max_tokens} tokens (it has more)"
            ));
            ids.truncate(max_tokens);
        } else if text.len() < bytes {
            warnings.push(format!(
                "{what} was cut to its first {} bytes (it has {bytes})",
                text.len()
            ));
        }
        Ok(ids)
    }

    /// Tokenize the problem block `[CLS] problem [SEP]`.
    pub fn encode_problem(&self, problem: &str, warnings: &mut Vec<String>) -> Result<Vec<u32>> {
        if problem.trim().is_empty() {
            return Err(VerifierError::BadInput("the problem is empty".into()));
        }
        let mut ids = vec![self.cls];
        ids.extend(self.tokens(
            problem,
            self.limits.max_problem_tokens,
            "the problem",
            warnings,
        )?);
        ids.push(self.sep);
        Ok(ids)
    }

    /// Tokenize one step block `step [SEP]`; `index` is 0-based and only used in messages.
    pub fn encode_step(
        &self,
        step: &str,
        index: usize,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<u32>> {
        if step.trim().is_empty() {
            return Err(VerifierError::BadInput(format!(
                "step {} is empty",
                index + 1
            )));
        }
        let what = format!("step {}", index + 1);
        let mut ids = self.tokens(step, self.limits.max_step_tokens, &what, warnings)?;
        ids.push(self.sep);
        Ok(ids)
    }

    fn too_many_steps(&self, n: usize) -> VerifierError {
        VerifierError::BadInput(format!(
            "too many steps: {n} (at most {} are scored)",
            self.limits.max_steps
        ))
    }

    /// Tokenize a problem and its steps.
    pub fn encode<S: AsRef<str>>(&self, problem: &str, steps: &[S]) -> Result<Encoded> {
        if steps.is_empty() {
            return Err(VerifierError::BadInput("the solution has no steps".into()));
        }
        if steps.len() > self.limits.max_steps {
            return Err(self.too_many_steps(steps.len()));
        }
        let mut warnings = Vec::new();
        let problem = self.encode_problem(problem, &mut warnings)?;
        let steps = steps
            .iter()
            .enumerate()
            .map(|(i, s)| self.encode_step(s.as_ref(), i, &mut warnings))
            .collect::<Result<Vec<_>>>()?;
        Ok(Encoded {
            problem,
            steps,
            warnings,
        })
    }
}

/// Split steps into windows that fit `max_positions` together with the problem.
///
/// Greedy and prefix-stable: the window a step is scored in depends only on that step and the
/// steps before it, so streaming and whole-solution scoring agree. When a step does not fit, a new
/// window starts that re-reads, as context, the longest run of immediately preceding steps that
/// fills at most half of the room left by the problem.
pub fn plan_windows(problem_len: usize, step_lens: &[usize], max_positions: usize) -> Vec<Window> {
    let room = max_positions.saturating_sub(problem_len);
    let mut windows = Vec::new();
    let mut current = Window {
        context: 0..0,
        scored: 0..0,
    };
    let mut used = 0usize;
    for (k, &len) in step_lens.iter().enumerate() {
        if used + len <= room || current.scored.is_empty() {
            current.scored.end = k + 1;
            used += len;
            continue;
        }
        windows.push(current);
        // Context: a suffix of the steps before k within half the room (and leaving room for k).
        let cap = (room / 2).min(room.saturating_sub(len));
        let mut start = k;
        let mut ctx = 0;
        while start > 0 && ctx + step_lens[start - 1] <= cap {
            start -= 1;
            ctx += step_lens[start];
        }
        current = Window {
            context: start..k,
            scored: k..k + 1,
        };
        used = ctx + len;
    }
    if !current.scored.is_empty() {
        windows.push(current);
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_window_when_it_fits() {
        let w = plan_windows(10, &[5, 5, 5], 100);
        assert_eq!(
            w,
            vec![Window {
                context: 0..0,
                scored: 0..3
            }]
        );
    }

    #[test]
    fn windows_cover_every_step_once_and_fit() {
        let lens: Vec<usize> = (0..60).map(|i| 3 + (i * 7) % 40).collect();
        let problem = 50;
        let max = 200;
        let w = plan_windows(problem, &lens, max);
        let mut next = 0;
        for win in &w {
            assert_eq!(win.scored.start, next);
            assert_eq!(win.context.end, win.scored.start);
            next = win.scored.end;
            let total: usize = problem
                + lens[win.context.start..win.scored.end]
                    .iter()
                    .sum::<usize>();
            assert!(total <= max, "window {win:?} has {total} positions");
        }
        assert_eq!(next, lens.len());
    }

    #[test]
    fn windows_are_prefix_stable() {
        let lens: Vec<usize> = (0..40).map(|i| 10 + (i * 13) % 50).collect();
        let full = plan_windows(30, &lens, 256);
        for n in 1..lens.len() {
            let part = plan_windows(30, &lens[..n], 256);
            // every step of the prefix is scored in the same window (same context) as in full
            for k in 0..n {
                let a = part.iter().find(|w| w.scored.contains(&k)).unwrap();
                let b = full.iter().find(|w| w.scored.contains(&k)).unwrap();
                assert_eq!(a.context, b.context);
                assert_eq!(a.scored.start, b.scored.start);
            }
        }
    }
}
