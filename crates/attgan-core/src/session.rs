//! One photo edited interactively: framed (around its face when the editor aligns) and encoded
//! once, then decoded again for every change of the attributes, which is all a slider move
//! costs, and the edited face pasted back into the whole photo.
//!
//! ```no_run
//! use attgan_core::{Edits, Editor};
//! use attgan_core::session::EditSession;
//! use burn::backend::Flex;
//!
//! let device = Default::default();
//! let editor = Editor::<Flex>::load("runs/attgan-128", &device)?.with_face_alignment();
//! let photo = image::open("portrait.jpg").expect("an image").to_rgb8();
//! let session = EditSession::new(&editor, photo, None)?; // C predicts the attributes
//! for intensity in [-1.0, 0.0, 1.0] {
//!     let face = session.render(&editor, &Edits::new().set("Blond_Hair", intensity))?;
//!     let whole = session.paste_back(&face.image);
//!     # let _ = whole;
//! }
//! # Ok::<(), attgan_core::AttGanError>(())
//! ```

use ::image::{RgbImage, imageops};
use burn::tensor::{Tensor, TensorData, backend::Backend};

use crate::editor::{Editor, Framing};
use crate::edits::Edits;
use crate::error::{AttGanError, Result};
use crate::image::{Region, preprocess, tensor_to_batch, to_tensor};

/// A photo being edited: its framing, the model's input, its source attributes and G's encoding.
#[derive(Debug, Clone)]
pub struct EditSession<B: Backend> {
    photo: RgbImage,
    framing: Framing,
    face: RgbImage,
    source: Vec<f32>,
    zs: Vec<Tensor<B, 4>>,
}

/// One rendering of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The edited face at the model's size.
    pub image: RgbImage,
    /// Which attributes are on in G's input after the edits and the conflict rules (what a
    /// page shows as its toggles: turning Bald on turns Bangs off).
    pub attributes: Vec<bool>,
    /// G's input, attribute by attribute.
    pub input: Vec<f32>,
}

impl<B: Backend> EditSession<B> {
    /// Frames `photo` as `editor` does, takes its attributes from `source` (0/1 per attribute)
    /// or else from C, and encodes it.
    pub fn new(editor: &Editor<B>, photo: RgbImage, source: Option<Vec<f32>>) -> Result<Self> {
        let framing = editor.framing(&photo);
        Self::framed(editor, photo, framing, source)
    }

    /// As [`EditSession::new`], framed as given (from [`Editor::framing`] already called, or by
    /// a crop of the caller's choosing) instead of by the editor.
    pub fn framed(editor: &Editor<B>, photo: RgbImage, framing: Framing, source: Option<Vec<f32>>) -> Result<Self> {
        let size = editor.config().image_size as u32;
        let face = preprocess(&photo, framing.crop, size, false)?;
        let source = match source {
            Some(s) if s.len() == editor.config().n_attrs() => s,
            Some(s) => {
                return Err(AttGanError::Shape(format!(
                    "{} source attributes for a model of {}",
                    s.len(),
                    editor.config().n_attrs()
                )));
            }
            None => editor.predict(std::slice::from_ref(&face))?.remove(0),
        };
        let zs = editor.generator().encode(to_tensor(&face, editor.device()));
        Ok(Self { photo, framing, face, source, zs })
    }

    /// How the photo was framed.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The model's input: the framed face at the model's size.
    pub fn face(&self) -> &RgbImage {
        &self.face
    }

    /// The photo's attributes (0/1, or C's probabilities), in the model's order.
    pub fn source(&self) -> &[f32] {
        &self.source
    }

    /// The face with `edits` applied: one decoding of the stored encoding.
    pub fn render(&self, editor: &Editor<B>, edits: &Edits) -> Result<Rendered> {
        let config = editor.config();
        let input = edits.generator_input(&self.source, &config.attributes, config.thres_int)?;
        let b = Tensor::<B, 2>::from_data(TensorData::new(input.clone(), [1, input.len()]), editor.device());
        let image = tensor_to_batch(editor.generator().decode(&self.zs, b)).remove(0);
        Ok(Rendered { image, attributes: input.iter().map(|&v| v > 0.0).collect(), input })
    }

    /// The whole photo with `edited` (a rendering) in place of the framed face, resized to the
    /// frame and blended into the photo over a margin of [`BLEND_SHARE`] of the frame's side, so
    /// that no seam shows.
    pub fn paste_back(&self, edited: &RgbImage) -> RgbImage {
        let region = self.framing.crop.region(self.photo.width(), self.photo.height());
        paste(&self.photo, edited, region)
    }
}

/// The share of the frame's side over which a pasted face fades into the photo.
pub const BLEND_SHARE: f64 = 0.08;

/// `photo` with `face` resized into `region`, its outer margin faded into the photo.
pub fn paste(photo: &RgbImage, face: &RgbImage, region: Region) -> RgbImage {
    let mut out = photo.clone();
    if region.width == 0 || region.height == 0 {
        return out;
    }
    let resized = imageops::resize(face, region.width, region.height, imageops::FilterType::CatmullRom);
    let margin = (f64::from(region.width.min(region.height)) * BLEND_SHARE).max(1.0);
    for (x, y, p) in resized.enumerate_pixels() {
        let (px, py) = (region.left + x, region.top + y);
        if px >= out.width() || py >= out.height() {
            continue;
        }
        let edge = [x, y, region.width - 1 - x, region.height - 1 - y].into_iter().min().unwrap_or(0);
        let t = ((f64::from(edge) + 0.5) / margin).min(1.0);
        let alpha = t * t * (3.0 - 2.0 * t); // smoothstep: no visible step at either end
        let q = out.get_pixel_mut(px, py);
        for c in 0..3 {
            q[c] = (alpha * f64::from(p[c]) + (1.0 - alpha) * f64::from(q[c])).round() as u8;
        }
    }
    out
}
