//! The quantities a training run reports: the seed's five curves (Xa reconstruction, Xa
//! attribute, D gan, Xb gan, Xb attribute) plus the gradient penalty and the two totals, as
//! Burn metrics (for the dashboard and Burn's metric logs) and as one CSV row per step.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::train::ItemLazy;
use burn::train::metric::{
    Adaptor, Metric, MetricAttributes, MetricMetadata, MetricName, Numeric, NumericAttributes, NumericEntry,
    SerializedEntry, format_float,
};

use crate::loader::Phase;
use crate::step::{CriticMetrics, GeneratorMetrics};

/// One reported quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Term {
    /// -(E[D(xa)] - E[D(xb)]), critic steps.
    DGan,
    /// The gradient penalty, critic steps.
    Gp,
    /// BCE(C(xa), a), critic steps.
    XaAttribute,
    /// The weighted D-loss.
    DTotal,
    /// -E[D(xb)], generator steps.
    XbGan,
    /// BCE(C(xb), b), generator steps.
    XbAttribute,
    /// mean|G(xa, a) - xa|, generator steps.
    XaReconstruction,
    /// The weighted G-loss.
    GTotal,
    /// mean|G(xa, a) - xa| on validation images, G in inference mode.
    ValidReconstruction,
    /// The fraction of validation attributes C predicts right (logit > 0 for 1).
    ValidAttributeAccuracy,
}

impl Term {
    /// The eight training terms, in CSV column order.
    pub const TRAIN: [Term; 8] = [
        Term::DGan,
        Term::Gp,
        Term::XaAttribute,
        Term::DTotal,
        Term::XbGan,
        Term::XbAttribute,
        Term::XaReconstruction,
        Term::GTotal,
    ];

    /// The seed's five curves and the penalty, the panels of the curve plot.
    pub const PLOTTED: [Term; 6] =
        [Term::XaReconstruction, Term::XaAttribute, Term::DGan, Term::XbGan, Term::XbAttribute, Term::Gp];

    /// The name shown on the dashboard and in plots.
    pub fn label(self) -> &'static str {
        match self {
            Term::DGan => "D gan",
            Term::Gp => "GP",
            Term::XaAttribute => "Xa attribute",
            Term::DTotal => "D total",
            Term::XbGan => "Xb gan",
            Term::XbAttribute => "Xb attribute",
            Term::XaReconstruction => "Xa reconstruction",
            Term::GTotal => "G total",
            Term::ValidReconstruction => "Xa reconstruction",
            Term::ValidAttributeAccuracy => "C accuracy",
        }
    }

    /// The CSV column name.
    pub fn column(self) -> &'static str {
        match self {
            Term::DGan => "d_gan",
            Term::Gp => "gp",
            Term::XaAttribute => "xa_attr",
            Term::DTotal => "d_total",
            Term::XbGan => "xb_gan",
            Term::XbAttribute => "xb_attr",
            Term::XaReconstruction => "xa_rec",
            Term::GTotal => "g_total",
            Term::ValidReconstruction => "val_xa_rec",
            Term::ValidAttributeAccuracy => "val_c_accuracy",
        }
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

/// The losses of a critic or a generator step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepLosses {
    /// A critic step.
    Critic(CriticMetrics),
    /// A generator step.
    Generator(GeneratorMetrics),
}

impl StepLosses {
    /// Which step this was.
    pub fn phase(&self) -> Phase {
        match self {
            StepLosses::Critic(_) => Phase::Critic,
            StepLosses::Generator(_) => Phase::Generator,
        }
    }

    /// The value of `term`, if this step computes it.
    pub fn get(&self, term: Term) -> Option<f64> {
        match (self, term) {
            (StepLosses::Critic(c), Term::DGan) => Some(c.d_gan),
            (StepLosses::Critic(c), Term::Gp) => Some(c.gp),
            (StepLosses::Critic(c), Term::XaAttribute) => Some(c.xa_attr),
            (StepLosses::Critic(c), Term::DTotal) => Some(c.d_total),
            (StepLosses::Generator(g), Term::XbGan) => Some(g.xb_gan),
            (StepLosses::Generator(g), Term::XbAttribute) => Some(g.xb_attr),
            (StepLosses::Generator(g), Term::XaReconstruction) => Some(g.xa_rec),
            (StepLosses::Generator(g), Term::GTotal) => Some(g.g_total),
            _ => None,
        }
    }

    /// The first term that is NaN or infinite.
    pub fn non_finite(&self) -> Option<(Term, f64)> {
        Term::TRAIN.iter().filter_map(|&t| self.get(t).map(|v| (t, v))).find(|(_, v)| !v.is_finite())
    }
}

/// What a validation batch reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidOutput {
    /// Images in the batch.
    pub images: usize,
    /// mean|G(xa, a) - xa|.
    pub xa_rec: f64,
    /// C's attribute accuracy on the real images.
    pub attr_accuracy: f64,
}

/// An item that carries some [`Term`]s.
pub trait Terms {
    /// The value of `term`, if present.
    fn term(&self, term: Term) -> Option<f64>;
}

impl Terms for StepOutput {
    fn term(&self, term: Term) -> Option<f64> {
        self.losses.get(term)
    }
}

impl Terms for ValidOutput {
    fn term(&self, term: Term) -> Option<f64> {
        match term {
            Term::ValidReconstruction => Some(self.xa_rec),
            Term::ValidAttributeAccuracy => Some(self.attr_accuracy),
            _ => None,
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

/// One [`Term`] as a Burn numeric metric. Steps that do not compute the term (a critic term on
/// a generator step) repeat the last value with weight 0, so epoch averages count only the
/// steps that computed it.
pub struct TermMetric<I> {
    term: Term,
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
    /// The metric of `term`.
    pub fn new(term: Term) -> Self {
        Self {
            term,
            name: Arc::new(term.label().to_string()),
            sum: 0.0,
            count: 0,
            current: f64::NAN,
            _item: PhantomData,
        }
    }
}

impl<I: Terms + Send + Sync> Metric for TermMetric<I> {
    type Input = I;

    fn name(&self) -> MetricName {
        self.name.clone()
    }

    fn attributes(&self) -> MetricAttributes {
        let higher_is_better = self.term == Term::ValidAttributeAccuracy;
        NumericAttributes { unit: None, higher_is_better }.into()
    }

    fn update(&mut self, item: &I, _metadata: &MetricMetadata) -> SerializedEntry {
        let weight = match item.term(self.term) {
            Some(v) => {
                self.current = v;
                self.sum += v;
                self.count += 1;
                1
            }
            None => 0,
        };
        let running = if self.count == 0 { f64::NAN } else { self.sum / self.count as f64 };
        SerializedEntry::new(
            format!("epoch {} - step {}", format_float(running, 4), format_float(self.current, 4)),
            NumericEntry::Aggregated { aggregated_value: self.current, count: weight }.serialize(),
        )
    }

    fn clear(&mut self) {
        self.sum = 0.0;
        self.count = 0;
        self.current = f64::NAN;
    }
}

impl<I: Terms + Send + Sync> Numeric for TermMetric<I> {
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
    /// The eight training terms in [`Term::TRAIN`] order, `None` where the step has no value.
    pub values: [Option<f64>; 8],
}

impl CsvRow {
    /// The row of `output`.
    pub fn new(output: &StepOutput, lr: f64, seconds: f64) -> Self {
        Self {
            step: output.step,
            epoch: output.epoch,
            phase: output.losses.phase(),
            lr,
            seconds,
            values: Term::TRAIN.map(|t| output.losses.get(t)),
        }
    }

    /// The value of a training term.
    pub fn get(&self, term: Term) -> Option<f64> {
        Term::TRAIN.iter().position(|&t| t == term).and_then(|i| self.values[i])
    }

    fn header() -> String {
        let terms: Vec<&str> = Term::TRAIN.iter().map(|t| t.column()).collect();
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
        let phase = match f[2] {
            "critic" => Phase::Critic,
            "generator" => Phase::Generator,
            _ => return None,
        };
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
