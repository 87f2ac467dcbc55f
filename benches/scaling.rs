//! Data-parallel scaling: images per second of whole iterations (n_d critic steps + 1 generator
//! step, each with its update) on one device, then on several devices of one backend with the
//! same global batch split between them (`DataParallel`: gradients averaged with
//! burn-collective), and the scaling efficiency (speed-up / devices).
//!
//! ```text
//! cargo bench --bench scaling                                   # cpu,cpu: two replicas, one CPU
//! ATTGAN_SCALING_DEVICES=cuda:0,cuda:1 cargo bench --features cuda --bench scaling
//! ATTGAN_SCALING_SIZE=128 ATTGAN_SCALING_BATCH=32 ...           # the paper's model and batch
//! ```
//!
//! Environment: `ATTGAN_SCALING_DEVICES` (default `cpu,cpu`), `ATTGAN_SCALING_SIZE` (image side,
//! default 32: the synthetic preset's model), `ATTGAN_SCALING_BATCH` (global batch, default 16),
//! `ATTGAN_SCALING_ITERS` (timed iterations, default 3, after one warm-up).

use std::time::Instant;

use attgan::AttGanConfig;
use attgan::Phase;
use attgan::backend::{self, BackendJob, Devices, Preference, Selected};
use attgan::train::training::parallel::DataParallel;
use attgan::train::training::step::{StepInputs, grads_on};
use attgan::train::{AttGan, Preset, adam};
use burn::optim::Optimizer;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Distribution, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

const N_D: usize = 5;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.into())
}

fn number(name: &str, default: usize) -> usize {
    env(name, &default.to_string()).parse().unwrap_or_else(|_| panic!("{name} must be a whole number"))
}

struct Scaling {
    devices: Devices,
    config: AttGanConfig,
    batch: usize,
    iters: usize,
}

impl Scaling {
    /// Median seconds per iteration on `devices` (the first leads).
    fn time<B: AutodiffBackend>(&self, devices: &[B::Device]) -> f64 {
        let (leader, others) = devices.split_first().expect("at least one device");
        B::seed(leader, 0);
        let mut model = AttGan::<B>::new(&self.config, leader)
            .with_settings(Preset::Synthetic.config(self.config.clone()).step_settings());
        let mut optim = adam().init();
        let parallel = (!others.is_empty())
            .then(|| DataParallel::start(&model, leader, others, None, None).expect("starting the replicas"));
        let n_attrs = self.config.attributes.len();
        let size = self.config.image_size;
        let mut rng = StdRng::seed_from_u64(1);
        let mut samples = Vec::new();
        for iter in 0..=self.iters {
            let t = Instant::now();
            for step in 0..=N_D {
                let phase = if step < N_D { Phase::Critic } else { Phase::Generator };
                let xa = Tensor::<B, 4>::random([self.batch, 3, size, size], Distribution::Uniform(-1.0, 1.0), leader);
                let a = Tensor::<B, 2>::random([self.batch, n_attrs], Distribution::Bernoulli(0.5), leader);
                let inputs = StepInputs::draw(&model.settings, phase, xa, a, &mut rng);
                let (grads, _) = match &parallel {
                    None => grads_on(&model, phase, inputs),
                    Some(p) => p.grads(&model, phase, inputs).expect("a data-parallel step"),
                };
                model = optim.step(2e-4, model, grads);
                if let Some(p) = &parallel {
                    p.apply(2e-4).expect("the replicas' update");
                }
            }
            // Wait for the devices' queued work before reading the clock.
            for device in devices {
                let _ = B::sync(device);
            }
            if iter > 0 {
                samples.push(t.elapsed().as_secs_f64());
            }
        }
        if let Some(p) = &parallel {
            p.check_replicas(&model).expect("the replicas agree after the timed iterations");
        }
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    }
}

impl BackendJob for Scaling {
    type Output = ();

    fn run<B: AutodiffBackend>(self, _device: B::Device, selected: &Selected) {
        let devices = self.devices.of::<B>();
        let images = self.batch * (N_D + 1);
        println!("{selected}; {s}x{s} model, global batch {}, n_d {N_D}", self.batch, s = self.config.image_size);
        let one = self.time::<B>(&devices[..1]);
        println!("1 device:  {:.3} s per iteration, {:.1} images/s", one, images as f64 / one);
        let many = self.time::<B>(&devices);
        let k = devices.len();
        println!(
            "{k} devices: {:.3} s per iteration, {:.1} images/s; speed-up {:.2}, scaling efficiency {:.0}%",
            many,
            images as f64 / many,
            one / many,
            100.0 * one / many / k as f64
        );
    }
}

fn main() {
    let devices: Devices = env("ATTGAN_SCALING_DEVICES", "cpu,cpu").parse().unwrap_or_else(|e: String| panic!("{e}"));
    let size = number("ATTGAN_SCALING_SIZE", 32);
    let config = if size == 32 { Preset::Synthetic.model() } else { AttGanConfig::default().with_image_size(size) };
    let batch = number("ATTGAN_SCALING_BATCH", 16);
    assert!(batch.is_multiple_of(devices.indices.len()), "the batch must split evenly over the devices");
    let job = Scaling { devices, config, batch, iters: number("ATTGAN_SCALING_ITERS", 3).max(1) };
    if let Err(e) = backend::run(Preference::Only(job.devices.kind), job) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
