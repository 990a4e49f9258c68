//! Grad mode: whether ops record the graph. Thread-local, like PyTorch's.
//!
//! Inside [`no_grad`] (a closure) or while a [`NoGradGuard`] lives, ops on tensors that require
//! grad produce results that do not, and no graph is built: evaluation loops and optimizer
//! updates run at the cost of the plain array ops.

use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// True when ops on this thread record the graph (the default).
///
/// ```
/// use ember_autograd::{is_grad_enabled, no_grad};
/// assert!(is_grad_enabled());
/// no_grad(|| assert!(!is_grad_enabled()));
/// ```
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Turns graph recording on or off for this thread until changed again
/// (`torch.set_grad_enabled`). Prefer the guards, which restore the previous mode.
///
/// ```
/// use ember_autograd::{is_grad_enabled, set_grad_enabled};
/// set_grad_enabled(false);
/// assert!(!is_grad_enabled());
/// set_grad_enabled(true);
/// ```
pub fn set_grad_enabled(enabled: bool) {
    GRAD_ENABLED.with(|g| g.set(enabled));
}

/// Restores the previous grad mode when dropped. Made by [`NoGradGuard::new`],
/// [`EnableGradGuard::new`] or [`GradModeGuard::new`].
#[must_use = "the mode is restored when the guard is dropped"]
pub struct GradModeGuard {
    prev: bool,
}

impl GradModeGuard {
    /// Sets grad mode to `enabled` until the guard is dropped.
    ///
    /// ```
    /// use ember_autograd::{is_grad_enabled, GradModeGuard};
    /// {
    ///     let _g = GradModeGuard::new(false);
    ///     assert!(!is_grad_enabled());
    /// }
    /// assert!(is_grad_enabled());
    /// ```
    pub fn new(enabled: bool) -> GradModeGuard {
        let prev = is_grad_enabled();
        set_grad_enabled(enabled);
        GradModeGuard { prev }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.prev);
    }
}

/// `torch.no_grad()` as a guard: no graph is recorded while it lives.
///
/// ```
/// use ember_autograd::{NoGradGuard, Tensor};
/// let w = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
/// let _g = NoGradGuard::new();
/// assert!(!w.mul(&w).requires_grad());
/// ```
pub struct NoGradGuard;

impl NoGradGuard {
    /// Disables grad mode until the returned guard is dropped.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> GradModeGuard {
        GradModeGuard::new(false)
    }
}

/// `torch.enable_grad()` as a guard: records the graph even inside a no-grad region.
///
/// ```
/// use ember_autograd::{no_grad, EnableGradGuard, is_grad_enabled};
/// no_grad(|| {
///     let _g = EnableGradGuard::new();
///     assert!(is_grad_enabled());
/// });
/// ```
pub struct EnableGradGuard;

impl EnableGradGuard {
    /// Enables grad mode until the returned guard is dropped.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> GradModeGuard {
        GradModeGuard::new(true)
    }
}

/// Runs `f` with grad mode off (`with torch.no_grad():`) and returns its result.
///
/// ```
/// use ember_autograd::{no_grad, Tensor};
/// let w = Tensor::from([3.0f32]).requires_grad_(true);
/// let y = no_grad(|| w.mul(&w));
/// assert!(!y.requires_grad());
/// assert_eq!(y.item::<f32>(), 9.0);
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _g = GradModeGuard::new(false);
    f()
}

/// Runs `f` with grad mode on (`with torch.enable_grad():`).
///
/// ```
/// use ember_autograd::{enable_grad, no_grad, Tensor};
/// let w = Tensor::from([3.0f32]).requires_grad_(true);
/// let y = no_grad(|| enable_grad(|| w.mul(&w)));
/// assert!(y.requires_grad());
/// ```
pub fn enable_grad<R>(f: impl FnOnce() -> R) -> R {
    let _g = GradModeGuard::new(true);
    f()
}

/// `torch.inference_mode()`: in Ember the same as [`no_grad`]. Tensors carry no view or version
/// bookkeeping that inference mode could skip (the version counter lives in level-1 storage and
/// costs one atomic add per in-place write), so a separate mode would buy nothing measurable.
///
/// ```
/// use ember_autograd::{inference_mode, Tensor};
/// let w = Tensor::from([1.0f32]).requires_grad_(true);
/// assert!(!inference_mode(|| w.exp()).requires_grad());
/// ```
pub fn inference_mode<R>(f: impl FnOnce() -> R) -> R {
    no_grad(f)
}
