//! Trains the attribute classifier that judges edits (STGAN's: 5 x [2 conv3x3-BN-ReLU + max pool],
//! FC 512, FC n_attrs), then prints its per-attribute accuracy on the test split.
//!
//! ```text
//! cargo run --release --example train_classifier                  # the synthetic world, CPU-sized
//! cargo run --release --example train_classifier -- --celeba-dir ~/data/celeba --out runs/classifier
//! ```
//!
//! On CelebA the defaults are STGAN's: 128x128, batch 64, 25 epochs, Adam 2e-4 (beta1 0.9)
//! decaying after epoch 8, L2 1e-4, no augmentation (STGAN reports 94.5% mean accuracy on the 13
//! attributes of the official test split). Without `--celeba-dir` it writes (or reuses) a
//! synthetic CelebA-format world of drawn faces and trains the same network at 32x32 for 3
//! epochs. `--out` receives `attribute-classifier.mpk` + `attribute-classifier.json` (read by
//! `AttributeClassifier::load`), `accuracy.csv`, the run's options, Burn's logs and checkpoints.

mod common;

use common::{DataArgs, DeviceArgs, exit_with, stop_on_ctrl_c};

use std::path::PathBuf;

use attgan::attribute_classifier::AttributeClassifierConfig;
use attgan::tasks::classifier::{ClassifierJob, train_classifier};
use attgan::train::classifier::{ACCURACY_FILE, ClassifierTrainer, ClassifierTrainingConfig};
use attgan::train::data::Split;
use attgan::train::{Display, TrainError};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Train STGAN's attribute classifier on CelebA (or on the built-in synthetic world)")]
struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Output directory [default: out/classifier; out/synthetic-classifier on the synthetic world].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Image side in pixels [default: 128; 32 on the synthetic world].
    #[arg(long)]
    image_size: Option<usize>,
    /// Attributes, comma-separated CelebA names [default: AttGAN's 13].
    #[arg(long, value_delimiter = ',')]
    attrs: Option<Vec<String>>,
    /// Images per step [default: 64; 32 on the synthetic world].
    #[arg(long)]
    batch_size: Option<usize>,
    /// Epochs [default: 25; 3 on the synthetic world].
    #[arg(long)]
    epochs: Option<usize>,
    /// Adam's learning rate [default: 2e-4; 1e-3 on the synthetic world].
    #[arg(long)]
    lr: Option<f64>,
    /// Seed of weights, data order and flips [default: 0].
    #[arg(long)]
    seed: Option<u64>,
    /// Random left-right flips of the training images (STGAN does not flip).
    #[arg(long)]
    flip: bool,
    /// Validation images scored each epoch [default: 10000].
    #[arg(long)]
    valid_images: Option<usize>,
    /// Threads decoding images (0: one per core) [default: 0].
    #[arg(long)]
    workers: Option<usize>,
    #[command(flatten)]
    device: DeviceArgs,
    /// Log lines every this many seconds instead of the dashboard.
    #[arg(long)]
    log: Option<u64>,
}

fn options(args: &Args, synthetic: bool) -> Result<ClassifierTrainingConfig, TrainError> {
    let base = if synthetic {
        ClassifierTrainingConfig::synthetic()
    } else {
        ClassifierTrainingConfig::stgan(AttributeClassifierConfig::new())
    };
    let mut model = base.model.clone();
    if let Some(size) = args.image_size {
        model.image_size = size;
    }
    if let Some(attrs) = &args.attrs {
        model.attributes = attrs.clone();
    }
    let c = ClassifierTrainingConfig {
        model,
        batch_size: args.batch_size.unwrap_or(base.batch_size),
        epochs: args.epochs.unwrap_or(base.epochs),
        lr: args.lr.unwrap_or(base.lr),
        seed: args.seed.unwrap_or(base.seed),
        hflip: args.flip || base.hflip,
        valid_images: args.valid_images.unwrap_or(base.valid_images),
        workers: args.workers.unwrap_or(base.workers),
        ..base
    };
    c.validate()?;
    Ok(c)
}

fn run(args: Args) -> Result<(), TrainError> {
    let synthetic = args.data.source().is_synthetic();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(if synthetic { "out/synthetic-classifier" } else { "out/classifier" }));
    let config = options(&args, synthetic)?;
    let data = args.data.source();
    let root = data.root()?;
    let open = |split| data.open(&root, split, &config.model.attributes, config.model.image_size);
    let (train, valid, test) = (open(Split::Train)?, open(Split::Val)?, open(Split::Test)?);
    let display = args.log.map_or(Display::Auto, Display::Log);
    let trainer = ClassifierTrainer::new(config, out).with_display(display);
    // Ctrl-C stops after the current step; the classifier trained so far is saved and measured.
    stop_on_ctrl_c(trainer.interrupter(), "the classifier so far is saved and measured");
    let out = trainer.out().to_path_buf();
    let outcome = train_classifier(args.device.preference(), ClassifierJob { trainer, train, valid, test })?;
    println!("accuracy on the test split:\n{}", outcome.report);
    eprintln!(
        "measured in {:.0} s; written to {} (training {:.0} s)",
        outcome.measure_seconds,
        out.join(ACCURACY_FILE).display(),
        outcome.train_seconds
    );
    Ok(())
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        exit_with(&e, None);
    }
}
