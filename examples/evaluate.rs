//! Measures a trained AttGAN the way the papers do: reconstruction PSNR and SSIM on a split (as
//! STGAN computes them), and attribute editing accuracy (flip each attribute of each image,
//! classify the result), printed as a table and written as CSV.
//!
//! ```text
//! # on CelebA, judged by an attribute classifier trained with `train_classifier`
//! cargo run --release --example evaluate -- --checkpoint runs/celeba --celeba-dir ~/data/celeba \
//!     --classifier runs/classifier
//! # on the synthetic world (the defaults): the world's oracle judges
//! cargo run --release --example evaluate
//! ```

mod common;

use common::{DataArgs, DeviceArgs};

use std::path::PathBuf;
use std::time::Instant;

use attgan::Editor;
use attgan::attribute_classifier::AttributeClassifier;
use attgan::backend::{self, BackendJob, Selected};
use attgan::train::TrainError;
use attgan::train::data::{CelebaDataset, Split};
use attgan::train::eval::{ClassifierJudge, Judge, Oracle, evaluate};
use burn::data::dataset::Dataset;
use burn::tensor::backend::AutodiffBackend;
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Reconstruction PSNR/SSIM and attribute editing accuracy of a trained AttGAN")]
struct Args {
    /// The export of a training run: its output directory, or its generator.mpk.
    #[arg(long, default_value = "out/synthetic")]
    checkpoint: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// The split to measure on: train, val or test.
    #[arg(long, default_value = "test")]
    split: Split,
    /// The attribute classifier that judges edits (a `train_classifier` output directory or its
    /// .mpk). Needed for CelebA; on the synthetic world it replaces the oracle.
    #[arg(long)]
    classifier: Option<PathBuf>,
    /// At most this many images of the split (default: all).
    #[arg(long)]
    max_images: Option<usize>,
    /// Images per forward pass.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// The intensity of each flip (AttGAN's test_int).
    #[arg(long, default_value_t = 1.0)]
    test_int: f64,
    /// Where the CSV goes (default: evaluation-<split>.csv in the checkpoint's directory).
    #[arg(long)]
    csv: Option<PathBuf>,
    #[command(flatten)]
    device: DeviceArgs,
}

struct Job {
    args: Args,
}

impl BackendJob for Job {
    type Output = Result<(), TrainError>;

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) -> Self::Output {
        eprintln!("device: {selected}");
        let args = &self.args;
        let editor = Editor::<B::InnerBackend>::load(&args.checkpoint, &device)?.with_batch_size(args.batch_size);
        let root = args.data.root()?;
        let judge: Box<dyn Judge> = match &args.classifier {
            Some(path) => {
                let (model, config) = AttributeClassifier::<B::InnerBackend>::load(path, &device)?;
                Box::new(ClassifierJudge::new(model, config.image_size, &device))
            }
            None if args.data.synthetic() => Box::new(Oracle),
            None => {
                return Err(TrainError::Options(
                    "on CelebA, --classifier is needed to judge edits (train one with the train_classifier example)"
                        .into(),
                ));
            }
        };
        let options = args.data.options(editor.attributes(), editor.config().image_size).with_split(args.split);
        let data = CelebaDataset::open(&root, options)?;
        let n = args.max_images.unwrap_or(usize::MAX).min(data.len());
        eprintln!("evaluating {} on {n} {} images of {}", args.checkpoint.display(), args.split, root.display());
        let t = Instant::now();
        let mut last = Instant::now();
        let report = evaluate(&editor, &data, n, args.batch_size, judge.as_ref(), args.test_int, |done| {
            if last.elapsed().as_secs() >= 10 || done == n {
                last = Instant::now();
                let s = t.elapsed().as_secs_f64();
                eprintln!("  {done}/{n} images, {s:.0} s, {:.0} s left", s / done as f64 * (n - done) as f64);
            }
        })?;
        println!("{report}");
        let csv = args.csv.clone().unwrap_or_else(|| {
            let dir = if args.checkpoint.is_dir() {
                args.checkpoint.clone()
            } else {
                args.checkpoint.parent().map(PathBuf::from).unwrap_or_default()
            };
            dir.join(format!("evaluation-{}.csv", args.split))
        });
        report.write_csv(&csv)?;
        eprintln!("wrote {} ({:.1} s)", csv.display(), t.elapsed().as_secs_f64());
        Ok(())
    }
}

fn run(args: Args) -> Result<(), TrainError> {
    backend::run(args.device.preference(), Job { args }).map_err(TrainError::Options)?
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
