//! Trains AttGAN exactly as one of the reference implementations does (`--preset paper`, the
//! default for CelebA: AttGAN-Tensorflow v1; `pytorch`; `tf2`): 5 critic steps (with the exact
//! gradient penalty) per generator step, Adam 2e-4 (0.5, 0.999), lr/10 after epoch 100, on
//! CelebA. Any setting the preset fixes can be changed by its own option.
//!
//! ```text
//! cargo run --release --example train_celeba -- --celeba-dir ~/data/celeba --out runs/attgan
//! cargo run --release --example train_celeba -- --celeba-dir ~/data/celeba --preset pytorch
//! cargo run --release --example train_celeba                  # the synthetic world, CPU-sized
//! cargo run --release --example train_celeba -- --out runs/attgan --resume
//! cargo run --release --example train_celeba -- --out runs/attgan --plot
//! cargo run --release --example train_celeba -- --celeba-dir ~/data/celeba --devices cuda:0,cuda:1
//! # two machines: the same command on each, node 0 listening at 10.0.0.1:29500
//! cargo run --release --example train_celeba -- --celeba-dir ~/data/celeba --nodes 2 --node-rank 0 --coordinator 10.0.0.1:29500
//! cargo run --release --example train_celeba -- --celeba-dir ~/data/celeba --nodes 2 --node-rank 1 --coordinator 10.0.0.1:29500
//! ```
//!
//! Without `--celeba-dir` it writes a synthetic CelebA-format dataset (drawn faces with the 13
//! attributes) and trains a small model on it, then measures the trained generator with the
//! world's oracle: the share of edits that read back as flipped, and the reconstruction PSNR.
//! Progress shows on Burn's dashboard in a terminal, or as log lines otherwise. Stopping from the
//! dashboard (`q`, then `s`), Ctrl-C, `--max-steps` or `--max-minutes` stop after the current step with a
//! checkpoint; `--resume` continues exactly where it stopped.

mod common;

use common::{DataArgs, DeviceArgs, exit_with, stop_on_ctrl_c, training_hint};

use attgan::tasks::DataSource;

use std::path::PathBuf;

use attgan::AttGanConfig;
use attgan::tasks::train::{TrainJob, train};
use attgan::train::data::Split;
use attgan::train::data::SplitChoice;
use attgan::train::synthetic;
use attgan::train::training::plot::plot_curves;
use attgan::train::training::report::read_csv;
use attgan::train::training::run_dir::{CURVES_FILE, METRICS_FILE};
use attgan::train::{Cluster, Display, Limits, LrSchedule, Preset, TrainError, Trainer, TrainingConfig};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Train AttGAN on CelebA (or on the built-in synthetic world)")]
struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Every setting of a reference implementation: paper (AttGAN-Tensorflow v1), pytorch
    /// (AttGAN-PyTorch), tf2 (AttGAN-Tensorflow v2), synthetic (the quick CPU run) [default:
    /// paper for CelebA, synthetic without --celeba-dir]. The options below change single
    /// settings of it.
    #[arg(long)]
    preset: Option<Preset>,
    /// Output directory: checkpoints, metrics.csv, curves.png, samples/, generator.mpk.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Image side in pixels [default: the preset's: 128; 32 for synthetic].
    #[arg(long)]
    image_size: Option<usize>,
    /// Attributes, comma-separated CelebA names [default: AttGAN's 13].
    #[arg(long, value_delimiter = ',')]
    attrs: Option<Vec<String>>,
    /// Images per step [default: the preset's: 32].
    #[arg(long)]
    batch_size: Option<usize>,
    /// Epochs [default: the preset's: 200; 60 for tf2; 24 for synthetic].
    #[arg(long)]
    epochs: Option<usize>,
    /// Critic steps per generator step [default: the preset's: 5; 1 for synthetic].
    #[arg(long)]
    n_d: Option<usize>,
    /// Adam's learning rate [default: the preset's: 2e-4; 1e-3 for synthetic].
    #[arg(long)]
    lr: Option<f64>,
    /// Learning-rate schedule: constant, step (lr/10 after epoch 100), step:EVERY:FACTOR,
    /// linear:START (to 0, batch by batch), linear-by-epoch:START (TF v2's) [default: the
    /// preset's: step; linear-by-epoch:30 for tf2; linear:12 for synthetic].
    #[arg(long)]
    schedule: Option<LrSchedule>,
    /// Seed of weights, data order and every step's randomness [default: 0].
    #[arg(long)]
    seed: Option<u64>,
    /// The model as a JSON AttGanConfig (overrides --image-size and --attrs).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Steps between checkpoints (0: each epoch only) [default: 1000].
    #[arg(long)]
    checkpoint_every: Option<usize>,
    /// Steps between sample grids (0: each epoch only) [default: 500].
    #[arg(long)]
    sample_every: Option<usize>,
    /// Checkpoints kept [default: 2].
    #[arg(long)]
    keep_checkpoints: Option<usize>,
    /// Threads decoding images (0: one per core) [default: 0].
    #[arg(long)]
    workers: Option<usize>,
    /// Random left-right flips of the training images [default: the preset's: on for tf2 and
    /// synthetic, off for paper and pytorch].
    #[arg(long, overrides_with = "no_flip")]
    flip: bool,
    /// No random left-right flips.
    #[arg(long)]
    no_flip: bool,
    /// How the targets enter G: none (+-thres_int, the paper's), uniform or truncated_normal
    /// (AttGAN-Tensorflow v1's --b_distribution) [default: the preset's: none].
    #[arg(long)]
    b_distribution: Option<attgan::attributes::TargetDistribution>,
    /// Weight of G's L1 reconstruction (the paper's lambda_1) [default: 100].
    #[arg(long)]
    rec_weight: Option<f64>,
    /// Weight of G's attribute loss on its edits (lambda_2) [default: 10].
    #[arg(long)]
    g_attr_weight: Option<f64>,
    /// Weight of C's attribute loss on real images in the D-loss (lambda_3) [default: 1].
    #[arg(long)]
    d_attr_weight: Option<f64>,
    /// Weight of the gradient penalty [default: 10].
    #[arg(long)]
    gp_weight: Option<f64>,
    /// Continue the run in --out from its latest checkpoint (same model, batch size, n_d, seed,
    /// b_distribution).
    #[arg(long)]
    resume: bool,
    #[command(flatten)]
    device: DeviceArgs,
    /// Train on several devices of one backend together, each taking an equal share of every
    /// batch (data parallel; gradients averaged with burn-collective): `cuda:0,cuda:1`,
    /// `wgpu:0,wgpu:1`, or `cpu,cpu` to try it on one machine. Overrides --device; the batch
    /// size must be a multiple of the number of devices.
    #[arg(long)]
    devices: Option<attgan::backend::Devices>,
    /// Train on this many machines together (data parallel across them too): run the same
    /// command on each, with its own --node-rank and the same --coordinator. Each machine needs
    /// the same data; node 0 alone writes sample grids and evaluates.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// This machine's number in the group, 0 to --nodes minus 1; node 0 coordinates.
    #[arg(long, default_value_t = 0)]
    node_rank: usize,
    /// HOST:PORT where node 0 listens and the other nodes connect (e.g. 10.0.0.1:29500).
    #[arg(long)]
    coordinator: Option<String>,
    /// Seconds to wait for another node (to join, or for its share of a step) before failing.
    #[arg(long, default_value_t = 600.0)]
    node_timeout: f64,
    /// Log lines every this many seconds instead of the dashboard.
    #[arg(long)]
    log: Option<u64>,
    /// Stop (with a checkpoint) once this many steps are done in all.
    #[arg(long)]
    max_steps: Option<usize>,
    /// Stop (with a checkpoint) after this many minutes of training in this session.
    #[arg(long)]
    max_minutes: Option<f64>,
    /// Only redraw curves.png from the metrics.csv in --out, then exit.
    #[arg(long)]
    plot: bool,
    /// Held-out synthetic images the oracle judges after training.
    #[arg(long, default_value_t = 400)]
    eval_images: usize,
}

/// The preset named (or the default one for the data), with every option given on top: the
/// run's settings and where its data comes from.
fn options(args: &Args, synthetic: bool) -> Result<(TrainingConfig, DataSource), TrainError> {
    let preset = args.preset.unwrap_or(if synthetic { Preset::Synthetic } else { Preset::Paper });
    let mut model = match &args.config {
        Some(path) => AttGanConfig::from_json_file(path)?,
        None => preset.model(),
    };
    if args.config.is_none() {
        if let Some(size) = args.image_size {
            model.image_size = size;
        }
        if let Some(attrs) = &args.attrs {
            model.attributes = attrs.clone();
        }
    }
    // The preset's data settings follow the final image size (the paper's crop at 64 pixels).
    let base = preset.config(model.clone());
    let mut data = base.data.clone();
    if synthetic {
        // The world's 4,000 rows are split by its own partition file.
        data.split = SplitChoice::Official;
    }
    let source = args.data.source_with(data);
    let mut losses = base.losses.clone();
    for (weight, given) in [
        (&mut losses.rec_weight, args.rec_weight),
        (&mut losses.g_attr_weight, args.g_attr_weight),
        (&mut losses.d_attr_weight, args.d_attr_weight),
        (&mut losses.gp_weight, args.gp_weight),
    ] {
        *weight = given.unwrap_or(*weight);
    }
    let c = TrainingConfig {
        model,
        batch_size: args.batch_size.unwrap_or(base.batch_size),
        epochs: args.epochs.unwrap_or(base.epochs),
        n_d: args.n_d.unwrap_or(base.n_d),
        lr: args.lr.unwrap_or(base.lr),
        schedule: args.schedule.unwrap_or(base.schedule),
        seed: args.seed.unwrap_or(base.seed),
        checkpoint_every: args.checkpoint_every.unwrap_or(base.checkpoint_every),
        sample_every: args.sample_every.unwrap_or(base.sample_every),
        keep_checkpoints: args.keep_checkpoints.unwrap_or(base.keep_checkpoints),
        workers: args.workers.unwrap_or(base.workers),
        hflip: if args.flip {
            true
        } else if args.no_flip {
            false
        } else {
            base.hflip
        },
        b_distribution: args.b_distribution.unwrap_or(base.b_distribution),
        data: source.data.clone(),
        losses,
        ..base
    };
    c.validate()?;
    eprintln!("preset {preset}: {}", preset.source());
    Ok((c, source))
}

/// The group of machines `--nodes`, `--node-rank` and `--coordinator` describe, if several.
fn cluster(args: &Args) -> Result<Option<Cluster>, TrainError> {
    if args.nodes <= 1 && args.node_rank == 0 {
        return Ok(None);
    }
    let Some(coordinator) = &args.coordinator else {
        return Err(TrainError::Options(format!(
            "--nodes {} needs --coordinator HOST:PORT, where node 0 listens",
            args.nodes
        )));
    };
    if !(args.node_timeout.is_finite() && args.node_timeout > 0.0) {
        return Err(TrainError::Options(format!("--node-timeout must be positive seconds, got {}", args.node_timeout)));
    }
    let timeout = std::time::Duration::from_secs_f64(args.node_timeout);
    Ok(Some(Cluster::new(args.nodes, args.node_rank, coordinator.clone())?.with_timeout(timeout)))
}

fn run(args: Args) -> Result<(), TrainError> {
    let synthetic = args.data.source().is_synthetic();
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(if synthetic { "out/synthetic" } else { "out/celeba" }));
    if args.plot {
        let csv = out.join(METRICS_FILE);
        let rows = read_csv(&csv).map_err(|source| TrainError::Io { path: csv.clone(), source })?;
        plot_curves(&rows, out.join(CURVES_FILE))?;
        eprintln!("drew {} steps into {}", rows.len(), out.join(CURVES_FILE).display());
        return Ok(());
    }
    let (config, data) = options(&args, synthetic)?;
    let root = data.root()?;
    let open = |split| data.open(&root, split, &config.model.attributes, config.model.image_size);
    let (train_set, valid_set) = (open(Split::Train)?, open(Split::Val)?);
    let oracle_ok = config.model.attributes.iter().all(|a| synthetic::ATTRIBUTES.contains(&a.as_str()));
    let judge = if synthetic && oracle_ok && args.eval_images > 0 && args.node_rank == 0 {
        Some((open(Split::Test)?, args.eval_images))
    } else {
        None
    };
    let display = args.log.map_or(Display::Auto, Display::Log);
    let limits =
        Limits { steps: args.max_steps, time: args.max_minutes.map(|m| std::time::Duration::from_secs_f64(m * 60.0)) };
    let mut trainer = Trainer::new(config, out).with_resume(args.resume).with_display(display).with_limits(limits);
    if let Some(cluster) = cluster(&args)? {
        eprintln!("node {} of {}, coordinator {}", cluster.rank, cluster.nodes, cluster.coordinator);
        trainer = trainer.with_cluster(cluster);
    }
    // Ctrl-C stops at the next step with a checkpoint; a second Ctrl-C exits at once.
    stop_on_ctrl_c(trainer.interrupter(), "a checkpoint is written");
    let out = trainer.out().to_path_buf();
    let preference = match &args.devices {
        Some(d) => attgan::backend::Preference::Only(d.kind),
        None => args.device.preference(),
    };
    let job = TrainJob { trainer, train: train_set, valid: valid_set, judge, devices: args.devices.clone() };
    let outcome = train(preference, job)?;
    let seconds = outcome.seconds;
    match outcome.last_checkpoint {
        Some(s) => eprintln!(
            "{} after {seconds:.0} s: {} steps, checkpoint {} (epoch {}, batch {}); G exported to {}",
            if outcome.interrupted { "stopped" } else { "finished" },
            s.steps,
            s.index,
            s.epoch,
            s.batch,
            out.join("generator.mpk").display()
        ),
        None => eprintln!("stopped after {seconds:.0} s before the first checkpoint"),
    }
    if let Some(report) = outcome.evaluation {
        println!("evaluation of the trained G on the synthetic test split:\n{report}");
    }
    Ok(())
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        exit_with(&e, training_hint(&e));
    }
}
