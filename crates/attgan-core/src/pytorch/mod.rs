//! The PyTorch world: AttGAN-PyTorch's (elvisyjlin/AttGAN-PyTorch) checkpoints imported, and any
//! model exported as a `.pth` state dict with the `setting.txt` that its `test.py` reads.
//!
//! ```no_run
//! use attgan_core::pytorch::{ImportOptions, import_checkpoint};
//! use attgan_core::Editor;
//! use burn::backend::Flex;
//!
//! let device = Default::default();
//! let options = ImportOptions { setting: Some("setting.txt".into()), ..Default::default() };
//! let imported = import_checkpoint::<Flex>("weights.49.pth".as_ref(), &options, &device)?;
//! let mut editor = Editor::new(imported.generator, imported.config, &device);
//! if let Some(c) = imported.classifier {
//!     editor = editor.with_classifier(c);
//! }
//! editor.save("attgan-128")?; // an export that `edit` and `Editor::load` read
//! # Ok::<(), attgan_core::AttGanError>(())
//! ```

pub mod import;
pub mod infer;
pub mod layout;
pub mod pickle;
pub mod pth;
pub mod setting;

use std::path::Path;

use burn::tensor::backend::Backend;

pub use import::{ImportOptions, Imported, import_checkpoint};
pub use layout::{StateDict, key_of, load_state_dict, state_dict};
pub use pth::{Checkpoint, read_checkpoint, write_pth};
pub use setting::Setting;

use crate::config::{AttGanConfig, Nonlinearity, Norm};
use crate::discriminator::Classifier;
use crate::error::{AttGanError, Result};
use crate::generator::Generator;

/// Writes G (as `G`) and, when given, C (as `C`: D's `conv.*` and `fc_cls.*` keys; AttGAN-PyTorch's
/// `test.py` ignores it, this crate's import reads it) as a `.pth` that AttGAN-PyTorch loads, and
/// returns what its code would compute differently (empty when nothing): the `setting.txt`
/// written by [`write_setting`] cannot say everything.
pub fn export_pth<B: Backend>(
    g: &Generator<B>,
    c: Option<&Classifier<B>>,
    config: &AttGanConfig,
    path: &Path,
) -> Result<Vec<String>> {
    expressible(config)?;
    if c.is_some() && !config.dis_first_norm {
        return Err(AttGanError::InvalidConfig(
            "AttGAN-PyTorch cannot build this C: `dis_first_norm` is false, and its Discriminators normalise every layer"
                .into(),
        ));
    }
    let g_dict = state_dict(g);
    let c_dict = c.map(state_dict);
    let mut dicts: Vec<(&str, &[(String, burn::tensor::TensorData)])> = vec![("G", &g_dict)];
    if let Some(c_dict) = &c_dict {
        dicts.push(("C", c_dict));
    }
    write_pth(path, &dicts)?;
    Ok(differences(config))
}

/// Fails, naming the field, on a configuration that AttGAN-PyTorch's `Generator` cannot build.
fn expressible(config: &AttGanConfig) -> Result<()> {
    let fail = |m: String| Err(AttGanError::InvalidConfig(format!("AttGAN-PyTorch cannot build this model: {m}")));
    for (field, norm) in [("enc_norm", config.enc_norm), ("dec_norm", config.dec_norm), ("dis_norm", config.dis_norm)] {
        if norm == Norm::Layer {
            return fail(format!("`{field}` is layer norm, which AttGAN-PyTorch does not have"));
        }
    }
    let n = config.dec_layers;
    for i in 0..n {
        let capped = |dim: usize, shift: usize| (dim << shift).min(infer::MAX_DIM);
        if config.enc_channels(i) != capped(config.enc_dim, i)
            || (i + 1 < n && config.dec_channels(i) != capped(config.dec_dim, n - 1 - i))
        {
            return fail(format!("`max_dim` is {}; attgan.py fixes it at {}", config.max_dim, infer::MAX_DIM));
        }
        // attgan.py sizes a shortcut as half the decoder layer's output.
        if i < config.shortcut_layers && config.dec_channels(i) / 2 != config.enc_channels(n - 2 - i) {
            return fail(format!(
                "decoder layer {i}'s shortcut has {} channels, attgan.py assumes half of its {} (enc_dim must equal dec_dim)",
                config.enc_channels(n - 2 - i),
                config.dec_channels(i)
            ));
        }
    }
    Ok(())
}

/// What AttGAN-PyTorch would compute differently from this configuration.
fn differences(config: &AttGanConfig) -> Vec<String> {
    let mut found = Vec::new();
    let leaky = [config.enc_activation, config.dis_activation, config.dis_fc_activation, config.dec_activation]
        .contains(&Nonlinearity::LeakyRelu);
    if leaky && config.leaky_slope != infer::PYTORCH_LEAKY_SLOPE {
        found.push(format!(
            "this model's LeakyReLUs have slope {}; AttGAN-PyTorch's nn.py builds nn.LeakyReLU() with slope {}: \
             make add_activation use nn.LeakyReLU({}) there to get this model's outputs",
            config.leaky_slope,
            infer::PYTORCH_LEAKY_SLOPE,
            config.leaky_slope
        ));
    }
    let batch = [config.enc_norm, config.dec_norm, config.dis_norm].contains(&Norm::Batch);
    if batch && config.bn_epsilon != PYTORCH_BN_EPSILON {
        found.push(format!(
            "this model's batch norm has epsilon {}; AttGAN-PyTorch's nn.py builds nn.BatchNorm2d with PyTorch's {}: \
             pass eps={} there to get this model's outputs",
            config.bn_epsilon, PYTORCH_BN_EPSILON, config.bn_epsilon
        ));
    }
    found
}

/// nn.BatchNorm2d's default epsilon, which AttGAN-PyTorch's nn.py keeps.
const PYTORCH_BN_EPSILON: f64 = 1e-5;

/// Writes `config` as AttGAN-PyTorch's `setting.txt` (train.py's arguments as JSON, its defaults
/// for what does not shape the model), atomically, so that its `test.py` builds this model.
pub fn write_setting(config: &AttGanConfig, experiment_name: &str, path: &Path) -> Result<()> {
    let norm = |n: Norm| match n {
        Norm::Batch => "batchnorm",
        Norm::Instance => "instancenorm",
        Norm::None | Norm::Layer => "none",
    };
    let acti = |a: Nonlinearity| match a {
        Nonlinearity::LeakyRelu => "lrelu",
        Nonlinearity::Relu => "relu",
        Nonlinearity::Sigmoid => "sigmoid",
        Nonlinearity::Tanh => "tanh",
        Nonlinearity::None => "none",
    };
    // Two literals: one is too deep for serde_json's macro.
    let mut setting = serde_json::json!({
        "attrs": config.attributes,
        "data": "CelebA",
        "data_path": "data/img_align_celeba",
        "attr_path": "data/list_attr_celeba.txt",
        "image_list_path": "data/image_list.txt",
        "img_size": config.image_size,
        "shortcut_layers": config.shortcut_layers,
        "inject_layers": config.inject_layers,
        "enc_dim": config.enc_dim,
        "dec_dim": config.dec_dim,
        "dis_dim": config.dis_dim,
        "dis_fc_dim": config.dis_fc_dim,
        "enc_layers": config.enc_layers,
        "dec_layers": config.dec_layers,
        "dis_layers": config.dis_layers,
        "enc_norm": norm(config.enc_norm),
        "dec_norm": norm(config.dec_norm),
        "dis_norm": norm(config.dis_norm),
        "dis_fc_norm": "none",
        "enc_acti": acti(config.enc_activation),
        "dec_acti": acti(config.dec_activation),
        "dis_acti": acti(config.dis_activation),
        "dis_fc_acti": acti(config.dis_fc_activation),
        "thres_int": config.thres_int,
        "test_int": config.test_int,
        "experiment_name": experiment_name,
        "n_attrs": config.n_attrs(),
    });
    let training = serde_json::json!({
        "lambda_1": 100.0, "lambda_2": 10.0, "lambda_3": 1.0, "lambda_gp": 10.0,
        "mode": "wgan", "epochs": 200, "batch_size": 32, "num_workers": 0,
        "lr": 0.0002, "beta1": 0.5, "beta2": 0.999, "n_d": 5,
        "b_distribution": "none",
        "n_samples": 16, "save_interval": 1000, "sample_interval": 1000,
        "gpu": false, "multi_gpu": false,
        "lr_base": 0.0002,
        "betas": [0.5, 0.999],
    });
    if let (Some(all), serde_json::Value::Object(rest)) = (setting.as_object_mut(), training) {
        all.extend(rest);
    }
    let text = serde_json::to_string_pretty(&setting).expect("JSON");
    crate::atomic::write_atomically(path, text.as_bytes())
}
