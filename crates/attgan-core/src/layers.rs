//! The building blocks shared by G and D: convolution + norm + activation blocks, a fully
//! connected layer written as a plain matmul, and attribute tiling.

use burn::module::{Initializer, Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, GroupNorm, GroupNormConfig, InstanceNorm, InstanceNormConfig, PaddingConfig2d,
};
use burn::tensor::activation::{relu, sigmoid, tanh};
use burn::tensor::{Tensor, backend::Backend};

use crate::config::{Norm, WeightInit};
use crate::norm;

/// LeakyReLU as `x * s`, where `s` is `slope` where `x < 0` and 1 elsewhere, computed apart from
/// the graph (a comparison cuts it). The values are Burn's `leaky_relu`'s bit for bit and so are
/// the gradients (up to the sign of a zero). But Burn's autodiff differentiates Burn's as a masked
/// select of `x` and `x * slope`, whose backward builds two zero tensors, two masked selects and
/// their sum, where this one's backward is one multiplication (and the gradient penalty's second
/// pass is as short): a LibTorch critic step at batch 8 went from 1.45 to 1.30 s.
fn leaky_relu<B: Backend, const D: usize>(x: Tensor<B, D>, slope: f64) -> Tensor<B, D> {
    let negative = x.clone().lower_elem(0.0);
    let s = x.ones_like().mask_fill(negative, slope);
    x * s
}

/// Burn's initializer for `init`'s weights.
fn initializer(init: WeightInit) -> Initializer {
    match init {
        WeightInit::Kaiming => Initializer::KaimingUniform { gain: 1.0 / 3f64.sqrt(), fan_out_only: false },
        WeightInit::Glorot => Initializer::XavierUniform { gain: 1.0 },
    }
}

/// A bias of `d` values as `init` starts it: Burn draws biases with the weights' initializer;
/// TensorFlow starts them at zero.
fn bias<B: Backend>(init: WeightInit, drawn: Param<Tensor<B, 1>>, d: usize, device: &B::Device) -> Param<Tensor<B, 1>> {
    match init {
        WeightInit::Kaiming => drawn,
        WeightInit::Glorot => Param::from_tensor(Tensor::zeros([d], device)),
    }
}

/// A normalisation and, for batch norm, its running statistics' settings: Burn's and PyTorch's
/// momentum 0.1 and epsilon 1e-5 by default; TF slim's batch norm (the paper's code) keeps a
/// slower average (decay 0.999, momentum 0.001) and epsilon 1e-3.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormSpec {
    /// Which normalisation.
    pub norm: Norm,
    /// Batch norm: the weight of each batch in the running statistics (1 - TF's `decay`).
    pub bn_momentum: f64,
    /// Batch norm: added to the variance before its square root.
    pub bn_epsilon: f64,
}

impl NormSpec {
    /// `norm` with Burn's batch-norm defaults (momentum 0.1, epsilon 1e-5).
    pub fn new(norm: Norm) -> Self {
        Self { norm, bn_momentum: 0.1, bn_epsilon: 1e-5 }
    }
}

/// What a [`ConvBlock`] is besides its channels: its norm, its activation, how its weights start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockSpec {
    /// The normalisation.
    pub norm: NormSpec,
    /// The activation.
    pub activation: Activation,
    /// How the weights start.
    pub init: WeightInit,
}

/// A normalisation layer chosen by [`Norm`].
#[derive(Module, Debug)]
pub enum NormLayer<B: Backend> {
    /// Batch normalisation.
    Batch(BatchNorm<B>),
    /// Instance normalisation (affine).
    Instance(InstanceNorm<B>),
    /// Layer normalisation over (C, H, W), as group norm with one group.
    Layer(GroupNorm<B>),
}

impl<B: Backend> NormLayer<B> {
    /// The layer for `spec` over `channels`, or `None` for [`Norm::None`].
    pub fn new(spec: NormSpec, channels: usize, device: &B::Device) -> Option<Self> {
        match spec.norm {
            Norm::None => None,
            Norm::Batch => Some(Self::Batch(
                BatchNormConfig::new(channels)
                    .with_momentum(spec.bn_momentum)
                    .with_epsilon(spec.bn_epsilon)
                    .init(device),
            )),
            Norm::Instance => Some(Self::Instance(InstanceNormConfig::new(channels).init(device))),
            Norm::Layer => Some(Self::Layer(GroupNormConfig::new(1, channels).init(device))),
        }
    }

    /// Normalises a [N, C, H, W] tensor: Burn's math for each norm, laid out for a fast CPU
    /// ([`norm`]).
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        match self {
            Self::Batch(n) => norm::batch_norm(n, x),
            Self::Instance(n) => norm::instance_norm(n, x),
            Self::Layer(n) => norm::group_norm(n, x),
        }
    }
}

/// The non-linearity that ends a block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// LeakyReLU with the given negative slope.
    LeakyRelu(f64),
    /// ReLU.
    Relu,
    /// The logistic sigmoid.
    Sigmoid,
    /// tanh, for images in [-1, 1].
    Tanh,
    /// Identity.
    Linear,
}

impl Activation {
    /// Applies the activation.
    pub fn forward<B: Backend, const D: usize>(self, x: Tensor<B, D>) -> Tensor<B, D> {
        match self {
            Self::LeakyRelu(slope) => leaky_relu(x, slope),
            Self::Relu => relu(x),
            Self::Sigmoid => sigmoid(x),
            Self::Tanh => tanh(x),
            Self::Linear => x,
        }
    }
}

/// Kernel 4, stride 2, padding 1: every AttGAN convolution halves (or doubles) the side.
const KERNEL: usize = 4;

/// A 4x4 stride-2 convolution that halves the side (Genc, D/C) or a transposed one that
/// doubles it (Gdec).
#[derive(Module, Debug)]
pub enum Conv<B: Backend> {
    /// Downsampling convolution.
    Down(Conv2d<B>),
    /// Upsampling transposed convolution.
    Up(ConvTranspose2d<B>),
}

impl<B: Backend> Conv<B> {
    /// Applies the (transposed) convolution.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        match self {
            Self::Down(c) => crate::conv::forward_conv2d(c, x),
            Self::Up(c) => crate::conv::forward_conv_transpose2d(c, x),
        }
    }

    /// Input channels.
    pub fn in_channels(&self) -> usize {
        match self {
            Self::Down(c) => c.weight.dims()[1],
            Self::Up(c) => c.weight.dims()[0],
        }
    }
}

/// (Transposed) convolution, optional norm, activation: one layer of Genc, Gdec or the D/C
/// trunk. The convolution has a bias only when there is no norm (a norm's shift makes it
/// redundant).
#[derive(Module, Debug)]
pub struct ConvBlock<B: Backend> {
    /// The convolution.
    pub conv: Conv<B>,
    /// The normalisation, if any.
    pub norm: Option<NormLayer<B>>,
    /// The activation.
    #[module(skip)]
    pub activation: Activation,
}

impl<B: Backend> ConvBlock<B> {
    /// A downsampling block from `c_in` to `c_out` channels: [N, c_in, H, W] -> [N, c_out, H/2, W/2].
    pub fn down(c_in: usize, c_out: usize, spec: BlockSpec, device: &B::Device) -> Self {
        let BlockSpec { norm, activation, init } = spec;
        let mut conv = Conv2dConfig::new([c_in, c_out], [KERNEL, KERNEL])
            .with_stride([2, 2])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_bias(norm.norm == Norm::None)
            .with_initializer(initializer(init))
            .init(device);
        conv.bias = conv.bias.map(|b| bias(init, b, c_out, device));
        Self { conv: Conv::Down(conv), norm: NormLayer::new(norm, c_out, device), activation }
    }

    /// An upsampling block from `c_in` to `c_out` channels: [N, c_in, H, W] -> [N, c_out, 2H, 2W].
    pub fn up(c_in: usize, c_out: usize, spec: BlockSpec, device: &B::Device) -> Self {
        let BlockSpec { norm, activation, init } = spec;
        let config = ConvTranspose2dConfig::new([c_in, c_out], [KERNEL, KERNEL])
            .with_stride([2, 2])
            .with_padding([1, 1])
            .with_bias(norm.norm == Norm::None);
        let conv = match init {
            WeightInit::Kaiming => config.init(device),
            WeightInit::Glorot => {
                // Burn gives a transposed convolution's initializer no fan-out, which Glorot
                // needs: the weight [c_in, c_out, k, k] is drawn here, and the bias is zero.
                let mut conv = config.with_initializer(Initializer::Zeros).init(device);
                let k = KERNEL * KERNEL;
                conv.weight =
                    initializer(init).init_with([c_in, c_out, KERNEL, KERNEL], Some(c_out * k), Some(c_in * k), device);
                conv
            }
        };
        Self { conv: Conv::Up(conv), norm: NormLayer::new(norm, c_out, device), activation }
    }

    /// Convolution, norm, activation.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = self.conv.forward(x);
        let x = match &self.norm {
            Some(norm) => norm.forward(x),
            None => x,
        };
        self.activation.forward(x)
    }
}

/// `layers` downsampling blocks from RGB, block i with `channels(i)` outputs and `spec(i)`: Genc
/// or the D/C trunk.
pub fn down_stack<B: Backend>(
    layers: usize,
    channels: impl Fn(usize) -> usize,
    spec: impl Fn(usize) -> BlockSpec,
    device: &B::Device,
) -> Vec<ConvBlock<B>> {
    (0..layers)
        .map(|i| {
            let c_in = if i == 0 { 3 } else { channels(i - 1) };
            ConvBlock::down(c_in, channels(i), spec(i), device)
        })
        .collect()
}

/// A fully connected layer computed as `x.matmul(w) + b`. Burn 0.21's `nn::Linear` has a
/// backward that cannot itself be differentiated, which the exact gradient penalty needs
/// (second-order autodiff through the critic), so D's heads use this instead.
#[derive(Module, Debug)]
pub struct Dense<B: Backend> {
    /// Weight, [d_in, d_out].
    pub weight: Param<Tensor<B, 2>>,
    /// Bias, `[d_out]`.
    pub bias: Param<Tensor<B, 1>>,
}

impl<B: Backend> Dense<B> {
    /// A layer from `d_in` to `d_out` features, initialised as `init` says (Kaiming: as
    /// `nn::Linear`, PyTorch's default; Glorot: as TensorFlow's dense layers).
    pub fn new(d_in: usize, d_out: usize, init: WeightInit, device: &B::Device) -> Self {
        let initializer = initializer(init);
        let drawn = initializer.init_with([d_out], Some(d_in), Some(d_out), device);
        Self {
            weight: initializer.init_with([d_in, d_out], Some(d_in), Some(d_out), device),
            bias: bias(init, drawn, d_out, device),
        }
    }

    /// [N, d_in] -> [N, d_out].
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        x.matmul(self.weight.val()) + self.bias.val().unsqueeze_dim(0)
    }
}

/// Tiles an attribute vector [N, n] over a [h, w] grid: [N, n, h, w], for concatenation with a
/// feature map.
pub fn tile<B: Backend>(b: Tensor<B, 2>, h: usize, w: usize) -> Tensor<B, 4> {
    let [n, a] = b.dims();
    b.reshape([n, a, 1, 1]).expand([n, a, h, w])
}

/// Gives every parameter of `module` its value now. Burn initialises parameters lazily, and
/// clones of a module taken before that initialise separately, with different weights; the
/// gradient penalty and the optimizer both clone, so our `init`s materialise at once.
pub fn materialize<B: Backend, M: Module<B>>(module: M) -> M {
    struct Touch;
    impl<B: Backend> burn::module::ModuleVisitor<B> for Touch {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            let _ = param.val();
        }
    }
    module.visit(&mut Touch);
    module
}
