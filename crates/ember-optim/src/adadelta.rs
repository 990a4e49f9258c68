//! [`Adadelta`] (`torch.optim.Adadelta`).

use crate::optimizer::{Optimizer, OptimizerBase};
use crate::param_group::{Hyper, IntoParamGroups, ParamGroup};
use crate::state::{StateExt as _, StateValue};
use crate::util::{add_scaled_, check_lr, check_nonneg, effective_grad, options, zeros_like};

/// Hyper-parameters of [`Adadelta`]; the defaults are PyTorch's.
///
/// ```
/// let o = ember_optim::AdadeltaOptions::default();
/// assert_eq!((o.lr, o.rho, o.eps), (1.0, 0.9, 1e-6));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdadeltaOptions {
    /// Scale of the delta (1.0).
    pub lr: f64,
    /// Decay of the running averages (0.9).
    pub rho: f64,
    /// Added inside the square roots (1e-6).
    pub eps: f64,
    /// L2 penalty (0).
    pub weight_decay: f64,
    /// Maximize the objective (false).
    pub maximize: bool,
}

impl Default for AdadeltaOptions {
    fn default() -> AdadeltaOptions {
        AdadeltaOptions {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

/// Adadelta (`torch.optim.Adadelta`), PyTorch's formulation:
///
/// ```text
/// g = ±grad + weight_decay * p;  v = ρ v + (1 - ρ) g²
/// δ = sqrt(u + eps) / sqrt(v + eps) * g;  u = ρ u + (1 - ρ) δ²;  p -= lr * δ
/// ```
/// State: `step`, `square_avg` (v), `acc_delta` (u).
///
/// ```
/// use ember_optim::{Adadelta, AdadeltaOptions, Optimizer};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f64]).requires_grad_(true);
/// let mut opt = Adadelta::new(vec![w.clone()], AdadeltaOptions::default());
/// w.mul(&w).sum().backward();
/// opt.step();
/// assert!(w.item::<f64>() < 1.0);
/// ```
#[derive(Clone)]
pub struct Adadelta {
    base: OptimizerBase,
}

fn check(g: &ParamGroup) -> Result<(), String> {
    check_lr("Adadelta", g)?;
    let rho = g.get_f64("rho");
    if !(0.0..=1.0).contains(&rho) {
        return Err(format!(
            "Adadelta: invalid rho value {rho} (must be in [0, 1])"
        ));
    }
    check_nonneg("Adadelta", "epsilon value", g.get_f64("eps"))?;
    check_nonneg("Adadelta", "weight_decay value", g.get_f64("weight_decay"))?;
    g.get_bool("maximize");
    Ok(())
}

impl Adadelta {
    /// Adadelta over `params` (tensors, or [`ParamGroup`]s).
    ///
    /// # Panics
    /// On an empty parameter list, a parameter in two groups, a negative `lr`, `eps` or
    /// `weight_decay`, or `rho` outside `[0, 1]`.
    ///
    /// ```
    /// use ember_optim::{Adadelta, AdadeltaOptions, Optimizer};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = Adadelta::new(vec![w], AdadeltaOptions { rho: 0.95, ..Default::default() });
    /// assert_eq!(opt.param_groups()[0].get_f64("rho"), 0.95);
    /// ```
    #[track_caller]
    pub fn new(params: impl IntoParamGroups, opts: AdadeltaOptions) -> Adadelta {
        let defaults = options(&[
            ("rho", Hyper::Float(opts.rho)),
            ("eps", Hyper::Float(opts.eps)),
            ("weight_decay", Hyper::Float(opts.weight_decay)),
            ("maximize", Hyper::Bool(opts.maximize)),
        ]);
        Adadelta {
            base: OptimizerBase::new("Adadelta", params, opts.lr, defaults, check),
        }
    }
}

impl Optimizer for Adadelta {
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
            let rho = group.get_f64("rho");
            let eps = group.get_f64("eps");
            let wd = group.get_f64("weight_decay");
            let maximize = group.get_bool("maximize");
            for p in &group.params {
                let Some(g) = p.grad() else { continue };
                let st = states.get_or_insert(p);
                if st.is_empty() {
                    st.set_number("step", 0.0);
                    st.insert("square_avg".into(), StateValue::Tensor(zeros_like(p)));
                    st.insert("acc_delta".into(), StateValue::Tensor(zeros_like(p)));
                }
                let step = st.number("step") + 1.0;
                st.set_number("step", step);
                let grad = effective_grad(p, &g, maximize, wd);
                let square_avg = st.tensor("square_avg").data();
                let acc_delta = st.tensor("acc_delta").data();
                square_avg.mul_(rho);
                square_avg.addcmul_(&grad, &grad, 1.0 - rho);
                let std = square_avg.add(eps).sqrt();
                let delta = acc_delta.add(eps).sqrt();
                delta.div_(&std);
                delta.mul_(&grad);
                acc_delta.mul_(rho);
                acc_delta.addcmul_(&delta, &delta, 1.0 - rho);
                add_scaled_(p.data(), &delta, -lr);
            }
        }
    }
}
