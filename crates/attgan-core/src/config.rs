//! [`AttGanConfig`]: every hyper-parameter that shapes the networks.

use burn::config::Config;

use crate::attributes::DEFAULT_ATTRIBUTES;
use crate::error::AttGanError;

/// Normalisation after a convolution. AttGAN uses batch norm in G and instance norm in D
/// (batch norm would break the per-sample gradient penalty of WGAN-GP).
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum Norm {
    /// No normalisation; the convolution then gets a bias.
    None,
    /// Batch normalisation (batch statistics in training, running statistics otherwise).
    Batch,
    /// Instance normalisation with a per-channel affine transform.
    Instance,
    /// Layer normalisation over (C, H, W) with a per-channel affine transform.
    Layer,
}

/// A non-linearity after a layer, by the names AttGAN-PyTorch's settings use (`lrelu`, `relu`,
/// `sigmoid`, `tanh`, `none`). The slope of [`Nonlinearity::LeakyRelu`] is
/// [`AttGanConfig::leaky_slope`].
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum Nonlinearity {
    /// LeakyReLU (`lrelu`).
    LeakyRelu,
    /// ReLU (`relu`).
    Relu,
    /// The logistic sigmoid (`sigmoid`).
    Sigmoid,
    /// tanh (`tanh`).
    Tanh,
    /// Identity (`none`).
    None,
}

impl Nonlinearity {
    /// The activation layer, with `leaky_slope` for LeakyReLU.
    pub fn activation(self, leaky_slope: f64) -> crate::layers::Activation {
        use crate::layers::Activation;
        match self {
            Self::LeakyRelu => Activation::LeakyRelu(leaky_slope),
            Self::Relu => Activation::Relu,
            Self::Sigmoid => Activation::Sigmoid,
            Self::Tanh => Activation::Tanh,
            Self::None => Activation::Linear,
        }
    }
}

/// How the training targets b enter G: AttGAN-Tensorflow v1's `--b_distribution`
/// (train.py at 4b00e6c, lines 46 and 108-113). Each target element is
/// (2b - 1) * thres_int times a random scale drawn per element and per step; the attribute loss
/// still asks for b itself.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum TargetDistribution {
    /// Scale 1: the targets are +-thres_int (`none`, the paper's and the default).
    None,
    /// Scale 2u, u uniform in [0, 1): `(2b - 1) * U[0, 1) * (2 * thres_int)` (`uniform`).
    Uniform,
    /// Scale (t + 2) / 2, t a standard normal re-drawn beyond +-2: `(2b - 1) * (t + 2) / 4 *
    /// (2 * thres_int)` (`truncated_normal`, TensorFlow's truncated normal).
    TruncatedNormal,
}

impl TargetDistribution {
    /// The name AttGAN-Tensorflow's flag uses: `none`, `uniform`, `truncated_normal`.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Uniform => "uniform",
            Self::TruncatedNormal => "truncated_normal",
        }
    }

    /// `n` scales drawn from `rng` (none for [`TargetDistribution::None`], which draws nothing).
    pub fn scales<R: rand::Rng + ?Sized>(self, n: usize, rng: &mut R) -> Option<Vec<f32>> {
        use rand_distr::{Distribution, StandardNormal};
        match self {
            Self::None => None,
            Self::Uniform => Some((0..n).map(|_| 2.0 * rng.random::<f32>()).collect()),
            Self::TruncatedNormal => Some(
                (0..n)
                    .map(|_| {
                        loop {
                            let t: f32 = StandardNormal.sample(rng);
                            if t.abs() <= 2.0 {
                                break (t + 2.0) / 2.0;
                            }
                        }
                    })
                    .collect(),
            ),
        }
    }
}

impl std::str::FromStr for TargetDistribution {
    type Err = crate::error::AttGanError;
    fn from_str(s: &str) -> crate::error::Result<Self> {
        [Self::None, Self::Uniform, Self::TruncatedNormal].into_iter().find(|d| d.name() == s).ok_or_else(|| {
            crate::error::AttGanError::InvalidConfig(format!(
                "b_distribution `{s}`: expected none, uniform or truncated_normal"
            ))
        })
    }
}

/// How the weights start. Biases exist only where no norm follows (Gdec's last layer, D's
/// heads, and layers configured without a norm).
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum WeightInit {
    /// Burn's and PyTorch's default (AttGAN-PyTorch): Kaiming uniform with gain 1/sqrt(3),
    /// weights and biases alike within +-1/sqrt(fan_in).
    Kaiming,
    /// TensorFlow's default (the paper's code, AttGAN-Tensorflow v1): Glorot (Xavier) uniform
    /// weights within +-sqrt(6 / (fan_in + fan_out)), zero biases.
    Glorot,
}

/// The AttGAN architecture. [`AttGanConfig::default`] is the paper's 128x128 model with the
/// 13 default CelebA attributes, one shortcut and one injection layer.
#[derive(Config, Debug, PartialEq)]
pub struct AttGanConfig {
    /// Side of the square input and output images, in pixels.
    #[config(default = 128)]
    pub image_size: usize,
    /// The attributes the generator is conditioned on and the classifier predicts, in order.
    #[config(default = "DEFAULT_ATTRIBUTES.iter().map(|s| s.to_string()).collect()")]
    pub attributes: Vec<String>,
    /// Channels of Genc's first layer; layer i has min(enc_dim * 2^i, max_dim).
    #[config(default = 64)]
    pub enc_dim: usize,
    /// Number of stride-2 convolutions in Genc.
    #[config(default = 5)]
    pub enc_layers: usize,
    /// Normalisation in Genc.
    #[config(default = "Norm::Batch")]
    pub enc_norm: Norm,
    /// Channel scale of Gdec; its layer i (but the last) has min(dec_dim * 2^(n-1-i), max_dim).
    #[config(default = 64)]
    pub dec_dim: usize,
    /// Number of stride-2 transposed convolutions in Gdec; must equal `enc_layers`.
    #[config(default = 5)]
    pub dec_layers: usize,
    /// Normalisation in Gdec.
    #[config(default = "Norm::Batch")]
    pub dec_norm: Norm,
    /// Channels of the shared D/C trunk's first layer.
    #[config(default = 64)]
    pub dis_dim: usize,
    /// Number of stride-2 convolutions in the D/C trunk.
    #[config(default = 5)]
    pub dis_layers: usize,
    /// Normalisation in the D/C trunk.
    #[config(default = "Norm::Instance")]
    pub dis_norm: Norm,
    /// Whether D's first layer is normalised too, as every layer of the paper's D is. Without
    /// it (as in PatchGAN's and StarGAN's critics) the first layer's biases and activation can
    /// threshold absolute colours before any normalisation, so C can read an attribute that is an
    /// absolute brightness (the synthetic world's Pale_Skin), which instance norm on the first
    /// layer's maps hides from it.
    #[config(default = true)]
    pub dis_first_norm: bool,
    /// Width of the hidden fully connected layer of each head (adversarial and classifier).
    #[config(default = 1024)]
    pub dis_fc_dim: usize,
    /// Upper bound on any convolution's channel count.
    #[config(default = 1024)]
    pub max_dim: usize,
    /// How many decoder layers receive the mirrored encoder feature map (U-Net style skip).
    #[config(default = 1)]
    pub shortcut_layers: usize,
    /// How many decoder layers receive the tiled attribute vector again, besides the latent.
    #[config(default = 1)]
    pub inject_layers: usize,
    /// The non-linearity after each Genc layer.
    #[config(default = "Nonlinearity::LeakyRelu")]
    pub enc_activation: Nonlinearity,
    /// The non-linearity after each Gdec layer but the last (which is always tanh).
    #[config(default = "Nonlinearity::Relu")]
    pub dec_activation: Nonlinearity,
    /// The non-linearity after each layer of the D/C trunk.
    #[config(default = "Nonlinearity::LeakyRelu")]
    pub dis_activation: Nonlinearity,
    /// The non-linearity after the hidden FC layer of D's and C's heads. The paper's
    /// TensorFlow code uses LeakyReLU; AttGAN-PyTorch's `train.py` defaults to ReLU
    /// (`--dis_fc_acti relu`), and its published models were trained so.
    #[config(default = "Nonlinearity::LeakyRelu")]
    pub dis_fc_activation: Nonlinearity,
    /// Negative slope of every LeakyReLU: 0.2 in the paper's TensorFlow code, 0.01 in
    /// AttGAN-PyTorch (its `nn.LeakyReLU()` keeps PyTorch's default).
    #[config(default = 0.2)]
    pub leaky_slope: f64,
    /// Batch norm's momentum, the weight of each batch in the running statistics that
    /// inference uses: 0.1 in Burn and PyTorch (AttGAN-PyTorch); the paper's TF slim batch norm
    /// has decay 0.999, i.e. momentum 0.001 (an average over ~1000 batches instead of ~10).
    #[config(default = 0.1)]
    pub bn_momentum: f64,
    /// Batch norm's epsilon: 1e-5 in Burn and PyTorch, 1e-3 in TF slim.
    #[config(default = 1e-5)]
    pub bn_epsilon: f64,
    /// How the weights start: PyTorch's Kaiming uniform, or TensorFlow's Glorot with zero biases.
    #[config(default = "WeightInit::Kaiming")]
    pub weight_init: WeightInit,
    /// Attributes enter G as (2a - 1) * thres_int.
    #[config(default = 0.5)]
    pub thres_int: f64,
    /// The intensity of an edit at test time unless one is given: an edited attribute enters G
    /// as +-test_int (AttGAN's `test_int`).
    #[config(default = 1.0)]
    pub test_int: f64,
}

/// The fields added to [`AttGanConfig`] after its first release, with the values that configs
/// written before them meant: a JSON config that lacks one reads as it did then.
const ADDED_FIELDS: [(&str, &str); 8] = [
    ("enc_activation", "\"LeakyRelu\""),
    ("dec_activation", "\"Relu\""),
    ("dis_activation", "\"LeakyRelu\""),
    ("dis_fc_activation", "\"LeakyRelu\""),
    ("test_int", "1.0"),
    ("bn_momentum", "0.1"),
    ("bn_epsilon", "1e-5"),
    ("weight_init", "\"Kaiming\""),
];

/// Fills in, in a JSON AttGAN config (an object), the fields that configs written before they
/// existed lack. Anything else is left to the deserializer to judge.
pub fn upgrade_json(config: &mut serde_json::Value) {
    if let Some(object) = config.as_object_mut() {
        for (field, value) in ADDED_FIELDS {
            object.entry(field).or_insert_with(|| serde_json::from_str(value).expect("a JSON literal"));
        }
    }
}

impl Default for AttGanConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl AttGanConfig {
    /// `norm` with this model's batch-norm settings.
    pub fn norm_spec(&self, norm: Norm) -> crate::layers::NormSpec {
        crate::layers::NormSpec { norm, bn_momentum: self.bn_momentum, bn_epsilon: self.bn_epsilon }
    }

    /// A block of this model with `norm` and `activation`.
    pub fn block_spec(&self, norm: Norm, activation: crate::layers::Activation) -> crate::layers::BlockSpec {
        crate::layers::BlockSpec { norm: self.norm_spec(norm), activation, init: self.weight_init }
    }

    /// Number of attributes.
    pub fn n_attrs(&self) -> usize {
        self.attributes.len()
    }

    /// Output channels of Genc's layer `i`.
    pub fn enc_channels(&self, i: usize) -> usize {
        (self.enc_dim << i).min(self.max_dim)
    }

    /// Output channels of Gdec's layer `i` (3 for the last one).
    pub fn dec_channels(&self, i: usize) -> usize {
        if i + 1 == self.dec_layers { 3 } else { (self.dec_dim << (self.dec_layers - 1 - i)).min(self.max_dim) }
    }

    /// Input channels of Gdec's layer `i`: the previous output plus the shortcut and the
    /// injected attributes where this layer takes them.
    pub fn dec_in_channels(&self, i: usize) -> usize {
        if i == 0 {
            return self.enc_channels(self.enc_layers - 1) + self.n_attrs();
        }
        let mut n = self.dec_channels(i - 1);
        if self.shortcut_layers > i - 1 {
            n += self.enc_channels(self.enc_layers - 1 - i);
        }
        if self.inject_layers > i - 1 {
            n += self.n_attrs();
        }
        n
    }

    /// Output channels of the D/C trunk's layer `i`.
    pub fn dis_channels(&self, i: usize) -> usize {
        (self.dis_dim << i).min(self.max_dim)
    }

    /// Normalisation of the D/C trunk's layer `i`: `dis_norm`, except none on the first layer
    /// when `dis_first_norm` is false.
    pub fn dis_layer_norm(&self, i: usize) -> Norm {
        if i == 0 && !self.dis_first_norm { Norm::None } else { self.dis_norm }
    }

    /// Spatial side of the trunk's last feature map.
    pub fn dis_feature_size(&self) -> usize {
        self.image_size >> self.dis_layers
    }

    /// Length of the flattened trunk output that feeds both heads.
    pub fn dis_flat_features(&self) -> usize {
        let s = self.dis_feature_size();
        self.dis_channels(self.dis_layers - 1) * s * s
    }

    /// Index of an attribute in this model's attribute list.
    pub fn attribute_index(&self, name: &str) -> crate::error::Result<usize> {
        crate::attributes::position_of(&self.attributes, name)
    }

    /// Checks that the configuration describes a network that can be built and run.
    pub fn validate(&self) -> crate::error::Result<()> {
        let fail = |msg: String| Err(AttGanError::InvalidConfig(msg));
        if let Some(problem) = crate::attributes::list_problem(&self.attributes) {
            return fail(problem);
        }
        for (field, value) in [
            ("enc_dim", self.enc_dim),
            ("dec_dim", self.dec_dim),
            ("dis_dim", self.dis_dim),
            ("dis_fc_dim", self.dis_fc_dim),
            ("max_dim", self.max_dim),
            ("enc_layers", self.enc_layers),
            ("dec_layers", self.dec_layers),
            ("dis_layers", self.dis_layers),
        ] {
            if value == 0 {
                return fail(format!("`{field}` must be at least 1, got 0"));
            }
        }
        if !(self.bn_momentum > 0.0 && self.bn_momentum <= 1.0) {
            return fail(format!("`bn_momentum` must be in (0, 1], got {}", self.bn_momentum));
        }
        if !(self.bn_epsilon.is_finite() && self.bn_epsilon > 0.0) {
            return fail(format!("`bn_epsilon` must be positive, got {}", self.bn_epsilon));
        }
        if self.dec_layers != self.enc_layers {
            return fail(format!(
                "`dec_layers` ({}) must equal `enc_layers` ({}) so that Gdec returns to the input size",
                self.dec_layers, self.enc_layers
            ));
        }
        for (field, layers) in [("enc_layers", self.enc_layers), ("dis_layers", self.dis_layers)] {
            if layers >= usize::BITS as usize
                || !self.image_size.is_multiple_of(1 << layers)
                || self.image_size >> layers == 0
            {
                return fail(format!(
                    "`image_size` ({}) must be a positive multiple of 2^{field} = 2^{layers}",
                    self.image_size
                ));
            }
        }
        if self.shortcut_layers > self.dec_layers - 1 {
            return fail(format!(
                "`shortcut_layers` ({}) must be at most dec_layers - 1 = {}",
                self.shortcut_layers,
                self.dec_layers - 1
            ));
        }
        if self.inject_layers > self.dec_layers - 1 {
            return fail(format!(
                "`inject_layers` ({}) must be at most dec_layers - 1 = {}",
                self.inject_layers,
                self.dec_layers - 1
            ));
        }
        if !(0.0..1.0).contains(&self.leaky_slope) {
            return fail(format!("`leaky_slope` must be in [0, 1), got {}", self.leaky_slope));
        }
        if !(self.thres_int > 0.0 && self.thres_int.is_finite()) {
            return fail(format!("`thres_int` must be positive, got {}", self.thres_int));
        }
        if !self.test_int.is_finite() {
            return fail(format!("`test_int` must be finite, got {}", self.test_int));
        }
        Ok(())
    }

    /// Reads a JSON config file (one written before a field existed reads with that field's
    /// old meaning, see [`upgrade_json`]) and validates it; errors name the file.
    pub fn from_json_file(path: impl AsRef<std::path::Path>) -> crate::error::Result<Self> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|source| AttGanError::Io { path: path.to_path_buf(), source })?;
        let in_file = |e: String| AttGanError::InvalidConfig(format!("{}: {e}", path.display()));
        let mut json: serde_json::Value = serde_json::from_str(&text).map_err(|e| in_file(e.to_string()))?;
        upgrade_json(&mut json);
        let config: Self = serde_json::from_value(json).map_err(|e| in_file(e.to_string()))?;
        config.validate().map_err(|e| match e {
            AttGanError::InvalidConfig(message) => in_file(message),
            other => other,
        })?;
        Ok(config)
    }
}
