//! The critic D and the attribute classifier C, which share one convolutional trunk.

use burn::module::Module;
use burn::tensor::{Tensor, backend::Backend};

use crate::config::{AttGanConfig, WeightInit};
use crate::layers::{Activation, ConvBlock, Dense, down_stack, materialize};

/// Hidden FC layer, activation (LeakyReLU in the paper's code, ReLU in AttGAN-PyTorch's
/// training script), output FC layer: one head on the flattened trunk features.
#[derive(Module, Debug)]
pub struct Head<B: Backend> {
    /// Flattened features -> `dis_fc_dim`.
    pub hidden: Dense<B>,
    /// `dis_fc_dim` -> outputs.
    pub output: Dense<B>,
    /// The activation between them.
    #[module(skip)]
    pub activation: Activation,
}

impl<B: Backend> Head<B> {
    fn new(
        d_in: usize,
        d_hidden: usize,
        d_out: usize,
        activation: Activation,
        init: WeightInit,
        device: &B::Device,
    ) -> Self {
        Self {
            hidden: Dense::new(d_in, d_hidden, init, device),
            output: Dense::new(d_hidden, d_out, init, device),
            activation,
        }
    }

    /// [N, features] -> [N, outputs].
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.output.forward(self.activation.forward(self.hidden.forward(x)))
    }
}

/// D and C: a trunk of `dis_layers` x [conv 4x4 s2 -> norm -> activation (LeakyReLU)], then an adversarial
/// head (one unbounded WGAN critic score) and a classifier head (one logit per attribute).
#[derive(Module, Debug)]
pub struct Discriminator<B: Backend> {
    /// The shared convolutional trunk.
    pub trunk: Vec<ConvBlock<B>>,
    /// The WGAN critic head, D.
    pub adv: Head<B>,
    /// The attribute classifier head, C.
    pub cls: Head<B>,
    /// Side of the images it takes.
    pub image_size: usize,
}

impl<B: Backend> Discriminator<B> {
    /// Whether each sample's scores depend on that sample alone (no batch normalisation), so
    /// that batches may be scored together.
    pub fn is_per_sample(&self) -> bool {
        !self.trunk.iter().any(|b| matches!(b.norm, Some(crate::layers::NormLayer::Batch(_))))
    }

    /// Every trunk layer's output, shallowest first.
    pub fn trunk_all(&self, x: Tensor<B, 4>) -> Vec<Tensor<B, 4>> {
        trunk_forward(&self.trunk, self.image_size, x)
    }

    /// The flattened trunk features [N, C*h*w] that both heads read.
    pub fn features(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.trunk_all(x).pop().expect("the trunk has at least one layer").flatten(1, 3)
    }

    /// Critic scores D(x), [N, 1].
    pub fn forward_adv(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.adv.forward(self.features(x))
    }

    /// Attribute logits C(x), [N, n_attrs].
    pub fn forward_cls(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        self.cls.forward(self.features(x))
    }

    /// Both heads on one trunk pass: (critic scores [N, 1], attribute logits [N, n_attrs]).
    pub fn forward(&self, x: Tensor<B, 4>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let f = self.features(x);
        (self.adv.forward(f.clone()), self.cls.forward(f))
    }
}

/// C alone: D's trunk and its classifier head, for predicting the attributes of an image to
/// edit when the user has none (the critic head is not needed after training).
#[derive(Module, Debug)]
pub struct Classifier<B: Backend> {
    /// The trunk shared with D during training.
    pub trunk: Vec<ConvBlock<B>>,
    /// The classifier head.
    pub cls: Head<B>,
    /// Side of the images it takes.
    pub image_size: usize,
}

impl<B: Backend> Classifier<B> {
    /// Attribute logits C(x), [N, n_attrs], for images [N, 3, S, S] in [-1, 1].
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let features = trunk_forward(&self.trunk, self.image_size, x).pop().expect("the trunk has at least one layer");
        self.cls.forward(features.flatten(1, 3))
    }
}

impl<B: Backend> Discriminator<B> {
    /// A copy of C (the trunk and the classifier head).
    pub fn classifier(&self) -> Classifier<B> {
        Classifier { trunk: self.trunk.clone(), cls: self.cls.clone(), image_size: self.image_size }
    }
}

fn trunk_forward<B: Backend>(trunk: &[ConvBlock<B>], image_size: usize, x: Tensor<B, 4>) -> Vec<Tensor<B, 4>> {
    let [_, c, h, w] = x.dims();
    assert!(
        c == 3 && h == image_size && w == image_size,
        "D expects images [N, 3, {image_size}, {image_size}], got [_, {c}, {h}, {w}]"
    );
    let mut outs = Vec::with_capacity(trunk.len());
    let mut z = x;
    for layer in trunk {
        z = layer.forward(z);
        outs.push(z.clone());
    }
    outs
}

impl AttGanConfig {
    /// Builds C alone (see [`Classifier`]) with freshly initialised weights, e.g. to load C's
    /// exported weights into.
    pub fn init_classifier<B: Backend>(&self, device: &B::Device) -> Classifier<B> {
        let d = self.init_discriminator(device);
        Classifier { trunk: d.trunk, cls: d.cls, image_size: d.image_size }
    }

    /// Builds D/C with freshly initialised weights. Panics with the validation message if the
    /// config is invalid; call [`AttGanConfig::validate`] first to handle that as an error.
    pub fn init_discriminator<B: Backend>(&self, device: &B::Device) -> Discriminator<B> {
        self.validate().unwrap_or_else(|e| panic!("{e}"));
        let trunk_act = self.dis_activation.activation(self.leaky_slope);
        let spec = |i| self.block_spec(self.dis_layer_norm(i), trunk_act);
        let trunk = down_stack(self.dis_layers, |i| self.dis_channels(i), spec, device);
        let flat = self.dis_flat_features();
        let fc_act = self.dis_fc_activation.activation(self.leaky_slope);
        materialize(Discriminator {
            trunk,
            adv: Head::new(flat, self.dis_fc_dim, 1, fc_act, self.weight_init, device),
            cls: Head::new(flat, self.dis_fc_dim, self.n_attrs(), fc_act, self.weight_init, device),
            image_size: self.image_size,
        })
    }
}
