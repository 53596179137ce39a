//! `prm train`: fine-tune the verifier natively with burn (CPU by default), with progress bars,
//! atomic checkpoints, `--resume` after a kill, and a model directory at the end.

use std::{path::Path, sync::Arc, time::Instant};

use anyhow::{Context, Result, bail};
use burn::{
    lr_scheduler::LrSchedulerRecord,
    module::Module,
    optim::AdamWConfig,
    prelude::Device,
    tensor::Bytes,
    train::{
        ExecutionStrategy, Learner, MultiDeviceOptim, SupervisedTraining,
        checkpoint::{Checkpoint, KeepLastNCheckpoints},
        metric::{AurocMetric, LossMetric},
    },
};
use serde::{Deserialize, Serialize};
use verifier_core::{
    Limits, ModelConfig, StepEncoder, Verifier, VerifierConfig, scorer::save_weights,
};
use verifier_data::{DataDir, sources};

use crate::{device::DeviceSpec, model_dir, pretrained};

mod args;
mod examples;
mod learner;
mod loader;
mod loss;
mod progress;

pub use args::{Neutral, Schedule, Strategy, TrainArgs};
use examples::Pools;
use learner::StepSchedule;
pub use progress::EpochRow;

/// The most parameters a model may have and still be scored in a browser tab.
const BROWSER_MAX_PARAMS: usize = 25_000_000;

/// Refuse an architecture too large for a browser tab before any training is done.
fn within_browser_budget(model: &Verifier, layers: usize) -> Result<()> {
    let params = model.num_params();
    if params > BROWSER_MAX_PARAMS {
        bail!(
            "--layers {layers}: {params} parameters, over the browser budget of {BROWSER_MAX_PARAMS}"
        );
    }
    Ok(())
}

/// The architecture trained: MiniLM's, with `--layers` encoder layers (full vocabulary until it
/// is pruned).
fn architecture(args: &TrainArgs) -> VerifierConfig {
    VerifierConfig::new().with_num_layers(args.layers)
}

#[derive(Debug, Serialize, Deserialize)]
struct Progress {
    /// Optimizer steps in the last complete checkpoint.
    step: usize,
    args: TrainArgs,
    /// The training loss's moving average (none before the first step).
    #[serde(default)]
    loss_ema: Option<f64>,
    seconds: f64,
    /// Every command line that trained this run, the first one first (a resumed run adds its own).
    #[serde(default)]
    commands: Vec<String>,
}

fn execution(
    devices: Vec<Device>,
    specs: &[DeviceSpec],
    strategy: Strategy,
) -> Result<ExecutionStrategy> {
    if let (Strategy::Ddp, Some(d)) = (
        strategy,
        specs.iter().find(|d| !matches!(d, DeviceSpec::Cuda(_))),
    ) {
        bail!(
            "--strategy ddp needs collective operations, which burn 0.22 has on CUDA devices only ({d} has none); use --strategy main or sharded"
        );
    }
    if devices.len() == 1 {
        return Ok(ExecutionStrategy::SingleDevice(devices[0].clone()));
    }
    Ok(match strategy {
        Strategy::Main => {
            ExecutionStrategy::MultiDevice(devices, MultiDeviceOptim::OptimMainDevice)
        }
        Strategy::Sharded => {
            ExecutionStrategy::MultiDevice(devices, MultiDeviceOptim::OptimSharded)
        }
        Strategy::Ddp => ExecutionStrategy::ddp(
            devices,
            burn::tensor::distributed::DistributedConfig {
                all_reduce_op: burn::tensor::distributed::ReduceOperation::Mean,
            },
        ),
    })
}

/// Read how many optimizer steps the scheduler checkpoint of `epoch` took.
fn checkpointed_steps(dir: &Path, epoch: usize) -> Result<usize> {
    let path = learner::AtomicCheckpointer::path(dir, "scheduler", epoch);
    let bytes = std::fs::read(&path).with_context(|| format!("{}", path.display()))?;
    let record = LrSchedulerRecord::checkpoint_from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    StepSchedule::taken(&record).with_context(|| format!("{}: no step count", path.display()))
}

pub fn run(mut args: TrainArgs, command_line: String) -> Result<()> {
    let minilm = pretrained::minilm_layers();
    let most = 2 * minilm;
    if !(1..=most).contains(&args.layers) {
        bail!(
            "--layers takes 1 to {most} (MiniLM has {minilm}; each of its layers is copied at most once)"
        );
    }
    if !(0.0..=1.0).contains(&args.extra_weight) {
        bail!("--extra-weight takes a share from 0 to 1");
    }
    if args.checkpoint_every == 0 || args.valid_batches == 0 {
        bail!("--checkpoint-every and --valid-batches take at least 1");
    }
    let data = DataDir::open(&args.data)?;
    eprintln!("loading data from {}", data.root.display());
    let state_path = args.work.join("progress.json");
    let ckpt_dir = args.work.join("checkpoint");
    let resumed_epoch = match args.resume {
        true => {
            let stale = learner::remove_stale_temporaries(&ckpt_dir);
            if stale > 0 {
                eprintln!("removed {stale} half-written checkpoint file(s) of a killed run");
            }
            learner::last_complete_epoch(&ckpt_dir)
        }
        false => None,
    };
    let resumed: Option<Progress> = match resumed_epoch {
        Some(_) if state_path.is_file() => {
            Some(serde_json::from_slice(&std::fs::read(&state_path)?).context("progress.json")?)
        }
        _ => None,
    };
    if let Some(p) = &resumed {
        // The training state (the recipe, its data included) comes from the checkpoint; where to
        // write the model, when to stop and on which devices come from this command line.
        let (steps, max_minutes, out, stop_at, devices, device, strategy) = (
            args.steps,
            args.max_minutes,
            args.out.clone(),
            args.stop_at_step,
            args.devices.clone(),
            args.device,
            args.strategy,
        );
        args = p.args.clone();
        args.steps = steps.max(args.steps);
        args.max_minutes = max_minutes;
        args.stop_at_step = stop_at;
        args.out = out;
        (args.devices, args.device, args.strategy) = (devices, device, strategy);
        args.resume = true;
    }
    let specs = args.device_list();
    if let (Strategy::Ddp, [_]) = (args.strategy, specs.as_slice()) {
        eprintln!("--strategy ddp with one device: trains on it alone");
    }
    let mut devices = Vec::new();
    for spec in &specs {
        devices.push(spec.open()?);
        eprintln!("device {}: {spec}", devices.len() - 1);
    }
    let parts = devices.len();
    let main_device = devices[0].clone().autodiff();
    let strategy = execution(devices, &specs, args.strategy)?;

    let mut pools = Pools::load(&data, args.outcome_step_labels)?;
    if let Some(f) = &args.extra {
        let dropped = pools.load_extra(f)?;
        eprintln!(
            "extra rows from {}: {} rated rows, {:.0}% of the draws ({dropped} rows of evaluation problems left out)",
            f.display(),
            pools.extra.len(),
            100.0 * args.extra_weight
        );
    }
    eprintln!(
        "pools: prm800k {} ({} sibling groups) | gsm8k refs {} | math refs {} | gsm8k model solutions {} ({} with step labels, {} with a wrong step)",
        pools.prm800k.len(),
        pools.prm800k_siblings.len(),
        pools.gsm8k_ref.len(),
        pools.math_ref.len(),
        pools.gsm8k_model.len(),
        pools
            .gsm8k_model
            .iter()
            .filter(|s| !s.labels.is_empty())
            .count(),
        pools
            .gsm8k_model
            .iter()
            .filter(|s| s.first_error().is_some())
            .count()
    );
    let tok_path = args.work.join(model_dir::TOKENIZER);
    let (first_step, loss_ema, seconds_before, mut commands, tokenizer_json, model) =
        if let (Some(p), Some(epoch)) = (resumed, resumed_epoch) {
            let tokenizer_json = std::fs::read_to_string(&tok_path)?;
            let enc = StepEncoder::from_bytes(tokenizer_json.as_bytes(), Limits::default())?;
            let cfg = architecture(&args).with_vocab_size(enc.vocab_size());
            let step = checkpointed_steps(&ckpt_dir, epoch)?;
            eprintln!(
                "resuming at step {step} of {} (checkpoint of epoch {epoch})",
                args.steps
            );
            // The weights come from the checkpoint, which the Learner loads.
            let model = cfg.init(&main_device);
            (
                step,
                p.loss_ema,
                p.seconds,
                p.commands,
                tokenizer_json,
                model,
            )
        } else {
            let (tokenizer_json, model) = fresh_model(&args, &data, &pools, &main_device)?;
            // A fresh run starts from no checkpoint of an earlier one.
            let _ = std::fs::remove_dir_all(&ckpt_dir);
            let _ = std::fs::remove_file(args.work.join("metrics.jsonl"));
            std::fs::create_dir_all(&args.work)?;
            model_dir::write_atomic(&tok_path, tokenizer_json.as_bytes())?;
            (0, None, 0.0, Vec::new(), tokenizer_json, model)
        };
    commands.push(command_line);
    let encoder = StepEncoder::from_bytes(tokenizer_json.as_bytes(), Limits::default())?;
    let arch = architecture(&args).with_vocab_size(encoder.vocab_size());
    let write_progress = |step: usize, loss_ema: Option<f64>, seconds: f64| -> Result<()> {
        let p = Progress {
            step,
            args: args.clone(),
            loss_ema,
            seconds,
            commands: commands.clone(),
        };
        model_dir::write_atomic(&state_path, serde_json::to_string_pretty(&p)?.as_bytes())
    };
    write_progress(first_step, loss_ema, seconds_before)?;
    main_device.seed(args.seed + first_step as u64);

    let log = Arc::new(learner::RunLog::new(loss_ema, first_step));
    let settings = Arc::new(learner::LossSettings {
        pad: encoder.pad,
        weights: loss::LossWeights {
            orm: args.orm_weight,
            localisation: args.localisation_weight,
            ranking: args.ranking_weight,
        },
        freeze_embeddings: !args.train_embeddings,
        parts,
        log: log.clone(),
    });
    let valid = loader::validation_batches(&data, &encoder, &args)?;
    let t0 = Instant::now();
    let start_epoch = resumed_epoch.unwrap_or(0);
    let epochs = start_epoch
        + args
            .steps
            .saturating_sub(first_step)
            .div_ceil(args.checkpoint_every);
    let interrupter = burn::train::Interrupter::new();
    let stop = Arc::new(loader::Stop {
        at_step: args.stop_at_step.unwrap_or(args.steps).min(args.steps),
        deadline: args
            .max_minutes
            .map(|m| t0 + std::time::Duration::from_secs_f64(m * 60.0)),
        interrupter: interrupter.clone(),
        reason: Default::default(),
    });
    let n_valid = valid.len();
    let mixture = loader::Mixture {
        pools,
        encoder,
        args: args.clone(),
        parts,
    };
    let loader = |source, per_epoch, parts, stop| {
        Arc::new(loader::StepLoader::new(
            source,
            settings.clone(),
            main_device.clone(),
            per_epoch,
            parts,
            first_step,
            stop,
        ))
    };
    let train_loader = loader(
        loader::Source::Mixture(Arc::new(mixture)),
        args.checkpoint_every,
        parts,
        Some(stop.clone()),
    );
    let valid_loader = loader(loader::Source::Fixed(Arc::new(valid)), n_valid, 1, None);
    let metrics_file = args.work.join("metrics.jsonl");
    let renderer =
        progress::BarRenderer::new(log.clone(), args.steps, first_step, metrics_file.clone());
    let mut training = SupervisedTraining::new(&args.work, train_loader, valid_loader)
        .metric_train_numeric(LossMetric::new())
        .metric_valid_numeric(LossMetric::new())
        .metric_valid_numeric(AurocMetric::binary())
        .with_custom_checkpointers(
            learner::AtomicCheckpointer::new(&ckpt_dir, "model"),
            learner::AtomicCheckpointer::new(&ckpt_dir, "optim"),
            learner::AtomicCheckpointer::new(&ckpt_dir, "scheduler"),
        )
        .with_checkpointing_strategy(KeepLastNCheckpoints::new(2))
        .renderer(Box::new(renderer))
        .with_interrupter(interrupter)
        .with_training_strategy(strategy.into())
        .num_epochs(epochs);
    if let Some(e) = resumed_epoch {
        training = training.checkpoint(e);
    }
    let learner = Learner::new(
        learner::TrainVerifier { verifier: model },
        AdamWConfig::new().with_weight_decay(0.01).init(),
        StepSchedule::new(&args),
    );
    let result = training.launch(learner);
    if let Some(e) = result.error {
        bail!("training failed: {e}");
    }
    if let Some((step, value)) = log.non_finite() {
        bail!("loss became {value} at step {step}; lower --lr");
    }
    let step = log.last_step();
    let reason = stop.reason.lock().ok().and_then(|r| r.clone());
    if step < args.steps {
        let why = reason.unwrap_or_else(|| "stop step reached".to_string());
        eprintln!("stopping at step {step} ({why})");
    }
    let loss_ema = log.loss_ema();
    let seconds = seconds_before + t0.elapsed().as_secs_f64();
    let checkpointed = learner::last_complete_epoch(&ckpt_dir)
        .map(|e| checkpointed_steps(&ckpt_dir, e))
        .transpose()?
        .unwrap_or(first_step);
    write_progress(checkpointed, loss_ema, seconds)?;
    let rows = progress::read_rows(&metrics_file)?;
    let plot = args.work.join("training.svg");
    if let Err(e) = crate::plots::training(&plot, &rows) {
        eprintln!("no training plot: {e:#}");
    }
    let config = unevaluated_config(
        arch,
        Limits::default(),
        serde_json::json!({
            // A resumed run: every command that trained it, runnable in order.
            "command": commands.join(" && "),
            "steps": step,
            "loss_ema": loss_ema,
            "cpu_seconds": seconds,
            "engine": "burn-train Learner",
            "devices": specs.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "validation": rows.last().map(|r| &r.valid),
            "args": args,
        }),
    );
    write_model(&args.out, &result.model.verifier, &config, &tokenizer_json)?;
    eprintln!(
        "wrote {} (threshold 0.5 until `prm eval --update-model` chooses one); curves in {}",
        args.out.display(),
        plot.display()
    );
    Ok(())
}

/// The pretrained MiniLM (or random weights) with the vocabulary pruned to the pieces the data
/// uses, and its tokenizer.
fn fresh_model(
    args: &TrainArgs,
    data: &DataDir,
    pools: &Pools,
    device: &Device,
) -> Result<(String, Verifier)> {
    let full_json = std::fs::read_to_string(args.minilm.join("tokenizer.json"))
        .with_context(|| format!("cannot read {}/tokenizer.json", args.minilm.display()))?;
    let full = tokenizers::Tokenizer::from_bytes(full_json.as_bytes())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut texts: Vec<&str> = pools.texts().collect();
    // The evaluation texts are tokenized too, so they read with the same pieces.
    let eval_texts = evaluation_texts(data)?;
    texts.extend(eval_texts.iter().map(String::as_str));
    texts.sort_unstable();
    texts.dedup();
    eprintln!("pruning the vocabulary over {} distinct texts", texts.len());
    let keep = pretrained::used_token_ids(&full, texts.into_iter())?;
    eprintln!(
        "vocabulary: {} of {} pieces kept",
        keep.len(),
        full.get_vocab_size(false)
    );
    let tokenizer_json = pretrained::pruned_tokenizer_json(&full_json, &keep)?;
    let model = if args.from_scratch {
        architecture(args).init(device)
    } else {
        pretrained::load_minilm(&args.minilm, architecture(args), device)?
    };
    let model = pretrained::prune_embeddings(model, &keep);
    within_browser_budget(&model, args.layers)?;
    Ok((tokenizer_json, model))
}

/// The config of a model no evaluation has tuned yet: threshold 0.5, no prior, no calibration,
/// no metrics.
pub fn unevaluated_config(
    architecture: VerifierConfig,
    limits: Limits,
    training: serde_json::Value,
) -> ModelConfig {
    ModelConfig {
        architecture,
        limits,
        decision: verifier_core::Decision::untuned(),
        metrics: serde_json::json!({}),
        training,
        files: Default::default(),
    }
}

/// Write a model directory (weights in f16) with its model card.
pub fn write_model(
    out: &Path,
    model: &Verifier,
    config: &ModelConfig,
    tokenizer_json: &str,
) -> Result<()> {
    let weights = save_weights(model, true)?;
    let cfg = serde_json::to_string_pretty(config)?;
    let card = crate::card::model_card(config);
    model_dir::write_dir(
        out,
        &[
            (model_dir::WEIGHTS, &weights),
            (model_dir::TOKENIZER, tokenizer_json.as_bytes()),
            (model_dir::CONFIG, cfg.as_bytes()),
            (model_dir::CARD, card.as_bytes()),
        ],
    )
}

/// Problems and steps of the evaluation sets (tokenized only to choose the vocabulary).
fn evaluation_texts(data: &DataDir) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for sub in sources::PROCESSBENCH_SUBSETS {
        for it in sources::processbench(data, sub)? {
            out.push(it.problem);
            out.extend(it.steps);
        }
    }
    for s in sources::prm800k(data, "test")? {
        out.push(s.problem);
        out.extend(s.steps);
    }
    for b in sources::qwen_best_of_8(data)? {
        out.push(b.problem);
        out.extend(b.candidates.into_iter().flat_map(|c| c.steps));
    }
    let (_, held) = sources::gsm8k_model_solutions(data, &Default::default())?;
    for b in held {
        out.push(b.problem);
        out.extend(b.candidates.into_iter().flat_map(|c| c.steps));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        train: TrainArgs,
    }

    fn lrs(schedule: &str) -> Vec<f64> {
        let args = Cli::parse_from(["prm", "--steps", "200", "--schedule", schedule]).train;
        let schedule = StepSchedule::new(&args);
        (0..200).map(|s| schedule.at(s)).collect()
    }

    #[test]
    fn every_schedule_warms_up_to_the_peak_then_keeps_its_shape() {
        let (linear, cosine, constant) = (lrs("linear"), lrs("cosine"), lrs("constant"));
        for lr in [&linear, &cosine, &constant] {
            assert!(
                (lr[0] - 5e-6).abs() < 1e-12,
                "warm-up starts at a tenth: {}",
                lr[0]
            );
            assert!(
                (lr[9] - 5e-5).abs() < 1e-12,
                "the peak after 10 steps: {}",
                lr[9]
            );
            assert!(
                lr[10..].windows(2).all(|w| w[1] <= w[0]),
                "never rises after the peak"
            );
        }
        assert!((linear[199] - 5e-6).abs() < 5e-7 && (cosine[199] - 5e-6).abs() < 5e-7);
        assert!(constant[10..].iter().all(|&lr| lr == 5e-5));
        // Cosine stays above the line in the first half of the decay and below it after.
        assert!(cosine[50] > linear[50] && cosine[160] < linear[160]);
        assert!(
            (cosine[105] - linear[105]).abs() < 1e-7,
            "they cross mid-way"
        );
    }
}
