//! Training AttGAN. For now: the data pipeline ([`data`]), for CelebA, CelebA-HQ and a
//! synthetic CelebA-format world.

pub mod data;
