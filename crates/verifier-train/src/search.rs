//! `prm search`: verifier-guided step search (HGS-PRM) over trees of candidate steps — the PRM800K
//! phase-1 test trees (rows that share a problem and a prefix are alternative next steps, rated by
//! people) against a random walk, the greedy walk and the ORM's pick, or a user's own tree.

use std::{collections::HashMap, path::PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::Serialize;
use verifier_core::{
    Decision, Scorer,
    decision::answer,
    search::{self, Event, Node, TreeInput},
};
use verifier_data::{DataDir, problem_key, read_jsonl, sources::Prm800kRow};

use crate::eval::{
    Common, Sets,
    cache::ScoreCache,
    common::{load_with_decision, verdict_of},
};

#[derive(Args, Debug)]
pub struct SearchArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub sets: Sets,
    /// A tree of your own instead of the PRM800K test trees: {"problem", "children": [{"text",
    /// "children": [...]}, ...]}; a step without children ends the solution.
    #[arg(long, value_name = "FILE")]
    pub tree: Option<PathBuf>,
    /// Steps the search may take in one tree.
    #[arg(long, default_value_t = 50)]
    pub max_visits: usize,
    /// Use only the first N PRM800K trees (quick runs).
    #[arg(long)]
    pub limit: Option<usize>,
}

/// A candidate step of a tree, with what the data knows of it.
#[derive(Clone, Debug, Default)]
pub struct Step {
    pub text: String,
    /// A person's rating (PRM800K: +1, 0, −1), where there is one.
    pub rating: Option<i8>,
    pub end: bool,
    /// The final answer stated, on a step that ends a solution.
    pub answer: Option<String>,
    pub children: Vec<Step>,
}

/// A problem and its first candidate steps.
#[derive(Clone, Debug)]
pub struct Tree {
    pub problem: String,
    pub roots: Vec<Step>,
}

/// The PRM800K rows as trees: the rows at a problem and a prefix are that node's children
/// (one per distinct step text).
pub fn prm800k_trees(rows: &[Prm800kRow]) -> Vec<Tree> {
    let mut at: HashMap<(&str, &[String]), Vec<&Prm800kRow>> = HashMap::new();
    let mut problems = Vec::new();
    for r in rows {
        if r.responses.is_empty() && !at.contains_key(&(r.instruction.as_str(), &[][..])) {
            problems.push(r.instruction.as_str());
        }
        at.entry((r.instruction.as_str(), r.responses.as_slice()))
            .or_default()
            .push(r);
    }
    fn build(
        at: &HashMap<(&str, &[String]), Vec<&Prm800kRow>>,
        problem: &str,
        prefix: &[String],
    ) -> Vec<Step> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for r in at.get(&(problem, prefix)).into_iter().flatten() {
            if !seen.insert(r.next_response.as_str()) || r.next_response.trim().is_empty() {
                continue;
            }
            let mut path = prefix.to_vec();
            path.push(r.next_response.clone());
            out.push(Step {
                text: r.next_response.clone(),
                rating: r.rating,
                end: r.is_solution,
                answer: r.answer.clone(),
                children: build(at, problem, &path),
            });
        }
        out
    }
    problems
        .into_iter()
        .map(|p| Tree {
            problem: p.to_string(),
            roots: build(&at, p, &[]),
        })
        .collect()
}

fn kids(s: &Step) -> &[Step] {
    &s.children
}

fn leaf_paths(roots: &[Step]) -> Vec<Vec<usize>> {
    search::leaf_paths(roots, kids)
}

fn steps_on<'a>(roots: &'a [Step], path: &[usize]) -> Vec<&'a Step> {
    search::along(roots, path, kids)
}

/// The scores of a tree: every step's step score under `decision` (a step's score depends only on
/// the steps before it, so each is read off any path through it) and the answer score at every
/// leaf, keyed by path.
struct Scored {
    nodes: Vec<Node>,
    orm_at_leaf: Vec<(Vec<usize>, f64)>,
}

fn score_trees(
    scorer: &Scorer,
    cache: &ScoreCache,
    decision: &Decision,
    trees: &[Tree],
    batch_tokens: usize,
    label: &str,
) -> Result<Vec<Scored>> {
    let paths: Vec<Vec<Vec<usize>>> = trees.iter().map(|t| leaf_paths(&t.roots)).collect();
    let texts: Vec<Vec<String>> = trees
        .iter()
        .zip(&paths)
        .flat_map(|(t, ps)| {
            ps.iter().map(|p| {
                steps_on(&t.roots, p)
                    .iter()
                    .map(|s| s.text.clone())
                    .collect()
            })
        })
        .collect();
    let mut items: Vec<(&str, &[String])> = Vec::new();
    let mut k = 0;
    for (t, ps) in trees.iter().zip(&paths) {
        for _ in ps {
            items.push((t.problem.as_str(), texts[k].as_slice()));
            k += 1;
        }
    }
    let probs = cache.scores(scorer, &items, batch_tokens, label)?;
    let mut probs = probs.into_iter().zip(texts);
    let mut out = Vec::new();
    for (t, ps) in trees.iter().zip(&paths) {
        let mut nodes = to_nodes(&t.roots);
        let mut orm_at_leaf = Vec::new();
        for p in ps {
            let Some((pr, steps)) = probs.next() else {
                bail!("{label}: fewer scores than paths");
            };
            let v = verdict_of(decision, steps, &pr);
            let mut level = &mut nodes;
            for (depth, &i) in p.iter().enumerate() {
                let n = &mut level[i];
                n.score = v.steps.get(depth).map_or(0.0, |s| s.step_score);
                level = &mut n.children;
            }
            orm_at_leaf.push((p.clone(), v.orm_score));
        }
        out.push(Scored { nodes, orm_at_leaf });
    }
    Ok(out)
}

fn to_nodes(steps: &[Step]) -> Vec<Node> {
    steps
        .iter()
        .map(|s| Node {
            score: 0.0,
            end: s.end,
            children: to_nodes(&s.children),
        })
        .collect()
}

/// A step that ends a solution with the known final answer.
fn right_answer(s: &Step, known: Option<&str>) -> bool {
    s.end
        && s.answer
            .as_deref()
            .zip(known)
            .is_some_and(|(a, k)| answer::compare(a, k) == Some(true))
}

/// How one chosen path does: no step rated −1, and a final answer equal to the known one.
fn judge_path(tree: &Tree, path: &[usize], known: Option<&str>) -> (bool, bool) {
    let steps = steps_on(&tree.roots, path);
    let clean = steps.iter().all(|s| s.rating != Some(-1));
    (clean, steps.last().is_some_and(|s| right_answer(s, known)))
}

/// The expected shares of a uniformly random walk (a random child at every node, down to a
/// leaf) with no −1 step, and with a correct final answer.
fn random_walk(steps: &[Step], known: Option<&str>) -> (f64, f64) {
    let n = steps.len().max(1) as f64;
    steps.iter().fold((0.0, 0.0), |(clean, right), s| {
        let (c, r) = if s.children.is_empty() {
            (1.0, f64::from(u8::from(right_answer(s, known))))
        } else {
            random_walk(&s.children, known)
        };
        let c = if s.rating == Some(-1) { 0.0 } else { c };
        (clean + c / n, right + r / n)
    })
}

/// `prm search --json` over the PRM800K test trees.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SearchReport {
    pub trees: usize,
    pub threshold: f64,
    pub max_visits: usize,
    /// The share of chosen paths with no step rated −1: the search, a random walk, the greedy walk
    /// (the best child at every node, no threshold), the ORM's pick among all paths to a leaf.
    pub prm: f64,
    pub random: f64,
    pub greedy: f64,
    pub orm: f64,
    /// Controls: the same depth-first walk with no threshold (backtracking only past steps that
    /// lead nowhere), in the PRM's order and in a random order (mean of [`RANDOM_ORDERS`] seeds).
    pub prm_no_threshold: f64,
    pub random_order: f64,
    pub prm_no_threshold_correct_answer: f64,
    pub random_order_correct_answer: f64,
    /// The share of trees where the search reached the end of a solution without a doubted step.
    pub prm_found: f64,
    pub prm_backtracks_mean: f64,
    /// The share of chosen paths that end in a correct final answer.
    pub prm_correct_answer: f64,
    pub random_correct_answer: f64,
    pub greedy_correct_answer: f64,
    pub orm_correct_answer: f64,
}

/// Seeds of the random-order control.
pub const RANDOM_ORDERS: u64 = 20;

/// The tree with random scores: a depth-first walk over it takes the children in a random order.
fn random_scores(nodes: &[Node], rng: &mut StdRng) -> Vec<Node> {
    nodes
        .iter()
        .map(|n| Node {
            score: rng.random_range(0.0..1.0),
            end: n.end,
            children: random_scores(&n.children, rng),
        })
        .collect()
}

fn prm800k_report(args: &SearchArgs) -> Result<SearchReport> {
    let data = DataDir::open(&args.sets.data)?;
    let (scorer, decision, dir) = load_with_decision(&args.common)?;
    let cache = ScoreCache::new(args.sets.cache.clone(), &dir, &scorer)?;
    let rows: Vec<Prm800kRow> = read_jsonl(&data.path("prm800k-phase1/test.jsonl"))?;
    let mut trees = prm800k_trees(&rows);
    if let Some(n) = args.limit {
        trees.truncate(n);
    }
    let known = crate::eval::exercise::known(&data, "math")?;
    let scored = score_trees(
        &scorer,
        &cache,
        &decision,
        &trees,
        args.common.batch_tokens,
        "prm800k search",
    )?;
    let threshold = decision.threshold();
    let mut r = SearchReport {
        trees: trees.len(),
        threshold,
        max_visits: args.max_visits,
        ..Default::default()
    };
    for (t, s) in trees.iter().zip(&scored) {
        let k = known.get(&problem_key(&t.problem)).map(|k| k.0.as_str());
        let walk = search::search(&s.nodes, threshold, args.max_visits);
        let (clean, correct) = judge_path(t, &walk.chosen, k);
        r.prm += f64::from(u8::from(clean));
        r.prm_correct_answer += f64::from(u8::from(correct));
        r.prm_found += f64::from(u8::from(walk.found.is_some()));
        r.prm_backtracks_mean += walk.backtracks as f64;
        let (clean, correct) = judge_path(t, &search::greedy(&s.nodes), k);
        r.greedy += f64::from(u8::from(clean));
        r.greedy_correct_answer += f64::from(u8::from(correct));
        let orm_pick =
            s.orm_at_leaf
                .iter()
                .fold(None::<&(Vec<usize>, f64)>, |best, cur| match best {
                    Some(b) if b.1 >= cur.1 => Some(b),
                    _ => Some(cur),
                });
        if let Some((path, _)) = orm_pick {
            let (clean, correct) = judge_path(t, path, k);
            r.orm += f64::from(u8::from(clean));
            r.orm_correct_answer += f64::from(u8::from(correct));
        }
        let (clean, correct) =
            judge_path(t, &search::search(&s.nodes, 0.0, args.max_visits).chosen, k);
        r.prm_no_threshold += f64::from(u8::from(clean));
        r.prm_no_threshold_correct_answer += f64::from(u8::from(correct));
        for seed in 0..RANDOM_ORDERS {
            let shuffled = random_scores(&s.nodes, &mut StdRng::seed_from_u64(seed));
            let walk = search::search(&shuffled, 0.0, args.max_visits);
            let (clean, correct) = judge_path(t, &walk.chosen, k);
            r.random_order += f64::from(u8::from(clean)) / RANDOM_ORDERS as f64;
            r.random_order_correct_answer += f64::from(u8::from(correct)) / RANDOM_ORDERS as f64;
        }
        let (clean, correct) = random_walk(&t.roots, k);
        r.random += clean;
        r.random_correct_answer += correct;
    }
    let n = trees.len().max(1) as f64;
    for v in [
        &mut r.prm,
        &mut r.random,
        &mut r.greedy,
        &mut r.orm,
        &mut r.prm_no_threshold,
        &mut r.random_order,
        &mut r.prm_no_threshold_correct_answer,
        &mut r.random_order_correct_answer,
        &mut r.prm_found,
        &mut r.prm_backtracks_mean,
        &mut r.prm_correct_answer,
        &mut r.random_correct_answer,
        &mut r.greedy_correct_answer,
        &mut r.orm_correct_answer,
    ] {
        *v /= n;
    }
    Ok(r)
}

pub fn run(args: SearchArgs) -> Result<()> {
    let Some(file) = &args.tree else {
        let r = prm800k_report(&args)?;
        if args.common.json {
            println!("{}", serde_json::to_string(&r)?);
        } else {
            print_report(&r);
        }
        return Ok(());
    };
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let tree = TreeInput::from_json(&bytes).with_context(|| file.display().to_string())?;
    let (scorer, decision, _) = load_with_decision(&args.common)?;
    let paths = tree.leaf_paths();
    let texts: Vec<Vec<String>> = paths.iter().map(|p| tree.texts(p)).collect();
    let items: Vec<(&str, &[String])> = texts
        .iter()
        .map(|t| (tree.problem.as_str(), t.as_slice()))
        .collect();
    let probs = ScoreCache::none().scores(&scorer, &items, args.common.batch_tokens, "tree")?;
    let verdicts: Vec<_> = probs
        .iter()
        .zip(texts)
        .map(|(pr, steps)| verdict_of(&decision, steps, pr))
        .collect();
    let walk = tree.walk(
        &tree.scored(&verdicts),
        decision.threshold(),
        args.max_visits,
    );
    if args.common.json {
        println!("{}", serde_json::to_string(&walk)?);
        return Ok(());
    }
    for e in &walk.events {
        let (arrow, depth) = match &e.event {
            Event::Visit { path } => ("→", path.len()),
            Event::Backtrack { path } => ("← back from", path.len()),
        };
        println!(
            "{}{arrow} {:.3}  {}",
            "  ".repeat(depth.saturating_sub(1)),
            e.score,
            e.text
        );
    }
    println!(
        "{} ({} backtracks); chosen path:",
        if walk.found {
            "found a solution with no step below the threshold"
        } else {
            "no solution with every step at or above the threshold: the greedy path"
        },
        walk.backtracks
    );
    for (i, s) in walk.chosen.iter().enumerate() {
        println!("  {}. {s}", i + 1);
    }
    Ok(())
}

fn print_report(r: &SearchReport) {
    println!(
        "PRM800K phase-1 test: {} trees, threshold {:.3}, at most {} steps a search",
        r.trees, r.threshold, r.max_visits
    );
    println!(
        "{:<28} {:>14} {:>16}",
        "walk", "no -1 step", "correct answer"
    );
    for (name, clean, correct) in [
        ("PRM search (backtracking)", r.prm, r.prm_correct_answer),
        (
            "  no threshold, PRM order",
            r.prm_no_threshold,
            r.prm_no_threshold_correct_answer,
        ),
        (
            "  no threshold, random order",
            r.random_order,
            r.random_order_correct_answer,
        ),
        (
            "greedy (best step score)",
            r.greedy,
            r.greedy_correct_answer,
        ),
        ("ORM pick (best leaf)", r.orm, r.orm_correct_answer),
        ("random walk (expected)", r.random, r.random_correct_answer),
    ] {
        println!(
            "{name:<28} {:>13.1}% {:>15.1}%",
            100.0 * clean,
            100.0 * correct
        );
    }
    println!(
        "the search reached a solution's end without a doubted step in {:.1}% of trees ({:.1} backtracks a tree)",
        100.0 * r.prm_found,
        r.prm_backtracks_mean
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(prefix: &[&str], next: &str, rating: i8, end: bool) -> Prm800kRow {
        Prm800kRow {
            instruction: "P".into(),
            responses: prefix.iter().map(|s| s.to_string()).collect(),
            next_response: next.into(),
            rating: Some(rating),
            answer: end.then(|| "4".into()),
            is_solution: end,
        }
    }

    #[test]
    fn rows_become_trees_and_random_walks_are_counted_exactly() {
        let rows = vec![
            row(&[], "a", 1, false),
            row(&[], "b", -1, false),
            row(&["a"], "a1", 1, true),
            row(&["a"], "a2", -1, true),
            row(&["a"], "a1", 1, true), // a duplicate alternative
        ];
        let trees = prm800k_trees(&rows);
        assert_eq!(trees.len(), 1);
        let t = &trees[0];
        assert_eq!(t.roots.len(), 2);
        assert_eq!(t.roots[0].children.len(), 2);
        assert_eq!(leaf_paths(&t.roots), [vec![0, 0], vec![0, 1], vec![1]]);
        // random: root a (1/2) then a1 (1/2) is clean: 1/4; answers: a1 says 4 (right), a2 says
        // 4 too (rated wrong, but the answer is right): 1/2
        let (clean, correct) = random_walk(&t.roots, Some("4"));
        assert!((clean - 0.25).abs() < 1e-12);
        assert!((correct - 0.5).abs() < 1e-12);
        assert_eq!(judge_path(t, &[0, 0], Some("4")), (true, true));
        assert_eq!(judge_path(t, &[0, 1], Some("5")), (false, false));
    }
}
