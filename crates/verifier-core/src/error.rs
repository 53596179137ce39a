//! Errors of the verifier core. Every message is one clear line for a user.

/// What can go wrong between input text and a verdict.
#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    #[error("bad input: {0}")]
    BadInput(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("model config: {0}")]
    Config(String),
    #[error("weights: {0}")]
    Weights(String),
}

pub type Result<T> = std::result::Result<T, VerifierError>;
