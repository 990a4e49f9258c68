//! Joining, splitting, repeating and reordering: cat, stack, split, chunk, unbind, tile,
//! repeat, repeat_interleave, flip, roll, tril, triu (padding is in `pad.rs`).
//!
//! Copies go through strided views: `cat` narrows its output and `copy_`s each input into its
//! slot; `repeat` reads the input through a layout with stride-0 repeat dims; `flip` and
//! `tril`/`triu` are one pass of the stride walker with "coordinate" operands (strides that
//! make an operand's offset equal to an index, never dereferenced) so no kernel recomputes
//! multi-indices per element.

use crate::Array;
use crate::dtype::{DType, Element};
use crate::layout::{Dims, Layout, normalize_dim};
use crate::strided::{Walk, fill_runs};

/// Normalises a list of dims, refusing repeats.
#[track_caller]
pub(crate) fn normalize_dims(op: &str, dims: &[isize], ndim: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(dims.len());
    for &d in dims {
        let n = normalize_dim(op, d, ndim);
        assert!(
            !out.contains(&n),
            "{op}: dim {n} appears multiple times in the list of dims {dims:?}"
        );
        out.push(n);
    }
    out
}

impl Array {
    /// Concatenates arrays along an existing dim (`torch.cat`).
    ///
    /// All arrays must have the same number of dims and the same sizes except along `dim`.
    /// The result dtype is the promotion of all input dtypes. As in PyTorch, 1-d arrays of
    /// shape `[0]` are skipped whatever the other shapes (a legacy rule), and the result is a
    /// new contiguous array.
    ///
    /// # Panics
    /// If `arrays` is empty, an array is 0-d, or the shapes differ outside `dim`.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1i64, 2], [3, 4]]);
    /// let b = Array::from([[5.0f32, 6.0]]);
    /// let c = Array::cat(&[&a, &b], 0);
    /// assert_eq!(c.shape(), &[3, 2]);
    /// assert_eq!(c.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]); // promoted to f32
    /// let d = Array::cat(&[&a, &a.t()], -1);
    /// assert_eq!(d.to_vec::<i64>(), vec![1, 2, 1, 3, 3, 4, 2, 4]);
    /// ```
    #[track_caller]
    pub fn cat(arrays: &[&Array], dim: isize) -> Array {
        assert!(
            !arrays.is_empty(),
            "cat: expected a non-empty list of arrays"
        );
        let dt = arrays
            .iter()
            .map(|a| a.dtype())
            .reduce(DType::promote)
            .unwrap();
        for (i, a) in arrays.iter().enumerate() {
            assert!(
                a.ndim() > 0,
                "cat: zero-dimensional array (at position {i}) cannot be concatenated \
                 (unsqueeze it first, or use stack)"
            );
        }
        let kept: Vec<(usize, &Array)> = arrays
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, a)| !(a.ndim() == 1 && a.numel() == 0))
            .collect();
        let Some(&(_, first)) = kept.first() else {
            return Array::empty(&[0], dt);
        };
        let nd = first.ndim();
        let d = normalize_dim("cat", dim, nd);
        let mut shape: Dims = first.shape().into();
        shape[d] = 0;
        for &(i, a) in &kept {
            let ok = a.ndim() == nd && (0..nd).all(|k| k == d || a.shape()[k] == first.shape()[k]);
            assert!(
                ok,
                "cat: sizes of arrays must match except in dimension {d}: array 0 has shape \
                 {:?} but array {i} has shape {:?}",
                first.shape(),
                a.shape()
            );
            shape[d] += a.shape()[d];
        }
        let out = Array::empty(&shape, dt);
        let mut start = 0;
        for &(_, a) in &kept {
            let n = a.shape()[d];
            out.narrow(d as isize, start, n).copy_(a);
            start += n;
        }
        out
    }

    /// Joins arrays of one shape along a new dim (`torch.stack`); `dim` may be `ndim`.
    ///
    /// The result dtype is the promotion of the input dtypes.
    ///
    /// # Panics
    /// If `arrays` is empty or the shapes differ.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([1i64, 2]);
    /// let b = Array::from([3i64, 4]);
    /// assert_eq!(Array::stack(&[&a, &b], 0).to_vec::<i64>(), vec![1, 2, 3, 4]);
    /// let s = Array::stack(&[&a, &b], -1);
    /// assert_eq!(s.shape(), &[2, 2]);
    /// assert_eq!(s.to_vec::<i64>(), vec![1, 3, 2, 4]);
    /// ```
    #[track_caller]
    pub fn stack(arrays: &[&Array], dim: isize) -> Array {
        assert!(
            !arrays.is_empty(),
            "stack: expected a non-empty list of arrays"
        );
        let first = arrays[0];
        for (i, a) in arrays.iter().enumerate() {
            assert!(
                a.shape() == first.shape(),
                "stack: expects each array to be of equal size, but got {:?} at entry 0 and \
                 {:?} at entry {i}",
                first.shape(),
                a.shape()
            );
        }
        let d = normalize_dim("stack", dim, first.ndim() + 1) as isize;
        let views: Vec<Array> = arrays.iter().map(|a| a.unsqueeze(d)).collect();
        let refs: Vec<&Array> = views.iter().collect();
        Array::cat(&refs, d)
    }

    /// Splits into views of `size` elements along `dim` (the last may be smaller),
    /// `torch.split` with an integer.
    ///
    /// A dim of size 0 gives one empty view.
    ///
    /// # Panics
    /// If `self` is 0-d, or `size` is 0 while the dim is not empty.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1i64, 2, 3, 4, 5]);
    /// let parts = a.split(2, 0);
    /// assert_eq!(parts.len(), 3);
    /// assert_eq!(parts[2].to_vec::<i64>(), vec![5]);
    /// assert!(parts[0].shares_storage(&a));
    /// ```
    #[track_caller]
    pub fn split(&self, size: usize, dim: isize) -> Vec<Array> {
        assert!(
            self.ndim() > 0,
            "split: expects at least a 1-dimensional array"
        );
        let d = normalize_dim("split", dim, self.ndim());
        let n = self.shape()[d];
        assert!(
            size > 0 || n == 0,
            "split: split size can only be 0 if dimension size is 0, but got dimension {d} of \
             size {n}"
        );
        let count = if size == 0 {
            1
        } else {
            n.div_ceil(size).max(1)
        };
        (0..count)
            .map(|i| {
                let start = (i * size).min(n);
                self.narrow(d as isize, start, size.min(n - start))
            })
            .collect()
    }

    /// Splits into views of the given sizes along `dim` (`torch.split` with a list).
    ///
    /// # Panics
    /// If the sizes do not add up to the size of `dim`.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i64, 2, 3], [4, 5, 6]]);
    /// let p = a.split_sizes(&[1, 2], 1);
    /// assert_eq!(p[0].to_vec::<i64>(), vec![1, 4]);
    /// assert_eq!(p[1].to_vec::<i64>(), vec![2, 3, 5, 6]);
    /// ```
    #[track_caller]
    pub fn split_sizes(&self, sizes: &[usize], dim: isize) -> Vec<Array> {
        assert!(
            self.ndim() > 0,
            "split_sizes: expects at least a 1-dimensional array"
        );
        let d = normalize_dim("split_sizes", dim, self.ndim());
        let n = self.shape()[d];
        assert!(
            sizes.iter().sum::<usize>() == n,
            "split_sizes: the sizes {sizes:?} must sum exactly to {n} (the size of dimension \
             {d} of an array of shape {:?})",
            self.shape()
        );
        let mut start = 0;
        sizes
            .iter()
            .map(|&s| {
                let v = self.narrow(d as isize, start, s);
                start += s;
                v
            })
            .collect()
    }

    /// Splits into at most `chunks` views along `dim` (`torch.chunk`): each has
    /// `ceil(size / chunks)` elements except the last, so fewer than `chunks` may come back.
    /// An empty dim gives `chunks` empty views.
    ///
    /// # Panics
    /// If `chunks` is 0 or `self` is 0-d.
    ///
    /// ```
    /// let a = ember_tensor::Array::arange(0.0, 6.0, 1.0, ember_tensor::DType::I64);
    /// let c = a.chunk(4, 0);          // ceil(6/4) = 2 per chunk: only 3 chunks
    /// assert_eq!(c.len(), 3);
    /// assert_eq!(c[2].to_vec::<i64>(), vec![4, 5]);
    /// ```
    #[track_caller]
    pub fn chunk(&self, chunks: usize, dim: isize) -> Vec<Array> {
        assert!(chunks > 0, "chunk: expects `chunks` to be greater than 0");
        assert!(
            self.ndim() > 0,
            "chunk: expects at least a 1-dimensional array"
        );
        let d = normalize_dim("chunk", dim, self.ndim());
        let n = self.shape()[d];
        if n == 0 {
            return self.split_sizes(&vec![0; chunks], d as isize);
        }
        self.split(n.div_ceil(chunks), d as isize)
    }

    /// Views of each slice along `dim`, with that dim removed (`torch.unbind`).
    ///
    /// # Panics
    /// If `self` is 0-d.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i64, 2], [3, 4]]);
    /// let cols = a.unbind(1);
    /// assert_eq!(cols[1].to_vec::<i64>(), vec![2, 4]);
    /// ```
    #[track_caller]
    pub fn unbind(&self, dim: isize) -> Vec<Array> {
        assert!(
            self.ndim() > 0,
            "unbind: dimension specified as {dim} but the array has no dimensions"
        );
        let d = normalize_dim("unbind", dim, self.ndim());
        (0..self.shape()[d])
            .map(|i| self.select(d as isize, i))
            .collect()
    }

    /// Repeats the whole array `repeats[i]` times along each dim (`Tensor.repeat`); `repeats`
    /// may be longer than `ndim`, adding leading dims. Always a new contiguous array.
    ///
    /// # Panics
    /// If `repeats` has fewer entries than `self` has dims.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1i64, 2]);
    /// let r = a.repeat(&[2, 3]);
    /// assert_eq!(r.shape(), &[2, 6]);
    /// assert_eq!(r.to_vec::<i64>()[..6], [1, 2, 1, 2, 1, 2]);
    /// ```
    #[track_caller]
    pub fn repeat(&self, repeats: &[usize]) -> Array {
        let nd = self.ndim();
        assert!(
            repeats.len() >= nd,
            "repeat: the number of repeat dims ({}) can not be smaller than the number of dims \
             of the array ({nd}, shape {:?}); use tile to pad with ones",
            repeats.len(),
            self.shape()
        );
        let lead = repeats.len() - nd;
        // Read the input through [r0, s0, r1, s1, ...] with stride 0 on every repeat dim.
        let mut shape = Dims::new();
        let mut strides = Dims::new();
        let mut out_shape = Vec::with_capacity(repeats.len());
        for (i, &r) in repeats.iter().enumerate() {
            let (s, st) = if i < lead {
                (1, 0)
            } else {
                (self.shape()[i - lead], self.strides()[i - lead])
            };
            shape.extend([r, s]);
            strides.extend([0, st]);
            out_shape.push((r * s) as isize);
        }
        let spread = self.with_layout(Layout::new(&shape, &strides, self.storage_offset()));
        spread.clone_array().reshape(&out_shape)
    }

    /// Repeats the array like [`repeat`](Array::repeat), padding `reps` with leading 1s when
    /// it is shorter than `ndim` (`torch.tile`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i64, 2], [3, 4]]);
    /// let t = a.tile(&[2]);             // = repeat(&[1, 2])
    /// assert_eq!(t.to_vec::<i64>(), vec![1, 2, 1, 2, 3, 4, 3, 4]);
    /// ```
    #[track_caller]
    pub fn tile(&self, reps: &[usize]) -> Array {
        let nd = self.ndim();
        if reps.len() >= nd {
            return self.repeat(reps);
        }
        let mut full = vec![1; nd - reps.len()];
        full.extend_from_slice(reps);
        self.repeat(&full)
    }

    /// Repeats each element `repeats` times along `dim` (`torch.repeat_interleave` with an
    /// integer); `None` flattens first and gives a 1-d result.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i64, 2], [3, 4]]);
    /// assert_eq!(a.repeat_interleave(2, None).to_vec::<i64>(), vec![1, 1, 2, 2, 3, 3, 4, 4]);
    /// let r = a.repeat_interleave(2, Some(0));
    /// assert_eq!(r.to_vec::<i64>(), vec![1, 2, 1, 2, 3, 4, 3, 4]);
    /// ```
    #[track_caller]
    pub fn repeat_interleave(&self, repeats: usize, dim: Option<isize>) -> Array {
        let (x, d) = match dim {
            None => (self.reshape(&[-1]), 0),
            Some(dim) => {
                let d = normalize_dim("repeat_interleave", dim, self.ndim());
                if self.ndim() == 0 {
                    (self.reshape(&[1]), 0)
                } else {
                    (self.clone(), d)
                }
            }
        };
        let mut shape: Dims = x.shape().into();
        let mut strides: Dims = x.strides().into();
        shape.insert(d + 1, repeats);
        strides.insert(d + 1, 0);
        let mut out_shape: Vec<isize> = x.shape().iter().map(|&s| s as isize).collect();
        out_shape[d] *= repeats as isize;
        x.with_layout(Layout::new(&shape, &strides, x.storage_offset()))
            .clone_array()
            .reshape(&out_shape)
    }

    /// Reverses the order of elements along `dims` (`torch.flip`): a new array, as in PyTorch
    /// (strides here are never negative).
    ///
    /// # Panics
    /// If a dim is out of range or repeated.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i64, 2], [3, 4]]);
    /// assert_eq!(a.flip(&[0]).to_vec::<i64>(), vec![3, 4, 1, 2]);
    /// assert_eq!(a.flip(&[0, -1]).to_vec::<i64>(), vec![4, 3, 2, 1]);
    /// ```
    #[track_caller]
    pub fn flip(&self, dims: &[isize]) -> Array {
        let flipped = normalize_dims("flip", dims, self.ndim());
        if self.numel() == 0 || self.ndim() == 0 {
            return self.clone_array();
        }
        // Input position = P - N: P walks the kept dims and starts at the far end of the
        // flipped ones, N walks the flipped dims forward.
        let nd = self.ndim();
        let mut sp: Dims = self.strides().into();
        let mut sn: Dims = smallvec::smallvec![0; nd];
        let mut base = self.storage_offset();
        for &d in &flipped {
            base += (self.shape()[d] - 1) * self.strides()[d];
            sn[d] = sp[d];
            sp[d] = 0;
        }
        let walk = Walk::new(self.shape(), [&sp, &sn], [base, 0]);
        crate::dispatch!(self.dtype(), T => {
            let mut out = T::pool().take_uninit(self.numel());
            self.with_slice(|a: &[T]| {
                fill_runs(&walk, &mut out, |o, [op, on], [sp, sn]| {
                    for (i, v) in o.iter_mut().enumerate() {
                        *v = a[op + i * sp - on - i * sn];
                    }
                })
            });
            Array::from_contiguous(out, self.shape())
        })
    }

    /// Rotates elements along `dims` by `shifts` (`torch.roll`): elements pushed past the end
    /// come back at the start. With `dims` empty, the array is flattened, rolled by the single
    /// shift, and reshaped back. A dim may appear more than once (shifts add up).
    ///
    /// # Panics
    /// If `shifts` and `dims` differ in length (or `dims` is empty and `shifts` is not one
    /// value), or a dim is out of range.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i64, 2, 3], [4, 5, 6]]);
    /// assert_eq!(a.roll(&[1], &[1]).to_vec::<i64>(), vec![3, 1, 2, 6, 4, 5]);
    /// assert_eq!(a.roll(&[-1], &[]).to_vec::<i64>(), vec![2, 3, 4, 5, 6, 1]);
    /// ```
    #[track_caller]
    pub fn roll(&self, shifts: &[isize], dims: &[isize]) -> Array {
        if dims.is_empty() {
            assert!(
                shifts.len() == 1,
                "roll: with no dims, shifts must be a single value, got {shifts:?}"
            );
            let shape: Vec<isize> = self.shape().iter().map(|&s| s as isize).collect();
            return self.reshape(&[-1]).roll(shifts, &[0]).reshape(&shape);
        }
        assert!(
            shifts.len() == dims.len(),
            "roll: shifts and dims must align: shifts {shifts:?}, dims {dims:?}"
        );
        let nd = self.ndim();
        if self.numel() == 0 {
            for &d in dims {
                normalize_dim("roll", d, nd);
            }
            return self.clone_array();
        }
        let mut total = vec![0isize; nd.max(1)];
        for (&s, &d) in shifts.iter().zip(dims) {
            total[normalize_dim("roll", d, nd)] += s;
        }
        if nd == 0 {
            return self.clone_array();
        }
        // Per dim, the (out start, in start, length) segments; the copies are their product.
        let segs: Vec<Vec<(usize, usize, usize)>> = (0..nd)
            .map(|d| {
                let n = self.shape()[d];
                let s = total[d].rem_euclid(n as isize) as usize;
                if s == 0 {
                    vec![(0, 0, n)]
                } else {
                    vec![(s, 0, n - s), (0, n - s, s)]
                }
            })
            .collect();
        let out = Array::empty(self.shape(), self.dtype());
        let count: usize = segs.iter().map(Vec::len).product();
        for mut c in 0..count {
            let (mut dst, mut src) = (out.clone(), self.clone());
            for (d, seg) in segs.iter().enumerate().rev() {
                let (o, i, n) = seg[c % seg.len()];
                c /= seg.len();
                dst = dst.narrow(d as isize, o, n);
                src = src.narrow(d as isize, i, n);
            }
            dst.copy_(&src);
        }
        out
    }

    /// The lower triangle of the last two dims (`torch.tril`): elements with
    /// `col - row <= diagonal` are kept, the rest are zero. Batched over leading dims.
    ///
    /// # Panics
    /// If `self` has fewer than 2 dims.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i64, 2, 3], [4, 5, 6]]);
    /// assert_eq!(a.tril(0).to_vec::<i64>(), vec![1, 0, 0, 4, 5, 0]);
    /// assert_eq!(a.tril(-1).to_vec::<i64>(), vec![0, 0, 0, 4, 0, 0]);
    /// ```
    #[track_caller]
    pub fn tril(&self, diagonal: i64) -> Array {
        self.triangle("tril", move |r, c| c - r <= diagonal)
    }

    /// The upper triangle of the last two dims (`torch.triu`): elements with
    /// `col - row >= diagonal` are kept, the rest are zero. Batched over leading dims.
    ///
    /// # Panics
    /// If `self` has fewer than 2 dims.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.triu(0).to_vec::<f32>(), vec![1.0, 2.0, 0.0, 4.0]);
    /// assert_eq!(a.t().triu(1).to_vec::<f32>(), vec![0.0, 3.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn triu(&self, diagonal: i64) -> Array {
        self.triangle("triu", move |r, c| c - r >= diagonal)
    }

    #[track_caller]
    fn triangle(&self, op: &str, keep: impl Fn(i64, i64) -> bool + Sync) -> Array {
        let nd = self.ndim();
        assert!(
            nd >= 2,
            "{op}: input must have at least 2 dimensions, got shape {:?}",
            self.shape()
        );
        // Two coordinate operands: their offsets are the row and the column index.
        let mut rows: Dims = smallvec::smallvec![0; nd];
        let mut cols: Dims = smallvec::smallvec![0; nd];
        rows[nd - 2] = 1;
        cols[nd - 1] = 1;
        let walk = Walk::new(
            self.shape(),
            [self.strides(), &rows, &cols],
            [self.storage_offset(), 0, 0],
        );
        crate::dispatch!(self.dtype(), T => {
            let mut out = T::pool().take_uninit(self.numel());
            self.with_slice(|a: &[T]| {
                fill_runs(&walk, &mut out, |o, [oa, or, oc], [sa, sr, sc]| {
                    for (i, v) in o.iter_mut().enumerate() {
                        let (r, c) = ((or + i * sr) as i64, (oc + i * sc) as i64);
                        *v = if keep(r, c) { a[oa + i * sa] } else { T::ZERO };
                    }
                })
            });
            Array::from_contiguous(out, self.shape())
        })
    }
}
