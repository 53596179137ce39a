//! The data mixture as burn-train's data loader: the batch of every optimizer step and device,
//! drawn afresh from a generator seeded by the step (so a resumed run draws what an unbroken one
//! would), the fixed validation slice, and where a run stops early.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use burn::{
    data::{
        dataloader::{DataLoader, DataLoaderIterator, Progress},
        dataset::DatasetError,
    },
    prelude::Device,
};
use rand::{SeedableRng, rngs::StdRng};
use verifier_data::{DataDir, sources};

use super::{
    TrainArgs,
    examples::{Draw, Item, Pools, make_item},
    learner::{LossSettings, StepBatch},
};

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
    /// Devices training together: each step's batch (`--batch-tokens`) is shared among them.
    pub parts: usize,
}

impl Mixture {
    /// Device `part`'s share of the batch of optimizer step `step`: the batch is the same for a
    /// given seed whatever happened before it (a resumed run draws what an unbroken one would)
    /// and however many devices share it.
    fn batch(&self, step: usize, part: usize) -> Vec<Item> {
        let a = &self.args;
        let seed = a.seed.wrapping_mul(1_000_003) ^ ((step as u64) << 8);
        let mut rng = StdRng::seed_from_u64(seed);
        let items = draw(&self.pools, &self.encoder, a, self.parts, &mut rng);
        share(items, part, self.parts)
    }
}

/// Draws of the mixture taken one at a time until the next would pass the token budget of
/// `--batch-tokens` (every sequence padded to the longest), and at least `at_least` of them. A
/// draw is one item, or the two of a sibling pair (numbered in the batch, the right one first).
fn draw(
    pools: &Pools,
    encoder: &verifier_core::StepEncoder,
    a: &TrainArgs,
    at_least: usize,
    rng: &mut StdRng,
) -> Vec<Vec<Item>> {
    let mut units: Vec<Vec<Item>> = Vec::new();
    let item = |sol: &verifier_data::LabeledSolution| {
        make_item(encoder, sol, a.max_train_tokens, a.neutral)
    };
    for _ in 0..200 {
        let unit = match pools.sample(&a.mix, a.extra_weight, rng) {
            Some(Draw::One(sol)) => item(&sol).map(|i| vec![i]),
            Some(Draw::Pair { right, wrong }) => item(&right).zip(item(&wrong)).map(|(r, w)| {
                let n = units.len();
                vec![
                    Item {
                        pair: Some((n, true)),
                        ..r
                    },
                    Item {
                        pair: Some((n, false)),
                        ..w
                    },
                ]
            }),
            None => None,
        };
        let Some(unit) = unit else {
            continue;
        };
        if overflows(&units, &unit, a.batch_tokens) && units.len() >= at_least {
            break;
        }
        units.push(unit);
    }
    units
}

/// Whether `next` would take `batch` past `budget` tokens (every sequence padded to the longest).
fn overflows(batch: &[Vec<Item>], next: &[Item], budget: usize) -> bool {
    let len = |i: &Item| i.window.ids.len();
    let all = || batch.iter().flatten().chain(next);
    let longest = all().map(len).max().unwrap_or(0);
    all().count() * longest > budget
}

/// The validation slice: the first PRM800K test solutions (never trained on), in
/// `--valid-batches` fixed batches of `--batch-tokens` (the same whatever the devices: it is
/// scored on the first one).
pub(super) fn validation_batches(
    data: &DataDir,
    encoder: &verifier_core::StepEncoder,
    a: &TrainArgs,
) -> anyhow::Result<Vec<Vec<Item>>> {
    let mut batches = Vec::new();
    let mut batch: Vec<Item> = Vec::new();
    for sol in sources::prm800k(data, "test")? {
        if batches.len() >= a.valid_batches {
            break;
        }
        let Some(item) = make_item(encoder, &sol, a.max_train_tokens, a.neutral) else {
            continue;
        };
        if overflows(
            std::slice::from_ref(&batch),
            std::slice::from_ref(&item),
            a.batch_tokens,
        ) && !batch.is_empty()
        {
            batches.push(std::mem::take(&mut batch));
        }
        batch.push(item);
    }
    if batches.len() < a.valid_batches && !batch.is_empty() {
        batches.push(batch);
    }
    Ok(batches)
}

/// Device `part`'s share of a step's batch: every `parts`-th draw from its `part`-th (a sibling
/// pair stays together), so the devices together train on exactly the batch one device would.
fn share(units: Vec<Vec<Item>>, part: usize, parts: usize) -> Vec<Item> {
    units
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % parts == part)
        .flat_map(|(_, unit)| unit)
        .collect()
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
        step_items(
            self.range.clone(),
            self.per_epoch,
            self.first_step,
            epoch,
            limit,
        )
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

impl DataLoader<StepBatch> for StepLoader {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<StepBatch> + 'a> {
        let epoch = self.epochs.fetch_add(1, Ordering::SeqCst);
        let mut items = self.epoch_items(epoch);
        if let (Source::Mixture(_), Some(stop)) = (&self.source, &self.stop) {
            let past_deadline = stop.deadline.is_some_and(|d| Instant::now() >= d);
            if past_deadline || items.is_empty() {
                let why = if past_deadline {
                    "time limit reached"
                } else {
                    "stop step reached"
                };
                stop.reason
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get_or_insert_with(|| why.to_string());
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

    fn to_device(&self, device: &Device) -> Arc<dyn DataLoader<StepBatch>> {
        Arc::new(self.like(device, self.range.clone()))
    }

    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<StepBatch>> {
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
    type Item = Result<StepBatch, DatasetError>;

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

impl DataLoaderIterator<StepBatch> for StepIter<'_> {
    fn progress(&self) -> Progress {
        Progress::new(self.done, self.total, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_devices_share_out_exactly_the_batch_of_one_device() {
        let item = |n: i64| Item {
            window: verifier_core::scorer::WindowInput {
                ids: vec![n],
                blocks: vec![0],
                markers: vec![0],
                scored: 0..1,
            },
            prm: vec![Some(true)],
            orm: vec![None],
            pair: None,
        };
        let ids = |v: Vec<Item>| v.iter().map(|i| i.window.ids[0]).collect::<Vec<_>>();
        let batch = || (0..5).map(|n| vec![item(n)]).collect::<Vec<_>>();
        assert_eq!(ids(share(batch(), 0, 1)), vec![0, 1, 2, 3, 4]);
        assert_eq!(ids(share(batch(), 0, 2)), vec![0, 2, 4]);
        assert_eq!(ids(share(batch(), 1, 2)), vec![1, 3]);
        // a sibling pair goes to one device
        let with_pair = vec![vec![item(0)], vec![item(1), item(2)], vec![item(3)]];
        assert_eq!(ids(share(with_pair.clone(), 1, 2)), vec![1, 2]);
        assert_eq!(ids(share(with_pair, 0, 2)), vec![0, 3]);
    }

    #[test]
    fn each_device_takes_its_own_batch_of_every_step_and_the_stop_step_ends_the_run() {
        // Two devices, 3 steps an epoch, starting at step 10: burn splits the 6 items in halves.
        assert_eq!(
            step_items(0..3, 3, 10, 0, usize::MAX),
            vec![(10, 0), (11, 0), (12, 0)]
        );
        assert_eq!(
            step_items(3..6, 3, 10, 0, usize::MAX),
            vec![(10, 1), (11, 1), (12, 1)]
        );
        assert_eq!(
            step_items(3..6, 3, 10, 1, usize::MAX),
            vec![(13, 1), (14, 1), (15, 1)]
        );
        // --stop-at-step 14: the second epoch ends early, the third has nothing left
        assert_eq!(step_items(0..6, 3, 10, 1, 14), vec![(13, 0), (13, 1)]);
        assert!(step_items(0..6, 3, 10, 2, 14).is_empty());
    }
}
