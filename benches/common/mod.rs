//! What the benches run where: batch sizes per backend, how long criterion measures, and the
//! `ATTGAN_BENCH*` switches. Shared by `train_step`, `edit` and `data`.

#![allow(dead_code)]

use std::time::Duration;

use attgan::backend::{self, Kind, Selected};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, SamplingMode};

/// How much to run: the default ends in minutes on a 2-core CPU; `ATTGAN_BENCH=long` is for
/// GPUs and patient people.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `ATTGAN_BENCH=long`: batches 1, 8 and 32 on every backend, more samples.
    pub long: bool,
    /// `ATTGAN_BENCH_BATCHES=1,8`: these batch sizes everywhere.
    pub batches: Option<Vec<usize>>,
    /// `ATTGAN_BENCH_DEVICES=cpu,wgpu`: only these backends.
    pub devices: Option<Vec<Kind>>,
}

impl Plan {
    /// The plan the environment asks for; a malformed variable is an error naming it.
    pub fn from_env() -> Self {
        let long = match var("ATTGAN_BENCH").as_deref() {
            None | Some("short") => false,
            Some("long") => true,
            Some(other) => panic!("ATTGAN_BENCH={other}: expected `long` or `short`"),
        };
        Self { long, batches: list("ATTGAN_BENCH_BATCHES"), devices: list("ATTGAN_BENCH_DEVICES") }
    }

    /// The backends to bench: every one available, or those `ATTGAN_BENCH_DEVICES` names.
    pub fn backends(&self) -> Vec<Selected> {
        let found = backend::available();
        for selected in &found {
            println!("backend available: {selected}");
        }
        match &self.devices {
            None => found,
            Some(wanted) => found.into_iter().filter(|s| wanted.contains(&s.kind)).collect(),
        }
    }

    /// Batch sizes for the training steps on `selected`: 1, 8, 32 on a GPU or in long mode;
    /// 1 on the CPU and on a software GPU, where one step of the 128 model takes seconds.
    pub fn batch_sizes(&self, selected: &Selected) -> Vec<usize> {
        if let Some(b) = &self.batches {
            return b.clone();
        }
        if self.long || (selected.kind.is_gpu() && !selected.software) { vec![1, 8, 32] } else { vec![1] }
    }

    /// Criterion settings for a routine that takes about `per_run` (flat sampling, ten samples
    /// in the default mode; thirty and at least a minute in long mode).
    pub fn configure(&self, group: &mut BenchmarkGroup<'_, WallTime>, per_run: Duration) {
        let samples = if self.long { 30 } else { 10 };
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(samples);
        group.warm_up_time(per_run.min(Duration::from_secs(3)));
        let floor = if self.long { Duration::from_secs(60) } else { Duration::from_secs(2) };
        group.measurement_time((per_run * samples as u32).max(floor));
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A comma-separated list from the variable `name`, if set.
fn list<T: std::str::FromStr>(name: &str) -> Option<Vec<T>>
where
    T::Err: std::fmt::Display,
{
    var(name).map(|v| {
        v.split(',')
            .map(|s| s.trim().parse().unwrap_or_else(|e| panic!("{name}={v}: cannot read `{s}`: {e}")))
            .collect()
    })
}

/// Whether the backend is a software rasteriser posing as a GPU (Mesa's llvmpipe).
pub fn is_software(selected: &Selected) -> bool {
    selected.software
}

/// A short name for group names: the backend's name, `wgpu-software` for a software device.
pub fn short_name(selected: &Selected) -> &'static str {
    match selected.kind {
        Kind::Wgpu if selected.software => "wgpu-software",
        kind => kind.name(),
    }
}
