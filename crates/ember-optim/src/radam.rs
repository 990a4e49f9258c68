//! [`RAdam`] (`torch.optim.RAdam`): rectified Adam.

use crate::optimizer::{Optimizer, OptimizerBase};
use crate::param_group::{Hyper, IntoParamGroups, ParamGroup};
use crate::state::{StateExt as _, StateValue};
use crate::util::{check_betas, check_lr, check_nonneg, effective_grad, options, zeros_like};

/// Hyper-parameters of [`RAdam`]; the defaults are PyTorch's.
///
/// ```
/// let o = ember_optim::RAdamOptions::default();
/// assert_eq!((o.lr, o.eps), (1e-3, 1e-8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RAdamOptions {
    /// Learning rate (1e-3).
    pub lr: f64,
    /// Decay rates of the moment averages ((0.9, 0.999)).
    pub betas: (f64, f64),
    /// Added to the denominator (1e-8).
    pub eps: f64,
    /// Weight decay (0): L2 penalty, or decoupled with `decoupled_weight_decay`.
    pub weight_decay: f64,
    /// Decoupled weight decay (false).
    pub decoupled_weight_decay: bool,
    /// Maximize the objective (false).
    pub maximize: bool,
}

impl Default for RAdamOptions {
    fn default() -> RAdamOptions {
        RAdamOptions {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

/// RAdam (`torch.optim.RAdam`), PyTorch's formulation:
///
/// ```text
/// t += 1;  m = lerp(m, g, 1 - β1);  v = β2 v + (1 - β2) g²;  m̂ = m / (1 - β1^t)
/// ρ∞ = 2 / (1 - β2) - 1;  ρt = ρ∞ - 2 t β2^t / (1 - β2^t)
/// ρt > 5: p -= lr m̂ r sqrt(1 - β2^t) / (sqrt(v) + eps),
///         r = sqrt((ρt - 4)(ρt - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρt))
/// else:   p -= lr m̂
/// ```
/// State: `step`, `exp_avg`, `exp_avg_sq`.
///
/// ```
/// use ember_optim::{Optimizer, RAdam, RAdamOptions};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f64]).requires_grad_(true);
/// let mut opt = RAdam::new(vec![w.clone()], RAdamOptions { lr: 0.1, ..Default::default() });
/// w.mul(&w).sum().backward(); // grad 2
/// opt.step(); // early steps are plain momentum SGD: w -= lr * m̂ = 0.1 * 2
/// assert!((w.item::<f64>() - 0.8).abs() < 1e-12);
/// ```
#[derive(Clone)]
pub struct RAdam {
    base: OptimizerBase,
}

fn check(g: &ParamGroup) -> Result<(), String> {
    check_lr("RAdam", g)?;
    check_nonneg("RAdam", "epsilon value", g.get_f64("eps"))?;
    check_betas("RAdam", g)?;
    check_nonneg("RAdam", "weight_decay value", g.get_f64("weight_decay"))?;
    g.get_bool("decoupled_weight_decay");
    g.get_bool("maximize");
    Ok(())
}

impl RAdam {
    /// RAdam over `params` (tensors, or [`ParamGroup`]s).
    ///
    /// # Panics
    /// On an empty parameter list, a parameter in two groups, a negative `lr`, `eps` or
    /// `weight_decay`, or a beta outside `[0, 1)`.
    ///
    /// ```
    /// use ember_optim::{Optimizer, RAdam, RAdamOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = RAdam::new(vec![w], RAdamOptions::default());
    /// assert_eq!(opt.param_groups()[0].get_pair("betas"), (0.9, 0.999));
    /// ```
    #[track_caller]
    pub fn new(params: impl IntoParamGroups, opts: RAdamOptions) -> RAdam {
        let defaults = options(&[
            ("betas", Hyper::Pair(opts.betas.0, opts.betas.1)),
            ("eps", Hyper::Float(opts.eps)),
            ("weight_decay", Hyper::Float(opts.weight_decay)),
            (
                "decoupled_weight_decay",
                Hyper::Bool(opts.decoupled_weight_decay),
            ),
            ("maximize", Hyper::Bool(opts.maximize)),
        ]);
        RAdam {
            base: OptimizerBase::new("RAdam", params, opts.lr, defaults, check),
        }
    }
}

impl Optimizer for RAdam {
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
            let decoupled = group.get_bool("decoupled_weight_decay");
            let maximize = group.get_bool("maximize");
            for p in &group.params {
                let Some(g) = p.grad() else { continue };
                let st = states.get_or_insert(p);
                if st.is_empty() {
                    st.set_number("step", 0.0);
                    st.insert("exp_avg".into(), StateValue::Tensor(zeros_like(p)));
                    st.insert("exp_avg_sq".into(), StateValue::Tensor(zeros_like(p)));
                }
                let step = st.number("step") + 1.0;
                st.set_number("step", step);
                let pd = p.data();
                if decoupled && wd != 0.0 {
                    pd.mul_(1.0 - lr * wd);
                }
                let grad = effective_grad(p, &g, maximize, if decoupled { 0.0 } else { wd });
                let exp_avg = st.tensor("exp_avg").data();
                let exp_avg_sq = st.tensor("exp_avg_sq").data();
                exp_avg.lerp_(&grad, 1.0 - beta1);
                exp_avg_sq.mul_(beta2);
                exp_avg_sq.addcmul_(&grad, &grad, 1.0 - beta2);
                let bias_correction1 = 1.0 - beta1.powf(step);
                let bias_correction2 = 1.0 - beta2.powf(step);
                let update = exp_avg.div(bias_correction1);
                update.mul_(lr);
                let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
                let rho_t = rho_inf - 2.0 * step * beta2.powf(step) / bias_correction2;
                if rho_t > 5.0 {
                    let rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                        / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                        .powf(0.5);
                    let denom = exp_avg_sq.sqrt();
                    denom.add_(eps);
                    update.mul_(bias_correction2.powf(0.5));
                    update.div_(&denom);
                    update.mul_(rect);
                }
                pd.sub_(&update);
            }
        }
    }
}
