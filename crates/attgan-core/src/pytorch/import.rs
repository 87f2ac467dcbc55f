//! Importing an AttGAN-PyTorch checkpoint: read the `.pth`, work out the configuration (from
//! `setting.txt`, else from the shapes; flags override either), and fill G and C with its weights.

use std::path::{Path, PathBuf};

use burn::tensor::backend::Backend;

use super::infer::{infer_config, pytorch_defaults};
use super::layout::{StateDict, describe_misfits, load_state_dict};
use super::pth::read_checkpoint;
use super::setting::Setting;
use crate::config::AttGanConfig;
use crate::discriminator::Classifier;
use crate::error::{AttGanError, Result};
use crate::generator::Generator;

/// What a misfit between the weights and the configuration usually calls for.
const SETTING_HINT: &str = "give the checkpoint's setting.txt, or check the flags";

/// What to import besides the checkpoint, and what to override.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The experiment's `setting.txt`; without it the configuration is read off the shapes.
    pub setting: Option<PathBuf>,
    /// Overrides the image size.
    pub image_size: Option<usize>,
    /// Overrides the attribute names (their number must be G's).
    pub attributes: Option<Vec<String>>,
    /// Overrides thres_int.
    pub thres_int: Option<f64>,
    /// Overrides test_int.
    pub test_int: Option<f64>,
    /// Whether to import C (D's trunk and classifier head) when the checkpoint has D.
    pub classifier: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self { setting: None, image_size: None, attributes: None, thres_int: None, test_int: None, classifier: true }
    }
}

/// An imported model.
#[derive(Debug, Clone)]
pub struct Imported<B: Backend> {
    /// Its configuration.
    pub config: AttGanConfig,
    /// G with the checkpoint's weights.
    pub generator: Generator<B>,
    /// C with the checkpoint's weights, when it has D (or C) and C was asked for.
    pub classifier: Option<Classifier<B>>,
    /// How the checkpoint was written ("zip (torch >= 1.6)", ...).
    pub format: String,
    /// The checkpoint's top-level entries.
    pub entries: Vec<String>,
    /// What neither the settings nor the shapes said, and was assumed (one sentence each).
    pub assumed: Vec<String>,
}

/// Imports the AttGAN-PyTorch checkpoint at `path` onto `device`. Errors name the file, and the
/// key and shapes where a tensor does not fit.
pub fn import_checkpoint<B: Backend>(path: &Path, options: &ImportOptions, device: &B::Device) -> Result<Imported<B>> {
    let weights_error = |message: String| AttGanError::Weights { path: path.to_path_buf(), message };
    let checkpoint = read_checkpoint(path)?;
    let d = checkpoint.d.as_ref().filter(|_| options.classifier);
    let (mut config, mut assumed) = match &options.setting {
        Some(setting_path) => {
            // What the file lacks (older train.py versions wrote fewer fields) is what the
            // weights show, where they show it, else train.py's default.
            let setting = Setting::read(setting_path)?;
            let shapes = infer_config(&checkpoint.g, d).map(|i| i.config);
            let config = setting.apply(shapes.unwrap_or_else(|_| pytorch_defaults(AttGanConfig::new())))?;
            let missing = setting.missing();
            let assumed = if missing.is_empty() {
                Vec::new()
            } else {
                vec![format!(
                    "{} lacks {}: read off the weights where they show it, else train.py's defaults",
                    setting_path.display(),
                    missing.join(", ")
                )]
            };
            (config, assumed)
        }
        None => {
            let inferred = infer_config(&checkpoint.g, d).map_err(weights_error)?;
            (inferred.config, inferred.assumed)
        }
    };
    if let Some(size) = options.image_size {
        config.image_size = size;
        assumed.retain(|a| !a.starts_with("the image size"));
    }
    if let Some(names) = &options.attributes {
        config.attributes = names.clone();
        assumed.retain(|a| !a.contains("attribute"));
    }
    if let Some(t) = options.thres_int {
        config.thres_int = t;
    }
    if let Some(t) = options.test_int {
        config.test_int = t;
    }
    config.validate()?;
    let generator = load_state_dict(config.init_generator::<B>(device), &checkpoint.g, |_| false)
        .map_err(|m| weights_error(describe_misfits("G", &m, SETTING_HINT)))?;
    let classifier = match d {
        Some(d) => Some(load_classifier(&config, d, device).map_err(weights_error)?),
        None => None,
    };
    Ok(Imported { config, generator, classifier, format: checkpoint.format, entries: checkpoint.entries, assumed })
}

/// C from D's state dict (its critic head `fc_adv` is not needed to edit).
fn load_classifier<B: Backend>(
    config: &AttGanConfig,
    d: &StateDict,
    device: &B::Device,
) -> std::result::Result<Classifier<B>, String> {
    if let Some(out) = d.get("fc_cls.1.layers.0.weight").map(|t| t.shape.as_slice()[0])
        && out != config.n_attrs()
    {
        return Err(format!(
            "the attribute list has {} names but D's classifier (`fc_cls.1.layers.0.weight`) predicts {out}; \
             import G alone (no classifier) or give the {out} attributes it was trained on",
            config.n_attrs()
        ));
    }
    load_state_dict(config.init_classifier::<B>(device), d, |k| k.starts_with("fc_adv."))
        .map_err(|m| describe_misfits("D", &m, SETTING_HINT))
}
