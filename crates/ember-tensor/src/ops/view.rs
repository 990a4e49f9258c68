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
            known != 0 && numel.is_multiple_of(known),
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
        // An empty view may have been offset past the end of its storage (e.g. `select` on a
        // dim of an array with another dim of size 0); its offset means nothing, but readers
        // slice `storage[offset..offset + 0]`, so keep it inside the storage.
        let layout = if layout.numel() == 0 && layout.offset() > self.storage.len() {
            Layout::new(layout.shape(), layout.strides(), self.storage.len())
        } else {
            layout
        };
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
            None => panic!("{}", view_error(&self.layout, &new_shape)),
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
        self.expand_impl("expand", shape)
    }

    #[track_caller]
    fn expand_impl(&self, op: &str, shape: &[isize]) -> Array {
        let nd = shape.len();
        assert!(
            nd >= self.ndim(),
            "{op}: the target shape {shape:?} has fewer dims than the array's {:?}",
            self.shape()
        );
        let lead = nd - self.ndim();
        let mut out_shape = Dims::new();
        let mut strides = Dims::new();
        for (i, &s) in shape.iter().enumerate() {
            if i < lead {
                assert!(
                    s >= 0,
                    "{op}: -1 is not allowed for a new leading dim in {shape:?}"
                );
                out_shape.push(s as usize);
                strides.push(0);
                continue;
            }
            assert!(
                s >= -1,
                "{op}: invalid size {s} in the target shape {shape:?} (sizes are >= 0, or -1 \
                 to keep a dim)"
            );
            let (cur, st) = (self.shape()[i - lead], self.strides()[i - lead]);
            if s == -1 || s as usize == cur {
                out_shape.push(cur);
                strides.push(st);
            } else {
                assert!(
                    cur == 1 && s >= 0,
                    "{op}: the size {cur} of dim {} of the array (shape {:?}) must be 1 to \
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
    /// let windows = a.as_strided(&[3, 4], &[3, 1], 0); // overlapping windows of 4
    /// assert_eq!(windows.to_vec::<i64>()[4..8], [3, 4, 5, 6]);
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

    /// Removes every dim of size 1 (`Tensor.squeeze()`).
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[1, 3, 1, 2], ember_tensor::DType::F32);
    /// let s = a.squeeze();
    /// assert_eq!(s.shape(), &[3, 2]);
    /// assert!(s.shares_storage(&a));
    /// ```
    pub fn squeeze(&self) -> Array {
        let (shape, strides): (Dims, Dims) = self
            .shape()
            .iter()
            .zip(self.strides())
            .filter(|&(&n, _)| n != 1)
            .map(|(&n, &s)| (n, s))
            .unzip();
        self.with_layout(Layout::new(&shape, &strides, self.storage_offset()))
    }

    /// Removes `dim` if its size is 1, otherwise returns the array unchanged
    /// (`Tensor.squeeze(dim)`, as in PyTorch). A 0-d array accepts `dim` 0 or -1.
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[2, 1, 3], ember_tensor::DType::F32);
    /// assert_eq!(a.squeeze_dim(-2).shape(), &[2, 3]);
    /// assert_eq!(a.squeeze_dim(0).shape(), &[2, 1, 3]); // size 2: unchanged
    /// ```
    #[track_caller]
    pub fn squeeze_dim(&self, dim: isize) -> Array {
        let d = normalize_dim("squeeze_dim", dim, self.ndim());
        if self.ndim() == 0 || self.shape()[d] != 1 {
            return self.clone();
        }
        let mut shape: Dims = self.shape().into();
        let mut strides: Dims = self.strides().into();
        shape.remove(d);
        strides.remove(d);
        self.with_layout(Layout::new(&shape, &strides, self.storage_offset()))
    }

    /// Merges dims `start_dim..=end_dim` into one (`Tensor.flatten`): a view when the layout
    /// allows it, otherwise a contiguous copy, exactly like [`reshape`](Array::reshape). A 0-d
    /// array becomes 1-d of size 1.
    ///
    /// # Panics
    /// If a dim is out of range or `start_dim` comes after `end_dim`.
    ///
    /// ```
    /// let a = ember_tensor::Array::arange(0.0, 24.0, 1.0, ember_tensor::DType::F32)
    ///     .reshape(&[2, 3, 4]);
    /// assert_eq!(a.flatten(0, -1).shape(), &[24]);
    /// assert_eq!(a.flatten(1, 2).shape(), &[2, 12]);
    /// assert!(a.flatten(0, 1).shares_storage(&a));
    /// let t = a.transpose(0, 1).flatten(0, 1); // [3, 2, 4] transposed: needs a copy
    /// assert_eq!(t.shape(), &[6, 4]);
    /// assert_eq!(t.to_vec::<f32>()[4..8], [12.0, 13.0, 14.0, 15.0]);
    /// ```
    #[track_caller]
    pub fn flatten(&self, start_dim: isize, end_dim: isize) -> Array {
        let nd = self.ndim();
        let s = normalize_dim("flatten", start_dim, nd);
        let e = normalize_dim("flatten", end_dim, nd);
        assert!(
            s <= e,
            "flatten: start_dim {start_dim} comes after end_dim {end_dim} (shape {:?})",
            self.shape()
        );
        if nd == 0 {
            return self.reshape(&[1]);
        }
        if s == e {
            return self.clone();
        }
        let shape = self.shape();
        let merged: usize = shape[s..=e].iter().product();
        let new_shape: Vec<isize> = shape[..s]
            .iter()
            .copied()
            .chain(std::iter::once(merged))
            .chain(shape[e + 1..].iter().copied())
            .map(|n| n as isize)
            .collect();
        self.reshape(&new_shape)
    }

    /// Splits dim `dim` into the dims `sizes` (`Tensor.unflatten`); one size may be `-1`
    /// (inferred). Always a view.
    ///
    /// # Panics
    /// If the array is 0-d, `sizes` is empty, or the sizes do not multiply to the dim's size.
    ///
    /// ```
    /// let a = ember_tensor::Array::arange(0.0, 12.0, 1.0, ember_tensor::DType::I64)
    ///     .reshape(&[2, 6]);
    /// let u = a.unflatten(-1, &[3, -1]);
    /// assert_eq!(u.shape(), &[2, 3, 2]);
    /// assert!(u.shares_storage(&a));
    /// assert_eq!(u.select(1, 2).to_vec::<i64>(), vec![4, 5, 10, 11]);
    /// ```
    #[track_caller]
    pub fn unflatten(&self, dim: isize, sizes: &[isize]) -> Array {
        assert!(
            self.ndim() > 0,
            "unflatten: cannot unflatten a 0-d array (sizes {sizes:?})"
        );
        assert!(
            !sizes.is_empty(),
            "unflatten: sizes must be non-empty (dim {dim}, shape {:?})",
            self.shape()
        );
        let d = normalize_dim("unflatten", dim, self.ndim());
        let n = self.shape()[d];
        let mut infer = None;
        let mut known = 1usize;
        for (i, &s) in sizes.iter().enumerate() {
            if s == -1 && infer.is_none() {
                infer = Some(i);
            } else {
                assert!(
                    s >= 0,
                    "unflatten: invalid size {s} in sizes {sizes:?} (only one -1 is allowed)"
                );
                known *= s as usize;
            }
        }
        let mut split: Dims = sizes.iter().map(|&s| s.max(0) as usize).collect();
        let fits = match infer {
            Some(i) if known != 0 && n.is_multiple_of(known) => {
                split[i] = n / known;
                true
            }
            Some(_) => false,
            None => known == n,
        };
        assert!(
            fits,
            "unflatten: sizes {sizes:?} do not multiply to {n}, the size of dim {dim} of the \
             array of shape {:?}",
            self.shape()
        );
        let step = self.strides()[d];
        let split_strides: Dims = contiguous_strides(&split)
            .iter()
            .map(|&s| s * step)
            .collect();
        let mut shape: Dims = self.shape()[..d].into();
        let mut strides: Dims = self.strides()[..d].into();
        shape.extend_from_slice(&split);
        strides.extend_from_slice(&split_strides);
        shape.extend_from_slice(&self.shape()[d + 1..]);
        strides.extend_from_slice(&self.strides()[d + 1..]);
        self.with_layout(Layout::new(&shape, &strides, self.storage_offset()))
    }

    /// [`expand`](Array::expand) to `other`'s shape (`Tensor.expand_as`).
    ///
    /// # Panics
    /// If `self` does not expand to `other`'s shape.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::from([1.0f32, 2.0]);
    /// let e = a.expand_as(&Array::zeros(&[3, 2], DType::F64));
    /// assert_eq!(e.shape(), &[3, 2]);
    /// assert_eq!(e.to_vec::<f32>(), vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn expand_as(&self, other: &Array) -> Array {
        let shape: Vec<isize> = other.shape().iter().map(|&n| n as isize).collect();
        self.expand_impl("expand_as", &shape)
    }

    /// A view broadcasting the array to `shape` with stride-0 dims (`torch.broadcast_to`):
    /// size-1 dims repeat and new leading dims may be added.
    ///
    /// # Panics
    /// If the array does not broadcast to `shape`.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i32], [2]]);
    /// let b = a.broadcast_to(&[2, 2, 3]);
    /// assert_eq!(b.strides(), &[0, 1, 0]);
    /// assert_eq!(b.to_vec::<i32>(), vec![1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]);
    /// ```
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Array {
        let shape: Vec<isize> = shape.iter().map(|&n| n as isize).collect();
        self.expand_impl("broadcast_to", &shape)
    }

    /// A view of the diagonal of the 2-d planes spanned by `dim1` and `dim2`
    /// (`Tensor.diagonal`): those two dims are removed and the diagonal is appended as the
    /// last dim. `offset > 0` takes a diagonal above the main one, `offset < 0` below.
    ///
    /// # Panics
    /// If the array has fewer than 2 dims, a dim is out of range, or `dim1 == dim2`.
    ///
    /// ```
    /// let a = ember_tensor::Array::arange(0.0, 12.0, 1.0, ember_tensor::DType::I64)
    ///     .reshape(&[3, 4]);
    /// assert_eq!(a.diagonal(0, 0, 1).to_vec::<i64>(), vec![0, 5, 10]);
    /// assert_eq!(a.diagonal(1, 0, 1).to_vec::<i64>(), vec![1, 6, 11]);
    /// assert_eq!(a.diagonal(-1, 0, 1).to_vec::<i64>(), vec![4, 9]);
    /// assert_eq!(a.diagonal(0, -1, -2).to_vec::<i64>(), vec![0, 5, 10]);
    /// let b = ember_tensor::Array::zeros(&[2, 3, 5], ember_tensor::DType::F32);
    /// assert_eq!(b.diagonal(0, 0, 2).shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn diagonal(&self, offset: i64, dim1: isize, dim2: isize) -> Array {
        let nd = self.ndim();
        assert!(
            nd >= 2,
            "diagonal: expects an array with at least 2 dims, got shape {:?}",
            self.shape()
        );
        let d1 = normalize_dim("diagonal", dim1, nd);
        let d2 = normalize_dim("diagonal", dim2, nd);
        assert!(
            d1 != d2,
            "diagonal: dim1 {dim1} and dim2 {dim2} are the same dim (shape {:?})",
            self.shape()
        );
        let (n1, n2) = (self.shape()[d1] as i64, self.shape()[d2] as i64);
        let (s1, s2) = (self.strides()[d1], self.strides()[d2]);
        let len = if offset >= 0 {
            n1.min(n2 - offset)
        } else {
            (n1 + offset).min(n2)
        }
        .max(0) as usize;
        // An empty diagonal keeps the offset: moving it could point past the storage.
        let mut start = self.storage_offset();
        if len > 0 {
            start += if offset >= 0 {
                offset as usize * s2
            } else {
                offset.unsigned_abs() as usize * s1
            };
        }
        let mut shape = Dims::new();
        let mut strides = Dims::new();
        for d in (0..nd).filter(|&d| d != d1 && d != d2) {
            shape.push(self.shape()[d]);
            strides.push(self.strides()[d]);
        }
        shape.push(len);
        strides.push(s1 + s2);
        self.with_layout(Layout::new(&shape, &strides, start))
    }

    /// A view of all windows of `size` elements along `dim`, `step` apart (`Tensor.unfold`):
    /// dim `dim` becomes the window index (`(len - size) / step + 1` windows) and a new last
    /// dim of `size` holds each window's elements. Windows may overlap (the view is then
    /// read-only: in-place writes into it are refused).
    ///
    /// # Panics
    /// If `size` exceeds the dim's size, `step` is 0, or `dim` is out of range.
    ///
    /// ```
    /// let a = ember_tensor::Array::arange(0.0, 7.0, 1.0, ember_tensor::DType::I64);
    /// let w = a.unfold(0, 3, 2);
    /// assert_eq!(w.shape(), &[3, 3]);
    /// assert_eq!(w.to_vec::<i64>(), vec![0, 1, 2, 2, 3, 4, 4, 5, 6]);
    /// assert!(w.shares_storage(&a));
    /// ```
    #[track_caller]
    pub fn unfold(&self, dim: isize, size: usize, step: usize) -> Array {
        let nd = self.ndim();
        let d = normalize_dim("unfold", dim, nd);
        // A 0-d array unfolds as if it were one element long (as in PyTorch).
        let (n, st) = if nd == 0 {
            (1, 1)
        } else {
            (self.shape()[d], self.strides()[d])
        };
        assert!(
            size <= n,
            "unfold: the window size {size} exceeds the size {n} of dim {dim} (shape {:?})",
            self.shape()
        );
        assert!(
            step > 0,
            "unfold: step must be positive, got 0 (dim {dim}, shape {:?})",
            self.shape()
        );
        let mut shape: Dims = self.shape().into();
        let mut strides: Dims = self.strides().into();
        if nd > 0 {
            shape[d] = (n - size) / step + 1;
            strides[d] = st * step;
        }
        shape.push(size);
        strides.push(st);
        self.with_layout(Layout::new(&shape, &strides, self.storage_offset()))
    }

    /// Moves the dims `source` to the positions `destination` (`torch.movedim`); the other
    /// dims keep their relative order.
    ///
    /// # Panics
    /// If `source` and `destination` differ in length, repeat a dim, or hold a dim out of
    /// range.
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[2, 3, 4, 5], ember_tensor::DType::F32);
    /// assert_eq!(a.movedim(&[0], &[-1]).shape(), &[3, 4, 5, 2]);
    /// assert_eq!(a.movedim(&[-1, 0], &[0, 1]).shape(), &[5, 2, 3, 4]);
    /// assert!(a.movedim(&[1], &[0]).shares_storage(&a));
    /// ```
    #[track_caller]
    pub fn movedim(&self, source: &[isize], destination: &[isize]) -> Array {
        let nd = self.ndim();
        assert!(
            source.len() == destination.len(),
            "movedim: source {source:?} and destination {destination:?} must have the same \
             number of dims"
        );
        let mut order: Vec<Option<usize>> = vec![None; nd.max(1)];
        let mut moved = vec![false; nd.max(1)];
        for (&s, &t) in source.iter().zip(destination) {
            let s = normalize_dim("movedim", s, nd);
            let t = normalize_dim("movedim", t, nd);
            assert!(!moved[s], "movedim: dim {s} repeats in source {source:?}");
            assert!(
                order[t].is_none(),
                "movedim: dim {t} repeats in destination {destination:?}"
            );
            moved[s] = true;
            order[t] = Some(s);
        }
        if nd == 0 {
            return self.clone();
        }
        let mut rest = (0..nd).filter(|&d| !moved[d]);
        let perm: Vec<isize> = order
            .iter()
            .map(|o| o.unwrap_or_else(|| rest.next().unwrap()) as isize)
            .collect();
        self.permute(&perm)
    }
}

/// The message for an impossible [`Array::view`]: the layout, why it cannot be viewed, and
/// what to do instead.
fn view_error(layout: &Layout, new_shape: &[usize]) -> String {
    // Dims that can be merged or split freely: runs where each dim steps exactly over the next.
    let (shape, strides) = (layout.shape(), layout.strides());
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut prev: Option<usize> = None;
    for d in 0..shape.len() {
        if shape[d] == 1 {
            continue;
        }
        match prev {
            Some(p) if strides[p] == strides[d] * shape[d] => groups.last_mut().unwrap().push(d),
            _ => groups.push(vec![d]),
        }
        prev = Some(d);
    }
    let groups: Vec<String> = groups
        .iter()
        .map(|g| {
            let dims: Vec<String> = g.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        })
        .collect();
    format!(
        "view: cannot view an array of shape {shape:?} with strides {strides:?} as shape \
         {new_shape:?} without copying. A view can only merge or split dims whose elements are \
         evenly spaced in memory (dim d steps over all of dim d+1: strides[d] == strides[d+1] * \
         shape[d+1]); here the dims fall into the separate groups {} and the new shape would \
         cross a group boundary (typical after transpose, permute, expand, narrow or a stepped \
         slice). Use .reshape({new_shape:?}), which copies only when it must, or call \
         .contiguous() before .view(..).",
        groups.join(" ")
    )
}
