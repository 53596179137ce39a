//! What burn-train's `Learner` needs from the verifier: the train and validation steps, the data
//! mixture as a data loader, the learning-rate schedule as a burn scheduler, and checkpoints
//! written atomically. `super::run` puts them together with an execution strategy.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
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
use verifier_core::Verifier;

use super::{
    Schedule, TrainArgs,
    examples::Item,
    loss::{LossWeights, batch_loss},
};
use crate::model_dir;

/// The verifier as burn-train trains it (the model crate knows nothing of training).
#[derive(Module, Debug)]
pub struct TrainVerifier {
    pub verifier: Verifier,
}

/// One batch: training windows with their targets, and how the loss reads them.
pub struct StepBatch {
    pub(super) items: Vec<Item>,
    pub(super) device: Device,
    pub(super) settings: Arc<LossSettings>,
    /// The optimizer step this batch belongs to (training batches only).
    pub(super) step: Option<usize>,
}

/// What every batch's loss needs besides its items.
pub struct LossSettings {
    pub pad: u32,
    /// The weights of the answer, localisation and ranking losses.
    pub weights: LossWeights,
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
        let out = batch_loss(&model, &batch.items, s.pad, &s.weights, &batch.device);
        let k = out.step_labels.len();
        let scores = burn::tensor::activation::sigmoid(out.step_logits.detach()).reshape([k, 1]);
        let labels =
            Tensor::<2, Bool>::from_data(TensorData::new(out.step_labels, [k, 1]), &batch.device);
        if let Some(step) = batch.step {
            let longest = batch
                .items
                .iter()
                .map(|i| i.window.ids.len())
                .max()
                .unwrap_or(0);
            let shape = (batch.items.len(), longest, k, out.answers);
            s.log
                .record_step(step, &out.loss, 0.02 / s.parts as f64, shape);
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
        let parts = batch.settings.parts as f64;
        let (loss, output) = self.forward_step(&batch);
        // The devices' gradients are summed before the optimizer step: each device's share of
        // the loss makes the sum the gradient of the mean, as one device's batch would give.
        TrainOutput::new(self, (loss / parts).backward(), output)
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
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One batch's loss; `weight` is its share of the moving average (0.02 shared among the
    /// devices of a step). `shape`: sequences, longest, supervised steps, answers.
    fn record_step(
        &self,
        step: usize,
        loss: &Tensor<1>,
        weight: f64,
        shape: (usize, usize, usize, usize),
    ) {
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
        g.message =
            format!("loss {ema:.4} ({seqs} seqs x {longest}, {steps} steps, {answers} answers)");
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
        let bytes = record
            .checkpoint_into_bytes()
            .map_err(CheckpointerError::Record)?;
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
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(CheckpointerError::IOError(e))
            }
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
            name.strip_prefix("model-")?
                .strip_suffix(".bpk")?
                .parse()
                .ok()
        })
        .collect();
    epochs
        .into_iter()
        .filter(|&e| {
            CHECKPOINT_NAMES
                .iter()
                .all(|n| AtomicCheckpointer::path(dir, n, e).is_file())
        })
        .max()
}

#[cfg(test)]
mod tests {
    use burn::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;

    use super::*;

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
