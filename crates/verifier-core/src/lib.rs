//! Verifier core: the one place where steps are split, text becomes model input, the model is
//! defined, and scores become a verdict. No file or network I/O; compiles for native and wasm32.

pub mod decision;
pub mod encode;
pub mod error;
pub mod input;
pub mod model;
pub mod quant;
pub mod scorer;
pub mod search;
pub mod select;
pub mod verdict;

pub use decision::{Calibration, Decision, Exercise, ExerciseRule, StepRule};
pub use encode::{Encoded, Limits, StepEncoder};
pub use error::{Result, VerifierError};
pub use input::ScoreRequest;
pub use model::{Verifier, VerifierConfig};
pub use scorer::{FileDigest, ModelConfig, ModelFiles, Scorer, Stream};
pub use verdict::{Aggregate, AnswerCheck, FlagReason, StepVerdict, Verdict};
pub use verifier_text::{Check, arith, check_step, first_false_claim, split_steps, steps};
