//! The model that training optimises, and how: [`AttGan`] holds G and D/C as one Burn module,
//! [`adam`] is the paper's optimizer, [`StepSettings`] what each step needs besides them.
//!
//! G and D live in one module so that one optimizer serves both: Adam keeps its state per
//! parameter, so restricting each step's gradients to one network
//! (`GradientsParams::from_grads(grads, &model.d)`) makes it behave as two Adams.

use attgan_core::attributes::TargetDistribution;
use attgan_core::{AttGanConfig, Discriminator, Generator, LossConfig};
use burn::module::Module;
use burn::tensor::backend::Backend;

use crate::optim::FusedAdamConfig;

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

/// The paper's Adam, for G and D alike: betas (0.5, 0.999), epsilon 1e-8 (Burn's default
/// epsilon is 1e-5). The learning rate comes from the schedule at each step. Burn's Adam,
/// updated in one pass on the CPU backends ([`FusedAdamConfig`]).
pub fn adam() -> FusedAdamConfig {
    FusedAdamConfig::new().with_beta_1(0.5).with_beta_2(0.999).with_epsilon(1e-8)
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
    /// How the targets enter G (AttGAN-Tensorflow's `b_distribution`).
    pub b_distribution: TargetDistribution,
    /// Take a random square of this side from each (larger) real image: AttGAN-Tensorflow
    /// v2's random crop. `None`: the images are used whole.
    pub random_crop: Option<usize>,
}

impl StepSettings {
    /// The paper's settings: lr 2e-4, the default loss weights, thres_int 0.5, no flips.
    pub fn paper() -> Self {
        Self {
            lr: 2e-4,
            losses: LossConfig::default(),
            thres_int: 0.5,
            hflip: false,
            b_distribution: TargetDistribution::None,
            random_crop: None,
        }
    }
}
