//! `prm eval`: ProcessBench F1 (threshold chosen on the gsm8k subset only), step ROC-AUC and
//! calibration on PRM800K phase-1 test, best-of-N on held-out GSM8K (best-of-4) and
//! `qwen_math_cot_100` (best-of-8); a JSON report and plots.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use verifier_core::{
    Aggregate, Calibration, Check, Scorer, StepRule, check_step,
    decision::{check_threshold, combine, logit, sigmoid},
};
use verifier_data::{DataDir, sources};

mod cache;
mod pbset;
mod print;
mod report;
#[cfg(test)]
mod tests;

pub(crate) use cache::{ScoreCache, score_items};
use pbset::{CHECKS_RULE, POSITION_DECAYS, cumulative, gated, position_scaled, score_processbench};
pub(crate) use print::print_pb_table;
use print::{describe, print_report};
use report::run_report;

use crate::{
    batch::{StepProbs, score_all},
    device,
    metrics::{self, Scored, Selector},
    model_dir, plots,
};

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
    Exercise(crate::exercise::ExerciseArgs),
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
}

/// Check every item before the first forward pass: the items that can be scored, and one line
/// per item that cannot (its index, id and what is wrong).
fn validate(
    scorer: &Scorer,
    file: &Path,
    items: Vec<sources::ProcessBenchItem>,
) -> (Vec<sources::ProcessBenchItem>, Vec<String>) {
    let mut bad = Vec::new();
    let good = items
        .into_iter()
        .enumerate()
        .filter_map(|(i, it)| {
            let check = verifier_core::ScoreRequest::new(it.problem.clone(), it.steps.clone())
                .and_then(|r| scorer.encoder.encode(&r.problem, &r.steps).map(|_| ()));
            match check {
                Ok(()) => Some(it),
                Err(e) => {
                    bad.push(format!(
                        "{} item {} (id {}): {e}",
                        file.display(),
                        i + 1,
                        it.id
                    ));
                    None
                }
            }
        })
        .collect();
    (good, bad)
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalibrationSet {
    Prm800kTrain,
    ProcessbenchGsm8k,
}

impl CalibrationSet {
    /// The name on the command line and in the report.
    fn name(self) -> &'static str {
        match self {
            CalibrationSet::Prm800kTrain => "prm800k-train",
            CalibrationSet::ProcessbenchGsm8k => "processbench-gsm8k",
        }
    }
}

/// Rated PRM800K phase-1 train rows used to fit the calibration.
const CALIBRATION_ROWS: usize = 2000;

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub common: Common,
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
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
    /// Keep the model's probabilities per data set in this folder and reuse them while the model
    /// files and the items are unchanged (for re-running the metrics without re-scoring).
    #[arg(long)]
    pub cache: Option<PathBuf>,
}

pub(crate) fn load(common: &Common) -> Result<(Scorer, PathBuf)> {
    let dir = common
        .model
        .clone()
        .unwrap_or_else(model_dir::default_model_dir);
    let device = device::select(common.device)?;
    Ok((model_dir::load(&dir, &device)?, dir))
}

pub fn run(args: EvalArgs) -> Result<()> {
    match args.command {
        Some(EvalCommand::Processbench(pb)) => run_processbench(pb),
        Some(EvalCommand::Exercise(ex)) => crate::exercise::run(ex),
        None => run_report(args.report),
    }
}

fn run_processbench(args: ProcessBenchArgs) -> Result<()> {
    check_threshold(args.common.threshold).context("--threshold")?;
    let (scorer, _) = load(&args.common)?;
    let cache = ScoreCache::none();
    let decision = scorer
        .config
        .decision
        .with_overrides(args.common.threshold, None)?;
    let rule = decision.rule();
    let mut rows = Vec::new();
    let mut files = Vec::new();
    let mut bad = Vec::new();
    for f in &args.files {
        let items = sources::processbench_file(f)?;
        if items.is_empty() {
            bail!("{} has no items", f.display());
        }
        let (good, b) = validate(&scorer, f, items);
        bad.extend(b);
        files.push((f, good));
    }
    for b in &bad {
        eprintln!("warning: {b}");
    }
    if !bad.is_empty() {
        if args.strict {
            bail!("{} bad items (--strict: nothing scored)", bad.len());
        }
        eprintln!("skipped {} bad items; the others are scored", bad.len());
    }
    for (f, items) in files {
        if items.is_empty() {
            bail!("{} has no item that can be scored", f.display());
        }
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut set = score_processbench(&scorer, &cache, &name, &items, args.common.batch_tokens)?;
        set.calibrate(decision.calibration());
        let scores = if args.no_checks {
            &set.scores
        } else {
            &set.checked
        };
        rows.push((name, metrics::processbench_f1(scores, &set.labels, rule)));
    }
    let avg = rows.iter().map(|r| r.1.f1).sum::<f64>() / rows.len() as f64;
    if args.common.json {
        let per: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(n, s)| (n.clone(), serde_json::to_value(s).unwrap_or_default()))
            .collect();
        println!(
            "{}",
            json!({"threshold": rule.threshold, "prior": rule.prior, "files": per, "average_f1": avg, "skipped": bad})
        );
    } else {
        println!(
            "{}, {}",
            describe(rule),
            if args.no_checks {
                "model alone"
            } else {
                "model + arithmetic checks"
            }
        );
        print_pb_table("file", &rows, Some(avg));
    }
    Ok(())
}

pub(super) fn take<T>(mut v: Vec<T>, limit: Option<usize>) -> Vec<T> {
    if let Some(n) = limit {
        v.truncate(n);
    }
    v
}

/// `n` items spread evenly over `v` (all of them without a limit): for sets stored sorted or
/// grouped, where the first `n` would be all of one kind or a handful of problems.
pub(crate) fn take_spread<T>(v: Vec<T>, limit: Option<usize>) -> Vec<T> {
    match limit {
        Some(n) if n < v.len() => {
            let len = v.len();
            v.into_iter()
                .enumerate()
                .filter(|(i, _)| (i * n) % len < n)
                .map(|(_, x)| x)
                .collect()
        }
        _ => v,
    }
}
