//! Training AttGAN on Burn's Learner. Read it top-down, as Burn's own examples:
//!
//! - [`model`]: [`AttGan`] (G and D/C as one module) and the paper's Adam ([`adam`]), updated
//!   in one pass on the CPU ([`optim`]);
//! - [`data`]: CelebA and CelebA-HQ in their published layouts, preprocessing, batching, the
//!   deterministic training loader, `verify`;
//! - [`synthetic`]: a synthetic CelebA-format world of drawn faces, and an oracle that reads
//!   their attributes back, so that training can be run and judged on any machine;
//! - [`training`]: the run: its options, the critic and generator steps, the 5:1 critic
//!   schedule on Burn's Learner, checkpoints, reports, curves ([`Trainer`]);
//! - [`classifier`]: training the attribute classifier that judges edits (STGAN's);
//! - [`eval`]: the papers' measures of a trained generator (PSNR, SSIM, editing accuracy);
//! - [`bench`](mod@bench): the training steps, ready to be timed;
//! - [`progress`]: the dashboard or log lines, for either trainer.

pub mod bench;
pub mod classifier;
pub mod data;
pub mod error;
pub mod eval;
pub mod model;
pub mod optim;
pub mod progress;
pub mod synthetic;
pub mod training;

pub use error::{Result, TrainError};
pub use model::{AttGan, StepSettings, adam};
pub use progress::Display;
pub use training::{Cluster, Limits, LrSchedule, Preset, TrainSummary, Trainer, TrainingConfig};
