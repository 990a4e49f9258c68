//! The other operand of a binary op: a tensor (borrowed or owned) or a plain number.

use ember_tensor::{Array, DType, Scalar};

use crate::tensor::Tensor;

/// The right-hand side of a binary tensor op.
pub enum TensorOperand<'a> {
    /// A borrowed tensor.
    Ref(&'a Tensor),
    /// An owned tensor.
    Owned(Tensor),
    /// A number: promoted like a Python scalar in PyTorch, never requires grad.
    Scalar(Scalar),
}

/// Anything usable as the other operand of a binary op: `&Tensor`, `Tensor` or a number.
///
/// ```
/// use ember_autograd::Tensor;
/// let a = Tensor::from([1.0f32, 2.0]);
/// assert_eq!(a.add(1.5).to_vec::<f32>(), vec![2.5, 3.5]);
/// assert_eq!(a.add(&a).to_vec::<f32>(), vec![2.0, 4.0]);
/// ```
pub trait IntoTensorOperand<'a> {
    /// Wraps `self` as an operand.
    fn into_tensor_operand(self) -> TensorOperand<'a>;
}

impl<'a> IntoTensorOperand<'a> for &'a Tensor {
    fn into_tensor_operand(self) -> TensorOperand<'a> {
        TensorOperand::Ref(self)
    }
}
impl<'a> IntoTensorOperand<'a> for Tensor {
    fn into_tensor_operand(self) -> TensorOperand<'a> {
        TensorOperand::Owned(self)
    }
}
macro_rules! scalar_operand {
    ($($t:ty),*) => {$(
        impl<'a> IntoTensorOperand<'a> for $t {
            fn into_tensor_operand(self) -> TensorOperand<'a> {
                TensorOperand::Scalar(Scalar::from(self))
            }
        }
    )*};
}
scalar_operand!(f32, f64, i64, i32, u8, bool, usize, Scalar);

/// A resolved operand: a tensor either borrowed or made here.
pub(crate) enum Resolved<'a> {
    Ref(&'a Tensor),
    Owned(Tensor),
}

impl std::ops::Deref for Resolved<'_> {
    type Target = Tensor;
    fn deref(&self) -> &Tensor {
        match self {
            Resolved::Ref(t) => t,
            Resolved::Owned(t) => t,
        }
    }
}

impl<'a> TensorOperand<'a> {
    /// The operand as a tensor; a number becomes a 0-d tensor of the dtype it promotes `like`
    /// to, which gives exactly PyTorch's result dtype for tensor-scalar ops.
    pub(crate) fn resolve(self, like: &Tensor) -> Resolved<'a> {
        match self {
            TensorOperand::Ref(t) => Resolved::Ref(t),
            TensorOperand::Owned(t) => Resolved::Owned(t),
            TensorOperand::Scalar(s) => {
                let dt: DType = DType::promote_scalar(like.dtype(), s);
                Resolved::Owned(Tensor::from_array(Array::full(&[], s, dt)))
            }
        }
    }
}
