//! The CelebA data pipeline from the command line.
//!
//! ```text
//! cargo run --release --example celeba -- verify <dir> [--hq] [--no-decode]
//! cargo run --release --example celeba -- iterate <dir> [--hq] [--split train] [--image-size 128]
//!     [--batch-size 32] [--workers 0] [--batches 50]
//! cargo run --release --example celeba -- synthetic <dir> [--n-images 4000] [--seed 0]
//! ```
//!
//! `verify` checks a dataset (files, decoding, splits, attribute frequencies, md5 sums);
//! `iterate` measures how many images per second the loader decodes, crops and batches;
//! `synthetic` writes the synthetic CelebA-format world.

use std::path::PathBuf;
use std::time::Instant;

use attgan::backend::Cpu;
use attgan::train::data::{CelebaDataset, CelebaOptions, Split, Variant, VerifyOptions, loader, verify};
use attgan::train::synthetic::{SyntheticOptions, write_synthetic_celeba};
use burn::data::dataset::Dataset;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(about = "Verify, iterate or generate a CelebA-format dataset")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a dataset: annotation files, every image, split sizes, attribute frequencies, md5 sums.
    Verify {
        /// The dataset root (holding img_align_celeba/ and list_attr_celeba.txt).
        dir: PathBuf,
        /// The CelebAMask-HQ layout instead of CelebA's.
        #[arg(long)]
        hq: bool,
        /// Only check that the images exist, without decoding them.
        #[arg(long)]
        no_decode: bool,
    },
    /// Measure the loader's throughput: images decoded, cropped, resized and batched per second.
    Iterate {
        /// The dataset root.
        dir: PathBuf,
        /// The CelebAMask-HQ layout instead of CelebA's.
        #[arg(long)]
        hq: bool,
        /// Which split.
        #[arg(long, default_value = "train")]
        split: Split,
        /// Output image side.
        #[arg(long, default_value_t = 128)]
        image_size: u32,
        /// Batch size.
        #[arg(long, default_value_t = 32)]
        batch_size: usize,
        /// Decoding threads (0: one per core).
        #[arg(long, default_value_t = 0)]
        workers: usize,
        /// Stop after this many batches.
        #[arg(long, default_value_t = 50)]
        batches: usize,
    },
    /// Write the synthetic CelebA-format world.
    Synthetic {
        /// Where to write it.
        dir: PathBuf,
        /// Number of images.
        #[arg(long, default_value_t = 4000)]
        n_images: usize,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

fn variant(hq: bool) -> Variant {
    if hq { Variant::CelebaHq } else { Variant::Celeba }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    match args.command {
        Command::Verify { dir, hq, no_decode } => {
            let t = Instant::now();
            let report = verify(&dir, variant(hq), VerifyOptions { decode_images: !no_decode, threads: 0 })?;
            println!("{report}");
            println!("({:.1} s)", t.elapsed().as_secs_f64());
            if !report.is_ok() {
                std::process::exit(1);
            }
        }
        Command::Iterate { dir, hq, split, image_size, batch_size, workers, batches } => {
            let options =
                CelebaOptions::new(variant(hq)).with_split(split).with_image_size(image_size).with_hflip(true);
            let dataset = CelebaDataset::open(&dir, options)?;
            println!("{} images in the {split} split", dataset.len());
            let dl = loader::<Cpu, _>(dataset, batch_size, Some(0), workers, &Default::default());
            let t = Instant::now();
            let mut images = 0;
            for (i, batch) in dl.iter().enumerate() {
                if i == batches {
                    break;
                }
                images += batch.files.len();
            }
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{images} images in {secs:.2} s: {:.0} images/s ({image_size}x{image_size}, batch {batch_size})",
                images as f64 / secs
            );
        }
        Command::Synthetic { dir, n_images, seed } => {
            let t = Instant::now();
            let options = SyntheticOptions { n_images, seed, ..Default::default() };
            let images = write_synthetic_celeba(&dir, options)?;
            let (train, val, test) = options.split_sizes();
            println!(
                "wrote {n_images} images to {} (train {train}, val {val}, test {test}) in {:.1} s",
                images.display(),
                t.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
