//! [`Trainer`] wires the model, the paper's Adam, the learning-rate schedule, the deterministic
//! loader and the training strategy into Burn's `SupervisedTraining` and launches it;
//! [`load_checkpoint`] reads a run back.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use attgan_core::atomic::write_atomically;
use burn::data::dataset::Dataset;
use burn::data::dataset::transform::PartialDataset;
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::train::metric::LearningRateMetric;
use burn::train::{Interrupter, Learner, SupervisedTraining, TrainingStrategy};

use super::checkpoint::{CHECKPOINT_DIR, RunState, complete_checkpoints, latest_complete, read_state};
use super::cluster::{Cluster, Hello, NodeLink};
use super::config::{TrainingConfig, check_splits};
use super::lr_schedule::AttGanLrScheduler;
use super::report::{Quantity, StepOutput, TermMetric, ValidOutput};
use super::run_dir::{CONFIG_FILE, SAMPLES_DIR};
use super::strategy::{AttGanStrategy, CriticSchedule, Limits, Outcome};
use crate::data::{CelebaBatch, CelebaDataset, EpochLoader, Position, loader, worker_count};
use crate::error::{TrainError, io_error};
use crate::model::{AttGan, adam};
use crate::progress::Display;
use attgan_core::Term;
use burn::data::dataloader::DataLoader;

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
    cluster: Option<Cluster>,
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
            cluster: None,
        }
    }

    /// Train as one node of a group of machines ([`Cluster`]): every node runs the same run on
    /// the same data with its own devices and takes its part of every batch; node 0 coordinates.
    pub fn with_cluster(mut self, cluster: Cluster) -> Self {
        self.cluster = Some(cluster);
        self
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

    /// Checks the options and the data against the model.
    fn check(&self, train: &CelebaDataset, valid: &CelebaDataset) -> crate::error::Result<()> {
        let c = &self.config;
        c.validate()?;
        let sizes = (c.model.image_size, c.data.training_image_size(c.model.image_size));
        check_splits("model", sizes, &c.model.attributes, train, valid)?;
        if train.len() < c.batch_size {
            return Err(TrainError::Options(format!(
                "the training split has {} images, fewer than one batch of {}",
                train.len(),
                c.batch_size
            )));
        }
        Ok(())
    }

    /// Prepares `out` and returns the checkpoint to resume from: none for a fresh run (which
    /// refuses a directory holding an earlier run's checkpoints), the latest complete one for a
    /// resumed run (whose options must agree with the saved ones).
    fn prepare_out(&self) -> crate::error::Result<Option<RunState>> {
        let checkpoints = self.out.join(CHECKPOINT_DIR);
        std::fs::create_dir_all(&checkpoints).map_err(io_error(&self.out))?;
        std::fs::create_dir_all(self.out.join(SAMPLES_DIR)).map_err(io_error(&self.out))?;
        let config_path = self.out.join(CONFIG_FILE);
        let resume = match (self.resume, latest_complete(&checkpoints)) {
            (true, None) => return Err(TrainError::NothingToResume { dir: checkpoints }),
            (false, Some(n)) => return Err(TrainError::RunExists { dir: checkpoints, checkpoint: n }),
            (true, Some(n)) => {
                let saved = TrainingConfig::read(&config_path).map_err(|e| TrainError::Checkpoint {
                    path: config_path.clone(),
                    message: format!("cannot read the run's options: {e}"),
                })?;
                if let Some((name, old, new)) = self.config.resume_conflicts(&saved).into_iter().next() {
                    return Err(TrainError::Options(format!(
                        "cannot resume with a different {name}: the run in {} used {old}, now {new}",
                        self.out.display()
                    )));
                }
                Some(read_state(&checkpoints, n)?)
            }
            (false, None) => None,
        };
        write_atomically(&config_path, self.config.to_string().as_bytes())?;
        Ok(resume)
    }

    /// Trains on `train`, validating and sampling on `valid`, on `device`.
    pub fn fit<B: AutodiffBackend>(
        &self,
        train: CelebaDataset,
        valid: CelebaDataset,
        device: &B::Device,
    ) -> crate::error::Result<TrainSummary<B>> {
        self.fit_on::<B>(train, valid, std::slice::from_ref(device))
    }

    /// [`Trainer::fit`] on several devices: each takes an equal share of every batch (the batch
    /// size must split evenly), their gradients are averaged with burn-collective and every
    /// device applies the same update ([`DataParallel`](super::DataParallel)). The first device
    /// loads the data, validates, samples and checkpoints. A device may appear more than once
    /// (two replicas on one CPU, for testing).
    pub fn fit_on<B: AutodiffBackend>(
        &self,
        train: CelebaDataset,
        valid: CelebaDataset,
        devices: &[B::Device],
    ) -> crate::error::Result<TrainSummary<B>> {
        let Some((device, others)) = devices.split_first() else {
            return Err(TrainError::Options("no device to train on".into()));
        };
        let batch = self.config.batch_size;
        let nodes = self.cluster.as_ref().map_or(1, |c| c.nodes);
        let total = devices.len() * nodes;
        if !batch.is_multiple_of(total) {
            let over = match nodes {
                1 => format!("{} devices", devices.len()),
                _ => format!("{nodes} nodes x {} devices", devices.len()),
            };
            return Err(TrainError::Options(format!(
                "batch_size {batch} does not split evenly over {over}; choose a multiple of {total}"
            )));
        }
        self.check(&train, &valid)?;
        let mut resume = self.prepare_out()?;
        let link = match &self.cluster {
            Some(cluster) if cluster.nodes > 1 => {
                let dir = self.out.join(CHECKPOINT_DIR);
                let states = match resume {
                    Some(_) => {
                        complete_checkpoints(&dir).into_iter().map(|n| read_state(&dir, n)).collect::<Result<_, _>>()?
                    }
                    None => Vec::new(),
                };
                let hello = Hello {
                    rank: cluster.rank,
                    nodes: cluster.nodes,
                    devices: devices.len(),
                    resume: resume.is_some(),
                    checkpoints: states.iter().map(|s: &RunState| s.steps).collect(),
                    train_images: train.len(),
                    options: node_options(&self.config)?,
                };
                let (link, start) = NodeLink::join(cluster, &hello)?;
                // The group resumes from the newest checkpoint every node has.
                if resume.is_some() {
                    resume = states.into_iter().find(|s| s.steps == start);
                }
                Some(link)
            }
            _ => None,
        };
        self.interrupter.reset();
        let c = &self.config;
        B::seed(device, c.seed);
        let model = AttGan::<B>::new(&c.model, device).with_settings(c.step_settings());
        let batches_per_epoch = train.len() / c.batch_size;
        let scheduler = AttGanLrScheduler::new(c.schedule, c.lr, batches_per_epoch, c.epochs);
        let learner = Learner::new(model, adam().init(), scheduler);
        let outcome = Arc::new(Mutex::new(Outcome::default()));
        let strategy = AttGanStrategy::<B> {
            config: c.clone(),
            schedule: CriticSchedule { n_d: c.n_d },
            out: self.out.clone(),
            device: device.clone(),
            others: others.to_vec(),
            rank: link.as_ref().map_or(0, |l| l.rank()),
            nodes: Mutex::new(link),
            resume,
            samples: sample_items(&valid, c.sample_images)?,
            batches_per_epoch,
            limits: self.limits,
            outcome: outcome.clone(),
        };
        let (train_loader, valid_loader) = self.loaders::<B>(train, valid, resume, device);
        let mut training = SupervisedTraining::new(&self.out, train_loader, valid_loader)
            .num_epochs(c.epochs)
            .with_training_strategy(TrainingStrategy::Custom(Arc::new(strategy)))
            .with_interrupter(self.interrupter.clone())
            .metric_train_numeric(LearningRateMetric::new())
            .metric_valid_numeric(TermMetric::<ValidOutput>::new(Quantity::ValidReconstruction))
            .metric_valid_numeric(TermMetric::<ValidOutput>::new(Quantity::ValidAttributeAccuracy));
        for term in Term::ALL {
            training = training.metric_train_numeric(TermMetric::<StepOutput>::new(Quantity::Loss(term)));
        }
        let result = self.display.install(training).launch(learner);
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

impl Trainer {
    /// The training loader (deterministic, from the resumed position) and the validation one
    /// (its first `valid_images`).
    #[allow(clippy::type_complexity)]
    fn loaders<B: AutodiffBackend>(
        &self,
        train: CelebaDataset,
        valid: CelebaDataset,
        resume: Option<RunState>,
        device: &B::Device,
    ) -> (Arc<EpochLoader<B>>, Arc<dyn DataLoader<B::InnerBackend, CelebaBatch<B::InnerBackend>>>) {
        let c = &self.config;
        let start = resume.map_or(Position { epoch: 1, batch: 0 }, |s| Position { epoch: s.epoch, batch: s.batch });
        let workers = worker_count(c.workers);
        let train = EpochLoader::<B>::new(Arc::new(train), c.batch_size, c.seed, workers, device.clone(), start);
        let valid_len = c.valid_images.min(valid.len());
        let valid =
            loader::<B::InnerBackend, _>(PartialDataset::new(valid, 0, valid_len), c.batch_size, None, 1, device);
        (Arc::new(train), valid)
    }
}

/// The options every node must share, as JSON: all but the number of decoding threads, which
/// may suit each machine.
fn node_options(config: &TrainingConfig) -> crate::error::Result<serde_json::Value> {
    let mut options: serde_json::Value = serde_json::from_str(&config.to_string())
        .map_err(|e| TrainError::Options(format!("the run's options as JSON: {e}")))?;
    if let Some(map) = options.as_object_mut() {
        map.remove("workers");
    }
    Ok(options)
}

/// The first `n` validation images and their attributes: the rows of every sample grid.
fn sample_items(valid: &CelebaDataset, n: usize) -> crate::error::Result<(Vec<image::RgbImage>, Vec<Vec<f32>>)> {
    let items = (0..n.min(valid.len())).map(|i| valid.try_get(i)).collect::<Result<Vec<_>, _>>()?;
    Ok((items.iter().map(|i| i.image.clone()).collect(), items.into_iter().map(|i| i.attributes).collect()))
}

/// The model of a run's latest checkpoint in `out`, in inference mode, with the run's options.
pub fn load_checkpoint<B: AutodiffBackend>(
    out: &Path,
    device: &B::Device,
) -> crate::error::Result<(AttGan<B::InnerBackend>, TrainingConfig)> {
    use burn::module::Module;
    use burn::train::checkpoint::Checkpointer;
    let config_path = out.join(CONFIG_FILE);
    let config = TrainingConfig::read(&config_path)
        .map_err(|e| TrainError::Checkpoint { path: config_path.clone(), message: e })?;
    let dir = out.join(CHECKPOINT_DIR);
    let n = latest_complete(&dir)
        .ok_or_else(|| TrainError::Checkpoint { path: dir.clone(), message: "no complete checkpoint".into() })?;
    let store = super::checkpoint::AtomicCheckpointer::new(&dir, "model");
    let record = Checkpointer::<_, B>::restore(&store, n, device)
        .map_err(|e| TrainError::Checkpoint { path: store.path(n), message: e.to_string() })?;
    let model = AttGan::<B>::new(&config.model, device).with_settings(config.step_settings()).load_record(record);
    Ok((model.valid(), config))
}
