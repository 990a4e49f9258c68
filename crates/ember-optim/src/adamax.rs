//! [`Adamax`] (`torch.optim.Adamax`): Adam with the infinity norm.

use crate::optimizer::{Optimizer, OptimizerBase};
use crate::param_group::{Hyper, IntoParamGroups, ParamGroup};
use crate::state::{StateExt as _, StateValue};
use crate::util::{check_betas, check_lr, check_nonneg, effective_grad, options, zeros_like};

/// Hyper-parameters of [`Adamax`]; the defaults are PyTorch's.
///
/// ```
/// let o = ember_optim::AdamaxOptions::default();
/// assert_eq!((o.lr, o.betas), (2e-3, (0.9, 0.999)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamaxOptions {
    /// Learning rate (2e-3).
    pub lr: f64,
    /// Decay rates of the first moment and the infinity norm ((0.9, 0.999)).
    pub betas: (f64, f64),
    /// Added to `|g|` (1e-8).
    pub eps: f64,
    /// L2 penalty (0).
    pub weight_decay: f64,
    /// Maximize the objective (false).
    pub maximize: bool,
}

impl Default for AdamaxOptions {
    fn default() -> AdamaxOptions {
        AdamaxOptions {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

/// Adamax (`torch.optim.Adamax`), PyTorch's formulation:
///
/// ```text
/// t += 1;  g = ±grad + weight_decay * p;  m = lerp(m, g, 1 - β1)
/// u = max(β2 u, |g| + eps);  p -= lr / (1 - β1^t) * m / u
/// ```
/// State: `step`, `exp_avg`, `exp_inf`.
///
/// ```
/// use ember_optim::{Adamax, AdamaxOptions, Optimizer};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f64]).requires_grad_(true);
/// let mut opt = Adamax::new(vec![w.clone()], AdamaxOptions { lr: 0.1, ..Default::default() });
/// w.mul(&w).sum().backward();
/// opt.step();
/// assert!((w.item::<f64>() - 0.9).abs() < 1e-6);
/// ```
#[derive(Clone)]
pub struct Adamax {
    base: OptimizerBase,
}

fn check(g: &ParamGroup) -> Result<(), String> {
    check_lr("Adamax", g)?;
    check_nonneg("Adamax", "epsilon value", g.get_f64("eps"))?;
    check_betas("Adamax", g)?;
    check_nonneg("Adamax", "weight_decay value", g.get_f64("weight_decay"))?;
    g.get_bool("maximize");
    Ok(())
}

impl Adamax {
    /// Adamax over `params` (tensors, or [`ParamGroup`]s).
    ///
    /// # Panics
    /// On an empty parameter list, a parameter in two groups, a negative `lr`, `eps` or
    /// `weight_decay`, or a beta outside `[0, 1)`.
    ///
    /// ```
    /// use ember_optim::{Adamax, AdamaxOptions, Optimizer};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = Adamax::new(vec![w], AdamaxOptions::default());
    /// assert_eq!(opt.param_groups()[0].lr, 2e-3);
    /// ```
    #[track_caller]
    pub fn new(params: impl IntoParamGroups, opts: AdamaxOptions) -> Adamax {
        let defaults = options(&[
            ("betas", Hyper::Pair(opts.betas.0, opts.betas.1)),
            ("eps", Hyper::Float(opts.eps)),
            ("weight_decay", Hyper::Float(opts.weight_decay)),
            ("maximize", Hyper::Bool(opts.maximize)),
        ]);
        Adamax {
            base: OptimizerBase::new("Adamax", params, opts.lr, defaults, check),
        }
    }
}

impl Optimizer for Adamax {
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
            let (beta1, beta2) = group.get_pair("betas");
            let eps = group.get_f64("eps");
            let wd = group.get_f64("weight_decay");
            let maximize = group.get_bool("maximize");
            for p in &group.params {
                let Some(g) = p.grad() else { continue };
                let st = states.get_or_insert(p);
                if st.is_empty() {
                    st.set_number("step", 0.0);
                    st.insert("exp_avg".into(), StateValue::Tensor(zeros_like(p)));
                    st.insert("exp_inf".into(), StateValue::Tensor(zeros_like(p)));
                }
                let step = st.number("step") + 1.0;
                st.set_number("step", step);
                let grad = effective_grad(p, &g, maximize, wd);
                let exp_avg = st.tensor("exp_avg").data();
                let exp_inf = st.tensor("exp_inf").data();
                exp_avg.lerp_(&grad, 1.0 - beta1);
                exp_inf.mul_(beta2);
                let norm = grad.abs();
                norm.add_(eps);
                exp_inf.maximum_(&norm);
                let clr = lr / (1.0 - beta1.powf(step));
                p.data().addcdiv_(exp_avg, exp_inf, -clr);
            }
        }
    }
}
