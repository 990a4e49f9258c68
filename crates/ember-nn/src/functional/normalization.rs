//! Normalisation: batch, layer, group, instance, RMS and local-response norm.

use ember_autograd::{Tensor, no_grad};

fn isz(s: &[usize]) -> Vec<isize> {
    s.iter().map(|&d| d as isize).collect()
}

/// `(C,)` → shape `[1, C, 1, …]` for an `ndim`-d input.
fn per_channel(t: &Tensor, ndim: usize) -> Tensor {
    let mut shape = vec![1isize; ndim];
    shape[1] = -1;
    t.reshape(&shape)
}

/// Batch normalisation over `(N, C, *)`: each channel normalised with the batch's statistics
/// (`training`, updating the running ones in place with `momentum`, the variance unbiased as
/// in PyTorch) or with the running statistics (evaluation).
///
/// # Panics
/// When the input has fewer than 2 dims, or in training with one value per channel.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from([[1.0f64], [3.0]]); // N = 2, C = 1
/// let (rm, rv) = (Tensor::from([0.0f64]), Tensor::from([1.0f64]));
/// let y = F::batch_norm(&x, Some(&rm), Some(&rv), None, None, true, 0.1, 0.0);
/// assert_eq!(y.to_vec::<f64>(), [-1.0, 1.0]);
/// assert_eq!(rm.to_vec::<f64>(), [0.2]); // 0.9·0 + 0.1·2
/// assert!((rv.item::<f64>() - (0.9 + 0.1 * 2.0)).abs() < 1e-12); // unbiased var = 2
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn batch_norm(
    x: &Tensor,
    running_mean: Option<&Tensor>,
    running_var: Option<&Tensor>,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> Tensor {
    if x.ndim() < 2 {
        panic!("batch_norm: input must be (N, C, *), got {:?}", x.shape());
    }
    let nd = x.ndim();
    let dims: Vec<isize> = (0..nd as isize).filter(|&d| d != 1).collect();
    let y = if training || running_mean.is_none() {
        let count = x.numel() / x.shape()[1].max(1);
        if count <= 1 {
            panic!(
                "batch_norm: expected more than 1 value per channel when training, got input {:?}",
                x.shape()
            );
        }
        let mean = x.mean_dim(&dims, true);
        let centered = x.sub(&mean);
        let var = centered.square().mean_dim(&dims, true);
        if training {
            no_grad(|| {
                if let Some(rm) = running_mean {
                    let m = mean.reshape(&[-1]).to_dtype(rm.dtype());
                    rm.mul_(1.0 - momentum).add_(&m.mul(momentum));
                }
                if let Some(rv) = running_var {
                    let unbiased = var.reshape(&[-1]).mul(count as f64 / (count - 1) as f64);
                    rv.mul_(1.0 - momentum)
                        .add_(&unbiased.to_dtype(rv.dtype()).mul(momentum));
                }
            });
        }
        centered.mul(&var.add(eps).rsqrt())
    } else {
        let (Some(rm), Some(rv)) = (running_mean, running_var) else {
            unreachable!("checked above")
        };
        let rm = per_channel(&rm.to_dtype(x.dtype()), nd);
        let rv = per_channel(&rv.to_dtype(x.dtype()), nd);
        x.sub(&rm).mul(&rv.add(eps).rsqrt())
    };
    affine(y, weight, bias, nd)
}

fn affine(y: Tensor, weight: Option<&Tensor>, bias: Option<&Tensor>, nd: usize) -> Tensor {
    let y = match weight {
        Some(w) => y.mul(&per_channel(w, nd)),
        None => y,
    };
    match bias {
        Some(b) => y.add(&per_channel(b, nd)),
        None => y,
    }
}

/// Normalises over the last `normalized_shape.len()` dims (biased variance), then applies the
/// element-wise affine `weight`/`bias` of shape `normalized_shape`.
///
/// # Panics
/// When the input's trailing dims are not `normalized_shape`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::layer_norm(&Tensor::from([[1.0f64, 3.0]]), &[2], None, None, 0.0);
/// assert_eq!(y.to_vec::<f64>(), [-1.0, 1.0]);
/// ```
#[track_caller]
pub fn layer_norm(
    x: &Tensor,
    normalized_shape: &[usize],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Tensor {
    let k = normalized_shape.len();
    if x.ndim() < k || x.shape()[x.ndim() - k..] != *normalized_shape {
        panic!(
            "layer_norm: input {:?} does not end with normalized_shape {normalized_shape:?}",
            x.shape()
        );
    }
    let dims: Vec<isize> = (0..k as isize).map(|i| -1 - i).collect();
    let mean = x.mean_dim(&dims, true);
    let centered = x.sub(&mean);
    let var = centered.square().mean_dim(&dims, true);
    let mut y = centered.mul(&var.add(eps).rsqrt());
    if let Some(w) = weight {
        y = y.mul(w);
    }
    if let Some(b) = bias {
        y = y.add(b);
    }
    y
}

/// Root-mean-square normalisation over the last dims: `x / sqrt(mean(x²) + eps) · weight`.
/// `eps = None` uses the dtype's machine epsilon, as PyTorch.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::rms_norm(&Tensor::from([[3.0f64, 4.0]]), &[2], None, Some(0.0));
/// let r = (12.5f64).sqrt();
/// assert_eq!(y.to_vec::<f64>(), [3.0 / r, 4.0 / r]);
/// ```
#[track_caller]
pub fn rms_norm(
    x: &Tensor,
    normalized_shape: &[usize],
    weight: Option<&Tensor>,
    eps: Option<f64>,
) -> Tensor {
    let k = normalized_shape.len();
    if x.ndim() < k || x.shape()[x.ndim() - k..] != *normalized_shape {
        panic!(
            "rms_norm: input {:?} does not end with normalized_shape {normalized_shape:?}",
            x.shape()
        );
    }
    let eps = eps.unwrap_or(match x.dtype() {
        ember_autograd::DType::F64 => f64::EPSILON,
        _ => f32::EPSILON as f64,
    });
    let dims: Vec<isize> = (0..k as isize).map(|i| -1 - i).collect();
    let y = x.mul(&x.square().mean_dim(&dims, true).add(eps).rsqrt());
    match weight {
        Some(w) => y.mul(w),
        None => y,
    }
}

/// Group normalisation: channels of `(N, C, *)` split into `num_groups` groups, each group of
/// each sample normalised, then a per-channel affine.
///
/// # Panics
/// When `C` is not divisible by `num_groups`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from([[[1.0f64], [3.0], [5.0], [9.0]]]); // N=1, C=4, L=1
/// let y = F::group_norm(&x, 2, None, None, 0.0);
/// assert_eq!(y.to_vec::<f64>(), [-1.0, 1.0, -1.0, 1.0]); // groups {1, 3} and {5, 9}
/// ```
#[track_caller]
pub fn group_norm(
    x: &Tensor,
    num_groups: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Tensor {
    if x.ndim() < 2 || num_groups == 0 || !x.shape()[1].is_multiple_of(num_groups) {
        panic!(
            "group_norm: input {:?} needs (N, C, *) with C divisible by num_groups = {num_groups}",
            x.shape()
        );
    }
    let n = x.shape()[0] as isize;
    let g = x.reshape(&[n, num_groups as isize, -1]);
    let mean = g.mean_dim(&[2], true);
    let centered = g.sub(&mean);
    let var = centered.square().mean_dim(&[2], true);
    let y = centered.mul(&var.add(eps).rsqrt()).reshape(&isz(x.shape()));
    affine(y, weight, bias, x.ndim())
}

/// Instance normalisation: each channel of each sample of `(N, C, *)` normalised over its
/// spatial dims; optional running statistics as in batch norm.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from([[[1.0f64, 3.0]]]);
/// let y = F::instance_norm(&x, None, None, None, None, true, 0.1, 0.0);
/// assert_eq!(y.to_vec::<f64>(), [-1.0, 1.0]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn instance_norm(
    x: &Tensor,
    running_mean: Option<&Tensor>,
    running_var: Option<&Tensor>,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    use_input_stats: bool,
    momentum: f64,
    eps: f64,
) -> Tensor {
    if x.ndim() < 3 {
        panic!(
            "instance_norm: input must be (N, C, *spatial), got {:?}",
            x.shape()
        );
    }
    let (n, c) = (x.shape()[0], x.shape()[1]);
    if !use_input_stats && let (Some(rm), Some(rv)) = (running_mean, running_var) {
        let nd = x.ndim();
        let y = x
            .sub(&per_channel(&rm.to_dtype(x.dtype()), nd))
            .mul(&per_channel(&rv.to_dtype(x.dtype()), nd).add(eps).rsqrt());
        return affine(y, weight, bias, nd);
    }
    // As batch norm of a (1, N·C, *) input: the running stats are averaged over the batch.
    let mut shape = x.shape().to_vec();
    shape[0] = 1;
    shape[1] = n * c;
    let folded = x.reshape(&isz(&shape));
    let rm = running_mean.map(|r| r.repeat(&[n]));
    let rv = running_var.map(|r| r.repeat(&[n]));
    let y = batch_norm(
        &folded,
        rm.as_ref(),
        rv.as_ref(),
        None,
        None,
        true,
        momentum,
        eps,
    );
    no_grad(|| {
        if let (Some(dst), Some(src)) = (running_mean, &rm) {
            dst.copy_(&src.reshape(&[n as isize, c as isize]).mean_dim(&[0], false));
        }
        if let (Some(dst), Some(src)) = (running_var, &rv) {
            dst.copy_(&src.reshape(&[n as isize, c as isize]).mean_dim(&[0], false));
        }
    });
    affine(y.reshape(&isz(x.shape())), weight, bias, x.ndim())
}

/// Local response normalisation across channels:
/// `x / (k + alpha/size · Σ_{window} x²)^beta`, the window `size` channels centred on each.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from([[[2.0f64], [0.0]]]); // N=1, C=2, L=1
/// let y = F::local_response_norm(&x, 1, 1.0, 1.0, 1.0);
/// assert_eq!(y.to_vec::<f64>(), [2.0 / 5.0, 0.0]);
/// ```
#[track_caller]
pub fn local_response_norm(x: &Tensor, size: usize, alpha: f64, beta: f64, k: f64) -> Tensor {
    if x.ndim() < 3 || size == 0 {
        panic!(
            "local_response_norm: input must be (N, C, *) and size > 0, got {:?}, size {size}",
            x.shape()
        );
    }
    let c = x.shape()[1];
    let sq = x.square();
    // Zero-pad the channel dim by (size/2, (size-1)/2) and sum `size` shifted slices.
    let mut pads = vec![0usize; 2 * x.ndim()];
    let last = 2 * (x.ndim() - 2);
    pads[last] = size / 2;
    pads[last + 1] = (size - 1) / 2;
    let padded = sq.pad(&pads, ember_autograd::PadMode::Constant, 0.0);
    let mut sum = padded.narrow(1, 0, c);
    for s in 1..size {
        sum = sum.add(&padded.narrow(1, s, c));
    }
    x.div(&sum.mul(alpha / size as f64).add(k).pow(beta))
}
