//! Whole jobs — train, edit, evaluate, train the attribute classifier, import and export models,
//! summarise the model, time the steps — as ordinary functions that choose the backend at run time and run on it.
//!
//! Each is compiled once, here, for every backend the build has, so a program that calls them
//! (the examples are thin command-line front ends over them) does not instantiate Burn's
//! training stack again: the examples build in seconds once the library is built. For code of
//! your own that is generic over the backend, use [`crate::backend::run`] with a
//! [`crate::backend::BackendJob`].
//!
//! The jobs print their progress on stderr, as a command-line program would.

pub mod classifier;
pub mod convert;
pub mod edit;
pub mod evaluate;
pub mod steps;
pub mod summary;
pub mod train;

use std::path::{Path, PathBuf};

use attgan_train::data::{CelebaDataset, DataConfig, Split, Variant};
use attgan_train::synthetic::{SyntheticOptions, write_synthetic_celeba};

/// Where a job's images come from: a CelebA or CelebA-HQ directory, or the synthetic
/// CelebA-format world (written on first use).
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// The dataset root; `None` for the synthetic world.
    pub root: Option<PathBuf>,
    /// CelebA's or CelebAMask-HQ's layout.
    pub variant: Variant,
    /// Which rows make each split and how images are cropped and resized (a training run's
    /// [`attgan_train::TrainingConfig::data`]).
    pub data: DataConfig,
    /// Images in the synthetic world.
    pub synthetic_images: usize,
}

impl Default for DataSource {
    /// The synthetic world of 4,000 faces, read as [`DataConfig::synthetic`] says.
    fn default() -> Self {
        Self { root: None, variant: Variant::Celeba, data: DataConfig::synthetic(), synthetic_images: 4000 }
    }
}

impl DataSource {
    /// Whether the synthetic world stands in for CelebA.
    pub fn is_synthetic(&self) -> bool {
        self.root.is_none()
    }

    /// The dataset root: the given one, or the synthetic world in `out/synthetic-celeba-N`,
    /// written first if it is not there yet.
    pub fn root(&self) -> attgan_train::data::Result<PathBuf> {
        if let Some(dir) = &self.root {
            return Ok(dir.clone());
        }
        let root = PathBuf::from(format!("out/synthetic-celeba-{}", self.synthetic_images));
        eprintln!(
            "no dataset given: using the synthetic CelebA-format world ({} drawn faces) in {}",
            self.synthetic_images,
            root.display()
        );
        write_synthetic_celeba(&root, SyntheticOptions { n_images: self.synthetic_images, ..Default::default() })?;
        Ok(root)
    }

    /// Opens `split` under `root` (from [`DataSource::root`]) for a network with these
    /// attributes and image size (the training split of a random-crop run yields larger images:
    /// [`DataConfig::training_image_size`]).
    pub fn open(
        &self,
        root: &Path,
        split: Split,
        attributes: &[String],
        image_size: usize,
    ) -> attgan_train::data::Result<CelebaDataset> {
        CelebaDataset::open(root, self.data.options(self.variant, split, attributes, image_size))
    }
}
