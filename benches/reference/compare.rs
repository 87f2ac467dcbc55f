//! Times AttGAN's training steps here and in PyTorch (`attgan_pytorch.py` beside this file,
//! AttGAN-PyTorch's layout) on the same machine, one after the other, and prints both with
//! their ratio. PyTorch is optional: without it, ours are printed alone.
//!
//! ```text
//! cargo run --release --example compare_reference -- --device cpu --batch-sizes 1 --reps 3
//! cargo run --release --features cuda,wgpu --example compare_reference -- --device cuda,wgpu --batch-sizes 1,8,32
//! cargo run --release --features tch --example compare_reference -- --device libtorch --batch-sizes 1,8
//! ```
//!
//! Several devices run one after the other in one process; on the CPU the memory column is then
//! only right for the first (the allocator keeps what the earlier one freed): time the CPU
//! backends together, measure their memory one per run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use attgan::AttGanConfig;
use attgan::backend::{Preference, Selected};
use attgan::tasks::steps::step_bench;
use attgan::train::bench::BenchStep;
use clap::Parser;
use serde::Deserialize;

const N_D: usize = 5;

#[derive(Parser, Debug)]
#[command(about = "Time AttGAN's training steps here and in PyTorch, and print both with their ratio")]
struct Args {
    /// Our backends, comma-separated, each timed in turn: auto (CUDA, then wgpu, then CPU),
    /// cpu, wgpu or cuda.
    #[arg(long, default_value = "auto", value_delimiter = ',')]
    device: Vec<Preference>,
    /// PyTorch's device: cpu or cuda (default: cpu when ours is the CPU, else cuda).
    #[arg(long)]
    torch_device: Option<String>,
    /// Batch sizes, comma-separated.
    #[arg(long, default_value = "1", value_delimiter = ',')]
    batch_sizes: Vec<usize>,
    /// Steps, comma-separated: critic, critic_no_gp, generator, iteration.
    #[arg(long, default_value = "critic,critic_no_gp,generator,iteration", value_delimiter = ',')]
    steps: Vec<BenchStep>,
    /// Untimed runs of each step first.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Timed runs of each step (the median is reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// The Python interpreter that has PyTorch.
    #[arg(long, default_value = "python3")]
    python: String,
    /// PyTorch's CPU threads (default: as many as the CPU backend uses, all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Skip PyTorch and time ours alone.
    #[arg(long)]
    no_reference: bool,
    /// Seconds each of our backends may take in all: the steps not started by then are
    /// reported as skipped (a GPU machine lent for minutes should not be spent on one backend).
    #[arg(long)]
    budget_s: Option<f64>,
    /// The PyTorch script (default: `benches/reference/attgan_pytorch.py` of this checkout, or of
    /// the working directory when the binary runs elsewhere, as on a GPU machine).
    #[arg(long)]
    script: Option<PathBuf>,
}

/// One timed step, ours or PyTorch's.
#[derive(Debug, Clone, Deserialize)]
struct Measured {
    batch: usize,
    step: String,
    median_s: Option<f64>,
    peak_memory_bytes: Option<u64>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Reference {
    framework: String,
    device: String,
    results: Vec<Measured>,
}

/// Our steps timed on one backend, or why that backend could not run.
struct Ours {
    /// The backend asked for (`cuda`, `wgpu`, `cpu`, `auto`).
    asked: String,
    /// What ran, e.g. "cuda: device 0"; or why nothing did.
    device: Result<Selected, String>,
    results: Vec<Measured>,
}

/// Times our steps on one backend, one fresh model per batch size. A batch size that fails
/// (out of memory, a kernel that does not compile) is recorded with its error and the rest
/// still run, so that one table holds whatever could be measured.
fn ours(args: &Args, device: Preference) -> Ours {
    let config = AttGanConfig::default();
    let asked = device.to_string();
    let mut selected = Err("no batch sizes to time".to_string());
    let mut out = Vec::new();
    let start = std::time::Instant::now();
    let over_budget = || args.budget_s.is_some_and(|budget| start.elapsed().as_secs_f64() > budget);
    for &batch in &args.batch_sizes {
        let failed = |step: BenchStep, error: &str| Measured {
            batch,
            step: step.name().into(),
            median_s: None,
            peak_memory_bytes: None,
            error: Some(error.into()),
        };
        const SKIPPED: &str = "skipped (--budget-s)";
        if over_budget() {
            out.extend(args.steps.iter().map(|&s| failed(s, SKIPPED)));
            if selected.is_err() {
                selected = Err(SKIPPED.into());
            }
            continue;
        }
        let started =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| step_bench(device, &config, batch, N_D, 0)))
                .unwrap_or_else(|panic| Err(run_error(panic, "could not start")));
        let (chosen, mut bench) = match started {
            Ok(ready) => ready,
            Err(why) => {
                eprintln!("attgan-rs {asked} batch {batch}: {why}");
                out.extend(args.steps.iter().map(|&s| failed(s, &why)));
                if selected.is_err() {
                    selected = Err(why);
                }
                continue;
            }
        };
        for &step in &args.steps {
            if over_budget() {
                out.push(failed(step, SKIPPED));
                continue;
            }
            chosen.kind.reset_peak_memory();
            let timed =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bench.time(step, args.warmup, args.reps)));
            let t = match timed {
                Ok(t) => t,
                Err(panic) => {
                    let why = run_error(panic, "failed");
                    eprintln!("attgan-rs {} batch {batch} {step}: {why}", chosen.description);
                    out.push(failed(step, &why));
                    continue;
                }
            };
            let memory = chosen.kind.memory();
            eprintln!(
                "attgan-rs {} batch {batch} {step}: median {:.3} s (min {:.3}, max {:.3}, {} reps){}",
                chosen.description,
                t.median(),
                t.min(),
                t.max(),
                args.reps,
                memory.map(|m| format!("; {m}")).unwrap_or_default()
            );
            out.push(Measured {
                batch,
                step: step.name().into(),
                median_s: Some(t.median()),
                peak_memory_bytes: memory.map(|m| m.peak_bytes()),
                error: None,
            });
        }
        selected = Ok(chosen);
    }
    Ours { asked, device: selected, results: out }
}

/// A panic's message (out of memory, a kernel that failed), short enough for a table cell.
fn run_error(panic: Box<dyn std::any::Any + Send>, what: &str) -> String {
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let lower = message.to_lowercase();
    if lower.contains("out of memory") || lower.contains("outofmemory") {
        "out of memory".into()
    } else if message.is_empty() {
        what.into()
    } else {
        format!("{what}: {}", message.lines().next().unwrap_or_default().chars().take(60).collect::<String>())
    }
}

/// Runs the PyTorch script; `Err` says why there is no reference (not installed, failed).
fn reference(args: &Args, torch_device: &str, threads: usize) -> Result<Reference, String> {
    const SCRIPT: &str = "benches/reference/attgan_pytorch.py";
    let script = args.script.clone().unwrap_or_else(|| {
        let built_here = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SCRIPT);
        if built_here.exists() { built_here } else { PathBuf::from(SCRIPT) }
    });
    let join = |v: Vec<String>| v.join(",");
    let output = Command::new(&args.python)
        .arg(&script)
        .args(["--device", torch_device])
        .args(["--batch-sizes", &join(args.batch_sizes.iter().map(|b| b.to_string()).collect())])
        .args(["--steps", &join(args.steps.iter().map(|s| s.name().to_string()).collect())])
        .args(["--warmup", &args.warmup.to_string(), "--reps", &args.reps.to_string()])
        .args(["--threads", &threads.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", args.python))?;
    match output.status.code() {
        Some(0) => serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("{} printed JSON this runner cannot read: {e}", script.display())),
        Some(3) => Err(format!("PyTorch is not installed for `{}` (pip install torch)", args.python)),
        _ => Err(format!("{} failed ({})", script.display(), output.status)),
    }
}

fn seconds(m: Option<&Measured>) -> String {
    match m {
        Some(Measured { median_s: Some(s), .. }) if *s < 1.0 => format!("{:.1} ms", s * 1e3),
        Some(Measured { median_s: Some(s), .. }) => format!("{s:.3} s"),
        Some(Measured { error: Some(e), .. }) => e.clone(),
        _ => "-".into(),
    }
}

fn mib(m: Option<&Measured>) -> String {
    m.and_then(|m| m.peak_memory_bytes).map(|b| format!("{:.0}", b as f64 / 1048576.0)).unwrap_or_else(|| "-".into())
}

fn main() {
    let args = Args::parse();
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let ours: Vec<Ours> = args.device.iter().map(|&device| ours(&args, device)).collect();
    let on_gpu = ours.iter().any(|o| o.device.as_ref().is_ok_and(|s| s.kind.is_gpu()));
    let torch_device = args.torch_device.clone().unwrap_or_else(|| if on_gpu { "cuda".into() } else { "cpu".into() });
    let reference =
        if args.no_reference { Err("--no-reference".into()) } else { reference(&args, &torch_device, threads) };
    let theirs: HashMap<(usize, String), Measured> = match &reference {
        Ok(r) => r.results.iter().map(|m| ((m.batch, m.step.clone()), m.clone())).collect(),
        Err(_) => HashMap::new(),
    };

    println!("\nAttGAN 128x128 (shortcut 1, inject 1, 13 attributes), exact WGAN-GP, Adam; random data");
    for o in &ours {
        match &o.device {
            Ok(selected) => println!("ours:    attgan-rs on {}", selected.description),
            Err(why) => println!("ours:    attgan-rs on {}: {why}", o.asked),
        }
    }
    match &reference {
        Ok(r) => println!("theirs:  {} on {}", r.framework, r.device),
        Err(why) => println!("theirs:  none ({why})"),
    }
    println!(
        "{:<8} {:>5} {:<13} {:>12} {:>12} {:>16} {:>10} {:>10}",
        "ours", "batch", "step", "ours", "pytorch", "pytorch / ours", "ours MiB", "torch MiB"
    );
    for o in &ours {
        let backend = o.device.as_ref().map_or(o.asked.as_str(), |s| s.kind.name());
        if o.device.is_err() {
            // Said once above, on the backend's own line.
            println!("{backend:<8} {:>5} {:<13} {:>12}", "-", "-", "did not run");
            continue;
        }
        for m in &o.results {
            let other = theirs.get(&(m.batch, m.step.clone()));
            let ratio = match (m.median_s, other.and_then(|o| o.median_s)) {
                (Some(a), Some(b)) => format!("{:.2}", b / a),
                _ => "-".into(),
            };
            println!(
                "{:<8} {:>5} {:<13} {:>12} {:>12} {:>16} {:>10} {:>10}",
                backend,
                m.batch,
                m.step,
                seconds(Some(m)),
                seconds(other),
                ratio,
                mib(Some(m)),
                mib(other)
            );
        }
    }
    println!("pytorch / ours above 1 means attgan-rs is faster.");
    println!("Memory (MiB): on the CPU each side's peak resident set during the step (the whole process);");
    println!("on a GPU ours is the device pools' reserved bytes, PyTorch's torch.cuda.max_memory_allocated.");
}
