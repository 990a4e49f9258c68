//! Arrays made from nothing: constants, ranges, identity.

use crate::Array;
use crate::dtype::{DType, Element, Scalar};

impl Array {
    /// An array of `shape` filled with `value`, of `dtype` (`torch.full`).
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::full(&[2, 2], 7, DType::I32);
    /// assert_eq!(a.to_vec::<i32>(), vec![7; 4]);
    /// ```
    pub fn full(shape: &[usize], value: impl Into<Scalar>, dtype: DType) -> Array {
        let value = value.into();
        let n = shape.iter().product();
        crate::dispatch!(dtype, T => {
            let v: T = value.to_elem();
            Array::from_contiguous(T::pool().take_filled(n, v), shape)
        })
    }

    /// An array of zeros (`torch.zeros`).
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// assert_eq!(Array::zeros(&[3], DType::F64).to_vec::<f64>(), vec![0.0; 3]);
    /// ```
    pub fn zeros(shape: &[usize], dtype: DType) -> Array {
        Array::full(shape, 0, dtype)
    }

    /// An array of ones (`torch.ones`).
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// assert_eq!(Array::ones(&[2], DType::Bool).to_vec::<bool>(), vec![true; 2]);
    /// ```
    pub fn ones(shape: &[usize], dtype: DType) -> Array {
        Array::full(shape, 1, dtype)
    }

    /// An array whose contents are unspecified (but valid numbers), for outputs that will be
    /// fully overwritten (`torch.empty`). It may reuse a cached buffer: no page faults.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::empty(&[2, 3], DType::F32);
    /// a.fill_(1.0);
    /// assert_eq!(a.to_vec::<f32>(), vec![1.0; 6]);
    /// ```
    pub fn empty(shape: &[usize], dtype: DType) -> Array {
        let n = shape.iter().product();
        crate::dispatch!(dtype, T => Array::from_contiguous(T::pool().take_uninit(n), shape))
    }

    /// Values from `start` up to (not including) `end` in steps of `step` (`torch.arange`).
    ///
    /// # Panics
    /// If `step` is 0 or has the wrong sign for the range.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// assert_eq!(Array::arange(0.0, 5.0, 2.0, DType::I64).to_vec::<i64>(), vec![0, 2, 4]);
    /// ```
    #[track_caller]
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Array {
        assert!(step != 0.0, "arange: step must be nonzero");
        assert!(
            (end - start) * step >= 0.0,
            "arange: upper bound and larger bound inconsistent with step sign \
             (start {start}, end {end}, step {step})"
        );
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        crate::dispatch!(dtype, T => {
            let v: Vec<T> = (0..n).map(|i| T::from_f64(start + i as f64 * step)).collect();
            Array::from_contiguous(v, &[n])
        })
    }

    /// Sets every element to `value`, in place, through views (`Tensor.fill_`).
    ///
    /// # Panics
    /// If `self` is an expanded view.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::zeros(&[2, 2], DType::F32);
    /// a.select(0, 1).fill_(5.0);
    /// assert_eq!(a.to_vec::<f32>(), vec![0.0, 0.0, 5.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn fill_(&self, value: impl Into<Scalar>) {
        let v = value.into();
        let src = crate::dispatch!(self.dtype(), T => Array::scalar::<T>(v.to_elem()));
        self.copy_(&src);
    }
}
