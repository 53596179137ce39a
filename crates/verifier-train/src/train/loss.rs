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

pub(super) fn batch_loss(
    model: &Verifier,
    items: &[Item],
    pad: u32,
    orm_weight: f64,
    device: &Device,
) -> (Tensor<1>, usize, usize) {
    let refs: Vec<&WindowInput> = items.iter().map(|i| &i.window).collect();
    let (ids, blocks) = verifier_core::scorer::pack(&refs, pad, device);
    let t = ids.dims()[1];
    let hidden = model.forward(ids, blocks);
    let mut flat = Vec::new();
    let (mut yp, mut wp, mut yo, mut wo) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (b, it) in items.iter().enumerate() {
        for (j, &m) in it.window.markers.iter().enumerate() {
            flat.push(b * t + m);
            let (p, o) = (it.prm[j], it.orm[j]);
            yp.push(f32::from(u8::from(p.unwrap_or(false))));
            wp.push(f32::from(u8::from(p.is_some())));
            yo.push(f32::from(u8::from(o.unwrap_or(false))));
            wo.push(f32::from(u8::from(o.is_some())));
        }
    }
    let n = flat.len();
    let (np, no) = (
        wp.iter().filter(|&&w| w > 0.0).count(),
        wo.iter().filter(|&&w| w > 0.0).count(),
    );
    let rows = gather_rows(hidden, &flat);
    let prm = model.prm_logits(rows.clone()).reshape([n]);
    let orm = model.orm_logits(rows).reshape([n]);
    let loss = bce(prm, floats(yp, device), floats(wp, device))
        + bce(orm, floats(yo, device), floats(wo, device)) * orm_weight;
    (loss, np, no)
}
