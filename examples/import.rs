//! Imports an AttGAN-PyTorch checkpoint (elvisyjlin/AttGAN-PyTorch: `weights.N.pth`, with the
//! experiment's `setting.txt`) as an export that `edit`, `evaluate` and `Editor::load` take.
//!
//! ```text
//! cargo run --release --example import -- --pytorch output/128_shortcut1_inject1_none/checkpoint/weights.49.pth \
//!     --setting output/128_shortcut1_inject1_none/setting.txt --out runs/attgan-128
//! cargo run --release --example edit -- --checkpoint runs/attgan-128 --image face.jpg
//! ```
//!
//! Without `--setting` the configuration is read off the tensor shapes (what they cannot show is
//! taken from AttGAN-PyTorch's train.py defaults and printed); the flags override either.

mod common;

use common::{DeviceArgs, exit_with};

use std::path::PathBuf;

use attgan::pytorch::ImportOptions;
use attgan::tasks::convert::{ImportJob, import};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Import an AttGAN-PyTorch checkpoint (.pth) as an export for edit, evaluate and Editor::load")]
struct Args {
    /// The checkpoint: `{'G': ...}` (saveG), the whole save() dictionary, or G's state dict.
    #[arg(long)]
    pytorch: PathBuf,
    /// The experiment's setting.txt (train.py's arguments).
    #[arg(long)]
    setting: Option<PathBuf>,
    /// The export directory to write.
    #[arg(long)]
    out: PathBuf,
    /// Replace an export already in --out.
    #[arg(long)]
    force: bool,
    /// Image size (when there is no setting.txt and no D to read it from).
    #[arg(long)]
    image_size: Option<usize>,
    /// Attribute names, in G's order (comma-separated).
    #[arg(long, value_delimiter = ',')]
    attrs: Option<Vec<String>>,
    /// thres_int: attributes enter G as (2a - 1) * thres_int.
    #[arg(long)]
    thres_int: Option<f64>,
    /// test_int: the default intensity of an edit.
    #[arg(long)]
    test_int: Option<f64>,
    /// Import G alone, even when the checkpoint has D.
    #[arg(long)]
    no_classifier: bool,
    /// PyTorch's outputs for a fixed input (written by pytorch_reference.py): report the
    /// largest differences of the imported model from them, and fail above 1e-4.
    #[arg(long)]
    reference: Option<PathBuf>,
    #[command(flatten)]
    device: DeviceArgs,
}

fn main() {
    let args = Args::parse();
    let options = ImportOptions {
        setting: args.setting,
        image_size: args.image_size,
        attributes: args.attrs,
        thres_int: args.thres_int,
        test_int: args.test_int,
        classifier: !args.no_classifier,
    };
    let job = ImportJob { pytorch: args.pytorch, options, out: args.out, force: args.force, reference: args.reference };
    if let Err(e) = import(args.device.preference(), job) {
        exit_with(&e, None);
    }
}
