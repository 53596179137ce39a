//! Readers for each dataset in the data folder, and the evaluation problems never trained on.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use verifier_text::split_steps;

use verifier_text::answer;

use crate::{DataDir, LabeledSolution, Result, problem_key, read_json, read_jsonl};

// ---------------------------------------------------------------- PRM800K

#[derive(Debug, Deserialize)]
pub struct Prm800kRow {
    pub instruction: String,
    pub responses: Vec<String>,
    pub next_response: String,
    pub rating: Option<i8>,
    pub answer: Option<String>,
    #[serde(default)]
    pub is_solution: bool,
}

/// One example per rated row: the preferred steps before it and the rated step. The earlier steps
/// carry their own ratings where the file has them (+1 and 0 count as correct, -1 as wrong); the
/// labels stop at the first wrong step. Rows without a rating are skipped.
pub fn prm800k(data: &DataDir, split: &str) -> Result<Vec<LabeledSolution>> {
    prm800k_file(&data.path(&format!("prm800k-phase1/{split}.jsonl")))
}

/// [`prm800k`] of any file in its format (e.g. the rows the labelling page exports).
pub fn prm800k_file(path: &std::path::Path) -> Result<Vec<LabeledSolution>> {
    let rows: Vec<Prm800kRow> = read_jsonl(path)?;
    let mut rating_of: HashMap<(&str, usize, &str), i8> = HashMap::new();
    for r in &rows {
        if let Some(rt) = r.rating {
            rating_of.insert((&r.instruction, r.responses.len(), &r.next_response), rt);
        }
    }
    let mut out = Vec::new();
    for r in &rows {
        let Some(rating) = r.rating else { continue };
        let mut steps: Vec<String> = r.responses.clone();
        steps.push(r.next_response.clone());
        if steps.iter().any(|s| s.trim().is_empty()) {
            continue;
        }
        let mut labels = Vec::with_capacity(steps.len());
        let mut neutral = Vec::new();
        for (i, s) in r.responses.iter().enumerate() {
            let rated = rating_of.get(&(r.instruction.as_str(), i, s.as_str()));
            if rated == Some(&0) {
                neutral.push(i);
            }
            let ok = rated.is_none_or(|&x| x >= 0);
            labels.push(ok);
            if !ok {
                break;
            }
        }
        if labels.iter().all(|&l| l) {
            if rating == 0 {
                neutral.push(labels.len());
            }
            labels.push(rating >= 0);
        }
        let answer_correct = if r.is_solution && r.answer.is_some() {
            Some(labels.iter().all(|&l| l))
        } else {
            None
        };
        out.push(LabeledSolution {
            problem: r.instruction.clone(),
            steps,
            labels,
            neutral,
            answer_correct,
            source: "prm800k",
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- GSM8K

#[derive(Debug, Deserialize)]
pub struct Gsm8kItem {
    pub question: String,
    pub answer: String,
}

/// Remove GSM8K calculator annotations `<<48/2=24>>`.
pub fn strip_calculator(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<<") {
        out.push_str(&rest[..i]);
        match rest[i..].find(">>") {
            Some(j) => rest = &rest[i + j + 2..],
            None => {
                rest = &rest[i..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Steps of a GSM8K reference answer (lines before `####`, annotations removed) and the answer.
pub fn gsm8k_reference(item: &Gsm8kItem) -> (Vec<String>, Option<String>) {
    let body = item
        .answer
        .rsplit_once("####")
        .map(|(b, _)| b)
        .unwrap_or(&item.answer);
    let steps = split_steps(&strip_calculator(body));
    (steps, answer::gsm8k_reference_answer(&item.answer))
}

pub fn gsm8k(data: &DataDir, split: &str) -> Result<Vec<Gsm8kItem>> {
    read_jsonl(&data.path(&format!("gsm8k/{split}.jsonl")))
}

/// Correct reference solutions of GSM8K train as labelled solutions (every step correct).
pub fn gsm8k_references(data: &DataDir) -> Result<Vec<LabeledSolution>> {
    Ok(gsm8k(data, "train")?
        .iter()
        .filter_map(|it| {
            let (steps, _) = gsm8k_reference(it);
            (!steps.is_empty()).then(|| LabeledSolution {
                problem: it.question.clone(),
                labels: vec![true; steps.len()],
                steps,
                answer_correct: Some(true),
                source: "gsm8k-ref",
                ..Default::default()
            })
        })
        .collect())
}

#[derive(Debug, Deserialize)]
struct ModelSolution {
    is_correct: bool,
    solution: String,
}

#[derive(Debug, Deserialize)]
struct ExampleRow {
    question: String,
    /// A reference solution ending in `A: n`.
    ground_truth: String,
    #[serde(rename = "6b_finetuning")]
    a: ModelSolution,
    #[serde(rename = "6b_verification")]
    b: ModelSolution,
    #[serde(rename = "175b_finetuning")]
    c: ModelSolution,
    #[serde(rename = "175b_verification")]
    d: ModelSolution,
}

/// One candidate solution for best-of-N.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub steps: Vec<String>,
    /// The final answer it states (normalised), for voting.
    pub answer: String,
    pub correct: bool,
    /// A reference reward model's score, where the data has one.
    pub reference_score: Option<f64>,
}

/// A problem with N candidate solutions.
#[derive(Clone, Debug)]
pub struct BestOfN {
    pub problem: String,
    /// The problem's answer, where the data gives it.
    pub answer: Option<String>,
    pub candidates: Vec<Candidate>,
}

/// Whether a GSM8K example-solutions problem (by its index in the file) is held out for
/// evaluation. Half the problems (odd indices) are held out, and so is every problem that also
/// appears in ProcessBench.
pub fn gsm8k_heldout(index: usize) -> bool {
    index % 2 == 1
}

/// GSM8K `example_model_solutions`, split by problem: (training problems as ORM-labelled
/// solutions, held-out problems as best-of-4 sets).
pub fn gsm8k_model_solutions(
    data: &DataDir,
    exclude: &HashSet<String>,
) -> Result<(Vec<LabeledSolution>, Vec<BestOfN>)> {
    let rows: Vec<ExampleRow> = read_jsonl(&data.path("gsm8k/example_model_solutions.jsonl"))?;
    let mut train = Vec::new();
    let mut heldout = Vec::new();
    for (i, r) in rows.into_iter().enumerate() {
        let sols = [r.a, r.b, r.c, r.d];
        let cands: Vec<Candidate> = sols
            .iter()
            .map(|s| {
                let text = strip_calculator(&s.solution);
                let answer = answer::voting_answer(&text).unwrap_or_default();
                Candidate {
                    steps: split_steps(&text),
                    answer,
                    correct: s.is_correct,
                    reference_score: None,
                }
            })
            .filter(|c| !c.steps.is_empty())
            .collect();
        if gsm8k_heldout(i) || exclude.contains(&problem_key(&r.question)) {
            heldout.push(BestOfN {
                problem: r.question,
                answer: answer::voting_answer(&r.ground_truth),
                candidates: cands,
            });
        } else {
            for c in cands {
                train.push(LabeledSolution {
                    problem: r.question.clone(),
                    // Step labels are unknown for model solutions: only the outcome is supervised.
                    labels: Vec::new(),
                    steps: c.steps,
                    answer_correct: Some(c.correct),
                    source: "gsm8k-model",
                    ..Default::default()
                });
            }
        }
    }
    Ok((train, heldout))
}

// ---------------------------------------------------------------- MATH

#[derive(Debug, Deserialize)]
pub struct MathItem {
    pub problem: String,
    pub solution: String,
}

pub fn math(data: &DataDir, split: &str) -> Result<Vec<MathItem>> {
    read_jsonl(&data.path(&format!("math/{split}.jsonl")))
}

/// Correct MATH train reference solutions (every step correct).
pub fn math_references(data: &DataDir, exclude: &HashSet<String>) -> Result<Vec<LabeledSolution>> {
    Ok(math(data, "train")?
        .into_iter()
        .filter(|m| !exclude.contains(&problem_key(&m.problem)))
        .filter_map(|m| {
            let steps = split_steps(&m.solution);
            (!steps.is_empty()).then(|| LabeledSolution {
                problem: m.problem,
                labels: vec![true; steps.len()],
                steps,
                answer_correct: Some(true),
                source: "math-ref",
                ..Default::default()
            })
        })
        .collect())
}

// ---------------------------------------------------------------- ProcessBench

#[derive(Clone, Debug, Deserialize)]
pub struct ProcessBenchItem {
    pub id: String,
    pub problem: String,
    pub steps: Vec<String>,
    /// Index of the first wrong step, or -1.
    pub label: i64,
    #[serde(default)]
    pub final_answer_correct: Option<bool>,
}

pub const PROCESSBENCH_SUBSETS: [&str; 4] = ["gsm8k", "math", "olympiadbench", "omnimath"];

pub fn processbench_file(path: &std::path::Path) -> Result<Vec<ProcessBenchItem>> {
    read_json(path)
}

pub fn processbench(data: &DataDir, subset: &str) -> Result<Vec<ProcessBenchItem>> {
    processbench_file(&data.path(&format!("processbench/{subset}.json")))
}

// ---------------------------------------------------------------- best-of-8

#[derive(Debug, Deserialize)]
struct QwenRow {
    question: String,
    answer: String,
    response: Vec<String>,
    pred: Vec<String>,
    score: Vec<bool>,
    pred_score: Vec<Vec<f64>>,
}

/// `best-of-n/qwen_math_cot_100.jsonl`: 100 MATH problems x 8 samples.
pub fn qwen_best_of_8(data: &DataDir) -> Result<Vec<BestOfN>> {
    let rows: Vec<QwenRow> = read_jsonl(&data.path("best-of-n/qwen_math_cot_100.jsonl"))?;
    Ok(rows
        .into_iter()
        .map(|r| BestOfN {
            problem: r.question,
            answer: Some(r.answer),
            candidates: r
                .response
                .iter()
                .zip(&r.pred)
                .zip(&r.score)
                .zip(&r.pred_score)
                .map(|(((resp, pred), &correct), ps)| Candidate {
                    steps: split_steps(resp),
                    answer: answer::normalize_answer(pred),
                    correct,
                    reference_score: ps.first().copied(),
                })
                .filter(|c| !c.steps.is_empty())
                .collect(),
        })
        .collect())
}

// ---------------------------------------------------------------- exclusions

/// Problems that must never be trained on: MATH-500 and every ProcessBench subset. (The held-out
/// GSM8K problems are kept apart by [`gsm8k_model_solutions`], which also holds out every
/// problem listed here.)
pub fn evaluation_problems(data: &DataDir) -> Result<HashSet<String>> {
    #[derive(Deserialize)]
    struct P {
        problem: String,
    }
    let mut set = HashSet::new();
    for p in read_jsonl::<P>(&data.path("math/math500_test.jsonl"))? {
        set.insert(problem_key(&p.problem));
    }
    for sub in PROCESSBENCH_SUBSETS {
        for it in processbench(data, sub)? {
            set.insert(problem_key(&it.problem));
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels stop at the first wrong step; neutral steps count as correct and are listed.
    #[test]
    fn prm800k_labels_and_neutral_steps() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let root = std::env::temp_dir().join(format!("prm800k-test-{}", std::process::id()));
        std::fs::create_dir_all(root.join("prm800k-phase1"))?;
        let row = |prefix: &[&str], step: &str, rating: i8| {
            serde_json::json!({"instruction": "P", "responses": prefix, "next_response": step,
                "rating": rating, "answer": null, "is_solution": false})
            .to_string()
        };
        let rows = [
            row(&[], "a", 1),
            row(&["a"], "b", 0),
            row(&["a", "b"], "c", -1),
            row(&["a", "b", "c"], "d", 1),
        ]
        .join("\n");
        std::fs::write(root.join("prm800k-phase1/train.jsonl"), rows)?;
        let got = prm800k(&DataDir::open(&root)?, "train");
        std::fs::remove_dir_all(&root).ok();
        let got = got?;
        let summary: Vec<(usize, Vec<bool>, Vec<usize>)> = got
            .iter()
            .map(|s| (s.steps.len(), s.labels.clone(), s.neutral.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (1, vec![true], vec![]),
                (2, vec![true, true], vec![1]),
                (3, vec![true, true, false], vec![1]),
                // after the first error nothing is supervised
                (4, vec![true, true, false], vec![1]),
            ]
        );
        Ok(())
    }
}
