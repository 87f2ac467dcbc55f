//! The data pipeline: CelebA and CelebA-HQ in their published layouts, preprocessing as AttGAN
//! v1, a Burn `Dataset`/`Batcher`, `verify`, and a synthetic CelebA-format world with an oracle
//! that reads its attributes back.

pub mod annotations;
pub mod batcher;
pub mod celeba;
pub mod error;
pub mod face;
pub mod oracle;
pub mod synthetic;
pub mod verify;

pub use annotations::{AttributeTable, Split};
pub use attgan_core::image::{Crop, preprocess};
pub use batcher::{CelebaBatch, CelebaBatcher, loader};
pub use celeba::{BadImages, CelebaDataset, CelebaItem, CelebaOptions, Layout, SplitScheme, Variant};
pub use error::{DataError, Result};
pub use synthetic::{SyntheticOptions, write_synthetic_celeba};
pub use verify::{VerifyOptions, VerifyReport, verify};
