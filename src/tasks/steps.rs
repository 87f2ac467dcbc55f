//! The training steps on a backend chosen at run time, behind a trait object ([`step_bench`]),
//! so that the benches and the side-by-side runner time them without instantiating the training
//! stack themselves.

use attgan_core::AttGanConfig;
use attgan_train::bench::{BenchStep, StepBench, Timing};
use burn::tensor::backend::AutodiffBackend;

use crate::backend::{self, BackendJob, Preference, Selected};

/// [`StepBench`] of some backend.
pub trait Steps {
    /// Runs `step` once and waits for the device; returns the last loss.
    fn run(&mut self, step: BenchStep) -> f64;
    /// Runs `step` `warmup` times untimed, then `reps` times timed.
    fn time(&mut self, step: BenchStep, warmup: usize, reps: usize) -> Timing;
}

impl<B: AutodiffBackend> Steps for StepBench<B> {
    fn run(&mut self, step: BenchStep) -> f64 {
        StepBench::run(self, step)
    }

    fn time(&mut self, step: BenchStep, warmup: usize, reps: usize) -> Timing {
        StepBench::time(self, step, warmup, reps)
    }
}

struct NewBench<'a> {
    config: &'a AttGanConfig,
    batch_size: usize,
    n_d: usize,
    seed: u64,
}

impl BackendJob for NewBench<'_> {
    type Output = (Selected, Box<dyn Steps>);

    fn run<B: AutodiffBackend>(self, device: B::Device, selected: &Selected) -> Self::Output {
        let bench = StepBench::<B>::new(self.config, self.batch_size, self.n_d, &device, self.seed);
        (selected.clone(), Box::new(bench))
    }
}

/// G and D/C of `config`, their Adam and one seeded random batch of `batch_size` on the
/// preferred backend, ready to be stepped (`n_d` critic steps per iteration); with the backend
/// chosen, or why none could be.
pub fn step_bench(
    device: Preference,
    config: &AttGanConfig,
    batch_size: usize,
    n_d: usize,
    seed: u64,
) -> Result<(Selected, Box<dyn Steps>), String> {
    backend::run(device, NewBench { config, batch_size, n_d, seed })
}
