//! The attribute classifier that judges edits: STGAN's (Liu et al., CVPR 2019), itself the
//! classifier of the AttGAN code, trained apart from the GAN on real CelebA images. The
//! attribute editing accuracy of a generator is the share of its edits that this classifier reads
//! as flipped; the published one reaches 94.5% mean accuracy on the 13 attributes of the real
//! test images.
//!
//! The architecture is `classifier()` in `att_classification/models.py` of csmliu/STGAN:
//! 5 blocks of [conv 3x3 stride 1 "same" (no bias) -> BatchNorm -> ReLU] x 2 then a 2x2 max pool
//! of stride 2, with `dim / 2 * 2^i` channels in block i (`dim` = 32: 16, 32, 64, 128, 256); the
//! flattened features (256 x 4 x 4 = 4096 at 128 x 128) go through FC `16 * dim` = 512 -> ReLU
//! -> FC `n_attrs` (logits). BatchNorm as there: decay 0.9 (Burn's momentum 0.1), epsilon 1e-5,
//! with scale and shift. Weights are Glorot-uniform, biases zero, as `slim`'s defaults. Input:
//! images [N, 3, S, S] scaled to [-1, 1] (`x / 127.5 - 1` in STGAN's train.py).
//!
//! Two differences from STGAN's file: it predicts all 40 CelebA attributes and the 13 are picked
//! from its logits, while here the attribute list is part of the config (default the 13 of the
//! AttGAN paper); and TensorFlow flattens NHWC where Burn flattens NCHW (the FC weights of the
//! published checkpoint would need a permutation, which does not matter when training here).
//!
//! ```no_run
//! use attgan_core::attribute_classifier::AttributeClassifierConfig;
//! use burn::backend::Flex;
//!
//! let device = Default::default();
//! let config = AttributeClassifierConfig::new(); // 128 x 128, the 13 AttGAN attributes
//! let classifier = config.init::<Flex>(&device);
//! println!("{} parameters", burn::module::Module::num_params(&classifier));
//! ```

use std::path::{Path, PathBuf};

use burn::config::Config;
use burn::module::{Initializer, Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Tensor, backend::Backend};

use crate::attributes::DEFAULT_ATTRIBUTES;
use crate::error::AttGanError;
use crate::export::{load_json, load_module, save_json, save_module};
use crate::layers::materialize;

/// The classifier's weights in a model directory (Burn's named MessagePack, full precision).
pub const ATTRIBUTE_CLASSIFIER_FILE: &str = "attribute-classifier.mpk";
/// Its architecture: an [`AttributeClassifierConfig`] as JSON, beside the weights.
pub const ATTRIBUTE_CLASSIFIER_CONFIG_FILE: &str = "attribute-classifier.json";

/// Glorot (Xavier) uniform, the default initializer of `slim.conv2d` and of STGAN's FC layers.
const GLOROT: Initializer = Initializer::XavierUniform { gain: 1.0 };

/// The classifier's architecture. [`AttributeClassifierConfig::new`] is STGAN's at 128 x 128
/// with the 13 attributes of the AttGAN paper.
#[derive(Config, Debug, PartialEq)]
pub struct AttributeClassifierConfig {
    /// Side of the square input images, in pixels; a multiple of 2^`blocks`.
    #[config(default = 128)]
    pub image_size: usize,
    /// The attributes predicted, one logit each, in order.
    #[config(default = "DEFAULT_ATTRIBUTES.iter().map(|s| s.to_string()).collect()")]
    pub attributes: Vec<String>,
    /// STGAN's `dim`: block i has `dim / 2 * 2^i` channels, the hidden FC layer `16 * dim` units
    /// unless `fc_dim` says otherwise. Must be even.
    #[config(default = 32)]
    pub dim: usize,
    /// Blocks of [conv-BN-ReLU] x `convs_per_block` + max pool; each halves the side.
    #[config(default = 5)]
    pub blocks: usize,
    /// Convolutions in each block.
    #[config(default = 2)]
    pub convs_per_block: usize,
    /// Units of the hidden fully connected layer (STGAN: `16 * dim` = 512).
    #[config(default = 512)]
    pub fc_dim: usize,
}

impl Default for AttributeClassifierConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl AttributeClassifierConfig {
    /// Number of attributes (logits).
    pub fn n_attrs(&self) -> usize {
        self.attributes.len()
    }

    /// Output channels of block `i`: `dim / 2 * 2^i`.
    pub fn block_channels(&self, i: usize) -> usize {
        (self.dim / 2) << i
    }

    /// Side of the last block's feature map.
    pub fn feature_size(&self) -> usize {
        self.image_size >> self.blocks
    }

    /// Length of the flattened features that enter the hidden FC layer.
    pub fn flat_features(&self) -> usize {
        let s = self.feature_size();
        self.block_channels(self.blocks - 1) * s * s
    }

    /// Index of an attribute in the classifier's list.
    pub fn attribute_index(&self, name: &str) -> crate::error::Result<usize> {
        crate::attributes::position_of(&self.attributes, name)
    }

    /// Checks that the configuration describes a classifier that can be built and run; the
    /// message names the field.
    pub fn validate(&self) -> crate::error::Result<()> {
        let fail = |msg: String| Err(AttGanError::InvalidConfig(format!("attribute classifier: {msg}")));
        if let Some(problem) = crate::attributes::list_problem(&self.attributes) {
            return fail(problem);
        }
        for (field, value) in
            [("blocks", self.blocks), ("convs_per_block", self.convs_per_block), ("fc_dim", self.fc_dim)]
        {
            if value == 0 {
                return fail(format!("`{field}` must be at least 1, got 0"));
            }
        }
        if self.dim < 2 || !self.dim.is_multiple_of(2) {
            return fail(format!(
                "`dim` must be a positive even number (block i has dim/2 * 2^i channels), got {}",
                self.dim
            ));
        }
        if self.blocks > 16 || (self.dim / 2).checked_mul(1 << (self.blocks - 1)).is_none() {
            return fail(format!(
                "`blocks` ({}) is too many (at most 16, and dim/2 * 2^(blocks-1) must fit)",
                self.blocks
            ));
        }
        if !self.image_size.is_multiple_of(1 << self.blocks) || self.image_size >> self.blocks == 0 {
            return fail(format!(
                "`image_size` ({}) must be a positive multiple of 2^blocks = 2^{} (each block halves the side)",
                self.image_size, self.blocks
            ));
        }
        Ok(())
    }

    /// Builds the classifier with fresh weights (Glorot-uniform, biases zero, BatchNorm scale 1
    /// and shift 0), all materialised at once. Panics with the validation message if the config is
    /// invalid; call [`AttributeClassifierConfig::validate`] first to handle that as an error.
    pub fn init<B: Backend>(&self, device: &B::Device) -> AttributeClassifier<B> {
        self.validate().unwrap_or_else(|e| panic!("{e}"));
        let blocks = (0..self.blocks)
            .map(|i| {
                let c_out = self.block_channels(i);
                let c_in = if i == 0 { 3 } else { self.block_channels(i - 1) };
                let convs = (0..self.convs_per_block)
                    .map(|k| ConvBnRelu::new(if k == 0 { c_in } else { c_out }, c_out, device))
                    .collect();
                ClassifierBlock { convs, pool: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init() }
            })
            .collect();
        materialize(AttributeClassifier {
            blocks,
            fc: linear(self.flat_features(), self.fc_dim, device),
            logits: linear(self.fc_dim, self.n_attrs(), device),
            attributes: self.attributes.clone(),
            image_size: self.image_size,
        })
    }
}

/// A fully connected layer initialised as STGAN's: Glorot-uniform weights, zero bias.
fn linear<B: Backend>(d_in: usize, d_out: usize, device: &B::Device) -> Linear<B> {
    let mut layer = LinearConfig::new(d_in, d_out).with_initializer(GLOROT).init(device);
    layer.bias = Some(Param::from_tensor(Tensor::zeros([d_out], device)));
    layer
}

/// Convolution 3x3, stride 1, "same" padding, no bias (the norm's shift replaces it), then
/// BatchNorm and ReLU.
#[derive(Module, Debug)]
pub struct ConvBnRelu<B: Backend> {
    /// The convolution.
    pub conv: Conv2d<B>,
    /// Its batch normalisation.
    pub bn: BatchNorm<B>,
}

impl<B: Backend> ConvBnRelu<B> {
    fn new(c_in: usize, c_out: usize, device: &B::Device) -> Self {
        let conv = Conv2dConfig::new([c_in, c_out], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_bias(false)
            .with_initializer(GLOROT)
            .init(device);
        // STGAN: slim.batch_norm(decay=0.9, epsilon=1e-5, scale=True): Burn's momentum is 1 - decay.
        let bn = BatchNormConfig::new(c_out).with_momentum(0.1).with_epsilon(1e-5).init(device);
        Self { conv, bn }
    }

    /// [N, c_in, H, W] -> [N, c_out, H, W].
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        relu(self.bn.forward(self.conv.forward(x)))
    }
}

/// One block: the convolutions, then a 2x2 max pool of stride 2.
#[derive(Module, Debug)]
pub struct ClassifierBlock<B: Backend> {
    /// The conv-BN-ReLU layers.
    pub convs: Vec<ConvBnRelu<B>>,
    /// The pool that halves the side.
    pub pool: MaxPool2d,
}

impl<B: Backend> ClassifierBlock<B> {
    /// [N, c_in, H, W] -> [N, c_out, H/2, W/2].
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = self.convs.iter().fold(x, |x, conv| conv.forward(x));
        self.pool.forward(x)
    }
}

/// STGAN's attribute classifier: the blocks, then FC -> ReLU -> FC to one logit per attribute.
/// BatchNorm uses batch statistics in training (an autodiff backend) and running statistics
/// otherwise: judge images with the model of the inner backend (`model.valid()`).
#[derive(Module, Debug)]
pub struct AttributeClassifier<B: Backend> {
    /// The convolutional blocks, from the image inwards.
    pub blocks: Vec<ClassifierBlock<B>>,
    /// The hidden fully connected layer.
    pub fc: Linear<B>,
    /// The output layer: one logit per attribute.
    pub logits: Linear<B>,
    /// The attributes predicted, in order (not saved in the weights; the config JSON holds them).
    #[module(skip)]
    pub attributes: Vec<String>,
    /// Side of the images it takes.
    pub image_size: usize,
}

impl<B: Backend> AttributeClassifier<B> {
    /// Logits [N, n_attrs] for images [N, 3, S, S] in [-1, 1]; a logit above 0 says the
    /// attribute is present.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let [_, c, h, w] = x.dims();
        assert!(
            c == 3 && h == self.image_size && w == self.image_size,
            "the attribute classifier expects images [N, 3, {s}, {s}], got [_, {c}, {h}, {w}]",
            s = self.image_size
        );
        let x = self.blocks.iter().fold(x, |x, block| block.forward(x));
        let h = relu(self.fc.forward(x.flatten(1, 3)));
        self.logits.forward(h)
    }

    /// Probabilities [N, n_attrs] (the logits' sigmoid) for images [N, 3, S, S] in [-1, 1].
    pub fn predict(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        sigmoid(self.forward(x))
    }

    /// The attributes predicted, in order.
    pub fn attributes(&self) -> &[String] {
        &self.attributes
    }

    /// Number of attributes.
    pub fn n_attrs(&self) -> usize {
        self.attributes.len()
    }

    /// Fails with [`AttGanError::AttributeMismatch`] unless the classifier predicts exactly
    /// `names`, in that order (e.g. the attributes of a generator it is to judge).
    pub fn require_attributes<S: AsRef<str>>(&self, names: &[S], what: &str) -> crate::error::Result<()> {
        crate::attributes::require_same(&self.attributes, names, what)
    }

    /// Writes [`ATTRIBUTE_CLASSIFIER_FILE`] and [`ATTRIBUTE_CLASSIFIER_CONFIG_FILE`] into `dir`
    /// (created if needed), each atomically. `config` must describe this classifier.
    pub fn save(&self, config: &AttributeClassifierConfig, dir: impl AsRef<Path>) -> crate::error::Result<()> {
        let dir = dir.as_ref();
        if config.attributes != self.attributes || config.image_size != self.image_size {
            return Err(AttGanError::InvalidConfig(format!(
                "the config to save with the attribute classifier does not describe it: the config has \
                 {} pixels and [{}], the classifier {} pixels and [{}]",
                config.image_size,
                config.attributes.join(", "),
                self.image_size,
                self.attributes.join(", ")
            )));
        }
        save_module(self, dir.join(ATTRIBUTE_CLASSIFIER_FILE))?;
        save_json(config, dir.join(ATTRIBUTE_CLASSIFIER_CONFIG_FILE))
    }

    /// Loads a classifier written by [`AttributeClassifier::save`]: `path` is its directory or
    /// its [`ATTRIBUTE_CLASSIFIER_FILE`], with [`ATTRIBUTE_CLASSIFIER_CONFIG_FILE`] beside it.
    /// Errors name the file at fault: [`AttGanError::Io`] for a missing file,
    /// [`AttGanError::InvalidConfig`] for a bad JSON, [`AttGanError::Weights`] for weights that
    /// do not fit the config.
    pub fn load(path: impl AsRef<Path>, device: &B::Device) -> crate::error::Result<(Self, AttributeClassifierConfig)> {
        let (weights, config_path) = classifier_paths(path.as_ref());
        let config: AttributeClassifierConfig = load_json(&config_path)?;
        config.validate().map_err(|e| AttGanError::InvalidConfig(format!("{}: {e}", config_path.display())))?;
        let model = load_module(config.init::<B>(device), &weights, device)?;
        Ok((model, config))
    }
}

/// The weights file and the config file for a path that is a model directory or its weights.
fn classifier_paths(path: &Path) -> (PathBuf, PathBuf) {
    if path.is_dir() || path.extension().is_none_or(|e| e != "mpk") {
        (path.join(ATTRIBUTE_CLASSIFIER_FILE), path.join(ATTRIBUTE_CLASSIFIER_CONFIG_FILE))
    } else {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        (path.to_path_buf(), dir.join(ATTRIBUTE_CLASSIFIER_CONFIG_FILE))
    }
}
