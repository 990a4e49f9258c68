//! View ops: the result shares storage with the input, and gradients flow back into the input
//! (and into a view's base after in-place ops through the view).
//!
//! Backward of a view is one of three things: the inverse view (reshape, permute), a sum
//! (expand), or "put the gradient where the view looked": for a view that never reads an
//! element twice, the gradient is copied into zeros through the same view op; for overlapping
//! views (`unfold` with `step < size`, `as_strided`) it is added with `index_add` through an
//! index map, so repeated reads sum their gradients.

use smallvec::smallvec;
use std::sync::Arc;

use ember_tensor::{Array, DType, IndexArg, IndexItem, Layout};

use crate::grad_mode::no_grad;
use crate::tensor::{Tensor, any_requires_grad, mark_view, record};

/// Applies a view op to a tensor of the input's shape (the same op the forward applied).
type ViewFn = Arc<dyn Fn(&Tensor) -> Tensor + Send + Sync>;

/// Normalizes a possibly negative dim.
#[track_caller]
pub(crate) fn dim(op: &str, d: isize, ndim: usize) -> usize {
    let n = ndim.max(1) as isize;
    let r = if d < 0 { d + n } else { d };
    assert!(
        (0..n).contains(&r),
        "{op}: dim {d} is out of range for a tensor with {ndim} dims"
    );
    r as usize
}

/// True when no two elements of `l` share a storage position.
fn non_overlapping(l: &Layout) -> bool {
    let mut dims: Vec<(usize, usize)> = l
        .shape()
        .iter()
        .zip(l.strides())
        .filter(|(s, _)| **s > 1)
        .map(|(s, st)| (*st, *s))
        .collect();
    dims.sort_unstable();
    let mut reach = 0usize; // largest offset reachable by the dims so far
    for (st, sz) in dims {
        if st <= reach {
            return false;
        }
        reach += (sz - 1) * st;
    }
    true
}

/// The gradient of a view's input: `g` (the view's gradient) put where `f` reads.
#[track_caller]
fn put_through(g: &Tensor, in_shape: &[usize], f: &ViewFn) -> Tensor {
    let zeros = Array::zeros(in_shape, g.dtype());
    let probe = no_grad(|| f(&Tensor::from_array(zeros.clone())));
    if non_overlapping(probe.data().layout()) {
        // Copy into zeros through the view; the backward of this is the view again.
        probe.data().copy_(&g.data().to_dtype(probe.dtype()));
        let f2 = f.clone();
        record("view_backward", zeros, &[g], move |gg, _| {
            smallvec![Some(f2(&gg[0].as_ref().expect("grad").contiguous()))]
        })
    } else {
        let n: usize = in_shape.iter().product();
        let ids = Array::arange(0.0, n as f64, 1.0, DType::I64).reshape(&isz(in_shape));
        let idx = no_grad(|| f(&Tensor::from_array(ids)))
            .data()
            .contiguous()
            .reshape(&[-1]);
        Tensor::from_array(Array::zeros(&[n], g.dtype()))
            .index_add(0, &Tensor::from_array(idx), &g.reshape(&[-1]), 1.0)
            .reshape(&isz(in_shape))
    }
}

pub(crate) fn isz(s: &[usize]) -> Vec<isize> {
    s.iter().map(|&v| v as isize).collect()
}

/// Records a view op whose backward puts the gradient where `f` reads.
#[track_caller]
fn view_record(name: &'static str, input: &Tensor, out: Array, f: ViewFn) -> Tensor {
    let t = if any_requires_grad(&[input]) {
        let in_shape = input.shape().to_vec();
        record(name, out, &[input], move |g, _| {
            smallvec![Some(put_through(
                g[0].as_ref().expect("grad"),
                &in_shape,
                &f,
            ))]
        })
    } else {
        Tensor::from_array(out)
    };
    mark_view(t, input)
}

/// Flat (row-major) index into a tensor of layout `base`, for each element of `view` (a layout
/// on the same storage of `storage_len` elements).
#[track_caller]
pub(crate) fn storage_index(base: &Layout, view: &Layout, storage_len: usize) -> Array {
    let map = Array::full(&[storage_len], -1i64, DType::I64);
    let ids = Array::arange(0.0, base.numel() as f64, 1.0, DType::I64).reshape(&isz(base.shape()));
    map.as_strided(base.shape(), base.strides(), base.offset())
        .copy_(&ids);
    let idx = map
        .as_strided(view.shape(), view.strides(), view.offset())
        .contiguous();
    let min = if idx.numel() == 0 {
        0
    } else {
        idx.min().item::<i64>()
    };
    assert!(
        min >= 0,
        "as_strided: the view reads storage elements that are not part of its input"
    );
    idx
}

/// The view of `base`'s storage with `view`'s geometry, as a differentiable op on `base`
/// (used to rebuild a view's `grad_fn` after an in-place change).
pub(crate) fn restride_from_base(base: &Tensor, view: &Array) -> Tensor {
    base.as_strided(view.shape(), view.strides(), view.storage_offset())
}

impl Tensor {
    /// A view with a new shape (`Tensor.view`); `-1` infers one dim. The gradient is reshaped
    /// back.
    ///
    /// # Panics
    /// When the strides make a view impossible (the message says why and suggests `reshape`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0, 3.0, 4.0]).requires_grad_(true);
    /// let v = x.view(&[2, -1]);
    /// assert_eq!(v.shape(), &[2, 2]);
    /// v.mul(&Tensor::from([[1.0f32, 2.0], [3.0, 4.0]])).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn view(&self, shape: &[isize]) -> Tensor {
        let out = self.data().view(shape);
        self.reshape_record("view", out)
    }

    /// `view` when possible, otherwise a copy with the new shape (`Tensor.reshape`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).requires_grad_(true);
    /// let r = x.t().reshape(&[4]); // not viewable: copies
    /// assert_eq!(r.to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
    /// r.mul(&Tensor::from([1.0f32, 2.0, 3.0, 4.0])).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[isize]) -> Tensor {
        let out = self.data().reshape(shape);
        self.reshape_record("reshape", out)
    }

    #[track_caller]
    fn reshape_record(&self, name: &'static str, out: Array) -> Tensor {
        let is_view = out.shares_storage(self.data());
        let t = if any_requires_grad(&[self]) {
            let s = isz(self.shape());
            record(name, out, &[self], move |g, _| {
                smallvec![Some(g[0].as_ref().expect("grad").reshape(&s))]
            })
        } else {
            Tensor::from_array(out)
        };
        if is_view { mark_view(t, self) } else { t }
    }

    /// Flattens dims `start_dim..=end_dim` into one (`torch.flatten`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[2, 3, 4], ember_autograd::DType::F32);
    /// assert_eq!(x.flatten(1, -1).shape(), &[2, 12]);
    /// ```
    #[track_caller]
    pub fn flatten(&self, start_dim: isize, end_dim: isize) -> Tensor {
        let out = self.data().flatten(start_dim, end_dim);
        self.reshape_record("flatten", out)
    }

    /// Splits dim `dim` into `sizes` (`Tensor.unflatten`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[2, 12], ember_autograd::DType::F32);
    /// assert_eq!(x.unflatten(1, &[3, -1]).shape(), &[2, 3, 4]);
    /// ```
    #[track_caller]
    pub fn unflatten(&self, dim: isize, sizes: &[isize]) -> Tensor {
        let out = self.data().unflatten(dim, sizes);
        self.reshape_record("unflatten", out)
    }

    /// Removes all dims of size 1 (`Tensor.squeeze`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[1, 3, 1], ember_autograd::DType::F32);
    /// assert_eq!(x.squeeze().shape(), &[3]);
    /// ```
    #[track_caller]
    pub fn squeeze(&self) -> Tensor {
        let out = self.data().squeeze();
        self.reshape_record("squeeze", out)
    }

    /// Removes dim `dim` if its size is 1 (`Tensor.squeeze(dim)`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[1, 3], ember_autograd::DType::F32);
    /// assert_eq!(x.squeeze_dim(0).shape(), &[3]);
    /// ```
    #[track_caller]
    pub fn squeeze_dim(&self, dim: isize) -> Tensor {
        let out = self.data().squeeze_dim(dim);
        self.reshape_record("squeeze", out)
    }

    /// Inserts a dim of size 1 at `dim` (`Tensor.unsqueeze`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[3], ember_autograd::DType::F32);
    /// assert_eq!(x.unsqueeze(-1).shape(), &[3, 1]);
    /// ```
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Tensor {
        let out = self.data().unsqueeze(dim);
        self.reshape_record("unsqueeze", out)
    }

    /// Reorders the dims (`Tensor.permute`); the gradient is permuted back.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::zeros(&[2, 3, 4], ember_autograd::DType::F32).requires_grad_(true);
    /// let p = x.permute(&[2, 0, 1]);
    /// assert_eq!(p.shape(), &[4, 2, 3]);
    /// p.sum().backward();
    /// assert_eq!(x.grad().unwrap().shape(), &[2, 3, 4]);
    /// ```
    #[track_caller]
    pub fn permute(&self, dims: &[isize]) -> Tensor {
        let out = self.data().permute(dims);
        let nd = self.ndim();
        let mut inv = vec![0isize; nd];
        for (i, &d) in dims.iter().enumerate() {
            inv[dim("permute", d, nd)] = i as isize;
        }
        let t = record("permute", out, &[self], move |g, _| {
            smallvec![Some(g[0].as_ref().expect("grad").permute(&inv))]
        });
        mark_view(t, self)
    }

    /// Swaps two dims (`Tensor.transpose`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[2, 3], ember_autograd::DType::F32);
    /// assert_eq!(x.transpose(0, 1).shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Tensor {
        let nd = self.ndim();
        let mut p: Vec<isize> = (0..nd as isize).collect();
        if nd > 0 {
            p.swap(dim("transpose", dim0, nd), dim("transpose", dim1, nd));
        }
        self.permute(&p)
    }

    /// Transpose of a ≤2-D tensor (`Tensor.t`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[2, 3], ember_autograd::DType::F32);
    /// assert_eq!(x.t().shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn t(&self) -> Tensor {
        assert!(
            self.ndim() <= 2,
            "t: expects a tensor with <= 2 dims, got shape {:?}",
            self.shape()
        );
        if self.ndim() < 2 {
            self.permute(&[0][..self.ndim()])
        } else {
            self.permute(&[1, 0])
        }
    }

    /// Transpose of the last two dims (`Tensor.mT`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[5, 2, 3], ember_autograd::DType::F32);
    /// assert_eq!(x.mt().shape(), &[5, 3, 2]);
    /// ```
    #[track_caller]
    pub fn mt(&self) -> Tensor {
        assert!(
            self.ndim() >= 2,
            "mT: expects a tensor with >= 2 dims, got shape {:?}",
            self.shape()
        );
        self.transpose(-2, -1)
    }

    /// Moves dims `source` to positions `destination` (`torch.movedim`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[2, 3, 4], ember_autograd::DType::F32);
    /// assert_eq!(x.movedim(&[0], &[2]).shape(), &[3, 4, 2]);
    /// ```
    #[track_caller]
    pub fn movedim(&self, source: &[isize], destination: &[isize]) -> Tensor {
        let nd = self.ndim();
        let src: Vec<usize> = source.iter().map(|&d| dim("movedim", d, nd)).collect();
        let dst: Vec<usize> = destination.iter().map(|&d| dim("movedim", d, nd)).collect();
        assert!(
            src.len() == dst.len(),
            "movedim: {} source dims but {} destinations",
            src.len(),
            dst.len()
        );
        let mut perm = vec![usize::MAX; nd];
        for (&s, &d) in src.iter().zip(&dst) {
            perm[d] = s;
        }
        let mut rest = (0..nd).filter(|d| !src.contains(d));
        for p in perm.iter_mut() {
            if *p == usize::MAX {
                *p = rest.next().expect("counted");
            }
        }
        self.permute(&perm.iter().map(|&p| p as isize).collect::<Vec<_>>())
    }

    /// Broadcasts size-1 dims to `shape` without copying (`Tensor.expand`; `-1` keeps a dim).
    /// The gradient is summed over the broadcast dims.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32], [2.0]]).requires_grad_(true);
    /// x.expand(&[2, 3]).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn expand(&self, shape: &[isize]) -> Tensor {
        let out = self.data().expand(shape);
        let s = self.shape().to_vec();
        let t = record("expand", out, &[self], move |g, _| {
            smallvec![Some(g[0].as_ref().expect("grad").sum_to_size(&s))]
        });
        mark_view(t, self)
    }

    /// [`expand`](Tensor::expand) to `other`'s shape.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[3], ember_autograd::DType::F32);
    /// let y = ember_autograd::Tensor::zeros(&[2, 3], ember_autograd::DType::F32);
    /// assert_eq!(x.expand_as(&y).shape(), &[2, 3]);
    /// ```
    #[track_caller]
    pub fn expand_as(&self, other: &Tensor) -> Tensor {
        self.expand(&isz(other.shape()))
    }

    /// [`expand`](Tensor::expand) to `shape` (`torch.broadcast_to`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[3], ember_autograd::DType::F32);
    /// assert_eq!(x.broadcast_to(&[4, 3]).shape(), &[4, 3]);
    /// ```
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor {
        self.expand(&isz(shape))
    }

    /// Elements `start..start + length` of dim `dim` (`Tensor.narrow`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0, 3.0]).requires_grad_(true);
    /// x.narrow(0, 1, 2).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: usize, length: usize) -> Tensor {
        let out = self.data().narrow(dim, start, length);
        view_record(
            "narrow",
            self,
            out,
            Arc::new(move |t| t.narrow(dim, start, length)),
        )
    }

    /// Index `index` of dim `dim`, removing the dim (`Tensor.select`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).requires_grad_(true);
    /// x.select(1, 0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn select(&self, dim: isize, index: usize) -> Tensor {
        let out = self.data().select(dim, index);
        view_record("select", self, out, Arc::new(move |t| t.select(dim, index)))
    }

    /// Basic indexing with ranges, steps, integers, `NewAxis` and `Ellipsis`:
    /// `x.i((.., s(1..).step(2)))` is PyTorch's `x[:, 1::2]`. A view.
    ///
    /// ```
    /// use ember_autograd::{s, Tensor};
    /// let x = Tensor::from([1.0f32, 2.0, 3.0, 4.0]).requires_grad_(true);
    /// let every_other = x.i(s(..).step(2));
    /// assert_eq!(every_other.to_vec::<f32>(), vec![1.0, 3.0]);
    /// every_other.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn i(&self, index: impl IndexArg) -> Tensor {
        let items: Vec<IndexItem> = index.into_index_items().into_vec();
        let out = self.data().i(items.clone());
        view_record("index", self, out, Arc::new(move |t| t.i(items.clone())))
    }

    /// A diagonal as a view (`torch.diagonal`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).requires_grad_(true);
    /// let d = x.diagonal(0, 0, 1);
    /// assert_eq!(d.to_vec::<f32>(), vec![1.0, 4.0]);
    /// d.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn diagonal(&self, offset: i64, dim1: isize, dim2: isize) -> Tensor {
        let out = self.data().diagonal(offset, dim1, dim2);
        view_record(
            "diagonal",
            self,
            out,
            Arc::new(move |t| t.diagonal(offset, dim1, dim2)),
        )
    }

    /// Sliding windows of `size` every `step` along `dim`, as a new last dim (`Tensor.unfold`).
    /// Overlapping windows sum their gradients.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0, 3.0, 4.0]).requires_grad_(true);
    /// let w = x.unfold(0, 2, 1); // [[1,2],[2,3],[3,4]]
    /// w.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 2.0, 2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn unfold(&self, dim: isize, size: usize, step: usize) -> Tensor {
        let out = self.data().unfold(dim, size, step);
        view_record(
            "unfold",
            self,
            out,
            Arc::new(move |t| t.unfold(dim, size, step)),
        )
    }

    /// A view with explicit shape, strides and storage offset (`torch.as_strided`). Elements
    /// read several times sum their gradients.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0, 3.0]).requires_grad_(true);
    /// let w = x.as_strided(&[2, 2], &[1, 1], 0); // [[1,2],[2,3]]
    /// w.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn as_strided(&self, shape: &[usize], strides: &[usize], storage_offset: usize) -> Tensor {
        let out = self.data().as_strided(shape, strides, storage_offset);
        let t = if any_requires_grad(&[self]) {
            let idx = Tensor::from_array(storage_index(
                self.data().layout(),
                out.layout(),
                self.data().storage().len(),
            ));
            let in_shape = isz(self.shape());
            let n = self.numel();
            record("as_strided", out, &[self], move |g, _| {
                let g = g[0].as_ref().expect("grad");
                smallvec![Some(
                    Tensor::zeros(&[n], g.dtype())
                        .index_add(0, &idx.reshape(&[-1]), &g.reshape(&[-1]), 1.0)
                        .reshape(&in_shape),
                )]
            })
        } else {
            Tensor::from_array(out)
        };
        mark_view(t, self)
    }

    /// A contiguous tensor with the same values: `self` when already contiguous, otherwise a
    /// copy (`Tensor.contiguous`). Differentiable.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[2, 3], ember_autograd::DType::F32);
    /// assert!(x.t().contiguous().is_contiguous());
    /// ```
    #[track_caller]
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            return self.clone();
        }
        let out = self.data().contiguous();
        record("contiguous", out, &[self], |g, _| smallvec![g[0].clone()])
    }

    /// A copy of the data that stays in the graph (`Tensor.clone`): the gradient passes through.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32]).requires_grad_(true);
    /// let c = x.clone_tensor();
    /// c.mul(3.0).backward();
    /// assert_eq!(x.grad().unwrap().item::<f32>(), 3.0);
    /// ```
    #[track_caller]
    pub fn clone_tensor(&self) -> Tensor {
        let out = self.data().clone_array();
        record("clone", out, &[self], |g, _| smallvec![g[0].clone()])
    }
}
