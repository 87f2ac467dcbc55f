//! Proof that training learns: 30 minutes of CPU on the synthetic world, then the oracle judges
//! the trained generator on held-out faces. Ignored by default (it takes 30 minutes):
//!
//! ```text
//! cargo test --release -p attgan-train --test suite -- learns --ignored --nocapture
//! ```

use std::time::{Duration, Instant};

use attgan_core::Editor;
use attgan_train::data::{CelebaDataset, CelebaOptions, Split, Variant};
use attgan_train::eval::{Oracle, evaluate};
use attgan_train::synthetic::{SyntheticOptions, write_synthetic_celeba};
use attgan_train::training::Limits;
use attgan_train::{Display, LrSchedule, Trainer, TrainingConfig};
use burn::backend::{Autodiff, Flex};

#[test]
#[ignore = "trains for 30 minutes"]
fn edits_read_back_and_reconstructions_are_sharp_after_30_cpu_minutes() {
    let world = std::env::temp_dir().join("attgan-learns-world");
    write_synthetic_celeba(&world, SyntheticOptions::default()).unwrap();
    // The example's synthetic run, stretched to 45 epochs and cut at 30 minutes.
    let config = TrainingConfig::synthetic()
        .with_epochs(45)
        .with_schedule(LrSchedule::Linear { start: 22 })
        .with_sample_every(500);
    let model = config.model.clone();
    let options = CelebaOptions::new(Variant::Celeba).with_image_size(32);
    let open = |split| CelebaDataset::open(&world, options.clone().with_split(split)).unwrap();
    let out = std::env::temp_dir().join(format!("attgan-learns-{}", std::process::id()));
    let t = Instant::now();
    let summary = Trainer::new(config.clone(), &out)
        .with_display(Display::Log(60))
        .with_limits(Limits { steps: None, time: Some(Duration::from_secs(30 * 60)) })
        .fit::<Autodiff<Flex>>(open(Split::Train), open(Split::Val), &Default::default())
        .unwrap();
    let steps = summary.last_checkpoint.unwrap().steps;
    println!("trained {steps} steps in {:.0} s", t.elapsed().as_secs_f64());
    let editor = Editor::<Flex>::new(summary.model.g.clone(), model, &Default::default());
    let report = evaluate(&editor, &open(Split::Test), 400, 50, &Oracle, 1.0, |_| {}).unwrap();
    println!("{report}");
    // Measured on the project's 2-core machine: 27.1 dB and 83.7% (the goal of 90% is not met yet:
    // Pale_Skin, Brown_Hair and Bald lag). These bounds guard against regressions.
    assert!(report.psnr > 25.0, "reconstruction PSNR {:.2} dB", report.psnr);
    assert!(report.mean_edit_accuracy() > 0.8, "mean editing accuracy {:.3}", report.mean_edit_accuracy());
}
