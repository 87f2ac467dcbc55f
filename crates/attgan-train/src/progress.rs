//! How a training run (the GAN's or the attribute classifier's) shows its progress: Burn's TUI
//! dashboard in a terminal, and otherwise (logs, CI, `nohup`) [`LogRenderer`], a Burn
//! `MetricsRenderer` that prints one line every few seconds with the latest metric values (Burn's
//! CLI renderer prints a debug dump per step).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use burn::train::{LearningComponentsTypes, SupervisedTraining};

use burn::train::metric::{MetricDefinition, MetricId};
use burn::train::renderer::{
    EvaluationName, EvaluationProgress, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining, ProgressType, TrainingProgress,
};

/// How a run shows its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// Burn's TUI dashboard when stdout is a terminal, a log line every 10 s otherwise.
    Auto,
    /// A log line on stderr at most every this many seconds.
    Log(u64),
    /// Nothing.
    Quiet,
}

impl Display {
    /// `training` with the renderer this choice calls for (Burn's dashboard is its default).
    pub fn install<LC: LearningComponentsTypes>(self, training: SupervisedTraining<LC>) -> SupervisedTraining<LC> {
        match self {
            Display::Auto if std::io::IsTerminal::is_terminal(&std::io::stdout()) => training,
            Display::Auto => training.renderer(LogRenderer::new(Duration::from_secs(10))),
            Display::Log(s) => training.renderer(LogRenderer::new(Duration::from_secs(s))),
            Display::Quiet => training.renderer(QuietRenderer),
        }
    }
}

/// Prints `epoch E/N  batch b/B  name value ...` to stderr at most every `interval`.
pub struct LogRenderer {
    interval: Duration,
    last: Option<Instant>,
    names: HashMap<MetricId, String>,
    train: BTreeMap<String, String>,
    valid: BTreeMap<String, String>,
}

impl LogRenderer {
    /// A renderer printing at most every `interval`.
    pub fn new(interval: Duration) -> Self {
        Self { interval, last: None, names: HashMap::new(), train: BTreeMap::new(), valid: BTreeMap::new() }
    }

    fn line(kind: &str, item: &TrainingProgress, values: &BTreeMap<String, String>) -> String {
        let mut line =
            format!("[{kind}] epoch {}/{}", item.global_progress.items_processed, item.global_progress.items_total);
        if let Some(p) = &item.progress {
            line += &format!("  images {}/{}", p.items_processed, p.items_total);
        }
        for (name, value) in values {
            line += &format!("  {name} {value}");
        }
        line
    }

    /// The metric's name and its latest value (the part after " - " of Burn's formatting).
    fn entry(&self, state: MetricState) -> (String, String) {
        let (MetricState::Generic(entry) | MetricState::Numeric(entry, _)) = state;
        let name = self.names.get(&entry.metric_id).cloned().unwrap_or_default();
        let formatted = entry.serialized_entry.formatted;
        let latest = formatted.rsplit(" - ").next().unwrap_or(&formatted).to_string();
        (name, latest)
    }
}

impl MetricsRendererTraining for LogRenderer {
    fn update_train(&mut self, state: MetricState) {
        let (name, value) = self.entry(state);
        self.train.insert(name, value);
    }

    fn update_valid(&mut self, state: MetricState) {
        let (name, value) = self.entry(state);
        self.valid.insert(name, value);
    }

    fn render_train(&mut self, item: TrainingProgress, _progress: Vec<ProgressType>) {
        if self.last.is_none_or(|t| t.elapsed() >= self.interval) {
            self.last = Some(Instant::now());
            eprintln!("{}", Self::line("train", &item, &self.train));
        }
    }

    fn render_valid(&mut self, item: TrainingProgress, _progress: Vec<ProgressType>) {
        let done = item.progress.as_ref().is_some_and(|p| p.items_processed >= p.items_total);
        if done {
            eprintln!("{}", Self::line("valid", &item, &self.valid));
        }
    }
}

impl MetricsRendererEvaluation for LogRenderer {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}

    fn render_test(&mut self, _item: EvaluationProgress, _progress: Vec<ProgressType>) {}
}

impl MetricsRenderer for LogRenderer {
    fn manual_close(&mut self) {}

    fn register_metric(&mut self, definition: MetricDefinition) {
        self.names.insert(definition.metric_id, definition.name);
    }
}

/// A renderer that shows nothing (tests, library use).
pub struct QuietRenderer;

impl MetricsRendererTraining for QuietRenderer {
    fn update_train(&mut self, _state: MetricState) {}
    fn update_valid(&mut self, _state: MetricState) {}
    fn render_train(&mut self, _item: TrainingProgress, _progress: Vec<ProgressType>) {}
    fn render_valid(&mut self, _item: TrainingProgress, _progress: Vec<ProgressType>) {}
}

impl MetricsRendererEvaluation for QuietRenderer {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
    fn render_test(&mut self, _item: EvaluationProgress, _progress: Vec<ProgressType>) {}
}

impl MetricsRenderer for QuietRenderer {
    fn manual_close(&mut self) {}
    fn register_metric(&mut self, _definition: MetricDefinition) {}
}
