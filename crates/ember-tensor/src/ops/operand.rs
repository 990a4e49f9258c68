//! Operands of binary ops: an array or a plain number, and PyTorch's `result_type` rules.

use crate::Array;
use crate::dtype::{DType, Scalar};

/// The right-hand side of a binary op: an array (borrowed or owned) or a scalar.
#[derive(Clone, Debug)]
pub enum Operand<'a> {
    /// A borrowed array.
    Ref(&'a Array),
    /// An owned array.
    Owned(Array),
    /// A number, promoted like a Python scalar in PyTorch.
    Scalar(Scalar),
}

/// Anything usable as the other operand of a binary op: `&Array`, `Array`, or a number.
///
/// ```
/// use ember_tensor::Array;
/// let a = Array::from([1.0f32, 2.0]);
/// assert_eq!(a.add(1.5).to_vec::<f32>(), vec![2.5, 3.5]);
/// assert_eq!(a.add(&a).to_vec::<f32>(), vec![2.0, 4.0]);
/// ```
pub trait IntoOperand<'a> {
    /// Wraps `self` as an operand.
    fn into_operand(self) -> Operand<'a>;
}

impl<'a> IntoOperand<'a> for &'a Array {
    fn into_operand(self) -> Operand<'a> {
        Operand::Ref(self)
    }
}
impl<'a> IntoOperand<'a> for Array {
    fn into_operand(self) -> Operand<'a> {
        Operand::Owned(self)
    }
}
impl<'a> IntoOperand<'a> for Operand<'a> {
    fn into_operand(self) -> Operand<'a> {
        self
    }
}
macro_rules! scalar_operand {
    ($($t:ty),*) => {$(
        impl<'a> IntoOperand<'a> for $t {
            fn into_operand(self) -> Operand<'a> {
                Operand::Scalar(Scalar::from(self))
            }
        }
    )*};
}
scalar_operand!(f32, f64, i64, i32, u8, bool, usize, Scalar);

impl<'a> Operand<'a> {
    /// The dtype this operand contributes to promotion and its priority class
    /// (0 = dimensioned array, 1 = 0-d array, 2 = scalar).
    fn class(&self) -> (DType, u8) {
        match self {
            Operand::Ref(a) => (a.dtype(), (a.ndim() == 0) as u8),
            Operand::Owned(a) => (a.dtype(), (a.ndim() == 0) as u8),
            Operand::Scalar(s) => {
                let d = match s {
                    Scalar::F64(_) => DType::F32,
                    Scalar::I64(_) => DType::I64,
                    Scalar::Bool(_) => DType::Bool,
                };
                (d, 2)
            }
        }
    }

    /// The operand as an array of `dtype` (a scalar becomes a 0-d array, which broadcasts).
    pub(crate) fn to_array(&self, dtype: DType) -> Array {
        match self {
            Operand::Ref(a) => a.to_dtype(dtype),
            Operand::Owned(a) => a.to_dtype(dtype),
            Operand::Scalar(s) => {
                crate::dispatch!(dtype, T => Array::scalar::<T>(s.to_elem::<T>()))
            }
        }
    }
}

impl<'a> From<&'a Array> for Operand<'a> {
    fn from(a: &'a Array) -> Self {
        Operand::Ref(a)
    }
}

fn category(d: DType) -> u8 {
    if d == DType::Bool {
        0
    } else if d.is_integral() {
        1
    } else {
        2
    }
}

/// PyTorch's `combine_categories`: a lower-priority class only matters when it is of a higher
/// category (float beats int beats bool).
fn combine(higher: Option<DType>, lower: Option<DType>) -> Option<DType> {
    match (higher, lower) {
        (None, l) => l,
        (h, None) => h,
        (Some(h), Some(l)) => {
            if h.is_floating_point() {
                Some(h)
            } else if h == DType::Bool || l.is_floating_point() {
                Some(DType::promote(h, l))
            } else {
                Some(h)
            }
        }
    }
}

/// The dtype of an element-wise op over these operands (`torch.result_type`): dimensioned
/// arrays decide, 0-d arrays and scalars only raise the category.
///
/// ```
/// use ember_tensor::{result_type, Array, IntoOperand};
/// use ember_tensor::DType;
/// let i = Array::from([1i32, 2]);
/// assert_eq!(result_type(&[(&i).into_operand(), 2.5.into_operand()]), DType::F32);
/// assert_eq!(result_type(&[(&i).into_operand(), 2i64.into_operand()]), DType::I32);
/// ```
pub fn result_type(ops: &[Operand<'_>]) -> DType {
    promote_classes(ops.iter().map(Operand::class))
}

/// [`result_type`] of an array and another operand, without building a slice of operands
/// (which would move or clone an owned one: this is on every binary op's path).
pub(crate) fn result_type_with(a: &Array, other: &Operand<'_>) -> DType {
    promote_classes([Operand::Ref(a).class(), other.class()])
}

fn promote_classes(classes_of_ops: impl IntoIterator<Item = (DType, u8)>) -> DType {
    let mut classes: [Option<DType>; 3] = [None; 3];
    for (d, c) in classes_of_ops {
        let slot = &mut classes[c as usize];
        *slot = Some(slot.map_or(d, |s| DType::promote(s, d)));
    }
    combine(classes[0], combine(classes[1], classes[2])).expect("result_type of no operands")
}

/// True when `d` is at least as high a category as `r`'s (an in-place op may cast its result
/// to the destination's dtype only then: `int_array.add_(0.5)` is an error, as in PyTorch).
pub(crate) fn can_cast(from: DType, to: DType) -> bool {
    category(from) <= category(to)
}
