//! Training the attribute classifier that judges edits ([`train_classifier`]), then measuring
//! its per-attribute accuracy on the test split.

use std::time::Instant;

use attgan_train::TrainError;
use attgan_train::classifier::{ACCURACY_FILE, AccuracyReport, ClassifierTrainer, accuracy};
use attgan_train::data::CelebaDataset;
use burn::data::dataset::Dataset;
use burn::tensor::backend::AutodiffBackend;

use crate::backend::{self, BackendJob, Preference, Selected};

/// A classifier run and its data.
pub struct ClassifierJob {
    /// The run (options, output directory, display).
    pub trainer: ClassifierTrainer,
    /// The training split.
    pub train: CelebaDataset,
    /// The validation split.
    pub valid: CelebaDataset,
    /// The split the accuracy is measured on.
    pub test: CelebaDataset,
}

/// What a classifier run did.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierOutcome {
    /// The backend it ran on.
    pub selected: Selected,
    /// Accuracy on the test split (also written to `accuracy.csv` in the output directory).
    pub report: AccuracyReport,
    /// Seconds of training.
    pub train_seconds: f64,
    /// Seconds of measuring.
    pub measure_seconds: f64,
}

/// Runs `job` on the preferred backend.
pub fn train_classifier(device: Preference, job: ClassifierJob) -> Result<ClassifierOutcome, TrainError> {
    backend::run(device, job).map_err(TrainError::Options)?
}

impl BackendJob for ClassifierJob {
    type Output = Result<ClassifierOutcome, TrainError>;

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) -> Self::Output {
        eprintln!("device: {selected}");
        let c = self.trainer.config().clone();
        let out = self.trainer.out().to_path_buf();
        eprintln!(
            "training the {s}x{s} attribute classifier ({} attributes) on {} images: {} epochs, batch {}, lr {}; \
             writing to {}",
            c.model.n_attrs(),
            self.train.len(),
            c.epochs,
            c.batch_size,
            c.lr,
            out.display(),
            s = c.model.image_size,
        );
        let t = Instant::now();
        let model = self.trainer.fit::<B>(self.train, self.valid, &device)?;
        let train_seconds = t.elapsed().as_secs_f64();
        eprintln!("trained in {train_seconds:.0} s; the classifier is in {}", out.display());
        model.require_attributes(&self.test.options().attributes, "the test split")?;
        let t = Instant::now();
        let report = accuracy(&model, self.test, c.batch_size, &device)?;
        report.write_csv(out.join(ACCURACY_FILE))?;
        Ok(ClassifierOutcome {
            selected: selected.clone(),
            report,
            train_seconds,
            measure_seconds: t.elapsed().as_secs_f64(),
        })
    }
}
