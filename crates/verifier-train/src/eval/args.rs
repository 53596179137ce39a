//! The command-line arguments of `prm eval` and its subcommands.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::device;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub command: Option<EvalCommand>,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Subcommand, Debug)]
pub enum EvalCommand {
    /// F1 of first-error detection on ProcessBench-format files.
    Processbench(ProcessBenchArgs),
    /// Exercise mode: ProcessBench gsm8k and math with the answer (and a reference) known.
    Exercise(ExerciseArgs),
}

#[derive(Args, Debug)]
pub struct Common {
    /// Model directory (default: the shipped model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Step threshold (default: the one stored with the model).
    #[arg(long)]
    pub threshold: Option<f64>,
    #[arg(long, value_enum, default_value_t)]
    pub device: device::DeviceKind,
    /// Tokens per scoring batch.
    #[arg(long, default_value_t = 4096)]
    pub batch_tokens: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ProcessBenchArgs {
    #[command(flatten)]
    pub common: Common,
    /// ProcessBench JSON files: an array of {"id","problem","steps","label"}.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Judge by the model alone, without the arithmetic checks.
    #[arg(long)]
    pub no_checks: bool,
    /// Refuse the files if any item is bad (before any scoring); by default bad items are
    /// reported together and skipped.
    #[arg(long)]
    pub strict: bool,
    /// Keep the model's probabilities per file in this folder as they are computed: an
    /// interrupted run resumes where it stopped, and a re-run (another threshold) scores nothing.
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Choose the step rule (prior and threshold, the best mean F1 over these files, on the
    /// scores before the model's calibration and carried through it, as `prm eval` chooses on
    /// gsm8k) on the first N files, and judge every file by it instead of the stored rule.
    #[arg(long, value_name = "N", conflicts_with_all = ["threshold", "store_sweep"])]
    pub choose_on: Option<usize>,
    /// An ensemble: average the step and answer probabilities of these models (each before its
    /// calibration) with the --model's. The rule is then chosen on the averaged scores, so
    /// --choose-on is needed.
    #[arg(
        long,
        value_name = "DIR",
        requires = "choose_on",
        conflicts_with = "store_sweep"
    )]
    pub ensemble_with: Vec<PathBuf>,
    /// Store the threshold sweep of the four ProcessBench subsets (F1 and flag rates at every
    /// threshold, under the model's own rule) in the model's config.json: the demo's calibration
    /// view. The files must be gsm8k, math, olympiadbench and omnimath, every item scored.
    #[arg(long, conflicts_with_all = ["threshold", "no_checks"])]
    pub store_sweep: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalibrationSet {
    Prm800kTrain,
    ProcessbenchGsm8k,
}

impl CalibrationSet {
    /// The name on the command line and in the report.
    pub(super) fn name(self) -> &'static str {
        match self {
            CalibrationSet::Prm800kTrain => "prm800k-train",
            CalibrationSet::ProcessbenchGsm8k => "processbench-gsm8k",
        }
    }
}

/// Rated PRM800K phase-1 train rows used to fit the calibration.
pub(super) const CALIBRATION_ROWS: usize = 2000;

/// Where the evaluation sets are, and where their scores are kept.
#[derive(Args, Debug)]
pub struct Sets {
    /// The data folder (see the README's Data section).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Keep the model's probabilities per data set in this folder and reuse them while the model
    /// files and the items are unchanged (for re-running the metrics without re-scoring); they
    /// are written as they are computed, so an interrupted run resumes where it stopped.
    #[arg(long)]
    pub cache: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub sets: Sets,
    /// Folder for report.json and the plots.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Use only N items of every set (quick runs): the first N, or for ProcessBench (erroneous
    /// items first) and PRM800K test (4N rows; grouped by problem) N spread over the set.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Store the chosen threshold, the calibration fitted on the --calibrate-on set and the
    /// metrics in the model's config.json and card (the report then describes the model as updated).
    #[arg(long)]
    pub update_model: bool,
    /// Data the calibration is fitted on: a sample of PRM800K phase-1 train rows (the training
    /// distribution; part of them may have been drawn in training) or ProcessBench gsm8k.
    #[arg(long, value_enum, default_value = "prm800k-train")]
    pub calibrate_on: CalibrationSet,
}

#[derive(Args, Debug)]
pub struct ExerciseArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub sets: Sets,
    /// Folder for exercise.json.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Use only N items of each subset, spread over it (quick runs).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Store the chosen exercise rule in the model's config.json.
    #[arg(long)]
    pub update_model: bool,
    /// The subsets to measure (the rule is chosen on gsm8k, so it must come first when given).
    #[arg(long, value_delimiter = ',', default_values_t = ["gsm8k".to_string(), "math".to_string()])]
    pub subsets: Vec<String>,
    /// Take the exercise rule stored with the model instead of choosing one on gsm8k.
    #[arg(long)]
    pub stored_rule: bool,
    /// An ensemble: average the step and answer probabilities of these models (each before its
    /// calibration) with the --model's; the reference-free rule is then chosen on the averaged
    /// gsm8k scores, as `prm eval processbench --choose-on 1` chooses it.
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["stored_rule", "update_model", "threshold"]
    )]
    pub ensemble_with: Vec<PathBuf>,
    /// Also write every item's verdicts (JSON lines: the item's id, label, answer check, step
    /// scores and the first bad step in each mode), for error analysis.
    #[arg(long)]
    pub items_out: Option<PathBuf>,
}
