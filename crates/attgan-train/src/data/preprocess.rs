//! AttGAN's preprocessing: a square crop of the aligned image, a bicubic resize to the model's
//! size, an optional horizontal flip. Scaling to [-1, 1] happens when batching.

use image::RgbImage;
use image::imageops::{self, FilterType};

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

/// Crops `img` to `crop` (or its centred square when `None`), resizes it to `size` x `size`
/// with bicubic (Catmull-Rom) filtering and mirrors it left-right when `flip`. Fails when the
/// box does not fit the image.
pub fn preprocess(img: &RgbImage, crop: Option<Crop>, size: u32, flip: bool) -> Result<RgbImage, String> {
    let (w, h) = img.dimensions();
    let c = crop.unwrap_or_else(|| Crop::centre(w, h));
    if c.size == 0 || c.left + c.size > w || c.top + c.size > h {
        return Err(format!(
            "the {0}x{0} crop at top {1}, left {2} does not fit in this {w}x{h} image",
            c.size, c.top, c.left
        ));
    }
    let view = imageops::crop_imm(img, c.left, c.top, c.size, c.size);
    let mut out =
        if c.size == size { view.to_image() } else { imageops::resize(&*view, size, size, FilterType::CatmullRom) };
    if flip {
        imageops::flip_horizontal_in_place(&mut out);
    }
    Ok(out)
}
