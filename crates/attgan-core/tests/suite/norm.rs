//! The norms' forward passes (`attgan_core::norm`) against Burn's own modules on the same
//! parameters: outputs, every gradient and the running statistics agree to float rounding, in
//! training (autodiff: batch statistics) and in inference (running statistics).

use attgan_core::norm::{batch_norm, group_norm, instance_norm};
use burn::backend::{Autodiff, Flex};
use burn::module::Param;
use burn::nn::{BatchNorm, BatchNormConfig, GroupNormConfig, InstanceNormConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};

type Ad = Autodiff<Flex>;
const SHAPE: [usize; 4] = [3, 5, 4, 6];
const TOLERANCE: f32 = 2e-5;

fn input<B: Backend>(seed: u64) -> Tensor<B, 4> {
    B::seed(&Default::default(), seed);
    // Shifted and scaled so that the statistics matter.
    Tensor::<B, 4>::random(SHAPE, Distribution::Normal(0.7, 2.0), &Default::default())
}

/// Non-trivial affine parameters (Burn starts them at 1 and 0, which would hide a mix-up).
fn affine<B: Backend>(seed: u64) -> (Param<Tensor<B, 1>>, Param<Tensor<B, 1>>) {
    B::seed(&Default::default(), seed);
    let d = Default::default();
    let c = SHAPE[1];
    (
        Param::from_tensor(Tensor::random([c], Distribution::Uniform(0.5, 1.5), &d)),
        Param::from_tensor(Tensor::random([c], Distribution::Uniform(-1.0, 1.0), &d)),
    )
}

fn max_diff<B: Backend, const D: usize>(a: Tensor<B, D>, b: Tensor<B, D>) -> f32 {
    a.sub(b).abs().max().into_scalar().to_string().parse().unwrap()
}

/// Runs `ours` and `burns` on the same input and parameters, with autodiff, and compares the
/// outputs and the gradients of a weighted sum with respect to the input and to `params`.
fn compare_training<M: Clone>(
    module: M,
    params: impl Fn(&M) -> Vec<Tensor<Ad, 1>>,
    ours: impl Fn(&M, Tensor<Ad, 4>) -> Tensor<Ad, 4>,
    burns: impl Fn(&M, Tensor<Ad, 4>) -> Tensor<Ad, 4>,
) {
    let weights = input::<Ad>(9);
    let run = |f: &dyn Fn(&M, Tensor<Ad, 4>) -> Tensor<Ad, 4>| {
        let x = input::<Ad>(1).require_grad();
        let y = f(&module, x.clone());
        let grads = y.clone().mul(weights.clone()).sum().backward();
        let mut g = vec![x.grad(&grads).unwrap()];
        g.extend(params(&module).iter().map(|p| p.grad(&grads).unwrap().reshape([1, 1, 1, -1])));
        (y.inner(), g)
    };
    let (y_ours, g_ours) = run(&ours);
    let (y_burn, g_burn) = run(&burns);
    assert!(max_diff(y_ours, y_burn) < TOLERANCE, "outputs differ");
    for (i, (a, b)) in g_ours.into_iter().zip(g_burn).enumerate() {
        let d = max_diff(a, b);
        assert!(d < TOLERANCE, "gradient {i} differs by {d}");
    }
}

fn batch_norm_module<B: Backend>() -> BatchNorm<B> {
    let mut bn = BatchNormConfig::new(SHAPE[1]).with_momentum(0.3).init(&Default::default());
    (bn.gamma, bn.beta) = affine(5);
    bn
}

#[test]
fn batch_norm_trains_as_burns() {
    let bn = batch_norm_module::<Ad>();
    compare_training(bn.clone(), |m| vec![m.gamma.val(), m.beta.val()], batch_norm, |m, x| m.forward(x));
    // The running statistics after one training pass of each on its own fresh module.
    let (ours, burns) = (batch_norm_module::<Ad>(), batch_norm_module::<Ad>());
    let _ = batch_norm(&ours, input::<Ad>(1));
    let _ = burns.forward(input::<Ad>(1));
    for (a, b) in [(ours.running_mean, burns.running_mean), (ours.running_var, burns.running_var)] {
        let d = max_diff(a.value_sync(), b.value_sync());
        assert!(d < TOLERANCE, "running statistics differ by {d}");
    }
}

#[test]
fn batch_norm_infers_as_burns() {
    // Running statistics far from 0 and 1, set by one training pass with momentum 0.3.
    let bn = batch_norm_module::<Ad>();
    let _ = bn.forward(input::<Ad>(4));
    let bn: BatchNorm<Flex> = burn::module::AutodiffModule::valid(&bn);
    let x = input::<Flex>(1);
    assert!(max_diff(batch_norm(&bn, x.clone()), bn.forward(x)) < TOLERANCE);
}

#[test]
fn instance_and_layer_norm_train_and_infer_as_burns() {
    let mut instance = InstanceNormConfig::new(SHAPE[1]).init::<Ad>(&Default::default());
    let (g, b) = affine(6);
    (instance.gamma, instance.beta) = (Some(g), Some(b));
    let affine_params =
        |m: &burn::nn::InstanceNorm<Ad>| vec![m.gamma.as_ref().unwrap().val(), m.beta.as_ref().unwrap().val()];
    compare_training(instance.clone(), affine_params, instance_norm, |m, x| m.forward(x));

    for groups in [1, 5] {
        let mut layer = GroupNormConfig::new(groups, SHAPE[1]).init::<Ad>(&Default::default());
        let (g, b) = affine(7);
        (layer.gamma, layer.beta) = (Some(g), Some(b));
        compare_training(
            layer.clone(),
            |m| vec![m.gamma.as_ref().unwrap().val(), m.beta.as_ref().unwrap().val()],
            group_norm,
            |m, x| m.forward(x),
        );
        let layer: burn::nn::GroupNorm<Flex> = burn::module::AutodiffModule::valid(&layer);
        let x = input::<Flex>(2);
        assert!(max_diff(group_norm(&layer, x.clone()), layer.forward(x)) < TOLERANCE, "{groups} groups");
    }
    let instance: burn::nn::InstanceNorm<Flex> = burn::module::AutodiffModule::valid(&instance);
    let x = input::<Flex>(3);
    assert!(max_diff(instance_norm(&instance, x.clone()), instance.forward(x)) < TOLERANCE);
}
