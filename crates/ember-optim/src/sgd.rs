//! [`Sgd`]: stochastic gradient descent with momentum, dampening, Nesterov, weight decay
//! (`torch.optim.SGD`).

use crate::optimizer::{Optimizer, OptimizerBase};
use crate::param_group::{Hyper, IntoParamGroups, ParamGroup};
use crate::state::{StateExt as _, StateValue};
use crate::util::{add_scaled_, check_lr, check_nonneg, effective_grad, options};
use ember_autograd::{Array, DType};

/// Hyper-parameters of [`Sgd`]; the defaults are PyTorch's.
///
/// ```
/// let o = ember_optim::SgdOptions::default();
/// assert_eq!((o.lr, o.momentum, o.nesterov), (1e-3, 0.0, false));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdOptions {
    /// Learning rate (1e-3).
    pub lr: f64,
    /// Momentum factor (0).
    pub momentum: f64,
    /// Dampening for momentum (0).
    pub dampening: f64,
    /// L2 penalty added to the gradient (0).
    pub weight_decay: f64,
    /// Nesterov momentum (false); needs `momentum > 0` and `dampening == 0`.
    pub nesterov: bool,
    /// Maximize the objective instead of minimizing it (false).
    pub maximize: bool,
}

impl Default for SgdOptions {
    fn default() -> SgdOptions {
        SgdOptions {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        }
    }
}

/// Stochastic gradient descent (`torch.optim.SGD`), PyTorch's formulation:
///
/// ```text
/// g = ±grad + weight_decay * p
/// buf = g (first step), momentum * buf + (1 - dampening) * g (later)
/// g = g + momentum * buf (nesterov) or buf
/// p -= lr * g
/// ```
/// State per parameter: `momentum_buffer` (when `momentum != 0`).
///
/// ```
/// use ember_optim::{Optimizer, Sgd, SgdOptions};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f64, -2.0]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w.clone()], SgdOptions { lr: 0.1, momentum: 0.9, ..Default::default() });
/// for _ in 0..100 {
///     opt.zero_grad(true);
///     w.mul(&w).sum().backward();
///     opt.step();
/// }
/// assert!(w.to_vec::<f64>().iter().all(|x| x.abs() < 1e-2));
/// ```
#[derive(Clone)]
pub struct Sgd {
    base: OptimizerBase,
}

fn check(g: &ParamGroup) -> Result<(), String> {
    check_lr("SGD", g)?;
    check_nonneg("SGD", "momentum value", g.get_f64("momentum"))?;
    check_nonneg("SGD", "weight_decay value", g.get_f64("weight_decay"))?;
    g.get_f64("dampening");
    g.get_bool("maximize");
    if g.get_bool("nesterov") && !(g.get_f64("momentum") > 0.0 && g.get_f64("dampening") == 0.0) {
        return Err(format!(
            "SGD: Nesterov momentum requires a momentum and zero dampening (got momentum {}, \
             dampening {})",
            g.get_f64("momentum"),
            g.get_f64("dampening")
        ));
    }
    Ok(())
}

impl Sgd {
    /// SGD over `params` (tensors, or [`ParamGroup`]s with their own hyper-parameters).
    ///
    /// # Panics
    /// On an empty parameter list, a parameter in two groups, a negative `lr`, `momentum` or
    /// `weight_decay`, or `nesterov` without momentum or with dampening.
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, momentum: 0.9, nesterov: true, ..Default::default() });
    /// assert!(opt.param_groups()[0].get_bool("nesterov"));
    /// ```
    #[track_caller]
    pub fn new(params: impl IntoParamGroups, opts: SgdOptions) -> Sgd {
        let defaults = options(&[
            ("momentum", Hyper::Float(opts.momentum)),
            ("dampening", Hyper::Float(opts.dampening)),
            ("weight_decay", Hyper::Float(opts.weight_decay)),
            ("nesterov", Hyper::Bool(opts.nesterov)),
            ("maximize", Hyper::Bool(opts.maximize)),
        ]);
        Sgd {
            base: OptimizerBase::new("SGD", params, opts.lr, defaults, check),
        }
    }
}

impl Optimizer for Sgd {
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
            let momentum = group.get_f64("momentum");
            let dampening = group.get_f64("dampening");
            let wd = group.get_f64("weight_decay");
            let nesterov = group.get_bool("nesterov");
            let maximize = group.get_bool("maximize");
            for p in &group.params {
                let Some(g) = p.grad() else { continue };
                let mut d = effective_grad(p, &g, maximize, wd);
                if momentum != 0.0 {
                    let st = states.get_or_insert(p);
                    match st.get("momentum_buffer") {
                        Some(StateValue::Tensor(buf)) if fusable(p.data(), buf.data(), &d) => {
                            // One pass over parameter, buffer and gradient (same roundings as
                            // the ops below).
                            let b = buf.data();
                            p.data()
                                .sgd_momentum_(b, &d, lr, momentum, dampening, nesterov);
                            continue;
                        }
                        Some(StateValue::Tensor(buf)) => {
                            let b = buf.data();
                            b.mul_(momentum);
                            add_scaled_(b, &d, 1.0 - dampening);
                        }
                        _ => {
                            let buf = ember_autograd::Tensor::from_array(d.clone_array());
                            st.insert("momentum_buffer".into(), StateValue::Tensor(buf));
                        }
                    }
                    let buf = st.tensor("momentum_buffer").data().clone();
                    d = if nesterov {
                        d.addcmul(&buf, &crate::util::one(buf.dtype()), momentum)
                    } else {
                        buf
                    };
                }
                add_scaled_(p.data(), &d, -lr);
            }
        }
    }
}

/// Whether the fused one-pass update ([`Array::sgd_momentum_`]) applies: contiguous f32 or f64
/// arrays of one shape and dtype, three separate storages.
fn fusable(p: &Array, buf: &Array, d: &Array) -> bool {
    matches!(p.dtype(), DType::F32 | DType::F64)
        && [buf, d]
            .iter()
            .all(|a| a.dtype() == p.dtype() && a.shape() == p.shape() && !a.shares_storage(p))
        && !buf.shares_storage(d)
        && p.is_contiguous()
        && buf.is_contiguous()
        && d.is_contiguous()
}
