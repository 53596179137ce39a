//! The text side of the step verifier, with no model and no I/O: splitting a solution into steps,
//! the exact arithmetic checks, and final answers (extraction and equivalence). Pure Rust: shared
//! by the core (native and wasm32) and by the data readers, which so need no tensor library.

pub mod answer;
pub mod arith;
pub mod steps;

pub use arith::{Check, check_step, first_false_claim};
pub use steps::split_steps;
