//! Batches of preprocessed items as tensors, and a data loader that decodes in worker threads.

use std::sync::Arc;

use attgan_core::image::batch_to_tensor;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::data::dataset::Dataset;
use burn::tensor::{Tensor, TensorData, backend::Backend};

use super::celeba::CelebaItem;

/// Images [N, 3, S, S] in [-1, 1] with their attributes [N, n_attrs] in {0, 1}.
#[derive(Debug, Clone)]
pub struct CelebaBatch<B: Backend> {
    /// The images.
    pub images: Tensor<B, 4>,
    /// The attributes.
    pub attributes: Tensor<B, 2>,
    /// The file of each image, in batch order.
    pub files: Vec<String>,
}

/// Turns [`CelebaItem`]s into a [`CelebaBatch`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CelebaBatcher;

impl<B: Backend> Batcher<B, CelebaItem, CelebaBatch<B>> for CelebaBatcher {
    fn batch(&self, items: Vec<CelebaItem>, device: &B::Device) -> CelebaBatch<B> {
        let n = items.len();
        let n_attrs = items.first().map_or(0, |i| i.attributes.len());
        let attributes: Vec<f32> = items.iter().flat_map(|i| i.attributes.iter().copied()).collect();
        let images: Vec<_> = items.iter().map(|i| i.image.clone()).collect();
        CelebaBatch {
            images: batch_to_tensor(&images, device).expect("a dataset yields one image size"),
            attributes: Tensor::from_data(TensorData::new(attributes, [n, n_attrs]), device),
            files: items.into_iter().map(|i| i.file).collect(),
        }
    }
}

/// A loader over `dataset` in batches of `batch_size`, shuffled with `seed` each epoch when
/// given, with `workers` threads decoding images (0: one per core).
pub fn loader<B: Backend, D: Dataset<CelebaItem> + 'static>(
    dataset: D,
    batch_size: usize,
    shuffle_seed: Option<u64>,
    workers: usize,
    device: &B::Device,
) -> Arc<dyn DataLoader<B, CelebaBatch<B>>> {
    let mut builder = DataLoaderBuilder::new(CelebaBatcher)
        .batch_size(batch_size)
        .num_workers(worker_count(workers))
        .set_device(device.clone());
    if let Some(seed) = shuffle_seed {
        builder = builder.shuffle(seed);
    }
    builder.build(dataset)
}

/// Threads that decode images: `workers`, or one per core for 0 (the options' default).
pub fn worker_count(workers: usize) -> usize {
    if workers == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { workers }
}
