//! `prm eval`: ProcessBench F1 (threshold chosen on the gsm8k subset only), step ROC-AUC and
//! calibration on PRM800K phase-1 test, best-of-N on held-out GSM8K (best-of-4) and
//! `qwen_math_cot_100` (best-of-8); a JSON report and plots.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use verifier_core::{
    Aggregate, Calibration, Check, Scorer, StepRule, check_step,
    decision::{check_threshold, combine, logit, sigmoid},
};
use verifier_data::{DataDir, sources};

use crate::{
    batch::{StepProbs, score_all},
    device,
    metrics::{self, Scored, Selector},
    model_dir, plots,
};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub command: Option<EvalCommand>,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Subcommand, Debug)]
pub enum EvalCommand {
    /// F1 of first-error detection on ProcessBench-format files.
    Processbench(ProcessBenchArgs),
    /// Exercise mode: ProcessBench gsm8k and math with the answer (and a reference) known.
    Exercise(crate::exercise::ExerciseArgs),
}

#[derive(Args, Debug)]
pub struct Common {
    /// Model directory (default: the shipped model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Step threshold (default: the one stored with the model).
    #[arg(long)]
    pub threshold: Option<f64>,
    #[arg(long, value_enum, default_value_t)]
    pub device: device::DeviceKind,
    /// Tokens per scoring batch.
    #[arg(long, default_value_t = 4096)]
    pub batch_tokens: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ProcessBenchArgs {
    #[command(flatten)]
    pub common: Common,
    /// ProcessBench JSON files: an array of {"id","problem","steps","label"}.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Judge by the model alone, without the arithmetic checks.
    #[arg(long)]
    pub no_checks: bool,
    /// Refuse the files if any item is bad (before any scoring); by default bad items are
    /// reported together and skipped.
    #[arg(long)]
    pub strict: bool,
}

/// Check every item before the first forward pass: the items that can be scored, and one line
/// per item that cannot (its index, id and what is wrong).
fn validate(
    scorer: &Scorer,
    file: &Path,
    items: Vec<sources::ProcessBenchItem>,
) -> (Vec<sources::ProcessBenchItem>, Vec<String>) {
    let mut bad = Vec::new();
    let good = items
        .into_iter()
        .enumerate()
        .filter_map(|(i, it)| {
            let check = verifier_core::ScoreRequest::new(it.problem.clone(), it.steps.clone())
                .and_then(|r| scorer.encoder.encode(&r.problem, &r.steps).map(|_| ()));
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

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalibrationSet {
    Prm800kTrain,
    ProcessbenchGsm8k,
}

impl CalibrationSet {
    /// The name on the command line and in the report.
    fn name(self) -> &'static str {
        match self {
            CalibrationSet::Prm800kTrain => "prm800k-train",
            CalibrationSet::ProcessbenchGsm8k => "processbench-gsm8k",
        }
    }
}

/// Rated PRM800K phase-1 train rows used to fit the calibration.
const CALIBRATION_ROWS: usize = 2000;

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub common: Common,
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Folder for report.json and the plots.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Use only N items of every set (quick runs): the first N, or for ProcessBench (erroneous
    /// items first) and PRM800K test (4N rows; grouped by problem) N spread over the set.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Store the chosen threshold, the calibration fitted on the --calibrate-on set and the
    /// metrics in the model's config.json and card (the report then describes the model as updated).
    #[arg(long)]
    pub update_model: bool,
    /// Data the calibration is fitted on: a sample of PRM800K phase-1 train rows (the training
    /// distribution; part of them may have been drawn in training) or ProcessBench gsm8k.
    #[arg(long, value_enum, default_value = "prm800k-train")]
    pub calibrate_on: CalibrationSet,
    /// Keep the model's probabilities per data set in this folder and reuse them while the model
    /// files and the items are unchanged (for re-running the metrics without re-scoring).
    #[arg(long)]
    pub cache: Option<PathBuf>,
}

pub(crate) fn load(common: &Common) -> Result<(Scorer, PathBuf)> {
    let dir = common
        .model
        .clone()
        .unwrap_or_else(model_dir::default_model_dir);
    let device = device::select(common.device)?;
    Ok((model_dir::load(&dir, &device)?, dir))
}

/// Probabilities kept on disk per (model files, data set, items), so that the metrics can be
/// recomputed without scoring again. Without a folder it only scores.
pub(crate) struct ScoreCache {
    dir: Option<PathBuf>,
    model_key: u64,
}

impl ScoreCache {
    /// Score every time, keep nothing.
    fn none() -> Self {
        ScoreCache {
            dir: None,
            model_key: 0,
        }
    }

    pub(crate) fn new(dir: Option<PathBuf>, model_dir: &Path, scorer: &Scorer) -> Result<Self> {
        use std::hash::{DefaultHasher, Hash, Hasher};
        if dir.is_none() {
            return Ok(Self::none());
        }
        let mut h = DefaultHasher::new();
        for f in [model_dir::WEIGHTS, model_dir::TOKENIZER] {
            let path = model_dir.join(f);
            std::fs::read(&path)
                .with_context(|| format!("cannot read {}", path.display()))?
                .hash(&mut h);
        }
        // the network's probabilities are uncalibrated (the calibration is the decision's); the
        // identity calibration stays in the key so that existing caches keep their names
        let c = &scorer.config;
        serde_json::to_string(&(&c.architecture, &c.limits, &Calibration::default()))?.hash(&mut h);
        Ok(ScoreCache {
            dir,
            model_key: h.finish(),
        })
    }

    fn path(&self, label: &str, items: &[(&str, &[String])]) -> Option<PathBuf> {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let dir = self.dir.as_ref()?;
        let mut h = DefaultHasher::new();
        self.model_key.hash(&mut h);
        items.hash(&mut h);
        let name: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Some(dir.join(format!("{name}-{:016x}.json", h.finish())))
    }

    fn scores(
        &self,
        scorer: &Scorer,
        items: &[(&str, &[String])],
        batch_tokens: usize,
        label: &str,
    ) -> Result<Vec<StepProbs>> {
        let path = self.path(label, items);
        if let Some(p) = &path
            && let Ok(bytes) = std::fs::read(p)
            && let Ok(v) = serde_json::from_slice::<Vec<StepProbs>>(&bytes)
            && v.len() == items.len()
        {
            eprintln!("{label}: probabilities from {}", p.display());
            return Ok(v);
        }
        let probs: Vec<StepProbs> = score_all(scorer, items, batch_tokens, label)
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.with_context(|| format!("{label} item {}", i + 1)))
            .collect::<Result<_>>()?;
        if let Some(p) = &path {
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d)
                    .with_context(|| format!("cannot create {}", d.display()))?;
            }
            model_dir::write_atomic(p, &serde_json::to_vec(&probs)?)?;
        }
        Ok(probs)
    }
}

/// Step scores (PRM) and ORM score of each item; an item that cannot be scored is an error.
pub(crate) fn score_items(
    scorer: &Scorer,
    cache: &ScoreCache,
    items: &[(&str, &[String])],
    batch_tokens: usize,
    label: &str,
) -> Result<Vec<(Vec<f64>, f64)>> {
    Ok(cache
        .scores(scorer, items, batch_tokens, label)?
        .into_iter()
        .map(|probs| {
            let steps = probs.iter().map(|p| p[0] as f64).collect();
            let orm = probs.last().map(|p| p[1] as f64).unwrap_or(0.0);
            (steps, orm)
        })
        .collect())
}

struct PbSet {
    name: String,
    labels: Vec<i64>,
    answer_correct: Vec<Option<bool>>,
    /// The arithmetic checks of every step.
    checks: Vec<Vec<Vec<Check>>>,
    /// The model's step probabilities.
    scores: Vec<Vec<f64>>,
    /// The same, combined with the arithmetic checks (`verdict::combine`): what the product shows.
    checked: Vec<Vec<f64>>,
    /// The checks alone: 0 for a step with a false claim, 1 otherwise.
    checks_only: Vec<Vec<f64>>,
    orm: Vec<f64>,
}

impl PbSet {
    fn new(name: &str, items: &[sources::ProcessBenchItem], scored: Vec<(Vec<f64>, f64)>) -> Self {
        let checks: Vec<Vec<Vec<Check>>> = items
            .iter()
            .map(|i| i.steps.iter().map(|t| check_step(t)).collect())
            .collect();
        let mut set = PbSet {
            name: name.to_string(),
            labels: items.iter().map(|i| i.label).collect(),
            answer_correct: items.iter().map(|i| i.final_answer_correct).collect(),
            orm: scored.iter().map(|s| s.1).collect(),
            scores: scored.into_iter().map(|s| s.0).collect(),
            checked: Vec::new(),
            checks_only: Vec::new(),
            checks,
        };
        set.checks_only = set.combined(|_| 1.0);
        set.checked = set.combined(|p| p);
        set
    }

    fn combined(&self, base: impl Fn(f64) -> f64) -> Vec<Vec<f64>> {
        self.scores
            .iter()
            .zip(&self.checks)
            .map(|(s, c)| s.iter().zip(c).map(|(&p, c)| combine(base(p), c)).collect())
            .collect()
    }

    /// Apply a calibration to the model's step probabilities (and so to the combined scores).
    fn calibrate(&mut self, c: Calibration) {
        for s in self.scores.iter_mut().flatten() {
            *s = c.apply(*s);
        }
        self.checked = self.combined(|p| p);
    }

    /// The model's probabilities of the steps whose correctness the labels give: every step of a
    /// correct solution, and the steps of a wrong one up to its first error.
    fn labelled_steps(&self) -> (Vec<f64>, Vec<bool>) {
        let (mut p, mut y) = (Vec::new(), Vec::new());
        for (s, &l) in self.scores.iter().zip(&self.labels) {
            for (k, &v) in s.iter().enumerate() {
                if l >= 0 && k as i64 > l {
                    break;
                }
                p.push(v);
                y.push(l < 0 || (k as i64) < l);
            }
        }
        (p, y)
    }
}

fn score_processbench(
    scorer: &Scorer,
    cache: &ScoreCache,
    name: &str,
    items: &[sources::ProcessBenchItem],
    batch_tokens: usize,
) -> Result<PbSet> {
    let pairs: Vec<(&str, &[String])> = items
        .iter()
        .map(|i| (i.problem.as_str(), i.steps.as_slice()))
        .collect();
    Ok(PbSet::new(
        name,
        items,
        score_items(scorer, cache, &pairs, batch_tokens, name)?,
    ))
}

/// Step scores with every step of a solution set to 1 (never flagged) when its ORM score is at
/// least `gate`.
fn gated(sets: &[Vec<f64>], orm: &[f64], gate: f64) -> Vec<Vec<f64>> {
    sets.iter()
        .zip(orm)
        .map(|(s, &o)| {
            if o >= gate {
                vec![1.0; s.len()]
            } else {
                s.clone()
            }
        })
        .collect()
}

/// Running products of the step scores: the probability that every step so far is right, if the
/// step scores are read as conditional on the earlier steps being right.
fn cumulative(sets: &[Vec<f64>]) -> Vec<Vec<f64>> {
    sets.iter()
        .map(|s| {
            s.iter()
                .scan(1.0, |acc, &p| {
                    *acc *= p;
                    Some(*acc)
                })
                .collect()
        })
        .collect()
}

/// Log-odds a step's threshold falls per unit of ln(position) in the position-dependent rule.
const POSITION_DECAYS: [f64; 7] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0];

/// The step rule's step scores with the k-th step's (0-based) raised by `decay * ln(k + 1)` in
/// log-odds: the same as a threshold that falls that much with the step's position, so later steps
/// must look worse to be flagged (a long solution gives a fixed threshold more chances to fire).
/// It depends only on the steps so far, so it could stream.
fn position_scaled(sets: &[Vec<f64>], prior: Option<f64>, decay: f64) -> Vec<Vec<f64>> {
    let rule = StepRule {
        threshold: 0.5,
        prior,
    };
    sets.iter()
        .map(|s| {
            rule.step_scores(s)
                .into_iter()
                .enumerate()
                .map(|(k, v)| {
                    // a step known to be wrong (a false claim) stays flagged
                    if v <= 0.0 {
                        0.0
                    } else {
                        sigmoid(logit(v) + decay * ((k + 1) as f64).ln())
                    }
                })
                .collect()
        })
        .collect()
}

pub fn run(args: EvalArgs) -> Result<()> {
    match args.command {
        Some(EvalCommand::Processbench(pb)) => run_processbench(pb),
        Some(EvalCommand::Exercise(ex)) => crate::exercise::run(ex),
        None => run_report(args.report),
    }
}

fn run_processbench(args: ProcessBenchArgs) -> Result<()> {
    check_threshold(args.common.threshold).context("--threshold")?;
    let (scorer, _) = load(&args.common)?;
    let cache = ScoreCache::none();
    let decision = scorer
        .config
        .decision
        .with_overrides(args.common.threshold, None)?;
    let rule = decision.rule();
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
    for (f, items) in files {
        if items.is_empty() {
            bail!("{} has no item that can be scored", f.display());
        }
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut set = score_processbench(&scorer, &cache, &name, &items, args.common.batch_tokens)?;
        set.calibrate(decision.calibration());
        let scores = if args.no_checks {
            &set.scores
        } else {
            &set.checked
        };
        rows.push((name, metrics::processbench_f1(scores, &set.labels, rule)));
    }
    let avg = rows.iter().map(|r| r.1.f1).sum::<f64>() / rows.len() as f64;
    if args.common.json {
        let per: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(n, s)| (n.clone(), serde_json::to_value(s).unwrap_or_default()))
            .collect();
        println!(
            "{}",
            json!({"threshold": rule.threshold, "prior": rule.prior, "files": per, "average_f1": avg, "skipped": bad})
        );
    } else {
        println!(
            "{}, {}",
            describe(rule),
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

/// The arithmetic checks alone flag the first step with a false claim (score 0).
const CHECKS_RULE: StepRule = StepRule {
    threshold: 0.5,
    prior: None,
};

/// A rule in words, for the terminal.
fn describe(rule: StepRule) -> String {
    match rule.prior {
        Some(p) => format!("step scores below {:.3} (prior {p:.3})", rule.threshold),
        None => format!("scores below {:.3} (no prior)", rule.threshold),
    }
}

fn take<T>(mut v: Vec<T>, limit: Option<usize>) -> Vec<T> {
    if let Some(n) = limit {
        v.truncate(n);
    }
    v
}

/// `n` items spread evenly over `v` (all of them without a limit): for sets stored sorted or
/// grouped, where the first `n` would be all of one kind or a handful of problems.
pub(crate) fn take_spread<T>(v: Vec<T>, limit: Option<usize>) -> Vec<T> {
    match limit {
        Some(n) if n < v.len() => {
            let len = v.len();
            v.into_iter()
                .enumerate()
                .filter(|(i, _)| (i * n) % len < n)
                .map(|(_, x)| x)
                .collect()
        }
        _ => v,
    }
}

fn best_of_n(
    scorer: &Scorer,
    cache: &ScoreCache,
    calibration: Calibration,
    rule: StepRule,
    name: &str,
    sets: &[sources::BestOfN],
    batch_tokens: usize,
) -> Result<serde_json::Value> {
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
        Selector::Prm(Aggregate::Product),
        Selector::Prm(Aggregate::Min),
        Selector::Prm(Aggregate::Last),
        Selector::PrmStepMin(rule),
        Selector::Orm,
        Selector::MajorityVote,
        Selector::PrmWeightedVote,
        Selector::OrmWeightedVote,
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
    for s in sets {
        let cands: Vec<Scored> = s
            .candidates
            .iter()
            .map(|c| {
                let (steps, orm) = it.next().unwrap_or_default();
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
    let rows: Vec<serde_json::Value> = selectors
        .iter()
        .zip(&totals)
        .map(|(s, t)| json!({"method": s.name(), "accuracy": t / n}))
        .collect();
    Ok(
        json!({"problems": sets.len(), "n": sets.first().map_or(0, |s| s.candidates.len()), "rows": rows}),
    )
}

fn run_report(args: ReportArgs) -> Result<()> {
    check_threshold(args.common.threshold).context("--threshold")?;
    let data = DataDir::open(&args.data)?;
    let (scorer, dir) = load(&args.common)?;
    // The network's probabilities are uncalibrated, so the calibration is fitted and the rule
    // chosen on the same scale whatever calibration the model already carries (the prior grid is
    // not invariant under a calibration, so choosing on already-calibrated scores would pick
    // another rule than the model's first evaluation did).
    let stored_calibration = scorer.config.decision.calibration();
    let cache = ScoreCache::new(args.cache.clone(), &dir, &scorer)?;
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
    let mut pb_position = serde_json::Map::new();
    let mut f1s_position = Vec::new();
    for s in &sets {
        let rp = metrics::processbench_f1(
            &position_scaled(&s.checked, position_prior, position_decay),
            &s.labels,
            position_threshold,
        );
        f1s_position.push(rp.f1);
        pb_position.insert(s.name.clone(), serde_json::to_value(&rp)?);
    }
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
    let running: Vec<Vec<Vec<f64>>> = sets.iter().map(|s| cumulative(&s.checked)).collect();
    let (running_rule, _) = metrics::best_rule(&running[0], &sets[0].labels, &[None]);
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
    let mut pb = serde_json::Map::new();
    let mut pb_model = serde_json::Map::new();
    let mut pb_checks = serde_json::Map::new();
    let mut pb_running = serde_json::Map::new();
    let mut pb_gated = serde_json::Map::new();
    let mut pb_absolute = serde_json::Map::new();
    let (mut f1s, mut f1s_model, mut f1s_checks, mut f1s_running, mut f1s_gated, mut f1s_absolute) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut curves = Vec::new();
    let (mut rawr_n, mut rawr_prm, mut rawr_orm, mut rawr_checks) =
        (0usize, 0usize, 0usize, 0usize);
    for (s, run) in sets.iter().zip(&running) {
        let r = metrics::processbench_f1(&s.checked, &s.labels, rule);
        let rm = metrics::processbench_f1(&s.scores, &s.labels, model_rule);
        let rc = metrics::processbench_f1(&s.checks_only, &s.labels, CHECKS_RULE);
        let rr = metrics::processbench_f1(run, &s.labels, running_rule);
        let rg = metrics::processbench_f1(&gated(&s.checked, &s.orm, gate), &s.labels, gate_rule);
        let ra = metrics::processbench_f1(&s.checked, &s.labels, chosen_absolute);
        f1s_gated.push(rg.f1);
        pb_gated.insert(s.name.clone(), serde_json::to_value(&rg)?);
        f1s_absolute.push(ra.f1);
        pb_absolute.insert(s.name.clone(), serde_json::to_value(&ra)?);
        f1s.push(r.f1);
        f1s_model.push(rm.f1);
        f1s_checks.push(rc.f1);
        f1s_running.push(rr.f1);
        let at = |threshold| {
            metrics::processbench_f1(&s.checked, &s.labels, StepRule { threshold, ..rule }).f1
        };
        curves.push((
            s.name.clone(),
            metrics::threshold_grid()
                .into_iter()
                .map(|t| (t, at(t)))
                .collect::<Vec<_>>(),
        ));
        pb.insert(s.name.clone(), serde_json::to_value(&r)?);
        pb_model.insert(s.name.clone(), serde_json::to_value(&rm)?);
        pb_checks.insert(s.name.clone(), serde_json::to_value(&rc)?);
        pb_running.insert(s.name.clone(), serde_json::to_value(&rr)?);
        // right answer, wrong reasoning
        for i in 0..s.labels.len() {
            if s.labels[i] >= 0 && s.answer_correct[i] == Some(true) {
                rawr_n += 1;
                rawr_prm += usize::from(rule.first_bad(&s.checked[i]).is_some());
                rawr_checks += usize::from(CHECKS_RULE.first_bad(&s.checks_only[i]).is_some());
                rawr_orm += usize::from(s.orm[i] < 0.5);
            }
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let avg_f1 = mean(&f1s);

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

    let report = json!({
        "model": dir.display().to_string(),
        "limit": args.limit,
        "threshold": rule.threshold,
        "prior": rule.prior,
        "threshold_chosen_on_gsm8k": chosen.threshold,
        "prior_chosen_on_gsm8k": chosen.prior,
        "processbench": pb,
        "processbench_average_f1": avg_f1,
        "processbench_model_only": {"threshold": model_rule.threshold, "prior": model_rule.prior, "subsets": pb_model, "average_f1": mean(&f1s_model)},
        "processbench_checks_only": {"subsets": pb_checks, "average_f1": mean(&f1s_checks)},
        "processbench_no_prior": {"threshold": chosen_absolute.threshold, "subsets": pb_absolute, "average_f1": mean(&f1s_absolute)},
        "processbench_running_product": {"threshold": running_rule.threshold, "subsets": pb_running, "average_f1": mean(&f1s_running)},
        "processbench_position_threshold": {"threshold": position_threshold.threshold, "prior": position_prior, "decay": position_decay, "subsets": pb_position, "average_f1": mean(&f1s_position)},
        "processbench_orm_gated": {"threshold": gate_rule.threshold, "orm_gate": gate, "subsets": pb_gated, "average_f1": mean(&f1s_gated)},
        "right_answer_wrong_reasoning": {"items": rawr_n, "prm_flags": rawr_prm, "orm_rejects": rawr_orm, "checks_flag": rawr_checks},
        "calibration": {
            "fitted_on": args.calibrate_on.name(),
            "fit": fitted,
            "applied": args.update_model && fitted.is_some(),
            "prm800k_ece_before": before.ece,
            "candidates": fits.iter().zip(&after).map(|(f, a)| json!({
                "set": f.0.name(),
                "steps": f.2,
                "fit": f.1,
                "prm800k_ece_after": a.as_ref().map(|a| a.ece),
            })).collect::<Vec<_>>(),
        },
        "prm800k_test": {"rated_steps": step_p.len(), "step_auc": auc, "ece": calib.ece, "reliability": calib.bins},
        "best_of_4_gsm8k_heldout": bo4,
        "best_of_8_qwen_math": bo8,
    });
    model_dir::write_atomic(
        &args.out.join("report.json"),
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;
    plots::best_of_n(&args.out.join("best_of_n.svg"), &bo4, &bo8)?;
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
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
        eprintln!("wrote {}/report.json and plots", args.out.display());
    }
    Ok(())
}

/// The solutions to score so that every solution's last step is covered: `(representatives,
/// lookup)` where `lookup[i] = (r, k)` means solution `i`'s last step is step `k` of
/// representative `r` (an index into `representatives`, which holds indices into `sols`).
fn prefix_representatives(
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

fn update_model(
    dir: &Path,
    rule: StepRule,
    calibration: Calibration,
    report: &serde_json::Value,
) -> Result<()> {
    let mut cfg = model_dir::read_config(dir)?;
    cfg.decision = cfg
        .decision
        .with_rule(rule)?
        .with_calibration(calibration)?;
    cfg.metrics = report.clone();
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

fn print_report(r: &serde_json::Value) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use verifier_data::LabeledSolution;

    #[test]
    fn the_position_threshold_spares_later_steps_and_keeps_false_claims() {
        let sets = vec![vec![0.6, 0.3, 0.3, 0.0, 0.3]];
        let plain = StepRule {
            threshold: 0.5,
            prior: Some(0.8),
        };
        assert_eq!(
            position_scaled(&sets, Some(0.8), 0.0),
            vec![plain.step_scores(&sets[0])],
            "no decay: the step rule's own step scores"
        );
        let scaled = &position_scaled(&sets, Some(0.8), 1.0)[0];
        let base = plain.step_scores(&sets[0]);
        assert!(
            (scaled[0] - base[0]).abs() < 1e-12,
            "the first step is unchanged"
        );
        // the third step changes nothing (0.3 after 0.3): it scores the prior, raised by ln 3
        assert!((logit(scaled[2]) - (logit(0.8) + 3f64.ln())).abs() < 1e-9);
        assert_eq!(scaled[3], 0.0, "a false claim stays flagged");
    }

    #[test]
    fn take_spread_keeps_n_items_spread_over_the_set() {
        let v: Vec<usize> = (0..100).collect();
        assert_eq!(take_spread(v.clone(), Some(4)), vec![0, 25, 50, 75]);
        let got = take_spread(v.clone(), Some(30));
        assert_eq!(got.len(), 30);
        assert!(got.windows(2).all(|w| (3..=4).contains(&(w[1] - w[0]))));
        assert_eq!(take_spread(v.clone(), None), v);
        assert_eq!(take_spread(v.clone(), Some(500)), v);
    }

    fn sol(problem: &str, steps: &[&str]) -> LabeledSolution {
        LabeledSolution {
            problem: problem.into(),
            steps: steps.iter().map(|s| s.to_string()).collect(),
            labels: vec![true; steps.len()],
            answer_correct: None,
            source: "test",
            ..Default::default()
        }
    }

    fn pb_item(steps: &[&str], label: i64) -> Result<sources::ProcessBenchItem> {
        Ok(serde_json::from_value(
            json!({"id": "x", "problem": "p", "steps": steps, "label": label}),
        )?)
    }

    #[test]
    fn labelled_steps_stop_at_the_first_error_and_calibration_keeps_checks() -> Result<()> {
        let items = [
            pb_item(&["a", "b", "c"], 1)?,
            pb_item(&["a", "2 + 2 = 5"], -1)?,
        ];
        let set = PbSet::new(
            "t",
            &items,
            vec![(vec![0.9, 0.4, 0.8], 0.3), (vec![0.7, 0.6], 0.9)],
        );
        let (p, y) = set.labelled_steps();
        assert_eq!(
            p,
            vec![0.9, 0.4, 0.7, 0.6],
            "the step after the first error has no label"
        );
        assert_eq!(y, vec![true, false, true, true]);
        assert_eq!(set.checked[1], vec![0.7, 0.0], "a false claim scores 0");
        let mut cal = set;
        cal.calibrate(Calibration {
            scale: 2.0,
            bias: 0.0,
        });
        assert!(cal.scores[0][0] > 0.9 && cal.scores[0][1] < 0.4);
        assert_eq!(cal.checked[1][1], 0.0, "still 0 after calibration");
        assert_eq!(
            cumulative(&[vec![0.5, 0.5, 1.0]]),
            vec![vec![0.5, 0.25, 0.25]]
        );
        assert_eq!(
            gated(&[vec![0.1, 0.2], vec![0.3]], &[0.9, 0.2], 0.5),
            vec![vec![1.0, 1.0], vec![0.3]]
        );
        Ok(())
    }

    #[test]
    fn cache_returns_what_was_stored_for_the_same_items_only() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("prm-cache-test-{}", std::process::id()));
        let cache = ScoreCache {
            dir: Some(dir.clone()),
            model_key: 42,
        };
        let steps = vec!["a".to_string()];
        let other = vec!["b".to_string()];
        let items: Vec<(&str, &[String])> = vec![("p", &steps)];
        let path = cache
            .path("set 1", &items)
            .context("a cache with a folder has paths")?;
        assert_ne!(Some(&path), cache.path("set 1", &[("p", &other)]).as_ref());
        assert_ne!(
            Some(&path),
            ScoreCache {
                dir: Some(dir.clone()),
                model_key: 43
            }
            .path("set 1", &items)
            .as_ref()
        );
        assert_eq!(ScoreCache::none().path("set 1", &items), None);
        std::fs::create_dir_all(&dir)?;
        let stored: Vec<StepProbs> = vec![vec![[0.25, 0.75]]];
        std::fs::write(&path, serde_json::to_vec(&stored)?)?;
        // the stored values come back (scoring would give the model's own, different values)
        let scorer = crate::model_dir::load(
            &crate::model_dir::default_model_dir(),
            &burn::prelude::Device::flex(),
        )?;
        assert_eq!(cache.scores(&scorer, &items, 4096, "set 1")?, stored);
        std::fs::remove_dir_all(&dir).ok();
        Ok(())
    }

    #[test]
    fn prefixes_are_read_off_the_longest_trajectory() {
        let s = [
            sol("p", &["a", "b", "c"]),
            sol("p", &["a", "b"]),
            sol("p", &["a", "x"]),
            sol("q", &["a", "b"]),
            sol("p", &["a", "b", "c"]),
        ];
        let refs: Vec<&LabeledSolution> = s.iter().collect();
        let (reps, lookup) = prefix_representatives(&refs);
        assert_eq!(reps.len(), 3, "p/a,b,c; p/a,x; q/a,b");
        for (i, &(r, k)) in lookup.iter().enumerate() {
            let rep = &s[reps[r]];
            assert_eq!(rep.problem, s[i].problem);
            assert_eq!(&rep.steps[..=k], &s[i].steps[..], "solution {i}");
        }
    }
}
