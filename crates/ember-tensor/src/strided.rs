//! The one stride walker. Every kernel that reads or writes a non-contiguous array goes through
//! [`Walk`]: it merges the dims that all operands allow to merge, then hands the kernel runs
//! along the innermost dim with one constant stride per operand (often 1 or 0), so kernels are
//! scalar closures around tight loops the compiler vectorises.

// Loops over the N operands index several parallel arrays (offsets, strides) by operand number;
// an index loop says that more plainly than zipped iterators.
#![allow(clippy::needless_range_loop)]

use rayon::prelude::*;

use crate::layout::Dims;

/// Below this many elements a cheap (memory-bound) op stays on the calling thread. Measured on
/// the 2-core build machine (rayon fork-join of an f32 add, median of 400): a parallel split
/// costs 10-30 µs, so serial wins up to 128 Ki elements (15 µs vs 50 µs) and parallel wins
/// from 256 Ki (104 µs vs 63 µs).
pub(crate) const PAR_THRESHOLD: usize = 1 << 18;
/// The same for ops that cost ~20 flops per element (exp, tanh, erf…): there the measured
/// crossover is 32 Ki elements (17 µs serial vs 15 µs parallel).
pub(crate) const PAR_THRESHOLD_HEAVY: usize = 1 << 15;
/// Elements per parallel task.
pub(crate) const PAR_GRAIN: usize = 1 << 14;

/// `N` operands viewed over one common (broadcast) shape, row-major order.
#[derive(Clone, Debug)]
pub(crate) struct Walk<const N: usize> {
    shape: Dims,
    strides: [Dims; N],
    offsets: [usize; N],
    numel: usize,
}

impl<const N: usize> Walk<N> {
    /// `strides[k]` are operand k's strides over `shape` (0 where it is broadcast).
    pub(crate) fn new(shape: &[usize], strides: [&[usize]; N], offsets: [usize; N]) -> Self {
        let numel = shape.iter().product();
        // Drop size-1 dims, then merge dim d into d+1 when every operand steps evenly across.
        let mut sh: Dims = Dims::new();
        let mut st: [Dims; N] = std::array::from_fn(|_| Dims::new());
        for d in 0..shape.len() {
            if shape[d] == 1 {
                continue;
            }
            if !sh.is_empty() && (0..N).all(|k| *st[k].last().unwrap() == strides[k][d] * shape[d])
            {
                *sh.last_mut().unwrap() *= shape[d];
                for k in 0..N {
                    *st[k].last_mut().unwrap() = strides[k][d];
                }
                continue;
            }
            sh.push(shape[d]);
            for k in 0..N {
                st[k].push(strides[k][d]);
            }
        }
        if sh.is_empty() {
            sh.push(1);
            for s in st.iter_mut() {
                s.push(1);
            }
        }
        Walk {
            shape: sh,
            strides: st,
            offsets,
            numel,
        }
    }

    pub(crate) fn numel(&self) -> usize {
        self.numel
    }

    /// Calls `f(offsets, len, strides)` for each run of the innermost dim covering the
    /// row-major elements `start..end`, where operand k's elements are at
    /// `offsets[k] + i * strides[k]` for `i in 0..len`.
    #[inline]
    pub(crate) fn for_each_run(
        &self,
        start: usize,
        end: usize,
        mut f: impl FnMut([usize; N], usize, [usize; N]),
    ) {
        if start >= end {
            return;
        }
        let nd = self.shape.len();
        let inner = self.shape[nd - 1];
        let inner_strides: [usize; N] = std::array::from_fn(|k| self.strides[k][nd - 1]);
        // Multi-index of `start` over the outer dims, and the operands' offsets there.
        let mut idx: Dims = smallvec::smallvec![0; nd];
        let mut rem = start;
        for d in (0..nd).rev() {
            idx[d] = rem % self.shape[d];
            rem /= self.shape[d];
        }
        let mut offs: [usize; N] = std::array::from_fn(|k| {
            self.offsets[k] + (0..nd).map(|d| idx[d] * self.strides[k][d]).sum::<usize>()
        });
        let mut pos = start;
        while pos < end {
            let len = (inner - idx[nd - 1]).min(end - pos);
            f(offs, len, inner_strides);
            pos += len;
            if pos >= end {
                break;
            }
            // Advance: the inner dim wrapped to 0; carry into the outer dims.
            for k in 0..N {
                offs[k] -= idx[nd - 1] * inner_strides[k];
            }
            idx[nd - 1] = 0;
            let mut d = nd - 1;
            loop {
                if d == 0 {
                    break;
                }
                d -= 1;
                idx[d] += 1;
                for k in 0..N {
                    offs[k] += self.strides[k][d];
                }
                if idx[d] < self.shape[d] {
                    break;
                }
                for k in 0..N {
                    offs[k] -= idx[d] * self.strides[k][d];
                }
                idx[d] = 0;
            }
        }
    }
}

/// Fills the contiguous `out` (row-major over the walk's shape) with `kernel(out_run, offsets,
/// strides)` per inner run, splitting large work over rayon's threads.
pub(crate) fn fill_runs<U: Send, const N: usize>(
    walk: &Walk<N>,
    out: &mut [U],
    kernel: impl Fn(&mut [U], [usize; N], [usize; N]) + Sync,
) {
    fill_runs_from(walk, out, PAR_THRESHOLD, kernel)
}

/// Fills `out` for operands that are all contiguous and of `out`'s shape: `kernel(chunk, start)`
/// writes `out[start..start + chunk.len()]`, on one thread below `min_parallel` elements. The
/// fast path of the element-wise engines: no [`Walk`] to build, which is most of the cost of an
/// op on a small tensor.
pub(crate) fn fill_flat<U: Send>(
    out: &mut [U],
    min_parallel: usize,
    kernel: impl Fn(&mut [U], usize) + Sync,
) {
    if out.len() < min_parallel || crate::threads::num_threads() == 1 {
        kernel(out, 0);
    } else {
        out.par_chunks_mut(PAR_GRAIN)
            .enumerate()
            .for_each(|(c, chunk)| kernel(chunk, c * PAR_GRAIN));
    }
}

/// [`fill_runs`] that goes parallel from `min_parallel` elements (see [`PAR_THRESHOLD_HEAVY`]).
pub(crate) fn fill_runs_from<U: Send, const N: usize>(
    walk: &Walk<N>,
    out: &mut [U],
    min_parallel: usize,
    kernel: impl Fn(&mut [U], [usize; N], [usize; N]) + Sync,
) {
    let n = out.len();
    debug_assert_eq!(n, walk.numel());
    if let Some((rows, cols)) = walk.tiled_shape() {
        fill_tiles(walk, out, rows, cols, &kernel);
        return;
    }
    if n < min_parallel || crate::threads::num_threads() == 1 {
        let mut pos = 0;
        walk.for_each_run(0, n, |offs, len, st| {
            kernel(&mut out[pos..pos + len], offs, st);
            pos += len;
        });
    } else {
        out.par_chunks_mut(PAR_GRAIN)
            .enumerate()
            .for_each(|(c, chunk)| {
                let start = c * PAR_GRAIN;
                let mut pos = 0;
                walk.for_each_run(start, start + chunk.len(), |offs, len, st| {
                    kernel(&mut chunk[pos..pos + len], offs, st);
                    pos += len;
                });
            });
    }
}

/// Rows and columns of a tile for the transposed-operand path: 16 x 64 elements keep
/// every operand's cache lines of a tile in L1 (64 lines of the strided operand are reused by
/// the next 15 rows of the tile, for f32).
const TILE_ROWS: usize = 16;
const TILE_COLS: usize = 64;

impl<const N: usize> Walk<N> {
    /// `Some((rows, cols))` when some operand walks the inner dim with a large stride but the
    /// dim before it with a small one (`x.t() + y`): row-major order would then touch a new
    /// cache line per element of that operand, and a tiled order is several times faster.
    fn tiled_shape(&self) -> Option<(usize, usize)> {
        let nd = self.shape.len();
        // Below a few thousand elements everything is in cache anyway.
        if nd < 2 || self.numel < 4096 {
            return None;
        }
        let (rows, cols) = (self.shape[nd - 2], self.shape[nd - 1]);
        if rows < TILE_ROWS || cols < TILE_COLS {
            return None;
        }
        let transposed = (0..N).any(|k| {
            let (inner, outer) = (self.strides[k][nd - 1], self.strides[k][nd - 2]);
            inner > 1 && outer < inner
        });
        transposed.then_some((rows, cols))
    }

    /// Operand offsets of element (outer row `r` of all `rows*outer`, column `c`).
    fn offsets_at(&self, r: usize, c: usize) -> [usize; N] {
        let nd = self.shape.len();
        let mut rem = r;
        let mut offs = self.offsets;
        for k in 0..N {
            offs[k] += c * self.strides[k][nd - 1];
        }
        for d in (0..nd - 1).rev() {
            let i = rem % self.shape[d];
            rem /= self.shape[d];
            for k in 0..N {
                offs[k] += i * self.strides[k][d];
            }
        }
        offs
    }
}

/// The tiled traversal of [`Walk::tiled_shape`]: blocks of `TILE_ROWS` rows are split over
/// threads; within a block, columns advance `TILE_COLS` at a time.
fn fill_tiles<U: Send, const N: usize>(
    walk: &Walk<N>,
    out: &mut [U],
    rows: usize,
    cols: usize,
    kernel: &(impl Fn(&mut [U], [usize; N], [usize; N]) + Sync),
) {
    let nd = walk.shape.len();
    let inner: [usize; N] = std::array::from_fn(|k| walk.strides[k][nd - 1]);
    let row_step: [usize; N] = std::array::from_fn(|k| walk.strides[k][nd - 2]);
    let block = |b: usize, chunk: &mut [U]| {
        let r0 = b * TILE_ROWS;
        let nrows = chunk.len() / cols;
        // Rows of a block may cross the boundary of the dim before the last (when `rows` is not
        // a multiple of TILE_ROWS): each row gets its own offsets then.
        let aligned = (r0 % rows) + nrows <= rows;
        for c0 in (0..cols).step_by(TILE_COLS) {
            let w = TILE_COLS.min(cols - c0);
            let mut offs = walk.offsets_at(r0, c0);
            for i in 0..nrows {
                if !aligned && i > 0 {
                    offs = walk.offsets_at(r0 + i, c0);
                }
                kernel(&mut chunk[i * cols + c0..i * cols + c0 + w], offs, inner);
                if aligned {
                    for k in 0..N {
                        offs[k] += row_step[k];
                    }
                }
            }
        }
    };
    if out.len() < PAR_THRESHOLD || crate::threads::num_threads() == 1 {
        out.chunks_mut(TILE_ROWS * cols)
            .enumerate()
            .for_each(|(b, c)| block(b, c));
    } else {
        out.par_chunks_mut(TILE_ROWS * cols)
            .enumerate()
            .for_each(|(b, c)| block(b, c));
    }
}

/// `out[i] = f(a[i])` for one strided input run.
#[inline(always)]
pub(crate) fn run1<T: Copy, U>(out: &mut [U], a: &[T], oa: usize, sa: usize, f: &impl Fn(T) -> U) {
    let len = out.len();
    if sa == 1 {
        for (o, &x) in out.iter_mut().zip(&a[oa..oa + len]) {
            *o = f(x);
        }
    } else if sa == 0 {
        let x = a[oa];
        for o in out.iter_mut() {
            *o = f(x);
        }
    } else {
        for (i, o) in out.iter_mut().enumerate() {
            *o = f(a[oa + i * sa]);
        }
    }
}

/// `out[i] = f(a[i], b[i])` for two strided input runs, specialised for the common stride
/// patterns (both contiguous, one broadcast).
#[inline(always)]
pub(crate) fn run2<T: Copy, V: Copy, U>(
    out: &mut [U],
    (a, oa, sa): (&[T], usize, usize),
    (b, ob, sb): (&[V], usize, usize),
    f: &impl Fn(T, V) -> U,
) {
    let len = out.len();
    match (sa, sb) {
        (1, 1) => {
            let (a, b) = (&a[oa..oa + len], &b[ob..ob + len]);
            for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                *o = f(x, y);
            }
        }
        (1, 0) => {
            let y = b[ob];
            for (o, &x) in out.iter_mut().zip(&a[oa..oa + len]) {
                *o = f(x, y);
            }
        }
        (0, 1) => {
            let x = a[oa];
            for (o, &y) in out.iter_mut().zip(&b[ob..ob + len]) {
                *o = f(x, y);
            }
        }
        _ => {
            for (i, o) in out.iter_mut().enumerate() {
                *o = f(a[oa + i * sa], b[ob + i * sb]);
            }
        }
    }
}

/// A raw pointer that may be sent to rayon's threads for writes to provably disjoint places.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr<T>(pub(crate) *mut T);
// SAFETY: only used for writes to disjoint elements (see `scatter_runs`), each by one thread.
unsafe impl<T: Send> Send for SendPtr<T> {}
// SAFETY: as above; the pointer itself is only copied, never dereferenced concurrently for the
// same element.
unsafe impl<T: Send> Sync for SendPtr<T> {}

/// Writes `src` (contiguous, row-major over `walk`'s shape) into `dst` at the walk's operand-0
/// positions. The destination layout must not overlap itself (checked by the caller), so each
/// element is written by exactly one thread.
pub(crate) fn scatter_runs<T: Copy + Send + Sync>(walk: &Walk<1>, dst: &mut [T], src: &[T]) {
    let n = src.len();
    let write = |start: usize, end: usize, dst: SendPtr<T>, dst_len: usize| {
        let mut pos = start;
        walk.for_each_run(start, end, |[o], len, [s]| {
            assert!(
                len == 0 || o + (len - 1) * s < dst_len,
                "scatter_runs out of bounds"
            );
            for i in 0..len {
                // SAFETY: `o + i*s < dst_len` (asserted above for the run's last element, and
                // strides are non-negative), and the layout does not overlap, so no other
                // thread writes this element.
                unsafe { *dst.0.add(o + i * s) = src[pos + i] };
            }
            pos += len;
        });
    };
    let len = dst.len();
    let ptr = SendPtr(dst.as_mut_ptr());
    if n < PAR_THRESHOLD || crate::threads::num_threads() == 1 {
        write(0, n, ptr, len);
    } else {
        (0..n.div_ceil(PAR_GRAIN)).into_par_iter().for_each(|c| {
            write(c * PAR_GRAIN, ((c + 1) * PAR_GRAIN).min(n), ptr, len);
        });
    }
}

impl<const N: usize> Walk<N> {
    /// `Some(strides)` when the walk is one run (all dims merged), so a kernel can skip the
    /// per-run bookkeeping: the elements are at `offsets[k] + i * strides[k]`.
    pub(crate) fn single_run(&self) -> Option<[usize; N]> {
        (self.shape.len() == 1).then(|| std::array::from_fn(|k| self.strides[k][0]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets_of(w: &Walk<1>, start: usize, end: usize) -> Vec<usize> {
        let mut v = vec![];
        w.for_each_run(start, end, |[o], len, [s]| {
            v.extend((0..len).map(|i| o + i * s))
        });
        v
    }

    #[test]
    fn walks_a_transpose_in_row_major_order() {
        // [3,4] contiguous, transposed to [4,3] with strides [1,4].
        let w = Walk::new(&[4, 3], [&[1, 4]], [0]);
        let all = offsets_of(&w, 0, 12);
        assert_eq!(all, vec![0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
        assert_eq!(offsets_of(&w, 4, 10), all[4..10].to_vec());
    }

    #[test]
    fn tiled_fill_visits_every_element_once_in_row_major_slots() {
        // A [3, 40, 100] output whose operand is the transpose of a [100, 40*3]-ish buffer:
        // rows (40) and blocks (16) do not divide evenly, to exercise the boundary path.
        let shape = [3usize, 40, 100];
        let strides = [40usize, 1, 120];
        let w = Walk::new(&shape, [&strides], [7]);
        assert!(w.tiled_shape().is_some());
        let mut out = vec![usize::MAX; 12000];
        fill_runs(&w, &mut out, |o, [off], [st]| {
            for (i, v) in o.iter_mut().enumerate() {
                *v = off + i * st;
            }
        });
        let mut want = vec![];
        for a in 0..3 {
            for b in 0..40 {
                for c in 0..100 {
                    want.push(7 + a * 40 + b + c * 120);
                }
            }
        }
        assert_eq!(out, want);
    }

    #[test]
    fn merges_contiguous_dims_and_broadcasts() {
        let w = Walk::new(&[2, 3, 4], [&[12, 4, 1]], [5]);
        assert_eq!(w.shape.as_slice(), &[24]);
        let w = Walk::new(&[2, 3], [&[0, 1]], [0]);
        assert_eq!(offsets_of(&w, 0, 6), vec![0, 1, 2, 0, 1, 2]);
    }
}
