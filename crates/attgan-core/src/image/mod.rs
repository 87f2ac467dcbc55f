//! Images in and out of the networks: the one [`Crop`] and AttGAN's preprocessing, `RgbImage` <->
//! NCHW tensors in [-1, 1], the labelled sample grid, and atomic saving.

mod crop;
pub mod grid;
mod resize;
mod save;
mod tensor;

pub use crop::{Crop, Preprocess, Region, preprocess};
pub use grid::SampleGrid;
pub use resize::Resize;
pub use save::save_atomically;
pub use tensor::{batch_to_tensor, tensor_to_batch, to_tensor};
