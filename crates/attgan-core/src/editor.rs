//! Editing faces with a trained AttGAN: load the exported generator (and C, to predict the
//! attributes of images that come without them), prepare images of any size, and render edits in
//! batches, one encoding shared by every edit of an image.
//!
//! ```no_run
//! use attgan_core::{Edits, Editor};
//! use burn::backend::Flex;
//!
//! let device = Default::default();
//! let editor = Editor::<Flex>::load("out/synthetic", &device)?;
//! let photo = image::open("face.jpg").expect("an image");
//! let blond = editor.edit(&photo, &Edits::new().set("Blond_Hair", 1.0).set("Young", -1.0))?;
//! blond.save("blond.png").expect("written");
//! # Ok::<(), attgan_core::AttGanError>(())
//! ```

use std::path::{Path, PathBuf};

use ::image::{DynamicImage, RgbImage};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Tensor, TensorData, backend::Backend};

use crate::config::AttGanConfig;
use crate::discriminator::Classifier;
use crate::edits::Edits;
use crate::error::{AttGanError, Result};
use crate::export::{load_module, save_json, save_module};
use crate::face::{Face, FaceDetector};
use crate::generator::Generator;
use crate::image::{Crop, batch_to_tensor, preprocess, tensor_to_batch};

/// G's weights in an export directory (Burn's named MessagePack, full precision).
pub const GENERATOR_FILE: &str = "generator.mpk";
/// The architecture of an export: an [`AttGanConfig`] as JSON.
pub const GENERATOR_CONFIG_FILE: &str = "generator.json";
/// C's weights (D's trunk and classifier head) in an export directory; optional.
pub const CLASSIFIER_FILE: &str = "classifier.mpk";

/// Writes an export: G, its config and, when given, C, each file atomically.
pub fn save_export<B: Backend>(
    g: &Generator<B>,
    c: Option<&Classifier<B>>,
    config: &AttGanConfig,
    dir: impl AsRef<Path>,
) -> Result<()> {
    let dir = dir.as_ref();
    save_module(g, dir.join(GENERATOR_FILE))?;
    if let Some(c) = c {
        save_module(c, dir.join(CLASSIFIER_FILE))?;
    }
    save_json(config, dir.join(GENERATOR_CONFIG_FILE))
}

/// Where the attributes that edits start from come from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// C predicts them from each image (needs an export with [`CLASSIFIER_FILE`]).
    Predicted,
    /// One 0/1 vector per image, in the model's attribute order.
    Given(&'a [Vec<f32>]),
}

/// A trained generator ready to edit images; `B` is an inference backend (not `Autodiff`), so
/// that batch norm uses its running statistics.
#[derive(Debug, Clone)]
pub struct Editor<B: Backend> {
    g: Generator<B>,
    c: Option<Classifier<B>>,
    config: AttGanConfig,
    crop: Crop,
    faces: Option<FaceDetector>,
    batch_size: usize,
    device: B::Device,
}

/// How a photo was framed for the model: by its face, or by the editor's crop where none was
/// found (or alignment is off).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Framing {
    /// The pixels taken.
    pub crop: Crop,
    /// The face they were taken around, if one was found.
    pub face: Option<Face>,
}

impl<B: Backend> Editor<B> {
    /// An editor for `g` built from `config`. Panics on an autodiff backend: pass
    /// `model.valid()` (the inner backend) after training.
    pub fn new(g: Generator<B>, config: AttGanConfig, device: &B::Device) -> Self {
        assert!(
            !B::ad_enabled(device),
            "Editor needs an inference backend (use `g.valid()` and the inner backend, not Autodiff<_>)"
        );
        Self { g, c: None, config, crop: Crop::default(), faces: None, batch_size: 16, device: device.clone() }
    }

    /// With C, to predict source attributes.
    pub fn with_classifier(mut self, c: Classifier<B>) -> Self {
        self.c = Some(c);
        self
    }

    /// With another crop for [`Editor::prepare`] (default: [`Crop::Centre`], the centred square,
    /// which suits photos; [`Crop::Celeba`] for aligned CelebA images, as in training).
    pub fn with_crop(mut self, crop: Crop) -> Self {
        self.crop = crop;
        self
    }

    /// With face alignment: [`Editor::prepare`] finds the most confident face and frames it as
    /// aligned CelebA frames faces ([`crate::face`]); a photo with no face falls back to the
    /// editor's crop ([`Editor::framing`] says which happened).
    pub fn with_face_alignment(mut self) -> Self {
        self.faces = Some(FaceDetector::new());
        self
    }

    /// How `image` is framed for the model: around its face when alignment is on and a face is
    /// found, else by the editor's crop.
    pub fn framing(&self, image: &RgbImage) -> Framing {
        let face = self.faces.as_ref().and_then(|d| d.detect(image).into_iter().next());
        match face {
            Some(f) => Framing { crop: f.celeba_crop(image.width(), image.height()), face: Some(f) },
            None => Framing { crop: self.crop, face: None },
        }
    }

    /// The crop for photos without a face, or all photos when alignment is off.
    pub fn crop(&self) -> Crop {
        self.crop
    }

    /// With another number of images per forward pass (default 16).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Loads an export: `path` is its directory (as written by training, or by
    /// [`Editor::save`]) or its [`GENERATOR_FILE`], with [`GENERATOR_CONFIG_FILE`] beside it, or a
    /// `.safetensors` file written by [`crate::safetensors::save_safetensors`].
    /// C is loaded too when [`CLASSIFIER_FILE`] is there. Errors name the file at fault.
    pub fn load(path: impl AsRef<Path>, device: &B::Device) -> Result<Self> {
        let path = path.as_ref();
        if path.extension().is_some_and(|e| e == "safetensors") {
            let loaded = crate::safetensors::load_safetensors::<B>(path, device)?;
            let editor = Self::new(loaded.generator, loaded.config, device);
            return Ok(match loaded.classifier {
                Some(c) => editor.with_classifier(c),
                None => editor,
            });
        }
        let dir = export_dir(path)?;
        let config = AttGanConfig::from_json_file(dir.join(GENERATOR_CONFIG_FILE))?;
        let g = load_module(config.init_generator::<B>(device), dir.join(GENERATOR_FILE), device)?;
        let mut editor = Self::new(g, config, device);
        let c_path = dir.join(CLASSIFIER_FILE);
        if c_path.exists() {
            editor.c = Some(load_module(editor.config.init_classifier::<B>(device), c_path, device)?);
        }
        Ok(editor)
    }

    /// Writes this editor as an export directory that [`Editor::load`] reads.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        save_export(&self.g, self.c.as_ref(), &self.config, dir)
    }

    /// Fails with [`AttGanError::AttributeMismatch`] unless the model edits exactly `names`, in
    /// that order (e.g. the attributes of a label file or of a judging classifier).
    pub fn require_attributes<S: AsRef<str>>(&self, names: &[S], what: &str) -> Result<()> {
        crate::attributes::require_same(&self.config.attributes, names, what)
    }

    /// The model's architecture.
    pub fn config(&self) -> &AttGanConfig {
        &self.config
    }

    /// The attributes the model edits, in order.
    pub fn attributes(&self) -> &[String] {
        &self.config.attributes
    }

    /// Whether C is loaded, so that [`Source::Predicted`] works.
    pub fn has_classifier(&self) -> bool {
        self.c.is_some()
    }

    /// The generator.
    pub fn generator(&self) -> &Generator<B> {
        &self.g
    }

    /// C, when loaded.
    pub fn classifier(&self) -> Option<&Classifier<B>> {
        self.c.as_ref()
    }

    /// The device it runs on.
    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// An image of any size as the model's input: framed around its face
    /// ([`Editor::with_face_alignment`]) or cropped as [`Editor::with_crop`] chose, and resized
    /// (bicubic) to the model's square size.
    pub fn prepare(&self, image: &DynamicImage) -> Result<RgbImage> {
        self.prepare_framed(&image.to_rgb8()).map(|(prepared, _)| prepared)
    }

    /// [`Editor::prepare`], also saying how the image was framed.
    pub fn prepare_framed(&self, image: &RgbImage) -> Result<(RgbImage, Framing)> {
        let framing = self.framing(image);
        Ok((preprocess(image, framing.crop, self.config.image_size as u32, false)?, framing))
    }

    /// Opens an image file and [`prepare`](Editor::prepare)s it; errors name the file.
    pub fn prepare_file(&self, path: impl AsRef<Path>) -> Result<RgbImage> {
        self.prepare_file_framed(path).map(|(prepared, _)| prepared)
    }

    /// [`Editor::prepare_file`], also saying how the image was framed.
    pub fn prepare_file_framed(&self, path: impl AsRef<Path>) -> Result<(RgbImage, Framing)> {
        let path = path.as_ref();
        let image = ::image::open(path).map_err(|source| AttGanError::Image { path: path.to_path_buf(), source })?;
        self.prepare_framed(&image.to_rgb8()).map_err(|e| AttGanError::Shape(format!("{}: {e}", path.display())))
    }

    /// C's probability of each attribute for prepared images, one row per image.
    pub fn predict(&self, images: &[RgbImage]) -> Result<Vec<Vec<f32>>> {
        let c = self.c.as_ref().ok_or_else(|| {
            AttGanError::InvalidConfig(format!(
                "no source attributes: give them, or load an export that has C ({CLASSIFIER_FILE})"
            ))
        })?;
        let k = self.config.n_attrs();
        let mut out = Vec::with_capacity(images.len());
        for chunk in images.chunks(self.batch_size) {
            let x = self.input_tensor(chunk)?;
            let p: Vec<f32> = sigmoid(c.forward(x)).into_data().convert::<f32>().into_vec().expect("float data");
            out.extend(p.chunks(k).map(<[f32]>::to_vec));
        }
        Ok(out)
    }

    /// `image` (any size, prepared with the editor's crop) with `edits` applied, its other
    /// attributes predicted by C.
    pub fn edit(&self, image: &DynamicImage, edits: &Edits) -> Result<RgbImage> {
        let x = self.prepare(image)?;
        Ok(self.edit_batch(&[x], Source::Predicted, std::slice::from_ref(edits))?.remove(0).remove(0))
    }

    /// `image` with `edits` applied, its other attributes taken from `source` (0/1 per attribute).
    pub fn edit_with_source(&self, image: &DynamicImage, source: &[f32], edits: &Edits) -> Result<RgbImage> {
        let x = self.prepare(image)?;
        let sources = [source.to_vec()];
        Ok(self.edit_batch(&[x], Source::Given(&sources), std::slice::from_ref(edits))?.remove(0).remove(0))
    }

    /// Every edit of `edits` applied to every prepared image, in batches: `result[e][i]` is image
    /// `i` under `edits[e]`. Each image is encoded once for all its edits.
    pub fn edit_batch(&self, images: &[RgbImage], source: Source<'_>, edits: &[Edits]) -> Result<Vec<Vec<RgbImage>>> {
        let predicted;
        let sources = match source {
            Source::Given(s) => {
                if s.len() != images.len() {
                    return Err(AttGanError::Shape(format!(
                        "{} images but {} source attribute vectors",
                        images.len(),
                        s.len()
                    )));
                }
                s
            }
            Source::Predicted => {
                predicted = self.predict(images)?;
                &predicted[..]
            }
        };
        let mut out = vec![Vec::with_capacity(images.len()); edits.len()];
        for (chunk, srcs) in images.chunks(self.batch_size).zip(sources.chunks(self.batch_size)) {
            let x = self.input_tensor(chunk)?;
            for (e, y) in decode_edits(&self.g, &self.config, x, srcs, edits)?.into_iter().enumerate() {
                out[e].extend(tensor_to_batch(y));
            }
        }
        Ok(out)
    }

    fn input_tensor(&self, images: &[RgbImage]) -> Result<Tensor<B, 4>> {
        let s = self.config.image_size as u32;
        if let Some(bad) = images.iter().position(|i| i.dimensions() != (s, s)) {
            let (w, h) = images[bad].dimensions();
            return Err(AttGanError::Shape(format!(
                "image {bad} is {w}x{h}; the model takes {s}x{s} (use Editor::prepare)"
            )));
        }
        batch_to_tensor(images, &self.device)
    }
}

/// The directory of an export given as the directory or as its generator file.
fn export_dir(path: &Path) -> Result<PathBuf> {
    let missing = |p: &Path, what: &str| AttGanError::Io {
        path: p.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, format!("no {what} here")),
    };
    if path.is_dir() {
        for file in [GENERATOR_FILE, GENERATOR_CONFIG_FILE] {
            if !path.join(file).is_file() {
                return Err(missing(&path.join(file), "exported generator (train with train_celeba first)"));
            }
        }
        return Ok(path.to_path_buf());
    }
    if !path.is_file() {
        return Err(missing(path, "export (a directory with generator.mpk, or generator.mpk itself)"));
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    if path.file_name().is_some_and(|n| n != GENERATOR_FILE) {
        return Err(AttGanError::InvalidConfig(format!(
            "{}: an export is a directory or its {GENERATOR_FILE}",
            path.display()
        )));
    }
    Ok(dir)
}

/// G's output for each edit of `edits` applied to `images` [N, 3, S, S] with 0/1 `sources` (one
/// row per image), sharing one encoding: one [N, 3, S, S] tensor per edit.
pub fn decode_edits<B: Backend>(
    g: &Generator<B>,
    config: &AttGanConfig,
    images: Tensor<B, 4>,
    sources: &[Vec<f32>],
    edits: &[Edits],
) -> Result<Vec<Tensor<B, 4>>> {
    let n = images.dims()[0];
    if sources.len() != n {
        return Err(AttGanError::Shape(format!("{n} images but {} source attribute vectors", sources.len())));
    }
    let device = images.device();
    let k = config.n_attrs();
    let zs = g.encode(images);
    edits
        .iter()
        .map(|e| {
            let rows = sources
                .iter()
                .map(|s| e.generator_input(s, &config.attributes, config.thres_int))
                .collect::<Result<Vec<_>>>()?;
            let b = Tensor::<B, 2>::from_data(TensorData::new(rows.concat(), [n, k]), &device);
            Ok(g.decode(&zs, b))
        })
        .collect()
}
