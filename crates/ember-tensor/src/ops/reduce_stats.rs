//! Statistics built on the reduction engine: var, std, vector norms, logsumexp. All need a
//! floating input (logsumexp turns integers into f32, as PyTorch); f16/bf16 compute in f32.

use num_traits::{Float, One, Zero};

use crate::Array;
use crate::dtype::{DType, Scalar};
use crate::ops::map::{map1, map2};
use crate::ops::reduce::{
    dims_mask, extreme_mask, mean_mask, out_shape, reduce_new, reduced_count, sum_mask,
};
use crate::ops::reduce_kernels::{FloatElem, Fold};

/// Variance over `mask` with Bessel-style `correction`, two-pass (mean, then squared
/// deviations) for accuracy; `std` takes the square root before rounding to the input dtype.
#[track_caller]
fn var_mask(x: &Array, mask: &[bool], correction: Scalar, keepdim: bool, std: bool) -> Array {
    let op = if std { "std" } else { "var" };
    let dt = x.dtype();
    assert!(
        dt.is_floating_point(),
        "{op}(): std and var only support floating point dtypes, got {dt} (convert with \
         .to_dtype(DType::F32))"
    );
    let k = reduced_count(x.shape(), mask);
    let wd = if dt == DType::F64 {
        DType::F64
    } else {
        DType::F32
    };
    let xw = x.to_dtype(wd);
    let mean = mean_mask(&xw, mask, true, op);
    let sq = match wd {
        DType::F64 => map2::<f64, f64, f64>(&xw, &mean, op, |a, m| (a - m) * (a - m)),
        _ => map2::<f32, f32, f32>(&xw, &mean, op, |a, m| (a - m) * (a - m)),
    };
    let denom = (k as f64 - correction.to_f64()).max(0.0);
    let v = sum_mask(&sq, mask, keepdim).div(denom);
    let v = if std { v.sqrt() } else { v };
    v.to_dtype(dt)
}

#[track_caller]
fn norm_mask(x: &Array, p: f64, mask: &[bool], keepdim: bool) -> Array {
    let dt = x.dtype();
    assert!(
        dt.is_floating_point(),
        "norm: expected a floating point array as input, got {dt} (convert with \
         .to_dtype(DType::F32))"
    );
    if p.is_infinite() && reduced_count(x.shape(), mask) == 0 {
        panic!(
            "norm: cannot compute the {p} norm on an empty array of shape {:?} because the \
             operation does not have an identity",
            x.shape()
        );
    }
    fn go<T: FloatElem>(x: &Array, p: f64, mask: &[bool], keepdim: bool) -> Array {
        type F<T> = <T as FloatElem>::F;
        let zero = F::<T>::zero();
        let add = |a: F<T>, b: F<T>| a + b;
        if p == 2.0 {
            let r = Fold {
                init: zero,
                map: |v: T| v.up() * v.up(),
                fold: add,
            };
            reduce_new::<T, _, T>(x, mask, keepdim, &r, |s| T::down(s.sqrt()))
        } else if p == 1.0 {
            let r = Fold {
                init: zero,
                map: |v: T| v.up().abs(),
                fold: add,
            };
            reduce_new::<T, _, T>(x, mask, keepdim, &r, T::down)
        } else if p == 0.0 {
            let one = F::<T>::one();
            let r = Fold {
                init: zero,
                map: |v: T| if v.up() != zero { one } else { zero },
                fold: add,
            };
            reduce_new::<T, _, T>(x, mask, keepdim, &r, T::down)
        } else if p == f64::INFINITY {
            let r = Fold {
                init: zero,
                map: |v: T| v.up().abs(),
                fold: |a: F<T>, b: F<T>| if b > a || b.is_nan() { b } else { a },
            };
            reduce_new::<T, _, T>(x, mask, keepdim, &r, T::down)
        } else if p == f64::NEG_INFINITY {
            let r = Fold {
                init: F::<T>::infinity(),
                map: |v: T| v.up().abs(),
                fold: |a: F<T>, b: F<T>| if b < a || b.is_nan() { b } else { a },
            };
            reduce_new::<T, _, T>(x, mask, keepdim, &r, T::down)
        } else {
            let pf = <F<T> as num_traits::NumCast>::from(p).unwrap();
            let inv = <F<T> as num_traits::NumCast>::from(1.0 / p).unwrap();
            let r = Fold {
                init: zero,
                map: |v: T| v.up().abs().powf(pf),
                fold: add,
            };
            reduce_new::<T, _, T>(x, mask, keepdim, &r, |s| T::down(s.powf(inv)))
        }
    }
    crate::dispatch_float!(dt, T => go::<T>(x, p, mask, keepdim), unreachable!())
}

impl Array {
    /// Variance of all elements as a 0-d array (`torch.var(x, correction=c)`): the sum of
    /// squared deviations from the mean divided by `max(0, N - correction)`. `correction` is a
    /// number (`1` is PyTorch's default, the unbiased estimate; `0` the population variance).
    ///
    /// # Panics
    /// For integer and bool arrays.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f64, 2.0, 3.0, 4.0]);
    /// assert!((a.var(1).item::<f64>() - 5.0 / 3.0).abs() < 1e-12);
    /// assert_eq!(a.var(0.0).item::<f64>(), 1.25);
    /// ```
    #[track_caller]
    pub fn var(&self, correction: impl Into<Scalar>) -> Array {
        var_mask(
            self,
            &vec![true; self.ndim()],
            correction.into(),
            false,
            false,
        )
    }

    /// Variance over `dims` (`torch.var(x, dims, correction=c, keepdim)`); an empty `dims` means
    /// all dims. With `N - correction <= 0` the result is inf or NaN, as PyTorch.
    ///
    /// # Panics
    /// For integer and bool arrays, or if a dim is out of range or repeated.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 3.0], [2.0, 2.0]]);
    /// assert_eq!(a.var_dim(&[1], 1, false).to_vec::<f32>(), vec![2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn var_dim(&self, dims: &[isize], correction: impl Into<Scalar>, keepdim: bool) -> Array {
        let mask = dims_mask("var_dim", dims, self.ndim());
        var_mask(self, &mask, correction.into(), keepdim, false)
    }

    /// Standard deviation of all elements (`torch.std(x, correction=c)`), the square root of
    /// [`var`](Array::var).
    ///
    /// # Panics
    /// For integer and bool arrays.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f64, 3.0]);
    /// assert_eq!(a.std(0).item::<f64>(), 1.0);
    /// ```
    #[track_caller]
    pub fn std(&self, correction: impl Into<Scalar>) -> Array {
        var_mask(
            self,
            &vec![true; self.ndim()],
            correction.into(),
            false,
            true,
        )
    }

    /// Standard deviation over `dims` (`torch.std(x, dims, correction=c, keepdim)`); an empty
    /// `dims` means all dims.
    ///
    /// # Panics
    /// For integer and bool arrays, or if a dim is out of range or repeated.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 3.0], [2.0, 2.0]]);
    /// assert_eq!(a.std_dim(&[0], 0, true).to_vec::<f32>(), vec![0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn std_dim(&self, dims: &[isize], correction: impl Into<Scalar>, keepdim: bool) -> Array {
        let mask = dims_mask("std_dim", dims, self.ndim());
        var_mask(self, &mask, correction.into(), keepdim, true)
    }

    /// The vector p-norm of all elements as a 0-d array (`torch.linalg.vector_norm(x, p)`):
    /// `p = 2` is the Euclidean ("fro") norm, `1` the sum of absolute values, `f64::INFINITY`
    /// the largest absolute value, `f64::NEG_INFINITY` the smallest, `0` the number of nonzero
    /// elements, any other `p` gives `(Σ|x|^p)^(1/p)`.
    ///
    /// # Panics
    /// For integer and bool arrays; for `p = ±inf` on an empty array.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([3.0f32, -4.0]);
    /// assert_eq!(a.norm(2.0).item::<f32>(), 5.0);
    /// assert_eq!(a.norm(1.0).item::<f32>(), 7.0);
    /// assert_eq!(a.norm(f64::INFINITY).item::<f32>(), 4.0);
    /// ```
    #[track_caller]
    pub fn norm(&self, p: f64) -> Array {
        norm_mask(self, p, &vec![true; self.ndim()], false)
    }

    /// The vector p-norm over `dims` (`torch.linalg.vector_norm(x, p, dims, keepdim)`), with the
    /// `p` of [`norm`](Array::norm); an empty `dims` means all dims.
    ///
    /// # Panics
    /// For integer and bool arrays, a dim out of range or repeated, or `p = ±inf` over a size-0
    /// dim.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[3.0f64, 4.0], [1.0, 0.0]]);
    /// assert_eq!(a.norm_dim(2.0, &[1], false).to_vec::<f64>(), vec![5.0, 1.0]);
    /// assert_eq!(a.norm_dim(0.0, &[-1], true).to_vec::<f64>(), vec![2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn norm_dim(&self, p: f64, dims: &[isize], keepdim: bool) -> Array {
        let mask = dims_mask("norm_dim", dims, self.ndim());
        norm_mask(self, p, &mask, keepdim)
    }

    /// `log(Σ exp(x))` over `dims`, computed stably by subtracting the maximum
    /// (`torch.logsumexp`). Integer and bool inputs give f32. An empty `dims` means all dims; a
    /// size-0 dim gives `-inf`; all `-inf` inputs give `-inf`.
    ///
    /// # Panics
    /// If a dim is out of range or repeated.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[0.0f64, 0.0], [1000.0, 1000.0]]);
    /// let r = a.logsumexp(&[1], false).to_vec::<f64>();
    /// assert!((r[0] - 2f64.ln()).abs() < 1e-12 && (r[1] - (1000.0 + 2f64.ln())).abs() < 1e-9);
    /// ```
    #[track_caller]
    pub fn logsumexp(&self, dims: &[isize], keepdim: bool) -> Array {
        let mask = dims_mask("logsumexp", dims, self.ndim());
        let x = if self.dtype().is_floating_point() {
            self.clone()
        } else {
            self.to_dtype(DType::F32)
        };
        if reduced_count(x.shape(), &mask) == 0 {
            return Array::full(
                &out_shape(x.shape(), &mask, keepdim),
                f64::NEG_INFINITY,
                x.dtype(),
            );
        }
        fn go<T: FloatElem>(x: &Array, mask: &[bool], keepdim: bool) -> Array {
            // An infinite max would give inf - inf = NaN: shift by 0 there instead (PyTorch).
            let m = extreme_mask(x, mask, true, true, "logsumexp");
            let m = map1::<T, T::F>(&m, |v| {
                let f = v.up();
                if f.is_infinite() { T::F::zero() } else { f }
            });
            let e = map2::<T, T::F, T::F>(x, &m, "logsumexp", |a, b| (a.up() - b).exp());
            let s = sum_mask(&e, mask, true);
            let r = map2::<T::F, T::F, T>(&s, &m, "logsumexp", |s, m| T::down(s.ln() + m));
            if keepdim {
                r
            } else {
                let shape: Vec<isize> = out_shape(x.shape(), mask, false)
                    .iter()
                    .map(|&n| n as isize)
                    .collect();
                r.reshape(&shape)
            }
        }
        crate::dispatch_float!(x.dtype(), T => go::<T>(&x, &mask, keepdim), unreachable!())
    }
}
