//! Element types, and PyTorch's rules for the type of a mixed expression.

use half::{bf16, f16};
use std::fmt;

use crate::storage::Buffer;

/// The element type of an [`Array`](crate::Array).
///
/// ```
/// use ember_tensor::{Array, DType};
/// let a = Array::from_vec(vec![1i64, 2, 3], &[3]);
/// assert_eq!(a.dtype(), DType::I64);
/// assert_eq!(a.to_dtype(DType::F32).dtype(), DType::F32);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`, stored one byte per element.
    Bool,
    /// `u8`.
    U8,
    /// `i32`.
    I32,
    /// `i64`, the type of indices.
    I64,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    BF16,
    /// `f32`, the default floating type.
    F32,
    /// `f64`.
    F64,
}

/// Category of a dtype, used by type promotion (PyTorch: bool < integral < floating).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Bool,
    Int,
    Float,
}

impl DType {
    /// Every dtype, in promotion order.
    pub const ALL: [DType; 8] = [
        DType::Bool,
        DType::U8,
        DType::I32,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];

    /// Size of one element in bytes.
    ///
    /// ```
    /// assert_eq!(ember_tensor::DType::BF16.size_in_bytes(), 2);
    /// ```
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::Bool | DType::U8 => 1,
            DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    /// True for f16, bf16, f32 and f64.
    ///
    /// ```
    /// assert!(ember_tensor::DType::F16.is_floating_point());
    /// ```
    pub fn is_floating_point(self) -> bool {
        self.kind() == Kind::Float
    }

    /// True for u8, i32 and i64 (not bool).
    ///
    /// ```
    /// assert!(ember_tensor::DType::U8.is_integral());
    /// assert!(!ember_tensor::DType::Bool.is_integral());
    /// ```
    pub fn is_integral(self) -> bool {
        self.kind() == Kind::Int
    }

    fn kind(self) -> Kind {
        match self {
            DType::Bool => Kind::Bool,
            DType::U8 | DType::I32 | DType::I64 => Kind::Int,
            _ => Kind::Float,
        }
    }

    /// The type of `a op b` for two arrays of these dtypes (torch.promote_types).
    ///
    /// ```
    /// use ember_tensor::DType;
    /// assert_eq!(DType::promote(DType::I64, DType::F16), DType::F16);
    /// assert_eq!(DType::promote(DType::F16, DType::BF16), DType::F32);
    /// assert_eq!(DType::promote(DType::U8, DType::Bool), DType::U8);
    /// ```
    pub fn promote(a: DType, b: DType) -> DType {
        use DType::*;
        if a == b {
            return a;
        }
        match (a, b) {
            (F16, BF16) | (BF16, F16) => F32,
            _ => a.max(b),
        }
    }

    /// The type of `array op scalar`: a scalar only wins when it is of a higher category
    /// (a float scalar makes an integer array `F32`; an int scalar leaves a `U8` array `U8`).
    ///
    /// ```
    /// use ember_tensor::{DType, Scalar};
    /// assert_eq!(DType::promote_scalar(DType::I32, Scalar::F64(0.5)), DType::F32);
    /// assert_eq!(DType::promote_scalar(DType::F16, Scalar::F64(0.5)), DType::F16);
    /// assert_eq!(DType::promote_scalar(DType::Bool, Scalar::I64(2)), DType::I64);
    /// ```
    pub fn promote_scalar(a: DType, s: crate::Scalar) -> DType {
        let sk = s.dtype().kind();
        if sk > a.kind() {
            match sk {
                Kind::Float => DType::F32,
                Kind::Int => DType::I64,
                Kind::Bool => DType::Bool,
            }
        } else {
            a
        }
    }

    /// PyTorch's name for the dtype, as used by `Display` (`torch.float32`'s `float32`).
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Rust type that can be the element of an array. Implemented for the eight dtypes' types;
/// sealed, so the set is closed and every kernel can match on it.
pub trait Element:
    Copy + Send + Sync + PartialEq + PartialOrd + fmt::Debug + Default + 'static + sealed::Sealed
{
    /// The dtype tag of this type.
    const DTYPE: DType;
    /// Zero (false for bool).
    const ZERO: Self;
    /// One (true for bool).
    const ONE: Self;
    /// Lossy conversion to f64 (the common currency of casts).
    fn to_f64(self) -> f64;
    /// Conversion from f64 as `as` does (saturating for ints, `!= 0` for bool).
    fn from_f64(v: f64) -> Self;
    /// Exact conversion to i64 for integer types (floats truncate).
    fn to_i64(self) -> i64;
    /// Conversion from i64 as `as` does.
    fn from_i64(v: i64) -> Self;
    #[doc(hidden)]
    fn slice(b: &Buffer) -> Option<&[Self]>;
    #[doc(hidden)]
    fn slice_mut(b: &mut Buffer) -> Option<&mut [Self]>;
    #[doc(hidden)]
    fn into_buffer(v: Vec<Self>) -> Buffer;
    #[doc(hidden)]
    fn from_buffer(b: Buffer) -> Option<Vec<Self>>;
    #[doc(hidden)]
    fn pool() -> &'static crate::allocator::Pool<Self>;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! element {
    ($t:ty, $variant:ident, $zero:expr, $one:expr,
     to_f64: |$a:ident| $to:expr, from_f64: |$b:ident| $from:expr,
     to_i64: |$c:ident| $toi:expr, from_i64: |$d:ident| $fromi:expr) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$variant;
            const ZERO: Self = $zero;
            const ONE: Self = $one;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                let $a = self;
                $to
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                let $b = v;
                $from
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                let $c = self;
                $toi
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                let $d = v;
                $fromi
            }
            fn slice(b: &Buffer) -> Option<&[Self]> {
                match b {
                    Buffer::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn slice_mut(b: &mut Buffer) -> Option<&mut [Self]> {
                match b {
                    Buffer::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn into_buffer(v: Vec<Self>) -> Buffer {
                Buffer::$variant(v)
            }
            fn from_buffer(b: Buffer) -> Option<Vec<Self>> {
                match b {
                    Buffer::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn pool() -> &'static crate::allocator::Pool<Self> {
                static POOL: crate::allocator::Pool<$t> = crate::allocator::Pool::new();
                &POOL
            }
        }
    };
}

element!(f32, F32, 0.0, 1.0, to_f64: |x| x as f64, from_f64: |v| v as f32,
         to_i64: |x| x as i64, from_i64: |v| v as f32);
element!(f64, F64, 0.0, 1.0, to_f64: |x| x, from_f64: |v| v,
         to_i64: |x| x as i64, from_i64: |v| v as f64);
element!(f16, F16, f16::ZERO, f16::ONE, to_f64: |x| x.to_f64(), from_f64: |v| f16::from_f64(v),
         to_i64: |x| x.to_f32() as i64, from_i64: |v| f16::from_f64(v as f64));
element!(bf16, BF16, bf16::ZERO, bf16::ONE, to_f64: |x| x.to_f64(), from_f64: |v| bf16::from_f64(v),
         to_i64: |x| x.to_f32() as i64, from_i64: |v| bf16::from_f64(v as f64));
element!(i64, I64, 0, 1, to_f64: |x| x as f64, from_f64: |v| v as i64,
         to_i64: |x| x, from_i64: |v| v);
element!(i32, I32, 0, 1, to_f64: |x| x as f64, from_f64: |v| v as i32,
         to_i64: |x| x as i64, from_i64: |v| v as i32);
element!(u8, U8, 0, 1, to_f64: |x| x as f64, from_f64: |v| v as u8,
         to_i64: |x| x as i64, from_i64: |v| v as u8);
element!(bool, Bool, false, true, to_f64: |x| x as u8 as f64, from_f64: |v| v != 0.0,
         to_i64: |x| x as i64, from_i64: |v| v != 0);

/// A number that stands for a 0-d operand (`x + 1.5`, `x.masked_fill(&m, 0)`), carrying its
/// category for type promotion like a Python scalar does in PyTorch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// A boolean.
    Bool(bool),
    /// An integer.
    I64(i64),
    /// A floating-point number.
    F64(f64),
}

impl Scalar {
    /// The dtype a tensor made of this scalar would have in PyTorch (`torch.tensor(1.5)` is f32
    /// by default, but promotion treats it as "a float").
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::I64(_) => DType::I64,
            Scalar::F64(_) => DType::F64,
        }
    }

    /// The value as f64.
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::I64(i) => i as f64,
            Scalar::F64(f) => f,
        }
    }

    /// The value as i64 (floats truncate).
    pub fn to_i64(self) -> i64 {
        match self {
            Scalar::Bool(b) => b as i64,
            Scalar::I64(i) => i,
            Scalar::F64(f) => f as i64,
        }
    }

    /// The value converted to an element type.
    pub fn to_elem<T: Element>(self) -> T {
        match self {
            Scalar::I64(i) => T::from_i64(i),
            _ => T::from_f64(self.to_f64()),
        }
    }
}

macro_rules! scalar_from {
    ($($t:ty => $v:ident as $c:ty),*) => {$(
        impl From<$t> for Scalar {
            fn from(x: $t) -> Self {
                Scalar::$v(x as $c)
            }
        }
    )*};
}
scalar_from!(f32 => F64 as f64, f64 => F64 as f64, i64 => I64 as i64, i32 => I64 as i64,
             u8 => I64 as i64, usize => I64 as i64, isize => I64 as i64);
impl From<bool> for Scalar {
    fn from(x: bool) -> Self {
        Scalar::Bool(x)
    }
}
impl From<f16> for Scalar {
    fn from(x: f16) -> Self {
        Scalar::F64(x.to_f64())
    }
}
impl From<bf16> for Scalar {
    fn from(x: bf16) -> Self {
        Scalar::F64(x.to_f64())
    }
}

/// Runs `$body` with `$T` bound to the Rust element type of `$dtype`: the single point where a
/// runtime dtype becomes a monomorphised kernel (dispatch happens once per op, never per element).
#[macro_export]
#[doc(hidden)]
macro_rules! dispatch {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::DType::F16 => {
                type $T = $crate::half::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $T = $crate::half::bf16;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
        }
    };
}

/// Like [`dispatch!`] but only for the floating types; other dtypes reach `$other`.
#[macro_export]
#[doc(hidden)]
macro_rules! dispatch_float {
    ($dtype:expr, $T:ident => $body:expr, $other:expr) => {
        match $dtype {
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::DType::F16 => {
                type $T = $crate::half::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $T = $crate::half::bf16;
                $body
            }
            _ => $other,
        }
    };
}
