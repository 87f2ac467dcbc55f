//! What several test modules share.

use std::sync::{Mutex, MutexGuard};

/// The backend's random generator is global, and the tests are one binary whose tests run on
/// parallel threads: a test that seeds it and relies on what it then draws holds this lock, so
/// that no other test's draws interleave with its own.
pub fn rng_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A tiny model's config: 32x32, 4 channels, 3 layers, the 13 attributes.
pub fn tiny_config() -> attgan_core::AttGanConfig {
    attgan_core::AttGanConfig::new()
        .with_image_size(32)
        .with_enc_dim(4)
        .with_dec_dim(4)
        .with_enc_layers(3)
        .with_dec_layers(3)
        .with_dis_layers(3)
        .with_dis_dim(4)
        .with_dis_fc_dim(8)
}

/// The tiny model ([`tiny_config`]) with G and C, for tests that need a working editor, not a
/// trained one.
pub fn tiny_editor() -> attgan_core::Editor<burn::backend::Flex> {
    let _lock = rng_lock();
    let config = tiny_config();
    let device = Default::default();
    let c = config.init_classifier(&device);
    attgan_core::Editor::new(config.init_generator(&device), config, &device).with_classifier(c)
}
