//! `prm select`: what to label next (active learning). Lightman et al. (2023, §4.1) labelled the
//! most *convincing wrong-answer* solutions — a high PRM score and a wrong final answer, where the
//! model is most surely mistaken — for 80% of each batch, and the most convincing of the rest for
//! 20%. This ranks a pool of solutions (each with its problem's known answer) the same way and
//! writes the ones to label, with their verdicts, for the labelling page (`web/label.html`).

use std::{io::Write, path::PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use verifier_core::Verdict;

use crate::{
    device, model_dir,
    score::{jsonl_requests, score_request},
};

#[derive(Args, Debug)]
pub struct SelectArgs {
    /// The pool: JSON lines of {"problem", "solution" (or "steps"), "answer"}.
    #[arg(long)]
    pub pool: PathBuf,
    /// How many solutions to choose.
    #[arg(long)]
    pub n: usize,
    /// The share chosen among wrong-answer solutions (the rest: the most convincing of the others).
    #[arg(long, default_value_t = 0.8)]
    pub wrong_share: f64,
    /// Model directory (default: the shipped model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub device: device::DeviceKind,
    /// Write the chosen solutions here, one JSON object per line (the labelling page reads it).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the chosen solutions as one JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Why a solution was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// A wrong final answer the model scores high: its verdict is most surely mistaken.
    ConvincingWrong,
    /// The most convincing of the rest.
    Convincing,
}

/// One chosen solution.
#[derive(Clone, Debug, Serialize)]
pub struct Chosen {
    /// Its line in the pool.
    pub line: usize,
    pub reason: Reason,
    /// The solution's final answer against the pool's `answer`: `null` when there is none, or it
    /// cannot be decided.
    pub answer_correct: Option<bool>,
    pub prm_score: f64,
    pub problem: String,
    pub answer: Option<String>,
    pub steps: Vec<String>,
    pub verdict: Verdict,
}

/// Choose `n` of the scored pool: `wrong_share` of them (rounded) among the wrong answers by
/// PRM score, the rest among all others by PRM score. Ties keep the pool's order.
pub fn choose(mut scored: Vec<Chosen>, n: usize, wrong_share: f64) -> Vec<Chosen> {
    scored.sort_by(|a, b| {
        b.prm_score
            .total_cmp(&a.prm_score)
            .then(a.line.cmp(&b.line))
    });
    let k_wrong = ((n as f64 * wrong_share).round() as usize).min(n);
    let (mut wrong, mut rest): (Vec<Chosen>, Vec<Chosen>) = scored
        .into_iter()
        .partition(|c| c.answer_correct == Some(false));
    let extra_wrong = wrong.split_off(k_wrong.min(wrong.len()));
    for c in &mut wrong {
        c.reason = Reason::ConvincingWrong;
    }
    // the rest: every solution not chosen yet, wrong answers left over included
    rest.extend(extra_wrong);
    rest.sort_by(|a, b| {
        b.prm_score
            .total_cmp(&a.prm_score)
            .then(a.line.cmp(&b.line))
    });
    rest.truncate(n - wrong.len());
    for c in &mut rest {
        c.reason = Reason::Convincing;
    }
    wrong.extend(rest);
    wrong
}

pub fn run(args: SelectArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&args.wrong_share) {
        bail!("--wrong-share takes a share from 0 to 1");
    }
    let bytes = std::fs::read(&args.pool)
        .with_context(|| format!("cannot read {}", args.pool.display()))?;
    let dir = args
        .model
        .clone()
        .unwrap_or_else(model_dir::default_model_dir);
    let scorer = model_dir::load(&dir, &device::select(args.device)?)?;
    // a bad line is reported and skipped: it never costs the others
    let mut scored = Vec::new();
    let mut bad = 0;
    for (line, req) in jsonl_requests(&bytes) {
        let result = req.map_err(anyhow::Error::from).and_then(|req| {
            let (problem, answer) = (req.problem.clone(), req.answer.clone());
            let verdict = score_request(&scorer, req, &scorer.config.decision)?;
            Ok((problem, answer, verdict))
        });
        match result {
            Ok((problem, answer, verdict)) => scored.push(Chosen {
                line,
                reason: Reason::Convincing,
                answer_correct: verdict.answer_check.as_ref().and_then(|c| c.matches),
                prm_score: verdict.prm_score,
                problem,
                answer,
                steps: verdict.steps.iter().map(|s| s.text.clone()).collect(),
                verdict,
            }),
            Err(e) => {
                bad += 1;
                eprintln!("warning: {} line {line}: {e:#}", args.pool.display());
            }
        }
    }
    let pool = scored.len();
    let wrong = scored
        .iter()
        .filter(|c| c.answer_correct == Some(false))
        .count();
    let chosen = choose(scored, args.n, args.wrong_share);
    eprintln!(
        "pool: {pool} scored ({wrong} with a wrong answer), {bad} bad line(s); chose {}",
        chosen.len()
    );
    if let Some(out) = &args.out {
        let mut text = String::new();
        for c in &chosen {
            text.push_str(&serde_json::to_string(c)?);
            text.push('\n');
        }
        model_dir::write_atomic(out, text.as_bytes())?;
        eprintln!("wrote {}", out.display());
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string(&chosen)?)?;
    } else {
        writeln!(
            stdout,
            "{:>5}  {:<16}  {:>6}  {:<7}  problem",
            "line", "reason", "PRM", "answer"
        )?;
        for c in &chosen {
            let answer = match c.answer_correct {
                Some(true) => "right",
                Some(false) => "wrong",
                None => "?",
            };
            let reason = serde_json::to_value(c.reason)?;
            let title: String = c.problem.chars().take(60).collect();
            writeln!(
                stdout,
                "{:>5}  {:<16}  {:>6.3}  {:<7}  {}",
                c.line,
                reason.as_str().unwrap_or_default(),
                c.prm_score,
                answer,
                title.replace('\n', " ")
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(line: usize, prm: f64, correct: Option<bool>) -> Chosen {
        Chosen {
            line,
            reason: Reason::Convincing,
            answer_correct: correct,
            prm_score: prm,
            problem: String::new(),
            answer: None,
            steps: Vec::new(),
            verdict: Verdict {
                steps: Vec::new(),
                prm_score: prm,
                aggregate: verifier_core::Aggregate::Product,
                orm_score: 0.5,
                threshold: 0.5,
                prior: None,
                first_bad_step: None,
                answer_check: None,
                warnings: Vec::new(),
            },
        }
    }

    #[test]
    fn convincing_wrong_answers_first_then_the_most_convincing_rest() {
        let pool = vec![
            item(1, 0.9, Some(true)),
            item(2, 0.2, Some(false)),
            item(3, 0.8, Some(false)),
            item(4, 0.7, None),
            item(5, 0.5, Some(false)),
            item(6, 0.95, Some(true)),
        ];
        let c = choose(pool.clone(), 5, 0.8);
        let lines: Vec<usize> = c.iter().map(|c| c.line).collect();
        // 4 wrong answers wanted, 3 exist: all three by PRM score, then the two best others
        assert_eq!(lines, [3, 5, 2, 6, 1]);
        assert!(c[..3].iter().all(|c| c.reason == Reason::ConvincingWrong));
        assert!(c[3..].iter().all(|c| c.reason == Reason::Convincing));
        // 2 of 5 wrong: the two most convincing, then the rest by score (a left-over wrong one too)
        let lines: Vec<usize> = choose(pool.clone(), 5, 0.4)
            .iter()
            .map(|c| c.line)
            .collect();
        assert_eq!(lines, [3, 5, 6, 1, 4]);
        assert!(choose(pool.clone(), 0, 0.8).is_empty());
        assert_eq!(choose(pool, 100, 0.8).len(), 6);
    }
}
