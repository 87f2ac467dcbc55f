//! Edit (inference) latency and throughput of the paper's 128x128 model on the CPU backend:
//! one encoding and one decoding per image, images already prepared.
//!
//! ```text
//! cargo bench --bench edit
//! ```

use attgan::{AttGanConfig, Editor, Edits, Source};
use burn::backend::Flex;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use image::{Rgb, RgbImage};

fn edit(c: &mut Criterion) {
    let device = Default::default();
    let config = AttGanConfig::default();
    let editor = Editor::<Flex>::new(config.init_generator(&device), config.clone(), &device);
    let edits = [Edits::new().set("Blond_Hair", 1.0)];
    let mut group = c.benchmark_group("edit_128_cpu");
    group.sample_size(10);
    for n in [1usize, 8] {
        let images: Vec<RgbImage> = (0..n)
            .map(|k| RgbImage::from_fn(128, 128, |x, y| Rgb([(x + k as u32) as u8, y as u8, (x ^ y) as u8])))
            .collect();
        let sources: Vec<Vec<f32>> = (0..n).map(|k| (0..13).map(|j| ((j + k) % 2) as f32).collect()).collect();
        let editor = editor.clone().with_batch_size(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("batch", n), &images, |b, images| {
            b.iter(|| editor.edit_batch(images, Source::Given(&sources), &edits).expect("edit"))
        });
    }
    group.finish();
}

criterion_group!(benches, edit);
criterion_main!(benches);
