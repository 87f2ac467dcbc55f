//! Measuring a trained AttGAN the way the papers do ([`evaluate`]): reconstruction PSNR and SSIM
//! on a split, and attribute editing accuracy judged by an attribute classifier (or, on the
//! synthetic world, by its oracle), written as CSV.

use std::path::PathBuf;
use std::time::Instant;

use attgan_core::Editor;
use attgan_core::attribute_classifier::AttributeClassifier;
use attgan_train::TrainError;
use attgan_train::data::Split;
use attgan_train::eval::{ClassifierJudge, EvalReport, Judge, Oracle};
use burn::data::dataset::Dataset;
use burn::tensor::backend::AutodiffBackend;

use super::DataSource;
use crate::backend::{self, BackendJob, Preference, Selected};

/// What to measure, on what.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluateJob {
    /// The export of a training run: its output directory, or its `generator.mpk`.
    pub checkpoint: PathBuf,
    /// Where the images are.
    pub data: DataSource,
    /// The split to measure on.
    pub split: Split,
    /// The attribute classifier that judges edits (needed on CelebA; on the synthetic world it
    /// replaces the oracle).
    pub classifier: Option<PathBuf>,
    /// At most this many images of the split (`None`: all).
    pub max_images: Option<usize>,
    /// Images per forward pass.
    pub batch_size: usize,
    /// The intensity of each flip (AttGAN's test_int).
    pub test_int: f64,
    /// Where the CSV goes (`None`: `evaluation-<split>.csv` beside the checkpoint).
    pub csv: Option<PathBuf>,
}

/// The report and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluateOutcome {
    /// The backend it ran on.
    pub selected: Selected,
    /// What was measured.
    pub report: EvalReport,
    /// The CSV written.
    pub csv: PathBuf,
    /// Wall seconds.
    pub seconds: f64,
}

/// Runs `job` on the preferred backend.
pub fn evaluate(device: Preference, job: EvaluateJob) -> Result<EvaluateOutcome, TrainError> {
    backend::run(device, job).map_err(TrainError::Options)?
}

impl EvaluateJob {
    fn csv_path(&self) -> PathBuf {
        self.csv.clone().unwrap_or_else(|| {
            let dir = if self.checkpoint.is_dir() {
                self.checkpoint.clone()
            } else {
                self.checkpoint.parent().map(PathBuf::from).unwrap_or_default()
            };
            dir.join(format!("evaluation-{}.csv", self.split))
        })
    }
}

impl BackendJob for EvaluateJob {
    type Output = Result<EvaluateOutcome, TrainError>;

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) -> Self::Output {
        eprintln!("device: {selected}");
        let editor = Editor::<B::InnerBackend>::load(&self.checkpoint, &device)?.with_batch_size(self.batch_size);
        let judge: Box<dyn Judge> = match &self.classifier {
            Some(path) => {
                let (model, config) = AttributeClassifier::<B::InnerBackend>::load(path, &device)?;
                Box::new(ClassifierJudge::new(model, config.image_size, &device))
            }
            None if self.data.is_synthetic() => Box::new(Oracle),
            None => {
                return Err(TrainError::Options(
                    "on CelebA an attribute classifier is needed to judge edits (train one first)".into(),
                ));
            }
        };
        let root = self.data.root()?;
        let data = self.data.open(&root, self.split, editor.attributes(), editor.config().image_size)?;
        let n = self.max_images.unwrap_or(usize::MAX).min(data.len());
        eprintln!("evaluating {} on {n} {} images of {}", self.checkpoint.display(), self.split, root.display());
        let t = Instant::now();
        let mut last = Instant::now();
        let report =
            attgan_train::eval::evaluate(&editor, &data, n, self.batch_size, judge.as_ref(), self.test_int, |done| {
                if last.elapsed().as_secs() >= 10 || done == n {
                    last = Instant::now();
                    let s = t.elapsed().as_secs_f64();
                    eprintln!("  {done}/{n} images, {s:.0} s, {:.0} s left", s / done as f64 * (n - done) as f64);
                }
            })?;
        let csv = self.csv_path();
        report.write_csv(&csv)?;
        Ok(EvaluateOutcome { selected: selected.clone(), report, csv, seconds: t.elapsed().as_secs_f64() })
    }
}
