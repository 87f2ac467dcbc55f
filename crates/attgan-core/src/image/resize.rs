//! The resampling filters the reference implementations resize with, as named settings.
//!
//! The three references resize differently, and a model trained on one kind of pixels sees
//! slightly different faces in another: AttGAN-Tensorflow v1 calls TensorFlow 1's
//! `resize_bicubic` (no antialiasing, the "legacy" pixel grid: output pixel i samples input
//! coordinate i * in / out), its v2 calls `tf.image.resize` (TensorFlow 1's `resize_bilinear`,
//! same grid), and AttGAN-PyTorch calls torchvision's `Resize` on PIL images (PIL's bilinear
//! filter, widened to cover every input pixel when shrinking, i.e. antialiased).
//!
//! The TensorFlow kernels are written out here as TensorFlow computes them (its tabulated
//! cubic coefficients, its edge clamping, its order of summation, in `f32`); the
//! `tests/suite/resize_reference.py` script checks them against TensorFlow itself (and the
//! bilinear filter against PIL). TensorFlow keeps the
//! result in floating point; here it is rounded to the nearest of the 256 levels an
//! [`RgbImage`] holds (an error of at most half a level, 0.002 on the model's [-1, 1] scale).

use std::fmt;
use std::str::FromStr;

use ::image::imageops::{self, FilterType};
use ::image::{GenericImageView, Rgb, RgbImage};
use serde::{Deserialize, Serialize};

use crate::error::{AttGanError, Result};

/// A resampling filter for the resize to the model's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Resize {
    /// Catmull-Rom cubic, widened when shrinking (antialiased): the `image` crate's
    /// `FilterType::CatmullRom`. The sharpest of the antialiased filters; the editor's default.
    #[default]
    CatmullRom,
    /// TensorFlow 1's `resize_bicubic` with `align_corners=False, half_pixel_centers=False`
    /// (cubic a = -0.75, no antialiasing): AttGAN-Tensorflow v1's `tf.image.resize_images(...,
    /// BICUBIC)` (data.py at 4b00e6c, line 192).
    TfBicubic,
    /// TensorFlow 1's `resize_bilinear` with the same legacy grid and no antialiasing:
    /// AttGAN-Tensorflow v2's `tf.image.resize` (data.py, lines 45 and 56).
    TfBilinear,
    /// Bilinear (triangle) filtering widened when shrinking, as PIL's `BILINEAR` resize that
    /// torchvision's `Resize` calls on PIL images (AttGAN-PyTorch's data.py, line 59). PIL
    /// rounds to 8 bits between its two passes, this does not: results differ by at most one
    /// level.
    Bilinear,
}

impl Resize {
    /// Every filter, in the order of the documentation.
    pub const ALL: [Resize; 4] = [Resize::CatmullRom, Resize::TfBicubic, Resize::TfBilinear, Resize::Bilinear];

    /// The name [`FromStr`] reads: `catmull-rom`, `tf-bicubic`, `tf-bilinear`, `bilinear`.
    pub fn name(self) -> &'static str {
        match self {
            Self::CatmullRom => "catmull-rom",
            Self::TfBicubic => "tf-bicubic",
            Self::TfBilinear => "tf-bilinear",
            Self::Bilinear => "bilinear",
        }
    }

    /// `image` resized to `width` x `height`. An image already of that size is copied as it is
    /// (every filter here maps such an image onto itself, up to rounding).
    pub fn apply<I>(self, image: &I, width: u32, height: u32) -> RgbImage
    where
        I: GenericImageView<Pixel = Rgb<u8>>,
    {
        if image.dimensions() == (width, height) {
            return RgbImage::from_fn(width, height, |x, y| image.get_pixel(x, y));
        }
        match self {
            Self::CatmullRom => imageops::resize(image, width, height, FilterType::CatmullRom),
            Self::Bilinear => imageops::resize(image, width, height, FilterType::Triangle),
            Self::TfBicubic => tf_resize(image, width, height, Kernel::Cubic),
            Self::TfBilinear => tf_resize(image, width, height, Kernel::Linear),
        }
    }
}

impl Resize {
    /// The values TensorFlow computes for this resize, before AttGAN's clip and before the
    /// rounding [`Resize::apply`] does: f32, row by row, RGB per pixel. `None` for the filters
    /// that are not TensorFlow's. For comparisons with TensorFlow itself.
    pub fn tensorflow_values(self, image: &RgbImage, width: u32, height: u32) -> Option<Vec<f32>> {
        let kernel = match self {
            Self::TfBicubic => Kernel::Cubic,
            Self::TfBilinear => Kernel::Linear,
            Self::CatmullRom | Self::Bilinear => return None,
        };
        Some(tf_resize_values(image, width, height, kernel))
    }
}

impl FromStr for Resize {
    type Err = AttGanError;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|r| r.name() == s.to_ascii_lowercase()).ok_or_else(|| {
            AttGanError::InvalidConfig(format!(
                "unknown resize filter `{s}`; expected catmull-rom, tf-bicubic, tf-bilinear or bilinear"
            ))
        })
    }
}

impl fmt::Display for Resize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The input pixels (clamped to the image) and weights one output pixel of one axis reads.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Taps {
    index: [usize; 4],
    weight: [f32; 4],
}

/// TensorFlow's table resolution for the cubic coefficients (`kTableSize`).
const TABLE_SIZE: usize = 1024;

/// TensorFlow's `InitCoeffsTable(-0.75)`: for i in 0..=1024 and x = i / 1024, the cubic's
/// weight at distance x (even entries) and at distance x + 1 (odd entries), in f32 as it
/// computes them.
fn cubic_table() -> &'static [f32; 2 * (TABLE_SIZE + 1)] {
    static TABLE: std::sync::OnceLock<[f32; 2 * (TABLE_SIZE + 1)]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let a = -0.75f32;
        let mut table = [0.0f32; 2 * (TABLE_SIZE + 1)];
        for i in 0..=TABLE_SIZE {
            // `i * 1.0 / kTableSize` is a double division rounded to float.
            let mut x = (i as f64 / TABLE_SIZE as f64) as f32;
            table[2 * i] = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
            x += 1.0;
            table[2 * i + 1] = ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
        }
        table
    })
}

/// TensorFlow's legacy grid: output pixel `out` samples input coordinate `out * scale`, with
/// `scale = in / out` as f32.
fn legacy_coordinate(out: usize, scale: f32) -> f32 {
    out as f32 * scale
}

/// `resize_bicubic`'s taps (`GetWeightsAndIndices` without Keys' cubic): the four neighbours
/// of the sample point, clamped to the edge, weighted by the tabulated cubic at the offset
/// rounded to 1/1024.
fn tf_bicubic_taps(out: usize, scale: f32, len: usize) -> Taps {
    let at = legacy_coordinate(out, scale);
    let floor = at.floor();
    let offset = ((at - floor) * TABLE_SIZE as f32).round_ties_even() as usize;
    let table = cubic_table();
    let base = floor as i64;
    let clamp = |i: i64| i.clamp(0, len as i64 - 1) as usize;
    Taps {
        index: [clamp(base - 1), clamp(base), clamp(base + 1), clamp(base + 2)],
        weight: [
            table[offset * 2 + 1],
            table[offset * 2],
            table[(TABLE_SIZE - offset) * 2],
            table[(TABLE_SIZE - offset) * 2 + 1],
        ],
    }
}

/// `resize_bilinear`'s taps (`compute_interpolation_weights` with the legacy scaler): the pixel
/// at or below the sample point and the one above it (clamped), weighted 1 - lerp and lerp.
fn tf_bilinear_taps(out: usize, scale: f32, len: usize) -> Taps {
    let at = legacy_coordinate(out, scale);
    let lower = at.floor();
    let upper = (at.ceil() as usize).min(len - 1);
    let lerp = at - lower;
    Taps { index: [lower.max(0.0) as usize, upper, 0, 0], weight: [1.0 - lerp, lerp, 0.0, 0.0] }
}

/// TensorFlow's two legacy kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Cubic,
    Linear,
}

impl Kernel {
    fn taps(self, out: usize, scale: f32, len: usize) -> Taps {
        match self {
            Self::Cubic => tf_bicubic_taps(out, scale, len),
            Self::Linear => tf_bilinear_taps(out, scale, len),
        }
    }

    /// One output value from the taps of both axes, summed in TensorFlow's order: for the
    /// cubic, each of the four columns interpolated down the rows first, then across
    /// (`Interpolate1D(x weights, Interpolate1D(y weights, ...))`, left to right); for the
    /// linear kernel `top + (bottom - top) * y_lerp` over rows `left + (right - left) * x_lerp`.
    fn combine(self, tx: &Taps, ty: &Taps, at: impl Fn(usize, usize) -> f32) -> f32 {
        match self {
            Self::Linear => {
                let (x_lerp, y_lerp) = (tx.weight[1], ty.weight[1]);
                let row = |y: usize| {
                    let (left, right) = (at(tx.index[0], y), at(tx.index[1], y));
                    left + (right - left) * x_lerp
                };
                let (top, bottom) = (row(ty.index[0]), row(ty.index[1]));
                top + (bottom - top) * y_lerp
            }
            Self::Cubic => {
                let (wy, iy) = (ty.weight, ty.index);
                let column = |x: usize| {
                    at(x, iy[0]) * wy[0] + at(x, iy[1]) * wy[1] + at(x, iy[2]) * wy[2] + at(x, iy[3]) * wy[3]
                };
                let (wx, ix) = (tx.weight, tx.index);
                column(ix[0]) * wx[0] + column(ix[1]) * wx[1] + column(ix[2]) * wx[2] + column(ix[3]) * wx[3]
            }
        }
    }
}

/// A TensorFlow legacy-grid resize with `kernel`, clamped to [0, 255] (as AttGAN's
/// `tf.clip_by_value(img, 0, 255)` does) and rounded to 8 bits.
fn tf_resize<I>(image: &I, width: u32, height: u32, kernel: Kernel) -> RgbImage
where
    I: GenericImageView<Pixel = Rgb<u8>>,
{
    let values = tf_resize_values(image, width, height, kernel);
    let bytes = values.into_iter().map(|v| v.clamp(0.0, 255.0).round() as u8).collect();
    RgbImage::from_raw(width, height, bytes).expect("3 values per pixel")
}

/// The values TensorFlow computes for a legacy-grid resize with `kernel`: f32, row by row,
/// RGB per pixel, before any clamping.
fn tf_resize_values<I>(image: &I, width: u32, height: u32, kernel: Kernel) -> Vec<f32>
where
    I: GenericImageView<Pixel = Rgb<u8>>,
{
    let (in_w, in_h) = image.dimensions();
    let axis = |out_len: u32, in_len: u32| -> Vec<Taps> {
        let scale = in_len as f32 / out_len as f32;
        (0..out_len as usize).map(|o| kernel.taps(o, scale, in_len as usize)).collect()
    };
    let (xs, ys) = (axis(width, in_w), axis(height, in_h));
    let mut out = Vec::with_capacity(width as usize * height as usize * 3);
    for ty in &ys {
        for tx in &xs {
            for c in 0..3 {
                out.push(kernel.combine(tx, ty, |x, y| f32::from(image.get_pixel(x as u32, y as u32).0[c])));
            }
        }
    }
    out
}
