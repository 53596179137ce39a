//! `prm checks`: measure the arithmetic checker on real data — false alarms on correct reference
//! solutions (GSM8K train, MATH train: must be 0) and the share of mutation-made wrong steps caught.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use rand::{SeedableRng, rngs::StdRng};
use serde_json::json;
use verifier_core::{check_step, first_false_claim, split_steps};
use verifier_data::{DataDir, mutate, sources};

use crate::model_dir::write_atomic;

#[derive(Args, Debug)]
pub struct ChecksArgs {
    /// Data folder (see ../shared/data/README.md).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Print this many false alarms (claims flagged in correct reference steps).
    #[arg(long, default_value_t = 20)]
    pub show: usize,
    /// Seed of the mutations.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Also write the measurements as JSON to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit with an error if there is any false alarm.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Default)]
struct Tally {
    steps: usize,
    steps_with_claims: usize,
    claims: usize,
    /// Steps flagged on a claim that is a hand-checked error of the reference itself.
    reference_errors: usize,
    /// Steps flagged on anything else.
    false_alarms: usize,
}

impl Tally {
    fn json(&self) -> serde_json::Value {
        json!({"steps": self.steps, "steps_with_claims": self.steps_with_claims, "claims": self.claims,
               "reference_errors_caught": self.reference_errors, "false_alarms": self.false_alarms})
    }
}

/// Check every step of correct solutions: a flag is either a hand-checked error of the reference
/// (`crates/verifier-data/data/reference_errors.json`) or a false alarm.
fn false_alarms<'a>(
    name: &str,
    known: &[verifier_data::ReferenceError],
    steps: impl Iterator<Item = &'a str>,
    show: usize,
    shown: &mut usize,
) -> Tally {
    let known: Vec<&str> = known
        .iter()
        .filter(|e| e.dataset == name)
        .map(|e| e.claim.as_str())
        .collect();
    let mut t = Tally::default();
    for step in steps {
        let checks = check_step(step);
        t.steps += 1;
        t.claims += checks.len();
        t.steps_with_claims += usize::from(!checks.is_empty());
        let flagged: Vec<_> = checks.iter().filter(|c| !c.holds).collect();
        if flagged.is_empty() {
            continue;
        }
        if flagged.iter().all(|c| known.contains(&c.claim.as_str())) {
            t.reference_errors += 1;
            continue;
        }
        t.false_alarms += 1;
        if *shown < show {
            *shown += 1;
            let bad = flagged
                .iter()
                .find(|c| !known.contains(&c.claim.as_str()))
                .unwrap_or(&flagged[0]);
            eprintln!(
                "false alarm ({name}): {:?} expected {:?} in step: {step}",
                bad.claim, bad.expected
            );
        }
    }
    t
}

#[derive(Default)]
struct Caught {
    mutated: usize,
    with_claims: usize,
    caught: usize,
}

fn caught<'a>(steps: impl Iterator<Item = &'a str>, rng: &mut StdRng) -> Caught {
    let mut c = Caught::default();
    for step in steps {
        let Some((wrong, _)) = mutate::mutate_step(step, rng) else {
            continue;
        };
        let checks = check_step(&wrong);
        c.mutated += 1;
        c.with_claims += usize::from(!checks.is_empty());
        c.caught += usize::from(checks.iter().any(|k| !k.holds));
    }
    c
}

/// On ProcessBench (model-written solutions with an expert's first-error label): where the checks'
/// first flag falls relative to the label.
#[derive(Default)]
struct OnLabels {
    correct_items: usize,
    correct_flagged: usize,
    erroneous_items: usize,
    at_label: usize,
    before_label: usize,
    after_label: usize,
}

fn on_processbench(items: &[sources::ProcessBenchItem]) -> OnLabels {
    let mut o = OnLabels::default();
    for it in items {
        let first = first_false_claim(&it.steps);
        if it.label < 0 {
            o.correct_items += 1;
            o.correct_flagged += usize::from(first.is_some());
        } else {
            o.erroneous_items += 1;
            match first.map(|f| (f as i64).cmp(&it.label)) {
                Some(std::cmp::Ordering::Equal) => o.at_label += 1,
                Some(std::cmp::Ordering::Less) => o.before_label += 1,
                Some(std::cmp::Ordering::Greater) => o.after_label += 1,
                None => {}
            }
        }
    }
    o
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

pub fn run(args: ChecksArgs) -> Result<()> {
    let data = DataDir::open(&args.data)?;
    let gsm = sources::gsm8k(&data, "train")?;
    let math = sources::math(&data, "train")?;
    // GSM8K steps as written, calculator notes `<<48/2=24>>` included; MATH split by the shared splitter.
    let gsm_steps: Vec<String> = gsm
        .iter()
        .flat_map(|it| {
            let body = it
                .answer
                .rsplit_once("####")
                .map(|(b, _)| b)
                .unwrap_or(&it.answer);
            split_steps(body)
        })
        .collect();
    let gsm_clean: Vec<String> = gsm
        .iter()
        .flat_map(|it| sources::gsm8k_reference(it).0)
        .collect();
    let math_steps: Vec<String> = math.iter().flat_map(|m| split_steps(&m.solution)).collect();

    let mut shown = 0;
    let known = verifier_data::reference_errors()?;
    let fa_gsm = false_alarms(
        "gsm8k",
        &known,
        gsm_steps.iter().map(String::as_str),
        args.show,
        &mut shown,
    );
    let fa_math = false_alarms(
        "math",
        &known,
        math_steps.iter().map(String::as_str),
        args.show,
        &mut shown,
    );
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut_gsm = caught(gsm_clean.iter().map(String::as_str), &mut rng);
    let mut_math = caught(math_steps.iter().map(String::as_str), &mut rng);

    println!(
        "correct reference steps: false alarms must be 0 (errors of the reference itself, checked by hand, are listed apart):"
    );
    for (name, n, t) in [
        ("GSM8K train", gsm.len(), &fa_gsm),
        ("MATH train", math.len(), &fa_math),
    ] {
        println!(
            "  {name:<12} {n:>5} solutions, {:>6} steps, {:>6} with claims, {:>6} claims -> {} false alarms, {} real errors of the reference caught",
            t.steps, t.steps_with_claims, t.claims, t.false_alarms, t.reference_errors
        );
    }
    println!("mutation-made wrong steps caught (one number or operator changed):");
    for (name, c) in [("GSM8K train", &mut_gsm), ("MATH train", &mut_math)] {
        println!(
            "  {name:<12} {:>6} mutated steps: {:>6} caught ({:.1}%); of the {} with a checkable claim: {:.1}%",
            c.mutated,
            c.caught,
            pct(c.caught, c.mutated),
            c.with_claims,
            pct(c.caught, c.with_claims)
        );
    }
    let false_alarms = fa_gsm.false_alarms + fa_math.false_alarms;
    println!(
        "ProcessBench (model solutions, expert labels): the checks' first flag vs the labelled first error:"
    );
    let mut pb_json = serde_json::Map::new();
    for sub in sources::PROCESSBENCH_SUBSETS {
        let o = on_processbench(&sources::processbench(&data, sub)?);
        println!(
            "  {sub:<14} correct items {:>4}: {:>3} flagged | erroneous items {:>4}: flag at the labelled step {:>3}, before it {:>3}, after it {:>3}",
            o.correct_items,
            o.correct_flagged,
            o.erroneous_items,
            o.at_label,
            o.before_label,
            o.after_label
        );
        pb_json.insert(
            sub.to_string(),
            json!({"correct_items": o.correct_items, "correct_flagged": o.correct_flagged, "erroneous_items": o.erroneous_items,
                   "flag_at_label": o.at_label, "flag_before_label": o.before_label, "flag_after_label": o.after_label}),
        );
    }
    if let Some(out) = &args.out {
        let caught_json = |c: &Caught| json!({"mutated": c.mutated, "with_claims": c.with_claims, "caught": c.caught});
        let report = json!({
            "false_alarms": {"gsm8k_train": fa_gsm.json(), "math_train": fa_math.json()},
            "mutations": {"gsm8k_train": caught_json(&mut_gsm), "math_train": caught_json(&mut_math), "seed": args.seed},
            "processbench": pb_json,
        });
        write_atomic(out, serde_json::to_string_pretty(&report)?.as_bytes())?;
    }
    if args.strict && false_alarms > 0 {
        anyhow::bail!("{false_alarms} false alarms on correct reference steps");
    }
    Ok(())
}
