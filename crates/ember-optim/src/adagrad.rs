//! [`Adagrad`] (`torch.optim.Adagrad`).

use crate::optimizer::{Optimizer, OptimizerBase};
use crate::param_group::{Hyper, IntoParamGroups, ParamGroup};
use crate::state::{ParamState, StateExt as _, StateValue};
use crate::util::{check_lr, check_nonneg, effective_grad, options};
use ember_autograd::Tensor;

/// Hyper-parameters of [`Adagrad`]; the defaults are PyTorch's.
///
/// ```
/// let o = ember_optim::AdagradOptions::default();
/// assert_eq!((o.lr, o.eps), (1e-2, 1e-10));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdagradOptions {
    /// Learning rate (1e-2).
    pub lr: f64,
    /// Learning-rate decay: step `t` uses `lr / (1 + (t - 1) * lr_decay)` (0).
    pub lr_decay: f64,
    /// L2 penalty (0).
    pub weight_decay: f64,
    /// Starting value of the sum of squared gradients (0).
    pub initial_accumulator_value: f64,
    /// Added to the denominator (1e-10).
    pub eps: f64,
    /// Maximize the objective (false).
    pub maximize: bool,
}

impl Default for AdagradOptions {
    fn default() -> AdagradOptions {
        AdagradOptions {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false,
        }
    }
}

/// Adagrad (`torch.optim.Adagrad`), PyTorch's formulation:
///
/// ```text
/// t += 1;  g = ±grad + weight_decay * p;  clr = lr / (1 + (t - 1) lr_decay)
/// sum += g²;  p -= clr * g / (sqrt(sum) + eps)
/// ```
/// State (created for every parameter at construction, as PyTorch does): `step`, `sum`.
///
/// ```
/// use ember_optim::{Adagrad, AdagradOptions, Optimizer};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f64]).requires_grad_(true);
/// let mut opt = Adagrad::new(vec![w.clone()], AdagradOptions { lr: 0.5, ..Default::default() });
/// w.mul(&w).sum().backward();
/// opt.step(); // first step: g / sqrt(g²) = 1, so w moves by lr
/// assert!((w.item::<f64>() - 0.5).abs() < 1e-9);
/// ```
#[derive(Clone)]
pub struct Adagrad {
    base: OptimizerBase,
}

fn check(g: &ParamGroup) -> Result<(), String> {
    check_lr("Adagrad", g)?;
    check_nonneg("Adagrad", "lr_decay value", g.get_f64("lr_decay"))?;
    check_nonneg("Adagrad", "weight_decay value", g.get_f64("weight_decay"))?;
    check_nonneg(
        "Adagrad",
        "initial_accumulator_value",
        g.get_f64("initial_accumulator_value"),
    )?;
    check_nonneg("Adagrad", "epsilon value", g.get_f64("eps"))?;
    g.get_bool("maximize");
    Ok(())
}

fn init_state(p: &Tensor, init: f64) -> ParamState {
    let mut st = ParamState::new();
    st.set_number("step", 0.0);
    st.insert(
        "sum".into(),
        StateValue::Tensor(Tensor::full(p.shape(), init, p.dtype())),
    );
    st
}

impl Adagrad {
    /// Adagrad over `params` (tensors, or [`ParamGroup`]s).
    ///
    /// # Panics
    /// On an empty parameter list, a parameter in two groups, or a negative hyper-parameter.
    ///
    /// ```
    /// use ember_optim::{Adagrad, AdagradOptions, Optimizer};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = Adagrad::new(vec![w.clone()], AdagradOptions { initial_accumulator_value: 0.1, ..Default::default() });
    /// assert!(opt.state(&w).is_some()); // state exists before the first step
    /// ```
    #[track_caller]
    pub fn new(params: impl IntoParamGroups, opts: AdagradOptions) -> Adagrad {
        let defaults = options(&[
            ("lr_decay", Hyper::Float(opts.lr_decay)),
            ("weight_decay", Hyper::Float(opts.weight_decay)),
            (
                "initial_accumulator_value",
                Hyper::Float(opts.initial_accumulator_value),
            ),
            ("eps", Hyper::Float(opts.eps)),
            ("maximize", Hyper::Bool(opts.maximize)),
        ]);
        let mut base = OptimizerBase::new("Adagrad", params, opts.lr, defaults, check);
        let (groups, states) = base.groups_and_state();
        for g in groups {
            let init = g.get_f64("initial_accumulator_value");
            for p in &g.params {
                states.insert(p, init_state(p, init));
            }
        }
        Adagrad { base }
    }
}

impl Optimizer for Adagrad {
    fn base(&self) -> &OptimizerBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut OptimizerBase {
        &mut self.base
    }

    fn step(&mut self) {
        let (groups, states) = self.base.groups_and_state();
        for group in groups {
            let lr = group.lr;
            let lr_decay = group.get_f64("lr_decay");
            let wd = group.get_f64("weight_decay");
            let eps = group.get_f64("eps");
            let maximize = group.get_bool("maximize");
            for p in &group.params {
                let Some(g) = p.grad() else { continue };
                let st = states.get_or_insert(p);
                if st.is_empty() {
                    *st = init_state(p, group.get_f64("initial_accumulator_value"));
                }
                let step = st.number("step") + 1.0;
                st.set_number("step", step);
                let grad = effective_grad(p, &g, maximize, wd);
                let clr = lr / (1.0 + (step - 1.0) * lr_decay);
                let sum = st.tensor("sum").data();
                sum.addcmul_(&grad, &grad, 1.0);
                let std = sum.sqrt();
                std.add_(eps);
                p.data().addcdiv_(&grad, &std, -clr);
            }
        }
    }
}
