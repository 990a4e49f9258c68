//! Gradient clipping: [`clip_grad_norm_`], [`try_clip_grad_norm_`], [`clip_grad_value_`]
//! (PyTorch's `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_`; they live here until the
//! nn facade re-exports them).

use ember_autograd::Tensor;

/// The total gradient norm was NaN or infinite ([`try_clip_grad_norm_`], PyTorch's
/// `error_if_nonfinite=True`); no gradient was changed.
///
/// ```
/// use ember_optim::{try_clip_grad_norm_, NonFiniteNormError};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f32]).requires_grad_(true);
/// w.set_grad(Some(Tensor::from([f32::NAN])));
/// let err: NonFiniteNormError = try_clip_grad_norm_(&[w], 1.0, 2.0).unwrap_err();
/// assert!(err.total_norm.is_nan());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error(
    "the total norm of order {norm_type} for gradients is non-finite ({total_norm}), so it \
     cannot be clipped"
)]
pub struct NonFiniteNormError {
    /// The norm order.
    pub norm_type: f64,
    /// The norm found.
    pub total_norm: f64,
}

/// The `norm_type`-norm of all gradients together (as if concatenated): per-gradient norms
/// combined with the same norm.
fn total_norm(grads: &[Tensor], norm_type: f64) -> f64 {
    let norms: Vec<f64> = grads
        .iter()
        .filter(|g| !(norm_type.is_infinite() && g.numel() == 0))
        .map(|g| {
            g.data()
                .norm(norm_type)
                .to_dtype(ember_autograd::DType::F64)
                .item::<f64>()
        })
        .collect();
    if norms.is_empty() {
        return 0.0;
    }
    if norm_type == f64::INFINITY {
        norms.iter().fold(
            f64::NEG_INFINITY,
            |m, &x| if x > m || x.is_nan() { x } else { m },
        )
    } else if norm_type == f64::NEG_INFINITY {
        norms.iter().fold(
            f64::INFINITY,
            |m, &x| if x < m || x.is_nan() { x } else { m },
        )
    } else {
        ember_autograd::Array::from(norms)
            .norm(norm_type)
            .item::<f64>()
    }
}

#[track_caller]
fn check_args(op: &str, max_norm: f64, norm_type: f64) {
    assert!(
        !max_norm.is_nan() && !norm_type.is_nan(),
        "{op}: max_norm ({max_norm}) and norm_type ({norm_type}) must not be NaN"
    );
}

fn grads_of(params: &[Tensor]) -> Vec<Tensor> {
    params.iter().filter_map(|p| p.grad()).collect()
}

fn scale(grads: &[Tensor], max_norm: f64, total: f64) {
    let clip_coef = max_norm / (total + 1e-6);
    if clip_coef < 1.0 || clip_coef.is_nan() {
        for g in grads {
            g.data().mul_(clip_coef);
        }
    }
}

/// Scales the gradients of `params` in place so that their total `norm_type`-norm (as if all
/// were one vector; `f64::INFINITY` for the max-norm) is at most `max_norm`, and returns the
/// total norm before clipping. Parameters without a gradient are ignored. As PyTorch: the
/// scale is `max_norm / (total + 1e-6)`, applied only when below 1. A NaN or infinite total is
/// not an error here (the gradients become NaN); see [`try_clip_grad_norm_`].
///
/// # Panics
/// If `max_norm` or `norm_type` is NaN.
///
/// ```
/// use ember_optim::clip_grad_norm_;
/// use ember_autograd::Tensor;
/// let a = Tensor::from([3.0f64]).requires_grad_(true);
/// let b = Tensor::from([4.0f64]).requires_grad_(true);
/// a.set_grad(Some(Tensor::from([3.0f64])));
/// b.set_grad(Some(Tensor::from([4.0f64])));
/// let total = clip_grad_norm_(&[a.clone(), b.clone()], 1.0, 2.0);
/// assert_eq!(total, 5.0);
/// let ga = a.grad().unwrap().item::<f64>();
/// assert!((ga - 3.0 / (5.0 + 1e-6)).abs() < 1e-12);
/// ```
#[track_caller]
pub fn clip_grad_norm_(params: &[Tensor], max_norm: f64, norm_type: f64) -> f64 {
    check_args("clip_grad_norm_", max_norm, norm_type);
    let grads = grads_of(params);
    let total = total_norm(&grads, norm_type);
    scale(&grads, max_norm, total);
    total
}

/// [`clip_grad_norm_`] with PyTorch's `error_if_nonfinite=True`: a NaN or infinite total norm
/// is returned as an error and no gradient is changed.
///
/// # Errors
/// [`NonFiniteNormError`] when the total norm is NaN or infinite.
///
/// # Panics
/// If `max_norm` or `norm_type` is NaN.
///
/// ```
/// use ember_optim::try_clip_grad_norm_;
/// use ember_autograd::Tensor;
/// let w = Tensor::from([0.0f32, 0.0]).requires_grad_(true);
/// w.set_grad(Some(Tensor::from([-2.0f32, 1.0])));
/// let total = try_clip_grad_norm_(&[w.clone()], 1.0, f64::INFINITY).unwrap();
/// assert_eq!(total, 2.0);
/// let g = w.grad().unwrap().to_vec::<f32>();
/// assert!((g[0] + 1.0).abs() < 1e-5 && (g[1] - 0.5).abs() < 1e-5);
/// ```
#[track_caller]
pub fn try_clip_grad_norm_(
    params: &[Tensor],
    max_norm: f64,
    norm_type: f64,
) -> Result<f64, NonFiniteNormError> {
    check_args("try_clip_grad_norm_", max_norm, norm_type);
    let grads = grads_of(params);
    let total = total_norm(&grads, norm_type);
    if !total.is_finite() {
        return Err(NonFiniteNormError {
            norm_type,
            total_norm: total,
        });
    }
    scale(&grads, max_norm, total);
    Ok(total)
}

/// Clamps every gradient element of `params` to `[-clip_value, clip_value]` in place
/// (PyTorch's `clip_grad_value_`). Parameters without a gradient are ignored.
///
/// # Panics
/// If `clip_value` is negative or NaN.
///
/// ```
/// use ember_optim::clip_grad_value_;
/// use ember_autograd::Tensor;
/// let w = Tensor::from([0.0f32, 0.0, 0.0]).requires_grad_(true);
/// w.set_grad(Some(Tensor::from([-3.0f32, 0.5, 2.0])));
/// clip_grad_value_(&[w.clone()], 1.0);
/// assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![-1.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn clip_grad_value_(params: &[Tensor], clip_value: f64) {
    assert!(
        clip_value >= 0.0,
        "clip_grad_value_: clip_value must be >= 0, got {clip_value}"
    );
    for g in grads_of(params) {
        let d = g.data();
        d.copy_(&d.clamp(-clip_value, clip_value));
    }
}
