//! LibTorch (feature `tch`) computes what Flex computes. The same weights and the same inputs give
//! the same losses and the same gradients on both, for a critic step (whose exact gradient
//! penalty is a nested autodiff pass: the gradients of gradients go through LibTorch's kernels)
//! and a generator step. Flex is the reference: the core suite checks its penalty against finite
//! differences. The convolutions of `attgan_core::conv` (LibTorch's matrix-product kernels) are
//! checked against Burn's own on LibTorch, first and second order.
//!
//! Built and run only with the feature (`cargo test --release --features tch --test suite
//! libtorch`, with LibTorch 2.9 set up as the README's "Faster on the CPU" says).

use attgan::AttGanConfig;
use attgan_core::loss::Phase;
use attgan_train::training::step::{StepInputs, critic_grads_on, generator_grads_on};
use attgan_train::{AttGan, Preset};
use burn::backend::libtorch::LibTorchDevice;
use burn::backend::{Autodiff, Flex, LibTorch};
use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Distribution, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

type Reference = Autodiff<Flex>;
type Torch = Autodiff<LibTorch>;

/// The paper's layout (batch norm in G, instance norm in D, shortcut and injection, the critic's
/// fully connected heads) at 32x32 with 3 layers, and the quick run's model (layer norm in D).
fn configs() -> [AttGanConfig; 2] {
    let paper = AttGanConfig::new().with_image_size(32).with_enc_layers(3).with_dec_layers(3).with_dis_layers(3);
    [paper.with_dis_fc_dim(64), Preset::Synthetic.model()]
}

/// One parameter's gradient: its id, shape and values.
type Grad = (ParamId, Vec<usize>, Vec<f32>);

/// Collects the gradient of every float parameter of a module that `grads` holds.
struct Collect<'a, B: AutodiffBackend> {
    grads: &'a GradientsParams,
    out: Vec<Grad>,
    _backend: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Collect<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.get::<B::InnerBackend, D>(param.id) {
            let dims = g.dims().to_vec();
            self.out.push((param.id, dims, g.into_data().convert::<f32>().to_vec().unwrap()));
        }
    }
}

fn gradients<B: AutodiffBackend, M: Module<B>>(module: &M, grads: &GradientsParams) -> Vec<Grad> {
    let mut visitor = Collect::<B> { grads, out: Vec::new(), _backend: std::marker::PhantomData };
    module.visit(&mut visitor);
    visitor.out
}

/// ||a - b|| / ||b||, the relative error of a whole tensor.
fn relative_error(a: &[f32], b: &[f32]) -> f64 {
    let (mut diff, mut norm) = (0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        diff += (f64::from(*x) - f64::from(*y)).powi(2);
        norm += f64::from(*y).powi(2);
    }
    (diff / norm.max(1e-30)).sqrt()
}

/// The same gradients, parameter by parameter (by id: the record carries them across).
fn assert_same_gradients(what: &str, torch: &[Grad], reference: &[Grad]) {
    assert!(!reference.is_empty(), "{what}: no gradients collected");
    assert_eq!(torch.len(), reference.len(), "{what}: gradient count");
    let mut worst = (0.0, ParamId::new());
    for (id, dims, values) in reference {
        let (_, torch_dims, torch_values) =
            torch.iter().find(|(i, ..)| i == id).unwrap_or_else(|| panic!("{what}: no LibTorch gradient for {id}"));
        assert_eq!(torch_dims, dims, "{what}: shape of {id}'s gradient");
        let err = relative_error(torch_values, values);
        if err > worst.0 {
            worst = (err, *id);
        }
    }
    // float32 with different kernels (oneDNN against im2col + gemm) and summation orders.
    eprintln!("{what}: {} gradients, the largest relative difference {:.2e}", reference.len(), worst.0);
    assert!(worst.0 < 1e-4, "{what}: gradient of {} differs by {:.2e} (relative)", worst.1, worst.0);
}

fn assert_same_losses(what: &str, torch: &[(attgan_core::Term, f64)], reference: &[(attgan_core::Term, f64)]) {
    for ((term, t), (_, r)) in torch.iter().zip(reference) {
        assert!((t - r).abs() <= 1e-4 * r.abs().max(1.0), "{what}: {term:?} {t} on LibTorch, {r} on Flex");
    }
}

/// The comparison's weights come from these seeds. Two computations that round differently can
/// put a LeakyReLU or ReLU unit whose input lies within rounding of zero on different sides, and
/// the gradients then differ by a real jump, not by rounding: with seed 7 a critic step's
/// gradients of D's first layers differed by 5.75e-3 (relative) wherever LibTorch's kernels
/// rounded otherwise than Flex's (oneDNN's AVX-512 kernels, or `attgan_core::conv`'s matrix
/// products) and by 2.9e-6 where they did not; seed 8 had such a unit in a generator step. Seeds
/// 9 and 10 had none: there every step agreed to 4.5e-6 under either kernel choice and CPU
/// (measured 2026-12-05).
const SEEDS: [u64; 2] = [9, 10];

#[test]
fn libtorch_computes_the_losses_and_gradients_flex_computes() {
    for seed in SEEDS {
        for config in configs() {
            same_steps(&config, seed);
        }
    }
}

fn same_steps(config: &AttGanConfig, seed: u64) {
    let flex = Default::default();
    let torch = LibTorchDevice::Cpu;
    Reference::seed(&flex, seed);
    let reference = AttGan::<Reference>::new(config, &flex);
    // The same weights (and parameter ids) on LibTorch, through a record.
    let bytes = BinBytesRecorder::<FullPrecisionSettings>::default()
        .record(reference.clone().into_record(), ())
        .expect("the model records");
    let record = BinBytesRecorder::<FullPrecisionSettings>::default().load(bytes, &torch).expect("the record loads");
    let on_torch = AttGan::<Torch>::new(config, &torch).load_record(record);

    let settings = reference.settings.clone();
    let size = config.image_size;
    let xa = Tensor::<Reference, 4>::random([4, 3, size, size], Distribution::Uniform(-1.0, 1.0), &flex);
    let a = Tensor::<Reference, 2>::random([4, config.n_attrs()], Distribution::Bernoulli(0.5), &flex);
    for phase in [Phase::Critic, Phase::Generator] {
        // The step's random draws (targets, the penalty's alpha) made once, on Flex, and copied.
        let inputs = StepInputs::draw(&settings, phase, xa.clone(), a.clone(), &mut StdRng::seed_from_u64(1));
        let copied = StepInputs::<Torch>::from_shard(inputs.shard(0, 1), &torch);
        let what = format!("{phase:?} step, {size}x{size} with D's norm {:?}, seed {seed}", config.dis_norm);
        let ((torch_grads, torch_losses), (grads, losses)) = match phase {
            Phase::Critic => {
                (critic_grads_on(&on_torch, &settings, copied), critic_grads_on(&reference, &settings, inputs))
            }
            Phase::Generator => {
                (generator_grads_on(&on_torch, &settings, copied), generator_grads_on(&reference, &settings, inputs))
            }
        };
        assert_same_losses(&what, &torch_losses.values, &losses.values);
        let (torch_grads, grads) = match phase {
            Phase::Critic => (gradients(&on_torch.d, &torch_grads), gradients(&reference.d, &grads)),
            Phase::Generator => (gradients(&on_torch.g, &torch_grads), gradients(&reference.g, &grads)),
        };
        assert_same_gradients(&what, &torch_grads, &grads);
    }
}

type Torch2 = Autodiff<Torch>;

/// A (transposed) convolution through `attgan_core::conv` (`ours`) or through Burn's op.
fn convolve<B: Backend>(
    ours: bool,
    transposed: bool,
    x: Tensor<B, 4>,
    w: Tensor<B, 4>,
    b: Option<Tensor<B, 1>>,
) -> Tensor<B, 4> {
    use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
    let (conv, convt) =
        (ConvOptions::new([2, 2], [1, 1], [1, 1], 1), ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1));
    match (ours, transposed) {
        (true, false) => attgan_core::conv::conv2d(x, w, b, conv),
        (true, true) => attgan_core::conv::conv_transpose2d(x, w, b, convt),
        (false, false) => burn::tensor::module::conv2d(x, w, b, conv),
        (false, true) => burn::tensor::module::conv_transpose2d(x, w, b, convt),
    }
}

fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().unwrap()
}

/// The shapes the check covers: (transposed, batch, input channels, output channels, side), each
/// kernel where `uses_gemm` and `uses_gemm_for_data` pick the matrix product (weights of 1 M and
/// 4 M elements) and where they keep LibTorch's.
const CONV_CASES: [(bool, usize, usize, usize, usize); 8] = [
    (false, 1, 1024, 256, 4), // every kernel GEMM
    (false, 2, 1024, 256, 5), // two samples at once; an odd side (the input gradient's padding)
    (false, 3, 256, 256, 8),  // the weight gradient GEMM, the rest LibTorch's
    (false, 3, 8, 8, 32),     // LibTorch's
    (true, 1, 1024, 256, 2),  // every kernel GEMM
    (true, 2, 1024, 256, 2),  // two samples at once
    (true, 3, 256, 256, 4),   // the weight gradient GEMM
    (true, 2, 8, 3, 16),      // LibTorch's
];

/// First order: the same output and the same gradients of input, weight and bias as Burn's
/// convolution on LibTorch, on random inputs; and the same output without autodiff.
#[test]
fn libtorch_convolutions_match_burns() {
    let device = LibTorchDevice::Cpu;
    for (transposed, n, c_in, c_out, side) in CONV_CASES {
        for bias in [false, true] {
            Torch::seed(&device, 7);
            let x = Tensor::<Torch, 4>::random([n, c_in, side, side], Distribution::Normal(0.0, 1.0), &device);
            let w_dims = if transposed { [c_in, c_out, 4, 4] } else { [c_out, c_in, 4, 4] };
            let w = Tensor::<Torch, 4>::random(w_dims, Distribution::Normal(0.0, 0.3), &device);
            let b = Tensor::<Torch, 1>::random([c_out], Distribution::Normal(0.0, 1.0), &device);
            let run = |ours: bool| {
                let (x, w, b) = (x.clone().require_grad(), w.clone().require_grad(), b.clone().require_grad());
                let y = convolve(ours, transposed, x.clone(), w.clone(), bias.then(|| b.clone()));
                let r = Tensor::<Torch, 4>::random(y.dims(), Distribution::Normal(0.0, 1.0), &device);
                let grads = (y.clone() * r).sum().backward();
                let mut out = vec![values(y.inner()), values(x.grad(&grads).unwrap()), values(w.grad(&grads).unwrap())];
                if bias {
                    out.push(values(b.grad(&grads).unwrap()));
                }
                out
            };
            // Without autodiff (editing): the forward kernels alone.
            let plain = |ours: bool| {
                values(convolve(
                    ours,
                    transposed,
                    x.clone().inner(),
                    w.clone().inner(),
                    bias.then(|| b.clone().inner()),
                ))
            };
            let err = relative_error(&plain(true), &plain(false));
            assert!(
                err < 1e-5,
                "transposed {transposed}, batch {n}, {c_in}->{c_out} @{side}, bias {bias}: inference differs by {err:.2e}"
            );
            Torch::seed(&device, 8);
            let ours = run(true);
            Torch::seed(&device, 8);
            let burn = run(false);
            for (what, (a, r)) in
                ["output", "input gradient", "weight gradient", "bias gradient"].iter().zip(ours.iter().zip(&burn))
            {
                let err = relative_error(a, r);
                assert!(
                    err < 1e-5,
                    "transposed {transposed}, batch {n}, {c_in}->{c_out} @{side}, bias {bias}: {what} differs by {err:.2e}"
                );
            }
        }
    }
}

/// Second order, as the gradient penalty takes it: the input gradient of two convolutions taken
/// on `Autodiff<Autodiff<LibTorch>>`, its squared norm differentiated with respect to the
/// weights and biases on `Autodiff<LibTorch>`. The same as through Burn's ops.
#[test]
fn libtorch_convolutions_give_burns_second_order_gradients() {
    let device = LibTorchDevice::Cpu;
    // 64 -> 1024 (1 M weights: the weight gradient GEMM) -> 256 (4 M: every kernel GEMM).
    for (n, side) in [(1, 8), (1, 7), (3, 8)] {
        for bias in [false, true] {
            Torch::seed(&device, 9);
            let x = Tensor::<Torch, 4>::random([n, 64, side, side], Distribution::Normal(0.0, 1.0), &device);
            let w1 =
                Tensor::<Torch, 4>::random([1024, 64, 4, 4], Distribution::Normal(0.0, 0.03), &device).require_grad();
            let w2 =
                Tensor::<Torch, 4>::random([256, 1024, 4, 4], Distribution::Normal(0.0, 0.01), &device).require_grad();
            let b1 = Tensor::<Torch, 1>::random([1024], Distribution::Normal(0.0, 1.0), &device).require_grad();
            let run = |ours: bool| {
                let lift = |t: &Tensor<Torch, 4>| Tensor::<Torch2, 4>::from_inner(t.clone());
                let x2 = Tensor::<Torch2, 4>::from_inner(x.clone()).require_grad();
                let b = bias.then(|| Tensor::<Torch2, 1>::from_inner(b1.clone()));
                let h = convolve(ours, false, x2.clone(), lift(&w1), b);
                // A nonlinearity, so that the input gradient depends on the input.
                let y = convolve(ours, false, h.clone() * h, lift(&w2), None);
                let g = x2.grad(&y.sum().backward()).unwrap();
                let grads = g.square().sum().backward();
                let mut out = vec![values(w1.grad(&grads).unwrap()), values(w2.grad(&grads).unwrap())];
                if bias {
                    out.push(values(b1.grad(&grads).unwrap()));
                }
                out
            };
            let (ours, burn) = (run(true), run(false));
            for (what, (a, r)) in ["first weight", "second weight", "first bias"].iter().zip(ours.iter().zip(&burn)) {
                let err = relative_error(a, r);
                assert!(err < 1e-5, "batch {n}, side {side}, bias {bias}: the {what}'s gradient differs by {err:.2e}");
            }
        }
    }
}
