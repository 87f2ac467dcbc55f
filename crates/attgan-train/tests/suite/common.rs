//! What several test modules share.

use attgan_core::AttGanConfig;
use std::sync::{Mutex, MutexGuard};

/// The backend's random generator is global, and the tests are one binary whose tests run on
/// parallel threads: a test that seeds it and relies on what it then draws holds this lock, so
/// that no other test's draws interleave with its own.
pub fn rng_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

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
