//! AttGAN-PyTorch's state-dict layout: the key each of our parameters has in its `G` and `D`
//! state dicts, and moving weights between those dicts and our modules.
//!
//! AttGAN-PyTorch builds every layer as a block whose `layers` is an `nn.Sequential` of
//! (convolution, norm, activation) (`nn.py`), so a key reads `enc_layers.{i}.layers.{0|1}.{name}`:
//! index 0 is the (transposed) convolution, 1 the norm. BatchNorm's `weight`/`bias` are our
//! `gamma`/`beta`; its `num_batches_tracked` has no counterpart here (it only matters when
//! PyTorch trains with `momentum=None`) and is written as 0. `nn.Linear` stores its weight as
//! [out, in], our [`crate::layers::Dense`] as [in, out]: those are transposed on the way.
//! Convolutions agree: [out, in, k, k] for `Conv2d`, [in, out, k, k] for `ConvTranspose2d`.

use std::collections::BTreeMap;

use burn::module::{Module, ParamId};
use burn::tensor::{TensorData, backend::Backend};
use burn_store::{ModuleSnapshot, TensorSnapshot};

/// A state dict: PyTorch key -> tensor, in PyTorch's layout.
pub type StateDict = BTreeMap<String, TensorData>;

/// The suffix of the one buffer PyTorch keeps that has no counterpart in our modules.
pub const BATCHES_TRACKED: &str = "num_batches_tracked";

/// Where one of our parameters lives in AttGAN-PyTorch's state dicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOf {
    /// The key (without the `G.` / `D.` of the checkpoint dictionary).
    pub key: String,
    /// Whether the tensor is stored transposed there (`nn.Linear` weights).
    pub transposed: bool,
}

/// The PyTorch key of the parameter at `path` (our module path, enum variants left out, as
/// burn-store's `collect(.., true)` gives it), for the generator (`enc.*`, `dec.*`) and for D or
/// C (`trunk.*`, `adv.*`, `cls.*`). `None` for a path of no AttGAN network.
pub fn key_of(path: &str) -> Option<KeyOf> {
    let parts: Vec<&str> = path.split('.').collect();
    let block = |i: &str, rest: &[&str], stack: &str| -> Option<KeyOf> {
        let leaf = match rest {
            ["conv", name @ ("weight" | "bias")] => format!("0.{name}"),
            ["norm", "gamma"] => "1.weight".into(),
            ["norm", "beta"] => "1.bias".into(),
            ["norm", name @ ("running_mean" | "running_var")] => format!("1.{name}"),
            _ => return None,
        };
        Some(KeyOf { key: format!("{stack}.{i}.layers.{leaf}"), transposed: false })
    };
    let dense = |head: &str, which: &str, name: &str| -> Option<KeyOf> {
        let index = match which {
            "hidden" => 0,
            "output" => 1,
            _ => return None,
        };
        match name {
            "weight" | "bias" => {
                Some(KeyOf { key: format!("fc_{head}.{index}.layers.0.{name}"), transposed: name == "weight" })
            }
            _ => None,
        }
    };
    match parts.as_slice() {
        ["enc", "layers", i, rest @ ..] => block(i, rest, "enc_layers"),
        ["dec", "layers", i, rest @ ..] => block(i, rest, "dec_layers"),
        ["trunk", i, rest @ ..] => block(i, rest, "conv"),
        [head @ ("adv" | "cls"), which, name] => dense(head, which, name),
        _ => None,
    }
}

/// `module`'s weights as an AttGAN-PyTorch state dict (f32; `num_batches_tracked` 0 beside each
/// batch norm), in the module's order of parameters. Panics on a module of no AttGAN network.
pub fn state_dict<B: Backend, M: Module<B> + ModuleSnapshot<B>>(module: &M) -> Vec<(String, TensorData)> {
    let mut out = Vec::new();
    for snapshot in module.collect(None, None, true) {
        let path = snapshot.full_path();
        let KeyOf { key, transposed } =
            key_of(&path).unwrap_or_else(|| panic!("`{path}` is not a parameter of an AttGAN network"));
        let data = snapshot.to_data().expect("a parameter's data").convert::<f32>();
        let data = if transposed { transpose(&data) } else { data };
        if let Some(norm) = key.strip_suffix("running_var") {
            out.push((key.clone(), data));
            out.push((format!("{norm}{BATCHES_TRACKED}"), TensorData::new(vec![0i64], [0usize; 0])));
        } else {
            out.push((key, data));
        }
    }
    out
}

/// What is wrong between a state dict and the module it should fill.
#[derive(Debug, Clone, PartialEq)]
pub enum Misfit {
    /// The module needs a key the state dict lacks.
    Missing {
        /// The PyTorch key.
        key: String,
        /// The shape the module needs.
        shape: Vec<usize>,
    },
    /// The state dict has a key the module has no place for.
    Unexpected {
        /// The PyTorch key.
        key: String,
        /// Its shape in the file.
        shape: Vec<usize>,
    },
    /// A tensor of another shape than the module's parameter.
    Shape {
        /// The PyTorch key.
        key: String,
        /// Its shape in the file (PyTorch's layout).
        found: Vec<usize>,
        /// The shape the module needs (PyTorch's layout).
        expected: Vec<usize>,
    },
}

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing { key, shape } => write!(f, "missing `{key}` (the model needs a tensor of shape {shape:?})"),
            Self::Unexpected { key, shape } => {
                write!(f, "unexpected `{key}` (shape {shape:?}): this configuration has no such parameter")
            }
            Self::Shape { key, found, expected } => {
                write!(f, "`{key}` has shape {found:?} in the file, the configuration needs {expected:?}")
            }
        }
    }
}

/// `misfits` of network `net` as one message, the first few spelt out, ending with `hint`.
pub fn describe_misfits(net: &str, misfits: &[Misfit], hint: &str) -> String {
    const SHOWN: usize = 6;
    let mut lines: Vec<String> = misfits.iter().take(SHOWN).map(|m| format!("  {net}: {m}")).collect();
    if misfits.len() > SHOWN {
        lines.push(format!("  ... and {} more", misfits.len() - SHOWN));
    }
    format!(
        "{net}'s weights do not fit the configuration ({} problem{}; {hint}):\n{}",
        misfits.len(),
        if misfits.len() == 1 { "" } else { "s" },
        lines.join("\n")
    )
}

/// Fills `module` from `dict` (keys without their `G.`/`D.` prefix). Every parameter of the
/// module must be there with its exact shape; keys of `dict` that the module has no place for
/// are reported unless `ignore_extra` says so (e.g. D's critic head when loading C alone).
/// `num_batches_tracked` is never needed.
pub fn load_state_dict<B: Backend, M: Module<B> + ModuleSnapshot<B>>(
    mut module: M,
    dict: &StateDict,
    ignore_extra: impl Fn(&str) -> bool,
) -> Result<M, Vec<Misfit>> {
    let mut misfits = Vec::new();
    let mut snapshots = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    for target in module.collect(None, None, true) {
        let path = target.full_path();
        let KeyOf { key, transposed } =
            key_of(&path).unwrap_or_else(|| panic!("`{path}` is not a parameter of an AttGAN network"));
        let ours = target.shape.to_vec();
        let expected = if transposed { ours.iter().rev().copied().collect() } else { ours };
        let Some(data) = dict.get(&key) else {
            misfits.push(Misfit::Missing { key, shape: expected });
            continue;
        };
        used.insert(key.clone());
        if data.shape.as_slice() != expected.as_slice() {
            misfits.push(Misfit::Shape { key, found: data.shape.to_vec(), expected });
            continue;
        }
        let data = data.clone().convert::<f32>();
        let data = if transposed { transpose(&data) } else { data };
        let stack = path.split('.').map(str::to_string).collect();
        snapshots.push(TensorSnapshot::from_data(data, stack, Vec::new(), ParamId::new()));
    }
    for (key, data) in dict {
        if !used.contains(key) && !key.ends_with(BATCHES_TRACKED) && !ignore_extra(key) {
            misfits.push(Misfit::Unexpected { key: key.clone(), shape: data.shape.to_vec() });
        }
    }
    if !misfits.is_empty() {
        return Err(misfits);
    }
    let result = module.apply(snapshots, None, None, true);
    assert!(
        result.errors.is_empty() && result.missing.is_empty() && result.unused.is_empty(),
        "burn-store did not apply every checked tensor: {result:?}"
    );
    Ok(module)
}

/// A 2-d tensor's transpose (row-major data).
fn transpose(data: &TensorData) -> TensorData {
    let [rows, cols] = <[usize; 2]>::try_from(data.shape.as_slice()).expect("a 2-d tensor");
    let values = data.as_slice::<f32>().expect("f32 data");
    let mut out = vec![0f32; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    TensorData::new(out, [cols, rows])
}
