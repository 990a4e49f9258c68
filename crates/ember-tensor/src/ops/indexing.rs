//! Reading by index: index_select, gather, take, masked_select, nonzero, one_hot, bincount.
//! (Writing by index, the scatter family, is in `scatter.rs`.)
//!
//! The gathers are one pass of the stride walker over the output: the input is an operand whose
//! stride along the indexed dim is 0, the index array is a second operand, and the kernel adds
//! `index * stride` to the input's offset. Indices are `I64` arrays of any layout.
//!
//! Negative indices follow PyTorch: `take` (and `index_put` in `scatter.rs`) count them from
//! the end; `index_select`, `gather`, the scatters and `index_add` require `0 <= i < size`.

use crate::Array;
use crate::dtype::{DType, Element};
use crate::layout::{Dims, normalize_dim};
use crate::ops::map::{broadcast_all, broadcast_strides};
use crate::strided::{Walk, fill_runs};

/// Panics unless `index` holds `I64` indices.
#[track_caller]
pub(crate) fn check_index_dtype(op: &str, index: &Array) {
    assert!(
        index.dtype() == DType::I64,
        "{op}: expected an index array of dtype int64, got {} (convert it with \
         .to_dtype(DType::I64))",
        index.dtype()
    );
}

/// `i` as a position in a dim of `size`, or a panic naming the op, the index, dim and size.
#[inline(always)]
pub(crate) fn in_bounds(op: &str, i: i64, dim: usize, size: usize) -> usize {
    if i < 0 || i as u64 >= size as u64 {
        out_of_bounds(op, i, dim, size)
    }
    i as usize
}

/// Like [`in_bounds`], but negative indices count from the end.
#[inline(always)]
pub(crate) fn wrap_index(op: &str, i: i64, dim: usize, size: usize) -> usize {
    let j = if i < 0 { i + size as i64 } else { i };
    if j < 0 || j as u64 >= size as u64 {
        out_of_bounds(op, i, dim, size)
    }
    j as usize
}

#[cold]
#[inline(never)]
fn out_of_bounds(op: &str, i: i64, dim: usize, size: usize) -> ! {
    panic!("{op}: index {i} is out of bounds for dimension {dim} with size {size}")
}

/// Shape, strides and offset of `x` with `dim`'s stride set to 0 (the kernel adds the index);
/// 0-d arrays act as one element with stride 0.
pub(crate) fn strides_without(x: &Array, dim: usize) -> (Dims, usize, usize) {
    let mut st: Dims = x.strides().into();
    if x.ndim() == 0 {
        return (st, 1, 0);
    }
    let (size, sd) = (x.shape()[dim], st[dim]);
    st[dim] = 0;
    (st, size, sd)
}

impl Array {
    /// The slices of `self` along `dim` at the positions in `index` (`torch.index_select`).
    ///
    /// `index` is a 1-d (or 0-d) `I64` array; the result has `index.numel()` entries along
    /// `dim` and is a new contiguous array. Indices must be in `0..size` (PyTorch refuses
    /// negative ones here).
    ///
    /// # Panics
    /// If `index` is not `I64` or has more than one dim, or an index is out of range.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let r = a.index_select(1, &Array::from([2i64, 0, 2]));
    /// assert_eq!(r.to_vec::<f32>(), vec![3.0, 1.0, 3.0, 6.0, 4.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn index_select(&self, dim: isize, index: &Array) -> Array {
        const OP: &str = "index_select";
        check_index_dtype(OP, index);
        assert!(
            index.ndim() <= 1,
            "{OP}: the index must be 0-d or 1-d, got shape {:?}",
            index.shape()
        );
        let d = normalize_dim(OP, dim, self.ndim());
        let k = index.numel();
        assert!(
            self.ndim() > 0 || k == 1,
            "{OP}: an index into a 0-d array can have only 1 value, got {k}"
        );
        let mut shape: Dims = self.shape().into();
        let mut ist: Dims = smallvec::smallvec![0; self.ndim()];
        if self.ndim() > 0 {
            shape[d] = k;
            ist[d] = index.strides().first().copied().unwrap_or(1);
        }
        let (st, size, sd) = strides_without(self, d);
        let walk = Walk::new(
            &shape,
            [&st, &ist],
            [self.storage_offset(), index.storage_offset()],
        );
        gather_along(OP, self, index, &walk, &shape, (d, size, sd))
    }

    /// Picks values along `dim` by an index array of the same rank (`torch.gather`):
    /// `out[i][j][k] = self[index[i][j][k]][j][k]` for `dim = 0`. The result has `index`'s
    /// shape; `index.size(d) <= self.size(d)` for every other dim.
    ///
    /// # Panics
    /// If `index` is not `I64`, the ranks differ, a size is too large, or an index is outside
    /// `0..self.size(dim)`.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1i64, 2], [3, 4]]);
    /// let g = a.gather(1, &Array::from([[0i64, 0], [1, 0]]));
    /// assert_eq!(g.to_vec::<i64>(), vec![1, 1, 4, 3]);
    /// ```
    #[track_caller]
    pub fn gather(&self, dim: isize, index: &Array) -> Array {
        const OP: &str = "gather";
        check_index_dtype(OP, index);
        let nd = self.ndim();
        let d = normalize_dim(OP, dim, nd);
        check_index_shape(OP, index, self, d, "self");
        let (st, size, sd) = strides_without(self, d);
        let shape = index.shape();
        let walk = Walk::new(
            shape,
            [&st, index.strides()],
            [self.storage_offset(), index.storage_offset()],
        );
        gather_along(OP, self, index, &walk, shape, (d, size, sd))
    }

    /// Elements at flat (row-major) positions of `self` (`torch.take`); the result has
    /// `index`'s shape. Negative indices count from the end.
    ///
    /// # Panics
    /// If `index` is not `I64` or an index is outside `-numel..numel`.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1i64, 2, 3], [4, 5, 6]]);
    /// let t = a.t().take(&Array::from([[0i64, 1], [-1, 3]]));
    /// assert_eq!(t.to_vec::<i64>(), vec![1, 4, 6, 5]);
    /// ```
    #[track_caller]
    pub fn take(&self, index: &Array) -> Array {
        const OP: &str = "take";
        check_index_dtype(OP, index);
        // Flat positions need a row-major buffer.
        let x = self.contiguous();
        let (off, n) = (x.storage_offset(), x.numel());
        let shape = index.shape();
        let walk = Walk::new(shape, [index.strides()], [index.storage_offset()]);
        crate::dispatch!(self.dtype(), T => {
            let mut out = T::pool().take_uninit(walk.numel());
            x.with_slice(|a: &[T]| index.with_slice(|ix: &[i64]| {
                fill_runs(&walk, &mut out, |o, [oi], [si]| {
                    for (i, v) in o.iter_mut().enumerate() {
                        *v = a[off + wrap_index(OP, ix[oi + i * si], 0, n)];
                    }
                })
            }));
            Array::from_contiguous(out, shape)
        })
    }

    /// The elements where the bool `mask` is true, as a 1-d array in row-major order
    /// (`torch.masked_select`). `mask` and `self` broadcast together.
    ///
    /// # Panics
    /// If `mask` is not bool or the shapes do not broadcast.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1i64, 2], [3, 4]]);
    /// let m = Array::from([true, false]);            // broadcast over rows
    /// assert_eq!(a.masked_select(&m).to_vec::<i64>(), vec![1, 3]);
    /// ```
    #[track_caller]
    pub fn masked_select(&self, mask: &Array) -> Array {
        const OP: &str = "masked_select";
        check_mask_dtype(OP, mask);
        let shape = broadcast_all(OP, &[self.shape(), mask.shape()]);
        let sa = broadcast_strides(&self.layout, &shape);
        let sm = broadcast_strides(&mask.layout, &shape);
        let walk = Walk::new(
            &shape,
            [&sa, &sm],
            [self.storage_offset(), mask.storage_offset()],
        );
        crate::dispatch!(self.dtype(), T => {
            let mut out: Vec<T> = Vec::new();
            self.with_slice(|a: &[T]| mask.with_slice(|m: &[bool]| {
                walk.for_each_run(0, walk.numel(), |[oa, om], len, [sa, sm]| {
                    for i in 0..len {
                        if m[om + i * sm] {
                            out.push(a[oa + i * sa]);
                        }
                    }
                })
            }));
            let n = out.len();
            Array::from_contiguous(out, &[n])
        })
    }

    /// The multi-indices of the nonzero elements, as an `[n, ndim]` `I64` array in row-major
    /// order (`torch.nonzero`). NaN counts as nonzero; for bool arrays, true does.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[0.0f32, 1.5], [2.0, 0.0]]);
    /// let nz = a.nonzero();
    /// assert_eq!(nz.shape(), &[2, 2]);
    /// assert_eq!(nz.to_vec::<i64>(), vec![0, 1, 1, 0]);
    /// ```
    pub fn nonzero(&self) -> Array {
        let shape = self.shape();
        let nd = self.ndim();
        let walk = Walk::new(shape, [self.strides()], [self.storage_offset()]);
        let mut flat: Vec<usize> = Vec::new();
        crate::dispatch!(self.dtype(), T => self.with_slice(|a: &[T]| {
            let mut pos = 0;
            walk.for_each_run(0, walk.numel(), |[oa], len, [sa]| {
                for i in 0..len {
                    if a[oa + i * sa] != T::ZERO {
                        flat.push(pos + i);
                    }
                }
                pos += len;
            })
        }));
        let mut out = Vec::with_capacity(flat.len() * nd);
        let mut idx = vec![0i64; nd];
        for p in &flat {
            let mut rem = *p;
            for d in (0..nd).rev() {
                idx[d] = (rem % shape[d]) as i64;
                rem /= shape[d];
            }
            out.extend_from_slice(&idx);
        }
        Array::from_contiguous(out, &[flat.len(), nd])
    }

    /// One-hot encoding of an `I64` class array (`torch.nn.functional.one_hot`): a new last
    /// dim of size `num_classes` (`None`: the largest value + 1) holding 1 at each value.
    ///
    /// # Panics
    /// If `self` is not `I64`, a value is negative or not below `num_classes`, or
    /// `num_classes` is `None` and `self` is empty.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let c = Array::from([0i64, 2]);
    /// let h = c.one_hot(None);
    /// assert_eq!(h.shape(), &[2, 3]);
    /// assert_eq!(h.to_vec::<i64>(), vec![1, 0, 0, 0, 0, 1]);
    /// ```
    #[track_caller]
    pub fn one_hot(&self, num_classes: Option<usize>) -> Array {
        const OP: &str = "one_hot";
        assert!(
            self.dtype() == DType::I64,
            "{OP}: is only applicable to index arrays of dtype int64, got {}",
            self.dtype()
        );
        let values = self.to_vec::<i64>();
        if let Some(&v) = values.iter().find(|&&v| v < 0) {
            panic!("{OP}: class values must be non-negative, got {v}");
        }
        let classes = match num_classes {
            Some(c) => c,
            None => {
                let Some(max) = values.iter().max() else {
                    panic!(
                        "{OP}: can not infer the number of classes from an empty array; pass \
                         num_classes"
                    )
                };
                *max as usize + 1
            }
        };
        let mut out = i64::pool().take_filled(values.len() * classes, 0);
        for (p, &v) in values.iter().enumerate() {
            assert!(
                (v as u64) < classes as u64,
                "{OP}: class value {v} must be smaller than num_classes ({classes})"
            );
            out[p * classes + v as usize] = 1;
        }
        let mut shape: Dims = self.shape().into();
        shape.push(classes);
        Array::from_contiguous(out, &shape)
    }

    /// Counts of each value of a 1-d non-negative integer array (`torch.bincount`), with at
    /// least `minlength` bins. With `weights` (1-d, same length), sums the weights instead:
    /// `F32` weights give `F32`, other weights `F64` (as PyTorch); without, the result is `I64`.
    ///
    /// # Panics
    /// If `self` is not a 1-d u8/i32/i64 array, has a negative value, or `weights` has another
    /// shape.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let x = Array::from([1i64, 1, 3]);
    /// assert_eq!(x.bincount(None, 0).to_vec::<i64>(), vec![0, 2, 0, 1]);
    /// let w = Array::from([0.5f32, 1.0, 2.0]);
    /// assert_eq!(x.bincount(Some(&w), 5).to_vec::<f32>(), vec![0.0, 1.5, 0.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn bincount(&self, weights: Option<&Array>, minlength: usize) -> Array {
        const OP: &str = "bincount";
        assert!(
            self.ndim() == 1 && self.dtype().is_integral(),
            "{OP}: only supports 1-d non-negative integral inputs, got shape {:?} and dtype {}",
            self.shape(),
            self.dtype()
        );
        let values = self.to_dtype(DType::I64).to_vec::<i64>();
        if let Some(&v) = values.iter().find(|&&v| v < 0) {
            panic!("{OP}: only supports non-negative inputs, got {v}");
        }
        let bins = values
            .iter()
            .map(|&v| v as usize + 1)
            .max()
            .unwrap_or(0)
            .max(minlength);
        let Some(w) = weights else {
            let mut out = vec![0i64; bins];
            values.iter().for_each(|&v| out[v as usize] += 1);
            return Array::from_contiguous(out, &[bins]);
        };
        assert!(
            w.shape() == self.shape(),
            "{OP}: weights should be 1-d and have the same length as the input (shape {:?}), \
             got shape {:?}",
            self.shape(),
            w.shape()
        );
        fn sums<T: Element + std::ops::AddAssign>(values: &[i64], w: &Array, bins: usize) -> Array {
            let mut out = vec![T::ZERO; bins];
            for (&v, x) in values.iter().zip(w.to_vec::<T>()) {
                out[v as usize] += x;
            }
            Array::from_contiguous(out, &[bins])
        }
        if w.dtype() == DType::F32 {
            sums::<f32>(&values, w, bins)
        } else {
            sums::<f64>(&values, &w.to_dtype(DType::F64), bins)
        }
    }
}

/// Panics unless `mask` is a bool array.
#[track_caller]
pub(crate) fn check_mask_dtype(op: &str, mask: &Array) {
    assert!(
        mask.dtype() == DType::Bool,
        "{op}: expected a bool mask, got dtype {} (compare first, e.g. x.gt(0.0))",
        mask.dtype()
    );
}

/// The shape rules of gather/scatter: `index` has `other`'s rank and is no larger than it
/// outside `dim` (`what` names `other` in the message).
#[track_caller]
pub(crate) fn check_index_shape(op: &str, index: &Array, other: &Array, dim: usize, what: &str) {
    assert!(
        index.ndim() == other.ndim(),
        "{op}: the index must have as many dims as {what}: index shape {:?}, {what} shape {:?}",
        index.shape(),
        other.shape()
    );
    for d in 0..index.ndim() {
        assert!(
            d == dim || index.shape()[d] <= other.shape()[d],
            "{op}: size does not match at dimension {d}: expected index shape {:?} to be no \
             larger than {what} shape {:?} apart from dimension {dim}",
            index.shape(),
            other.shape()
        );
    }
}

/// The kernel shared by `index_select` and `gather`: `out[p] = self[p's base + index[p] * sd]`,
/// where `walk` pairs each output position with its base in `self` (the gathered dim's stride
/// zeroed) and its position in `index`; `(d, size, sd)` is the gathered dim, its size and its
/// stride in `self`.
#[track_caller]
fn gather_along(
    op: &str,
    src: &Array,
    index: &Array,
    walk: &Walk<2>,
    shape: &[usize],
    (d, size, sd): (usize, usize, usize),
) -> Array {
    crate::dispatch!(src.dtype(), T => {
        let mut out = T::pool().take_uninit(walk.numel());
        src.with_slice(|a: &[T]| index.with_slice(|ix: &[i64]| {
            fill_runs(walk, &mut out, |o, [oa, oi], [sa, si]| {
                for (i, v) in o.iter_mut().enumerate() {
                    let j = in_bounds(op, ix[oi + i * si], d, size);
                    *v = a[oa + i * sa + j * sd];
                }
            })
        }));
        Array::from_contiguous(out, shape)
    })
}
