//! `prm eval processbench FILE...`: F1 of first-error detection on ProcessBench-format files.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::json;
use verifier_core::{Calibration, Scorer, StepRule, decision::check_threshold};
use verifier_data::sources;

use super::{
    args::ProcessBenchArgs,
    cache::ScoreCache,
    common::{ensemble, load, scored_by},
    pbset::{PbSet, pairs, threshold_sweep},
    print::{describe, print_pb_table},
};
use crate::{metrics, model_dir, report::Report};

/// Check every item before the first forward pass: the items that can be scored, and one line
/// per item that cannot (its index, id and what is wrong).
pub(super) fn validate(
    scorer: &Scorer,
    file: &Path,
    items: Vec<sources::ProcessBenchItem>,
) -> (Vec<sources::ProcessBenchItem>, Vec<String>) {
    let mut bad = Vec::new();
    let good = items
        .into_iter()
        .enumerate()
        .filter_map(|(i, it)| {
            let label_ok = it.label >= -1 && it.label < it.steps.len() as i64;
            let check = verifier_core::ScoreRequest::new(it.problem.clone(), it.steps.clone())
                .and_then(|r| scorer.encoder.encode(&r.problem, &r.steps).map(|_| ()))
                .and_then(|()| {
                    label_ok.then_some(()).ok_or_else(|| {
                        verifier_core::VerifierError::BadInput(format!(
                            "label {} is not -1 or a step index (0 to {})",
                            it.label,
                            it.steps.len().saturating_sub(1)
                        ))
                    })
                });
            match check {
                Ok(()) => Some(it),
                Err(e) => {
                    bad.push(format!(
                        "{} item {} (id {}): {e}",
                        file.display(),
                        i + 1,
                        it.id
                    ));
                    None
                }
            }
        })
        .collect();
    (good, bad)
}

pub(super) fn run_processbench(args: ProcessBenchArgs) -> Result<()> {
    check_threshold(args.common.threshold).context("--threshold")?;
    let (scorer, dir) = load(&args.common)?;
    let cache = ScoreCache::new(args.cache.clone(), &dir, &scorer)?;
    let decision = scorer
        .config
        .decision
        .with_overrides(args.common.threshold, None)?;
    let rule = decision.rule();
    if args.store_sweep {
        let mut names: Vec<String> = args
            .files
            .iter()
            .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().to_string()))
            .collect();
        names.sort_unstable();
        let mut want = sources::PROCESSBENCH_SUBSETS.map(String::from).to_vec();
        want.sort_unstable();
        if names != want {
            bail!(
                "--store-sweep needs the four ProcessBench subsets ({}), every item scored",
                sources::PROCESSBENCH_SUBSETS.join(", ")
            );
        }
    }
    let mut rows = Vec::new();
    let mut files = Vec::new();
    let mut bad = Vec::new();
    for f in &args.files {
        let items = sources::processbench_file(f)?;
        if items.is_empty() {
            bail!("{} has no items", f.display());
        }
        let (good, b) = validate(&scorer, f, items);
        bad.extend(b);
        files.push((f, good));
    }
    for b in &bad {
        eprintln!("warning: {b}");
    }
    if !bad.is_empty() {
        if args.strict {
            bail!("{} bad items (--strict: nothing scored)", bad.len());
        }
        eprintln!("skipped {} bad items; the others are scored", bad.len());
    }
    let members = ensemble(&args.ensemble_with, &args.cache, args.common.device)?;
    let mut sets = Vec::new();
    for (f, items) in files {
        if items.is_empty() {
            bail!("{} has no item that can be scored", f.display());
        }
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let (bt, pairs) = (args.common.batch_tokens, pairs(&items));
        let scored = scored_by((&scorer, &cache), &members, &pairs, bt, &name)?;
        sets.push(PbSet::new(&name, &items, scored));
    }
    // averaged probabilities have no calibration of their own; the rule is chosen on them
    let calibration = if members.is_empty() {
        decision.calibration()
    } else {
        Calibration::default()
    };
    let rule = match args.choose_on {
        None => rule,
        Some(n) if n == 0 || n > sets.len() => {
            bail!("--choose-on {n}: give at least that many files (and at least 1)")
        }
        Some(n) => {
            let on: Vec<(&[Vec<f64>], &[i64])> = sets[..n]
                .iter()
                .map(|s| (judged(s, args.no_checks), s.labels.as_slice()))
                .collect();
            let chosen = metrics::best_rule_over(&on, &metrics::prior_grid()).0;
            calibration.map_rule(chosen)
        }
    };
    for set in &mut sets {
        set.calibrate(calibration);
        let f1 = metrics::processbench_f1(judged(set, args.no_checks), &set.labels, rule);
        rows.push((set.name.clone(), f1));
    }
    if args.store_sweep {
        store_sweep(&dir, &sets, rule, bad.len())?;
    }
    let avg = rows.iter().map(|r| r.1.f1).sum::<f64>() / rows.len() as f64;
    if args.common.json {
        let per: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(n, s)| (n.clone(), serde_json::to_value(s).unwrap_or_default()))
            .collect();
        println!(
            "{}",
            json!({"threshold": rule.threshold, "prior": rule.prior, "chosen_on_files": args.choose_on, "ensemble_with": args.ensemble_with, "files": per, "average_f1": avg, "skipped": bad})
        );
    } else {
        println!(
            "{}{}{}, {}",
            describe(rule),
            args.choose_on
                .map(|n| format!(" (chosen on the first {n} files)"))
                .unwrap_or_default(),
            match members.len() {
                0 => String::new(),
                n => format!(", ensemble of {} models", n + 1),
            },
            if args.no_checks {
                "model alone"
            } else {
                "model + arithmetic checks"
            }
        );
        print_pb_table("file", &rows, Some(avg));
    }
    Ok(())
}

/// The step scores a set is judged by: the model's alone, or combined with the arithmetic checks.
fn judged(set: &PbSet, no_checks: bool) -> &[Vec<f64>] {
    if no_checks { &set.scores } else { &set.checked }
}

/// `--store-sweep`: the threshold sweep into the model's stored report.
fn store_sweep(dir: &Path, sets: &[PbSet], rule: StepRule, skipped: usize) -> Result<()> {
    // the files are the four subsets (checked before scoring); every item must be scored
    if skipped > 0 {
        bail!(
            "--store-sweep needs the four ProcessBench subsets ({}), every item scored",
            sources::PROCESSBENCH_SUBSETS.join(", ")
        );
    }
    let mut cfg = model_dir::read_config(dir)?;
    let Some(mut report) = Report::of_model(&cfg.metrics) else {
        bail!("--store-sweep: the model has no `prm eval --update-model` report to add it to");
    };
    report.threshold_sweep = threshold_sweep(sets, rule);
    cfg.metrics = report.to_json()?;
    model_dir::write_atomic(
        &dir.join(model_dir::CONFIG),
        serde_json::to_string_pretty(&cfg)?.as_bytes(),
    )?;
    eprintln!(
        "stored the threshold sweep ({} thresholds) in {}",
        report.threshold_sweep.len(),
        dir.join(model_dir::CONFIG).display()
    );
    Ok(())
}
