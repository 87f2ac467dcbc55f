//! One critic step and one generator step of AttGAN, each updating only its own network, and
//! [`AttGan`] as the model Burn's Learner trains (`TrainStep`, `InferenceStep`).
//!
//! G and D live in one module so that one optimizer serves both: Adam keeps its state per
//! parameter, so restricting each step's gradients to one network
//! (`GradientsParams::from_grads(grads, &model.d)`) makes it behave as two Adams.

use attgan_core::attributes::{permuted_targets, to_generator_input};
use attgan_core::{AttGanConfig, Discriminator, Generator, LossConfig};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor, TensorData};
use burn::train::{InferenceStep, TrainOutput, TrainStep};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::CelebaBatch;
use crate::loader::{Phase, TrainBatch};
use crate::metrics::{StepLosses, StepOutput, ValidOutput};

/// G and D/C together: the unit that is optimised and checkpointed.
#[derive(Module, Debug)]
pub struct AttGan<B: Backend> {
    /// The generator.
    pub g: Generator<B>,
    /// The critic and classifier.
    pub d: Discriminator<B>,
    /// How the Learner's steps compute their losses (not saved in records).
    #[module(skip)]
    pub settings: StepSettings,
}

impl<B: Backend> AttGan<B> {
    /// G and D/C of `config` with fresh weights and the paper's step settings.
    pub fn new(config: &AttGanConfig, device: &B::Device) -> Self {
        AttGan {
            g: config.init_generator(device),
            d: config.init_discriminator(device),
            settings: StepSettings::paper(),
        }
    }

    /// The same networks with other step settings.
    pub fn with_settings(mut self, settings: StepSettings) -> Self {
        self.settings = settings;
        self
    }
}

/// The paper's Adam: betas (0.5, 0.999), epsilon 1e-8 (Burn's default epsilon is 1e-5).
pub fn adam() -> AdamConfig {
    AdamConfig::new().with_beta_1(0.5).with_beta_2(0.999).with_epsilon(1e-8)
}

/// The terms of one critic step, as plain numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriticMetrics {
    /// The D gan loss -(E[D(xa)] - E[D(xb)]).
    pub d_gan: f64,
    /// The gradient penalty.
    pub gp: f64,
    /// The Xa attribute loss, BCE(C(xa), a).
    pub xa_attr: f64,
    /// The weighted D-loss.
    pub d_total: f64,
}

/// The terms of one generator step, as plain numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneratorMetrics {
    /// The Xb gan loss -E[D(xb)].
    pub xb_gan: f64,
    /// The Xb attribute loss, BCE(C(xb), b).
    pub xb_attr: f64,
    /// The Xa reconstruction loss, mean|G(xa, a) - xa|.
    pub xa_rec: f64,
    /// The weighted G-loss.
    pub g_total: f64,
}

/// What both steps need besides the model, optimizer and batch.
#[derive(Debug, Clone, PartialEq)]
pub struct StepSettings {
    /// Learning rate of this step.
    pub lr: f64,
    /// Loss weights.
    pub losses: LossConfig,
    /// Attributes enter G as (2a - 1) * thres_int.
    pub thres_int: f64,
    /// Mirror each real image left-right with probability 1/2 (AttGAN's augmentation).
    pub hflip: bool,
}

impl StepSettings {
    /// The paper's settings: lr 2e-4, the default loss weights, thres_int 0.5, random flips.
    pub fn paper() -> Self {
        Self { lr: 2e-4, losses: LossConfig::default(), thres_int: 0.5, hflip: true }
    }
}

/// Mirrors each image of `x` [N, C, H, W] left-right where a coin from `rng` says so.
pub fn random_hflip<B: Backend, R: Rng + ?Sized>(x: Tensor<B, 4>, rng: &mut R) -> Tensor<B, 4> {
    let n = x.dims()[0];
    let coins: Vec<f32> = (0..n).map(|_| if rng.random::<bool>() { 1.0 } else { 0.0 }).collect();
    let m = Tensor::<B, 4>::from_data(TensorData::new(coins, [n, 1, 1, 1]), &x.device());
    x.clone().flip([3]) * m.clone() + x * m.neg().add_scalar(1.0)
}

fn value<B: Backend>(t: Tensor<B, 1>) -> f64 {
    t.into_scalar().elem()
}

/// The critic's gradients (restricted to D/C) and losses on real images `xa` with 0/1
/// attributes `a`: the fakes come from G in training mode with targets permuted within the
/// batch, detached.
pub fn critic_grads<B: AutodiffBackend, R: Rng + ?Sized>(
    model: &AttGan<B>,
    settings: &StepSettings,
    xa: Tensor<B, 4>,
    a: Tensor<B, 2>,
    rng: &mut R,
) -> (GradientsParams, CriticMetrics) {
    let xa = if settings.hflip { random_hflip(xa, rng) } else { xa };
    let b = permuted_targets(a.clone(), rng);
    // G runs untracked: its graph would only be thrown away by the detach. Its BatchNorm still
    // uses batch statistics and updates the shared running ones (training mode).
    let g = model.g.clone().no_grad();
    let xb = g.forward(xa.clone(), to_generator_input(b, settings.thres_int)).detach();
    let loss = settings.losses.discriminator_loss(&model.d, xa, xb, a);
    let grads = GradientsParams::from_grads(loss.total.backward(), &model.d);
    let metrics = CriticMetrics {
        d_gan: value(loss.wgan),
        gp: value(loss.gp),
        xa_attr: value(loss.attr_real),
        d_total: value(loss.total),
    };
    (grads, metrics)
}

/// The generator's gradients (restricted to G) and losses on real images `xa` with 0/1
/// attributes `a` and targets permuted within the batch.
pub fn generator_grads<B: AutodiffBackend, R: Rng + ?Sized>(
    model: &AttGan<B>,
    settings: &StepSettings,
    xa: Tensor<B, 4>,
    a: Tensor<B, 2>,
    rng: &mut R,
) -> (GradientsParams, GeneratorMetrics) {
    let xa = if settings.hflip { random_hflip(xa, rng) } else { xa };
    let b = permuted_targets(a.clone(), rng);
    // D runs untracked: the loss still backpropagates through it into G, but D's own weight
    // gradients, which this step would discard, are never computed.
    let d = model.d.clone().no_grad();
    let (loss, _) = settings.losses.generator_loss(&model.g, &d, xa, a, b, settings.thres_int);
    let grads = GradientsParams::from_grads(loss.total.backward(), &model.g);
    let metrics = GeneratorMetrics {
        xb_gan: value(loss.adv_fake),
        xb_attr: value(loss.attr_fake),
        xa_rec: value(loss.rec),
        g_total: value(loss.total),
    };
    (grads, metrics)
}

/// One critic step ([`critic_grads`], then `optim` updates D/C at `settings.lr`).
pub fn critic_step<B: AutodiffBackend, O: Optimizer<AttGan<B>, B>, R: Rng + ?Sized>(
    model: AttGan<B>,
    optim: &mut O,
    settings: &StepSettings,
    xa: Tensor<B, 4>,
    a: Tensor<B, 2>,
    rng: &mut R,
) -> (AttGan<B>, CriticMetrics) {
    let (grads, metrics) = critic_grads(&model, settings, xa, a, rng);
    (optim.step(settings.lr, model, grads), metrics)
}

/// One generator step ([`generator_grads`], then `optim` updates G at `settings.lr`).
pub fn generator_step<B: AutodiffBackend, O: Optimizer<AttGan<B>, B>, R: Rng + ?Sized>(
    model: AttGan<B>,
    optim: &mut O,
    settings: &StepSettings,
    xa: Tensor<B, 4>,
    a: Tensor<B, 2>,
    rng: &mut R,
) -> (AttGan<B>, GeneratorMetrics) {
    let (grads, metrics) = generator_grads(&model, settings, xa, a, rng);
    (optim.step(settings.lr, model, grads), metrics)
}

/// The Learner's step: a critic or a generator step as the batch's [`Phase`] says, its
/// randomness (flips, target permutation, the penalty's interpolation) drawn from the batch's
/// seed, so a resumed run repeats it exactly. The gradients cover only the network stepped.
impl<B: AutodiffBackend> TrainStep for AttGan<B> {
    type Input = TrainBatch<B>;
    type Output = StepOutput;

    fn step(&self, item: TrainBatch<B>) -> TrainOutput<StepOutput> {
        let device = item.batch.images.device();
        B::seed(&device, item.seed);
        let mut rng = StdRng::seed_from_u64(item.seed);
        let (xa, a) = (item.batch.images, item.batch.attributes);
        let (grads, losses) = match item.phase {
            Phase::Critic => {
                let (grads, m) = critic_grads(self, &self.settings, xa, a, &mut rng);
                (grads, StepLosses::Critic(m))
            }
            Phase::Generator => {
                let (grads, m) = generator_grads(self, &self.settings, xa, a, &mut rng);
                (grads, StepLosses::Generator(m))
            }
        };
        TrainOutput { grads, item: StepOutput { step: item.step, epoch: item.epoch, losses } }
    }
}

/// Validation: the reconstruction loss of G in inference mode and C's accuracy on real images.
impl<B: Backend> InferenceStep for AttGan<B> {
    type Input = CelebaBatch<B>;
    type Output = ValidOutput;

    fn step(&self, batch: CelebaBatch<B>) -> ValidOutput {
        let (xa, a) = (batch.images, batch.attributes);
        let images = xa.dims()[0];
        let rec = self.g.forward(xa.clone(), to_generator_input(a.clone(), self.settings.thres_int));
        let xa_rec = value(attgan_core::loss::reconstruction_l1(rec, xa.clone()));
        let predicted = self.d.forward_cls(xa).greater_elem(0.0).float();
        let attr_accuracy = value(predicted.equal(a).float().mean());
        ValidOutput { images, xa_rec, attr_accuracy }
    }
}
