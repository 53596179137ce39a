//! Scoring: model files -> a loaded verifier; (problem, steps) -> step and answer probabilities.
//! Knows nothing of files or of where the bytes came from (disk, fetch, Cache API).

use burn::{
    prelude::*,
    store::{BurnpackStore, ModuleSnapshot},
    tensor::{Bytes, activation::sigmoid},
};
use serde::{Deserialize, Serialize};

use crate::{
    decision::{Decision, Exercise},
    encode::{Encoded, Limits, StepEncoder, Window, plan_windows},
    error::{Result, VerifierError},
    model::{BlockCache, Verifier, VerifierConfig},
    quant::{CompactLoad, CompactSave},
    verdict::Verdict,
};

/// Block index given to padding: larger than any real block, so no real token attends to it.
pub const PAD_BLOCK: i64 = 1 << 24;

/// `config.json` of a model directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelConfig {
    pub architecture: VerifierConfig,
    #[serde(default)]
    pub limits: Limits,
    /// How probabilities become a verdict: `threshold`, `prior`, `aggregate`, `calibration` and
    /// `exercise`, stored at the top level of `config.json`.
    #[serde(flatten)]
    pub decision: Decision,
    /// Measured metrics and how the model was trained (free-form, written by `prm train/eval`).
    #[serde(default)]
    pub metrics: serde_json::Value,
    #[serde(default)]
    pub training: serde_json::Value,
    /// Size and SHA-256 of the other model files (`model.bpk`, `tokenizer.json`): a cache key that
    /// changes with the content, and a check against truncated or mixed-up files.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub files: std::collections::BTreeMap<String, FileDigest>,
}

/// The size and SHA-256 (hex) of a model file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    pub bytes: u64,
    pub sha256: String,
}

impl ModelConfig {
    /// Refuse a file whose size differs from the one recorded in `files` (a download cut short,
    /// or a file of another model). The digest itself is checked where a hash is at hand (the
    /// CLI, the browser's worker).
    pub fn check_size(&self, name: &str, len: usize) -> Result<()> {
        match self.files.get(name) {
            Some(d) if d.bytes != len as u64 => Err(VerifierError::Weights(format!(
                "{name} is {len} bytes but config.json says {}: a truncated file, or one of another model",
                d.bytes
            ))),
            _ => Ok(()),
        }
    }
}

impl ModelConfig {
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes)
            .map_err(|e| VerifierError::Config(format!("cannot read config.json: {e}")))
    }
}

/// The three files a model is made of, as bytes.
pub struct ModelFiles<'a> {
    pub config: &'a [u8],
    pub tokenizer: &'a [u8],
    pub weights: Vec<u8>,
}

/// Load burnpack weights (f16 or f32) into a freshly initialised verifier, refusing any mismatch.
pub fn load_weights(model: Verifier, weights: Vec<u8>) -> Result<Verifier> {
    if weights.is_empty() {
        return Err(VerifierError::Weights("the weights file is empty".into()));
    }
    let mut model = model;
    // Compact storage (int8 matrices, f16 rest) is widened to f32; f32 checkpoints pass through.
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(weights)))
        .with_from_adapter(CompactLoad);
    let result = model
        .load_from(&mut store)
        .map_err(|e| VerifierError::Weights(format!("cannot decode weights: {e}")))?;
    if !result.errors.is_empty() {
        return Err(VerifierError::Weights(format!(
            "weights do not fit the architecture: {}",
            result.errors[0]
        )));
    }
    if !result.missing.is_empty() {
        return Err(VerifierError::Weights(format!(
            "weights lack {} tensors of the architecture, e.g. {}",
            result.missing.len(),
            result.missing[0].0
        )));
    }
    if !result.unused.is_empty() {
        return Err(VerifierError::Weights(format!(
            "weights have {} tensors the architecture does not, e.g. {}",
            result.unused.len(),
            result.unused[0]
        )));
    }
    Ok(model)
}

/// Serialize weights as burnpack: compact (int8 matrices, f16 rest; see [`crate::quant`]) when
/// `compact` is set, else f32 (training checkpoints).
pub fn save_weights(model: &Verifier, compact: bool) -> Result<Vec<u8>> {
    let mut store = BurnpackStore::from_bytes(None);
    if compact {
        store = store.with_to_adapter(CompactSave);
    }
    model
        .save_into(&mut store)
        .map_err(|e| VerifierError::Weights(format!("cannot encode weights: {e}")))?;
    let bytes = store
        .get_bytes()
        .map_err(|e| VerifierError::Weights(format!("cannot encode weights: {e}")))?;
    Ok(bytes.to_vec())
}

/// Token ids, block ids and marker positions of one window, ready to batch.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowInput {
    pub ids: Vec<i64>,
    pub blocks: Vec<i64>,
    /// Token index of the marker ending each scored step.
    pub markers: Vec<usize>,
    /// The steps scored in this window.
    pub scored: std::ops::Range<usize>,
}

/// Lay out the problem, the window's context steps and its scored steps.
pub fn window_input(enc: &Encoded, w: &Window) -> WindowInput {
    let mut ids: Vec<i64> = enc.problem.iter().map(|&t| t as i64).collect();
    let mut blocks = vec![0i64; ids.len()];
    let mut markers = Vec::new();
    for k in w.context.start..w.scored.end {
        let block = (k + 1) as i64;
        ids.extend(enc.steps[k].iter().map(|&t| t as i64));
        blocks.resize(ids.len(), block);
        if w.scored.contains(&k) {
            markers.push(ids.len() - 1);
        }
    }
    WindowInput {
        ids,
        blocks,
        markers,
        scored: w.scored.clone(),
    }
}

/// All windows of an encoded solution.
pub fn windows(enc: &Encoded, max_positions: usize) -> Vec<WindowInput> {
    let lens: Vec<usize> = enc.steps.iter().map(Vec::len).collect();
    plan_windows(enc.problem.len(), &lens, max_positions)
        .iter()
        .map(|w| window_input(enc, w))
        .collect()
}

/// Pad windows into `[batch, time]` id and block tensors.
pub fn pack(
    inputs: &[&WindowInput],
    pad_id: u32,
    device: &Device,
) -> (Tensor<2, Int>, Tensor<2, Int>) {
    let t = inputs.iter().map(|w| w.ids.len()).max().unwrap_or(0);
    let b = inputs.len();
    let mut ids = Vec::with_capacity(b * t);
    let mut blocks = Vec::with_capacity(b * t);
    for w in inputs {
        ids.extend(&w.ids);
        ids.resize(ids.len() + t - w.ids.len(), pad_id as i64);
        blocks.extend(&w.blocks);
        blocks.resize(blocks.len() + t - w.blocks.len(), PAD_BLOCK);
    }
    (
        Tensor::<1, Int>::from_data(TensorData::new(ids, [b * t]), device).reshape([b, t]),
        Tensor::<1, Int>::from_data(TensorData::new(blocks, [b * t]), device).reshape([b, t]),
    )
}

/// Hidden states at the given flat positions of a `[b, t, h]` tensor -> `[n, h]`.
pub fn gather_rows(hidden: Tensor<3>, flat_positions: &[usize]) -> Tensor<2> {
    let [b, t, h] = hidden.dims();
    let device = hidden.device();
    let idx: Vec<i64> = flat_positions.iter().map(|&p| p as i64).collect();
    let n = idx.len();
    let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [n]), &device);
    hidden.reshape([b * t, h]).select(0, idx)
}

/// A loaded verifier: model, tokenizer and the settings stored with them.
pub struct Scorer {
    pub model: Verifier,
    pub encoder: StepEncoder,
    pub config: ModelConfig,
    pub device: Device,
}

impl Scorer {
    /// Decode the three model files on `device`.
    pub fn load(files: ModelFiles<'_>, device: &Device) -> Result<Self> {
        let config = ModelConfig::from_json(files.config)?;
        config.check_size("tokenizer.json", files.tokenizer.len())?;
        config.check_size("model.bpk", files.weights.len())?;
        let encoder = StepEncoder::from_bytes(files.tokenizer, config.limits.clone())?;
        if encoder.vocab_size() != config.architecture.vocab_size {
            return Err(VerifierError::Config(format!(
                "tokenizer has {} tokens but the model expects {}",
                encoder.vocab_size(),
                config.architecture.vocab_size
            )));
        }
        if config.limits.max_positions > config.architecture.max_positions {
            return Err(VerifierError::Config(
                "limits exceed the model's positions".into(),
            ));
        }
        let model = load_weights(config.architecture.init(device), files.weights)?;
        Ok(Scorer {
            model,
            encoder,
            config,
            device: device.clone(),
        })
    }

    /// Step and answer probabilities (uncalibrated: the [`Decision`] calibrates) at every marker of a batch of windows: `[markers, 2]`, rows
    /// in window order then marker order; column 0 is the PRM probability, column 1 the ORM
    /// probability. Still on the device: read back with `into_data` / `into_data_async`.
    pub fn marker_probabilities(&self, windows: &[&WindowInput]) -> Tensor<2> {
        self.marker_probabilities_with(&self.model, windows)
    }

    /// [`Scorer::marker_probabilities`] with another copy of the model (one per thread).
    pub fn marker_probabilities_with(
        &self,
        model: &Verifier,
        windows: &[&WindowInput],
    ) -> Tensor<2> {
        let (ids, blocks) = pack(windows, self.encoder.pad, &self.device);
        let t = ids.dims()[1];
        let hidden = model.forward(ids, blocks);
        let flat: Vec<usize> = windows
            .iter()
            .enumerate()
            .flat_map(|(b, w)| w.markers.iter().map(move |&m| b * t + m))
            .collect();
        let rows = gather_rows(hidden, &flat);
        sigmoid(Tensor::cat(
            vec![model.prm_logits(rows.clone()), model.orm_logits(rows)],
            1,
        ))
    }

    /// Probabilities `[n_steps, 2]` of one encoded solution (all its windows in one batch).
    pub fn probabilities(&self, enc: &Encoded) -> Tensor<2> {
        let wins = windows(enc, self.encoder.limits.max_positions);
        let refs: Vec<&WindowInput> = wins.iter().collect();
        self.marker_probabilities(&refs)
    }

    /// Turn read-back probabilities (`[n_steps, 2]` row-major, as from [`Scorer::probabilities`])
    /// into the verdict by `decision`: step probabilities from column 0, the ORM score from the
    /// last step's column 1.
    pub fn verdict(
        &self,
        steps: Vec<String>,
        probs: &[f32],
        decision: &Decision,
        exercise: Option<&Exercise>,
    ) -> Result<Verdict> {
        let n = steps.len();
        if n == 0 || probs.len() != 2 * n {
            return Err(VerifierError::BadInput(format!(
                "expected {} probabilities, got {}",
                2 * n,
                probs.len()
            )));
        }
        let scores: Vec<f64> = probs.chunks(2).map(|p| p[0] as f64).collect();
        Ok(decision.verdict(steps, &scores, probs[2 * n - 1] as f64, exercise))
    }

    /// Start a streaming session for `problem`.
    pub fn start(&self, problem: &str) -> Result<Stream> {
        let mut warnings = Vec::new();
        let problem = self.encoder.encode_problem(problem, &mut warnings)?;
        Ok(Stream {
            problem,
            steps: Vec::new(),
            cache: BlockCache::new(),
            window_start: 0,
            warnings,
        })
    }

    /// Score one more step of a stream: probabilities `[2]` (step, answer) still on the device.
    /// Earlier steps are not re-read: their keys and values are cached. When the position range
    /// is full, a new window is started exactly as [`plan_windows`] does for a whole solution.
    pub fn push(&self, stream: &mut Stream, step: &str) -> Result<Tensor<1>> {
        let k = stream.steps.len();
        if k >= crate::encode::MAX_STREAM_STEPS {
            return Err(VerifierError::BadInput(format!(
                "too many steps: {} (a streamed session takes at most {})",
                k + 1,
                crate::encode::MAX_STREAM_STEPS
            )));
        }
        let ids = self.encoder.encode_step(step, k, &mut stream.warnings)?;
        stream.steps.push(ids);
        let lens: Vec<usize> = stream.steps.iter().map(Vec::len).collect();
        let plan = plan_windows(
            stream.problem.len(),
            &lens,
            self.encoder.limits.max_positions,
        );
        let window = plan
            .last()
            .cloned()
            .ok_or_else(|| VerifierError::BadInput("no steps".into()))?;
        if stream.cache.len == 0 || window.scored.start != stream.window_start {
            // New window: re-read the problem and the context steps.
            stream.cache = BlockCache::new();
            stream.window_start = window.scored.start;
            self.read_block(&stream.problem, &mut stream.cache);
            for c in window.context.clone() {
                self.read_block(&stream.steps[c], &mut stream.cache);
            }
        }
        let hidden = self.read_block(&stream.steps[k], &mut stream.cache);
        let t = stream.steps[k].len();
        let marker = hidden
            .slice([0..1, t - 1..t])
            .reshape([1, self.config.architecture.hidden_size]);
        let logits = Tensor::cat(
            vec![
                self.model.prm_logits(marker.clone()),
                self.model.orm_logits(marker),
            ],
            0,
        );
        Ok(sigmoid(logits.reshape([2])))
    }

    fn read_block(&self, ids: &[u32], cache: &mut BlockCache) -> Tensor<3> {
        let v: Vec<i64> = ids.iter().map(|&t| t as i64).collect();
        let n = v.len();
        let ids =
            Tensor::<1, Int>::from_data(TensorData::new(v, [n]), &self.device).reshape([1, n]);
        self.model.forward_block(ids, cache)
    }
}

/// A streaming session: the problem and the steps read so far, with their cached keys/values.
pub struct Stream {
    problem: Vec<u32>,
    steps: Vec<Vec<u32>>,
    cache: BlockCache,
    window_start: usize,
    pub warnings: Vec<String>,
}

impl Stream {
    pub fn len(&self) -> usize {
        self.steps.len()
    }
    /// Positions whose keys and values are held (the current window's): at most the model's
    /// `max_positions`, however long the session.
    pub fn cached_positions(&self) -> usize {
        self.cache.len
    }
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}
