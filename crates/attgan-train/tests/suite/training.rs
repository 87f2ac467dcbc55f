//! End to end on a tiny synthetic world: a run through Burn's Learner writes metrics, curves,
//! sample grids, checkpoints and the G export; a stopped run resumes to the very weights of an
//! uninterrupted one; bad states stop with clear errors and lose nothing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use attgan_core::Editor;
use attgan_core::{Phase, Term};
use attgan_train::data::{CelebaDataset, CelebaOptions, Split, Variant};
use attgan_train::synthetic::{SyntheticOptions, write_synthetic_celeba};
use attgan_train::training::checkpoint::{CHECKPOINT_DIR, latest_complete, read_state};
use attgan_train::training::report::{CsvRow, read_csv};
use attgan_train::training::{Limits, load_checkpoint};
use attgan_train::{Display, LrSchedule, TrainError, Trainer, TrainingConfig};
use burn::backend::{Autodiff, Flex};
use burn::data::dataset::Dataset;
use burn::tensor::{Distribution, Tensor, TensorData};

type B = Autodiff<Flex>;
type Inner = Flex;

pub(crate) fn world() -> &'static Path {
    static WORLD: OnceLock<PathBuf> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("attgan-training-world-{}", std::process::id()));
        write_synthetic_celeba(&dir, SyntheticOptions { n_images: 60, seed: 5, ..Default::default() }).unwrap();
        dir
    })
}

pub(crate) fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attgan-training-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// 16x16, 4 channels, 2 layers: milliseconds per step. 48 training images, batch 8: 6 steps
/// per epoch; n_d 2, so every third step trains G.
pub(crate) fn tiny() -> TrainingConfig {
    TrainingConfig::new(crate::common::tiny_model())
        .with_batch_size(8)
        .with_epochs(2)
        .with_n_d(2)
        .with_schedule(LrSchedule::Constant)
        .with_seed(7)
        .with_checkpoint_every(4)
        .with_sample_every(4)
        .with_sample_images(2)
        .with_valid_images(8)
        .with_workers(2)
}

pub(crate) fn data(config: &TrainingConfig) -> (CelebaDataset, CelebaDataset) {
    let options = CelebaOptions::new(Variant::Celeba).with_image_size(config.model.image_size as u32);
    let open = |split| CelebaDataset::open(world(), options.clone().with_split(split)).unwrap();
    (open(Split::Train), open(Split::Val))
}

fn fit(
    config: &TrainingConfig,
    out: &Path,
    resume: bool,
    limits: Limits,
) -> Result<attgan_train::TrainSummary<B>, TrainError> {
    let (train, valid) = data(config);
    Trainer::new(config.clone(), out).with_resume(resume).with_limits(limits).with_display(Display::Quiet).fit::<B>(
        train,
        valid,
        &Default::default(),
    )
}

/// G's output and D's outputs on a fixed input: equal weights give bit-equal values.
pub(crate) fn fingerprint(model: &attgan_train::AttGan<Inner>) -> Vec<f32> {
    let device = Default::default();
    let x = Tensor::<Inner, 4>::from_data(
        TensorData::new((0..2 * 3 * 16 * 16).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect(), [2, 3, 16, 16]),
        &device,
    );
    let b = Tensor::<Inner, 2>::from_data(TensorData::new(vec![0.5f32; 26], [2, 13]), &device);
    let (adv, cls) = model.d.forward(x.clone());
    [model.g.forward(x, b).flatten::<1>(0, 3), adv.flatten::<1>(0, 1), cls.flatten::<1>(0, 1)]
        .into_iter()
        .flat_map(|t| t.into_data().convert::<f32>().into_vec::<f32>().unwrap())
        .collect()
}

pub(crate) fn without_time(rows: Vec<CsvRow>) -> Vec<CsvRow> {
    rows.into_iter().map(|r| CsvRow { seconds: 0.0, ..r }).collect()
}

#[test]
fn a_short_run_writes_metrics_curves_samples_checkpoints_and_g() {
    let _lock = crate::common::rng_lock();
    let config = tiny();
    let out = out_dir("full");
    let fused_before = attgan_train::optim::fused_updates();
    let summary = fit(&config, &out, false, Limits::default()).unwrap();
    assert!(!summary.interrupted);
    // The Learner's steps update in place: D's 7 critic steps after its first one and G's 3
    // generator steps after its first one take the fused Adam for every trained tensor.
    let fused = attgan_train::optim::fused_updates() - fused_before;
    let trained = attgan_train::AttGan::<B>::new(&config.model, &Default::default());
    let expected = 7 * crate::optim::trainable(&trained.d) + 3 * crate::optim::trainable(&trained.g);
    assert!(expected > 0);
    assert!(fused >= expected, "{fused} fused updates, expected {expected} or more");

    let rows = read_csv(out.join("metrics.csv")).unwrap();
    let per_epoch = data(&config).0.len() / config.batch_size;
    assert_eq!(per_epoch, 6);
    assert_eq!(rows.iter().map(|r| r.step).collect::<Vec<_>>(), (0..2 * per_epoch).collect::<Vec<_>>());
    for row in &rows {
        let expected = if row.step % 3 == 2 { Phase::Generator } else { Phase::Critic };
        assert_eq!(row.phase, expected, "step {}", row.step);
        let terms = match row.phase {
            Phase::Critic => [Term::DGan, Term::Gp, Term::XaAttribute, Term::DTotal],
            Phase::Generator => [Term::XbGan, Term::XbAttribute, Term::XaReconstruction, Term::GTotal],
        };
        for t in terms {
            let v = row.get(t).unwrap_or_else(|| panic!("step {} lacks {t:?}", row.step));
            assert!(v.is_finite(), "step {}: {t:?} = {v}", row.step);
        }
        assert_eq!(row.values.iter().filter(|v| v.is_some()).count(), 4);
        assert_eq!(row.lr, 2e-4);
        assert_eq!(row.epoch, row.step / per_epoch + 1);
    }

    let curves = image::open(out.join("curves.png")).unwrap();
    assert!(curves.width() > 1000 && curves.height() > 500);
    for name in ["step-0000004", "step-0000008", "step-0000012", "epoch-0001", "epoch-0002"] {
        let grid = image::open(out.join("samples").join(format!("{name}.png"))).unwrap();
        // 16-pixel images drawn 7 times larger, so that "Reconstruction" fits over its cell.
        assert_eq!(grid.width(), 2 + 15 * (7 * 16 + 2), "{name}: input, reconstruction and 13 edits");
    }

    // Checkpoints after steps 4, 6 (epoch 1), 8, 12 (= 12, epoch 2): the last two are kept.
    let dir = out.join(CHECKPOINT_DIR);
    let n = latest_complete(&dir).unwrap();
    let state = read_state(&dir, n).unwrap();
    assert_eq!((state.index, state.steps, state.epoch, state.batch), (4, 12, 3, 0));
    assert_eq!(summary.last_checkpoint, Some(state));
    assert!(read_state(&dir, 2).is_err(), "checkpoint 2 was deleted (keep 2)");
    assert!(dir.join("model-3.mpk").exists() && !dir.join("model-2.mpk").exists());

    // The checkpoint and the G export hold the final weights.
    let (restored, saved) = load_checkpoint::<B>(&out, &Default::default()).unwrap();
    assert_eq!(saved.to_string(), config.to_string());
    assert_eq!(fingerprint(&restored), fingerprint(&summary.model));
    let editor = Editor::<Inner>::load(&out, &Default::default()).unwrap();
    assert_eq!(editor.config(), &config.model);
    assert!(editor.has_classifier(), "the export includes C");
    let g = editor.generator();
    let x = Tensor::<Inner, 4>::random([1, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &Default::default());
    let b = Tensor::<Inner, 2>::zeros([1, 13], &Default::default());
    g.forward(x.clone(), b.clone()).into_data().assert_eq(&summary.model.g.forward(x, b).into_data(), true);
}

#[test]
fn a_stopped_run_resumes_to_the_weights_of_an_uninterrupted_one() {
    let _lock = crate::common::rng_lock();
    let config = tiny().with_checkpoint_every(0);
    let whole = fit(&config, &out_dir("whole"), false, Limits::default()).unwrap();

    // Stopped mid-epoch at step 5 (a checkpoint is written there), then resumed to the end.
    let out = out_dir("resumed");
    let first = fit(&config, &out, false, Limits { steps: Some(5), time: None }).unwrap();
    assert!(first.interrupted);
    assert_eq!(first.last_checkpoint.map(|s| (s.steps, s.epoch, s.batch)), Some((5, 1, 5)));
    assert_ne!(fingerprint(&first.model), fingerprint(&whole.model));
    let resumed = fit(&config, &out, true, Limits::default()).unwrap();
    assert!(!resumed.interrupted);
    assert_eq!(fingerprint(&resumed.model), fingerprint(&whole.model), "resumed weights differ");

    let csv = |dir: &Path| without_time(read_csv(dir.join("metrics.csv")).unwrap());
    assert_eq!(csv(&out), csv(&whole.out), "the resumed metrics.csv reads as one run");
}

#[test]
fn a_killed_run_resumes_from_its_last_complete_checkpoint() {
    let _lock = crate::common::rng_lock();
    let config = tiny().with_epochs(1);
    let out = out_dir("killed");
    fit(&config, &out, false, Limits::default()).unwrap();
    // Checkpoints after step 4 (index 1) and 6 (index 2). A kill while writing index 2 leaves
    // a temporary file, never a partial record under the final name.
    let dir = out.join(CHECKPOINT_DIR);
    std::fs::rename(dir.join("optim-2.mpk"), dir.join("optim-2.mpk.tmp")).unwrap();
    assert_eq!(latest_complete(&dir), Some(1));
    let resumed = fit(&config, &out, true, Limits::default()).unwrap();
    assert_eq!(resumed.last_checkpoint.map(|s| (s.index, s.steps)), Some((2, 6)));
    let rows = read_csv(out.join("metrics.csv")).unwrap();
    assert_eq!(rows.iter().map(|r| r.step).collect::<Vec<_>>(), (0..6).collect::<Vec<_>>());
}

#[test]
fn runs_refuse_to_overwrite_or_to_resume_what_they_cannot() {
    let _lock = crate::common::rng_lock();
    let config = tiny().with_epochs(1);
    let out = out_dir("refuse");
    let err = fit(&config, &out, true, Limits::default()).unwrap_err().to_string();
    assert!(err.contains("no complete checkpoint to resume from"), "{err}");

    fit(&config, &out, false, Limits::default()).unwrap();
    let err = fit(&config, &out, false, Limits::default()).unwrap_err().to_string();
    assert!(err.contains("of an earlier run; resume it") && err.contains("nothing was overwritten"), "{err}");
    let err = fit(&config.clone().with_seed(8), &out, true, Limits::default()).unwrap_err().to_string();
    assert!(err.contains("different seed") && err.contains("used 7, now 8"), "{err}");

    let mut bad = tiny();
    bad.n_d = 0;
    let err = fit(&bad, &out_dir("bad"), false, Limits::default()).unwrap_err().to_string();
    assert!(err.contains("n_d must be at least 1"), "{err}");
    let wrong_size = TrainingConfig { model: tiny().model.with_image_size(32), ..tiny() };
    let (train, valid) = data(&tiny());
    let err = Trainer::new(wrong_size, out_dir("size")).fit::<B>(train, valid, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("resized to 16 pixels but the model's image_size is 32"), "{err}");
}

#[test]
fn a_non_finite_loss_stops_the_run_and_keeps_the_last_good_checkpoint() {
    let _lock = crate::common::rng_lock();
    let config = tiny().with_epochs(1);
    let out = out_dir("nan");
    fit(&config, &out, false, Limits::default()).unwrap();
    let dir = out.join(CHECKPOINT_DIR);
    let before = std::fs::read(dir.join("model-2.mpk")).unwrap();

    // Resuming with a penalty weight beyond f32's range makes the first critic step's D-loss
    // infinite (a NaN weight is refused before the run starts).
    let mut poisoned = config.clone().with_epochs(2);
    poisoned.losses.gp_weight = f64::MAX;
    let err = fit(&poisoned, &out, true, Limits::default()).unwrap_err();
    match &err {
        TrainError::NonFinite { term, step, epoch, checkpoint, .. } => {
            assert_eq!((term.as_str(), *step, *epoch), ("D total", 6, 2));
            assert!(checkpoint.contains("state-2.json"), "{checkpoint}");
        }
        other => panic!("expected NonFinite, got {other}"),
    }
    assert!(err.to_string().contains("then resume the run from it"), "{err}");
    assert_eq!(latest_complete(&dir), Some(2));
    assert_eq!(std::fs::read(dir.join("model-2.mpk")).unwrap(), before, "the good checkpoint is untouched");
}

#[test]
fn learning_rate_schedules_follow_the_paper() {
    let paper: LrSchedule = "step".parse().unwrap();
    assert_eq!(paper, LrSchedule::PAPER);
    assert_eq!(paper.rate(2e-4, 99.9, 200), 2e-4);
    assert!((paper.rate(2e-4, 100.0, 200) - 2e-5).abs() < 1e-12);
    let linear: LrSchedule = "linear:100".parse().unwrap();
    assert_eq!(linear.rate(2e-4, 50.0, 200), 2e-4);
    assert!((linear.rate(2e-4, 150.0, 200) - 1e-4).abs() < 1e-12);
    assert_eq!(linear.rate(2e-4, 200.0, 200), 0.0);
    assert_eq!("constant".parse::<LrSchedule>().unwrap().rate(2e-4, 150.0, 200), 2e-4);
    let err = "cosine".parse::<LrSchedule>().unwrap_err();
    assert!(err.contains("unknown learning-rate schedule `cosine`"), "{err}");
}

#[test]
fn the_critic_schedule_is_n_d_critic_steps_then_one_generator_step() {
    use attgan_train::training::CriticSchedule;
    let paper: Vec<Phase> = (0..12).map(|step| CriticSchedule { n_d: 5 }.phase(step)).collect();
    let (c, g) = (Phase::Critic, Phase::Generator);
    assert_eq!(paper, [c, c, c, c, c, g, c, c, c, c, c, g]);
    let one: Vec<Phase> = (0..4).map(|step| CriticSchedule { n_d: 1 }.phase(step)).collect();
    assert_eq!(one, [c, g, c, g]);
}

#[test]
fn a_training_json_written_before_b_distribution_existed_reads_with_the_papers_targets() {
    use attgan_core::attributes::TargetDistribution;
    use burn::config::Config;
    let dir = out_dir("old-training-json");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("training.json");
    let config = TrainingConfig { b_distribution: TargetDistribution::TruncatedNormal, ..tiny() };
    config.save(&path).unwrap();
    assert_eq!(TrainingConfig::read(&path).unwrap().b_distribution, TargetDistribution::TruncatedNormal);
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    json.as_object_mut().unwrap().remove("b_distribution");
    std::fs::write(&path, json.to_string()).unwrap();
    assert_eq!(TrainingConfig::read(&path).unwrap().b_distribution, TargetDistribution::None);
}

#[test]
fn a_training_json_written_before_data_existed_reads_as_those_runs_read_their_images() {
    use attgan_train::data::{Crop, DataConfig, Preprocess, Resize, SplitChoice};
    use burn::config::Config;
    let dir = out_dir("old-data-json");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("training.json");
    let tf2 = DataConfig::new()
        .with_preprocess(Preprocess::new(Crop::Centre).with_load_size(Some(20)))
        .with_random_crop(true);
    tiny().with_data(tf2.clone()).save(&path).unwrap();
    assert_eq!(TrainingConfig::read(&path).unwrap().data, tf2);
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    json.as_object_mut().unwrap().remove("data");
    std::fs::write(&path, json.to_string()).unwrap();
    let legacy = TrainingConfig::read(&path).unwrap().data;
    assert_eq!(legacy, DataConfig::legacy());
    assert_eq!((legacy.split, legacy.preprocess.resize), (SplitChoice::Official, Resize::CatmullRom));
    // A resumed run must read its images as before.
    let conflicts = tiny().with_data(tf2).resume_conflicts(&tiny());
    assert!(conflicts.iter().any(|(name, _, _)| *name == "data"), "{conflicts:?}");
}

pub(crate) fn fit_on_two(
    config: &TrainingConfig,
    out: &Path,
    resume: bool,
    limits: Limits,
) -> attgan_train::TrainSummary<B> {
    let (train, valid) = data(config);
    let device = Default::default();
    Trainer::new(config.clone(), out)
        .with_resume(resume)
        .with_limits(limits)
        .with_display(Display::Quiet)
        .fit_on::<B>(train, valid, &[device, device])
        .unwrap()
}

/// On two replicas (one CPU, two peers): the run writes what a one-device run writes, its
/// replicas are compared at every checkpoint (an error otherwise), its first step's attribute
/// loss on real images is the one-device run's (the losses that involve G's fakes differ: G's
/// batch norm sees 4 images per device instead of 8), and a stopped run resumes to the very weights of an uninterrupted one,
/// the replicas restarting from the checkpoint's model and Adam state.
#[test]
fn two_devices_train_checkpoint_and_resume_exactly() {
    let _lock = crate::common::rng_lock();
    let config = tiny().with_checkpoint_every(4);
    let whole = fit_on_two(&config, &out_dir("two-whole"), false, Limits::default());
    assert!(!whole.interrupted);
    let rows = read_csv(whole.out.join("metrics.csv")).unwrap();
    assert_eq!(rows.len(), 12);
    assert!(rows.iter().all(|r| r.values.iter().flatten().all(|v| v.is_finite())));
    // C's loss on the real images of the first step does not involve G: the average over the
    // two halves must be the whole batch's.
    let one = fit(&config, &out_dir("one-device"), false, Limits { steps: Some(1), time: None }).unwrap();
    let first = |dir: &Path| read_csv(dir.join("metrics.csv")).unwrap()[0].get(Term::XaAttribute).unwrap();
    let (a, b) = (first(&one.out), first(&whole.out));
    assert!((a - b).abs() < 1e-5 * a.abs(), "first step's xa_attr: {a} on one device, {b} on two");

    let out = out_dir("two-resumed");
    let stopped = fit_on_two(&config, &out, false, Limits { steps: Some(5), time: None });
    assert!(stopped.interrupted);
    let resumed = fit_on_two(&config, &out, true, Limits::default());
    assert_eq!(fingerprint(&resumed.model), fingerprint(&whole.model), "resumed weights differ");
    let csv = |dir: &Path| without_time(read_csv(dir.join("metrics.csv")).unwrap());
    assert_eq!(csv(&out), csv(&whole.out), "the resumed metrics.csv reads as one run");
}

#[test]
fn a_batch_that_does_not_split_over_the_devices_is_refused() {
    let config = tiny();
    let (train, valid) = data(&config);
    let device = Default::default();
    let err = Trainer::new(config, out_dir("three"))
        .with_display(Display::Quiet)
        .fit_on::<B>(train, valid, &[device, device, device])
        .unwrap_err()
        .to_string();
    assert!(err.contains("batch_size 8 does not split evenly over 3 devices"), "{err}");
}
