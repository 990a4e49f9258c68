//! Views: new layouts over the same storage. None of these copies data (except `reshape`
//! when a view is impossible, and it says so).

use crate::Array;
use crate::layout::{Dims, Layout, contiguous_strides, normalize_dim};

/// Resolves a shape with at most one `-1` against `numel`, panicking with the op's name.
#[track_caller]
pub(crate) fn infer_shape(op: &str, shape: &[isize], numel: usize, from: &[usize]) -> Dims {
    let mut infer = None;
    let mut known = 1usize;
    for (i, &s) in shape.iter().enumerate() {
        if s == -1 {
            assert!(
                infer.is_none(),
                "{op}: only one dimension can be -1, got {shape:?}"
            );
            infer = Some(i);
        } else {
            assert!(s >= 0, "{op}: invalid size {s} in shape {shape:?}");
            known *= s as usize;
        }
    }
    let mut out: Dims = shape.iter().map(|&s| s.max(0) as usize).collect();
    if let Some(i) = infer {
        assert!(
            known != 0 && numel % known == 0,
            "{op}: shape {shape:?} is invalid for an array of shape {from:?} ({numel} elements)"
        );
        out[i] = numel / known;
    } else {
        assert!(
            known == numel,
            "{op}: shape {shape:?} is invalid for an array of shape {from:?} ({numel} elements)"
        );
    }
    out
}

impl Array {
    /// The same storage under a new layout.
    pub(crate) fn with_layout(&self, layout: Layout) -> Array {
        Array::from_parts(self.storage.clone(), layout)
    }

    /// A view with a new shape over the same elements (`Tensor.view`); one dim may be `-1`.
    ///
    /// # Panics
    /// If the sizes do not match, or if no strides can express the new shape over this
    /// layout (typically after a `transpose`/`permute`): the message shows the strides and
    /// points to `reshape` (which copies when it must) or `contiguous`.
    ///
    /// ```
    /// let a = ember_tensor::Array::arange(0.0, 6.0, 1.0, ember_tensor::DType::F32);
    /// let v = a.view(&[2, -1]);
    /// assert_eq!(v.shape(), &[2, 3]);
    /// assert!(v.shares_storage(&a));
    /// ```
    #[track_caller]
    pub fn view(&self, shape: &[isize]) -> Array {
        let new_shape = infer_shape("view", shape, self.numel(), self.shape());
        match self.layout.view_strides(&new_shape) {
            Some(strides) => {
                self.with_layout(Layout::new(&new_shape, &strides, self.storage_offset()))
            }
            None => panic!(
                "view: cannot view an array of shape {:?} and strides {:?} as shape {:?}: the \
                 elements that would form the new dims are not evenly spaced in memory \
                 (typically the array is a transpose or permutation). Use .reshape(..), which \
                 copies when it must, or call .contiguous() first.",
                self.shape(),
                self.strides(),
                new_shape.as_slice()
            ),
        }
    }

    /// Like [`view`](Array::view), but copies when a view is impossible (`Tensor.reshape`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let r = a.t().reshape(&[4]);            // a transpose cannot be flattened as a view
    /// assert_eq!(r.to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
    /// assert!(!r.shares_storage(&a));
    /// assert!(a.reshape(&[4]).shares_storage(&a));
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[isize]) -> Array {
        let new_shape = infer_shape("reshape", shape, self.numel(), self.shape());
        match self.layout.view_strides(&new_shape) {
            Some(strides) => {
                self.with_layout(Layout::new(&new_shape, &strides, self.storage_offset()))
            }
            None => {
                let c = self.contiguous();
                c.with_layout(Layout::new(
                    &new_shape,
                    &contiguous_strides(&new_shape),
                    c.storage_offset(),
                ))
            }
        }
    }

    /// Reorders the dims (`Tensor.permute`); `dims` is a permutation, negative dims allowed.
    ///
    /// # Panics
    /// If `dims` is not a permutation of the array's dims.
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[2, 3, 4], ember_tensor::DType::F32);
    /// assert_eq!(a.permute(&[2, 0, -2]).shape(), &[4, 2, 3]);
    /// ```
    #[track_caller]
    pub fn permute(&self, dims: &[isize]) -> Array {
        let nd = self.ndim();
        assert!(
            dims.len() == nd,
            "permute: got {} dims {dims:?} for an array of shape {:?}",
            dims.len(),
            self.shape()
        );
        let mut seen = vec![false; nd];
        let mut shape = Dims::new();
        let mut strides = Dims::new();
        for &d in dims {
            let d = normalize_dim("permute", d, nd);
            assert!(!seen[d], "permute: dim {d} repeats in {dims:?}");
            seen[d] = true;
            shape.push(self.shape()[d]);
            strides.push(self.strides()[d]);
        }
        self.with_layout(Layout::new(&shape, &strides, self.storage_offset()))
    }

    /// Swaps two dims (`Tensor.transpose`).
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[2, 3, 4], ember_tensor::DType::F32);
    /// assert_eq!(a.transpose(0, -1).shape(), &[4, 3, 2]);
    /// ```
    #[track_caller]
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Array {
        let nd = self.ndim();
        let (a, b) = (
            normalize_dim("transpose", dim0, nd),
            normalize_dim("transpose", dim1, nd),
        );
        if nd == 0 {
            return self.clone();
        }
        let mut shape: Dims = self.shape().into();
        let mut strides: Dims = self.strides().into();
        shape.swap(a, b);
        strides.swap(a, b);
        self.with_layout(Layout::new(&shape, &strides, self.storage_offset()))
    }

    /// Transpose of a 2-d array (`Tensor.t`); 0-d and 1-d arrays are returned as they are.
    ///
    /// # Panics
    /// For more than 2 dims.
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[2, 3], ember_tensor::DType::F32);
    /// assert_eq!(a.t().shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn t(&self) -> Array {
        assert!(
            self.ndim() <= 2,
            "t: expects an array with <= 2 dims, got shape {:?} (use transpose or permute)",
            self.shape()
        );
        if self.ndim() < 2 {
            return self.clone();
        }
        self.transpose(0, 1)
    }

    /// Elements `start..start + length` along `dim` (`Tensor.narrow`).
    ///
    /// # Panics
    /// If the range leaves the dim.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1i64, 2, 3, 4]);
    /// assert_eq!(a.narrow(0, 1, 2).to_vec::<i64>(), vec![2, 3]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: usize, length: usize) -> Array {
        let d = normalize_dim("narrow", dim, self.ndim());
        let size = self.shape()[d];
        assert!(
            start + length <= size,
            "narrow: start {start} + length {length} exceeds dim {dim} of size {size} (shape {:?})",
            self.shape()
        );
        let mut shape: Dims = self.shape().into();
        shape[d] = length;
        let offset = self.storage_offset()
            + if length > 0 {
                start * self.strides()[d]
            } else {
                0
            };
        self.with_layout(Layout::new(&shape, self.strides(), offset))
    }

    /// Inserts a dim of size 1 at `dim` (`Tensor.unsqueeze`); `dim` may be `ndim` (or -1).
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[2, 3], ember_tensor::DType::F32);
    /// assert_eq!(a.unsqueeze(1).shape(), &[2, 1, 3]);
    /// assert_eq!(a.unsqueeze(-1).shape(), &[2, 3, 1]);
    /// ```
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Array {
        let d = normalize_dim("unsqueeze", dim, self.ndim() + 1);
        let mut shape: Dims = self.shape().into();
        let mut strides: Dims = self.strides().into();
        let st = if d < self.ndim() {
            self.strides()[d] * self.shape()[d]
        } else {
            1
        };
        shape.insert(d, 1);
        strides.insert(d, st);
        self.with_layout(Layout::new(&shape, &strides, self.storage_offset()))
    }

    /// A view repeating size-1 dims to `shape` with stride 0 (`Tensor.expand`); `-1` keeps a
    /// dim, new leading dims may be added. Writes into the result are refused.
    ///
    /// # Panics
    /// If a non-1 dim would change size.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32], [2.0]]);
    /// let e = a.expand(&[2, 3]);
    /// assert_eq!(e.to_vec::<f32>(), vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    /// assert_eq!(e.strides(), &[1, 0]);
    /// ```
    #[track_caller]
    pub fn expand(&self, shape: &[isize]) -> Array {
        let nd = shape.len();
        assert!(
            nd >= self.ndim(),
            "expand: the target shape {shape:?} has fewer dims than the array's {:?}",
            self.shape()
        );
        let lead = nd - self.ndim();
        let mut out_shape = Dims::new();
        let mut strides = Dims::new();
        for (i, &s) in shape.iter().enumerate() {
            if i < lead {
                assert!(
                    s >= 0,
                    "expand: -1 is not allowed for a new leading dim in {shape:?}"
                );
                out_shape.push(s as usize);
                strides.push(0);
                continue;
            }
            let (cur, st) = (self.shape()[i - lead], self.strides()[i - lead]);
            if s == -1 || s as usize == cur {
                out_shape.push(cur);
                strides.push(st);
            } else {
                assert!(
                    cur == 1 && s >= 0,
                    "expand: the size {cur} of dim {} of the array (shape {:?}) must be 1 to \
                     expand to {s} (target shape {shape:?})",
                    i - lead,
                    self.shape()
                );
                out_shape.push(s as usize);
                strides.push(0);
            }
        }
        self.with_layout(Layout::new(&out_shape, &strides, self.storage_offset()))
    }

    /// Removes `dim`, taking index `index` along it (`Tensor.select`, `x[:, i]`).
    ///
    /// # Panics
    /// If `index` is out of range.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i64, 2], [3, 4]]);
    /// assert_eq!(a.select(1, 0).to_vec::<i64>(), vec![1, 3]);
    /// ```
    #[track_caller]
    pub fn select(&self, dim: isize, index: usize) -> Array {
        let d = normalize_dim("select", dim, self.ndim());
        assert!(self.ndim() > 0, "select: cannot select from a 0-d array");
        let size = self.shape()[d];
        assert!(
            index < size,
            "select: index {index} is out of range for dim {dim} of size {size} (shape {:?})",
            self.shape()
        );
        let mut shape: Dims = self.shape().into();
        let mut strides: Dims = self.strides().into();
        let offset = self.storage_offset() + index * strides[d];
        shape.remove(d);
        strides.remove(d);
        self.with_layout(Layout::new(&shape, &strides, offset))
    }

    /// A view with explicit shape, strides and storage offset (`torch.as_strided`), in
    /// elements. Overlapping layouts are allowed for reading (in-place writes into them are
    /// refused).
    ///
    /// # Panics
    /// If the layout reaches outside the storage.
    ///
    /// ```
    /// let a = ember_tensor::Array::arange(0.0, 10.0, 1.0, ember_tensor::DType::I64);
    /// let every_other = a.as_strided(&[5], &[2], 0);
    /// assert_eq!(every_other.to_vec::<i64>(), vec![0, 2, 4, 6, 8]);
    /// let windows = a.as_strided(&[3, 4], &[3, 1], 1);
    /// assert_eq!(windows.to_vec::<i64>()[4..8], [4, 5, 6, 7]);
    /// ```
    #[track_caller]
    pub fn as_strided(&self, shape: &[usize], strides: &[usize], storage_offset: usize) -> Array {
        assert!(
            shape.len() == strides.len(),
            "as_strided: shape {shape:?} and strides {strides:?} differ in length"
        );
        let layout = Layout::new(shape, strides, storage_offset);
        let len = self.storage.len();
        assert!(
            layout.storage_span() <= len,
            "as_strided: shape {shape:?}, strides {strides:?} and offset {storage_offset} reach \
             element {} but the storage holds {len}",
            layout.storage_span().saturating_sub(1)
        );
        self.with_layout(layout)
    }
}
