//! Element-wise unary math. Each op is one entry: its name and its formula. Float-only ops turn
//! integer inputs into f32, as PyTorch does; f16/bf16 compute in f32.

use crate::Array;
use crate::dtype::{DType, Scalar};
use crate::ops::macros::float_map1;
use crate::ops::map::map1;
use crate::ops::operand::{IntoOperand, Operand, result_type};
use crate::vmath::FastMath;

/// The input as a floating array (integers and bools become f32).
pub(crate) fn as_float(x: &Array) -> std::borrow::Cow<'_, Array> {
    if x.dtype().is_floating_point() {
        std::borrow::Cow::Borrowed(x)
    } else {
        std::borrow::Cow::Owned(x.to_dtype(DType::F32))
    }
}

macro_rules! float_unary {
    ($( $(#[$doc:meta])* $name:ident => |$x:ident| $body:expr; )*) => {
        impl Array {$(
            $(#[$doc])*
            ///
            /// Integer and bool inputs give an f32 result.
            pub fn $name(&self) -> Array {
                let x = as_float(self);
                float_map1!(&x, |$x| $body)
            }
        )*}
    };
}

float_unary! {
    /// `e^x` (`torch.exp`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([0.0f32, 1.0]);
    /// assert_eq!(a.exp().to_vec::<f32>(), vec![1.0, std::f32::consts::E]);
    /// ```
    exp => |x| x.fexp();
    /// `2^x` (`torch.exp2`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([3.0f32]).exp2().to_vec::<f32>(), vec![8.0]);
    /// ```
    exp2 => |x| x.exp2();
    /// `e^x - 1`, accurate near 0 (`torch.expm1`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f64]).expm1().item::<f64>(), 0.0);
    /// ```
    expm1 => |x| x.exp_m1();
    /// Natural logarithm (`torch.log`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([1.0f32]).log().item::<f32>(), 0.0);
    /// ```
    log => |x| x.ln();
    /// Base-2 logarithm (`torch.log2`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([8.0f32]).log2().item::<f32>(), 3.0);
    /// ```
    log2 => |x| x.log2();
    /// Base-10 logarithm (`torch.log10`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([100.0f64]).log10().item::<f64>(), 2.0);
    /// ```
    log10 => |x| x.log10();
    /// `ln(1 + x)`, accurate near 0 (`torch.log1p`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32]).log1p().item::<f32>(), 0.0);
    /// ```
    log1p => |x| x.ln_1p();
    /// Square root (`torch.sqrt`); NaN for negative inputs.
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([9i64]).sqrt().item::<f32>(), 3.0);
    /// ```
    sqrt => |x| x.sqrt();
    /// `1 / sqrt(x)` (`torch.rsqrt`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([4.0f32]).rsqrt().item::<f32>(), 0.5);
    /// ```
    rsqrt => |x| 1.0 / x.sqrt();
    /// `1 / x` (`torch.reciprocal`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([4.0f32]).reciprocal().item::<f32>(), 0.25);
    /// ```
    reciprocal => |x| 1.0 / x;
    /// Sine (`torch.sin`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32]).sin().item::<f32>(), 0.0);
    /// ```
    sin => |x| x.sin();
    /// Cosine (`torch.cos`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32]).cos().item::<f32>(), 1.0);
    /// ```
    cos => |x| x.cos();
    /// Tangent (`torch.tan`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32]).tan().item::<f32>(), 0.0);
    /// ```
    tan => |x| x.tan();
    /// Arcsine (`torch.asin`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32]).asin().item::<f32>(), 0.0);
    /// ```
    asin => |x| x.asin();
    /// Arccosine (`torch.acos`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([1.0f32]).acos().item::<f32>(), 0.0);
    /// ```
    acos => |x| x.acos();
    /// Arctangent (`torch.atan`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32]).atan().item::<f32>(), 0.0);
    /// ```
    atan => |x| x.atan();
    /// Hyperbolic sine (`torch.sinh`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32]).sinh().item::<f32>(), 0.0);
    /// ```
    sinh => |x| x.sinh();
    /// Hyperbolic cosine (`torch.cosh`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32]).cosh().item::<f32>(), 1.0);
    /// ```
    cosh => |x| x.cosh();
    /// Hyperbolic tangent (`torch.tanh`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32]).tanh().item::<f32>(), 0.0);
    /// ```
    tanh => |x| x.ftanh();
    /// Logistic sigmoid `1 / (1 + e^-x)` (`torch.sigmoid`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32]).sigmoid().item::<f32>(), 0.5);
    /// ```
    sigmoid => |x| 1.0 / (1.0 + (-x).fexp());
    /// SiLU / swish, `x * sigmoid(x)` (`torch.nn.functional.silu`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.0f32]).silu().item::<f32>(), 0.0);
    /// ```
    silu => |x| x / (1.0 + (-x).fexp());
    /// The error function (`torch.erf`).
    ///
    /// ```
    /// let e = ember_tensor::Array::from([1.0f64]).erf().item::<f64>();
    /// assert!((e - 0.8427007929497149).abs() < 1e-15);
    /// ```
    erf => |x| x.ferf();
}

/// Formulas that keep integer dtypes (neg, abs, rounding, relu…): one for floats, one for ints.
macro_rules! keep_int_unary {
    ($( $(#[$doc:meta])* $name:ident => float |$x:ident| $fbody:expr, int |$i:ident| $ibody:expr,
        bool |$b:ident| $bbody:expr; )*) => {
        impl Array {$(
            $(#[$doc])*
            #[track_caller]
            pub fn $name(&self) -> Array {
                match self.dtype() {
                    DType::I64 => map1::<i64, i64>(self, |$i| $ibody),
                    DType::I32 => map1::<i32, i32>(self, |$i| $ibody),
                    DType::U8 => map1::<u8, u8>(self, |$i| $ibody),
                    #[allow(unused_variables)]
                    DType::Bool => map1::<bool, bool>(self, |$b| $bbody),
                    _ => float_map1!(self, |$x| $fbody),
                }
            }
        )*}
    };
}

keep_int_unary! {
    /// `-x` (`torch.neg`). Also the unary `-` operator.
    ///
    /// # Panics
    /// For bool arrays (use `logical_not`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([1i64, -2]).neg().to_vec::<i64>(), vec![-1, 2]);
    /// ```
    neg => float |x| -x, int |i| i.wrapping_neg(), bool |b| panic!("neg: negation of a bool array is not supported; use logical_not");
    /// `|x|` (`torch.abs`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([-1.5f32, 2.0]).abs().to_vec::<f32>(), vec![1.5, 2.0]);
    /// ```
    abs => float |x| x.abs(), int |i| if i < i.wrapping_sub(i) { i.wrapping_neg() } else { i }, bool |b| b;
    /// -1, 0 or 1 by the sign of `x` (`torch.sign`); 0 for NaN.
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([-3.0f32, 0.0, 2.0]).sign().to_vec::<f32>(), vec![-1.0, 0.0, 1.0]);
    /// ```
    sign => float |x| ((0.0 < x) as i8 - (x < 0.0) as i8) as _, int |i| {
        let z = i.wrapping_sub(i);
        if i > z { 1 } else if i < z { z.wrapping_sub(1) } else { z }
    }, bool |b| b;
    /// Largest integer `<= x` (`torch.floor`); integer arrays are returned unchanged.
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([-1.5f32, 1.5]).floor().to_vec::<f32>(), vec![-2.0, 1.0]);
    /// ```
    floor => float |x| x.floor(), int |i| i, bool |b| b;
    /// Smallest integer `>= x` (`torch.ceil`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([-1.5f32, 1.5]).ceil().to_vec::<f32>(), vec![-1.0, 2.0]);
    /// ```
    ceil => float |x| x.ceil(), int |i| i, bool |b| b;
    /// Rounds to the nearest integer, halves to even (`torch.round`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([0.5f32, 1.5, 2.5, -0.5]).round().to_vec::<f32>(), vec![0.0, 2.0, 2.0, -0.0]);
    /// ```
    round => float |x| x.round_ties_even(), int |i| i, bool |b| b;
    /// Rounds toward zero (`torch.trunc`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([-1.7f32, 1.7]).trunc().to_vec::<f32>(), vec![-1.0, 1.0]);
    /// ```
    trunc => float |x| x.trunc(), int |i| i, bool |b| b;
    /// `max(x, 0)` (`torch.relu`); NaN stays NaN.
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([-1.0f32, 2.0]).relu().to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    relu => float |x| if x < 0.0 { 0.0 } else { x }, int |i| { let z = i.wrapping_sub(i); if i < z { z } else { i } }, bool |b| b;
}

impl Array {
    /// `x` if positive, else `negative_slope * x` (`torch.nn.functional.leaky_relu`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([-2.0f32, 3.0]);
    /// assert_eq!(a.leaky_relu(0.1).to_vec::<f32>(), vec![-0.2, 3.0]);
    /// ```
    pub fn leaky_relu(&self, negative_slope: f64) -> Array {
        let x = as_float(self);
        float_map1!(&x, |v| if v > 0.0 { v } else { v * negative_slope as F })
    }

    /// `x` if positive, else `alpha * (e^x - 1)` (`torch.nn.functional.elu`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([0.0f64, 2.0]);
    /// assert_eq!(a.elu(1.0).to_vec::<f64>(), vec![0.0, 2.0]);
    /// ```
    pub fn elu(&self, alpha: f64) -> Array {
        let x = as_float(self);
        float_map1!(&x, |v| if v > 0.0 { v } else { alpha as F * v.exp_m1() })
    }

    /// GELU (`torch.nn.functional.gelu`): `approximate = false` is the exact
    /// `x * Φ(x)` with erf, `true` the tanh approximation (`approximate="tanh"`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([0.0f32, 1.0]);
    /// let g = a.gelu(false).to_vec::<f32>();
    /// assert!((g[1] - 0.841_344_7).abs() < 1e-6);
    /// ```
    pub fn gelu(&self, approximate: bool) -> Array {
        let x = as_float(self);
        if approximate {
            float_map1!(&x, |v| {
                let k =
                    std::f64::consts::FRAC_2_SQRT_PI as F * std::f64::consts::FRAC_1_SQRT_2 as F; // sqrt(2/pi)
                0.5 * v * (1.0 + (k * (v + 0.044715 * v * v * v)).ftanh())
            })
        } else {
            float_map1!(&x, |v| 0.5
                * v
                * (1.0 + (v * std::f64::consts::FRAC_1_SQRT_2 as F).ferf()))
        }
    }

    /// `ln(1 + e^(beta x)) / beta`, linear above `threshold` (`torch.nn.functional.softplus`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([0.0f64, 30.0]);
    /// let s = a.softplus(1.0, 20.0).to_vec::<f64>();
    /// assert!((s[0] - 2f64.ln()).abs() < 1e-15);
    /// assert_eq!(s[1], 30.0);
    /// ```
    pub fn softplus(&self, beta: f64, threshold: f64) -> Array {
        let x = as_float(self);
        float_map1!(&x, |v| {
            let (b, t) = (beta as F, threshold as F);
            if v * b > t {
                v
            } else {
                (v * b).exp().ln_1p() / b
            }
        })
    }

    /// Clamps every element into `[min, max]` (`torch.clamp`); NaN stays NaN. The result dtype
    /// follows promotion with the bounds (an int array clamped by floats becomes f32).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([-2.0f32, 0.5, 3.0]);
    /// assert_eq!(a.clamp(-1.0, 1.0).to_vec::<f32>(), vec![-1.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn clamp(&self, min: impl Into<Scalar>, max: impl Into<Scalar>) -> Array {
        self.clamp_impl(Some(min.into()), Some(max.into()))
    }

    /// `max(x, min)` element-wise (`torch.clamp_min`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([-2i64, 5]).clamp_min(0).to_vec::<i64>(), vec![0, 5]);
    /// ```
    #[track_caller]
    pub fn clamp_min(&self, min: impl Into<Scalar>) -> Array {
        self.clamp_impl(Some(min.into()), None)
    }

    /// `min(x, max)` element-wise (`torch.clamp_max`).
    ///
    /// ```
    /// assert_eq!(ember_tensor::Array::from([-2i64, 5]).clamp_max(0).to_vec::<i64>(), vec![-2, 0]);
    /// ```
    #[track_caller]
    pub fn clamp_max(&self, max: impl Into<Scalar>) -> Array {
        self.clamp_impl(None, Some(max.into()))
    }

    #[track_caller]
    fn clamp_impl(&self, min: Option<Scalar>, max: Option<Scalar>) -> Array {
        let mut ops: Vec<Operand<'_>> = vec![self.into_operand()];
        ops.extend(min.iter().chain(max.iter()).map(|s| s.into_operand()));
        let dt = result_type(&ops);
        assert!(dt != DType::Bool, "clamp: not supported for bool arrays");
        let x = self.to_dtype(dt);
        crate::dispatch!(dt, T => {
            let lo: Option<T> = min.map(|s| s.to_elem());
            let hi: Option<T> = max.map(|s| s.to_elem());
            map1::<T, T>(&x, move |v| {
                // `partial_cmp` keeps NaN as it is (it compares as neither less nor greater).
                let below = lo.filter(|lo| v.partial_cmp(lo) == Some(std::cmp::Ordering::Less));
                let above = hi.filter(|hi| v.partial_cmp(hi) == Some(std::cmp::Ordering::Greater));
                below.or(above).unwrap_or(v)
            })
        })
    }

    /// True where the element is NaN (`torch.isnan`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f32, f32::NAN]);
    /// assert_eq!(a.isnan().to_vec::<bool>(), vec![false, true]);
    /// ```
    pub fn isnan(&self) -> Array {
        self.float_predicate(|v| v.is_nan())
    }

    /// True where the element is +-infinity (`torch.isinf`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f32, f32::NEG_INFINITY]);
    /// assert_eq!(a.isinf().to_vec::<bool>(), vec![false, true]);
    /// ```
    pub fn isinf(&self) -> Array {
        self.float_predicate(|v| v.is_infinite())
    }

    /// True where the element is neither NaN nor infinite (`torch.isfinite`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f32, f32::NAN, f32::INFINITY]);
    /// assert_eq!(a.isfinite().to_vec::<bool>(), vec![true, false, false]);
    /// ```
    pub fn isfinite(&self) -> Array {
        self.float_predicate(|v| v.is_finite())
    }

    fn float_predicate(&self, f: fn(f64) -> bool) -> Array {
        if !self.dtype().is_floating_point() {
            let all = f(0.0);
            return crate::dispatch!(self.dtype(), T => map1::<T, bool>(self, move |_| all));
        }
        crate::dispatch_float!(self.dtype(), T => map1::<T, bool>(self, move |v: T| {
            f(crate::Element::to_f64(v))
        }), unreachable!())
    }

    /// Replaces NaN by `nan`, +inf by `posinf` and -inf by `neginf`; `None` infinities
    /// become the dtype's largest/smallest finite value (`torch.nan_to_num`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([f32::NAN, f32::INFINITY, 1.0]);
    /// assert_eq!(a.nan_to_num(0.0, None, None).to_vec::<f32>(), vec![0.0, f32::MAX, 1.0]);
    /// ```
    pub fn nan_to_num(&self, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> Array {
        if !self.dtype().is_floating_point() {
            return self.clone_array();
        }
        crate::dispatch_float!(self.dtype(), T => {
            use num_traits::Float;
            let n = <T as crate::Element>::from_f64(nan);
            let p = posinf.map(<T as crate::Element>::from_f64).unwrap_or(<T as Float>::max_value());
            let m = neginf.map(<T as crate::Element>::from_f64).unwrap_or(<T as Float>::min_value());
            map1::<T, T>(self, move |v| {
                if v.is_nan() { n } else if v.is_infinite() { if v > <T as crate::Element>::ZERO { p } else { m } } else { v }
            })
        }, unreachable!())
    }
}
