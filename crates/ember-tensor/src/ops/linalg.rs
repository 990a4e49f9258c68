//! Matrix products: `matmul` (torch.matmul's full semantics), `mm`, `bmm`, `dot`, `outer`,
//! `addmm`, `baddbmm`.
//!
//! f32, f64 and f16 run on the `gemm` crate, which picks its AVX-512 / AVX2 / NEON kernels at
//! run time. Every operand is handed to gemm with its own row and column strides, so a
//! transposed, stepped or broadcast (stride-0) matrix is never copied; batch dims are walked
//! with their own strides too (one gemm call per matrix, or a single call when the batch folds
//! into the rows). bf16 computes in f32 (its operands are converted, the result rounded back);
//! integer dtypes use a simple blocked loop with wrapping arithmetic, as PyTorch's CPU kernels.

use rayon::prelude::*;

use crate::Array;
use crate::dtype::{DType, Element};
use crate::layout::{Dims, Layout};
use crate::ops::map::broadcast_strides;
use crate::strided::Walk;

/// Below this many multiply-adds (`m·n·k`) one gemm call stays on one thread. gemm's own
/// threshold (48·48·256 = 0.6 M) is right for a product run alone, with rayon's workers awake;
/// inside a training step the workers have gone to sleep between products, and waking them
/// (futex round trips, 3 threads on 2 cores) cost more than the split saved: on the 2-core
/// build machine `lstm_train` (1 M-MAC products per time step) ran at 76 steps/s with 0.6 M,
/// 163 with 2 M, 155 with 8 M; `mlp_train` 236 / 251 / 242 (medians, one run each).
const GEMM_PAR_MACS: usize = 2_000_000;
/// A batch whose matrices each have fewer multiply-adds than this is parallelised over the
/// batch (one single-threaded gemm per matrix) rather than inside each product. The value is a
/// first guess (the `bmm` row, 128·64·128 per matrix, falls under it); not yet tuned by
/// measurement.
const BATCH_PAR_MACS: usize = 256 * 256 * 256;

/// A batch of matrix operands: element `(b, i, j)` of matrix `b` is at
/// `offsets[b] + i * rs + j * cs` in the storage.
struct MatOperand {
    offsets: Vec<usize>,
    rs: usize,
    cs: usize,
}

/// Per-thread counters of what the kernel did, so unit tests can prove that strided operands
/// are handed to gemm without a copy.
#[cfg(test)]
pub(crate) mod probe {
    use std::cell::Cell;
    thread_local! {
        pub(crate) static GEMM_CALLS: Cell<usize> = const { Cell::new(0) };
        pub(crate) static OPERAND_COPIES: Cell<usize> = const { Cell::new(0) };
    }
    pub(crate) fn reset() {
        GEMM_CALLS.with(|c| c.set(0));
        OPERAND_COPIES.with(|c| c.set(0));
    }
    pub(crate) fn gemm_calls() -> usize {
        GEMM_CALLS.with(|c| c.get())
    }
    pub(crate) fn copies() -> usize {
        OPERAND_COPIES.with(|c| c.get())
    }
}

#[inline]
fn count_gemm_calls(_n: usize) {
    #[cfg(test)]
    probe::GEMM_CALLS.with(|c| c.set(c.get() + _n));
}

#[inline]
fn count_operand_copy() {
    #[cfg(test)]
    probe::OPERAND_COPIES.with(|c| c.set(c.get() + 1));
}

/// The element types gemm computes natively.
pub(crate) trait GemmElem: Element {}
impl GemmElem for f32 {}
impl GemmElem for f64 {}
impl GemmElem for half::f16 {}

/// Integer multiply-add with wrapping, as PyTorch's integer matmul on CPU.
trait IntMac: Element {
    fn mac(acc: Self, a: Self, b: Self) -> Self;
}
macro_rules! int_mac {
    ($($t:ty),*) => {$(
        impl IntMac for $t {
            #[inline(always)]
            fn mac(acc: Self, a: Self, b: Self) -> Self {
                acc.wrapping_add(a.wrapping_mul(b))
            }
        }
    )*};
}
int_mac!(i64, i32, u8);

/// The operand offsets of every matrix of a batch: `batch_shape` walked with both operands'
/// batch strides (0 where a batch dim is broadcast), through the one stride walker.
fn batch_offsets(
    batch_shape: &[usize],
    a: (&[usize], usize),
    b: (&[usize], usize),
) -> (Vec<usize>, Vec<usize>) {
    let nb: usize = batch_shape.iter().product();
    let mut oa = Vec::with_capacity(nb);
    let mut ob = Vec::with_capacity(nb);
    if nb == 0 {
        return (oa, ob);
    }
    let walk = Walk::new(batch_shape, [a.0, b.0], [a.1, b.1]);
    walk.for_each_run(0, nb, |[x, y], len, [sx, sy]| {
        for i in 0..len {
            oa.push(x + i * sx);
            ob.push(y + i * sy);
        }
    });
    (oa, ob)
}

/// `alpha * (a @ b)` (+ `beta * input` when `input` is given, broadcast to the result) for
/// `a: [batch..., m, k]` and `b: [batch..., k, n]` whose batch dims broadcast together.
/// Both are of the same dtype; the result is contiguous `[batch..., m, n]`.
#[track_caller]
fn batched_product(
    op: &str,
    a: &Array,
    b: &Array,
    input: Option<&Array>,
    beta: f64,
    alpha: f64,
) -> Array {
    let (na, nb) = (a.ndim(), b.ndim());
    debug_assert!(na >= 2 && nb >= 2);
    let (m, k) = (a.shape()[na - 2], a.shape()[na - 1]);
    let (k2, n) = (b.shape()[nb - 2], b.shape()[nb - 1]);
    assert!(
        k == k2,
        "{op}: shapes {:?} and {:?} cannot be multiplied ({m}x{k} and {k2}x{n}: the last dim \
         of the first operand must equal the second-to-last dim of the second)",
        a.shape(),
        b.shape()
    );
    let batch = match crate::layout::broadcast_shapes(&a.shape()[..na - 2], &b.shape()[..nb - 2]) {
        Some(b) => b,
        None => panic!(
            "{op}: the batch dims of shapes {:?} and {:?} cannot be broadcast together \
             (all but the last two dims; sizes must match or be 1)",
            a.shape(),
            b.shape()
        ),
    };
    let mut out_shape: Dims = batch.clone();
    out_shape.push(m);
    out_shape.push(n);
    let dt = a.dtype();
    match dt {
        DType::F32 => gemm_product::<f32>(op, a, b, input, beta, alpha, &batch, m, k, n),
        DType::F64 => gemm_product::<f64>(op, a, b, input, beta, alpha, &batch, m, k, n),
        DType::F16 => gemm_product::<half::f16>(op, a, b, input, beta, alpha, &batch, m, k, n),
        DType::BF16 => {
            // No bf16 gemm kernel: compute in f32 (PyTorch accumulates bf16 in f32 as well).
            count_operand_copy();
            let r = batched_product(
                op,
                &a.to_dtype(DType::F32),
                &b.to_dtype(DType::F32),
                input.map(|x| x.to_dtype(DType::F32)).as_ref(),
                beta,
                alpha,
            );
            r.to_dtype(DType::BF16)
        }
        DType::I64 => int_product::<i64>(op, a, b, input, beta, alpha, &batch, m, k, n),
        DType::I32 => int_product::<i32>(op, a, b, input, beta, alpha, &batch, m, k, n),
        DType::U8 => int_product::<u8>(op, a, b, input, beta, alpha, &batch, m, k, n),
        DType::Bool => panic!(
            "{op}: matrix products are not implemented for bool arrays (shapes {:?} and {:?}); \
             convert with .to_dtype(..) first",
            a.shape(),
            b.shape()
        ),
    }
}

/// The matrices of `x: [xbatch..., r, c]` at `offsets`, with their row/column strides.
fn mat_operand(x: &Array, offsets: Vec<usize>) -> MatOperand {
    let nd = x.ndim();
    MatOperand {
        offsets,
        rs: x.strides()[nd - 2],
        cs: x.strides()[nd - 1],
    }
}

/// Batch strides of `x: [xbatch..., r, c]` read over `batch` (0 on broadcast dims).
fn batch_strides(x: &Array, batch: &[usize]) -> Dims {
    let nd = x.ndim();
    let l = Layout::new(
        &x.shape()[..nd - 2],
        &x.strides()[..nd - 2],
        x.storage_offset(),
    );
    broadcast_strides(&l, batch)
}

/// When `a`'s batch folds into its rows (b has no batch of its own and a's `[batch..., m]`
/// dims are evenly spaced), the row stride of the folded `[batch·m, k]` matrix.
fn fold_rows(a: &Array, b: &Array, batch: &[usize], m: usize) -> Option<usize> {
    let (na, nb) = (a.ndim(), b.ndim());
    if na <= 2 || b.shape()[..nb - 2].iter().any(|&s| s != 1) {
        return None;
    }
    if a.shape()[..na - 2] != *batch {
        return None;
    }
    let rows: usize = batch.iter().product::<usize>() * m;
    let l = Layout::new(
        &a.shape()[..na - 1],
        &a.strides()[..na - 1],
        a.storage_offset(),
    );
    l.view_strides(&[rows]).map(|s| s[0])
}

/// The result buffer, holding `beta * input` broadcast over `out_shape` when an input is
/// added (then gemm reads it back), or uninitialised values gemm overwrites.
fn init_out<T: Element>(out_shape: &[usize], input: Option<&Array>, beta: f64) -> (Vec<T>, bool) {
    let total: usize = out_shape.iter().product();
    match input {
        Some(x) if beta != 0.0 => {
            let shape: Vec<isize> = out_shape.iter().map(|&s| s as isize).collect();
            assert!(T::DTYPE == x.dtype(), "addmm: input dtype");
            let mut v = x.expand(&shape).clone_array().into_vec::<T>();
            if beta != 1.0 {
                for e in v.iter_mut() {
                    *e = T::from_f64(e.to_f64() * beta);
                }
            }
            (v, true)
        }
        _ => (T::pool().take_uninit(total), false),
    }
}

/// A product split over threads runs one single-threaded gemm call per part when each part
/// gets at least this many output rows (or, split by columns, `MIN_SPLIT_COLS` columns).
/// gemm's own threading splits every `kc`-deep slice of the product into jobs and joins the
/// threads twice per slice (pack, then compute); on the 2-core bench machine one call per half
/// measured faster on every shape tried (GFLOP/s, medians of ~150-1000 alternating runs in one
/// process, gemm's threads → halves): 1024³ with a transposed lhs 178 → 185 and 194 → 198;
/// 1024×1600×256 185 → 196; 1600×128×1024 187 → 202; 512×128×784 161 → 176 (by rows);
/// 128×784×512 118 → 160 and 128×512×512 149 → 177 (by columns: with 64-row halves, splitting
/// the rows measured 139 and 156). In the bench (old and new binary alternating, 3 runs each,
/// steps/s) `mlp_train` went from 177 / 215 / 223 to 259 / 297 / 259 and `lstm_train` from
/// 28 / 36 / 33 to 38 / 40 / 38.
const MIN_SPLIT_ROWS: usize = 128;
/// See [`MIN_SPLIT_ROWS`].
const MIN_SPLIT_COLS: usize = 64;

/// How one product is divided among `threads` threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// One call; gemm threads it itself over `threads` (1: not at all).
    Whole(usize),
    /// One single-threaded call per block of this many output rows.
    Rows(usize),
    /// One single-threaded call per block of this many output columns.
    Cols(usize),
}

/// The split of an `m × n` output over `threads` threads: by rows when every thread gets at
/// least [`MIN_SPLIT_ROWS`] of them (blocks a multiple of 8 rows), else by columns when every
/// thread gets at least [`MIN_SPLIT_COLS`] (blocks a multiple of 16 columns, one AVX-512
/// vector of f32), else gemm's own threading (a 2-D job split, for outputs too small for
/// either).
fn split_for(m: usize, n: usize, threads: usize) -> Split {
    if threads <= 1 {
        Split::Whole(1)
    } else if m >= MIN_SPLIT_ROWS * threads {
        Split::Rows(m.div_ceil(threads).next_multiple_of(8))
    } else if n >= MIN_SPLIT_COLS * threads {
        Split::Cols(n.div_ceil(threads).next_multiple_of(16))
    } else {
        Split::Whole(threads)
    }
}

/// The three operand pointers of one product, shared with the threads of a split call.
#[derive(Clone, Copy)]
struct Operands<T> {
    dst: *mut T,
    lhs: *const T,
    rhs: *const T,
}
// SAFETY: a split call hands each thread a disjoint block of `dst` rows or columns to write;
// `lhs` and `rhs` are only read, and nobody writes them during the call (gemm_call's contract).
unsafe impl<T> Send for Operands<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Operands<T> {}

impl<T> Operands<T> {
    /// The pointers (a method, so closures capture the `Send` wrapper, not its fields).
    fn get(self) -> (*mut T, *const T, *const T) {
        (self.dst, self.lhs, self.rhs)
    }
}

/// One gemm call: `dst[m,n] (row stride dst_rs, contiguous rows) = read_dst·dst +
/// alpha·lhs@rhs`, over `threads` threads (split as [`split_for`] says).
///
/// # Safety
/// `dst` must be valid for writes of `m` rows of `n` elements at row stride `dst_rs`;
/// `lhs[i*ls.0 + p*ls.1]` for `i < m`, `p < k` and `rhs[p*rs.0 + j*rs.1]` for `p < k`,
/// `j < n` must be in bounds of live buffers that nobody writes during the call.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm_call<T: GemmElem>(
    (m, k, n): (usize, usize, usize),
    dst: *mut T,
    dst_rs: usize,
    read_dst: bool,
    lhs: *const T,
    ls: (usize, usize),
    rhs: *const T,
    rs: (usize, usize),
    alpha: f64,
    threads: usize,
) {
    let ops = Operands { dst, lhs, rhs };
    let split = split_for(m, n, threads);
    let (blocks, th) = match split {
        Split::Whole(th) => (1, th),
        Split::Rows(rows) => (m.div_ceil(rows), 1),
        Split::Cols(cols) => (n.div_ceil(cols), 1),
    };
    // Block `b`: output rows [i0, i0 + mb) and columns [j0, j0 + nb).
    let block = |b: usize| match split {
        Split::Whole(_) => (0, m, 0, n),
        Split::Rows(rows) => (b * rows, rows.min(m - b * rows), 0, n),
        Split::Cols(cols) => (0, m, b * cols, cols.min(n - b * cols)),
    };
    let run = |b: usize| {
        let (dst, lhs, rhs) = ops.get();
        let (i0, mb, j0, nb) = block(b);
        // SAFETY: the block's rows of dst and lhs and its columns of dst and rhs lie within
        // the operands of this function's contract; blocks write disjoint parts of dst.
        unsafe {
            gemm_one(
                (mb, k, nb),
                dst.add(i0 * dst_rs + j0),
                dst_rs,
                read_dst,
                lhs.add(i0 * ls.0),
                ls,
                rhs.add(j0 * rs.1),
                rs,
                alpha,
                th,
            )
        }
    };
    if blocks == 1 {
        run(0)
    } else {
        (0..blocks).into_par_iter().for_each(run)
    }
}

/// One call of the gemm crate, threaded by gemm itself over `threads` (1: not at all).
///
/// # Safety
/// As [`gemm_call`].
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_one<T: GemmElem>(
    (m, k, n): (usize, usize, usize),
    dst: *mut T,
    dst_rs: usize,
    read_dst: bool,
    lhs: *const T,
    ls: (usize, usize),
    rhs: *const T,
    rs: (usize, usize),
    alpha: f64,
    threads: usize,
) {
    let par = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: forwarded from this function's contract. gemm computes
    // dst := alpha_g·dst + beta_g·lhs·rhs, reading dst only when `read_dst`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs as isize,
            read_dst,
            lhs,
            ls.1 as isize,
            ls.0 as isize,
            rhs,
            rs.1 as isize,
            rs.0 as isize,
            T::ONE,
            T::from_f64(alpha),
            false,
            false,
            false,
            par,
        )
    }
}

#[allow(clippy::too_many_arguments)]
#[track_caller]
fn gemm_product<T: GemmElem>(
    op: &str,
    a: &Array,
    b: &Array,
    input: Option<&Array>,
    beta: f64,
    alpha: f64,
    batch: &[usize],
    m: usize,
    k: usize,
    n: usize,
) -> Array {
    let mut out_shape: Dims = batch.into();
    out_shape.push(m);
    out_shape.push(n);
    let nbatch: usize = batch.iter().product();
    let (mut out, read_dst) = init_out::<T>(&out_shape, input, beta);
    let _ = op;
    if out.is_empty() {
        return Array::from_contiguous(out, &out_shape);
    }
    if k == 0 {
        // An empty sum: the product is zero; only `beta * input` remains.
        if !read_dst {
            out.fill(T::ZERO);
        }
        return Array::from_contiguous(out, &out_shape);
    }
    let threads = crate::threads::num_threads();
    let macs = m * n * k;
    a.with_slice(|xa: &[T]| {
        b.with_slice(|xb: &[T]| {
            // Bounds for the SAFETY comments below: every element the layouts address lies
            // below their storage span, and the span lies within the storage.
            assert!(a.layout().storage_span() <= xa.len() && b.layout().storage_span() <= xb.len());
            let (sa, sb) = (a.strides(), b.strides());
            let (na, nb) = (a.ndim(), b.ndim());
            let a_mat = (sa[na - 2], sa[na - 1]);
            let b_mat = (sb[nb - 2], sb[nb - 1]);
            if let Some(row_stride) = fold_rows(a, b, batch, m) {
                count_gemm_calls(1);
                let rows = nbatch * m;
                let th = if rows * n * k >= GEMM_PAR_MACS {
                    threads
                } else {
                    1
                };
                // SAFETY: the folded lhs `[rows, k]` with strides (row_stride, a_mat.1) visits
                // exactly the elements of `a`'s layout (view_strides proved it), all below
                // `xa.len()`; `b`'s only matrix is within `xb`; `out` holds rows*n elements
                // written with row stride n. Inputs are read-locked, `out` is ours.
                unsafe {
                    gemm_call::<T>(
                        (rows, k, n),
                        out.as_mut_ptr(),
                        n,
                        read_dst,
                        xa.as_ptr().add(a.storage_offset()),
                        (row_stride, a_mat.1),
                        xb.as_ptr().add(b.storage_offset()),
                        b_mat,
                        alpha,
                        th,
                    )
                };
                return;
            }
            let (oa, ob) = batch_offsets(
                batch,
                (&batch_strides(a, batch), a.storage_offset()),
                (&batch_strides(b, batch), b.storage_offset()),
            );
            let lhs = mat_operand(a, oa);
            let rhs = mat_operand(b, ob);
            count_gemm_calls(nbatch);
            let one = |c: usize, dst: &mut [T], th: usize| {
                // SAFETY: matrix `c` of `a` starts at `lhs.offsets[c]` and its elements
                // `offsets[c] + i*rs + p*cs` (i < m, p < k) are elements of `a`'s layout, so
                // below `xa.len()` (asserted above); likewise for `b`. `dst` is this matrix's
                // own `m*n` chunk of `out`. Inputs are read-locked for the call.
                unsafe {
                    gemm_call::<T>(
                        (m, k, n),
                        dst.as_mut_ptr(),
                        n,
                        read_dst,
                        xa.as_ptr().add(lhs.offsets[c]),
                        (lhs.rs, lhs.cs),
                        xb.as_ptr().add(rhs.offsets[c]),
                        (rhs.rs, rhs.cs),
                        alpha,
                        th,
                    )
                }
            };
            if nbatch > 1 && threads > 1 && macs < BATCH_PAR_MACS && nbatch * macs >= GEMM_PAR_MACS
            {
                out.par_chunks_mut(m * n)
                    .enumerate()
                    .for_each(|(c, dst)| one(c, dst, 1));
            } else {
                let th = if macs >= GEMM_PAR_MACS { threads } else { 1 };
                for (c, dst) in out.chunks_mut(m * n).enumerate() {
                    one(c, dst, th);
                }
            }
        })
    });
    Array::from_contiguous(out, &out_shape)
}

#[allow(clippy::too_many_arguments)]
#[track_caller]
fn int_product<T: IntMac>(
    op: &str,
    a: &Array,
    b: &Array,
    input: Option<&Array>,
    beta: f64,
    alpha: f64,
    batch: &[usize],
    m: usize,
    k: usize,
    n: usize,
) -> Array {
    let mut out_shape: Dims = batch.into();
    out_shape.push(m);
    out_shape.push(n);
    let total: usize = out_shape.iter().product();
    let mut out = T::pool().take_filled(total, T::ZERO);
    if total > 0 && k > 0 {
        let (oa, ob) = batch_offsets(
            batch,
            (&batch_strides(a, batch), a.storage_offset()),
            (&batch_strides(b, batch), b.storage_offset()),
        );
        let lhs = mat_operand(a, oa);
        let rhs = mat_operand(b, ob);
        a.with_slice(|xa: &[T]| {
            b.with_slice(|xb: &[T]| {
                // One output row per task: out[i, :] += a[i, p] * b[p, :], blocked over p so a
                // block of b's rows stays in cache across the output rows.
                let row = |r: usize, dst: &mut [T]| {
                    let (c, i) = (r / m, r % m);
                    let a0 = lhs.offsets[c] + i * lhs.rs;
                    let b0 = rhs.offsets[c];
                    for p in 0..k {
                        let x = xa[a0 + p * lhs.cs];
                        let br = b0 + p * rhs.rs;
                        if rhs.cs == 1 {
                            for (o, &y) in dst.iter_mut().zip(&xb[br..br + n]) {
                                *o = T::mac(*o, x, y);
                            }
                        } else {
                            for (j, o) in dst.iter_mut().enumerate() {
                                *o = T::mac(*o, x, xb[br + j * rhs.cs]);
                            }
                        }
                    }
                };
                if total * k >= crate::strided::PAR_THRESHOLD {
                    out.par_chunks_mut(n)
                        .enumerate()
                        .for_each(|(r, dst)| row(r, dst));
                } else {
                    for (r, dst) in out.chunks_mut(n).enumerate() {
                        row(r, dst);
                    }
                }
            })
        });
    }
    let prod = Array::from_contiguous(out, &out_shape);
    let _ = op;
    let prod = if alpha != 1.0 {
        prod.mul(alpha as i64)
    } else {
        prod
    };
    match input {
        Some(x) if beta != 0.0 => {
            let scaled = if beta != 1.0 {
                x.mul(beta as i64)
            } else {
                x.clone()
            };
            prod.add(&scaled).to_dtype(T::DTYPE)
        }
        _ => prod,
    }
}

#[track_caller]
fn same_dtype(op: &str, a: &Array, b: &Array) {
    assert!(
        a.dtype() == b.dtype(),
        "{op}: both operands must have the same dtype, got {} (shape {:?}) and {} (shape {:?}); \
         convert one with .to_dtype(..)",
        a.dtype(),
        a.shape(),
        b.dtype(),
        b.shape()
    );
}

impl Array {
    /// Matrix product with NumPy/PyTorch semantics (`torch.matmul`, the `@` operator):
    ///
    /// - 1-D · 1-D: the dot product, a 0-d array;
    /// - 2-D · 2-D: the matrix product;
    /// - 1-D · N-D: a 1 is prepended to the first operand's shape, then removed from the
    ///   result; N-D · 1-D: a 1 is appended to the second's, then removed;
    /// - N-D · N-D: a batch of matrix products over the last two dims, the batch dims
    ///   broadcast together.
    ///
    /// Strided operands (transposes, steps, broadcast batch dims) are read in place, never
    /// copied. f32/f64/f16 use gemm (AVX-512 when the CPU has it); bf16 computes in f32;
    /// integer dtypes wrap on overflow.
    ///
    /// # Panics
    /// If an operand is 0-d, if the inner sizes differ, if the batch dims do not broadcast,
    /// if the dtypes differ, or for bool arrays.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let v = Array::from([1.0f32, 1.0]);
    /// assert_eq!(a.matmul(&a).to_vec::<f32>(), vec![7.0, 10.0, 15.0, 22.0]);
    /// assert_eq!(a.t().matmul(&v).to_vec::<f32>(), vec![4.0, 6.0]);   // [2,2]·[2] -> [2]
    /// assert_eq!(v.matmul(&v).item::<f32>(), 2.0);                    // 0-d dot
    /// let batch = Array::ones(&[3, 1, 2, 2], ember_tensor::DType::F32);
    /// assert_eq!(batch.matmul(&a).shape(), &[3, 1, 2, 2]);            // broadcast batch
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Array) -> Array {
        let (na, nb) = (self.ndim(), other.ndim());
        assert!(
            na >= 1 && nb >= 1,
            "matmul: both arguments need to be at least 1-D, got shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        same_dtype("matmul", self, other);
        if na == 1 && nb == 1 {
            return self.dot_impl("matmul", other);
        }
        let a = if na == 1 {
            self.unsqueeze(0)
        } else {
            self.clone()
        };
        let b = if nb == 1 {
            other.unsqueeze(-1)
        } else {
            other.clone()
        };
        let r = batched_product("matmul", &a, &b, None, 0.0, 1.0);
        let mut shape: Vec<usize> = r.shape().to_vec();
        if nb == 1 {
            shape.pop();
        }
        if na == 1 {
            let l = shape.len();
            shape.remove(l - if nb == 1 { 1 } else { 2 });
        }
        if shape.len() == r.ndim() {
            r
        } else {
            r.with_layout(Layout::contiguous(&shape))
        }
    }

    /// Matrix product of two 2-D arrays (`torch.mm`): `[n, m] @ [m, p] -> [n, p]`.
    ///
    /// # Panics
    /// If an operand is not 2-D, the inner sizes differ, or the dtypes differ.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1i64, 2, 3]]);
    /// assert_eq!(a.mm(&a.t()).to_vec::<i64>(), vec![14]);
    /// ```
    #[track_caller]
    pub fn mm(&self, other: &Array) -> Array {
        assert!(
            self.ndim() == 2 && other.ndim() == 2,
            "mm: both operands must be 2-D, got shapes {:?} and {:?} (use matmul for other \
             ranks)",
            self.shape(),
            other.shape()
        );
        same_dtype("mm", self, other);
        batched_product("mm", self, other, None, 0.0, 1.0)
    }

    /// Batched matrix product of two 3-D arrays with the same batch size (`torch.bmm`):
    /// `[b, n, m] @ [b, m, p] -> [b, n, p]`. No broadcasting (use `matmul` for that).
    ///
    /// # Panics
    /// If an operand is not 3-D, the batch sizes or inner sizes differ, or the dtypes differ.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::ones(&[4, 2, 3], DType::F64);
    /// let b = Array::ones(&[4, 3, 5], DType::F64);
    /// let c = a.bmm(&b);
    /// assert_eq!(c.shape(), &[4, 2, 5]);
    /// assert_eq!(c.to_vec::<f64>()[0], 3.0);
    /// ```
    #[track_caller]
    pub fn bmm(&self, other: &Array) -> Array {
        assert!(
            self.ndim() == 3 && other.ndim() == 3,
            "bmm: both operands must be 3-D, got shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        assert!(
            self.shape()[0] == other.shape()[0],
            "bmm: the batch sizes differ: shapes {:?} and {:?} (bmm does not broadcast; use \
             matmul)",
            self.shape(),
            other.shape()
        );
        same_dtype("bmm", self, other);
        batched_product("bmm", self, other, None, 0.0, 1.0)
    }

    /// Dot product of two 1-D arrays of the same length (`torch.dot`), a 0-d array.
    ///
    /// # Panics
    /// If an operand is not 1-D, the lengths differ, or the dtypes differ.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f32, 2.0, 3.0]);
    /// assert_eq!(a.dot(&a).item::<f32>(), 14.0);
    /// ```
    #[track_caller]
    pub fn dot(&self, other: &Array) -> Array {
        assert!(
            self.ndim() == 1 && other.ndim() == 1,
            "dot: both operands must be 1-D, got shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        same_dtype("dot", self, other);
        self.dot_impl("dot", other)
    }

    #[track_caller]
    fn dot_impl(&self, op: &str, other: &Array) -> Array {
        assert!(
            self.shape()[0] == other.shape()[0],
            "{op}: 1-D operands of shapes {:?} and {:?} must have the same length",
            self.shape(),
            other.shape()
        );
        let r = batched_product(op, &self.unsqueeze(0), &other.unsqueeze(-1), None, 0.0, 1.0);
        r.with_layout(Layout::contiguous(&[]))
    }

    /// Outer product of two 1-D arrays (`torch.outer`): `[n] x [m] -> [n, m]`, with type
    /// promotion as for `mul`.
    ///
    /// # Panics
    /// If an operand is not 1-D.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f32, 2.0]);
    /// let b = ember_tensor::Array::from([1.0f32, 10.0, 100.0]);
    /// assert_eq!(a.outer(&b).to_vec::<f32>(), vec![1.0, 10.0, 100.0, 2.0, 20.0, 200.0]);
    /// ```
    #[track_caller]
    pub fn outer(&self, other: &Array) -> Array {
        assert!(
            self.ndim() == 1 && other.ndim() == 1,
            "outer: both operands must be 1-D, got shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        self.unsqueeze(1).mul(other.unsqueeze(0))
    }

    /// `beta * self + alpha * (mat1 @ mat2)` (`torch.addmm`), `self` broadcast to the
    /// `[n, p]` result. With `beta == 0`, `self`'s values are ignored (NaNs included), as in
    /// PyTorch. For f32/f64/f16 the addition is fused into the gemm call.
    ///
    /// # Panics
    /// If `mat1`/`mat2` are not 2-D, their inner sizes differ, `self` does not broadcast to
    /// the result, or the dtypes differ.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let bias = Array::from([1.0f32, 2.0]);
    /// let x = Array::from([[1.0f32, 0.0], [0.0, 1.0]]);
    /// let w = Array::from([[3.0f32, 4.0], [5.0, 6.0]]);
    /// let y = bias.addmm(&x, &w, 1.0, 2.0);
    /// assert_eq!(y.to_vec::<f32>(), vec![7.0, 10.0, 11.0, 14.0]);
    /// ```
    #[track_caller]
    pub fn addmm(&self, mat1: &Array, mat2: &Array, beta: f64, alpha: f64) -> Array {
        assert!(
            mat1.ndim() == 2 && mat2.ndim() == 2,
            "addmm: mat1 and mat2 must be 2-D, got shapes {:?} and {:?}",
            mat1.shape(),
            mat2.shape()
        );
        same_dtype("addmm", mat1, mat2);
        same_dtype("addmm", self, mat1);
        let out = [mat1.shape()[0], mat2.shape()[1]];
        broadcast_to_result("addmm", self, &out);
        batched_product("addmm", mat1, mat2, Some(self), beta, alpha)
    }

    /// `beta * self + alpha * (batch1 @ batch2)` (`torch.baddbmm`) for 3-D `batch1`, `batch2`
    /// with the same batch size; `self` broadcast to the `[b, n, p]` result. With
    /// `beta == 0`, `self`'s values are ignored.
    ///
    /// # Panics
    /// If `batch1`/`batch2` are not 3-D, their batch or inner sizes differ, `self` does not
    /// broadcast to the result, or the dtypes differ.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let x = Array::ones(&[2, 1, 3], DType::F64);
    /// let y = Array::ones(&[2, 3, 1], DType::F64);
    /// let r = Array::scalar(10.0f64).baddbmm(&x, &y, 0.5, 2.0);
    /// assert_eq!(r.to_vec::<f64>(), vec![11.0, 11.0]);
    /// ```
    #[track_caller]
    pub fn baddbmm(&self, batch1: &Array, batch2: &Array, beta: f64, alpha: f64) -> Array {
        assert!(
            batch1.ndim() == 3 && batch2.ndim() == 3,
            "baddbmm: batch1 and batch2 must be 3-D, got shapes {:?} and {:?}",
            batch1.shape(),
            batch2.shape()
        );
        assert!(
            batch1.shape()[0] == batch2.shape()[0],
            "baddbmm: the batch sizes differ: shapes {:?} and {:?}",
            batch1.shape(),
            batch2.shape()
        );
        same_dtype("baddbmm", batch1, batch2);
        same_dtype("baddbmm", self, batch1);
        let out = [batch1.shape()[0], batch1.shape()[1], batch2.shape()[2]];
        broadcast_to_result("baddbmm", self, &out);
        batched_product("baddbmm", batch1, batch2, Some(self), beta, alpha)
    }
}

/// Panics unless `input` broadcasts to exactly `out`.
#[track_caller]
fn broadcast_to_result(op: &str, input: &Array, out: &[usize]) {
    let ok = input.ndim() <= out.len()
        && crate::layout::broadcast_shapes(input.shape(), out).is_some_and(|s| s.as_slice() == out);
    assert!(
        ok,
        "{op}: the input of shape {:?} cannot be broadcast to the product's shape {out:?}",
        input.shape()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(n: usize, shape: &[usize]) -> Array {
        Array::arange(0.0, n as f64, 1.0, DType::F32)
            .reshape(&shape.iter().map(|&s| s as isize).collect::<Vec<_>>())
    }

    #[test]
    fn products_split_by_rows_when_every_thread_gets_enough_rows_else_by_columns() {
        assert_eq!(split_for(1024, 1024, 1), Split::Whole(1));
        assert_eq!(split_for(1024, 1024, 2), Split::Rows(512));
        assert_eq!(split_for(300, 10, 2), Split::Rows(152));
        assert_eq!(split_for(128, 512, 2), Split::Cols(256));
        assert_eq!(split_for(128, 200, 2), Split::Cols(112));
        assert_eq!(split_for(100, 100, 2), Split::Whole(2));
        assert_eq!(split_for(1024, 1024, 16), Split::Cols(64));
        assert_eq!(split_for(4096, 8, 16), Split::Rows(256));
    }

    /// `gemm_call` split over threads (by rows, by columns, or whole) against an f64 loop,
    /// with a transposed lhs, a padded destination row stride, accumulation and alpha.
    #[test]
    fn split_products_match_a_reference() {
        for &(m, k, n, threads) in &[
            (300, 37, 20, 2), // rows: 152 + 148
            (517, 9, 33, 3),  // rows: 176 + 176 + 165
            (50, 41, 200, 2), // columns: 112 + 88
            (70, 13, 230, 3), // columns: 80 + 80 + 70
            (40, 25, 60, 2),  // whole, threaded by gemm
            (33, 7, 45, 1),
        ] {
            let split = split_for(m, n, threads);
            // lhs stored transposed: element (i, p) at p*m + i.
            let lhs: Vec<f32> = (0..m * k).map(|i| ((i * 37) % 23) as f32 - 11.0).collect();
            let rhs: Vec<f32> = (0..k * n).map(|i| ((i * 53) % 19) as f32 - 9.0).collect();
            let dst_rs = n + 3;
            let init: Vec<f32> = (0..m * dst_rs).map(|i| (i % 7) as f32).collect();
            for read_dst in [false, true] {
                let mut dst = init.clone();
                // SAFETY: dst holds m rows of stride n+3 ≥ n; lhs has m*k elements addressed
                // as p*m + i, rhs k*n as p*n + j; nothing else touches them.
                unsafe {
                    gemm_call::<f32>(
                        (m, k, n),
                        dst.as_mut_ptr(),
                        dst_rs,
                        read_dst,
                        lhs.as_ptr(),
                        (1, m),
                        rhs.as_ptr(),
                        (n, 1),
                        0.5,
                        threads,
                    )
                };
                for i in 0..m {
                    for j in 0..dst_rs {
                        let got = dst[i * dst_rs + j] as f64;
                        let want = if j >= n {
                            init[i * dst_rs + j] as f64
                        } else {
                            let dot: f64 = (0..k)
                                .map(|p| lhs[p * m + i] as f64 * rhs[p * n + j] as f64)
                                .sum();
                            let base = if read_dst {
                                init[i * dst_rs + j] as f64
                            } else {
                                0.0
                            };
                            base + 0.5 * dot
                        };
                        assert_eq!(got, want, "{split:?} ({m},{k},{n}) at ({i},{j})");
                    }
                }
            }
        }
    }

    #[test]
    fn transposed_operands_go_to_gemm_without_a_copy() {
        let a = arange(12, &[3, 4]);
        let b = arange(20, &[4, 5]);
        probe::reset();
        let r = a.t().t().matmul(&b);
        let r2 = b.t().matmul(&a.t());
        assert_eq!(probe::copies(), 0);
        assert_eq!(probe::gemm_calls(), 2);
        let want = a.contiguous().matmul(&b.contiguous());
        assert_eq!(r.to_vec::<f32>(), want.to_vec::<f32>());
        assert_eq!(r2.to_vec::<f32>(), want.t().contiguous().to_vec::<f32>());
    }

    #[test]
    fn foldable_batch_is_one_gemm_call_and_strided_batch_is_not_copied() {
        let a = arange(60, &[3, 4, 5]);
        let w = arange(10, &[5, 2]);
        probe::reset();
        let _ = a.matmul(&w);
        assert_eq!(probe::gemm_calls(), 1, "contiguous batch folds into rows");
        probe::reset();
        let at = a.transpose(0, 1); // [4, 3, 5]: batch not foldable
        let _ = at.matmul(&w);
        assert_eq!(probe::gemm_calls(), 4);
        assert_eq!(probe::copies(), 0);
        probe::reset();
        let _ = a.matmul(&w.expand(&[3, 5, 2])); // broadcast batch, stride 0
        assert_eq!(probe::copies(), 0);
    }

    #[test]
    fn bf16_is_the_only_copying_path() {
        let a = arange(6, &[2, 3]).to_dtype(DType::BF16);
        probe::reset();
        let r = a.matmul(&a.t());
        assert_eq!(probe::copies(), 1);
        assert_eq!(r.dtype(), DType::BF16);
        assert_eq!(
            r.to_dtype(DType::F32).to_vec::<f32>(),
            vec![5.0, 14.0, 14.0, 50.0]
        );
    }
}
