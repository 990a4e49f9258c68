//! [`MultiStepLr`] (`torch.optim.lr_scheduler.MultiStepLR`).

use super::{LrScheduler, SchedulerBase, current_lrs};
use crate::optimizer::Optimizer;
use crate::param_group::ParamGroup;

/// Multiplies each group's lr by `gamma` at each milestone (`MultiStepLR`; a milestone listed
/// twice multiplies by `gamma²`).
///
/// ```
/// use ember_optim::{Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{LrScheduler, MultiStepLr};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
/// let mut s = MultiStepLr::new(&mut opt, &[2, 4], 0.5);
/// let mut lrs = vec![];
/// for _ in 0..5 {
///     s.step(&mut opt);
///     lrs.push(s.get_last_lr()[0]);
/// }
/// assert_eq!(lrs, vec![1.0, 0.5, 0.5, 0.25, 0.25]);
/// ```
#[derive(Clone, Debug)]
pub struct MultiStepLr {
    base: SchedulerBase,
    milestones: Vec<i64>,
    gamma: f64,
}

impl MultiStepLr {
    /// A `MultiStepLR` on `optimizer` with the given milestones (any order); sets the lr for
    /// epoch 0.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, MultiStepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// assert_eq!(MultiStepLr::new(&mut opt, &[30, 80], 0.1).get_last_lr(), &[0.1]);
    /// ```
    pub fn new(optimizer: &mut dyn Optimizer, milestones: &[i64], gamma: f64) -> MultiStepLr {
        let mut m = milestones.to_vec();
        m.sort_unstable();
        let mut s = MultiStepLr {
            base: SchedulerBase::new(optimizer),
            milestones: m,
            gamma,
        };
        s.initial_step(optimizer);
        s
    }
}

impl LrScheduler for MultiStepLr {
    fn base(&self) -> &SchedulerBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut SchedulerBase {
        &mut self.base
    }

    fn get_lr(&mut self, groups: &mut [ParamGroup], _initial: bool) -> Vec<f64> {
        let e = self.base.last_epoch;
        let count = self.milestones.iter().filter(|&&m| m == e).count();
        if count == 0 {
            return current_lrs(groups);
        }
        let f = self.gamma.powf(count as f64);
        groups.iter().map(|g| g.lr * f).collect()
    }

    fn closed_form_lr(&self) -> Option<Vec<f64>> {
        let e = self.base.last_epoch;
        let k = self.milestones.partition_point(|&m| m <= e); // bisect_right
        Some(
            self.base
                .base_lrs
                .iter()
                .map(|b| b * self.gamma.powf(k as f64))
                .collect(),
        )
    }
}
