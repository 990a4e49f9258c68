//! [`CosineAnnealingLr`] (`torch.optim.lr_scheduler.CosineAnnealingLR`).

use std::f64::consts::PI;

use super::{LrScheduler, SchedulerBase, current_lrs};
use crate::optimizer::Optimizer;
use crate::param_group::ParamGroup;

/// Cosine annealing from each group's initial lr down to `eta_min` over `t_max` steps
/// (`CosineAnnealingLR`), with PyTorch's recursive formula (so it composes with other changes
/// to the lr, and its numbers are PyTorch's bit for bit); past `t_max` it rises again.
///
/// ```
/// use ember_optim::{Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{CosineAnnealingLr, LrScheduler};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
/// let mut s = CosineAnnealingLr::new(&mut opt, 4, 0.0);
/// s.step(&mut opt);
/// s.step(&mut opt);
/// assert!((s.get_last_lr()[0] - 0.5).abs() < 1e-12); // half way
/// ```
#[derive(Clone, Debug)]
pub struct CosineAnnealingLr {
    base: SchedulerBase,
    t_max: i64,
    eta_min: f64,
}

impl CosineAnnealingLr {
    /// A `CosineAnnealingLR` on `optimizer` with period `t_max` and floor `eta_min`.
    ///
    /// # Panics
    /// If `t_max` is not positive.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{CosineAnnealingLr, LrScheduler};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// assert_eq!(CosineAnnealingLr::new(&mut opt, 100, 1e-5).get_last_lr(), &[0.1]);
    /// ```
    #[track_caller]
    pub fn new(optimizer: &mut dyn Optimizer, t_max: i64, eta_min: f64) -> CosineAnnealingLr {
        assert!(
            t_max > 0,
            "CosineAnnealingLR: T_max must be positive, got {t_max}"
        );
        let mut s = CosineAnnealingLr {
            base: SchedulerBase::new(optimizer),
            t_max,
            eta_min,
        };
        s.initial_step(optimizer);
        s
    }
}

impl LrScheduler for CosineAnnealingLr {
    fn base(&self) -> &SchedulerBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut SchedulerBase {
        &mut self.base
    }

    fn get_lr(&mut self, groups: &mut [ParamGroup], initial: bool) -> Vec<f64> {
        let e = self.base.last_epoch;
        let (t_max, eta_min) = (self.t_max as f64, self.eta_min);
        if initial {
            return current_lrs(groups);
        }
        if self.base.step_count == 1 && e > 0 {
            return self
                .base
                .base_lrs
                .iter()
                .map(|b| eta_min + (b - eta_min) * (1.0 + ((e as f64) * PI / t_max).cos()) / 2.0)
                .collect();
        }
        if (e - 1 - self.t_max).rem_euclid(2 * self.t_max) == 0 {
            return groups
                .iter()
                .zip(&self.base.base_lrs)
                .map(|(g, b)| g.lr + (b - eta_min) * (1.0 - (PI / t_max).cos()) / 2.0)
                .collect();
        }
        let e = e as f64;
        groups
            .iter()
            .map(|g| {
                (1.0 + (PI * e / t_max).cos()) / (1.0 + (PI * (e - 1.0) / t_max).cos())
                    * (g.lr - eta_min)
                    + eta_min
            })
            .collect()
    }

    fn closed_form_lr(&self) -> Option<Vec<f64>> {
        let (e, t_max, eta_min) = (self.base.last_epoch as f64, self.t_max as f64, self.eta_min);
        Some(
            self.base
                .base_lrs
                .iter()
                .map(|b| eta_min + (b - eta_min) * (1.0 + (PI * e / t_max).cos()) / 2.0)
                .collect(),
        )
    }
}
