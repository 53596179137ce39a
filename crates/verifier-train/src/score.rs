//! `prm score`: one solution in, the verdict out (JSON or a table).

use std::{io::Read, path::PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use verifier_core::{Decision, FlagReason, ScoreRequest, Scorer, Verdict, split_steps};

use crate::{device, model_dir};

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// Model directory (default: the shipped model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Step threshold (default: the one stored with the model).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// How step scores combine into the solution score (default: the model's).
    #[arg(long, value_enum)]
    pub aggregate: Option<device::AggregateArg>,
    /// Print the verdict as one JSON object.
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, default_value_t)]
    pub device: device::DeviceKind,
    /// The known final answer (exercise mode; overrides the request's "answer").
    #[arg(long)]
    pub answer: Option<String>,
    /// A reference solution, one step per line (exercise mode; overrides the request's "reference").
    #[arg(long, value_name = "FILE")]
    pub reference: Option<PathBuf>,
    /// Many requests, one JSON object per line; one verdict per line out (or `{"line", "error"}` for
    /// a line that cannot be scored). Every line is checked before the first is scored.
    #[arg(long)]
    pub jsonl: bool,
    /// With --jsonl: refuse the whole input if any line is bad (before any scoring).
    #[arg(long, requires = "jsonl")]
    pub strict: bool,
    /// Request JSON file, or - for standard input.
    #[arg(default_value = "-")]
    pub input: String,
}

/// Score one request with a loaded scorer and a decision (the model's, or with a caller's
/// threshold and aggregate: [`Decision::with_overrides`]).
pub fn score_request(scorer: &Scorer, req: ScoreRequest, decision: &Decision) -> Result<Verdict> {
    let enc = scorer.encoder.encode(&req.problem, &req.steps)?;
    let probs = scorer
        .probabilities(&enc)
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("read-back: {e:?}"))?;
    let exercise = req.exercise();
    let mut verdict = scorer.verdict(req.steps, &probs, decision, exercise.as_ref())?;
    // what was cut (a long step, a long problem) is part of the verdict, as in the browser
    verdict.warnings.extend(enc.warnings);
    Ok(verdict)
}

/// The model and the decision this run scores with.
fn load(args: &ScoreArgs) -> Result<(Scorer, Decision)> {
    let device = device::select(args.device)?;
    let dir = args
        .model
        .clone()
        .unwrap_or_else(model_dir::default_model_dir);
    let scorer = model_dir::load(&dir, &device)?;
    let decision = scorer
        .config
        .decision
        .with_overrides(args.threshold, args.aggregate.map(Into::into))
        .context("--threshold")?;
    Ok((scorer, decision))
}

/// `--reference FILE`: its steps.
fn read_reference(f: &std::path::Path) -> Result<Vec<String>> {
    let text = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
    let text = String::from_utf8(text).map_err(|e| {
        anyhow::anyhow!(
            "{} is not UTF-8 (byte {})",
            f.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(split_steps(&text))
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
    let reference = args.reference.as_deref().map(read_reference).transpose()?;
    // the command line's answer and reference replace the request's
    let with_flags = |mut req: ScoreRequest| {
        if let Some(a) = &args.answer {
            req.answer = Some(a.clone());
        }
        if let Some(r) = &reference {
            req.reference = Some(r.clone());
        }
        req
    };
    if args.jsonl {
        // every line checked before the first is scored; all bad lines reported at once
        // (input line number, request); blank lines are skipped but keep the numbering
        let requests: Vec<(usize, verifier_core::Result<ScoreRequest>)> = jsonl_requests(&bytes)
            .into_iter()
            .map(|(line, r)| (line, r.map(&with_flags)))
            .collect();
        let bad = requests.iter().filter(|r| r.1.is_err()).count();
        for (line, r) in &requests {
            if let Err(e) = r {
                eprintln!("warning: line {line}: {e}");
            }
        }
        if args.strict && bad > 0 {
            anyhow::bail!(
                "{bad} of {} requests are bad (--strict: nothing scored)",
                requests.len()
            );
        }
        return score_jsonl(&args, requests);
    }
    let req = with_flags(ScoreRequest::from_json(&bytes)?);
    let (scorer, decision) = load(&args)?;
    let verdict = score_request(&scorer, req, &decision)?;
    for w in &verdict.warnings {
        eprintln!("warning: {w}");
    }
    if args.json {
        println!("{}", serde_json::to_string(&verdict)?);
    } else {
        print_table(&verdict);
    }
    Ok(())
}

/// The requests of a JSON-lines input with their line numbers (blank lines are skipped but keep
/// the numbering); a line that is not a request is its error, the others are unaffected.
pub fn jsonl_requests(bytes: &[u8]) -> Vec<(usize, verifier_core::Result<ScoreRequest>)> {
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .map(|(i, l)| (i + 1, ScoreRequest::from_json(l)))
        .collect()
}

/// Exit status of `--jsonl` when some requests could not be scored (the others were).
pub const SOME_REQUESTS_BAD: i32 = 3;

/// The outcome of `--jsonl` when some requests could not be scored: every other one was, and
/// its verdict written.
#[derive(Debug)]
pub struct SomeRequestsBad(pub usize);

impl std::fmt::Display for SomeRequestsBad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} request(s) could not be scored; the others were",
            self.0
        )
    }
}

impl std::error::Error for SomeRequestsBad {}

/// `--jsonl`: score every good request, one verdict (or `{"line", "error"}`) per line, in input
/// order; a request that fails never costs the others.
fn score_jsonl(
    args: &ScoreArgs,
    requests: Vec<(usize, verifier_core::Result<ScoreRequest>)>,
) -> Result<()> {
    use std::io::Write;
    let (scorer, decision) = load(args)?;
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    for (line_no, req) in requests {
        let scored = match req {
            Ok(r) => score_request(&scorer, r, &decision).inspect_err(|e| {
                eprintln!("warning: line {line_no}: {e}");
            }),
            Err(e) => Err(e.into()),
        };
        let line = match scored {
            Ok(v) => serde_json::to_string(&v)?,
            Err(e) => {
                failed += 1;
                serde_json::json!({"line": line_no, "error": e.to_string()}).to_string()
            }
        };
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    if failed > 0 {
        return Err(SomeRequestsBad(failed).into());
    }
    Ok(())
}

/// Why a step is flagged, in words.
pub fn reason_text(r: FlagReason) -> &'static str {
    match r {
        FlagReason::FalseClaim => "a false arithmetic claim",
        FlagReason::LowScore => "the model doubts this step",
        FlagReason::DivergesFromReference => {
            "a number neither the problem nor the reference solution has"
        }
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
