//! Element-wise binary arithmetic with broadcasting and PyTorch's type promotion.
//!
//! Adding an op is one `binary!` entry: its name, its in-place name, and its scalar formula for
//! floats, integers and bools. f16/bf16 compute in f32.

use half::{bf16, f16};

use crate::Array;
use crate::dtype::DType;
use crate::ops::map::{assign2, map2};
use crate::ops::operand::{IntoOperand, Operand, can_cast, result_type_with};

/// One binary op's scalar formulas, one per dtype family.
pub(crate) trait BinaryKernel {
    const NAME: &'static str;
    const NAME_INPLACE: &'static str;
    /// Integer inputs are computed in F32 (true division, atan2).
    const INT_TO_FLOAT: bool = false;
    fn f32(x: f32, y: f32) -> f32;
    fn f64(x: f64, y: f64) -> f64;
    fn i64(x: i64, y: i64) -> i64;
    fn i32(x: i32, y: i32) -> i32;
    fn u8(x: u8, y: u8) -> u8;
    fn bool(x: bool, y: bool) -> bool;
    fn f16(x: f16, y: f16) -> f16 {
        f16::from_f32(Self::f32(x.to_f32(), y.to_f32()))
    }
    fn bf16(x: bf16, y: bf16) -> bf16 {
        bf16::from_f32(Self::f32(x.to_f32(), y.to_f32()))
    }
}

fn compute_dtype<K: BinaryKernel>(a: &Array, other: &Operand<'_>) -> DType {
    let dt = result_type_with(a, other);
    if K::INT_TO_FLOAT && !dt.is_floating_point() {
        DType::F32
    } else {
        dt
    }
}

/// `a op b` into a new array; both already of dtype `dt`.
#[track_caller]
fn apply<K: BinaryKernel>(a: &Array, b: &Array) -> Array {
    let op = K::NAME;
    match a.dtype() {
        DType::F32 => map2(a, b, op, K::f32),
        DType::F64 => map2(a, b, op, K::f64),
        DType::F16 => map2(a, b, op, K::f16),
        DType::BF16 => map2(a, b, op, K::bf16),
        DType::I64 => map2(a, b, op, K::i64),
        DType::I32 => map2(a, b, op, K::i32),
        DType::U8 => map2(a, b, op, K::u8),
        DType::Bool => map2(a, b, op, K::bool),
    }
}

#[track_caller]
pub(crate) fn binary<'a, K: BinaryKernel>(a: &Array, other: impl IntoOperand<'a>) -> Array {
    let other = other.into_operand();
    let dt = compute_dtype::<K>(a, &other);
    if let Operand::Scalar(s) = other {
        // A number: one pass with the value in a register, no 0-d array to broadcast.
        return if a.dtype() == dt {
            apply_scalar::<K>(a, s)
        } else {
            apply_scalar::<K>(&a.to_dtype(dt), s)
        };
    }
    apply::<K>(&a.to_dtype(dt), &other.to_array(dt))
}

/// `a op s` for a number `s`, `a` already of the compute dtype.
fn apply_scalar<K: BinaryKernel>(a: &Array, s: crate::Scalar) -> Array {
    use crate::ops::map::map1;
    match a.dtype() {
        DType::F32 => {
            let v = s.to_elem::<f32>();
            map1(a, move |x: f32| K::f32(x, v))
        }
        DType::F64 => {
            let v = s.to_elem::<f64>();
            map1(a, move |x: f64| K::f64(x, v))
        }
        DType::F16 => {
            let v = s.to_elem::<f16>();
            map1(a, move |x: f16| K::f16(x, v))
        }
        DType::BF16 => {
            let v = s.to_elem::<bf16>();
            map1(a, move |x: bf16| K::bf16(x, v))
        }
        DType::I64 => {
            let v = s.to_elem::<i64>();
            map1(a, move |x: i64| K::i64(x, v))
        }
        DType::I32 => {
            let v = s.to_elem::<i32>();
            map1(a, move |x: i32| K::i32(x, v))
        }
        DType::U8 => {
            let v = s.to_elem::<u8>();
            map1(a, move |x: u8| K::u8(x, v))
        }
        DType::Bool => {
            let v = s.to_elem::<bool>();
            map1(a, move |x: bool| K::bool(x, v))
        }
    }
}

#[track_caller]
pub(crate) fn binary_<'a, K: BinaryKernel>(a: &Array, other: impl IntoOperand<'a>) {
    let other = other.into_operand();
    let dt = compute_dtype::<K>(a, &other);
    let op = K::NAME_INPLACE;
    assert!(
        can_cast(dt, a.dtype()),
        "{op}: the result type {dt} cannot be cast to the destination's dtype {} in place",
        a.dtype()
    );
    if dt != a.dtype() {
        let r = apply::<K>(&a.to_dtype(dt), &other.to_array(dt));
        a.copy_(&r);
        return;
    }
    let b = other.to_array(dt);
    match dt {
        DType::F32 => assign2(a, &b, op, K::f32),
        DType::F64 => assign2(a, &b, op, K::f64),
        DType::F16 => assign2(a, &b, op, K::f16),
        DType::BF16 => assign2(a, &b, op, K::bf16),
        DType::I64 => assign2(a, &b, op, K::i64),
        DType::I32 => assign2(a, &b, op, K::i32),
        DType::U8 => assign2(a, &b, op, K::u8),
        DType::Bool => assign2(a, &b, op, K::bool),
    }
}

macro_rules! binary {
    ($(
        $(#[$doc:meta])*
        $Kernel:ident, $name:ident, $name_:ident $(, int_to_float = $itf:expr)?;
        float |$fx:ident, $fy:ident| $fbody:expr;
        int |$ix:ident, $iy:ident| $ibody:expr;
        bool |$bx:ident, $by:ident| $bbody:expr;
    )*) => {$(
        pub(crate) struct $Kernel;
        impl BinaryKernel for $Kernel {
            const NAME: &'static str = stringify!($name);
            const NAME_INPLACE: &'static str = stringify!($name_);
            $(const INT_TO_FLOAT: bool = $itf;)?
            #[inline(always)]
            #[allow(unused_variables)]
            fn f32($fx: f32, $fy: f32) -> f32 { $fbody }
            #[inline(always)]
            #[allow(unused_variables)]
            fn f64($fx: f64, $fy: f64) -> f64 { $fbody }
            #[inline(always)]
            #[allow(unused_variables)]
            fn i64($ix: i64, $iy: i64) -> i64 { $ibody }
            #[inline(always)]
            #[allow(unused_variables)]
            fn i32($ix: i32, $iy: i32) -> i32 { $ibody }
            #[inline(always)]
            #[allow(unused_variables)]
            fn u8($ix: u8, $iy: u8) -> u8 { $ibody }
            #[inline(always)]
            #[allow(unused_variables)]
            fn bool($bx: bool, $by: bool) -> bool { $bbody }
        }

        impl Array {
            $(#[$doc])*
            ///
            /// `other` is an array (broadcast against `self`) or a number; the result dtype
            /// follows PyTorch's promotion rules.
            ///
            /// # Panics
            /// If the shapes do not broadcast.
            #[track_caller]
            pub fn $name<'a>(&self, other: impl IntoOperand<'a>) -> Array {
                binary::<$Kernel>(self, other)
            }

            #[doc = concat!("In-place [`", stringify!($name), "`](Array::", stringify!($name),
                            "), writing through views; bumps the version counter.")]
            ///
            /// # Panics
            /// If `other` does not broadcast to `self`'s shape, if the result type cannot be
            /// cast to `self`'s dtype (int array, float operand), or if `self` is an expanded
            /// view.
            #[track_caller]
            pub fn $name_<'a>(&self, other: impl IntoOperand<'a>) {
                binary_::<$Kernel>(self, other)
            }
        }
    )*};
}

#[track_caller]
fn int_div_zero(op: &str) -> ! {
    panic!("{op}: integer division by zero")
}

/// PyTorch's floor division of floats: exact at the boundaries where `(x / y).floor()` is not.
#[inline(always)]
fn div_floor_f64(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        return x / y;
    }
    let m = x % y;
    let mut d = (x - m) / y;
    if m != 0.0 && ((y < 0.0) != (m < 0.0)) {
        d -= 1.0;
    }
    if d != 0.0 {
        let f = d.floor();
        if d - f > 0.5 { f + 1.0 } else { f }
    } else {
        0.0f64.copysign(x / y)
    }
}

binary! {
    /// Element-wise `self + other` (`torch.add`). Also the `+` operator.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1.0f32], [2.0]]);          // [2, 1]
    /// let b = Array::from([10.0f32, 20.0, 30.0]);      // [3]
    /// assert_eq!(a.add(&b).shape(), &[2, 3]);          // broadcast
    /// assert_eq!((&a + 1.0).to_vec::<f32>(), vec![2.0, 3.0]);
    /// ```
    Add, add, add_;
    float |x, y| x + y;
    int |x, y| x.wrapping_add(y);
    bool |x, y| x | y;

    /// Element-wise `self - other` (`torch.sub`). Also the `-` operator.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([5i64, 7]);
    /// assert_eq!(a.sub(2).to_vec::<i64>(), vec![3, 5]);
    /// ```
    Sub, sub, sub_;
    float |x, y| x - y;
    int |x, y| x.wrapping_sub(y);
    bool |x, y| panic!("sub: subtracting bool arrays is not supported; use logical_xor");

    /// Element-wise `self * other` (`torch.mul`). Also the `*` operator.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.5f64, -2.0]);
    /// assert_eq!(a.mul(&a).to_vec::<f64>(), vec![2.25, 4.0]);
    /// ```
    Mul, mul, mul_;
    float |x, y| x * y;
    int |x, y| x.wrapping_mul(y);
    bool |x, y| x & y;

    /// True division `self / other` (`torch.div`): integer inputs give a float result.
    /// Also the `/` operator.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1i64, 3]);
    /// assert_eq!(a.div(2).to_vec::<f32>(), vec![0.5, 1.5]);
    /// ```
    Div, div, div_, int_to_float = true;
    float |x, y| x / y;
    int |x, y| unreachable!();
    bool |x, y| unreachable!();

    /// Floor division (`torch.floor_divide`, `torch.div(rounding_mode="floor")`), rounding
    /// toward negative infinity.
    ///
    /// # Panics
    /// On integer division by zero.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([7i64, -7]);
    /// assert_eq!(a.floor_divide(2).to_vec::<i64>(), vec![3, -4]);
    /// let f = ember_tensor::Array::from([7.0f32, -7.0]);
    /// assert_eq!(f.floor_divide(2.0).to_vec::<f32>(), vec![3.0, -4.0]);
    /// ```
    FloorDivide, floor_divide, floor_divide_;
    float |x, y| div_floor_f64(x as f64, y as f64) as _;
    int |x, y| {
        if y == 0 {
            int_div_zero("floor_divide")
        }
        let zero = y.wrapping_sub(y);
        let q = x.wrapping_div(y);
        if x.wrapping_rem(y) != zero && ((x < zero) != (y < zero)) { q.wrapping_sub(1) } else { q }
    };
    bool |x, y| panic!("floor_divide: not supported for bool arrays");

    /// Python-style remainder (`torch.remainder`): the result has the sign of the divisor.
    /// Also the `%` operator.
    ///
    /// # Panics
    /// On integer division by zero.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([-3i64, 3]);
    /// assert_eq!(a.remainder(2).to_vec::<i64>(), vec![1, 1]);
    /// ```
    Remainder, remainder, remainder_;
    float |x, y| {
        let m = x % y;
        if m != 0.0 && ((y < 0.0) != (m < 0.0)) { m + y } else { m }
    };
    int |x, y| {
        if y == 0 {
            int_div_zero("remainder")
        }
        let m = x.wrapping_rem(y);
        let zero = y.wrapping_sub(y);
        if m != zero && ((y < zero) != (m < zero)) { m.wrapping_add(y) } else { m }
    };
    bool |x, y| panic!("remainder: not supported for bool arrays");

    /// C-style remainder (`torch.fmod`): the result has the sign of the dividend.
    ///
    /// # Panics
    /// On integer division by zero.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([-3.0f32, 3.0]);
    /// assert_eq!(a.fmod(2.0).to_vec::<f32>(), vec![-1.0, 1.0]);
    /// ```
    Fmod, fmod, fmod_;
    float |x, y| x % y;
    int |x, y| {
        if y == 0 {
            int_div_zero("fmod")
        }
        x.wrapping_rem(y)
    };
    bool |x, y| panic!("fmod: not supported for bool arrays");

    /// `self` raised to `other` (`torch.pow`).
    ///
    /// # Panics
    /// For an integer raised to a negative integer power, as PyTorch.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([2.0f32, 3.0]);
    /// assert_eq!(a.pow(2.0).to_vec::<f32>(), vec![4.0, 9.0]);
    /// assert_eq!(ember_tensor::Array::from([3i64]).pow(3).to_vec::<i64>(), vec![27]);
    /// ```
    Pow, pow, pow_;
    float |x, y| x.powf(y);
    int |x, y| {
        if (y as i64) < 0 {
            panic!("pow: integers to negative integer powers are not allowed")
        }
        x.wrapping_pow(y as u32)
    };
    bool |x, y| x | !y;

    /// Element-wise maximum (`torch.maximum`); NaN wins, as in PyTorch.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f32, 5.0, f32::NAN]);
    /// let m = a.maximum(&ember_tensor::Array::from([3.0f32, 2.0, 0.0]));
    /// assert_eq!(&m.to_vec::<f32>()[..2], &[3.0, 5.0]);
    /// assert!(m.to_vec::<f32>()[2].is_nan());
    /// ```
    Maximum, maximum, maximum_;
    float |x, y| if x.is_nan() || y.is_nan() { x + y } else if x > y { x } else { y };
    int |x, y| x.max(y);
    bool |x, y| x | y;

    /// Element-wise minimum (`torch.minimum`); NaN wins, as in PyTorch.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1i32, 5]);
    /// assert_eq!(a.minimum(&ember_tensor::Array::from([3i32, 2])).to_vec::<i32>(), vec![1, 2]);
    /// ```
    Minimum, minimum, minimum_;
    float |x, y| if x.is_nan() || y.is_nan() { x + y } else if x < y { x } else { y };
    int |x, y| x.min(y);
    bool |x, y| x & y;

    /// Four-quadrant arctangent of `self / other` (`torch.atan2`), in radians.
    ///
    /// ```
    /// let y = ember_tensor::Array::from([1.0f64]);
    /// let r = y.atan2(-1.0).item::<f64>();
    /// assert!((r - 3.0 * std::f64::consts::FRAC_PI_4).abs() < 1e-12);
    /// ```
    Atan2, atan2, atan2_, int_to_float = true;
    float |x, y| x.atan2(y);
    int |x, y| unreachable!();
    bool |x, y| unreachable!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_divide_int_matches_python() {
        for x in -9i64..=9 {
            for y in [-4i64, -3, -1, 1, 2, 5] {
                let expected = (x as f64 / y as f64).floor() as i64;
                assert_eq!(FloorDivide::i64(x, y), expected, "{x} // {y}");
                assert_eq!(FloorDivide::f64(x as f64, y as f64), expected as f64);
                assert_eq!(Remainder::i64(x, y), x - expected * y);
            }
        }
    }
}
