//! The training loss: weighted binary cross-entropy of the step and answer heads.

use burn::{prelude::*, tensor::activation::log_sigmoid};
use verifier_core::{
    Verifier,
    scorer::{WindowInput, gather_rows},
};

use super::examples::Item;

pub(super) fn bce(logits: Tensor<1>, targets: Tensor<1>, weights: Tensor<1>) -> Tensor<1> {
    let per = (targets.clone() * log_sigmoid(logits.clone())
        + (targets.neg() + 1.0) * log_sigmoid(logits.neg()))
    .neg();
    let denom = weights.clone().sum().clamp_min(1.0);
    (per * weights).sum() / denom
}

pub(super) fn floats(v: Vec<f32>, device: &Device) -> Tensor<1> {
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n]), device)
}

/// The loss of one batch, with what the metrics read: the step logits and labels of the
/// supervised steps, and how many steps and answers were supervised.
pub(super) struct BatchLoss {
    pub(super) loss: Tensor<1>,
    /// Step logits of the supervised steps.
    pub(super) step_logits: Tensor<1>,
    /// Their labels (true: the step is correct).
    pub(super) step_labels: Vec<bool>,
    pub(super) answers: usize,
}

pub(super) fn batch_loss(
    model: &Verifier,
    items: &[Item],
    pad: u32,
    orm_weight: f64,
    device: &Device,
) -> BatchLoss {
    let refs: Vec<&WindowInput> = items.iter().map(|i| &i.window).collect();
    let (ids, blocks) = verifier_core::scorer::pack(&refs, pad, device);
    let t = ids.dims()[1];
    let hidden = model.forward(ids, blocks);
    let mut flat = Vec::new();
    let (mut yp, mut wp, mut yo, mut wo) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut supervised, mut step_labels) = (Vec::new(), Vec::new());
    for (b, it) in items.iter().enumerate() {
        for (j, &m) in it.window.markers.iter().enumerate() {
            let (p, o) = (it.prm[j], it.orm[j]);
            if let Some(label) = p {
                supervised.push(flat.len() as i64);
                step_labels.push(label);
            }
            flat.push(b * t + m);
            yp.push(f32::from(u8::from(p.unwrap_or(false))));
            wp.push(f32::from(u8::from(p.is_some())));
            yo.push(f32::from(u8::from(o.unwrap_or(false))));
            wo.push(f32::from(u8::from(o.is_some())));
        }
    }
    let n = flat.len();
    let answers = wo.iter().filter(|&&w| w > 0.0).count();
    let rows = gather_rows(hidden, &flat);
    let prm = model.prm_logits(rows.clone()).reshape([n]);
    let orm = model.orm_logits(rows).reshape([n]);
    let k = supervised.len();
    let step_logits = prm
        .clone()
        .select(0, Tensor::<1, Int>::from_data(TensorData::new(supervised, [k]), device));
    let loss = bce(prm, floats(yp, device), floats(wp, device))
        + bce(orm, floats(yo, device), floats(wo, device)) * orm_weight;
    BatchLoss {
        loss,
        step_logits,
        step_labels,
        answers,
    }
}
