//! The report for the terminal.

use verifier_core::StepRule;

use crate::metrics::{self};

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

pub(super) fn print_report(r: &serde_json::Value) {
    let rule_of = |t: &serde_json::Value, p: &serde_json::Value| StepRule {
        threshold: t.as_f64().unwrap_or(f64::NAN),
        prior: p.as_f64(),
    };
    println!(
        "{} (F1-best on ProcessBench gsm8k: {})",
        describe(rule_of(&r["threshold"], &r["prior"])),
        describe(rule_of(
            &r["threshold_chosen_on_gsm8k"],
            &r["prior_chosen_on_gsm8k"]
        ))
    );
    let subsets: Vec<(String, metrics::PbScore)> =
        serde_json::from_value::<std::collections::BTreeMap<_, _>>(r["processbench"].clone())
            .unwrap_or_default()
            .into_iter()
            .collect();
    print_pb_table(
        "ProcessBench",
        &subsets,
        Some(r["processbench_average_f1"].as_f64().unwrap_or(0.0)),
    );
    for (key, what) in [
        ("processbench_model_only", "model alone"),
        ("processbench_checks_only", "checks alone"),
        (
            "processbench_no_prior",
            "threshold on the scores after each step (no prior)",
        ),
        ("processbench_running_product", "running product rule"),
        ("processbench_orm_gated", "no-prior rule gated by the ORM"),
        (
            "processbench_position_threshold",
            "step rule, threshold falling with the step's position",
        ),
    ] {
        let subsets = r[key]["subsets"].as_object().map(|o| {
            o.iter()
                .map(|(k, v)| format!("{k} {:.1}", 100.0 * v["f1"].as_f64().unwrap_or(0.0)))
                .collect::<Vec<_>>()
                .join(", ")
        });
        println!(
            "  {what}: F1 {} -> average {:.1}",
            subsets.unwrap_or_default(),
            100.0 * r[key]["average_f1"].as_f64().unwrap_or(0.0)
        );
    }
    let c = &r["calibration"];
    println!(
        "calibration: PRM800K test ECE {:.3} of the network alone",
        c["prm800k_ece_before"].as_f64().unwrap_or(f64::NAN)
    );
    for f in c["candidates"].as_array().cloned().unwrap_or_default() {
        println!(
            "  fitted on {} ({} steps): {} -> ECE {:.3}",
            f["set"],
            f["steps"],
            f["fit"],
            f["prm800k_ece_after"].as_f64().unwrap_or(f64::NAN)
        );
    }
    println!("  applied: {} ({})", c["applied"], c["fitted_on"]);
    let t = &r["prm800k_test"];
    println!(
        "PRM800K test: {} rated steps, step AUC {:.3}, ECE {:.3}",
        t["rated_steps"],
        t["step_auc"].as_f64().unwrap_or(f64::NAN),
        t["ece"].as_f64().unwrap_or(f64::NAN)
    );
    let w = &r["right_answer_wrong_reasoning"];
    println!(
        "right answer, wrong step: {} items; PRM (+ checks) flags {}, checks alone {}, ORM rejects {}",
        w["items"], w["prm_flags"], w["checks_flag"], w["orm_rejects"]
    );
    for key in ["best_of_4_gsm8k_heldout", "best_of_8_qwen_math"] {
        println!("{key} ({} problems):", r[key]["problems"]);
        if let Some(rows) = r[key]["rows"].as_array() {
            for row in rows {
                println!(
                    "  {:<22} {:>6.1}",
                    row["method"].as_str().unwrap_or(""),
                    100.0 * row["accuracy"].as_f64().unwrap_or(0.0)
                );
            }
        }
    }
}
