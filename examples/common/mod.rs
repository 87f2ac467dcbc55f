//! Options and chores shared by the examples: where the data is (CelebA or the synthetic world),
//! which device to run on, and stopping on Ctrl-C.
#![allow(dead_code)] // each example uses part of it

use std::path::PathBuf;

use attgan::backend::Preference;
use attgan::train::data::{CelebaOptions, SplitScheme, SyntheticOptions, Variant, write_synthetic_celeba};
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
    /// AttGAN's row split (train up to 182,000, val to 182,637) instead of the official partition.
    #[arg(long)]
    pub attgan_split: bool,
    /// Images in the synthetic world.
    #[arg(long, default_value_t = 4000)]
    pub synthetic_images: usize,
}

impl DataArgs {
    /// Whether the synthetic world stands in for CelebA.
    pub fn synthetic(&self) -> bool {
        self.celeba_dir.is_none()
    }

    /// The dataset root: `--celeba-dir`, or the synthetic world in `out/synthetic-celeba-N`,
    /// written first if it is not there yet.
    pub fn root(&self) -> attgan::train::data::Result<PathBuf> {
        if let Some(dir) = &self.celeba_dir {
            return Ok(dir.clone());
        }
        let root = PathBuf::from(format!("out/synthetic-celeba-{}", self.synthetic_images));
        eprintln!(
            "no --celeba-dir: using the synthetic CelebA-format world ({} drawn faces) in {}",
            self.synthetic_images,
            root.display()
        );
        write_synthetic_celeba(&root, SyntheticOptions { n_images: self.synthetic_images, ..Default::default() })?;
        Ok(root)
    }

    /// Dataset options for a model with these attributes and image size.
    pub fn options(&self, attributes: &[String], image_size: usize) -> CelebaOptions {
        let variant = if self.hq { Variant::CelebaHq } else { Variant::Celeba };
        let options =
            CelebaOptions::new(variant).with_attributes(attributes.iter().cloned()).with_image_size(image_size as u32);
        if !self.attgan_split {
            return options;
        }
        options.with_scheme(if self.hq { SplitScheme::ATTGAN_CELEBA_HQ } else { SplitScheme::ATTGAN_CELEBA })
    }
}

/// Which backend to run on.
#[derive(clap::Args, Debug, Clone)]
pub struct DeviceArgs {
    /// Backend: auto (CUDA, then a GPU through wgpu, then the CPU), cpu, wgpu or cuda.
    #[arg(long, default_value = "auto")]
    pub device: Preference,
    /// Shorthand for --device cpu.
    #[arg(long)]
    pub cpu: bool,
}

impl DeviceArgs {
    /// The preference these options express.
    pub fn preference(&self) -> Preference {
        if self.cpu { Preference::Cpu } else { self.device }
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
