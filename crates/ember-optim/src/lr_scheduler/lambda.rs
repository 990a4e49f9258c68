//! [`LambdaLr`] (`torch.optim.lr_scheduler.LambdaLR`).

use super::{LrScheduler, SchedulerBase};
use crate::optimizer::Optimizer;
use crate::param_group::ParamGroup;

/// A function from the epoch to a factor of the initial lr.
pub type LrLambda = Box<dyn Fn(i64) -> f64 + Send>;

/// Sets each group's lr to its initial lr times `lambda(epoch)` (`LambdaLR`).
///
/// ```
/// use ember_optim::{Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{LambdaLr, LrScheduler};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
/// let mut s = LambdaLr::new(&mut opt, |e| 1.0 / (e as f64 + 1.0));
/// s.step(&mut opt);
/// assert_eq!(s.get_last_lr(), &[0.5]);
/// ```
pub struct LambdaLr {
    base: SchedulerBase,
    lambdas: Vec<LrLambda>,
}

impl LambdaLr {
    /// A `LambdaLR` applying `lambda` to every group.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LambdaLr, LrScheduler};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// let s = LambdaLr::new(&mut opt, |e| 0.9f64.powi(e as i32));
    /// assert_eq!(s.get_last_lr(), &[0.1]);
    /// ```
    pub fn new(
        optimizer: &mut dyn Optimizer,
        lambda: impl Fn(i64) -> f64 + Send + Clone + 'static,
    ) -> LambdaLr {
        let n = optimizer.param_groups().len();
        let lambdas = (0..n)
            .map(|_| Box::new(lambda.clone()) as LrLambda)
            .collect();
        LambdaLr::per_group(optimizer, lambdas)
    }

    /// A `LambdaLR` with one function per group.
    ///
    /// # Panics
    /// If the number of functions differs from the number of groups.
    ///
    /// ```
    /// use ember_optim::{ParamGroup, Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LambdaLr, LrLambda, LrScheduler};
    /// use ember_autograd::Tensor;
    /// let a = Tensor::from([1.0f32]).requires_grad_(true);
    /// let b = Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![ParamGroup::new(vec![a]), ParamGroup::new(vec![b])],
    ///                        SgdOptions { lr: 1.0, ..Default::default() });
    /// let fs: Vec<LrLambda> = vec![Box::new(|_| 1.0), Box::new(|e| 0.5f64.powi(e as i32))];
    /// let mut s = LambdaLr::per_group(&mut opt, fs);
    /// s.step(&mut opt);
    /// assert_eq!(s.get_last_lr(), &[1.0, 0.5]);
    /// ```
    #[track_caller]
    pub fn per_group(optimizer: &mut dyn Optimizer, lambdas: Vec<LrLambda>) -> LambdaLr {
        let n = optimizer.param_groups().len();
        assert!(
            lambdas.len() == n,
            "LambdaLR: expected {n} lr_lambdas (one per parameter group), but got {}",
            lambdas.len()
        );
        let mut s = LambdaLr {
            base: SchedulerBase::new(optimizer),
            lambdas,
        };
        s.initial_step(optimizer);
        s
    }
}

impl LrScheduler for LambdaLr {
    fn base(&self) -> &SchedulerBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut SchedulerBase {
        &mut self.base
    }

    fn get_lr(&mut self, _groups: &mut [ParamGroup], _initial: bool) -> Vec<f64> {
        let e = self.base.last_epoch;
        self.lambdas
            .iter()
            .zip(&self.base.base_lrs)
            .map(|(f, b)| b * f(e))
            .collect()
    }
}
