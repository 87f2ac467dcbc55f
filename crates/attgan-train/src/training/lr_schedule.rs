//! Learning-rate schedules of AttGAN, as a Burn `LrScheduler` stepped once per batch.

use burn::config::Config;
use burn::optim::LearningRate;
use burn::optim::lr_scheduler::LrScheduler;
use burn::tensor::backend::Backend;

/// How the learning rate changes over epochs.
#[derive(Config, Debug, Copy, PartialEq)]
pub enum LrSchedule {
    /// The base rate throughout.
    Constant,
    /// The base rate times `factor^(epoch / every)`: AttGAN v1 divides by 10 every 100 epochs.
    Step {
        /// Epochs between drops.
        every: usize,
        /// Multiplier at each drop.
        factor: f64,
    },
    /// The base rate until epoch `start`, then a linear decay, batch by batch, to 0 at the
    /// end of the last epoch.
    Linear {
        /// The epoch (0-based, counting completed epochs) where the decay starts.
        start: usize,
    },
    /// AttGAN-Tensorflow v2's `LinearDecayLR` (tflib/utils/learning_rate.py, lines 13-18), set
    /// once per epoch: the base rate before epoch `start`, then in epoch e >= start
    /// `base * (1 - (e - start + 1) / (epochs - start + 1))`, so the last epoch still trains at
    /// `base / (epochs - start + 1)`.
    LinearByEpoch {
        /// The first epoch (0-based) with a lower rate.
        start: usize,
    },
}

impl LrSchedule {
    /// AttGAN v1: lr/10 after epoch 100 (AttGAN-Tensorflow v1's train.py at 4b00e6c, line 232;
    /// AttGAN-PyTorch's train.py, line 134).
    pub const PAPER: LrSchedule = LrSchedule::Step { every: 100, factor: 0.1 };
    /// AttGAN v2: the base rate for 30 epochs, then down by a 31st of it each epoch
    /// (AttGAN-Tensorflow's train.py, lines 30 and 281).
    pub const TF2: LrSchedule = LrSchedule::LinearByEpoch { start: 30 };

    /// The rate after `done` completed epochs (fractional within an epoch) of `total`.
    pub fn rate(&self, base: f64, done: f64, total: usize) -> f64 {
        match *self {
            LrSchedule::Constant => base,
            LrSchedule::Step { every, factor } => base * factor.powi((done / every.max(1) as f64).floor() as i32),
            LrSchedule::Linear { start } => {
                let span = total.saturating_sub(start).max(1) as f64;
                base * (1.0 - ((done - start as f64) / span).clamp(0.0, 1.0))
            }
            LrSchedule::LinearByEpoch { start } => {
                let epoch = done.floor() as usize;
                if epoch < start {
                    base
                } else {
                    let span = (total.saturating_sub(start) + 1) as f64;
                    base * (1.0 - (epoch - start + 1) as f64 / span).max(0.0)
                }
            }
        }
    }
}

impl std::str::FromStr for LrSchedule {
    type Err = String;

    /// `constant`, `step` (the paper's), `step:EVERY:FACTOR`, `linear:START`,
    /// `linear-by-epoch:START`.
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let num = |i: usize| -> Result<f64, String> {
            parts.get(i).ok_or(format!("`{s}` lacks a value"))?.parse::<f64>().map_err(|e| format!("`{s}`: {e}"))
        };
        match parts[0] {
            "constant" if parts.len() == 1 => Ok(LrSchedule::Constant),
            "step" if parts.len() == 1 => Ok(LrSchedule::PAPER),
            "step" if parts.len() == 3 => Ok(LrSchedule::Step { every: num(1)? as usize, factor: num(2)? }),
            "linear" if parts.len() == 2 => Ok(LrSchedule::Linear { start: num(1)? as usize }),
            "linear-by-epoch" if parts.len() == 2 => Ok(LrSchedule::LinearByEpoch { start: num(1)? as usize }),
            _ => Err(format!(
                "unknown learning-rate schedule `{s}`; expected constant, step, step:EVERY:FACTOR, linear:START \
                 or linear-by-epoch:START"
            )),
        }
    }
}

/// [`LrSchedule`] as Burn's Learner drives it: `step()` once per batch, the batch count saved
/// in checkpoints so that a resumed run continues the same curve.
#[derive(Debug, Clone)]
pub struct AttGanLrScheduler {
    schedule: LrSchedule,
    base: f64,
    batches_per_epoch: usize,
    epochs: usize,
    batches_done: usize,
}

impl AttGanLrScheduler {
    /// A scheduler at the start of training.
    pub fn new(schedule: LrSchedule, base: f64, batches_per_epoch: usize, epochs: usize) -> Self {
        Self { schedule, base, batches_per_epoch: batches_per_epoch.max(1), epochs, batches_done: 0 }
    }
}

impl LrScheduler for AttGanLrScheduler {
    type Record<B: Backend> = usize;

    fn step(&mut self) -> LearningRate {
        let done = self.batches_done as f64 / self.batches_per_epoch as f64;
        self.batches_done += 1;
        self.schedule.rate(self.base, done, self.epochs)
    }

    fn to_record<B: Backend>(&self) -> usize {
        self.batches_done
    }

    fn load_record<B: Backend>(mut self, record: usize) -> Self {
        self.batches_done = record;
        self
    }
}
