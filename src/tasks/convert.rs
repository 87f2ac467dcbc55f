//! Moving models between this crate and the PyTorch world: [`import`] an AttGAN-PyTorch
//! checkpoint as an export that `edit`, `evaluate` and `Editor::load` take, and [`export`] any
//! export as an AttGAN-PyTorch `.pth` (with its `setting.txt`) or as `.safetensors`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use attgan_core::attributes::to_generator_input;
use attgan_core::editor::{GENERATOR_FILE, save_export};
use attgan_core::pytorch::{ImportOptions, export_pth, import_checkpoint, write_setting};
use attgan_core::safetensors::save_safetensors;
use attgan_core::{AttGanError, Editor};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};

use crate::backend::{self, BackendJob, Preference, Selected};

/// The largest difference from PyTorch's outputs that counts as the same (f32 arithmetic in
/// another order).
pub const TOLERANCE: f32 = 1e-4;

/// An AttGAN-PyTorch checkpoint to import.
#[derive(Debug, Clone)]
pub struct ImportJob {
    /// The `.pth` file.
    pub pytorch: PathBuf,
    /// Its `setting.txt` and the overrides.
    pub options: ImportOptions,
    /// The export directory to write.
    pub out: PathBuf,
    /// Replace an export already in `out`.
    pub force: bool,
    /// A JSON file of PyTorch's outputs (`pytorch_reference.py` writes it): the imported model
    /// is run on its input and the largest differences are reported.
    pub reference: Option<PathBuf>,
}

/// Imports on the preferred backend; `Err` says what went wrong (the file, key and shapes).
pub fn import(device: Preference, job: ImportJob) -> Result<(), String> {
    backend::run(device, job)?.map_err(|e| e.to_string())
}

impl BackendJob for ImportJob {
    type Output = Result<(), AttGanError>;

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) -> Self::Output {
        if !self.force && self.out.join(GENERATOR_FILE).exists() {
            return Err(AttGanError::Io {
                path: self.out.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "already holds an export; pass --force to replace it",
                ),
            });
        }
        eprintln!("device: {selected}");
        let t = Instant::now();
        let imported = import_checkpoint::<B::InnerBackend>(&self.pytorch, &self.options, &device)?;
        let c = &imported.config;
        eprintln!(
            "read {} ({}; entries {}): AttGAN {}x{}, {} attributes, enc/dec {}x{} layers, shortcut_layers {}, inject_layers {}, {}",
            self.pytorch.display(),
            imported.format,
            imported.entries.join(", "),
            c.image_size,
            c.image_size,
            c.n_attrs(),
            c.enc_dim,
            c.enc_layers,
            c.shortcut_layers,
            c.inject_layers,
            if imported.classifier.is_some() {
                "G and C"
            } else {
                "G only (no D in the file: give attributes when editing)"
            }
        );
        for a in &imported.assumed {
            eprintln!("assumed: {a}");
        }
        save_export(&imported.generator, imported.classifier.as_ref(), c, &self.out)?;
        eprintln!(
            "wrote the export {} in {:.2} s (reading, building and writing)",
            self.out.display(),
            t.elapsed().as_secs_f64()
        );
        if let Some(reference) = &self.reference {
            let editor = Editor::<B::InnerBackend>::load(&self.out, &device)?;
            let (dy, dc) = compare(&editor, reference, &device)?;
            eprintln!(
                "against PyTorch's outputs in {}: largest |difference| of G's images {dy:.3e}{}",
                reference.display(),
                dc.map(|d| format!(", of C's logits {d:.3e}")).unwrap_or_default()
            );
            if dy > TOLERANCE || dc.is_some_and(|d| d > TOLERANCE) {
                return Err(AttGanError::Shape(format!(
                    "the imported model differs from PyTorch's by more than {TOLERANCE}"
                )));
            }
        }
        Ok(())
    }
}

/// The largest differences of G's output and C's logits from the reference file's.
fn compare<B: Backend>(editor: &Editor<B>, path: &Path, device: &B::Device) -> Result<(f32, Option<f32>), AttGanError> {
    let bad = |m: String| AttGanError::InvalidConfig(format!("{}: {m}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|source| AttGanError::Io { path: path.to_path_buf(), source })?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let floats = |k: &str| -> Result<Vec<f32>, AttGanError> {
        json[k]
            .as_array()
            .and_then(|a| a.iter().map(|v| v.as_f64().map(|f| f as f32)).collect())
            .ok_or_else(|| bad(format!("no list of numbers `{k}`")))
    };
    let shape: [usize; 4] = json["input_shape"]
        .as_array()
        .and_then(|a| a.iter().map(|v| v.as_u64().map(|u| u as usize)).collect::<Option<Vec<_>>>())
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| bad("no 4-d `input_shape`".into()))?;
    let x = Tensor::<B, 4>::from_data(TensorData::new(floats("input")?, shape), device);
    let att = floats("attributes")?;
    let n_attrs = att.len() / shape[0];
    let b = to_generator_input(
        Tensor::<B, 2>::from_data(TensorData::new(att, [shape[0], n_attrs]), device),
        editor.config().thres_int,
    );
    let y = editor.generator().forward(x.clone(), b).into_data().to_vec::<f32>().expect("f32");
    let largest = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(p, q)| (p - q).abs()).fold(0f32, f32::max);
    let dy = largest(&y, &floats("output")?);
    let dc = match editor.classifier() {
        Some(c) => Some(largest(&c.forward(x).into_data().to_vec::<f32>().expect("f32"), &floats("logits")?)),
        None => None,
    };
    Ok((dy, dc))
}

/// An export to write in the PyTorch world's formats.
#[derive(Debug, Clone)]
pub struct ExportJob {
    /// The export (directory, generator.mpk or .safetensors).
    pub checkpoint: PathBuf,
    /// Write an AttGAN-PyTorch state dict here (`{'G': ..., 'C': ...}`).
    pub pth: Option<PathBuf>,
    /// Write AttGAN-PyTorch's `setting.txt` for the .pth here.
    pub setting: Option<PathBuf>,
    /// Write a `.safetensors` file here.
    pub safetensors: Option<PathBuf>,
}

/// Exports; `Err` says what went wrong.
pub fn export(job: ExportJob) -> Result<(), String> {
    backend::run(Preference::Auto, job)?.map_err(|e| e.to_string())
}

impl BackendJob for ExportJob {
    type Output = Result<(), AttGanError>;

    fn run<B: AutodiffBackend>(self, device: B::Device, _: &Selected) -> Self::Output {
        let editor = Editor::<B::InnerBackend>::load(&self.checkpoint, &device)?;
        let (g, c, config) = (editor.generator(), editor.classifier(), editor.config());
        if let Some(pth) = &self.pth {
            for caveat in export_pth(g, c, config, pth)? {
                eprintln!("warning: {caveat}");
            }
            eprintln!("wrote {} ({})", pth.display(), if c.is_some() { "G and C" } else { "G" });
            match &self.setting {
                Some(setting) => {
                    let name = setting.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
                    write_setting(config, &name.unwrap_or_default(), setting)?;
                    eprintln!(
                        "wrote {} (AttGAN-PyTorch's test.py reads it as output/EXPERIMENT/setting.txt)",
                        setting.display()
                    );
                }
                None => {
                    eprintln!("note: AttGAN-PyTorch's test.py also needs setting.txt: add --setting FILE to write it")
                }
            }
        }
        if let Some(path) = &self.safetensors {
            save_safetensors(g, c, config, path)?;
            eprintln!("wrote {}", path.display());
        }
        Ok(())
    }
}
