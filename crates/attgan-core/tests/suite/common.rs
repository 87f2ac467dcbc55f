//! What several test modules share.

use std::sync::{Mutex, MutexGuard};

/// The backend's random generator is global, and the tests are one binary whose tests run on
/// parallel threads: a test that seeds it and relies on what it then draws holds this lock, so
/// that no other test's draws interleave with its own.
pub fn rng_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
