//! Sorting and selection along one dim: `sort`, `argsort`, `topk`, `kthvalue`, `median`,
//! `median_dim`.
//!
//! Every op runs a per-line kernel through the line engine of `scan.rs` (one line = the
//! elements along `dim` at one position of the other dims), in parallel over lines when the
//! work is large. The order is PyTorch's: NaN is larger than every number (last when sorting
//! ascending, first descending), `false < true`, and ties keep their original order (PyTorch's
//! `stable=True`). Selections (`topk`, `kthvalue`, `median_dim`) break ties by index, so they
//! pick the same element a stable sort would put at that rank.

use std::cmp::Ordering;

use crate::ops::scan::{Lines, from_lines, lines_input};
use crate::{Array, Element, dispatch};

/// True for a NaN (only floats have one; for other types the compiler folds this to `false`).
#[inline(always)]
#[allow(clippy::eq_op)]
pub(crate) fn is_nan<T: Element>(x: T) -> bool {
    x != x
}

/// Ascending order with NaN the largest value and NaNs equal among themselves.
#[inline(always)]
fn asc<T: Element>(a: T, b: T) -> Ordering {
    match a.partial_cmp(&b) {
        Some(o) => o,
        None => is_nan(a).cmp(&is_nan(b)),
    }
}

/// The order of a sort: ascending, or descending (NaN first).
#[inline(always)]
fn order<T: Element>(a: T, b: T, descending: bool) -> Ordering {
    if descending { asc(b, a) } else { asc(a, b) }
}

/// Fills `buf` with line `(value, index)` pairs read from storage.
#[inline(always)]
fn read_line<T: Element>(buf: &mut Vec<(T, i64)>, a: &[T], off: usize, n: usize, s: usize) {
    buf.clear();
    buf.extend((0..n).map(|j| (a[off + j * s], j as i64)));
}

/// One value and index per line: the element at 0-based rank `rank(n)` in ascending order
/// (ties by index); with `nan_wins`, a line holding a NaN gives its first NaN instead.
#[track_caller]
fn select_rank(
    op: &str,
    x: &Array,
    dim: isize,
    keepdim: bool,
    rank: impl Fn(usize) -> usize,
    nan_wins: bool,
) -> (Array, Array) {
    let (xin, d) = lines_input(op, x, dim);
    let lines = Lines::new(&xin, d);
    let (n, s) = (lines.len, lines.stride);
    let r = rank(n);
    let outer = lines.outer_shape.clone();
    let (v, i) = dispatch!(x.dtype(), T => {
        let (v, i) = xin.with_slice(|a: &[T]| {
            lines.run::<T, i64, Vec<(T, i64)>>((1, 1), Vec::new, |off, buf, ov, oi| {
                if nan_wins && let Some(j) = (0..n).find(|&j| is_nan(a[off + j * s])) {
                    ov[0] = a[off + j * s];
                    oi[0] = j as i64;
                    return;
                }
                read_line(buf, a, off, n, s);
                let (_, &mut (v, i), _) =
                    buf.select_nth_unstable_by(r, |x, y| asc(x.0, y.0).then(x.1.cmp(&y.1)));
                ov[0] = v;
                oi[0] = i;
            })
        });
        (from_lines(v, &lines, d, 1, x.shape()), from_lines(i, &lines, d, 1, x.shape()))
    });
    if keepdim || x.ndim() == 0 {
        (v, i)
    } else {
        let shape: Vec<isize> = outer.iter().map(|&n| n as isize).collect();
        (v.reshape(&shape), i.reshape(&shape))
    }
}

impl Array {
    /// Sorts along `dim` (`torch.sort(stable=True)`), returning `(values, indices)`: the sorted
    /// values (input dtype) and, as i64, where each came from along `dim`.
    ///
    /// The sort is stable: equal values keep their original order, ascending or descending.
    /// NaN is larger than every number: last ascending, first descending. Bools sort
    /// `false < true`. Any dtype and layout; the outputs are contiguous.
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[3.0f32, f32::NAN, 1.0, 3.0], [0.0, -1.0, 2.0, 0.0]]);
    /// let (v, i) = a.sort(-1, false);
    /// let v = v.to_vec::<f32>();
    /// assert_eq!(&v[..3], &[1.0, 3.0, 3.0]);
    /// assert!(v[3].is_nan());
    /// assert_eq!(&v[4..], &[-1.0, 0.0, 0.0, 2.0]);
    /// assert_eq!(i.to_vec::<i64>(), vec![2, 0, 3, 1, 1, 0, 3, 2]);
    /// let (_, i) = a.sort(1, true); // descending: NaN first, ties still in original order
    /// assert_eq!(i.to_vec::<i64>(), vec![1, 0, 3, 2, 2, 0, 3, 1]);
    /// ```
    #[track_caller]
    pub fn sort(&self, dim: isize, descending: bool) -> (Array, Array) {
        let (xin, d) = lines_input("sort", self, dim);
        let lines = Lines::new(&xin, d);
        let (n, s) = (lines.len, lines.stride);
        dispatch!(self.dtype(), T => {
            let (v, i) = xin.with_slice(|a: &[T]| {
                lines.run::<T, i64, Vec<(T, i64)>>((n, n), Vec::new, |off, buf, ov, oi| {
                    read_line(buf, a, off, n, s);
                    buf.sort_by(|x, y| order(x.0, y.0, descending));
                    for (j, &(v, i)) in buf.iter().enumerate() {
                        ov[j] = v;
                        oi[j] = i;
                    }
                })
            });
            (
                from_lines(v, &lines, d, n, self.shape()),
                from_lines(i, &lines, d, n, self.shape()),
            )
        })
    }

    /// The indices (i64) that sort the array along `dim` (`torch.argsort(stable=True)`): the
    /// `indices` of [`sort`](Array::sort), with the same order rules.
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([2i32, 1, 2, 0]);
    /// assert_eq!(a.argsort(0, false).to_vec::<i64>(), vec![3, 1, 0, 2]);
    /// assert_eq!(a.argsort(0, true).to_vec::<i64>(), vec![0, 2, 1, 3]);
    /// ```
    #[track_caller]
    pub fn argsort(&self, dim: isize, descending: bool) -> Array {
        self.sort(dim, descending).1
    }

    /// The `k` largest (or, with `largest = false`, smallest) elements along `dim`
    /// (`torch.topk`), returning `(values, indices)` with `dim` resized to `k`.
    ///
    /// With `sorted`, the `k` come in order (largest first, or smallest first); without, in an
    /// unspecified order. NaN counts as the largest value. Among equal values the lower indices
    /// are taken first (PyTorch leaves the choice open; the values always match PyTorch's).
    /// O(n) per line plus O(k log k) for sorting the `k`.
    ///
    /// # Panics
    /// If `dim` is out of range or `k` exceeds the size of `dim`.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 5.0, 3.0, 4.0], [9.0, 8.0, 7.0, 6.0]]);
    /// let (v, i) = a.topk(2, 1, true, true);
    /// assert_eq!(v.shape(), &[2, 2]);
    /// assert_eq!(v.to_vec::<f32>(), vec![5.0, 4.0, 9.0, 8.0]);
    /// assert_eq!(i.to_vec::<i64>(), vec![1, 3, 0, 1]);
    /// let (v, _) = a.topk(1, 0, false, true);
    /// assert_eq!(v.to_vec::<f32>(), vec![1.0, 5.0, 3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn topk(&self, k: usize, dim: isize, largest: bool, sorted: bool) -> (Array, Array) {
        let (xin, d) = lines_input("topk", self, dim);
        let lines = Lines::new(&xin, d);
        let (n, s) = (lines.len, lines.stride);
        assert!(
            k <= n,
            "topk: k = {k} is out of range for dimension {dim} of size {n} (shape {:?}); \
             k must be at most the size of the dimension",
            self.shape()
        );
        dispatch!(self.dtype(), T => {
            let (v, i) = xin.with_slice(|a: &[T]| {
                lines.run::<T, i64, Vec<(T, i64)>>((k, k), Vec::new, |off, buf, ov, oi| {
                    if k == 0 {
                        return;
                    }
                    read_line(buf, a, off, n, s);
                    let by = |x: &(T, i64), y: &(T, i64)| {
                        order(x.0, y.0, largest).then(x.1.cmp(&y.1))
                    };
                    if k < n {
                        buf.select_nth_unstable_by(k - 1, by);
                    }
                    let top = &mut buf[..k];
                    if sorted {
                        top.sort_unstable_by(by);
                    }
                    for (j, &(v, i)) in top.iter().enumerate() {
                        ov[j] = v;
                        oi[j] = i;
                    }
                })
            });
            (
                from_lines(v, &lines, d, k, self.shape()),
                from_lines(i, &lines, d, k, self.shape()),
            )
        })
    }

    /// The `k`-th smallest element along `dim`, `k` counted from 1 (`torch.kthvalue`),
    /// returning `(values, indices)`; `dim` is removed unless `keepdim`.
    ///
    /// NaN counts as the largest value. Among equal values the index is the one a stable sort
    /// would place at rank `k`.
    ///
    /// # Panics
    /// If `dim` is out of range, or `k` is not in `1..=size` of `dim`.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[3i64, 1, 2], [6, 5, 4]]);
    /// let (v, i) = a.kthvalue(2, 1, false);
    /// assert_eq!(v.to_vec::<i64>(), vec![2, 5]);
    /// assert_eq!(i.to_vec::<i64>(), vec![2, 1]);
    /// let (v, _) = a.kthvalue(1, 0, true);
    /// assert_eq!(v.shape(), &[1, 3]);
    /// ```
    #[track_caller]
    pub fn kthvalue(&self, k: usize, dim: isize, keepdim: bool) -> (Array, Array) {
        let d = crate::layout::normalize_dim("kthvalue", dim, self.ndim());
        let n = if self.ndim() == 0 { 1 } else { self.shape()[d] };
        assert!(
            (1..=n).contains(&k),
            "kthvalue: k = {k} is out of range for dimension {dim} of size {n} (shape {:?}); \
             k counts from 1 and must be at most the size of the dimension",
            self.shape()
        );
        select_rank("kthvalue", self, dim, keepdim, |_| k - 1, false)
    }

    /// The median of all elements as a 0-d array (`torch.median()`): for an even count, the
    /// lower of the two middle values (not their mean). NaN if any element is NaN, and NaN for
    /// an empty floating array.
    ///
    /// # Panics
    /// If the array is empty and not floating (there is no value to return).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[4.0f32, 1.0], [3.0, 2.0]]);
    /// let m = a.median();
    /// assert_eq!(m.ndim(), 0);
    /// assert_eq!(m.item::<f32>(), 2.0);
    /// assert!(ember_tensor::Array::from([1.0f64, f64::NAN]).median().item::<f64>().is_nan());
    /// ```
    #[track_caller]
    pub fn median(&self) -> Array {
        if self.numel() == 0 {
            assert!(
                self.dtype().is_floating_point(),
                "median: the array of shape {:?} ({}) is empty and has no median",
                self.shape(),
                self.dtype()
            );
            return Array::full(&[], f64::NAN, self.dtype());
        }
        let flat = self.reshape(&[-1]);
        flat.median_dim(0, false).0
    }

    /// The median along `dim` (`torch.median(dim, keepdim)`), returning `(values, indices)`;
    /// `dim` is removed unless `keepdim`.
    ///
    /// For an even count the lower of the two middle values; a line holding a NaN gives NaN and
    /// the index of its first NaN (as PyTorch does).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 9.0, 3.0, 5.0], [2.0, f32::NAN, 0.0, 1.0]]);
    /// let (v, i) = a.median_dim(1, false);
    /// let v = v.to_vec::<f32>();
    /// assert_eq!(v[0], 3.0);
    /// assert!(v[1].is_nan());
    /// assert_eq!(i.to_vec::<i64>(), vec![2, 1]);
    /// ```
    #[track_caller]
    pub fn median_dim(&self, dim: isize, keepdim: bool) -> (Array, Array) {
        let d = crate::layout::normalize_dim("median_dim", dim, self.ndim());
        let n = if self.ndim() == 0 { 1 } else { self.shape()[d] };
        assert!(
            n > 0,
            "median_dim: dimension {dim} of shape {:?} has size 0, so it has no median",
            self.shape()
        );
        select_rank("median_dim", self, dim, keepdim, |n| (n - 1) / 2, true)
    }
}
