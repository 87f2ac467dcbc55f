//! Measuring a trained generator: reconstruction PSNR, and attribute editing accuracy judged by
//! the synthetic world's oracle (flip one attribute, read it back from the pixels).

use attgan_core::attributes::{edit_input, flip_single, to_generator_input};
use attgan_core::image::tensor_to_batch;
use attgan_core::{AttGanConfig, AttGanError, Generator};
use burn::data::dataset::Dataset;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use image::RgbImage;

use crate::data::face::ATTRIBUTES as ORACLE_ATTRIBUTES;
use crate::data::{CelebaDataset, CelebaItem, oracle};

/// Peak signal-to-noise ratio of 8-bit `b` against `a`, in dB (skimage's `peak_signal_noise_ratio`
/// with data range 255); infinite for identical images.
pub fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "psnr needs images of one size");
    let n = a.as_raw().len() as f64;
    let sse: f64 = a.as_raw().iter().zip(b.as_raw()).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum();
    let mse = sse / n;
    if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64 * 255.0 / mse).log10() }
}

/// What [`evaluate_with_oracle`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct OracleReport {
    /// Images evaluated.
    pub images: usize,
    /// Mean reconstruction PSNR in dB, G(xa, a) against xa, both as 8-bit images.
    pub psnr: f64,
    /// Per attribute: the fraction of images where flipping it (conflicts resolved) produced an
    /// image the oracle reads with the attribute flipped.
    pub edit_accuracy: Vec<(String, f64)>,
}

impl OracleReport {
    /// The mean of the per-attribute editing accuracies.
    pub fn mean_edit_accuracy(&self) -> f64 {
        self.edit_accuracy.iter().map(|(_, a)| a).sum::<f64>() / self.edit_accuracy.len().max(1) as f64
    }
}

impl std::fmt::Display for OracleReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} held-out images: reconstruction PSNR {:.2} dB", self.images, self.psnr)?;
        for (name, acc) in &self.edit_accuracy {
            writeln!(f, "  {name:<20} {:>6.1}%", acc * 100.0)?;
        }
        write!(f, "  {:<20} {:>6.1}%", "mean", self.mean_edit_accuracy() * 100.0)
    }
}

/// Edits the first `n_images` of `dataset` (a synthetic-world split) with `g` in batches, and
/// judges each edit with the oracle. `g` should be in inference mode (`model.valid()`). Each
/// edit sets the flipped attribute to +-`test_int` and the others to +-`thres_int`, as the
/// sample grids do. The config's attributes must all be among the oracle's 13.
pub fn evaluate_with_oracle<B: Backend>(
    g: &Generator<B>,
    config: &AttGanConfig,
    dataset: &CelebaDataset,
    n_images: usize,
    batch_size: usize,
    test_int: f64,
    device: &B::Device,
) -> crate::data::Result<OracleReport> {
    let oracle_index: Vec<usize> = config
        .attributes
        .iter()
        .map(|name| {
            ORACLE_ATTRIBUTES.iter().position(|o| o == name).ok_or_else(|| AttGanError::UnknownAttribute {
                name: name.clone(),
                known: ORACLE_ATTRIBUTES.iter().map(|s| s.to_string()).collect(),
            })
        })
        .collect::<Result<_, _>>()?;
    let k = config.n_attrs();
    let n_images = n_images.min(dataset.len());
    let mut correct = vec![0usize; k];
    let mut psnr_sum = 0.0;
    for start in (0..n_images).step_by(batch_size.max(1)) {
        let items: Vec<CelebaItem> =
            (start..(start + batch_size).min(n_images)).map(|i| dataset.try_get(i)).collect::<Result<_, _>>()?;
        let n = items.len();
        let originals: Vec<RgbImage> = items.iter().map(|i| i.image.clone()).collect();
        let xa = attgan_core::image::batch_to_tensor::<B>(&originals, device)?;
        let rows = |rows: Vec<Vec<f32>>| Tensor::<B, 2>::from_data(TensorData::new(rows.concat(), [n, k]), device);
        let attrs: Vec<Vec<f32>> = items.iter().map(|i| i.attributes.clone()).collect();
        let zs = g.encode(xa);
        let rec = tensor_to_batch(g.decode(&zs, to_generator_input(rows(attrs.clone()), config.thres_int)));
        psnr_sum += originals.iter().zip(&rec).map(|(a, b)| psnr(a, b)).sum::<f64>();
        for (i, hits) in correct.iter_mut().enumerate() {
            let targets: Vec<Vec<f32>> = attrs.iter().map(|a| flip_single(a, &config.attributes, i)).collect();
            let b = targets.iter().map(|t| edit_input(t, i, config.thres_int, test_int)).collect();
            let edited = tensor_to_batch(g.decode(&zs, rows(b)));
            *hits += edited
                .iter()
                .zip(&targets)
                .filter(|(img, t)| oracle::read_attributes(img)[oracle_index[i]] == (t[i] > 0.5))
                .count();
        }
    }
    let denom = n_images.max(1) as f64;
    Ok(OracleReport {
        images: n_images,
        psnr: psnr_sum / denom,
        edit_accuracy: config.attributes.iter().cloned().zip(correct.iter().map(|&c| c as f64 / denom)).collect(),
    })
}
