//! Training AttGAN ([`train`]): the Trainer on the chosen backend, then, on the synthetic world,
//! the oracle's verdict on the trained generator.

use std::time::Instant;

use attgan_core::Editor;
use attgan_train::data::CelebaDataset;
use attgan_train::eval::{EvalReport, Oracle, evaluate};
use attgan_train::training::checkpoint::RunState;
use attgan_train::{TrainError, Trainer};
use burn::data::dataset::Dataset;
use burn::tensor::backend::AutodiffBackend;

use crate::backend::{self, BackendJob, Devices, Preference, Selected};

/// A training run and its data.
pub struct TrainJob {
    /// The run (options, output directory, resumption, display, limits).
    pub trainer: Trainer,
    /// The training split.
    pub train: CelebaDataset,
    /// The validation split (sample grids, validation metrics).
    pub valid: CelebaDataset,
    /// Held-out synthetic images for the oracle to judge after training, and how many.
    pub judge: Option<(CelebaDataset, usize)>,
    /// Several devices of the selected backend to train on together (`--devices`); `None`: the
    /// selected backend's default device alone.
    pub devices: Option<Devices>,
}

/// What a run did.
#[derive(Debug)]
pub struct TrainOutcome {
    /// The backend it ran on.
    pub selected: Selected,
    /// The last checkpoint written.
    pub last_checkpoint: Option<RunState>,
    /// Whether it stopped before its last epoch.
    pub interrupted: bool,
    /// Wall seconds of this session.
    pub seconds: f64,
    /// The oracle's report on the trained generator, when asked for.
    pub evaluation: Option<EvalReport>,
}

/// Runs `job` on the preferred backend.
pub fn train(device: Preference, job: TrainJob) -> Result<TrainOutcome, TrainError> {
    backend::run(device, job).map_err(TrainError::Options)?
}

impl BackendJob for TrainJob {
    type Output = Result<TrainOutcome, TrainError>;

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) -> Self::Output {
        eprintln!("device: {selected}");
        let c = self.trainer.config();
        eprintln!(
            "training {s}x{s} AttGAN on {} images ({} steps per epoch, {} epochs, n_d {}), writing to {}",
            self.train.len(),
            self.train.len() / c.batch_size,
            c.epochs,
            c.n_d,
            self.trainer.out().display(),
            s = c.model.image_size,
        );
        let t = Instant::now();
        let devices = self.devices.as_ref().map_or_else(|| vec![device.clone()], |d| d.of::<B>());
        if devices.len() > 1 {
            eprintln!("data parallel on {} devices: {devices:?}", devices.len());
        }
        let device = devices[0].clone();
        let summary = self.trainer.fit_on::<B>(self.train, self.valid, &devices)?;
        let seconds = t.elapsed().as_secs_f64();
        let evaluation = match self.judge {
            Some((test, n)) => {
                let editor = Editor::new(summary.model.g.clone(), c.model.clone(), &device);
                Some(evaluate(&editor, &test, n, 50, &Oracle, c.test_int, |_| {})?)
            }
            None => None,
        };
        Ok(TrainOutcome {
            selected: selected.clone(),
            last_checkpoint: summary.last_checkpoint,
            interrupted: summary.interrupted,
            seconds,
            evaluation,
        })
    }
}
