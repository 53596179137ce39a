//! The model card written next to the weights.

use std::collections::BTreeMap;

use serde_json::Value;
use verifier_core::ModelConfig;

use crate::{
    metrics::PbScore,
    report::{PbTable, Report},
};

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_string(), |x| format!("{:.1}", 100.0 * x))
}

/// Whether `trained` holds for a training record; an averaged model's record holds it if any of
/// the models it averages does.
fn any_training(training: &Value, trained: fn(&Value) -> bool) -> bool {
    match training["average_of"].as_array() {
        Some(models) => models.iter().any(|m| any_training(m, trained)),
        None => trained(training),
    }
}

/// Whether training drew mutation-made wrong steps. A config that records no mixture is read as
/// the default one, which draws them.
fn trained_on_mutations(training: &Value) -> bool {
    any_training(training, |t| {
        t["args"]["mix"].as_array().is_none_or(|mix| {
            let mix: Vec<f64> = mix.iter().filter_map(Value::as_f64).collect();
            crate::mixture::Mix::try_from(mix).is_ok_and(|m| m.draws_mutations())
        })
    })
}

/// Whether training gave the GSM8K model solutions step labels derived from their outcome
/// (`--outcome-step-labels`).
fn trained_on_outcome_step_labels(training: &Value) -> bool {
    any_training(training, |t| {
        t["args"]["outcome_step_labels"].as_bool() == Some(true)
    })
}

/// The metrics of `prm eval --update-model` as Markdown tables (empty before the first eval).
fn metrics_tables(m: &Value) -> String {
    let Some(m) = Report::of_model(m) else {
        return if m.is_null() {
            "Not evaluated yet: run `prm eval --update-model`.\n".to_string()
        } else {
            "The stored metrics are in an older format: run `prm eval --update-model` again.\n"
                .to_string()
        };
    };
    let pb = &m.processbench;
    let mut s = String::new();
    // a rule in words: "threshold 0.55, prior 0.75"
    let rule = |threshold: f64, prior: Option<f64>| match prior {
        Some(p) => format!("threshold {threshold:.2}, prior {p:.2}"),
        None => format!("threshold {threshold:.2}"),
    };
    s.push_str(&format!(
        "ProcessBench F1 (first-error detection; {} chosen on the gsm8k subset only):\n\n",
        rule(m.threshold, m.prior)
    ));
    s.push_str("| judge | ");
    s.push_str(&pb.keys().cloned().collect::<Vec<_>>().join(" | "));
    s.push_str(" | average |\n|---|");
    s.push_str(&"---|".repeat(pb.len() + 1));
    s.push('\n');
    let row = |name: &str, subsets: &BTreeMap<String, PbScore>, avg: f64| -> String {
        let cells: Vec<String> = pb
            .keys()
            .map(|k| pct(subsets.get(k).map(|s| s.f1)))
            .collect();
        format!("| {name} | {} | {} |\n", cells.join(" | "), pct(Some(avg)))
    };
    let table = |name: &str, t: &PbTable| row(name, &t.subsets, t.average_f1);
    s.push_str(&row(
        "model + arithmetic checks (shipped rule)",
        pb,
        m.processbench_average_f1,
    ));
    let model_only = &m.processbench_model_only;
    s.push_str(&table(
        &format!(
            "model alone ({})",
            rule(model_only.threshold, model_only.prior)
        ),
        &model_only.table,
    ));
    s.push_str(&table(
        "arithmetic checks alone",
        &m.processbench_checks_only,
    ));
    // ablation rows (reports written before they existed lack them)
    if let Some(t) = &m.processbench_no_prior {
        s.push_str(&table(
            &format!(
                "model + checks, threshold on the scores after each step, no prior ({:.2})",
                t.threshold
            ),
            &t.table,
        ));
    }
    if let Some(t) = &m.processbench_running_product {
        s.push_str(&table(
            &format!(
                "model + checks, running-product rule (threshold {:.2})",
                t.threshold
            ),
            &t.table,
        ));
    }
    if let Some(t) = &m.processbench_orm_gated {
        s.push_str(&table(
            &format!(
                "model + checks, no flag when ORM ≥ {:.2} (threshold {:.2})",
                t.orm_gate, t.threshold
            ),
            &t.table,
        ));
    }
    let t = &m.prm800k_test;
    s.push_str(&format!(
        "\nPRM800K phase-1 test: {} rated steps, step ROC-AUC {:.3}, expected calibration error {:.3}.\n",
        t.rated_steps,
        t.step_auc.unwrap_or(f64::NAN),
        t.ece
    ));
    let c = &m.calibration;
    s.push_str(&format!(
        "\nCalibration (Platt scaling of the step probabilities): PRM800K test ECE {:.3} without it",
        c.prm800k_ece_before
    ));
    for f in &c.candidates {
        s.push_str(&format!(
            "; {:.3} fitted on {} ({} steps)",
            f.prm800k_ece_after.unwrap_or(f64::NAN),
            f.set,
            f.steps
        ));
    }
    s.push_str(&format!(
        ". {}\n",
        if c.applied {
            format!("The shipped scores use the {} fit.", c.fitted_on)
        } else {
            "Not applied.".to_string()
        }
    ));
    let w = &m.right_answer_wrong_reasoning;
    s.push_str(&format!(
        "\nRight answer, wrong reasoning (ProcessBench items with a correct final answer and a wrong step): {} items; \
         the PRM (with checks) flags {}, the checks alone {}, the ORM rejects {}.\n",
        w.items, w.prm_flags, w.checks_flag, w.orm_rejects
    ));
    s.push_str("\nBest-of-N accuracy (%):\n\n| method | best-of-4 GSM8K held-out | best-of-8 qwen_math_cot_100 |\n|---|---|---|\n");
    let (b4, b8) = (&m.best_of_4_gsm8k_heldout.rows, &m.best_of_8_qwen_math.rows);
    for r in b4 {
        let other = pct(b8.iter().find(|x| x.method == r.method).map(|x| x.accuracy));
        s.push_str(&format!(
            "| {} | {} | {other} |\n",
            r.method,
            pct(Some(r.accuracy))
        ));
    }
    for r in b8
        .iter()
        .filter(|x| !b4.iter().any(|y| y.method == x.method))
    {
        s.push_str(&format!(
            "| {} | – | {} |\n",
            r.method,
            pct(Some(r.accuracy))
        ));
    }
    s
}

/// Parameters of the architecture: embeddings, encoder layers, the two heads.
fn parameters(a: &verifier_core::VerifierConfig) -> usize {
    let (h, i) = (a.hidden_size, a.intermediate_size);
    let embeddings = (a.vocab_size + a.max_positions + a.type_vocab_size) * h + 2 * h;
    let layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;
    embeddings + a.num_layers * layer + 2 * (h + 1)
}

pub fn model_card(config: &ModelConfig) -> String {
    let a = &config.architecture;
    let t = &config.training;
    let (references, errors) = if trained_on_mutations(t) {
        (
            "as correct solutions and as\nmutated wrong ones (one step changed, as `--mix` weighs the kinds: a number, operator or\nresult made false, or the reasoning made wrong with the arithmetic recomputed)",
            "Mutation-made errors are easier than real model errors",
        )
    } else {
        (
            "as correct solutions only\n(no mutated wrong ones: `--mix` gives them no weight)",
            "Its only wrong steps to learn from are PRM800K's human-labelled ones, all on MATH problems",
        )
    };
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    format!(
        "# Step verifier (PRM + ORM)\n\n\
         A process reward model and outcome reward model in one network: all-MiniLM-L6-v2\n\
         (BERT, {layers} layers, {hidden} wide, {heads} heads) with step-causal attention, a PRM head\n\
         read at each step marker and an ORM head read at the last step's marker. Vocabulary pruned\n\
         to {vocab} WordPiece tokens ({params:.1}M parameters); the word embeddings stored as int4 with a\n\
         scale per group of 32, the other large matrices as int8 with a per-row scale, the rest f16\n\
         (burnpack).\n\n\
         Every verdict also checks the arithmetic of each step exactly (rational arithmetic in\n\
         `verifier-core`): a step with a false claim scores 0 whatever the model says.\n\n\
         ## Data\n\
         PRM800K phase 1 train (human step labels; +1 and 0 correct, -1 wrong, supervised up to the\n\
         first error); GSM8K train and MATH train reference solutions, {references}; GSM8K\n\
         example model solutions of the training half of the problems ({model_solutions}).\n\
         Never trained on: MATH-500, ProcessBench, the held-out GSM8K problems.\n\n\
         ## Training\n```json\n{train}\n```\n\n\
         ## Settings\n{rule} (chosen on ProcessBench gsm8k only), aggregate {agg}, step calibration\n\
         scale {cs:.3} bias {cb:.3} (`sigmoid(scale * logit + bias)`).\n\n\
         ## Metrics\n{metrics}\n\
         ## Known weaknesses\n\
         - Small model ({params:.1}M parameters) trained on 2 CPU cores for a few thousand steps: its step\n\
           scores separate right from wrong steps only weakly, and they fall with a solution's length\n\
           alone, which the step rule (a threshold on each step's change of belief) corrects only in part.\n\
         - The checks skip what they cannot read exactly (variables, units glued to numbers,\n\
           functions): they never guess, so a wrong step without a checkable claim is left to the model.\n\
         - English only; steps longer than {st} tokens and problems longer than {pt} tokens are cut.\n\
         - {errors}; scores are not a proof.\n",
        model_solutions = if trained_on_outcome_step_labels(t) {
            "answer labels, and step\nlabels derived from them: the first step with a false arithmetic claim is wrong, the steps\nbefore it correct, and every step of a right-answer solution without one correct"
        } else {
            "answer labels only"
        },
        layers = a.num_layers,
        hidden = a.hidden_size,
        heads = a.num_heads,
        vocab = a.vocab_size,
        train = pretty(t),
        rule = match config.decision.rule().prior {
            Some(p) => format!(
                "first bad step: the first whose step score (prior {p:.3} updated by the step's change of\n\
                 log-odds) is below the threshold {:.3}",
                config.decision.threshold()
            ),
            None => format!(
                "first bad step: the first whose score is below the threshold {:.3}",
                config.decision.threshold()
            ),
        },
        agg = config.decision.aggregate(),
        cs = config.decision.calibration().scale,
        cb = config.decision.calibration().bias,
        params = parameters(a) as f64 / 1e6,
        metrics = metrics_tables(&config.metrics),
        st = config.limits.max_step_tokens,
        pt = config.limits.max_problem_tokens,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_card_is_what_its_config_says() -> anyhow::Result<()> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/verifier");
        let config: ModelConfig =
            serde_json::from_slice(&std::fs::read(format!("{dir}/config.json"))?)?;
        let card = std::fs::read_to_string(format!("{dir}/MODEL_CARD.md"))?;
        assert_eq!(model_card(&config), card);
        Ok(())
    }

    #[test]
    fn the_card_says_whether_mutated_wrong_steps_were_trained_on() {
        let with = |training: Value| ModelConfig {
            architecture: verifier_core::VerifierConfig::new(),
            limits: Default::default(),
            decision: verifier_core::Decision::untuned(),
            metrics: Value::Null,
            training,
            files: Default::default(),
        };
        let none = model_card(&with(
            serde_json::json!({"args": {"mix": [0.45, 0.08, 0, 0.04, 0, 0.15]}}),
        ));
        assert!(none.contains("as correct solutions only"), "{none}");
        assert!(!none.contains("Mutation-made errors"), "{none}");
        let some = model_card(&with(
            serde_json::json!({"args": {"mix": [0.45, 0.08, 0.17, 0.04, 0.11, 0.15]}}),
        ));
        assert!(
            some.contains("mutated wrong ones (one step changed"),
            "{some}"
        );
        assert!(some.contains("Mutation-made errors"), "{some}");
        // a config from before the mixture was recorded: the default mixture, with mutations
        assert!(model_card(&with(Value::Null)).contains("Mutation-made errors"));
        // GSM8K model solutions: answer labels only unless trained with outcome step labels
        assert!(none.contains("(answer labels only)"), "{none}");
        let outcome = serde_json::json!({"args": {"outcome_step_labels": true}});
        let labelled = model_card(&with(outcome.clone()));
        assert!(
            labelled.contains("step\nlabels derived from them"),
            "{labelled}"
        );
        let averaged = model_card(&with(serde_json::json!({"average_of": [outcome, {}]})));
        assert!(!averaged.contains("answer labels only"), "{averaged}");
    }
}
