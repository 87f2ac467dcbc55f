//! AttGAN-PyTorch's `setting.txt`: the JSON dump of `train.py`'s arguments that sits beside
//! every experiment's checkpoints. Older files lack fields that later versions added; a field
//! that is absent leaves the configuration as the weights showed it.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::config::{AttGanConfig, Nonlinearity, Norm};
use crate::error::{AttGanError, Result};

/// A parsed `setting.txt`.
#[derive(Debug, Clone)]
pub struct Setting {
    path: PathBuf,
    fields: Map<String, Value>,
}

/// A config field's setter (`AttGanConfig::with_*`).
type Setter<T> = fn(AttGanConfig, T) -> AttGanConfig;

/// The integer fields of `setting.txt` and the setters they map to.
const SIZES: [(&str, Setter<usize>); 10] = [
    ("img_size", AttGanConfig::with_image_size),
    ("shortcut_layers", AttGanConfig::with_shortcut_layers),
    ("inject_layers", AttGanConfig::with_inject_layers),
    ("enc_dim", AttGanConfig::with_enc_dim),
    ("dec_dim", AttGanConfig::with_dec_dim),
    ("dis_dim", AttGanConfig::with_dis_dim),
    ("dis_fc_dim", AttGanConfig::with_dis_fc_dim),
    ("enc_layers", AttGanConfig::with_enc_layers),
    ("dec_layers", AttGanConfig::with_dec_layers),
    ("dis_layers", AttGanConfig::with_dis_layers),
];

const NORMS: [(&str, Setter<Norm>); 3] = [
    ("enc_norm", AttGanConfig::with_enc_norm),
    ("dec_norm", AttGanConfig::with_dec_norm),
    ("dis_norm", AttGanConfig::with_dis_norm),
];

const ACTIVATIONS: [(&str, Setter<Nonlinearity>); 4] = [
    ("enc_acti", AttGanConfig::with_enc_activation),
    ("dec_acti", AttGanConfig::with_dec_activation),
    ("dis_acti", AttGanConfig::with_dis_activation),
    ("dis_fc_acti", AttGanConfig::with_dis_fc_activation),
];

impl Setting {
    /// Reads `path` (a JSON object); errors name the file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|source| AttGanError::Io { path: path.to_path_buf(), source })?;
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            AttGanError::InvalidConfig(format!("{}: not AttGAN-PyTorch's setting.txt (JSON): {e}", path.display()))
        })?;
        match value {
            Value::Object(fields) => Ok(Self { path: path.to_path_buf(), fields }),
            _ => Err(AttGanError::InvalidConfig(format!(
                "{}: expected a JSON object of train.py's arguments",
                path.display()
            ))),
        }
    }

    /// The fields `train.py` writes that this file lacks (older versions wrote fewer), among
    /// those that shape the model.
    pub fn missing(&self) -> Vec<&'static str> {
        let shaping = SIZES
            .iter()
            .map(|(k, _)| *k)
            .chain(NORMS.iter().map(|(k, _)| *k))
            .chain(ACTIVATIONS.iter().map(|(k, _)| *k));
        shaping
            .chain(["attrs", "thres_int", "test_int", "dis_fc_norm"])
            .filter(|k| !self.fields.contains_key(*k))
            .collect()
    }

    /// `config` with every field this file gives. Errors name the file, the key and the value.
    pub fn apply(&self, mut config: AttGanConfig) -> Result<AttGanConfig> {
        for (key, set) in SIZES {
            if let Some(v) = self.fields.get(key) {
                let n = v.as_u64().ok_or_else(|| self.bad(key, v, "a non-negative integer"))?;
                config = set(config, n as usize);
            }
        }
        for (key, set) in NORMS {
            if let Some(v) = self.fields.get(key) {
                config = set(config, self.norm(key, v)?);
            }
        }
        if let Some(v) = self.fields.get("dis_fc_norm")
            && v.as_str() != Some("none")
        {
            return Err(self.bad(
                "dis_fc_norm",
                v,
                "\"none\" (the only FC norm AttGAN-PyTorch's published models use and this crate builds)",
            ));
        }
        for (key, set) in ACTIVATIONS {
            if let Some(v) = self.fields.get(key) {
                config = set(config, self.activation(key, v)?);
            }
        }
        if let Some(v) = self.fields.get("attrs") {
            let names =
                v.as_array().and_then(|a| a.iter().map(|n| n.as_str().map(str::to_string)).collect::<Option<Vec<_>>>());
            config.attributes = names.ok_or_else(|| self.bad("attrs", v, "a list of attribute names"))?;
            if let Some(n) = self.fields.get("n_attrs").and_then(Value::as_u64)
                && n as usize != config.attributes.len()
            {
                return Err(self.bad(
                    "n_attrs",
                    &Value::from(n),
                    &format!("the length of `attrs` ({})", config.attributes.len()),
                ));
            }
        }
        for (key, set) in
            [("thres_int", AttGanConfig::with_thres_int as Setter<f64>), ("test_int", AttGanConfig::with_test_int)]
        {
            if let Some(v) = self.fields.get(key) {
                config = set(config, v.as_f64().ok_or_else(|| self.bad(key, v, "a number"))?);
            }
        }
        Ok(config)
    }

    fn norm(&self, key: &str, v: &Value) -> Result<Norm> {
        match v.as_str() {
            Some("batchnorm") => Ok(Norm::Batch),
            Some("instancenorm") => Ok(Norm::Instance),
            Some("none") => Ok(Norm::None),
            _ => Err(self.bad(
                key,
                v,
                "\"batchnorm\", \"instancenorm\" or \"none\" (switchnorm has no counterpart here)",
            )),
        }
    }

    fn activation(&self, key: &str, v: &Value) -> Result<Nonlinearity> {
        match v.as_str() {
            Some("lrelu") => Ok(Nonlinearity::LeakyRelu),
            Some("relu") => Ok(Nonlinearity::Relu),
            Some("sigmoid") => Ok(Nonlinearity::Sigmoid),
            Some("tanh") => Ok(Nonlinearity::Tanh),
            Some("none") => Ok(Nonlinearity::None),
            _ => Err(self.bad(key, v, "one of \"lrelu\", \"relu\", \"sigmoid\", \"tanh\", \"none\"")),
        }
    }

    fn bad(&self, key: &str, value: &Value, expected: &str) -> AttGanError {
        AttGanError::InvalidConfig(format!("{}: `{key}` is {value}, expected {expected}", self.path.display()))
    }
}
