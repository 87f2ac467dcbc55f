//! The data pipeline: CelebA and CelebA-HQ in their published layouts, preprocessing as AttGAN
//! v1, a Burn `Dataset`/`Batcher`, the deterministic training loader, and `verify`.

pub mod annotations;
pub mod batcher;
pub mod celeba;
pub mod config;
pub mod error;
pub mod loader;
pub mod verify;

pub use annotations::{AttributeTable, Split};
pub use attgan_core::image::{Crop, Preprocess, Region, Resize, preprocess};
pub use batcher::{CelebaBatch, CelebaBatcher, loader, worker_count};
pub use celeba::{BadImages, CelebaDataset, CelebaItem, CelebaOptions, Layout, SplitScheme, Variant};
pub use config::{DataConfig, SplitChoice};
pub use error::{DataError, Result};
pub use loader::{EpochLoader, Position, TrainBatch, step_seed};
pub use verify::{VerifyOptions, VerifyReport, verify};
