//! Macros that turn one scalar formula into a kernel per dtype.
//!
//! A formula is written once (`|x| x.exp()`) and instantiated for f32 and f64; f16 and bf16
//! compute in f32 and round once at the end, as PyTorch's "opmath" does.

/// Applies a unary float formula to `$x` (of a floating dtype). Inside the formula, `F` names
/// the compute type (f32 or f64) for casting parameters: `v * slope as F`.
macro_rules! float_map1 {
    ($x:expr, |$v:ident| $body:expr) => {{
        let x: &$crate::Array = $x;
        match x.dtype() {
            $crate::DType::F32 => {
                #[allow(dead_code)]
                type F = f32;
                $crate::ops::map::map1_simd::<f32, f32>(x, |$v: f32| -> f32 { $body })
            }
            $crate::DType::F64 => {
                #[allow(dead_code)]
                type F = f64;
                $crate::ops::map::map1::<f64, f64>(x, |$v: f64| -> f64 { $body })
            }
            $crate::DType::F16 => {
                #[allow(dead_code)]
                type F = f32;
                $crate::ops::map::map1::<half::f16, half::f16>(x, |v: half::f16| {
                    let $v = v.to_f32();
                    half::f16::from_f32($body)
                })
            }
            $crate::DType::BF16 => {
                #[allow(dead_code)]
                type F = f32;
                $crate::ops::map::map1::<half::bf16, half::bf16>(x, |v: half::bf16| {
                    let $v = v.to_f32();
                    half::bf16::from_f32($body)
                })
            }
            d => unreachable!("float kernel on {d}"),
        }
    }};
}

/// Applies a comparison or predicate over any dtype (both operands of one dtype) giving bool.
#[allow(unused_macros)]
macro_rules! any_map2_bool {
    ($a:expr, $b:expr, $op:expr, |$x:ident, $y:ident| $body:expr) => {{
        let (a, b): (&$crate::Array, &$crate::Array) = ($a, $b);
        $crate::dispatch!(a.dtype(), T => $crate::ops::map::map2::<T, T, bool>(a, b, $op, |$x: T, $y: T| -> bool { $body }))
    }};
}

#[allow(unused_imports)]
pub(crate) use any_map2_bool;
pub(crate) use float_map1;
