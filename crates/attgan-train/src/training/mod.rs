//! Training a whole AttGAN on Burn's Learner, read top-down:
//!
//! - [`config`]: [`TrainingConfig`], every option of a run (the paper's defaults);
//! - [`preset`]: [`Preset`], every setting of a reference implementation (paper, pytorch, tf2)
//!   or of the synthetic world's quick run, by name;
//! - [`step`]: one critic step and one generator step, gradients apart from the update;
//! - [`strategy`]: the 5:1 critic schedule ([`CriticSchedule`]) driving the Learner, with
//!   checkpoints, sample grids, curves and a stop on NaN;
//! - [`parallel`]: the same steps on several devices ([`DataParallel`]: a replica per device,
//!   gradients averaged with burn-collective);
//! - [`cluster`]: the same across machines ([`Cluster`], and the link between the nodes);
//! - [`lr_schedule`]: the learning-rate schedules (v1's step, v2's linear decay);
//! - [`checkpoint`], [`report`] (the per-step losses and `metrics.csv`), [`plot`], [`run_dir`]
//!   (the files of a run's directory);
//! - [`trainer`]: [`Trainer`], which wires them together and launches the run.

pub mod checkpoint;
pub mod cluster;
pub mod config;
pub mod lr_schedule;
pub mod parallel;
pub mod plot;
pub mod preset;
pub mod report;
pub mod run_dir;
pub mod step;
pub mod strategy;
pub mod trainer;

pub use cluster::Cluster;
pub use config::TrainingConfig;
pub use lr_schedule::{AttGanLrScheduler, LrSchedule};
pub use parallel::DataParallel;
pub use preset::Preset;
pub use strategy::{CriticSchedule, Limits};
pub use trainer::{TrainSummary, Trainer, load_checkpoint};
