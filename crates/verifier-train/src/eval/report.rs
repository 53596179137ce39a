//! `prm eval` with no subcommand: the full report (ProcessBench, calibration, PRM800K step AUC,
//! best-of-N), its plots, and `--update-model`.

use std::path::Path;

use anyhow::{Context, Result};
use verifier_core::{
    Calibration, Scorer, StepRule, check_step,
    decision::{check_threshold, decided_scores, restatements},
    select::Method,
};
use verifier_data::{DataDir, sources};

use super::{
    args::{CALIBRATION_ROWS, CalibrationSet, ReportArgs},
    cache::{ScoreCache, score_items},
    common::{load, take, take_spread},
    pbset::{
        CHECKS_RULE, POSITION_DECAYS, PbSet, cumulative, gated, position_scaled,
        score_processbench, threshold_sweep,
    },
    print::print_report,
};
use crate::{
    metrics::{self, Scored, Selector},
    model_dir, plots,
    report::{
        BestOfN, CalibrationCandidate, CalibrationReport, FalseAlarms, GatedTable, PbTable,
        PositionTable, Prm800kTest, Report, RightAnswerWrongReasoning, RuleTable, SelectorAccuracy,
        ThresholdTable,
    },
};

pub(super) fn best_of_n(
    scorer: &Scorer,
    cache: &ScoreCache,
    calibration: Calibration,
    rule: StepRule,
    name: &str,
    sets: &[sources::BestOfN],
    batch_tokens: usize,
) -> Result<BestOfN> {
    let mut pairs: Vec<(&str, &[String])> = Vec::new();
    for s in sets {
        for c in &s.candidates {
            pairs.push((s.problem.as_str(), c.steps.as_slice()));
        }
    }
    let scored = score_items(scorer, cache, &pairs, batch_tokens, name)?;
    let mut it = scored.into_iter().map(|(steps, orm)| {
        (
            steps
                .into_iter()
                .map(|p| calibration.apply(p))
                .collect::<Vec<f64>>(),
            orm,
        )
    });
    let mut selectors = vec![
        Selector::Method(Method::PrmProduct),
        Selector::Method(Method::PrmMin),
        Selector::Method(Method::PrmLast),
        Selector::PrmStepMin(rule),
        Selector::Method(Method::Orm),
        Selector::Method(Method::MajorityVote),
        Selector::Method(Method::PrmWeightedVote),
        Selector::Method(Method::OrmWeightedVote),
        Selector::Random,
        Selector::Oracle,
    ];
    if sets
        .iter()
        .any(|s| s.candidates.iter().any(|c| c.reference_score.is_some()))
    {
        selectors.insert(8, Selector::Reference);
    }
    let mut totals = vec![0.0; selectors.len()];
    let mut alarms = FalseAlarms::default();
    for s in sets {
        let cands: Vec<Scored> = s
            .candidates
            .iter()
            .map(|c| {
                let (steps, orm) = it.next().unwrap_or_default();
                if c.correct {
                    let checks: Vec<_> = c.steps.iter().map(|t| check_step(t)).collect();
                    let flags = |restated: &[bool]| {
                        usize::from(
                            rule.first_bad(&decided_scores(&steps, &checks, restated))
                                .is_some(),
                        )
                    };
                    alarms.correct += 1;
                    alarms.flagged_without_restatement_rule += flags(&[]);
                    alarms.flagged += flags(&restatements(&c.steps));
                }
                Scored {
                    answer: &c.answer,
                    correct: c.correct,
                    steps,
                    orm,
                    reference: c.reference_score,
                }
            })
            .collect();
        for (k, sel) in selectors.iter().enumerate() {
            totals[k] += metrics::select(*sel, &cands);
        }
    }
    let n = sets.len().max(1) as f64;
    Ok(BestOfN {
        problems: sets.len(),
        n: sets.first().map_or(0, |s| s.candidates.len()),
        rows: selectors
            .iter()
            .zip(&totals)
            .map(|(s, t)| SelectorAccuracy {
                method: s.name().into(),
                accuracy: t / n,
            })
            .collect(),
        correct_flagged: Some(alarms),
    })
}

/// One judge's ProcessBench table: `score` of every subset.
fn judge(sets: &[PbSet], score: impl Fn(&PbSet) -> metrics::PbScore) -> PbTable {
    PbTable::new(sets.iter().map(|s| (s.name.clone(), score(s))).collect())
}

pub(super) fn run_report(args: ReportArgs) -> Result<()> {
    check_threshold(args.common.threshold).context("--threshold")?;
    let data = DataDir::open(&args.sets.data)?;
    let (scorer, dir) = load(&args.common)?;
    // The network's probabilities are uncalibrated, so the calibration is fitted and the rule
    // chosen on the same scale whatever calibration the model already carries (the prior grid is
    // not invariant under a calibration, so choosing on already-calibrated scores would pick
    // another rule than the model's first evaluation did).
    let stored_calibration = scorer.config.decision.calibration();
    let cache = ScoreCache::new(args.sets.cache.clone(), &dir, &scorer)?;
    let bt = args.common.batch_tokens;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;

    let mut sets = Vec::new();
    for sub in sources::PROCESSBENCH_SUBSETS {
        // Spread: the files list their erroneous items first.
        let items = take_spread(sources::processbench(&data, sub)?, args.limit);
        sets.push(score_processbench(&scorer, &cache, sub, &items, bt)?);
    }
    // Calibration: Platt scaling of the step probabilities, fitted on PRM800K train rows (their
    // last, rated step) or on the labelled steps of ProcessBench gsm8k; both fits are reported,
    // the chosen one is applied to everything below with --update-model.
    let (pb_p, pb_y) = sets[0].labelled_steps();
    let train = sources::prm800k(&data, "train")?;
    let train_rated: Vec<&verifier_data::LabeledSolution> = train
        .iter()
        .filter(|s| s.labels.len() == s.steps.len())
        .collect();
    let stride = (train_rated.len() / args.limit.unwrap_or(CALIBRATION_ROWS).max(1)).max(1);
    let sample: Vec<&verifier_data::LabeledSolution> =
        train_rated.into_iter().step_by(stride).collect();
    let pairs: Vec<(&str, &[String])> = sample
        .iter()
        .map(|s| (s.problem.as_str(), s.steps.as_slice()))
        .collect();
    let tr_p: Vec<f64> = score_items(&scorer, &cache, &pairs, bt, "prm800k train")?
        .iter()
        .map(|s| s.0.last().copied().unwrap_or(0.5))
        .collect();
    let tr_y: Vec<bool> = sample
        .iter()
        .map(|s| *s.labels.last().unwrap_or(&true))
        .collect();
    let fits = [
        (
            CalibrationSet::Prm800kTrain,
            Calibration::fit(&tr_p, &tr_y),
            tr_p.len(),
        ),
        (
            CalibrationSet::ProcessbenchGsm8k,
            Calibration::fit(&pb_p, &pb_y),
            pb_p.len(),
        ),
    ];
    let fitted = fits
        .iter()
        .find(|f| f.0 == args.calibrate_on)
        .and_then(|f| f.1);
    let applied = if args.update_model {
        fitted.unwrap_or_default()
    } else {
        stored_calibration
    };
    // ProcessBench: the step rule (prior and threshold) chosen on gsm8k only, on the scores before
    // the calibration and then carried through it (`Calibration::map_rule`: every decision stays
    // as it was; choosing on the calibrated scores would move the operating point with the grid).
    // The product judges by the model combined with the arithmetic checks; the model alone is
    // reported beside it, and the rule without a prior (a threshold on the scores after each
    // step), each chosen the same way.
    let priors = metrics::prior_grid();
    let chosen = applied.map_rule(metrics::best_rule(&sets[0].checked, &sets[0].labels, &priors).0);
    let chosen_model =
        applied.map_rule(metrics::best_rule(&sets[0].scores, &sets[0].labels, &priors).0);
    let chosen_absolute =
        applied.map_rule(metrics::best_rule(&sets[0].checked, &sets[0].labels, &[None]).0);
    // The step rule with a threshold that falls with the step's position: prior, decay and
    // threshold chosen on gsm8k and every subset judged, on the scores before calibration (only
    // decisions count, so there is no need to carry this rule through the calibration).
    let (position_prior, position_decay, position_threshold, _) = priors
        .iter()
        .flat_map(|&p| POSITION_DECAYS.map(|d| (p, d)))
        .map(|(p, d)| {
            let (t, f1) = metrics::best_rule(
                &position_scaled(&sets[0].checked, p, d),
                &sets[0].labels,
                &[None],
            );
            (p, d, t, f1)
        })
        .fold((None, 0.0, chosen_absolute, -1.0), |best, cur| {
            if cur.3 > best.3 { cur } else { best }
        });
    let position = PositionTable {
        threshold: position_threshold.threshold,
        prior: position_prior,
        decay: position_decay,
        table: judge(&sets, |s| {
            metrics::processbench_f1(
                &position_scaled(&s.checked, position_prior, position_decay),
                &s.labels,
                position_threshold,
            )
        }),
    };
    for s in &mut sets {
        s.calibrate(applied);
    }

    let stored = if args.update_model {
        chosen
    } else {
        scorer.config.decision.rule()
    };
    let rule = StepRule {
        threshold: args.common.threshold.unwrap_or(stored.threshold),
        ..stored
    };
    let model_rule = StepRule {
        threshold: args.common.threshold.unwrap_or(chosen_model.threshold),
        ..chosen_model
    };
    // Decision rule ablation: the first step whose running product falls below a threshold.
    let (running_rule, _) =
        metrics::best_rule(&cumulative(&sets[0].checked), &sets[0].labels, &[None]);
    // ... and the rule without a prior gated by the answer head: no step is flagged when the ORM
    // accepts the final answer (gate and threshold chosen on gsm8k).
    let (gate, gate_rule, _) = (1..20)
        .map(|g| g as f64 / 20.0)
        .map(|g| {
            let (t, f1) = metrics::best_rule(
                &gated(&sets[0].checked, &sets[0].orm, g),
                &sets[0].labels,
                &[None],
            );
            (g, t, f1)
        })
        .fold(
            (1.0, rule, -1.0),
            |best, cur| if cur.2 > best.2 { cur } else { best },
        );
    let product = judge(&sets, |s| {
        metrics::processbench_f1(&s.checked, &s.labels, rule)
    });
    let model_only = RuleTable {
        threshold: model_rule.threshold,
        prior: model_rule.prior,
        table: judge(&sets, |s| {
            metrics::processbench_f1(&s.scores, &s.labels, model_rule)
        }),
    };
    let checks_only = judge(&sets, |s| {
        metrics::processbench_f1(&s.checks_only, &s.labels, CHECKS_RULE)
    });
    let no_prior = ThresholdTable {
        threshold: chosen_absolute.threshold,
        table: judge(&sets, |s| {
            metrics::processbench_f1(&s.checked, &s.labels, chosen_absolute)
        }),
    };
    let running = ThresholdTable {
        threshold: running_rule.threshold,
        table: judge(&sets, |s| {
            metrics::processbench_f1(&cumulative(&s.checked), &s.labels, running_rule)
        }),
    };
    let orm_gated = GatedTable {
        threshold: gate_rule.threshold,
        orm_gate: gate,
        table: judge(&sets, |s| {
            metrics::processbench_f1(&gated(&s.checked, &s.orm, gate), &s.labels, gate_rule)
        }),
    };
    let curves: Vec<(String, Vec<(f64, f64)>)> = sets
        .iter()
        .map(|s| {
            let at = |threshold| {
                metrics::processbench_f1(&s.checked, &s.labels, StepRule { threshold, ..rule }).f1
            };
            let curve = metrics::threshold_grid()
                .into_iter()
                .map(|t| (t, at(t)))
                .collect();
            (s.name.clone(), curve)
        })
        .collect();
    let threshold_sweep = threshold_sweep(&sets, rule);
    // right answer, wrong reasoning
    let mut rawr = RightAnswerWrongReasoning::default();
    for s in &sets {
        for i in 0..s.labels.len() {
            if s.labels[i] >= 0 && s.answer_correct[i] == Some(true) {
                rawr.items += 1;
                rawr.prm_flags += usize::from(rule.first_bad(&s.checked[i]).is_some());
                rawr.checks_flag += usize::from(CHECKS_RULE.first_bad(&s.checks_only[i]).is_some());
                rawr.orm_rejects += usize::from(s.orm[i] < 0.5);
            }
        }
    }

    // PRM800K phase-1 test: every rated step once (the last step of each row).
    let test = take_spread(sources::prm800k(&data, "test")?, args.limit.map(|n| n * 4));
    let rated: Vec<&verifier_data::LabeledSolution> = test
        .iter()
        .filter(|s| s.labels.len() == s.steps.len())
        .collect();
    // A step's score does not depend on later steps, so a row whose steps are a prefix of a longer
    // row's is read off the longer one: only the longest trajectories are scored.
    let (reps, lookup) = prefix_representatives(&rated);
    let pairs: Vec<(&str, &[String])> = reps
        .iter()
        .map(|&i| (rated[i].problem.as_str(), rated[i].steps.as_slice()))
        .collect();
    let scored = score_items(&scorer, &cache, &pairs, bt, "prm800k test")?;
    let raw_p: Vec<f64> = lookup
        .iter()
        .map(|&(r, k)| scored[r].0.get(k).copied().unwrap_or(0.5))
        .collect();
    let step_y: Vec<bool> = rated
        .iter()
        .map(|s| *s.labels.last().unwrap_or(&true))
        .collect();
    let step_p: Vec<f64> = raw_p.iter().map(|&p| applied.apply(p)).collect();
    let auc = metrics::roc_auc(&step_p, &step_y);
    let calib = metrics::reliability(&step_p, &step_y);
    let before = metrics::reliability(&raw_p, &step_y);
    let after: Vec<Option<metrics::Reliability>> = fits
        .iter()
        .map(|f| {
            f.1.map(|c| {
                metrics::reliability(
                    &raw_p.iter().map(|&p| c.apply(p)).collect::<Vec<_>>(),
                    &step_y,
                )
            })
        })
        .collect();

    // Best-of-N
    let (_, held) = sources::gsm8k_model_solutions(&data, &sources::evaluation_problems(&data)?)?;
    let bo4 = best_of_n(
        &scorer,
        &cache,
        applied,
        rule,
        "gsm8k best-of-4",
        &take(held, args.limit),
        bt,
    )?;
    let bo8 = best_of_n(
        &scorer,
        &cache,
        applied,
        rule,
        "qwen best-of-8",
        &take(sources::qwen_best_of_8(&data)?, args.limit),
        bt,
    )?;

    let report = Report {
        model: dir.display().to_string(),
        limit: args.limit,
        threshold: rule.threshold,
        prior: rule.prior,
        threshold_chosen_on_gsm8k: chosen.threshold,
        prior_chosen_on_gsm8k: chosen.prior,
        processbench: product.subsets,
        processbench_average_f1: product.average_f1,
        processbench_model_only: model_only,
        processbench_checks_only: checks_only,
        processbench_no_prior: Some(no_prior),
        processbench_running_product: Some(running),
        processbench_position_threshold: Some(position),
        processbench_orm_gated: Some(orm_gated),
        right_answer_wrong_reasoning: rawr,
        threshold_sweep,
        calibration: CalibrationReport {
            fitted_on: args.calibrate_on.name().into(),
            fit: fitted,
            applied: args.update_model && fitted.is_some(),
            prm800k_ece_before: before.ece,
            candidates: fits
                .iter()
                .zip(&after)
                .map(|(f, a)| CalibrationCandidate {
                    set: f.0.name().into(),
                    steps: f.2,
                    fit: f.1,
                    prm800k_ece_after: a.as_ref().map(|a| a.ece),
                })
                .collect(),
        },
        prm800k_test: Prm800kTest {
            rated_steps: step_p.len(),
            step_auc: auc,
            ece: calib.ece,
            reliability: calib.bins,
        },
        best_of_4_gsm8k_heldout: bo4,
        best_of_8_qwen_math: bo8,
        exercise: None,
    };
    let json = serde_json::to_string_pretty(&report.to_json()?)?;
    model_dir::write_atomic(&args.out.join("report.json"), json.as_bytes())?;
    plots::best_of_n(
        &args.out.join("best_of_n.svg"),
        &report.best_of_4_gsm8k_heldout,
        &report.best_of_8_qwen_math,
    )?;
    plots::f1_vs_threshold(
        &args.out.join("f1_vs_threshold.svg"),
        &curves,
        rule.threshold,
    )?;
    let names: Vec<String> = fits
        .iter()
        .map(|f| format!("fitted on {}", f.0.name()))
        .collect();
    let mut series = vec![("network alone", &before)];
    series.extend(
        names
            .iter()
            .zip(&after)
            .filter_map(|(n, a)| Some((n.as_str(), a.as_ref()?))),
    );
    plots::reliability(&args.out.join("reliability.svg"), &series)?;

    if args.update_model {
        update_model(&dir, rule, applied, &report)?;
    }
    if args.common.json {
        println!("{json}");
    } else {
        print_report(&report);
        eprintln!("wrote {}/report.json and plots", args.out.display());
    }
    Ok(())
}

/// The solutions to score so that every solution's last step is covered: `(representatives,
/// lookup)` where `lookup[i] = (r, k)` means solution `i`'s last step is step `k` of
/// representative `r` (an index into `representatives`, which holds indices into `sols`).
pub(super) fn prefix_representatives(
    sols: &[&verifier_data::LabeledSolution],
) -> (Vec<usize>, Vec<(usize, usize)>) {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let chain = |s: &verifier_data::LabeledSolution| -> Vec<u64> {
        let mut h = DefaultHasher::new();
        s.problem.hash(&mut h);
        s.steps
            .iter()
            .map(|step| {
                step.hash(&mut h);
                h.finish()
            })
            .collect()
    };
    let mut order: Vec<usize> = (0..sols.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sols[i].steps.len()));
    let mut at: std::collections::HashMap<u64, (usize, usize)> = std::collections::HashMap::new();
    let mut reps = Vec::new();
    let mut lookup = vec![(0, 0); sols.len()];
    for i in order {
        let hashes = chain(sols[i]);
        let Some(&last) = hashes.last() else { continue };
        if let Some(&found) = at.get(&last) {
            lookup[i] = found;
            continue;
        }
        let r = reps.len();
        reps.push(i);
        for (k, h) in hashes.into_iter().enumerate() {
            at.entry(h).or_insert((r, k));
        }
        lookup[i] = (r, sols[i].steps.len() - 1);
    }
    (reps, lookup)
}

pub(super) fn update_model(
    dir: &Path,
    rule: StepRule,
    calibration: Calibration,
    report: &Report,
) -> Result<()> {
    let mut cfg = model_dir::read_config(dir)?;
    cfg.decision = cfg
        .decision
        .with_rule(rule)?
        .with_calibration(calibration)?;
    cfg.metrics = report.to_json()?;
    model_dir::write_atomic(
        &dir.join(model_dir::CONFIG),
        serde_json::to_string_pretty(&cfg)?.as_bytes(),
    )?;
    model_dir::write_atomic(
        &dir.join(model_dir::CARD),
        crate::card::model_card(&cfg).as_bytes(),
    )?;
    Ok(())
}
