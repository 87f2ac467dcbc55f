//! One critic step and one generator step of AttGAN, each computing its gradients apart from
//! the optimizer step and restricting them to its own network; and [`AttGan`] as the model
//! Burn's Learner trains (`TrainStep`: the step the batch's phase names; `InferenceStep`:
//! validation).

use attgan_core::Phase;
use attgan_core::attributes::{Targets, permuted_targets, to_generator_input};
use burn::module::Module;
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor, TensorData};
use burn::train::{InferenceStep, TrainOutput, TrainStep};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::report::{StepLosses, StepOutput, ValidOutput};
use crate::data::{CelebaBatch, TrainBatch};
use crate::model::{AttGan, StepSettings};

/// Mirrors each image of `x` [N, C, H, W] left-right where a coin from `rng` says so.
pub fn random_hflip<B: Backend, R: Rng + ?Sized>(x: Tensor<B, 4>, rng: &mut R) -> Tensor<B, 4> {
    let n = x.dims()[0];
    let coins: Vec<f32> = (0..n).map(|_| if rng.random::<bool>() { 1.0 } else { 0.0 }).collect();
    let m = Tensor::<B, 4>::from_data(TensorData::new(coins, [n, 1, 1, 1]), &x.device());
    x.clone().flip([3]) * m.clone() + x * m.neg().add_scalar(1.0)
}

/// A random `size` x `size` square of each image of `x` [N, C, H, W], its corner drawn from
/// `rng` per image, uniformly over every position that fits (TensorFlow's `random_crop`).
pub fn random_crop<B: Backend, R: Rng + ?Sized>(x: Tensor<B, 4>, size: usize, rng: &mut R) -> Tensor<B, 4> {
    let [n, _, h, w] = x.dims();
    assert!(size <= h && size <= w, "a random crop of {size} pixels from {h}x{w} images");
    let crops = (0..n)
        .map(|i| {
            let (top, left) = (rng.random_range(0..=h - size), rng.random_range(0..=w - size));
            x.clone().slice([i..i + 1, 0..x.dims()[1], top..top + size, left..left + size])
        })
        .collect();
    Tensor::cat(crops, 0)
}

fn value<B: Backend>(t: Tensor<B, 1>) -> f64 {
    t.into_scalar().elem()
}

/// A step's real images and targets: `xa` mirrored where the coins say (with `hflip`) and
/// randomly cropped (with `random_crop`), the attribute vectors `a` permuted within the batch, and G's input for them drawn from the
/// settings' target distribution. Both steps draw from `rng` in this order, so a step's
/// randomness is fixed by its seed.
fn step_inputs<B: Backend, R: Rng + ?Sized>(
    settings: &StepSettings,
    xa: Tensor<B, 4>,
    a: &Tensor<B, 2>,
    rng: &mut R,
) -> (Tensor<B, 4>, Targets<B>) {
    let xa = if settings.hflip { random_hflip(xa, rng) } else { xa };
    let xa = match settings.random_crop {
        Some(size) => random_crop(xa, size, rng),
        None => xa,
    };
    let b = permuted_targets(a.clone(), rng);
    (xa, Targets::drawn(b, settings.thres_int, settings.b_distribution, rng))
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
) -> (GradientsParams, StepLosses) {
    let (xa, b) = step_inputs(settings, xa, &a, rng);
    // G runs untracked: its graph would only be thrown away by the detach. Its BatchNorm still
    // uses batch statistics and updates the shared running ones (training mode).
    let g = model.g.clone().no_grad();
    let xb = g.forward(xa.clone(), b.input).detach();
    let loss = settings.losses.discriminator_loss(&model.d, xa, xb, a);
    let terms = loss.terms();
    let grads = GradientsParams::from_grads(loss.total.backward(), &model.d);
    (grads, StepLosses::read(Phase::Critic, terms))
}

/// The generator's gradients (restricted to G) and losses on real images `xa` with 0/1
/// attributes `a` and targets permuted within the batch.
pub fn generator_grads<B: AutodiffBackend, R: Rng + ?Sized>(
    model: &AttGan<B>,
    settings: &StepSettings,
    xa: Tensor<B, 4>,
    a: Tensor<B, 2>,
    rng: &mut R,
) -> (GradientsParams, StepLosses) {
    let (xa, b) = step_inputs(settings, xa, &a, rng);
    // D runs untracked: the loss still backpropagates through it into G, but D's own weight
    // gradients, which this step would discard, are never computed.
    let d = model.d.clone().no_grad();
    let (loss, _) = settings.losses.generator_loss(&model.g, &d, xa, a, b, settings.thres_int);
    let terms = loss.terms();
    let grads = GradientsParams::from_grads(loss.total.backward(), &model.g);
    (grads, StepLosses::read(Phase::Generator, terms))
}

/// One critic step ([`critic_grads`], then `optim` updates D/C at `settings.lr`).
pub fn critic_step<B: AutodiffBackend, O: Optimizer<AttGan<B>, B>, R: Rng + ?Sized>(
    model: AttGan<B>,
    optim: &mut O,
    settings: &StepSettings,
    xa: Tensor<B, 4>,
    a: Tensor<B, 2>,
    rng: &mut R,
) -> (AttGan<B>, StepLosses) {
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
) -> (AttGan<B>, StepLosses) {
    let (grads, metrics) = generator_grads(&model, settings, xa, a, rng);
    (optim.step(settings.lr, model, grads), metrics)
}

/// The Learner's step: a critic or a generator step as the batch's phase says (the training
/// strategy sets it from the step count: the 5:1 critic schedule), its
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
        let phase = item.phase.expect("the training strategy sets each batch's phase before its step");
        let (grads, losses) = match phase {
            Phase::Critic => critic_grads(self, &self.settings, xa, a, &mut rng),
            Phase::Generator => generator_grads(self, &self.settings, xa, a, &mut rng),
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
