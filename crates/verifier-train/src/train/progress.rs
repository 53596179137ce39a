//! How a training run shows and keeps its progress: burn-train's renderer as an indicatif bar
//! (loss, batch shape), and each epoch's validation metrics appended to `WORK/metrics.jsonl`
//! (drawn by `plots::training`).

use std::{
    collections::HashMap,
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{Result, anyhow};
use burn::train::{
    logger::{EvaluationProgressLogger, TrainingProgressLogger},
    metric::{MetricDefinition, MetricId},
    renderer::{
        EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
        MetricsRendererTraining,
    },
};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use super::learner::RunLog;

/// One epoch's row of `metrics.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochRow {
    pub epoch: usize,
    /// Optimizer steps taken by the end of the epoch.
    pub step: usize,
    /// Training loss (moving average) at that step.
    pub train_loss: Option<f64>,
    /// Validation metrics: "loss" and "step_auc" (the step scores' ROC AUC, 0 to 1).
    pub valid: HashMap<String, f64>,
}

pub struct BarRenderer {
    bar: ProgressBar,
    log: Arc<RunLog>,
    names: HashMap<MetricId, String>,
    valid: HashMap<String, f64>,
    metrics_file: PathBuf,
}

impl BarRenderer {
    pub fn new(log: Arc<RunLog>, steps: usize, start: usize, metrics_file: PathBuf) -> Self {
        let bar = ProgressBar::new(steps as u64).with_position(start as u64);
        bar.set_style(
            ProgressStyle::with_template("train {bar:30} {pos}/{len} {msg} {elapsed}<{eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        BarRenderer {
            bar,
            log,
            names: HashMap::new(),
            valid: HashMap::new(),
            metrics_file,
        }
    }

    fn append(&self, row: &EpochRow) -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.metrics_file)?;
        writeln!(f, "{}", serde_json::to_string(row)?)?;
        Ok(())
    }
}

impl MetricsRendererTraining for BarRenderer {
    fn update_train(&mut self, _state: MetricState) {}

    fn update_valid(&mut self, state: MetricState) {
        // The last value of the epoch is the epoch's (its final entry, once computed).
        if let MetricState::Numeric(entry, Some(value)) = state
            && let Some(name) = self.names.get(&entry.metric_id)
        {
            let v = value.current();
            let v = if name == "step_auc" { v / 100.0 } else { v };
            self.valid.insert(name.clone(), v);
        }
    }
}

impl MetricsRendererEvaluation for BarRenderer {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
}

impl TrainingProgressLogger for BarRenderer {
    fn start(
        &mut self,
        _epochs: usize,
        _start: usize,
        _items: Option<usize>,
        _label: Option<&str>,
    ) {
    }

    fn update_epoch(&mut self, epoch: usize) {
        let row = EpochRow {
            epoch,
            step: self.log.last_step(),
            train_loss: self.log.loss_ema(),
            valid: std::mem::take(&mut self.valid),
        };
        let shown: Vec<String> = row
            .valid
            .iter()
            .map(|(k, v)| format!("{k} {v:.4}"))
            .collect();
        self.bar.println(format!(
            "epoch {} (step {}): validation {}",
            row.epoch,
            row.step,
            shown.join(", ")
        ));
        if let Err(e) = self.append(&row) {
            self.bar.println(format!(
                "cannot append to {}: {e:#}",
                self.metrics_file.display()
            ));
        }
    }

    fn start_split(&mut self, _split: &str, _total: usize) {}

    fn update_split(&mut self, _items: usize) {
        let step = self.log.last_step();
        if step > self.bar.position() as usize {
            self.bar.set_position(step as u64);
            let msg = self.log.message();
            if self.bar.is_hidden() && step % 10 == 0 {
                eprintln!("step {step}/{} {msg}", self.bar.length().unwrap_or(0));
            }
            self.bar.set_message(msg);
        }
    }

    fn end_split(&mut self) {}

    fn end(&mut self) {
        self.bar.finish();
    }

    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for BarRenderer {
    fn start_global_progress(&mut self, _total: usize) {}
    fn start_test(&mut self, _name: &str, _total: usize) {}
    fn update_test_progress(&mut self, _items: usize) {}
    fn end_test(&mut self) {}
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRenderer for BarRenderer {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        // burn-train's names ("Loss", "AUROC [Macro]", in %) as this run's log keeps them.
        let name = match definition.name.split(' ').next().unwrap_or_default() {
            "Loss" => "loss",
            "AUROC" => "step_auc",
            other => other,
        };
        self.names
            .insert(definition.metric_id.clone(), name.to_string());
    }
}

/// Every epoch row of a run (resumed runs included).
pub fn read_rows(path: &Path) -> Result<Vec<EpochRow>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| anyhow!("{}: {e}", path.display())))
        .collect()
}
