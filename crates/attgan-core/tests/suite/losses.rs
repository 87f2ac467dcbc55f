//! Each loss term against values computed by hand, and the weighted totals.

use attgan_core::attributes::{Targets, to_generator_input};
use attgan_core::loss::{
    attribute_bce, gradient_penalty_at, interpolate, reconstruction_l1, wgan_critic, wgan_generator,
};
use attgan_core::{AttGanConfig, LossConfig};
use burn::backend::{Autodiff, Flex};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor, TensorData};

type B = Autodiff<Flex>;

fn t2(rows: &[&[f32]]) -> Tensor<B, 2> {
    let n = rows.len();
    let m = rows[0].len();
    let data: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_data(TensorData::new(data, [n, m]), &Default::default())
}

fn scalar(t: Tensor<B, 1>) -> f64 {
    t.into_scalar() as f64
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{what}: {a} != {b}");
}

#[test]
fn wasserstein_terms() {
    let real = t2(&[&[1.0], &[3.0]]);
    let fake = t2(&[&[0.0], &[2.0]]);
    close(scalar(wgan_critic(real, fake.clone())), -(2.0 - 1.0), "critic");
    close(scalar(wgan_generator(fake)), -1.0, "generator");
}

#[test]
fn attribute_bce_by_hand() {
    let logits = [[0.0f64, 2.0], [-1.0, 3.0]];
    let targets = [[1.0f64, 0.0], [0.0, 1.0]];
    // t * ln(1 + e^-x) + (1 - t) * ln(1 + e^x), averaged over all elements.
    let mut sum = 0.0;
    for i in 0..2 {
        for j in 0..2 {
            let (x, t) = (logits[i][j], targets[i][j]);
            sum += t * (1.0 + (-x).exp()).ln() + (1.0 - t) * (1.0 + x.exp()).ln();
        }
    }
    let got = attribute_bce(t2(&[&[0.0, 2.0], &[-1.0, 3.0]]), t2(&[&[1.0, 0.0], &[0.0, 1.0]]));
    close(scalar(got), sum / 4.0, "bce");
    close(sum / 4.0, 0.795481, "hand value");
}

#[test]
fn attribute_bce_is_stable_for_large_logits() {
    let got = scalar(attribute_bce(t2(&[&[100.0, -100.0]]), t2(&[&[0.0, 1.0]])));
    close(got, 100.0, "confidently wrong");
    let got = scalar(attribute_bce(t2(&[&[100.0, -100.0]]), t2(&[&[1.0, 0.0]])));
    assert!(got.abs() < 1e-6, "confidently right: {got}");
}

#[test]
fn reconstruction_is_mean_absolute_error() {
    let device = Default::default();
    let x = Tensor::<B, 4>::from_data(TensorData::new(vec![0.0f32, 0.5, -1.0, 1.0], [1, 1, 2, 2]), &device);
    let r = Tensor::<B, 4>::from_data(TensorData::new(vec![0.25f32, 0.5, 0.0, -1.0], [1, 1, 2, 2]), &device);
    close(scalar(reconstruction_l1(r, x)), (0.25 + 0.0 + 1.0 + 2.0) / 4.0, "l1");
}

#[test]
fn interpolation_is_per_sample() {
    let device = Default::default();
    let real = Tensor::<B, 4>::zeros([2, 1, 1, 2], &device);
    let fake = Tensor::<B, 4>::ones([2, 1, 1, 2], &device);
    let alpha = Tensor::<B, 1>::from_data(TensorData::new(vec![0.25f32, 0.75], [2]), &device);
    let x: Vec<f32> = interpolate(real, fake, alpha).into_data().into_vec().unwrap();
    assert_eq!(x, vec![0.25, 0.25, 0.75, 0.75]);
}

#[test]
fn weighted_totals_use_the_papers_weights() {
    let w = LossConfig::default();
    assert_eq!(
        (w.gp_weight, w.d_attr_weight, w.adv_weight, w.g_attr_weight, w.rec_weight),
        (10.0, 1.0, 1.0, 10.0, 100.0)
    );
    let one = |v: f32| Tensor::<B, 1>::from_data(TensorData::new(vec![v], [1]), &Default::default());
    let d = w.discriminator_total(one(-2.0), one(0.5), one(0.25));
    close(scalar(d.total), -2.0 + 10.0 * 0.5 + 0.25, "D total");
    let g = w.generator_total(one(1.5), one(0.2), one(0.03));
    close(scalar(g.total), 1.5 + 10.0 * 0.2 + 100.0 * 0.03, "G total");
    let custom = LossConfig::new().with_gp_weight(1.0).with_rec_weight(10.0);
    close(scalar(custom.discriminator_total(one(-2.0), one(0.5), one(0.25)).total), -2.0 + 0.5 + 0.25, "custom D");
    close(scalar(custom.generator_total(one(1.5), one(0.2), one(0.03)).total), 1.5 + 2.0 + 0.3, "custom G");
}

fn tiny() -> AttGanConfig {
    AttGanConfig::default()
        .with_image_size(16)
        .with_attributes(vec!["Bald".into(), "Bangs".into(), "Young".into()])
        .with_enc_dim(4)
        .with_dec_dim(4)
        .with_dis_dim(4)
        .with_enc_layers(3)
        .with_dec_layers(3)
        .with_dis_layers(3)
        .with_dis_fc_dim(8)
}

#[test]
fn discriminator_loss_is_the_sum_of_its_terms() {
    let _lock = crate::common::rng_lock();
    let config = tiny();
    let device = Default::default();
    B::seed(&device, 11);
    let d = config.init_discriminator::<B>(&device);
    let xa = Tensor::<B, 4>::random([4, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
    let xb = Tensor::<B, 4>::random([4, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
    let a = t2(&[&[1.0, 0.0, 1.0], &[0.0, 1.0, 1.0], &[0.0, 0.0, 0.0], &[1.0, 1.0, 0.0]]);
    let alpha = Tensor::<B, 1>::from_data(TensorData::new(vec![0.1f32, 0.4, 0.6, 0.9], [4]), &device);
    let loss =
        LossConfig::default().discriminator_loss_with_alpha(&d, xa.clone(), xb.clone(), a.clone(), alpha.clone());

    let (real, logits) = d.forward(xa.clone());
    let wgan = scalar(real.mean()) - scalar(d.forward_adv(xb.clone()).mean());
    close(scalar(loss.d_gan.clone()), -wgan, "wgan term");
    close(scalar(loss.xa_attribute.clone()), scalar(attribute_bce(logits, a)), "attr term");
    close(scalar(loss.gp.clone()), scalar(gradient_penalty_at(&d, interpolate(xa, xb, alpha))), "gp term");
    close(scalar(loss.total), scalar(loss.d_gan) + 10.0 * scalar(loss.gp) + scalar(loss.xa_attribute), "total");
}

#[test]
fn zero_penalty_weight_skips_the_penalty() {
    let _lock = crate::common::rng_lock();
    let config = tiny();
    let device = Default::default();
    B::seed(&device, 12);
    let d = config.init_discriminator::<B>(&device);
    let xa = Tensor::<B, 4>::random([2, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
    let xb = Tensor::<B, 4>::random([2, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
    let a = t2(&[&[1.0, 0.0, 1.0], &[0.0, 1.0, 1.0]]);
    let alpha = Tensor::<B, 1>::from_data(TensorData::new(vec![0.3f32, 0.7], [2]), &device);
    let with =
        LossConfig::default().discriminator_loss_with_alpha(&d, xa.clone(), xb.clone(), a.clone(), alpha.clone());
    let without = LossConfig::default().with_gp_weight(0.0).discriminator_loss_with_alpha(&d, xa, xb, a, alpha);
    assert!(scalar(with.gp) > 0.0);
    assert_eq!(scalar(without.gp), 0.0);
    close(scalar(without.d_gan.clone()), scalar(with.d_gan), "wgan term");
    close(scalar(without.total), scalar(without.d_gan) + scalar(without.xa_attribute), "total without the penalty");
}

#[test]
fn generator_loss_shares_one_encoding_for_edit_and_reconstruction() {
    let _lock = crate::common::rng_lock();
    let config = tiny();
    let device = Default::default();
    B::seed(&device, 12);
    let g = config.init_generator::<B>(&device);
    let d = config.init_discriminator::<B>(&device);
    let xa = Tensor::<B, 4>::random([2, 3, 16, 16], Distribution::Uniform(-1.0, 1.0), &device);
    let a = t2(&[&[1.0, 0.0, 1.0], &[0.0, 1.0, 0.0]]);
    let b = t2(&[&[0.0, 1.0, 0.0], &[1.0, 0.0, 1.0]]);
    let (loss, pass) =
        LossConfig::default().generator_loss(&g, &d, xa.clone(), a.clone(), Targets::new(b.clone(), 0.5), 0.5);

    let xb = g.forward(xa.clone(), to_generator_input(b.clone(), 0.5));
    let rec = g.forward(xa.clone(), to_generator_input(a, 0.5));
    let diff = scalar((xb.clone() - pass.xb.clone()).abs().max().reshape([1]));
    assert!(diff < 1e-6, "edited images differ by {diff}");
    close(scalar(loss.xa_reconstruction.clone()), scalar(reconstruction_l1(rec, xa)), "rec");
    let (scores, logits) = d.forward(xb);
    close(scalar(loss.xb_gan.clone()), -scalar(scores.mean()), "adv");
    close(scalar(loss.xb_attribute.clone()), scalar(attribute_bce(logits, b)), "attr");
    close(
        scalar(loss.total),
        scalar(loss.xb_gan) + 10.0 * scalar(loss.xb_attribute) + 100.0 * scalar(loss.xa_reconstruction),
        "total",
    );
}
