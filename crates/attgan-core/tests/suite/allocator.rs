//! The allocator setting the CPU backend runs under (allocator.rs).

use attgan_core::allocator::{keep_freed_memory, wanted};

/// glibc takes both thresholds (mallopt returns 1 for each); elsewhere the call is a no-op.
#[test]
fn glibc_takes_both_thresholds() {
    let expected = cfg!(all(target_os = "linux", target_env = "gnu"));
    assert_eq!(keep_freed_memory(), expected);
    // A second call (the facade makes one per CPU job) is as good as the first.
    assert_eq!(keep_freed_memory(), expected);
}

/// The process's minor page faults so far (field 10 of /proc/self/stat).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    after_name.split_whitespace().nth(7).unwrap().parse().unwrap()
}

/// After the setting, a large block freed and allocated again is still mapped: filling it again
/// takes (almost) no page faults, where glibc's defaults give one per 4 KiB page again. This is
/// the reuse that saves a training step its page faults.
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn a_freed_large_block_comes_back_without_page_faults() {
    keep_freed_memory();
    let size = 16 << 20;
    let pages = size as u64 / 4096;
    let fill = |value: u8| {
        let block = vec![value; size];
        std::hint::black_box(&block);
    };
    let before = minor_faults();
    fill(1);
    let first = minor_faults() - before;
    fill(2);
    let second = minor_faults() - before - first;
    assert!(first >= pages / 2, "the first fill should fault its pages in ({first} faults for {pages} pages)");
    assert!(second < pages / 10, "the second fill took {second} page faults for {pages} pages: the block was unmapped");
}

/// `ATTGAN_KEEP_FREED_MEMORY=0` declines the setting; anything else, or nothing, keeps it.
#[test]
fn the_environment_can_decline_the_setting() {
    const VAR: &str = "ATTGAN_KEEP_FREED_MEMORY";
    // SAFETY: no other test of this binary reads or writes this variable.
    let set = |value: Option<&str>| unsafe {
        match value {
            Some(v) => std::env::set_var(VAR, v),
            None => std::env::remove_var(VAR),
        }
    };
    let before = std::env::var(VAR).ok();
    set(Some("0"));
    assert!(!wanted());
    set(Some("1"));
    assert!(wanted());
    set(None);
    assert!(wanted());
    set(before.as_deref());
}
