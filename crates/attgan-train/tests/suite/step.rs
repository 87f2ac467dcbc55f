//! Each step updates only its own network, with the paper's Adam.

use attgan_core::AttGanConfig;
use attgan_core::Term;
use attgan_core::attributes::{TargetDistribution, Targets, permuted_targets, to_generator_input};
use attgan_train::training::step::{critic_step, generator_step};
use attgan_train::{AttGan, StepSettings, adam};
use burn::backend::{Autodiff, Flex};
use burn::module::AutodiffModule;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;

type B = Autodiff<Flex>;

/// Every trainable parameter value, in visiting order.
fn params<M: Module<B>>(m: &M) -> Vec<f32> {
    struct Collect(Vec<f32>);
    impl<Bk: Backend> ModuleVisitor<Bk> for Collect {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<Bk, D>>) {
            if p.val().is_require_grad() {
                self.0.extend(p.val().into_data().convert::<f32>().into_vec::<f32>().unwrap());
            }
        }
    }
    let mut c = Collect(Vec::new());
    m.visit(&mut c);
    c.0
}

#[test]
fn critic_and_generator_steps_touch_only_their_network() {
    let _lock = crate::common::rng_lock();
    let device = Default::default();
    let model = AttGan::<B>::new(&small(), &device);
    let mut optim = adam().init();
    let settings = StepSettings::paper();
    let mut rng = StdRng::seed_from_u64(0);
    let xa = Tensor::<B, 4>::random([4, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
    let a = Tensor::<B, 2>::random([4, 2], Distribution::Bernoulli(0.5), &device);

    let (g0, d0) = (params(&model.g), params(&model.d));
    let (model, m) = critic_step(model, &mut optim, &settings, xa.clone(), a.clone(), &mut rng);
    let t = |term| m.get(term).unwrap_or_else(|| panic!("a critic step reports {term:?}"));
    assert!(t(Term::DTotal).is_finite() && t(Term::Gp) >= 0.0 && t(Term::XaAttribute) > 0.0);
    assert!((t(Term::DTotal) - (t(Term::DGan) + 10.0 * t(Term::Gp) + t(Term::XaAttribute))).abs() < 1e-4);
    assert_eq!(m.get(Term::XaReconstruction), None, "a critic step has no generator terms");
    assert_eq!(params(&model.g), g0, "a critic step leaves G alone");
    let d1 = params(&model.d);
    assert_ne!(d1, d0, "a critic step moves D");
    // Adam's first step moves each parameter by about lr.
    let max_move = d1.iter().zip(&d0).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(max_move > 1e-4 && max_move < 3e-4, "largest D update {max_move}");

    let (model, m) = generator_step(model, &mut optim, &settings, xa, a, &mut rng);
    let t = |term| m.get(term).unwrap_or_else(|| panic!("a generator step reports {term:?}"));
    assert!(t(Term::GTotal).is_finite() && t(Term::XaReconstruction) > 0.0);
    let weighted = t(Term::XbGan) + 10.0 * t(Term::XbAttribute) + 100.0 * t(Term::XaReconstruction);
    assert!((t(Term::GTotal) - weighted).abs() < 1e-3);
    assert_eq!(params(&model.d), d1, "a generator step leaves D alone");
    assert_ne!(params(&model.g), g0, "a generator step moves G");
}

fn small() -> AttGanConfig {
    crate::common::two_attribute_model()
}

/// The generator step runs D untracked (no weight gradients for D); G's update must be the one
/// the fully tracked loss gives, with the targets drawn as the settings' `b_distribution` says.
#[test]
fn generator_step_with_untracked_critic_updates_g_as_the_tracked_loss_does() {
    let _lock = crate::common::rng_lock();
    let device = Default::default();
    B::seed(&device, 3);
    let model = AttGan::<B>::new(&small(), &device);
    let xa = Tensor::<B, 4>::random([4, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
    let a = Tensor::<B, 2>::random([4, 2], Distribution::Bernoulli(0.5), &device);
    let mut updates = Vec::new();
    for b_distribution in [TargetDistribution::None, TargetDistribution::Uniform, TargetDistribution::TruncatedNormal] {
        let settings = StepSettings { hflip: false, b_distribution, ..StepSettings::paper() };
        let mut optim = adam().init();
        let (stepped, _) =
            generator_step(model.clone(), &mut optim, &settings, xa.clone(), a.clone(), &mut StdRng::seed_from_u64(9));

        let mut rng = StdRng::seed_from_u64(9);
        let b = permuted_targets(a.clone(), &mut rng);
        let targets = Targets::drawn(b, settings.thres_int, b_distribution, &mut rng);
        let (loss, _) =
            settings.losses.generator_loss(&model.g, &model.d, xa.clone(), a.clone(), targets, settings.thres_int);
        let grads = GradientsParams::from_grads(loss.total.backward(), &model.g);
        let mut optim = adam().init();
        let reference = optim.step(settings.lr, model.clone(), grads);

        let (got, want) = (params(&stepped.g), params(&reference.g));
        assert_eq!(got.len(), want.len());
        let worst = got.iter().zip(&want).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        assert!(worst < 1e-6, "{b_distribution:?}: G's updates differ by up to {worst}");
        updates.push(got);
    }
    // The distributions do change what G is given, and so its update.
    assert_ne!(updates[0], updates[1]);
    assert_ne!(updates[1], updates[2]);
}

/// The critic step runs G untracked; G must still be in training mode there: batch statistics,
/// and its BatchNorm running statistics updated (they change what the editor produces).
#[test]
fn critic_step_still_updates_g_running_statistics() {
    let _lock = crate::common::rng_lock();
    let device = Default::default();
    B::seed(&device, 4);
    let model = AttGan::<B>::new(&small(), &device);
    let xa = Tensor::<B, 4>::random([4, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
    let a = Tensor::<B, 2>::random([4, 2], Distribution::Bernoulli(0.5), &device);
    let edit = |m: &AttGan<B>| {
        let x = xa.clone().inner();
        m.g.valid().forward(x, to_generator_input(a.clone().inner(), 0.5)).into_data().into_vec::<f32>().unwrap()
    };
    let before = edit(&model);
    let g0 = params(&model.g);
    let mut optim = adam().init();
    let (model, _) =
        critic_step(model, &mut optim, &StepSettings::paper(), xa.clone(), a.clone(), &mut StdRng::seed_from_u64(1));
    assert_eq!(params(&model.g), g0, "G's weights stay");
    let after = edit(&model);
    let moved = before.iter().zip(&after).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(
        moved > 1e-4,
        "G in inference mode gives the same output after a critic step: running statistics not updated"
    );
}

#[test]
fn adam_is_the_papers() {
    // AdamConfig's fields are private; its Debug form shows them.
    let c = format!("{:?}", adam());
    for field in ["beta_1: 0.5", "beta_2: 0.999", "epsilon: 1e-8"] {
        assert!(c.contains(field), "{c} lacks {field}");
    }
}

#[test]
fn a_random_crop_takes_a_whole_window_of_each_image_at_a_seeded_place() {
    use attgan_train::training::step::random_crop;
    use burn::tensor::TensorData;
    // Each value encodes its image, row and column.
    let (n, side, size) = (6, 9, 5);
    let values: Vec<f32> = (0..n * 3 * side * side).map(|i| i as f32).collect();
    let x = Tensor::<Flex, 4>::from_data(TensorData::new(values, [n, 3, side, side]), &Default::default());
    let crop = random_crop(x.clone(), size, &mut StdRng::seed_from_u64(3));
    assert_eq!(crop.dims(), [n, 3, size, size]);
    let again = random_crop(x, size, &mut StdRng::seed_from_u64(3));
    assert_eq!(crop.to_data(), again.to_data(), "the same seed, the same windows");
    let v: Vec<f32> = crop.into_data().into_vec().unwrap();
    let mut corners = std::collections::HashSet::new();
    for i in 0..n {
        let first = v[i * 3 * size * size] as usize - i * 3 * side * side;
        let (top, left) = (first / side, first % side);
        assert!(top + size <= side && left + size <= side, "image {i}: window at ({top}, {left})");
        corners.insert((top, left));
        for c in 0..3 {
            for y in 0..size {
                for x in 0..size {
                    let got = v[((i * 3 + c) * size + y) * size + x] as usize;
                    assert_eq!(got, ((i * 3 + c) * side + top + y) * side + left + x, "image {i}, channel {c}");
                }
            }
        }
    }
    assert!(corners.len() > 1, "the windows of {n} images are drawn apart: {corners:?}");
}
