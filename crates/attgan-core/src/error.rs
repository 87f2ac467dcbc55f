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
    /// A weights file that cannot be read, or that does not fit the architecture of its config.
    #[error("{}: {message}", path.display())]
    Weights {
        /// The weights file.
        path: PathBuf,
        /// What is wrong, naming the parameter where one differs.
        message: String,
    },
    /// Two attribute lists that should be the same are not (a model and its classifier, a
    /// model and the source attributes given to it, ...).
    #[error("{what}: expected the attributes [{}], found [{}]", expected.join(", "), found.join(", "))]
    AttributeMismatch {
        /// What was compared with what.
        what: String,
        /// The list required.
        expected: Vec<String>,
        /// The list found.
        found: Vec<String>,
    },
}

/// Result with [`AttGanError`].
pub type Result<T> = std::result::Result<T, AttGanError>;
