//! [`Adam`] (`torch.optim.Adam`), and the update rule [`AdamW`](crate::AdamW) shares.

use ember_autograd::Tensor;

use crate::optimizer::{Optimizer, OptimizerBase};
use crate::param_group::{Hyper, IntoParamGroups, ParamGroup};
use crate::state::{StateExt as _, StateValue};
use crate::util::{check_betas, check_lr, check_nonneg, effective_grad, options, zeros_like};

/// Hyper-parameters of [`Adam`]; the defaults are PyTorch's.
///
/// ```
/// let o = ember_optim::AdamOptions::default();
/// assert_eq!((o.lr, o.betas, o.eps), (1e-3, (0.9, 0.999), 1e-8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamOptions {
    /// Learning rate (1e-3).
    pub lr: f64,
    /// Decay rates of the first and second moment averages ((0.9, 0.999)).
    pub betas: (f64, f64),
    /// Added to the denominator for stability (1e-8).
    pub eps: f64,
    /// Weight decay (0): an L2 penalty added to the gradient, or, with
    /// `decoupled_weight_decay`, a shrink of the parameter (AdamW).
    pub weight_decay: f64,
    /// AMSGrad: normalise by the running maximum of the second moment (false).
    pub amsgrad: bool,
    /// Maximize the objective (false).
    pub maximize: bool,
    /// Decoupled weight decay, i.e. AdamW (false).
    pub decoupled_weight_decay: bool,
}

impl Default for AdamOptions {
    fn default() -> AdamOptions {
        AdamOptions {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            maximize: false,
            decoupled_weight_decay: false,
        }
    }
}

/// Adam (`torch.optim.Adam`), PyTorch's formulation:
///
/// ```text
/// t += 1;  g = ±grad (+ weight_decay * p, or p *= 1 - lr * weight_decay when decoupled)
/// m = lerp(m, g, 1 - β1);  v = β2 v + (1 - β2) g²;  (amsgrad: v_max = max(v_max, v))
/// p -= lr / (1 - β1^t) * m / (sqrt(v or v_max) / sqrt(1 - β2^t) + eps)
/// ```
/// State per parameter: `step`, `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` with amsgrad.
///
/// ```
/// use ember_optim::{Adam, AdamOptions, Optimizer};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f64]).requires_grad_(true);
/// let mut opt = Adam::new(vec![w.clone()], AdamOptions { lr: 0.1, ..Default::default() });
/// w.mul(&w).sum().backward();
/// opt.step();
/// assert!((w.item::<f64>() - 0.9).abs() < 1e-6); // Adam's first step moves by about lr
/// ```
#[derive(Clone)]
pub struct Adam {
    base: OptimizerBase,
}

pub(crate) fn check_adam(name: &str, g: &ParamGroup) -> Result<(), String> {
    check_lr(name, g)?;
    check_nonneg(name, "epsilon value", g.get_f64("eps"))?;
    check_betas(name, g)?;
    check_nonneg(name, "weight_decay value", g.get_f64("weight_decay"))?;
    g.get_bool("amsgrad");
    g.get_bool("maximize");
    g.get_bool("decoupled_weight_decay");
    Ok(())
}

fn check(g: &ParamGroup) -> Result<(), String> {
    check_adam("Adam", g)
}

pub(crate) fn adam_defaults(o: &AdamOptions) -> crate::Options {
    options(&[
        ("betas", Hyper::Pair(o.betas.0, o.betas.1)),
        ("eps", Hyper::Float(o.eps)),
        ("weight_decay", Hyper::Float(o.weight_decay)),
        ("amsgrad", Hyper::Bool(o.amsgrad)),
        ("maximize", Hyper::Bool(o.maximize)),
        (
            "decoupled_weight_decay",
            Hyper::Bool(o.decoupled_weight_decay),
        ),
    ])
}

impl Adam {
    /// Adam over `params` (tensors, or [`ParamGroup`]s with their own hyper-parameters).
    ///
    /// # Panics
    /// On an empty parameter list, a parameter in two groups, a negative `lr`, `eps` or
    /// `weight_decay`, or a beta outside `[0, 1)`.
    ///
    /// ```
    /// use ember_optim::{Adam, AdamOptions, Optimizer};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = Adam::new(vec![w], AdamOptions { amsgrad: true, ..Default::default() });
    /// assert!(opt.param_groups()[0].get_bool("amsgrad"));
    /// ```
    #[track_caller]
    pub fn new(params: impl IntoParamGroups, opts: AdamOptions) -> Adam {
        Adam {
            base: OptimizerBase::new("Adam", params, opts.lr, adam_defaults(&opts), check),
        }
    }
}

/// One Adam/AdamW step over every group of `base`.
pub(crate) fn adam_step(base: &mut OptimizerBase) {
    let (groups, states) = base.groups_and_state();
    for group in groups {
        let lr = group.lr;
        let (beta1, beta2) = group.get_pair("betas");
        let eps = group.get_f64("eps");
        let wd = group.get_f64("weight_decay");
        let amsgrad = group.get_bool("amsgrad");
        let maximize = group.get_bool("maximize");
        let decoupled = group.get_bool("decoupled_weight_decay");
        for p in &group.params {
            let Some(g) = p.grad() else { continue };
            let st = states.get_or_insert(p);
            if st.is_empty() {
                st.set_number("step", 0.0);
                st.insert("exp_avg".into(), StateValue::Tensor(zeros_like(p)));
                st.insert("exp_avg_sq".into(), StateValue::Tensor(zeros_like(p)));
                if amsgrad {
                    st.insert("max_exp_avg_sq".into(), StateValue::Tensor(zeros_like(p)));
                }
            }
            let step = st.number("step") + 1.0;
            st.set_number("step", step);
            let pd = p.data();
            if decoupled && wd != 0.0 {
                pd.mul_(1.0 - lr * wd);
            }
            let grad = effective_grad(p, &g, maximize, if decoupled { 0.0 } else { wd });
            let exp_avg = st.tensor("exp_avg").data().clone();
            let exp_avg_sq = st.tensor("exp_avg_sq").data().clone();
            exp_avg.lerp_(&grad, 1.0 - beta1);
            exp_avg_sq.mul_(beta2);
            exp_avg_sq.addcmul_(&grad, &grad, 1.0 - beta2);
            let bias_correction1 = 1.0 - beta1.powf(step);
            let bias_correction2 = 1.0 - beta2.powf(step);
            let step_size = lr / bias_correction1;
            let bias_correction2_sqrt = bias_correction2.powf(0.5);
            let denom = if amsgrad {
                let m = max_sq(st, p);
                m.maximum_(&exp_avg_sq);
                m.sqrt()
            } else {
                exp_avg_sq.sqrt()
            };
            denom.div_(bias_correction2_sqrt);
            denom.add_(eps);
            pd.addcdiv_(&exp_avg, &denom, -step_size);
        }
    }
}

/// The `max_exp_avg_sq` buffer (created when amsgrad was switched on after the first step).
fn max_sq(st: &mut crate::ParamState, p: &Tensor) -> ember_autograd::Array {
    if !st.contains_key("max_exp_avg_sq") {
        st.insert("max_exp_avg_sq".into(), StateValue::Tensor(zeros_like(p)));
    }
    st.tensor("max_exp_avg_sq").data().clone()
}

impl Optimizer for Adam {
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
