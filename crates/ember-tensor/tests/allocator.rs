//! The caching allocator: a loop that allocates the same shapes every step stops faulting pages
//! after its first step. (A file of its own: page faults are per process, and other tests
//! running in parallel threads would add theirs.)

use ember_tensor::{Array, DType};

/// Minor page faults of this process so far (field 10 of /proc/self/stat).
#[cfg(target_os = "linux")]
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // The command name (field 2) may contain spaces; fields after its closing paren are fixed.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    rest.split_whitespace().nth(7).unwrap().parse().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn a_repeated_step_faults_no_pages_after_the_first() {
    let n = 4 << 20; // 16 MiB per f32 array: far above any malloc free-list size.
    let a = Array::full(&[n], 1.5, DType::F32);
    let b = Array::full(&[n], 2.0, DType::F32);
    let step = || {
        let c = a.add(&b);
        let d = c.mul(&a).exp();
        d.sum().item::<f32>()
    };
    let f0 = minor_faults();
    let first = step();
    let f1 = minor_faults();
    let mut again = 0.0;
    for _ in 0..3 {
        again = step();
    }
    let f2 = minor_faults();
    assert_eq!(first, again);
    let (first_faults, later_faults) = (f1 - f0, f2 - f1);
    // The first step faults in its fresh buffers: 16 MiB is 4096 small pages, or 8 huge ones
    // where the kernel grants the allocator's MADV_HUGEPAGE. Later steps reuse cached buffers.
    // Allow a little noise from the test harness and thread stacks.
    assert!(
        first_faults >= 8,
        "first step faulted only {first_faults} pages"
    );
    assert!(
        later_faults < 200,
        "three later steps faulted {later_faults} pages"
    );
    assert!(ember_tensor::cached_bytes() >= 2 * 4 * n);
}
