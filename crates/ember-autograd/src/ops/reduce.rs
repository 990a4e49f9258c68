//! Reductions, statistics, softmax and scans. Gradients of reductions are broadcast back over
//! the reduced dims; max/min-like reductions send them to the selected elements (PyTorch's tie
//! rules: `max()`/`amax` split evenly among ties, `max_dim` picks the returned index).

use ember_tensor::{Array, DType};
use smallvec::smallvec;

use crate::ops::view::{dim, isz};
use crate::tensor::{Tensor, any_requires_grad, record, record_multi, record_with_output};

/// Normalized, sorted, de-duplicated dims; empty means all dims (PyTorch's `dim=None`).
fn dims_of(op: &str, dims: &[isize], ndim: usize) -> Vec<usize> {
    if dims.is_empty() {
        return (0..ndim).collect();
    }
    let mut d: Vec<usize> = dims.iter().map(|&x| dim(op, x, ndim)).collect();
    d.sort_unstable();
    d.dedup();
    d
}

/// The shape of a keepdim result: reduced dims become 1.
fn kept_shape(shape: &[usize], dims: &[usize]) -> Vec<isize> {
    shape
        .iter()
        .enumerate()
        .map(|(i, &s)| if dims.contains(&i) { 1 } else { s as isize })
        .collect()
}

/// `g` (the gradient of a reduction over `dims`) reshaped so it broadcasts against the input.
fn unreduce(g: &Tensor, in_shape: &[usize], dims: &[usize]) -> Tensor {
    g.reshape(&kept_shape(in_shape, dims))
}

/// Evenly splits `g` among the elements of `x` equal to `y` (the reduction's result, kept
/// dims): the gradient of `max()`, `amax`, `median()`.
fn evenly(g: &Tensor, x: &Tensor, y: &Tensor, in_shape: &[usize], dims: &[usize]) -> Tensor {
    let yk = unreduce(y, in_shape, dims);
    let mask = x.eq(&yk).to_dtype(g.dtype());
    let count = mask.sum_dim(&dims.iter().map(|&d| d as isize).collect::<Vec<_>>(), true);
    unreduce(g, in_shape, dims).mul(&mask).div(&count)
}

fn idims(d: &[usize]) -> Vec<isize> {
    d.iter().map(|&x| x as isize).collect()
}

impl Tensor {
    /// Sum of all elements (`torch.sum`). Gradient: `g` broadcast to every element.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).requires_grad_(true);
    /// let s = x.sum();
    /// assert_eq!(s.item::<f32>(), 10.0);
    /// s.backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0; 4]);
    /// ```
    #[track_caller]
    pub fn sum(&self) -> Tensor {
        let out = self.data().sum();
        let s = isz(self.shape());
        record("sum", out, &[self], move |g, _| {
            smallvec![Some(g[0].as_ref().expect("grad").expand(&s))]
        })
    }

    /// Sum over `dims` (all dims when empty), keeping them as size 1 with `keepdim`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).requires_grad_(true);
    /// let s = x.sum_dim(&[1], false);
    /// assert_eq!(s.to_vec::<f32>(), vec![3.0, 7.0]);
    /// s.mul(&Tensor::from([1.0f32, 10.0])).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0, 10.0, 10.0]);
    /// ```
    #[track_caller]
    pub fn sum_dim(&self, dims: &[isize], keepdim: bool) -> Tensor {
        let d = dims_of("sum_dim", dims, self.ndim());
        let out = self.data().sum_dim(&idims(&d), keepdim);
        let s = self.shape().to_vec();
        record("sum_dim", out, &[self], move |g, _| {
            smallvec![Some(
                unreduce(g[0].as_ref().expect("grad"), &s, &d).expand(&isz(&s)),
            )]
        })
    }

    /// Sums broadcast dims away so the result has `shape` (`Tensor.sum_to_size`): the inverse of
    /// broadcasting, used by every binary op's backward.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::ones(&[2, 3], ember_autograd::DType::F32);
    /// assert_eq!(x.sum_to_size(&[1, 3]).to_vec::<f32>(), vec![2.0; 3]);
    /// assert_eq!(x.sum_to_size(&[3]).shape(), &[3]);
    /// ```
    #[track_caller]
    pub fn sum_to_size(&self, shape: &[usize]) -> Tensor {
        if self.shape() == shape {
            return self.clone();
        }
        let nd = self.ndim();
        assert!(
            shape.len() <= nd,
            "sum_to_size: cannot sum shape {:?} to the larger rank shape {shape:?}",
            self.shape()
        );
        let lead = nd - shape.len();
        let mut dims: Vec<isize> = (0..lead as isize).collect();
        for (i, &s) in shape.iter().enumerate() {
            let have = self.shape()[lead + i];
            if s == 1 && have != 1 {
                dims.push((lead + i) as isize);
            } else {
                assert!(
                    s == have,
                    "sum_to_size: shape {:?} is not expandable from {shape:?}",
                    self.shape()
                );
            }
        }
        if dims.is_empty() {
            return self.reshape(&isz(shape));
        }
        self.sum_dim(&dims, true).reshape(&isz(shape))
    }

    /// Mean of all elements (`torch.mean`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 3.0]).requires_grad_(true);
    /// x.mean().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn mean(&self) -> Tensor {
        let out = self.data().mean();
        let s = isz(self.shape());
        let n = self.numel() as f64;
        record("mean", out, &[self], move |g, _| {
            smallvec![Some(g[0].as_ref().expect("grad").div(n).expand(&s))]
        })
    }

    /// Mean over `dims` (all when empty), with `keepdim`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 3.0], [5.0, 7.0]]).requires_grad_(true);
    /// assert_eq!(x.mean_dim(&[0], false).to_vec::<f32>(), vec![3.0, 5.0]);
    /// x.mean_dim(&[0], false).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.5; 4]);
    /// ```
    #[track_caller]
    pub fn mean_dim(&self, dims: &[isize], keepdim: bool) -> Tensor {
        let d = dims_of("mean_dim", dims, self.ndim());
        let out = self.data().mean_dim(&idims(&d), keepdim);
        let s = self.shape().to_vec();
        let n: usize = d.iter().map(|&i| s[i]).product();
        record("mean_dim", out, &[self], move |g, _| {
            let g = g[0].as_ref().expect("grad").div(n as f64);
            smallvec![Some(unreduce(&g, &s, &d).expand(&isz(&s)))]
        })
    }

    /// Product of all elements (`torch.prod`). Exact at zeros (products of the other elements).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([2.0f32, 0.0, 4.0]).requires_grad_(true);
    /// x.prod().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 8.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn prod(&self) -> Tensor {
        let out = self.data().prod();
        if !any_requires_grad(&[self]) {
            return Tensor::from_array(out);
        }
        let xs = self.save("prod");
        let s = isz(self.shape());
        record("prod", out, &[self], move |g, _| {
            let x = xs.unpack().reshape(&[-1]);
            let others = exclusive_prod(&x, 0);
            smallvec![Some(others.mul(g[0].as_ref().expect("grad")).reshape(&s))]
        })
    }

    /// Product over dim `dim` (`torch.prod(dim)`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[2.0f32, 3.0], [4.0, 5.0]]).requires_grad_(true);
    /// x.prod_dim(1, false).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 2.0, 5.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn prod_dim(&self, d: isize, keepdim: bool) -> Tensor {
        let dd = dim("prod_dim", d, self.ndim());
        let out = self.data().prod_dim(d, keepdim);
        if !any_requires_grad(&[self]) {
            return Tensor::from_array(out);
        }
        let xs = self.save("prod_dim");
        let s = self.shape().to_vec();
        record("prod_dim", out, &[self], move |g, _| {
            let g = unreduce(g[0].as_ref().expect("grad"), &s, &[dd]);
            smallvec![Some(exclusive_prod(&xs.unpack(), dd).mul(&g))]
        })
    }

    /// Largest element (`torch.max()`); the gradient is split evenly among ties.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 5.0, 5.0]).requires_grad_(true);
    /// x.max().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn max(&self) -> Tensor {
        let out = self.data().max();
        self.evenly_record("max", out, (0..self.ndim()).collect())
    }

    /// Smallest element (`torch.min()`); the gradient is split evenly among ties.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 5.0]).requires_grad_(true);
    /// x.min().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn min(&self) -> Tensor {
        let out = self.data().min();
        self.evenly_record("min", out, (0..self.ndim()).collect())
    }

    /// Maximum over `dims` (`torch.amax`); the gradient is split evenly among ties.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0], [4.0, 3.0]]).requires_grad_(true);
    /// x.amax(&[1], false).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn amax(&self, dims: &[isize], keepdim: bool) -> Tensor {
        let d = dims_of("amax", dims, self.ndim());
        let out = self.data().amax(&idims(&d), keepdim);
        self.evenly_record("amax", out, d)
    }

    /// Minimum over `dims` (`torch.amin`); the gradient is split evenly among ties.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0]]).requires_grad_(true);
    /// x.amin(&[1], false).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn amin(&self, dims: &[isize], keepdim: bool) -> Tensor {
        let d = dims_of("amin", dims, self.ndim());
        let out = self.data().amin(&idims(&d), keepdim);
        self.evenly_record("amin", out, d)
    }

    #[track_caller]
    fn evenly_record(&self, name: &'static str, out: Array, d: Vec<usize>) -> Tensor {
        if !any_requires_grad(&[self]) {
            return Tensor::from_array(out);
        }
        let xs = self.save(name);
        let s = self.shape().to_vec();
        record_with_output(name, out, &[self], move |ys| {
            move |g, _| {
                let g = g[0].as_ref().expect("grad");
                smallvec![Some(evenly(g, &xs.unpack(), &ys.unpack(), &s, &d))]
            }
        })
    }

    /// Maximum along `dim` and its index (`torch.max(dim)`); the gradient goes to that index.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 3.0], [4.0, 2.0]]).requires_grad_(true);
    /// let (v, i) = x.max_dim(1, false);
    /// assert_eq!(i.to_vec::<i64>(), vec![1, 0]);
    /// v.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn max_dim(&self, d: isize, keepdim: bool) -> (Tensor, Tensor) {
        let (v, i) = self.data().max_dim(d, keepdim);
        self.select_record("max_dim", v, i, d, keepdim)
    }

    /// Minimum along `dim` and its index (`torch.min(dim)`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 3.0]]).requires_grad_(true);
    /// let (v, _) = x.min_dim(1, false);
    /// v.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn min_dim(&self, d: isize, keepdim: bool) -> (Tensor, Tensor) {
        let (v, i) = self.data().min_dim(d, keepdim);
        self.select_record("min_dim", v, i, d, keepdim)
    }

    /// The k-th smallest element along `dim` and its index (`torch.kthvalue`, `k` from 1).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([3.0f32, 1.0, 2.0]).requires_grad_(true);
    /// let (v, i) = x.kthvalue(2, 0, false);
    /// assert_eq!((v.item::<f32>(), i.item::<i64>()), (2.0, 2));
    /// v.backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn kthvalue(&self, k: usize, d: isize, keepdim: bool) -> (Tensor, Tensor) {
        let (v, i) = self.data().kthvalue(k, d, keepdim);
        self.select_record("kthvalue", v, i, d, keepdim)
    }

    /// The lower median along `dim` and its index (`torch.median(dim)`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[3.0f32, 1.0, 2.0]]).requires_grad_(true);
    /// let (v, _) = x.median_dim(1, false);
    /// v.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn median_dim(&self, d: isize, keepdim: bool) -> (Tensor, Tensor) {
        let (v, i) = self.data().median_dim(d, keepdim);
        self.select_record("median_dim", v, i, d, keepdim)
    }

    /// The lower median of all elements (`torch.median()`); the gradient is split evenly
    /// among elements equal to it.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([3.0f32, 1.0, 2.0, 4.0]).requires_grad_(true);
    /// x.median().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn median(&self) -> Tensor {
        let out = self.data().median();
        self.evenly_record("median", out, (0..self.ndim()).collect())
    }

    #[track_caller]
    fn select_record(
        &self,
        name: &'static str,
        v: Array,
        i: Array,
        d: isize,
        keepdim: bool,
    ) -> (Tensor, Tensor) {
        let unsqueeze = !keepdim && self.ndim() > 0;
        self.indexed_record(name, v, i, d, unsqueeze)
    }

    /// Records an op returning values and the indices (along `d`) they were read from; the
    /// gradient of the values is added back at those indices (`unsqueeze`: the op dropped `d`).
    /// One mechanism for max_dim/kthvalue/median_dim, sort/topk and cummax/cummin.
    #[track_caller]
    fn indexed_record(
        &self,
        name: &'static str,
        v: Array,
        i: Array,
        d: isize,
        unsqueeze: bool,
    ) -> (Tensor, Tensor) {
        let dd = dim(name, d, self.ndim()) as isize;
        let s = self.shape().to_vec();
        let idx = Tensor::from_array(i.clone());
        let mut outs = record_multi(name, vec![v, i], &[true, false], &[self], move |g, _| {
            let Some(g) = g[0].as_ref() else {
                return smallvec![None];
            };
            let (g, idx) = if unsqueeze {
                (g.unsqueeze(dd), idx.unsqueeze(dd))
            } else {
                (g.clone(), idx.clone())
            };
            smallvec![Some(Tensor::zeros(&s, g.dtype()).scatter_add(dd, &idx, &g))]
        });
        let i = outs.pop().expect("two outputs");
        (outs.pop().expect("two outputs"), i)
    }

    /// Index of the largest element of the flattened tensor (`torch.argmax()`); no gradient.
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::from([1.0f32, 3.0]).argmax().item::<i64>(), 1);
    /// ```
    pub fn argmax(&self) -> Tensor {
        Tensor::from_array(self.data().argmax())
    }

    /// Indices of the largest elements along `dim` (`torch.argmax(dim)`); no gradient.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([[1.0f32, 3.0], [4.0, 2.0]]);
    /// assert_eq!(x.argmax_dim(1, false).to_vec::<i64>(), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn argmax_dim(&self, d: isize, keepdim: bool) -> Tensor {
        Tensor::from_array(self.data().argmax_dim(d, keepdim))
    }

    /// Index of the smallest element of the flattened tensor (`torch.argmin()`).
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::from([1.0f32, 3.0]).argmin().item::<i64>(), 0);
    /// ```
    pub fn argmin(&self) -> Tensor {
        Tensor::from_array(self.data().argmin())
    }

    /// Indices of the smallest elements along `dim` (`torch.argmin(dim)`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([[1.0f32, 3.0], [4.0, 2.0]]);
    /// assert_eq!(x.argmin_dim(1, false).to_vec::<i64>(), vec![0, 1]);
    /// ```
    #[track_caller]
    pub fn argmin_dim(&self, d: isize, keepdim: bool) -> Tensor {
        Tensor::from_array(self.data().argmin_dim(d, keepdim))
    }

    /// True when every element is non-zero (`torch.all`).
    ///
    /// ```
    /// assert!(ember_autograd::Tensor::from([true, true]).all().item::<bool>());
    /// ```
    pub fn all(&self) -> Tensor {
        Tensor::from_array(self.data().all())
    }

    /// True when any element is non-zero (`torch.any`).
    ///
    /// ```
    /// assert!(ember_autograd::Tensor::from([false, true]).any().item::<bool>());
    /// ```
    pub fn any(&self) -> Tensor {
        Tensor::from_array(self.data().any())
    }

    /// Variance of all elements with Bessel's `correction` (`torch.var`, 1 = unbiased).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f64, 2.0, 4.0]).requires_grad_(true);
    /// x.var(1.0).backward();
    /// // d var / dx_i = 2 (x_i - mean) / (n - 1)
    /// let m = 7.0 / 3.0;
    /// let want: Vec<f64> = [1.0, 2.0, 4.0].iter().map(|v| v - m).collect();
    /// let got = x.grad().unwrap().to_vec::<f64>();
    /// assert!(got.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-12));
    /// ```
    #[track_caller]
    pub fn var(&self, correction: f64) -> Tensor {
        self.var_dim(&[], correction, false)
    }

    /// Variance over `dims` (all when empty) with `correction` and `keepdim` (`torch.var`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 3.0], [2.0, 2.0]]).requires_grad_(true);
    /// assert_eq!(x.var_dim(&[1], 0.0, false).to_vec::<f32>(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn var_dim(&self, dims: &[isize], correction: f64, keepdim: bool) -> Tensor {
        let d = dims_of("var", dims, self.ndim());
        let out = self.data().var_dim(&idims(&d), correction, keepdim);
        if !any_requires_grad(&[self]) {
            return Tensor::from_array(out);
        }
        let xs = self.save("var");
        let s = self.shape().to_vec();
        let n: usize = d.iter().map(|&i| s[i]).product();
        record("var", out, &[self], move |g, _| {
            let x = xs.unpack();
            let centered = x.sub(&x.mean_dim(&idims(&d), true));
            let g = unreduce(g[0].as_ref().expect("grad"), &s, &d);
            smallvec![Some(centered.mul(&g).mul(2.0 / (n as f64 - correction)))]
        })
    }

    /// Standard deviation of all elements (`torch.std`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f64, 3.0]).requires_grad_(true);
    /// assert_eq!(x.std(0.0).item::<f64>(), 1.0);
    /// x.std(0.0).backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![-0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn std(&self, correction: f64) -> Tensor {
        self.std_dim(&[], correction, false)
    }

    /// Standard deviation over `dims` (`torch.std`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 3.0]]).requires_grad_(true);
    /// assert_eq!(x.std_dim(&[1], 0.0, false).to_vec::<f32>(), vec![1.0]);
    /// ```
    #[track_caller]
    pub fn std_dim(&self, dims: &[isize], correction: f64, keepdim: bool) -> Tensor {
        let d = dims_of("std", dims, self.ndim());
        let out = self.data().std_dim(&idims(&d), correction, keepdim);
        if !any_requires_grad(&[self]) {
            return Tensor::from_array(out);
        }
        let xs = self.save("std");
        let s = self.shape().to_vec();
        let n: usize = d.iter().map(|&i| s[i]).product();
        record_with_output("std", out, &[self], move |ys| {
            move |g, _| {
                let x = xs.unpack();
                let centered = x.sub(&x.mean_dim(&idims(&d), true));
                let g = unreduce(g[0].as_ref().expect("grad"), &s, &d);
                let y = unreduce(&ys.unpack(), &s, &d);
                smallvec![Some(centered.mul(&g.div(&y)).div(n as f64 - correction))]
            }
        })
    }

    /// The p-norm of all elements (`torch.linalg.vector_norm`; `p = f64::INFINITY` for max-abs).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([3.0f32, 4.0]).requires_grad_(true);
    /// let n = x.norm(2.0);
    /// assert_eq!(n.item::<f32>(), 5.0);
    /// n.backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.6, 0.8]);
    /// ```
    #[track_caller]
    pub fn norm(&self, p: f64) -> Tensor {
        self.norm_dim(p, &[], false)
    }

    /// The p-norm over `dims` (all when empty), with `keepdim`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[3.0f32, -4.0]]).requires_grad_(true);
    /// x.norm_dim(1.0, &[1], false).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, -1.0]);
    /// ```
    #[track_caller]
    pub fn norm_dim(&self, p: f64, dims: &[isize], keepdim: bool) -> Tensor {
        let d = dims_of("norm", dims, self.ndim());
        let out = self.data().norm_dim(p, &idims(&d), keepdim);
        if !any_requires_grad(&[self]) {
            return Tensor::from_array(out);
        }
        let xs = self.save("norm");
        let s = self.shape().to_vec();
        record_with_output("norm", out, &[self], move |ys| {
            move |g, _| {
                let x = xs.unpack();
                let g = unreduce(g[0].as_ref().expect("grad"), &s, &d);
                let y = unreduce(&ys.unpack(), &s, &d);
                let r = if p == 0.0 {
                    x.zeros_like()
                } else if p == 1.0 {
                    x.sign().mul(&g)
                } else if p.is_infinite() {
                    evenly(&g, &x.abs(), &y, &s, &d).mul(&x.sign())
                } else if p == 2.0 {
                    // x / ‖x‖, with 0 where the norm is 0 (PyTorch's subgradient)
                    x.mul(&g).div(&y).masked_fill(&y.eq(0.0), 0.0)
                } else {
                    let a = x.abs();
                    x.sign()
                        .mul(&a.pow(p - 1.0))
                        .mul(&g)
                        .div(&y.pow(p - 1.0))
                        .masked_fill(&y.eq(0.0), 0.0)
                };
                smallvec![Some(r)]
            }
        })
    }

    /// `log(sum(exp(x)))` over `dims`, computed stably (`torch.logsumexp`).
    /// Gradient: `g·softmax(x)` over those dims.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([0.0f64, 0.0]).requires_grad_(true);
    /// x.logsumexp(&[0], false).backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn logsumexp(&self, dims: &[isize], keepdim: bool) -> Tensor {
        let d = dims_of("logsumexp", dims, self.ndim());
        let out = self.data().logsumexp(&idims(&d), keepdim);
        if !any_requires_grad(&[self]) {
            return Tensor::from_array(out);
        }
        let xs = self.save("logsumexp");
        let s = self.shape().to_vec();
        record_with_output("logsumexp", out, &[self], move |ys| {
            move |g, _| {
                let g = unreduce(g[0].as_ref().expect("grad"), &s, &d);
                let y = unreduce(&ys.unpack(), &s, &d);
                smallvec![Some(xs.unpack().sub(&y).exp().mul(&g))]
            }
        })
    }

    /// Softmax along `dim` (`torch.softmax`). Gradient: `y·(g - Σ g·y)`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 1.0]).requires_grad_(true);
    /// let y = x.softmax(0);
    /// assert_eq!(y.to_vec::<f32>(), vec![0.5, 0.5]);
    /// y.mul(&Tensor::from([1.0f32, 0.0])).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.25, -0.25]);
    /// ```
    #[track_caller]
    pub fn softmax(&self, d: isize) -> Tensor {
        let dd = dim("softmax", d, self.ndim()) as isize;
        let x = self.data();
        let out = if x.numel() == 0 {
            x.clone()
        } else {
            let e = x.sub(&x.amax(&[dd], true)).exp();
            e.div(&e.sum_dim(&[dd], true))
        };
        record_with_output("softmax", out, &[self], move |ys| {
            move |g, _| {
                let g = g[0].as_ref().expect("grad");
                let y = ys.unpack();
                smallvec![Some(y.mul(&g.sub(&g.mul(&y).sum_dim(&[dd], true))))]
            }
        })
    }

    /// Log of the softmax along `dim`, computed stably (`torch.log_softmax`).
    /// Gradient: `g - softmax(x)·Σ g`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([0.0f64, 0.0]).requires_grad_(true);
    /// x.log_softmax(0).select(0, 0).backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.5, -0.5]);
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, d: isize) -> Tensor {
        let dd = dim("log_softmax", d, self.ndim()) as isize;
        let x = self.data();
        let out = if x.numel() == 0 {
            x.clone()
        } else {
            x.sub(&x.logsumexp(&[dd], true))
        };
        record_with_output("log_softmax", out, &[self], move |ys| {
            move |g, _| {
                let g = g[0].as_ref().expect("grad");
                let p = ys.unpack().exp();
                smallvec![Some(g.sub(&p.mul(&g.sum_dim(&[dd], true))))]
            }
        })
    }

    /// Cumulative sum along `dim` (`torch.cumsum`). Gradient: reversed cumulative sum of `g`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0, 3.0]).requires_grad_(true);
    /// x.cumsum(0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn cumsum(&self, d: isize) -> Tensor {
        let out = self.data().cumsum(d);
        record("cumsum", out, &[self], move |g, _| {
            smallvec![Some(
                g[0].as_ref().expect("grad").flip(&[d]).cumsum(d).flip(&[d]),
            )]
        })
    }

    /// Cumulative product along `dim` (`torch.cumprod`). Exact at zeros.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([2.0f32, 3.0, 4.0]).requires_grad_(true);
    /// x.cumprod(0).sum().backward(); // y = [x0, x0 x1, x0 x1 x2]
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0 + 3.0 + 12.0, 2.0 + 8.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn cumprod(&self, d: isize) -> Tensor {
        let dd = dim("cumprod", d, self.ndim());
        let out = self.data().cumprod(d);
        if !any_requires_grad(&[self]) {
            return Tensor::from_array(out);
        }
        let xs = self.save("cumprod");
        record_with_output("cumprod", out, &[self], move |ys| {
            move |g, _| {
                let g = g[0].as_ref().expect("grad");
                let x = xs.unpack();
                let di = dd as isize;
                let has_zero = x.data().eq(0.0).any().item::<bool>();
                if !has_zero {
                    let y = ys.unpack();
                    return smallvec![Some(g.mul(&y).flip(&[di]).cumsum(di).flip(&[di]).div(&x))];
                }
                // With zeros: grad_i = Σ_{k≥i} g_k Π_{j≤k, j≠i} x_j, one cumprod per position.
                let n = x.shape()[dd];
                let mut parts = Vec::with_capacity(n);
                for i in 0..n {
                    let mut pieces = vec![];
                    if i > 0 {
                        pieces.push(x.narrow(di, 0, i));
                    }
                    pieces.push(x.narrow(di, i, 1).ones_like());
                    if i + 1 < n {
                        pieces.push(x.narrow(di, i + 1, n - i - 1));
                    }
                    let xi = Tensor::cat(&pieces.iter().collect::<Vec<_>>(), di);
                    let c = xi.cumprod(di).mul(g).narrow(di, i, n - i);
                    parts.push(c.sum_dim(&[di], true));
                }
                smallvec![Some(Tensor::cat(&parts.iter().collect::<Vec<_>>(), di))]
            }
        })
    }

    /// `log(cumsum(exp(x)))` along `dim`, computed stably (`torch.logcumsumexp`); the gradient
    /// is stable too, however far apart the values are.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([0.0f64, 0.0]).requires_grad_(true);
    /// x.logcumsumexp(0).select(0, 1).backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.5, 0.5]);
    /// let w = Tensor::from([-100.0f32, 100.0]).requires_grad_(true);
    /// w.logcumsumexp(0).select(0, 1).backward(); // softmax([-100, 100])
    /// assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn logcumsumexp(&self, d: isize) -> Tensor {
        let out = self.data().logcumsumexp(d);
        if !any_requires_grad(&[self]) {
            return Tensor::from_array(out);
        }
        let xs = self.save("logcumsumexp");
        record_with_output("logcumsumexp", out, &[self], move |ys| {
            move |g, _| {
                // grad_i = Σ_{k≥i} g_k exp(x_i - y_k), summed in log space (as PyTorch does):
                // the positive and negative parts of g each go through a reversed
                // logcumsumexp of log|g_k| - y_k, so no exponential over- or underflows however
                // far apart the values are. `lowest` stands for log 0 and keeps it all finite.
                let g = g[0].as_ref().expect("grad");
                let (x, y) = (xs.unpack(), ys.unpack());
                let low = lowest(g.dtype());
                let (pos, neg) = (g.gt(0.0), g.lt(0.0));
                // log|g| where g ≠ 0 (log 1 elsewhere, so no 0 reaches log even in double
                // backward)
                let log_abs = Tensor::where_cond(&pos.logical_or(&neg), &g.abs(), 1.0).log();
                let part = |mask: &Tensor| {
                    let l = Tensor::where_cond(mask, &log_abs, low).sub(&y);
                    l.flip(&[d]).logcumsumexp(d).flip(&[d]).add(&x).exp()
                };
                smallvec![Some(part(&pos).sub(&part(&neg)))]
            }
        })
    }

    /// Running maximum along `dim` and its indices (`torch.cummax`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 3.0, 2.0]).requires_grad_(true);
    /// let (v, i) = x.cummax(0);
    /// assert_eq!(i.to_vec::<i64>(), vec![0, 1, 1]);
    /// v.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn cummax(&self, d: isize) -> (Tensor, Tensor) {
        let (v, i) = self.data().cummax(d);
        self.indexed_record("cummax", v, i, d, false)
    }

    /// Running minimum along `dim` and its indices (`torch.cummin`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([2.0f32, 1.0, 3.0]).requires_grad_(true);
    /// let (v, _) = x.cummin(0);
    /// v.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn cummin(&self, d: isize) -> (Tensor, Tensor) {
        let (v, i) = self.data().cummin(d);
        self.indexed_record("cummin", v, i, d, false)
    }

    /// Sorts along `dim` (`torch.sort`), returning values and the indices they came from.
    /// Stable. Gradients go back to the original positions.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([3.0f32, 1.0, 2.0]).requires_grad_(true);
    /// let (v, i) = x.sort(0, false);
    /// assert_eq!(i.to_vec::<i64>(), vec![1, 2, 0]);
    /// v.mul(&Tensor::from([1.0f32, 2.0, 3.0])).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn sort(&self, d: isize, descending: bool) -> (Tensor, Tensor) {
        let (v, i) = self.data().sort(d, descending);
        self.indexed_record("sort", v, i, d, false)
    }

    /// The `k` largest (or smallest) elements along `dim` and their indices (`torch.topk`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([3.0f32, 1.0, 2.0]).requires_grad_(true);
    /// let (v, _) = x.topk(2, 0, true, true);
    /// assert_eq!(v.to_vec::<f32>(), vec![3.0, 2.0]);
    /// v.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn topk(&self, k: usize, d: isize, largest: bool, sorted: bool) -> (Tensor, Tensor) {
        let (v, i) = self.data().topk(k, d, largest, sorted);
        self.indexed_record("topk", v, i, d, false)
    }

    /// Indices that sort along `dim` (`torch.argsort`); no gradient.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([3.0f32, 1.0, 2.0]);
    /// assert_eq!(x.argsort(0, false).to_vec::<i64>(), vec![1, 2, 0]);
    /// ```
    #[track_caller]
    pub fn argsort(&self, d: isize, descending: bool) -> Tensor {
        Tensor::from_array(self.data().argsort(d, descending))
    }
}

/// The most negative finite value of the float dtype `dtype` (a finite stand-in for `log 0`).
fn lowest(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => f64::MIN,
        DType::F32 => f32::MIN as f64,
        DType::F16 => ember_tensor::f16::MIN.to_f64(),
        DType::BF16 => ember_tensor::bf16::MIN.to_f64(),
        d => panic!("lowest: {d:?} is not a floating dtype"),
    }
}

/// For each element along `d`, the product of the other elements of its line (exact at zeros):
/// exclusive cumulative products from both ends.
fn exclusive_prod(x: &Tensor, d: usize) -> Tensor {
    let n = x.shape()[d];
    let di = d as isize;
    if n == 0 {
        return x.clone();
    }
    let one = x.narrow(di, 0, 1).ones_like();
    let left = if n > 1 {
        Tensor::cat(&[&one, &x.narrow(di, 0, n - 1).cumprod(di)], di)
    } else {
        one.clone()
    };
    let xf = x.flip(&[di]);
    let right = if n > 1 {
        Tensor::cat(&[&one, &xf.narrow(di, 0, n - 1).cumprod(di)], di).flip(&[di])
    } else {
        one
    };
    left.mul(&right)
}
