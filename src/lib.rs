//! # attgan
//!
//! AttGAN facial attribute editing (He et al., IEEE TIP 2019) in pure Rust on
//! [Burn](https://burn.dev). This facade re-exports the member crates:
//!
//! - [`attgan_core`] (everything at the top level): the networks Genc, Gdec and D/C, the losses
//!   with the exact WGAN-GP penalty, CelebA attributes, image conversion and sample grids.
//! - [`train`] ([`attgan_train`]): the CelebA data pipeline and the synthetic CelebA world.
//! - [`backend`]: choosing CUDA, wgpu or the CPU at run time.

pub use attgan_core::*;
pub use attgan_train as train;

pub mod backend;
