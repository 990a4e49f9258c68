//! Conversions to and from [`ndarray`]: owned arrays move in without a copy when their layout
//! allows it, and [`Array::as_ndarray`] lends a zero-copy `ArrayViewD` with the same strides.

use std::sync::RwLockReadGuard;

use ndarray::{ArrayViewD, Dimension, IxDyn, ShapeBuilder};

use crate::Array;
use crate::dtype::Element;
use crate::storage::Buffer;

impl<T: Element, D: Dimension> From<ndarray::Array<T, D>> for Array {
    /// Takes the ndarray's buffer without copying when it is in standard (row-major,
    /// contiguous) layout and starts at the beginning of its allocation; copies in logical
    /// (row-major) order otherwise (transposed, sliced, negative strides).
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let n = ndarray::array![[1.0f32, 2.0], [3.0, 4.0]];
    /// let a = Array::from(n.clone());
    /// assert_eq!(a.shape(), &[2, 2]);
    /// assert_eq!(a.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]);
    /// // A transposed ndarray is copied in its logical order.
    /// assert_eq!(Array::from(n.reversed_axes()).to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
    /// ```
    fn from(a: ndarray::Array<T, D>) -> Array {
        let shape = a.shape().to_vec();
        let n = a.len();
        if a.is_standard_layout() {
            let (v, offset) = a.into_raw_vec_and_offset();
            if v.len() == n && offset.unwrap_or(0) == 0 {
                return Array::from_contiguous(v, &shape);
            }
            let off = offset.unwrap_or(0);
            return Array::from_contiguous(v[off..off + n].to_vec(), &shape);
        }
        Array::from_contiguous(a.iter().copied().collect(), &shape)
    }
}

impl<T: Element, D: Dimension> From<ndarray::ArrayView<'_, T, D>> for Array {
    /// Copies the view's elements in logical (row-major) order.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let n = ndarray::array![[1i64, 2, 3], [4, 5, 6]];
    /// let a = Array::from(n.column(1));
    /// assert_eq!(a.to_vec::<i64>(), vec![2, 5]);
    /// ```
    fn from(a: ndarray::ArrayView<'_, T, D>) -> Array {
        let shape = a.shape().to_vec();
        Array::from_contiguous(a.iter().copied().collect(), &shape)
    }
}

/// A zero-copy read view of an [`Array`] as an [`ndarray::ArrayViewD`], from
/// [`Array::as_ndarray`]. It holds the storage's read lock: in-place writes to the array (or
/// any view of it) wait until the guard is dropped, so drop it before writing from the same
/// thread.
pub struct NdArrayGuard<'a, T: Element> {
    guard: RwLockReadGuard<'a, Buffer>,
    array: &'a Array,
    _elem: std::marker::PhantomData<T>,
}

impl<T: Element> NdArrayGuard<'_, T> {
    /// The array as an `ndarray` view with the same shape and strides (broadcast dims have
    /// stride 0), sharing its memory.
    pub fn view(&self) -> ArrayViewD<'_, T> {
        let a = self.array;
        let data = T::slice(&self.guard).expect("dtype checked by as_ndarray");
        let shape = IxDyn(a.shape()).strides(IxDyn(a.strides()));
        let offset = a.storage_offset();
        if a.numel() == 0 {
            return ArrayViewD::from_shape(IxDyn(a.shape()), &[]).expect("empty view");
        }
        // ndarray's checked constructor refuses layouts where elements alias (an `expand`ed
        // view, overlapping `as_strided` windows); those take the unchecked one.
        match ArrayViewD::from_shape(shape.clone(), &data[offset..]) {
            Ok(v) => v,
            Err(_) => {
                assert!(a.layout().storage_span() <= data.len());
                // SAFETY: every element position `offset + Σ i_d * stride_d` is below
                // `storage_span() <= data.len()` (asserted above; `as_strided` and every view
                // op keep it), strides are non-negative, the elements are plain `Copy` values
                // borrowed for the guard's lifetime under the storage's read lock (so nothing
                // writes them meanwhile), and the view is read-only, which ndarray allows to
                // alias.
                unsafe { ArrayViewD::from_shape_ptr(shape, data.as_ptr().add(offset)) }
            }
        }
    }
}

impl Array {
    /// A zero-copy view of the array as an `ndarray::ArrayViewD<T>` (any layout: the strides
    /// are kept). Call `.view()` on the returned guard; the guard holds the storage's read
    /// lock while it lives.
    ///
    /// # Panics
    /// If `T` is not the array's element type.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    /// let t = a.t();
    /// let g = t.as_ndarray::<f64>();
    /// let v = g.view();
    /// assert_eq!(v.shape(), &[3, 2]);
    /// assert_eq!(v[[2, 1]], 6.0);
    /// assert_eq!(v.sum(), 21.0);
    /// ```
    #[track_caller]
    pub fn as_ndarray<T: Element>(&self) -> NdArrayGuard<'_, T> {
        assert!(
            T::DTYPE == self.dtype(),
            "as_ndarray::<{}>: the array holds {} (use as_ndarray::<{}>, or convert with \
             .to_dtype() first)",
            rust_type(T::DTYPE),
            self.dtype(),
            rust_type(self.dtype())
        );
        NdArrayGuard {
            guard: self.storage.read(),
            array: self,
            _elem: std::marker::PhantomData,
        }
    }

    /// A copy of the array as an owned `ndarray::ArrayD<T>` in standard (row-major) layout.
    ///
    /// # Panics
    /// If `T` is not the array's element type.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1i32, 2], [3, 4]]);
    /// let n = a.t().to_ndarray::<i32>();
    /// assert_eq!(n, ndarray::array![[1, 3], [2, 4]].into_dyn());
    /// ```
    #[track_caller]
    pub fn to_ndarray<T: Element>(&self) -> ndarray::ArrayD<T> {
        assert!(
            T::DTYPE == self.dtype(),
            "to_ndarray::<{}>: the array holds {} (use to_ndarray::<{}>, or convert with \
             .to_dtype() first)",
            rust_type(T::DTYPE),
            self.dtype(),
            rust_type(self.dtype())
        );
        ndarray::ArrayD::from_shape_vec(IxDyn(self.shape()), self.to_vec::<T>())
            .expect("to_vec gives numel elements")
    }
}

/// The Rust element type of a dtype, for error messages.
fn rust_type(d: crate::DType) -> &'static str {
    use crate::DType::*;
    match d {
        Bool => "bool",
        U8 => "u8",
        I32 => "i32",
        I64 => "i64",
        F16 => "f16",
        BF16 => "bf16",
        F32 => "f32",
        F64 => "f64",
    }
}
