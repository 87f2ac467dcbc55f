//! What a run's output directory holds: `training.json` (the options), `metrics.csv` (one row
//! per step), `curves.png`, `samples/` (edit grids), `checkpoint/` (model, optimizer, scheduler,
//! state), `generator.mpk` + `generator.json` (G and C, for editing), and Burn's own logs.

/// The options of a run.
pub const CONFIG_FILE: &str = "training.json";
/// One row per step.
pub const METRICS_FILE: &str = "metrics.csv";
/// The loss curves.
pub const CURVES_FILE: &str = "curves.png";
/// The sample grids.
pub const SAMPLES_DIR: &str = "samples";
