//! # attgan
//!
//! AttGAN facial attribute editing (He et al., "AttGAN: Facial Attribute Editing by Only Changing
//! What You Want", IEEE TIP 2019) in pure Rust on [Burn](https://burn.dev) 0.21.
//!
//! This facade re-exports the member crates and adds what needs a backend chosen at run time:
//!
//! - [`attgan_core`] (everything at the top level): the networks Genc, Gdec and D/C, the losses
//!   with the exact WGAN-GP penalty, CelebA attributes, images and sample grids, the [`Editor`].
//! - [`train`] ([`attgan_train`]): the CelebA data pipeline, the synthetic CelebA world, the
//!   training on Burn's Learner, evaluation.
//! - [`backend`]: CUDA, wgpu or the CPU, chosen at run time.
//! - [`tasks`]: whole jobs (train, edit, evaluate, ...) as plain functions; the examples are thin
//!   command-line front ends over them.
//! - `studio` (feature `studio`, on by default): AttGAN Studio, the web editor.
//!
#![doc = include_str!("../docs/api.md")]

pub use attgan_core::*;
pub use attgan_train as train;

pub mod backend;
#[cfg(feature = "studio")]
pub mod studio;
pub mod tasks;
