//! STGAN's attribute classifier: shapes and size, saving and loading, training through Burn's
//! Learner on a tiny synthetic world, and the accuracy report.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use attgan_core::AttGanError;
use attgan_core::attribute_classifier::{
    ATTRIBUTE_CLASSIFIER_CONFIG_FILE, ATTRIBUTE_CLASSIFIER_FILE, AttributeClassifier, AttributeClassifierConfig,
};
use attgan_train::Display;
use attgan_train::classifier::{
    AccuracyReport, ClassifierTrainer, ClassifierTrainingConfig, StganLrScheduler, accuracy,
};
use attgan_train::data::{CelebaDataset, CelebaOptions, Split, Variant};
use attgan_train::synthetic::{SyntheticOptions, write_synthetic_celeba};
use burn::backend::{Autodiff, Flex};
use burn::data::dataset::Dataset;
use burn::module::{AutodiffModule, Module, Param};
use burn::optim::lr_scheduler::LrScheduler;
use burn::tensor::{Tensor, TensorData};

type B = Autodiff<Flex>;
type Inner = Flex;

fn lock() -> std::sync::MutexGuard<'static, ()> {
    crate::common::rng_lock()
}

fn world() -> &'static Path {
    static WORLD: OnceLock<PathBuf> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("attgan-classifier-world-{}", std::process::id()));
        write_synthetic_celeba(&dir, SyntheticOptions { n_images: 240, seed: 21, ..Default::default() }).unwrap();
        dir
    })
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attgan-classifier-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// 16x16, 2 blocks of 2 convolutions (2 and 4 channels), FC 8: a few thousand parameters.
fn tiny() -> AttributeClassifierConfig {
    AttributeClassifierConfig::new().with_image_size(16).with_dim(4).with_blocks(2).with_fc_dim(8)
}

fn open(size: usize, split: Split) -> CelebaDataset {
    CelebaDataset::open(world(), CelebaOptions::new(Variant::Celeba).with_image_size(size as u32).with_split(split))
        .unwrap()
}

fn images(n: usize, size: usize) -> Tensor<Inner, 4> {
    let values = (0..n * 3 * size * size).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
    Tensor::from_data(TensorData::new(values, [n, 3, size, size]), &Default::default())
}

fn values<const D: usize>(t: Tensor<Inner, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().into_vec().unwrap()
}

#[test]
fn logits_and_probabilities_have_one_column_per_attribute() {
    let _lock = lock();
    let model = tiny().init::<Inner>(&Default::default());
    assert_eq!(model.n_attrs(), 13);
    let logits = model.forward(images(3, 16));
    assert_eq!(logits.dims(), [3, 13]);
    let p = values(model.predict(images(3, 16)));
    assert!(p.iter().all(|&v| v > 0.0 && v < 1.0), "{p:?}");

    // Any attribute list; 32x32 with STGAN's five blocks ends on a 1x1 map.
    let three = AttributeClassifierConfig::new().with_image_size(32).with_attributes(vec![
        "Male".to_string(),
        "Young".into(),
        "Eyeglasses".into(),
    ]);
    assert_eq!(three.feature_size(), 1);
    assert_eq!(three.flat_features(), 256);
    assert_eq!(three.init::<Inner>(&Default::default()).forward(images(2, 32)).dims(), [2, 3]);
}

/// STGAN at 128x128 with 13 attributes, counted by hand: convolutions 3x3 without bias,
/// channels 16,16 | 32,32 | 64,64 | 128,128 | 256,256; BatchNorm scale and shift; FC 4096 -> 512
/// and 512 -> 13 with biases.
#[test]
fn the_default_classifier_has_stgans_parameter_count() {
    let _lock = lock();
    let convs =
        9 * (3 * 16 + 16 * 16 + 16 * 32 + 32 * 32 + 32 * 64 + 64 * 64 + 64 * 128 + 128 * 128 + 128 * 256 + 256 * 256);
    assert_eq!(convs, 1_177_776);
    let norms = 2 * 2 * (16 + 32 + 64 + 128 + 256);
    assert_eq!(norms, 1_984);
    let fc = 256 * 4 * 4 * 512 + 512;
    assert_eq!(fc, 2_097_664);
    let logits = 512 * 13 + 13;
    let expected = convs + norms + fc + logits;
    assert_eq!(expected, 3_284_093);

    let config = AttributeClassifierConfig::new();
    assert_eq!(config.flat_features(), 4096);
    let model = config.init::<Inner>(&Default::default());
    // Burn's num_params also counts BatchNorm's running mean and variance (not trained).
    let running: usize =
        model.blocks.iter().flat_map(|b| &b.convs).map(|c| 2 * c.bn.running_mean.value().dims()[0]).sum();
    assert_eq!(running, 1_984);
    println!(
        "default attribute classifier (128x128, 13 attributes): {expected} trainable parameters \
         (+{running} BatchNorm running statistics: Burn's num_params {})",
        model.num_params()
    );
    assert_eq!(model.num_params(), expected + running);
    assert_eq!(model.blocks.len(), 5);
    assert!(model.blocks.iter().all(|b| b.convs.len() == 2));
}

#[test]
fn invalid_configs_are_refused_naming_the_field() {
    let cases = [
        (tiny().with_image_size(18), "image_size"),
        (tiny().with_dim(5), "dim"),
        (tiny().with_attributes(vec![]), "attributes"),
        (tiny().with_attributes(vec!["Male".into(), "Male".into()]), "Male"),
        (tiny().with_fc_dim(0), "fc_dim"),
        (tiny().with_blocks(0), "blocks"),
    ];
    for (config, field) in cases {
        match config.validate() {
            Err(AttGanError::InvalidConfig(m)) => assert!(m.contains(field), "{m}"),
            other => panic!("{field}: expected InvalidConfig, got {other:?}"),
        }
    }
    assert!(AttributeClassifierConfig::new().validate().is_ok());
}

/// A model whose BatchNorm running statistics moved away from their start: a forward pass in
/// training mode on the autodiff backend, then the inference model.
fn used_model(config: &AttributeClassifierConfig) -> AttributeClassifier<Inner> {
    let model = config.init::<B>(&Default::default());
    let _ = model.forward(Tensor::from_inner(images(4, config.image_size)));
    model.valid()
}

#[test]
fn save_and_load_give_identical_logits() {
    let _lock = lock();
    let config = tiny();
    let model = used_model(&config);
    let dir = temp("roundtrip");
    model.save(&config, &dir).unwrap();
    assert!(dir.join(ATTRIBUTE_CLASSIFIER_FILE).is_file() && dir.join(ATTRIBUTE_CLASSIFIER_CONFIG_FILE).is_file());

    let x = images(2, 16);
    let want = values(model.forward(x.clone()));
    for path in [dir.clone(), dir.join(ATTRIBUTE_CLASSIFIER_FILE)] {
        let (loaded, loaded_config) = AttributeClassifier::<Inner>::load(&path, &Default::default()).unwrap();
        assert_eq!(loaded_config, config);
        assert_eq!(loaded.attributes(), config.attributes.as_slice());
        assert_eq!(values(loaded.forward(x.clone())), want, "loaded from {}", path.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn loading_into_another_config_or_from_nothing_fails_clearly() {
    let _lock = lock();
    let config = tiny();
    let dir = temp("mismatch");
    used_model(&config).save(&config, &dir).unwrap();

    // The same weights described by a wider config: a Weights error naming the weights file.
    let other = temp("mismatch-other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(dir.join(ATTRIBUTE_CLASSIFIER_FILE), other.join(ATTRIBUTE_CLASSIFIER_FILE)).unwrap();
    let wider = config.clone().with_dim(8);
    std::fs::write(other.join(ATTRIBUTE_CLASSIFIER_CONFIG_FILE), wider.to_string()).unwrap();
    match AttributeClassifier::<Inner>::load(&other, &Default::default()) {
        Err(e @ AttGanError::Weights { .. }) => {
            let AttGanError::Weights { path, message } = &e else { unreachable!() };
            assert_eq!(path, &other.join(ATTRIBUTE_CLASSIFIER_FILE));
            assert!(e.to_string().contains(ATTRIBUTE_CLASSIFIER_FILE), "{e}");
            assert!(message.contains("shape"), "{message}");
        }
        other => panic!("expected a Weights error, got {:?}", other.map(|(_, c)| c)),
    }
    // Another depth: also a Weights error, not a panic.
    let deeper = config.clone().with_blocks(3);
    std::fs::write(other.join(ATTRIBUTE_CLASSIFIER_CONFIG_FILE), deeper.to_string()).unwrap();
    assert!(matches!(
        AttributeClassifier::<Inner>::load(&other, &Default::default()),
        Err(AttGanError::Weights { .. })
    ));

    // Nothing there: an Io error naming the file looked for.
    let missing = temp("missing");
    match AttributeClassifier::<Inner>::load(&missing, &Default::default()) {
        Err(AttGanError::Io { path, .. }) => assert_eq!(path, missing.join(ATTRIBUTE_CLASSIFIER_CONFIG_FILE)),
        other => panic!("expected an Io error, got {:?}", other.map(|(_, c)| c)),
    }
    // A config without its weights: an Io error naming the weights file.
    std::fs::remove_file(other.join(ATTRIBUTE_CLASSIFIER_FILE)).unwrap();
    std::fs::write(other.join(ATTRIBUTE_CLASSIFIER_CONFIG_FILE), config.to_string()).unwrap();
    match AttributeClassifier::<Inner>::load(other.join(ATTRIBUTE_CLASSIFIER_FILE), &Default::default()) {
        Err(e @ AttGanError::Io { .. }) => {
            assert!(e.to_string().contains(&other.join(ATTRIBUTE_CLASSIFIER_FILE).display().to_string()), "{e}")
        }
        other => panic!("expected an Io error, got {:?}", other.map(|(_, c)| c)),
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}

#[test]
fn stgans_learning_rate_holds_for_nine_epochs_then_decays() {
    let mut s = StganLrScheduler::new(2e-4, 8, 25, 10);
    let rates: Vec<f64> = (0..250).map(|_| s.step()).collect();
    assert!(rates[..90].iter().all(|&r| r == 2e-4));
    assert!((rates[90] - 2e-4 * (1.0 - 1.0 / 25.0f64).powf(0.75)).abs() < 1e-15);
    assert!((rates[249] - 2e-4 * (1.0 - 16.0 / 25.0f64).powf(0.75)).abs() < 1e-15);
    assert_eq!(LrScheduler::to_record::<Inner>(&s), 250);
}

/// A classifier that says the same thing of every image: attribute i present when `says[i]`.
fn constant_classifier(config: &AttributeClassifierConfig, says: &[bool]) -> AttributeClassifier<Inner> {
    let device = Default::default();
    let mut model = config.init::<Inner>(&device);
    let n = config.n_attrs();
    model.logits.weight = Param::from_tensor(Tensor::zeros([config.fc_dim, n], &device));
    let bias: Vec<f32> = says.iter().map(|&p| if p { 5.0 } else { -5.0 }).collect();
    model.logits.bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(bias, [n]), &device)));
    model
}

#[test]
fn accuracy_of_a_known_classifier_is_exact() {
    let _lock = lock();
    let config = tiny();
    let says: Vec<bool> = (0..13).map(|i| i % 3 == 0).collect();
    let model = constant_classifier(&config, &says);
    let test = open(16, Split::Test);
    let n = test.len();
    assert_eq!(n, 24);
    let report = accuracy(&model, test.clone(), 5, &Default::default()).unwrap();
    assert_eq!(report.images, n);
    assert_eq!(report.attributes, config.attributes);
    for (i, &say) in says.iter().enumerate() {
        let positives = (0..n).filter(|&k| test.attributes_of(k)[i] == 1.0).count();
        let right = if say { positives } else { n - positives };
        assert_eq!(report.accuracy[i], right as f64 / n as f64, "{}", config.attributes[i]);
        assert_eq!(report.positive_rate[i], positives as f64 / n as f64);
    }
    let mean = report.accuracy.iter().sum::<f64>() / 13.0;
    assert!((report.mean() - mean).abs() < 1e-12);

    let csv = report.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "attribute,accuracy");
    assert_eq!(lines.len(), 15);
    assert_eq!(lines[1], format!("Bald,{:.6}", report.accuracy[0]));
    assert!(lines[14].starts_with("mean,"));
    let dir = temp("csv");
    report.write_csv(dir.join("accuracy.csv")).unwrap();
    assert_eq!(std::fs::read_to_string(dir.join("accuracy.csv")).unwrap(), csv);
    let table = report.to_string();
    assert!(
        table.contains("Mouth_Slightly_Open") && table.contains("mean") && table.contains("(24 images)"),
        "{table}"
    );
    let _ = std::fs::remove_dir_all(&dir);

    // Data of another size or attribute count is an error, not a panic.
    assert!(accuracy(&model, open(32, Split::Test), 5, &Default::default()).is_err());
    let three = CelebaDataset::open(
        world(),
        CelebaOptions::new(Variant::Celeba)
            .with_image_size(16)
            .with_split(Split::Test)
            .with_attributes(["Male", "Young", "Bald"]),
    )
    .unwrap();
    assert!(accuracy(&model, three, 5, &Default::default()).is_err());
}

fn mean_bce(model: &AttributeClassifier<Inner>, data: &CelebaDataset) -> f64 {
    let device = Default::default();
    let items: Vec<_> = (0..data.len()).map(|i| data.try_get(i).unwrap()).collect();
    let x = attgan_core::image::batch_to_tensor::<Inner>(
        &items.iter().map(|i| i.image.clone()).collect::<Vec<_>>(),
        &device,
    )
    .unwrap();
    let a: Vec<f32> = items.iter().flat_map(|i| i.attributes.clone()).collect();
    let a = Tensor::<Inner, 2>::from_data(TensorData::new(a, [items.len(), 13]), &device);
    values(attgan_core::loss::attribute_bce(model.forward(x), a))[0] as f64
}

/// Burn's Learner on 192 synthetic faces at 16x16: 4 epochs lower the loss on the training
/// split well below that of the untrained network, and the run leaves its files.
#[test]
fn training_through_the_learner_lowers_the_loss() {
    let _lock = lock();
    let model = AttributeClassifierConfig::new().with_image_size(16).with_dim(8).with_blocks(3).with_fc_dim(32);
    let config = ClassifierTrainingConfig::new(model.clone())
        .with_batch_size(16)
        .with_epochs(4)
        .with_lr(3e-3)
        .with_lr_decay_start(2)
        .with_hflip(true)
        .with_seed(3)
        .with_workers(2);
    let (train, valid) = (open(16, Split::Train), open(16, Split::Val));
    assert_eq!(train.len(), 192);

    // The untrained network of the same seed, as the run builds it.
    <B as burn::tensor::backend::Backend>::seed(&Default::default(), config.seed);
    let untrained = model.init::<B>(&Default::default()).valid();
    let before = mean_bce(&untrained, &train);

    let out = temp("run");
    let trained = ClassifierTrainer::new(config, &out)
        .with_display(Display::Quiet)
        .fit::<B>(train.clone(), valid, &Default::default())
        .unwrap();
    let after = mean_bce(&trained, &train);
    assert!(after < 0.8 * before, "the loss went from {before:.4} to {after:.4}");

    for file in ["classifier-training.json", ATTRIBUTE_CLASSIFIER_FILE, ATTRIBUTE_CLASSIFIER_CONFIG_FILE] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    assert!(out.join("checkpoint").is_dir());
    let (loaded, _) = AttributeClassifier::<Inner>::load(&out, &Default::default()).unwrap();
    assert_eq!(values(loaded.forward(images(2, 16))), values(trained.forward(images(2, 16))));
    let report: AccuracyReport = accuracy(&trained, train, 32, &Default::default()).unwrap();
    println!("after 4 tiny epochs, on the training split:\n{report}");
    let _ = std::fs::remove_dir_all(&out);
}
