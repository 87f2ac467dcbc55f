//! Data loading: how many CelebA-format images per second the pipeline decodes, crops, resizes
//! and batches (JPEG 178x218 -> AttGAN's 170x170 crop -> 128x128, bicubic), on one thread and
//! through the training loader with all cores. Compare with `train_step`'s images per second:
//! the loader keeps ahead of a step when its rate is higher.
//!
//! ```text
//! cargo bench --bench data
//! ```

mod common;

use std::sync::Arc;
use std::time::Duration;

use attgan::train::data::{CelebaDataset, CelebaOptions, EpochLoader, Position, Variant};
use attgan::train::synthetic::{SyntheticOptions, write_synthetic_celeba};
use burn::backend::Flex;
use burn::data::dataloader::DataLoader;
use burn::data::dataset::Dataset;
use criterion::{BenchmarkId, Criterion, Throughput};

const IMAGES: usize = 256;
const BATCH: usize = 32;

fn main() {
    let plan = common::Plan::from_env();
    let mut c = Criterion::default().configure_from_args();
    let root = std::env::temp_dir().join(format!("attgan-bench-celeba-{IMAGES}"));
    write_synthetic_celeba(&root, SyntheticOptions { n_images: IMAGES, ..Default::default() })
        .unwrap_or_else(|e| panic!("{e}"));
    let dataset = CelebaDataset::open(&root, CelebaOptions::new(Variant::Celeba)).unwrap_or_else(|e| panic!("{e}"));
    let n = dataset.len();
    let dataset: Arc<dyn Dataset<_>> = Arc::new(dataset);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    let mut group = c.benchmark_group("data_128");
    plan.configure(&mut group, Duration::from_millis(50));
    group.sampling_mode(criterion::SamplingMode::Auto);
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("decode_crop_resize/1_thread", |b| {
        b.iter(|| {
            i = (i + 1) % n;
            dataset.get(i).expect("index within the dataset")
        })
    });
    for workers in [1, cores] {
        let loader = EpochLoader::<Flex>::new(
            dataset.clone(),
            BATCH,
            0,
            workers,
            Default::default(),
            Position { epoch: 1, batch: 0 },
        );
        group.throughput(Throughput::Elements((loader.batches_per_epoch() * BATCH) as u64));
        group.bench_function(BenchmarkId::new(format!("loader_epoch_batch_{BATCH}/workers"), workers), |b| {
            b.iter(|| loader.iter().count())
        });
    }
    group.finish();
    c.final_summary();
}
