//! Errors of the data pipeline: each names the file, and the line where there is one.

use std::path::PathBuf;

/// What can go wrong reading a CelebA-format dataset.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A directory or file that the layout requires is not there.
    #[error("{what} not found at {}\n{hint}", path.display())]
    Missing {
        /// The path that was looked for.
        path: PathBuf,
        /// What it should have been, e.g. "attribute file".
        what: &'static str,
        /// The expected layout.
        hint: String,
    },
    /// A line of an annotation file that does not parse.
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        /// The annotation file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// An image that cannot be read or decoded.
    #[error("{}: {message}", path.display())]
    BadImage {
        /// The image file.
        path: PathBuf,
        /// Why it failed.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A request that the data cannot satisfy (an empty split, a crop outside the image, ...).
    #[error("{0}")]
    Invalid(String),
    /// An error of the core crate (an unknown attribute, an image of the wrong shape, ...).
    #[error(transparent)]
    Core(#[from] attgan_core::AttGanError),
}

/// Result with [`DataError`].
pub type Result<T> = std::result::Result<T, DataError>;

pub(crate) fn io_error(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> DataError {
    let path = path.into();
    move |source| DataError::Io { path, source }
}
