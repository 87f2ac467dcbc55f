//! Evaluation end to end on a small synthetic world: PSNR/SSIM of the reconstructions, editing
//! accuracy as each judge reads it, the CSV, and the refusal of a judge that cannot read an
//! attribute.

use std::path::PathBuf;

use attgan_core::quality::{psnr, ssim};
use attgan_core::{AttGanConfig, AttGanError, Editor, Edits, Source};
use attgan_train::data::{CelebaDataset, CelebaOptions, Split, Variant};
use attgan_train::eval::{Judge, Oracle, evaluate};
use attgan_train::synthetic::{SyntheticOptions, write_synthetic_celeba};
use burn::backend::Flex;
use burn::data::dataset::Dataset;
use image::RgbImage;

type B = Flex;

fn world(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attgan-eval-{name}-{}", std::process::id()));
    write_synthetic_celeba(&dir, SyntheticOptions { n_images: 60, ..SyntheticOptions::default() }).unwrap();
    dir
}

fn tiny() -> AttGanConfig {
    AttGanConfig::default()
        .with_image_size(32)
        .with_enc_dim(4)
        .with_dec_dim(4)
        .with_dis_dim(4)
        .with_dis_fc_dim(8)
        .with_enc_layers(3)
        .with_dec_layers(3)
        .with_dis_layers(3)
}

/// Reads every attribute as absent: an edit is "right" exactly when it switched an attribute off.
struct SeesNothing(Vec<String>);

impl Judge for SeesNothing {
    fn name(&self) -> String {
        "a judge that sees nothing".into()
    }
    fn attributes(&self) -> Vec<String> {
        self.0.clone()
    }
    fn read(&self, images: &[RgbImage]) -> attgan_train::Result<Vec<Vec<bool>>> {
        Ok(images.iter().map(|_| vec![false; self.0.len()]).collect())
    }
}

#[test]
fn evaluation_measures_reconstructions_and_judged_edits() {
    let root = world("e2e");
    let config = tiny();
    let device = Default::default();
    let editor = Editor::<B>::new(config.init_generator(&device), config.clone(), &device).with_batch_size(4);
    let data =
        CelebaDataset::open(&root, CelebaOptions::new(Variant::Celeba).with_image_size(32).with_split(Split::Test))
            .unwrap();
    assert_eq!(data.len(), 6);
    let mut seen = Vec::new();
    let report = evaluate(&editor, &data, 100, 4, &Oracle, 1.0, |done| seen.push(done)).unwrap();
    assert_eq!(seen, [4, 6], "progress after each batch");
    assert_eq!(report.images, 6);

    // PSNR and SSIM are the means over the reconstructions, computed here independently.
    let items: Vec<_> = (0..6).map(|i| data.get(i).unwrap()).collect();
    let images: Vec<RgbImage> = items.iter().map(|i| i.image.clone()).collect();
    let sources: Vec<Vec<f32>> = items.iter().map(|i| i.attributes.clone()).collect();
    let rec = editor.edit_batch(&images, Source::Given(&sources), &[Edits::new()]).unwrap().remove(0);
    let mean = |f: fn(&RgbImage, &RgbImage) -> f64| images.iter().zip(&rec).map(|(a, b)| f(a, b)).sum::<f64>() / 6.0;
    assert!((report.psnr - mean(psnr)).abs() < 1e-9 && report.psnr.is_finite());
    assert!((report.ssim - mean(ssim)).abs() < 1e-9 && report.ssim < 1.0);

    // 13 accuracies, each a share of 6 images.
    assert_eq!(report.edit_accuracy.len(), 13);
    for (_, acc) in &report.edit_accuracy {
        assert!((acc * 6.0 - (acc * 6.0).round()).abs() < 1e-9 && (0.0..=1.0).contains(acc));
    }

    // A judge that reads nothing as present is right exactly for the attributes switched off.
    let blind = SeesNothing(config.attributes.clone());
    let report = evaluate(&editor, &data, 6, 4, &blind, 1.0, |_| {}).unwrap();
    for (i, (name, acc)) in report.edit_accuracy.iter().enumerate() {
        let on = sources.iter().filter(|s| s[i] >= 0.5).count() as f64 / 6.0;
        assert!((acc - on).abs() < 1e-12, "{name}: {acc} vs {on}");
    }

    // The CSV holds every figure.
    let csv = report.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 3 + 13 + 1);
    assert_eq!(lines[0], "measure,value");
    assert_eq!(lines[1], "images,6");
    assert!(lines[4].starts_with("edit_accuracy:Bald,"));
    assert!(lines[17].starts_with("mean_edit_accuracy,"));
    let path = root.join("evaluation.csv");
    report.write_csv(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), csv);
    assert!(report.to_string().contains("a judge that sees nothing"));
}

#[test]
fn a_judge_that_cannot_read_an_attribute_is_refused() {
    let root = world("refuse");
    let config = tiny();
    let device = Default::default();
    let editor = Editor::<B>::new(config.init_generator(&device), config.clone(), &device);
    let data =
        CelebaDataset::open(&root, CelebaOptions::new(Variant::Celeba).with_image_size(32).with_split(Split::Test))
            .unwrap();
    let partial = SeesNothing(config.attributes[1..].to_vec());
    let err = evaluate(&editor, &data, 6, 4, &partial, 1.0, |_| {}).unwrap_err();
    assert!(matches!(err, attgan_train::TrainError::Core(AttGanError::AttributeMismatch { .. })), "{err}");
    assert!(err.to_string().contains("cannot judge `Bald`"), "{err}");
}
