//! The error type of training.

use std::path::PathBuf;

use crate::data::DataError;

/// What can stop a training run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The dataset could not be opened or read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A configuration or image error of the core crate.
    #[error(transparent)]
    Core(#[from] attgan_core::AttGanError),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A checkpoint that cannot be written, found or loaded.
    #[error("checkpoint {}: {message}", path.display())]
    Checkpoint {
        /// The checkpoint file or directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A fresh run's output directory holds an earlier run's checkpoints.
    #[error(
        "{}: holds checkpoint {checkpoint} of an earlier run; resume it, or choose another output directory \
         (nothing was overwritten)",
        dir.display()
    )]
    RunExists {
        /// The checkpoint directory.
        dir: PathBuf,
        /// The earlier run's latest complete checkpoint.
        checkpoint: usize,
    },
    /// A resumed run found no complete checkpoint.
    #[error("{}: no complete checkpoint to resume from; start a fresh run instead", dir.display())]
    NothingToResume {
        /// The checkpoint directory.
        dir: PathBuf,
    },
    /// Options that cannot describe a run; the message names the option.
    #[error("invalid training options: {0}")]
    Options(String),
    /// Training across several devices failed (a device, its thread or burn-collective).
    #[error("training on several devices: {0}")]
    Parallel(String),
    /// Training across several machines failed (a node that stopped answering, or whose options,
    /// data or weights differ from node 0's); the message names the node.
    #[error("training on several machines: {0}")]
    Cluster(String),
    /// A loss became NaN or infinite; the run stopped without checkpointing the bad state.
    #[error(
        "{term} became {value} at step {step} (epoch {epoch}); training stopped. The last good checkpoint \
         is {checkpoint}. Lower the learning rate or check the data, then resume the run from it"
    )]
    NonFinite {
        /// The loss term.
        term: String,
        /// Its value.
        value: f64,
        /// The global step.
        step: usize,
        /// The epoch.
        epoch: usize,
        /// The last checkpoint written, or a note that there is none.
        checkpoint: String,
    },
    /// Drawing the loss curves failed.
    #[error("drawing {}: {message}", path.display())]
    Plot {
        /// The image being drawn.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

/// Result with [`TrainError`].
pub type Result<T> = std::result::Result<T, TrainError>;

pub(crate) fn io_error(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> TrainError {
    let path = path.into();
    move |source| TrainError::Io { path, source }
}
