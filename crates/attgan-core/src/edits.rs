//! What an edit asks of G: attributes set to an intensity or flipped, the rest kept from the
//! image's source attributes, turned into G's conditioning vector the way the official AttGAN test
//! scripts do (single, multi and slide modes).

use crate::attributes::resolve_conflicts;
use crate::error::{AttGanError, Result};

/// One attribute's change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// G's input for the attribute becomes this value: +-1 is AttGAN's `test_int` 1, values
    /// beyond exaggerate, 0 is neutral. Positive values switch the attribute on (for the conflict
    /// rules); negative ones off.
    Set(f64),
    /// The attribute is flipped from its source value (0 <-> 1) at intensity `test_int`.
    Flip(f64),
}

/// A set of attribute changes, applied together to each image (AttGAN's multi mode; one flip is
/// its single mode, one `Set` swept over a range its slide mode).
#[derive(Debug, Clone, PartialEq)]
pub struct Edits {
    changes: Vec<(String, Change)>,
    conflict_rules: bool,
}

impl Default for Edits {
    fn default() -> Self {
        Self::new()
    }
}

impl Edits {
    /// No change: G reconstructs the image from its source attributes.
    pub fn new() -> Self {
        Self { changes: Vec::new(), conflict_rules: true }
    }

    /// Also sets `attribute`'s input to `intensity` (replacing an earlier change of it).
    pub fn set(self, attribute: impl Into<String>, intensity: f64) -> Self {
        self.with(attribute.into(), Change::Set(intensity))
    }

    /// Also flips `attribute` at intensity `test_int` (1.0 in the official test scripts).
    pub fn flip(self, attribute: impl Into<String>, test_int: f64) -> Self {
        self.with(attribute.into(), Change::Flip(test_int))
    }

    /// Without the conflict rules (e.g. Blond_Hair on switching Black_Hair off). The official slide
    /// mode does not apply them, so that the other attributes stay fixed along the slide.
    pub fn without_conflict_rules(mut self) -> Self {
        self.conflict_rules = false;
        self
    }

    fn with(mut self, name: String, change: Change) -> Self {
        self.changes.retain(|(n, _)| *n != name);
        self.changes.push((name, change));
        self
    }

    /// The changes, in the order given.
    pub fn changes(&self) -> &[(String, Change)] {
        &self.changes
    }

    /// Whether there is no change (a reconstruction).
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// A short label, e.g. `Blond_Hair=1 Young=-1`, `flip Bald`, or `reconstruction`.
    pub fn label(&self) -> String {
        if self.changes.is_empty() {
            return "reconstruction".into();
        }
        let parts: Vec<String> = self
            .changes
            .iter()
            .map(|(n, c)| match c {
                Change::Set(v) => format!("{n}={v}"),
                Change::Flip(k) if *k == 1.0 => format!("flip {n}"),
                Change::Flip(k) => format!("flip {n} x{k}"),
            })
            .collect();
        parts.join(" ")
    }

    /// AttGAN's single mode: one edit per attribute of `names`, each flipping it at `test_int`.
    pub fn single<S: AsRef<str>>(names: &[S], test_int: f64) -> Vec<Edits> {
        names.iter().map(|n| Edits::new().flip(n.as_ref(), test_int)).collect()
    }

    /// AttGAN's slide mode: `steps` edits setting `attribute` from `min` to `max` evenly, without
    /// the conflict rules (as the official `test_slide`).
    pub fn slide(attribute: &str, min: f64, max: f64, steps: usize) -> Result<Vec<Edits>> {
        if steps < 2 || !(min.is_finite() && max.is_finite()) {
            return Err(AttGanError::InvalidConfig(format!(
                "a slide needs at least 2 steps between finite bounds, got {steps} steps from {min} to {max}"
            )));
        }
        Ok((0..steps)
            .map(|i| {
                let v = min + (max - min) * i as f64 / (steps - 1) as f64;
                Edits::new().set(attribute, v).without_conflict_rules()
            })
            .collect())
    }

    /// G's conditioning vector for an image with 0/1 `source` attributes (in the order of
    /// `names`): the source with the changes applied and, unless disabled, the conflicts of each
    /// switched-on attribute resolved, scaled to +-`thres_int`; then each changed attribute takes
    /// its own intensity, with the sign of its final state (later changes win a conflict).
    /// Fails on an attribute not in `names` or a source of the wrong length.
    pub fn generator_input<S: AsRef<str>>(&self, source: &[f32], names: &[S], thres_int: f64) -> Result<Vec<f32>> {
        if source.len() != names.len() {
            return Err(AttGanError::Shape(format!(
                "source attributes have {} values, the model has {} attributes",
                source.len(),
                names.len()
            )));
        }
        let mut b: Vec<f32> = source.iter().map(|&v| if v >= 0.5 { 1.0 } else { 0.0 }).collect();
        let mut intensities = Vec::with_capacity(self.changes.len());
        for (name, change) in &self.changes {
            let i = names.iter().position(|n| n.as_ref() == name).ok_or_else(|| AttGanError::UnknownAttribute {
                name: name.clone(),
                known: names.iter().map(|n| n.as_ref().to_string()).collect(),
            })?;
            let (on, intensity) = match *change {
                Change::Set(v) => (v > 0.0, v),
                Change::Flip(k) => {
                    let on = b[i] < 0.5;
                    (on, if on { k } else { -k })
                }
            };
            b[i] = if on { 1.0 } else { 0.0 };
            if self.conflict_rules {
                resolve_conflicts(&mut b, names, i);
            }
            intensities.push((i, intensity));
        }
        let mut x: Vec<f32> = b.iter().map(|&v| ((2.0 * f64::from(v) - 1.0) * thres_int) as f32).collect();
        for (i, v) in intensities {
            // The sign follows the attribute's final state, as the official multi mode's
            // `att_b_ * test_int / thres_int` does: a change that a later one's conflict rule
            // switched off (Bangs, then Bald) keeps its intensity but turns negative.
            x[i] = if b[i] >= 0.5 { v.abs() } else { -v.abs() } as f32;
        }
        Ok(x)
    }
}

impl std::str::FromStr for Edits {
    type Err = AttGanError;

    /// `Name=value[,Name=value...]`, e.g. `Blond_Hair=1,Young=-1`.
    fn from_str(s: &str) -> Result<Self> {
        s.split(',').filter(|p| !p.trim().is_empty()).try_fold(Edits::new(), |edits, part| {
            let (name, value) = part.split_once('=').ok_or_else(|| {
                AttGanError::InvalidConfig(format!("edit `{part}` is not of the form Attribute=intensity"))
            })?;
            let value: f64 = value.trim().parse().map_err(|_| {
                AttGanError::InvalidConfig(format!("edit `{part}`: `{}` is not a number", value.trim()))
            })?;
            if !value.is_finite() {
                return Err(AttGanError::InvalidConfig(format!("edit `{part}`: the intensity must be finite")));
            }
            Ok(edits.set(name.trim(), value))
        })
    }
}
