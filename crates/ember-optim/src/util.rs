//! Helpers shared by the optimizers' update rules: they work on level-1 arrays (a parameter's
//! [`Tensor::data`]), so a step records no graph and writes through every handle and view.

use ember_autograd::{Array, DType, Tensor};

use crate::param_group::{Hyper, Options, ParamGroup};

/// The gradient a step uses: `grad`, negated when maximizing, plus `weight_decay * param`
/// when `weight_decay != 0` (PyTorch's L2 penalty). Never writes to `p.grad()`.
pub(crate) fn effective_grad(p: &Tensor, g: &Tensor, maximize: bool, weight_decay: f64) -> Array {
    let g = g.data();
    match (maximize, weight_decay != 0.0) {
        (false, false) => g.clone(),
        (true, false) => g.mul(-1.0),
        // grad + wd * param in one pass.
        (false, true) => g.addcmul(p.data(), &one(p.dtype()), weight_decay),
        (true, true) => g.mul(-1.0).addcmul(p.data(), &one(p.dtype()), weight_decay),
    }
}

/// A 0-d one of `dtype`, the second factor of `addcmul_` when it serves as `dst += a * src`.
pub(crate) fn one(dtype: DType) -> Array {
    Array::scalar(1.0f64).to_dtype(dtype)
}

/// `dst += alpha * src` in one pass (PyTorch's `dst.add_(src, alpha=alpha)`).
pub(crate) fn add_scaled_(dst: &Array, src: &Array, alpha: f64) {
    dst.addcmul_(src, &one(dst.dtype()), alpha);
}

/// A zero tensor shaped and typed like `p`.
pub(crate) fn zeros_like(p: &Tensor) -> Tensor {
    Tensor::zeros(p.shape(), p.dtype())
}

/// Default-options map from `(name, value)` pairs.
pub(crate) fn options(pairs: &[(&str, Hyper)]) -> Options {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// An error unless `value >= 0` (NaN fails), naming the optimizer and the hyper-parameter.
pub(crate) fn check_nonneg(opt: &str, key: &str, value: f64) -> Result<(), String> {
    if value >= 0.0 {
        Ok(())
    } else {
        Err(format!("{opt}: invalid {key} {value} (must be >= 0)"))
    }
}

/// An error unless `0 <= value < 1`.
pub(crate) fn check_unit(opt: &str, key: &str, value: f64) -> Result<(), String> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(format!("{opt}: invalid {key} {value} (must be in [0, 1))"))
    }
}

/// Checks a group's `lr >= 0`.
pub(crate) fn check_lr(opt: &str, g: &ParamGroup) -> Result<(), String> {
    check_nonneg(opt, "learning rate", g.lr)
}

/// Checks Adam-style `betas` (each in `[0, 1)`).
pub(crate) fn check_betas(opt: &str, g: &ParamGroup) -> Result<(), String> {
    let (b1, b2) = g.get_pair("betas");
    check_unit(opt, "beta parameter at index 0", b1)?;
    check_unit(opt, "beta parameter at index 1", b2)
}
