//! `prm train`: fine-tune the verifier natively with burn (CPU by default), with progress bars,
//! atomic checkpoints, `--resume` after a kill, and a model directory at the end.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use anyhow::{Context, Result, bail};
use burn::{
    module::Module,
    optim::{AdamWConfig, GradientsParams, ModuleOptimizer},
    tensor::Bytes,
};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};
use verifier_core::{
    Limits, ModelConfig, StepEncoder, Verifier, VerifierConfig,
    scorer::{load_weights, save_weights},
};
use verifier_data::{DataDir, sources};

use crate::{device, mixture::Mix, model_dir, pretrained};

mod examples;
mod loss;

use examples::{Item, Pools, make_item};
use loss::batch_loss;

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
    /// The data mixture, by source: prm800k, gsm8k-ref, gsm8k-mut, math-ref, math-mut, gsm8k-model
    /// (`name=weight,...`; a source not named gets 0; see `mixture::SOURCES`).
    #[arg(
        long,
        default_value_t = Mix::default_mix()
    )]
    pub mix: Mix,
    #[arg(long, value_enum, default_value_t)]
    #[serde(default)]
    pub device: device::DeviceKind,
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

#[derive(Debug, Serialize, Deserialize)]
struct Progress {
    step: usize,
    args: TrainArgs,
    loss_ema: f64,
    seconds: f64,
    /// Every command line that trained this run, the first one first (a resumed run adds its own).
    #[serde(default)]
    commands: Vec<String>,
}

fn lr_at(args: &TrainArgs, step: usize) -> f64 {
    let warm = (args.steps / 20).max(1);
    if step < warm {
        args.lr * (step + 1) as f64 / warm as f64
    } else {
        let frac = (step - warm) as f64 / (args.steps - warm).max(1) as f64;
        let decay = match args.schedule {
            Schedule::Linear => frac,
            Schedule::Cosine => (1.0 - (std::f64::consts::PI * frac).cos()) / 2.0,
            Schedule::Constant => 0.0,
        };
        args.lr * (1.0 - 0.9 * decay)
    }
}

pub fn run(mut args: TrainArgs, command_line: String) -> Result<()> {
    let minilm = pretrained::minilm_layers();
    let most = 2 * minilm;
    if !(1..=most).contains(&args.layers) {
        bail!(
            "--layers takes 1 to {most} (MiniLM has {minilm}; each of its layers is copied at most once)"
        );
    }
    let device = device::select(args.device)?.autodiff();
    let data = DataDir::open(&args.data)?;
    eprintln!("loading data from {}", data.root.display());
    if !(0.0..=1.0).contains(&args.extra_weight) {
        bail!("--extra-weight takes a share from 0 to 1");
    }
    let state_path = args.work.join("progress.json");
    let resumed: Option<Progress> = if args.resume && state_path.is_file() {
        Some(serde_json::from_slice(&std::fs::read(&state_path)?).context("progress.json")?)
    } else {
        None
    };
    if let Some(p) = &resumed {
        // The training state (the recipe, its data included) comes from the checkpoint; where to
        // write the model and when to stop come from this command line.
        let (steps, max_minutes, out, stop_at) = (
            args.steps,
            args.max_minutes,
            args.out.clone(),
            args.stop_at_step,
        );
        args = p.args.clone();
        args.steps = steps.max(args.steps);
        args.max_minutes = max_minutes;
        args.stop_at_step = stop_at;
        args.out = out;
        args.resume = true;
    }
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
        "pools: prm800k {} | gsm8k refs {} | math refs {} | gsm8k model solutions {} ({} with step labels, {} with a wrong step)",
        pools.prm800k.len(),
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
    let ckpt_path = args.work.join("checkpoint.bpk");
    let optim_path = args.work.join("optimizer.bpk");

    let (
        start_step,
        mut loss_ema,
        seconds_before,
        mut commands,
        tokenizer_json,
        mut model,
        mut optim,
    ) = if let Some(p) = resumed {
        let tokenizer_json = std::fs::read_to_string(&tok_path)?;
        let enc = StepEncoder::from_bytes(tokenizer_json.as_bytes(), Limits::default())?;
        let cfg = architecture(&args).with_vocab_size(enc.vocab_size());
        let model = load_weights(cfg.init(&device), std::fs::read(&ckpt_path)?)?;
        let optim = AdamWConfig::new().with_weight_decay(0.01).init();
        let optim = optim
            .from_bytes(Bytes::from_bytes_vec(std::fs::read(&optim_path)?))
            .map_err(|e| anyhow::anyhow!("optimizer checkpoint: {e:?}"))?;
        eprintln!("resuming at step {} of {}", p.step, args.steps);
        (
            p.step,
            p.loss_ema,
            p.seconds,
            p.commands,
            tokenizer_json,
            model,
            optim,
        )
    } else {
        let full_json = std::fs::read_to_string(args.minilm.join("tokenizer.json"))
            .with_context(|| format!("cannot read {}/tokenizer.json", args.minilm.display()))?;
        let full = tokenizers::Tokenizer::from_bytes(full_json.as_bytes())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut texts: Vec<&str> = pools.texts().collect();
        // The evaluation texts are tokenized too, so they read with the same pieces.
        let eval_texts = evaluation_texts(&data)?;
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
            architecture(&args).init(&device)
        } else {
            pretrained::load_minilm(&args.minilm, architecture(&args), &device)?
        };
        let model = pretrained::prune_embeddings(model, &keep);
        within_browser_budget(&model, args.layers)?;
        std::fs::create_dir_all(&args.work)?;
        model_dir::write_atomic(&tok_path, tokenizer_json.as_bytes())?;
        (
            0,
            f64::NAN,
            0.0,
            Vec::new(),
            tokenizer_json,
            model,
            AdamWConfig::new().with_weight_decay(0.01).init(),
        )
    };
    commands.push(command_line);
    let encoder = StepEncoder::from_bytes(tokenizer_json.as_bytes(), Limits::default())?;
    let arch = architecture(&args).with_vocab_size(encoder.vocab_size());
    device.seed(args.seed + start_step as u64);
    let mut rng = StdRng::seed_from_u64(args.seed.wrapping_mul(1_000_003) + start_step as u64);

    let bar = ProgressBar::new(args.steps as u64).with_position(start_step as u64);
    bar.set_style(
        ProgressStyle::with_template("train {bar:30} {pos}/{len} {msg} {elapsed}<{eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let t0 = Instant::now();
    let mut step = start_step;
    let save = |model: &Verifier,
                optim: &ModuleOptimizer,
                step: usize,
                loss_ema: f64,
                args: &TrainArgs|
     -> Result<()> {
        model_dir::write_atomic(&ckpt_path, &save_weights(model, false)?)?;
        let ob = optim
            .into_bytes()
            .map_err(|e| anyhow::anyhow!("optimizer state: {e:?}"))?;
        model_dir::write_atomic(&optim_path, &ob)?;
        let p = Progress {
            step,
            args: args.clone(),
            loss_ema,
            seconds: seconds_before + t0.elapsed().as_secs_f64(),
            commands: commands.clone(),
        };
        model_dir::write_atomic(&state_path, serde_json::to_string_pretty(&p)?.as_bytes())?;
        Ok(())
    };
    let frozen_embeddings = !args.train_embeddings;
    while step < args.steps {
        if let Some(m) = args.max_minutes
            && t0.elapsed().as_secs_f64() > m * 60.0
        {
            eprintln!("time limit reached at step {step}");
            break;
        }
        if args.stop_at_step.is_some_and(|s| step >= s) {
            eprintln!("stopping at step {step} (--stop-at-step)");
            break;
        }
        // Draw a pool of examples, sort by length, take a length-homogeneous batch.
        let mut items: Vec<Item> = Vec::new();
        let mut longest = 0usize;
        let mut tries = 0;
        while tries < 200 {
            tries += 1;
            let Some(sol) = pools.sample(&args.mix, args.extra_weight, &mut rng) else {
                continue;
            };
            let Some(item) = make_item(&encoder, &sol, args.max_train_tokens, args.neutral) else {
                continue;
            };
            let len = item.window.ids.len().max(longest);
            if (items.len() + 1) * len > args.batch_tokens && !items.is_empty() {
                break;
            }
            longest = len;
            items.push(item);
        }
        if frozen_embeddings {
            model.embeddings.word_embeddings = model.embeddings.word_embeddings.clone().no_grad();
        }
        let (loss, np, no) = batch_loss(&model, &items, encoder.pad, args.orm_weight, &device);
        let loss_value: f32 = loss.clone().into_scalar();
        if !loss_value.is_finite() {
            bail!("loss became {loss_value} at step {step}; lower --lr");
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr_at(&args, step), model, grads);
        step += 1;
        loss_ema = if loss_ema.is_nan() {
            loss_value as f64
        } else {
            0.98 * loss_ema + 0.02 * loss_value as f64
        };
        bar.set_position(step as u64);
        let msg = format!(
            "loss {loss_ema:.4} ({} seqs x {longest}, {np} steps, {no} answers)",
            items.len()
        );
        if bar.is_hidden() && (step % 10 == 0 || step == args.steps) {
            eprintln!(
                "step {step}/{} {msg} lr {:.2e} {:.0}s",
                args.steps,
                lr_at(&args, step - 1),
                t0.elapsed().as_secs_f64()
            );
        }
        bar.set_message(msg);
        if step % args.checkpoint_every == 0 {
            save(&model, &optim, step, loss_ema, &args)?;
        }
    }
    save(&model, &optim, step, loss_ema, &args)?;
    bar.finish();
    let seconds = seconds_before + t0.elapsed().as_secs_f64();
    let model = model.valid();
    let config = unevaluated_config(
        arch,
        encoder.limits.clone(),
        serde_json::json!({
            // A resumed run: every command that trained it, runnable in order.
            "command": commands.join(" && "),
            "steps": step,
            "loss_ema": loss_ema,
            "cpu_seconds": seconds,
            "args": args,
        }),
    );
    write_model(&args.out, &model, &config, &tokenizer_json)?;
    eprintln!(
        "wrote {} (threshold 0.5 until `prm eval --update-model` chooses one)",
        args.out.display()
    );
    Ok(())
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
        (0..200).map(|s| lr_at(&args, s)).collect()
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
