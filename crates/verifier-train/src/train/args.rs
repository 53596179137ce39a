//! `prm train`'s command line: the recipe (data mixture, schedule, loss weights), where it runs
//! (devices and how they share the work) and when it stops.

use std::path::PathBuf;

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::{
    device::{self, DeviceSpec},
    mixture::Mix,
    pretrained,
};

#[derive(Args, Debug, Clone, Serialize, Deserialize)]
pub struct TrainArgs {
    /// Data folder.
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Folder of the pretrained all-MiniLM-L6-v2 (model.safetensors + tokenizer.json).
    #[arg(long, default_value = ".cache/minilm")]
    pub minilm: PathBuf,
    /// Where the finished model directory is written.
    #[arg(long, default_value = "models/verifier")]
    pub out: PathBuf,
    /// Checkpoint folder (weights, optimizer, progress).
    #[arg(long, default_value = "target/train")]
    pub work: PathBuf,
    /// Optimizer steps in all.
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    /// Token budget of one batch (sequences x padded length).
    #[arg(long, default_value_t = 3072)]
    pub batch_tokens: usize,
    /// Peak learning rate (linear warm-up over 5% of the steps, then --schedule).
    #[arg(long, default_value_t = 5e-5)]
    pub lr: f64,
    /// Learning rate after the warm-up.
    #[arg(long, value_enum, default_value_t = Schedule::Linear)]
    #[serde(default)]
    pub schedule: Schedule,
    /// Weight of the ORM loss next to the PRM loss.
    #[arg(long, default_value_t = 0.5)]
    pub orm_weight: f64,
    /// Weight of a localisation loss beside them: in each solution that ends in a wrong step,
    /// a softmax over its steps should pick that step (0: off).
    #[arg(long, default_value_t = 0.0)]
    #[serde(default)]
    pub localisation_weight: f64,
    /// Weight of a ranking loss on the sibling pairs that `prm800k-pairs` in --mix draws: the
    /// step rated right should score above its sibling rated wrong (0: the pairs are plain
    /// training rows).
    #[arg(long, default_value_t = 0.0)]
    #[serde(default)]
    pub ranking_weight: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Checkpoint every this many steps.
    #[arg(long, default_value_t = 50)]
    pub checkpoint_every: usize,
    /// Continue from the checkpoint in --work.
    #[arg(long)]
    pub resume: bool,
    /// Stop (checkpoint and write the model) after this many minutes.
    #[arg(long)]
    pub max_minutes: Option<f64>,
    /// Stop (checkpoint and write the model) at this step; unlike a smaller --steps it does not
    /// change the learning-rate schedule.
    #[arg(long)]
    pub stop_at_step: Option<usize>,
    /// Also train the word embeddings (frozen by default: cheaper on CPU).
    #[arg(long)]
    pub train_embeddings: bool,
    /// Longest window trained on, in tokens (the model reads up to 512).
    #[arg(long, default_value_t = 384)]
    pub max_train_tokens: usize,
    /// Start from random weights instead of the pretrained checkpoint (ablation).
    #[arg(long)]
    pub from_scratch: bool,
    /// The data mixture, by source: prm800k, gsm8k-ref, gsm8k-mut, math-ref, math-mut,
    /// gsm8k-model, gsm8k-consistent, prm800k-pairs (`name=weight,...`; a source not named gets 0; see
    /// `mixture::SOURCES`).
    #[arg(
        long,
        default_value_t = Mix::default_mix()
    )]
    pub mix: Mix,
    /// One device (kept for older command lines; --devices takes precedence).
    #[arg(long, value_enum, default_value_t)]
    #[serde(default)]
    pub device: device::DeviceKind,
    /// The devices to train on, comma-separated: cpu, wgpu[:N], cuda:N (a `cuda` build),
    /// remote:ws://HOST:PORT (a `prm serve-device`). Several train data-parallel (--strategy);
    /// --batch-tokens is shared among them.
    #[arg(long, value_delimiter = ',')]
    #[serde(default)]
    pub devices: Vec<DeviceSpec>,
    /// How several devices train together.
    #[arg(long, value_enum, default_value_t)]
    #[serde(default)]
    pub strategy: Strategy,
    /// Batches of the validation slice (PRM800K test solutions) scored after every checkpoint
    /// interval: loss and step AUC (a monitor; with few wrong steps in it, the AUC is noisy).
    #[arg(long, default_value_t = 16)]
    #[serde(default = "default_valid_batches")]
    pub valid_batches: usize,
    /// PRM800K steps rated neutral (0): supervised as correct, or not supervised at all.
    #[arg(long, value_enum, default_value_t = Neutral::Correct)]
    #[serde(default)]
    pub neutral: Neutral,
    /// Encoder layers: fewer than MiniLM's 6 keeps its first N (smaller, faster); more stacks
    /// copies of its top layers on it (larger), within the browser's parameter budget.
    #[arg(long, default_value_t = pretrained::minilm_layers())]
    #[serde(default = "pretrained::minilm_layers")]
    pub layers: usize,
    /// Give the GSM8K model solutions step labels too, derived from their outcome and the
    /// arithmetic checks (`LabeledSolution::with_outcome_step_labels`); without it they
    /// supervise only the answer head.
    #[arg(long)]
    #[serde(default)]
    pub outcome_step_labels: bool,
    /// More labelled rows, in the PRM800K phase-1 format (e.g. exported by the labelling page,
    /// web/label.html), drawn beside the mixture (see --extra-weight).
    #[arg(long, value_name = "FILE")]
    #[serde(default)]
    pub extra: Option<PathBuf>,
    /// The share of the draws taken from --extra.
    #[arg(long, default_value_t = 0.2)]
    #[serde(default)]
    pub extra_weight: f64,
}

fn default_valid_batches() -> usize {
    16
}

impl TrainArgs {
    /// The devices trained on: --devices, else --device.
    pub fn device_list(&self) -> Vec<DeviceSpec> {
        if !self.devices.is_empty() {
            return self.devices.clone();
        }
        vec![self.device.into()]
    }
}

/// How the learning rate moves from its peak to 10% of it over the steps after the warm-up.
#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// A straight line.
    #[default]
    Linear,
    /// Half a cosine (stays near the peak longer, then falls faster).
    Cosine,
    /// No decay: the peak until the end.
    Constant,
}

/// What training does with the steps PRM800K's raters called neutral.
#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Neutral {
    /// A neutral step is a correct step (the usual convention).
    #[default]
    Correct,
    /// A neutral step gets no step loss (it still stands in the context of later steps).
    Drop,
}

/// How several devices train together.
#[derive(clap::ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Data parallel: each device computes the gradients of its batch; the optimizer runs on the
    /// first device (burn-train's `MultiDevice` with `OptimMainDevice`).
    #[default]
    Main,
    /// Data parallel with the optimizer state sharded across the devices (`OptimSharded`).
    Sharded,
    /// Distributed data parallel: gradients all-reduced by burn's collective operations
    /// (`DistributedDataParallel`; CUDA devices only in burn 0.22).
    Ddp,
}
