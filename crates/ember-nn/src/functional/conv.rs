//! Convolution and pooling as functions: thin, shape-checked wrappers over the level-2 ops
//! (`ember_autograd::convolution`, `max_pool`, …) whose kernels are im2col + gemm.

use ember_autograd::{PadMode, Tensor};

/// Per-dim sizes given as one number for every spatial dim, or one per dim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dims(pub Vec<usize>);

impl Dims {
    /// The sizes for `n` spatial dims (a single value is repeated).
    ///
    /// # Panics
    /// When the length is neither 1 nor `n`.
    #[track_caller]
    pub fn expand(&self, op: &str, what: &str, n: usize) -> Vec<usize> {
        match self.0.len() {
            1 => vec![self.0[0]; n],
            l if l == n => self.0.clone(),
            l => panic!("{op}: {what} has {l} values for {n} spatial dims"),
        }
    }
}

impl From<usize> for Dims {
    fn from(v: usize) -> Dims {
        Dims(vec![v])
    }
}

impl<const N: usize> From<[usize; N]> for Dims {
    fn from(v: [usize; N]) -> Dims {
        Dims(v.to_vec())
    }
}

impl From<&[usize]> for Dims {
    fn from(v: &[usize]) -> Dims {
        Dims(v.to_vec())
    }
}

impl From<Vec<usize>> for Dims {
    fn from(v: Vec<usize>) -> Dims {
        Dims(v)
    }
}

/// Convolution padding: explicit sizes, `Same` (output size = input size / stride, for
/// stride 1), or `Valid` (none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Padding {
    /// This many elements on both sides of each spatial dim.
    Explicit(Dims),
    /// Pad so the output has the input's size (stride 1 only, as PyTorch).
    Same,
    /// No padding.
    Valid,
}

impl<T: Into<Dims>> From<T> for Padding {
    fn from(v: T) -> Padding {
        Padding::Explicit(v.into())
    }
}

/// The explicit per-side padding `(left, right)` for each spatial dim.
#[track_caller]
fn resolve_padding(
    op: &str,
    padding: &Padding,
    kernel: &[usize],
    stride: &[usize],
    dilation: &[usize],
) -> Vec<(usize, usize)> {
    let n = kernel.len();
    match padding {
        Padding::Valid => vec![(0, 0); n],
        Padding::Explicit(d) => d
            .expand(op, "padding", n)
            .into_iter()
            .map(|p| (p, p))
            .collect(),
        Padding::Same => {
            if stride.iter().any(|&s| s != 1) {
                panic!("{op}: padding='same' is not supported for strided convolutions");
            }
            (0..n)
                .map(|i| {
                    let total = dilation[i] * (kernel[i] - 1);
                    (total / 2, total - total / 2)
                })
                .collect()
        }
    }
}

/// Applies `pads` (per spatial dim, `(left, right)`) with `mode` when they are asymmetric or
/// the mode is not zeros; returns the input to convolve and the symmetric zero padding left.
pub(crate) fn pre_pad(x: &Tensor, pads: &[(usize, usize)], mode: PadMode) -> (Tensor, Vec<usize>) {
    let symmetric = pads.iter().all(|(l, r)| l == r);
    if symmetric && mode == PadMode::Constant {
        return (x.clone(), pads.iter().map(|p| p.0).collect());
    }
    // F.pad order: last dim first.
    let mut flat = Vec::with_capacity(2 * pads.len());
    for &(l, r) in pads.iter().rev() {
        flat.push(l);
        flat.push(r);
    }
    (x.pad(&flat, mode, 0.0), vec![0; pads.len()])
}

#[allow(clippy::too_many_arguments)]
#[track_caller]
fn conv_nd(
    op: &str,
    n: usize,
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: Dims,
    padding: Padding,
    dilation: Dims,
    groups: usize,
) -> Tensor {
    if weight.ndim() != n + 2 {
        panic!(
            "{op}: weight must have {} dims (out, in/groups, *kernel), got {:?}",
            n + 2,
            weight.shape()
        );
    }
    if x.ndim() != n + 1 && x.ndim() != n + 2 {
        panic!(
            "{op}: input must have {} or {} dims, got {:?}",
            n + 1,
            n + 2,
            x.shape()
        );
    }
    let kernel = &weight.shape()[2..];
    let stride = stride.expand(op, "stride", n);
    let dilation = dilation.expand(op, "dilation", n);
    let pads = resolve_padding(op, &padding, kernel, &stride, &dilation);
    let (x, pad) = pre_pad(x, &pads, PadMode::Constant);
    ember_autograd::convolution(
        &x,
        weight,
        bias,
        &stride,
        &pad,
        &dilation,
        false,
        &vec![0; n],
        groups,
    )
}

/// 1-d convolution of `(N, C_in, L)` with `weight` `(C_out, C_in/groups, K)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from([[[1.0f32, 2.0, 3.0, 4.0]]]);
/// let w = Tensor::from([[[1.0f32, -1.0]]]);
/// assert_eq!(F::conv1d(&x, &w, None, 1, 0, 1, 1).to_vec::<f32>(), [-1.0, -1.0, -1.0]);
/// ```
#[track_caller]
pub fn conv1d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: impl Into<Dims>,
    padding: impl Into<Padding>,
    dilation: impl Into<Dims>,
    groups: usize,
) -> Tensor {
    conv_nd(
        "conv1d",
        1,
        x,
        weight,
        bias,
        stride.into(),
        padding.into(),
        dilation.into(),
        groups,
    )
}

/// 2-d convolution of `(N, C_in, H, W)` with `weight` `(C_out, C_in/groups, KH, KW)`; stride,
/// padding (or [`Padding::Same`]) and dilation per dim or one for both.
///
/// ```
/// use ember_nn::{functional as F, functional::Padding, DType, Tensor};
/// let x = Tensor::ones(&[1, 1, 3, 3], DType::F32);
/// let w = Tensor::ones(&[1, 1, 3, 3], DType::F32);
/// let y = F::conv2d(&x, &w, None, 1, Padding::Same, 1, 1);
/// assert_eq!(y.to_vec::<f32>(), [4.0, 6.0, 4.0, 6.0, 9.0, 6.0, 4.0, 6.0, 4.0]);
/// ```
#[track_caller]
pub fn conv2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: impl Into<Dims>,
    padding: impl Into<Padding>,
    dilation: impl Into<Dims>,
    groups: usize,
) -> Tensor {
    conv_nd(
        "conv2d",
        2,
        x,
        weight,
        bias,
        stride.into(),
        padding.into(),
        dilation.into(),
        groups,
    )
}

/// 3-d convolution of `(N, C_in, D, H, W)` with `weight` `(C_out, C_in/groups, KD, KH, KW)`.
///
/// ```
/// use ember_nn::{functional as F, DType, Tensor};
/// let y = F::conv3d(&Tensor::ones(&[1, 2, 4, 4, 4], DType::F32), &Tensor::ones(&[3, 2, 2, 2, 2], DType::F32), None, 2, 0, 1, 1);
/// assert_eq!(y.shape(), &[1, 3, 2, 2, 2]);
/// assert_eq!(y.to_vec::<f32>()[0], 16.0);
/// ```
#[track_caller]
pub fn conv3d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: impl Into<Dims>,
    padding: impl Into<Padding>,
    dilation: impl Into<Dims>,
    groups: usize,
) -> Tensor {
    conv_nd(
        "conv3d",
        3,
        x,
        weight,
        bias,
        stride.into(),
        padding.into(),
        dilation.into(),
        groups,
    )
}

#[allow(clippy::too_many_arguments)]
#[track_caller]
fn conv_transpose_nd(
    op: &str,
    n: usize,
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: Dims,
    padding: Dims,
    output_padding: Dims,
    groups: usize,
    dilation: Dims,
) -> Tensor {
    if weight.ndim() != n + 2 {
        panic!(
            "{op}: weight must have {} dims (in, out/groups, *kernel), got {:?}",
            n + 2,
            weight.shape()
        );
    }
    ember_autograd::convolution(
        x,
        weight,
        bias,
        &stride.expand(op, "stride", n),
        &padding.expand(op, "padding", n),
        &dilation.expand(op, "dilation", n),
        true,
        &output_padding.expand(op, "output_padding", n),
        groups,
    )
}

/// 1-d transposed convolution ("deconvolution") with `weight` `(C_in, C_out/groups, K)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from([[[1.0f32, 2.0]]]);
/// let w = Tensor::from([[[1.0f32, 1.0]]]);
/// assert_eq!(F::conv_transpose1d(&x, &w, None, 1, 0, 0, 1, 1).to_vec::<f32>(), [1.0, 3.0, 2.0]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn conv_transpose1d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: impl Into<Dims>,
    padding: impl Into<Dims>,
    output_padding: impl Into<Dims>,
    groups: usize,
    dilation: impl Into<Dims>,
) -> Tensor {
    conv_transpose_nd(
        "conv_transpose1d",
        1,
        x,
        weight,
        bias,
        stride.into(),
        padding.into(),
        output_padding.into(),
        groups,
        dilation.into(),
    )
}

/// 2-d transposed convolution with `weight` `(C_in, C_out/groups, KH, KW)`.
///
/// ```
/// use ember_nn::{functional as F, DType, Tensor};
/// let y = F::conv_transpose2d(&Tensor::ones(&[1, 4, 5, 5], DType::F32), &Tensor::ones(&[4, 2, 3, 3], DType::F32), None, 2, 1, 1, 1, 1);
/// assert_eq!(y.shape(), &[1, 2, 10, 10]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn conv_transpose2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: impl Into<Dims>,
    padding: impl Into<Dims>,
    output_padding: impl Into<Dims>,
    groups: usize,
    dilation: impl Into<Dims>,
) -> Tensor {
    conv_transpose_nd(
        "conv_transpose2d",
        2,
        x,
        weight,
        bias,
        stride.into(),
        padding.into(),
        output_padding.into(),
        groups,
        dilation.into(),
    )
}

#[track_caller]
fn pool_args(
    op: &str,
    n: usize,
    kernel: Dims,
    stride: Option<Dims>,
    padding: Dims,
) -> [Vec<usize>; 3] {
    let k = kernel.expand(op, "kernel_size", n);
    let s = match stride {
        Some(s) => s.expand(op, "stride", n),
        None => k.clone(),
    };
    let p = padding.expand(op, "padding", n);
    for i in 0..n {
        if 2 * p[i] > k[i] {
            panic!("{op}: padding {p:?} must be at most half the kernel size {k:?}");
        }
    }
    [k, s, p]
}

/// 1-d max pooling; `stride = None` means the kernel size.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::max_pool1d(&Tensor::from([[[1.0f32, 3.0, 2.0, 5.0]]]), 2, None, 0, 1, false);
/// assert_eq!(y.to_vec::<f32>(), [3.0, 5.0]);
/// ```
#[track_caller]
pub fn max_pool1d(
    x: &Tensor,
    kernel_size: impl Into<Dims>,
    stride: Option<Dims>,
    padding: impl Into<Dims>,
    dilation: impl Into<Dims>,
    ceil_mode: bool,
) -> Tensor {
    let [k, s, p] = pool_args("max_pool1d", 1, kernel_size.into(), stride, padding.into());
    let d = dilation.into().expand("max_pool1d", "dilation", 1);
    ember_autograd::max_pool(x, &k, &s, &p, &d, ceil_mode).0
}

/// 2-d max pooling; `stride = None` means the kernel size.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
/// assert_eq!(F::max_pool2d(&x, 2, None, 0, 1, false).to_vec::<f32>(), [4.0]);
/// ```
#[track_caller]
pub fn max_pool2d(
    x: &Tensor,
    kernel_size: impl Into<Dims>,
    stride: Option<Dims>,
    padding: impl Into<Dims>,
    dilation: impl Into<Dims>,
    ceil_mode: bool,
) -> Tensor {
    max_pool2d_with_indices(x, kernel_size, stride, padding, dilation, ceil_mode).0
}

/// 2-d max pooling returning `(values, indices)`; the indices (flat over each plane) feed
/// [`max_unpool2d`].
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
/// let (_, idx) = F::max_pool2d_with_indices(&x, 2, None, 0, 1, false);
/// assert_eq!(idx.to_vec::<i64>(), [3]);
/// ```
#[track_caller]
pub fn max_pool2d_with_indices(
    x: &Tensor,
    kernel_size: impl Into<Dims>,
    stride: Option<Dims>,
    padding: impl Into<Dims>,
    dilation: impl Into<Dims>,
    ceil_mode: bool,
) -> (Tensor, Tensor) {
    let [k, s, p] = pool_args("max_pool2d", 2, kernel_size.into(), stride, padding.into());
    let d = dilation.into().expand("max_pool2d", "dilation", 2);
    ember_autograd::max_pool(x, &k, &s, &p, &d, ceil_mode)
}

/// 1-d average pooling.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::avg_pool1d(&Tensor::from([[[1.0f32, 3.0, 2.0, 6.0]]]), 2, None, 0, false, true);
/// assert_eq!(y.to_vec::<f32>(), [2.0, 4.0]);
/// ```
#[track_caller]
pub fn avg_pool1d(
    x: &Tensor,
    kernel_size: impl Into<Dims>,
    stride: Option<Dims>,
    padding: impl Into<Dims>,
    ceil_mode: bool,
    count_include_pad: bool,
) -> Tensor {
    let [k, s, p] = pool_args("avg_pool1d", 1, kernel_size.into(), stride, padding.into());
    ember_autograd::avg_pool(x, &k, &s, &p, ceil_mode, count_include_pad, None)
}

/// 2-d average pooling; `divisor_override` replaces the window size as divisor.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
/// assert_eq!(F::avg_pool2d(&x, 2, None, 0, false, true, None).to_vec::<f32>(), [2.5]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn avg_pool2d(
    x: &Tensor,
    kernel_size: impl Into<Dims>,
    stride: Option<Dims>,
    padding: impl Into<Dims>,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<usize>,
) -> Tensor {
    let [k, s, p] = pool_args("avg_pool2d", 2, kernel_size.into(), stride, padding.into());
    ember_autograd::avg_pool(
        x,
        &k,
        &s,
        &p,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )
}

/// 1-d adaptive average pooling to `output_size`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::adaptive_avg_pool1d(&Tensor::from([[[1.0f32, 3.0, 5.0, 7.0]]]), 2);
/// assert_eq!(y.to_vec::<f32>(), [2.0, 6.0]);
/// ```
#[track_caller]
pub fn adaptive_avg_pool1d(x: &Tensor, output_size: usize) -> Tensor {
    ember_autograd::adaptive_avg_pool(x, &[output_size])
}

/// 2-d adaptive average pooling to `output_size` (`[1, 1]` is global average pooling).
///
/// ```
/// use ember_nn::{functional as F, DType, Tensor};
/// let y = F::adaptive_avg_pool2d(&Tensor::ones(&[2, 3, 7, 7], DType::F32), [1, 1]);
/// assert_eq!(y.shape(), &[2, 3, 1, 1]);
/// ```
#[track_caller]
pub fn adaptive_avg_pool2d(x: &Tensor, output_size: impl Into<Dims>) -> Tensor {
    let o = output_size
        .into()
        .expand("adaptive_avg_pool2d", "output_size", 2);
    ember_autograd::adaptive_avg_pool(x, &o)
}

/// 2-d adaptive max pooling to `output_size`, with indices.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
/// let (v, i) = F::adaptive_max_pool2d(&x, 1);
/// assert_eq!((v.to_vec::<f32>(), i.to_vec::<i64>()), (vec![4.0], vec![3]));
/// ```
#[track_caller]
pub fn adaptive_max_pool2d(x: &Tensor, output_size: impl Into<Dims>) -> (Tensor, Tensor) {
    let o = output_size
        .into()
        .expand("adaptive_max_pool2d", "output_size", 2);
    ember_autograd::adaptive_max_pool(x, &o)
}

/// The partial inverse of max pooling: values put back at their indices, zeros elsewhere,
/// in an output of spatial size `output_size`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
/// let (v, i) = F::max_pool2d_with_indices(&x, 2, None, 0, 1, false);
/// let u = F::max_unpool2d(&v, &i, [2, 2]);
/// assert_eq!(u.to_vec::<f32>(), [0.0, 0.0, 0.0, 4.0]);
/// ```
#[track_caller]
pub fn max_unpool2d(x: &Tensor, indices: &Tensor, output_size: impl Into<Dims>) -> Tensor {
    let o = output_size.into().expand("max_unpool2d", "output_size", 2);
    ember_autograd::max_unpool(x, indices, &o)
}
