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
    // Consecutive jobs packed into batches of at most `tokens_per_batch` padded tokens.
    let mut batches: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    while start < jobs.len() {
        let mut end = start + 1;
        while end < jobs.len() && (end - start + 1) * jobs[end].1.ids.len() <= tokens_per_batch {
            end += 1;
        }
        batches.push(start..end);
        start = end;
    }
    // One worker per core (the CPU backend runs a batch this size on about one core), each with
    // its own copy of the model, taking the next batch from a shared counter.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(batches.len())
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(usize, Result<Vec<f32>, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (model, next, batches, jobs, bar) =
                    (scorer.model.clone(), &next, &batches, &jobs, &bar);
                let label = label.to_string();
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(range) = batches.get(b) else { break };
                        let batch: Vec<&WindowInput> =
                            jobs[range.clone()].iter().map(|(_, w)| w).collect();
                        let probs = scorer.marker_probabilities_with(&model, &batch);
                        done.push((
                            b,
                            probs
                                .into_data()
                                .try_to_vec::<f32>()
                                .map_err(|e| format!("{e:?}")),
                        ));
                        bar.inc(range.len() as u64);
                        // without a terminal, a line every tenth of the batches
                        if bar.is_hidden()
                            && batches.len() >= 10
                            && (b + 1) % (batches.len() / 10) == 0
                        {
                            eprintln!(
                                "{label}: {} of {} windows",
                                bar.position(),
                                bar.length().unwrap_or(0)
                            );
                        }
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (b, values) in results {
        let range = batches[b].clone();
        let values = match values {
            Ok(v) => v,
            Err(e) => {
                for (i, _) in &jobs[range] {
                    out[*i] = Err(VerifierError::Weights(format!("read-back failed: {e}")));
                }
                continue;
            }
        };
        let mut row = 0;
        for (i, w) in &jobs[range] {
            if let Ok(steps) = &mut out[*i] {
                for k in w.scored.clone() {
                    steps[k] = [values[2 * row], values[2 * row + 1]];
                    row += 1;
                }
            } else {
                row += w.markers.len();
            }
        }
    }
    bar.finish_and_clear();
    out
}
