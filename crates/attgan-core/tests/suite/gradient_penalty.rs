//! The exact gradient penalty: its value against first-order autodiff, and its gradient with
//! respect to D's parameters against central finite differences.

use attgan_core::loss::{gradient_penalty_at, interpolate, penalty_from_gradient};
use attgan_core::{AttGanConfig, Discriminator, Norm};
use burn::backend::{Autodiff, Flex};
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Distribution, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type B = Autodiff<Flex>;

fn lock() -> std::sync::MutexGuard<'static, ()> {
    crate::common::rng_lock()
}

fn tiny_critic(norm: Norm) -> (AttGanConfig, Discriminator<B>) {
    let config = AttGanConfig::default()
        .with_image_size(8)
        .with_attributes(vec!["Bald".into(), "Young".into()])
        .with_enc_layers(2)
        .with_dec_layers(2)
        .with_dis_layers(2)
        .with_dis_dim(4)
        .with_dis_fc_dim(8)
        .with_dis_norm(norm);
    let device = Default::default();
    <B as Backend>::seed(&device, 1234);
    let d = config.init_discriminator::<B>(&device);
    (config, d)
}

fn points(seed: u64, n: usize, s: usize) -> Tensor<B, 4> {
    let device = Default::default();
    <B as Backend>::seed(&device, seed);
    let real = Tensor::<B, 4>::random([n, 3, s, s], Distribution::Uniform(-1.0, 1.0), &device);
    let fake = Tensor::<B, 4>::random([n, 3, s, s], Distribution::Uniform(-1.0, 1.0), &device);
    let alpha = Tensor::<B, 1>::random([n], Distribution::Uniform(0.0, 1.0), &device);
    interpolate(real, fake, alpha)
}

#[test]
fn penalty_value_equals_first_order_autodiff() {
    let _guard = lock();
    for norm in [Norm::Instance, Norm::None, Norm::Layer] {
        let (_, d) = tiny_critic(norm);
        let x_hat = points(1, 3, 8);

        let exact: f32 = gradient_penalty_at(&d, x_hat.clone()).into_scalar();

        // First order only: the input gradient on the inner backend, the penalty on plain Flex.
        let x = x_hat.detach().require_grad();
        let grads = d.forward_adv(x.clone()).sum().backward();
        let g = x.grad(&grads).unwrap();
        let reference: f32 = penalty_from_gradient(g).into_scalar();
        assert!(reference > 0.0);
        assert!(
            (exact - reference).abs() <= 1e-5 * reference.abs().max(1.0),
            "{norm:?}: nested {exact} vs first-order {reference}"
        );
    }
}

/// One random direction per parameter tensor, in a fixed visiting order.
struct Direction {
    rng: StdRng,
}

impl Direction {
    fn draw(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.rng.random_range(-1.0f32..1.0)).collect()
    }
}

/// Adds `eps * v` to every float parameter.
struct Perturb {
    dir: Direction,
    eps: f32,
}

impl<Bk: Backend> ModuleMapper<Bk> for Perturb {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<Bk, D>>) -> Param<Tensor<Bk, D>> {
        let eps = self.eps;
        let v = self.dir.draw(param.shape().num_elements());
        param.map(|t| {
            let shape = t.shape();
            let v = Tensor::<Bk, D>::from_data(TensorData::new(v, shape), &t.device());
            t + v.mul_scalar(eps)
        })
    }
}

/// Sum over parameters of <grad, v>: the directional derivative from autodiff.
struct Dot<'a, Bk: AutodiffBackend> {
    dir: Direction,
    grads: &'a Bk::Gradients,
    sum: f64,
}

impl<Bk: AutodiffBackend> ModuleVisitor<Bk> for Dot<'_, Bk> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<Bk, D>>) {
        let v = self.dir.draw(param.shape().num_elements());
        if let Some(g) = param.val().grad(self.grads) {
            let g: Vec<f32> = g.into_data().into_vec().unwrap();
            self.sum += g.iter().zip(&v).map(|(a, b)| (*a as f64) * (*b as f64)).sum::<f64>();
        }
    }
}

#[test]
fn penalty_gradient_matches_finite_differences() {
    let _guard = lock();
    for (norm, seed) in [(Norm::Instance, 7u64), (Norm::None, 10), (Norm::Layer, 9), (Norm::Batch, 11)] {
        let (_, d) = tiny_critic(norm);
        let x_hat = points(seed, 4, 8);
        let gp = gradient_penalty_at(&d, x_hat.clone());
        let grads = gp.backward();
        let mut dot = Dot::<B> { dir: Direction { rng: StdRng::seed_from_u64(seed) }, grads: &grads, sum: 0.0 };
        d.visit(&mut dot);
        let analytic = dot.sum;

        let value_at = |eps: f32| -> f64 {
            let moved = d.clone().map(&mut Perturb { dir: Direction { rng: StdRng::seed_from_u64(seed) }, eps });
            gradient_penalty_at(&moved, x_hat.clone()).into_scalar() as f64
        };
        assert!(analytic.abs() > 1e-2, "{norm:?}: a vanishing derivative proves nothing ({analytic})");
        // The penalty jumps wherever a LeakyReLU unit changes side (the input gradient is
        // piecewise constant in the activation pattern), so the steps stay small enough to
        // cross no kink; two step sizes that agree show that none was crossed.
        for eps in [1e-4f32, 5e-5] {
            let numeric = (value_at(eps) - value_at(-eps)) / (2.0 * eps as f64);
            let rel = (analytic - numeric).abs() / numeric.abs().max(1e-6);
            println!(
                "{norm:?}: autodiff {analytic:.6}, finite differences (eps {eps}) {numeric:.6}, relative error {rel:.2e}"
            );
            assert!(rel < 0.02, "{norm:?}: autodiff {analytic} vs finite differences {numeric} (eps {eps}, rel {rel})");
        }
    }
}
