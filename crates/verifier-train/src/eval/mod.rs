//! `prm eval`: ProcessBench F1 (threshold chosen on the gsm8k subset only), step ROC-AUC and
//! calibration on PRM800K phase-1 test, best-of-N on held-out GSM8K (best-of-4) and
//! `qwen_math_cot_100` (best-of-8); a JSON report and plots.

mod args;
pub(crate) mod cache;
pub(crate) mod common;
pub mod exercise;
mod pbset;
mod print;
mod processbench;
mod report;
#[cfg(test)]
mod tests;

use anyhow::Result;

pub use args::{
    CalibrationSet, Common, EvalArgs, EvalCommand, ExerciseArgs, ProcessBenchArgs, ReportArgs, Sets,
};

pub fn run(args: EvalArgs) -> Result<()> {
    match args.command {
        Some(EvalCommand::Processbench(pb)) => processbench::run_processbench(pb),
        Some(EvalCommand::Exercise(ex)) => exercise::run(ex),
        None => report::run_report(args.report),
    }
}
