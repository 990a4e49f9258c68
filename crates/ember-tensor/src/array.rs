//! [`Array`]: a view (layout) onto shared storage. Cloning an `Array` is cheap and shares the
//! data, like assigning a tensor in Python.

use std::sync::Arc;

use crate::Device;
use crate::dtype::{DType, Element};
use crate::layout::{Layout, normalize_dim};
use crate::storage::{Buffer, Storage};

/// An n-dimensional strided array on a device, with a runtime dtype.
///
/// Views (`permute`, `narrow`, `expand`, …) share storage with their base: an in-place write
/// through one is seen by all.
///
/// ```
/// use ember_tensor::Array;
/// let a = Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
/// let t = a.t();                 // a view: no copy
/// t.mul_(10.0);                  // writes through the view into `a`'s storage
/// assert_eq!(a.to_vec::<f32>(), vec![10.0, 20.0, 30.0, 40.0]);
/// assert_eq!(t.shape(), &[2, 2]);
/// ```
#[derive(Clone)]
pub struct Array {
    pub(crate) storage: Arc<Storage>,
    pub(crate) layout: Layout,
}

impl Array {
    pub(crate) fn from_parts(storage: Arc<Storage>, layout: Layout) -> Array {
        Array { storage, layout }
    }

    /// A contiguous array owning `data`, from a `Vec` of any type (no copy).
    pub(crate) fn from_contiguous<T: Element>(data: Vec<T>, shape: &[usize]) -> Array {
        debug_assert_eq!(data.len(), shape.iter().product::<usize>());
        Array::from_parts(
            Arc::new(Storage::new(T::into_buffer(data))),
            Layout::contiguous(shape),
        )
    }

    /// An array of `shape` that takes ownership of `data` (row-major, no copy).
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(a.shape(), &[2, 3]);
    /// ```
    #[track_caller]
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Array {
        let n: usize = shape.iter().product();
        assert!(
            data.len() == n,
            "from_vec: {} elements cannot fill shape {:?} ({} elements)",
            data.len(),
            shape,
            n
        );
        Array::from_contiguous(data, shape)
    }

    /// An array of `shape` copied from `data`.
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`.
    ///
    /// ```
    /// let a = ember_tensor::Array::from_slice(&[1i32, 2, 3, 4], &[2, 2]);
    /// assert_eq!(a.to_vec::<i32>(), vec![1, 2, 3, 4]);
    /// ```
    #[track_caller]
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Array {
        // Through the allocator rather than `to_vec`: a large copy then lands on huge pages.
        let mut v = T::pool().take_uninit(data.len());
        v.copy_from_slice(data);
        Array::from_vec(v, shape)
    }

    /// A 0-dimensional array holding `value`.
    ///
    /// ```
    /// let s = ember_tensor::Array::scalar(2.5f32);
    /// assert_eq!(s.ndim(), 0);
    /// assert_eq!(s.item::<f32>(), 2.5);
    /// ```
    pub fn scalar<T: Element>(value: T) -> Array {
        Array::from_contiguous(vec![value], &[])
    }

    /// The size of each dimension.
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::zeros(&[2, 3], ember_tensor::DType::F32).shape(), &[2, 3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// The size of dimension `dim` (negative counts from the end).
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[2, 3], ember_tensor::DType::F32);
    /// assert_eq!(a.size(-1), 3);
    /// ```
    #[track_caller]
    pub fn size(&self, dim: isize) -> usize {
        self.shape()[normalize_dim("size", dim, self.ndim())]
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.layout.ndim()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.layout.numel()
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.storage.dtype()
    }

    /// Device holding the storage.
    pub fn device(&self) -> Device {
        self.storage.device()
    }

    /// Strides in elements.
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[2, 3], ember_tensor::DType::F32);
    /// assert_eq!(a.strides(), &[3, 1]);
    /// assert_eq!(a.t().strides(), &[1, 3]);
    /// ```
    pub fn strides(&self) -> &[usize] {
        self.layout.strides()
    }

    /// Offset of the first element in the storage, in elements.
    pub fn storage_offset(&self) -> usize {
        self.layout.offset()
    }

    /// The full layout (shape, strides, offset).
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The storage shared with every view of this array.
    pub fn storage(&self) -> &Arc<Storage> {
        &self.storage
    }

    /// True when the elements are in row-major order without gaps.
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[2, 3], ember_tensor::DType::F32);
    /// assert!(a.is_contiguous());
    /// assert!(!a.t().is_contiguous());
    /// ```
    pub fn is_contiguous(&self) -> bool {
        self.layout.is_contiguous()
    }

    /// The in-place version counter of the storage (bumped by every in-place write).
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[2], ember_tensor::DType::F32);
    /// let v = a.version();
    /// a.add_(1.0);
    /// assert_eq!(a.version(), v + 1);
    /// ```
    pub fn version(&self) -> u64 {
        self.storage.version()
    }

    /// True when both arrays view the same storage.
    ///
    /// ```
    /// let a = ember_tensor::Array::zeros(&[2, 3], ember_tensor::DType::F32);
    /// assert!(a.shares_storage(&a.t()));
    /// assert!(!a.shares_storage(&a.t().contiguous()));
    /// ```
    pub fn shares_storage(&self, other: &Array) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }

    /// Reads the storage as `&[T]` with this array's layout.
    ///
    /// # Panics
    /// If `T` is not this array's element type.
    #[track_caller]
    pub(crate) fn with_slice<T: Element, R>(&self, f: impl FnOnce(&[T]) -> R) -> R {
        let guard = self.storage.read();
        let Some(s) = T::slice(&guard) else {
            panic!("expected an array of {}, got {}", T::DTYPE, self.dtype())
        };
        f(s)
    }

    /// Writes the storage as `&mut [T]`, bumping the version counter.
    #[track_caller]
    pub(crate) fn with_slice_mut<T: Element, R>(&self, f: impl FnOnce(&mut [T]) -> R) -> R {
        let mut guard = self.storage.write();
        let dtype = guard.dtype();
        let Some(s) = T::slice_mut(&mut guard) else {
            panic!("expected an array of {}, got {}", T::DTYPE, dtype)
        };
        let r = f(s);
        self.storage.bump_version();
        r
    }

    /// The elements in row-major order, as a `Vec<T>`.
    ///
    /// # Panics
    /// If `T` is not the array's dtype (use [`to_dtype`](Array::to_dtype) first).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1i64, 2], [3, 4]]);
    /// assert_eq!(a.t().to_vec::<i64>(), vec![1, 3, 2, 4]);
    /// ```
    #[track_caller]
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        assert!(
            T::DTYPE == self.dtype(),
            "to_vec::<{}>: the array holds {} (call .to_dtype(DType::{:?}) first)",
            T::DTYPE,
            self.dtype(),
            T::DTYPE
        );
        self.contiguous().into_vec()
    }

    /// The elements in row-major order, taking the buffer over without a copy when this array
    /// is contiguous, covers its whole storage and nobody else holds that storage (a fresh
    /// result); otherwise a copy. `T` must be the dtype (checked by the callers).
    pub(crate) fn into_vec<T: Element>(self) -> Vec<T> {
        let mut c = if self.is_contiguous() {
            self
        } else {
            self.contiguous()
        };
        if c.storage.len() == c.numel() && c.storage_offset() == 0 {
            match Arc::try_unwrap(c.storage) {
                Ok(st) => return crate::storage::buffer_into_vec(st.try_take()),
                Err(storage) => c = Array::from_parts(storage, c.layout),
            }
        }
        let (off, n) = (c.storage_offset(), c.numel());
        c.with_slice(|s: &[T]| s[off..off + n].to_vec())
    }

    /// The value of a one-element array.
    ///
    /// # Panics
    /// If the array has more than one element, or `T` is not its dtype.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[3.5f32]]);
    /// assert_eq!(a.item::<f32>(), 3.5);
    /// ```
    #[track_caller]
    pub fn item<T: Element>(&self) -> T {
        assert!(
            self.numel() == 1,
            "item: only a one-element array can be converted to a scalar, this one has shape {:?}",
            self.shape()
        );
        assert!(
            T::DTYPE == self.dtype(),
            "item::<{}>: the array holds {}",
            T::DTYPE,
            self.dtype()
        );
        let off = self.storage_offset();
        self.with_slice(|s: &[T]| s[off])
    }

    /// A contiguous array with the same elements: `self` (shared) if already contiguous,
    /// otherwise a copy.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let c = a.t().contiguous();
    /// assert!(c.is_contiguous());
    /// assert_eq!(c.to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
    /// ```
    pub fn contiguous(&self) -> Array {
        if self.is_contiguous() {
            return self.clone();
        }
        crate::dispatch!(self.dtype(), T => crate::ops::map::map1::<T, T>(self, |x| x))
    }

    /// A copy converted to `dtype` (a shared handle when it already is `dtype`). Float to int
    /// truncates toward zero; anything to bool is `x != 0`.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::from([1.7f32, -1.7, 0.0]);
    /// assert_eq!(a.to_dtype(DType::I64).to_vec::<i64>(), vec![1, -1, 0]);
    /// assert_eq!(a.to_dtype(DType::Bool).to_vec::<bool>(), vec![true, true, false]);
    /// ```
    pub fn to_dtype(&self, dtype: DType) -> Array {
        if dtype == self.dtype() {
            return self.clone();
        }
        crate::dispatch!(self.dtype(), S => crate::dispatch!(dtype, D => {
            crate::ops::map::map1::<S, D>(self, crate::ops::map::cast::<S, D>)
        }))
    }

    /// An independent copy (new storage) with the same values, contiguous.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f32, 2.0]);
    /// let b = a.clone_array();
    /// b.add_(1.0);
    /// assert_eq!(a.to_vec::<f32>(), vec![1.0, 2.0]);
    /// ```
    pub fn clone_array(&self) -> Array {
        crate::dispatch!(self.dtype(), T => crate::ops::map::map1::<T, T>(self, |x| x))
    }

    /// Copies `src` into `self` in place, broadcasting `src` and converting its dtype.
    ///
    /// # Panics
    /// If `src` does not broadcast to `self`'s shape, or `self` has elements that share memory
    /// (an expanded view).
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let a = Array::zeros(&[2, 3], DType::F32);
    /// a.narrow(1, 1, 2).copy_(&Array::from([7.0f32, 8.0]));
    /// assert_eq!(a.to_vec::<f32>(), vec![0.0, 7.0, 8.0, 0.0, 7.0, 8.0]);
    /// ```
    #[track_caller]
    pub fn copy_(&self, src: &Array) {
        let src = src.to_dtype(self.dtype());
        crate::dispatch!(self.dtype(), T => crate::ops::map::assign2::<T, T>(self, &src, "copy_", |_, y| y))
    }
}

impl std::fmt::Debug for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Builds arrays from Rust values: scalars, `Vec`s, and nested fixed-size arrays.
macro_rules! from_nested {
    ($($t:ty),*) => {$(
        impl From<$t> for Array {
            fn from(v: $t) -> Array {
                Array::scalar(v)
            }
        }
        impl From<Vec<$t>> for Array {
            fn from(v: Vec<$t>) -> Array {
                let n = v.len();
                Array::from_contiguous(v, &[n])
            }
        }
        impl From<&[$t]> for Array {
            fn from(v: &[$t]) -> Array {
                Array::from_contiguous(v.to_vec(), &[v.len()])
            }
        }
        impl<const A: usize> From<[$t; A]> for Array {
            fn from(v: [$t; A]) -> Array {
                Array::from_contiguous(v.to_vec(), &[A])
            }
        }
        impl<const A: usize, const B: usize> From<[[$t; B]; A]> for Array {
            fn from(v: [[$t; B]; A]) -> Array {
                Array::from_contiguous(v.iter().flatten().copied().collect(), &[A, B])
            }
        }
        impl<const A: usize, const B: usize, const C: usize> From<[[[$t; C]; B]; A]> for Array {
            fn from(v: [[[$t; C]; B]; A]) -> Array {
                Array::from_contiguous(
                    v.iter().flatten().flatten().copied().collect(), &[A, B, C])
            }
        }
        impl<const A: usize, const B: usize, const C: usize, const D: usize>
            From<[[[[$t; D]; C]; B]; A]> for Array {
            fn from(v: [[[[$t; D]; C]; B]; A]) -> Array {
                Array::from_contiguous(
                    v.iter().flatten().flatten().flatten().copied().collect(), &[A, B, C, D])
            }
        }
    )*};
}
from_nested!(f32, f64, half::f16, half::bf16, i64, i32, u8, bool);

impl From<&Array> for Array {
    fn from(a: &Array) -> Array {
        a.clone()
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn f<T: Send + Sync>() {}
    f::<Array>();
    f::<Buffer>();
}
