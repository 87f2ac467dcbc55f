//! Edit (inference) latency and throughput of the paper's 128x128 model on every backend
//! available: one encoding and one decoding per image, images already prepared, results back
//! as 8-bit images. Batch 1 (latency) and 8 by default; add 32 with `ATTGAN_BENCH=long`. And
//! `slider_move`: one change of an interactive edit of a 640x480 photo (a decoding of the stored
//! encoding, pasted back into the photo), what the studio pays per slider move.
//!
//! ```text
//! cargo bench --bench edit
//! ```

mod common;

use attgan::backend::{self, BackendJob, Preference, Selected};
use attgan::session::EditSession;
use attgan::{AttGanConfig, Editor, Edits, Source};
use burn::tensor::backend::AutodiffBackend;
use criterion::{BenchmarkId, Criterion, Throughput};
use image::{Rgb, RgbImage};

use common::{Plan, is_software, short_name};

struct EditJob<'a> {
    c: &'a mut Criterion,
    plan: &'a Plan,
}

impl BackendJob for EditJob<'_> {
    type Output = ();

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) {
        let EditJob { c, plan } = self;
        let name = short_name(selected);
        if is_software(selected) && !plan.long && plan.devices.is_none() {
            println!("{name}: a software device, skipped in the default run (ATTGAN_BENCH=long runs it)");
            return;
        }
        let config = AttGanConfig::default();
        let editor = Editor::<B::InnerBackend>::new(config.init_generator(&device), config.clone(), &device);
        let edits = [Edits::new().set("Blond_Hair", 1.0)];
        let mut group = c.benchmark_group(format!("edit_128_{name}"));
        group.sample_size(if plan.long { 30 } else { 10 });
        let batches: &[usize] = if plan.long { &[1, 8, 32] } else { &[1, 8] };
        for &n in batches {
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
        // A slider move in an interactive edit: the photo was framed and encoded once
        // (EditSession::new); each move decodes once and pastes the face back into the photo.
        let photo = RgbImage::from_fn(640, 480, |x, y| Rgb([x as u8, y as u8, (x ^ y) as u8]));
        let source: Vec<f32> = (0..13).map(|j| (j % 2) as f32).collect();
        let session = EditSession::new(&editor, photo, Some(source)).expect("a session");
        let mut intensity = 0.0;
        group.bench_function("slider_move", |b| {
            b.iter(|| {
                intensity = if intensity > 1.0 { -1.0 } else { intensity + 0.1 };
                let face = session.render(&editor, &Edits::new().set("Blond_Hair", intensity)).expect("render");
                session.paste_back(&face.image)
            })
        });
        group.finish();
    }
}

fn main() {
    let plan = Plan::from_env();
    let mut c = Criterion::default().configure_from_args();
    for selected in plan.backends() {
        if let Err(e) = backend::run(Preference::Only(selected.kind), EditJob { c: &mut c, plan: &plan }) {
            println!("{}: {e}", selected.description);
        }
    }
    c.final_summary();
}
