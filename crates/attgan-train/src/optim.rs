//! [`FusedAdam`]: Burn's Adam, computed in one pass over each parameter on the CPU backends.
//!
//! Why: `burn::optim::Adam` updates a parameter with about a dozen tensor operations (scale the
//! moments, add, square, root, divide, scale, subtract), each of which reads and writes the whole
//! tensor. D has 45 M parameters, so on the CPU an update is bound by memory traffic: it took
//! 0.17 s of a batch-1 critic step on LibTorch and 0.27 s on Flex (2-core CPU). [`FusedAdam`]
//! reads each parameter, its gradient and both moments once and writes them back once, on all
//! cores: 0.095 s and 0.051 s (docs/benchmarks.md).
//!
//! Exactness: the fused loop makes the same `f32` operations in the same order as Burn's Adam
//! (Rust does not contract `a * b + c` into a fused multiply-add), so on Flex parameters and
//! moments come out bit for bit the same, and checkpoints keep Burn's `AdamState` records: a
//! run can be resumed with either. On LibTorch the moments are the same bits and a parameter
//! can differ in its last bit (LibTorch's vectorised square root is not correctly rounded; the
//! fused loop's is). The train suite's `optim` module checks both.
//!
//! Where it applies: Flex and (with the `tch` feature) LibTorch on the CPU, when the gradient
//! and the moments are `f32` buffers in host memory and the moments are the optimizer's alone.
//! A parameter whose buffer is shared (Burn's Learner optimises a clone of its model) is read
//! from its buffer and written to a fresh one, so the other holder keeps its values. Anything
//! else (a GPU backend, each parameter's first step, which creates the moments) goes through
//! Burn's Adam unchanged.

use attgan_core::specialize::cast;
use std::sync::atomic::{AtomicU64, Ordering};

use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, AdamState, LearningRate, SimpleOptimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{DType, Tensor, TensorPrimitive};
use rayon::prelude::*;

/// Adam's hyperparameters. [`FusedAdamConfig::init`] gives the optimizer for a module, as
/// `burn::optim::AdamConfig::init` does.
#[derive(burn::config::Config, Debug)]
pub struct FusedAdamConfig {
    /// Decay of the first moment.
    #[config(default = 0.9)]
    pub beta_1: f32,
    /// Decay of the second moment.
    #[config(default = 0.999)]
    pub beta_2: f32,
    /// Added to the root of the second moment (Burn scales it by the bias correction, as
    /// PyTorch does).
    #[config(default = 1e-5)]
    pub epsilon: f32,
}

impl FusedAdamConfig {
    /// The optimizer for module `M`.
    pub fn init<B: AutodiffBackend, M: AutodiffModule<B>>(&self) -> OptimizerAdaptor<FusedAdam, M, B> {
        OptimizerAdaptor::from(self.build())
    }

    /// The per-tensor optimizer, as `burn::optim::AdamConfig::build`.
    pub fn build(&self) -> FusedAdam {
        FusedAdam { config: self.clone(), burn: self.burn().build() }
    }

    /// Burn's `AdamConfig` with the same hyperparameters.
    pub fn burn(&self) -> AdamConfig {
        AdamConfig::new().with_beta_1(self.beta_1).with_beta_2(self.beta_2).with_epsilon(self.epsilon)
    }
}

/// How many parameter updates in this process took the fused pass (the rest went through Burn's
/// Adam): for tests and benchmarks that must know which path ran.
pub fn fused_updates() -> u64 {
    FUSED_UPDATES.load(Ordering::Relaxed)
}

static FUSED_UPDATES: AtomicU64 = AtomicU64::new(0);

/// Burn's Adam with a one-pass update on the CPU backends (see the module docs).
#[derive(Clone)]
pub struct FusedAdam {
    config: FusedAdamConfig,
    /// Burn's own Adam, for what the fused pass does not take.
    burn: Adam,
}

impl<B: Backend> SimpleOptimizer<B> for FusedAdam {
    type State<const D: usize> = AdamState<B, D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<B, D>,
        grad: Tensor<B, D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<B, D>, Option<Self::State<D>>) {
        let Some(state) = state else {
            return SimpleOptimizer::<B>::step(&self.burn, lr, tensor, grad, None);
        };
        let step = Step { tensor, grad, state };
        #[cfg(feature = "flex")]
        let step = match self.fused::<B, burn::backend::Flex, D>(lr, step) {
            Ok(done) => return done,
            Err(step) => step,
        };
        #[cfg(feature = "tch")]
        let step = match self.fused::<B, burn::backend::LibTorch, D>(lr, step) {
            Ok(done) => return done,
            Err(step) => step,
        };
        SimpleOptimizer::<B>::step(&self.burn, lr, step.tensor, step.grad, Some(step.state))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &B::Device) -> Self::State<D> {
        <Adam as SimpleOptimizer<B>>::to_device(state, device)
    }
}

/// One parameter's update: its tensor, gradient and Adam state.
struct Step<B: Backend, const D: usize> {
    tensor: Tensor<B, D>,
    grad: Tensor<B, D>,
    state: AdamState<B, D>,
}

impl FusedAdam {
    /// The fused update when `B` is the CPU backend `C` and its buffers allow it; otherwise the
    /// step back, untouched.
    #[allow(clippy::type_complexity)]
    fn fused<B: Backend, C: Backend + Buffers, const D: usize>(
        &self,
        lr: LearningRate,
        step: Step<B, D>,
    ) -> Result<(Tensor<B, D>, Option<AdamState<B, D>>), Step<B, D>> {
        let Step { tensor, grad, state } = cast::<Step<B, D>, Step<C, D>>(step)?;
        if state.momentum.max_moment_2.is_some() {
            return Err(cast(Step { tensor, grad, state }).ok().expect("B is C"));
        }
        let mut momentum = state.momentum;
        let time = momentum.time + 1;
        let (shape, device) = (tensor.shape(), tensor.device());
        let mut p = tensor.into_primitive().tensor();
        // Some backward passes leave a weight's gradient transposed: one copy to read it in order.
        let g = C::contiguous(grad.into_primitive().tensor());
        // LibTorch keeps a transposed gradient's layout in the moments Burn's first step makes
        // from it: one copy each, kept in order from then on.
        let mut m = C::contiguous(momentum.moment_1.into_primitive().tensor());
        let mut v = C::contiguous(momentum.moment_2.into_primitive().tensor());
        // Burn's Learner optimises a clone of its model (`self.model().optimize(..)`), so there
        // the parameter's buffer is shared: the new values then go to a fresh buffer, in the same
        // single pass (Burn's own Adam allocates several).
        let mut fresh =
            C::buffer_mut(&mut p).is_none().then(|| Tensor::<C, D>::empty(shape, &device).into_primitive().tensor());
        let done = match (C::buffer(&g), C::buffer_mut(&mut m), C::buffer_mut(&mut v)) {
            (Some(g), Some(m), Some(v)) if g.len() == m.len() && g.len() == v.len() => {
                let params = match fresh.as_mut() {
                    None => C::buffer_mut(&mut p).map(Params::InPlace),
                    Some(out) => C::buffer(&p).zip(C::buffer_mut(out)).map(|(p, out)| Params::Into(p, out)),
                };
                match params {
                    Some(params) if params.len() == g.len() => {
                        self.update(lr, time, params, g, m, v);
                        FUSED_UPDATES.fetch_add(1, Ordering::Relaxed);
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        let back = |t: C::FloatTensorPrimitive| Tensor::<C, D>::from_primitive(TensorPrimitive::Float(t));
        momentum.moment_1 = back(m);
        momentum.moment_2 = back(v);
        if !done {
            let state = AdamState::new(momentum);
            return Err(cast(Step { tensor: back(p), grad: back(g), state }).ok().expect("B is C"));
        }
        momentum.time = time;
        let updated = back(fresh.unwrap_or(p));
        Ok(cast((updated, Some(AdamState::new(momentum)))).ok().expect("B is C"))
    }

    /// Burn's Adam step `time` on `f32` buffers: the same operations in the same order.
    fn update(&self, lr: LearningRate, time: usize, params: Params, g: &[f32], m: &mut [f32], v: &mut [f32]) {
        let FusedAdamConfig { beta_1, beta_2, epsilon } = self.config;
        let (f1, f2) = (1.0 - beta_1, 1.0 - beta_2);
        let t = time as i32;
        let bias_correction2_sqrt = (1.0 - beta_2.powi(t)).sqrt();
        let factor = bias_correction2_sqrt / (1.0 - beta_1.powi(t));
        let eps = epsilon * bias_correction2_sqrt;
        // Burn's scalar operations take the learning rate as an f32 on an f32 tensor.
        let lr = lr as f32;
        // One element: the moments in place, and the amount to subtract from the parameter.
        let delta = |g: f32, m: &mut f32, v: &mut f32| {
            *m = *m * beta_1 + g * f1;
            *v = *v * beta_2 + g * g * f2;
            let update = (*m * factor) / (v.sqrt() + eps);
            update * lr
        };
        const CHUNK: usize = 1 << 16;
        let moments = g.par_chunks(CHUNK).zip(m.par_chunks_mut(CHUNK)).zip(v.par_chunks_mut(CHUNK));
        match params {
            Params::InPlace(p) => p.par_chunks_mut(CHUNK).zip(moments).for_each(|(p, ((g, m), v))| {
                for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                    *p -= delta(g, m, v);
                }
            }),
            Params::Into(p, out) => {
                out.par_chunks_mut(CHUNK).zip(p.par_chunks(CHUNK)).zip(moments).for_each(|((out, p), ((g, m), v))| {
                    for ((((out, &p), &g), m), v) in out.iter_mut().zip(p).zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                        *out = p - delta(g, m, v);
                    }
                })
            }
        }
    }
}

/// Where the updated parameter goes: back into its own buffer, or from a shared one into a
/// fresh one.
enum Params<'a> {
    InPlace(&'a mut [f32]),
    Into(&'a [f32], &'a mut [f32]),
}

impl Params<'_> {
    fn len(&self) -> usize {
        match self {
            Params::InPlace(p) => p.len(),
            Params::Into(p, out) => p.len().min(out.len()),
        }
    }
}

/// A CPU backend whose float tensors can be seen as `f32` slices.
trait Buffers: Backend {
    /// The tensor's elements, if it is a contiguous `f32` tensor in host memory.
    fn buffer(t: &Self::FloatTensorPrimitive) -> Option<&[f32]>;
    /// The tensor itself if it is contiguous, otherwise a contiguous copy.
    fn contiguous(t: Self::FloatTensorPrimitive) -> Self::FloatTensorPrimitive;
    /// The same, writable, if moreover no other tensor shares its buffer.
    fn buffer_mut(t: &mut Self::FloatTensorPrimitive) -> Option<&mut [f32]>;
}

#[cfg(feature = "flex")]
impl Buffers for burn::backend::Flex {
    fn buffer(t: &Self::FloatTensorPrimitive) -> Option<&[f32]> {
        (t.dtype() == DType::F32).then(|| t.as_slice::<f32>()).flatten()
    }

    fn contiguous(t: Self::FloatTensorPrimitive) -> Self::FloatTensorPrimitive {
        if t.layout().contiguous_offsets().is_some() { t } else { t.to_contiguous() }
    }

    fn buffer_mut(t: &mut Self::FloatTensorPrimitive) -> Option<&mut [f32]> {
        let (start, end) = t.layout().contiguous_offsets()?;
        if t.dtype() != DType::F32 {
            return None;
        }
        t.try_storage_mut::<f32>().map(|all| &mut all[start..end])
    }
}

#[cfg(feature = "tch")]
impl Buffers for burn::backend::LibTorch {
    fn buffer(t: &Self::FloatTensorPrimitive) -> Option<&[f32]> {
        use burn::backend::libtorch::LibTorchDevice;
        use burn::tensor::TensorMetadata;
        use burn::tensor::ops::FloatTensorOps;
        let host = Self::float_device(t) == LibTorchDevice::Cpu;
        if !(host && t.dtype() == DType::F32 && t.tensor.is_contiguous()) {
            return None;
        }
        let len = t.tensor.numel();
        // SAFETY: a contiguous f32 CPU tensor holds `numel` floats from `data_ptr` (the storage
        // offset included), alive as long as `t`, which the slice borrows.
        Some(unsafe { std::slice::from_raw_parts(t.tensor.data_ptr() as *const f32, len) })
    }

    fn contiguous(t: Self::FloatTensorPrimitive) -> Self::FloatTensorPrimitive {
        if t.tensor.is_contiguous() { t } else { burn::backend::libtorch::TchTensor::new(t.tensor.contiguous()) }
    }

    fn buffer_mut(t: &mut Self::FloatTensorPrimitive) -> Option<&mut [f32]> {
        if !t.can_mut() {
            return None;
        }
        let len = Self::buffer(t)?.len();
        // SAFETY: as in `buffer`; `can_mut` says no other tensor refers to this storage, and the
        // slice borrows `t` mutably, so nothing else reads or writes it meanwhile.
        Some(unsafe { std::slice::from_raw_parts_mut(t.tensor.data_ptr() as *mut f32, len) })
    }
}
