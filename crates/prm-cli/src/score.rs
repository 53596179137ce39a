//! `prm score`: one solution in, the verdict out (JSON or a table).

use std::{io::Read, path::PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use verifier_core::{Aggregate, Decision, FlagReason, ScoreRequest, Scorer, Verdict, split_steps};

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
    /// The known final answer (exercise mode; overrides the request's "answer").
    #[arg(long)]
    pub answer: Option<String>,
    /// A reference solution, one step per line (exercise mode; overrides the request's "reference").
    #[arg(long, value_name = "FILE")]
    pub reference: Option<PathBuf>,
    /// Request JSON file, or - for standard input.
    #[arg(default_value = "-")]
    pub input: String,
}

/// Score one request with a loaded scorer and a decision (the model's, or with a caller's
/// threshold and aggregate: [`Decision::with_overrides`]).
pub fn score_request(
    scorer: &Scorer,
    req: ScoreRequest,
    decision: &Decision,
) -> Result<(Verdict, Vec<String>)> {
    let enc = scorer.encoder.encode(&req.problem, &req.steps)?;
    let probs = scorer
        .probabilities(&enc)
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("read-back: {e:?}"))?;
    let exercise = req.exercise();
    Ok((
        scorer.verdict(req.steps, &probs, decision, exercise.as_ref())?,
        enc.warnings,
    ))
}

pub fn run(args: ScoreArgs) -> Result<()> {
    verifier_core::decision::check_threshold(args.threshold).context("--threshold")?;
    let bytes = if args.input == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read standard input")?;
        b
    } else {
        std::fs::read(&args.input).with_context(|| format!("cannot read {}", args.input))?
    };
    let mut req = ScoreRequest::from_json(&bytes)?;
    if let Some(a) = args.answer {
        req.answer = Some(a);
    }
    if let Some(f) = &args.reference {
        let text = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let text = String::from_utf8(text).map_err(|e| {
            anyhow::anyhow!(
                "{} is not UTF-8 (byte {})",
                f.display(),
                e.utf8_error().valid_up_to()
            )
        })?;
        req.reference = Some(split_steps(&text));
    }
    let device = device::select(&args.device)?;
    let dir = args
        .model
        .clone()
        .unwrap_or_else(model_dir::default_model_dir);
    let scorer = model_dir::load(&dir, &device)?;
    let decision = scorer
        .config
        .decision
        .with_overrides(args.threshold, args.aggregate)
        .context("--threshold")?;
    let (verdict, warnings) = score_request(&scorer, req, &decision)?;
    for w in warnings.iter().chain(&verdict.warnings) {
        eprintln!("warning: {w}");
    }
    if args.json {
        println!("{}", serde_json::to_string(&verdict)?);
    } else {
        print_table(&verdict);
    }
    Ok(())
}

/// Why a step is flagged, in words.
pub fn reason_text(r: FlagReason) -> &'static str {
    match r {
        FlagReason::FalseClaim => "a false arithmetic claim",
        FlagReason::LowScore => "the model doubts this step",
        FlagReason::DivergesFromReference => "a result the reference solution does not have",
        FlagReason::WrongFinalAnswer => {
            "the final answer is wrong; the step the model trusts least"
        }
    }
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
    if let Some(c) = &v.answer_check {
        let verdict = match c.matches {
            Some(true) => "matches",
            Some(false) => "does not match",
            None => "cannot be compared",
        };
        println!(
            "answer check: expected {}, found {} — {verdict}",
            c.expected,
            c.found.as_deref().unwrap_or("(none)")
        );
    }
    match (v.first_bad_step, v.reason()) {
        (Some(i), Some(r)) => println!(
            "first bad step: step {} (0-based {i}): {}",
            i + 1,
            reason_text(r)
        ),
        _ => println!("no bad step (no step score below {:.2})", v.threshold),
    }
}
