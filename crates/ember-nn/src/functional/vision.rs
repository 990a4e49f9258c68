//! Pixel shuffling and interpolation.

use ember_autograd::{DType, Tensor};

fn isz(s: &[usize]) -> Vec<isize> {
    s.iter().map(|&d| d as isize).collect()
}

/// `(*, C·r², H, W)` → `(*, C, H·r, W·r)`: sub-pixel convolution's rearrangement.
///
/// # Panics
/// When the channel count is not divisible by `r²`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 4, 1, 1]);
/// let y = F::pixel_shuffle(&x, 2);
/// assert_eq!(y.shape(), &[1, 1, 2, 2]);
/// assert_eq!(y.to_vec::<f32>(), [1.0, 2.0, 3.0, 4.0]);
/// ```
#[track_caller]
pub fn pixel_shuffle(x: &Tensor, r: usize) -> Tensor {
    let nd = x.ndim();
    if nd < 3 || r == 0 || !x.shape()[nd - 3].is_multiple_of(r * r) {
        panic!(
            "pixel_shuffle: input {:?} needs (*, C·r², H, W) with r = {r}",
            x.shape()
        );
    }
    let s = x.shape();
    let (c, h, w) = (s[nd - 3] / (r * r), s[nd - 2], s[nd - 1]);
    let batch = &s[..nd - 3];
    let mut v = isz(batch);
    v.extend([c as isize, r as isize, r as isize, h as isize, w as isize]);
    let b = batch.len() as isize;
    let mut perm: Vec<isize> = (0..b).collect();
    perm.extend([b, b + 3, b + 1, b + 4, b + 2]);
    let mut out = isz(batch);
    out.extend([c as isize, (h * r) as isize, (w * r) as isize]);
    x.reshape(&v).permute(&perm).reshape(&out)
}

/// The inverse of [`pixel_shuffle`]: `(*, C, H·r, W·r)` → `(*, C·r², H, W)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::randn(&[1, 2, 4, 6], ember_nn::DType::F32);
/// let y = F::pixel_unshuffle(&x, 2);
/// assert_eq!(y.shape(), &[1, 8, 2, 3]);
/// assert_eq!(F::pixel_shuffle(&y, 2).to_vec::<f32>(), x.to_vec::<f32>());
/// ```
#[track_caller]
pub fn pixel_unshuffle(x: &Tensor, r: usize) -> Tensor {
    let nd = x.ndim();
    if nd < 3
        || r == 0
        || !x.shape()[nd - 2].is_multiple_of(r)
        || !x.shape()[nd - 1].is_multiple_of(r)
    {
        panic!(
            "pixel_unshuffle: input {:?} needs (*, C, H·r, W·r) with r = {r}",
            x.shape()
        );
    }
    let s = x.shape();
    let (c, h, w) = (s[nd - 3], s[nd - 2] / r, s[nd - 1] / r);
    let batch = &s[..nd - 3];
    let mut v = isz(batch);
    v.extend([c as isize, h as isize, r as isize, w as isize, r as isize]);
    let b = batch.len() as isize;
    let mut perm: Vec<isize> = (0..b).collect();
    perm.extend([b, b + 2, b + 4, b + 1, b + 3]);
    let mut out = isz(batch);
    out.extend([(c * r * r) as isize, h as isize, w as isize]);
    x.reshape(&v).permute(&perm).reshape(&out)
}

/// How [`interpolate`] computes new samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterpolateMode {
    /// The nearest input sample (PyTorch's `'nearest'`: `floor(out_index · in / out)`).
    Nearest,
    /// Linear along each spatial dim (`'linear'`, `'bilinear'`, `'trilinear'`).
    Linear,
}

/// Resizes the spatial dims of `(N, C, *spatial)` to `size` (or by `scale_factor`), by
/// nearest or (bi/tri)linear interpolation, with PyTorch's `align_corners` conventions.
/// Differentiable: it is a gather plus a weighted sum.
///
/// # Panics
/// When neither or both of `size` and `scale_factor` are given, or their length is not the
/// number of spatial dims.
///
/// ```
/// use ember_nn::functional::{self as F, InterpolateMode};
/// use ember_nn::Tensor;
/// let x = Tensor::from([[[1.0f32, 3.0]]]); // (1, 1, 2)
/// let y = F::interpolate(&x, Some(&[4]), None, InterpolateMode::Linear, false);
/// assert_eq!(y.to_vec::<f32>(), [1.0, 1.5, 2.5, 3.0]);
/// let n = F::interpolate(&x, None, Some(&[2.0]), InterpolateMode::Nearest, false);
/// assert_eq!(n.to_vec::<f32>(), [1.0, 1.0, 3.0, 3.0]);
/// ```
#[track_caller]
pub fn interpolate(
    x: &Tensor,
    size: Option<&[usize]>,
    scale_factor: Option<&[f64]>,
    mode: InterpolateMode,
    align_corners: bool,
) -> Tensor {
    if x.ndim() < 3 {
        panic!(
            "interpolate: input must be (N, C, *spatial), got {:?}",
            x.shape()
        );
    }
    let sd = x.ndim() - 2;
    let in_sizes = &x.shape()[2..];
    let (out_sizes, scales): (Vec<usize>, Vec<Option<f64>>) = match (size, scale_factor) {
        (Some(s), None) if s.len() == sd => (s.to_vec(), vec![None; sd]),
        (None, Some(f)) if f.len() == sd => (
            in_sizes
                .iter()
                .zip(f)
                .map(|(&i, &k)| (i as f64 * k).floor() as usize)
                .collect(),
            f.iter().map(|&k| Some(k)).collect(),
        ),
        _ => panic!(
            "interpolate: give exactly one of size and scale_factor, with {sd} entries \
             (input {:?})",
            x.shape()
        ),
    };
    let mut y = x.clone();
    for d in 0..sd {
        let (i, o) = (in_sizes[d], out_sizes[d]);
        if i == o && scales[d].is_none() {
            continue;
        }
        let dim = (2 + d) as isize;
        // PyTorch uses 1/scale_factor as the step when a scale is given.
        let step = match scales[d] {
            Some(k) if !align_corners => 1.0 / k,
            _ => i as f64 / o as f64,
        };
        match mode {
            InterpolateMode::Nearest => {
                let idx: Vec<i64> = (0..o)
                    .map(|j| ((j as f64 * step).floor() as usize).min(i - 1) as i64)
                    .collect();
                y = y.index_select(dim, &Tensor::from_vec(idx, &[o]));
            }
            InterpolateMode::Linear => {
                let mut lo = Vec::with_capacity(o);
                let mut hi = Vec::with_capacity(o);
                let mut frac = Vec::with_capacity(o);
                for j in 0..o {
                    let src = if align_corners {
                        if o > 1 {
                            j as f64 * (i as f64 - 1.0) / (o as f64 - 1.0)
                        } else {
                            0.0
                        }
                    } else {
                        ((j as f64 + 0.5) * step - 0.5).max(0.0)
                    };
                    let l = (src.floor() as usize).min(i - 1);
                    let h = (l + 1).min(i - 1);
                    lo.push(l as i64);
                    hi.push(h as i64);
                    frac.push(src - l as f64);
                }
                let a = y.index_select(dim, &Tensor::from_vec(lo, &[o]));
                let b = y.index_select(dim, &Tensor::from_vec(hi, &[o]));
                let mut shape = vec![1isize; x.ndim()];
                shape[2 + d] = o as isize;
                let t = Tensor::from_vec(frac, &[o])
                    .to_dtype(if x.dtype() == DType::F64 {
                        DType::F64
                    } else {
                        x.dtype()
                    })
                    .reshape(&shape);
                y = a.add(&b.sub(&a).mul(&t));
            }
        }
    }
    y
}
