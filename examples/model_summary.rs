//! Builds an AttGAN (the paper's 128x128 model unless told otherwise), prints its layer table
//! and parameter counts, and runs one D-loss (with the exact gradient penalty) and one G-loss
//! on random data on the best available device, timing each.
//!
//! ```text
//! cargo run --release --example model_summary -- [--device auto|cpu|wgpu|cuda]
//!     [--image-size 128] [--batch-size 2] [--config model.json] [--seed 0] [--export DIR]
//! ```

use std::path::PathBuf;

use attgan::AttGanConfig;
use attgan::backend::Preference;
use attgan::tasks::summary::{SummaryJob, summarise};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Print the AttGAN layer table and time one D and one G loss evaluation")]
struct Args {
    /// Backend: auto (CUDA, then wgpu, then CPU), cpu, wgpu or cuda.
    #[arg(long, default_value = "auto")]
    device: Preference,
    /// Image size of the default model (ignored with --config).
    #[arg(long, default_value_t = 128)]
    image_size: usize,
    /// Batch size of the random batch.
    #[arg(long, default_value_t = 2)]
    batch_size: usize,
    /// A JSON AttGanConfig to use instead of the default model.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Seed of the weights and the random batch.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write the freshly initialised G and C as an editing export into this directory (to
    /// try or time the `edit` example without training).
    #[arg(long)]
    export: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => AttGanConfig::from_json_file(path),
        None => {
            let c = AttGanConfig::default().with_image_size(args.image_size);
            c.validate().map(|_| c)
        }
    };
    let config = config.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    println!(
        "AttGAN {0}x{0}, {1} attributes ({2}), shortcut_layers {3}, inject_layers {4}\n",
        config.image_size,
        config.n_attrs(),
        config.attributes.join(", "),
        config.shortcut_layers,
        config.inject_layers
    );
    print!("{}", config.layer_table_text());
    println!();
    let job = SummaryJob { config, batch_size: args.batch_size.max(1), seed: args.seed, export: args.export };
    if let Err(e) = summarise(args.device, job) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
