//! Options and chores shared by the examples: where the data is (CelebA or the synthetic world),
//! which device to run on, and stopping on Ctrl-C.
#![allow(dead_code)] // each example uses part of it

use std::path::PathBuf;

use attgan::backend::{Kind, Preference};
use attgan::tasks::DataSource;
use attgan::train::TrainError;
use attgan::train::data::{Crop, DataConfig, Resize, SplitChoice, Variant};
use burn::train::Interrupter;

/// Where the images come from.
#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// The CelebA root (img_align_celeba/, list_attr_celeba.txt, list_eval_partition.txt).
    /// Without it, the synthetic CelebA-format world is used (and written if absent).
    #[arg(long)]
    pub celeba_dir: Option<PathBuf>,
    /// The CelebAMask-HQ layout (CelebA-HQ) instead of CelebA's.
    #[arg(long)]
    pub hq: bool,
    /// Which rows make each split: attgan (train up to row 182,000, val to 182,637, as the
    /// references) or official (list_eval_partition.txt) [default: attgan for CelebA; the
    /// synthetic world's own partition].
    #[arg(long)]
    pub split_by: Option<SplitChoice>,
    /// The crop of dataset images before resizing: celeba (170x170 at top 26, left 3),
    /// celeba64 (148x148 at 40, 15), centre, centre:SIDE, whole [default: the preset's].
    #[arg(long)]
    pub data_crop: Option<Crop>,
    /// The resize filter: tf-bicubic (the paper's), tf-bilinear (TF v2), bilinear (PIL, as
    /// AttGAN-PyTorch), catmull-rom [default: the preset's].
    #[arg(long)]
    pub resize: Option<Resize>,
    /// Images in the synthetic world.
    #[arg(long, default_value_t = 4000)]
    pub synthetic_images: usize,
}

impl DataArgs {
    /// The data source these options name, read as the paper's code reads CelebA (the
    /// synthetic world as its quick run does), with the options given here.
    pub fn source(&self) -> DataSource {
        let base = if self.celeba_dir.is_some() { DataConfig::new() } else { DataConfig::synthetic() };
        self.source_with(base)
    }

    /// The data source these options name, read as `base` says but for the options given here.
    pub fn source_with(&self, mut data: DataConfig) -> DataSource {
        if let Some(split) = self.split_by {
            data.split = split;
        }
        if let Some(crop) = self.data_crop {
            data.preprocess.crop = crop;
        }
        if let Some(resize) = self.resize {
            data.preprocess.resize = resize;
        }
        DataSource {
            root: self.celeba_dir.clone(),
            variant: if self.hq { Variant::CelebaHq } else { Variant::Celeba },
            data,
            synthetic_images: self.synthetic_images,
        }
    }
}

/// Which backend to run on.
#[derive(clap::Args, Debug, Clone)]
pub struct DeviceArgs {
    /// Backend: auto (CUDA, then a GPU through wgpu, then LibTorch where built, then the CPU), cpu, wgpu, cuda or libtorch.
    #[arg(long, default_value = "auto")]
    pub device: Preference,
    /// Shorthand for --device cpu.
    #[arg(long)]
    pub cpu: bool,
}

impl DeviceArgs {
    /// The preference these options express. When it is `auto` and this build has no GPU
    /// backend, says how to get one (the default build is CPU-only).
    pub fn preference(&self) -> Preference {
        let preference = if self.cpu { Preference::Only(Kind::Cpu) } else { self.device };
        if preference == Preference::Auto && !Kind::Cuda.is_built() && !Kind::Wgpu.is_built() {
            eprintln!("note: this build has the CPU backend only; add --features cuda or --features wgpu to use a GPU");
        }
        preference
    }
}

/// The first Ctrl-C asks `interrupter` to stop after the current step (`what` says what then
/// happens); a second one exits at once.
pub fn stop_on_ctrl_c(interrupter: Interrupter, what: &'static str) {
    let pressed = std::sync::atomic::AtomicBool::new(false);
    let _ = ctrlc::set_handler(move || {
        if pressed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("stopping after this step ({what}); press Ctrl-C again to quit at once");
        interrupter.stop(Some("Ctrl-C"));
    });
}

/// Prints `error` with what to do about it in this program's flags, and exits with status 1.
pub fn exit_with(error: &dyn std::fmt::Display, hint: Option<&str>) -> ! {
    eprintln!("error: {error}");
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
    std::process::exit(1)
}

/// The flags that address a training error, where some do.
pub fn training_hint(error: &TrainError) -> Option<&'static str> {
    match error {
        TrainError::RunExists { .. } => Some("pass --resume to continue that run, or --out DIR for a new one"),
        TrainError::NothingToResume { .. } => Some("run without --resume to start"),
        TrainError::NonFinite { .. } => Some("lower --lr, then continue with --resume"),
        _ => None,
    }
}
