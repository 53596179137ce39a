//! `prm`: score solutions step by step, evaluate and train the verifier.

use verifier_train::{
    average, checks, device, eval, model_dir, samples, score, search, select, train,
};

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "prm",
    version,
    about = "Step-by-step verifier for math solutions (PRM + ORM)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Score a solution: {"problem", "steps": [...]} or {"problem", "solution"} from FILE or stdin.
    Score(score::ScoreArgs),
    /// Evaluate: with no subcommand the full report (ProcessBench, PRM800K step AUC, best-of-N).
    Eval(eval::EvalArgs),
    /// Rewrite a model's weights in compact storage (int8 matrices with per-row scales, f16 rest).
    Compact {
        /// Model directory.
        #[arg(long, default_value = "models/verifier")]
        model: std::path::PathBuf,
    },
    /// Record the size and SHA-256 of a model's files in its config.json (the browser's cache key).
    Digest {
        /// Model directory.
        #[arg(long, default_value = "models/verifier")]
        model: std::path::PathBuf,
    },
    /// Measure the arithmetic checker: false alarms on reference solutions, mutations caught.
    Checks(checks::ChecksArgs),
    /// Write the demo pages' samples (web/samples.json) from the data folder.
    Samples(samples::SamplesArgs),
    /// Verifier-guided step search over trees of candidate steps (PRM800K test trees, or --tree).
    Search(search::SearchArgs),
    /// Choose what to label next from a pool of solutions: convincing wrong answers first.
    Select(select::SelectArgs),
    /// Fine-tune the verifier from the pretrained MiniLM checkpoint (burn-train's Learner, on
    /// one device or several: --devices).
    Train(train::TrainArgs),
    /// Lend this machine's device to a trainer elsewhere (`prm train --devices
    /// remote:ws://THIS-HOST:PORT`), until Ctrl+C.
    ServeDevice(device::ServeArgs),
    /// Average the weights of models of one architecture and vocabulary (a "model soup").
    Average(average::AverageArgs),
}

fn main() {
    let cli = Cli::parse();
    let command_line = std::iter::once("prm".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let result = match cli.command {
        Command::Score(a) => score::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Compact { model } => model_dir::compact(&model),
        Command::Digest { model } => model_dir::stamp_digests(&model),
        Command::Samples(a) => samples::run(a),
        Command::Checks(a) => checks::run(a),
        Command::Search(a) => search::run(a),
        Command::Select(a) => select::run(a),
        Command::Train(a) => train::run(a, command_line),
        Command::ServeDevice(a) => device::serve(a),
        Command::Average(a) => average::run(a, command_line),
    };
    if let Err(e) = result {
        if let Some(bad) = e.downcast_ref::<score::SomeRequestsBad>() {
            eprintln!("{bad}");
            std::process::exit(score::SOME_REQUESTS_BAD);
        }
        let msg: Vec<String> = e.chain().map(|c| c.to_string()).collect();
        eprintln!("error: {}", msg.join(": ").replace('\n', " "));
        std::process::exit(1);
    }
}
