//! An export as one `.safetensors` file, readable from Python with `safetensors.torch.load_file`.
//!
//! Keys are AttGAN-PyTorch's state-dict keys (see [`crate::pytorch::layout`]) behind the network's
//! name: `G.enc_layers.0.layers.0.weight`, ..., and, when the export has C, `D.conv.0...` and
//! `D.fc_cls...` (C is D's trunk and classifier head; D's critic head is not exported). Tensors are
//! f32 in PyTorch's layout (`nn.Linear` weights [out, in]), with each batch norm's
//! `num_batches_tracked` (i64, 0), so that
//! `G.load_state_dict({k[2:]: v for k, v in load_file(f).items() if k.startswith("G.")})` loads
//! into AttGAN-PyTorch's `Generator`. The header's metadata holds the configuration:
//! `attgan_config` (the [`AttGanConfig`] as JSON) and `format` ([`FORMAT`]).

use std::collections::HashMap;
use std::path::Path;

use ::safetensors::{Dtype, SafeTensors, tensor::TensorView};
use burn::tensor::backend::Backend;
use burn::tensor::{DType, TensorData};

use crate::atomic::write_atomically;
use crate::config::AttGanConfig;
use crate::discriminator::Classifier;
use crate::error::{AttGanError, Result};
use crate::generator::Generator;
use crate::pytorch::layout::{StateDict, describe_misfits, load_state_dict, state_dict};

/// The `format` metadata of the files this module writes.
pub const FORMAT: &str = "attgan-export-1";
/// The metadata key of the configuration.
pub const CONFIG_KEY: &str = "attgan_config";

/// Writes G, C when given, and the configuration to `path`, atomically.
pub fn save_safetensors<B: Backend>(
    g: &Generator<B>,
    c: Option<&Classifier<B>>,
    config: &AttGanConfig,
    path: &Path,
) -> Result<()> {
    let fail = |message: String| AttGanError::Weights { path: path.to_path_buf(), message };
    let mut tensors: Vec<(String, TensorData)> =
        state_dict(g).into_iter().map(|(k, v)| (format!("G.{k}"), v)).collect();
    if let Some(c) = c {
        tensors.extend(state_dict(c).into_iter().map(|(k, v)| (format!("D.{k}"), v)));
    }
    let views = tensors
        .iter()
        .map(|(k, v)| {
            let dtype = if v.dtype == DType::I64 { Dtype::I64 } else { Dtype::F32 };
            TensorView::new(dtype, v.shape.to_vec(), v.as_bytes()).map(|view| (k.clone(), view))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| fail(e.to_string()))?;
    let config_json = serde_json::to_string(config).expect("the config serialises");
    let metadata = HashMap::from([(CONFIG_KEY.to_string(), config_json), ("format".to_string(), FORMAT.to_string())]);
    let bytes = ::safetensors::serialize(views, Some(metadata)).map_err(|e| fail(e.to_string()))?;
    write_atomically(path, &bytes)
}

/// A model read from a `.safetensors` export.
#[derive(Debug, Clone)]
pub struct Loaded<B: Backend> {
    /// Its configuration.
    pub config: AttGanConfig,
    /// G.
    pub generator: Generator<B>,
    /// C, when the file has it.
    pub classifier: Option<Classifier<B>>,
}

/// Reads an export written by [`save_safetensors`]. Errors name the file, and the key where a
/// tensor is missing or does not fit.
pub fn load_safetensors<B: Backend>(path: &Path, device: &B::Device) -> Result<Loaded<B>> {
    let fail = |message: String| AttGanError::Weights { path: path.to_path_buf(), message };
    let bytes = std::fs::read(path).map_err(|source| AttGanError::Io { path: path.to_path_buf(), source })?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| fail(format!("not a safetensors file ({e})")))?;
    let config_json = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(CONFIG_KEY))
        .ok_or_else(|| fail(format!("no `{CONFIG_KEY}` in the header's metadata: not an AttGAN export")))?;
    let mut json: serde_json::Value =
        serde_json::from_str(config_json).map_err(|e| fail(format!("`{CONFIG_KEY}`: {e}")))?;
    crate::config::upgrade_json(&mut json);
    let config: AttGanConfig = serde_json::from_value(json).map_err(|e| fail(format!("`{CONFIG_KEY}`: {e}")))?;
    config.validate().map_err(|e| fail(e.to_string()))?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| fail(e.to_string()))?;
    let mut g = StateDict::new();
    let mut d = StateDict::new();
    for (name, view) in file.tensors() {
        let data = match view.dtype() {
            Dtype::F32 => TensorData::from_bytes_vec(view.data().to_vec(), view.shape().to_vec(), DType::F32),
            Dtype::I64 => TensorData::from_bytes_vec(view.data().to_vec(), view.shape().to_vec(), DType::I64),
            other => return Err(fail(format!("`{name}` is {other:?}; an export holds f32 (and i64 counters)"))),
        };
        match name.split_once('.') {
            Some(("G", key)) => g.insert(key.to_string(), data),
            Some(("D", key)) => d.insert(key.to_string(), data),
            _ => return Err(fail(format!("unexpected tensor `{name}`: keys start with `G.` or `D.`"))),
        };
    }
    let misfit = |net: &str, m: Vec<crate::pytorch::layout::Misfit>| {
        fail(describe_misfits(net, &m, "the file does not hold the networks of its own configuration"))
    };
    let generator = load_state_dict(config.init_generator::<B>(device), &g, |_| false).map_err(|m| misfit("G", m))?;
    let classifier = if d.is_empty() {
        None
    } else {
        Some(load_state_dict(config.init_classifier::<B>(device), &d, |_| false).map_err(|m| misfit("D", m))?)
    };
    Ok(Loaded { config, generator, classifier })
}
