//! One critic step and one generator step of AttGAN, each computing its gradients apart from
//! the optimizer step and restricting them to its own network; and [`AttGan`] as the model
//! Burn's Learner trains (`TrainStep`: the step the batch's phase names; `InferenceStep`:
//! validation).

use attgan_core::Phase;
use attgan_core::attributes::{Targets, permuted_targets, to_generator_input};
use burn::module::Module;
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Distribution, ElementConversion, Tensor, TensorData};
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

/// Everything a step draws before it runs: the real images `xa` mirrored where the coins say
/// (with `hflip`) and randomly cropped (with `random_crop`), their 0/1 attributes `a`, the
/// targets (`a` permuted within the batch, G's input for them drawn from the settings' target
/// distribution) and, for a critic step, the gradient penalty's interpolation weights `alpha`
/// (one per image, U(0, 1), from the backend's RNG, drawn even when the penalty's weight is 0,
/// as [`LossConfig::discriminator_loss`](attgan_core::LossConfig::discriminator_loss) does). Drawn once for the whole batch, so that a
/// batch split across devices ([`StepInputs::shard`]) takes exactly the draws it would have
/// taken on one device.
#[derive(Debug, Clone)]
pub struct StepInputs<B: Backend> {
    /// The real images, [N, 3, H, W] in [-1, 1].
    pub xa: Tensor<B, 4>,
    /// Their 0/1 attributes, [N, n_attrs].
    pub a: Tensor<B, 2>,
    /// The targets.
    pub targets: Targets<B>,
    /// The penalty's interpolation weights, `[N]` (critic steps only).
    pub alpha: Option<Tensor<B, 1>>,
}

impl<B: Backend> StepInputs<B> {
    /// Draws a `phase` step's inputs for real images `xa` with attributes `a`: the flips, crops
    /// and targets from `rng`, in this order, then `alpha` from the backend's RNG. A step's
    /// randomness is thus fixed by its seeds.
    pub fn draw<R: Rng + ?Sized>(
        settings: &StepSettings,
        phase: Phase,
        xa: Tensor<B, 4>,
        a: Tensor<B, 2>,
        rng: &mut R,
    ) -> Self {
        let xa = if settings.hflip { random_hflip(xa, rng) } else { xa };
        let xa = match settings.random_crop {
            Some(size) => random_crop(xa, size, rng),
            None => xa,
        };
        let b = permuted_targets(a.clone(), rng);
        let targets = Targets::drawn(b, settings.thres_int, settings.b_distribution, rng);
        let alpha = (phase == Phase::Critic)
            .then(|| Tensor::random([xa.dims()[0]], Distribution::Uniform(0.0, 1.0), &xa.device()));
        Self { xa, a, targets, alpha }
    }

    /// The images in the batch.
    pub fn len(&self) -> usize {
        self.xa.dims()[0]
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Part `index` of `count` equal parts of the batch (rows `index * n / count ..`), as plain
    /// data that can cross to another thread and device. The batch must split evenly.
    pub fn shard(&self, index: usize, count: usize) -> ShardData {
        let part = self.part(index, count);
        ShardData {
            xa: part.xa.into_data(),
            a: part.a.into_data(),
            b: part.targets.b.into_data(),
            input: part.targets.input.into_data(),
            alpha: part.alpha.map(|t| t.into_data()),
        }
    }

    /// Part `index` of `count` equal parts of the batch, sliced where it is.
    pub fn part(&self, index: usize, count: usize) -> Self {
        let n = self.len();
        assert!(count > 0 && n.is_multiple_of(count), "a batch of {n} does not split into {count} equal parts");
        let rows = index * n / count..(index + 1) * n / count;
        Self {
            xa: self.xa.clone().slice([rows.clone()]),
            a: self.a.clone().slice([rows.clone()]),
            targets: Targets {
                b: self.targets.b.clone().slice([rows.clone()]),
                input: self.targets.input.clone().slice([rows.clone()]),
            },
            alpha: self.alpha.as_ref().map(|t| t.clone().slice([rows])),
        }
    }

    /// The inputs that [`StepInputs::shard`] made, on `device`.
    pub fn from_shard(shard: ShardData, device: &B::Device) -> Self {
        Self {
            xa: Tensor::from_data(shard.xa, device),
            a: Tensor::from_data(shard.a, device),
            targets: Targets { b: Tensor::from_data(shard.b, device), input: Tensor::from_data(shard.input, device) },
            alpha: shard.alpha.map(|d| Tensor::from_data(d, device)),
        }
    }
}

/// A part of a batch's [`StepInputs`], as plain data.
#[derive(Debug, Clone)]
pub struct ShardData {
    xa: TensorData,
    a: TensorData,
    b: TensorData,
    input: TensorData,
    alpha: Option<TensorData>,
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
    critic_grads_on(model, settings, StepInputs::draw(settings, Phase::Critic, xa, a, rng))
}

/// [`critic_grads`] on inputs already drawn.
pub fn critic_grads_on<B: AutodiffBackend>(
    model: &AttGan<B>,
    settings: &StepSettings,
    inputs: StepInputs<B>,
) -> (GradientsParams, StepLosses) {
    let StepInputs { xa, a, targets, alpha } = inputs;
    // G runs untracked: its graph would only be thrown away by the detach. Its BatchNorm still
    // uses batch statistics and updates the shared running ones (training mode).
    let g = model.g.clone().no_grad();
    let xb = g.forward(xa.clone(), targets.input).detach();
    let alpha = alpha.expect("a critic step's inputs carry the penalty's alpha (StepInputs::draw for Phase::Critic)");
    let loss = settings.losses.discriminator_loss_with_alpha(&model.d, xa, xb, a, alpha);
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
    generator_grads_on(model, settings, StepInputs::draw(settings, Phase::Generator, xa, a, rng))
}

/// [`generator_grads`] on inputs already drawn.
pub fn generator_grads_on<B: AutodiffBackend>(
    model: &AttGan<B>,
    settings: &StepSettings,
    inputs: StepInputs<B>,
) -> (GradientsParams, StepLosses) {
    let StepInputs { xa, a, targets, .. } = inputs;
    // D runs untracked: the loss still backpropagates through it into G, but D's own weight
    // gradients, which this step would discard, are never computed.
    let d = model.d.clone().no_grad();
    let (loss, _) = settings.losses.generator_loss(&model.g, &d, xa, a, targets, settings.thres_int);
    let terms = loss.terms();
    let grads = GradientsParams::from_grads(loss.total.backward(), &model.g);
    (grads, StepLosses::read(Phase::Generator, terms))
}

/// The gradients and losses of a `phase` step on inputs already drawn.
pub fn grads_on<B: AutodiffBackend>(
    model: &AttGan<B>,
    phase: Phase,
    inputs: StepInputs<B>,
) -> (GradientsParams, StepLosses) {
    match phase {
        Phase::Critic => critic_grads_on(model, &model.settings, inputs),
        Phase::Generator => generator_grads_on(model, &model.settings, inputs),
    }
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

/// A training batch's phase and inputs, drawn from its seed (the backend's RNG seeded with it on
/// the batch's device, and a host RNG from it), so that a resumed run repeats them exactly.
pub fn seeded_inputs<B: Backend>(settings: &StepSettings, item: TrainBatch<B>) -> (Phase, StepInputs<B>) {
    let device = item.batch.images.device();
    B::seed(&device, item.seed);
    let mut rng = StdRng::seed_from_u64(item.seed);
    let phase = item.phase.expect("the training strategy sets each batch's phase before its step");
    (phase, StepInputs::draw(settings, phase, item.batch.images, item.batch.attributes, &mut rng))
}

/// The Learner's step: a critic or a generator step as the batch's phase says (the training
/// strategy sets it from the step count: the 5:1 critic schedule), its
/// randomness (flips, target permutation, the penalty's interpolation) drawn from the batch's
/// seed, so a resumed run repeats it exactly. The gradients cover only the network stepped.
impl<B: AutodiffBackend> TrainStep for AttGan<B> {
    type Input = TrainBatch<B>;
    type Output = StepOutput;

    fn step(&self, item: TrainBatch<B>) -> TrainOutput<StepOutput> {
        let (step, epoch) = (item.step, item.epoch);
        let (phase, inputs) = seeded_inputs(&self.settings, item);
        let (grads, losses) = grads_on(self, phase, inputs);
        TrainOutput { grads, item: StepOutput { step, epoch, losses } }
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
