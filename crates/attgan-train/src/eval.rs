//! The paper's measures of a trained generator: reconstruction PSNR and SSIM (as STGAN computes
//! them), and attribute editing accuracy (flip one attribute, read the result back) judged by a
//! trained attribute classifier, or by the synthetic world's oracle.

use attgan_core::atomic::write_atomically;
use attgan_core::attribute_classifier::AttributeClassifier;
use attgan_core::image::batch_to_tensor;
use attgan_core::quality::{psnr, ssim};
use attgan_core::{AttGanError, Editor, Edits, Source};
use burn::data::dataset::Dataset;
use burn::tensor::backend::Backend;
use image::RgbImage;

use crate::data::{CelebaDataset, CelebaItem};
use crate::synthetic::ATTRIBUTES as ORACLE_ATTRIBUTES;
use crate::synthetic::oracle;

/// What reads attributes back from edited images.
pub trait Judge {
    /// A short name for reports, e.g. "oracle".
    fn name(&self) -> String;
    /// The attributes it reads, in the order of its answers.
    fn attributes(&self) -> Vec<String>;
    /// For each image, whether each attribute is present.
    fn read(&self, images: &[RgbImage]) -> crate::error::Result<Vec<Vec<bool>>>;
}

/// The synthetic world's oracle: it reads the drawn attributes ([`crate::synthetic::ATTRIBUTES`]) from the pixels.
#[derive(Debug, Clone, Copy, Default)]
pub struct Oracle;

impl Judge for Oracle {
    fn name(&self) -> String {
        "the synthetic world's oracle".into()
    }

    fn attributes(&self) -> Vec<String> {
        ORACLE_ATTRIBUTES.iter().map(|s| s.to_string()).collect()
    }

    fn read(&self, images: &[RgbImage]) -> crate::error::Result<Vec<Vec<bool>>> {
        Ok(images.iter().map(|i| oracle::read_attributes(i).to_vec()).collect())
    }
}

/// A trained [`AttributeClassifier`] (STGAN's) as the judge: an attribute is present when its
/// probability is at least 0.5. Images are resized to the classifier's size when it differs.
#[derive(Debug, Clone)]
pub struct ClassifierJudge<B: Backend> {
    model: AttributeClassifier<B>,
    image_size: u32,
    device: B::Device,
}

impl<B: Backend> ClassifierJudge<B> {
    /// A judge from a classifier taking `image_size` x `image_size` images, in inference mode.
    pub fn new(model: AttributeClassifier<B>, image_size: usize, device: &B::Device) -> Self {
        Self { model, image_size: image_size as u32, device: device.clone() }
    }
}

impl<B: Backend> Judge for ClassifierJudge<B> {
    fn name(&self) -> String {
        "the attribute classifier".into()
    }

    fn attributes(&self) -> Vec<String> {
        self.model.attributes().to_vec()
    }

    fn read(&self, images: &[RgbImage]) -> crate::error::Result<Vec<Vec<bool>>> {
        let s = self.image_size;
        let resized: Vec<RgbImage> = images
            .iter()
            .map(|i| {
                if i.dimensions() == (s, s) {
                    i.clone()
                } else {
                    image::imageops::resize(i, s, s, image::imageops::FilterType::CatmullRom)
                }
            })
            .collect();
        let p = self.model.predict(batch_to_tensor::<B>(&resized, &self.device)?);
        let k = self.model.n_attrs();
        let p: Vec<f32> = p.into_data().convert::<f32>().into_vec().expect("float data");
        Ok(p.chunks(k).map(|row| row.iter().map(|&v| v >= 0.5).collect()).collect())
    }
}

/// What [`evaluate`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    /// Who judged the edits.
    pub judge: String,
    /// Images evaluated.
    pub images: usize,
    /// Mean reconstruction PSNR in dB, G(xa, a) against xa, both 8-bit.
    pub psnr: f64,
    /// Mean reconstruction SSIM.
    pub ssim: f64,
    /// Per attribute: the share of images where flipping it (conflicts resolved) produced an
    /// image the judge reads with the attribute flipped.
    pub edit_accuracy: Vec<(String, f64)>,
}

impl EvalReport {
    /// The mean of the per-attribute editing accuracies.
    pub fn mean_edit_accuracy(&self) -> f64 {
        self.edit_accuracy.iter().map(|(_, a)| a).sum::<f64>() / self.edit_accuracy.len().max(1) as f64
    }

    /// The report as CSV (`measure,value`): `psnr_db`, `ssim`, `images`, then
    /// `edit_accuracy:<attribute>` per attribute and `mean_edit_accuracy`.
    pub fn to_csv(&self) -> String {
        let mut s = format!("measure,value\nimages,{}\npsnr_db,{:.4}\nssim,{:.6}\n", self.images, self.psnr, self.ssim);
        for (name, acc) in &self.edit_accuracy {
            s += &format!("edit_accuracy:{name},{acc:.6}\n");
        }
        s + &format!("mean_edit_accuracy,{:.6}\n", self.mean_edit_accuracy())
    }

    /// Writes [`EvalReport::to_csv`] to `path` atomically.
    pub fn write_csv(&self, path: &std::path::Path) -> crate::error::Result<()> {
        Ok(write_atomically(path, self.to_csv().as_bytes())?)
    }
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} images; reconstruction PSNR {:.2} dB, SSIM {:.4}", self.images, self.psnr, self.ssim)?;
        writeln!(f, "editing accuracy judged by {}:", self.judge)?;
        for (name, acc) in &self.edit_accuracy {
            writeln!(f, "  {name:<20} {:>6.1}%", acc * 100.0)?;
        }
        write!(f, "  {:<20} {:>6.1}%", "mean", self.mean_edit_accuracy() * 100.0)
    }
}

/// Measures `editor` on the first `n_images` of `dataset` (prepared at the model's size, with
/// their annotated attributes), in the editor's batches: PSNR and SSIM of the reconstructions,
/// and for each attribute the share of flips (at `test_int`) that `judge` reads as flipped.
/// `progress` is called with the number of images done after each batch.
pub fn evaluate<B: Backend>(
    editor: &Editor<B>,
    dataset: &CelebaDataset,
    n_images: usize,
    batch_size: usize,
    judge: &dyn Judge,
    test_int: f64,
    mut progress: impl FnMut(usize),
) -> crate::error::Result<EvalReport> {
    let names = editor.attributes();
    let judged = judge.attributes();
    let column: Vec<usize> = names
        .iter()
        .map(|name| {
            judged.iter().position(|j| j == name).ok_or_else(|| AttGanError::AttributeMismatch {
                what: format!("{} cannot judge `{name}`", judge.name()),
                expected: names.to_vec(),
                found: judged.clone(),
            })
        })
        .collect::<Result<_, _>>()?;
    let edits: Vec<Edits> = std::iter::once(Edits::new()).chain(Edits::single(names, test_int)).collect();
    let n_images = n_images.min(dataset.len());
    let (mut psnr_sum, mut ssim_sum) = (0.0, 0.0);
    let mut correct = vec![0usize; names.len()];
    for start in (0..n_images).step_by(batch_size.max(1)) {
        let items: Vec<CelebaItem> =
            (start..(start + batch_size).min(n_images)).map(|i| dataset.try_get(i)).collect::<Result<_, _>>()?;
        let originals: Vec<RgbImage> = items.iter().map(|i| i.image.clone()).collect();
        let sources: Vec<Vec<f32>> = items.iter().map(|i| i.attributes.clone()).collect();
        let outputs = editor.edit_batch(&originals, Source::Given(&sources), &edits)?;
        for (a, b) in originals.iter().zip(&outputs[0]) {
            psnr_sum += psnr(a, b);
            ssim_sum += ssim(a, b);
        }
        for (i, hits) in correct.iter_mut().enumerate() {
            let read = judge.read(&outputs[i + 1])?;
            *hits += read.iter().zip(&sources).filter(|(r, s)| r[column[i]] == (s[i] < 0.5)).count();
        }
        progress(start + items.len());
    }
    let denom = n_images.max(1) as f64;
    Ok(EvalReport {
        judge: judge.name(),
        images: n_images,
        psnr: psnr_sum / denom,
        ssim: ssim_sum / denom,
        edit_accuracy: names.iter().cloned().zip(correct.iter().map(|&c| c as f64 / denom)).collect(),
    })
}
