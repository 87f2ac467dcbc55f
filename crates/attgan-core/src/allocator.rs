//! The process allocator, tuned for training on the CPU.
//!
//! Why: a training step on the CPU backend allocates and frees the same few hundred buffers
//! every step, many of them megabytes. glibc's malloc serves blocks above its mmap threshold
//! with a fresh `mmap` and returns them with `munmap` on free, and it trims the top of its heap
//! back to the system once more than its trim threshold is free there; either way the next step
//! takes a page fault for every 4 KiB page of the same buffers again. Page faults were 23% of a
//! batch-1 iteration of the 128x128 model under `perf`. Raising both thresholds keeps freed blocks
//! in the heap for reuse. Measured on the 2-core CPU with `compare_reference` (docs/benchmarks.md):
//! a batch-1 iteration went from 10.33 s to 8.73 s, for a peak resident set of 1,472 MiB; at batch
//! 8 the change was within the run-to-run noise (21.8 s before, 22.1 s after).
//!
//! The price: memory freed after the peak is not given back to the system until the process
//! ends, and blocks of many sizes fragment the heap, so the peak resident set grows by a few
//! hundred MiB over the first iterations. A program that trains or edits and then does something
//! else for a long time may not want it; the facade's backend selection applies it only when it
//! picks a CPU backend (Flex, or LibTorch, which allocates through malloc too: a batch-8 critic
//! step 1.77 -> 1.31 s), and not at all when the environment says `ATTGAN_KEEP_FREED_MEMORY=0`
//! ([`wanted`]).
//!
//! A no-op (returning `false`) where the C library is not glibc. Threads other than the main one
//! allocate from arenas of at most 64 MiB, so blocks larger than that are still mapped apart.

/// Blocks up to this size (1 GiB) come from malloc's heap instead of their own `mmap`.
pub const MMAP_THRESHOLD: i32 = 1 << 30;

/// The heap's free top is given back to the system only above this size (2 GiB, the most
/// `mallopt` takes).
pub const TRIM_THRESHOLD: i32 = i32::MAX;

/// Whether the environment lets the facade keep freed memory: yes unless
/// `ATTGAN_KEEP_FREED_MEMORY` is `0` (less memory, slower CPU steps).
pub fn wanted() -> bool {
    std::env::var_os("ATTGAN_KEEP_FREED_MEMORY").is_none_or(|v| v != "0")
}

/// Keeps freed memory in malloc's heap for reuse (see the module docs). Returns whether both
/// settings took effect; safe to call more than once and from any thread.
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes two malloc parameters; glibc serialises it with malloc's
        // own lock and rejects values it cannot use (returning 0), which we report.
        unsafe {
            let mmap = libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            let trim = libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
            mmap == 1 && trim == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}
