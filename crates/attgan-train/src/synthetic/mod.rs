//! A synthetic CelebA: cartoon faces whose pixels follow their attributes, written in CelebA's
//! exact layout, with an oracle that reads the attributes back.
//!
//! **What it is.** [`face::draw_face`] paints a 178x218 image, the size of CelebA's aligned
//! images, from one value per attribute of [`ATTRIBUTES`] and a random *nuisance* (face position
//! and size, background, skin and hair tones, lighting, pixel noise). Each attribute has its own
//! cue (a bald scalp, a fringe, a beard, ...) of several pixels with a strong colour or
//! luminance contrast, inside AttGAN's CelebA crop ([`CROP`]), so that it survives the resize of
//! the crop to 32 pixels. [`face::sample_attributes`] draws attribute vectors with CelebA-like
//! frequencies and consistency (one hair colour, facial hair mostly on men).
//! [`write_synthetic_celeba`] stores a generation as `img_align_celeba/000001.jpg ...`,
//! `list_attr_celeba.txt` and `list_eval_partition.txt`.
//!
//! **Why it exists.** CelebA is large and cannot be fetched on a fresh machine or in a test,
//! and an edit of a real face can only be judged by a trained classifier, which errs itself.
//! This world runs the real loading path (the same files, parser, crop and batcher as CelebA),
//! trains tiny models in minutes, and knows the truth of every image it draws.
//!
//! **How the oracle judges.** [`oracle::read_attributes`] takes the crop of a face at any side
//! from 32 to 170 pixels (a preprocessed dataset image, or a generator's output), resamples it
//! to the drawing's crop size, finds the face (its position and size vary) and decides each
//! attribute from colour statistics of a region placed relative to the face. Most statistics
//! are compared with the skin or hair colour measured in the same image, so the blur and colour
//! shifts of a GAN's output move both sides of a comparison alike. The tests require every
//! attribute to be read right on at least 98% of clean faces (at 128 and 64 pixels) and 95% of
//! blurred, noisy ones; the evaluation ([`crate::eval::Oracle`]) counts an edit as done when the
//! oracle reads the flipped attribute as flipped.
//!
//! **The attribute set** is AttGAN's default one, taken once in [`ATTRIBUTES`]; its length
//! [`N_ATTRIBUTES`] sizes every attribute vector of the world, and the index constants
//! ([`BALD`], [`BANGS`], ...) are looked up in it when compiling, so a name the drawer and the
//! oracle rely on cannot silently go missing; a test checks that the world and the defaults agree.

pub mod face;
pub mod oracle;
mod world;
mod write;

pub use face::{draw_face, flip_attribute, sample_attributes};
pub use oracle::read_attributes;
pub use world::*;
pub use write::{MARKER, SyntheticOptions, write_synthetic_celeba};
