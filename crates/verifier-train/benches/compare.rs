//! Native half of the side-by-side bench (`bash benches/compare.sh`, which runs this file).
//!
//! - `compare export DIR`: the shipped model's weights as f32 safetensors (burn's layout, the
//!   form the CPU backend computes with after widening the int8/int4 storage), and `inputs.json`:
//!   two solutions with their token ids, block ids, step markers and our native step
//!   probabilities (raw, and calibrated as the verdict reports them), which the ONNX export and
//!   the browser page check their outputs against.
//! - `compare time`: our whole forward (batch 1 and 16 of the 256-token input) on burn's CPU
//!   backend, 3 warm-up runs then 10 timed runs each; one JSON line on stdout. Threads: the
//!   caller sets `RAYON_NUM_THREADS`.

use std::{path::Path, time::Instant};

use anyhow::{Context, Result, bail};
use burn::{
    prelude::*,
    store::{ModuleSnapshot, SafetensorsStore},
};
use serde_json::{Value, json};
use verifier_core::{
    Scorer,
    scorer::{WindowInput, windows},
};
use verifier_train::model_dir;

#[path = "../../verifier-core/benches/common/solution.rs"]
mod solution;
use solution::{PROBLEM, steps};

/// The allocator `prm` runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Tokens of the whole-forward input.
const WHOLE_TOKENS: usize = 256;
/// Steps of the streamed solution.
const STREAM_STEPS: usize = 20;
const WARMUP: usize = 3;
const RUNS: usize = 10;

/// The one window of a solution (both inputs fit the position range).
fn window(scorer: &Scorer, steps: &[String]) -> Result<WindowInput> {
    let enc = scorer.encoder.encode(PROBLEM, steps)?;
    let mut wins = windows(&enc, scorer.encoder.limits.max_positions);
    if wins.len() != 1 {
        bail!("the bench input needs {} windows, not one", wins.len());
    }
    Ok(wins.remove(0))
}

/// Steps whose window is exactly [`WHOLE_TOKENS`] long: as many bench steps as fit, the last one
/// lengthened word by word.
fn whole_input(scorer: &Scorer) -> Result<(Vec<String>, WindowInput)> {
    let all = steps(STREAM_STEPS);
    let mut n = 1;
    while n < all.len() && window(scorer, &all[..n + 1])?.ids.len() <= WHOLE_TOKENS - 8 {
        n += 1;
    }
    let mut chosen = all[..n].to_vec();
    let base = chosen[n - 1].clone();
    for extra in 0..64 {
        chosen[n - 1] = format!("{base}{}", " Indeed".repeat(extra));
        let w = window(scorer, &chosen)?;
        if w.ids.len() == WHOLE_TOKENS {
            return Ok((chosen, w));
        }
    }
    bail!("no padding of the last step makes the input {WHOLE_TOKENS} tokens long")
}

/// Step and answer probabilities of a batch of windows, read back (`[markers, 2]` row-major).
fn probabilities(scorer: &Scorer, windows: &[&WindowInput]) -> Result<Vec<f32>> {
    scorer
        .marker_probabilities(windows)
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("read-back: {e:?}"))
}

/// One input as written to `inputs.json`: the texts, the model input and our outputs (one forward:
/// the verdict's calibrated scores are made from the same probabilities).
fn describe(scorer: &Scorer, steps: Vec<String>, w: &WindowInput) -> Result<Value> {
    let probs = probabilities(scorer, &[w])?;
    let raw: Vec<f32> = probs.chunks(2).map(|p| p[0]).collect();
    let verdict = scorer.verdict(steps.clone(), &probs, &scorer.config.decision, None)?;
    let calibrated: Vec<f64> = verdict.steps.iter().map(|s| s.model_score).collect();
    Ok(json!({
        "problem": PROBLEM,
        "steps": steps,
        "ids": w.ids,
        "blocks": w.blocks,
        "markers": w.markers,
        "prm_probability": raw,
        "model_score": calibrated,
    }))
}

fn export(scorer: &Scorer, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut store = SafetensorsStore::from_file(dir.join("weights.safetensors")).overwrite(true);
    scorer
        .model
        .save_into(&mut store)
        .map_err(|e| anyhow::anyhow!("cannot write the weights: {e}"))?;
    let (whole_steps, whole) = whole_input(scorer)?;
    let stream_steps = steps(STREAM_STEPS);
    let stream = window(scorer, &stream_steps)?;
    let arch = &scorer.config.architecture;
    let inputs = json!({
        "architecture": { "hidden_size": arch.hidden_size, "num_heads": arch.num_heads,
                          "num_layers": arch.num_layers, "layer_norm_eps": arch.layer_norm_eps },
        "whole": describe(scorer, whole_steps, &whole)?,
        "stream": describe(scorer, stream_steps, &stream)?,
    });
    std::fs::write(dir.join("inputs.json"), serde_json::to_vec(&inputs)?)?;
    eprintln!(
        "exported to {}: whole input {} tokens, streamed input {} tokens in {STREAM_STEPS} steps",
        dir.display(),
        whole.ids.len(),
        stream.ids.len()
    );
    Ok(())
}

/// Milliseconds of 10 timed runs after 3 warm-up runs, as min / median / max.
fn time(mut run: impl FnMut() -> Result<()>) -> Result<Value> {
    for _ in 0..WARMUP {
        run()?;
    }
    let mut ms = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        run()?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mut sorted = ms.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(
        json!({ "min": sorted[0], "median": (sorted[RUNS / 2 - 1] + sorted[RUNS / 2]) / 2.0,
               "max": sorted[RUNS - 1], "runs_ms": ms }),
    )
}

fn time_native(scorer: &Scorer) -> Result<()> {
    let (_, whole) = whole_input(scorer)?;
    let mut out = json!({ "runtime": "burn CPU (flex)",
                          "threads": std::env::var("RAYON_NUM_THREADS").ok() });
    for batch in [1usize, 16] {
        let inputs = vec![&whole; batch];
        let t = time(|| probabilities(scorer, &inputs).map(drop))?;
        let median = t["median"].as_f64().context("median")?;
        out[format!("whole_{WHOLE_TOKENS}_b{batch}")] = t;
        out[format!("tokens_per_s_b{batch}")] = json!((batch * WHOLE_TOKENS) as f64 / median * 1e3);
    }
    println!("{out}");
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let scorer = model_dir::load(&root.join("models/verifier"), &Device::flex())?;
    match args.as_slice() {
        [cmd, dir] if cmd == "export" => export(&scorer, Path::new(dir)),
        [cmd] if cmd == "time" => time_native(&scorer),
        _ => bail!("usage: compare export DIR | compare time"),
    }
}
