//! `psnr` and `ssim` against scikit-image's own values: the published AttGAN/STGAN figures were
//! computed with it, so ours must agree to rounding. `quality_reference.py` beside this file
//! printed the constants below and holds the same image generator.

use attgan_core::quality::{psnr, ssim};
use image::{Rgb, RgbImage};

/// Printed by `quality_reference.py` (numpy 2.4.6, scikit-image 0.26.0):
/// `peak_signal_noise_ratio(a, b)` and `structural_similarity(a, b, channel_axis=-1)`.
const CASES: &[(u32, u32, u32, u32, bool, f64, f64)] = &[
    // (w, h, seed, amp, invert, psnr, ssim)
    (32, 24, 1, 12, false, 30.8721053981954, 0.8752761308366958),
    (128, 128, 2, 30, false, 23.316890876953572, 0.5836301666107547),
    (128, 128, 5, 3, false, 42.12813303541829, 0.9896940589192279),
    (7, 7, 3, 40, false, 20.726102525054703, 0.3448556564818661),
    (9, 13, 4, 80, false, 15.193489748071302, 0.12960588619617286),
    (20, 16, 6, 0, true, 7.3494902309427355, -0.48430697472170464),
];
/// The same for a 16x16 grey 128 against grey 130.
const GREY_PSNR: f64 = 42.11020369539948;
const GREY_SSIM: f64 = 0.9998798456106214;

fn xorshift32(mut s: u32) -> u32 {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    s
}

/// A wrapped gradient plus small noise, and a copy with +-amp noise (clamped) or its inverse;
/// `pair` in `quality_reference.py`.
fn pair(w: u32, h: u32, seed: u32, amp: u32, invert: bool) -> (RgbImage, RgbImage) {
    let (mut a, mut b) = (RgbImage::new(w, h), RgbImage::new(w, h));
    let mut s = seed;
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                s = xorshift32(s);
                let base = (3 * x + 2 * y + 60 * c) % 200 + s % 32;
                s = xorshift32(s);
                let noisy = (i64::from(base) + i64::from(s % (2 * amp + 1)) - i64::from(amp)).clamp(0, 255);
                a.get_pixel_mut(x, y)[c as usize] = base as u8;
                b.get_pixel_mut(x, y)[c as usize] = if invert { 255 - base as u8 } else { noisy as u8 };
            }
        }
    }
    (a, b)
}

#[test]
fn identical_images_are_perfect() {
    for &(w, h, seed, amp, invert, _, _) in CASES {
        let (a, _) = pair(w, h, seed, amp, invert);
        assert_eq!(psnr(&a, &a), f64::INFINITY);
        assert!((ssim(&a, &a) - 1.0).abs() <= 1e-12, "{w}x{h}: {}", ssim(&a, &a));
    }
}

#[test]
fn alternating_noise_of_known_size_gives_known_psnr() {
    for d in [1u8, 3, 10] {
        let a = RgbImage::from_fn(16, 12, |x, y| Rgb([40 + x as u8, 100 + y as u8, 200]));
        let mut b = a.clone();
        for (i, v) in b.iter_mut().enumerate() {
            *v = if i % 2 == 0 { *v + d } else { *v - d };
        }
        let want = 10.0 * (255.0f64 * 255.0 / (f64::from(d) * f64::from(d))).log10();
        assert!((psnr(&a, &b) - want).abs() < 1e-9, "d {d}: {} vs {want}", psnr(&a, &b));
    }
}

#[test]
fn matches_scikit_image() {
    for &(w, h, seed, amp, invert, want_psnr, want_ssim) in CASES {
        let (a, b) = pair(w, h, seed, amp, invert);
        let (p, s) = (psnr(&a, &b), ssim(&a, &b));
        assert!((p - want_psnr).abs() < 1e-6, "{w}x{h} seed {seed}: psnr {p} vs skimage {want_psnr}");
        assert!((s - want_ssim).abs() < 1e-6, "{w}x{h} seed {seed}: ssim {s} vs skimage {want_ssim}");
        // Both measures are symmetric in skimage's definition.
        assert!((ssim(&b, &a) - s).abs() < 1e-12);
    }
}

#[test]
fn constant_greys_match_scikit_image() {
    let g1 = RgbImage::from_pixel(16, 16, Rgb([128; 3]));
    let g2 = RgbImage::from_pixel(16, 16, Rgb([130; 3]));
    assert!((psnr(&g1, &g2) - GREY_PSNR).abs() < 1e-9);
    assert!((ssim(&g1, &g2) - GREY_SSIM).abs() < 1e-12, "{}", ssim(&g1, &g2));
}

#[test]
#[should_panic(expected = "one size")]
fn psnr_rejects_different_sizes() {
    let _ = psnr(&RgbImage::new(16, 16), &RgbImage::new(16, 15));
}

#[test]
#[should_panic(expected = "one size")]
fn ssim_rejects_different_sizes() {
    let _ = ssim(&RgbImage::new(16, 16), &RgbImage::new(15, 16));
}

#[test]
#[should_panic(expected = "at least 7x7")]
fn ssim_rejects_images_smaller_than_its_window() {
    let _ = ssim(&RgbImage::new(6, 20), &RgbImage::new(6, 20));
}
