//! Writes an export (of a training run, an import, or a .safetensors file) in the PyTorch world's
//! formats: an AttGAN-PyTorch state dict (`.pth`, loaded by its test.py, with the `setting.txt`
//! it reads) and/or `.safetensors` (AttGAN-PyTorch's keys, the configuration in the metadata).
//!
//! ```text
//! cargo run --release --example export -- --checkpoint out/synthetic \
//!     --pth output/synthetic/checkpoint/weights.0.pth --setting output/synthetic/setting.txt \
//!     --safetensors out/synthetic.safetensors
//! ```

mod common;

use common::exit_with;

use std::path::PathBuf;

use attgan::tasks::convert::{ExportJob, export};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Export a model as an AttGAN-PyTorch .pth (with setting.txt) and/or .safetensors")]
struct Args {
    /// The export: a directory with generator.mpk, or a .safetensors file.
    #[arg(long, default_value = "out/synthetic")]
    checkpoint: PathBuf,
    /// Write an AttGAN-PyTorch state dict here ({'G': ..., 'C': ...}).
    #[arg(long)]
    pth: Option<PathBuf>,
    /// Also write AttGAN-PyTorch's setting.txt for the .pth here (its test.py reads
    /// output/EXPERIMENT/setting.txt and output/EXPERIMENT/checkpoint/weights.N.pth).
    #[arg(long)]
    setting: Option<PathBuf>,
    /// Write a .safetensors file here.
    #[arg(long)]
    safetensors: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    if args.pth.is_none() && args.safetensors.is_none() {
        exit_with(&"nothing to write", Some("give --pth FILE and/or --safetensors FILE"));
    }
    let job =
        ExportJob { checkpoint: args.checkpoint, pth: args.pth, setting: args.setting, safetensors: args.safetensors };
    if let Err(e) = export(job) {
        exit_with(&e, None);
    }
}
