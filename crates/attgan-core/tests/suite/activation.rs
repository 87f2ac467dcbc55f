//! The model's LeakyReLU (`Activation::LeakyRelu`, a product with a mask computed apart from the
//! graph) against Burn's `leaky_relu`: the same values bit for bit, the same first-order gradients, and
//! the same second-order gradients (the gradient penalty's nested pass) to float rounding.

use attgan_core::layers::Activation;
use burn::backend::{Autodiff, Flex};
use burn::tensor::activation::leaky_relu;
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor, TensorData};

type Inner = Autodiff<Flex>;
type Outer = Autodiff<Inner>;
const SLOPE: f64 = 0.2;

/// Normal values with exact zeros and negative zeros among them.
fn input<B: Backend>(seed: u64) -> Tensor<B, 4> {
    B::seed(&Default::default(), seed);
    let x = Tensor::<B, 4>::random([2, 3, 4, 5], Distribution::Normal(0.0, 1.0), &Default::default());
    let mut values = x.into_data().to_vec::<f32>().unwrap();
    values[0] = 0.0;
    values[7] = -0.0;
    Tensor::from_data(TensorData::new(values, [2, 3, 4, 5]), &Default::default())
}

fn bits(t: Tensor<impl Backend, 4>) -> Vec<u32> {
    t.into_data().to_vec::<f32>().unwrap().into_iter().map(f32::to_bits).collect()
}

fn ours<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    Activation::LeakyRelu(SLOPE).forward(x)
}

fn burns<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    leaky_relu(x, SLOPE)
}

#[test]
fn the_same_values_and_gradients_as_burns() {
    assert_eq!(bits(ours(input::<Flex>(1))), bits(burns(input::<Flex>(1))), "values");

    let weights = input::<Flex>(2);
    let gradient = |f: &dyn Fn(Tensor<Inner, 4>) -> Tensor<Inner, 4>| {
        let x = input::<Inner>(1).require_grad();
        let y = f(x.clone()) * Tensor::from_inner(weights.clone());
        x.grad(&y.sum().backward()).unwrap()
    };
    // Equal as floats: where the upstream gradient is -0, Burn's sum with a zero branch makes it +0.
    let floats = |t: Tensor<Flex, 4>| t.into_data().to_vec::<f32>().unwrap();
    assert_eq!(floats(gradient(&ours::<Inner>)), floats(gradient(&burns::<Inner>)), "gradients");
}

/// A penalty on a gradient, as WGAN-GP's: x = p * c (p tracked by the inner autodiff), the
/// gradient of sum(f(x)^2) with respect to x taken by the outer one, and the inner gradient of
/// the sum of its squares with respect to p.
#[test]
fn second_order_gradients_are_burns() {
    let penalty_gradient = |f: &dyn Fn(Tensor<Outer, 4>) -> Tensor<Outer, 4>| {
        let p = input::<Inner>(3).require_grad();
        let x = p.clone() * input::<Inner>(4);
        let x = Tensor::<Outer, 4>::from_inner(x).require_grad();
        let y = f(x.clone());
        let g = x.grad(&(y.clone() * y).sum().backward()).unwrap();
        let grad = p.grad(&g.square().sum().backward()).unwrap();
        grad.into_data().to_vec::<f32>().unwrap()
    };
    let ours = penalty_gradient(&ours::<Outer>);
    let burns = penalty_gradient(&burns::<Outer>);
    assert!(ours.iter().any(|v| *v != 0.0), "the penalty reaches p");
    for (i, (a, b)) in ours.iter().zip(&burns).enumerate() {
        assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "element {i}: {a} against Burn's {b}");
    }
}
