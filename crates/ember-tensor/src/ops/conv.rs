//! Convolution kernels (`torch.nn.functional.conv{1,2,3}d` and `conv_transpose{1,2,3}d`) for
//! f32 and f64, on inputs `(N, C, *spatial)` with 1, 2 or 3 (or more) spatial dims.
//!
//! Everything is im2col + the `gemm` crate, one n-d code path:
//! - forward: for each image and each tile of output positions, the tile's columns of the
//!   im2col matrix (`(C_in/groups · ∏k) × tile`, a few hundred KiB: it stays in cache) are
//!   built and multiplied by each group's weight matrix straight into the output;
//! - [`conv_backward_input`]: `dcol = Wᵀ · dy` per tile, scattered back with col2im (the
//!   adjoint of im2col); the transposed convolution's forward is this kernel;
//! - [`conv_backward_weight`]: `dW += dy · colᵀ` summed over images and tiles, one partial sum
//!   per rayon task, added at the end.
//!
//! Work is split over rayon by (image, tile) with one single-threaded gemm per piece; a batch
//! smaller than the thread count lets gemm thread inside each product instead. A 1x1, stride-1,
//! unpadded convolution skips im2col: the image itself is the column matrix.

use std::ops::{Add, AddAssign, Mul};

use rayon::prelude::*;

use crate::Array;
use crate::allocator::Scratch;
use crate::dtype::{DType, Element};

mod batched;

/// Stride, zero padding, dilation (one value per spatial dim) and groups of a convolution.
///
/// ```
/// use ember_tensor::ops::conv::ConvParams;
/// let p = ConvParams::new(&[2], &[1], &[], 1, 2); // broadcast to 2 spatial dims
/// assert_eq!(p.stride, vec![2, 2]);
/// assert_eq!(p.dilation, vec![1, 1]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvParams {
    /// Step between windows, per spatial dim.
    pub stride: Vec<usize>,
    /// Zeros added on both sides, per spatial dim.
    pub padding: Vec<usize>,
    /// Spacing between kernel taps, per spatial dim.
    pub dilation: Vec<usize>,
    /// Channel groups: input and output channels split into `groups` independent convolutions.
    pub groups: usize,
}

/// `v` as one value per spatial dim: empty gives `default`, one value is broadcast.
#[track_caller]
fn per_dim(what: &str, v: &[usize], nd: usize, default: usize) -> Vec<usize> {
    match v.len() {
        0 => vec![default; nd],
        1 => vec![v[0]; nd],
        n if n == nd => v.to_vec(),
        n => panic!(
            "convolution: {what} has {n} values {v:?}, expected 1 or one per spatial dim ({nd})"
        ),
    }
}

impl ConvParams {
    /// Parameters for `nd` spatial dims. Each slice holds one value per spatial dim, a single
    /// value for all of them, or nothing (stride 1, padding 0, dilation 1).
    ///
    /// # Panics
    /// If a slice has another length, a stride or dilation is 0, or `groups` is 0.
    ///
    /// ```
    /// let p = ember_tensor::ops::conv::ConvParams::new(&[1, 2], &[0], &[1], 1, 2);
    /// assert_eq!(p.stride, vec![1, 2]);
    /// ```
    #[track_caller]
    pub fn new(
        stride: &[usize],
        padding: &[usize],
        dilation: &[usize],
        groups: usize,
        nd: usize,
    ) -> ConvParams {
        let p = ConvParams {
            stride: per_dim("stride", stride, nd, 1),
            padding: per_dim("padding", padding, nd, 0),
            dilation: per_dim("dilation", dilation, nd, 1),
            groups,
        };
        assert!(
            p.stride.iter().all(|&s| s > 0) && p.dilation.iter().all(|&d| d > 0),
            "convolution: stride {:?} and dilation {:?} must be positive",
            p.stride,
            p.dilation
        );
        assert!(groups > 0, "convolution: groups must be positive");
        p
    }
}

/// The spatial output size of a convolution:
/// `(in + 2·pad - dil·(k-1) - 1) / stride + 1` per dim.
///
/// # Panics
/// If a (padded) input is smaller than the dilated kernel.
///
/// ```
/// use ember_tensor::ops::conv::{conv_output_size, ConvParams};
/// let p = ConvParams::new(&[2], &[1], &[1], 1, 2);
/// assert_eq!(conv_output_size(&[7, 8], &[3, 3], &p), vec![4, 4]);
/// ```
#[track_caller]
pub fn conv_output_size(input: &[usize], kernel: &[usize], p: &ConvParams) -> Vec<usize> {
    (0..input.len())
        .map(|d| {
            let span = p.dilation[d] * (kernel[d].max(1) - 1) + 1;
            let padded = input[d] + 2 * p.padding[d];
            assert!(
                padded >= span,
                "convolution: input spatial size {:?} (padded by {:?}) is smaller than the \
                 kernel {:?} dilated by {:?}",
                input,
                p.padding,
                kernel,
                p.dilation
            );
            (padded - span) / p.stride[d] + 1
        })
        .collect()
}

/// The spatial output size of a transposed convolution:
/// `(in - 1)·stride - 2·pad + dil·(k-1) + output_padding + 1` per dim.
///
/// ```
/// use ember_tensor::ops::conv::{conv_transpose_output_size, ConvParams};
/// let p = ConvParams::new(&[2], &[1], &[1], 1, 1);
/// assert_eq!(conv_transpose_output_size(&[4], &[3], &p, &[1]), vec![8]);
/// ```
#[track_caller]
pub fn conv_transpose_output_size(
    input: &[usize],
    kernel: &[usize],
    p: &ConvParams,
    output_padding: &[usize],
) -> Vec<usize> {
    let op = per_dim("output_padding", output_padding, input.len(), 0);
    (0..input.len())
        .map(|d| {
            assert!(
                op[d] < p.stride[d] || op[d] < p.dilation[d],
                "conv_transpose: output_padding {:?} must be smaller than the stride {:?} or the \
                 dilation {:?}",
                op,
                p.stride,
                p.dilation
            );
            let full = (input[d].max(1) - 1) * p.stride[d]
                + p.dilation[d] * (kernel[d].max(1) - 1)
                + op[d]
                + 1;
            assert!(
                full > 2 * p.padding[d] && input[d] > 0,
                "conv_transpose: input spatial size {:?} with kernel {:?}, stride {:?}, \
                 padding {:?} gives an empty output",
                input,
                kernel,
                p.stride,
                p.padding
            );
            full - 2 * p.padding[d]
        })
        .collect()
}

/// The float types the convolution kernels run on.
pub(crate) trait ConvFloat:
    Element + Add<Output = Self> + AddAssign + Mul<Output = Self>
{
}
impl ConvFloat for f32 {}
impl ConvFloat for f64 {}

/// Sizes of one convolution, in "regular convolution" terms (for the transposed one, its
/// output plays the input).
#[derive(Clone, Debug)]
struct Geom {
    n: usize,
    cin: usize,
    cout: usize,
    groups: usize,
    in_sp: Vec<usize>,
    k_sp: Vec<usize>,
    out_sp: Vec<usize>,
    stride: Vec<usize>,
    padding: Vec<usize>,
    dilation: Vec<usize>,
}

impl Geom {
    fn cig(&self) -> usize {
        self.cin / self.groups
    }
    fn cog(&self) -> usize {
        self.cout / self.groups
    }
    fn in_prod(&self) -> usize {
        self.in_sp.iter().product()
    }
    fn out_prod(&self) -> usize {
        self.out_sp.iter().product()
    }
    fn kprod(&self) -> usize {
        self.k_sp.iter().product()
    }
    /// Rows of the im2col matrix of one group: `C_in/groups · ∏k`.
    fn rows(&self) -> usize {
        self.cig() * self.kprod()
    }
    /// 1x1 kernel, stride 1, no padding: the image is its own column matrix.
    fn is_pointwise(&self) -> bool {
        self.k_sp.iter().all(|&k| k == 1)
            && self.stride.iter().all(|&s| s == 1)
            && self.padding.iter().all(|&p| p == 0)
    }
    /// Length of the innermost output dim (one im2col segment).
    fn out_last(&self) -> usize {
        *self.out_sp.last().expect("at least one spatial dim")
    }
    /// Number of positions of the outer output dims (all but the last).
    fn out_outer(&self) -> usize {
        self.out_prod() / self.out_last().max(1)
    }
    /// Outer output positions per tile, so that a tile of the column matrix holds about
    /// `COL_TILE_BYTES`.
    fn tile_outer(&self, elem: usize) -> usize {
        let per = self.rows() * self.out_last().max(1) * elem;
        (COL_TILE_BYTES / per.max(1)).clamp(1, self.out_outer().max(1))
    }
}

/// Target size of one tile of the im2col matrix: about half of a per-core L2 cache.
const COL_TILE_BYTES: usize = 512 << 10;

/// A raw pointer that rayon tasks share; each task writes a disjoint part.
#[derive(Clone, Copy)]
struct SharedPtr<T>(*mut T);
// SAFETY: the pointer is only dereferenced by tasks that write disjoint regions of a buffer
// that outlives the parallel loop (each use site says which region).
unsafe impl<T> Send for SharedPtr<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for SharedPtr<T> {}

impl<T> SharedPtr<T> {
    /// The pointer (a method, so closures capture the `Send` wrapper, not its field).
    fn get(self) -> *mut T {
        self.0
    }
}

/// `dst[m×n] (row stride dst_rs) = (acc ? dst : 0) + lhs[m×k] · rhs[k×n]`, operands given by
/// (row stride, column stride).
///
/// # Safety
/// Every addressed element of `dst` (`i·dst_rs + j`), `lhs` and `rhs` must be in bounds of
/// live buffers; nobody else may write them during the call, nor read `dst`.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm<T: ConvFloat>(
    (m, k, n): (usize, usize, usize),
    dst: *mut T,
    dst_rs: usize,
    acc: bool,
    lhs: *const T,
    ls: (usize, usize),
    rhs: *const T,
    rs: (usize, usize),
    threads: usize,
) {
    if m == 0 || n == 0 {
        return;
    }
    let par = if threads > 1 && m * n * k >= 48 * 48 * 256 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: forwarded from this function's contract. gemm computes
    // dst := 1·dst + 1·lhs·rhs, reading dst only when `acc`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs as isize,
            acc,
            lhs,
            ls.1 as isize,
            ls.0 as isize,
            rhs,
            rs.1 as isize,
            rs.0 as isize,
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            par,
        )
    }
}

/// The valid range of output positions `o` along one dim for kernel offset `koff` (the input
/// index is `o·s + koff - pad`): `lo..hi`, plus the input index at `o = 0` (may be negative).
#[inline]
fn valid_range(ol: usize, il: usize, s: usize, off: isize) -> (usize, usize) {
    let lo = if off >= 0 {
        0
    } else {
        ((-off) as usize).div_ceil(s)
    };
    let lim = il as isize - off; // o·s < lim
    let hi = if lim <= 0 {
        0
    } else {
        (lim as usize).div_ceil(s)
    };
    (lo.min(ol), hi.min(ol).max(lo.min(ol)))
}

/// The input offset (within a channel plane) of the outer output position `o` (all dims but
/// the last) for the kernel's outer offsets `kidx`, or `None` when it falls in the padding.
#[inline]
fn outer_offset(g: &Geom, mut o: usize, kidx: &[usize]) -> Option<usize> {
    let nd = g.in_sp.len();
    let mut off = 0usize;
    let mut mul = g.in_sp[nd - 1];
    for d in (0..nd - 1).rev() {
        let od = o % g.out_sp[d];
        o /= g.out_sp[d];
        let i = (od * g.stride[d] + kidx[d] * g.dilation[d]) as isize - g.padding[d] as isize;
        if i < 0 || i as usize >= g.in_sp[d] {
            return None;
        }
        off += i as usize * mul;
        mul *= g.in_sp[d];
    }
    Some(off)
}

/// One segment of a column-matrix row: the `ol` output positions from `at` (within the tile)
/// of row `row` read the input line that starts at `base` (`None`: the line is in the
/// padding); only positions `lo..hi` of the segment fall inside the line, the first of them
/// at input index `start` of the line.
#[derive(Clone, Copy)]
struct Segment {
    row: usize,
    at: usize,
    base: Option<usize>,
    lo: usize,
    hi: usize,
    start: usize,
}

/// Calls `f` for every segment of the tile `[o0, o1)` of outer output positions; the row
/// index runs over (c, k0, …, k_last). The index arithmetic (divisions) is done once per
/// kernel position and tile, not per channel: with the short lines of small images it
/// otherwise costs as much as the copies.
fn for_each_segment(g: &Geom, o0: usize, o1: usize, mut f: impl FnMut(Segment)) {
    let nd = g.in_sp.len();
    let kl = g.k_sp[nd - 1];
    let kouter = g.kprod() / kl.max(1);
    let (ol, il, s) = (g.out_last(), g.in_sp[nd - 1], g.stride[nd - 1]);
    let in_prod = g.in_prod();
    let ranges: Vec<(usize, usize, usize)> = (0..kl)
        .map(|k| {
            let off = (k * g.dilation[nd - 1]) as isize - g.padding[nd - 1] as isize;
            let (lo, hi) = valid_range(ol, il, s, off);
            let start = if hi > lo {
                ((lo * s) as isize + off) as usize
            } else {
                0
            };
            (lo, hi, start)
        })
        .collect();
    let nt = o1 - o0;
    let mut kidx = vec![0usize; nd];
    let mut bases = Vec::with_capacity(kouter * nt);
    for ko in 0..kouter {
        let mut r = ko;
        for d in (0..nd.saturating_sub(1)).rev() {
            kidx[d] = r % g.k_sp[d];
            r /= g.k_sp[d];
        }
        bases.extend((0..nt).map(|t| outer_offset(g, o0 + t, &kidx)));
    }
    for c in 0..g.cig() {
        let plane = c * in_prod;
        for ko in 0..kouter {
            let row0 = (c * kouter + ko) * kl;
            for (t, base) in bases[ko * nt..][..nt].iter().enumerate() {
                let base = base.map(|b| plane + b);
                for (k, &(lo, hi, start)) in ranges.iter().enumerate() {
                    f(Segment {
                        row: row0 + k,
                        at: t * ol,
                        base,
                        lo,
                        hi,
                        start,
                    });
                }
            }
        }
    }
}

/// Writes the columns of the tile `[o0, o1)` of outer output positions of one group's image
/// `x` (`C_in/groups` planes) into `col` (`rows × tcols`, row stride `ld` ≥ tcols).
fn im2col<T: ConvFloat>(g: &Geom, x: &[T], (o0, o1): (usize, usize), col: &mut [T], ld: usize) {
    let nd = g.in_sp.len();
    let (ol, il, s) = (g.out_last(), g.in_sp[nd - 1], g.stride[nd - 1]);
    for_each_segment(g, o0, o1, |sg| {
        let seg = &mut col[sg.row * ld + sg.at..][..ol];
        let Some(base) = sg.base else {
            seg.fill(T::ZERO);
            return;
        };
        let line = &x[base..base + il];
        let (lo, hi) = (sg.lo, sg.hi);
        seg[..lo].fill(T::ZERO);
        seg[hi..].fill(T::ZERO);
        if s == 1 {
            seg[lo..hi].copy_from_slice(&line[sg.start..sg.start + (hi - lo)]);
        } else {
            for (j, v) in seg[lo..hi].iter_mut().enumerate() {
                *v = line[sg.start + j * s];
            }
        }
    });
}

/// Adds the columns `col` (row stride `ld`) of the tile `[o0, o1)` back into the image `x`
/// (the adjoint of [`im2col`]).
fn col2im<T: ConvFloat>(g: &Geom, col: &[T], (o0, o1): (usize, usize), x: &mut [T], ld: usize) {
    let nd = g.in_sp.len();
    let (ol, il, s) = (g.out_last(), g.in_sp[nd - 1], g.stride[nd - 1]);
    for_each_segment(g, o0, o1, |sg| {
        let Some(base) = sg.base else { return };
        let seg = &col[sg.row * ld + sg.at..][..ol];
        let line = &mut x[base..base + il];
        for (j, &v) in seg[sg.lo..sg.hi].iter().enumerate() {
            line[sg.start + j * s] += v;
        }
    });
}

/// Checks the dtypes the kernels support and that all operands share one.
#[track_caller]
/// `a += b` element-wise: merges two threads' weight-gradient accumulators.
fn sum_into<T: ConvFloat>(mut a: Scratch<T>, b: Scratch<T>) -> Scratch<T> {
    for (x, y) in a.iter_mut().zip(b.iter()) {
        *x += *y;
    }
    a
}

fn float_dtype(op: &str, arrays: &[&Array]) -> DType {
    let dt = arrays[0].dtype();
    assert!(
        matches!(dt, DType::F32 | DType::F64),
        "{op}: only f32 and f64 are supported, got {dt} (convert with .to_dtype(..) first)"
    );
    for a in &arrays[1..] {
        assert!(
            a.dtype() == dt,
            "{op}: all operands must have the same dtype, got {dt} and {} (shapes {:?} and {:?})",
            a.dtype(),
            arrays[0].shape(),
            a.shape()
        );
    }
    dt
}

/// Validates the shapes of a regular convolution `x: (N, C_in, *in)`, `w: (C_out, C_in/g, *k)`.
#[track_caller]
fn geom_of(op: &str, x_shape: &[usize], w_shape: &[usize], p: &ConvParams) -> Geom {
    let nd = w_shape.len().saturating_sub(2);
    assert!(
        nd >= 1 && x_shape.len() == nd + 2,
        "{op}: expected input (N, C, *spatial) and weight (C_out, C_in/groups, *kernel) with the \
         same number of spatial dims (at least 1), got input {x_shape:?} and weight {w_shape:?}"
    );
    assert!(
        p.stride.len() == nd && p.padding.len() == nd && p.dilation.len() == nd,
        "{op}: parameters {p:?} do not have one value per spatial dim ({nd})"
    );
    let (cin, cout, g) = (x_shape[1], w_shape[0], p.groups);
    assert!(
        cin.is_multiple_of(g) && cout.is_multiple_of(g) && w_shape[1] * g == cin,
        "{op}: input {x_shape:?} and weight {w_shape:?} do not match with groups={g} (the input \
         has C_in channels, the weight must be (C_out, C_in/groups, *kernel) with C_out \
         divisible by groups)"
    );
    let in_sp = x_shape[2..].to_vec();
    let k_sp = w_shape[2..].to_vec();
    let out_sp = conv_output_size(&in_sp, &k_sp, p);
    Geom {
        n: x_shape[0],
        cin,
        cout,
        groups: g,
        in_sp,
        k_sp,
        out_sp,
        stride: p.stride.clone(),
        padding: p.padding.clone(),
        dilation: p.dilation.clone(),
    }
}

/// Regular convolution (`torch.nn.functional.conv{1,2,3}d`): `x: (N, C_in, *in)`,
/// `weight: (C_out, C_in/groups, *k)`, optional `bias: (C_out)`; returns
/// `(N, C_out, *out)` with `out` from [`conv_output_size`]. Any layout; f32 or f64.
///
/// # Panics
/// On other dtypes, mismatched dtypes or shapes (the message names the shapes).
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::conv::{conv_forward, ConvParams};
/// let x = Array::from_vec((0..9).map(|v| v as f32).collect(), &[1, 1, 3, 3]);
/// let w = Array::from_vec(vec![1.0f32; 4], &[1, 1, 2, 2]);
/// let y = conv_forward(&x, &w, None, &ConvParams::new(&[], &[], &[], 1, 2));
/// assert_eq!(y.to_vec::<f32>(), vec![8.0, 12.0, 20.0, 24.0]);
/// ```
#[track_caller]
pub fn conv_forward(x: &Array, weight: &Array, bias: Option<&Array>, p: &ConvParams) -> Array {
    let op = "convolution";
    let dt = float_dtype(op, &[x, weight]);
    let g = geom_of(op, x.shape(), weight.shape(), p);
    if let Some(b) = bias {
        float_dtype(op, &[x, b]);
        assert!(
            b.shape() == [g.cout],
            "{op}: bias of shape {:?} does not match the weight {:?} (expected ({}))",
            b.shape(),
            weight.shape(),
            g.cout
        );
    }
    let (x, w) = (x.contiguous(), weight.contiguous());
    let b = bias.map(|b| b.contiguous());
    match dt {
        DType::F32 => forward_impl::<f32>(&g, &x, &w, b.as_ref()),
        _ => forward_impl::<f64>(&g, &x, &w, b.as_ref()),
    }
}

/// Reads a contiguous array's elements as a slice.
fn with_data<T: ConvFloat, R>(a: &Array, f: impl FnOnce(&[T]) -> R) -> R {
    let (off, n) = (a.storage_offset(), a.numel());
    a.with_slice(|s: &[T]| f(&s[off..off + n]))
}

fn forward_impl<T: ConvFloat>(g: &Geom, x: &Array, w: &Array, bias: Option<&Array>) -> Array {
    let mut out_shape = vec![g.n, g.cout];
    out_shape.extend_from_slice(&g.out_sp);
    let total: usize = out_shape.iter().product();
    let mut out = T::pool().take_uninit(total);
    if total == 0 {
        return Array::from_contiguous(out, &out_shape);
    }
    let bias_v: Option<Vec<T>> = bias.map(|b| b.to_vec::<T>());
    let (cig, cog, rows) = (g.cig(), g.cog(), g.rows());
    let (in_prod, out_prod) = (g.in_prod(), g.out_prod());
    let pointwise = g.is_pointwise();
    let tile = if pointwise {
        g.out_outer()
    } else {
        g.tile_outer(std::mem::size_of::<T>())
    };
    let ntiles = g.out_outer().div_ceil(tile);
    let ol = g.out_last();
    let threads = crate::threads::num_threads();
    let per = batched::images_per_item(g, ntiles, std::mem::size_of::<T>(), threads);
    if per > 1 {
        with_data(x, |xs: &[T]| {
            with_data(w, |ws: &[T]| {
                batched::forward(g, xs, ws, bias_v.as_deref(), per, &mut out)
            })
        });
        return Array::from_contiguous(out, &out_shape);
    }
    let items = g.n * ntiles;
    let gemm_threads = if items >= threads { 1 } else { threads };
    let dst = SharedPtr(out.as_mut_ptr());
    with_data(x, |xs: &[T]| {
        with_data(w, |ws: &[T]| {
            let work = |col: &mut Scratch<T>, item: usize| {
                let (n, t) = (item / ntiles, item % ntiles);
                let (o0, o1) = (t * tile, ((t + 1) * tile).min(g.out_outer()));
                let tcols = (o1 - o0) * ol;
                for gi in 0..g.groups {
                    let xg = &xs[(n * g.cin + gi * cig) * in_prod..][..cig * in_prod];
                    // Column matrix: `rows × tcols` with row stride `tcols`, or the image
                    // itself (row stride in_prod) for a pointwise convolution.
                    let (rhs, rhs_rs) = if pointwise {
                        (xg[o0 * ol..].as_ptr(), in_prod)
                    } else {
                        let col = &mut col[..rows * tcols];
                        im2col(g, xg, (o0, o1), col, tcols);
                        (col.as_ptr(), tcols)
                    };
                    let out_off = (n * g.cout + gi * cog) * out_prod + o0 * ol;
                    // SAFETY: the destination rows `out_off + co·out_prod + [0, tcols)` for
                    // co < cog lie in `out` (n < N, group and tile in range) and belong to this
                    // (image, tile) item alone, so tasks write disjoint elements; `out` lives
                    // until after the loop.
                    let d = unsafe { dst.get().add(out_off) };
                    if let Some(b) = &bias_v {
                        for co in 0..cog {
                            // SAFETY: row `co` of this item's block, as above.
                            let row = unsafe {
                                std::slice::from_raw_parts_mut(d.add(co * out_prod), tcols)
                            };
                            row.fill(b[gi * cog + co]);
                        }
                    }
                    // SAFETY: lhs is group gi's weight block `cog × rows` (row stride rows) in
                    // `ws` (len cout·rows); rhs is `rows × tcols` in `col` (sliced above) or,
                    // pointwise, the rows c < cig of `xg` at columns o0·ol + [0, tcols) <
                    // in_prod; dst as above.
                    unsafe {
                        gemm::<T>(
                            (cog, rows, tcols),
                            d,
                            out_prod,
                            bias_v.is_some(),
                            ws[gi * cog * rows..].as_ptr(),
                            (rows, 1),
                            rhs,
                            (rhs_rs, 1),
                            gemm_threads,
                        )
                    };
                }
            };
            let col = || Scratch::uninit(if pointwise { 0 } else { rows * tile * ol });
            if gemm_threads == 1 {
                (0..items)
                    .into_par_iter()
                    .for_each_init(col, |col, item| work(col, item));
            } else {
                let mut col = col();
                (0..items).for_each(|item| work(&mut col, item));
            }
        })
    });
    Array::from_contiguous(out, &out_shape)
}

/// Gradient of a regular convolution with respect to its input (`conv_transpose` of `dy` with
/// the same weight): `dy: (N, C_out, *out)`, `weight: (C_out, C_in/groups, *k)`; returns
/// `(N, C_in, *input_spatial)`. Computed as col2im(Wᵀ·dy), or with stride 1 as a forward
/// convolution of `dy` with the flipped, transposed weight. This is also the forward of the
/// transposed convolution.
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::conv::{conv_backward_input, ConvParams};
/// let dy = Array::from_vec(vec![1.0f64; 4], &[1, 1, 2, 2]);
/// let w = Array::from_vec(vec![1.0f64; 4], &[1, 1, 2, 2]);
/// let dx = conv_backward_input(&dy, &w, &[3, 3], &ConvParams::new(&[], &[], &[], 1, 2));
/// assert_eq!(dx.to_vec::<f64>(), vec![1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
/// ```
#[track_caller]
pub fn conv_backward_input(
    dy: &Array,
    weight: &Array,
    input_spatial: &[usize],
    p: &ConvParams,
) -> Array {
    let op = "convolution backward (input)";
    let dt = float_dtype(op, &[dy, weight]);
    let ws = weight.shape();
    let nd = ws.len().saturating_sub(2);
    assert!(
        nd >= 1 && dy.ndim() == nd + 2 && input_spatial.len() == nd && dy.shape()[1] == ws[0],
        "{op}: grad {:?} does not match weight {:?} and input size {:?}",
        dy.shape(),
        ws,
        input_spatial
    );
    let mut x_shape = vec![dy.shape()[0], ws[1] * p.groups];
    x_shape.extend_from_slice(input_spatial);
    let mut g = geom_of(op, &x_shape, ws, p);
    // The kernels range-check every index, so the output size is the grad's (a transposed
    // convolution's output_padding may make it differ from the formula).
    g.out_sp = dy.shape()[2..].to_vec();
    let (dy, w) = (dy.contiguous(), weight.contiguous());
    if let Some(fg) = as_forward(&g) {
        return match dt {
            DType::F32 => backward_input_as_forward::<f32>(&g, &fg, &dy, &w),
            _ => backward_input_as_forward::<f64>(&g, &fg, &dy, &w),
        };
    }
    match dt {
        DType::F32 => backward_input_impl::<f32>(&g, &dy, &w),
        _ => backward_input_impl::<f64>(&g, &dy, &w),
    }
}

/// With stride 1, the input gradient is itself a convolution: `dy` correlated with the
/// weight flipped in space and transposed within each group (`C_out/g ↔ C_in/g`), padded by
/// `dilation·(k-1) - padding`. Run as a forward its products have depth `C_out/g·∏k`
/// instead of col2im's `C_out/g`, which keeps gemm at full speed (PyTorch/oneDNN do the
/// same). Returns that forward's geometry when it applies: stride 1, a kernel larger than
/// 1×1 (pointwise is already a plain product), padding at most `dilation·(k-1)`, an output
/// exactly the input's size, and a column matrix (`C_out·∏k × ∏in` per image) not much
/// bigger than col2im's (`C_in·∏k × ∏out`): where channels grow and planes shrink, as in
/// the MNIST CNN's second convolution, moving 2-3× more memory costs more than the deeper
/// product saves.
fn as_forward(g: &Geom) -> Option<Geom> {
    if g.is_pointwise()
        || g.stride.iter().any(|&s| s != 1)
        || 4 * g.cout * g.in_prod() > 5 * g.cin * g.out_prod()
    {
        return None;
    }
    let mut padding = Vec::with_capacity(g.k_sp.len());
    for i in 0..g.k_sp.len() {
        let reach = g.dilation[i] * (g.k_sp[i] - 1);
        if g.padding[i] > reach || g.out_sp[i] + reach < 2 * g.padding[i] {
            return None;
        }
        let pad = reach - g.padding[i];
        if g.out_sp[i] + reach - 2 * g.padding[i] != g.in_sp[i] {
            return None;
        }
        padding.push(pad);
    }
    Some(Geom {
        n: g.n,
        cin: g.cout,
        cout: g.cin,
        groups: g.groups,
        in_sp: g.out_sp.clone(),
        k_sp: g.k_sp.clone(),
        out_sp: g.in_sp.clone(),
        stride: g.stride.clone(),
        padding,
        dilation: g.dilation.clone(),
    })
}

/// The input gradient of `g` as the forward convolution `fg` (see [`as_forward`]).
fn backward_input_as_forward<T: ConvFloat>(g: &Geom, fg: &Geom, dy: &Array, w: &Array) -> Array {
    let (cig, cog, kp) = (g.cig(), g.cog(), g.kprod());
    // w'[(gi·cig + ci), co, k̄] = w[(gi·cog + co), ci, k]: reversing the flattened kernel
    // index flips every spatial dim at once.
    let ws: Vec<T> = w.to_vec::<T>();
    let mut flipped = vec![T::ZERO; ws.len()];
    for gi in 0..g.groups {
        for co in 0..cog {
            for ci in 0..cig {
                let src = &ws[((gi * cog + co) * cig + ci) * kp..][..kp];
                let dst = &mut flipped[((gi * cig + ci) * cog + co) * kp..][..kp];
                for (d, s) in dst.iter_mut().zip(src.iter().rev()) {
                    *d = *s;
                }
            }
        }
    }
    let mut w_shape = vec![g.cin, cog];
    w_shape.extend_from_slice(&g.k_sp);
    forward_impl::<T>(fg, dy, &Array::from_vec(flipped, &w_shape), None)
}

fn backward_input_impl<T: ConvFloat>(g: &Geom, dy: &Array, w: &Array) -> Array {
    let mut x_shape = vec![g.n, g.cin];
    x_shape.extend_from_slice(&g.in_sp);
    let total: usize = x_shape.iter().product();
    let pointwise = g.is_pointwise();
    let mut dx = if pointwise {
        T::pool().take_uninit(total)
    } else {
        T::pool().take_filled(total, T::ZERO)
    };
    if total == 0 || g.out_prod() == 0 {
        dx.fill(T::ZERO);
        return Array::from_contiguous(dx, &x_shape);
    }
    let (cig, cog, rows) = (g.cig(), g.cog(), g.rows());
    let (in_prod, out_prod) = (g.in_prod(), g.out_prod());
    let tile = g.tile_outer(std::mem::size_of::<T>());
    let ntiles = g.out_outer().div_ceil(tile);
    let ol = g.out_last();
    let threads = crate::threads::num_threads();
    let per = batched::images_per_item(g, ntiles, std::mem::size_of::<T>(), threads);
    if per > 1 {
        if pointwise {
            dx.fill(T::ZERO);
        }
        with_data(dy, |dys: &[T]| {
            with_data(w, |ws: &[T]| {
                batched::backward_input(g, dys, ws, per, &mut dx)
            })
        });
        return Array::from_contiguous(dx, &x_shape);
    }
    let gemm_threads = if g.n >= threads { 1 } else { threads };
    with_data(dy, |dys: &[T]| {
        with_data(w, |ws: &[T]| {
            let work = |col: &mut Scratch<T>, (n, dxn): (usize, &mut [T])| {
                for gi in 0..g.groups {
                    let dxg = &mut dxn[gi * cig * in_prod..][..cig * in_prod];
                    let lhs = ws[gi * cog * rows..].as_ptr();
                    let dy_off = (n * g.cout + gi * cog) * out_prod;
                    if pointwise {
                        // SAFETY: dxg is `cig × in_prod` (= rows × out_prod), owned by this
                        // task; lhs reads Wᵀ (element (r, co) at co·rows + r) of group gi;
                        // rhs is dy's `cog × out_prod` block of (n, gi), in bounds of `dys`.
                        unsafe {
                            gemm::<T>(
                                (rows, cog, out_prod),
                                dxg.as_mut_ptr(),
                                in_prod,
                                false,
                                lhs,
                                (1, rows),
                                dys[dy_off..].as_ptr(),
                                (out_prod, 1),
                                gemm_threads,
                            )
                        };
                        continue;
                    }
                    for t in 0..ntiles {
                        let (o0, o1) = (t * tile, ((t + 1) * tile).min(g.out_outer()));
                        let tcols = (o1 - o0) * ol;
                        let col = &mut col[..rows * tcols];
                        // SAFETY: col is `rows × tcols` (sliced above) and ours; lhs as
                        // above; rhs is the tile's columns o0·ol + [0, tcols) of dy's
                        // `cog × out_prod` block (n, gi), within `dys`.
                        unsafe {
                            gemm::<T>(
                                (rows, cog, tcols),
                                col.as_mut_ptr(),
                                tcols,
                                false,
                                lhs,
                                (1, rows),
                                dys[dy_off + o0 * ol..].as_ptr(),
                                (out_prod, 1),
                                gemm_threads,
                            )
                        };
                        col2im(g, col, (o0, o1), dxg, tcols);
                    }
                }
            };
            let per_image = g.cin * in_prod;
            let col = || Scratch::uninit(if pointwise { 0 } else { rows * tile * ol });
            if gemm_threads == 1 {
                dx.par_chunks_mut(per_image)
                    .enumerate()
                    .for_each_init(col, work);
            } else {
                let mut col = col();
                dx.chunks_mut(per_image)
                    .enumerate()
                    .for_each(|it| work(&mut col, it));
            }
        })
    });
    Array::from_contiguous(dx, &x_shape)
}

/// Gradient of a regular convolution with respect to its weight: `x: (N, C_in, *in)`,
/// `dy: (N, C_out, *out)`; returns `(C_out, C_in/groups, *kernel_spatial)`, the sum over
/// images of `dy · im2col(x)ᵀ`.
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::conv::{conv_backward_weight, ConvParams};
/// let x = Array::from_vec((0..9).map(|v| v as f32).collect(), &[1, 1, 3, 3]);
/// let dy = Array::from_vec(vec![1.0f32; 4], &[1, 1, 2, 2]);
/// let dw = conv_backward_weight(&x, &dy, &[2, 2], &ConvParams::new(&[], &[], &[], 1, 2));
/// assert_eq!(dw.to_vec::<f32>(), vec![8.0, 12.0, 20.0, 24.0]);
/// ```
#[track_caller]
pub fn conv_backward_weight(
    x: &Array,
    dy: &Array,
    kernel_spatial: &[usize],
    p: &ConvParams,
) -> Array {
    let op = "convolution backward (weight)";
    let dt = float_dtype(op, &[x, dy]);
    let nd = kernel_spatial.len();
    assert!(
        nd >= 1 && x.ndim() == nd + 2 && dy.ndim() == nd + 2 && x.shape()[0] == dy.shape()[0],
        "{op}: input {:?} and grad {:?} do not match a kernel of size {:?}",
        x.shape(),
        dy.shape(),
        kernel_spatial
    );
    let mut w_shape = vec![dy.shape()[1], x.shape()[1] / p.groups.max(1)];
    w_shape.extend_from_slice(kernel_spatial);
    let mut g = geom_of(op, x.shape(), &w_shape, p);
    g.out_sp = dy.shape()[2..].to_vec();
    let (x, dy) = (x.contiguous(), dy.contiguous());
    match dt {
        DType::F32 => backward_weight_impl::<f32>(&g, &x, &dy, &w_shape),
        _ => backward_weight_impl::<f64>(&g, &x, &dy, &w_shape),
    }
}

fn backward_weight_impl<T: ConvFloat>(g: &Geom, x: &Array, dy: &Array, w_shape: &[usize]) -> Array {
    let (cig, cog, rows) = (g.cig(), g.cog(), g.rows());
    let (in_prod, out_prod) = (g.in_prod(), g.out_prod());
    let wlen = g.cout * rows;
    if wlen == 0 || g.n == 0 || out_prod == 0 {
        return Array::from_contiguous(vec![T::ZERO; wlen], w_shape);
    }
    let pointwise = g.is_pointwise();
    let tile = if pointwise {
        g.out_outer()
    } else {
        g.tile_outer(std::mem::size_of::<T>())
    };
    let ntiles = g.out_outer().div_ceil(tile);
    let ol = g.out_last();
    let threads = crate::threads::num_threads();
    let per = batched::images_per_item(g, ntiles, std::mem::size_of::<T>(), threads);
    if per > 1 {
        let dw = with_data(x, |xs: &[T]| {
            with_data(dy, |dys: &[T]| batched::backward_weight(g, xs, dys, per))
        });
        return Array::from_contiguous(dw, w_shape);
    }
    let items = g.n * ntiles;
    let gemm_threads = if items >= threads { 1 } else { threads };
    let dw = with_data(x, |xs: &[T]| {
        with_data(dy, |dys: &[T]| {
            let work = |(acc, col): &mut (Scratch<T>, Scratch<T>), item: usize| {
                let (n, t) = (item / ntiles, item % ntiles);
                let (o0, o1) = (t * tile, ((t + 1) * tile).min(g.out_outer()));
                let tcols = (o1 - o0) * ol;
                for gi in 0..g.groups {
                    let xg = &xs[(n * g.cin + gi * cig) * in_prod..][..cig * in_prod];
                    // colᵀ as the rhs: element (t, r) at r·rs + t.
                    let (rhs, rs) = if pointwise {
                        (xg[o0 * ol..].as_ptr(), in_prod)
                    } else {
                        let col = &mut col[..rows * tcols];
                        im2col(g, xg, (o0, o1), col, tcols);
                        (col.as_ptr(), tcols)
                    };
                    let dy_off = (n * g.cout + gi * cog) * out_prod + o0 * ol;
                    // SAFETY: dst is group gi's `cog × rows` block of `acc` (len cout·rows),
                    // private to this task; lhs is the tile of dy's block (n, gi) (row stride
                    // out_prod, tcols columns from o0·ol); rhs reads `rows × tcols` elements
                    // of `col` or, pointwise, of `xg` (columns < in_prod).
                    unsafe {
                        gemm::<T>(
                            (cog, tcols, rows),
                            acc[gi * cog * rows..].as_mut_ptr(),
                            rows,
                            true,
                            dys[dy_off..].as_ptr(),
                            (out_prod, 1),
                            rhs,
                            (1, rs),
                            gemm_threads,
                        )
                    };
                }
            };
            let col_len = if pointwise { 0 } else { rows * tile * ol };
            let new = || (Scratch::filled(wlen, T::ZERO), Scratch::uninit(col_len));
            if gemm_threads == 1 {
                let chunk = items.div_ceil(threads * 4).max(1);
                (0..items)
                    .into_par_iter()
                    .with_min_len(chunk)
                    .fold(new, |mut st, item| {
                        work(&mut st, item);
                        st
                    })
                    .map(|st| st.0)
                    .reduce_with(sum_into)
                    .expect("at least one image")
                    .into_vec()
            } else {
                let mut st = new();
                (0..items).for_each(|item| work(&mut st, item));
                st.0.into_vec()
            }
        })
    });
    Array::from_contiguous(dw, w_shape)
}

/// Transposed convolution (`torch.nn.functional.conv_transpose{1,2,3}d`): `x: (N, C_in, *in)`,
/// `weight: (C_in, C_out/groups, *k)`, optional `bias: (C_out)`; returns
/// `(N, C_out, *out)` with `out` from [`conv_transpose_output_size`]. It is the gradient of a
/// regular convolution with respect to its input.
///
/// ```
/// use ember_tensor::Array;
/// use ember_tensor::ops::conv::{conv_transpose_forward, ConvParams};
/// let x = Array::from_vec(vec![1.0f32, 2.0], &[1, 1, 2]);
/// let w = Array::from_vec(vec![1.0f32, 10.0], &[1, 1, 2]);
/// let y = conv_transpose_forward(&x, &w, None, &ConvParams::new(&[2], &[], &[], 1, 1), &[]);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 10.0, 2.0, 20.0]);
/// ```
#[track_caller]
pub fn conv_transpose_forward(
    x: &Array,
    weight: &Array,
    bias: Option<&Array>,
    p: &ConvParams,
    output_padding: &[usize],
) -> Array {
    let op = "conv_transpose";
    float_dtype(op, &[x, weight]);
    let ws = weight.shape();
    let nd = ws.len().saturating_sub(2);
    assert!(
        nd >= 1 && x.ndim() == nd + 2 && x.shape()[1] == ws[0] && ws[0].is_multiple_of(p.groups),
        "{op}: expected input (N, C_in, *spatial) and weight (C_in, C_out/groups, *kernel), \
         got input {:?} and weight {:?} (groups={})",
        x.shape(),
        ws,
        p.groups
    );
    let out_sp = conv_transpose_output_size(&x.shape()[2..], &ws[2..], p, output_padding);
    let y = conv_backward_input(x, weight, &out_sp, p);
    match bias {
        None => y,
        Some(b) => {
            float_dtype(op, &[x, b]);
            let c = y.shape()[1];
            assert!(
                b.shape() == [c],
                "{op}: bias of shape {:?} does not match the weight {:?} (expected ({c}))",
                b.shape(),
                ws
            );
            let mut bs = vec![1isize; y.ndim()];
            bs[1] = c as isize;
            let yc = y.clone();
            yc.add_(&b.reshape(&bs));
            yc
        }
    }
}
