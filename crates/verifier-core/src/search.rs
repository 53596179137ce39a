//! Step search guided by the verifier (HGS-PRM, Ma et al. 2023): walk a tree of candidate steps,
//! at each node taking the child with the highest step score, and backtrack when every child left
//! falls below the threshold (or leads nowhere). The CLI's `prm search` (PRM800K trees, a user's
//! tree) and the browser's search page both walk with [`search`].

use serde::{Deserialize, Serialize};

use crate::{Verdict, VerifierError, encode::Limits};

/// A candidate step with its score, and the steps that may follow it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Node {
    /// The step's score (e.g. its step score under the verdict's rule).
    pub score: f64,
    /// The step ends a solution.
    #[serde(default)]
    pub end: bool,
    #[serde(default)]
    pub children: Vec<Node>,
}

/// What the walk did, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Took the step at this path (child indices from the root).
    Visit { path: Vec<usize> },
    /// Gave up on the step at this path: no child left at or above the threshold leads anywhere.
    Backtrack { path: Vec<usize> },
}

/// Where the walk ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Walk {
    /// The path to a step that ends a solution, every step at or above the threshold; `None`
    /// when there is none within the budget.
    pub found: Option<Vec<usize>>,
    /// The path the search settles on: `found`, else the greedy path (the best child at every
    /// node, whatever its score) — a walk always chooses a path.
    pub chosen: Vec<usize>,
    pub events: Vec<Event>,
    pub backtracks: usize,
}

/// Children by descending score (a score that is not a number last); equal scores keep their
/// order.
fn ranked(nodes: &[Node]) -> Vec<usize> {
    let key = |i: usize| {
        let s = nodes[i].score;
        if s.is_nan() { f64::NEG_INFINITY } else { s }
    };
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    order.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
    order
}

/// The best child at every node down to a leaf.
pub fn greedy(roots: &[Node]) -> Vec<usize> {
    let mut path = Vec::new();
    let mut level = roots;
    while let Some(&best) = ranked(level).first() {
        path.push(best);
        level = &level[best].children;
    }
    path
}

/// Depth-first walk in score order, skipping steps below `threshold`, at most `max_visits` steps
/// taken (a bound on the work, e.g. the steps a generator would write).
pub fn search(roots: &[Node], threshold: f64, max_visits: usize) -> Walk {
    let mut events = Vec::new();
    let mut backtracks = 0;
    let mut visits = 0;
    // a stack of (path to the level, the level's untried children in score order)
    let mut stack: Vec<(Vec<usize>, Vec<usize>)> = vec![(Vec::new(), ranked(roots))];
    let node_at = |path: &[usize]| -> Option<&Node> {
        let (&first, rest) = path.split_first()?;
        rest.iter()
            .try_fold(roots.get(first)?, |n, &i| n.children.get(i))
    };
    let mut found = None;
    'walk: while let Some((path, untried)) = stack.last_mut() {
        let next = untried.first().copied();
        let level_path = path.clone();
        let level = match node_at(&level_path) {
            Some(n) => &n.children,
            None => roots,
        };
        match next.filter(|&i| level[i].score >= threshold) {
            Some(i) if visits < max_visits => {
                untried.remove(0);
                visits += 1;
                let mut child = level_path;
                child.push(i);
                events.push(Event::Visit {
                    path: child.clone(),
                });
                let node = &level[i];
                if node.end {
                    found = Some(child);
                    break 'walk;
                }
                if node.children.is_empty() {
                    // a dead end: the step leads nowhere
                    backtracks += 1;
                    events.push(Event::Backtrack { path: child });
                } else {
                    stack.push((child, ranked(&node.children)));
                }
            }
            Some(_) => break 'walk,
            None => {
                // every child left is below the threshold: give up on this step
                stack.pop();
                if !level_path.is_empty() {
                    backtracks += 1;
                    events.push(Event::Backtrack { path: level_path });
                }
            }
        }
    }
    Walk {
        chosen: found.clone().unwrap_or_else(|| greedy(roots)),
        found,
        events,
        backtracks,
    }
}

/// Every root-to-leaf path of a tree, as child indices, in order.
pub fn leaf_paths<T>(roots: &[T], children: impl Fn(&T) -> &[T]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut stack: Vec<(Vec<usize>, &T)> = roots
        .iter()
        .enumerate()
        .rev()
        .map(|(i, s)| (vec![i], s))
        .collect();
    while let Some((path, s)) = stack.pop() {
        let kids = children(s);
        if kids.is_empty() {
            out.push(path);
        } else {
            for (i, c) in kids.iter().enumerate().rev() {
                let mut p = path.clone();
                p.push(i);
                stack.push((p, c));
            }
        }
    }
    out
}

/// The steps along `path`.
pub fn along<'a, T>(roots: &'a [T], path: &[usize], children: impl Fn(&T) -> &[T]) -> Vec<&'a T> {
    let mut out = Vec::new();
    let mut level = roots;
    for &i in path {
        let Some(s) = level.get(i) else { break };
        out.push(s);
        level = children(s);
    }
    out
}

/// The most steps a tree may hold.
pub const MAX_TREE_STEPS: usize = 2000;

/// The most steps its paths to a leaf may hold together: each path is scored once, so this bounds
/// the work (a long shared stem with many leaves costs its length once per leaf).
pub const MAX_TREE_PATH_STEPS: usize = 20_000;

/// A tree of candidate steps as a user writes it: `{"problem", "children": [{"text",
/// "children": [...]}, ...]}`; a step without children ends a solution.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeInput {
    pub problem: String,
    pub children: Vec<StepInput>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub text: String,
    #[serde(default)]
    pub children: Vec<StepInput>,
}

fn kids(s: &StepInput) -> &[StepInput] {
    &s.children
}

impl TreeInput {
    /// Read and check a tree: a clear error for bad JSON, an empty problem, an empty step, no
    /// steps, too many steps or a path longer than a solution may be.
    pub fn from_json(bytes: &[u8]) -> crate::Result<Self> {
        let t: TreeInput = serde_json::from_slice(bytes).map_err(|e| {
            VerifierError::BadInput(format!(
                "not a tree ({e}): expected {{\"problem\": str, \"children\": [{{\"text\": str, \"children\": [...]}}]}}"
            ))
        })?;
        let bad = |m: String| Err(VerifierError::BadInput(m));
        if t.problem.trim().is_empty() {
            return bad("the tree's problem is empty".into());
        }
        if t.children.is_empty() {
            return bad("the tree has no steps".into());
        }
        let (mut count, max_depth) = (0, Limits::default().max_steps);
        let mut stack: Vec<(&StepInput, usize)> = t.children.iter().map(|s| (s, 1)).collect();
        while let Some((s, depth)) = stack.pop() {
            count += 1;
            if count > MAX_TREE_STEPS {
                return bad(format!("the tree has more than {MAX_TREE_STEPS} steps"));
            }
            if depth > max_depth {
                return bad(format!(
                    "a path of the tree is longer than {max_depth} steps"
                ));
            }
            if s.text.trim().is_empty() {
                return bad(format!("a step at depth {depth} is empty"));
            }
            stack.extend(s.children.iter().map(|c| (c, depth + 1)));
        }
        let path_steps: usize = t.leaf_paths().iter().map(Vec::len).sum();
        if path_steps > MAX_TREE_PATH_STEPS {
            return bad(format!(
                "the tree's paths to a leaf hold {path_steps} steps together, more than {MAX_TREE_PATH_STEPS}"
            ));
        }
        Ok(t)
    }

    /// Every path to a leaf, in order: what is scored.
    pub fn leaf_paths(&self) -> Vec<Vec<usize>> {
        leaf_paths(&self.children, kids)
    }

    /// The step texts along `path`.
    pub fn texts(&self, path: &[usize]) -> Vec<String> {
        along(&self.children, path, kids)
            .into_iter()
            .map(|s| s.text.clone())
            .collect()
    }

    /// The tree with every step's step score, from the verdicts of the paths of
    /// [`TreeInput::leaf_paths`] (in that order; a step's score depends only on the steps before
    /// it, so any path through it gives it).
    pub fn scored(&self, verdicts: &[Verdict]) -> Vec<Node> {
        fn blank(steps: &[StepInput]) -> Vec<Node> {
            steps
                .iter()
                .map(|s| Node {
                    score: 0.0,
                    end: s.children.is_empty(),
                    children: blank(&s.children),
                })
                .collect()
        }
        let mut nodes = blank(&self.children);
        for (path, v) in self.leaf_paths().iter().zip(verdicts) {
            let mut level = &mut nodes;
            for (depth, &i) in path.iter().enumerate() {
                let n = &mut level[i];
                n.score = v.steps.get(depth).map_or(0.0, |s| s.step_score);
                level = &mut n.children;
            }
        }
        nodes
    }

    /// Search the scored tree and say what happened, with each step's text and score.
    pub fn walk(&self, nodes: &[Node], threshold: f64, max_visits: usize) -> TreeWalk {
        let walk = search(nodes, threshold, max_visits);
        let shown = |e: &Event| {
            let (Event::Visit { path } | Event::Backtrack { path }) = e;
            let text = along(&self.children, path, kids)
                .last()
                .map(|s| s.text.clone())
                .unwrap_or_default();
            let score = along(nodes, path, |n: &Node| &n.children)
                .last()
                .map_or(0.0, |n| n.score);
            ShownEvent {
                event: e.clone(),
                text,
                score,
            }
        };
        TreeWalk {
            threshold,
            found: walk.found.is_some(),
            chosen: self.texts(&walk.chosen),
            events: walk.events.iter().map(shown).collect(),
            path: walk.chosen,
            backtracks: walk.backtracks,
        }
    }
}

/// One step of a walk, with the step's text and score.
#[derive(Clone, Debug, Serialize)]
pub struct ShownEvent {
    #[serde(flatten)]
    pub event: Event,
    pub text: String,
    pub score: f64,
}

/// A walk over a user's tree: `prm search --tree --json` and the browser's search page.
#[derive(Clone, Debug, Serialize)]
pub struct TreeWalk {
    pub threshold: f64,
    /// A solution was reached with every step at or above the threshold.
    pub found: bool,
    /// The chosen path's step texts, and its child indices.
    pub chosen: Vec<String>,
    pub path: Vec<usize>,
    pub backtracks: usize,
    pub events: Vec<ShownEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(score: f64, end: bool) -> Node {
        Node {
            score,
            end,
            children: Vec::new(),
        }
    }

    fn node(score: f64, children: Vec<Node>) -> Node {
        Node {
            score,
            end: false,
            children,
        }
    }

    #[test]
    fn takes_the_best_child_and_backtracks_past_doubted_steps() {
        // root: a (0.9) -> [a0 (0.2, ends), a1 (0.3, ends)]: both doubted -> back; b (0.6) -> b0 ends
        let roots = vec![
            node(0.9, vec![leaf(0.2, true), leaf(0.3, true)]),
            node(0.6, vec![leaf(0.8, true)]),
        ];
        let w = search(&roots, 0.5, 100);
        assert_eq!(w.found, Some(vec![1, 0]));
        assert_eq!(w.chosen, vec![1, 0]);
        assert_eq!(w.backtracks, 1);
        assert_eq!(
            w.events,
            [
                Event::Visit { path: vec![0] },
                Event::Backtrack { path: vec![0] },
                Event::Visit { path: vec![1] },
                Event::Visit { path: vec![1, 0] },
            ]
        );
        // with a low threshold the first branch's better child is taken
        assert_eq!(search(&roots, 0.1, 100).found, Some(vec![0, 1]));
    }

    #[test]
    fn dead_ends_budget_and_nothing_found() {
        // a step that leads nowhere is backtracked from
        let roots = vec![leaf(0.9, false), node(0.7, vec![leaf(0.9, true)])];
        let w = search(&roots, 0.5, 100);
        assert_eq!(w.found, Some(vec![1, 0]));
        assert_eq!(w.backtracks, 1);
        // out of budget: nothing found, the greedy path chosen
        let w = search(&roots, 0.5, 1);
        assert_eq!(w.found, None);
        assert_eq!(w.chosen, vec![0]);
        // everything doubted: nothing visited
        let w = search(&roots, 0.95, 100);
        assert_eq!((w.found, w.events.len()), (None, 0));
        assert_eq!(greedy(&[]), Vec::<usize>::new());
        // a score that is not a number is ranked last, never in the way of the others
        let roots = vec![leaf(f64::NAN, true), leaf(0.6, true)];
        assert_eq!(search(&roots, 0.5, 10).found, Some(vec![1]));
        assert_eq!(greedy(&roots), vec![1]);
    }

    #[test]
    fn a_users_tree_is_checked_scored_and_walked() -> crate::Result<()> {
        let json = br#"{"problem": "2+2?", "children": [
            {"text": "2+2=5", "children": [{"text": "The answer is 5."}]},
            {"text": "2+2=4", "children": [{"text": "The answer is 4."}]}]}"#;
        let t = TreeInput::from_json(json)?;
        assert_eq!(t.leaf_paths(), [vec![0, 0], vec![1, 0]]);
        assert_eq!(t.texts(&[1, 0]), ["2+2=4", "The answer is 4."]);
        let verdict = |scores: &[f64]| Verdict {
            steps: scores
                .iter()
                .map(|&s| crate::StepVerdict {
                    text: String::new(),
                    score: s,
                    step_score: s,
                    model_score: s,
                    checks: Vec::new(),
                    reason: None,
                })
                .collect(),
            prm_score: 0.0,
            aggregate: crate::Aggregate::Product,
            orm_score: 0.0,
            threshold: 0.5,
            prior: None,
            first_bad_step: None,
            answer_check: None,
            warnings: Vec::new(),
        };
        let nodes = t.scored(&[verdict(&[0.7, 0.2]), verdict(&[0.6, 0.9])]);
        let w = t.walk(&nodes, 0.5, 10);
        assert!(w.found);
        assert_eq!(w.chosen, ["2+2=4", "The answer is 4."]);
        assert_eq!(w.backtracks, 1);
        assert_eq!(w.events[0].text, "2+2=5");
        assert_eq!(w.events[1].event, Event::Backtrack { path: vec![0] });
        for (bad, why) in [
            (
                &br#"{"problem": " ", "children": [{"text": "a"}]}"#[..],
                "problem is empty",
            ),
            (br#"{"problem": "p", "children": []}"#, "no steps"),
            (
                br#"{"problem": "p", "children": [{"text": ""}]}"#,
                "is empty",
            ),
            (br#"{"problem": "p", "kids": []}"#, "not a tree"),
        ] {
            let e = TreeInput::from_json(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
        Ok(())
    }
}
