//! [`Preset`]: every setting a reference implementation fixes, by name, so that "AttGAN" says
//! which AttGAN. Each value cites the reference's file and line:
//!
//! - `paper`: AttGAN-Tensorflow at its last v1 commit (4b00e6c), trained as its README says
//!   (`--img_size 128 --shortcut_layers 1 --inject_layers 1`); the default for CelebA.
//! - `pytorch`: AttGAN-PyTorch (elvisyjlin, be2d6c6), trained as its README says
//!   (`--img_size 128 --shortcut_layers 1 --inject_layers 1`).
//! - `tf2`: AttGAN-Tensorflow's v2 (master, f1231fc), trained as its README says
//!   (`--load_size 143 --crop_size 128 --model model_128`).
//! - `synthetic`: this project's quick run on the built-in synthetic world.
//!
//! Settings every reference shares are not repeated below: Genc/Gdec/D with 64 base channels
//! and 5 layers, at most 1024 channels, D's heads 1024 wide, one shortcut and one injection
//! layer, batch norm in G and instance norm in D, LeakyReLU in Genc and D and ReLU in Gdec, the
//! loss weights 100 / 10 / 1 / 10 (reconstruction, G's attribute, D's attribute, penalty),
//! Adam (0.5, 0.999) at 2e-4, 5 critic steps per generator step, batch 32, targets at
//! +-thres_int (`b_distribution` none).

use attgan_core::attributes::TargetDistribution;
use attgan_core::config::{Nonlinearity, Norm, WeightInit};
use attgan_core::image::{Crop, Preprocess, Resize};
use attgan_core::{AttGanConfig, LossConfig};

use super::config::TrainingConfig;
use super::lr_schedule::LrSchedule;
use crate::data::{DataConfig, SplitChoice};

/// A named set of settings: the model's and the run's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The paper's code: AttGAN-Tensorflow v1 (4b00e6c).
    Paper,
    /// AttGAN-PyTorch (be2d6c6).
    Pytorch,
    /// AttGAN-Tensorflow v2 (f1231fc).
    Tf2,
    /// The synthetic world's quick CPU run (not a reference: a 32x32 model sized to learn in
    /// minutes).
    Synthetic,
}

impl Preset {
    /// Every preset, in the order of the documentation.
    pub const ALL: [Preset; 4] = [Preset::Paper, Preset::Pytorch, Preset::Tf2, Preset::Synthetic];

    /// The name [`std::str::FromStr`] reads: `paper`, `pytorch`, `tf2`, `synthetic`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Paper => "paper",
            Self::Pytorch => "pytorch",
            Self::Tf2 => "tf2",
            Self::Synthetic => "synthetic",
        }
    }

    /// What the preset reproduces, in a few words.
    pub fn source(self) -> &'static str {
        match self {
            Self::Paper => "AttGAN-Tensorflow v1 (4b00e6c), the paper's code",
            Self::Pytorch => "AttGAN-PyTorch (elvisyjlin, be2d6c6)",
            Self::Tf2 => "AttGAN-Tensorflow v2 (master, f1231fc)",
            Self::Synthetic => "the synthetic world's quick CPU run",
        }
    }

    /// The preset's networks at its own image size (128, or 32 for `synthetic`).
    pub fn model(self) -> AttGanConfig {
        let shared = AttGanConfig::new().with_shortcut_layers(1).with_inject_layers(1);
        match self {
            // models.py at 4b00e6c: slim's layers ([`tensorflow_slim`]) with tf.nn.leaky_relu
            // (line 16) in Genc, D and D's heads (lines 25, 70, 78, 81) and slim.batch_norm
            // (line 17). train.py: thres_int 0.5 (line 47), test_int 1.0 (line 48).
            Self::Paper => tensorflow_slim(shared, 0.5, 1.0),
            // nn.py line 46: nn.LeakyReLU() with PyTorch's slope 0.01; train.py line 55:
            // --dis_fc_acti relu; nn.BatchNorm2d (nn.py line 31) with momentum 0.1, eps 1e-5;
            // PyTorch's Kaiming-uniform default initialisation (no init code in nn.py);
            // train.py: thres_int 0.5 (line 71), test_int 1.0 (line 72).
            Self::Pytorch => shared
                .with_leaky_slope(0.01)
                .with_dis_fc_activation(Nonlinearity::Relu)
                .with_bn_momentum(0.1)
                .with_bn_epsilon(1e-5)
                .with_weight_init(WeightInit::Kaiming)
                .with_thres_int(0.5)
                .with_test_int(1.0),
            // module.py lines 107-110 (model_128) with utils.py's slim.batch_norm (line 32) and
            // tf.nn.leaky_relu (module.py lines 23, 83, 92, 95); train.py feeds G b * 2 - 1
            // (line 102 in the D graph, 160-161 in the G graph): thres_int 1; --test_int 2.0
            // (line 48), multiplying the flipped attribute's +-1 (line 247).
            Self::Tf2 => tensorflow_slim(shared, 1.0, 2.0),
            Self::Synthetic => AttGanConfig::new()
                .with_image_size(32)
                .with_enc_dim(16)
                .with_dec_dim(16)
                .with_dis_dim(16)
                .with_enc_layers(4)
                .with_dec_layers(4)
                .with_dis_layers(4)
                .with_dis_fc_dim(128)
                .with_max_dim(256)
                // Layer norm in D instead of the paper's instance norm: instance norm removes every
                // feature map's mean, so C cannot see absolute colour (pale skin, black or brown
                // hair) and G learns edits that only move it halfway. Layer norm keeps the
                // differences between feature maps and is still per image, as the gradient penalty
                // needs (one of TF v1's --dis_norm choices, and the critic norm the authors' own
                // WGAN-GP code defaults to). Quick run: 93.7% mean editing accuracy instead of
                // 79.6%, Pale_Skin 99.0% instead of 18.8% (docs/training.md, the probes).
                .with_dis_norm(Norm::Layer)
                // TF v2's intensities (targets at +-1, edits at +-2): the quick run reaches
                // 82.3% mean editing accuracy instead of 79.0% at v1's 0.5 and 1, with the same
                // PSNR (docs/training.md, the probes).
                .with_thres_int(1.0)
                .with_test_int(2.0),
        }
    }

    /// The run's settings for `model` (the preset's own, or one changed from it): some depend
    /// on its image size (the paper's crop at 64 pixels, TF v2's load size).
    pub fn config(self, model: AttGanConfig) -> TrainingConfig {
        let (size, test_int) = (model.image_size, model.test_int);
        // The sample grids flip attributes at the model's test_int, as each reference's do.
        let base = TrainingConfig::new(model)
            .with_losses(LossConfig::new())
            .with_b_distribution(TargetDistribution::None)
            .with_test_int(test_int);
        match self {
            // train.py at 4b00e6c: --epoch 200 (line 42), --batch_size 32 (43), --lr 2e-4
            // (44), --n_d 5 (45), lr / 10 ** (epoch // 100) (232). data.py: rows [0, 182000),
            // [182000, 182637), the rest (lines 200-208); the 170 box at (26, 3), or 148 at
            // (40, 15) for 64x64 (177-185); resize_images(..., BICUBIC) (192); no flip.
            Self::Paper => reference_run(
                base,
                (200, LrSchedule::PAPER),
                false,
                Preprocess::new(Crop::attgan_v1(size)).with_resize(Resize::TfBicubic),
            ),
            // train.py: --epochs 200 (line 62), --batch_size 32 (63), --lr 2e-4 (65), --n_d 5
            // (68), lr_base / 10 ** (epoch // 100) (134). data.py: rows [:182000],
            // [182000:182637], [182637:] (lines 47-55); CenterCrop(170), then Resize (58-59):
            // PIL's bilinear; no flip.
            Self::Pytorch => reference_run(
                base,
                (200, LrSchedule::PAPER),
                false,
                Preprocess::new(Crop::CentreOf(170)).with_resize(Resize::Bilinear),
            ),
            // train.py: --n_epochs 60 (line 29), --epoch_start_decay 30 (30), --batch_size 32
            // (31), --learning_rate 2e-4 (32), --n_d 5 (37), LinearDecayLR set once per epoch
            // (281, 287; tflib/utils/learning_rate.py 13-18). data.py: tf.image.resize to
            // --load_size 143 (train.py 25; data.py 45), random flip (47), random crop to
            // --crop_size 128 (train.py 26; data.py 48), the centred crop for validation
            // (56-57). Its images are its own square re-alignment
            // of CelebA (README, scripts/align.py): on CelebA's 178x218 aligned images the
            // preset takes their centred square first. Its train_label.txt ships with its
            // annotations; the preset uses AttGAN's row split.
            Self::Tf2 => {
                let load = Some(tf2_load_size(size));
                let preprocess = Preprocess::new(Crop::Centre).with_resize(Resize::TfBilinear).with_load_size(load);
                let mut run = reference_run(base, (60, LrSchedule::TF2), true, preprocess);
                run.data.random_crop = true;
                run
            }
            // Tuned to learn within minutes on a CPU: 1 critic step per generator step (G gets
            // half the steps: the reconstruction sharpens sooner; 27.39 dB and 94.0% against
            // 26.59 dB and 92.5% with 2), lr 1e-3 for 12 epochs then decaying linearly to 0 at
            // epoch 24, random flips.
            Self::Synthetic => base
                .with_epochs(24)
                .with_n_d(1)
                .with_lr(1e-3)
                .with_schedule(LrSchedule::Linear { start: 12 })
                .with_hflip(true)
                .with_data(DataConfig::synthetic())
                .with_checkpoint_every(500)
                .with_sample_every(200),
        }
    }
}

/// What every reference's run shares (batch 32, `n_d` 5, lr 2e-4, AttGAN's row split), with its
/// epochs and schedule, flips and preprocessing.
fn reference_run(
    base: TrainingConfig,
    (epochs, schedule): (usize, LrSchedule),
    hflip: bool,
    preprocess: Preprocess,
) -> TrainingConfig {
    base.with_batch_size(32)
        .with_n_d(5)
        .with_lr(2e-4)
        .with_epochs(epochs)
        .with_schedule(schedule)
        .with_hflip(hflip)
        .with_data(DataConfig::new().with_split(SplitChoice::AttGan).with_preprocess(preprocess))
}

/// `model` with TensorFlow slim's layers, as both AttGAN-Tensorflow versions build them:
/// `tf.nn.leaky_relu` (alpha 0.2) also after D's hidden FC layers, `slim.batch_norm` (decay
/// 0.999, i.e. momentum 0.001, epsilon 0.001), Glorot-uniform weights and zero biases (the
/// default initialisers of slim.conv2d, conv2d_transpose and fully_connected); and the given
/// `thres_int` and `test_int`.
fn tensorflow_slim(model: AttGanConfig, thres_int: f64, test_int: f64) -> AttGanConfig {
    model
        .with_leaky_slope(0.2)
        .with_dis_fc_activation(Nonlinearity::LeakyRelu)
        .with_bn_momentum(0.001)
        .with_bn_epsilon(1e-3)
        .with_weight_init(WeightInit::Glorot)
        .with_thres_int(thres_int)
        .with_test_int(test_int)
}

/// TF v2's load size for a model of `image_size`: 143/128 of it, rounded down, as its commands
/// give it: 143 for 128 (train.py, line 25), 286 for 256 and 429 for 384 (examples.md, lines
/// 40 and 51).
pub fn tf2_load_size(image_size: usize) -> u32 {
    (image_size * 143 / 128) as u32
}

impl std::str::FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s.to_ascii_lowercase())
            .ok_or_else(|| format!("unknown preset `{s}`; expected paper, pytorch, tf2 or synthetic"))
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
