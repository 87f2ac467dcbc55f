//! AttGAN's preprocessing: a square crop of the image, a bicubic resize to the model's size, an
//! optional horizontal flip. Scaling to [-1, 1] happens when batching.

use ::image::RgbImage;
use ::image::imageops::{self, FilterType};

use crate::error::{AttGanError, Result};

/// A square crop box in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crop {
    /// Top edge.
    pub top: u32,
    /// Left edge.
    pub left: u32,
    /// Side.
    pub size: u32,
}

impl Crop {
    /// AttGAN v1's box in CelebA's 178x218 aligned images: 170x170 at top 26, left 3.
    pub const CELEBA: Crop = Crop { top: 26, left: 3, size: 170 };

    /// The largest centred square of a `width` x `height` image.
    pub fn centre(width: u32, height: u32) -> Crop {
        let size = width.min(height);
        Crop { top: (height - size) / 2, left: (width - size) / 2, size }
    }
}

/// How an image of any size becomes the model's square input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CropPolicy {
    /// AttGAN's CelebA box, scaled with the image's width (exact for 178x218 aligned CelebA, and
    /// right for any resized copy of it).
    Celeba,
    /// The largest centred square: for photos, and for the square CelebA-HQ images.
    #[default]
    Centre,
    /// No crop: the whole image is resized to a square (a non-square image is stretched).
    None,
}

impl CropPolicy {
    /// The box this policy takes from a `width` x `height` image (`None`: the whole image).
    pub fn crop_box(self, width: u32, height: u32) -> Option<Crop> {
        match self {
            Self::Celeba => {
                let scale = f64::from(width) / 178.0;
                let px = |v: u32| (f64::from(v) * scale).round() as u32;
                Some(Crop { top: px(Crop::CELEBA.top), left: px(Crop::CELEBA.left), size: px(Crop::CELEBA.size) })
            }
            Self::Centre => Some(Crop::centre(width, height)),
            Self::None => None,
        }
    }
}

impl std::str::FromStr for CropPolicy {
    type Err = AttGanError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "celeba" => Ok(Self::Celeba),
            "centre" | "center" => Ok(Self::Centre),
            "none" => Ok(Self::None),
            other => {
                Err(AttGanError::InvalidConfig(format!("unknown crop `{other}`; expected celeba, centre or none")))
            }
        }
    }
}

/// Crops `img` to `crop` (the whole image when `None`), resizes it to `size` x `size` with bicubic
/// (Catmull-Rom) filtering and mirrors it left-right when `flip`. Fails when the box does not fit.
pub fn preprocess(img: &RgbImage, crop: Option<Crop>, size: u32, flip: bool) -> Result<RgbImage> {
    let (w, h) = img.dimensions();
    let c = crop.unwrap_or(Crop { top: 0, left: 0, size: 0 });
    let (left, top, cw, ch) = if crop.is_some() { (c.left, c.top, c.size, c.size) } else { (0, 0, w, h) };
    if cw == 0 || ch == 0 || left + cw > w || top + ch > h {
        return Err(AttGanError::Shape(format!(
            "the {cw}x{ch} crop at top {top}, left {left} does not fit in this {w}x{h} image"
        )));
    }
    let view = imageops::crop_imm(img, left, top, cw, ch);
    let mut out = if cw == size && ch == size {
        view.to_image()
    } else {
        imageops::resize(&*view, size, size, FilterType::CatmullRom)
    };
    if flip {
        imageops::flip_horizontal_in_place(&mut out);
    }
    Ok(out)
}
