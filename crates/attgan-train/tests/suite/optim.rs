//! The paper's Adam in one pass ([`attgan_train::optim`]) gives Burn's Adam bit for bit.

use attgan_train::optim::{FusedAdam, fused_updates};
use attgan_train::training::step::{critic_step, generator_step};
use attgan_train::{AttGan, StepSettings, adam};
use burn::backend::{Autodiff, Flex};
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{Adam, AdamState, Optimizer, SimpleOptimizer};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// A parameter, its gradients for four steps (normal, tiny, exactly zero, mixed signs), and
/// the learning rate: tiny gradients make epsilon matter, zero ones the signs of zeros.
fn case<B: Backend>(device: &B::Device) -> (Tensor<B, 2>, Vec<Tensor<B, 2>>) {
    let shape = [37, 1031]; // several of the fused pass's chunks, the last one partial
    let p = Tensor::<B, 2>::random(shape, Distribution::Normal(0.0, 0.1), device);
    let normal = Tensor::<B, 2>::random(shape, Distribution::Normal(0.0, 1.0), device);
    let tiny = Tensor::<B, 2>::random(shape, Distribution::Normal(0.0, 1e-9), device);
    let zero = Tensor::<B, 2>::zeros(shape, device);
    let mixed = normal.clone().mul(tiny.clone().sign()).mul_scalar(3.0);
    (p, vec![normal, tiny, zero, mixed])
}

/// A copy that shares no buffer with `t`.
fn copy<B: Backend, const D: usize>(t: &Tensor<B, D>) -> Tensor<B, D> {
    Tensor::from_data(t.to_data(), &t.device())
}

fn bits<B: Backend, const D: usize>(t: &Tensor<B, D>) -> Vec<u32> {
    t.to_data().to_vec::<f32>().unwrap().into_iter().map(f32::to_bits).collect()
}

/// A copy of an Adam state that shares no buffer with it.
fn copy_state<B: Backend>(s: &Option<AdamState<B, 2>>) -> Option<AdamState<B, 2>> {
    s.as_ref().map(|s| {
        let mut c = s.clone();
        c.momentum.moment_1 = copy(&s.momentum.moment_1);
        c.momentum.moment_2 = copy(&s.momentum.moment_2);
        c
    })
}

/// Steps `FusedAdam` and Burn's Adam side by side and returns how many steps took the fused
/// pass. With `exact`, each runs on its own and the moments and parameters must have the same
/// bits after every step. Otherwise each step starts both from Burn's previous result: the
/// moments must have the same bits, and each parameter may differ from Burn's by two units in
/// its last place plus 1e-5 of the step's update.
fn same_as_burn<B: Backend>(device: &B::Device, exact: bool) -> u64 {
    let config = adam();
    let fused: FusedAdam = config.build();
    let burn: Adam = config.burn().build();
    let (p, grads) = case::<B>(device);
    let (mut p_fused, mut p_burn) = (copy(&p), copy(&p));
    let (mut s_fused, mut s_burn): (Option<AdamState<B, 2>>, Option<AdamState<B, 2>>) = (None, None);
    let before = fused_updates();
    for (step, g) in grads.iter().enumerate() {
        let lr = 2e-4 * (step + 1) as f64;
        let previous = p_burn.to_data().to_vec::<f32>().unwrap();
        if !exact {
            (p_fused, s_fused) = (copy(&p_burn), copy_state(&s_burn));
        }
        (p_fused, s_fused) = SimpleOptimizer::<B>::step(&fused, lr, p_fused, copy(g), s_fused);
        (p_burn, s_burn) = SimpleOptimizer::<B>::step(&burn, lr, p_burn, copy(g), s_burn);
        let (f, b) = (s_fused.as_ref().unwrap(), s_burn.as_ref().unwrap());
        assert_eq!(f.momentum.time, b.momentum.time, "step {step}: time");
        assert_eq!(bits(&f.momentum.moment_1), bits(&b.momentum.moment_1), "step {step}: first moment");
        assert_eq!(bits(&f.momentum.moment_2), bits(&b.momentum.moment_2), "step {step}: second moment");
        if exact {
            assert_eq!(bits(&p_fused), bits(&p_burn), "step {step}: parameter");
            continue;
        }
        let (pf, pb) = (p_fused.to_data().to_vec::<f32>().unwrap(), p_burn.to_data().to_vec::<f32>().unwrap());
        for (i, ((f, b), p)) in pf.iter().zip(&pb).zip(&previous).enumerate() {
            let ulp = f32::from_bits(b.abs().to_bits() + 1) - b.abs();
            let allowed = 2.0 * ulp + 1e-5 * (b - p).abs();
            assert!((f - b).abs() <= allowed, "step {step}, element {i}: {f} fused, {b} Burn's (from {p})");
        }
    }
    assert_ne!(bits(&p_fused), bits(&p), "the steps moved the parameter");
    fused_updates() - before
}

#[test]
fn fused_adam_gives_burns_adam_bit_for_bit_on_flex() {
    let taken = same_as_burn::<Flex>(&Default::default(), true);
    // The first step creates the moments through Burn's Adam; the three after it are fused (other
    // tests running at the same time can only add to the count).
    assert!(taken >= 3, "fused updates: {taken}");
}

#[cfg(feature = "tch")]
#[test]
fn fused_adam_gives_burns_adam_on_libtorch() {
    // LibTorch's vectorised square root is not correctly rounded (0.6% of random inputs differ
    // from Rust's by one unit in the last place, measured), and the fused pass uses Rust's: the
    // parameters can differ in their last bit, about one element in 10,000 per step.
    let taken = same_as_burn::<burn::backend::LibTorch>(&Default::default(), false);
    assert!(taken >= 3, "fused updates: {taken}");
}

/// A parameter whose buffer another tensor shares (as in Burn's Learner, which optimises a
/// clone of its model) is not written in place: the other tensor keeps its values, and the
/// fused pass writes Burn's result into a fresh buffer.
#[test]
fn fused_adam_leaves_a_shared_parameter_alone() {
    type B = Flex;
    let device = Default::default();
    let config = adam();
    let (p, grads) = case::<B>(&device);
    let (p1, s1) = SimpleOptimizer::<B>::step(&config.build(), 1e-3, p, grads[0].clone(), None);
    let kept = p1.clone();
    let kept_bits = bits(&kept);
    let s1_burn = copy_state(&s1);
    let before = fused_updates();
    let (p2, s2) = SimpleOptimizer::<B>::step(&config.build(), 1e-3, p1, grads[1].clone(), s1);
    assert!(fused_updates() > before, "the shared parameter's step was not fused");
    assert_eq!(bits(&kept), kept_bits, "a clone of the parameter changed");
    let (p_burn, _) = SimpleOptimizer::<B>::step(&config.burn().build(), 1e-3, kept, grads[1].clone(), s1_burn);
    assert_eq!(bits(&p2), bits(&p_burn));
    assert_eq!(s2.unwrap().momentum.time, 2);
}

/// Every parameter tensor's bits, in visiting order.
fn all_bits<M: Module<Autodiff<Flex>>>(m: &M) -> Vec<Vec<u32>> {
    struct Collect(Vec<Vec<u32>>);
    impl<Bk: Backend> ModuleVisitor<Bk> for Collect {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<Bk, D>>) {
            let data: TensorData = p.val().into_data();
            self.0.push(data.to_vec::<f32>().unwrap().into_iter().map(f32::to_bits).collect());
        }
    }
    let mut c = Collect(Vec::new());
    m.visit(&mut c);
    c.0
}

/// How many parameter tensors of `m` are trained (BatchNorm's running statistics are not).
pub(crate) fn trainable<Bk: Backend, M: Module<Bk>>(m: &M) -> u64 {
    struct Count(u64);
    impl<Bc: Backend> ModuleVisitor<Bc> for Count {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<Bc, D>>) {
            self.0 += p.is_require_grad() as u64;
        }
    }
    let mut c = Count(0);
    m.visit(&mut c);
    c.0
}

/// Two rounds of two critic steps and a generator step on the tiny model with `optim`, from the
/// same seeds each time: the weights after each step.
fn train<O: Optimizer<AttGan<Autodiff<Flex>>, Autodiff<Flex>>>(mut optim: O) -> Vec<Vec<Vec<u32>>> {
    type B = Autodiff<Flex>;
    let device = Default::default();
    B::seed(&device, 5);
    let mut model = AttGan::<B>::new(&crate::common::two_attribute_model(), &device);
    let settings = StepSettings::paper();
    let xa = Tensor::<B, 4>::random([4, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
    let a = Tensor::<B, 2>::random([4, 2], Distribution::Bernoulli(0.5), &device);
    let mut rng = StdRng::seed_from_u64(1);
    let mut after = vec![all_bits(&model)];
    for _round in 0..2 {
        for critic in [true, true, false] {
            let (xa, a) = (xa.clone(), a.clone());
            model = if critic {
                critic_step(model, &mut optim, &settings, xa, a, &mut rng).0
            } else {
                generator_step(model, &mut optim, &settings, xa, a, &mut rng).0
            };
            after.push(all_bits(&model));
        }
    }
    after
}

/// Training steps through the optimizer adaptor (the Learner's path) give the weights Burn's
/// Adam gives, step after step, and every parameter's later steps took the fused pass.
#[test]
fn training_steps_with_fused_adam_match_burns_adam() {
    let _lock = crate::common::rng_lock();
    let before = fused_updates();
    let fused = train(adam().init());
    let taken = fused_updates() - before;
    let burn = train(adam().burn().init());
    assert_eq!(fused.len(), 7);
    for (step, (f, b)) in fused.iter().zip(&burn).enumerate() {
        assert_eq!(f, b, "weights after step {step}");
    }
    assert_ne!(fused[0], fused[6], "the steps moved the weights");
    // Each network's first step makes the moments through Burn's Adam; D's three later steps and
    // G's second step are fused, for every parameter tensor of the network.
    let model = AttGan::<Autodiff<Flex>>::new(&crate::common::two_attribute_model(), &Default::default());
    let (d, g) = (trainable(&model.d), trainable(&model.g));
    assert!(taken >= 3 * d + g, "{taken} fused updates, expected {} or more (D {d}, G {g})", 3 * d + g);
}
