//! The presets pinned to the reference implementations, value by value, each with the file and
//! line of the reference it comes from (AttGAN-Tensorflow v1 at 4b00e6c, AttGAN-PyTorch at
//! be2d6c6, AttGAN-Tensorflow v2 at f1231fc).

use attgan_core::attributes::{DEFAULT_ATTRIBUTES, TargetDistribution};
use attgan_core::config::{Nonlinearity, Norm, WeightInit};
use attgan_core::image::{Crop, Preprocess, Resize};
use attgan_core::{AttGanConfig, LossConfig};
use attgan_train::data::{DataConfig, Split, SplitChoice, SplitScheme, Variant};
use attgan_train::training::preset::tf2_load_size;
use attgan_train::{LrSchedule, Preset, TrainingConfig};

/// What every reference shares: the 128x128 architecture and the losses.
fn assert_shared_architecture(m: &AttGanConfig, preset: Preset) {
    let p = preset.name();
    assert_eq!(m.image_size, 128, "{p}: --img_size 128 (README)");
    assert_eq!(m.attributes, DEFAULT_ATTRIBUTES.map(String::from).to_vec(), "{p}: the 13 default attributes");
    // TF v1 train.py 33-39; PyTorch train.py 41-47; TF v2 module.py 107-110.
    assert_eq!((m.enc_dim, m.dec_dim, m.dis_dim, m.dis_fc_dim), (64, 64, 64, 1024), "{p}: dims");
    assert_eq!((m.enc_layers, m.dec_layers, m.dis_layers), (5, 5, 5), "{p}: layers");
    // TF v1 models.py MAX_DIM = 64 * 16; PyTorch attgan.py line 16.
    assert_eq!(m.max_dim, 1024, "{p}: MAX_DIM");
    // The READMEs' training commands: --shortcut_layers 1 --inject_layers 1 (TF v1 README
    // 85-86, PyTorch README 63-64; TF v2 module.py 109).
    assert_eq!((m.shortcut_layers, m.inject_layers), (1, 1), "{p}: shortcut and inject layers");
    // Batch norm in G, instance norm in D (TF v1 models.py 24-25, 38-39, 70; PyTorch train.py
    // 48-50; TF v2 module.py 21, 48, 81 with get_model's defaults).
    assert_eq!((m.enc_norm, m.dec_norm, m.dis_norm), (Norm::Batch, Norm::Batch, Norm::Instance), "{p}: norms");
    assert_eq!(
        (m.enc_activation, m.dec_activation, m.dis_activation),
        (Nonlinearity::LeakyRelu, Nonlinearity::Relu, Nonlinearity::LeakyRelu),
        "{p}: activations"
    );
}

/// What every reference's run shares: batch 32, n_d 5, Adam 2e-4, the paper's loss weights,
/// targets at +-thres_int.
fn assert_shared_run(c: &TrainingConfig, preset: Preset) {
    let p = preset.name();
    // TF v1 train.py 43-45; PyTorch train.py 63, 65, 68; TF v2 train.py 31, 32, 37.
    assert_eq!((c.batch_size, c.n_d, c.lr), (32, 5, 2e-4), "{p}: batch, n_d, lr");
    // rec 100, G's attribute 10, D's attribute 1, penalty 10: TF v1 train.py 146 and 159,
    // PyTorch train.py 56-59 (lambda_1..3, lambda_gp), TF v2 train.py 41-44.
    assert_eq!(c.losses, LossConfig::new(), "{p}: loss weights");
    let l = &c.losses;
    assert_eq!((l.rec_weight, l.g_attr_weight, l.d_attr_weight, l.gp_weight), (100.0, 10.0, 1.0, 10.0));
    // --b_distribution none: TF v1 train.py 46, PyTorch train.py 70; TF v2 has no other.
    assert_eq!(c.b_distribution, TargetDistribution::None, "{p}: b_distribution");
    assert_eq!(c.test_int, c.model.test_int, "{p}: the sample grids flip at the model's test_int");
}

#[test]
fn paper_is_attgan_tensorflow_v1() {
    let m = Preset::Paper.model();
    assert_shared_architecture(&m, Preset::Paper);
    // models.py 16 (tf.nn.leaky_relu, alpha 0.2), used after D's hidden FC layers (78, 81).
    assert_eq!((m.leaky_slope, m.dis_fc_activation), (0.2, Nonlinearity::LeakyRelu));
    // models.py 17: slim.batch_norm, decay 0.999 (momentum 0.001), epsilon 0.001.
    assert_eq!((m.bn_momentum, m.bn_epsilon), (0.001, 1e-3));
    // slim's conv2d / conv2d_transpose / fully_connected: Glorot uniform, zero biases.
    assert_eq!(m.weight_init, WeightInit::Glorot);
    // train.py 47-48: --thres_int 0.5, --test_int 1.0.
    assert_eq!((m.thres_int, m.test_int), (0.5, 1.0));

    let c = Preset::Paper.config(m.clone());
    assert_shared_run(&c, Preset::Paper);
    // train.py 42: --epoch 200; 232: lr_base / 10 ** (epoch // 100).
    assert_eq!((c.epochs, c.schedule), (200, LrSchedule::Step { every: 100, factor: 0.1 }));
    // data.py: no flip anywhere in the pipeline (186-195).
    assert!(!c.hflip);
    // data.py 200-208: train [:182000], val [182000:182637], test [182637:].
    assert_eq!(c.data.split, SplitChoice::AttGan);
    assert_eq!(c.data.split.scheme(Variant::Celeba), SplitScheme::Rows { train_end: 182_000, val_end: 182_637 });
    // data.py 183-185 and 189: 170x170 at (26, 3); 192: resize_images(..., BICUBIC).
    assert_eq!(c.data.preprocess, Preprocess::new(Crop::Celeba).with_resize(Resize::TfBicubic));
    assert_eq!(Crop::CELEBA_BOX.left, 3);
    assert_eq!((Crop::CELEBA_BOX.top, Crop::CELEBA_BOX.width), (26, 170));
    assert!(!c.data.random_crop);
    // data.py 177-181: at 64x64, 148x148 at (40, 15), "as how VAE/GAN do".
    let c64 = Preset::Paper.config(m.with_image_size(64));
    assert_eq!(c64.data.preprocess.crop, Crop::Celeba64);
    assert_eq!(Crop::Celeba64.region(178, 218), Crop::CELEBA_64_BOX);
    let b = Crop::CELEBA_64_BOX;
    assert_eq!((b.top, b.left, b.width, b.height), (40, 15, 148, 148));
    // And it is the default of a training run.
    let default = TrainingConfig::new(Preset::Paper.model());
    assert_eq!(
        (default.epochs, default.n_d, default.schedule, default.hflip, &default.data),
        (c.epochs, c.n_d, c.schedule, c.hflip, &c.data)
    );
}

#[test]
fn pytorch_is_attgan_pytorch() {
    let m = Preset::Pytorch.model();
    assert_shared_architecture(&m, Preset::Pytorch);
    // nn.py 46: nn.LeakyReLU() (slope 0.01); train.py 55: --dis_fc_acti relu.
    assert_eq!((m.leaky_slope, m.dis_fc_activation), (0.01, Nonlinearity::Relu));
    // nn.py 31: nn.BatchNorm2d (momentum 0.1, eps 1e-5); PyTorch's default init.
    assert_eq!((m.bn_momentum, m.bn_epsilon, m.weight_init), (0.1, 1e-5, WeightInit::Kaiming));
    // train.py 71-72: --thres_int 0.5, --test_int 1.0.
    assert_eq!((m.thres_int, m.test_int), (0.5, 1.0));

    let c = Preset::Pytorch.config(m);
    assert_shared_run(&c, Preset::Pytorch);
    // train.py 62: --epochs 200; 134: lr_base / (10 ** (epoch // 100)).
    assert_eq!((c.epochs, c.schedule), (200, LrSchedule::PAPER));
    assert!(!c.hflip, "data.py 57-62 has no flip");
    // data.py 47-55: the same row split.
    assert_eq!(c.data.split, SplitChoice::AttGan);
    // data.py 58-59: CenterCrop(170) (top 24, left 4 of 178x218), Resize: PIL's bilinear.
    assert_eq!(c.data.preprocess, Preprocess::new(Crop::CentreOf(170)).with_resize(Resize::Bilinear));
    let r = Crop::CentreOf(170).region(178, 218);
    assert_eq!((r.top, r.left, r.width, r.height), (24, 4, 170, 170));
}

#[test]
fn tf2_is_attgan_tensorflow_v2() {
    let m = Preset::Tf2.model();
    assert_shared_architecture(&m, Preset::Tf2);
    // module.py 23, 83, 92, 95: tf.nn.leaky_relu (0.2), also after D's hidden FC layers.
    assert_eq!((m.leaky_slope, m.dis_fc_activation), (0.2, Nonlinearity::LeakyRelu));
    // utils.py 32: slim.batch_norm; slim's layers start from Glorot.
    assert_eq!((m.bn_momentum, m.bn_epsilon, m.weight_init), (0.001, 1e-3, WeightInit::Glorot));
    // train.py 102, 160-161: G takes b * 2 - 1 (thres_int 1); 48: --test_int 2.0.
    assert_eq!((m.thres_int, m.test_int), (1.0, 2.0));

    let c = Preset::Tf2.config(m);
    assert_shared_run(&c, Preset::Tf2);
    // train.py 29-30: --n_epochs 60, --epoch_start_decay 30; 281, 287: LinearDecayLR per epoch.
    assert_eq!((c.epochs, c.schedule), (60, LrSchedule::LinearByEpoch { start: 30 }));
    // data.py 47: tf.image.random_flip_left_right.
    assert!(c.hflip);
    // train.py 25-26: --load_size 143, --crop_size 128; data.py 45/56: tf.image.resize
    // (bilinear), 48: random_crop in training, 57: center_crop otherwise.
    assert_eq!(tf2_load_size(128), 143);
    assert_eq!(
        c.data.preprocess,
        Preprocess::new(Crop::Centre).with_resize(Resize::TfBilinear).with_load_size(Some(143))
    );
    assert!(c.data.random_crop);
    assert_eq!(c.data.training_image_size(128), 143, "the step crops the training images");
    let train = c.data.options(Variant::Celeba, Split::Train, &c.model.attributes, 128);
    assert_eq!((train.image_size, train.preprocess.load_size), (143, None));
    let valid = c.data.options(Variant::Celeba, Split::Val, &c.model.attributes, 128);
    assert_eq!((valid.image_size, valid.preprocess.load_size), (128, Some(143)));
    assert_eq!(c.step_settings().random_crop, Some(128));
    // The v2 schedule, as tflib/utils/learning_rate.py 13-18 computes it.
    let tf = |ep: usize| if ep >= 30 { 2e-4 * (1.0 - 1.0 / 31.0 * (ep - 30 + 1) as f64) } else { 2e-4 };
    for done in [0.0, 29.9, 30.0, 30.5, 45.2, 59.0, 59.99] {
        let rate = c.schedule.rate(2e-4, done, 60);
        assert!((rate - tf(done as usize)).abs() < 1e-15, "epoch {done}: {rate} vs {}", tf(done as usize));
    }
    assert!((c.schedule.rate(2e-4, 59.5, 60) - 2e-4 / 31.0).abs() < 1e-15, "the last epoch is not at 0");
}

#[test]
fn synthetic_is_the_quick_cpu_run_and_reads_the_worlds_partition() {
    let c = TrainingConfig::synthetic();
    assert_eq!(c.model, Preset::Synthetic.model());
    assert_eq!((c.model.image_size, c.model.enc_dim, c.model.enc_layers), (32, 16, 4));
    assert_eq!((c.epochs, c.n_d, c.lr, c.schedule), (24, 1, 1e-3, LrSchedule::Linear { start: 12 }));
    assert_eq!(c.data, DataConfig::synthetic());
    assert_eq!(c.data.split, SplitChoice::Official);
    assert_eq!(c.data.preprocess.resize, Resize::CatmullRom, "antialiased: 178 -> 32 pixels");
    // TF v2's intensities, measured better on the synthetic world (82.3% against 79.0%).
    assert_eq!((c.model.thres_int, c.model.test_int, c.test_int), (1.0, 2.0, 2.0));
    assert!(c.model.dis_first_norm, "the paper's D: its first layer normalised too");
    // Layer norm in D (instance norm hides absolute colour from C): 93.7% against 79.6%.
    assert_eq!((c.model.dis_norm, c.model.enc_norm, c.model.dec_norm), (Norm::Layer, Norm::Batch, Norm::Batch));
    for p in [Preset::Paper, Preset::Pytorch, Preset::Tf2] {
        assert_eq!(p.model().dis_norm, Norm::Instance, "{p}: the references' D");
    }
}

#[test]
fn presets_parse_by_name_and_a_bad_name_lists_them() {
    for p in Preset::ALL {
        assert_eq!(p.name().parse::<Preset>().unwrap(), p);
        assert!(Preset::ALL.iter().filter(|q| q.source() == p.source()).count() == 1);
        p.config(p.model()).validate().unwrap();
    }
    let err = "stargan".parse::<Preset>().unwrap_err();
    assert!(err.contains("`stargan`") && err.contains("paper, pytorch, tf2"), "{err}");
    let err = "partition".parse::<SplitChoice>().unwrap_err();
    assert!(err.contains("`partition`") && err.contains("official"), "{err}");
    let bad = Preset::Tf2.config(Preset::Tf2.model().with_image_size(256));
    assert_eq!(bad.data.preprocess.load_size, Some(286), "TF v2's examples.md, line 40");
    assert_eq!(tf2_load_size(384), 429, "examples.md, line 51");
    let no_room = TrainingConfig::new(Preset::Paper.model()).with_data(DataConfig::new().with_random_crop(true));
    let err = no_room.validate().unwrap_err().to_string();
    assert!(err.contains("data.random_crop"), "{err}");
    let negative = TrainingConfig::synthetic().with_losses(LossConfig::new().with_g_attr_weight(-1.0));
    let err = negative.validate().unwrap_err().to_string();
    assert!(err.contains("losses.g_attr_weight") && err.contains("-1"), "{err}");
    let nan = TrainingConfig::synthetic().with_losses(LossConfig::new().with_gp_weight(f64::NAN));
    assert!(nan.validate().unwrap_err().to_string().contains("losses.gp_weight"));
}
