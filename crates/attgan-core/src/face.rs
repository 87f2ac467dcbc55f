//! Faces in photos: found by SeetaFace's frontal detector (the pure-Rust `rustface`, its model
//! embedded at build time) and framed as aligned CelebA frames them, so that a portrait edits as
//! well as a dataset image.
//!
//! **How a detector box becomes CelebA's framing.** The framing is measured, not guessed: on the
//! 7 CelebA test faces of AttGAN-PyTorch's own result figures (`pics/teaser.jpg`, 6 faces, and
//! `pics/sample_testing.jpg`, 1; each input exactly as AttGAN crops and resizes it to 128), the
//! detector's square box is 0.580 of the frame wide (0.555-0.633) and its centre lies at 0.501
//! of the frame across and 0.596 down. So the frame around a detected face is the square of side
//! box / [`BOX_SHARE`], placed so that the box's centre falls at ([`CENTRE_ACROSS`],
//! [`CENTRE_DOWN`]) of it. Where that square leaves the photo it is moved back inside (and, in a
//! photo too small for it, shrunk to the photo's shorter side).
//!
//! ```no_run
//! use attgan_core::face::FaceDetector;
//!
//! let photo = image::open("portrait.jpg").expect("an image").to_rgb8();
//! let detector = FaceDetector::new();
//! if let Some(face) = detector.detect(&photo).first() {
//!     let crop = face.celeba_crop(photo.width(), photo.height());
//!     println!("face {face:?}, framed as CelebA by {crop}");
//! }
//! ```

use ::image::{GrayImage, RgbImage, imageops};

use crate::image::{Crop, Region};

/// The detector's box side over CelebA's (AttGAN-cropped) frame side.
pub const BOX_SHARE: f64 = 0.580;
/// Where the box's centre lies across CelebA's frame (0 left, 1 right).
pub const CENTRE_ACROSS: f64 = 0.501;
/// Where the box's centre lies down CelebA's frame (0 top, 1 bottom).
pub const CENTRE_DOWN: f64 = 0.596;
/// Photos are searched at most this large (the longer side, in pixels): the detector's time grows
/// with the pixels, and a face that fills a tenth of the photo is still 60 pixels wide.
pub const SEARCH_SIDE: u32 = 640;
/// The smallest face searched for, in pixels of the (possibly reduced) photo.
pub const MIN_FACE: u32 = 40;

static MODEL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/seeta_fd_frontal_v1.0.bin"));

/// A face found in a photo: its square box in the photo's pixels and the detector's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    /// The box: left, top, side (pixels of the photo; it may reach past the photo's edges).
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Side.
    pub side: f64,
    /// The detector's confidence (above 2 counts as a face; clear frontal faces score 15-45).
    pub score: f64,
}

impl Face {
    /// The square around this face as aligned CelebA frames a face, inside a `width` x `height`
    /// photo (see the module's docs), as a [`Crop::Square`] for [`crate::image::preprocess`].
    pub fn celeba_crop(&self, width: u32, height: u32) -> Crop {
        let region = self.celeba_region(width, height);
        Crop::Square { top: region.top, left: region.left, size: region.width }
    }

    /// The same square as a [`Region`].
    pub fn celeba_region(&self, width: u32, height: u32) -> Region {
        let side = (self.side / BOX_SHARE).round().min(f64::from(width.min(height))).max(1.0);
        let place = |centre: f64, share: f64, limit: u32| -> u32 {
            let start = centre - share * side;
            start.round().clamp(0.0, f64::from(limit) - side) as u32
        };
        let left = place(self.left + self.side / 2.0, CENTRE_ACROSS, width);
        let top = place(self.top + self.side / 2.0, CENTRE_DOWN, height);
        Region { left, top, width: side as u32, height: side as u32 }
    }
}

/// SeetaFace's frontal face detector, with its model embedded.
#[derive(Clone)]
pub struct FaceDetector {
    model: rustface::Model,
}

impl std::fmt::Debug for FaceDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaceDetector(SeetaFace frontal v1.0)")
    }
}

impl Default for FaceDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl FaceDetector {
    /// The detector (its embedded model parsed: a few milliseconds).
    pub fn new() -> Self {
        Self { model: rustface::read_model(MODEL).expect("the embedded SeetaFace model parses") }
    }

    /// The faces in `photo`, the most confident first. Large photos are searched at
    /// [`SEARCH_SIDE`] pixels; the boxes are in the photo's own pixels.
    pub fn detect(&self, photo: &RgbImage) -> Vec<Face> {
        let (w, h) = photo.dimensions();
        if w.min(h) < MIN_FACE {
            return Vec::new();
        }
        let scale = (f64::from(SEARCH_SIDE) / f64::from(w.max(h))).min(1.0);
        let gray: GrayImage = if scale < 1.0 {
            let (sw, sh) = ((f64::from(w) * scale).round() as u32, (f64::from(h) * scale).round() as u32);
            imageops::grayscale(&imageops::resize(photo, sw.max(1), sh.max(1), imageops::FilterType::Triangle))
        } else {
            imageops::grayscale(photo)
        };
        let mut detector = rustface::create_detector_with_model(self.model.clone());
        detector.set_min_face_size(MIN_FACE.min(gray.width().min(gray.height())).max(20));
        detector.set_score_thresh(2.0);
        detector.set_pyramid_scale_factor(0.8);
        detector.set_slide_window_step(4, 4);
        let data = rustface::ImageData::new(gray.as_raw(), gray.width(), gray.height());
        let mut faces: Vec<Face> = detector
            .detect(&data)
            .into_iter()
            .map(|f| {
                let b = f.bbox();
                Face {
                    left: f64::from(b.x()) / scale,
                    top: f64::from(b.y()) / scale,
                    side: f64::from(b.width()) / scale,
                    score: f.score(),
                }
            })
            .collect();
        faces.sort_by(|a, b| b.score.total_cmp(&a.score));
        faces
    }
}
