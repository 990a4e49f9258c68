//! Writing by index: scatter, scatter_add, scatter_reduce, index_add, index_put,
//! masked_scatter (each with its in-place `_` form, which writes through views).
//!
//! All of them walk the index (with the stride walker) and visit a destination position per
//! element; the writes run on one thread, in row-major order of the index, so duplicate
//! indices are well defined: the last write wins for `scatter`/`index_put`, and sums are
//! accumulated in a fixed order (PyTorch leaves both unspecified). Indices are checked before
//! anything is written, so a bad index leaves the destination untouched.

use crate::Array;
use crate::dtype::{Element, Scalar};
use crate::layout::{Dims, contiguous_strides, normalize_dim};
use crate::ops::indexing::{
    check_index_dtype, check_index_shape, check_mask_dtype, in_bounds, strides_without, wrap_index,
};
use crate::ops::map::{broadcast_all, broadcast_strides, check_writable};
use crate::strided::Walk;

/// The reduction of [`Array::scatter_reduce`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScatterReduce {
    /// Sum of the values.
    Sum,
    /// Product of the values.
    Prod,
    /// Mean of the values (floor division for integer dtypes, as PyTorch).
    Mean,
    /// Maximum (NaN propagates).
    Amax,
    /// Minimum (NaN propagates).
    Amin,
}

/// The arithmetic the scatter reductions need, for every element type.
pub(crate) trait Accumulate: Element {
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn max(self, o: Self) -> Self;
    fn min(self, o: Self) -> Self;
    fn div_count(self, n: usize) -> Self;
}

macro_rules! float_acc {
    ($($t:ty),*) => {$(
        impl Accumulate for $t {
            fn add(self, o: Self) -> Self { self + o }
            fn mul(self, o: Self) -> Self { self * o }
            fn max(self, o: Self) -> Self { if o.is_nan() || o > self { o } else { self } }
            fn min(self, o: Self) -> Self { if o.is_nan() || o < self { o } else { self } }
            fn div_count(self, n: usize) -> Self { <$t>::from_f64(self.to_f64() / n as f64) }
        }
    )*};
}
float_acc!(f32, f64, half::f16, half::bf16);

macro_rules! int_acc {
    ($($t:ty),*) => {$(
        impl Accumulate for $t {
            fn add(self, o: Self) -> Self { self.wrapping_add(o) }
            fn mul(self, o: Self) -> Self { self.wrapping_mul(o) }
            fn max(self, o: Self) -> Self { Ord::max(self, o) }
            fn min(self, o: Self) -> Self { Ord::min(self, o) }
            fn div_count(self, n: usize) -> Self {
                <$t>::from_i64(self.to_i64().div_euclid(n as i64))
            }
        }
    )*};
}
int_acc!(i64, i32, u8);

impl Accumulate for bool {
    fn add(self, o: Self) -> Self {
        self | o
    }
    fn mul(self, o: Self) -> Self {
        self & o
    }
    fn max(self, o: Self) -> Self {
        self | o
    }
    fn min(self, o: Self) -> Self {
        self & o
    }
    fn div_count(self, _n: usize) -> Self {
        self
    }
}

/// Where the values of a scatter go: the walk runs over `shape` with operands `dst` (its
/// strides, 0 along the indexed dim), the index and the source; each element lands at
/// `dst offset + index * stride_dim`.
struct Targets {
    op: &'static str,
    shape: Dims,
    dst_strides: Dims,
    dst_offset: usize,
    dim: usize,
    size: usize,
    stride_dim: usize,
    index: Array,
    index_strides: Dims,
    src: Array,
    src_strides: Dims,
}

impl Targets {
    fn walk(&self) -> Walk<3> {
        Walk::new(
            &self.shape,
            [&self.dst_strides, &self.index_strides, &self.src_strides],
            [
                self.dst_offset,
                self.index.storage_offset(),
                self.src.storage_offset(),
            ],
        )
    }

    /// Panics on the first out-of-range index, before anything is written.
    fn validate(&self) {
        let walk = self.walk();
        self.index.with_slice(|ix: &[i64]| {
            walk.for_each_run(0, walk.numel(), |[_, oi, _], len, [_, si, _]| {
                for i in 0..len {
                    in_bounds(self.op, ix[oi + i * si], self.dim, self.size);
                }
            })
        });
    }

    /// Calls `visit(dst_slice, position, value)` for each element, in row-major order.
    fn apply<T: Element>(&self, dst: &Array, mut visit: impl FnMut(&mut [T], usize, T)) {
        self.validate();
        let walk = self.walk();
        let sd = self.stride_dim;
        // Lock order: the destination first; `src`/`index` never share its storage (copied).
        dst.with_slice_mut(|d: &mut [T]| {
            self.src.with_slice(|s: &[T]| {
                self.index.with_slice(|ix: &[i64]| {
                    walk.for_each_run(0, walk.numel(), |[od, oi, os], len, [sd_, si, ss]| {
                        for i in 0..len {
                            let j = ix[oi + i * si] as usize;
                            visit(d, od + i * sd_ + j * sd, s[os + i * ss]);
                        }
                    })
                })
            })
        });
    }
}

/// `a` itself, or a private copy when it shares `dst`'s storage (reading it while writing
/// `dst` would alias, and lock the same storage twice).
fn detached(a: &Array, dst: &Array) -> Array {
    if a.shares_storage(dst) {
        a.clone_array()
    } else {
        a.clone()
    }
}

/// The scatter targets of `dst.scatter_*(dim, index, src)`: `src` is read at the index's
/// positions.
#[track_caller]
fn scatter_targets(
    op: &'static str,
    dst: &Array,
    dim: isize,
    index: &Array,
    src: &Array,
) -> Targets {
    check_index_dtype(op, index);
    let d = normalize_dim(op, dim, dst.ndim());
    check_index_shape(op, index, dst, d, "self");
    assert!(
        index.ndim() == src.ndim() && (0..src.ndim()).all(|d| index.shape()[d] <= src.shape()[d]),
        "{op}: expected index shape {:?} to be no larger than src shape {:?} in every dimension",
        index.shape(),
        src.shape()
    );
    assert!(
        src.dtype() == dst.dtype(),
        "{op}: expected self and src to have the same dtype, got {} and {}",
        dst.dtype(),
        src.dtype()
    );
    check_writable(op, dst);
    let (dst_strides, size, stride_dim) = strides_without(dst, d);
    let (index, src) = (detached(index, dst), detached(src, dst));
    Targets {
        op,
        shape: index.shape().into(),
        dst_strides,
        dst_offset: dst.storage_offset(),
        dim: d,
        size,
        stride_dim,
        index_strides: index.strides().into(),
        index,
        src_strides: src.strides().into(),
        src,
    }
}

impl Array {
    /// Writes `src` into `self` at the positions `index` gives along `dim`, in place
    /// (`Tensor.scatter_`): `self[index[i][j]][j] = src[i][j]` for `dim = 0`. `index` has the
    /// rank of `self` and `src` and is no larger than `src` (nor than `self` outside `dim`).
    /// Duplicate indices: the last in row-major order wins.
    ///
    /// # Panics
    /// If `index` is not `I64`, the shapes break those rules, the dtypes differ, an index is
    /// outside `0..self.size(dim)`, or `self` is an expanded view.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::zeros(&[2, 3], DType::F32);
    /// let src = Array::from([[1.0f32, 2.0, 3.0]]);
    /// a.scatter_(0, &Array::from([[1i64, 0, 1]]), &src);
    /// assert_eq!(a.to_vec::<f32>(), vec![0.0, 2.0, 0.0, 1.0, 0.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn scatter_(&self, dim: isize, index: &Array, src: &Array) {
        let t = scatter_targets("scatter_", self, dim, index, src);
        crate::dispatch!(self.dtype(), T => t.apply::<T>(self, |d, p, v| d[p] = v));
    }

    /// Out-of-place [`scatter_`](Array::scatter_): a copy of `self` with `src` scattered in.
    ///
    /// # Panics
    /// As [`scatter_`](Array::scatter_).
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([0i64, 0, 0]);
    /// let r = a.scatter(0, &Array::from([2i64, 0]), &Array::from([7i64, 8]));
    /// assert_eq!(r.to_vec::<i64>(), vec![8, 0, 7]);
    /// assert_eq!(a.to_vec::<i64>(), vec![0, 0, 0]);
    /// ```
    #[track_caller]
    pub fn scatter(&self, dim: isize, index: &Array, src: &Array) -> Array {
        let out = self.clone_array();
        out.scatter_(dim, index, src);
        out
    }

    /// Writes `value` into `self` at the positions `index` gives along `dim`, in place
    /// (`Tensor.scatter_` with a scalar).
    ///
    /// # Panics
    /// As [`scatter_`](Array::scatter_).
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::zeros(&[2, 2], DType::I64);
    /// a.scatter_value_(1, &Array::from([[1i64], [0]]), 5);
    /// assert_eq!(a.to_vec::<i64>(), vec![0, 5, 5, 0]);
    /// ```
    #[track_caller]
    pub fn scatter_value_(&self, dim: isize, index: &Array, value: impl Into<Scalar>) {
        let v = value.into();
        let src = crate::dispatch!(self.dtype(), T => Array::scalar::<T>(v.to_elem()));
        let shape: Vec<isize> = index.shape().iter().map(|&s| s as isize).collect();
        let src = src.reshape(&vec![1; index.ndim()]).expand(&shape);
        self.scatter_(dim, index, &src);
    }

    /// Out-of-place [`scatter_value_`](Array::scatter_value_).
    ///
    /// # Panics
    /// As [`scatter_`](Array::scatter_).
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::zeros(&[3], DType::F32);
    /// let r = a.scatter_value(0, &Array::from([1i64]), 2.5);
    /// assert_eq!(r.to_vec::<f32>(), vec![0.0, 2.5, 0.0]);
    /// ```
    #[track_caller]
    pub fn scatter_value(&self, dim: isize, index: &Array, value: impl Into<Scalar>) -> Array {
        let out = self.clone_array();
        out.scatter_value_(dim, index, value);
        out
    }

    /// Adds `src` into `self` at the positions `index` gives along `dim`, in place
    /// (`Tensor.scatter_add_`); duplicates accumulate. Shape rules as
    /// [`scatter_`](Array::scatter_).
    ///
    /// # Panics
    /// As [`scatter_`](Array::scatter_).
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::zeros(&[3], DType::F64);
    /// a.scatter_add_(0, &Array::from([0i64, 2, 0]), &Array::from([1.0f64, 2.0, 3.0]));
    /// assert_eq!(a.to_vec::<f64>(), vec![4.0, 0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn scatter_add_(&self, dim: isize, index: &Array, src: &Array) {
        let t = scatter_targets("scatter_add_", self, dim, index, src);
        crate::dispatch!(self.dtype(), T => t.apply::<T>(self, |d, p, v| d[p] = Accumulate::add(d[p], v)));
    }

    /// Out-of-place [`scatter_add_`](Array::scatter_add_).
    ///
    /// # Panics
    /// As [`scatter_`](Array::scatter_).
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([1i64, 1]);
    /// let r = a.scatter_add(0, &Array::from([1i64, 1]), &Array::from([5i64, 6]));
    /// assert_eq!(r.to_vec::<i64>(), vec![1, 12]);
    /// ```
    #[track_caller]
    pub fn scatter_add(&self, dim: isize, index: &Array, src: &Array) -> Array {
        let out = self.clone_array();
        out.scatter_add_(dim, index, src);
        out
    }

    /// Reduces `src` into `self` at the positions `index` gives along `dim`, in place
    /// (`Tensor.scatter_reduce_`). With `include_self`, the current value of `self` takes part
    /// in the reduction; without, positions that receive values get the reduction of those
    /// values only. Positions no index reaches keep their value. `Mean` divides by the number
    /// of values reduced (floor division for integers).
    ///
    /// # Panics
    /// As [`scatter_`](Array::scatter_).
    ///
    /// ```
    /// use ember_tensor::{Array, ScatterReduce};
    /// let a = Array::from([10.0f32, 10.0, 10.0]);
    /// let idx = Array::from([0i64, 0, 1]);
    /// let src = Array::from([1.0f32, 5.0, 2.0]);
    /// let m = a.scatter_reduce(0, &idx, &src, ScatterReduce::Amax, false);
    /// assert_eq!(m.to_vec::<f32>(), vec![5.0, 2.0, 10.0]);
    /// let s = a.scatter_reduce(0, &idx, &src, ScatterReduce::Mean, true);
    /// assert_eq!(s.to_vec::<f32>(), vec![16.0 / 3.0, 6.0, 10.0]);
    /// ```
    #[track_caller]
    pub fn scatter_reduce_(
        &self,
        dim: isize,
        index: &Array,
        src: &Array,
        reduce: ScatterReduce,
        include_self: bool,
    ) {
        check_writable("scatter_reduce_", self);
        let r = self.scatter_reduce(dim, index, src, reduce, include_self);
        self.copy_(&r);
    }

    /// Out-of-place [`scatter_reduce_`](Array::scatter_reduce_).
    ///
    /// # Panics
    /// As [`scatter_`](Array::scatter_).
    ///
    /// ```
    /// use ember_tensor::{Array, ScatterReduce};
    /// let a = Array::from([2i64, 3]);
    /// let idx = Array::from([1i64, 1]);
    /// let p = a.scatter_reduce(0, &idx, &Array::from([4i64, 5]), ScatterReduce::Prod, true);
    /// assert_eq!(p.to_vec::<i64>(), vec![2, 60]);
    /// ```
    #[track_caller]
    pub fn scatter_reduce(
        &self,
        dim: isize,
        index: &Array,
        src: &Array,
        reduce: ScatterReduce,
        include_self: bool,
    ) -> Array {
        // Work on a fresh contiguous copy: storage positions are then flat positions, which
        // index the per-position counts.
        let out = self.clone_array();
        let t = scatter_targets("scatter_reduce", &out, dim, index, src);
        let mut counts = vec![0u32; out.numel()];
        crate::dispatch!(self.dtype(), T => {
            let combine: fn(T, T) -> T = match reduce {
                ScatterReduce::Sum | ScatterReduce::Mean => <T as Accumulate>::add,
                ScatterReduce::Prod => <T as Accumulate>::mul,
                ScatterReduce::Amax => <T as Accumulate>::max,
                ScatterReduce::Amin => <T as Accumulate>::min,
            };
            t.apply::<T>(&out, |d, p, v| {
                d[p] = if counts[p] == 0 && !include_self { v } else { combine(d[p], v) };
                counts[p] += 1;
            });
            if reduce == ScatterReduce::Mean {
                out.with_slice_mut(|d: &mut [T]| {
                    for (x, &c) in d.iter_mut().zip(&counts) {
                        if c > 0 {
                            *x = x.div_count(c as usize + include_self as usize);
                        }
                    }
                });
            }
        });
        out
    }

    /// Adds `alpha * src` into `self` at the slices `index` names along `dim`, in place
    /// (`Tensor.index_add_`): `self[.., index[i], ..] += alpha * src[.., i, ..]`. `index` is
    /// 1-d (or 0-d) with `src.size(dim)` entries in `0..self.size(dim)`; `src` has `self`'s
    /// shape elsewhere. Duplicates accumulate.
    ///
    /// # Panics
    /// If `index` is not `I64` or not 1-d, the shapes or dtypes do not match, an index is out
    /// of range, or `self` is an expanded view.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::zeros(&[3, 2], DType::F32);
    /// let src = Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// a.index_add_(0, &Array::from([2i64, 2]), &src, 0.5);
    /// assert_eq!(a.to_vec::<f32>(), vec![0.0, 0.0, 0.0, 0.0, 2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn index_add_(&self, dim: isize, index: &Array, src: &Array, alpha: impl Into<Scalar>) {
        const OP: &str = "index_add_";
        check_index_dtype(OP, index);
        let nd = self.ndim();
        let d = normalize_dim(OP, dim, nd);
        assert!(
            index.ndim() <= 1,
            "{OP}: the index must be 0-d or 1-d, got shape {:?}",
            index.shape()
        );
        assert!(
            src.dtype() == self.dtype(),
            "{OP}: expected self and src to have the same dtype, got {} and {}",
            self.dtype(),
            src.dtype()
        );
        let ok = src.ndim() == nd
            && (0..nd).all(|k| {
                src.shape()[k]
                    == if k == d {
                        index.numel()
                    } else {
                        self.shape()[k]
                    }
            })
            && (nd > 0 || index.numel() == 1);
        assert!(
            ok,
            "{OP}: src of shape {:?} does not match self of shape {:?} with {} indices along \
             dimension {d}",
            src.shape(),
            self.shape(),
            index.numel()
        );
        check_writable(OP, self);
        let (dst_strides, size, stride_dim) = strides_without(self, d);
        let (index, src) = (detached(index, self), detached(src, self));
        let mut index_strides: Dims = smallvec::smallvec![0; nd];
        if nd > 0 {
            index_strides[d] = index.strides().first().copied().unwrap_or(1);
        }
        let t = Targets {
            op: OP,
            shape: src.shape().into(),
            dst_strides,
            dst_offset: self.storage_offset(),
            dim: d,
            size,
            stride_dim,
            index,
            index_strides,
            src_strides: src.strides().into(),
            src,
        };
        let alpha = alpha.into();
        crate::dispatch!(self.dtype(), T => {
            let a: T = alpha.to_elem();
            if a == T::ONE {
                t.apply::<T>(self, |dd, p, v| dd[p] = Accumulate::add(dd[p], v));
            } else {
                t.apply::<T>(self, |dd, p, v| dd[p] = Accumulate::add(dd[p], Accumulate::mul(v, a)));
            }
        });
    }

    /// Out-of-place [`index_add_`](Array::index_add_).
    ///
    /// # Panics
    /// As [`index_add_`](Array::index_add_).
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([1i64, 1, 1]);
    /// let r = a.index_add(0, &Array::from([0i64, 2]), &Array::from([10i64, 20]), 2);
    /// assert_eq!(r.to_vec::<i64>(), vec![21, 1, 41]);
    /// ```
    #[track_caller]
    pub fn index_add(
        &self,
        dim: isize,
        index: &Array,
        src: &Array,
        alpha: impl Into<Scalar>,
    ) -> Array {
        let out = self.clone_array();
        out.index_add_(dim, index, src, alpha);
        out
    }

    /// Advanced-index assignment, in place (`Tensor.index_put_`, `x[i0, i1] = values`):
    /// `indices[k]` indexes dim `k`; the index arrays broadcast together to a shape `B`, and
    /// `values` broadcasts to `B + self.shape()[indices.len()..]`. Negative indices count from
    /// the end. A bool index stands for the positions of its true elements over as many dims
    /// as it has (PyTorch's mask indexing). With `accumulate`, values add up (duplicates
    /// included); without, the last duplicate wins.
    ///
    /// # Panics
    /// If an index is neither `I64` nor bool, there are more indices than dims, the index
    /// shapes do not broadcast, `values` does not broadcast or has another dtype, an index is
    /// out of range, or `self` is an expanded view.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[0i64, 0, 0], [0, 0, 0]]);
    /// let rows = Array::from([0i64, 1, -1]);
    /// let cols = Array::from([2i64, 0, 0]);
    /// a.index_put_(&[&rows, &cols], &Array::from([1i64, 2, 3]), true);
    /// assert_eq!(a.to_vec::<i64>(), vec![0, 0, 1, 5, 0, 0]);
    /// a.index_put_(&[&Array::from([true, false])], &Array::scalar(9i64), false);
    /// assert_eq!(a.to_vec::<i64>(), vec![9, 9, 9, 5, 0, 0]);
    /// ```
    #[track_caller]
    pub fn index_put_(&self, indices: &[&Array], values: &Array, accumulate: bool) {
        const OP: &str = "index_put_";
        // Bool masks become one I64 index per dim they cover.
        let mut idx: Vec<Array> = Vec::new();
        for (i, a) in indices.iter().enumerate() {
            if a.dtype() == crate::DType::Bool {
                let k = idx.len();
                let covered = self.shape().get(k..k + a.ndim());
                assert!(
                    covered == Some(a.shape()),
                    "{OP}: the shape of the mask {:?} at index {i} does not match the shape \
                     {:?} of the indexed array starting at dimension {k}",
                    a.shape(),
                    self.shape()
                );
                let nz = a.nonzero();
                idx.extend((0..a.ndim()).map(|c| nz.select(1, c)));
            } else {
                check_index_dtype(OP, a);
                idx.push((*a).clone());
            }
        }
        let nd = self.ndim();
        assert!(
            idx.len() <= nd,
            "{OP}: too many indices ({}) for an array of shape {:?}",
            idx.len(),
            self.shape()
        );
        assert!(
            values.dtype() == self.dtype(),
            "{OP}: values of dtype {} cannot be put into an array of dtype {}",
            values.dtype(),
            self.dtype()
        );
        check_writable(OP, self);
        let shapes: Vec<&[usize]> = idx.iter().map(|a| a.shape()).collect();
        let b: Dims = if shapes.is_empty() {
            Dims::new()
        } else {
            broadcast_all(OP, &shapes)
        };
        // The storage offset of each indexed sub-array, row-major over B.
        let nb: usize = b.iter().product();
        let mut base = vec![self.storage_offset(); nb];
        let b_shape: Vec<isize> = b.iter().map(|&s| s as isize).collect();
        for (k, a) in idx.iter().enumerate() {
            let (size, stride) = (self.shape()[k], self.strides()[k]);
            let v = a.expand(&b_shape).to_vec::<i64>();
            for (o, &i) in base.iter_mut().zip(&v) {
                *o += wrap_index(OP, i, k, size) * stride;
            }
        }
        let k = idx.len();
        let mut shape = b.clone();
        shape.extend_from_slice(&self.shape()[k..]);
        let mut dst_strides: Dims = smallvec::smallvec![0; b.len()];
        dst_strides.extend_from_slice(&self.strides()[k..]);
        let mut b_strides = contiguous_strides(&b);
        b_strides.extend(std::iter::repeat_n(0, nd - k));
        let values = detached(values, self);
        assert!(
            crate::layout::broadcast_shapes(&shape, values.shape()).as_deref() == Some(&shape[..]),
            "{OP}: values of shape {:?} cannot be broadcast to the indexed shape {:?}",
            values.shape(),
            shape.as_slice()
        );
        let vs = broadcast_strides(&values.layout, &shape);
        let walk = Walk::new(
            &shape,
            [&dst_strides, &b_strides, &vs],
            [0, 0, values.storage_offset()],
        );
        crate::dispatch!(self.dtype(), T => {
            self.with_slice_mut(|d: &mut [T]| values.with_slice(|s: &[T]| {
                walk.for_each_run(0, walk.numel(), |[od, ob, ov], len, [sd, sb, sv]| {
                    for i in 0..len {
                        let p = base[ob + i * sb] + od + i * sd;
                        let v = s[ov + i * sv];
                        d[p] = if accumulate { Accumulate::add(d[p], v) } else { v };
                    }
                })
            }))
        });
    }

    /// Out-of-place [`index_put_`](Array::index_put_).
    ///
    /// # Panics
    /// As [`index_put_`](Array::index_put_).
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let r = a.index_put(&[&Array::from([1i64])], &Array::from([0.0f32, -1.0]), false);
    /// assert_eq!(r.to_vec::<f32>(), vec![1.0, 2.0, 0.0, -1.0]);
    /// ```
    #[track_caller]
    pub fn index_put(&self, indices: &[&Array], values: &Array, accumulate: bool) -> Array {
        let out = self.clone_array();
        out.index_put_(indices, values, accumulate);
        out
    }

    /// Copies consecutive elements of `source` (row-major) into the positions where the bool
    /// `mask` (broadcast to `self`'s shape) is true, in place (`Tensor.masked_scatter_`).
    ///
    /// # Panics
    /// If `mask` is not bool or does not broadcast to `self`, the dtypes differ, `source` has
    /// fewer elements than the mask selects, or `self` is an expanded view.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::zeros(&[2, 2], DType::I64);
    /// a.masked_scatter_(&Array::from([false, true]), &Array::from([7i64, 8, 9]));
    /// assert_eq!(a.to_vec::<i64>(), vec![0, 7, 0, 8]);
    /// ```
    #[track_caller]
    pub fn masked_scatter_(&self, mask: &Array, source: &Array) {
        const OP: &str = "masked_scatter_";
        check_mask_dtype(OP, mask);
        let shape = broadcast_all(OP, &[self.shape(), mask.shape()]);
        assert!(
            shape.as_slice() == self.shape(),
            "{OP}: the mask of shape {:?} does not broadcast to the array's shape {:?}",
            mask.shape(),
            self.shape()
        );
        assert!(
            source.dtype() == self.dtype(),
            "{OP}: expected source of dtype {}, got {}",
            self.dtype(),
            source.dtype()
        );
        check_writable(OP, self);
        let mask = detached(mask, self);
        let src = detached(source, self).contiguous();
        let sm = broadcast_strides(&mask.layout, &shape);
        let walk = Walk::new(
            &shape,
            [self.strides(), &sm],
            [self.storage_offset(), mask.storage_offset()],
        );
        let mut count = 0;
        mask.with_slice(|m: &[bool]| {
            walk.for_each_run(0, walk.numel(), |[_, om], len, [_, sm]| {
                count += (0..len).filter(|&i| m[om + i * sm]).count();
            })
        });
        assert!(
            count <= src.numel(),
            "{OP}: the mask selects {count} elements but the source has only {}",
            src.numel()
        );
        let so = src.storage_offset();
        crate::dispatch!(self.dtype(), T => {
            self.with_slice_mut(|d: &mut [T]| mask.with_slice(|m: &[bool]| src.with_slice(|s: &[T]| {
                let mut k = so;
                walk.for_each_run(0, walk.numel(), |[od, om], len, [sd, sm]| {
                    for i in 0..len {
                        if m[om + i * sm] {
                            d[od + i * sd] = s[k];
                            k += 1;
                        }
                    }
                })
            })))
        });
    }

    /// Out-of-place [`masked_scatter_`](Array::masked_scatter_); `self` and `mask` broadcast
    /// together.
    ///
    /// # Panics
    /// As [`masked_scatter_`](Array::masked_scatter_).
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([1.0f32, 2.0, 3.0]);
    /// let r = a.masked_scatter(&Array::from([true, false, true]), &Array::from([8.0f32, 9.0]));
    /// assert_eq!(r.to_vec::<f32>(), vec![8.0, 2.0, 9.0]);
    /// ```
    #[track_caller]
    pub fn masked_scatter(&self, mask: &Array, source: &Array) -> Array {
        check_mask_dtype("masked_scatter", mask);
        let shape = broadcast_all("masked_scatter", &[self.shape(), mask.shape()]);
        let shape: Vec<isize> = shape.iter().map(|&s| s as isize).collect();
        let out = self.expand(&shape).clone_array();
        out.masked_scatter_(mask, source);
        out
    }
}
