//! What a training run reports, as a leaf that imports nothing else of the crate: the losses
//! of each step under their one vocabulary ([`Term`], from the loss module), the validation
//! measures, the Burn metrics that put them on the dashboard, and `metrics.csv`, one row per
//! step.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use attgan_core::{Phase, Term};
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Tensor};
use burn::train::ItemLazy;
use burn::train::metric::{
    Adaptor, Metric, MetricAttributes, MetricMetadata, MetricName, Numeric, NumericAttributes, NumericEntry,
    SerializedEntry, format_float,
};

/// The four terms of one step (a critic step's or a generator step's), read back as numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepLosses {
    /// Which step computed them.
    pub phase: Phase,
    /// The terms in [`Term::ALL`] order.
    pub values: [(Term, f64); 4],
}

impl StepLosses {
    /// Reads the terms of a loss (`DiscriminatorLoss::terms` or `GeneratorLoss::terms`).
    pub fn read<B: Backend>(phase: Phase, terms: [(Term, Tensor<B, 1>); 4]) -> Self {
        Self { phase, values: terms.map(|(term, t)| (term, t.into_scalar().elem())) }
    }

    /// The value of `term`, if this step computes it.
    pub fn get(&self, term: Term) -> Option<f64> {
        self.values.iter().find(|(t, _)| *t == term).map(|&(_, v)| v)
    }

    /// The first term that is NaN or infinite.
    pub fn non_finite(&self) -> Option<(Term, f64)> {
        self.values.iter().copied().find(|(_, v)| !v.is_finite())
    }
}

/// What one training step reports.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutput {
    /// Global step index (0-based).
    pub step: usize,
    /// Epoch (1-based).
    pub epoch: usize,
    /// The losses of the step taken.
    pub losses: StepLosses,
}

/// What a validation batch reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidOutput {
    /// Images in the batch.
    pub images: usize,
    /// mean|G(xa, a) - xa| with G in inference mode.
    pub xa_rec: f64,
    /// C's attribute accuracy on the real images.
    pub attr_accuracy: f64,
}

/// A number on the dashboard: a loss term of the training steps, or a validation measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantity {
    /// A loss term of a critic or generator step.
    Loss(Term),
    /// [`Term::XaReconstruction`] on validation images, G in inference mode.
    ValidReconstruction,
    /// The fraction of validation attributes C predicts right (logit > 0 for 1).
    ValidAttributeAccuracy,
}

impl Quantity {
    /// The name shown on the dashboard.
    pub fn label(self) -> &'static str {
        match self {
            Quantity::Loss(term) => term.label(),
            Quantity::ValidReconstruction => Term::XaReconstruction.label(),
            Quantity::ValidAttributeAccuracy => "C accuracy",
        }
    }
}

/// An item that carries some [`Quantity`]s.
pub trait Reports {
    /// The value of `quantity`, if present.
    fn value(&self, quantity: Quantity) -> Option<f64>;
}

impl Reports for StepOutput {
    fn value(&self, quantity: Quantity) -> Option<f64> {
        match quantity {
            Quantity::Loss(term) => self.losses.get(term),
            _ => None,
        }
    }
}

impl Reports for ValidOutput {
    fn value(&self, quantity: Quantity) -> Option<f64> {
        match quantity {
            Quantity::ValidReconstruction => Some(self.xa_rec),
            Quantity::ValidAttributeAccuracy => Some(self.attr_accuracy),
            Quantity::Loss(_) => None,
        }
    }
}

macro_rules! synced_item {
    ($t:ty) => {
        impl ItemLazy for $t {
            type ItemSync = $t;
            fn sync(self) -> $t {
                self
            }
        }
        impl Adaptor<$t> for $t {
            fn adapt(&self) -> $t {
                self.clone()
            }
        }
    };
}
synced_item!(StepOutput);
synced_item!(ValidOutput);

/// One [`Quantity`] as a Burn numeric metric. Steps that do not compute it (a critic term on a
/// generator step) repeat the last value with weight 0, so epoch averages count only the steps
/// that computed it.
pub struct TermMetric<I> {
    quantity: Quantity,
    name: MetricName,
    sum: f64,
    count: usize,
    current: f64,
    _item: PhantomData<fn(&I)>,
}

impl<I> Clone for TermMetric<I> {
    fn clone(&self) -> Self {
        Self { name: self.name.clone(), _item: PhantomData, ..*self }
    }
}

impl<I> TermMetric<I> {
    /// The metric of `quantity`.
    pub fn new(quantity: Quantity) -> Self {
        Self {
            quantity,
            name: Arc::new(quantity.label().to_string()),
            sum: 0.0,
            count: 0,
            current: f64::NAN,
            _item: PhantomData,
        }
    }
}

impl<I: Reports + Send + Sync> Metric for TermMetric<I> {
    type Input = I;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn attributes(&self) -> MetricAttributes {
        let higher_is_better = self.quantity == Quantity::ValidAttributeAccuracy;
        NumericAttributes { unit: None, higher_is_better }.into()
    }

    fn update(&mut self, item: &I, _metadata: &MetricMetadata) -> SerializedEntry {
        let weight = match item.value(self.quantity) {
            Some(v) => {
                self.current = v;
                self.sum += v;
                self.count += 1;
                1
            }
            None => 0,
        };
        // Before its first value of the epoch (a generator term during the first critic steps)
        // the metric shows "-", not a NaN that reads like a diverged loss.
        let formatted = if self.count == 0 {
            "epoch - - step -".to_string()
        } else {
            let running = self.sum / self.count as f64;
            format!("epoch {} - step {}", format_float(running, 4), format_float(self.current, 4))
        };
        SerializedEntry::new(
            formatted,
            NumericEntry::Aggregated { aggregated_value: self.current, count: weight }.serialize(),
        )
    }

    fn clear(&mut self) {
        self.sum = 0.0;
        self.count = 0;
        self.current = f64::NAN;
    }
}

impl<I: Reports + Send + Sync> Numeric for TermMetric<I> {
    fn value(&self) -> NumericEntry {
        NumericEntry::Aggregated { aggregated_value: self.current, count: 1 }
    }

    fn running_value(&self) -> NumericEntry {
        NumericEntry::Aggregated { aggregated_value: self.sum / self.count.max(1) as f64, count: self.count }
    }
}

/// One row of `metrics.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    /// Global step (0-based).
    pub step: usize,
    /// Epoch (1-based).
    pub epoch: usize,
    /// The step's phase.
    pub phase: Phase,
    /// The learning rate used.
    pub lr: f64,
    /// Seconds since the run (or the resumed part of it) started.
    pub seconds: f64,
    /// The eight terms in [`Term::ALL`] order, `None` where the step has no value.
    pub values: [Option<f64>; 8],
}

impl CsvRow {
    /// The row of `output`.
    pub fn new(output: &StepOutput, lr: f64, seconds: f64) -> Self {
        Self {
            step: output.step,
            epoch: output.epoch,
            phase: output.losses.phase,
            lr,
            seconds,
            values: Term::ALL.map(|t| output.losses.get(t)),
        }
    }

    /// The value of a training term.
    pub fn get(&self, term: Term) -> Option<f64> {
        Term::ALL.iter().position(|&t| t == term).and_then(|i| self.values[i])
    }

    fn header() -> String {
        let terms: Vec<&str> = Term::ALL.iter().map(|t| t.column()).collect();
        format!("step,epoch,phase,lr,seconds,{}", terms.join(","))
    }

    fn to_line(&self) -> String {
        let values: Vec<String> = self.values.iter().map(|v| v.map_or(String::new(), |v| v.to_string())).collect();
        format!(
            "{},{},{},{},{:.3},{}",
            self.step,
            self.epoch,
            self.phase.name(),
            self.lr,
            self.seconds,
            values.join(",")
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 5 + 8 {
            return None;
        }
        let phase = [Phase::Critic, Phase::Generator].into_iter().find(|p| p.name() == f[2])?;
        let mut values = [None; 8];
        for (v, s) in values.iter_mut().zip(&f[5..]) {
            *v = if s.is_empty() { None } else { Some(s.parse().ok()?) };
        }
        Some(Self {
            step: f[0].parse().ok()?,
            epoch: f[1].parse().ok()?,
            phase,
            lr: f[3].parse().ok()?,
            seconds: f[4].parse().ok()?,
            values,
        })
    }
}

/// Reads `metrics.csv`, skipping the header and any line that does not parse (a line cut short
/// by a killed run).
pub fn read_csv(path: impl AsRef<Path>) -> std::io::Result<Vec<CsvRow>> {
    let file = File::open(path)?;
    let mut rows = Vec::new();
    for line in BufReader::new(file).lines().skip(1) {
        if let Some(row) = CsvRow::parse(&line?) {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Appends one row per step to `metrics.csv`.
pub struct CsvLog {
    path: PathBuf,
    file: File,
}

impl CsvLog {
    /// Opens `path` for a run that continues after step `resume_after` (`None`: a fresh run,
    /// which starts the file anew). Rows past the resumed step, written by the interrupted run
    /// after its last checkpoint, are dropped, so the file reads as one uninterrupted run.
    pub fn open(path: impl AsRef<Path>, resume_after: Option<usize>) -> std::io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let kept = match resume_after {
            Some(step) if path.exists() => read_csv(&path)?.into_iter().filter(|r| r.step <= step).collect(),
            _ => Vec::new(),
        };
        let mut text = CsvRow::header() + "\n";
        for row in &kept {
            text += &(row.to_line() + "\n");
        }
        attgan_core::atomic::write_atomically(&path, text.as_bytes()).map_err(std::io::Error::other)?;
        let file = OpenOptions::new().append(true).open(&path)?;
        Ok(Self { path, file })
    }

    /// Appends `row` (flushed, so a plot drawn from the file is current).
    pub fn append(&mut self, row: &CsvRow) -> std::io::Result<()> {
        writeln!(self.file, "{}", row.to_line())?;
        self.file.flush()
    }

    /// The file written.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
