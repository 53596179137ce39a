//! What burn-train's `Learner` needs from the verifier: the train and validation steps, the data
//! mixture as a data loader, the learning-rate schedule as a burn scheduler, and checkpoints
//! written atomically. `super::run` puts them together with an execution strategy.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use burn::{
    lr_scheduler::{LrScheduler, LrSchedulerRecord},
    module::Module,
    optim::LearningRate,
    prelude::*,
    tensor::{Bytes, ExecutionError},
    train::{
        InferenceStep, ItemLazy, TrainOutput, TrainStep,
        checkpoint::{Checkpoint, Checkpointer, CheckpointerError},
        metric::{Adaptor, ConfusionStatsInput, LossInput},
    },
};
use rand::{SeedableRng, rngs::StdRng};
use verifier_core::Verifier;

use super::{
    Schedule, TrainArgs,
    examples::{Item, Pools, make_item},
    loss::batch_loss,
};
use crate::model_dir;

/// The verifier as burn-train trains it (the model crate knows nothing of training).
#[derive(Module, Debug)]
pub struct TrainVerifier {
    pub verifier: Verifier,
}

/// One batch: training windows with their targets, and how the loss reads them.
pub struct StepBatch {
    items: Vec<Item>,
    device: Device,
    settings: Arc<LossSettings>,
    /// The optimizer step this batch belongs to (training batches only).
    step: Option<usize>,
}

/// What every batch's loss needs besides its items.
pub struct LossSettings {
    pub pad: u32,
    pub orm_weight: f64,
    /// Weight of the localisation loss (`--localisation-weight`).
    pub localisation_weight: f64,
    pub freeze_embeddings: bool,
    /// Devices training together (each step's loss is the mean of theirs).
    pub parts: usize,
    /// Where training steps report their loss.
    pub log: Arc<RunLog>,
}

/// The output of a step: the loss, and the step scores of the supervised steps with their
/// labels (the step AUC).
pub struct StepOutput {
    loss: Tensor<1>,
    scores: Tensor<2>,
    labels: Tensor<2, Bool>,
}

impl ItemLazy for StepOutput {
    fn sync(self) -> Result<Self, ExecutionError> {
        self.loss.device().flush()?;
        Ok(StepOutput {
            loss: self.loss.without_autodiff(),
            scores: self.scores.without_autodiff(),
            labels: self.labels,
        })
    }
}

impl Adaptor<LossInput> for StepOutput {
    fn adapt(&self) -> LossInput {
        LossInput::new(self.loss.clone())
    }
}

impl Adaptor<ConfusionStatsInput> for StepOutput {
    fn adapt(&self) -> ConfusionStatsInput {
        ConfusionStatsInput::new(self.scores.clone(), self.labels.clone())
    }
}

impl TrainVerifier {
    fn forward_step(&self, batch: &StepBatch) -> (Tensor<1>, StepOutput) {
        let mut model = self.verifier.clone();
        if batch.settings.freeze_embeddings {
            model.embeddings.word_embeddings = model.embeddings.word_embeddings.no_grad();
        }
        let s = &batch.settings;
        let weights = (s.orm_weight, s.localisation_weight);
        let out = batch_loss(&model, &batch.items, s.pad, weights, &batch.device);
        let k = out.step_labels.len();
        let scores = burn::tensor::activation::sigmoid(out.step_logits.detach()).reshape([k, 1]);
        let labels = Tensor::<2, Bool>::from_data(TensorData::new(out.step_labels, [k, 1]), &batch.device);
        if let Some(step) = batch.step {
            let longest = batch.items.iter().map(|i| i.window.ids.len()).max().unwrap_or(0);
            let shape = (batch.items.len(), longest, k, out.answers);
            s.log.record_step(step, &out.loss, 0.02 / s.parts as f64, shape);
        }
        let output = StepOutput {
            loss: out.loss.clone().detach(),
            scores,
            labels,
        };
        (out.loss, output)
    }
}

impl TrainStep for TrainVerifier {
    type Input = StepBatch;
    type Output = StepOutput;

    fn step(&self, batch: StepBatch) -> TrainOutput<StepOutput> {
        let (loss, output) = self.forward_step(&batch);
        TrainOutput::new(self, loss.backward(), output)
    }
}

impl InferenceStep for TrainVerifier {
    type Input = StepBatch;
    type Output = StepOutput;

    fn step(&self, batch: StepBatch) -> StepOutput {
        self.forward_step(&batch).1
    }
}

/// The run as it goes: the loss of every optimizer step (an exponential moving average, as the
/// progress bar shows it), and each epoch's validation metrics. Shared by the data loader, the
/// train step and the renderer.
#[derive(Default)]
pub struct RunLog {
    inner: Mutex<RunLogInner>,
}

#[derive(Default)]
struct RunLogInner {
    loss_ema: Option<f64>,
    last_step: usize,
    non_finite: Option<(usize, f32)>,
    message: String,
}

impl RunLog {
    pub fn new(loss_ema: Option<f64>, last_step: usize) -> Self {
        RunLog {
            inner: Mutex::new(RunLogInner {
                loss_ema,
                last_step,
                ..Default::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RunLogInner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One batch's loss; `weight` is its share of the moving average (0.02 shared among the
    /// devices of a step). `shape`: sequences, longest, supervised steps, answers.
    fn record_step(&self, step: usize, loss: &Tensor<1>, weight: f64, shape: (usize, usize, usize, usize)) {
        let value: f32 = loss.clone().into_scalar();
        let mut g = self.lock();
        if !value.is_finite() {
            g.non_finite.get_or_insert((step, value));
            return;
        }
        let ema = match g.loss_ema {
            Some(e) => (1.0 - weight) * e + weight * f64::from(value),
            None => f64::from(value),
        };
        g.loss_ema = Some(ema);
        g.last_step = g.last_step.max(step + 1);
        let (seqs, longest, steps, answers) = shape;
        g.message = format!("loss {ema:.4} ({seqs} seqs x {longest}, {steps} steps, {answers} answers)");
    }

    pub fn loss_ema(&self) -> Option<f64> {
        self.lock().loss_ema
    }

    /// Optimizer steps taken so far (by this run, resumed ones included).
    pub fn last_step(&self) -> usize {
        self.lock().last_step
    }

    pub fn message(&self) -> String {
        self.lock().message.clone()
    }

    /// The first step whose loss was not a number, if any.
    pub fn non_finite(&self) -> Option<(usize, f32)> {
        self.lock().non_finite
    }
}

/// The learning rate of `--schedule` as a burn scheduler: a linear warm-up over 5% of the
/// steps, then a decay to 10% of the peak. Its record is the number of steps taken.
#[derive(Clone)]
pub struct StepSchedule {
    peak: f64,
    steps: usize,
    schedule: Schedule,
    taken: usize,
}

impl StepSchedule {
    pub fn new(args: &TrainArgs) -> Self {
        StepSchedule {
            peak: args.lr,
            steps: args.steps,
            schedule: args.schedule,
            taken: 0,
        }
    }

    /// The learning rate of optimizer step `step` (0-based).
    pub fn at(&self, step: usize) -> f64 {
        let warm = (self.steps / 20).max(1);
        if step < warm {
            self.peak * (step + 1) as f64 / warm as f64
        } else {
            let frac = (step - warm) as f64 / (self.steps - warm).max(1) as f64;
            let decay = match self.schedule {
                Schedule::Linear => frac,
                Schedule::Cosine => (1.0 - (std::f64::consts::PI * frac).cos()) / 2.0,
                Schedule::Constant => 0.0,
            };
            self.peak * (1.0 - 0.9 * decay)
        }
    }

    /// The steps a scheduler record says were taken (its own record, or the Learner's, which
    /// holds it as parameter group 0).
    pub fn taken(record: &LrSchedulerRecord) -> Option<usize> {
        record
            .scalar::<u64>("taken")
            .or_else(|| record.record("0").scalar::<u64>("taken"))
            .and_then(|t| usize::try_from(t).ok())
    }
}

impl LrScheduler for StepSchedule {
    fn step(&mut self) -> LearningRate {
        let lr = self.at(self.taken);
        self.taken += 1;
        lr
    }

    fn to_record(&self) -> LrSchedulerRecord {
        LrSchedulerRecord::new().with_scalar("taken", self.taken as u64)
    }

    fn load_record(&mut self, record: LrSchedulerRecord) {
        if let Some(t) = Self::taken(&record) {
            self.taken = t;
        }
    }
}

/// Checkpoints in `DIR/NAME-EPOCH.bpk`, each written to a temporary file and renamed, so a
/// killed run never leaves a half-written one.
pub struct AtomicCheckpointer {
    dir: PathBuf,
    name: &'static str,
}

impl AtomicCheckpointer {
    pub fn new(dir: &Path, name: &'static str) -> Self {
        AtomicCheckpointer {
            dir: dir.to_path_buf(),
            name,
        }
    }

    pub fn path(dir: &Path, name: &str, epoch: usize) -> PathBuf {
        dir.join(format!("{name}-{epoch}.bpk"))
    }
}

impl<R: Checkpoint> Checkpointer<R> for AtomicCheckpointer {
    fn save(&self, epoch: usize, record: R) -> Result<(), CheckpointerError> {
        let bytes = record.checkpoint_into_bytes().map_err(CheckpointerError::Record)?;
        model_dir::write_atomic(&Self::path(&self.dir, self.name, epoch), &bytes)
            .map_err(|e| CheckpointerError::Unknown(format!("{e:#}")))
    }

    fn restore(&self, epoch: usize) -> Result<R, CheckpointerError> {
        let bytes = std::fs::read(Self::path(&self.dir, self.name, epoch))
            .map_err(CheckpointerError::IOError)?;
        R::checkpoint_from_bytes(Bytes::from_bytes_vec(bytes)).map_err(CheckpointerError::Record)
    }

    fn delete(&self, epoch: usize) -> Result<(), CheckpointerError> {
        let path = Self::path(&self.dir, self.name, epoch);
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CheckpointerError::IOError(e)),
            _ => Ok(()),
        }
    }
}

/// The names of the three checkpoint files of an epoch.
pub const CHECKPOINT_NAMES: [&str; 3] = ["model", "optim", "scheduler"];

/// Remove the temporary files a killed run left half-written in `dir` (a checkpoint is renamed
/// into place only once complete, so none of them is a checkpoint).
pub fn remove_stale_temporaries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// The last epoch whose three checkpoint files are all there.
pub fn last_complete_epoch(dir: &Path) -> Option<usize> {
    let entries = std::fs::read_dir(dir).ok()?;
    let epochs: Vec<usize> = entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().to_string();
            name.strip_prefix("model-")?.strip_suffix(".bpk")?.parse().ok()
        })
        .collect();
    epochs
        .into_iter()
        .filter(|&e| CHECKPOINT_NAMES.iter().all(|n| AtomicCheckpointer::path(dir, n, e).is_file()))
        .max()
}

/// Where the batches come from: the training mixture, drawn afresh for every step, or a fixed
/// list (the validation slice).
pub enum Source {
    Mixture(Arc<Mixture>),
    Fixed(Arc<Vec<Vec<Item>>>),
}

/// The training mixture and how a batch is drawn from it.
pub struct Mixture {
    pub pools: Pools,
    pub encoder: verifier_core::StepEncoder,
    pub args: TrainArgs,
    /// Token budget of one device's batch (`--batch-tokens` shared among the devices).
    pub batch_tokens: usize,
}

impl Mixture {
    /// The batch of optimizer step `step` for device `part`: the same for a given seed whatever
    /// happened before it, so a resumed run draws what an unbroken one would.
    fn batch(&self, step: usize, part: usize) -> Vec<Item> {
        let a = &self.args;
        let seed = a.seed.wrapping_mul(1_000_003) ^ ((step as u64) << 8) ^ part as u64;
        let mut rng = StdRng::seed_from_u64(seed);
        draw(&self.pools, &self.encoder, a, self.batch_tokens, &mut rng)
    }
}

/// A pool of examples drawn one at a time until the next would pass the token budget (every
/// sequence padded to the longest).
pub fn draw(pools: &Pools, encoder: &verifier_core::StepEncoder, a: &TrainArgs, budget: usize, rng: &mut StdRng) -> Vec<Item> {
    let mut items: Vec<Item> = Vec::new();
    let mut longest = 0usize;
    for _ in 0..200 {
        let Some(sol) = pools.sample(&a.mix, a.extra_weight, rng) else {
            continue;
        };
        let Some(item) = make_item(encoder, &sol, a.max_train_tokens, a.neutral) else {
            continue;
        };
        let len = item.window.ids.len().max(longest);
        if (items.len() + 1) * len > budget && !items.is_empty() {
            break;
        }
        longest = len;
        items.push(item);
    }
    items
}

/// When the run stops early: at a step (`--stop-at-step`) or a time (`--max-minutes`).
pub struct Stop {
    pub at_step: usize,
    pub deadline: Option<Instant>,
    pub interrupter: burn::train::Interrupter,
    pub reason: Mutex<Option<String>>,
}

/// Batches for burn-train: each epoch is `per_epoch` optimizer steps, and each step takes one
/// batch from every device, so a loader of `per_epoch × devices` items is what burn splits
/// among them (device k gets items `k·per_epoch ..`).
pub struct StepLoader {
    source: Source,
    settings: Arc<LossSettings>,
    device: Device,
    /// Items of this loader: `range` of the `per_epoch × parts` of an epoch.
    range: std::ops::Range<usize>,
    per_epoch: usize,
    /// The first step of the first epoch this loader serves.
    first_step: usize,
    /// Epochs served so far (each `iter` is one).
    epochs: AtomicUsize,
    stop: Option<Arc<Stop>>,
}

impl StepLoader {
    pub fn new(
        source: Source,
        settings: Arc<LossSettings>,
        device: Device,
        per_epoch: usize,
        parts: usize,
        first_step: usize,
        stop: Option<Arc<Stop>>,
    ) -> Self {
        StepLoader {
            source,
            settings,
            device,
            range: 0..per_epoch * parts,
            per_epoch,
            first_step,
            epochs: AtomicUsize::new(0),
            stop,
        }
    }

    fn like(&self, device: &Device, range: std::ops::Range<usize>) -> Self {
        StepLoader {
            source: match &self.source {
                Source::Mixture(m) => Source::Mixture(m.clone()),
                Source::Fixed(f) => Source::Fixed(f.clone()),
            },
            settings: self.settings.clone(),
            device: device.clone(),
            range,
            per_epoch: self.per_epoch,
            first_step: self.first_step,
            epochs: AtomicUsize::new(self.epochs.load(Ordering::SeqCst)),
            stop: self.stop.clone(),
        }
    }

    /// The items of one epoch, as (step, part) pairs (validation: the fixed batch's index).
    fn epoch_items(&self, epoch: usize) -> Vec<(usize, usize)> {
        if let Source::Fixed(_) = self.source {
            return self.range.clone().map(|i| (0, i)).collect();
        }
        let limit = self.stop.as_ref().map_or(usize::MAX, |s| s.at_step);
        step_items(self.range.clone(), self.per_epoch, self.first_step, epoch, limit)
    }
}

/// Item `i` of an epoch of `per_epoch` steps is step `i mod per_epoch` of that epoch, for device
/// `i / per_epoch`; steps from `limit` on are not taken.
fn step_items(
    range: std::ops::Range<usize>,
    per_epoch: usize,
    first_step: usize,
    epoch: usize,
    limit: usize,
) -> Vec<(usize, usize)> {
    let base = first_step + epoch * per_epoch;
    range
        .map(|i| (base + i % per_epoch, i / per_epoch))
        .filter(|&(step, _)| step < limit)
        .collect()
}

impl burn::data::dataloader::DataLoader<StepBatch> for StepLoader {
    fn iter<'a>(&'a self) -> Box<dyn burn::data::dataloader::DataLoaderIterator<StepBatch> + 'a> {
        let epoch = self.epochs.fetch_add(1, Ordering::SeqCst);
        let mut items = self.epoch_items(epoch);
        if let (Source::Mixture(_), Some(stop)) = (&self.source, &self.stop) {
            let past_deadline = stop.deadline.is_some_and(|d| Instant::now() >= d);
            if past_deadline || items.is_empty() {
                let why = if past_deadline { "time limit reached" } else { "stop step reached" };
                stop.reason.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get_or_insert_with(|| why.to_string());
                stop.interrupter.stop(Some(why));
                items.clear();
            }
        }
        Box::new(StepIter {
            loader: self,
            total: items.len(),
            items: items.into_iter(),
            done: 0,
        })
    }

    fn num_items(&self) -> usize {
        self.range.len()
    }

    fn to_device(&self, device: &Device) -> Arc<dyn burn::data::dataloader::DataLoader<StepBatch>> {
        Arc::new(self.like(device, self.range.clone()))
    }

    fn slice(&self, start: usize, end: usize) -> Arc<dyn burn::data::dataloader::DataLoader<StepBatch>> {
        let s = self.range.start;
        Arc::new(self.like(&self.device, s + start..s + end))
    }
}

struct StepIter<'a> {
    loader: &'a StepLoader,
    items: std::vec::IntoIter<(usize, usize)>,
    total: usize,
    done: usize,
}

impl Iterator for StepIter<'_> {
    type Item = Result<StepBatch, burn::data::dataset::DatasetError>;

    fn next(&mut self) -> Option<Self::Item> {
        let l = self.loader;
        if let (Source::Mixture(_), Some(stop)) = (&l.source, &l.stop)
            && stop.deadline.is_some_and(|d| Instant::now() >= d)
        {
            // The epoch ends here; the next one stops the run (after this one's checkpoint).
            return None;
        }
        let (step, part) = self.items.next()?;
        self.done += 1;
        let (items, step) = match &l.source {
            Source::Mixture(m) => (m.batch(step, part), Some(step)),
            Source::Fixed(f) => (f.get(part)?.clone(), None),
        };
        Some(Ok(StepBatch {
            items,
            device: l.device.clone(),
            settings: l.settings.clone(),
            step,
        }))
    }
}

impl burn::data::dataloader::DataLoaderIterator<StepBatch> for StepIter<'_> {
    fn progress(&self) -> burn::data::dataloader::Progress {
        burn::data::dataloader::Progress::new(self.done, self.total, None)
    }
}

#[cfg(test)]
mod tests {
    use burn::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;

    use super::*;

    #[test]
    fn each_device_takes_its_own_batch_of_every_step_and_the_stop_step_ends_the_run() {
        // Two devices, 3 steps an epoch, starting at step 10: burn splits the 6 items in halves.
        assert_eq!(step_items(0..3, 3, 10, 0, usize::MAX), vec![(10, 0), (11, 0), (12, 0)]);
        assert_eq!(step_items(3..6, 3, 10, 0, usize::MAX), vec![(10, 1), (11, 1), (12, 1)]);
        assert_eq!(step_items(3..6, 3, 10, 1, usize::MAX), vec![(13, 1), (14, 1), (15, 1)]);
        // --stop-at-step 14: the second epoch ends early, the third has nothing left
        assert_eq!(step_items(0..6, 3, 10, 1, 14), vec![(13, 0), (13, 1)]);
        assert!(step_items(0..6, 3, 10, 2, 14).is_empty());
    }

    #[test]
    fn the_schedule_record_carries_the_steps_taken_through_the_learners_wrapper() {
        let new = || StepSchedule {
            peak: 5e-5,
            steps: 200,
            schedule: Schedule::Cosine,
            taken: 0,
        };
        let mut schedule = new();
        let lrs: Vec<f64> = (0..30).map(|_| schedule.step()).collect();
        assert_eq!(lrs[0], schedule.at(0));
        assert_eq!(lrs[29], schedule.at(29));
        let mut wrapped = ModuleLrScheduler::new(schedule.clone());
        let _ = wrapped.step();
        let record = wrapped.to_record();
        assert_eq!(StepSchedule::taken(&record), Some(31));
        let mut restored = new();
        restored.load_record(record.record("0"));
        assert_eq!(restored.step(), schedule.at(31));
    }

    #[test]
    fn only_an_epoch_with_all_three_files_is_resumed_from() -> std::io::Result<()> {
        let dir = std::env::temp_dir().join(format!("prm-ckpt-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        assert_eq!(last_complete_epoch(&dir), None);
        for name in CHECKPOINT_NAMES {
            std::fs::write(AtomicCheckpointer::path(&dir, name, 3), b"x")?;
        }
        std::fs::write(AtomicCheckpointer::path(&dir, "model", 4), b"x")?;
        std::fs::write(AtomicCheckpointer::path(&dir, "scheduler", 4), b"x")?;
        std::fs::write(dir.join(".optim-4.bpk.tmp-123"), b"half")?;
        assert_eq!(last_complete_epoch(&dir), Some(3));
        assert_eq!(remove_stale_temporaries(&dir), 1);
        assert_eq!(last_complete_epoch(&dir), Some(3));
        std::fs::remove_dir_all(&dir)
    }
}
