//! Proof that training learns: 30 minutes of CPU on the synthetic world, then the oracle judges
//! the trained generator on held-out faces. Ignored by default (it trains for about 25 minutes,
//! cut at 30):
//!
//! ```text
//! cargo test --release -p attgan-train --test suite -- learns --ignored --nocapture
//! ```

use std::time::{Duration, Instant};

use attgan_core::Editor;
use attgan_train::data::{CelebaDataset, Split, Variant};
use attgan_train::eval::{Oracle, evaluate};
use attgan_train::synthetic::{SyntheticOptions, write_synthetic_celeba};
use attgan_train::training::Limits;
use attgan_train::{Display, LrSchedule, Trainer, TrainingConfig};
use burn::backend::{Autodiff, Flex};

#[test]
#[ignore = "trains for up to 30 minutes"]
fn edits_read_back_and_reconstructions_are_sharp_after_30_cpu_minutes() {
    // As train_celeba does on the CPU (the facade's backend selection).
    attgan_core::allocator::keep_freed_memory();
    let world = std::env::temp_dir().join("attgan-learns-world");
    write_synthetic_celeba(&world, SyntheticOptions::default()).unwrap();
    // The example's synthetic run stretched to 120 epochs at n_d 2 (the preset's before it became
    // 1) on two replicas of the CPU, cut at 30 minutes.
    let config = TrainingConfig::synthetic()
        .with_n_d(2)
        .with_epochs(120)
        .with_schedule(LrSchedule::Linear { start: 60 })
        .with_sample_every(500);
    let model = config.model.clone();
    let open = |split| {
        CelebaDataset::open(&world, config.data.options(Variant::Celeba, split, &model.attributes, model.image_size))
            .unwrap()
    };
    let out = std::env::temp_dir().join(format!("attgan-learns-{}", std::process::id()));
    let t = Instant::now();
    let summary = Trainer::new(config.clone(), &out)
        .with_display(Display::Log(60))
        .with_limits(Limits { steps: None, time: Some(Duration::from_secs(30 * 60)) })
        .fit_on::<Autodiff<Flex>>(open(Split::Train), open(Split::Val), &[Default::default(), Default::default()])
        .unwrap();
    let steps = summary.last_checkpoint.unwrap().steps;
    println!("trained {steps} steps in {:.0} s", t.elapsed().as_secs_f64());
    let editor = Editor::<Flex>::new(summary.model.g.clone(), model.clone(), &Default::default());
    let report = evaluate(&editor, &open(Split::Test), 400, 50, &Oracle, config.test_int, |_| {}).unwrap();
    println!("{report}");
    // Measured on the project's 2-core machine (2026-12-05, world v2): this test trained all
    // 12,000 steps in 1,450 s and read 29.65 dB, SSIM 0.930, 98.0% mean, every attribute >=
    // 91.2% (Blond_Hair; Brown_Hair 93.0); the same run through train_celeba at seed 1 gave
    // 12,000 steps in 1,471 s, 29.53 dB, 97.6%, every attribute >= 90.2%, and at seed 2 1,508
    // s, 29.51 dB, 97.2%, every attribute >= 86.2% (Brown_Hair: the hair colours are the weakest
    // edits in every run). At 72 epochs (linear:36) one run met the goals and an equivalent one
    // missed them (Brown_Hair 80.2%); see docs/training.md.
    // Before the world drew a few bearded women (v1), Male stopped at 83.2%: AttGAN keeps the
    // beard when Male is turned off, and G had never seen the face that asks for (the ignored
    // `probe` below splits Male's misses by facial hair: 23 of 90 bearded men read female then,
    // 83 of 90 with world v2).
    assert!(report.psnr > 28.0, "reconstruction PSNR {:.2} dB", report.psnr);
    assert!(report.mean_edit_accuracy() > 0.95, "mean editing accuracy {:.3}", report.mean_edit_accuracy());
    for (name, accuracy) in &report.edit_accuracy {
        assert!(*accuracy >= 0.85, "{name}: {:.1}% of its edits read back", 100.0 * accuracy);
    }
}

/// Where a trained synthetic model's edits go wrong, attribute by attribute: the oracle on the
/// real faces at the model's size, on G's reconstructions, and on each flip in each direction,
/// with the skin luminance it reads for `Pale_Skin`. Ignored by default (it needs a trained
/// export and prints a report):
///
/// ```text
/// ATTGAN_PROBE_MODEL=out/synthetic ATTGAN_PROBE_WORLD=out/synthetic-celeba-4000 \
///   [ATTGAN_PROBE_TEST_INT=1.5] cargo test --release -p attgan-train --test suite -- probe --ignored --nocapture
/// ```
#[test]
#[ignore = "needs a trained export; prints a report"]
fn probe_where_a_trained_synthetic_model_errs() {
    use attgan_core::{Edits, Source};
    use attgan_train::data::DataConfig;
    use attgan_train::synthetic::oracle::{read_attributes, skin_luminance};
    use burn::data::dataset::Dataset;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = |var: &str, default: &str| std::env::var(var).map(Into::into).unwrap_or_else(|_| root.join(default));
    let (model_dir, world) =
        (path("ATTGAN_PROBE_MODEL", "out/synthetic"), path("ATTGAN_PROBE_WORLD", "out/synthetic-celeba-4000"));
    let editor = Editor::<Flex>::load(&model_dir, &Default::default()).unwrap();
    let size = editor.config().image_size;
    let names = editor.attributes().to_vec();
    let test = CelebaDataset::open(&world, DataConfig::synthetic().options(Variant::Celeba, Split::Test, &names, size))
        .unwrap();
    let n = test.len().min(400);
    let items: Vec<_> = (0..n).map(|i| test.get(i).unwrap()).collect();
    let images: Vec<_> = items.iter().map(|i| i.image.clone()).collect();
    let truth: Vec<Vec<f32>> = items.iter().map(|i| i.attributes.clone()).collect();
    let test_int = std::env::var("ATTGAN_PROBE_TEST_INT").map_or(editor.config().test_int, |v| v.parse().unwrap());
    let edits: Vec<Edits> = std::iter::once(Edits::new()).chain(Edits::single(&names, test_int)).collect();
    let mut outputs = vec![Vec::new(); edits.len()];
    for start in (0..n).step_by(50) {
        let end = (start + 50).min(n);
        let out = editor.edit_batch(&images[start..end], Source::Given(&truth[start..end]), &edits).unwrap();
        for (all, part) in outputs.iter_mut().zip(out) {
            all.extend(part);
        }
    }
    let read = |imgs: &[image::RgbImage]| imgs.iter().map(read_attributes).collect::<Vec<_>>();
    let (on_real, on_rec) = (read(&images), read(&outputs[0]));
    // D's classifier head C, the judge G trained against: on the real faces and the edits.
    let c_read = |imgs: &[image::RgbImage]| editor.predict(imgs).unwrap_or_default();
    let c_on_real = c_read(&images);
    println!("{n} test faces at {size}x{size}, test_int {test_int}");
    println!(
        "{:<20} {:>7} {:>7} {:>9} {:>9} {:>7} {:>7} {:>7}",
        "attribute", "real", "recon", "0->1", "1->0", "edit", "C real", "C edit"
    );
    for (a, name) in names.iter().enumerate() {
        let agree =
            |r: &[[bool; 13]]| r.iter().zip(&truth).filter(|(r, t)| r[a] == (t[a] > 0.5)).count() as f64 / n as f64;
        let edited = read(&outputs[a + 1]);
        let c_real = c_on_real.iter().zip(&truth).filter(|(p, t)| (p[a] >= 0.5) == (t[a] > 0.5)).count();
        let c_edit = c_read(&outputs[a + 1]).iter().zip(&truth).filter(|(p, t)| (p[a] >= 0.5) != (t[a] > 0.5)).count();
        let (mut up, mut up_n, mut down, mut down_n) = (0, 0, 0, 0);
        for (r, t) in edited.iter().zip(&truth) {
            if t[a] > 0.5 {
                down_n += 1;
                down += usize::from(!r[a]);
            } else {
                up_n += 1;
                up += usize::from(r[a]);
            }
        }
        println!(
            "{name:<20} {:>6.1}% {:>6.1}% {:>4}/{:<4} {:>4}/{:<4} {:>6.1}% {:>6.1}% {:>6.1}%",
            100.0 * agree(&on_real),
            100.0 * agree(&on_rec),
            up,
            up_n,
            down,
            down_n,
            100.0 * (up + down) as f64 / n as f64,
            100.0 * c_real as f64 / n as f64,
            100.0 * c_edit as f64 / n as f64
        );
    }
    // Male -> female keeps a beard or mustache under AttGAN's conflict rules (the world has no
    // bearded women): how the male faces' flips fare with and without facial hair.
    let index = |name: &str| names.iter().position(|a| a == name).unwrap();
    let (male, mustache, no_beard) = (index("Male"), index("Mustache"), index("No_Beard"));
    let to_female = read(&outputs[male + 1]);
    for (label, hairy) in [("with a beard or mustache", true), ("clean-shaven", false)] {
        let faces: Vec<usize> = (0..n)
            .filter(|&i| truth[i][male] > 0.5 && ((truth[i][mustache] > 0.5 || truth[i][no_beard] < 0.5) == hairy))
            .collect();
        let read_female = faces.iter().filter(|&&i| !to_female[i][male]).count();
        println!("Male 1->0, {label}: {read_female}/{} read as female", faces.len());
    }
    let pale = names.iter().position(|a| a == "Pale_Skin").unwrap();
    let lum = |imgs: &[image::RgbImage], on: bool| {
        let v: Vec<f32> =
            imgs.iter().zip(&truth).filter(|(_, t)| (t[pale] > 0.5) == on).map(|(i, _)| skin_luminance(i)).collect();
        let mean = v.iter().sum::<f32>() / v.len().max(1) as f32;
        let (lo, hi) = v.iter().fold((f32::MAX, f32::MIN), |(l, h), &x| (l.min(x), h.max(x)));
        format!("mean {mean:.0} [{lo:.0}, {hi:.0}]")
    };
    println!("skin luminance (Pale_Skin above 210):");
    println!("  real:     pale {}, not pale {}", lum(&images, true), lum(&images, false));
    println!("  recon:    pale {}, not pale {}", lum(&outputs[0], true), lum(&outputs[0], false));
    println!("  flipped:  was pale {}, was not {}", lum(&outputs[pale + 1], true), lum(&outputs[pale + 1], false));
    // Instance norm makes D's trunk, and so C, blind to a gain on the whole image: C's reading
    // of pale skin should not move where the oracle's does.
    println!("the real faces under a brightness gain (oracle: skin above 210 is pale):");
    for gain in [0.8f32, 1.0, 1.15, 1.3] {
        let lit: Vec<image::RgbImage> = images
            .iter()
            .map(|i| {
                let mut o = i.clone();
                o.pixels_mut().for_each(|p| p.0 = p.0.map(|v| (f32::from(v) * gain).min(255.0) as u8));
                o
            })
            .collect();
        let oracle_pale = read(&lit).iter().filter(|r| r[pale]).count();
        let c = editor.predict(&lit).unwrap_or_default();
        let c_pale = c.iter().filter(|p| p[pale] >= 0.5).count();
        let c_mean = c.iter().map(|p| p[pale]).sum::<f32>() / c.len().max(1) as f32;
        println!("  gain {gain:.2}: oracle reads {oracle_pale} pale, C {c_pale} (mean probability {c_mean:.3}) of {n}");
    }
}
