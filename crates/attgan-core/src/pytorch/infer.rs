//! The configuration of an AttGAN-PyTorch model read off its tensor shapes, for checkpoints that
//! come without their `setting.txt`. The shapes fix the depths, widths, norms, the number of
//! attributes and the shortcut/injection layers; D's head fixes the image size. What no shape
//! shows (the activations, the attribute names, thres_int) is taken from AttGAN-PyTorch's
//! `train.py` defaults, and each such assumption is reported.

use super::layout::StateDict;
use crate::attributes::DEFAULT_ATTRIBUTES;
use crate::config::{AttGanConfig, Nonlinearity, Norm};

/// `attgan.py`'s `MAX_DIM`: no AttGAN-PyTorch layer has more channels.
pub const MAX_DIM: usize = 1024;

/// AttGAN-PyTorch's `nn.LeakyReLU()`: PyTorch's default negative slope.
pub const PYTORCH_LEAKY_SLOPE: f64 = 0.01;

/// A configuration read off the shapes, with what had to be assumed.
#[derive(Debug, Clone)]
pub struct Inferred {
    /// The configuration.
    pub config: AttGanConfig,
    /// What no tensor shows and was taken from `train.py`'s defaults, one sentence each.
    pub assumed: Vec<String>,
}

/// AttGAN-PyTorch's `train.py` defaults for what no shape shows: LeakyReLU(0.01) in Genc and
/// D's trunk, ReLU in Gdec and D's heads, thres_int 0.5, test_int 1.
pub fn pytorch_defaults(config: AttGanConfig) -> AttGanConfig {
    config
        .with_enc_activation(Nonlinearity::LeakyRelu)
        .with_dec_activation(Nonlinearity::Relu)
        .with_dis_activation(Nonlinearity::LeakyRelu)
        .with_dis_fc_activation(Nonlinearity::Relu)
        .with_leaky_slope(PYTORCH_LEAKY_SLOPE)
        .with_max_dim(MAX_DIM)
        .with_thres_int(0.5)
        .with_test_int(1.0)
}

fn shape<'a>(dict: &'a StateDict, key: &str) -> Option<&'a [usize]> {
    dict.get(key).map(|t| t.shape.as_slice())
}

/// How many blocks `{stack}.{i}.layers.0.weight` there are.
fn depth(dict: &StateDict, stack: &str) -> usize {
    (0..).take_while(|i| dict.contains_key(&format!("{stack}.{i}.layers.0.weight"))).count()
}

/// The norm of block 0 of `stack`: batch norm keeps running statistics, affine instance norm
/// only a weight, and without a norm the convolution has a bias.
fn norm_of(dict: &StateDict, stack: &str) -> Norm {
    if dict.contains_key(&format!("{stack}.0.layers.1.running_mean")) {
        Norm::Batch
    } else if dict.contains_key(&format!("{stack}.0.layers.1.weight")) {
        Norm::Instance
    } else {
        Norm::None
    }
}

/// The configuration of G's state dict `g` and, when given, D's `d`. Errors say which tensor has
/// which shape and why that fits no AttGAN.
pub fn infer_config(g: &StateDict, d: Option<&StateDict>) -> Result<Inferred, String> {
    let mut assumed = Vec::new();
    let weight = |dict: &StateDict, stack: &str, i: usize| -> Result<Vec<usize>, String> {
        let key = format!("{stack}.{i}.layers.0.weight");
        let s = shape(dict, &key).ok_or_else(|| format!("missing `{key}`"))?;
        if s.len() != 4 {
            return Err(format!("`{key}` has shape {s:?}; a convolution's weight has 4 dimensions"));
        }
        Ok(s.to_vec())
    };
    let enc_layers = depth(g, "enc_layers");
    let dec_layers = depth(g, "dec_layers");
    if enc_layers == 0 || dec_layers == 0 {
        return Err(
            "no `enc_layers.0.layers.0.weight` or `dec_layers.0.layers.0.weight`: not an AttGAN-PyTorch generator"
                .into(),
        );
    }
    if enc_layers != dec_layers {
        return Err(format!("G has {enc_layers} encoder layers but {dec_layers} decoder layers; AttGAN's are equal"));
    }
    // Conv2d weights are [out, in, k, k]; ConvTranspose2d weights [in, out, k, k].
    let enc_out: Vec<usize> =
        (0..enc_layers).map(|i| weight(g, "enc_layers", i).map(|s| s[0])).collect::<Result<_, _>>()?;
    let dec_in: Vec<usize> =
        (0..dec_layers).map(|i| weight(g, "dec_layers", i).map(|s| s[0])).collect::<Result<_, _>>()?;
    let dec_out: Vec<usize> =
        (0..dec_layers).map(|i| weight(g, "dec_layers", i).map(|s| s[1])).collect::<Result<_, _>>()?;
    let enc_dim = enc_out[0];
    let dec_dim = if dec_layers >= 2 { dec_out[dec_layers - 2] / 2 } else { enc_dim };
    let n_attrs = dec_in[0].checked_sub(enc_out[enc_layers - 1]).filter(|&n| n > 0).ok_or_else(|| {
        format!(
            "`dec_layers.0.layers.0.weight` takes {} channels, no more than the encoder's last {} (the attributes must be added)",
            dec_in[0],
            enc_out[enc_layers - 1]
        )
    })?;
    let mut config = pytorch_defaults(AttGanConfig::new())
        .with_enc_layers(enc_layers)
        .with_dec_layers(dec_layers)
        .with_enc_dim(enc_dim)
        .with_dec_dim(dec_dim)
        .with_enc_norm(norm_of(g, "enc_layers"))
        .with_dec_norm(if dec_layers > 1 { norm_of(g, "dec_layers") } else { Norm::Batch });
    // Which of Gdec's layers 1.. take the mirrored encoder output and/or the attributes again.
    let (mut shortcut, mut inject) = (Vec::new(), Vec::new());
    for i in 1..dec_layers {
        let extra = dec_in[i] as i64 - dec_out[i - 1] as i64;
        let skip = config.enc_channels(enc_layers - 1 - i) as i64;
        let n = n_attrs as i64;
        let fits: Vec<(bool, bool)> = [(false, false), (true, false), (false, true), (true, true)]
            .into_iter()
            .filter(|&(s, a)| extra == if s { skip } else { 0 } + if a { n } else { 0 })
            .collect();
        match fits.as_slice() {
            [(s, a)] => {
                shortcut.push(*s);
                inject.push(*a);
            }
            [] => {
                return Err(format!(
                    "`dec_layers.{i}.layers.0.weight` takes {} channels: the previous layer's {} plus {extra}, which is neither \
                     0, the shortcut's {skip}, the {n} attributes, nor both",
                    dec_in[i],
                    dec_out[i - 1]
                ));
            }
            _ => {
                return Err(format!(
                    "`dec_layers.{i}.layers.0.weight` cannot tell a shortcut ({skip} channels) from the attributes ({n}); \
                     give the checkpoint's setting.txt"
                ));
            }
        }
    }
    let prefix = |flags: &[bool], what: &str| -> Result<usize, String> {
        let k = flags.iter().take_while(|&&f| f).count();
        match flags[k..].iter().position(|&f| f) {
            None => Ok(k),
            Some(j) => Err(format!(
                "decoder layer {} takes the {what} but layer {} does not; AttGAN's {what} go to the first layers only",
                k + j + 1,
                k + 1
            )),
        }
    };
    config = config
        .with_shortcut_layers(prefix(&shortcut, "shortcuts")?)
        .with_inject_layers(prefix(&inject, "injected attributes")?);
    for (i, &c) in enc_out.iter().enumerate() {
        if c != config.enc_channels(i) {
            return Err(format!(
                "`enc_layers.{i}.layers.0.weight` has {c} output channels; AttGAN's encoder layer {i} has min({enc_dim} * 2^{i}, {MAX_DIM}) = {}",
                config.enc_channels(i)
            ));
        }
    }
    match d {
        Some(d) => config = with_discriminator(config, d, n_attrs)?,
        None => {
            // No D to read: D's depth follows G's, so that the configuration holds for any
            // image size G takes.
            config = config.with_dis_layers(enc_layers).with_dis_dim(enc_dim);
            assumed.push(format!(
                "the image size {} (no D in the checkpoint, and G's weights do not depend on it)",
                config.image_size
            ));
        }
    }
    if n_attrs == DEFAULT_ATTRIBUTES.len() {
        assumed.push(format!("the attributes: train.py's 13 ({})", DEFAULT_ATTRIBUTES.join(", ")));
    } else {
        config.attributes = (0..n_attrs).map(|i| format!("attribute_{i}")).collect();
        assumed.push(format!("{n_attrs} attributes named attribute_0.. (G takes {n_attrs}; give their names)"));
    }
    assumed.push("the activations: train.py's LeakyReLU(0.01) in Genc and D, ReLU in Gdec and D's heads".into());
    assumed.push("thres_int 0.5 and test_int 1 (train.py's defaults)".into());
    Ok(Inferred { config, assumed })
}

/// D's trunk, head width and, from the head's input, the image size.
fn with_discriminator(config: AttGanConfig, d: &StateDict, n_attrs: usize) -> Result<AttGanConfig, String> {
    let dis_layers = depth(d, "conv");
    if dis_layers == 0 {
        return Err("D has no `conv.0.layers.0.weight`: not an AttGAN-PyTorch discriminator".into());
    }
    let dis_dim = shape(d, "conv.0.layers.0.weight").map(|s| s[0]).unwrap_or_default();
    let last = shape(d, &format!("conv.{}.layers.0.weight", dis_layers - 1)).map(|s| s[0]).unwrap_or_default();
    let hidden = shape(d, "fc_cls.0.layers.0.weight").ok_or("D has no `fc_cls.0.layers.0.weight`")?;
    let output = shape(d, "fc_cls.1.layers.0.weight").ok_or("D has no `fc_cls.1.layers.0.weight`")?;
    let (fc_dim, flat) = (hidden[0], hidden[1]);
    let cells = flat / last.max(1);
    let side = (cells as f64).sqrt() as usize;
    if side * side != cells || cells * last != flat {
        return Err(format!(
            "`fc_cls.0.layers.0.weight` takes {flat} features, not the trunk's {last} channels times a square feature map"
        ));
    }
    if output[0] != n_attrs {
        return Err(format!(
            "D's classifier (`fc_cls.1.layers.0.weight`, shape {output:?}) predicts {} attributes, G is conditioned on {n_attrs}",
            output[0]
        ));
    }
    Ok(config
        .with_dis_layers(dis_layers)
        .with_dis_dim(dis_dim)
        .with_dis_norm(norm_of(d, "conv"))
        .with_dis_fc_dim(fc_dim)
        .with_image_size(side << dis_layers))
}
