//! Timing AttGAN's training steps: a model, its optimizer and one random batch that `cargo bench`
//! (`benches/train_step.rs`) and the side-by-side runner (`benches/reference/`) step again and
//! again. The steps are the training's own ([`critic_step`], [`generator_step`]), so what is
//! timed is what trains; data loading is timed apart (`benches/data.rs`).

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use attgan_core::AttGanConfig;
use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Distribution, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

use attgan_core::Term;

use crate::model::{AttGan, StepSettings, adam};
use crate::optim::FusedAdam;
use crate::training::step::{critic_step, generator_step};

/// A step that the benches time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BenchStep {
    /// One critic step with the exact gradient penalty.
    Critic,
    /// The same step with the penalty's weight 0, which skips its nested pass: the penalty's
    /// cost is the ratio of the two.
    CriticWithoutPenalty,
    /// One generator step (edit + reconstruction from one encoding).
    Generator,
    /// n_d critic steps and one generator step.
    Iteration,
}

impl BenchStep {
    /// Every step, in the order the benches report them.
    pub const ALL: [BenchStep; 4] = [Self::Critic, Self::CriticWithoutPenalty, Self::Generator, Self::Iteration];

    /// The name the benches and the PyTorch reference's JSON use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Critic => "critic",
            Self::CriticWithoutPenalty => "critic_no_gp",
            Self::Generator => "generator",
            Self::Iteration => "iteration",
        }
    }

    /// Images consumed: each step draws a batch, an iteration n_d + 1 of them.
    pub fn images(self, batch_size: usize, n_d: usize) -> usize {
        match self {
            Self::Iteration => (n_d + 1) * batch_size,
            _ => batch_size,
        }
    }
}

impl fmt::Display for BenchStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BenchStep {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|step| step.name() == s)
            .ok_or_else(|| format!("unknown step `{s}`; expected one of {}", Self::ALL.map(|s| s.name()).join(", ")))
    }
}

/// G and D/C of a config, their Adam, and one random batch, ready to be stepped.
pub struct StepBench<B: AutodiffBackend> {
    model: Option<AttGan<B>>,
    optim: OptimizerAdaptor<FusedAdam, AttGan<B>, B>,
    with_penalty: StepSettings,
    without_penalty: StepSettings,
    xa: Tensor<B, 4>,
    a: Tensor<B, 2>,
    rng: StdRng,
    n_d: usize,
    device: B::Device,
}

impl<B: AutodiffBackend> StepBench<B> {
    /// The networks of `config` with fresh weights, the paper's step settings and Adam, and a
    /// batch of `batch_size` images uniform in [-1, 1] with random 0/1 attributes, all seeded.
    pub fn new(config: &AttGanConfig, batch_size: usize, n_d: usize, device: &B::Device, seed: u64) -> Self {
        B::seed(device, seed);
        let model = AttGan::new(config, device);
        let size = config.image_size;
        let xa = Tensor::random([batch_size, 3, size, size], Distribution::Uniform(-1.0, 1.0), device);
        let a = Tensor::random([batch_size, config.n_attrs()], Distribution::Bernoulli(0.5), device);
        let with_penalty = model.settings.clone();
        let mut without_penalty = with_penalty.clone();
        without_penalty.losses.gp_weight = 0.0;
        Self {
            model: Some(model),
            optim: adam().init(),
            with_penalty,
            without_penalty,
            xa,
            a,
            rng: StdRng::seed_from_u64(seed),
            n_d,
            device: device.clone(),
        }
    }

    /// Runs `step` once and waits for the device; returns the last loss (read back as the
    /// training reads its metrics).
    pub fn run(&mut self, step: BenchStep) -> f64 {
        let loss = match step {
            BenchStep::Critic => self.critic(true),
            BenchStep::CriticWithoutPenalty => self.critic(false),
            BenchStep::Generator => self.generator(),
            BenchStep::Iteration => {
                for _ in 0..self.n_d {
                    self.critic(true);
                }
                self.generator()
            }
        };
        B::sync(&self.device).expect("the device finishes the step");
        loss
    }

    /// Runs `step` `warmup` times untimed, then `reps` times timed.
    pub fn time(&mut self, step: BenchStep, warmup: usize, reps: usize) -> Timing {
        for _ in 0..warmup {
            self.run(step);
        }
        let samples = (0..reps)
            .map(|_| {
                let t = Instant::now();
                self.run(step);
                t.elapsed()
            })
            .collect();
        Timing::new(samples)
    }

    /// The critic steps per generator step of an iteration.
    pub fn n_d(&self) -> usize {
        self.n_d
    }

    /// The device the bench runs on.
    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// The model as it is now (e.g. for an inference bench on trained-looking weights).
    pub fn model(&self) -> &AttGan<B> {
        self.model.as_ref().expect("the model is back after every step")
    }

    /// G without autodiff, as the editor uses it.
    pub fn generator_for_inference(&self) -> attgan_core::Generator<B::InnerBackend> {
        self.model().g.valid()
    }

    fn critic(&mut self, penalty: bool) -> f64 {
        let settings = if penalty { &self.with_penalty } else { &self.without_penalty };
        let model = self.model.take().expect("the model is back after every step");
        let (model, m) = critic_step(model, &mut self.optim, settings, self.xa.clone(), self.a.clone(), &mut self.rng);
        self.model = Some(model);
        m.get(Term::DTotal).expect("a critic step reports its total")
    }

    fn generator(&mut self) -> f64 {
        let model = self.model.take().expect("the model is back after every step");
        let settings = &self.with_penalty;
        let (model, m) =
            generator_step(model, &mut self.optim, settings, self.xa.clone(), self.a.clone(), &mut self.rng);
        self.model = Some(model);
        m.get(Term::GTotal).expect("a generator step reports its total")
    }
}

/// Wall times of repeated runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// One duration per run, in run order.
    pub samples: Vec<Duration>,
}

impl Timing {
    /// Timings from samples (at least one).
    pub fn new(samples: Vec<Duration>) -> Self {
        assert!(!samples.is_empty(), "a timing needs at least one run");
        Self { samples }
    }

    fn sorted_secs(&self) -> Vec<f64> {
        let mut s: Vec<f64> = self.samples.iter().map(Duration::as_secs_f64).collect();
        s.sort_by(f64::total_cmp);
        s
    }

    /// The median run in seconds (the mean of the middle two for an even count).
    pub fn median(&self) -> f64 {
        let s = self.sorted_secs();
        let n = s.len();
        if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 }
    }

    /// The fastest run in seconds.
    pub fn min(&self) -> f64 {
        self.sorted_secs()[0]
    }

    /// The slowest run in seconds.
    pub fn max(&self) -> f64 {
        *self.sorted_secs().last().expect("at least one run")
    }

    /// The mean run in seconds.
    pub fn mean(&self) -> f64 {
        self.samples.iter().map(Duration::as_secs_f64).sum::<f64>() / self.samples.len() as f64
    }
}
