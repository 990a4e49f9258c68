//! How many threads the kernels use, and the pool they run on.
//!
//! Ember's kernels run on rayon's global pool. When the pool is created on the program's main
//! thread (by [`set_num_threads`] or by the first parallel kernel), the main thread is made one
//! of the pool's threads, as OpenMP's master thread is for PyTorch: a parallel kernel called
//! from the main thread then runs its first share on that thread and hands the rest to the
//! other workers, instead of queueing all of it and blocking until a worker wakes up to take
//! it (tens of microseconds on virtual machines, per call). With `n` threads there are `n - 1`
//! rayon workers, so work sent from other threads still always has a thread to run on; with
//! one thread the pool is an ordinary one-worker pool.

use std::sync::Once;

static POOL: Once = Once::new();

/// The thread count when none is set: `RAYON_NUM_THREADS` if set, else the available cores.
fn default_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Builds the global pool with `n` threads once; false when it already existed (built by this
/// module or by rayon itself).
fn build(n: usize) -> bool {
    let mut ok = false;
    POOL.call_once(|| {
        let n = n.max(1);
        let mut b = rayon::ThreadPoolBuilder::new().num_threads(n);
        if n >= 2 && std::thread::current().name() == Some("main") {
            b = b.use_current_thread();
        }
        ok = b.build_global().is_ok();
    });
    ok
}

/// The number of threads of the pool the kernels run on, creating the global pool first if
/// nothing has (what every kernel asks before splitting work).
#[inline]
pub(crate) fn num_threads() -> usize {
    if !POOL.is_completed() {
        build(default_threads());
    }
    rayon::current_num_threads()
}

/// Sets the number of threads used by Ember's kernels (`torch.set_num_threads`).
///
/// Ember runs on rayon's global pool, which can be sized once per process: call this before
/// the first parallel kernel. Later calls cannot resize the pool and are ignored; the return
/// value says whether the size took effect. Called on the main thread with `n ≥ 2`, the main
/// thread becomes one of the `n` threads (see the module notes).
///
/// ```
/// ember_tensor::set_num_threads(2);
/// assert!(ember_tensor::get_num_threads() >= 1);
/// ```
pub fn set_num_threads(n: usize) -> bool {
    build(n)
}

/// The number of threads Ember's kernels use (`torch.get_num_threads`).
///
/// ```
/// assert!(ember_tensor::get_num_threads() >= 1);
/// ```
pub fn get_num_threads() -> usize {
    num_threads()
}
