//! One critic step and one generator step of AttGAN, each updating only its own network.
//!
//! G and D live in one module so that one optimizer serves both: Adam keeps its state per
//! parameter, so restricting each step's gradients to one network
//! (`GradientsParams::from_grads(grads, &model.d)`) makes it behave as two Adams.

use attgan_core::attributes::{permuted_targets, to_generator_input};
use attgan_core::{AttGanConfig, Discriminator, Generator, LossConfig};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor};
use rand::Rng;

/// G and D/C together: the unit that is optimised and checkpointed.
#[derive(Module, Debug)]
pub struct AttGan<B: Backend> {
    /// The generator.
    pub g: Generator<B>,
    /// The critic and classifier.
    pub d: Discriminator<B>,
}

impl<B: Backend> AttGan<B> {
    /// G and D/C of `config` with fresh weights.
    pub fn new(config: &AttGanConfig, device: &B::Device) -> Self {
        AttGan { g: config.init_generator(device), d: config.init_discriminator(device) }
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
}

impl StepSettings {
    /// The paper's settings: lr 2e-4, the default loss weights, thres_int 0.5.
    pub fn paper() -> Self {
        Self { lr: 2e-4, losses: LossConfig::default(), thres_int: 0.5 }
    }
}

fn value<B: Backend>(t: Tensor<B, 1>) -> f64 {
    t.into_scalar().elem()
}

/// One critic step on real images `xa` with 0/1 attributes `a`: the fakes come from G in
/// training mode with targets permuted within the batch, detached; only D/C is updated.
pub fn critic_step<B: AutodiffBackend, O: Optimizer<AttGan<B>, B>, R: Rng + ?Sized>(
    model: AttGan<B>,
    optim: &mut O,
    settings: &StepSettings,
    xa: Tensor<B, 4>,
    a: Tensor<B, 2>,
    rng: &mut R,
) -> (AttGan<B>, CriticMetrics) {
    let b = permuted_targets(a.clone(), rng);
    let xb = model.g.forward(xa.clone(), to_generator_input(b, settings.thres_int)).detach();
    let loss = settings.losses.discriminator_loss(&model.d, xa, xb, a);
    let grads = GradientsParams::from_grads(loss.total.backward(), &model.d);
    let metrics = CriticMetrics {
        d_gan: value(loss.wgan),
        gp: value(loss.gp),
        xa_attr: value(loss.attr_real),
        d_total: value(loss.total),
    };
    (optim.step(settings.lr, model, grads), metrics)
}

/// One generator step on real images `xa` with 0/1 attributes `a` and targets permuted within
/// the batch; only G is updated.
pub fn generator_step<B: AutodiffBackend, O: Optimizer<AttGan<B>, B>, R: Rng + ?Sized>(
    model: AttGan<B>,
    optim: &mut O,
    settings: &StepSettings,
    xa: Tensor<B, 4>,
    a: Tensor<B, 2>,
    rng: &mut R,
) -> (AttGan<B>, GeneratorMetrics) {
    let b = permuted_targets(a.clone(), rng);
    let (loss, _) = settings.losses.generator_loss(&model.g, &model.d, xa, a, b, settings.thres_int);
    let grads = GradientsParams::from_grads(loss.total.backward(), &model.g);
    let metrics = GeneratorMetrics {
        xb_gan: value(loss.adv_fake),
        xb_attr: value(loss.attr_fake),
        xa_rec: value(loss.rec),
        g_total: value(loss.total),
    };
    (optim.step(settings.lr, model, grads), metrics)
}
