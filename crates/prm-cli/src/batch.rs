//! Scoring many solutions at once: windows of all solutions, sorted by length and packed into
//! padded batches, one read-back per batch.

use indicatif::{ProgressBar, ProgressStyle};
use verifier_core::{
    Scorer, VerifierError,
    scorer::{WindowInput, windows},
};

/// Per-step `(prm, orm)` probabilities of one solution.
pub type StepProbs = Vec<[f32; 2]>;

/// Score `(problem, steps)` pairs; a solution that cannot be encoded gets its error.
pub fn score_all(
    scorer: &Scorer,
    items: &[(&str, &[String])],
    tokens_per_batch: usize,
    label: &str,
) -> Vec<Result<StepProbs, VerifierError>> {
    let mut out: Vec<Result<StepProbs, VerifierError>> = Vec::with_capacity(items.len());
    let mut jobs: Vec<(usize, WindowInput)> = Vec::new();
    for (i, (problem, steps)) in items.iter().enumerate() {
        match scorer.encoder.encode(problem, steps) {
            Ok(enc) => {
                out.push(Ok(vec![[0.0; 2]; steps.len()]));
                for w in windows(&enc, scorer.encoder.limits.max_positions) {
                    jobs.push((i, w));
                }
            }
            Err(e) => out.push(Err(e)),
        }
    }
    jobs.sort_by_key(|(_, w)| w.ids.len());
    let bar = ProgressBar::new(jobs.len() as u64).with_message(label.to_string());
    bar.set_style(
        ProgressStyle::with_template("{msg:>14} {bar:30} {pos}/{len} windows {elapsed}<{eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut start = 0;
    while start < jobs.len() {
        let mut end = start + 1;
        while end < jobs.len() && (end - start + 1) * jobs[end].1.ids.len() <= tokens_per_batch {
            end += 1;
        }
        let batch: Vec<&WindowInput> = jobs[start..end].iter().map(|(_, w)| w).collect();
        let probs = scorer.marker_probabilities(&batch);
        let values: Vec<f32> = match probs.into_data().try_to_vec::<f32>() {
            Ok(v) => v,
            Err(e) => {
                for (i, _) in &jobs[start..end] {
                    out[*i] = Err(VerifierError::Weights(format!("read-back failed: {e:?}")));
                }
                start = end;
                continue;
            }
        };
        let mut row = 0;
        for (i, w) in &jobs[start..end] {
            if let Ok(steps) = &mut out[*i] {
                for k in w.scored.clone() {
                    steps[k] = [values[2 * row], values[2 * row + 1]];
                    row += 1;
                }
            } else {
                row += w.markers.len();
            }
        }
        bar.inc((end - start) as u64);
        start = end;
    }
    bar.finish_and_clear();
    out
}
