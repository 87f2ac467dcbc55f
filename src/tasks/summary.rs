//! Building an AttGAN and trying it ([`summarise`]): its parameter counts checked against the
//! layer table, one D-loss (with the exact gradient penalty) and one G-loss on random data,
//! each timed, printed on stdout.

use std::path::PathBuf;
use std::time::Instant;

use attgan_core::attributes::{Targets, permuted_targets, to_generator_input};
use attgan_core::editor::save_export;
use attgan_core::summary::{group, trainable_params};
use attgan_core::{AttGanConfig, LossConfig};
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Distribution, ElementConversion, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::backend::{self, BackendJob, Preference, Selected};

/// Runs `job` on the preferred backend; `Err` says why no backend could run it.
pub fn summarise(device: Preference, job: SummaryJob) -> Result<(), String> {
    backend::run(device, job)
}

/// A model to build and try on random data.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryJob {
    /// The model.
    pub config: AttGanConfig,
    /// Images in the random batch.
    pub batch_size: usize,
    /// Seed of the weights and the batch.
    pub seed: u64,
    /// Also write the freshly initialised G and C as an editing export here.
    pub export: Option<PathBuf>,
}

impl BackendJob for SummaryJob {
    type Output = ();

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) {
        let SummaryJob { config, batch_size: n, seed, export } = self;
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
            f(d_loss.d_gan),
            f(d_loss.gp),
            f(d_loss.xa_attribute)
        );

        let t = Instant::now();
        let (g_loss, _) = losses.generator_loss(&g, &d, xa, a, Targets::new(b, config.thres_int), config.thres_int);
        let _grads = g_loss.total.clone().backward();
        let g_total: f64 = f(g_loss.total);
        let g_time = t.elapsed().as_secs_f64();
        println!(
            "G step (edit + reconstruction, G-loss, backward): {g_time:.2} s; \
             G-loss {g_total:.4} = adv {:.4} + 10 * attr {:.4} + 100 * rec {:.4}",
            f(g_loss.xb_gan),
            f(g_loss.xb_attribute),
            f(g_loss.xa_reconstruction)
        );
        assert!(d_total.is_finite() && g_total.is_finite(), "losses must be finite");
    }
}
