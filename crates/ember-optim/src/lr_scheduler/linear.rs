//! [`LinearLr`] (`torch.optim.lr_scheduler.LinearLR`).

use super::{LrScheduler, SchedulerBase, current_lrs};
use crate::optimizer::Optimizer;
use crate::param_group::ParamGroup;

/// Scales each group's lr by a factor going linearly from `start_factor` to `end_factor`
/// over `total_iters` steps (`LinearLR`, the usual warm-up), with PyTorch's recursive formula.
///
/// ```
/// use ember_optim::{Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{LinearLr, LrScheduler};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
/// let mut s = LinearLr::new(&mut opt, 0.25, 1.0, 3);
/// let mut lrs = vec![s.get_last_lr()[0]];
/// for _ in 0..4 {
///     s.step(&mut opt);
///     lrs.push(s.get_last_lr()[0]);
/// }
/// assert_eq!(lrs, vec![0.25, 0.5, 0.75, 1.0, 1.0]);
/// ```
#[derive(Clone, Debug)]
pub struct LinearLr {
    base: SchedulerBase,
    start_factor: f64,
    end_factor: f64,
    total_iters: i64,
}

impl LinearLr {
    /// A `LinearLR` on `optimizer` (PyTorch's defaults: `1/3`, `1.0`, `5`).
    ///
    /// # Panics
    /// If `start_factor` is not in `(0, 1]` or `end_factor` not in `[0, 1]`.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LinearLr, LrScheduler};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.3, ..Default::default() });
    /// let s = LinearLr::new(&mut opt, 1.0 / 3.0, 1.0, 5);
    /// assert!((s.get_last_lr()[0] - 0.1).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn new(
        optimizer: &mut dyn Optimizer,
        start_factor: f64,
        end_factor: f64,
        total_iters: i64,
    ) -> LinearLr {
        assert!(
            start_factor > 0.0 && start_factor <= 1.0,
            "LinearLR: start_factor must be in (0, 1], got {start_factor}"
        );
        assert!(
            (0.0..=1.0).contains(&end_factor),
            "LinearLR: end_factor must be in [0, 1], got {end_factor}"
        );
        let mut s = LinearLr {
            base: SchedulerBase::new(optimizer),
            start_factor,
            end_factor,
            total_iters,
        };
        s.initial_step(optimizer);
        s
    }
}

impl LrScheduler for LinearLr {
    fn base(&self) -> &SchedulerBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut SchedulerBase {
        &mut self.base
    }

    fn get_lr(&mut self, groups: &mut [ParamGroup], initial: bool) -> Vec<f64> {
        let e = self.base.last_epoch;
        let (s, f) = (self.start_factor, self.end_factor);
        if e == 0 {
            return groups.iter().map(|g| g.lr * s).collect();
        }
        if initial || e > self.total_iters {
            return current_lrs(groups);
        }
        let t = self.total_iters as f64;
        let m = 1.0 + (f - s) / (t * s + ((e - 1) as f64) * (f - s));
        groups.iter().map(|g| g.lr * m).collect()
    }

    fn closed_form_lr(&self) -> Option<Vec<f64>> {
        let e = self.base.last_epoch.min(self.total_iters) as f64;
        let (s, f, t) = (self.start_factor, self.end_factor, self.total_iters as f64);
        Some(
            self.base
                .base_lrs
                .iter()
                .map(|b| b * (s + (f - s) * e / t))
                .collect(),
        )
    }
}
