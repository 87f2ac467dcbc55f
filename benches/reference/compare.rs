//! Times AttGAN's training steps here and in PyTorch (`attgan_pytorch.py` beside this file,
//! AttGAN-PyTorch's layout) on the same machine, one after the other, and prints both with
//! their ratio. PyTorch is optional: without it, ours are printed alone.
//!
//! ```text
//! cargo run --release --example compare_reference -- --device cpu --batch-sizes 1 --reps 3
//! cargo run --release --features cuda --example compare_reference -- --device cuda --batch-sizes 1,8,32
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use attgan::AttGanConfig;
use attgan::backend::{Kind, Preference, Selected};
use attgan::tasks::steps::step_bench;
use attgan::train::bench::BenchStep;
use clap::Parser;
use serde::Deserialize;

const N_D: usize = 5;

#[derive(Parser, Debug)]
#[command(about = "Time AttGAN's training steps here and in PyTorch, and print both with their ratio")]
struct Args {
    /// Our backend: auto (CUDA, then wgpu, then CPU), cpu, wgpu or cuda.
    #[arg(long, default_value = "auto")]
    device: Preference,
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

/// Times our steps on the preferred backend, one fresh model per batch size.
fn ours(args: &Args) -> Result<(Selected, Vec<Measured>), String> {
    let config = AttGanConfig::default();
    let mut selected = None;
    let mut out = Vec::new();
    for &batch in &args.batch_sizes {
        let (chosen, mut bench) = step_bench(args.device, &config, batch, N_D, 0)?;
        for &step in &args.steps {
            chosen.kind.reset_peak_memory();
            let t = bench.time(step, args.warmup, args.reps);
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
        selected = Some(chosen);
    }
    selected.map(|s| (s, out)).ok_or_else(|| "no batch sizes to time".to_string())
}

/// Runs the PyTorch script; `Err` says why there is no reference (not installed, failed).
fn reference(args: &Args, torch_device: &str, threads: usize) -> Result<Reference, String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/reference/attgan_pytorch.py");
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
    let (selected, ours) = ours(&args).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let ours_device = selected.description.clone();
    let torch_device = args
        .torch_device
        .clone()
        .unwrap_or_else(|| if selected.kind == Kind::Cpu { "cpu".into() } else { "cuda".into() });
    let reference =
        if args.no_reference { Err("--no-reference".into()) } else { reference(&args, &torch_device, threads) };
    let theirs: HashMap<(usize, String), Measured> = match &reference {
        Ok(r) => r.results.iter().map(|m| ((m.batch, m.step.clone()), m.clone())).collect(),
        Err(_) => HashMap::new(),
    };

    println!("\nAttGAN 128x128 (shortcut 1, inject 1, 13 attributes), exact WGAN-GP, Adam; random data");
    println!("ours:    attgan-rs on {ours_device}");
    match &reference {
        Ok(r) => println!("theirs:  {} on {}", r.framework, r.device),
        Err(why) => println!("theirs:  none ({why})"),
    }
    println!(
        "{:>5} {:<13} {:>12} {:>12} {:>16} {:>10} {:>10}",
        "batch", "step", "ours", "pytorch", "pytorch / ours", "ours MiB", "torch MiB"
    );
    for m in &ours {
        let other = theirs.get(&(m.batch, m.step.clone()));
        let ratio = match (m.median_s, other.and_then(|o| o.median_s)) {
            (Some(a), Some(b)) => format!("{:.2}", b / a),
            _ => "-".into(),
        };
        println!(
            "{:>5} {:<13} {:>12} {:>12} {:>16} {:>10} {:>10}",
            m.batch,
            m.step,
            seconds(Some(m)),
            seconds(other),
            ratio,
            mib(Some(m)),
            mib(other)
        );
    }
    println!("pytorch / ours above 1 means attgan-rs is faster.");
    println!("Memory (MiB): on the CPU each side's peak resident set during the step (the whole process);");
    println!("on a GPU ours is the device pools' reserved bytes, PyTorch's torch.cuda.max_memory_allocated.");
}
