//! Scans along one dim: `cumsum`, `cumprod`, `logcumsumexp`, `cummax`, `cummin`.
//!
//! Also home of the line engine shared with `sort.rs`: an op along dim `d` is a kernel over
//! one *line* (the elements that differ only in their index along `d`) called for every
//! position of the other dims. The positions are walked with [`Walk`] over the other dims (no
//! second stride walker); the kernel reads its line with the dim's stride, so inputs of any
//! layout are read in place. Outputs are built with the scanned dim last and moved back.

use half::{bf16, f16};
use rayon::prelude::*;

use crate::dtype::{DType, Element};
use crate::layout::{Dims, normalize_dim};
use crate::ops::sort::is_nan;
use crate::strided::{PAR_GRAIN, PAR_THRESHOLD_HEAVY as PAR_THRESHOLD, Walk};
use crate::{Array, dispatch};

/// The lines of an array along one dim.
pub(crate) struct Lines {
    /// Walks the other dims, row-major: element `l` of the walk is where line `l` starts.
    walk: Walk<1>,
    /// Number of lines (product of the other dims).
    pub(crate) count: usize,
    /// Elements per line (the size of the dim).
    pub(crate) len: usize,
    /// Storage step between consecutive elements of a line.
    pub(crate) stride: usize,
    /// The sizes of the other dims, in order.
    pub(crate) outer_shape: Dims,
}

impl Lines {
    /// The lines of `x` along `dim` (already normalised; `x` has at least one dim).
    pub(crate) fn new(x: &Array, dim: usize) -> Lines {
        let (shape, strides) = (x.shape(), x.strides());
        let outer_shape: Dims = (0..x.ndim())
            .filter(|&d| d != dim)
            .map(|d| shape[d])
            .collect();
        let outer_strides: Dims = (0..x.ndim())
            .filter(|&d| d != dim)
            .map(|d| strides[d])
            .collect();
        Lines {
            walk: Walk::new(&outer_shape, [&outer_strides], [x.storage_offset()]),
            count: outer_shape.iter().product(),
            len: shape[dim],
            stride: strides[dim],
            outer_shape,
        }
    }

    /// Calls `f(line, offset)` for the lines `start..end`, in order.
    fn for_each(&self, start: usize, end: usize, mut f: impl FnMut(usize, usize)) {
        let mut line = start;
        self.walk.for_each_run(start, end, |[o], len, [s]| {
            for i in 0..len {
                f(line, o + i * s);
                line += 1;
            }
        });
    }

    /// Runs `kernel(offset, scratch, out_u, out_v)` for every line (`offset`: where the line
    /// starts in storage; its elements are `stride` apart), where `out_u` and
    /// `out_v` are that line's `pu` and `pv` elements of the line-major outputs. Large work is
    /// split over rayon in blocks of whole lines, each block with its own `scratch`.
    pub(crate) fn run<U: Element, V: Element, S>(
        &self,
        (pu, pv): (usize, usize),
        scratch: impl Fn() -> S + Sync,
        kernel: impl Fn(usize, &mut S, &mut [U], &mut [V]) + Sync,
    ) -> (Vec<U>, Vec<V>) {
        let mut out_u = U::pool().take_uninit(self.count * pu);
        let mut out_v = V::pool().take_uninit(self.count * pv);
        let work = self.count * self.len.max(1);
        let block = if work < PAR_THRESHOLD || crate::threads::num_threads() == 1 {
            self.count.max(1)
        } else {
            (PAR_GRAIN / self.len.max(1)).max(1)
        };
        // Cut the outputs into blocks of whole lines (split_at_mut also handles pu or pv = 0).
        let mut tasks = Vec::with_capacity(self.count.div_ceil(block));
        let (mut ru, mut rv) = (&mut out_u[..], &mut out_v[..]);
        let mut start = 0;
        while start < self.count {
            let n = block.min(self.count - start);
            let (u, rest_u) = ru.split_at_mut(n * pu);
            let (v, rest_v) = rv.split_at_mut(n * pv);
            (ru, rv) = (rest_u, rest_v);
            tasks.push((start, n, u, v));
            start += n;
        }
        let do_block = |(start, n, u, v): (usize, usize, &mut [U], &mut [V])| {
            let mut s = scratch();
            self.for_each(start, start + n, |l, off| {
                let i = l - start;
                kernel(
                    off,
                    &mut s,
                    &mut u[i * pu..(i + 1) * pu],
                    &mut v[i * pv..(i + 1) * pv],
                );
            });
        };
        if tasks.len() <= 1 {
            tasks.into_iter().for_each(do_block);
        } else {
            tasks.into_par_iter().for_each(do_block);
        }
        (out_u, out_v)
    }
}

/// `x` with at least one dim (a 0-d array reads as shape `[1]`), and `dim` normalised.
#[track_caller]
pub(crate) fn lines_input(op: &str, x: &Array, dim: isize) -> (Array, usize) {
    let d = normalize_dim(op, dim, x.ndim());
    if x.ndim() == 0 {
        (x.reshape(&[1]), 0)
    } else {
        (x.clone(), d)
    }
}

/// The array of `x`'s shape (with `dim` resized to `per_line`) from a line-major buffer whose
/// lines run along `dim`: built with `dim` last, then moved back (copied to contiguous when
/// `dim` is not already last).
pub(crate) fn from_lines<U: Element>(
    data: Vec<U>,
    lines: &Lines,
    dim: usize,
    per_line: usize,
    orig_shape: &[usize],
) -> Array {
    if orig_shape.is_empty() {
        return Array::from_contiguous(data, &[]);
    }
    let mut shape = lines.outer_shape.clone();
    shape.push(per_line);
    let a = Array::from_contiguous(data, &shape);
    let nd = shape.len();
    if dim == nd - 1 {
        return a;
    }
    // Move the last dim back to `dim`.
    let perm: Vec<isize> = (0..nd)
        .map(|d| match d {
            d if d < dim => d as isize,
            d if d == dim => (nd - 1) as isize,
            d => (d - 1) as isize,
        })
        .collect();
    a.permute(&perm).contiguous()
}

/// `out[j] = finish(acc_j)` with `acc_j = step(acc_{j-1}, x[j])`, `acc_{-1} = init`, along `dim`.
#[track_caller]
fn scan<T: Element, A: Copy + Send + Sync, U: Element>(
    op: &str,
    x: &Array,
    dim: isize,
    init: A,
    step: impl Fn(A, T) -> A + Sync,
    finish: impl Fn(A) -> U + Sync,
) -> Array {
    let (xin, d) = lines_input(op, x, dim);
    let lines = Lines::new(&xin, d);
    let (n, s) = (lines.len, lines.stride);
    let (out, _) = xin.with_slice(|a: &[T]| {
        lines.run::<U, i64, ()>(
            (n, 0),
            || (),
            |off, _, o, _| {
                let mut acc = init;
                for (j, o) in o.iter_mut().enumerate() {
                    acc = step(acc, a[off + j * s]);
                    *o = finish(acc);
                }
            },
        )
    });
    from_lines(out, &lines, d, n, x.shape())
}

/// `log(e^a + e^b)` without overflow; infinities of one sign give themselves (PyTorch's
/// `_log_add_exp_helper`).
#[inline(always)]
fn log_add_exp<F: num_traits::Float>(a: F, b: F) -> F {
    let (min, max) = if b.is_nan() {
        (b, b)
    } else {
        (a.min(b), a.max(b))
    };
    if min != max || min.is_finite() {
        max + (min - max).exp().ln_1p()
    } else {
        a
    }
}

/// `cummax` (`max`) or `cummin` along `dim`. Ties take
/// the later index and a NaN sticks (later NaNs move the index), as PyTorch does.
#[track_caller]
fn cum_extreme(op: &str, x: &Array, dim: isize, max: bool) -> (Array, Array) {
    let (xin, d) = lines_input(op, x, dim);
    let lines = Lines::new(&xin, d);
    let (n, s) = (lines.len, lines.stride);
    dispatch!(x.dtype(), T => {
        let (vals, idx) = xin.with_slice(|a: &[T]| {
            lines.run::<T, i64, ()>((n, n), || (), |off, _, ov, oi| {
                let mut best = T::ZERO;
                let mut bi = 0i64;
                for j in 0..n {
                    let v = a[off + j * s];
                    if j == 0 || is_nan(v) || (!is_nan(best) && if max { v >= best } else { v <= best }) {
                        best = v;
                        bi = j as i64;
                    }
                    ov[j] = best;
                    oi[j] = bi;
                }
            })
        });
        (
            from_lines(vals, &lines, d, n, x.shape()),
            from_lines(idx, &lines, d, n, x.shape()),
        )
    })
}

impl Array {
    /// Cumulative sum along `dim` (`torch.cumsum`): `out[.., j, ..] = x[.., 0, ..] + … +
    /// x[.., j, ..]`.
    ///
    /// Integer and bool inputs give an i64 result (PyTorch's default); floats keep their dtype.
    /// Accumulation is in a wider type as PyTorch's CPU kernel does: f32 sums in f64, f16 and
    /// bf16 in f32, each output rounded once. A size-0 dim gives an empty result.
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// assert_eq!(a.cumsum(1).to_vec::<f32>(), vec![1.0, 3.0, 6.0, 4.0, 9.0, 15.0]);
    /// assert_eq!(a.cumsum(-2).to_vec::<f32>(), vec![1.0, 2.0, 3.0, 5.0, 7.0, 9.0]);
    /// let b = Array::from([true, false, true]).cumsum(0);
    /// assert_eq!(b.dtype(), DType::I64);
    /// assert_eq!(b.to_vec::<i64>(), vec![1, 1, 2]);
    /// ```
    #[track_caller]
    pub fn cumsum(&self, dim: isize) -> Array {
        let op = "cumsum";
        match self.dtype() {
            DType::F32 => {
                scan::<f32, f64, f32>(op, self, dim, 0.0, |a, v| a + v as f64, |a| a as f32)
            }
            DType::F64 => scan::<f64, f64, f64>(op, self, dim, 0.0, |a, v| a + v, |a| a),
            DType::F16 => {
                scan::<f16, f32, f16>(op, self, dim, 0.0, |a, v| a + v.to_f32(), f16::from_f32)
            }
            DType::BF16 => {
                scan::<bf16, f32, bf16>(op, self, dim, 0.0, |a, v| a + v.to_f32(), bf16::from_f32)
            }
            d => {
                dispatch!(d, T => scan::<T, i64, i64>(op, self, dim, 0, |a, v| a.wrapping_add(v.to_i64()), |a| a))
            }
        }
    }

    /// Cumulative product along `dim` (`torch.cumprod`): `out[.., j, ..] = x[.., 0, ..] * … *
    /// x[.., j, ..]`.
    ///
    /// Dtypes and accumulation as [`cumsum`](Array::cumsum): integers and bools give i64
    /// (wrapping on overflow, like PyTorch), f32 multiplies in f64, f16/bf16 in f32.
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i32, 2, 3], [4, 5, 6]]);
    /// assert_eq!(a.cumprod(1).to_vec::<i64>(), vec![1, 2, 6, 4, 20, 120]);
    /// assert_eq!(a.cumprod(0).to_vec::<i64>(), vec![1, 2, 3, 4, 10, 18]);
    /// ```
    #[track_caller]
    pub fn cumprod(&self, dim: isize) -> Array {
        let op = "cumprod";
        match self.dtype() {
            DType::F32 => {
                scan::<f32, f64, f32>(op, self, dim, 1.0, |a, v| a * v as f64, |a| a as f32)
            }
            DType::F64 => scan::<f64, f64, f64>(op, self, dim, 1.0, |a, v| a * v, |a| a),
            DType::F16 => {
                scan::<f16, f32, f16>(op, self, dim, 1.0, |a, v| a * v.to_f32(), f16::from_f32)
            }
            DType::BF16 => {
                scan::<bf16, f32, bf16>(op, self, dim, 1.0, |a, v| a * v.to_f32(), bf16::from_f32)
            }
            d => {
                dispatch!(d, T => scan::<T, i64, i64>(op, self, dim, 1, |a, v| a.wrapping_mul(v.to_i64()), |a| a))
            }
        }
    }

    /// `log(cumsum(exp(x)))` along `dim`, computed without overflow (`torch.logcumsumexp`).
    ///
    /// Floating dtypes only, kept in the result; f32 accumulates in f64, f16/bf16 in f32.
    ///
    /// # Panics
    /// If `dim` is out of range, or the array is not floating (convert with
    /// `to_dtype(DType::F32)` first, as PyTorch requires).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([0.0f64, 0.0, 1000.0]);
    /// let r = a.logcumsumexp(0).to_vec::<f64>();
    /// assert_eq!(r[0], 0.0);
    /// assert!((r[1] - 2f64.ln()).abs() < 1e-15);
    /// assert_eq!(r[2], 1000.0);
    /// ```
    #[track_caller]
    pub fn logcumsumexp(&self, dim: isize) -> Array {
        let op = "logcumsumexp";
        let ninf = f64::NEG_INFINITY;
        match self.dtype() {
            DType::F32 => scan::<f32, f64, f32>(
                op,
                self,
                dim,
                ninf,
                |a, v| log_add_exp(v as f64, a),
                |a| a as f32,
            ),
            DType::F64 => {
                scan::<f64, f64, f64>(op, self, dim, ninf, |a, v| log_add_exp(v, a), |a| a)
            }
            DType::F16 => scan::<f16, f32, f16>(
                op,
                self,
                dim,
                f32::NEG_INFINITY,
                |a, v| log_add_exp(v.to_f32(), a),
                f16::from_f32,
            ),
            DType::BF16 => scan::<bf16, f32, bf16>(
                op,
                self,
                dim,
                f32::NEG_INFINITY,
                |a, v| log_add_exp(v.to_f32(), a),
                bf16::from_f32,
            ),
            d => panic!(
                "logcumsumexp: not implemented for {d} arrays (shape {:?}); convert with \
                 .to_dtype(DType::F32) first",
                self.shape()
            ),
        }
    }

    /// Running maximum along `dim` and the index where it was reached (`torch.cummax`).
    ///
    /// Returns `(values, indices)`: values of the input's dtype, indices i64. On ties the later
    /// index is reported; a NaN is the maximum from where it appears on (PyTorch's rules).
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f32, 3.0, 2.0, 3.0, 5.0]);
    /// let (v, i) = a.cummax(0);
    /// assert_eq!(v.to_vec::<f32>(), vec![1.0, 3.0, 3.0, 3.0, 5.0]);
    /// assert_eq!(i.to_vec::<i64>(), vec![0, 1, 1, 3, 4]);
    /// ```
    #[track_caller]
    pub fn cummax(&self, dim: isize) -> (Array, Array) {
        cum_extreme("cummax", self, dim, true)
    }

    /// Running minimum along `dim` and the index where it was reached (`torch.cummin`).
    ///
    /// Returns `(values, indices)` with the same rules as [`cummax`](Array::cummax).
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[3i64, 1], [1, 2]]);
    /// let (v, i) = a.cummin(0);
    /// assert_eq!(v.to_vec::<i64>(), vec![3, 1, 1, 1]);
    /// assert_eq!(i.to_vec::<i64>(), vec![0, 0, 1, 0]);
    /// ```
    #[track_caller]
    pub fn cummin(&self, dim: isize) -> (Array, Array) {
        cum_extreme("cummin", self, dim, false)
    }
}
