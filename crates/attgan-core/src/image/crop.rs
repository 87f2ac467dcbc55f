//! AttGAN's preprocessing ([`Preprocess`]): a crop of the image, a resize to the model's square
//! size with one of the references' filters ([`Resize`]), an optional horizontal flip. Scaling
//! to [-1, 1] happens when batching.
//!
//! One type, [`Crop`], says which pixels are taken, for the data pipeline and the editor alike:
//! each of its variants means the same thing wherever it is used, and [`Crop::region`] turns it
//! into the rectangle of a given image.

use std::fmt;
use std::str::FromStr;

use ::image::RgbImage;
use ::image::imageops;
use serde::{Deserialize, Serialize};

use super::resize::Resize;
use crate::error::{AttGanError, Result};

/// A rectangle of image pixels: what a [`Crop`] takes from an image of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    /// Left edge (first column taken).
    pub left: u32,
    /// Top edge (first row taken).
    pub top: u32,
    /// Columns taken.
    pub width: u32,
    /// Rows taken.
    pub height: u32,
}

impl Region {
    /// Whether the region holds at least one pixel and lies wholly inside a `width` x `height`
    /// image. Computed in 64 bits, so that a huge box is "does not fit", not an overflow.
    pub fn fits_in(self, width: u32, height: u32) -> bool {
        let end = |start: u32, len: u32| u64::from(start) + u64::from(len);
        self.width > 0
            && self.height > 0
            && end(self.left, self.width) <= u64::from(width)
            && end(self.top, self.height) <= u64::from(height)
    }
}

/// How an image of any size becomes the model's square input: which pixels are taken before
/// the resize. The same variant means the same pixels in the data pipeline and in the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Crop {
    /// AttGAN's CelebA box ([`Crop::CELEBA_BOX`], 170x170 at top 26, left 3 of the 178x218
    /// aligned image), scaled with the image's width: exact for aligned CelebA, and right for
    /// any resized copy of it.
    Celeba,
    /// AttGAN v1's CelebA box for 64x64 models ([`Crop::CELEBA_64_BOX`], 148x148 at top 40,
    /// left 15, "as VAE/GAN do"), scaled with the image's width as [`Crop::Celeba`] is.
    Celeba64,
    /// A centred square of this side, as torchvision's `CenterCrop` takes it (offsets rounded
    /// half to even): AttGAN-PyTorch's `CenterCrop(170)` is 170x170 at top 24, left 4 of an
    /// aligned CelebA image.
    CentreOf(u32),
    /// The largest centred square: for photos, and for the square CelebA-HQ images (where it is
    /// the whole image).
    #[default]
    Centre,
    /// No crop: the whole image, stretched to a square when it is not one.
    Whole,
    /// A fixed square box in pixels, whatever the image's size.
    Square {
        /// Top edge.
        top: u32,
        /// Left edge.
        left: u32,
        /// Side.
        size: u32,
    },
}

impl Crop {
    /// Width of CelebA's aligned images (`img_align_celeba`), the frame [`Crop::CELEBA_BOX`]
    /// is given in; [`Crop::Celeba`] scales the box by an image's width over this.
    pub const CELEBA_IMAGE_WIDTH: u32 = 178;
    /// Height of CelebA's aligned images.
    pub const CELEBA_IMAGE_HEIGHT: u32 = 218;
    /// AttGAN v1's crop of an aligned CelebA image: 170x170 at top 26, left 3, which keeps the
    /// face and drops most of the background below the chin.
    pub const CELEBA_BOX: Region = Region { left: 3, top: 26, width: 170, height: 170 };
    /// AttGAN v1's crop of an aligned CelebA image for a 64x64 model: 148x148 at top 40,
    /// left 15 (AttGAN-Tensorflow v1's data.py at 4b00e6c, lines 177-181).
    pub const CELEBA_64_BOX: Region = Region { left: 15, top: 40, width: 148, height: 148 };

    /// AttGAN v1's crop for a model of `image_size`: [`Crop::Celeba64`] at 64 pixels,
    /// [`Crop::Celeba`] otherwise (data.py at 4b00e6c, lines 177-185).
    pub fn attgan_v1(image_size: usize) -> Self {
        if image_size == 64 { Self::Celeba64 } else { Self::Celeba }
    }

    /// The rectangle this crop takes from a `width` x `height` image. It may not fit (a fixed
    /// [`Crop::Square`] in a smaller image, or the CelebA box of an image less tall for its width
    /// than CelebA's): [`preprocess`] then fails, and [`Region::fits_in`] tells beforehand.
    pub fn region(self, width: u32, height: u32) -> Region {
        match self {
            Self::Celeba | Self::Celeba64 => {
                let scale = f64::from(width) / f64::from(Self::CELEBA_IMAGE_WIDTH);
                let px = |v: u32| (f64::from(v) * scale).round() as u32;
                let b = if self == Self::Celeba { Self::CELEBA_BOX } else { Self::CELEBA_64_BOX };
                Region { left: px(b.left), top: px(b.top), width: px(b.width), height: px(b.height) }
            }
            Self::CentreOf(size) => {
                let at = |len: u32| ((f64::from(len) - f64::from(size)) / 2.0).round_ties_even().max(0.0) as u32;
                Region { left: at(width), top: at(height), width: size, height: size }
            }
            Self::Centre => {
                let size = width.min(height);
                Region { left: (width - size) / 2, top: (height - size) / 2, width: size, height: size }
            }
            Self::Whole => Region { left: 0, top: 0, width, height },
            Self::Square { top, left, size } => Region { left, top, width: size, height: size },
        }
    }
}

/// Parses the named crops (case-insensitive): `celeba`, `celeba64`, `centre` (or `center`),
/// `centre:SIDE`, `whole` (or `none`, its old name). A [`Crop::Square`] has no text form: it is
/// built in code.
impl FromStr for Crop {
    type Err = AttGanError;
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.to_ascii_lowercase();
        let bad = || {
            AttGanError::InvalidConfig(format!(
                "unknown crop `{s}`; expected celeba, celeba64, centre, centre:SIDE (pixels) or whole"
            ))
        };
        match lower.as_str() {
            "celeba" => Ok(Self::Celeba),
            "celeba64" => Ok(Self::Celeba64),
            "centre" | "center" => Ok(Self::Centre),
            "whole" | "none" => Ok(Self::Whole),
            other => match other.split_once(':') {
                Some(("centre" | "center", side)) => match side.parse::<u32>() {
                    Ok(side) if side > 0 => Ok(Self::CentreOf(side)),
                    _ => Err(bad()),
                },
                _ => Err(bad()),
            },
        }
    }
}

/// The name [`FromStr`] reads for the named crops; a [`Crop::Square`] is described in words.
impl fmt::Display for Crop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Celeba => f.write_str("celeba"),
            Self::Celeba64 => f.write_str("celeba64"),
            Self::Centre => f.write_str("centre"),
            Self::CentreOf(side) => write!(f, "centre:{side}"),
            Self::Whole => f.write_str("whole"),
            Self::Square { top, left, size } => write!(f, "{size}x{size} at top {top}, left {left}"),
        }
    }
}

/// How an image becomes a model's square input, as a reference implementation does it: the
/// crop, the resize filter and, for AttGAN-Tensorflow v2, a resize to a larger `load_size`
/// followed by a centred crop to the model's size (its training takes a random crop instead:
/// that one happens in the training step, where the run's seed draws it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Preprocess {
    /// Which pixels are taken before resizing.
    pub crop: Crop,
    /// The resampling filter.
    pub resize: Resize,
    /// Resize to this side, then take the centred square of the output size (`None`: resize
    /// straight to the output size).
    pub load_size: Option<u32>,
}

impl Preprocess {
    /// `crop`, then the default filter ([`Resize::CatmullRom`]) straight to the output size.
    pub fn new(crop: Crop) -> Self {
        Self { crop, resize: Resize::CatmullRom, load_size: None }
    }

    /// With another filter.
    pub fn with_resize(mut self, resize: Resize) -> Self {
        self.resize = resize;
        self
    }

    /// With a load size (`None`: none).
    pub fn with_load_size(mut self, load_size: Option<u32>) -> Self {
        self.load_size = load_size;
        self
    }

    /// `img` cropped, resized to `size` x `size` (an image already of that size is copied, not
    /// filtered) and mirrored left-right when `flip`. Fails, naming the box and the image size,
    /// when the box does not fit, or when the load size is smaller than `size`.
    pub fn apply(&self, img: &RgbImage, size: u32, flip: bool) -> Result<RgbImage> {
        let (w, h) = img.dimensions();
        let r = self.crop.region(w, h);
        if !r.fits_in(w, h) {
            return Err(AttGanError::Shape(format!(
                "the {}x{} crop at top {}, left {} does not fit in this {w}x{h} image",
                r.width, r.height, r.top, r.left
            )));
        }
        let load = self.load_size.unwrap_or(size);
        if load < size {
            return Err(AttGanError::Shape(format!(
                "the load size {load} is smaller than the output size {size}: the centred crop cannot be taken"
            )));
        }
        let view = imageops::crop_imm(img, r.left, r.top, r.width, r.height);
        let mut out = self.resize.apply(&*view, load, load);
        if load > size {
            let at = (load - size) / 2;
            out = imageops::crop_imm(&out, at, at, size, size).to_image();
        }
        if flip {
            imageops::flip_horizontal_in_place(&mut out);
        }
        Ok(out)
    }
}

/// Crops `img` as `crop` says, resizes it to `size` x `size` with bicubic (Catmull-Rom)
/// filtering (an image already of that size is copied, not filtered) and mirrors it left-right
/// when `flip`: [`Preprocess::new`]`(crop).apply(...)`. Fails, naming the box and the image
/// size, when the box does not fit.
pub fn preprocess(img: &RgbImage, crop: Crop, size: u32, flip: bool) -> Result<RgbImage> {
    Preprocess::new(crop).apply(img, size, flip)
}
