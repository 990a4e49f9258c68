//! Indexing, gathering and scattering. Gathers send gradients back with the matching scatter
//! (adding where an element was read twice); scatters send to each source element the
//! gradient of the place it was written to.

use ember_tensor::{Array, DType, PadMode};
use smallvec::smallvec;

use crate::ops::view::isz;
use crate::tensor::{Tensor, any_requires_grad, record};

/// `t` padded with zeros at the end of each dim up to `shape` (a gather of a smaller index
/// tensor gives a gradient for only part of a larger source).
fn pad_to(t: Tensor, shape: &[usize]) -> Tensor {
    if t.shape() == shape {
        return t;
    }
    let mut pads = vec![];
    for (have, want) in t.shape().iter().zip(shape).rev() {
        pads.push(0);
        pads.push(want - have);
    }
    t.pad(&pads, PadMode::Constant, 0.0)
}

impl Tensor {
    /// Rows (or slices along `dim`) picked by the integer tensor `index` (`torch.index_select`).
    /// Indices read twice sum their gradients.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0, 3.0]).requires_grad_(true);
    /// let y = x.index_select(0, &Tensor::from([2i64, 0, 2]));
    /// assert_eq!(y.to_vec::<f32>(), vec![3.0, 1.0, 3.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn index_select(&self, d: isize, index: &Tensor) -> Tensor {
        let out = self.data().index_select(d, index.data());
        let s = self.shape().to_vec();
        let idx = index.detach();
        record("index_select", out, &[self], move |g, _| {
            let g = g[0].as_ref().expect("grad");
            smallvec![Some(
                Tensor::zeros(&s, g.dtype()).index_add(d, &idx, g, 1.0),
            )]
        })
    }

    /// Adds `alpha·source` into the slices along `dim` named by `index` (`torch.index_add`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::zeros(&[3], ember_autograd::DType::F32);
    /// let src = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// let y = x.index_add(0, &Tensor::from([2i64, 2]), &src, 1.0);
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 0.0, 3.0]);
    /// y.mul(&Tensor::from([0.0f32, 0.0, 5.0])).sum().backward();
    /// assert_eq!(src.grad().unwrap().to_vec::<f32>(), vec![5.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn index_add(&self, d: isize, index: &Tensor, source: &Tensor, alpha: f64) -> Tensor {
        let out = self.data().clone_array();
        out.index_add_(d, index.data(), source.data(), alpha);
        if !any_requires_grad(&[self, source]) {
            return Tensor::from_array(out);
        }
        let idx = index.detach();
        record("index_add", out, &[self, source], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            smallvec![
                n[0].then(|| g.clone()),
                n[1].then(|| g.index_select(d, &idx).mul(alpha)),
            ]
        })
    }

    /// Elements picked along `dim` by `index` (same rank) (`torch.gather`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).requires_grad_(true);
    /// let y = x.gather(1, &Tensor::from([[1i64], [1]]));
    /// assert_eq!(y.to_vec::<f32>(), vec![2.0, 4.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn gather(&self, d: isize, index: &Tensor) -> Tensor {
        let out = self.data().gather(d, index.data());
        let s = self.shape().to_vec();
        let idx = index.detach();
        record("gather", out, &[self], move |g, _| {
            let g = g[0].as_ref().expect("grad");
            smallvec![Some(Tensor::zeros(&s, g.dtype()).scatter_add(d, &idx, g))]
        })
    }

    /// Writes `src` into a copy of `self` at `index` along `dim` (`torch.scatter`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0, 3.0]).requires_grad_(true);
    /// let src = Tensor::from([9.0f32]).requires_grad_(true);
    /// let y = x.scatter(0, &Tensor::from([1i64]), &src);
    /// assert_eq!(y.to_vec::<f32>(), vec![1.0, 9.0, 3.0]);
    /// y.mul(&Tensor::from([1.0f32, 2.0, 3.0])).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 3.0]);
    /// assert_eq!(src.grad().unwrap().to_vec::<f32>(), vec![2.0]);
    /// ```
    #[track_caller]
    pub fn scatter(&self, d: isize, index: &Tensor, src: &Tensor) -> Tensor {
        let out = self.data().scatter(d, index.data(), src.data());
        if !any_requires_grad(&[self, src]) {
            return Tensor::from_array(out);
        }
        let idx = index.detach();
        let ss = src.shape().to_vec();
        record("scatter", out, &[self, src], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            smallvec![
                n[0].then(|| g.scatter_value(d, &idx, 0.0)),
                n[1].then(|| pad_to(g.gather(d, &idx), &ss)),
            ]
        })
    }

    /// Writes `value` into a copy of `self` at `index` along `dim` (`torch.scatter` with a
    /// number).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// let y = x.scatter_value(0, &Tensor::from([0i64]), 5.0);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn scatter_value(&self, d: isize, index: &Tensor, value: f64) -> Tensor {
        let out = self.data().scatter_value(d, index.data(), value);
        let idx = index.detach();
        record("scatter_value", out, &[self], move |g, _| {
            smallvec![Some(
                g[0].as_ref().expect("grad").scatter_value(d, &idx, 0.0),
            )]
        })
    }

    /// Adds `src` into a copy of `self` at `index` along `dim` (`torch.scatter_add`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::zeros(&[2], ember_autograd::DType::F32);
    /// let src = Tensor::from([1.0f32, 2.0, 3.0]).requires_grad_(true);
    /// let y = x.scatter_add(0, &Tensor::from([0i64, 1, 0]), &src);
    /// assert_eq!(y.to_vec::<f32>(), vec![4.0, 2.0]);
    /// y.mul(&Tensor::from([10.0f32, 1.0])).sum().backward();
    /// assert_eq!(src.grad().unwrap().to_vec::<f32>(), vec![10.0, 1.0, 10.0]);
    /// ```
    #[track_caller]
    pub fn scatter_add(&self, d: isize, index: &Tensor, src: &Tensor) -> Tensor {
        let out = self.data().scatter_add(d, index.data(), src.data());
        if !any_requires_grad(&[self, src]) {
            return Tensor::from_array(out);
        }
        let idx = index.detach();
        let ss = src.shape().to_vec();
        record("scatter_add", out, &[self, src], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            smallvec![
                n[0].then(|| g.clone()),
                n[1].then(|| pad_to(g.gather(d, &idx), &ss)),
            ]
        })
    }

    /// Elements at flat indices `index` of the row-major flattened tensor (`torch.take`);
    /// negative indices count from the end.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).requires_grad_(true);
    /// let y = x.take(&Tensor::from([3i64, -1]));
    /// assert_eq!(y.to_vec::<f32>(), vec![4.0, 4.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 0.0, 0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn take(&self, index: &Tensor) -> Tensor {
        let out = self.data().take(index.data());
        let s = isz(self.shape());
        let n = self.numel();
        let idx = index.detach();
        record("take", out, &[self], move |g, _| {
            let g = g[0].as_ref().expect("grad");
            let flat = Tensor::from_array(idx.data().remainder(n.max(1) as i64).reshape(&[-1]));
            let acc = Tensor::zeros(&[n], g.dtype()).index_add(0, &flat, &g.reshape(&[-1]), 1.0);
            smallvec![Some(acc.reshape(&s))]
        })
    }

    /// The elements where the bool `mask` (broadcast to `self`) holds, as a 1-d tensor
    /// (`torch.masked_select`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0, 3.0]).requires_grad_(true);
    /// let y = x.masked_select(&Tensor::from([true, false, true]));
    /// assert_eq!(y.to_vec::<f32>(), vec![1.0, 3.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn masked_select(&self, mask: &Tensor) -> Tensor {
        let out = self.data().masked_select(mask.data());
        let s = self.shape().to_vec();
        let m = mask.detach();
        record("masked_select", out, &[self], move |g, _| {
            let g = g[0].as_ref().expect("grad");
            let full = ember_tensor::broadcast_shapes(&s, m.shape()).expect("checked in forward");
            let z = Tensor::zeros(&full, g.dtype());
            let mb = m.expand(&isz(&full));
            smallvec![Some(z.masked_scatter(&mb, g).sum_to_size(&s))]
        })
    }

    /// A copy of `self` with the elements where `mask` holds replaced, in order, by the first
    /// elements of `source` (`torch.masked_scatter`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0, 3.0]);
    /// let src = Tensor::from([7.0f32, 8.0, 9.0]).requires_grad_(true);
    /// let y = x.masked_scatter(&Tensor::from([false, true, true]), &src);
    /// assert_eq!(y.to_vec::<f32>(), vec![1.0, 7.0, 8.0]);
    /// y.sum().backward();
    /// assert_eq!(src.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn masked_scatter(&self, mask: &Tensor, source: &Tensor) -> Tensor {
        let out = self.data().masked_scatter(mask.data(), source.data());
        if !any_requires_grad(&[self, source]) {
            return Tensor::from_array(out);
        }
        let m = mask.detach();
        let (s, ss) = (self.shape().to_vec(), source.shape().to_vec());
        record("masked_scatter", out, &[self, source], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            smallvec![
                n[0].then(|| g.masked_fill(&m, 0.0).sum_to_size(&s)),
                n[1].then(|| {
                    let picked = g.masked_select(&m);
                    let total: usize = ss.iter().product();
                    pad_to(picked, &[total]).reshape(&isz(&ss))
                }),
            ]
        })
    }

    /// `self[indices] = values` on a copy (`torch.index_put`); with `accumulate`,
    /// `self[indices] += values`. `indices` are integer tensors for the leading dims,
    /// broadcast together.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::zeros(&[3], ember_autograd::DType::F32).requires_grad_(true);
    /// let v = Tensor::from([5.0f32]).requires_grad_(true);
    /// let y = x.index_put(&[&Tensor::from([1i64])], &v, false);
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 5.0, 0.0]);
    /// y.mul(&Tensor::from([1.0f32, 2.0, 3.0])).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 3.0]);
    /// assert_eq!(v.grad().unwrap().to_vec::<f32>(), vec![2.0]);
    /// ```
    #[track_caller]
    pub fn index_put(&self, indices: &[&Tensor], values: &Tensor, accumulate: bool) -> Tensor {
        let idx: Vec<&Array> = indices.iter().map(|t| t.data()).collect();
        let out = self.data().index_put(&idx, values.data(), accumulate);
        if !any_requires_grad(&[self, values]) {
            return Tensor::from_array(out);
        }
        let idx: Vec<Tensor> = indices.iter().map(|t| t.detach()).collect();
        let vs = values.shape().to_vec();
        record("index_put", out, &[self, values], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            let refs: Vec<&Tensor> = idx.iter().collect();
            smallvec![
                n[0].then(|| {
                    if accumulate {
                        g.clone()
                    } else {
                        g.index_put(&refs, &Tensor::zeros(&[], g.dtype()), false)
                    }
                }),
                n[1].then(|| g.index_get(&refs).sum_to_size(&vs)),
            ]
        })
    }

    /// `self[indices]` for integer index tensors on the leading dims, broadcast together
    /// (advanced indexing, PyTorch's `x[i, j]` with tensors). Differentiable.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let y = x.index_get(&[&Tensor::from([1i64, 0]), &Tensor::from([0i64, 0])]);
    /// assert_eq!(y.to_vec::<f32>(), vec![3.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn index_get(&self, indices: &[&Tensor]) -> Tensor {
        let k = indices.len();
        assert!(
            k <= self.ndim(),
            "index_get: {k} index tensors for a tensor with {} dims",
            self.ndim()
        );
        let shape = self.shape().to_vec();
        let mut bshape: Vec<usize> = vec![];
        for t in indices {
            bshape = match ember_tensor::broadcast_shapes(&bshape, t.shape()) {
                Some(b) => b.to_vec(),
                None => panic!(
                    "index_get: index shapes {:?} do not broadcast",
                    indices
                        .iter()
                        .map(|t| t.shape().to_vec())
                        .collect::<Vec<_>>()
                ),
            };
        }
        // The flat index over the first k dims, negative indices counting from the end.
        let mut flat = Array::zeros(&bshape, DType::I64);
        for (j, t) in indices.iter().enumerate() {
            let stride: usize = shape[j + 1..k].iter().product();
            let i = t
                .data()
                .to_dtype(DType::I64)
                .remainder(shape[j].max(1) as i64);
            flat = flat.add(&i.mul(stride as i64));
        }
        let lead: usize = shape[..k].iter().product();
        let mut rows: Vec<isize> = vec![lead as isize];
        rows.extend(shape[k..].iter().map(|&s| s as isize));
        let mut out_shape: Vec<isize> = isz(&bshape);
        out_shape.extend(shape[k..].iter().map(|&s| s as isize));
        self.reshape(&rows)
            .index_select(0, &Tensor::from_array(flat.reshape(&[-1])))
            .reshape(&out_shape)
    }

    /// One-hot encoding of an integer tensor (`torch.nn.functional.one_hot`); no gradient.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([0i64, 2]);
    /// assert_eq!(x.one_hot(Some(3)).to_vec::<i64>(), vec![1, 0, 0, 0, 0, 1]);
    /// ```
    #[track_caller]
    pub fn one_hot(&self, num_classes: Option<usize>) -> Tensor {
        Tensor::from_array(self.data().one_hot(num_classes))
    }

    /// Indices of the non-zero elements, one row each (`torch.nonzero`); no gradient.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([0.0f32, 1.0, 2.0]);
    /// assert_eq!(x.nonzero().to_vec::<i64>(), vec![1, 2]);
    /// ```
    pub fn nonzero(&self) -> Tensor {
        Tensor::from_array(self.data().nonzero())
    }
}
