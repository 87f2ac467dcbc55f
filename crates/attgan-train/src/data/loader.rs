//! The training batch stream: a Burn `DataLoader` whose order is a pure function of the seed,
//! the epoch and the batch position, so that a resumed run sees exactly the batches an
//! uninterrupted one would. Burn's multi-threaded loader hands batches over in the order its
//! workers finish them; this one decodes in parallel but delivers in order.
//!
//! Each batch carries the global step it feeds and a seed for that step's randomness (target
//! permutation, flips, the penalty's interpolation). Which network the step trains is the
//! training strategy's decision (the 5:1 critic schedule), not the loader's.

use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderIterator, Progress};
use burn::data::dataset::Dataset;
use burn::tensor::backend::Backend;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use attgan_core::Phase;

use super::batcher::{CelebaBatch, CelebaBatcher};
use super::celeba::CelebaItem;

/// One training step's input: a batch, the step it feeds, and where it sits in the run.
#[derive(Debug, Clone)]
pub struct TrainBatch<B: Backend> {
    /// The images and attributes.
    pub batch: CelebaBatch<B>,
    /// Critic or generator step: `None` from the loader, set by the training strategy.
    pub phase: Option<Phase>,
    /// The global step index (0-based), counting critic and generator steps alike.
    pub step: usize,
    /// The epoch (1-based, as Burn's Learner counts them).
    pub epoch: usize,
    /// Seed for the step's randomness, derived from the run seed and `step`.
    pub seed: u64,
}

/// A seed for global step `step` of a run seeded with `seed` (SplitMix64 of both).
pub fn step_seed(seed: u64, step: usize) -> u64 {
    let mut z = seed ^ (step as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Where a loader is in the run: the next `iter()` serves this epoch from this batch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based epoch.
    pub epoch: usize,
    /// Batches of that epoch already consumed.
    pub batch: usize,
}

/// The deterministic epoch loader. Each `iter()` serves one epoch (the next one) of
/// `len / batch_size` full batches (the remainder is dropped, so every step has one batch size),
/// in an order shuffled by the run seed and the epoch.
pub struct EpochLoader<B: Backend> {
    dataset: Arc<dyn Dataset<CelebaItem>>,
    batch_size: usize,
    seed: u64,
    workers: usize,
    device: B::Device,
    next: Arc<Mutex<Position>>,
}

impl<B: Backend> EpochLoader<B> {
    /// A loader over `dataset` in batches of `batch_size`, decoding with `workers` threads,
    /// starting at `start`.
    pub fn new(
        dataset: Arc<dyn Dataset<CelebaItem>>,
        batch_size: usize,
        seed: u64,
        workers: usize,
        device: B::Device,
        start: Position,
    ) -> Self {
        Self {
            dataset,
            batch_size: batch_size.max(1),
            seed,
            workers: workers.max(1),
            device,
            next: Arc::new(Mutex::new(start)),
        }
    }

    /// Full batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.dataset.len() / self.batch_size
    }

    /// The dataset indices of `epoch`, in the order they are served.
    pub fn epoch_order(&self, epoch: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.dataset.len()).collect();
        order.shuffle(&mut StdRng::seed_from_u64(step_seed(self.seed ^ 0x5EED_F00D, epoch)));
        order
    }
}

impl<B: Backend> DataLoader<B, TrainBatch<B>> for EpochLoader<B> {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<TrainBatch<B>> + 'a> {
        let Position { epoch, batch: first } = {
            let mut next = self.next.lock().expect("loader position lock");
            let position = *next;
            *next = Position { epoch: position.epoch + 1, batch: 0 };
            position
        };
        let per_epoch = self.batches_per_epoch();
        let order = Arc::new(self.epoch_order(epoch));
        // Worker w decodes batches first + w, first + w + W, ...; the iterator reads the workers'
        // queues round-robin, so batches arrive in order while W of them are decoded at once.
        let workers = self.workers;
        let receivers = (0..workers)
            .map(|w| {
                let (tx, rx) = sync_channel(2);
                let (dataset, order, device, size) =
                    (self.dataset.clone(), order.clone(), self.device.clone(), self.batch_size);
                std::thread::spawn(move || {
                    for b in (first + w..per_epoch).step_by(workers) {
                        let items: Vec<CelebaItem> = order[b * size..(b + 1) * size]
                            .iter()
                            .map(|&i| dataset.get(i).expect("dataset index within its length"))
                            .collect();
                        if tx.send(Batcher::<B, _, CelebaBatch<B>>::batch(&CelebaBatcher, items, &device)).is_err() {
                            return;
                        }
                    }
                });
                rx
            })
            .collect();
        Box::new(EpochIter {
            receivers,
            next: first,
            end: per_epoch,
            epoch,
            step_base: (epoch - 1) * per_epoch,
            first,
            seed: self.seed,
            items_per_batch: self.batch_size,
        })
    }

    fn num_items(&self) -> usize {
        self.batches_per_epoch() * self.batch_size
    }

    fn to_device(&self, device: &B::Device) -> Arc<dyn DataLoader<B, TrainBatch<B>>> {
        Arc::new(Self { device: device.clone(), next: self.next.clone(), ..self.share() })
    }

    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<B, TrainBatch<B>>> {
        let part = burn::data::dataset::transform::PartialDataset::new(self.dataset.clone(), start, end);
        Arc::new(Self { dataset: Arc::new(part), ..self.share() })
    }
}

impl<B: Backend> EpochLoader<B> {
    fn share(&self) -> Self {
        Self {
            dataset: self.dataset.clone(),
            batch_size: self.batch_size,
            seed: self.seed,
            workers: self.workers,
            device: self.device.clone(),
            next: Arc::new(Mutex::new(*self.next.lock().expect("loader position lock"))),
        }
    }
}

struct EpochIter<B: Backend> {
    receivers: Vec<Receiver<CelebaBatch<B>>>,
    next: usize,
    end: usize,
    epoch: usize,
    step_base: usize,
    first: usize,
    seed: u64,
    items_per_batch: usize,
}

impl<B: Backend> Iterator for EpochIter<B> {
    type Item = TrainBatch<B>;

    fn next(&mut self) -> Option<TrainBatch<B>> {
        if self.next >= self.end {
            return None;
        }
        let w = (self.next - self.first) % self.receivers.len();
        let batch = self.receivers[w].recv().expect("a loader worker panicked while decoding a batch");
        let step = self.step_base + self.next;
        self.next += 1;
        Some(TrainBatch { batch, phase: None, step, epoch: self.epoch, seed: step_seed(self.seed, step) })
    }
}

impl<B: Backend> DataLoaderIterator<TrainBatch<B>> for EpochIter<B> {
    fn progress(&self) -> Progress {
        Progress::new(self.next * self.items_per_batch, self.end * self.items_per_batch)
    }
}
