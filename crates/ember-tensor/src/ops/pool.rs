//! Pooling kernels (`torch.nn.functional.{max,avg,adaptive_avg,adaptive_max}_pool{1,2,3}d`,
//! `max_unpool`) and their backward kernels, for f32 and f64.
//!
//! One n-d engine: the last `k` dims are spatial (`k` = the kernel's length), every leading
//! dim is a plane (`(N, C, *spatial)` or `(C, *spatial)`). Each pooling is described per
//! spatial dim by its windows (for output index `o`: the first valid input index, how many
//! taps, their step) and, for averages, a divisor; planes run in parallel over rayon.
//! Max indices are flat over each plane's spatial dims, as PyTorch's `*_with_indices`.

use rayon::prelude::*;

use crate::Array;
use crate::dtype::{DType, Element};
use crate::ops::conv::ConvFloat;

/// The windows of one spatial dim: output index `o` reads the input indices
/// `first[o] + j·step` for `j < count[o]`; `size[o]` is the window's size counting padding
/// (the `count_include_pad` divisor factor).
struct DimWindows {
    first: Vec<usize>,
    count: Vec<usize>,
    size: Vec<usize>,
    step: usize,
}

/// PyTorch's `pooling_output_shape`: `(in + 2p - d(k-1) - 1 [+ s-1 when ceil]) / s + 1`, one
/// less when ceil mode would start the last window in the right padding.
#[track_caller]
fn pooled_size(op: &str, i: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> usize {
    let span = d * (k - 1) + 1;
    assert!(
        i + 2 * p >= span,
        "{op}: input size {i} (padded by {p}) is smaller than the kernel {k} (dilation {d})"
    );
    let num = i + 2 * p - span + if ceil { s - 1 } else { 0 };
    let mut out = num / s + 1;
    if ceil && (out - 1) * s >= i + p {
        out -= 1;
    }
    out
}

/// `v` with one value per spatial dim: empty gives `default`, one value is broadcast.
#[track_caller]
fn per_dim(op: &str, what: &str, v: &[usize], nd: usize, default: &[usize]) -> Vec<usize> {
    match v.len() {
        0 => default.to_vec(),
        1 => vec![v[0]; nd],
        n if n == nd => v.to_vec(),
        n => panic!("{op}: {what} has {n} values {v:?}, expected 1 or {nd} (one per spatial dim)"),
    }
}

/// Kernel, stride (empty: = kernel), padding and dilation checked and one per spatial dim.
#[track_caller]
fn pool_params(
    op: &str,
    kernel: &[usize],
    stride: &[usize],
    padding: &[usize],
    dilation: &[usize],
) -> [Vec<usize>; 4] {
    let nd = kernel.len();
    assert!(nd >= 1, "{op}: kernel_size must have at least one value");
    let s = per_dim(op, "stride", stride, nd, kernel);
    let p = per_dim(op, "padding", padding, nd, &vec![0; nd]);
    let d = per_dim(op, "dilation", dilation, nd, &vec![1; nd]);
    for i in 0..nd {
        assert!(
            kernel[i] > 0 && s[i] > 0 && d[i] > 0,
            "{op}: kernel_size {kernel:?}, stride {s:?} and dilation {d:?} must be positive"
        );
        assert!(
            p[i] <= (d[i] * (kernel[i] - 1)).div_ceil(2),
            "{op}: padding {p:?} should be at most half of the (dilated) kernel size {kernel:?}"
        );
    }
    [kernel.to_vec(), s, p, d]
}

/// Shape checks shared by every pooling: at least one plane dim before the spatial dims.
#[track_caller]
fn check_input(op: &str, x: &Array, nd: usize) -> DType {
    assert!(
        x.ndim() > nd,
        "{op}: expected an input (N, C, *spatial) or (C, *spatial) with {nd} spatial dims, got \
         shape {:?}",
        x.shape()
    );
    assert!(
        x.shape()[x.ndim() - nd..].iter().all(|&s| s > 0),
        "{op}: the spatial dims of input {:?} must be non-empty",
        x.shape()
    );
    let dt = x.dtype();
    assert!(
        matches!(dt, DType::F32 | DType::F64),
        "{op}: only f32 and f64 are supported, got {dt} (convert with .to_dtype(..) first)"
    );
    dt
}

/// Windows of a (max or average) pooling with a fixed kernel.
fn fixed_windows(i: usize, o: usize, k: usize, s: usize, p: usize, d: usize) -> DimWindows {
    let mut w = DimWindows {
        first: Vec::with_capacity(o),
        count: Vec::with_capacity(o),
        size: Vec::with_capacity(o),
        step: d,
    };
    for oi in 0..o {
        let start = (oi * s) as isize - p as isize;
        // Taps start + j·d (j < k) inside [0, i).
        let j0 = if start < 0 {
            ((-start) as usize).div_ceil(d)
        } else {
            0
        };
        let lim = i as isize - start; // j·d < lim
        let j1 = if lim <= 0 {
            0
        } else {
            (lim as usize).div_ceil(d).min(k)
        };
        let count = j1.saturating_sub(j0);
        w.first.push(if count > 0 {
            (start + (j0 * d) as isize) as usize
        } else {
            0
        });
        w.count.push(count);
        // PyTorch's avg divisor with padding: the window clipped to the padded input.
        let end = (start + k as isize).min((i + p) as isize);
        w.size.push((end - start).max(0) as usize);
    }
    w
}

/// Windows of an adaptive pooling: `floor(o·I/O) .. ceil((o+1)·I/O)`.
fn adaptive_windows(i: usize, o: usize) -> DimWindows {
    let mut w = DimWindows {
        first: Vec::with_capacity(o),
        count: Vec::with_capacity(o),
        size: Vec::with_capacity(o),
        step: 1,
    };
    for oi in 0..o {
        let a = oi * i / o;
        let b = ((oi + 1) * i).div_ceil(o);
        w.first.push(a);
        w.count.push(b - a);
        w.size.push(b - a);
    }
    w
}

/// The geometry of a pooling: planes, spatial input/output sizes and per-dim windows.
struct Pooling {
    planes: usize,
    lead: Vec<usize>,
    in_sp: Vec<usize>,
    out_sp: Vec<usize>,
    /// The flat input indices of every output position's taps, built once per op (they are
    /// the same for every plane): output `o` reads `taps[tap_start[o]..tap_start[o + 1]]`.
    taps: Vec<usize>,
    tap_start: Vec<usize>,
    /// Each window's size counting padding (the average's divisor with `count_include_pad`).
    sizes: Vec<usize>,
}

impl Pooling {
    fn new(x_shape: &[usize], out_sp: Vec<usize>, dims: Vec<DimWindows>) -> Pooling {
        let nd = out_sp.len();
        let lead = x_shape[..x_shape.len() - nd].to_vec();
        let in_sp = x_shape[x_shape.len() - nd..].to_vec();
        let (taps, tap_start, sizes) = window_table(&in_sp, &out_sp, &dims);
        Pooling {
            planes: lead.iter().product(),
            lead,
            in_sp,
            out_sp,
            taps,
            tap_start,
            sizes,
        }
    }
    fn in_prod(&self) -> usize {
        self.in_sp.iter().product()
    }
    fn out_prod(&self) -> usize {
        self.out_sp.iter().product()
    }
    fn out_shape(&self) -> Vec<usize> {
        let mut s = self.lead.clone();
        s.extend_from_slice(&self.out_sp);
        s
    }

    /// Calls `f(output_flat_index, window, size)` for every output position of a plane, where
    /// `window` lists the flat input indices of the window's taps and `size` is the window's
    /// size counting padding.
    #[inline]
    fn for_each_window(&self, mut f: impl FnMut(usize, &[usize], usize)) {
        for (o, (w, &size)) in self.tap_start.windows(2).zip(&self.sizes).enumerate() {
            f(o, &self.taps[w[0]..w[1]], size);
        }
    }
}

/// The window table of [`Pooling`]: every output position's taps (flat input indices within a
/// plane), where each position's taps start, and each window's padded size.
fn window_table(
    in_sp: &[usize],
    out_sp: &[usize],
    dims: &[DimWindows],
) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let nd = out_sp.len();
    let mut strides = vec![1usize; nd];
    for d in (0..nd.saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * in_sp[d + 1];
    }
    let out_prod: usize = out_sp.iter().product();
    let mut all = Vec::new();
    let mut start = Vec::with_capacity(out_prod + 1);
    let mut sizes = Vec::with_capacity(out_prod);
    let mut opos = vec![0usize; nd];
    let mut taps: Vec<usize> = Vec::new();
    start.push(0);
    for o in 0..out_prod {
        let mut r = o;
        for d in (0..nd).rev() {
            opos[d] = r % out_sp[d];
            r /= out_sp[d];
        }
        taps.clear();
        taps.push(0);
        let mut size = 1;
        for d in 0..nd {
            let w = &dims[d];
            let (first, count) = (w.first[opos[d]], w.count[opos[d]]);
            size *= w.size[opos[d]];
            let prev = taps.len();
            for t in 0..prev {
                for j in 0..count {
                    taps.push(taps[t] + (first + j * w.step) * strides[d]);
                }
            }
            taps.drain(..prev);
        }
        all.extend_from_slice(&taps);
        start.push(all.len());
        sizes.push(size);
    }
    (all, start, sizes)
}

/// Max over every window, with the flat spatial index of the maximum; NaN wins as in PyTorch.
fn max_impl<T: ConvFloat>(pl: &Pooling, x: &Array) -> (Array, Array) {
    let (ip, op) = (pl.in_prod(), pl.out_prod());
    let mut vals = T::pool().take_uninit(pl.planes * op);
    let mut idx = i64::pool().take_uninit(pl.planes * op);
    let x = x.contiguous();
    let off = x.storage_offset();
    x.with_slice(|xs: &[T]| {
        let xs = &xs[off..off + pl.planes * ip];
        vals.par_chunks_mut(op.max(1))
            .zip(idx.par_chunks_mut(op.max(1)))
            .enumerate()
            .for_each(|(p, (v, ix))| {
                let plane = &xs[p * ip..(p + 1) * ip];
                pl.for_each_window(|o, taps, _| {
                    let mut best = T::from_f64(f64::NEG_INFINITY);
                    let mut bi = taps.first().copied().unwrap_or(0);
                    for &t in taps {
                        let val = plane[t];
                        #[allow(clippy::eq_op)]
                        let nan = val != val;
                        // As PyTorch: NaN wins (the last one, since `val > NaN` is false).
                        if val > best || nan {
                            best = val;
                            bi = t;
                        }
                    }
                    v[o] = best;
                    ix[o] = bi as i64;
                });
            });
    });
    let shape = pl.out_shape();
    (
        Array::from_contiguous(vals, &shape),
        Array::from_contiguous(idx, &shape),
    )
}

/// How an average divides: by a fixed number, by the window counting padding, or by the
/// number of taps inside the input.
#[derive(Clone, Copy)]
enum Divisor {
    Fixed(usize),
    WithPad,
    Taps,
}

fn avg_impl<T: ConvFloat>(pl: &Pooling, x: &Array, div: Divisor) -> Array {
    let (ip, op) = (pl.in_prod(), pl.out_prod());
    let mut out = T::pool().take_uninit(pl.planes * op);
    let x = x.contiguous();
    let off = x.storage_offset();
    x.with_slice(|xs: &[T]| {
        let xs = &xs[off..off + pl.planes * ip];
        out.par_chunks_mut(op.max(1))
            .enumerate()
            .for_each(|(p, v)| {
                let plane = &xs[p * ip..(p + 1) * ip];
                pl.for_each_window(|o, taps, size| {
                    if taps.is_empty() {
                        v[o] = T::ZERO;
                        return;
                    }
                    let mut s = T::ZERO;
                    for &t in taps {
                        s += plane[t];
                    }
                    let d = match div {
                        Divisor::Fixed(d) => d,
                        Divisor::WithPad => size,
                        Divisor::Taps => taps.len(),
                    };
                    v[o] = s * T::from_f64(1.0 / d as f64);
                });
            });
    });
    Array::from_contiguous(out, &pl.out_shape())
}

fn avg_backward_impl<T: ConvFloat>(pl: &Pooling, g: &Array, div: Divisor) -> Array {
    let (ip, op) = (pl.in_prod(), pl.out_prod());
    let mut dx = T::pool().take_filled(pl.planes * ip, T::ZERO);
    let g = g.contiguous();
    let off = g.storage_offset();
    g.with_slice(|gs: &[T]| {
        let gs = &gs[off..off + pl.planes * op];
        dx.par_chunks_mut(ip.max(1))
            .enumerate()
            .for_each(|(p, dxp)| {
                let gp = &gs[p * op..(p + 1) * op];
                pl.for_each_window(|o, taps, size| {
                    if taps.is_empty() {
                        return;
                    }
                    let d = match div {
                        Divisor::Fixed(d) => d,
                        Divisor::WithPad => size,
                        Divisor::Taps => taps.len(),
                    };
                    let v = gp[o] * T::from_f64(1.0 / d as f64);
                    for &t in taps {
                        dxp[t] += v;
                    }
                });
            });
    });
    let mut shape = pl.lead.clone();
    shape.extend_from_slice(&pl.in_sp);
    Array::from_contiguous(dx, &shape)
}

/// The output spatial size of a max or average pooling (PyTorch's `pooling_output_shape`,
/// per dim). `stride` empty means `= kernel`; `dilation` empty means 1.
///
/// ```
/// use ember_tensor::ops::pool::pool_output_size;
/// assert_eq!(pool_output_size(&[5, 5], &[2, 2], &[], &[0], &[], false), vec![2, 2]);
/// assert_eq!(pool_output_size(&[5, 5], &[2, 2], &[], &[0], &[], true), vec![3, 3]);
/// ```
#[track_caller]
pub fn pool_output_size(
    input: &[usize],
    kernel: &[usize],
    stride: &[usize],
    padding: &[usize],
    dilation: &[usize],
    ceil_mode: bool,
) -> Vec<usize> {
    let op = "pool";
    let [k, s, p, d] = pool_params(op, kernel, stride, padding, dilation);
    (0..k.len())
        .map(|i| pooled_size(op, input[i], k[i], s[i], p[i], d[i], ceil_mode))
        .collect()
}

/// Max pooling with indices (`torch.nn.functional.max_pool{1,2,3}d(..., return_indices=True)`)
/// over the last `kernel.len()` dims of `x` (`(N, C, *spatial)` or `(C, *spatial)`). Returns
/// the maxima and their i64 indices, flat over each plane's spatial dims. `stride` empty means
/// `= kernel`; padding is `-inf`.
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::pool::max_pool;
/// let x = Array::from_vec(vec![1.0f32, 5.0, 2.0, 3.0, 4.0, 0.0], &[1, 1, 6]);
/// let (v, i) = max_pool(&x, &[2], &[], &[], &[], false);
/// assert_eq!(v.to_vec::<f32>(), vec![5.0, 3.0, 4.0]);
/// assert_eq!(i.to_vec::<i64>(), vec![1, 3, 4]);
/// ```
#[track_caller]
pub fn max_pool(
    x: &Array,
    kernel: &[usize],
    stride: &[usize],
    padding: &[usize],
    dilation: &[usize],
    ceil_mode: bool,
) -> (Array, Array) {
    let op = "max_pool";
    let nd = kernel.len();
    let [k, s, p, d] = pool_params(op, kernel, stride, padding, dilation);
    let dt = check_input(op, x, nd);
    let in_sp = &x.shape()[x.ndim() - nd..];
    let out_sp: Vec<usize> = (0..nd)
        .map(|i| pooled_size(op, in_sp[i], k[i], s[i], p[i], d[i], ceil_mode))
        .collect();
    let dims = (0..nd)
        .map(|i| fixed_windows(in_sp[i], out_sp[i], k[i], s[i], p[i], d[i]))
        .collect();
    let pl = Pooling::new(x.shape(), out_sp, dims);
    match dt {
        DType::F32 => max_impl::<f32>(&pl, x),
        _ => max_impl::<f64>(&pl, x),
    }
}

/// Adaptive max pooling with indices (`adaptive_max_pool{1,2,3}d(..., return_indices=True)`):
/// output index `o` of each spatial dim pools `floor(o·In/Out) .. ceil((o+1)·In/Out)`.
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::pool::adaptive_max_pool;
/// let x = Array::from_vec(vec![1.0f64, 5.0, 2.0, 3.0, 4.0], &[1, 5]);
/// let (v, i) = adaptive_max_pool(&x, &[2]);
/// assert_eq!(v.to_vec::<f64>(), vec![5.0, 4.0]);
/// assert_eq!(i.to_vec::<i64>(), vec![1, 4]);
/// ```
#[track_caller]
pub fn adaptive_max_pool(x: &Array, output_size: &[usize]) -> (Array, Array) {
    let op = "adaptive_max_pool";
    let pl = adaptive_geometry(op, x, output_size);
    match check_input(op, x, output_size.len()) {
        DType::F32 => max_impl::<f32>(&pl, x),
        _ => max_impl::<f64>(&pl, x),
    }
}

#[track_caller]
fn adaptive_geometry(op: &str, x: &Array, output_size: &[usize]) -> Pooling {
    let nd = output_size.len();
    assert!(nd >= 1, "{op}: output_size must have at least one value");
    check_input(op, x, nd);
    assert!(
        output_size.iter().all(|&o| o > 0),
        "{op}: output_size {output_size:?} must be positive"
    );
    let in_sp = &x.shape()[x.ndim() - nd..];
    let dims = (0..nd)
        .map(|i| adaptive_windows(in_sp[i], output_size[i]))
        .collect();
    Pooling::new(x.shape(), output_size.to_vec(), dims)
}

/// Gradient of a max pooling (fixed or adaptive) with respect to its input: each gradient
/// element is added at its index in its plane of a zero array of `input_shape` (whose last
/// `spatial_dims` dims are a plane's).
///
/// # Panics
/// If an index is outside its plane or the shapes disagree.
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::pool::max_pool_backward;
/// let g = Array::from_vec(vec![1.0f32, 2.0], &[1, 2]);
/// let i = Array::from_vec(vec![1i64, 1], &[1, 2]);
/// assert_eq!(max_pool_backward(&g, &i, &[1, 3], 1).to_vec::<f32>(), vec![0.0, 3.0, 0.0]);
/// ```
#[track_caller]
pub fn max_pool_backward(
    grad: &Array,
    indices: &Array,
    input_shape: &[usize],
    spatial_dims: usize,
) -> Array {
    scatter_planes(
        "max_pool_backward",
        grad,
        indices,
        input_shape,
        spatial_dims,
        true,
    )
}

/// Inverse of a max pooling (`torch.nn.functional.max_unpool{1,2,3}d`): a zero array of
/// `x`'s plane dims followed by `output_size`, where each value of `x` is written at its index
/// in its plane.
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::pool::max_unpool;
/// let x = Array::from_vec(vec![5.0f32, 3.0], &[1, 1, 2]);
/// let i = Array::from_vec(vec![1i64, 3], &[1, 1, 2]);
/// assert_eq!(max_unpool(&x, &i, &[4]).to_vec::<f32>(), vec![0.0, 5.0, 0.0, 3.0]);
/// ```
#[track_caller]
pub fn max_unpool(x: &Array, indices: &Array, output_size: &[usize]) -> Array {
    let nd = output_size.len();
    assert!(
        x.ndim() > nd,
        "max_unpool: input {:?} needs plane dims before its {nd} spatial dims",
        x.shape()
    );
    let mut shape = x.shape()[..x.ndim() - nd].to_vec();
    shape.extend_from_slice(output_size);
    scatter_planes("max_unpool", x, indices, &shape, nd, false)
}

/// Writes (or adds) `src`'s values at `indices` within each plane of a zero array of `shape`;
/// the last `nd` dims of `shape` (and of `src`) are a plane's spatial dims.
#[track_caller]
fn scatter_planes(
    op: &str,
    src: &Array,
    indices: &Array,
    shape: &[usize],
    nd: usize,
    add: bool,
) -> Array {
    assert!(
        src.shape() == indices.shape() && indices.dtype() == DType::I64,
        "{op}: values {:?} and i64 indices {:?} must have the same shape (indices dtype {})",
        src.shape(),
        indices.shape(),
        indices.dtype()
    );
    let lead = shape.len().saturating_sub(nd);
    assert!(
        nd >= 1 && src.ndim() == shape.len() && lead >= 1 && src.shape()[..lead] == shape[..lead],
        "{op}: values {:?} and output {:?} must have the same plane dims before {nd} spatial dims",
        src.shape(),
        shape
    );
    let planes: usize = shape[..lead].iter().product();
    let plane_out: usize = shape[lead..].iter().product();
    let plane_in: usize = src.shape()[lead..].iter().product();
    let dt = src.dtype();
    assert!(
        matches!(dt, DType::F32 | DType::F64),
        "{op}: only f32 and f64 are supported, got {dt}"
    );
    match dt {
        DType::F32 => {
            scatter_impl::<f32>(op, src, indices, shape, planes, plane_in, plane_out, add)
        }
        _ => scatter_impl::<f64>(op, src, indices, shape, planes, plane_in, plane_out, add),
    }
}

#[allow(clippy::too_many_arguments)]
#[track_caller]
fn scatter_impl<T: ConvFloat>(
    op: &str,
    src: &Array,
    indices: &Array,
    shape: &[usize],
    planes: usize,
    plane_in: usize,
    plane_out: usize,
    add: bool,
) -> Array {
    let mut out = T::pool().take_filled(planes * plane_out, T::ZERO);
    let (s, i) = (src.contiguous(), indices.contiguous());
    let (so, io) = (s.storage_offset(), i.storage_offset());
    let bad = s.with_slice(|ss: &[T]| {
        i.with_slice(|is: &[i64]| {
            let ss = &ss[so..so + planes * plane_in];
            let is = &is[io..io + planes * plane_in];
            out.par_chunks_mut(plane_out.max(1))
                .enumerate()
                .map(|(p, dst)| {
                    let mut bad = None;
                    for j in 0..plane_in {
                        let k = is[p * plane_in + j];
                        if k < 0 || k as usize >= plane_out {
                            bad = Some(k);
                            continue;
                        }
                        let v = ss[p * plane_in + j];
                        if add {
                            dst[k as usize] += v;
                        } else {
                            dst[k as usize] = v;
                        }
                    }
                    bad
                })
                .reduce(|| None, |a, b| a.or(b))
        })
    });
    if let Some(k) = bad {
        panic!(
            "{op}: index {k} is out of range for output planes of {plane_out} elements (output \
             shape {shape:?}, values {:?})",
            src.shape()
        );
    }
    Array::from_contiguous(out, shape)
}

/// Average pooling (`torch.nn.functional.avg_pool{1,2,3}d`) over the last `kernel.len()` dims.
/// `stride` empty means `= kernel`. The divisor is `divisor_override` if given, else the
/// window size counting padding (`count_include_pad`) or only the taps inside the input.
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::pool::avg_pool;
/// let x = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 4]);
/// let y = avg_pool(&x, &[2], &[], &[1], false, true, None);
/// assert_eq!(y.to_vec::<f32>(), vec![0.5, 2.5, 2.0]);
/// let y = avg_pool(&x, &[2], &[], &[1], false, false, None);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.5, 4.0]);
/// ```
#[track_caller]
pub fn avg_pool(
    x: &Array,
    kernel: &[usize],
    stride: &[usize],
    padding: &[usize],
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<usize>,
) -> Array {
    let op = "avg_pool";
    let dt = check_input(op, x, kernel.len());
    let (pl, div) = avg_geometry(
        op,
        x.shape(),
        kernel,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    );
    match dt {
        DType::F32 => avg_impl::<f32>(&pl, x, div),
        _ => avg_impl::<f64>(&pl, x, div),
    }
}

#[allow(clippy::too_many_arguments)]
#[track_caller]
fn avg_geometry(
    op: &str,
    x_shape: &[usize],
    kernel: &[usize],
    stride: &[usize],
    padding: &[usize],
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<usize>,
) -> (Pooling, Divisor) {
    let nd = kernel.len();
    let [k, s, p, _] = pool_params(op, kernel, stride, padding, &[]);
    let in_sp = &x_shape[x_shape.len() - nd..];
    let out_sp: Vec<usize> = (0..nd)
        .map(|i| pooled_size(op, in_sp[i], k[i], s[i], p[i], 1, ceil_mode))
        .collect();
    let dims = (0..nd)
        .map(|i| fixed_windows(in_sp[i], out_sp[i], k[i], s[i], p[i], 1))
        .collect();
    let div = match divisor_override {
        Some(0) => panic!("{op}: divisor_override must be non-zero"),
        Some(d) => Divisor::Fixed(d),
        None if count_include_pad => Divisor::WithPad,
        None => Divisor::Taps,
    };
    (Pooling::new(x_shape, out_sp, dims), div)
}

/// Gradient of [`avg_pool`] with respect to its input (of shape `input_shape`), given the same
/// parameters.
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::pool::avg_pool_backward;
/// let g = Array::from_vec(vec![1.0f32, 1.0], &[1, 2]);
/// let dx = avg_pool_backward(&g, &[1, 4], &[2], &[], &[], false, true, None);
/// assert_eq!(dx.to_vec::<f32>(), vec![0.5; 4]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn avg_pool_backward(
    grad: &Array,
    input_shape: &[usize],
    kernel: &[usize],
    stride: &[usize],
    padding: &[usize],
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<usize>,
) -> Array {
    let op = "avg_pool_backward";
    let (pl, div) = avg_geometry(
        op,
        input_shape,
        kernel,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    );
    check_grad(op, grad, &pl);
    match grad.dtype() {
        DType::F32 => avg_backward_impl::<f32>(&pl, grad, div),
        _ => avg_backward_impl::<f64>(&pl, grad, div),
    }
}

#[track_caller]
fn check_grad(op: &str, grad: &Array, pl: &Pooling) {
    assert!(
        grad.shape() == pl.out_shape(),
        "{op}: grad of shape {:?} does not match the pooled shape {:?}",
        grad.shape(),
        pl.out_shape()
    );
    assert!(
        matches!(grad.dtype(), DType::F32 | DType::F64),
        "{op}: only f32 and f64 are supported, got {}",
        grad.dtype()
    );
}

/// Adaptive average pooling (`torch.nn.functional.adaptive_avg_pool{1,2,3}d`): output index `o`
/// of each spatial dim averages `floor(o·In/Out) .. ceil((o+1)·In/Out)`.
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::pool::adaptive_avg_pool;
/// let x = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0], &[1, 5]);
/// assert_eq!(adaptive_avg_pool(&x, &[2]).to_vec::<f32>(), vec![2.0, 4.0]);
/// ```
#[track_caller]
pub fn adaptive_avg_pool(x: &Array, output_size: &[usize]) -> Array {
    let op = "adaptive_avg_pool";
    let pl = adaptive_geometry(op, x, output_size);
    match x.dtype() {
        DType::F32 => avg_impl::<f32>(&pl, x, Divisor::Taps),
        _ => avg_impl::<f64>(&pl, x, Divisor::Taps),
    }
}

/// Gradient of [`adaptive_avg_pool`] with respect to its input (of shape `input_shape`).
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::pool::adaptive_avg_pool_backward;
/// let g = Array::from_vec(vec![3.0f64, 3.0], &[1, 2]);
/// let dx = adaptive_avg_pool_backward(&g, &[1, 5]);
/// assert_eq!(dx.to_vec::<f64>(), vec![1.0, 1.0, 2.0, 1.0, 1.0]);
/// ```
#[track_caller]
pub fn adaptive_avg_pool_backward(grad: &Array, input_shape: &[usize]) -> Array {
    let op = "adaptive_avg_pool_backward";
    let nd = input_shape
        .len()
        .saturating_sub(1)
        .min(grad.ndim().saturating_sub(1));
    assert!(
        nd >= 1 && grad.ndim() == input_shape.len(),
        "{op}: grad {:?} does not match input shape {input_shape:?}",
        grad.shape()
    );
    // Spatial dims: those after the plane dims the grad shares with the input.
    let lead = (0..grad.ndim())
        .take_while(|&i| grad.shape()[i] == input_shape[i])
        .count()
        .min(grad.ndim() - 1);
    let out_sp = grad.shape()[lead..].to_vec();
    let in_sp = &input_shape[lead..];
    let dims = (0..out_sp.len())
        .map(|i| adaptive_windows(in_sp[i], out_sp[i]))
        .collect();
    let pl = Pooling::new(input_shape, out_sp, dims);
    check_grad(op, grad, &pl);
    match grad.dtype() {
        DType::F32 => avg_backward_impl::<f32>(&pl, grad, Divisor::Taps),
        _ => avg_backward_impl::<f64>(&pl, grad, Divisor::Taps),
    }
}
