//! Trained networks on disk: Burn's named MessagePack records at full precision, written
//! atomically, and checked against the architecture they are loaded into (Burn itself would load
//! a record of the wrong shapes silently, or panic on a wrong layer count).

use std::path::Path;

use burn::module::{Module, ModuleVisitor, Param};
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Recorder};
use burn::tensor::{Tensor, backend::Backend};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::atomic::write_atomically;
use crate::error::{AttGanError, Result};

type Bytes = NamedMpkBytesRecorder<FullPrecisionSettings>;

/// Writes `module`'s weights to `path` (a `.mpk` file) atomically.
pub fn save_module<B: Backend, M: Module<B>>(module: &M, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let bytes = Recorder::<B>::record(&Bytes::default(), module.clone().into_record(), ())
        .map_err(|e| weights_error(path, e.to_string()))?;
    write_atomically(path, &bytes)
}

/// Loads the weights in `path` into `fresh`, a module built from the architecture the weights
/// should have. Fails, naming the file and the first differing parameter, when they do not fit.
pub fn load_module<B: Backend, M: Module<B>>(fresh: M, path: impl AsRef<Path>, device: &B::Device) -> Result<M> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| AttGanError::Io { path: path.to_path_buf(), source })?;
    let record = Recorder::<B>::load(&Bytes::default(), bytes, device).map_err(|e| {
        weights_error(path, format!("{e} (the file does not hold this network; was it written for another config?)"))
    })?;
    let expected = param_shapes(&fresh);
    // Burn asserts that layer lists have the same length; a record with another depth panics.
    let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fresh.load_record(record)))
        .map_err(|_| weights_error(path, "its layers do not match the config's (another depth)".into()))?;
    let found = param_shapes(&loaded);
    for ((name, want), (_, got)) in expected.iter().zip(&found) {
        if got != want {
            return Err(weights_error(
                path,
                format!("parameter `{name}` has shape {got:?} in the file, the config needs {want:?}"),
            ));
        }
    }
    Ok(loaded)
}

/// Writes `value` as pretty JSON to `path` atomically.
pub fn save_json<T: Serialize>(value: &T, path: impl AsRef<Path>) -> Result<()> {
    let json = serde_json::to_string_pretty(value).map_err(|e| AttGanError::InvalidConfig(e.to_string()))?;
    write_atomically(path, json.as_bytes())
}

/// Reads JSON from `path`, naming the file in any error.
pub fn load_json<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<T> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| AttGanError::Io { path: path.to_path_buf(), source })?;
    serde_json::from_str(&text).map_err(|e| AttGanError::InvalidConfig(format!("{}: {e}", path.display())))
}

fn weights_error(path: &Path, message: String) -> AttGanError {
    AttGanError::Weights { path: path.to_path_buf(), message }
}

/// Every float parameter's dotted path and shape, in the module's order.
fn param_shapes<B: Backend, M: Module<B>>(module: &M) -> Vec<(String, Vec<usize>)> {
    #[derive(Default)]
    struct Shapes {
        path: Vec<String>,
        out: Vec<(String, Vec<usize>)>,
    }
    impl<B: Backend> ModuleVisitor<B> for Shapes {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.out.push((self.path.join("."), param.lazy_shape().dims::<D>().to_vec()));
        }
    }
    let mut v = Shapes::default();
    module.visit(&mut v);
    v.out
}
