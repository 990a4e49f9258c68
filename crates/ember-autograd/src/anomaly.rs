//! Anomaly mode: every gradient a backward function returns is checked for NaN and infinity,
//! and the error names the op and the user's line that recorded it.
//!
//! Creation sites are recorded for every node whatever the mode (one pointer per node, from
//! `#[track_caller]`), so turning anomaly mode on costs only the checks.

use std::sync::atomic::{AtomicUsize, Ordering};

// A count, not a flag: nested guards on several threads compose.
static ANOMALY: AtomicUsize = AtomicUsize::new(0);
static FORCED: AtomicUsize = AtomicUsize::new(0);

/// Turns anomaly detection on or off for the whole process (`torch.autograd.set_detect_anomaly`).
///
/// ```should_panic
/// use ember_autograd::{autograd, Tensor};
/// autograd::detect_anomaly(true);
/// let x = Tensor::from([0.0f32]).requires_grad_(true);
/// x.sqrt().backward(); // d sqrt(x) / dx at 0 is infinite: panics naming `sqrt` and this line
/// ```
pub fn detect_anomaly(enabled: bool) {
    FORCED.store(enabled as usize, Ordering::Relaxed);
}

/// True when anomaly detection is on (by [`detect_anomaly`] or a live [`AnomalyGuard`]).
///
/// ```
/// assert!(!ember_autograd::autograd::is_anomaly_enabled());
/// ```
pub fn is_anomaly_enabled() -> bool {
    FORCED.load(Ordering::Relaxed) > 0 || ANOMALY.load(Ordering::Relaxed) > 0
}

/// Anomaly detection while the guard lives (`with torch.autograd.detect_anomaly():`).
///
/// ```
/// use ember_autograd::autograd::{AnomalyGuard, is_anomaly_enabled};
/// {
///     let _g = AnomalyGuard::new();
///     assert!(is_anomaly_enabled());
/// }
/// ```
#[must_use = "anomaly mode ends when the guard is dropped"]
pub struct AnomalyGuard(());

impl AnomalyGuard {
    /// Turns anomaly detection on until the guard is dropped.
    #[allow(clippy::new_without_default)]
    pub fn new() -> AnomalyGuard {
        ANOMALY.fetch_add(1, Ordering::Relaxed);
        AnomalyGuard(())
    }
}

impl Drop for AnomalyGuard {
    fn drop(&mut self) {
        ANOMALY.fetch_sub(1, Ordering::Relaxed);
    }
}
