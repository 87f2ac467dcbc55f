//! Training AttGAN: the data pipeline ([`data`]) for CelebA, CelebA-HQ and a synthetic
//! CelebA-format world, and the critic and generator steps ([`step`]).

pub mod data;
pub mod step;
