//! Training AttGAN on Burn's Learner: the data pipeline ([`data`]) for CelebA, CelebA-HQ and a
//! synthetic CelebA-format world, the critic and generator steps ([`step`]), the 5:1 schedule
//! with checkpoints, curves and sample grids ([`training`]), and measurement ([`eval`]).

pub mod bench;
pub mod checkpoint;
pub mod classifier;
pub mod data;
pub mod error;
pub mod eval;
pub mod loader;
pub mod metrics;
pub mod plot;
pub mod renderer;
pub mod schedule;
pub mod step;
mod strategy;
pub mod training;

pub use error::{Result, TrainError};
pub use schedule::LrSchedule;
pub use training::{Display, TrainSummary, Trainer, TrainingConfig};
