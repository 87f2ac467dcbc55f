//! AttGAN Studio: edit a photo in the browser, a slider per attribute.
//!
//! ```text
//! cargo run --release --example studio                          # the newest export under out/
//! cargo run --release --example studio -- --checkpoint runs/attgan-128
//! cargo run --release --example studio -- --checkpoint runs/attgan-128 --celeba-dir ~/data/celeba
//! ```
//!
//! Then open the address it prints. The page finds the face in a photo, frames it as aligned
//! CelebA does, and shows C's attributes with a toggle and a slider each; the edited face
//! follows the sliders and is pasted back into the whole photo. It listens on 127.0.0.1 only
//! unless `--host` says otherwise.

mod common;

use common::{DataArgs, DeviceArgs, exit_with};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use attgan::studio::{Studio, StudioOptions, newest_export};
use clap::Parser;

/// Where training and imports write their exports by default.
const DEFAULT_OUT: &str = "out";

#[derive(Parser, Debug)]
#[command(about = "AttGAN Studio: edit photos in the browser with a slider per attribute")]
struct Args {
    /// The export to serve: a training run's output directory, an imported model, a
    /// .safetensors file [default: the newest export under out/].
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// The address to listen on (127.0.0.1: this machine only).
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// The port (0: any free one).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Dataset images by index: from --celeba-dir, or from the synthetic world when it is
    /// already on disk.
    #[command(flatten)]
    data: DataArgs,
    /// The largest photo accepted, in MiB.
    #[arg(long, default_value_t = 25)]
    max_mb: usize,
    /// The largest photo accepted, in megapixels.
    #[arg(long, default_value_t = 50.0)]
    max_megapixels: f64,
    /// Photos kept open at once (one per browser tab in use).
    #[arg(long, default_value_t = 12)]
    photos: usize,
    /// The sliders' range is +-this [default: the model's test_int].
    #[arg(long)]
    intensity_max: Option<f64>,
    #[command(flatten)]
    device: DeviceArgs,
}

fn main() {
    let args = Args::parse();
    let checkpoint = args.checkpoint.clone().unwrap_or_else(|| {
        newest_export(Path::new(DEFAULT_OUT)).unwrap_or_else(|| {
            exit_with(
                &format!("no --checkpoint given and no export under {DEFAULT_OUT}/"),
                Some(
                    "train one with `cargo run --release --example train_celeba` (it writes out/synthetic), or import \
                     a published AttGAN-PyTorch model with `cargo run --release --example import -- --pytorch \
                     weights.49.pth --setting setting.txt --out out/attgan-128`; then run this again",
                ),
            )
        })
    });
    let mut options = StudioOptions::new(&checkpoint);
    options.max_bytes = args.max_mb << 20;
    options.max_pixels = (args.max_megapixels * 1e6) as u64;
    options.max_sessions = args.photos;
    options.intensity_max = args.intensity_max;
    let data = args.data.source();
    let synthetic_on_disk =
        data.root.is_none() && Path::new(&format!("{DEFAULT_OUT}/synthetic-celeba-{}", data.synthetic_images)).is_dir();
    if data.root.is_some() || synthetic_on_disk {
        options = options.with_dataset(data);
    }
    eprintln!("loading {}", checkpoint.display());
    let studio = Studio::start(args.device.preference(), options).unwrap_or_else(|e| {
        exit_with(&e, Some("--checkpoint takes a training run's output directory, an import's, or a .safetensors file"))
    });
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| exit_with(&e, None));
    let result: std::io::Result<()> = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.host, args.port)).await.map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot listen on {}:{}: {e} (try --port 0)", args.host, args.port))
        })?;
        let address = listener.local_addr()?;
        let config = studio.config();
        eprintln!(
            "model: {} ({}x{}, {} attributes{}) on {}",
            checkpoint.display(),
            config.image_size,
            config.image_size,
            config.n_attrs(),
            if studio.options().dataset.is_some() { ", dataset images by index" } else { "" },
            studio.selected()
        );
        println!("AttGAN Studio: http://{address}/  (Ctrl-C stops it)");
        studio.serve(listener).await
    });
    if let Err(e) = result {
        exit_with(&e, None);
    }
}
