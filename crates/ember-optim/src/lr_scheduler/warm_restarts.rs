//! [`CosineAnnealingWarmRestarts`] (`torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`).

use std::collections::BTreeMap;
use std::f64::consts::PI;

use super::{LrScheduler, SchedulerBase, apply_lrs, extra_f64};
use crate::optimizer::Optimizer;
use crate::param_group::ParamGroup;
use crate::state::StateDictError;

/// Cosine annealing from the initial lr to `eta_min` over `t_0` steps, then a restart, each
/// period `t_mult` times longer than the last (SGDR; `CosineAnnealingWarmRestarts`).
///
/// ```
/// use ember_optim::{Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{CosineAnnealingWarmRestarts, LrScheduler};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
/// let mut s = CosineAnnealingWarmRestarts::new(&mut opt, 2, 1, 0.0);
/// s.step(&mut opt);
/// assert!((s.get_last_lr()[0] - 0.5).abs() < 1e-12);
/// s.step(&mut opt); // restart
/// assert_eq!(s.get_last_lr(), &[1.0]);
/// ```
#[derive(Clone, Debug)]
pub struct CosineAnnealingWarmRestarts {
    base: SchedulerBase,
    t_0: i64,
    t_i: i64,
    t_mult: i64,
    eta_min: f64,
    t_cur: i64,
}

impl CosineAnnealingWarmRestarts {
    /// SGDR on `optimizer`: first period `t_0`, growth factor `t_mult`, floor `eta_min`.
    ///
    /// # Panics
    /// If `t_0 < 1` or `t_mult < 1`.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{CosineAnnealingWarmRestarts, LrScheduler};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// assert_eq!(CosineAnnealingWarmRestarts::new(&mut opt, 10, 2, 0.0).get_last_lr(), &[0.1]);
    /// ```
    #[track_caller]
    pub fn new(
        optimizer: &mut dyn Optimizer,
        t_0: i64,
        t_mult: i64,
        eta_min: f64,
    ) -> CosineAnnealingWarmRestarts {
        assert!(
            t_0 > 0,
            "CosineAnnealingWarmRestarts: expected positive integer T_0, but got {t_0}"
        );
        assert!(
            t_mult >= 1,
            "CosineAnnealingWarmRestarts: expected integer T_mult >= 1, but got {t_mult}"
        );
        let mut s = CosineAnnealingWarmRestarts {
            base: SchedulerBase::new(optimizer),
            t_0,
            t_i: t_0,
            t_mult,
            eta_min,
            t_cur: -1,
        };
        s.initial_step(optimizer);
        s
    }
}

impl LrScheduler for CosineAnnealingWarmRestarts {
    fn base(&self) -> &SchedulerBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut SchedulerBase {
        &mut self.base
    }

    fn get_lr(&mut self, _groups: &mut [ParamGroup], _initial: bool) -> Vec<f64> {
        let (tc, ti) = (self.t_cur as f64, self.t_i as f64);
        self.base
            .base_lrs
            .iter()
            .map(|b| self.eta_min + (b - self.eta_min) * (1.0 + (PI * tc / ti).cos()) / 2.0)
            .collect()
    }

    fn step_impl(&mut self, optimizer: &mut dyn Optimizer, initial: bool) {
        let epoch = if self.base.last_epoch < 0 {
            self.t_i = self.t_0;
            self.t_cur = 0;
            0
        } else {
            self.t_cur += 1;
            if self.t_cur >= self.t_i {
                self.t_cur %= self.t_i;
                self.t_i *= self.t_mult;
            }
            self.base.last_epoch + 1
        };
        self.base.last_epoch = epoch;
        let values = self.get_lr(optimizer.param_groups_mut(), initial);
        apply_lrs(&mut self.base, optimizer, values);
    }

    fn extra_state(&self) -> BTreeMap<String, f64> {
        BTreeMap::from([
            ("T_cur".to_string(), self.t_cur as f64),
            ("T_i".to_string(), self.t_i as f64),
        ])
    }

    fn load_extra_state(&mut self, extra: &BTreeMap<String, f64>) -> Result<(), StateDictError> {
        self.t_cur = extra_f64(extra, "T_cur")? as i64;
        self.t_i = extra_f64(extra, "T_i")? as i64;
        Ok(())
    }
}
