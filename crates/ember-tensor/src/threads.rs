//! How many threads the kernels use.

/// Sets the number of threads used by Ember's kernels (`torch.set_num_threads`).
///
/// Ember runs on rayon's global pool, which can be sized once per process: call this before
/// the first parallel kernel. Later calls cannot resize the pool and are ignored; the return
/// value says whether the size took effect.
///
/// ```
/// ember_tensor::set_num_threads(2);
/// assert!(ember_tensor::get_num_threads() >= 1);
/// ```
pub fn set_num_threads(n: usize) -> bool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n.max(1))
        .build_global()
        .is_ok()
}

/// The number of threads Ember's kernels use (`torch.get_num_threads`).
///
/// ```
/// assert!(ember_tensor::get_num_threads() >= 1);
/// ```
pub fn get_num_threads() -> usize {
    rayon::current_num_threads()
}
