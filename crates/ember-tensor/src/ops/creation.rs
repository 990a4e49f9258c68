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

/// The values of `linspace` in the compute type `F`, as PyTorch's kernel computes them: the
/// first half counts up from `start`, the second half counts down from `end`, so both
/// endpoints are exact and the result is symmetric.
fn linspace_values<F, T>(start: F, end: F, steps: usize, to: impl Fn(F) -> T) -> Vec<T>
where
    F: num_traits::Float,
{
    if steps == 1 {
        return vec![to(start)];
    }
    let step = (end - start) / F::from(steps - 1).unwrap();
    let halfway = steps / 2;
    (0..steps)
        .map(|i| {
            if i < halfway {
                to(start + step * F::from(i).unwrap())
            } else {
                to(end - step * F::from(steps - 1 - i).unwrap())
            }
        })
        .collect()
}

impl Array {
    /// `steps` values evenly spaced from `start` to `end`, both included (`torch.linspace`).
    ///
    /// Floating dtypes compute in their own precision (f16 and bf16 in f32, rounded once);
    /// integer dtypes first convert `start` and `end` to the dtype, then step in f64 and
    /// truncate, as PyTorch does. `steps == 0` gives an empty array, `steps == 1` gives
    /// `[start]`.
    ///
    /// # Panics
    /// If `dtype` is bool (PyTorch has no bool linspace).
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::linspace(-1.0, 1.0, 5, DType::F32);
    /// assert_eq!(a.to_vec::<f32>(), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
    /// let b = Array::linspace(0.0, 10.0, 4, DType::I64);
    /// assert_eq!(b.to_vec::<i64>(), vec![0, 3, 6, 10]);
    /// ```
    #[track_caller]
    pub fn linspace(start: f64, end: f64, steps: usize, dtype: DType) -> Array {
        use half::{bf16, f16};
        assert!(
            dtype != DType::Bool,
            "linspace: not implemented for dtype bool (use a numeric dtype and convert)"
        );
        let shape = [steps];
        if steps == 0 {
            return Array::empty(&shape, dtype);
        }
        match dtype {
            DType::F64 => Array::from_contiguous(linspace_values(start, end, steps, |v| v), &shape),
            DType::F32 => Array::from_contiguous(
                linspace_values(start as f32, end as f32, steps, |v| v),
                &shape,
            ),
            DType::F16 => {
                let (s, e) = (f16::from_f64(start).to_f32(), f16::from_f64(end).to_f32());
                Array::from_contiguous(linspace_values(s, e, steps, f16::from_f32), &shape)
            }
            DType::BF16 => {
                let (s, e) = (bf16::from_f64(start).to_f32(), bf16::from_f64(end).to_f32());
                Array::from_contiguous(linspace_values(s, e, steps, bf16::from_f32), &shape)
            }
            _ => crate::dispatch!(dtype, T => {
                let (s, e) = (T::from_f64(start).to_f64(), T::from_f64(end).to_f64());
                Array::from_contiguous(linspace_values(s, e, steps, T::from_f64), &shape)
            }),
        }
    }

    /// A 2-d array with ones on the diagonal and zeros elsewhere, of shape `[n, m]`
    /// (`m` defaults to `n`) (`torch.eye`).
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::eye(2, Some(3), DType::I32);
    /// assert_eq!(a.shape(), &[2, 3]);
    /// assert_eq!(a.to_vec::<i32>(), vec![1, 0, 0, 0, 1, 0]);
    /// ```
    pub fn eye(n: usize, m: Option<usize>, dtype: DType) -> Array {
        let m = m.unwrap_or(n);
        crate::dispatch!(dtype, T => {
            let mut v = T::pool().take_filled(n * m, T::ZERO);
            for i in 0..n.min(m) {
                v[i * m + i] = T::ONE;
            }
            Array::from_contiguous(v, &[n, m])
        })
    }

    /// Zeros of the same shape and dtype as `self`, contiguous (`torch.zeros_like`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i32, 2], [3, 4]]).t();
    /// let z = a.zeros_like();
    /// assert_eq!((z.shape(), z.dtype()), (a.shape(), a.dtype()));
    /// assert!(z.is_contiguous());
    /// assert_eq!(z.to_vec::<i32>(), vec![0; 4]);
    /// ```
    pub fn zeros_like(&self) -> Array {
        Array::zeros(self.shape(), self.dtype())
    }

    /// Ones of the same shape and dtype as `self`, contiguous (`torch.ones_like`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.5f64, 2.5]);
    /// assert_eq!(a.ones_like().to_vec::<f64>(), vec![1.0, 1.0]);
    /// ```
    pub fn ones_like(&self) -> Array {
        Array::ones(self.shape(), self.dtype())
    }

    /// `value` in the shape and dtype of `self`, contiguous (`torch.full_like`); the value is
    /// converted to the dtype (floats truncate toward zero for integer arrays).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1u8, 2, 3]);
    /// assert_eq!(a.full_like(7).to_vec::<u8>(), vec![7, 7, 7]);
    /// ```
    pub fn full_like(&self, value: impl Into<Scalar>) -> Array {
        Array::full(self.shape(), value, self.dtype())
    }

    /// An array of unspecified contents in the shape and dtype of `self`, contiguous
    /// (`torch.empty_like`): for outputs that will be fully overwritten.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 2.0]]);
    /// let e = a.empty_like();
    /// e.fill_(3.0);
    /// assert_eq!(e.to_vec::<f32>(), vec![3.0, 3.0]);
    /// assert_eq!(a.to_vec::<f32>(), vec![1.0, 2.0]);
    /// ```
    pub fn empty_like(&self) -> Array {
        Array::empty(self.shape(), self.dtype())
    }
}
