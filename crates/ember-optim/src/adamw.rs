//! [`AdamW`]: Adam with decoupled weight decay (`torch.optim.AdamW`).

use crate::adam::{AdamOptions, adam_defaults, adam_step, check_adam};
use crate::optimizer::{Optimizer, OptimizerBase};
use crate::param_group::{IntoParamGroups, ParamGroup};

/// Hyper-parameters of [`AdamW`]; the defaults are PyTorch's (as Adam's, but
/// `weight_decay = 1e-2`).
///
/// ```
/// let o = ember_optim::AdamWOptions::default();
/// assert_eq!((o.lr, o.weight_decay), (1e-3, 1e-2));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWOptions {
    /// Learning rate (1e-3).
    pub lr: f64,
    /// Decay rates of the moment averages ((0.9, 0.999)).
    pub betas: (f64, f64),
    /// Added to the denominator (1e-8).
    pub eps: f64,
    /// Decoupled weight decay: each step multiplies the parameter by `1 - lr * weight_decay`
    /// (1e-2).
    pub weight_decay: f64,
    /// AMSGrad (false).
    pub amsgrad: bool,
    /// Maximize the objective (false).
    pub maximize: bool,
}

impl Default for AdamWOptions {
    fn default() -> AdamWOptions {
        AdamWOptions {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 1e-2,
            amsgrad: false,
            maximize: false,
        }
    }
}

/// AdamW (`torch.optim.AdamW`): [`Adam`](crate::Adam) whose weight decay shrinks the
/// parameter (`p *= 1 - lr * weight_decay`) before the Adam update instead of adding to the
/// gradient. Same state as Adam.
///
/// ```
/// use ember_optim::{AdamW, AdamWOptions, Optimizer};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f64]).requires_grad_(true);
/// let mut opt = AdamW::new(vec![w.clone()], AdamWOptions { lr: 0.1, weight_decay: 0.5, ..Default::default() });
/// w.set_grad(Some(Tensor::from([0.0f64]))); // no gradient signal: only the decay acts
/// opt.step();
/// assert!((w.item::<f64>() - 0.95).abs() < 1e-12);
/// ```
#[derive(Clone)]
pub struct AdamW {
    base: OptimizerBase,
}

fn check(g: &ParamGroup) -> Result<(), String> {
    check_adam("AdamW", g)
}

impl AdamW {
    /// AdamW over `params` (tensors, or [`ParamGroup`]s).
    ///
    /// # Panics
    /// As [`Adam::new`](crate::Adam::new).
    ///
    /// ```
    /// use ember_optim::{AdamW, AdamWOptions, Optimizer};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = AdamW::new(vec![w], AdamWOptions::default());
    /// assert_eq!(opt.param_groups()[0].get_f64("weight_decay"), 1e-2);
    /// ```
    #[track_caller]
    pub fn new(params: impl IntoParamGroups, opts: AdamWOptions) -> AdamW {
        let o = AdamOptions {
            lr: opts.lr,
            betas: opts.betas,
            eps: opts.eps,
            weight_decay: opts.weight_decay,
            amsgrad: opts.amsgrad,
            maximize: opts.maximize,
            decoupled_weight_decay: true,
        };
        AdamW {
            base: OptimizerBase::new("AdamW", params, o.lr, adam_defaults(&o), check),
        }
    }
}

impl Optimizer for AdamW {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut OptimizerBase {
        &mut self.base
    }

    fn step(&mut self) {
        adam_step(&mut self.base)
    }
}
