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

use common::{DataArgs, DeviceArgs, exit_with};

use std::path::PathBuf;

use attgan::tasks::evaluate::{EvaluateJob, evaluate};
use attgan::train::data::Split;
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

fn main() {
    let args = Args::parse();
    let job = EvaluateJob {
        checkpoint: args.checkpoint,
        data: args.data.source(),
        split: args.split,
        classifier: args.classifier,
        max_images: args.max_images,
        batch_size: args.batch_size,
        test_int: args.test_int,
        csv: args.csv,
    };
    let no_classifier = job.classifier.is_none() && !job.data.is_synthetic();
    match evaluate(args.device.preference(), job) {
        Ok(outcome) => {
            println!("{}", outcome.report);
            eprintln!("wrote {} ({:.1} s)", outcome.csv.display(), outcome.seconds);
        }
        Err(e) => exit_with(
            &e,
            no_classifier.then_some("pass --classifier DIR (train one with the train_classifier example)"),
        ),
    }
}
