//! `prm samples`: the demo pages' sample list, drawn from the data folder at build time (the data
//! itself is never committed): ProcessBench items — correct, right answer with a wrong step, wrong
//! answer — and held-out GSM8K problems with four model solutions for the PRM-vs-ORM page.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde_json::json;
use verifier_data::{DataDir, sources};

use crate::model_dir;

#[derive(Args, Debug)]
pub struct SamplesArgs {
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    #[arg(long, default_value = "web/samples.json")]
    pub out: PathBuf,
    /// Items per kind and subset.
    #[arg(long, default_value_t = 3)]
    pub per_kind: usize,
}

fn title(problem: &str) -> String {
    let words: Vec<&str> = problem.split_whitespace().take(9).collect();
    format!("{}…", words.join(" "))
}

pub fn run(args: SamplesArgs) -> Result<()> {
    let data = DataDir::open(&args.data)?;
    let mut samples = Vec::new();
    for sub in ["gsm8k", "math"] {
        let items = sources::processbench(&data, sub)?;
        let known = crate::eval::exercise::known(&data, sub)?;
        let kinds: [(&str, fn(&sources::ProcessBenchItem) -> bool); 3] = [
            ("right answer, wrong step", |i| {
                i.label >= 0 && i.final_answer_correct == Some(true)
            }),
            ("wrong step, wrong answer", |i| {
                i.label >= 0 && i.final_answer_correct != Some(true)
            }),
            ("correct", |i| i.label < 0),
        ];
        for (kind, pick) in kinds {
            for it in items
                .iter()
                .filter(|i| pick(i) && i.steps.len() <= 12)
                .take(args.per_kind)
            {
                samples.push(json!({
                    "id": it.id, "title": title(&it.problem), "kind": format!("{kind}, ProcessBench {sub}"),
                    "problem": it.problem, "steps": it.steps, "label": it.label,
                    "final_answer_correct": it.final_answer_correct,
                    "answer": known.get(&verifier_data::problem_key(&it.problem)).map(|k| &k.0),
                }));
            }
        }
    }
    let (_, held) = sources::gsm8k_model_solutions(&data, &sources::evaluation_problems(&data)?)?;
    let compare: Vec<_> = held
        .iter()
        .filter(|b| b.candidates.iter().any(|c| c.correct) && b.candidates.iter().any(|c| !c.correct))
        .take(args.per_kind * 3)
        .map(|b| {
            json!({
                "problem": b.problem, "source": "GSM8K held-out, 4 model solutions",
                "answer": b.answer,
                "solutions": b.candidates.iter().map(|c| json!({"steps": c.steps, "correct": c.correct})).collect::<Vec<_>>(),
            })
        })
        .collect();
    // best-of-8 on MATH: the problems where the samples disagree first (the set is easy: most
    // problems are solved by every sample, and those separate no judge)
    let mut bo8 = sources::qwen_best_of_8(&data)?;
    bo8.sort_by_key(|b| {
        b.candidates.iter().all(|c| c.correct) || b.candidates.iter().all(|c| !c.correct)
    });
    let best_of_n: Vec<_> = bo8
        .iter()
        .take(args.per_kind * 8)
        .map(|b| {
            json!({
                "problem": b.problem, "source": "MATH, 8 sampled solutions (Qwen)",
                "answer": b.answer,
                "candidates": b.candidates.iter().map(|c| json!({"steps": c.steps, "correct": c.correct})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let out = json!({"samples": samples, "compare": compare, "best_of_n": best_of_n});
    model_dir::write_atomic(&args.out, serde_json::to_string(&out)?.as_bytes())?;
    eprintln!(
        "wrote {} ({} samples, {} comparison problems, {} best-of-8 problems)",
        args.out.display(),
        samples.len(),
        compare.len(),
        best_of_n.len()
    );
    Ok(())
}
