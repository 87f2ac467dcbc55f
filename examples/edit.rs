//! Edits faces with a trained AttGAN, in the three modes of the official test scripts.
//!
//! ```text
//! # single: input | reconstruction | each attribute flipped, one grid per image
//! cargo run --release --example edit -- --checkpoint out/synthetic --image face.jpg
//! # multi: several attributes at once, at chosen intensities
//! cargo run --release --example edit -- --image photos/ --set Blond_Hair=1 --set Young=-1
//! # slide: one attribute swept over a range
//! cargo run --release --example edit -- --image face.jpg --slide Pale_Skin --min -1 --max 1 --steps 9
//! # CelebA images by their index in a split, with their annotated attributes
//! cargo run --release --example edit -- --celeba-dir ~/data/celeba --index 0 --index 7
//! ```
//!
//! Each image gets its own grid, `<name>-<mode>.png` (and, in multi mode, the edited image alone
//! as `<name>-edited.png`); several images also get `all-<mode>.png`, one row each.
//! Photos are cropped to their centred square (`--crop`), or with `--align` framed around their
//! face as aligned CelebA frames faces, and resized to the model's size. The
//! attributes an edit starts from are the annotations for CelebA images, `--source` when given,
//! and otherwise C's prediction (D's classifier head, exported with G).

mod common;

use common::{DataArgs, DeviceArgs, exit_with};

use std::path::PathBuf;

use attgan::image::Crop;
use attgan::tasks::edit::{DatasetImages, EditJob, Mode, edit};
use attgan::train::data::Split;
use attgan::{AttGanError, Edits};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Edit faces with a trained AttGAN (single, multi and slide modes)")]
struct Args {
    /// The export of a training run: its output directory, or its generator.mpk.
    #[arg(long, default_value = "out/synthetic")]
    checkpoint: PathBuf,
    /// Images to edit: files or folders (every .jpg/.jpeg/.png/.bmp/.webp in them). Repeatable.
    #[arg(long, num_args = 1..)]
    image: Vec<PathBuf>,
    /// Images of the dataset (CelebA with --celeba-dir, else the synthetic world) by position in
    /// `--split`, from 0, with their annotated attributes. Repeatable.
    #[arg(long, num_args = 1..)]
    index: Vec<usize>,
    /// The split `--index` counts in: train, val or test.
    #[arg(long, default_value = "test")]
    split: Split,
    #[command(flatten)]
    data: DataArgs,
    /// Where the results go.
    #[arg(long, default_value = "out/edits")]
    out: PathBuf,
    /// Multi mode: set an attribute's intensity (G's input; +-1 is test_int 1). Repeatable.
    #[arg(long = "set", value_name = "ATTRIBUTE=INTENSITY")]
    set: Vec<String>,
    /// Slide mode: the attribute to sweep.
    #[arg(long)]
    slide: Option<String>,
    /// Slide mode: first intensity.
    #[arg(long, default_value_t = -1.0, allow_negative_numbers = true)]
    min: f64,
    /// Slide mode: last intensity.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    max: f64,
    /// Slide mode: number of intensities.
    #[arg(long, default_value_t = 9)]
    steps: usize,
    /// Single mode: the intensity of each flip (AttGAN's test_int; default: the model's, 1 unless
    /// an imported setting.txt said otherwise).
    #[arg(long)]
    test_int: Option<f64>,
    /// How photos become square: celeba (AttGAN's box in an aligned CelebA image), centre, whole.
    #[arg(long, default_value = "centre")]
    crop: Crop,
    /// Find the face in each photo and frame it as aligned CelebA frames faces (photos without
    /// a face fall back to --crop).
    #[arg(long)]
    align: bool,
    /// The attributes the photos have, e.g. `Male,Young` (every other one absent); default: C predicts them.
    #[arg(long, value_delimiter = ',')]
    source: Option<Vec<String>>,
    /// Images per forward pass.
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// Draw the grid cells this many times larger (default: enough for 96 pixels).
    #[arg(long)]
    zoom: Option<u32>,
    #[command(flatten)]
    device: DeviceArgs,
}

fn run(args: Args) -> Result<(), AttGanError> {
    let mode = match (&args.slide, args.set.is_empty()) {
        (Some(_), false) => {
            return Err(AttGanError::InvalidConfig("choose one mode: --set (multi) or --slide, not both".into()));
        }
        (Some(attr), true) => {
            Mode::Slide { attribute: attr.clone(), edits: Edits::slide(attr, args.min, args.max, args.steps)? }
        }
        (None, false) => Mode::Multi(args.set.join(",").parse()?),
        (None, true) => Mode::Single { test_int: args.test_int },
    };
    if args.image.is_empty() && args.index.is_empty() {
        return Err(AttGanError::InvalidConfig(
            "nothing to edit: give --image FILE|DIR or --index N (a dataset image)".into(),
        ));
    }
    let dataset = (!args.index.is_empty()).then(|| DatasetImages {
        data: args.data.source(),
        split: args.split,
        indices: args.index.clone(),
    });
    let job = EditJob {
        checkpoint: args.checkpoint,
        images: args.image,
        dataset,
        mode,
        crop: args.crop,
        align: args.align,
        source: args.source,
        batch_size: args.batch_size,
        zoom: args.zoom,
        out: args.out,
    };
    let outcome = edit(args.device.preference(), job)?;
    for path in &outcome.written {
        eprintln!("wrote {}", path.display());
    }
    eprintln!(
        "{} images x {} outputs in {:.2} s: {:.1} ms per image (one encoding, {} decodings each)",
        outcome.images,
        outcome.outputs,
        outcome.seconds,
        1000.0 * outcome.seconds / outcome.images.max(1) as f64,
        outcome.outputs
    );
    Ok(())
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        exit_with(&e, None);
    }
}
