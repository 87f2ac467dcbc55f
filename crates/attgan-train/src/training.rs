//! Training a whole AttGAN: [`TrainingConfig`] (every option of a run, saved beside it) and
//! [`Trainer`], which wires the model, the paper's Adam, the schedule, the deterministic
//! loader and the 5:1 strategy into Burn's `SupervisedTraining` and launches it.
//!
//! A run's output directory holds `training.json` (the options), `metrics.csv` (one row per
//! step), `curves.png`, `samples/` (edit grids), `checkpoint/` (model, optimizer, scheduler,
//! state), `generator.mpk` + `generator.json` (G alone, for editing), and Burn's own logs.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use attgan_core::atomic::write_atomically;
use attgan_core::{AttGanConfig, LossConfig};
use burn::config::Config;
use burn::data::dataset::Dataset;
use burn::data::dataset::transform::PartialDataset;
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::train::metric::LearningRateMetric;
use burn::train::{Interrupter, Learner, SupervisedTraining, TrainingStrategy};

use crate::checkpoint::{CHECKPOINT_DIR, RunState, latest_complete, read_state};
use crate::data::{CelebaDataset, loader};
use crate::error::{TrainError, io_error};
use crate::loader::{EpochLoader, Position};
use crate::metrics::{StepOutput, Term, TermMetric, ValidOutput};
use crate::renderer::{LogRenderer, QuietRenderer};
use crate::schedule::{AttGanLrScheduler, LrSchedule};
use crate::step::{AttGan, StepSettings, adam};
pub use crate::strategy::Limits;
use crate::strategy::{AttGanStrategy, Outcome};

/// The options of a run, as written to `training.json`.
pub const CONFIG_FILE: &str = "training.json";
/// One row per step.
pub const METRICS_FILE: &str = "metrics.csv";
/// The loss curves.
pub const CURVES_FILE: &str = "curves.png";
/// The sample grids.
pub const SAMPLES_DIR: &str = "samples";

/// Everything that shapes a training run. Defaults are the paper's (batch 32, 200 epochs,
/// 5 critic steps per generator step, Adam 2e-4 with lr/10 after epoch 100, random flips).
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
    /// Random left-right flips of the training images.
    #[config(default = true)]
    pub hflip: bool,
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
    /// The synthetic world's quick run, tuned to learn within minutes on a CPU: a 32x32 model
    /// with 16 base channels and 4 layers, 2 critic steps per generator step, lr 1e-3 for 8
    /// epochs then decaying linearly to 0 at epoch 16.
    pub fn synthetic() -> Self {
        let model = AttGanConfig::new()
            .with_image_size(32)
            .with_enc_dim(16)
            .with_dec_dim(16)
            .with_dis_dim(16)
            .with_enc_layers(4)
            .with_dec_layers(4)
            .with_dis_layers(4)
            .with_dis_fc_dim(128)
            .with_max_dim(256);
        TrainingConfig::new(model)
            .with_epochs(16)
            .with_n_d(2)
            .with_lr(1e-3)
            .with_schedule(LrSchedule::Linear { start: 8 })
            .with_checkpoint_every(500)
            .with_sample_every(200)
    }

    /// Checks every option that a run needs to make sense; the message names the option.
    pub fn validate(&self) -> crate::Result<()> {
        self.model.validate()?;
        let bad = |m: String| Err(TrainError::Options(m));
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1".into());
        }
        if self.epochs == 0 {
            return bad("epochs must be at least 1".into());
        }
        if self.n_d == 0 {
            return bad("n_d must be at least 1 (critic steps per generator step)".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("lr must be a positive number, got {}", self.lr));
        }
        if let LrSchedule::Step { every: 0, .. } = self.schedule {
            return bad("a step schedule needs every >= 1 epoch".into());
        }
        Ok(())
    }

    /// The step settings of the Learner's model.
    pub fn step_settings(&self) -> StepSettings {
        StepSettings { lr: self.lr, losses: self.losses.clone(), thres_int: self.model.thres_int, hflip: self.hflip }
    }

    /// The options a resumed run must share with the run it continues, as (name, old, new).
    fn resume_conflicts(&self, saved: &TrainingConfig) -> Vec<(&'static str, String, String)> {
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
        conflicts
    }
}

/// How a run shows its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// Burn's TUI dashboard when stdout is a terminal, log lines otherwise.
    Auto,
    /// A log line on stderr at most every this many seconds.
    Log(u64),
    /// Nothing.
    Quiet,
}

/// What a finished (or interrupted) run leaves.
#[derive(Debug)]
pub struct TrainSummary<B: AutodiffBackend> {
    /// The trained networks, in inference mode.
    pub model: AttGan<B::InnerBackend>,
    /// The last checkpoint written.
    pub last_checkpoint: Option<RunState>,
    /// Whether the run was stopped before its last epoch (a limit, the dashboard's quit key,
    /// or the interrupter).
    pub interrupted: bool,
    /// The output directory.
    pub out: PathBuf,
}

/// Runs [`TrainingConfig`] on a dataset, writing into an output directory.
#[derive(Clone)]
pub struct Trainer {
    config: TrainingConfig,
    out: PathBuf,
    resume: bool,
    display: Display,
    limits: Limits,
    interrupter: Interrupter,
}

impl Trainer {
    /// A trainer writing into `out`.
    pub fn new(config: TrainingConfig, out: impl Into<PathBuf>) -> Self {
        Self {
            config,
            out: out.into(),
            resume: false,
            display: Display::Auto,
            limits: Limits::default(),
            interrupter: Interrupter::new(),
        }
    }

    /// Continue from the latest checkpoint in `out` instead of starting anew.
    pub fn with_resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Stop early (with a checkpoint) at these limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// A handle that stops the run (with a checkpoint) from another thread, e.g. on Ctrl-C.
    pub fn interrupter(&self) -> Interrupter {
        self.interrupter.clone()
    }

    /// How to show progress.
    pub fn with_display(mut self, display: Display) -> Self {
        self.display = display;
        self
    }

    /// The run's options.
    pub fn config(&self) -> &TrainingConfig {
        &self.config
    }

    /// The output directory.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Checks the data against the model and prepares `out`; returns the checkpoint to resume.
    fn prepare(&self, train: &CelebaDataset, valid: &CelebaDataset) -> crate::Result<Option<RunState>> {
        let c = &self.config;
        c.validate()?;
        for (name, set) in [("training", train), ("validation", valid)] {
            let o = set.options();
            if o.image_size as usize != c.model.image_size {
                return Err(TrainError::Options(format!(
                    "the {name} data is resized to {} pixels but the model's image_size is {}",
                    o.image_size, c.model.image_size
                )));
            }
            if o.attributes != c.model.attributes {
                return Err(TrainError::Options(format!(
                    "the {name} data has attributes [{}] but the model has [{}]",
                    o.attributes.join(", "),
                    c.model.attributes.join(", ")
                )));
            }
        }
        if train.len() < c.batch_size {
            return Err(TrainError::Options(format!(
                "the training split has {} images, fewer than one batch of {}",
                train.len(),
                c.batch_size
            )));
        }
        std::fs::create_dir_all(self.out.join(CHECKPOINT_DIR)).map_err(io_error(&self.out))?;
        std::fs::create_dir_all(self.out.join(SAMPLES_DIR)).map_err(io_error(&self.out))?;
        let checkpoints = self.out.join(CHECKPOINT_DIR);
        let config_path = self.out.join(CONFIG_FILE);
        let resume = match (self.resume, latest_complete(&checkpoints)) {
            (true, None) => {
                return Err(TrainError::Checkpoint {
                    path: checkpoints,
                    message: "no complete checkpoint to resume from; run without --resume to start".into(),
                });
            }
            (false, Some(n)) => {
                return Err(TrainError::Checkpoint {
                    path: checkpoints,
                    message: format!(
                        "holds checkpoint {n} of an earlier run; pass --resume to continue it, or choose another \
                         output directory (nothing was overwritten)"
                    ),
                });
            }
            (true, Some(n)) => {
                let saved = TrainingConfig::load(&config_path).map_err(|e| TrainError::Checkpoint {
                    path: config_path.clone(),
                    message: format!("cannot read the run's options: {e}"),
                })?;
                if let Some((name, old, new)) = c.resume_conflicts(&saved).into_iter().next() {
                    return Err(TrainError::Options(format!(
                        "cannot resume with a different {name}: the run in {} used {old}, now {new}",
                        self.out.display()
                    )));
                }
                Some(read_state(&checkpoints, n)?)
            }
            (false, None) => None,
        };
        write_atomically(&config_path, c.to_string().as_bytes())?;
        Ok(resume)
    }

    /// Trains on `train`, validating and sampling on `valid`, on `device`.
    pub fn fit<B: AutodiffBackend>(
        &self,
        train: CelebaDataset,
        valid: CelebaDataset,
        device: &B::Device,
    ) -> crate::Result<TrainSummary<B>> {
        let resume = self.prepare(&train, &valid)?;
        self.interrupter.reset();
        let c = &self.config;
        B::seed(device, c.seed);
        let model = AttGan::<B>::new(&c.model, device).with_settings(c.step_settings());
        let batches_per_epoch = train.len() / c.batch_size;
        let scheduler = AttGanLrScheduler::new(c.schedule, c.lr, batches_per_epoch, c.epochs);
        let learner = Learner::new(model, adam().init(), scheduler);

        let n_samples = c.sample_images.min(valid.len());
        let items: Vec<_> = (0..n_samples).map(|i| valid.try_get(i)).collect::<std::result::Result<_, _>>()?;
        let samples =
            (items.iter().map(|i| i.image.clone()).collect(), items.into_iter().map(|i| i.attributes).collect());

        let workers =
            if c.workers == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { c.workers };
        let start = resume.map_or(Position { epoch: 1, batch: 0 }, |s| Position { epoch: s.epoch, batch: s.batch });
        let valid_len = c.valid_images.min(valid.len());
        let valid_loader =
            loader::<B::InnerBackend, _>(PartialDataset::new(valid, 0, valid_len), c.batch_size, None, 1, device);
        let train_loader = Arc::new(EpochLoader::<B>::new(
            Arc::new(train),
            c.batch_size,
            c.n_d,
            c.seed,
            workers,
            device.clone(),
            start,
        ));
        let outcome = Arc::new(Mutex::new(Outcome::default()));
        let strategy = AttGanStrategy::<B> {
            config: c.clone(),
            out: self.out.clone(),
            device: device.clone(),
            resume,
            samples,
            batches_per_epoch,
            limits: self.limits,
            outcome: outcome.clone(),
        };

        let mut training = SupervisedTraining::new(&self.out, train_loader, valid_loader)
            .num_epochs(c.epochs)
            .with_training_strategy(TrainingStrategy::Custom(Arc::new(strategy)))
            .with_interrupter(self.interrupter.clone())
            .metric_train_numeric(LearningRateMetric::new())
            .metric_valid_numeric(TermMetric::<ValidOutput>::new(Term::ValidReconstruction))
            .metric_valid_numeric(TermMetric::<ValidOutput>::new(Term::ValidAttributeAccuracy));
        for term in Term::TRAIN {
            training = training.metric_train_numeric(TermMetric::<StepOutput>::new(term));
        }
        training = match self.display {
            Display::Auto if std::io::IsTerminal::is_terminal(&std::io::stdout()) => training,
            Display::Auto => training.renderer(LogRenderer::new(Duration::from_secs(10))),
            Display::Log(s) => training.renderer(LogRenderer::new(Duration::from_secs(s))),
            Display::Quiet => training.renderer(QuietRenderer),
        };
        let result = training.launch(learner);
        let mut outcome = std::mem::take(&mut *outcome.lock().expect("outcome lock"));
        if let Some(e) = outcome.error.take() {
            return Err(e);
        }
        Ok(TrainSummary {
            model: result.model,
            last_checkpoint: outcome.last,
            interrupted: outcome.interrupted,
            out: self.out.clone(),
        })
    }
}

/// The model of a run's latest checkpoint in `out`, in inference mode, with the run's options.
pub fn load_checkpoint<B: AutodiffBackend>(
    out: &Path,
    device: &B::Device,
) -> crate::Result<(AttGan<B::InnerBackend>, TrainingConfig)> {
    use burn::module::Module;
    use burn::train::checkpoint::Checkpointer;
    let config_path = out.join(CONFIG_FILE);
    let config = TrainingConfig::load(&config_path)
        .map_err(|e| TrainError::Checkpoint { path: config_path.clone(), message: e.to_string() })?;
    let dir = out.join(CHECKPOINT_DIR);
    let n = latest_complete(&dir)
        .ok_or_else(|| TrainError::Checkpoint { path: dir.clone(), message: "no complete checkpoint".into() })?;
    let store = crate::checkpoint::AtomicCheckpointer::new(&dir, "model");
    let record = Checkpointer::<_, B>::restore(&store, n, device)
        .map_err(|e| TrainError::Checkpoint { path: store.path(n), message: e.to_string() })?;
    let model = AttGan::<B>::new(&config.model, device).with_settings(config.step_settings()).load_record(record);
    Ok((model.valid(), config))
}
