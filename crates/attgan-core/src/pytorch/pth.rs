//! `.pth` files: AttGAN-PyTorch's checkpoints read (by burn-store's reader: the zip format of
//! torch >= 1.6 and the legacy pickle of older torch) and state dicts written as `torch.save`
//! writes them (a zip archive of `data.pkl`, one `data/{n}` file per tensor, `version`).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use burn::tensor::TensorData;
use burn_store::pytorch::PytorchReader;

use super::layout::StateDict;
use super::pickle::{TensorEntry, state_dicts};
use crate::atomic::write_atomically;
use crate::error::{AttGanError, Result};

/// The prefix `nn.DataParallel` gives every key (`--multi_gpu` runs).
const DATA_PARALLEL: &str = "module.";

/// The networks of an AttGAN-PyTorch checkpoint.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// G's state dict (`module.` prefixes removed).
    pub g: StateDict,
    /// D's state dict, when the checkpoint has one (`AttGAN.save` writes it, `saveG` does not),
    /// or the part of it that C is (`C`, as [`super::export_pth`] writes it).
    pub d: Option<StateDict>,
    /// How the file was written: "zip (torch >= 1.6)", "legacy pickle (torch < 1.6)", ...
    pub format: String,
    /// The checkpoint's top-level entries that hold tensors (`G`, `D`, `optim_G` once Adam has
    /// stepped, ...).
    pub entries: Vec<String>,
}

/// Reads an AttGAN-PyTorch checkpoint: `{'G': state_dict}` (`saveG`), the whole `save()`
/// dictionary (`G`, `D`, `optim_G`, `optim_D`; the optimizers are not needed), or G's bare
/// state dict; keys with `DataParallel`'s `module.` prefix too.
pub fn read_checkpoint(path: &Path) -> Result<Checkpoint> {
    let fail = |message: String| AttGanError::Weights { path: path.to_path_buf(), message };
    if !path.is_file() {
        return Err(AttGanError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let reader =
        PytorchReader::new(path).map_err(|e| fail(format!("not a PyTorch checkpoint that can be read ({e})")))?;
    let format = match reader.metadata().format_type {
        burn_store::pytorch::reader::FileFormat::Zip => "zip (torch >= 1.6)",
        burn_store::pytorch::reader::FileFormat::Legacy => "legacy pickle (torch < 1.6)",
        burn_store::pytorch::reader::FileFormat::Tar => "tar (torch < 0.4)",
        burn_store::pytorch::reader::FileFormat::Pickle => "pickle",
    }
    .to_string();
    let snapshots = reader.into_tensors();
    let entries: Vec<String> = snapshots
        .keys()
        .map(|k| k.split('.').next().unwrap_or_default().to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Only the networks' tensors are read (an optimizer's state would double the memory).
    let take = |prefix: &str| -> Result<StateDict> {
        let mut dict = StateDict::new();
        for (key, snapshot) in &snapshots {
            if let Some(rest) = key.strip_prefix(prefix) {
                let data = snapshot.to_data().map_err(|e| fail(format!("cannot read tensor `{key}`: {e:?}")))?;
                dict.insert(strip_data_parallel(rest).to_string(), data);
            }
        }
        Ok(dict)
    };
    let (g, d) = if entries.iter().any(|e| e == "G") {
        // D from `AttGAN.save`; C (D's trunk and classifier head) from this crate's own export.
        let d = Some(take("D.")?).filter(|d| !d.is_empty());
        let d = match d {
            Some(d) => Some(d),
            None => Some(take("C.")?).filter(|c| !c.is_empty()),
        };
        (take("G.")?, d)
    } else if snapshots.keys().any(|k| strip_data_parallel(k).starts_with("enc_layers.")) {
        (take("")?, None)
    } else {
        return Err(fail(format!(
            "no generator: an AttGAN-PyTorch checkpoint has a `G` entry (or is G's state dict), this one has [{}]",
            entries.join(", ")
        )));
    };
    Ok(Checkpoint { g, d, format, entries })
}

fn strip_data_parallel(key: &str) -> &str {
    key.strip_prefix(DATA_PARALLEL).unwrap_or(key)
}

/// Writes `{name: state_dict, ...}` as `torch.save` does (zip format, tensors as f32 and i64
/// storages), atomically. `torch.load(path)` reads it, `weights_only=True` included.
pub fn write_pth(path: &Path, dicts: &[(&str, &[(String, TensorData)])]) -> Result<()> {
    let io = |source: std::io::Error| AttGanError::Io { path: path.to_path_buf(), source };
    let zip_error = |e: zip::result::ZipError| io(std::io::Error::other(e));
    let mut storage = 0;
    let mut entries = Vec::with_capacity(dicts.len());
    for (name, tensors) in dicts {
        let list = tensors
            .iter()
            .map(|(key, data)| {
                storage += 1;
                TensorEntry { key, data, storage: storage - 1 }
            })
            .collect();
        entries.push((*name, list));
    }
    let pickle = state_dicts(&entries);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // Stored, not compressed, and aligned as torch's own writer does (so that torch can map it).
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).with_alignment(64);
    let mut file = |name: &str, bytes: &[u8]| -> Result<()> {
        zip.start_file(format!("archive/{name}"), options).map_err(zip_error)?;
        zip.write_all(bytes).map_err(io)
    };
    file("data.pkl", &pickle)?;
    file("byteorder", b"little")?;
    for (_, list) in &entries {
        for entry in list {
            file(&format!("data/{}", entry.storage), entry.data.as_bytes())?;
        }
    }
    file("version", b"3\n")?;
    let bytes = zip.finish().map_err(zip_error)?.into_inner();
    write_atomically(path, &bytes)
}
