//! Activation functions. Most are one line of tensor maths over level-2 ops (which carry the
//! backward); the examples check values against the textbook formulas.

use ember_autograd::Tensor;

/// `max(x, 0)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// assert_eq!(F::relu(&Tensor::from([-1.0f32, 2.0])).to_vec::<f32>(), [0.0, 2.0]);
/// ```
#[track_caller]
pub fn relu(x: &Tensor) -> Tensor {
    x.relu()
}

/// `min(max(x, 0), 6)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// assert_eq!(F::relu6(&Tensor::from([-1.0f32, 7.0])).to_vec::<f32>(), [0.0, 6.0]);
/// ```
#[track_caller]
pub fn relu6(x: &Tensor) -> Tensor {
    hardtanh(x, 0.0, 6.0)
}

/// `x` for `x > 0`, else `negative_slope * x`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// assert_eq!(F::leaky_relu(&Tensor::from([-2.0f32, 2.0]), 0.1).to_vec::<f32>(), [-0.2, 2.0]);
/// ```
#[track_caller]
pub fn leaky_relu(x: &Tensor, negative_slope: f64) -> Tensor {
    x.leaky_relu(negative_slope)
}

/// `x` for `x > 0`, else `alpha * (exp(x) - 1)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::elu(&Tensor::from([-1.0f64, 2.0]), 1.0).to_vec::<f64>();
/// assert!((y[0] - ((-1.0f64).exp() - 1.0)).abs() < 1e-12 && y[1] == 2.0);
/// ```
#[track_caller]
pub fn elu(x: &Tensor, alpha: f64) -> Tensor {
    x.elu(alpha)
}

/// The self-normalising ELU: `scale * elu(x, alpha)` with PyTorch's constants.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::selu(&Tensor::from([1.0f64])).item::<f64>();
/// assert!((y - 1.0507009873554804934193349852946).abs() < 1e-12);
/// ```
#[track_caller]
pub fn selu(x: &Tensor) -> Tensor {
    const ALPHA: f64 = 1.673_263_242_354_377_3;
    const SCALE: f64 = 1.050_700_987_355_480_5;
    x.elu(ALPHA).mul(SCALE)
}

/// `max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::celu(&Tensor::from([-1.0f64]), 2.0).item::<f64>();
/// assert!((y - 2.0 * ((-0.5f64).exp() - 1.0)).abs() < 1e-12);
/// ```
#[track_caller]
pub fn celu(x: &Tensor, alpha: f64) -> Tensor {
    x.div(alpha).elu(1.0).mul(alpha)
}

/// The Gaussian error linear unit; `approximate` uses the tanh formula (`approximate='tanh'`).
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::gelu(&Tensor::from([1.0f64]), false).item::<f64>();
/// assert!((y - 0.8413447460685429).abs() < 1e-9);
/// ```
#[track_caller]
pub fn gelu(x: &Tensor, approximate: bool) -> Tensor {
    x.gelu(approximate)
}

/// `x * sigmoid(x)` (swish).
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::silu(&Tensor::from([1.0f64])).item::<f64>();
/// assert!((y - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-12);
/// ```
#[track_caller]
pub fn silu(x: &Tensor) -> Tensor {
    x.silu()
}

/// `x * tanh(softplus(x))`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::mish(&Tensor::from([1.0f64])).item::<f64>();
/// assert!((y - (1.0f64.exp().ln_1p()).tanh()).abs() < 1e-12);
/// ```
#[track_caller]
pub fn mish(x: &Tensor) -> Tensor {
    x.mul(&x.softplus(1.0, 20.0).tanh())
}

/// `1 / (1 + exp(-x))`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// assert_eq!(F::sigmoid(&Tensor::from([0.0f32])).item::<f32>(), 0.5);
/// ```
#[track_caller]
pub fn sigmoid(x: &Tensor) -> Tensor {
    x.sigmoid()
}

/// `log(sigmoid(x))`, computed stably as `-softplus(-x)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::logsigmoid(&Tensor::from([-200.0f64])).item::<f64>();
/// assert!((y + 200.0).abs() < 1e-9); // no -inf
/// ```
#[track_caller]
pub fn logsigmoid(x: &Tensor) -> Tensor {
    x.neg().softplus(1.0, 20.0).neg()
}

/// Hyperbolic tangent.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// assert_eq!(F::tanh(&Tensor::from([0.0f32])).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn tanh(x: &Tensor) -> Tensor {
    x.tanh()
}

/// `x / (1 + |x|)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// assert_eq!(F::softsign(&Tensor::from([1.0f32])).item::<f32>(), 0.5);
/// ```
#[track_caller]
pub fn softsign(x: &Tensor) -> Tensor {
    x.div(&x.abs().add(1.0))
}

/// `clamp(x, min_val, max_val)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// assert_eq!(F::hardtanh(&Tensor::from([-3.0f32, 0.5, 3.0]), -1.0, 1.0).to_vec::<f32>(), [-1.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn hardtanh(x: &Tensor, min_val: f64, max_val: f64) -> Tensor {
    x.clamp(min_val, max_val)
}

/// `clamp(x / 6 + 1/2, 0, 1)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// assert_eq!(F::hardsigmoid(&Tensor::from([-4.0f32, 0.0, 4.0])).to_vec::<f32>(), [0.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn hardsigmoid(x: &Tensor) -> Tensor {
    x.div(6.0).add(0.5).clamp(0.0, 1.0)
}

/// `x * hardsigmoid(x)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// assert_eq!(F::hardswish(&Tensor::from([-4.0f32, 1.0, 4.0])).to_vec::<f32>(), [0.0, 1.0 * 4.0 / 6.0, 4.0]);
/// ```
#[track_caller]
pub fn hardswish(x: &Tensor) -> Tensor {
    x.mul(&hardsigmoid(x))
}

/// `log(1 + exp(beta * x)) / beta`, linear above `threshold`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::softplus(&Tensor::from([0.0f64]), 1.0, 20.0).item::<f64>();
/// assert!((y - 2f64.ln()).abs() < 1e-12);
/// ```
#[track_caller]
pub fn softplus(x: &Tensor, beta: f64, threshold: f64) -> Tensor {
    x.softplus(beta, threshold)
}

/// Softmax along `dim` (max-subtracted, so large inputs do not overflow).
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::softmax(&Tensor::from([1000.0f32, 1000.0]), -1);
/// assert_eq!(y.to_vec::<f32>(), [0.5, 0.5]);
/// ```
#[track_caller]
pub fn softmax(x: &Tensor, dim: isize) -> Tensor {
    x.softmax(dim)
}

/// Log of softmax along `dim`, computed as `x - logsumexp(x)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::log_softmax(&Tensor::from([0.0f64, 0.0]), 0).to_vec::<f64>();
/// assert!((y[0] + 2f64.ln()).abs() < 1e-12);
/// ```
#[track_caller]
pub fn log_softmax(x: &Tensor, dim: isize) -> Tensor {
    x.log_softmax(dim)
}

/// `x` for `x > 0`, else `weight * x`, with one learned slope or one per channel (dim 1).
///
/// # Panics
/// When `weight` has neither 1 element nor one per channel.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::prelu(&Tensor::from([[-1.0f32, 2.0]]), &Tensor::from([0.25f32]));
/// assert_eq!(y.to_vec::<f32>(), [-0.25, 2.0]);
/// ```
#[track_caller]
pub fn prelu(x: &Tensor, weight: &Tensor) -> Tensor {
    let n = weight.numel();
    let w = if n == 1 {
        weight.reshape(&[])
    } else {
        if x.ndim() < 2 {
            panic!(
                "prelu: weight has {n} elements but input {:?} has no channel dim (dim 1)",
                x.shape()
            );
        }
        if x.shape()[1] != n {
            panic!(
                "prelu: weight has {n} elements but input {:?} has {} channels (dim 1)",
                x.shape(),
                x.shape()[1]
            );
        }
        let mut shape = vec![1isize; x.ndim()];
        shape[1] = n as isize;
        weight.reshape(&shape)
    };
    let neg = x.clamp_max(0.0);
    x.clamp_min(0.0).add(&neg.mul(&w))
}
