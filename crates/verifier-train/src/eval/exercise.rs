//! `prm eval exercise`: exercise mode measured on ProcessBench gsm8k and math, where the problem's
//! answer and a reference solution are known (GSM8K and MATH test sets, matched by problem text).
//! Every verdict is made by the model's own [`Decision`]; the exercise rule (the thresholds for a
//! matching and a non-matching answer, and whether the reference is used) is chosen on gsm8k only,
//! as the reference-free threshold is, so math is held out.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result, bail};
use verifier_core::{
    Calibration, Decision, Exercise, ExerciseRule, StepVerdict, Verdict, decision::answer,
    split_steps,
};
use verifier_data::{DataDir, problem_key, sources};

use super::{
    args::ExerciseArgs,
    cache::ScoreCache,
    common::{ensemble, load_with_decision, scored_by, take_spread},
    pbset::{PbSet, pairs},
    print::{describe, print_pb_table},
};
use crate::{
    metrics::{self, PbScore},
    model_dir,
    report::{Agreement, ExerciseReport, ExerciseRow, ExerciseSubset, Report},
};

/// One ProcessBench item with what an educator would know of it.
struct Item {
    id: String,
    problem: String,
    label: i64,
    answer_correct: Option<bool>,
    answer: String,
    reference: Vec<String>,
    /// The steps as the decision layer made them (calibrated, checked).
    steps: Vec<StepVerdict>,
    orm: f64,
}

/// The known answer and reference solution of every test problem, by problem text.
pub(crate) fn known(
    data: &DataDir,
    subset: &str,
) -> Result<HashMap<String, (String, Vec<String>)>> {
    let mut out = HashMap::new();
    match subset {
        "gsm8k" => {
            for it in sources::gsm8k(data, "test")? {
                let (steps, a) = sources::gsm8k_reference(&it);
                if let Some(a) = a {
                    out.insert(problem_key(&it.question), (a, steps));
                }
            }
        }
        "math" => {
            for it in sources::math(data, "test")? {
                if let Some(a) = answer::extract_boxed(&it.solution) {
                    out.insert(problem_key(&it.problem), (a, split_steps(&it.solution)));
                }
            }
        }
        other => bail!("no answers known for {other}"),
    }
    Ok(out)
}

fn agreement(items: &[Item]) -> Agreement {
    let mut a = Agreement::default();
    for it in items {
        let Some(correct) = it.answer_correct else {
            continue;
        };
        a.items += 1;
        let texts: Vec<&str> = it.steps.iter().map(|s| s.text.as_str()).collect();
        let said = answer::judge(&texts, &it.answer, true).1;
        match (said, correct) {
            (Some(true), true) => a.matches_correct += 1,
            (Some(true), false) => a.matches_wrong += 1,
            (Some(false), false) => a.differs_wrong += 1,
            (Some(false), true) => a.differs_correct += 1,
            (None, _) => a.undecided += 1,
        }
    }
    let said_match = a.matches_correct + a.matches_wrong;
    let correct = items
        .iter()
        .filter(|it| it.answer_correct == Some(true))
        .count();
    a.match_precision = a.matches_correct as f64 / said_match.max(1) as f64;
    a.match_recall = a.matches_correct as f64 / correct.max(1) as f64;
    a
}

/// What to tell the decision of each item.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    ReferenceFree,
    Answer,
    AnswerAndReference,
}

impl Mode {
    /// Every mode, in the order the report lists them.
    const ALL: [Mode; 3] = [Mode::ReferenceFree, Mode::Answer, Mode::AnswerAndReference];

    fn name(self) -> &'static str {
        match self {
            Mode::ReferenceFree => "reference-free",
            Mode::Answer => "answer known",
            Mode::AnswerAndReference => "answer + reference",
        }
    }
}

/// The verdict on one item under `decision` in `mode`.
fn verdict(it: &Item, decision: &Decision, mode: Mode) -> Verdict {
    let exercise = match mode {
        Mode::ReferenceFree => None,
        Mode::Answer => Some(Exercise::new(&it.problem, Some(&it.answer), None)),
        Mode::AnswerAndReference => Some(Exercise::new(
            &it.problem,
            Some(&it.answer),
            Some(&it.reference),
        )),
    };
    decision.decide(it.steps.clone(), it.orm, exercise.as_ref(), true)
}

/// The first bad step of every item under `decision` in `mode`.
fn predictions(items: &[Item], decision: &Decision, mode: Mode) -> Vec<Option<usize>> {
    items
        .iter()
        .map(|it| verdict(it, decision, mode).first_bad_step)
        .collect()
}

/// One JSON line per item: what an error analysis needs of its verdicts (the texts are in the
/// data set, by id).
fn item_lines(sub: &str, items: &[Item], decision: &Decision) -> Result<String> {
    let mut out = String::new();
    for it in items {
        let verdicts = Mode::ALL.map(|m| verdict(it, decision, m));
        let [free, answer_known, _] = &verdicts;
        let answer = answer_known.answer_check.as_ref();
        // the reference as the verdict uses it (none when it was dropped with a warning)
        let exercise = Exercise::new(&it.problem, None, Some(&it.reference));
        let diverges = |t: &str| exercise.reference().is_some_and(|r| r.diverges(t));
        let line = serde_json::json!({
            "subset": sub,
            "id": it.id,
            "label": it.label,
            "final_answer_correct": it.answer_correct,
            "answer_found": answer.and_then(|a| a.found.clone()),
            "answer_matches": answer.and_then(|a| a.matches),
            "step_scores": free.steps.iter().map(|s| s.step_score).collect::<Vec<_>>(),
            "scores": free.steps.iter().map(|s| s.score).collect::<Vec<_>>(),
            "diverges_from_reference": free.steps.iter()
                .map(|s| diverges(&s.text)).collect::<Vec<_>>(),
            "false_claims": free.steps.iter()
                .map(|s| s.checks.iter().any(|c| !c.holds)).collect::<Vec<_>>(),
            "first_bad_step": Mode::ALL.iter().zip(&verdicts)
                .map(|(m, v)| (m.name(), v.first_bad_step))
                .collect::<BTreeMap<_, _>>(),
        });
        out.push_str(&serde_json::to_string(&line)?);
        out.push('\n');
    }
    Ok(out)
}

/// ProcessBench F1 of predictions, and the exact first-error rate on the wrong-answer items.
fn row(items: &[Item], preds: &[Option<usize>]) -> ExerciseRow {
    let labels: Vec<i64> = items.iter().map(|i| i.label).collect();
    let as_idx: Vec<i64> = preds.iter().map(|p| p.map_or(-1, |i| i as i64)).collect();
    let (mut n, mut ok) = (0, 0);
    for (it, &p) in items.iter().zip(&as_idx) {
        if it.label >= 0 && it.answer_correct == Some(false) {
            n += 1;
            ok += usize::from(p == it.label);
        }
    }
    ExerciseRow {
        f1: metrics::f1_of_predictions(&as_idx, &labels),
        wrong_answer_items: n,
        wrong_answer_located: ok,
        wrong_answer_exact_rate: ok as f64 / n.max(1) as f64,
    }
}

/// Choose the exercise rule on gsm8k: the mismatch threshold that locates the first error of the
/// wrong-answer items best (the lowest of equals), whether the reference helps there, then the
/// match threshold with the best F1 (first of equals, so the strictest). Nothing of the model's
/// stored exercise rule is read, so the same scores always give the same rule.
fn choose(items: &[Item], base: &Decision) -> Result<ExerciseRule> {
    let localised = |rule: ExerciseRule, mode: Mode| -> Result<usize> {
        Ok(row(items, &predictions(items, &base.with_exercise(rule)?, mode)).wrong_answer_located)
    };
    let mut best: Option<(ExerciseRule, usize)> = None;
    for t in metrics::threshold_grid() {
        let r = ExerciseRule {
            match_threshold: 0.0,
            mismatch_threshold: t,
            use_reference: false,
        };
        let n = localised(r, Mode::Answer)?;
        if best.is_none_or(|(_, b)| n > b) {
            best = Some((r, n));
        }
    }
    let Some((mut rule, _)) = best else {
        bail!("the threshold grid is empty");
    };
    let with = localised(
        ExerciseRule {
            use_reference: true,
            ..rule
        },
        Mode::AnswerAndReference,
    )?;
    let without = localised(
        ExerciseRule {
            use_reference: false,
            ..rule
        },
        Mode::AnswerAndReference,
    )?;
    rule.use_reference = with > without;
    let f1 = |r: ExerciseRule| -> Result<f64> {
        Ok(row(
            items,
            &predictions(items, &base.with_exercise(r)?, Mode::Answer),
        )
        .f1
        .f1)
    };
    let mut best = (
        0.0,
        f1(ExerciseRule {
            match_threshold: 0.0,
            ..rule
        })?,
    );
    for t in metrics::threshold_grid()
        .into_iter()
        .take_while(|&t| t <= 0.5)
    {
        let v = f1(ExerciseRule {
            match_threshold: t,
            ..rule
        })?;
        if v > best.1 {
            best = (t, v);
        }
    }
    rule.match_threshold = best.0;
    Ok(rule)
}

pub fn run(args: ExerciseArgs) -> Result<()> {
    let data = DataDir::open(&args.sets.data)?;
    let (scorer, mut decision, dir) = load_with_decision(&args.common)?;
    let cache = ScoreCache::new(args.sets.cache.clone(), &dir, &scorer)?;
    let members = ensemble(&args.ensemble_with, &args.sets.cache, args.common.device)?;
    let mut subsets: Vec<(&str, Vec<Item>)> = Vec::new();
    if !args.stored_rule && args.subsets.first().map(String::as_str) != Some("gsm8k") {
        bail!("the exercise rule is chosen on gsm8k: list it first, or pass --stored-rule");
    }
    for sub in args.subsets.iter().map(String::as_str) {
        let known = known(&data, sub)?;
        let pb = take_spread(sources::processbench(&data, sub)?, args.limit);
        let (bt, pairs) = (args.common.batch_tokens, pairs(&pb));
        // the same label and items as `prm eval`, so its score cache serves both
        let scored = scored_by((&scorer, &cache), &members, &pairs, bt, sub)?;
        if !members.is_empty() && subsets.is_empty() {
            // averaged probabilities have no calibration of their own: the reference-free rule
            // is chosen on them, on gsm8k (as `prm eval processbench --choose-on 1` does)
            let set = PbSet::new(sub, &pb, scored.clone());
            let on = [(set.checked.as_slice(), set.labels.as_slice())];
            let rule = metrics::best_rule_over(&on, &metrics::prior_grid()).0;
            decision = decision
                .with_calibration(Calibration::default())?
                .with_rule(rule)?;
        }
        let mut items = Vec::new();
        for (it, (probs, orm)) in pb.into_iter().zip(scored) {
            let Some((answer, reference)) = known.get(&problem_key(&it.problem)).cloned() else {
                continue;
            };
            let steps = it
                .steps
                .into_iter()
                .zip(probs)
                .map(|(t, p)| decision.step(t, p))
                .collect();
            items.push(Item {
                id: it.id,
                problem: it.problem,
                label: it.label,
                answer_correct: it.final_answer_correct,
                answer,
                reference,
                steps,
                orm,
            });
        }
        eprintln!("{sub}: {} items with a known answer", items.len());
        subsets.push((sub, items));
    }
    let rule = if args.stored_rule {
        decision.exercise()
    } else {
        choose(&subsets[0].1, &decision)?
    };
    let chosen = decision.with_exercise(rule)?;
    if let Some(path) = &args.items_out {
        let mut lines = String::new();
        for (sub, items) in &subsets {
            lines.push_str(&item_lines(sub, items, &chosen)?);
        }
        model_dir::write_atomic(path, lines.as_bytes())?;
    }
    let mut subset_reports = BTreeMap::new();
    let mut tables = Vec::new();
    for (sub, items) in &subsets {
        let mut modes = BTreeMap::new();
        let mut rows = Vec::new();
        for mode in Mode::ALL {
            let r = row(items, &predictions(items, &chosen, mode));
            rows.push((
                mode.name().to_string(),
                r.f1.clone(),
                r.wrong_answer_exact_rate,
            ));
            modes.insert(mode.name().into(), r);
        }
        subset_reports.insert(
            sub.to_string(),
            ExerciseSubset {
                answer_grader: agreement(items),
                modes,
            },
        );
        tables.push((sub.to_string(), rows));
    }
    let report = ExerciseReport {
        model: dir.display().to_string(),
        limit: args.limit,
        threshold: decision.threshold(),
        prior: decision.rule().prior,
        exercise_rule: rule,
        exercise_rule_chosen_on_gsm8k: !args.stored_rule,
        ensemble_with: members.iter().map(|m| m.2.display().to_string()).collect(),
        subsets: subset_reports,
    };
    let json = serde_json::to_string_pretty(&serde_json::to_value(&report)?)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    model_dir::write_atomic(&args.out.join("exercise.json"), json.as_bytes())?;
    if args.update_model {
        let mut cfg = model_dir::read_config(&dir)?;
        cfg.decision = cfg.decision.with_exercise(rule)?;
        match Report::of_model(&cfg.metrics) {
            Some(mut metrics) => {
                metrics.exercise = Some(report.clone());
                cfg.metrics = metrics.to_json()?;
            }
            // a report this version does not read: kept as it is, the exercise report beside it
            None => match cfg.metrics.as_object_mut() {
                Some(m) => {
                    m.insert("exercise".into(), serde_json::to_value(&report)?);
                }
                None => eprintln!(
                    "the model has no `prm eval --update-model` report: the exercise rule is stored, its metrics are not"
                ),
            },
        }
        model_dir::write_atomic(
            &dir.join(model_dir::CONFIG),
            serde_json::to_string_pretty(&cfg)?.as_bytes(),
        )?;
    }
    if args.common.json {
        println!("{json}");
        return Ok(());
    }
    println!(
        "exercise rule ({}): a matching answer flags false claims and step scores below {:.2}; \
         a wrong one is localised at {:.2}{}",
        if args.stored_rule {
            "stored with the model"
        } else {
            "chosen on gsm8k"
        },
        rule.match_threshold,
        rule.mismatch_threshold,
        if rule.use_reference {
            ", with the reference's quantities"
        } else {
            " (the reference did not help)"
        }
    );
    if !members.is_empty() {
        println!(
            "ensemble of {} models; reference-free: {} (chosen on the averaged gsm8k scores)",
            members.len() + 1,
            describe(decision.rule())
        );
    }
    for (sub, rows) in &tables {
        let Some(a) = report.subsets.get(sub).map(|s| &s.answer_grader) else {
            continue;
        };
        println!(
            "\n{sub}: answer grader vs final_answer_correct: {} match ({} of them wrong), {} differ ({} of them correct), {} undecided",
            a.matches_correct + a.matches_wrong,
            a.matches_wrong,
            a.differs_wrong + a.differs_correct,
            a.differs_correct,
            a.undecided,
        );
        let table: Vec<(String, PbScore)> = rows
            .iter()
            .map(|(n, s, _)| (n.clone(), s.clone()))
            .collect();
        print_pb_table(sub, &table, None);
        for (n, _, exact) in rows {
            println!(
                "  {n}: first error found exactly on {:.1}% of the wrong-answer items",
                100.0 * exact
            );
        }
    }
    eprintln!("wrote {}/exercise.json", args.out.display());
    Ok(())
}
