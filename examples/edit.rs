//! Edits faces with a trained AttGAN, in the three modes of the official test scripts.
//!
//! ```text
//! # single: input | reconstruction | each attribute flipped, one grid per image
//! cargo run --release --example edit -- --checkpoint out/synthetic --image face.jpg
//! # multi: several attributes at once, at chosen intensities
//! cargo run --release --example edit -- --image photos/ --set Blond_Hair=1 --set Young=-1
//! # slide: one attribute swept over a range
//! cargo run --release --example edit -- --image face.jpg --slide Pale_Skin --min -1 --max 1 --steps 9
//! # CelebA images by their index in a split, with their annotated attributes
//! cargo run --release --example edit -- --celeba-dir ~/data/celeba --index 0 --index 7
//! ```
//!
//! Each image gets its own grid, `<name>-<mode>.png` (and, in multi mode, the edited image alone
//! as `<name>-edited.png`); several images also get `all-<mode>.png`, one row each.
//! Photos are cropped to their centred square (`--crop`) and resized to the model's size. The
//! attributes an edit starts from are the annotations for CelebA images, `--source` when given,
//! and otherwise C's prediction (D's classifier head, exported with G).

mod common;

use common::{DataArgs, DeviceArgs};

use std::path::{Path, PathBuf};
use std::time::Instant;

use attgan::backend::{self, BackendJob, Selected};
use attgan::image::{CropPolicy, SampleGrid, save_atomically};
use attgan::train::data::{CelebaDataset, Split};
use attgan::{AttGanError, Editor, Edits, Source};
use burn::data::dataset::Dataset;
use burn::tensor::backend::AutodiffBackend;
use clap::Parser;
use image::RgbImage;

#[derive(Parser, Debug)]
#[command(about = "Edit faces with a trained AttGAN (single, multi and slide modes)")]
struct Args {
    /// The export of a training run: its output directory, or its generator.mpk.
    #[arg(long, default_value = "out/synthetic")]
    checkpoint: PathBuf,
    /// Images to edit: files or folders (every .jpg/.jpeg/.png/.bmp/.webp in them). Repeatable.
    #[arg(long, num_args = 1..)]
    image: Vec<PathBuf>,
    /// Images of the dataset (CelebA with --celeba-dir, else the synthetic world) by position in
    /// `--split`, from 0, with their annotated attributes. Repeatable.
    #[arg(long, num_args = 1..)]
    index: Vec<usize>,
    /// The split `--index` counts in: train, val or test.
    #[arg(long, default_value = "test")]
    split: Split,
    #[command(flatten)]
    data: DataArgs,
    /// Where the results go.
    #[arg(long, default_value = "out/edits")]
    out: PathBuf,
    /// Multi mode: set an attribute's intensity (G's input; +-1 is test_int 1). Repeatable.
    #[arg(long = "set", value_name = "ATTRIBUTE=INTENSITY")]
    set: Vec<String>,
    /// Slide mode: the attribute to sweep.
    #[arg(long)]
    slide: Option<String>,
    /// Slide mode: first intensity.
    #[arg(long, default_value_t = -1.0, allow_negative_numbers = true)]
    min: f64,
    /// Slide mode: last intensity.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    max: f64,
    /// Slide mode: number of intensities.
    #[arg(long, default_value_t = 9)]
    steps: usize,
    /// Single mode: the intensity of each flip (AttGAN's test_int).
    #[arg(long, default_value_t = 1.0)]
    test_int: f64,
    /// How photos become square: celeba (AttGAN's box in an aligned CelebA image), centre, none.
    #[arg(long, default_value = "centre")]
    crop: CropPolicy,
    /// The attributes the photos have, e.g. `Male,Young` (every other one absent); default: C predicts them.
    #[arg(long, value_delimiter = ',')]
    source: Option<Vec<String>>,
    /// Images per forward pass.
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// Draw the grid cells this many times larger (default: enough for 96 pixels).
    #[arg(long)]
    zoom: Option<u32>,
    #[command(flatten)]
    device: DeviceArgs,
}

/// An image to edit, prepared to the model's size, with its attributes when known.
struct Input {
    name: String,
    image: RgbImage,
    source: Option<Vec<f32>>,
}

enum Mode {
    Single,
    Multi(Edits),
    Slide(String, Vec<Edits>),
}

struct Job {
    args: Args,
    mode: Mode,
}

impl BackendJob for Job {
    type Output = Result<(), AttGanError>;

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) -> Self::Output {
        eprintln!("device: {selected}");
        let args = &self.args;
        let editor = Editor::<B::InnerBackend>::load(&args.checkpoint, &device)?
            .with_crop(args.crop)
            .with_batch_size(args.batch_size);
        let names = editor.attributes().to_vec();
        let inputs = gather_inputs(args, &editor)?;
        let sources: Vec<Vec<f32>> = match &args.source {
            Some(on) => {
                for a in on {
                    editor.config().attribute_index(a)?;
                }
                let row: Vec<f32> = names.iter().map(|n| if on.contains(n) { 1.0 } else { 0.0 }).collect();
                inputs.iter().map(|i| i.source.clone().unwrap_or_else(|| row.clone())).collect()
            }
            None if inputs.iter().all(|i| i.source.is_some()) => {
                inputs.iter().map(|i| i.source.clone().expect("checked")).collect()
            }
            None => {
                let images: Vec<RgbImage> = inputs.iter().map(|i| i.image.clone()).collect();
                let predicted = editor.predict(&images)?;
                inputs.iter().zip(predicted).map(|(i, p)| i.source.clone().unwrap_or(p)).collect()
            }
        };
        for (input, source) in inputs.iter().zip(&sources) {
            let on: Vec<&str> = names.iter().zip(source).filter(|(_, v)| **v >= 0.5).map(|(n, _)| n.as_str()).collect();
            eprintln!("{}: source attributes [{}]", input.name, on.join(", "));
        }
        let (suffix, labels, edits) = match &self.mode {
            Mode::Single => {
                let labels = ["Input", "Reconstruction"].iter().map(|s| s.to_string()).chain(names.clone()).collect();
                let edits = std::iter::once(Edits::new()).chain(Edits::single(&names, args.test_int)).collect();
                ("single".to_string(), labels, edits)
            }
            Mode::Multi(e) => {
                let labels = vec!["Input".into(), "Reconstruction".into(), e.label()];
                ("multi".to_string(), labels, vec![Edits::new(), e.clone()])
            }
            Mode::Slide(attr, edits) => {
                let labels = std::iter::once("Input".to_string()).chain(edits.iter().map(Edits::label)).collect();
                (format!("slide-{attr}"), labels, edits.clone())
            }
        };
        let images: Vec<RgbImage> = inputs.iter().map(|i| i.image.clone()).collect();
        let t = Instant::now();
        let results = editor.edit_batch(&images, Source::Given(&sources), &edits)?;
        let seconds = t.elapsed().as_secs_f64();
        let size = editor.config().image_size as u32;
        let zoom = args.zoom.unwrap_or_else(|| 96u32.div_ceil(size).max(1));
        let mut all = SampleGrid::new(labels.iter().cloned()).with_zoom(zoom);
        for (n, input) in inputs.iter().enumerate() {
            let row: Vec<RgbImage> =
                std::iter::once(input.image.clone()).chain(results.iter().map(|r| r[n].clone())).collect();
            let mut grid = SampleGrid::new(labels.iter().cloned()).with_zoom(zoom);
            grid.push_row(row.clone())?;
            all.push_row(row)?;
            let path = args.out.join(format!("{}-{suffix}.png", input.name));
            grid.save(&path)?;
            if let Mode::Multi(_) = self.mode {
                save_atomically(&results[1][n], args.out.join(format!("{}-edited.png", input.name)))?;
            }
            eprintln!("wrote {}", path.display());
        }
        if inputs.len() > 1 {
            let path = args.out.join(format!("all-{suffix}.png"));
            all.save(&path)?;
            eprintln!("wrote {} (every image, one row each)", path.display());
        }
        eprintln!(
            "{} images x {} outputs in {seconds:.2} s: {:.1} ms per image (one encoding, {} decodings each)",
            inputs.len(),
            edits.len(),
            1000.0 * seconds / inputs.len().max(1) as f64,
            edits.len()
        );
        Ok(())
    }
}

/// The images named by `--image` and `--index`, prepared for the model.
fn gather_inputs<B: burn::tensor::backend::Backend>(
    args: &Args,
    editor: &Editor<B>,
) -> Result<Vec<Input>, AttGanError> {
    let mut inputs = Vec::new();
    for path in &args.image {
        for file in image_files(path)? {
            let name = file.file_stem().map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned());
            inputs.push(Input { name, image: editor.prepare_file(&file)?, source: None });
        }
    }
    if !args.index.is_empty() {
        let root = args.data.root().map_err(|e| AttGanError::InvalidConfig(e.to_string()))?;
        let options = args.data.options(editor.attributes(), editor.config().image_size).with_split(args.split);
        let data = CelebaDataset::open(&root, options).map_err(|e| AttGanError::InvalidConfig(e.to_string()))?;
        for &i in &args.index {
            if i >= data.len() {
                return Err(AttGanError::InvalidConfig(format!(
                    "--index {i}: the {} split has {} images",
                    args.split,
                    data.len()
                )));
            }
            let item = data.try_get(i).map_err(|e| AttGanError::InvalidConfig(e.to_string()))?;
            let stem = Path::new(&item.file).file_stem().map_or(item.file.clone(), |s| s.to_string_lossy().into());
            inputs.push(Input { name: stem, image: item.image, source: Some(item.attributes) });
        }
    }
    if inputs.is_empty() {
        return Err(AttGanError::InvalidConfig(
            "nothing to edit: give --image FILE|DIR or --celeba-dir with --index".into(),
        ));
    }
    Ok(inputs)
}

/// `path` itself, or the images in the folder `path`, sorted by name.
fn image_files(path: &Path) -> Result<Vec<PathBuf>, AttGanError> {
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

fn run(args: Args) -> Result<(), AttGanError> {
    let mode = match (&args.slide, args.set.is_empty()) {
        (Some(_), false) => {
            return Err(AttGanError::InvalidConfig("choose one mode: --set (multi) or --slide, not both".into()));
        }
        (Some(attr), true) => Mode::Slide(attr.clone(), Edits::slide(attr, args.min, args.max, args.steps)?),
        (None, false) => Mode::Multi(args.set.join(",").parse()?),
        (None, true) => Mode::Single,
    };
    backend::run(args.device.preference(), Job { args, mode }).map_err(AttGanError::InvalidConfig)?
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
