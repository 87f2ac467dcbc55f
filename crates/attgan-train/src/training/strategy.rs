//! The training strategy: the 5:1 critic schedule ([`CriticSchedule`]) driving Burn's Learner
//! (`TrainingStrategy::Custom`).
//!
//! Burn's default single-device loop steps the optimizer once per batch and checkpoints once
//! per epoch. AttGAN needs more, so this strategy drives the same Learner (its train step,
//! optimizer step, scheduler, event processor and checkpointer) with: the phase of each step
//! decided here from the step count, a stop on NaN before the bad update is applied,
//! checkpoints, sample grids and curve plots every K steps as well as each epoch, a CSV row per
//! step, and resumption mid-epoch.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use attgan_core::Phase;
use attgan_core::editor::save_export;
use attgan_core::image::batch_to_tensor;
use attgan_core::samples::edit_grid;
use burn::data::dataloader::Progress;
use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::tensor::backend::AutodiffBackend;
use burn::train::checkpoint::{AsyncCheckpointer, KeepLastNCheckpoints};
use burn::train::metric::store::EventStoreClient;
use burn::train::{
    EventProcessorTraining, InferenceStep, Interrupter, Learner, LearnerEvent, LearningCheckpointer,
    LearningComponentsMarker, SupervisedLearningStrategy, SupervisedTrainingEventProcessor, TrainLoader,
    TrainingComponents, TrainingItem, ValidLoader,
};
use image::RgbImage;

use super::checkpoint::{AtomicCheckpointer, CHECKPOINT_DIR, RunState, state_path, write_state};
use super::cluster::NodeLink;
use super::config::TrainingConfig;
use super::lr_schedule::AttGanLrScheduler;
use super::parallel::DataParallel;
use super::plot::plot_curves;
use super::report::{CsvLog, CsvRow, StepOutput, read_csv};
use super::run_dir::{CURVES_FILE, METRICS_FILE, SAMPLES_DIR};
use crate::data::TrainBatch;
use crate::error::{Result, TrainError};
use crate::model::AttGan;

/// The critic schedule: `n_d` critic steps, then one generator step, again and again (the
/// paper's n_d is 5). Steps are counted over the whole run from 0, so a resumed run continues
/// the same pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CriticSchedule {
    /// Critic steps per generator step.
    pub n_d: usize,
}

impl CriticSchedule {
    /// Which network global step `step` trains: steps 0..n_d are critic steps, step n_d a
    /// generator step, and so on.
    pub fn phase(self, step: usize) -> Phase {
        if step % (self.n_d + 1) < self.n_d { Phase::Critic } else { Phase::Generator }
    }
}

type Components<B, O> = LearningComponentsMarker<B, AttGanLrScheduler, AttGan<B>, O>;

/// How a run ended, for the trainer to report.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub error: Option<TrainError>,
    pub last: Option<RunState>,
    pub interrupted: bool,
}

/// The strategy; built by the trainer.
pub(crate) struct AttGanStrategy<B: AutodiffBackend> {
    pub config: TrainingConfig,
    pub schedule: CriticSchedule,
    pub out: PathBuf,
    pub device: B::Device,
    /// Further devices, each with a replica ([`DataParallel`]); empty on one device.
    pub others: Vec<B::Device>,
    /// The link to the other machines, when several train together (taken by `fit`).
    pub nodes: Mutex<Option<NodeLink>>,
    /// This node's rank (0 on one machine): only node 0 writes sample grids.
    pub rank: usize,
    pub resume: Option<RunState>,
    pub samples: (Vec<RgbImage>, Vec<Vec<f32>>),
    pub batches_per_epoch: usize,
    pub limits: Limits,
    pub outcome: Arc<Mutex<Outcome>>,
}

/// Where a run stops early (with a checkpoint, so that a resumed run continues it).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    /// Stop once this many steps are done in all.
    pub steps: Option<usize>,
    /// Stop once this session has trained this long.
    pub time: Option<std::time::Duration>,
}

/// The run's mutable bookkeeping inside `fit`.
struct Run<B: AutodiffBackend, O: Optimizer<AttGan<B>, B> + 'static> {
    checkpointer: LearningCheckpointer<Components<B, O>>,
    csv: CsvLog,
    state: RunState,
    last_saved: Option<RunState>,
    started: Instant,
    seconds_before: f64,
    interrupter: Interrupter,
    store: Arc<EventStoreClient>,
    num_epochs: usize,
    peers: Option<DataParallel<B>>,
}

impl<B: AutodiffBackend, O: Optimizer<AttGan<B>, B> + 'static> Run<B, O> {
    fn seconds(&self) -> f64 {
        self.seconds_before + self.started.elapsed().as_secs_f64()
    }
}

impl<B: AutodiffBackend> AttGanStrategy<B> {
    fn checkpoint_dir(&self) -> PathBuf {
        self.out.join(CHECKPOINT_DIR)
    }

    /// Writes checkpoint `run.state.index + 1` at the current position, the G export and the plot.
    fn save<O: Optimizer<AttGan<B>, B> + 'static>(
        &self,
        learner: &Learner<Components<B, O>>,
        run: &mut Run<B, O>,
    ) -> Result<()> {
        if run.last_saved.is_some_and(|s| s.steps == run.state.steps) {
            return Ok(());
        }
        run.state.index += 1;
        run.state.seconds = run.seconds();
        if let Some(peers) = &run.peers {
            // Checked, not assumed: every replica must hold the model being saved.
            peers.check_replicas(&learner.model())?;
        }
        run.checkpointer.checkpoint(learner, run.state.index, &run.store);
        let dir = self.checkpoint_dir();
        write_state(&dir, &run.state)?;
        if let Some(old) = run.state.index.checked_sub(self.config.keep_checkpoints.max(1)) {
            let _ = std::fs::remove_file(state_path(&dir, old));
        }
        let model = learner.model().valid();
        save_export(&model.g, Some(&model.d.classifier()), &self.config.model, &self.out)?;
        run.last_saved = Some(run.state);
        self.plot()
    }

    fn plot(&self) -> Result<()> {
        let csv = self.out.join(METRICS_FILE);
        let rows = read_csv(&csv).map_err(crate::error::io_error(&csv))?;
        plot_curves(&rows, self.out.join(CURVES_FILE))
    }

    /// The sample grid of the fixed validation images, as `samples/<name>.png`.
    fn sample<O: Optimizer<AttGan<B>, B> + 'static>(
        &self,
        learner: &Learner<Components<B, O>>,
        name: &str,
    ) -> Result<()> {
        let (images, attrs) = &self.samples;
        if images.is_empty() || self.rank > 0 {
            return Ok(());
        }
        let model = learner.model().valid();
        let x = batch_to_tensor::<B::InnerBackend>(images, &self.device)?;
        let grid = edit_grid(&model.g, &self.config.model, x, attrs, self.config.test_int)?;
        grid.save(self.out.join(SAMPLES_DIR).join(format!("{name}.png")))?;
        Ok(())
    }

    fn run_epochs<O: Optimizer<AttGan<B>, B> + 'static>(
        &self,
        learner: &mut Learner<Components<B, O>>,
        processor: &mut SupervisedTrainingEventProcessor<Components<B, O>>,
        train: &TrainLoader<Components<B, O>>,
        valid: &ValidLoader<Components<B, O>>,
        run: &mut Run<B, O>,
    ) -> Result<()> {
        while run.state.epoch <= run.num_epochs {
            let epoch = run.state.epoch;
            let global = Progress::new(epoch, run.num_epochs);
            let mut iter = train.iter();
            while let Some(mut item) = iter.next() {
                // The critic schedule decides which network this batch trains.
                item.phase = Some(self.schedule.phase(item.step));
                let output = self.step(learner, run, item)?;
                let item = TrainingItem::new(
                    output,
                    iter.progress(),
                    global.clone(),
                    Some(run.state.batch),
                    Some(learner.lr_current()),
                );
                processor.process_train(LearnerEvent::ProcessedItem(item));
                if self.after_step(learner, run)? {
                    return Ok(());
                }
            }
            processor.process_train(LearnerEvent::EndEpoch(epoch));
            self.validate(learner, processor, valid, &global);
            run.state.epoch = epoch + 1;
            run.state.batch = 0;
            self.save(learner, run)?;
            self.sample(learner, &format!("epoch-{epoch:04}"))?;
        }
        Ok(())
    }

    /// One step: the gradients, a stop before the update if a loss is not finite, the update,
    /// and its row in `metrics.csv`.
    fn step<O: Optimizer<AttGan<B>, B> + 'static>(
        &self,
        learner: &mut Learner<Components<B, O>>,
        run: &mut Run<B, O>,
        item: TrainBatch<B>,
    ) -> Result<StepOutput> {
        learner.lr_step();
        let output = match &run.peers {
            None => learner.train_step(item),
            Some(peers) => peers.train_step(&learner.model(), item)?,
        };
        if let Some((term, value)) = output.item.losses.non_finite() {
            if let Some(peers) = &run.peers {
                peers.skip()?;
            }
            let checkpoint = run.last_saved.map_or("none yet (no checkpoint was written)".to_string(), |s| {
                format!("{} (step {})", state_path(&self.checkpoint_dir(), s.index).display(), s.steps)
            });
            run.interrupter.stop(Some("a loss became non-finite"));
            return Err(TrainError::NonFinite {
                term: term.label().to_string(),
                value,
                step: output.item.step,
                epoch: output.item.epoch,
                checkpoint,
            });
        }
        learner.optimizer_step(output.grads);
        if let Some(peers) = &run.peers {
            peers.apply(learner.lr_current())?;
        }
        let row = CsvRow::new(&output.item, learner.lr_current(), run.seconds());
        run.csv.append(&row).map_err(crate::error::io_error(run.csv.path()))?;
        run.state.steps = output.item.step + 1;
        run.state.batch += 1;
        Ok(output.item)
    }

    /// The limits, sample grids and checkpoints due after a step; true when the run stops.
    fn after_step<O: Optimizer<AttGan<B>, B> + 'static>(
        &self,
        learner: &Learner<Components<B, O>>,
        run: &mut Run<B, O>,
    ) -> Result<bool> {
        let every = |k: usize| k > 0 && run.state.steps.is_multiple_of(k);
        let limits = self.limits;
        if limits.steps.is_some_and(|n| run.state.steps >= n) || limits.time.is_some_and(|t| run.started.elapsed() >= t)
        {
            run.interrupter.stop(Some("the step or time limit was reached"));
        }
        if every(self.config.sample_every) {
            self.sample(learner, &format!("step-{:07}", run.state.steps))?;
        }
        let wanted = run.interrupter.should_stop();
        // Across machines every node stops at the same step: when any node wants to.
        let stop = match &run.peers {
            Some(peers) => peers.agree_to_stop(wanted)?,
            None => wanted,
        };
        if stop && !wanted {
            run.interrupter.stop(Some("another node of the group stopped"));
        }
        if every(self.config.checkpoint_every) || stop {
            if run.state.batch >= self.batches_per_epoch {
                run.state.epoch += 1;
                run.state.batch = 0;
            }
            self.save(learner, run)?;
        }
        Ok(stop)
    }

    fn validate<O: Optimizer<AttGan<B>, B> + 'static>(
        &self,
        learner: &Learner<Components<B, O>>,
        processor: &mut SupervisedTrainingEventProcessor<Components<B, O>>,
        valid: &ValidLoader<Components<B, O>>,
        global: &Progress,
    ) {
        let model = learner.model().valid();
        let mut iter = valid.iter();
        let mut iteration = 0;
        while let Some(batch) = iter.next() {
            iteration += 1;
            let output = model.step(batch);
            let item = TrainingItem::new(output, iter.progress(), global.clone(), Some(iteration), None);
            processor.process_valid(LearnerEvent::ProcessedItem(item));
        }
        processor.process_valid(LearnerEvent::EndEpoch(global.items_processed));
    }
}

impl<B, O> SupervisedLearningStrategy<Components<B, O>> for AttGanStrategy<B>
where
    B: AutodiffBackend,
    O: Optimizer<AttGan<B>, B> + 'static,
{
    fn fit(
        &self,
        components: TrainingComponents<Components<B, O>>,
        mut learner: Learner<Components<B, O>>,
        train: TrainLoader<Components<B, O>>,
        valid: ValidLoader<Components<B, O>>,
        _starting_epoch: usize,
    ) -> (AttGan<B>, SupervisedTrainingEventProcessor<Components<B, O>>) {
        let dir = self.checkpoint_dir();
        let keep = self.config.keep_checkpoints.max(1);
        let checkpointer = LearningCheckpointer::new(
            AsyncCheckpointer::new(AtomicCheckpointer::new(&dir, "model")),
            AsyncCheckpointer::new(AtomicCheckpointer::new(&dir, "optim")),
            AsyncCheckpointer::new(AtomicCheckpointer::new(&dir, "scheduler")),
            Box::new(KeepLastNCheckpoints::new(keep)),
        );
        let fresh = RunState { index: 0, steps: 0, epoch: 1, batch: 0, seconds: 0.0 };
        let state = self.resume.unwrap_or(fresh);
        if let Some(resume) = self.resume {
            learner = checkpointer.load_checkpoint(learner, &self.device, resume.index);
        }
        let mut processor = components.event_processor;
        let csv_path = self.out.join(METRICS_FILE);
        let resume_after = self.resume.and_then(|s| s.steps.checked_sub(1));
        let nodes = self.nodes.lock().expect("node link lock").take();
        let peers = match self.others.is_empty() && nodes.is_none() {
            true => Ok(None),
            false => {
                let from = self.resume.map(|s| (dir.clone(), s.index));
                let model = learner.model();
                DataParallel::start(&model, &self.device, &self.others, from, nodes).map(Some)
            }
        };
        let result = peers.and_then(|peers| {
            let csv = CsvLog::open(&csv_path, resume_after).map_err(crate::error::io_error(&csv_path))?;
            let mut run = Run {
                checkpointer,
                csv,
                state,
                last_saved: self.resume,
                started: Instant::now(),
                seconds_before: state.seconds,
                interrupter: components.interrupter.clone(),
                store: components.event_store.clone(),
                num_epochs: components.num_epochs,
                peers,
            };
            let result = self.run_epochs(&mut learner, &mut processor, &train, &valid, &mut run);
            self.outcome.lock().expect("outcome lock").last = run.last_saved;
            result
        });
        let mut outcome = self.outcome.lock().expect("outcome lock");
        outcome.interrupted = components.interrupter.should_stop();
        if let Err(e) = result {
            outcome.error = Some(e);
        }
        (learner.model(), processor)
    }
}
