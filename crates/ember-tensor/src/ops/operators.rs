//! `+ - * / %` and unary `-` on arrays (owned or borrowed) and numbers: thin sugar over the
//! named methods, so `&a + &b` and `a.add(&b)` are the same call. Number operands are `f64` and
//! `i64` only, so that literals (`&x * 2.0`) infer without annotations; other number types go
//! through the methods (`x.mul(lr_f32)`).

use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

use crate::Array;

macro_rules! operator {
    ($Trait:ident, $method:ident => $amethod:ident) => {
        impl<'a> $Trait<&'a Array> for &Array {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: &'a Array) -> Array {
                Array::$amethod(self, rhs)
            }
        }
        impl $Trait<Array> for &Array {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: Array) -> Array {
                Array::$amethod(self, &rhs)
            }
        }
        impl<'a> $Trait<&'a Array> for Array {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: &'a Array) -> Array {
                Array::$amethod(&self, rhs)
            }
        }
        impl $Trait<Array> for Array {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: Array) -> Array {
                Array::$amethod(&self, &rhs)
            }
        }
        operator!(@scalar $Trait, $method => $amethod, f64, i64);
    };
    (@scalar $Trait:ident, $method:ident => $amethod:ident, $($t:ty),*) => {$(
        impl $Trait<$t> for &Array {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: $t) -> Array {
                Array::$amethod(self, rhs)
            }
        }
        impl $Trait<$t> for Array {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: $t) -> Array {
                Array::$amethod(&self, rhs)
            }
        }
        impl $Trait<&Array> for $t {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: &Array) -> Array {
                let lhs = crate::ops::operand::IntoOperand::into_operand(self).to_array(
                    crate::ops::operand::result_type(&[
                        crate::ops::operand::IntoOperand::into_operand(self),
                        rhs.into(),
                    ]),
                );
                Array::$amethod(&lhs, rhs)
            }
        }
        impl $Trait<Array> for $t {
            type Output = Array;
            #[track_caller]
            fn $method(self, rhs: Array) -> Array {
                self.$method(&rhs)
            }
        }
    )*};
}

operator!(Add, add => add);
operator!(Sub, sub => sub);
operator!(Mul, mul => mul);
operator!(Div, div => div);
operator!(Rem, rem => remainder);

impl Neg for &Array {
    type Output = Array;
    #[track_caller]
    fn neg(self) -> Array {
        Array::neg(self)
    }
}

impl Neg for Array {
    type Output = Array;
    #[track_caller]
    fn neg(self) -> Array {
        Array::neg(&self)
    }
}

#[cfg(test)]
mod tests {
    use crate::Array;

    #[test]
    fn scalar_on_the_left_keeps_the_array_dtype() {
        let a = Array::from([1.0f32, 2.0]);
        let r = 1.0 - &a;
        assert_eq!(r.dtype(), crate::DType::F32);
        assert_eq!(r.to_vec::<f32>(), vec![0.0, -1.0]);
        assert_eq!((2i64 * Array::from([3i32])).to_vec::<i32>(), vec![6]);
        assert_eq!((-&a).to_vec::<f32>(), vec![-1.0, -2.0]);
    }
}
