//! The report for the terminal.

use verifier_core::StepRule;

use crate::{metrics, report::Report};

/// A rule in words, for the terminal.
pub(super) fn describe(rule: StepRule) -> String {
    match rule.prior {
        Some(p) => format!("step scores below {:.3} (prior {p:.3})", rule.threshold),
        None => format!("scores below {:.3} (no prior)", rule.threshold),
    }
}

/// One ProcessBench table for the terminal: a row per subset or file, then the average.
pub(crate) fn print_pb_table(
    first: &str,
    rows: &[(String, metrics::PbScore)],
    average: Option<f64>,
) {
    println!(
        "{first:<16} {:>6} {:>10} {:>10} {:>8}",
        "n", "acc(err)", "acc(cor)", "F1"
    );
    for (name, s) in rows {
        println!(
            "{name:<16} {:>6} {:>10.1} {:>10.1} {:>8.1}",
            s.n,
            100.0 * s.acc_erroneous,
            100.0 * s.acc_correct,
            100.0 * s.f1
        );
    }
    if let Some(average) = average {
        println!(
            "{:<16} {:>6} {:>10} {:>10} {:>8.1}",
            "average",
            "",
            "",
            "",
            100.0 * average
        );
    }
}

pub(super) fn print_report(r: &Report) {
    println!(
        "{} (F1-best on ProcessBench gsm8k: {})",
        describe(StepRule {
            threshold: r.threshold,
            prior: r.prior,
        }),
        describe(StepRule {
            threshold: r.threshold_chosen_on_gsm8k,
            prior: r.prior_chosen_on_gsm8k,
        })
    );
    let subsets: Vec<(String, metrics::PbScore)> = r
        .processbench
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    print_pb_table("ProcessBench", &subsets, Some(r.processbench_average_f1));
    let ablations = [
        (Some(&r.processbench_model_only.table), "model alone"),
        (Some(&r.processbench_checks_only), "checks alone"),
        (
            r.processbench_no_prior.as_ref().map(|t| &t.table),
            "threshold on the scores after each step (no prior)",
        ),
        (
            r.processbench_running_product.as_ref().map(|t| &t.table),
            "running product rule",
        ),
        (
            r.processbench_orm_gated.as_ref().map(|t| &t.table),
            "no-prior rule gated by the ORM",
        ),
        (
            r.processbench_position_threshold.as_ref().map(|t| &t.table),
            "step rule, threshold falling with the step's position",
        ),
    ];
    for (table, what) in ablations {
        let Some(table) = table else { continue };
        let subsets: Vec<String> = table
            .subsets
            .iter()
            .map(|(k, v)| format!("{k} {:.1}", 100.0 * v.f1))
            .collect();
        println!(
            "  {what}: F1 {} -> average {:.1}",
            subsets.join(", "),
            100.0 * table.average_f1
        );
    }
    let c = &r.calibration;
    println!(
        "calibration: PRM800K test ECE {:.3} of the network alone",
        c.prm800k_ece_before
    );
    for f in &c.candidates {
        let fit = f.fit.map_or("no fit".to_string(), |c| {
            format!("scale {:.3} bias {:.3}", c.scale, c.bias)
        });
        println!(
            "  fitted on {} ({} steps): {fit} -> ECE {:.3}",
            f.set,
            f.steps,
            f.prm800k_ece_after.unwrap_or(f64::NAN)
        );
    }
    println!(
        "  applied: {} ({})",
        if c.applied { "yes" } else { "no" },
        c.fitted_on
    );
    let t = &r.prm800k_test;
    println!(
        "PRM800K test: {} rated steps, step AUC {:.3}, ECE {:.3}",
        t.rated_steps,
        t.step_auc.unwrap_or(f64::NAN),
        t.ece
    );
    let w = &r.right_answer_wrong_reasoning;
    println!(
        "right answer, wrong step: {} items; PRM (+ checks) flags {}, checks alone {}, ORM rejects {}",
        w.items, w.prm_flags, w.checks_flag, w.orm_rejects
    );
    for (name, b) in [
        ("best_of_4_gsm8k_heldout", &r.best_of_4_gsm8k_heldout),
        ("best_of_8_qwen_math", &r.best_of_8_qwen_math),
    ] {
        println!("{name} ({} problems):", b.problems);
        for row in &b.rows {
            println!("  {:<22} {:>6.1}", row.method, 100.0 * row.accuracy);
        }
        if let Some(f) = &b.correct_flagged {
            println!(
                "  right-answer candidates flagged: {} of {} ({} without the restatement rule)",
                f.flagged, f.correct, f.flagged_without_restatement_rule
            );
        }
    }
}
