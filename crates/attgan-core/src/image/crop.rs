//! AttGAN's preprocessing: a crop of the image, a bicubic resize to the model's square size, an
//! optional horizontal flip. Scaling to [-1, 1] happens when batching.
//!
//! One type, [`Crop`], says which pixels are taken, for the data pipeline and the editor alike:
//! each of its variants means the same thing wherever it is used, and [`Crop::region`] turns it
//! into the rectangle of a given image.

use std::fmt;
use std::str::FromStr;

use ::image::RgbImage;
use ::image::imageops::{self, FilterType};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Crop {
    /// AttGAN's CelebA box ([`Crop::CELEBA_BOX`], 170x170 at top 26, left 3 of the 178x218
    /// aligned image), scaled with the image's width: exact for aligned CelebA, and right for
    /// any resized copy of it.
    Celeba,
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

    /// The rectangle this crop takes from a `width` x `height` image. It may not fit (a fixed
    /// [`Crop::Square`] in a smaller image, or the CelebA box of an image less tall for its width
    /// than CelebA's): [`preprocess`] then fails, and [`Region::fits_in`] tells beforehand.
    pub fn region(self, width: u32, height: u32) -> Region {
        match self {
            Self::Celeba => {
                let scale = f64::from(width) / f64::from(Self::CELEBA_IMAGE_WIDTH);
                let px = |v: u32| (f64::from(v) * scale).round() as u32;
                let b = Self::CELEBA_BOX;
                Region { left: px(b.left), top: px(b.top), width: px(b.width), height: px(b.height) }
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

/// Parses the named crops (case-insensitive): `celeba`, `centre` (or `center`), `whole` (or
/// `none`, its old name). A [`Crop::Square`] has no text form: it is built in code.
impl FromStr for Crop {
    type Err = AttGanError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "celeba" => Ok(Self::Celeba),
            "centre" | "center" => Ok(Self::Centre),
            "whole" | "none" => Ok(Self::Whole),
            other => {
                Err(AttGanError::InvalidConfig(format!("unknown crop `{other}`; expected celeba, centre or whole")))
            }
        }
    }
}

/// The name [`FromStr`] reads for the named crops; a [`Crop::Square`] is described in words.
impl fmt::Display for Crop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Celeba => f.write_str("celeba"),
            Self::Centre => f.write_str("centre"),
            Self::Whole => f.write_str("whole"),
            Self::Square { top, left, size } => write!(f, "{size}x{size} at top {top}, left {left}"),
        }
    }
}

/// Crops `img` as `crop` says, resizes it to `size` x `size` with bicubic (Catmull-Rom)
/// filtering (an image already of that size is copied, not filtered) and mirrors it left-right
/// when `flip`. Fails, naming the box and the image size, when the box does not fit.
pub fn preprocess(img: &RgbImage, crop: Crop, size: u32, flip: bool) -> Result<RgbImage> {
    let (w, h) = img.dimensions();
    let r = crop.region(w, h);
    if !r.fits_in(w, h) {
        return Err(AttGanError::Shape(format!(
            "the {}x{} crop at top {}, left {} does not fit in this {w}x{h} image",
            r.width, r.height, r.top, r.left
        )));
    }
    let view = imageops::crop_imm(img, r.left, r.top, r.width, r.height);
    let mut out = if r.width == size && r.height == size {
        view.to_image()
    } else {
        imageops::resize(&*view, size, size, FilterType::CatmullRom)
    };
    if flip {
        imageops::flip_horizontal_in_place(&mut out);
    }
    Ok(out)
}
