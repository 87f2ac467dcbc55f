//! Training throughput of the paper's 128x128 model on every backend available: the critic step
//! with the exact gradient penalty, the same step without it, the generator step and a full
//! iteration (5 critic steps + 1 generator step), as time per step and images per second, with
//! memory where the backend reports it. Ends with a summary table and the penalty's cost ratio.
//!
//! ```text
//! cargo bench --bench train_step                      # minutes on a 2-core CPU
//! ATTGAN_BENCH=long cargo bench --bench train_step    # batches 1, 8, 32 everywhere, 30 samples
//! ATTGAN_BENCH_DEVICES=cuda ATTGAN_BENCH_BATCHES=32 cargo bench --features cuda --bench train_step
//! ```

mod common;

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use attgan::AttGanConfig;
use attgan::backend::{MemoryReading, Preference, Selected};
use attgan::tasks::steps::step_bench;
use attgan::train::bench::BenchStep;
use criterion::{BenchmarkId, Criterion, Throughput};

use common::{Plan, is_software, short_name};

const N_D: usize = 5;

/// One line of the summary.
struct Row {
    backend: String,
    batch: usize,
    step: BenchStep,
    median: f64,
    memory: Option<MemoryReading>,
}

/// Benches every step at every batch size of the plan on `selected`.
fn bench_backend(c: &mut Criterion, plan: &Plan, rows: &mut Vec<Row>, selected: &Selected) -> Result<(), String> {
    {
        let name = short_name(selected);
        println!("\n== {selected}");
        if is_software(selected) && !plan.long && plan.devices.is_none() {
            println!(
                "{name}: a software device; one step of the 128 model takes minutes there, so it is skipped in the \
                 default run (ATTGAN_BENCH=long or ATTGAN_BENCH_DEVICES=wgpu runs it)"
            );
            return Ok(());
        }
        let config = AttGanConfig::default();
        for batch in plan.batch_sizes(selected) {
            let (_, mut bench) = step_bench(Preference::Only(selected.kind), &config, batch, N_D, 0)?;
            // First runs: kernels compile, buffers grow, and a batch too big shows itself here.
            let first = catch_unwind(AssertUnwindSafe(|| {
                (bench.time(BenchStep::Critic, 0, 1).median(), bench.time(BenchStep::Generator, 0, 1).median())
            }));
            let Ok((critic, generator)) = first else {
                println!("{name} batch {batch}: the first step failed (out of memory?); skipping larger batches");
                break;
            };
            let mut group = c.benchmark_group(format!("train_128_{name}"));
            for step in steps(plan, selected) {
                let per_run = match step {
                    BenchStep::Critic | BenchStep::CriticWithoutPenalty => critic,
                    BenchStep::Generator => generator,
                    BenchStep::Iteration => N_D as f64 * critic + generator,
                };
                plan.configure(&mut group, Duration::from_secs_f64(per_run));
                group.throughput(Throughput::Elements(step.images(batch, N_D) as u64));
                selected.kind.reset_peak_memory();
                let per_iter = RefCell::new(Vec::new());
                group.bench_function(BenchmarkId::new(step.name(), batch), |b| {
                    b.iter_custom(|iters| {
                        let t = Instant::now();
                        for _ in 0..iters {
                            bench.run(step);
                        }
                        let elapsed = t.elapsed();
                        per_iter.borrow_mut().push(elapsed / iters as u32);
                        elapsed
                    })
                });
                let memory = selected.kind.memory();
                let samples = per_iter.into_inner();
                if samples.is_empty() {
                    continue; // filtered out on the command line (`cargo bench -- critic`)
                }
                rows.push(Row { backend: name.to_string(), batch, step, median: median(samples), memory });
            }
            group.finish();
        }
    }
    Ok(())
}

/// All four steps; on a software GPU only the single steps unless in long mode (an iteration
/// there takes many minutes).
fn steps(plan: &Plan, selected: &Selected) -> Vec<BenchStep> {
    if is_software(selected) && !plan.long {
        vec![BenchStep::Critic, BenchStep::CriticWithoutPenalty, BenchStep::Generator]
    } else {
        BenchStep::ALL.to_vec()
    }
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

fn print_summary(rows: &[Row]) {
    println!("\nAttGAN 128x128 training steps (median of criterion's samples)");
    println!("{:<14} {:>5} {:<13} {:>10} {:>9}  memory", "backend", "batch", "step", "time", "img/s");
    for r in rows {
        let images = r.step.images(r.batch, N_D) as f64;
        let memory = r.memory.map(|m| m.to_string()).unwrap_or_else(|| "not reported".into());
        println!(
            "{:<14} {:>5} {:<13} {:>8.3} s {:>9.2}  {memory}",
            r.backend,
            r.batch,
            r.step.name(),
            r.median,
            images / r.median
        );
    }
    for r in rows.iter().filter(|r| r.step == BenchStep::Critic) {
        let without = rows
            .iter()
            .find(|o| o.backend == r.backend && o.batch == r.batch && o.step == BenchStep::CriticWithoutPenalty);
        if let Some(o) = without {
            println!(
                "exact gradient penalty on {} batch {}: critic step {:.3} s with it, {:.3} s without: x{:.2}",
                r.backend,
                r.batch,
                r.median,
                o.median,
                r.median / o.median
            );
        }
    }
}

fn main() {
    let plan = Plan::from_env();
    let mut c = Criterion::default().configure_from_args();
    let mut rows = Vec::new();
    for selected in plan.backends() {
        if let Err(e) = bench_backend(&mut c, &plan, &mut rows, &selected) {
            println!("{}: {e}", selected.description);
        }
    }
    print_summary(&rows);
    c.final_summary();
}
