//! Editing faces with a trained AttGAN ([`edit`]), in the three modes of the official test
//! scripts: single (each attribute flipped), multi (several at chosen intensities), slide (one
//! attribute swept). Each image gets its own grid, `<name>-<mode>.png` (and, in multi mode, the
//! edited image alone as `<name>-edited.png`); several images also get `all-<mode>.png`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use attgan_core::image::{Crop, SampleGrid, save_atomically};
use attgan_core::{AttGanError, Editor, Edits, Source};
use attgan_train::data::Split;
use burn::data::dataset::Dataset;
use burn::tensor::backend::{AutodiffBackend, Backend};
use image::RgbImage;

use super::DataSource;
use crate::backend::{self, BackendJob, Preference, Selected};

/// Which edits to make.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Input | reconstruction | each attribute flipped at `test_int`.
    Single {
        /// The intensity of each flip (AttGAN's test_int); `None`: the model's
        /// ([`attgan_core::AttGanConfig::test_int`], 1 unless imported otherwise).
        test_int: Option<f64>,
    },
    /// These attributes at these intensities, all at once.
    Multi(Edits),
    /// One attribute swept over intensities.
    Slide {
        /// The attribute.
        attribute: String,
        /// One edit per intensity.
        edits: Vec<Edits>,
    },
}

/// Dataset images to edit, by position in a split, with their annotated attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetImages {
    /// Where the dataset is.
    pub data: DataSource,
    /// The split the indices count in.
    pub split: Split,
    /// Positions in the split, from 0.
    pub indices: Vec<usize>,
}

/// What to edit, how, and where the results go.
#[derive(Debug, Clone, PartialEq)]
pub struct EditJob {
    /// The export of a training run: its output directory, or its `generator.mpk`.
    pub checkpoint: PathBuf,
    /// Image files, or folders of them.
    pub images: Vec<PathBuf>,
    /// Dataset images.
    pub dataset: Option<DatasetImages>,
    /// The edits.
    pub mode: Mode,
    /// How photos become square.
    pub crop: Crop,
    /// Find the face in each photo and frame it as aligned CelebA does (`crop` then only serves
    /// photos without a face).
    pub align: bool,
    /// The attributes the photos have (every other one absent); `None`: C predicts them.
    pub source: Option<Vec<String>>,
    /// Images per forward pass.
    pub batch_size: usize,
    /// Grid cells drawn this many times larger (`None`: enough for 96 pixels).
    pub zoom: Option<u32>,
    /// Where the grids go.
    pub out: PathBuf,
}

/// The grids written.
#[derive(Debug, Clone, PartialEq)]
pub struct EditOutcome {
    /// The backend it ran on.
    pub selected: Selected,
    /// Every file written.
    pub written: Vec<PathBuf>,
    /// Seconds of editing (encoding and decoding, not loading).
    pub seconds: f64,
    /// Images edited.
    pub images: usize,
    /// Outputs per image.
    pub outputs: usize,
}

/// Runs `job` on the preferred backend.
pub fn edit(device: Preference, job: EditJob) -> Result<EditOutcome, AttGanError> {
    backend::run(device, job).map_err(AttGanError::InvalidConfig)?
}

/// An image to edit, prepared to the model's size, with its attributes when known.
struct Input {
    name: String,
    image: RgbImage,
    source: Option<Vec<f32>>,
}

impl BackendJob for EditJob {
    type Output = Result<EditOutcome, AttGanError>;

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) -> Self::Output {
        eprintln!("device: {selected}");
        let mut editor = Editor::<B::InnerBackend>::load(&self.checkpoint, &device)?
            .with_crop(self.crop)
            .with_batch_size(self.batch_size);
        if self.align {
            editor = editor.with_face_alignment();
        }
        let inputs = self.gather_inputs(&editor)?;
        let sources = self.sources(&editor, &inputs)?;
        let names = editor.attributes().to_vec();
        for (input, source) in inputs.iter().zip(&sources) {
            let on: Vec<&str> = names.iter().zip(source).filter(|(_, v)| **v >= 0.5).map(|(n, _)| n.as_str()).collect();
            eprintln!("{}: source attributes [{}]", input.name, on.join(", "));
        }
        let (suffix, labels, edits) = self.plan(&names, editor.config().test_int);
        let images: Vec<RgbImage> = inputs.iter().map(|i| i.image.clone()).collect();
        let t = Instant::now();
        let results = editor.edit_batch(&images, Source::Given(&sources), &edits)?;
        let seconds = t.elapsed().as_secs_f64();
        let size = editor.config().image_size as u32;
        let zoom = self.zoom.unwrap_or_else(|| 96u32.div_ceil(size).max(1));
        let mut written = Vec::new();
        let mut all = SampleGrid::new(labels.iter().cloned()).with_zoom(zoom);
        for (n, input) in inputs.iter().enumerate() {
            let row: Vec<RgbImage> =
                std::iter::once(input.image.clone()).chain(results.iter().map(|r| r[n].clone())).collect();
            let mut grid = SampleGrid::new(labels.iter().cloned()).with_zoom(zoom);
            grid.push_row(row.clone())?;
            all.push_row(row)?;
            let path = self.out.join(format!("{}-{suffix}.png", input.name));
            grid.save(&path)?;
            written.push(path);
            if let Mode::Multi(_) = self.mode {
                let path = self.out.join(format!("{}-edited.png", input.name));
                save_atomically(&results[1][n], &path)?;
                written.push(path);
            }
        }
        if inputs.len() > 1 {
            let path = self.out.join(format!("all-{suffix}.png"));
            all.save(&path)?;
            written.push(path);
        }
        Ok(EditOutcome { selected: selected.clone(), written, seconds, images: inputs.len(), outputs: edits.len() })
    }
}

impl EditJob {
    /// The file suffix, the grid's column labels and the edits of the mode.
    fn plan(&self, names: &[String], model_test_int: f64) -> (String, Vec<String>, Vec<Edits>) {
        let two = ["Input".to_string(), "Reconstruction".to_string()];
        match &self.mode {
            Mode::Single { test_int } => {
                let labels = two.into_iter().chain(names.iter().cloned()).collect();
                let edits = std::iter::once(Edits::new())
                    .chain(Edits::single(names, test_int.unwrap_or(model_test_int)))
                    .collect();
                ("single".to_string(), labels, edits)
            }
            Mode::Multi(e) => {
                let labels = two.into_iter().chain([e.label()]).collect();
                ("multi".to_string(), labels, vec![Edits::new(), e.clone()])
            }
            Mode::Slide { attribute, edits } => {
                let labels = std::iter::once("Input".to_string()).chain(edits.iter().map(Edits::label)).collect();
                (format!("slide-{attribute}"), labels, edits.clone())
            }
        }
    }

    /// The attributes each edit starts from: the annotations of dataset images, the given
    /// source, or C's prediction.
    fn sources<B: Backend>(&self, editor: &Editor<B>, inputs: &[Input]) -> Result<Vec<Vec<f32>>, AttGanError> {
        let names = editor.attributes();
        if let Some(on) = &self.source {
            for a in on {
                editor.config().attribute_index(a)?;
            }
            let row: Vec<f32> = names.iter().map(|n| if on.contains(n) { 1.0 } else { 0.0 }).collect();
            return Ok(inputs.iter().map(|i| i.source.clone().unwrap_or_else(|| row.clone())).collect());
        }
        if inputs.iter().all(|i| i.source.is_some()) {
            return Ok(inputs.iter().filter_map(|i| i.source.clone()).collect());
        }
        let images: Vec<RgbImage> = inputs.iter().map(|i| i.image.clone()).collect();
        let predicted = editor.predict(&images)?;
        Ok(inputs.iter().zip(predicted).map(|(i, p)| i.source.clone().unwrap_or(p)).collect())
    }

    /// The image files and dataset images, prepared for the model.
    fn gather_inputs<B: Backend>(&self, editor: &Editor<B>) -> Result<Vec<Input>, AttGanError> {
        let mut inputs = Vec::new();
        for path in &self.images {
            for file in image_files(path)? {
                let name = file.file_stem().map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned());
                let image = if self.align { aligned(editor, &file)? } else { editor.prepare_file(&file)? };
                inputs.push(Input { name, image, source: None });
            }
        }
        if let Some(d) = &self.dataset {
            let invalid = |e: attgan_train::data::DataError| AttGanError::InvalidConfig(e.to_string());
            let root = d.data.root().map_err(invalid)?;
            let data = d.data.open(&root, d.split, editor.attributes(), editor.config().image_size).map_err(invalid)?;
            for &i in &d.indices {
                if i >= data.len() {
                    return Err(AttGanError::InvalidConfig(format!(
                        "image index {i}: the {} split has {} images",
                        d.split,
                        data.len()
                    )));
                }
                let item = data.try_get(i).map_err(invalid)?;
                let stem = Path::new(&item.file).file_stem().map_or(item.file.clone(), |s| s.to_string_lossy().into());
                inputs.push(Input { name: stem, image: item.image, source: Some(item.attributes) });
            }
        }
        if inputs.is_empty() {
            return Err(AttGanError::InvalidConfig("nothing to edit: no image files and no dataset images".into()));
        }
        Ok(inputs)
    }
}

/// `path` itself, or the images in the folder `path`, sorted by name.
pub fn image_files(path: &Path) -> Result<Vec<PathBuf>, AttGanError> {
    let io = |source| AttGanError::Io { path: path.to_path_buf(), source };
    if !path.is_dir() {
        std::fs::metadata(path).map_err(io)?;
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png" | "bmp" | "webp"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(AttGanError::InvalidConfig(format!(
            "{}: no images (.jpg, .png, ...) in this folder",
            path.display()
        )));
    }
    Ok(files)
}

/// `file` framed around its face (or by the editor's crop when it has none), saying which.
fn aligned<B: Backend>(editor: &Editor<B>, file: &Path) -> Result<RgbImage, AttGanError> {
    let (prepared, framing) = editor.prepare_file_framed(file)?;
    match framing.face {
        Some(f) => eprintln!(
            "{}: face at ({:.0}, {:.0}), {:.0} px (score {:.1}); framed as CelebA: {}",
            file.display(),
            f.left,
            f.top,
            f.side,
            f.score,
            framing.crop
        ),
        None => eprintln!("{}: no face found; {} crop instead", file.display(), framing.crop),
    }
    Ok(prepared)
}
