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

/// Localisation (exercise mode's question: given that the solution is wrong, which step is the
/// first wrong one?): for each solution whose supervised steps end in a wrong one, the
/// cross-entropy of a softmax over its steps' "wrongness" (minus the step logit) against that
/// step. `groups`: per solution, the flat positions of its supervised steps, the wrong one last.
fn localisation(prm: Tensor<1>, groups: &[Vec<i64>], device: &Device) -> Option<Tensor<1>> {
    let g = groups.len();
    let l = groups.iter().map(Vec::len).max()?;
    let (mut idx, mut mask, mut target) = (Vec::new(), Vec::new(), Vec::new());
    for positions in groups {
        for j in 0..l {
            idx.push(positions.get(j).copied().unwrap_or(0));
            mask.push(if j < positions.len() { 0.0 } else { -1e4 });
            target.push(f32::from(u8::from(j + 1 == positions.len())));
        }
    }
    let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [g * l]), device);
    let wrongness = prm.select(0, idx).neg().reshape([g, l])
        + Tensor::<2>::from_data(TensorData::new(mask, [g, l]), device);
    let logp = burn::tensor::activation::log_softmax(wrongness, 1);
    let target = Tensor::<2>::from_data(TensorData::new(target, [g, l]), device);
    Some((logp * target).sum().neg() / g as f64)
}

/// Sibling ranking: for each pair, the logistic loss of the right step's logit minus the wrong
/// one's (the right sibling should score above the wrong one). `pairs`: flat positions of each
/// pair's (right, wrong) last step.
fn ranking(prm: Tensor<1>, pairs: &[(i64, i64)], device: &Device) -> Option<Tensor<1>> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len();
    let (right, wrong): (Vec<i64>, Vec<i64>) = pairs.iter().copied().unzip();
    let pick = |idx: Vec<i64>| {
        prm.clone().select(
            0,
            Tensor::<1, Int>::from_data(TensorData::new(idx, [n]), device),
        )
    };
    Some(log_sigmoid(pick(right) - pick(wrong)).mean().neg())
}

/// The weights of the losses beside the step BCE (`--orm-weight`, `--localisation-weight`,
/// `--ranking-weight`).
pub struct LossWeights {
    pub orm: f64,
    pub localisation: f64,
    pub ranking: f64,
}

pub(super) fn batch_loss(
    model: &Verifier,
    items: &[Item],
    pad: u32,
    weights: &LossWeights,
    device: &Device,
) -> BatchLoss {
    let refs: Vec<&WindowInput> = items.iter().map(|i| &i.window).collect();
    let (ids, blocks) = verifier_core::scorer::pack(&refs, pad, device);
    let t = ids.dims()[1];
    let hidden = model.forward(ids, blocks);
    let mut flat = Vec::new();
    let (mut yp, mut wp, mut yo, mut wo) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut supervised, mut step_labels) = (Vec::new(), Vec::new());
    let mut groups: Vec<Vec<i64>> = Vec::new();
    // per sibling pair: the flat positions of its right and wrong last step
    let mut siblings: std::collections::BTreeMap<usize, [Option<i64>; 2]> = Default::default();
    for (b, it) in items.iter().enumerate() {
        // the supervised steps of a solution that ends in a wrong one (cut at its first error)
        let first = flat.len();
        let labelled: Vec<i64> = (0..it.window.markers.len())
            .filter(|&j| it.prm[j].is_some())
            .map(|j| (first + j) as i64)
            .collect();
        if let (Some((pair, right)), Some(&last)) = (it.pair, labelled.last()) {
            siblings.entry(pair).or_default()[usize::from(!right)] = Some(last);
        }
        let last_wrong = it.prm.iter().rev().flatten().next() == Some(&false);
        if last_wrong && labelled.len() > 1 {
            groups.push(labelled);
        }
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
    let step_logits = prm.clone().select(
        0,
        Tensor::<1, Int>::from_data(TensorData::new(supervised, [k]), device),
    );
    let mut loss = bce(prm.clone(), floats(yp, device), floats(wp, device))
        + bce(orm, floats(yo, device), floats(wo, device)) * weights.orm;
    if weights.localisation > 0.0
        && let Some(l) = localisation(prm.clone(), &groups, device)
    {
        loss = loss + l * weights.localisation;
    }
    let pairs: Vec<(i64, i64)> = siblings
        .into_values()
        .filter_map(|[r, w]| r.zip(w))
        .collect();
    if weights.ranking > 0.0
        && let Some(l) = ranking(prm, &pairs, device)
    {
        loss = loss + l * weights.ranking;
    }
    BatchLoss {
        loss,
        step_logits,
        step_labels,
        answers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_localisation_loss_is_the_cross_entropy_of_the_first_wrong_step() {
        let device = Device::flex();
        let prm = floats(vec![2.0, 1.0, -1.0, 0.5, -0.5], &device);
        let groups = vec![vec![0, 1, 2], vec![3, 4]];
        let lse = |v: &[f64]| v.iter().map(|x| x.exp()).sum::<f64>().ln();
        let expect = -((1.0 - lse(&[-2.0, -1.0, 1.0])) + (0.5 - lse(&[-0.5, 0.5]))) / 2.0;
        let got: f32 = localisation(prm.clone(), &groups, &device)
            .map(|l| l.into_scalar())
            .unwrap_or(f32::NAN);
        assert!((f64::from(got) - expect).abs() < 1e-5, "{got} vs {expect}");
        assert!(localisation(prm, &[], &device).is_none());
    }

    #[test]
    fn the_ranking_loss_is_the_logistic_loss_of_each_pairs_difference() {
        let device = Device::flex();
        let prm = floats(vec![2.0, 1.0, -1.0, 0.5], &device);
        // pairs (right, wrong): 2.0 over -1.0, and 0.5 under 1.0
        let softplus = |x: f64| (1.0 + x.exp()).ln();
        let expect = (softplus(-3.0) + softplus(0.5)) / 2.0;
        let got: f32 = ranking(prm.clone(), &[(0, 2), (3, 1)], &device)
            .map(|l| l.into_scalar())
            .unwrap_or(f32::NAN);
        assert!((f64::from(got) - expect).abs() < 1e-5, "{got} vs {expect}");
        assert!(ranking(prm, &[], &device).is_none());
    }
}
