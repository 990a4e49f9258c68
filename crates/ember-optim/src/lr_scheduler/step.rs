//! [`StepLr`] (`torch.optim.lr_scheduler.StepLR`).

use super::{LrScheduler, SchedulerBase, current_lrs};
use crate::optimizer::Optimizer;
use crate::param_group::ParamGroup;

/// Multiplies each group's lr by `gamma` every `step_size` steps (`StepLR`).
///
/// ```
/// use ember_optim::{Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
/// let mut s = StepLr::new(&mut opt, 2, 0.5);
/// let mut lrs = vec![];
/// for _ in 0..5 {
///     s.step(&mut opt);
///     lrs.push(s.get_last_lr()[0]);
/// }
/// assert_eq!(lrs, vec![1.0, 0.5, 0.5, 0.25, 0.25]);
/// ```
#[derive(Clone, Debug)]
pub struct StepLr {
    base: SchedulerBase,
    step_size: i64,
    gamma: f64,
}

impl StepLr {
    /// A `StepLR` on `optimizer`; sets the lr for epoch 0.
    ///
    /// # Panics
    /// If `step_size` is not positive.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// assert_eq!(StepLr::new(&mut opt, 30, 0.1).get_last_lr(), &[0.1]);
    /// ```
    #[track_caller]
    pub fn new(optimizer: &mut dyn Optimizer, step_size: i64, gamma: f64) -> StepLr {
        assert!(
            step_size > 0,
            "StepLR: step_size must be positive, got {step_size}"
        );
        let mut s = StepLr {
            base: SchedulerBase::new(optimizer),
            step_size,
            gamma,
        };
        s.initial_step(optimizer);
        s
    }
}

impl LrScheduler for StepLr {
    fn base(&self) -> &SchedulerBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut SchedulerBase {
        &mut self.base
    }

    fn get_lr(&mut self, groups: &mut [ParamGroup], _initial: bool) -> Vec<f64> {
        let e = self.base.last_epoch;
        if e == 0 || e % self.step_size != 0 {
            return current_lrs(groups);
        }
        groups.iter().map(|g| g.lr * self.gamma).collect()
    }

    fn closed_form_lr(&self) -> Option<Vec<f64>> {
        let k = self.base.last_epoch.div_euclid(self.step_size);
        Some(
            self.base
                .base_lrs
                .iter()
                .map(|b| b * self.gamma.powf(k as f64))
                .collect(),
        )
    }
}
