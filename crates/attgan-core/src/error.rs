//! The one error type of the core crate.

use std::path::PathBuf;

/// What can go wrong when configuring, editing or writing images.
#[derive(Debug, thiserror::Error)]
pub enum AttGanError {
    /// A configuration that cannot describe a working AttGAN; the message names the field.
    #[error("invalid AttGAN config: {0}")]
    InvalidConfig(String),
    /// An attribute name that is not among the ones expected.
    #[error("unknown attribute `{name}`; expected one of: {}", known.join(", "))]
    UnknownAttribute {
        /// The name that was given.
        name: String,
        /// The names that would have been accepted.
        known: Vec<String>,
    },
    /// A tensor or image whose shape does not fit the operation.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Encoding or decoding an image failed.
    #[error("{}: {source}", path.display())]
    Image {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: ::image::ImageError,
    },
}

/// Result with [`AttGanError`].
pub type Result<T> = std::result::Result<T, AttGanError>;
