//! Training, evaluation and the command-line operations of the step verifier, as a library: the
//! `prm` binary (crate `prm-cli`) is a thin clap front end over it. One module per command
//! (`score`, `eval`, `search`, `select`, `train`, `average`, `checks`, `samples`) and the pieces they share: model
//! directories on disk, batched scoring, metrics, the model card, plots, the data mixture.

pub mod average;
pub mod batch;
pub mod card;
pub mod checks;
pub mod device;
pub mod eval;
pub mod metrics;
pub mod mixture;
pub mod model_dir;
pub mod plots;
pub mod pretrained;
pub mod report;
pub mod samples;
pub mod score;
pub mod search;
pub mod select;
pub mod train;
