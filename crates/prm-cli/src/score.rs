//! `prm score`: one solution in, the verdict out (JSON or a table).

use std::{io::Read, path::PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use verifier_core::{Aggregate, ScoreRequest, Scorer, Verdict};

use crate::{device, model_dir};

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// Model directory (default: the shipped model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Step threshold (default: the one stored with the model).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// How step scores combine into the solution score.
    #[arg(long)]
    pub aggregate: Option<Aggregate>,
    /// Print the verdict as one JSON object.
    #[arg(long)]
    pub json: bool,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Request JSON file, or - for standard input.
    #[arg(default_value = "-")]
    pub input: String,
}

/// Score one request with a loaded scorer.
pub fn score_request(
    scorer: &Scorer,
    req: ScoreRequest,
    threshold: Option<f64>,
    aggregate: Option<Aggregate>,
) -> Result<(Verdict, Vec<String>)> {
    let enc = scorer.encoder.encode(&req.problem, &req.steps)?;
    let probs = scorer
        .probabilities(&enc)
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("read-back: {e:?}"))?;
    Ok((
        scorer.verdict(req.steps, &probs, threshold, aggregate)?,
        enc.warnings,
    ))
}

pub fn run(args: ScoreArgs) -> Result<()> {
    if let Some(t) = args.threshold
        && !(0.0..=1.0).contains(&t)
    {
        anyhow::bail!("--threshold must be between 0 and 1");
    }
    let bytes = if args.input == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read standard input")?;
        b
    } else {
        std::fs::read(&args.input).with_context(|| format!("cannot read {}", args.input))?
    };
    let req = ScoreRequest::from_json(&bytes)?;
    let device = device::select(&args.device)?;
    let dir = args
        .model
        .clone()
        .unwrap_or_else(model_dir::default_model_dir);
    let scorer = model_dir::load(&dir, &device)?;
    let (verdict, warnings) = score_request(&scorer, req, args.threshold, args.aggregate)?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    if args.json {
        println!("{}", serde_json::to_string(&verdict)?);
    } else {
        print_table(&verdict);
    }
    Ok(())
}

fn print_table(v: &Verdict) {
    println!("{:>4}  {:>6}  {:>6}  {:<4}  step", "#", "after", "step", "");
    for (i, s) in v.steps.iter().enumerate() {
        let mark = if v.first_bad_step == Some(i) {
            "<<"
        } else if s.step_score < v.threshold {
            "low"
        } else {
            ""
        };
        let mut text: String = s.text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.chars().count() > 90 {
            text = text.chars().take(87).collect::<String>() + "...";
        }
        println!(
            "{:>4}  {:>6.3}  {:>6.3}  {:<4}  {}",
            i + 1,
            s.score,
            s.step_score,
            mark,
            text
        );
        for c in &s.checks {
            match &c.expected {
                None => println!("{:>20}{} ✓", "", c.claim),
                Some(e) => println!(
                    "{:>20}{} ✗ — {e} (arithmetic error; model score {:.3})",
                    "", c.claim, s.model_score
                ),
            }
        }
    }
    println!();
    println!("PRM score ({}): {:.3}", v.aggregate, v.prm_score);
    println!("ORM score: {:.3}", v.orm_score);
    match v.first_bad_step {
        Some(i) => println!(
            "first step whose step score is below {:.2}: step {} (0-based {i})",
            v.threshold,
            i + 1
        ),
        None => println!("no step score below {:.2}", v.threshold),
    }
}
