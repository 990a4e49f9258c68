//! Reductions: sum, mean, prod, max/min (with indices), argmax/argmin, amax/amin, all/any,
//! count_nonzero. Statistics (var, std, norm, logsumexp) are in `reduce_stats.rs`; the kernels
//! (one engine for all of them) in `reduce_kernels.rs`.
//!
//! Conventions, as PyTorch: `dims` may be negative and may not repeat; `keepdim` keeps the
//! reduced dims with size 1. sum/prod of integers and bools give `I64`; f16/bf16 accumulate in
//! f32. Over a size-0 dim, sum gives 0, prod 1, mean NaN, all true, any false; max/min/amax/
//! argmax have no identity and panic.

use crate::Array;
use crate::dtype::Element;
use crate::layout::normalize_dim;
use crate::ops::reduce_kernels::{
    Accum, ArgExtreme, FloatElem, Fold, ReduceElem, Reducer, Sum, is_nan, reduce_into,
};

/// Which dims `dims` reduces (all when empty), panicking on repeats.
#[track_caller]
pub(crate) fn dims_mask(op: &str, dims: &[isize], ndim: usize) -> Vec<bool> {
    let mut mask = vec![dims.is_empty(); ndim];
    for &d in dims {
        let n = normalize_dim(op, d, ndim);
        if ndim == 0 {
            continue;
        }
        assert!(
            !mask[n],
            "{op}: dim {n} appears multiple times in the list of dims {dims:?}"
        );
        mask[n] = true;
    }
    mask
}

/// The output shape of a reduction over `mask`.
pub(crate) fn out_shape(shape: &[usize], mask: &[bool], keepdim: bool) -> Vec<usize> {
    shape
        .iter()
        .zip(mask)
        .filter_map(|(&n, &r)| match (r, keepdim) {
            (false, _) => Some(n),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect()
}

/// How many elements each output reduces.
pub(crate) fn reduced_count(shape: &[usize], mask: &[bool]) -> usize {
    shape
        .iter()
        .zip(mask)
        .filter(|(_, r)| **r)
        .map(|(n, _)| n)
        .product()
}

/// Runs reducer `r` into a new array of `U`.
pub(crate) fn reduce_new<T: Element, R: Reducer<T>, U: Element>(
    x: &Array,
    mask: &[bool],
    keepdim: bool,
    r: &R,
    finish: impl Fn(R::Acc) -> U + Sync,
) -> Array {
    let shape = out_shape(x.shape(), mask, keepdim);
    let mut out = U::pool().take_uninit(shape.iter().product());
    reduce_into(x, mask, r, &mut out, finish);
    Array::from_contiguous(out, &shape)
}

pub(crate) fn sum_mask(x: &Array, mask: &[bool], keepdim: bool) -> Array {
    fn go<T: ReduceElem>(x: &Array, mask: &[bool], keepdim: bool) -> Array {
        reduce_new::<T, _, T::Out>(x, mask, keepdim, &Sum, T::out)
    }
    crate::dispatch!(x.dtype(), T => go::<T>(x, mask, keepdim))
}

#[track_caller]
pub(crate) fn mean_mask(x: &Array, mask: &[bool], keepdim: bool, op: &str) -> Array {
    // The sum's accumulator is the compute type for every float (f32 for f16/bf16), so the
    // mean is the sum (with its contiguous kernel) divided by the count.
    fn go<T: FloatElem + ReduceElem<W = <T as FloatElem>::F>>(
        x: &Array,
        mask: &[bool],
        keepdim: bool,
    ) -> Array {
        let k = reduced_count(x.shape(), mask);
        let n = <T::F as num_traits::NumCast>::from(k).unwrap();
        reduce_new::<T, _, T>(x, mask, keepdim, &Sum, |s: T::F| T::down(s / n))
    }
    crate::dispatch_float!(x.dtype(), T => go::<T>(x, mask, keepdim), panic!(
        "{op}(): could not infer output dtype. Input dtype must be either a floating point or \
         complex dtype. Got: {} (convert with .to_dtype(DType::F32))",
        x.dtype()
    ))
}

fn prod_mask(x: &Array, mask: &[bool], keepdim: bool) -> Array {
    fn go<T: ReduceElem>(x: &Array, mask: &[bool], keepdim: bool) -> Array {
        let r = Fold {
            init: T::W::ONE,
            map: |v: T| v.widen(),
            fold: |a: T::W, b: T::W| a.mul(b),
        };
        reduce_new::<T, _, T::Out>(x, mask, keepdim, &r, T::out)
    }
    crate::dispatch!(x.dtype(), T => go::<T>(x, mask, keepdim))
}

/// amax/amin over `mask`; NaN propagates. `op` names the caller in the panic for size 0.
#[track_caller]
pub(crate) fn extreme_mask(x: &Array, mask: &[bool], keepdim: bool, max: bool, op: &str) -> Array {
    if reduced_count(x.shape(), mask) == 0 {
        if x.numel() == 0 && mask.iter().all(|&r| r) && (op == "max" || op == "min") {
            panic!(
                "{op}(): Expected reduction dim to be specified for input.numel() == 0. \
                 Specify the reduction dim with the 'dim' argument."
            );
        }
        panic!(
            "{op}(): cannot perform reduction function {op} on tensor with no elements because \
             the operation does not have an identity (shape {:?})",
            x.shape()
        );
    }
    fn go<T: ReduceElem>(x: &Array, mask: &[bool], keepdim: bool, max: bool) -> Array {
        // `b > a || b is NaN`: a NaN accumulator never leaves, a NaN element always enters.
        if max {
            let r = Fold {
                init: T::LOWEST,
                map: |v: T| v,
                fold: |a: T, b: T| if b > a || is_nan(b) { b } else { a },
            };
            reduce_new::<T, _, T>(x, mask, keepdim, &r, |v| v)
        } else {
            let r = Fold {
                init: T::HIGHEST,
                map: |v: T| v,
                fold: |a: T, b: T| if b < a || is_nan(b) { b } else { a },
            };
            reduce_new::<T, _, T>(x, mask, keepdim, &r, |v| v)
        }
    }
    crate::dispatch!(x.dtype(), T => go::<T>(x, mask, keepdim, max))
}

/// (values, indices) of the extreme over `mask` (one dim, or all for the flat arg ops).
#[track_caller]
fn arg_extreme(x: &Array, mask: &[bool], keepdim: bool, max: bool, op: &str) -> (Array, Array) {
    if reduced_count(x.shape(), mask) == 0 {
        match mask.iter().position(|&r| r) {
            Some(d) if mask.iter().filter(|&&r| r).count() == 1 => panic!(
                "{op}(): Expected reduction dim {d} to have non-zero size (shape {:?})",
                x.shape()
            ),
            _ => panic!("{op}(): Expected reduction dim to be specified for input.numel() == 0."),
        }
    }
    fn go<T: Element>(x: &Array, mask: &[bool], keepdim: bool, max: bool) -> (Array, Array) {
        let shape = out_shape(x.shape(), mask, keepdim);
        let m: usize = shape.iter().product();
        let mut pairs: Vec<(T, usize)> = vec![(T::ZERO, 0); m];
        reduce_into(x, mask, &ArgExtreme { max }, &mut pairs, |a| a);
        let mut values = T::pool().take_uninit(m);
        let mut indices = i64::pool().take_uninit(m);
        for ((v, i), (pv, pi)) in values.iter_mut().zip(indices.iter_mut()).zip(pairs) {
            *v = pv;
            *i = pi as i64;
        }
        (
            Array::from_contiguous(values, &shape),
            Array::from_contiguous(indices, &shape),
        )
    }
    crate::dispatch!(x.dtype(), T => go::<T>(x, mask, keepdim, max))
}

fn one_dim(op: &str, dim: isize, ndim: usize) -> Vec<bool> {
    dims_mask(op, &[dim], ndim)
}

fn truth_fold<T: Element>(x: &Array, mask: &[bool], keepdim: bool, all: bool) -> Array {
    if all {
        let r = Fold {
            init: true,
            map: |v: T| v != T::ZERO,
            fold: |a: bool, b: bool| a & b,
        };
        reduce_new::<T, _, bool>(x, mask, keepdim, &r, |v| v)
    } else {
        let r = Fold {
            init: false,
            map: |v: T| v != T::ZERO,
            fold: |a: bool, b: bool| a | b,
        };
        reduce_new::<T, _, bool>(x, mask, keepdim, &r, |v| v)
    }
}

fn count_mask(x: &Array, mask: &[bool]) -> Array {
    fn go<T: Element>(x: &Array, mask: &[bool]) -> Array {
        let r = Fold {
            init: 0i64,
            map: |v: T| (v != T::ZERO) as i64,
            fold: |a: i64, b: i64| a + b,
        };
        reduce_new::<T, _, i64>(x, mask, false, &r, |v| v)
    }
    crate::dispatch!(x.dtype(), T => go::<T>(x, mask))
}

impl Array {
    /// Sum of all elements as a 0-d array (`torch.sum`). Integers and bools give `I64`;
    /// f16/bf16 accumulate in f32; float sums are blocked (pairwise-like) for accuracy.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.sum().item::<f32>(), 10.0);
    /// let b = Array::from([true, true, false]);
    /// assert_eq!(b.sum().dtype(), DType::I64);
    /// assert_eq!(b.sum().item::<i64>(), 2);
    /// ```
    pub fn sum(&self) -> Array {
        sum_mask(self, &vec![true; self.ndim()], false)
    }

    /// Sum over `dims` (`torch.sum(x, dims, keepdim)`). An empty `dims` sums over all dims
    /// (PyTorch's behaviour for `dim=[]`). A size-0 dim sums to 0.
    ///
    /// # Panics
    /// If a dim is out of range or repeated.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i32, 2, 3], [4, 5, 6]]);
    /// assert_eq!(a.sum_dim(&[0], false).to_vec::<i64>(), vec![5, 7, 9]);
    /// let s = a.sum_dim(&[-1], true);
    /// assert_eq!(s.shape(), &[2, 1]);
    /// assert_eq!(s.to_vec::<i64>(), vec![6, 15]);
    /// ```
    #[track_caller]
    pub fn sum_dim(&self, dims: &[isize], keepdim: bool) -> Array {
        sum_mask(self, &dims_mask("sum_dim", dims, self.ndim()), keepdim)
    }

    /// Mean of all elements as a 0-d array (`torch.mean`). NaN for an empty array.
    ///
    /// # Panics
    /// For integer and bool arrays, as PyTorch (convert to a float dtype first).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f64, 2.0, 6.0]);
    /// assert_eq!(a.mean().item::<f64>(), 3.0);
    /// ```
    #[track_caller]
    pub fn mean(&self) -> Array {
        mean_mask(self, &vec![true; self.ndim()], false, "mean")
    }

    /// Mean over `dims` (`torch.mean(x, dims, keepdim)`); an empty `dims` means all dims.
    /// A size-0 dim gives NaN.
    ///
    /// # Panics
    /// For integer and bool arrays, or if a dim is out of range or repeated.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.mean_dim(&[1], false).to_vec::<f32>(), vec![1.5, 3.5]);
    /// assert_eq!(a.mean_dim(&[0, 1], true).shape(), &[1, 1]);
    /// ```
    #[track_caller]
    pub fn mean_dim(&self, dims: &[isize], keepdim: bool) -> Array {
        let mask = dims_mask("mean_dim", dims, self.ndim());
        mean_mask(self, &mask, keepdim, "mean")
    }

    /// Product of all elements as a 0-d array (`torch.prod`); integers and bools give `I64`.
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([2i32, 3, 4]).prod().item::<i64>(), 24);
    /// ```
    pub fn prod(&self) -> Array {
        prod_mask(self, &vec![true; self.ndim()], false)
    }

    /// Product over one dim (`torch.prod(x, dim, keepdim)`). A size-0 dim gives 1.
    ///
    /// # Panics
    /// If `dim` is out of range.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(a.prod_dim(0, false).to_vec::<f32>(), vec![3.0, 8.0]);
    /// ```
    #[track_caller]
    pub fn prod_dim(&self, dim: isize, keepdim: bool) -> Array {
        prod_mask(self, &one_dim("prod_dim", dim, self.ndim()), keepdim)
    }

    /// The largest element as a 0-d array (`torch.max(x)`); NaN if any element is NaN.
    ///
    /// # Panics
    /// If the array is empty.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i64, 7], [3, -2]]);
    /// assert_eq!(a.max().item::<i64>(), 7);
    /// assert!(ember_tensor::Array::from([1.0f32, f32::NAN]).max().item::<f32>().is_nan());
    /// ```
    #[track_caller]
    pub fn max(&self) -> Array {
        extreme_mask(self, &vec![true; self.ndim()], false, true, "max")
    }

    /// The smallest element as a 0-d array (`torch.min(x)`); NaN if any element is NaN.
    ///
    /// # Panics
    /// If the array is empty.
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([3.0f32, -1.0]).min().item::<f32>(), -1.0);
    /// ```
    #[track_caller]
    pub fn min(&self) -> Array {
        extreme_mask(self, &vec![true; self.ndim()], false, false, "min")
    }

    /// Largest values along `dim` and their indices (`torch.max(x, dim, keepdim)`), indices
    /// `I64`. Ties give the first occurrence; a NaN is the maximum (the first NaN's index).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 5.0, 5.0], [7.0, 0.0, 7.0]]);
    /// let (v, i) = a.max_dim(1, false);
    /// assert_eq!(v.to_vec::<f32>(), vec![5.0, 7.0]);
    /// assert_eq!(i.to_vec::<i64>(), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> (Array, Array) {
        arg_extreme(
            self,
            &one_dim("max_dim", dim, self.ndim()),
            keepdim,
            true,
            "max",
        )
    }

    /// Smallest values along `dim` and their indices (`torch.min(x, dim, keepdim)`), with the
    /// rules of [`max_dim`](Array::max_dim).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[4i32, 2, 2]]);
    /// let (v, i) = a.min_dim(-1, true);
    /// assert_eq!((v.to_vec::<i32>(), i.to_vec::<i64>()), (vec![2], vec![1]));
    /// assert_eq!(i.shape(), &[1, 1]);
    /// ```
    #[track_caller]
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> (Array, Array) {
        arg_extreme(
            self,
            &one_dim("min_dim", dim, self.ndim()),
            keepdim,
            false,
            "min",
        )
    }

    /// Flat (row-major) index of the largest element, as a 0-d `I64` array
    /// (`torch.argmax(x)`); first occurrence on ties, the first NaN if any.
    ///
    /// # Panics
    /// If the array is empty.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 9.0], [9.0, 2.0]]);
    /// assert_eq!(a.argmax().item::<i64>(), 1);
    /// assert_eq!(a.t().argmax().item::<i64>(), 1);
    /// ```
    #[track_caller]
    pub fn argmax(&self) -> Array {
        assert!(
            self.numel() > 0,
            "argmax(): Expected reduction dim to be specified for input.numel() == 0."
        );
        arg_extreme(self, &vec![true; self.ndim()], false, true, "argmax").1
    }

    /// Flat index of the smallest element (`torch.argmin(x)`), as [`argmax`](Array::argmax).
    ///
    /// # Panics
    /// If the array is empty.
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([3i64, -1, -1]).argmin().item::<i64>(), 1);
    /// ```
    #[track_caller]
    pub fn argmin(&self) -> Array {
        assert!(
            self.numel() > 0,
            "argmin(): Expected reduction dim to be specified for input.numel() == 0."
        );
        arg_extreme(self, &vec![true; self.ndim()], false, false, "argmin").1
    }

    /// Indices of the largest values along `dim` (`torch.argmax(x, dim, keepdim)`).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 9.0], [9.0, 2.0]]);
    /// assert_eq!(a.argmax_dim(0, false).to_vec::<i64>(), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn argmax_dim(&self, dim: isize, keepdim: bool) -> Array {
        arg_extreme(
            self,
            &one_dim("argmax", dim, self.ndim()),
            keepdim,
            true,
            "argmax",
        )
        .1
    }

    /// Indices of the smallest values along `dim` (`torch.argmin(x, dim, keepdim)`).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 9.0], [9.0, 2.0]]);
    /// assert_eq!(a.argmin_dim(1, true).to_vec::<i64>(), vec![0, 1]);
    /// ```
    #[track_caller]
    pub fn argmin_dim(&self, dim: isize, keepdim: bool) -> Array {
        arg_extreme(
            self,
            &one_dim("argmin", dim, self.ndim()),
            keepdim,
            false,
            "argmin",
        )
        .1
    }

    /// Largest value over `dims` (`torch.amax`), values only; an empty `dims` means all dims.
    /// NaN propagates.
    ///
    /// # Panics
    /// If a dim is out of range or repeated, or a reduced dim has size 0 (max has no identity).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[[1.0f32, 8.0], [3.0, 4.0]]]);
    /// assert_eq!(a.amax(&[0, 2], false).to_vec::<f32>(), vec![8.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn amax(&self, dims: &[isize], keepdim: bool) -> Array {
        let mask = dims_mask("amax", dims, self.ndim());
        extreme_mask(self, &mask, keepdim, true, "amax")
    }

    /// Smallest value over `dims` (`torch.amin`); an empty `dims` means all dims.
    ///
    /// # Panics
    /// If a dim is out of range or repeated, or a reduced dim has size 0.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1u8, 8], [3, 0]]);
    /// assert_eq!(a.amin(&[1], true).to_vec::<u8>(), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn amin(&self, dims: &[isize], keepdim: bool) -> Array {
        let mask = dims_mask("amin", dims, self.ndim());
        extreme_mask(self, &mask, keepdim, false, "amin")
    }

    /// True (0-d `Bool`) when every element is nonzero (`torch.all`); true for an empty array.
    ///
    /// ```
    /// assert!(ember_tensor::Array::from([1.0f32, -2.0]).all().item::<bool>());
    /// assert!(!ember_tensor::Array::from([1i64, 0]).all().item::<bool>());
    /// ```
    pub fn all(&self) -> Array {
        let mask = vec![true; self.ndim()];
        crate::dispatch!(self.dtype(), T => truth_fold::<T>(self, &mask, false, true))
    }

    /// Whether all elements over `dims` are nonzero (`torch.all(x, dims, keepdim)`), `Bool`; an
    /// empty `dims` means all dims.
    ///
    /// # Panics
    /// If a dim is out of range or repeated.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[true, false], [true, true]]);
    /// assert_eq!(a.all_dim(&[1], false).to_vec::<bool>(), vec![false, true]);
    /// ```
    #[track_caller]
    pub fn all_dim(&self, dims: &[isize], keepdim: bool) -> Array {
        let mask = dims_mask("all_dim", dims, self.ndim());
        crate::dispatch!(self.dtype(), T => truth_fold::<T>(self, &mask, keepdim, true))
    }

    /// True (0-d `Bool`) when some element is nonzero (`torch.any`); false for an empty array.
    ///
    /// ```
    /// assert!(ember_tensor::Array::from([0.0f32, f32::NAN]).any().item::<bool>());
    /// ```
    pub fn any(&self) -> Array {
        let mask = vec![true; self.ndim()];
        crate::dispatch!(self.dtype(), T => truth_fold::<T>(self, &mask, false, false))
    }

    /// Whether some element over `dims` is nonzero (`torch.any(x, dims, keepdim)`), `Bool`; an
    /// empty `dims` means all dims.
    ///
    /// # Panics
    /// If a dim is out of range or repeated.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[0u8, 0], [0, 3]]);
    /// assert_eq!(a.any_dim(&[0], false).to_vec::<bool>(), vec![false, true]);
    /// ```
    #[track_caller]
    pub fn any_dim(&self, dims: &[isize], keepdim: bool) -> Array {
        let mask = dims_mask("any_dim", dims, self.ndim());
        crate::dispatch!(self.dtype(), T => truth_fold::<T>(self, &mask, keepdim, false))
    }

    /// Number of nonzero elements as a 0-d `I64` array (`torch.count_nonzero`); NaN counts.
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32, 2.0, f32::NAN]).count_nonzero().item::<i64>(), 2);
    /// ```
    pub fn count_nonzero(&self) -> Array {
        count_mask(self, &vec![true; self.ndim()])
    }

    /// Number of nonzero elements over `dims` (`torch.count_nonzero(x, dims)`), `I64`, the
    /// dims removed; an empty `dims` means all dims.
    ///
    /// # Panics
    /// If a dim is out of range or repeated.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[0i32, 1, 2], [3, 0, 0]]);
    /// assert_eq!(a.count_nonzero_dim(&[1]).to_vec::<i64>(), vec![2, 1]);
    /// ```
    #[track_caller]
    pub fn count_nonzero_dim(&self, dims: &[isize]) -> Array {
        count_mask(self, &dims_mask("count_nonzero_dim", dims, self.ndim()))
    }
}
