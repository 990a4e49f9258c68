//! [`RmsProp`] (`torch.optim.RMSprop`).

use crate::optimizer::{Optimizer, OptimizerBase};
use crate::param_group::{Hyper, IntoParamGroups, ParamGroup};
use crate::state::{StateExt as _, StateValue};
use crate::util::{add_scaled_, check_lr, check_nonneg, effective_grad, options, zeros_like};

/// Hyper-parameters of [`RmsProp`]; the defaults are PyTorch's.
///
/// ```
/// let o = ember_optim::RmsPropOptions::default();
/// assert_eq!((o.lr, o.alpha, o.eps), (1e-2, 0.99, 1e-8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsPropOptions {
    /// Learning rate (1e-2).
    pub lr: f64,
    /// Smoothing constant of the squared-gradient average (0.99).
    pub alpha: f64,
    /// Added to the denominator (1e-8).
    pub eps: f64,
    /// L2 penalty (0).
    pub weight_decay: f64,
    /// Momentum factor (0).
    pub momentum: f64,
    /// Centered RMSprop: normalise by an estimate of the gradient's variance (false).
    pub centered: bool,
    /// Maximize the objective (false).
    pub maximize: bool,
}

impl Default for RmsPropOptions {
    fn default() -> RmsPropOptions {
        RmsPropOptions {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
        }
    }
}

/// RMSprop (`torch.optim.RMSprop`), PyTorch's formulation:
///
/// ```text
/// g = ±grad + weight_decay * p;  v = α v + (1 - α) g²
/// centered: ḡ = lerp(ḡ, g, 1 - α);  avg = sqrt(v - ḡ²) + eps   (else sqrt(v) + eps)
/// momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf   (else p -= lr * g / avg)
/// ```
/// State: `step`, `square_avg`, `momentum_buffer` (momentum > 0), `grad_avg` (centered).
///
/// ```
/// use ember_optim::{Optimizer, RmsProp, RmsPropOptions};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f64]).requires_grad_(true);
/// let mut opt = RmsProp::new(vec![w.clone()], RmsPropOptions { lr: 0.01, ..Default::default() });
/// w.mul(&w).sum().backward();
/// opt.step();
/// assert!(w.item::<f64>() < 1.0);
/// ```
#[derive(Clone)]
pub struct RmsProp {
    base: OptimizerBase,
}

fn check(g: &ParamGroup) -> Result<(), String> {
    check_lr("RMSprop", g)?;
    check_nonneg("RMSprop", "epsilon value", g.get_f64("eps"))?;
    check_nonneg("RMSprop", "momentum value", g.get_f64("momentum"))?;
    check_nonneg("RMSprop", "weight_decay value", g.get_f64("weight_decay"))?;
    check_nonneg("RMSprop", "alpha value", g.get_f64("alpha"))?;
    g.get_bool("centered");
    g.get_bool("maximize");
    Ok(())
}

impl RmsProp {
    /// RMSprop over `params` (tensors, or [`ParamGroup`]s).
    ///
    /// # Panics
    /// On an empty parameter list, a parameter in two groups, or a negative `lr`, `eps`,
    /// `momentum`, `weight_decay` or `alpha`.
    ///
    /// ```
    /// use ember_optim::{Optimizer, RmsProp, RmsPropOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = RmsProp::new(vec![w], RmsPropOptions { centered: true, ..Default::default() });
    /// assert!(opt.param_groups()[0].get_bool("centered"));
    /// ```
    #[track_caller]
    pub fn new(params: impl IntoParamGroups, opts: RmsPropOptions) -> RmsProp {
        let defaults = options(&[
            ("alpha", Hyper::Float(opts.alpha)),
            ("eps", Hyper::Float(opts.eps)),
            ("weight_decay", Hyper::Float(opts.weight_decay)),
            ("momentum", Hyper::Float(opts.momentum)),
            ("centered", Hyper::Bool(opts.centered)),
            ("maximize", Hyper::Bool(opts.maximize)),
        ]);
        RmsProp {
            base: OptimizerBase::new("RMSprop", params, opts.lr, defaults, check),
        }
    }
}

impl Optimizer for RmsProp {
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
            let alpha = group.get_f64("alpha");
            let eps = group.get_f64("eps");
            let wd = group.get_f64("weight_decay");
            let momentum = group.get_f64("momentum");
            let centered = group.get_bool("centered");
            let maximize = group.get_bool("maximize");
            for p in &group.params {
                let Some(g) = p.grad() else { continue };
                let st = states.get_or_insert(p);
                if st.is_empty() {
                    st.set_number("step", 0.0);
                    st.insert("square_avg".into(), StateValue::Tensor(zeros_like(p)));
                    if momentum > 0.0 {
                        st.insert("momentum_buffer".into(), StateValue::Tensor(zeros_like(p)));
                    }
                    if centered {
                        st.insert("grad_avg".into(), StateValue::Tensor(zeros_like(p)));
                    }
                }
                let step = st.number("step") + 1.0;
                st.set_number("step", step);
                let grad = effective_grad(p, &g, maximize, wd);
                let square_avg = st.tensor("square_avg").data();
                square_avg.mul_(alpha);
                square_avg.addcmul_(&grad, &grad, 1.0 - alpha);
                let avg = if centered {
                    let grad_avg = st.tensor("grad_avg").data();
                    grad_avg.lerp_(&grad, 1.0 - alpha);
                    square_avg.addcmul(grad_avg, grad_avg, -1.0).sqrt()
                } else {
                    square_avg.sqrt()
                };
                avg.add_(eps);
                if momentum > 0.0 {
                    let buf = st.tensor("momentum_buffer").data();
                    buf.mul_(momentum);
                    buf.addcdiv_(&grad, &avg, 1.0);
                    add_scaled_(p.data(), buf, -lr);
                } else {
                    p.data().addcdiv_(&grad, &avg, -lr);
                }
            }
        }
    }
}
