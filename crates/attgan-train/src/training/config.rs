//! [`TrainingConfig`]: every option of a run, with the paper's defaults, saved beside the run as
//! `training.json` so that a resumed run can be checked against it.

use attgan_core::attributes::TargetDistribution;
use attgan_core::{AttGanConfig, LossConfig};
use burn::config::Config;

use super::lr_schedule::LrSchedule;
use crate::data::{CelebaDataset, DataConfig};
use crate::error::TrainError;
use crate::model::StepSettings;

/// Everything that shapes a training run. Defaults are the paper's training settings (batch 32,
/// 200 epochs, 5 critic steps per generator step, Adam 2e-4 with lr/10 after epoch 100, no
/// flips, AttGAN's row split and TensorFlow's bicubic resize); [`super::Preset`] sets the model's
/// too, for the paper's code and the other references.
#[derive(Config, Debug)]
pub struct TrainingConfig {
    /// The networks.
    pub model: AttGanConfig,
    /// Images per step.
    #[config(default = 32)]
    pub batch_size: usize,
    /// Epochs (passes over the training split).
    #[config(default = 200)]
    pub epochs: usize,
    /// Critic steps per generator step.
    #[config(default = 5)]
    pub n_d: usize,
    /// Adam's base learning rate (for G and D alike).
    #[config(default = 2e-4)]
    pub lr: f64,
    /// How the learning rate changes over epochs.
    #[config(default = "LrSchedule::PAPER")]
    pub schedule: LrSchedule,
    /// The loss weights.
    #[config(default = "LossConfig::new()")]
    pub losses: LossConfig,
    /// Random left-right flips of the training images (AttGAN-Tensorflow v2 flips; v1 and
    /// AttGAN-PyTorch do not).
    #[config(default = false)]
    pub hflip: bool,
    /// Which rows make each split, and how images are cropped and resized.
    #[config(default = "DataConfig::new()")]
    pub data: DataConfig,
    /// How the training targets enter G: +-thres_int (`None`, the paper's), or scaled per
    /// element by a uniform or truncated-normal draw (AttGAN-Tensorflow v1's `--b_distribution`).
    #[config(default = "TargetDistribution::None")]
    pub b_distribution: TargetDistribution,
    /// Intensity of a flipped attribute in sample grids (the official test script's 1.0).
    #[config(default = 1.0)]
    pub test_int: f64,
    /// Seed of the weights, the data order and every step's randomness.
    #[config(default = 0)]
    pub seed: u64,
    /// Steps between checkpoints (0: only at the end of each epoch).
    #[config(default = 1000)]
    pub checkpoint_every: usize,
    /// Steps between sample grids (0: only at the end of each epoch).
    #[config(default = 500)]
    pub sample_every: usize,
    /// Checkpoints kept on disk (older ones are deleted).
    #[config(default = 2)]
    pub keep_checkpoints: usize,
    /// Validation images in each sample grid.
    #[config(default = 8)]
    pub sample_images: usize,
    /// Validation images scored at the end of each epoch.
    #[config(default = 256)]
    pub valid_images: usize,
    /// Threads decoding images (0: one per core).
    #[config(default = 0)]
    pub workers: usize,
}

impl TrainingConfig {
    /// Reads a run's saved options; a run saved before a model field existed reads with that
    /// field's old meaning (see [`attgan_core::config::upgrade_json`]).
    pub fn read(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let mut json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if let Some(model) = json.get_mut("model") {
            attgan_core::config::upgrade_json(model);
        }
        // Runs written before an option existed trained as these say.
        if let Some(object) = json.as_object_mut() {
            object
                .entry("b_distribution")
                .or_insert_with(|| serde_json::to_value(TargetDistribution::None).expect("a unit variant"));
            object.entry("data").or_insert_with(|| serde_json::to_value(DataConfig::legacy()).expect("plain data"));
        }
        serde_json::from_value(json).map_err(|e| e.to_string())
    }

    /// The synthetic world's quick run: [`super::Preset::Synthetic`].
    pub fn synthetic() -> Self {
        super::Preset::Synthetic.config(super::Preset::Synthetic.model())
    }

    /// Checks every option that a run needs to make sense; the message names the option.
    pub fn validate(&self) -> crate::error::Result<()> {
        self.model.validate()?;
        check_run(self.batch_size, self.epochs, self.lr)?;
        let bad = |m: String| Err(TrainError::Options(m));
        if self.n_d == 0 {
            return bad("n_d must be at least 1 (critic steps per generator step)".into());
        }
        if let LrSchedule::Step { every: 0, .. } = self.schedule {
            return bad("a step schedule needs every >= 1 epoch".into());
        }
        let l = &self.losses;
        for (name, weight) in [
            ("rec_weight", l.rec_weight),
            ("g_attr_weight", l.g_attr_weight),
            ("d_attr_weight", l.d_attr_weight),
            ("gp_weight", l.gp_weight),
            ("adv_weight", l.adv_weight),
        ] {
            if !(weight.is_finite() && weight >= 0.0) {
                return bad(format!("losses.{name} must be a finite number >= 0, got {weight}"));
            }
        }
        self.data.validate(self.model.image_size).map_err(TrainError::Options)
    }

    /// The step settings of the Learner's model.
    pub fn step_settings(&self) -> StepSettings {
        StepSettings {
            lr: self.lr,
            losses: self.losses.clone(),
            thres_int: self.model.thres_int,
            hflip: self.hflip,
            b_distribution: self.b_distribution,
            random_crop: self.data.random_crop.then_some(self.model.image_size),
        }
    }

    /// The options a resumed run must share with the run it continues, as (name, old, new).
    pub fn resume_conflicts(&self, saved: &TrainingConfig) -> Vec<(&'static str, String, String)> {
        let mut conflicts = Vec::new();
        let mut check = |name, a: String, b: String| {
            if a != b {
                conflicts.push((name, a, b));
            }
        };
        check("model", format!("{:?}", saved.model), format!("{:?}", self.model));
        check("batch_size", saved.batch_size.to_string(), self.batch_size.to_string());
        check("n_d", saved.n_d.to_string(), self.n_d.to_string());
        check("seed", saved.seed.to_string(), self.seed.to_string());
        check("b_distribution", saved.b_distribution.name().into(), self.b_distribution.name().into());
        check("data", format!("{:?}", saved.data), format!("{:?}", self.data));
        conflicts
    }
}

/// The checks every training run shares (the GAN's and the classifier's): at least one image per
/// batch and one epoch, a positive finite learning rate. The message names the option.
pub(crate) fn check_run(batch_size: usize, epochs: usize, lr: f64) -> crate::error::Result<()> {
    let bad = |m: String| Err(TrainError::Options(m));
    if batch_size == 0 {
        return bad("batch_size must be at least 1".into());
    }
    if epochs == 0 {
        return bad("epochs must be at least 1".into());
    }
    if !(lr.is_finite() && lr > 0.0) {
        return bad(format!("lr must be a positive number, got {lr}"));
    }
    Ok(())
}

/// Checks that the training and validation splits serve what `network` (named in the message)
/// of `image_size` with `attributes` takes; the training images are `train_size` (larger than
/// `image_size` where the step takes random crops).
pub(crate) fn check_splits(
    network: &str,
    (image_size, train_size): (usize, usize),
    attributes: &[String],
    train: &CelebaDataset,
    valid: &CelebaDataset,
) -> crate::error::Result<()> {
    for (role, set, size) in [("training", train, train_size), ("validation", valid, image_size)] {
        set.require_fit(role, network, size, attributes).map_err(|e| TrainError::Options(e.to_string()))?;
    }
    Ok(())
}
