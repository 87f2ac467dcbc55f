//! CelebA's attribute names, the conflict rules between them, and the attribute vectors that
//! condition the generator: permuted targets for training, single flips for sample grids, and the
//! `thres_int` / `test_int` scaling.

use burn::tensor::{Int, Tensor, TensorData, backend::Backend};
use rand::Rng;
use rand::seq::SliceRandom;

use crate::error::{AttGanError, Result};

/// The 40 attribute names of `list_attr_celeba.txt`, in the file's column order.
pub const CELEBA_ATTRIBUTES: [&str; 40] = [
    "5_o_Clock_Shadow",
    "Arched_Eyebrows",
    "Attractive",
    "Bags_Under_Eyes",
    "Bald",
    "Bangs",
    "Big_Lips",
    "Big_Nose",
    "Black_Hair",
    "Blond_Hair",
    "Blurry",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Chubby",
    "Double_Chin",
    "Eyeglasses",
    "Goatee",
    "Gray_Hair",
    "Heavy_Makeup",
    "High_Cheekbones",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "Narrow_Eyes",
    "No_Beard",
    "Oval_Face",
    "Pale_Skin",
    "Pointy_Nose",
    "Receding_Hairline",
    "Rosy_Cheeks",
    "Sideburns",
    "Smiling",
    "Straight_Hair",
    "Wavy_Hair",
    "Wearing_Earrings",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wearing_Necklace",
    "Wearing_Necktie",
    "Young",
];

/// The 13 attributes of the AttGAN paper, in its order.
pub const DEFAULT_ATTRIBUTES: [&str; 13] = [
    "Bald",
    "Bangs",
    "Black_Hair",
    "Blond_Hair",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Eyeglasses",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "No_Beard",
    "Pale_Skin",
    "Young",
];

/// Column of a CelebA attribute in `list_attr_celeba.txt` (0-based, names only).
pub fn celeba_index(name: &str) -> Result<usize> {
    CELEBA_ATTRIBUTES.iter().position(|a| *a == name).ok_or_else(|| AttGanError::UnknownAttribute {
        name: name.to_string(),
        known: CELEBA_ATTRIBUTES.iter().map(|s| s.to_string()).collect(),
    })
}

/// CelebA columns of a list of attribute names, failing on the first unknown one.
pub fn celeba_indices<S: AsRef<str>>(names: &[S]) -> Result<Vec<usize>> {
    names.iter().map(|n| celeba_index(n.as_ref())).collect()
}

/// Position of `name` in a model's attribute list, or an error listing the list.
pub fn position_of(names: &[String], name: &str) -> Result<usize> {
    names
        .iter()
        .position(|a| a == name)
        .ok_or_else(|| AttGanError::UnknownAttribute { name: name.to_string(), known: names.to_vec() })
}

/// Why an attribute list cannot configure a network (empty, an empty name, a name twice), if it
/// cannot.
pub fn list_problem(names: &[String]) -> Option<String> {
    if names.is_empty() {
        return Some("`attributes` is empty; at least one attribute is needed".into());
    }
    names.iter().enumerate().find_map(|(i, name)| {
        if name.trim().is_empty() {
            Some(format!("`attributes[{i}]` is an empty name"))
        } else if names[..i].contains(name) {
            Some(format!("`attributes` lists `{name}` twice"))
        } else {
            None
        }
    })
}

/// Fails with [`AttGanError::AttributeMismatch`] (saying `what` was compared) unless `found` is
/// exactly `expected`, in order.
pub fn require_same<S: AsRef<str>>(expected: &[String], found: &[S], what: &str) -> Result<()> {
    let found: Vec<String> = found.iter().map(|n| n.as_ref().to_string()).collect();
    if found != expected {
        return Err(AttGanError::AttributeMismatch { what: what.to_string(), expected: expected.to_vec(), found });
    }
    Ok(())
}

const HAIR_COLOURS: [&str; 4] = ["Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair"];
const HAIR_STYLES: [&str; 2] = ["Straight_Hair", "Wavy_Hair"];

/// The attributes that must become 0 when `target` is set to 1, as in the official AttGAN
/// `check_attribute_conflict` (the old Mustache -> No_Beard rule was removed upstream).
pub fn conflicts_of(target: &str) -> Vec<&'static str> {
    match target {
        "Bald" | "Receding_Hairline" => vec!["Bangs"],
        "Bangs" => vec!["Bald", "Receding_Hairline"],
        t if HAIR_COLOURS.contains(&t) => HAIR_COLOURS.iter().copied().filter(|n| *n != t).collect(),
        t if HAIR_STYLES.contains(&t) => HAIR_STYLES.iter().copied().filter(|n| *n != t).collect(),
        _ => Vec::new(),
    }
}

/// Applies the conflict rules for `names[target]` to one attribute vector: when that attribute
/// is on (>= 0.5), the attributes it excludes are switched off. Names absent from `names` are
/// ignored, so any attribute subset works.
pub fn resolve_conflicts<S: AsRef<str>>(att: &mut [f32], names: &[S], target: usize) {
    assert_eq!(att.len(), names.len(), "attribute vector and name list differ in length");
    if att[target] < 0.5 {
        return;
    }
    for other in conflicts_of(names[target].as_ref()) {
        if let Some(j) = names.iter().position(|n| n.as_ref() == other) {
            att[j] = 0.0;
        }
    }
}

/// `att` with attribute `target` flipped (0 <-> 1) and the conflicts of the new value resolved:
/// the target of one column of a sample grid.
pub fn flip_single<S: AsRef<str>>(att: &[f32], names: &[S], target: usize) -> Vec<f32> {
    let mut b = att.to_vec();
    b[target] = 1.0 - b[target];
    resolve_conflicts(&mut b, names, target);
    b
}

/// `att` with attribute `target` set to `value` (0 or 1) and conflicts resolved.
pub fn set_single<S: AsRef<str>>(att: &[f32], names: &[S], target: usize, value: f32) -> Vec<f32> {
    let mut b = att.to_vec();
    b[target] = value;
    resolve_conflicts(&mut b, names, target);
    b
}

/// A random permutation of `0..n`: the training targets b are the batch's own attribute
/// vectors shuffled (`b = a[perm]`), as `tf.random_shuffle(a)` in the official code.
pub fn random_permutation<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(rng);
    perm
}

/// Rows of `att` ([N, n_attrs]) in the order given by `perm`.
pub fn permute_rows<B: Backend>(att: Tensor<B, 2>, perm: &[usize]) -> Tensor<B, 2> {
    assert_eq!(perm.len(), att.dims()[0], "permutation length must equal the batch size");
    let idx: Vec<i64> = perm.iter().map(|&i| i as i64).collect();
    let device = att.device();
    let idx = Tensor::<B, 1, Int>::from_data(TensorData::new(idx, [perm.len()]), &device);
    att.select(0, idx)
}

/// Training targets: the batch's attribute vectors ([N, n_attrs], 0/1) shuffled within the batch.
pub fn permuted_targets<B: Backend, R: Rng + ?Sized>(att: Tensor<B, 2>, rng: &mut R) -> Tensor<B, 2> {
    let perm = random_permutation(att.dims()[0], rng);
    permute_rows(att, &perm)
}

/// What G sees of 0/1 attributes: (2a - 1) * thres_int, so +-thres_int.
pub fn to_generator_input<B: Backend, const D: usize>(att: Tensor<B, D>, thres_int: f64) -> Tensor<B, D> {
    att.mul_scalar(2.0).sub_scalar(1.0).mul_scalar(thres_int)
}

pub use crate::config::TargetDistribution;

/// G's input for the training targets `b` ([N, n_attrs], 0/1): (2b - 1) * thres_int, each
/// element scaled by a draw from `distribution` (exactly [`to_generator_input`] for
/// [`TargetDistribution::None`], drawing nothing from `rng`).
pub fn target_input<B: Backend, R: Rng + ?Sized>(
    b: Tensor<B, 2>,
    thres_int: f64,
    distribution: TargetDistribution,
    rng: &mut R,
) -> Tensor<B, 2> {
    let dims = b.dims();
    let input = to_generator_input(b, thres_int);
    match distribution.scales(dims[0] * dims[1], rng) {
        None => input,
        Some(scales) => {
            let device = input.device();
            input * Tensor::<B, 2>::from_data(TensorData::new(scales, dims), &device)
        }
    }
}

/// A generator step's targets: the 0/1 attributes `b` that the attribute loss asks for, and
/// what G is given for them.
#[derive(Debug, Clone)]
pub struct Targets<B: Backend> {
    /// The 0/1 targets.
    pub b: Tensor<B, 2>,
    /// G's input for them.
    pub input: Tensor<B, 2>,
}

impl<B: Backend> Targets<B> {
    /// The paper's: G is given (2b - 1) * thres_int.
    pub fn new(b: Tensor<B, 2>, thres_int: f64) -> Self {
        Self { input: to_generator_input(b.clone(), thres_int), b }
    }

    /// G's input drawn from `distribution` ([`target_input`]).
    pub fn drawn<R: Rng + ?Sized>(
        b: Tensor<B, 2>,
        thres_int: f64,
        distribution: TargetDistribution,
        rng: &mut R,
    ) -> Self {
        Self { input: target_input(b.clone(), thres_int, distribution, rng), b }
    }
}

/// G's input for an edit at test time: (2b - 1) * thres_int for every attribute, except that the
/// edited one is scaled by test_int / thres_int, i.e. becomes +-test_int (the official
/// `test_int`; values above 1 exaggerate the edit).
pub fn edit_input(b: &[f32], edited: usize, thres_int: f64, test_int: f64) -> Vec<f32> {
    b.iter()
        .enumerate()
        .map(|(i, &v)| {
            let x = (2.0 * v as f64 - 1.0) * thres_int;
            (if i == edited { x * test_int / thres_int } else { x }) as f32
        })
        .collect()
}
