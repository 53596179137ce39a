//! Native scoring speed of the shipped model on the CPU (burn flex backend): a whole 5-step
//! solution, and one streamed step at step 1 vs step 20 (the cache keeps the per-step cost flat).
//! Run: `cargo bench -p verifier-core --bench score`.

use burn::prelude::*;
use criterion::{Criterion, criterion_group, criterion_main};
use verifier_core::{ModelFiles, Scorer};

#[path = "common/solution.rs"]
mod solution;
use solution::{PROBLEM, steps};

fn shipped() -> Scorer {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/verifier/");
    let read = |f: &str| std::fs::read(format!("{dir}{f}")).expect("shipped model");
    let (config, tokenizer) = (read("config.json"), read("tokenizer.json"));
    Scorer::load(
        ModelFiles {
            config: &config,
            tokenizer: &tokenizer,
            weights: read("model.bpk"),
        },
        &Device::flex(),
    )
    .expect("loads")
}

fn bench(c: &mut Criterion) {
    let scorer = shipped();
    let five = steps(5);
    c.bench_function("whole solution, 5 steps", |b| {
        b.iter(|| {
            let enc = scorer.encoder.encode(PROBLEM, &five).unwrap();
            scorer.probabilities(&enc).into_data()
        })
    });
    for at in [1usize, 20] {
        let earlier = steps(at - 1);
        let next = steps(at).pop().unwrap();
        c.bench_function(&format!("streamed step at step {at}"), |b| {
            b.iter_batched(
                || {
                    let mut s = scorer.start(PROBLEM).unwrap();
                    for st in &earlier {
                        scorer.push(&mut s, st).unwrap().into_data();
                    }
                    s
                },
                |mut s| scorer.push(&mut s, &next).unwrap().into_data(),
                criterion::BatchSize::LargeInput,
            )
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
