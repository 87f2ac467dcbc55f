//! Data parallelism on two CPU replicas in one process (burn-collective): the averaged
//! gradients are the whole batch's, the replicas stay identical, and a replica that differs is
//! caught.

use attgan_core::{Norm, Phase};
use attgan_train::training::parallel::{DataParallel, weights};
use attgan_train::training::step::{StepInputs, grads_on};
use attgan_train::{AttGan, StepSettings, adam};
use burn::backend::{Autodiff, Flex};
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

type B = Autodiff<Flex>;
type Inner = Flex;

/// The gradient of every trainable parameter of `m` in `grads`, in visiting order (zeros where
/// `grads` has none).
fn grad_values<M: Module<B>>(m: &M, grads: &GradientsParams) -> Vec<f32> {
    struct Collect<'a>(&'a GradientsParams, Vec<f32>);
    impl<Bk: Backend> ModuleVisitor<Bk> for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<Bk, D>>) {
            if let Some(g) = self.0.get::<Inner, D>(p.id) {
                self.1.extend(g.into_data().convert::<f32>().into_vec::<f32>().unwrap());
            }
        }
    }
    let mut c = Collect(grads, Vec::new());
    m.visit(&mut c);
    c.1
}

fn batch(seed: u64, n: usize, settings: &StepSettings, phase: Phase) -> StepInputs<B> {
    let device = Default::default();
    B::seed(&device, seed);
    let xa = Tensor::<B, 4>::random([n, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
    let a = Tensor::<B, 2>::random([n, 2], Distribution::Bernoulli(0.5), &device);
    StepInputs::draw(settings, phase, xa, a, &mut StdRng::seed_from_u64(seed))
}

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: parameter count");
    assert!(!want.is_empty(), "{what}: no gradients");
    let scale = want.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    let worst = got.iter().zip(want).map(|(g, w)| (g - w).abs()).fold(0.0f32, f32::max);
    assert!(worst <= 1e-4 * scale.max(1e-3), "{what}: largest difference {worst} (largest gradient {scale})");
}

/// Instance norm is per image, so with a G that has no batch norm a critic step (its penalty
/// included) and a generator step on 2 devices x 4 images average to the gradients of 1 device
/// x 8 images, and their losses to its losses.
#[test]
fn two_devices_average_to_the_whole_batch_gradients() {
    let _lock = crate::common::rng_lock();
    let device = Default::default();
    let config = crate::common::two_attribute_model().with_enc_norm(Norm::Instance).with_dec_norm(Norm::Instance);
    B::seed(&device, 11);
    let model = AttGan::<B>::new(&config, &device).with_settings(StepSettings::paper());
    let parallel = DataParallel::start(&model, &device, &[device], None, None).unwrap();
    assert_eq!(parallel.devices(), 2);
    for (phase, seed) in [(Phase::Critic, 1), (Phase::Generator, 2)] {
        let inputs = batch(seed, 8, &model.settings, phase);
        let (one, one_losses) = grads_on(&model, phase, inputs.clone());
        let (two, two_losses) = parallel.grads(&model, phase, inputs).unwrap();
        parallel.skip().unwrap();
        let (want, got) = match phase {
            Phase::Critic => (grad_values(&model.d, &one), grad_values(&model.d, &two)),
            Phase::Generator => (grad_values(&model.g, &one), grad_values(&model.g, &two)),
        };
        assert_close(&format!("{phase:?} gradients"), &got, &want);
        for ((term, a), (_, b)) in one_losses.values.iter().zip(two_losses.values) {
            assert!((a - b).abs() <= 1e-4 * a.abs().max(1.0), "{phase:?} {term:?}: {a} on one device, {b} on two");
        }
    }
}

/// With the default G (batch norm, whose running statistics every step updates), five critic
/// steps and a generator step on two replicas leave both holding exactly the leader's weights
/// and statistics; a replica that skips an update is caught.
#[test]
fn replicas_stay_identical_and_a_diverged_one_is_caught() {
    let _lock = crate::common::rng_lock();
    let device = Default::default();
    let config = crate::common::two_attribute_model();
    B::seed(&device, 12);
    let mut model = AttGan::<B>::new(&config, &device).with_settings(StepSettings::paper());
    let start = weights(&model);
    let mut optim = adam().init();
    let parallel = DataParallel::start(&model, &device, &[device], None, None).unwrap();
    parallel.check_replicas(&model).expect("replicas start as the leader");
    for step in 0..6 {
        let phase = if step < 5 { Phase::Critic } else { Phase::Generator };
        let (grads, losses) = parallel.grads(&model, phase, batch(100 + step, 4, &model.settings, phase)).unwrap();
        assert!(losses.non_finite().is_none());
        model = optim.step(2e-4, model, grads);
        parallel.apply(2e-4).unwrap();
    }
    parallel.check_replicas(&model).expect("replicas after 6 steps");
    let replica = &parallel.replica_weights().unwrap()[0];
    assert_eq!(replica, &weights(&model));
    let moved = start.iter().zip(replica).filter(|(a, b)| a.1 != b.1).count();
    assert!(moved > start.len() / 2, "only {moved} of {} tensors changed", start.len());

    // The leader updates, the replica skips: the check must say so.
    let inputs = batch(200, 4, &model.settings, Phase::Critic);
    let (grads, _) = parallel.grads(&model, Phase::Critic, inputs).unwrap();
    parallel.skip().unwrap();
    model = optim.step(2e-4, model, grads);
    let err = parallel.check_replicas(&model).unwrap_err().to_string();
    assert!(err.contains("differs from device 0's model"), "{err}");
}

/// A batch that does not split evenly is refused with the numbers, before any device works.
#[test]
fn an_uneven_batch_is_refused() {
    let _lock = crate::common::rng_lock();
    let device = Default::default();
    let config = crate::common::two_attribute_model();
    let model = AttGan::<B>::new(&config, &device);
    let parallel = DataParallel::start(&model, &device, &[device, device], None, None).unwrap();
    let err = parallel.grads(&model, Phase::Critic, batch(3, 4, &model.settings, Phase::Critic)).unwrap_err();
    assert!(err.to_string().contains("a batch of 4 images does not split evenly over 3 devices"), "{err}");
}

/// A step that fails (here: critic inputs without the penalty's alphas, on every device) is an
/// error naming the cause, not a hang in the all-reduce; the collective is then reset, so a new
/// one can start.
#[test]
fn a_failing_step_is_an_error_not_a_hang() {
    let _lock = crate::common::rng_lock();
    let device = Default::default();
    let config = crate::common::two_attribute_model();
    let model = AttGan::<B>::new(&config, &device);
    {
        let parallel = DataParallel::start(&model, &device, &[device], None, None).unwrap();
        let mut inputs = batch(4, 4, &model.settings, Phase::Critic);
        inputs.alpha = None;
        let err = parallel.grads(&model, Phase::Critic, inputs).unwrap_err().to_string();
        assert!(err.contains("failed") && err.contains("alpha"), "{err}");
    }
    let parallel = DataParallel::start(&model, &device, &[device], None, None).unwrap();
    let inputs = batch(5, 4, &model.settings, Phase::Critic);
    assert!(parallel.grads(&model, Phase::Critic, inputs).is_ok(), "a new collective works after the failure");
}
