//! [`ExponentialLr`] (`torch.optim.lr_scheduler.ExponentialLR`).

use super::{LrScheduler, SchedulerBase, current_lrs};
use crate::optimizer::Optimizer;
use crate::param_group::ParamGroup;

/// Multiplies each group's lr by `gamma` every step (`ExponentialLR`).
///
/// ```
/// use ember_optim::{Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{ExponentialLr, LrScheduler};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
/// let mut s = ExponentialLr::new(&mut opt, 0.5);
/// s.step(&mut opt);
/// s.step(&mut opt);
/// assert_eq!(s.get_last_lr(), &[0.25]);
/// ```
#[derive(Clone, Debug)]
pub struct ExponentialLr {
    base: SchedulerBase,
    gamma: f64,
}

impl ExponentialLr {
    /// An `ExponentialLR` on `optimizer`; the lr for epoch 0 is the group's lr.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{ExponentialLr, LrScheduler};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// assert_eq!(ExponentialLr::new(&mut opt, 0.9).get_last_lr(), &[0.1]);
    /// ```
    pub fn new(optimizer: &mut dyn Optimizer, gamma: f64) -> ExponentialLr {
        let mut s = ExponentialLr {
            base: SchedulerBase::new(optimizer),
            gamma,
        };
        s.initial_step(optimizer);
        s
    }
}

impl LrScheduler for ExponentialLr {
    fn base(&self) -> &SchedulerBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut SchedulerBase {
        &mut self.base
    }

    fn get_lr(&mut self, groups: &mut [ParamGroup], initial: bool) -> Vec<f64> {
        if initial {
            return current_lrs(groups);
        }
        groups.iter().map(|g| g.lr * self.gamma).collect()
    }

    fn closed_form_lr(&self) -> Option<Vec<f64>> {
        let e = self.base.last_epoch as f64;
        Some(
            self.base
                .base_lrs
                .iter()
                .map(|b| b * self.gamma.powf(e))
                .collect(),
        )
    }
}
