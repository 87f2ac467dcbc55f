//! Every layer's output shape and parameter count against the analytic layer table, and the
//! table's totals against the reference numbers of the official AttGAN.

use attgan_core::summary::trainable_params;
use attgan_core::{AttGanConfig, LayerRow};
use burn::backend::{Autodiff, Flex};
use burn::module::AutodiffModule;
use burn::tensor::{Distribution, Tensor};

/// Parameters are counted on the autodiff backend (where trainable ones are marked); the
/// forward passes run on the plain backend, which is faster.
type A = Autodiff<Flex>;
type B = Flex;

fn rows<'a>(table: &'a [LayerRow], network: &str) -> Vec<&'a LayerRow> {
    table.iter().filter(|r| r.network == network).collect()
}

/// Runs G and D on one random image and checks each layer's output and parameters.
fn check_against_table(config: &AttGanConfig) {
    let device = Default::default();
    let table = config.layer_table();
    let g_train = config.init_generator::<A>(&device);
    let d_train = config.init_discriminator::<A>(&device);
    let (g, d) = (g_train.valid(), d_train.valid());
    let s = config.image_size;
    let x = Tensor::<B, 4>::random([2, 3, s, s], Distribution::Uniform(-1.0, 1.0), &device);
    let b = Tensor::<B, 2>::random([2, config.n_attrs()], Distribution::Uniform(-0.5, 0.5), &device);

    let zs = g.encode(x.clone());
    let enc_rows = rows(&table, "Genc");
    assert_eq!(zs.len(), enc_rows.len());
    for (i, (z, row)) in zs.iter().zip(&enc_rows).enumerate() {
        assert_eq!(z.dims()[1..].to_vec(), row.output, "Genc layer {i} of {config:?}");
        assert_eq!(trainable_params(&g_train.enc.layers[i]), row.params, "Genc layer {i} params");
    }
    let outs = g.decode_all(&zs, b);
    let dec_rows = rows(&table, "Gdec");
    assert_eq!(outs.len(), dec_rows.len());
    for (i, (o, row)) in outs.iter().zip(&dec_rows).enumerate() {
        assert_eq!(o.dims()[1..].to_vec(), row.output, "Gdec layer {i} of {config:?}");
        assert_eq!(g.dec.layers[i].conv.in_channels(), row.input, "Gdec layer {i} input channels");
        assert_eq!(trainable_params(&g_train.dec.layers[i]), row.params, "Gdec layer {i} params");
    }
    let img = outs.last().unwrap().clone();
    assert_eq!(img.dims(), [2, 3, s, s]);
    let (lo, hi) = (img.clone().min().into_scalar(), img.max().into_scalar());
    assert!((-1.0..=1.0).contains(&lo) && (-1.0..=1.0).contains(&hi), "tanh output in [-1, 1]: {lo}..{hi}");

    let trunk = d.trunk_all(x.clone());
    let trunk_rows = rows(&table, "D/C trunk");
    for (i, (t, row)) in trunk.iter().zip(&trunk_rows).enumerate() {
        assert_eq!(t.dims()[1..].to_vec(), row.output, "D trunk layer {i}");
        assert_eq!(trainable_params(&d_train.trunk[i]), row.params, "D trunk layer {i} params");
    }
    let (adv, cls) = d.forward(x);
    assert_eq!(adv.dims(), [2, 1]);
    assert_eq!(cls.dims(), [2, config.n_attrs()]);
    let head = |n: &str| rows(&table, n).iter().map(|r| r.params).sum::<usize>();
    assert_eq!(trainable_params(&d_train.adv), head("D head"));
    assert_eq!(trainable_params(&d_train.cls), head("C head"));

    let counts = config.param_counts();
    assert_eq!(trainable_params(&g_train.enc), counts.genc);
    assert_eq!(trainable_params(&g_train.dec), counts.gdec);
    assert_eq!(trainable_params(&d_train), counts.discriminator);
}

#[test]
fn default_config_matches_the_reference_parameter_counts() {
    let config = AttGanConfig::default();
    let counts = config.param_counts();
    assert_eq!(counts.genc, 11_148_160);
    assert_eq!(counts.gdec, 32_311_043);
    assert_eq!(counts.generator(), 43_459_203);
    assert_eq!(counts.discriminator, 44_718_990);
    // And the modules themselves agree (no forward pass needed).
    let device = Default::default();
    let g = config.init_generator::<A>(&device);
    assert_eq!(trainable_params(&g.enc), 11_148_160);
    assert_eq!(trainable_params(&g.dec), 32_311_043);
    assert_eq!(trainable_params(&config.init_discriminator::<A>(&device)), 44_718_990);
}

#[test]
fn default_config_layers_are_the_papers() {
    let table = AttGanConfig::default().layer_table();
    let outs = |n: &str| rows(&table, n).iter().map(|r| r.output.clone()).collect::<Vec<_>>();
    assert_eq!(
        outs("Genc"),
        vec![vec![64, 64, 64], vec![128, 32, 32], vec![256, 16, 16], vec![512, 8, 8], vec![1024, 4, 4]]
    );
    let ins: Vec<usize> = rows(&table, "Gdec").iter().map(|r| r.input).collect();
    assert_eq!(ins, vec![1037, 1549, 512, 256, 128]);
    assert_eq!(
        outs("Gdec"),
        vec![vec![1024, 8, 8], vec![512, 16, 16], vec![256, 32, 32], vec![128, 64, 64], vec![3, 128, 128]]
    );
    assert_eq!(rows(&table, "D head")[0].input, 16384);
}

#[test]
fn shapes_default_128() {
    check_against_table(&AttGanConfig::default());
}

#[test]
fn shapes_128_without_and_with_every_shortcut_and_injection() {
    check_against_table(&AttGanConfig::default().with_shortcut_layers(0).with_inject_layers(0));
    check_against_table(&AttGanConfig::default().with_shortcut_layers(4).with_inject_layers(4));
}

#[test]
fn shapes_64_with_mixed_shortcut_and_injection() {
    check_against_table(&AttGanConfig::default().with_image_size(64).with_shortcut_layers(2).with_inject_layers(1));
    check_against_table(&AttGanConfig::default().with_image_size(64).with_shortcut_layers(3).with_inject_layers(0));
}

#[test]
fn shapes_256() {
    check_against_table(&AttGanConfig::default().with_image_size(256));
}

#[test]
fn shapes_of_a_small_custom_model() {
    let config = small_32()
        .with_attributes(vec!["Bald".into(), "Young".into(), "Eyeglasses".into()])
        .with_max_dim(16)
        .with_shortcut_layers(2)
        .with_inject_layers(2);
    check_against_table(&config);
}

/// Batch norm's running statistics follow the configured momentum and its normalisation the
/// configured epsilon: Burn's (and PyTorch's) 0.1 and 1e-5 by default, TF slim's 0.001 and 1e-3
/// when asked.
#[test]
fn batch_norm_uses_the_configured_momentum_and_epsilon() {
    use attgan_core::layers::{NormLayer, NormSpec};
    let device = Default::default();
    let defaults = AttGanConfig::default();
    assert_eq!((defaults.bn_momentum, defaults.bn_epsilon), (0.1, 1e-5));
    let spec = NormSpec { norm: attgan_core::Norm::Batch, bn_momentum: 0.001, bn_epsilon: 1e-3 };
    let Some(NormLayer::Batch(bn)) = NormLayer::<A>::new(spec, 2, &device) else { panic!("a batch norm") };
    assert_eq!((bn.momentum, bn.epsilon), (0.001, 1e-3));
    // One training batch whose channels have means 2 and -4: the running means move by 0.001 of them.
    let x = Tensor::<A, 4>::from_data(
        burn::tensor::TensorData::new(vec![1.0f32, 3.0, 1.0, 3.0, -3.0, -5.0, -3.0, -5.0], [1, 2, 2, 2]),
        &device,
    );
    let _ = bn.forward(x);
    let mean: Vec<f32> = bn.running_mean.value_sync().into_data().into_vec().unwrap();
    assert!((mean[0] - 0.002).abs() < 1e-7 && (mean[1] + 0.004).abs() < 1e-7, "{mean:?}");
    // In inference, with fresh statistics (mean 0, variance 1): x / sqrt(1 + epsilon).
    let Some(NormLayer::Batch(fresh)) = NormLayer::<B>::new(spec, 1, &device) else { panic!("a batch norm") };
    let y: Vec<f32> =
        fresh.forward(Tensor::<B, 4>::ones([1, 1, 1, 1], &device).mul_scalar(2.0)).into_data().into_vec().unwrap();
    assert!((f64::from(y[0]) - 2.0 / (1.001f64).sqrt()).abs() < 1e-6, "{y:?}");
    // Every batch norm of G and D takes the config's settings.
    let config = crate::common::tiny_config().with_bn_momentum(0.001).with_bn_epsilon(1e-3);
    let g = config.init_generator::<B>(&device);
    let mut seen = 0;
    for block in g.enc.layers.iter().chain(&g.dec.layers) {
        if let Some(NormLayer::Batch(bn)) = &block.norm {
            assert_eq!((bn.momentum, bn.epsilon), (0.001, 1e-3));
            seen += 1;
        }
    }
    assert_eq!(seen, 3 + 2, "Genc's 3 layers and Gdec's but the last");
    // Out of range values are refused, naming the field.
    let err = AttGanConfig::default().with_bn_momentum(0.0).validate().unwrap_err().to_string();
    assert!(err.contains("`bn_momentum`"), "{err}");
    let err = AttGanConfig::default().with_bn_epsilon(-1.0).validate().unwrap_err().to_string();
    assert!(err.contains("`bn_epsilon`"), "{err}");
}

/// TensorFlow's initialisation (the paper's code): Glorot-uniform weights, zero biases; the
/// default stays PyTorch's Kaiming uniform, biases drawn within +-1/sqrt(fan_in).
#[test]
fn weights_start_as_tensorflow_or_pytorch_start_them() {
    use attgan_core::WeightInit;
    use attgan_core::layers::Conv;
    let device = Default::default();
    let values = |t: Tensor<B, 4>| -> Vec<f32> { t.into_data().into_vec().unwrap() };
    let max_abs = |v: &[f32]| v.iter().fold(0.0f32, |m, x| m.max(x.abs())) as f64;
    for init in [WeightInit::Glorot, WeightInit::Kaiming] {
        let config = crate::common::tiny_config().with_weight_init(init);
        let g = config.init_generator::<B>(&device);
        for block in g.enc.layers.iter().chain(&g.dec.layers) {
            // PyTorch's (and Burn's) fan-in of a transposed convolution is its output channels.
            let (w, bias, fan_in, fan_out) = match &block.conv {
                Conv::Down(c) => {
                    let [o, i, _, _] = c.weight.dims();
                    (c.weight.val(), c.bias.as_ref().map(|b| b.val()), i, o)
                }
                Conv::Up(c) => {
                    let [i, o, _, _] = c.weight.dims();
                    (c.weight.val(), c.bias.as_ref().map(|b| b.val()), o, i)
                }
            };
            let w = values(w);
            let (fan_in, fan_out) = (fan_in as f64 * 16.0, fan_out as f64 * 16.0);
            let bound = match init {
                WeightInit::Glorot => (6.0 / (fan_in + fan_out)).sqrt(),
                WeightInit::Kaiming => 1.0 / fan_in.sqrt(),
            };
            assert!(max_abs(&w) <= bound + 1e-7 && max_abs(&w) > 0.8 * bound, "{init:?}: {} vs {bound}", max_abs(&w));
            if let Some(b) = bias {
                let b: Vec<f32> = b.into_data().into_vec().unwrap();
                match init {
                    WeightInit::Glorot => assert!(b.iter().all(|&x| x == 0.0), "TF starts biases at zero"),
                    WeightInit::Kaiming => {
                        assert!(b.iter().any(|&x| x != 0.0) && max_abs(&b) <= 1.0 / fan_in.sqrt() + 1e-7)
                    }
                }
            }
        }
        let d = config.init_discriminator::<B>(&device);
        for dense in [&d.adv.hidden, &d.adv.output, &d.cls.hidden, &d.cls.output] {
            let b: Vec<f32> = dense.bias.val().into_data().into_vec().unwrap();
            assert_eq!(b.iter().all(|&x| x == 0.0), init == WeightInit::Glorot, "{init:?}");
            let [d_in, d_out] = dense.weight.dims();
            let w: Vec<f32> = dense.weight.val().into_data().into_vec().unwrap();
            let bound = match init {
                WeightInit::Glorot => (6.0 / (d_in + d_out) as f64).sqrt(),
                WeightInit::Kaiming => 1.0 / (d_in as f64).sqrt(),
            };
            assert!(max_abs(&w) <= bound + 1e-7, "{init:?}: dense {} vs {bound}", max_abs(&w));
        }
    }
    assert_eq!(AttGanConfig::default().weight_init, WeightInit::Kaiming);
}

#[test]
fn a_critic_whose_first_layer_is_not_normalised() {
    // A PatchGAN-style D: its first convolution has a bias and no norm; the table says so.
    let config = small_32().with_dis_first_norm(false);
    check_against_table(&config);
    let first = &config.layer_table().into_iter().find(|r| r.network == "D/C trunk").unwrap();
    let c = config.dis_channels(0);
    assert_eq!(first.params, 3 * c * 16 + c, "conv 4x4 with bias, no norm parameters");
    assert!(!first.layer.contains("norm"), "{}", first.layer);
    // The paper's D normalises every layer; only the first changes.
    let paper = small_32();
    let (a, b) = (paper.param_counts().discriminator, config.param_counts().discriminator);
    assert_eq!(a - b, 2 * c - c, "instance norm's affine (2c) replaced by the conv's bias (c)");
}

/// A small 32x32 model with the paper's layout, quick to run.
fn small_32() -> AttGanConfig {
    AttGanConfig::default()
        .with_image_size(32)
        .with_enc_dim(8)
        .with_dec_dim(8)
        .with_dis_dim(8)
        .with_enc_layers(3)
        .with_dec_layers(3)
        .with_dis_layers(3)
        .with_dis_fc_dim(16)
}
