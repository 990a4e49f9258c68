//! Dropout: random zeroing during training, the identity in evaluation.

use ember_autograd::Tensor;

#[track_caller]
fn check_p(op: &str, p: f64) {
    if !(0.0..=1.0).contains(&p) {
        panic!("{op}: probability must be in [0, 1], got {p}");
    }
}

/// A 0/1 mask of `shape` (as a float tensor like `x`), each 1 with probability `keep`.
fn keep_mask(x: &Tensor, shape: &[usize], keep: f64) -> Tensor {
    Tensor::rand(shape, x.dtype()).lt(keep).to_dtype(x.dtype())
}

/// Zeroes each element with probability `p` and scales the rest by `1/(1-p)` when
/// `training`; the identity otherwise.
///
/// ```
/// use ember_nn::{functional as F, DType, Tensor};
/// let x = Tensor::ones(&[1000], DType::F32);
/// let y = F::dropout(&x, 0.5, true).to_vec::<f32>();
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// assert_eq!(F::dropout(&x, 0.5, false).to_vec::<f32>(), x.to_vec::<f32>());
/// ```
#[track_caller]
pub fn dropout(x: &Tensor, p: f64, training: bool) -> Tensor {
    check_p("dropout", p);
    if !training || p == 0.0 {
        return x.clone();
    }
    if p == 1.0 {
        return x.mul(0.0);
    }
    x.mul(&keep_mask(x, x.shape(), 1.0 - p).mul(1.0 / (1.0 - p)))
}

/// Zeroes whole channels (dim 1 of `(N, C, *)`, dim 0 of unbatched `(C, *)`) with
/// probability `p` when `training` (`Dropout1d/2d/3d`).
///
/// ```
/// use ember_nn::{functional as F, DType, Tensor};
/// let x = Tensor::ones(&[2, 8, 4, 4], DType::F32);
/// let y = F::dropout2d(&x, 0.5, true);
/// let plane_sums = y.sum_dim(&[2, 3], false).to_vec::<f32>();
/// assert!(plane_sums.iter().all(|&s| s == 0.0 || s == 32.0)); // whole planes
/// ```
#[track_caller]
pub fn dropout2d(x: &Tensor, p: f64, training: bool) -> Tensor {
    check_p("dropout2d", p);
    if !training || p == 0.0 {
        return x.clone();
    }
    if x.ndim() < 2 {
        panic!(
            "dropout2d: input must be (N, C, *) or (C, *), got {:?}",
            x.shape()
        );
    }
    let mut shape = vec![1; x.ndim()];
    let batched = x.ndim() >= 3;
    if batched {
        shape[0] = x.shape()[0];
        shape[1] = x.shape()[1];
    } else {
        shape[0] = x.shape()[0];
    }
    if p == 1.0 {
        return x.mul(0.0);
    }
    x.mul(&keep_mask(x, &shape, 1.0 - p).mul(1.0 / (1.0 - p)))
}

/// Dropout that keeps the mean and variance of self-normalising (SELU) activations: dropped
/// elements take SELU's negative saturation value, then an affine map restores the moments.
///
/// ```
/// use ember_nn::{functional as F, DType, Tensor};
/// let x = Tensor::randn(&[100_000], DType::F64);
/// let y = F::alpha_dropout(&x, 0.2, true);
/// assert!(y.mean().item::<f64>().abs() < 0.02);
/// assert!((y.var(1.0).item::<f64>() - 1.0).abs() < 0.03);
/// ```
#[track_caller]
pub fn alpha_dropout(x: &Tensor, p: f64, training: bool) -> Tensor {
    check_p("alpha_dropout", p);
    if !training || p == 0.0 {
        return x.clone();
    }
    if p == 1.0 {
        return x.mul(0.0);
    }
    const ALPHA_P: f64 = -1.758_099_340_847_376_6; // -scale·alpha of SELU
    let a = 1.0 / ((ALPHA_P * ALPHA_P * p + 1.0) * (1.0 - p)).sqrt();
    let b = -a * ALPHA_P * p;
    let keep = keep_mask(x, x.shape(), 1.0 - p);
    let dropped = keep.neg().add(1.0).mul(ALPHA_P);
    x.mul(&keep).add(&dropped).mul(a).add(b)
}
