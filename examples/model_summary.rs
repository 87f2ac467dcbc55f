//! Builds an AttGAN (the paper's 128x128 model unless told otherwise), prints its layer table
//! and parameter counts, and runs one D-loss (with the exact gradient penalty) and one G-loss
//! on random data on the best available device, timing each.
//!
//! ```text
//! cargo run --release --example model_summary -- [--device auto|cpu|wgpu|cuda]
//!     [--image-size 128] [--batch-size 2] [--config model.json] [--seed 0] [--export DIR]
//! ```

use std::path::PathBuf;
use std::time::Instant;

use attgan::attributes::{permuted_targets, to_generator_input};
use attgan::backend::{self, BackendJob, Preference, Selected};
use attgan::editor::save_export;
use attgan::summary::{group, trainable_params};
use attgan::{AttGanConfig, LossConfig};
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Distribution, ElementConversion, Tensor};
use clap::Parser;
use rand::SeedableRng;
use rand::rngs::StdRng;

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

struct Summary {
    config: AttGanConfig,
    batch_size: usize,
    seed: u64,
    export: Option<PathBuf>,
}

impl BackendJob for Summary {
    type Output = ();

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) {
        let Summary { config, batch_size: n, seed, export } = self;
        println!("device: {selected}");
        B::seed(&device, seed);
        let t = Instant::now();
        let g = config.init_generator::<B>(&device);
        let d = config.init_discriminator::<B>(&device);
        println!("initialised G and D/C in {:.2} s", t.elapsed().as_secs_f64());
        let counts = config.param_counts();
        assert_eq!(trainable_params(&g.enc), counts.genc, "Genc parameters differ from the layer table");
        assert_eq!(trainable_params(&g.dec), counts.gdec, "Gdec parameters differ from the layer table");
        assert_eq!(trainable_params(&d), counts.discriminator, "D/C parameters differ from the layer table");
        println!(
            "modules agree with the table: Genc {}, Gdec {}, D/C {}",
            group(trainable_params(&g.enc)),
            group(trainable_params(&g.dec)),
            group(trainable_params(&d))
        );

        if let Some(dir) = export {
            save_export(&g.valid(), Some(&d.valid().classifier()), &config, &dir).unwrap_or_else(|e| panic!("{e}"));
            println!("wrote the untrained G and C to {}", dir.display());
        }

        let s = config.image_size;
        let xa = Tensor::<B, 4>::random([n, 3, s, s], Distribution::Uniform(-1.0, 1.0), &device);
        let a = Tensor::<B, 2>::random([n, config.n_attrs()], Distribution::Bernoulli(0.5), &device);
        let b = permuted_targets(a.clone(), &mut StdRng::seed_from_u64(seed));
        let losses = LossConfig::default();

        let t = Instant::now();
        let xb = g.forward(xa.clone(), to_generator_input(b.clone(), config.thres_int)).detach();
        let d_loss = losses.discriminator_loss(&d, xa.clone(), xb, a.clone());
        let _grads = d_loss.total.clone().backward();
        let f = |t: Tensor<B, 1>| -> f64 { t.into_scalar().elem() };
        let d_total: f64 = f(d_loss.total);
        let d_time = t.elapsed().as_secs_f64();
        println!(
            "D step (G forward, D-loss with exact GP, backward): {d_time:.2} s; \
             D-loss {d_total:.4} = wgan {:.4} + 10 * gp {:.4} + attr {:.4}",
            f(d_loss.wgan),
            f(d_loss.gp),
            f(d_loss.attr_real)
        );

        let t = Instant::now();
        let (g_loss, _) = losses.generator_loss(&g, &d, xa, a, b, config.thres_int);
        let _grads = g_loss.total.clone().backward();
        let g_total: f64 = f(g_loss.total);
        let g_time = t.elapsed().as_secs_f64();
        println!(
            "G step (edit + reconstruction, G-loss, backward): {g_time:.2} s; \
             G-loss {g_total:.4} = adv {:.4} + 10 * attr {:.4} + 100 * rec {:.4}",
            f(g_loss.adv_fake),
            f(g_loss.attr_fake),
            f(g_loss.rec)
        );
        assert!(d_total.is_finite() && g_total.is_finite(), "losses must be finite");
    }
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
    let job = Summary { config, batch_size: args.batch_size.max(1), seed: args.seed, export: args.export };
    if let Err(e) = backend::run(args.device, job) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
