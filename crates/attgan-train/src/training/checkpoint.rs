//! Checkpoints: the Learner's model, optimizer and scheduler records, each written by a Burn
//! `Checkpointer` to a temporary file and renamed into place, plus a small JSON state (where in
//! the run it was taken). A checkpoint counts only when all four files exist, so a run killed
//! while writing one resumes from the one before. (The editing export beside them is written by
//! `attgan_core::editor::save_export`.)

use std::path::{Path, PathBuf};

use attgan_core::atomic::write_atomically;
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Record, Recorder};
use burn::tensor::backend::Backend;
use burn::train::checkpoint::{Checkpointer, CheckpointerError};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError, io_error};

/// The directory of checkpoints inside a run's output directory.
pub const CHECKPOINT_DIR: &str = "checkpoint";
/// The records each checkpoint holds, by file name prefix.
pub const RECORDS: [&str; 3] = ["model", "optim", "scheduler"];

type Bytes = NamedMpkBytesRecorder<FullPrecisionSettings>;

/// A Burn [`Checkpointer`] that writes `<dir>/<name>-<n>.mpk` atomically.
#[derive(Debug, Clone)]
pub struct AtomicCheckpointer {
    dir: PathBuf,
    name: String,
}

impl AtomicCheckpointer {
    /// Records called `name` under `dir`.
    pub fn new(dir: impl Into<PathBuf>, name: &str) -> Self {
        Self { dir: dir.into(), name: name.to_string() }
    }

    /// The file of checkpoint `n`.
    pub fn path(&self, n: usize) -> PathBuf {
        self.dir.join(format!("{}-{n}.mpk", self.name))
    }
}

impl<R: Record<B>, B: Backend> Checkpointer<R, B> for AtomicCheckpointer {
    fn save(&self, n: usize, record: R) -> std::result::Result<(), CheckpointerError> {
        let bytes = Recorder::<B>::record(&Bytes::default(), record, ()).map_err(CheckpointerError::RecorderError)?;
        write_atomically(self.path(n), &bytes).map_err(|e| CheckpointerError::Unknown(e.to_string()))
    }

    fn delete(&self, n: usize) -> std::result::Result<(), CheckpointerError> {
        match std::fs::remove_file(self.path(n)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CheckpointerError::IOError(e)),
            _ => Ok(()),
        }
    }

    fn restore(&self, n: usize, device: &B::Device) -> std::result::Result<R, CheckpointerError> {
        let bytes = std::fs::read(self.path(n)).map_err(CheckpointerError::IOError)?;
        Recorder::<B>::load(&Bytes::default(), bytes, device).map_err(CheckpointerError::RecorderError)
    }
}

/// Where in the run a checkpoint was taken.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// The checkpoint's number (1, 2, ...).
    pub index: usize,
    /// Steps completed (critic and generator steps alike).
    pub steps: usize,
    /// The epoch (1-based) the next step belongs to.
    pub epoch: usize,
    /// Batches of that epoch already consumed.
    pub batch: usize,
    /// Training seconds so far, over all resumed parts.
    pub seconds: f64,
}

/// The state file of checkpoint `n`.
pub fn state_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("state-{n}.json"))
}

/// Writes the state of a checkpoint.
pub fn write_state(dir: &Path, state: &RunState) -> Result<()> {
    let json = serde_json::to_string_pretty(state).expect("the run state serialises");
    Ok(write_atomically(state_path(dir, state.index), json.as_bytes())?)
}

/// Reads the state of checkpoint `n`.
pub fn read_state(dir: &Path, n: usize) -> Result<RunState> {
    let path = state_path(dir, n);
    let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
    serde_json::from_str(&text).map_err(|e| TrainError::Checkpoint { path, message: e.to_string() })
}

/// The highest-numbered complete checkpoint in `dir` (state and all three records present).
pub fn latest_complete(dir: &Path) -> Option<usize> {
    complete_checkpoints(dir).into_iter().max()
}

/// Every complete checkpoint in `dir` (state and all three records present), in no order.
pub fn complete_checkpoints(dir: &Path) -> Vec<usize> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_prefix("state-")?.strip_suffix(".json")?.parse::<usize>().ok()
        })
        .filter(|&n| RECORDS.iter().all(|r| AtomicCheckpointer::new(dir, r).path(n).exists()))
        .collect()
}
