//! [`NAdam`] (`torch.optim.NAdam`): Adam with Nesterov momentum.

use crate::optimizer::{Optimizer, OptimizerBase};
use crate::param_group::{Hyper, IntoParamGroups, ParamGroup};
use crate::state::{StateExt as _, StateValue};
use crate::util::{check_betas, check_lr, check_nonneg, effective_grad, options, zeros_like};

/// Hyper-parameters of [`NAdam`]; the defaults are PyTorch's.
///
/// ```
/// let o = ember_optim::NAdamOptions::default();
/// assert_eq!((o.lr, o.momentum_decay), (2e-3, 4e-3));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NAdamOptions {
    /// Learning rate (2e-3).
    pub lr: f64,
    /// Decay rates of the moment averages ((0.9, 0.999)).
    pub betas: (f64, f64),
    /// Added to the denominator (1e-8).
    pub eps: f64,
    /// Weight decay (0): L2 penalty, or decoupled (AdamW-style) with `decoupled_weight_decay`.
    pub weight_decay: f64,
    /// Momentum decay ψ of the momentum schedule μ_t = β1 (1 - 0.96^(t ψ) / 2) (4e-3).
    pub momentum_decay: f64,
    /// Decoupled weight decay (false).
    pub decoupled_weight_decay: bool,
    /// Maximize the objective (false).
    pub maximize: bool,
}

impl Default for NAdamOptions {
    fn default() -> NAdamOptions {
        NAdamOptions {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            momentum_decay: 4e-3,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

/// NAdam (`torch.optim.NAdam`), PyTorch's formulation:
///
/// ```text
/// t += 1;  μ_t = β1 (1 - 0.96^(t ψ) / 2);  Πμ *= μ_t
/// m = lerp(m, g, 1 - β1);  v = β2 v + (1 - β2) g²;  d = sqrt(v / (1 - β2^t)) + eps
/// p -= lr (1 - μ_t) / (1 - Πμ) * g / d + lr μ_{t+1} / (1 - Πμ μ_{t+1}) * m / d
/// ```
/// State: `step`, `mu_product`, `exp_avg`, `exp_avg_sq`.
///
/// ```
/// use ember_optim::{NAdam, NAdamOptions, Optimizer};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f64]).requires_grad_(true);
/// let mut opt = NAdam::new(vec![w.clone()], NAdamOptions { lr: 0.1, ..Default::default() });
/// w.mul(&w).sum().backward();
/// opt.step();
/// assert!(w.item::<f64>() < 1.0);
/// ```
#[derive(Clone)]
pub struct NAdam {
    base: OptimizerBase,
}

fn check(g: &ParamGroup) -> Result<(), String> {
    check_lr("NAdam", g)?;
    check_nonneg("NAdam", "epsilon value", g.get_f64("eps"))?;
    check_betas("NAdam", g)?;
    check_nonneg("NAdam", "weight_decay value", g.get_f64("weight_decay"))?;
    check_nonneg("NAdam", "momentum_decay value", g.get_f64("momentum_decay"))?;
    g.get_bool("decoupled_weight_decay");
    g.get_bool("maximize");
    Ok(())
}

impl NAdam {
    /// NAdam over `params` (tensors, or [`ParamGroup`]s).
    ///
    /// # Panics
    /// On an empty parameter list, a parameter in two groups, a negative `lr`, `eps`,
    /// `weight_decay` or `momentum_decay`, or a beta outside `[0, 1)`.
    ///
    /// ```
    /// use ember_optim::{NAdam, NAdamOptions, Optimizer};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = NAdam::new(vec![w], NAdamOptions::default());
    /// assert_eq!(opt.param_groups()[0].get_f64("momentum_decay"), 4e-3);
    /// ```
    #[track_caller]
    pub fn new(params: impl IntoParamGroups, opts: NAdamOptions) -> NAdam {
        let defaults = options(&[
            ("betas", Hyper::Pair(opts.betas.0, opts.betas.1)),
            ("eps", Hyper::Float(opts.eps)),
            ("weight_decay", Hyper::Float(opts.weight_decay)),
            ("momentum_decay", Hyper::Float(opts.momentum_decay)),
            (
                "decoupled_weight_decay",
                Hyper::Bool(opts.decoupled_weight_decay),
            ),
            ("maximize", Hyper::Bool(opts.maximize)),
        ]);
        NAdam {
            base: OptimizerBase::new("NAdam", params, opts.lr, defaults, check),
        }
    }
}

impl Optimizer for NAdam {
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
            let momentum_decay = group.get_f64("momentum_decay");
            let decoupled = group.get_bool("decoupled_weight_decay");
            let maximize = group.get_bool("maximize");
            for p in &group.params {
                let Some(g) = p.grad() else { continue };
                let st = states.get_or_insert(p);
                if st.is_empty() {
                    st.set_number("step", 0.0);
                    st.set_number("mu_product", 1.0);
                    st.insert("exp_avg".into(), StateValue::Tensor(zeros_like(p)));
                    st.insert("exp_avg_sq".into(), StateValue::Tensor(zeros_like(p)));
                }
                let step = st.number("step") + 1.0;
                st.set_number("step", step);
                let bias_correction2 = 1.0 - beta2.powf(step);
                let pd = p.data();
                if decoupled && wd != 0.0 {
                    pd.mul_(1.0 - lr * wd);
                }
                let grad = effective_grad(p, &g, maximize, if decoupled { 0.0 } else { wd });
                let mu = beta1 * (1.0 - 0.5 * 0.96f64.powf(step * momentum_decay));
                let mu_next = beta1 * (1.0 - 0.5 * 0.96f64.powf((step + 1.0) * momentum_decay));
                let mu_product = st.number("mu_product") * mu;
                st.set_number("mu_product", mu_product);
                let exp_avg = st.tensor("exp_avg").data();
                let exp_avg_sq = st.tensor("exp_avg_sq").data();
                exp_avg.lerp_(&grad, 1.0 - beta1);
                exp_avg_sq.mul_(beta2);
                exp_avg_sq.addcmul_(&grad, &grad, 1.0 - beta2);
                let denom = exp_avg_sq.div(bias_correction2).sqrt();
                let mu_product_next = mu_product * mu_next;
                denom.add_(eps);
                pd.addcdiv_(&grad, &denom, -lr * (1.0 - mu) / (1.0 - mu_product));
                pd.addcdiv_(exp_avg, &denom, (-lr * mu_next) / (1.0 - mu_product_next));
            }
        }
    }
}
