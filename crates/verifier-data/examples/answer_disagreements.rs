//! Where the answer grader and ProcessBench's `final_answer_correct` disagree, or the grader cannot
//! decide: one line per item (`kind`, id, the final answer found, the known answer).
//!
//! `cargo run --release -p verifier-data --example answer_disagreements -- math [../shared/data]`

use std::collections::HashMap;

use verifier_data::{DataDir, problem_key, sources};
use verifier_text::answer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let subset = args.next().unwrap_or_else(|| "math".into());
    let data = DataDir::open(std::path::Path::new(
        &args.next().unwrap_or_else(|| "../shared/data".into()),
    ))?;
    let known: HashMap<String, String> = match subset.as_str() {
        "math" => sources::math(&data, "test")?
            .into_iter()
            .filter_map(|it| {
                Some((
                    problem_key(&it.problem),
                    answer::extract_boxed(&it.solution)?,
                ))
            })
            .collect(),
        "gsm8k" => sources::gsm8k(&data, "test")?
            .iter()
            .filter_map(|it| Some((problem_key(&it.question), sources::gsm8k_reference(it).1?)))
            .collect(),
        other => return Err(format!("no known answers for {other} (gsm8k or math)").into()),
    };
    for it in sources::processbench(&data, &subset)? {
        let Some(expected) = known.get(&problem_key(&it.problem)) else {
            continue;
        };
        let (found, matches) = answer::judge(&it.steps, expected, true);
        let kind = match (matches, it.final_answer_correct.unwrap_or(false)) {
            (Some(true), false) => "matches, benchmark says wrong",
            (Some(false), true) => "differs, benchmark says correct",
            (None, true) => "undecided, correct",
            (None, false) => "undecided, wrong",
            _ => continue,
        };
        println!("{kind}\t{}\t{found:?}\t{expected:?}", it.id);
    }
    Ok(())
}
