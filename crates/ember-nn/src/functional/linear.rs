//! `linear` and `bilinear`.

use ember_autograd::{Tensor, einsum};

/// `x @ weightᵀ + bias`, for `x` of shape `(*, in)` and `weight` of shape `(out, in)`. A 2-d
/// input with a bias is one fused `addmm`.
///
/// # Panics
/// When `x`'s last dim is not `weight`'s second.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from([[1.0f32, 2.0]]);
/// let w = Tensor::from([[1.0f32, 0.0], [0.0, 1.0], [1.0, 1.0]]);
/// let y = F::linear(&x, &w, Some(&Tensor::from([0.0f32, 0.0, 1.0])));
/// assert_eq!(y.to_vec::<f32>(), [1.0, 2.0, 4.0]);
/// ```
#[track_caller]
pub fn linear(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    if weight.ndim() != 2 || x.ndim() == 0 || x.shape()[x.ndim() - 1] != weight.shape()[1] {
        panic!(
            "linear: input {:?} does not fit weight {:?} (input's last dim must be the weight's \
             in_features, dim 1)",
            x.shape(),
            weight.shape()
        );
    }
    match bias {
        Some(b) if x.ndim() == 2 => b.addmm(x, &weight.t(), 1.0, 1.0),
        Some(b) => x.matmul(&weight.t()).add(b),
        None => x.matmul(&weight.t()),
    }
}

/// `y_k = x1ᵀ·W_k·x2 + b_k` for `x1: (N, in1)`, `x2: (N, in2)`, `weight: (out, in1, in2)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x1 = Tensor::from([[1.0f32, 2.0]]);
/// let x2 = Tensor::from([[3.0f32]]);
/// let w = Tensor::from([[[1.0f32], [1.0]]]); // out = 1
/// assert_eq!(F::bilinear(&x1, &x2, &w, None).to_vec::<f32>(), [9.0]);
/// ```
#[track_caller]
pub fn bilinear(x1: &Tensor, x2: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    let y = einsum("...i,kij,...j->...k", &[x1, weight, x2]);
    match bias {
        Some(b) => y.add(b),
        None => y,
    }
}
