//! What several test modules share.

use attgan_core::AttGanConfig;

/// A 16x16 AttGAN with 4 base channels and 2 layers everywhere: milliseconds per step.
pub fn tiny_model() -> AttGanConfig {
    AttGanConfig::new()
        .with_image_size(16)
        .with_enc_dim(4)
        .with_dec_dim(4)
        .with_dis_dim(4)
        .with_enc_layers(2)
        .with_dec_layers(2)
        .with_dis_layers(2)
        .with_dis_fc_dim(8)
        .with_max_dim(16)
}

/// [`tiny_model`] with two attributes.
pub fn two_attribute_model() -> AttGanConfig {
    tiny_model().with_attributes(vec!["Bald".into(), "Young".into()])
}
