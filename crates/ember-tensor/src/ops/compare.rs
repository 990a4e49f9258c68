//! Comparisons, logical ops, selection (`where_cond`, `masked_fill`) and the fused
//! multiply-add family the optimizers use (`lerp`, `addcmul`, `addcdiv`).
//!
//! Comparisons promote both operands with [`result_type`] and give `Bool`. The fused ops
//! compute f16/bf16 in f32 ("opmath", as PyTorch) and round once.

use half::{bf16, f16};

use crate::Array;
use crate::dtype::{DType, Element, Scalar};
use crate::ops::map::{assign2, assign3, map1, map2, map3};
use crate::ops::operand::{IntoOperand, Operand, can_cast, result_type};

/// A floating element type and the type it computes in (f32 for the 16-bit floats).
trait Opmath: Element {
    type C: num_traits::Float + Send + Sync;
    fn up(self) -> Self::C;
    fn down(c: Self::C) -> Self;
    fn c(v: f64) -> Self::C;
}
macro_rules! opmath {
    ($t:ty, $c:ty, |$x:ident| $up:expr, |$y:ident| $down:expr) => {
        impl Opmath for $t {
            type C = $c;
            #[inline(always)]
            fn up(self) -> $c {
                let $x = self;
                $up
            }
            #[inline(always)]
            fn down(c: $c) -> $t {
                let $y = c;
                $down
            }
            #[inline(always)]
            fn c(v: f64) -> $c {
                v as $c
            }
        }
    };
}
opmath!(f32, f32, |x| x, |c| c);
opmath!(f64, f64, |x| x, |c| c);
opmath!(f16, f32, |x| x.to_f32(), |c| f16::from_f32(c));
opmath!(bf16, f32, |x| x.to_f32(), |c| bf16::from_f32(c));

/// Runs `$body` with `$T` bound to the floating element type of `$dtype` (which implements
/// `Opmath`), or panics naming `$op` for other dtypes.
macro_rules! dispatch_opmath {
    ($op:expr, $dtype:expr, $T:ident => $body:expr) => {
        $crate::dispatch_float!($dtype, $T => $body, panic!(
            "{}: expected a floating-point array, got {} (convert with .to_dtype(DType::F32))",
            $op, $dtype
        ))
    };
}

/// `self op other` after promotion, as a bool array.
#[track_caller]
fn compare<'a>(
    a: &Array,
    other: impl IntoOperand<'a>,
    op: &str,
    f: fn(std::cmp::Ordering) -> bool,
) -> Array {
    let other = other.into_operand();
    let dt = crate::ops::operand::result_type_with(a, &other);
    let (x, y) = (a.to_dtype(dt), other.to_array(dt));
    // `partial_cmp` is `None` for NaN: every comparison with NaN is false except `ne`.
    let ne = op == "ne";
    crate::dispatch!(dt, T => map2::<T, T, bool>(&x, &y, op, |p: T, q: T| {
        match p.partial_cmp(&q) {
            Some(o) => f(o),
            None => ne,
        }
    }))
}

macro_rules! comparisons {
    ($( $(#[$doc:meta])* $name:ident => |$o:ident| $body:expr; )*) => {
        impl Array {$(
            $(#[$doc])*
            ///
            /// `other` is an array (broadcast against `self`) or a number; both are promoted with
            /// [`result_type`](crate::result_type) before comparing. The result is `Bool`.
            ///
            /// # Panics
            /// If the shapes do not broadcast.
            #[track_caller]
            pub fn $name<'a>(&self, other: impl IntoOperand<'a>) -> Array {
                compare(self, other, stringify!($name), |$o| $body)
            }
        )*}
    };
}

comparisons! {
    /// Element-wise `self == other` (`torch.eq`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1i64, 2, 3]);
    /// assert_eq!(a.eq(2).to_vec::<bool>(), vec![false, true, false]);
    /// assert_eq!(a.eq(2.5).to_vec::<bool>(), vec![false, false, false]);
    /// ```
    eq => |o| o.is_eq();
    /// Element-wise `self != other` (`torch.ne`); true where either side is NaN.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f32, f32::NAN]);
    /// assert_eq!(a.ne(1.0).to_vec::<bool>(), vec![false, true]);
    /// ```
    ne => |o| o.is_ne();
    /// Element-wise `self < other` (`torch.lt`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1.0f32, 2.0]);
    /// assert_eq!(a.lt(&ember_tensor::Array::from([2.0f32, 2.0])).to_vec::<bool>(), vec![true, false]);
    /// ```
    lt => |o| o.is_lt();
    /// Element-wise `self <= other` (`torch.le`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1u8, 2, 3]);
    /// assert_eq!(a.le(2).to_vec::<bool>(), vec![true, true, false]);
    /// ```
    le => |o| o.is_le();
    /// Element-wise `self > other` (`torch.gt`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([[1.0f32], [3.0]]);
    /// let g = a.gt(&ember_tensor::Array::from([0.0f32, 2.0]));   // broadcast to [2, 2]
    /// assert_eq!(g.to_vec::<bool>(), vec![true, false, true, true]);
    /// ```
    gt => |o| o.is_gt();
    /// Element-wise `self >= other` (`torch.ge`).
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1i32, 2]);
    /// assert_eq!(a.ge(1.5).to_vec::<bool>(), vec![false, true]);
    /// ```
    ge => |o| o.is_ge();
}

/// The operand as a bool array (nonzero is true).
fn truth(o: &Operand<'_>) -> Array {
    match o {
        Operand::Scalar(s) => Array::scalar(s.to_f64() != 0.0),
        Operand::Ref(a) => a.to_dtype(DType::Bool),
        Operand::Owned(a) => a.to_dtype(DType::Bool),
    }
}

#[track_caller]
fn logical<'a>(
    a: &Array,
    other: impl IntoOperand<'a>,
    op: &str,
    f: fn(bool, bool) -> bool,
) -> Array {
    let other = other.into_operand();
    map2::<bool, bool, bool>(&a.to_dtype(DType::Bool), &truth(&other), op, f)
}

impl Array {
    /// Element-wise logical AND (`torch.logical_and`): nonzero elements are true, the result is
    /// `Bool`.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([0.0f32, 1.0, 2.0]);
    /// let b = ember_tensor::Array::from([true, false, true]);
    /// assert_eq!(a.logical_and(&b).to_vec::<bool>(), vec![false, false, true]);
    /// ```
    #[track_caller]
    pub fn logical_and<'a>(&self, other: impl IntoOperand<'a>) -> Array {
        logical(self, other, "logical_and", |x, y| x & y)
    }

    /// Element-wise logical OR (`torch.logical_or`): nonzero elements are true.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([0i64, 0, 3]);
    /// assert_eq!(a.logical_or(&ember_tensor::Array::from([0i64, 5, 0])).to_vec::<bool>(),
    ///            vec![false, true, true]);
    /// ```
    #[track_caller]
    pub fn logical_or<'a>(&self, other: impl IntoOperand<'a>) -> Array {
        logical(self, other, "logical_or", |x, y| x | y)
    }

    /// Element-wise logical XOR (`torch.logical_xor`): nonzero elements are true.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([true, true, false]);
    /// assert_eq!(a.logical_xor(&ember_tensor::Array::from([true, false, false])).to_vec::<bool>(),
    ///            vec![false, true, false]);
    /// ```
    #[track_caller]
    pub fn logical_xor<'a>(&self, other: impl IntoOperand<'a>) -> Array {
        logical(self, other, "logical_xor", |x, y| x ^ y)
    }

    /// Element-wise logical NOT (`torch.logical_not`): true where the element is zero.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([0.0f32, -1.5, f32::NAN]);
    /// assert_eq!(a.logical_not().to_vec::<bool>(), vec![true, false, false]);
    /// ```
    pub fn logical_not(&self) -> Array {
        crate::dispatch!(self.dtype(), T => map1::<T, bool>(self, |x: T| x == T::ZERO))
    }

    /// Picks `x` where `cond` is true and `y` elsewhere (`torch.where(cond, x, y)`).
    ///
    /// `x` and `y` are arrays or numbers, promoted together with
    /// [`result_type`](crate::result_type); all three broadcast to a common shape.
    ///
    /// # Panics
    /// If `cond` is not `Bool`, or the shapes do not broadcast.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let c = Array::from([true, false, true]);
    /// let x = Array::from([1.0f32, 2.0, 3.0]);
    /// assert_eq!(Array::where_cond(&c, &x, 0).to_vec::<f32>(), vec![1.0, 0.0, 3.0]);
    /// assert_eq!(Array::where_cond(&c, 1, 0.5).to_vec::<f32>(), vec![1.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn where_cond<'a, 'b>(
        cond: &Array,
        x: impl IntoOperand<'a>,
        y: impl IntoOperand<'b>,
    ) -> Array {
        assert!(
            cond.dtype() == DType::Bool,
            "where_cond: the condition must be a Bool array, got {} (compare it first, e.g. \
             cond.ne(0))",
            cond.dtype()
        );
        let (x, y) = (x.into_operand(), y.into_operand());
        let dt = result_type(&[x.clone(), y.clone()]);
        let (x, y) = (x.to_array(dt), y.to_array(dt));
        crate::dispatch!(dt, T => map3::<bool, T, T, T>(cond, &x, &y, "where_cond",
            |c, a, b| if c { a } else { b }))
    }

    /// A copy with `value` written where `mask` is true (`torch.Tensor.masked_fill`). `value`
    /// is converted to `self`'s dtype. As in PyTorch, the out-of-place form broadcasts `self`
    /// and `mask` together (the result may be larger than `self`).
    ///
    /// # Panics
    /// If `mask` is not `Bool` or the shapes do not broadcast.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let m = Array::from([true, false]);                  // broadcast over rows
    /// assert_eq!(a.masked_fill(&m, f32::NEG_INFINITY).to_vec::<f32>(),
    ///            vec![f32::NEG_INFINITY, 2.0, f32::NEG_INFINITY, 4.0]);
    /// ```
    #[track_caller]
    pub fn masked_fill(&self, mask: &Array, value: impl Into<Scalar>) -> Array {
        check_mask("masked_fill", mask);
        let value = value.into();
        crate::dispatch!(self.dtype(), T => {
            let v = value.to_elem::<T>();
            map2::<T, bool, T>(self, mask, "masked_fill", |x, m| if m { v } else { x })
        })
    }

    /// In-place [`masked_fill`](Array::masked_fill): `mask` must broadcast to `self`'s shape.
    ///
    /// # Panics
    /// If `mask` is not `Bool`, does not broadcast to `self`'s shape, or `self` is an expanded
    /// view.
    ///
    /// ```
    /// let a = ember_tensor::Array::from([1i64, 2, 3]);
    /// a.masked_fill_(&a.gt(1), 0);
    /// assert_eq!(a.to_vec::<i64>(), vec![1, 0, 0]);
    /// ```
    #[track_caller]
    pub fn masked_fill_(&self, mask: &Array, value: impl Into<Scalar>) {
        check_mask("masked_fill_", mask);
        let value = value.into();
        crate::dispatch!(self.dtype(), T => {
            let v = value.to_elem::<T>();
            assign2::<T, bool>(self, mask, "masked_fill_", |x, m| if m { v } else { x })
        })
    }

    /// Linear interpolation `self + weight * (end - self)` (`torch.lerp`), computed as PyTorch
    /// does for accuracy at both ends: `self + w*(end-self)` when `|w| < 0.5`, else
    /// `end - (end-self)*(1-w)`.
    ///
    /// `end` must have `self`'s (floating) dtype; `weight` is a number or an array of that
    /// dtype. All broadcast together.
    ///
    /// # Panics
    /// If `self` is not floating point, `end`/`weight` arrays have another dtype, or the shapes
    /// do not broadcast.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([0.0f32, 10.0]);
    /// let b = Array::from([10.0f32, 20.0]);
    /// assert_eq!(a.lerp(&b, 0.25).to_vec::<f32>(), vec![2.5, 12.5]);
    /// assert_eq!(a.lerp(&b, &Array::from([1.0f32, 0.0])).to_vec::<f32>(), vec![10.0, 10.0]);
    /// ```
    #[track_caller]
    pub fn lerp<'a, 'b>(&self, end: impl IntoOperand<'a>, weight: impl IntoOperand<'b>) -> Array {
        let (end, weight) = lerp_operands(self, end.into_operand(), weight.into_operand(), "lerp");
        dispatch_opmath!("lerp", self.dtype(), T => match weight {
            Weight::Scalar(w) => {
                let w = T::c(w);
                map2::<T, T, T>(self, &end, "lerp", move |s, e| T::down(lerp_f(s.up(), e.up(), w)))
            }
            Weight::Array(w) => map3::<T, T, T, T>(self, &end, &w, "lerp", |s, e, w| {
                T::down(lerp_f(s.up(), e.up(), w.up()))
            }),
        })
    }

    /// In-place [`lerp`](Array::lerp) (`torch.Tensor.lerp_`), one pass over `self` when it is
    /// contiguous.
    ///
    /// # Panics
    /// As [`lerp`](Array::lerp); also if the operands do not broadcast to `self`'s shape or
    /// `self` is an expanded view.
    ///
    /// ```
    /// let avg = ember_tensor::Array::from([0.0f32, 1.0]);
    /// avg.lerp_(&ember_tensor::Array::from([1.0f32, 1.0]), 0.1); // exponential moving average
    /// assert_eq!(avg.to_vec::<f32>(), vec![0.1, 1.0]);
    /// ```
    #[track_caller]
    pub fn lerp_<'a, 'b>(&self, end: impl IntoOperand<'a>, weight: impl IntoOperand<'b>) {
        let (end, weight) = lerp_operands(self, end.into_operand(), weight.into_operand(), "lerp_");
        dispatch_opmath!("lerp_", self.dtype(), T => match weight {
            Weight::Scalar(w) => {
                let w = T::c(w);
                assign2::<T, T>(self, &end, "lerp_", move |s, e| T::down(lerp_f(s.up(), e.up(), w)))
            }
            Weight::Array(w) => assign3::<T, T, T>(self, &end, &w, "lerp_", |s, e, w| {
                T::down(lerp_f(s.up(), e.up(), w.up()))
            }),
        })
    }

    /// `self + value * tensor1 * tensor2` (`torch.addcmul`), all three broadcast and promoted
    /// together.
    ///
    /// # Panics
    /// If the shapes do not broadcast, or for bool arrays.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([1.0f32, 1.0]);
    /// let r = a.addcmul(&Array::from([2.0f32, 3.0]), &Array::from([4.0f32, 5.0]), 0.5);
    /// assert_eq!(r.to_vec::<f32>(), vec![5.0, 8.5]);
    /// ```
    #[track_caller]
    pub fn addcmul(&self, tensor1: &Array, tensor2: &Array, value: impl Into<Scalar>) -> Array {
        addc(self, tensor1, tensor2, value.into(), false)
    }

    /// `self + value * tensor1 / tensor2` (`torch.addcdiv`), all three broadcast and promoted
    /// together.
    ///
    /// # Panics
    /// If the shapes do not broadcast, or for integer or bool arrays (PyTorch no longer
    /// supports integer division here).
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([1.0f32, 1.0]);
    /// let r = a.addcdiv(&Array::from([2.0f32, 3.0]), &Array::from([4.0f32, 6.0]), 2.0);
    /// assert_eq!(r.to_vec::<f32>(), vec![2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn addcdiv(&self, tensor1: &Array, tensor2: &Array, value: impl Into<Scalar>) -> Array {
        addc(self, tensor1, tensor2, value.into(), true)
    }

    /// In-place [`addcmul`](Array::addcmul), one pass over `self` when it is contiguous
    /// (the optimizers' second-moment update).
    ///
    /// # Panics
    /// As [`addcmul`](Array::addcmul); also if the operands do not broadcast to `self`'s shape,
    /// the promoted type cannot be cast to `self`'s dtype, or `self` is an expanded view.
    ///
    /// ```
    /// let v = ember_tensor::Array::from([1.0f32, 2.0]);
    /// let g = ember_tensor::Array::from([2.0f32, 4.0]);
    /// v.addcmul_(&g, &g, 0.5);
    /// assert_eq!(v.to_vec::<f32>(), vec![3.0, 10.0]);
    /// ```
    #[track_caller]
    pub fn addcmul_(&self, tensor1: &Array, tensor2: &Array, value: impl Into<Scalar>) {
        addc_(self, tensor1, tensor2, value.into(), false)
    }

    /// In-place [`addcdiv`](Array::addcdiv), one pass over `self` when it is contiguous
    /// (Adam's parameter update).
    ///
    /// # Panics
    /// As [`addcdiv`](Array::addcdiv); also if the operands do not broadcast to `self`'s shape,
    /// or `self` is an expanded view.
    ///
    /// ```
    /// let p = ember_tensor::Array::from([1.0f32, 1.0]);
    /// p.addcdiv_(&ember_tensor::Array::from([1.0f32, 3.0]), &ember_tensor::Array::from([2.0f32, 2.0]), -1.0);
    /// assert_eq!(p.to_vec::<f32>(), vec![0.5, -0.5]);
    /// ```
    #[track_caller]
    pub fn addcdiv_(&self, tensor1: &Array, tensor2: &Array, value: impl Into<Scalar>) {
        addc_(self, tensor1, tensor2, value.into(), true)
    }
}

#[track_caller]
fn check_mask(op: &str, mask: &Array) {
    assert!(
        mask.dtype() == DType::Bool,
        "{op}: only Bool masks are supported, got a mask of {} (use mask.ne(0))",
        mask.dtype()
    );
}

enum Weight {
    Scalar(f64),
    Array(Array),
}

#[track_caller]
fn lerp_operands(s: &Array, end: Operand<'_>, weight: Operand<'_>, op: &str) -> (Array, Weight) {
    let dt = s.dtype();
    assert!(
        dt.is_floating_point(),
        "{op}: expected a floating-point array, got {dt} (convert with .to_dtype(DType::F32))"
    );
    let same = |a: &Array, what: &str| {
        assert!(
            a.dtype() == dt,
            "{op}: expected dtype {dt} for `{what}` but got dtype {} (lerp does not promote)",
            a.dtype()
        );
        a.clone()
    };
    let end = match &end {
        Operand::Ref(a) => same(a, "end"),
        Operand::Owned(a) => same(a, "end"),
        Operand::Scalar(_) => end.to_array(dt),
    };
    let weight = match &weight {
        Operand::Ref(a) => Weight::Array(same(a, "weight")),
        Operand::Owned(a) => Weight::Array(same(a, "weight")),
        Operand::Scalar(w) => Weight::Scalar(w.to_f64()),
    };
    (end, weight)
}

#[inline(always)]
fn lerp_f<C: num_traits::Float>(s: C, e: C, w: C) -> C {
    let d = e - s;
    if w.abs() < C::from(0.5).unwrap() {
        s + w * d
    } else {
        e - d * (C::one() - w)
    }
}

#[track_caller]
fn addc_dtype(s: &Array, t1: &Array, t2: &Array, div: bool) -> DType {
    let op = if div { "addcdiv" } else { "addcmul" };
    let dt = result_type(&[Operand::Ref(s), Operand::Ref(t1), Operand::Ref(t2)]);
    if div {
        assert!(
            dt.is_floating_point(),
            "{op}: integer division with addcdiv is not supported (got {dt}); convert to a \
             floating dtype first"
        );
    }
    assert!(dt != DType::Bool, "{op}: not supported for Bool arrays");
    dt
}

#[track_caller]
fn addc(s: &Array, t1: &Array, t2: &Array, value: Scalar, div: bool) -> Array {
    let op = if div { "addcdiv" } else { "addcmul" };
    let dt = addc_dtype(s, t1, t2, div);
    let (x, a, b) = (s.to_dtype(dt), t1.to_dtype(dt), t2.to_dtype(dt));
    if dt.is_floating_point() {
        dispatch_opmath!(op, dt, T => {
            let v = T::c(value.to_f64());
            if div {
                map3::<T, T, T, T>(&x, &a, &b, op, move |s, p, q| T::down(s.up() + v * p.up() / q.up()))
            } else {
                map3::<T, T, T, T>(&x, &a, &b, op, move |s, p, q| T::down(s.up() + v * p.up() * q.up()))
            }
        })
    } else {
        let v = value.to_i64();
        crate::dispatch!(dt, T => map3::<T, T, T, T>(&x, &a, &b, op, move |s, p, q| {
            T::from_i64(s.to_i64().wrapping_add(v.wrapping_mul(p.to_i64()).wrapping_mul(q.to_i64())))
        }))
    }
}

#[track_caller]
fn addc_(s: &Array, t1: &Array, t2: &Array, value: Scalar, div: bool) {
    let op = if div { "addcdiv_" } else { "addcmul_" };
    let dt = addc_dtype(s, t1, t2, div);
    assert!(
        can_cast(dt, s.dtype()),
        "{op}: the result type {dt} cannot be cast to the destination's dtype {} in place",
        s.dtype()
    );
    if dt != s.dtype() {
        let r = addc(s, t1, t2, value, div);
        s.copy_(&r);
        return;
    }
    let (a, b) = (t1.to_dtype(dt), t2.to_dtype(dt));
    if dt.is_floating_point() {
        dispatch_opmath!(op, dt, T => {
            let v = T::c(value.to_f64());
            if div {
                assign3::<T, T, T>(s, &a, &b, op, move |s, p, q| T::down(s.up() + v * p.up() / q.up()))
            } else {
                assign3::<T, T, T>(s, &a, &b, op, move |s, p, q| T::down(s.up() + v * p.up() * q.up()))
            }
        })
    } else {
        let v = value.to_i64();
        crate::dispatch!(dt, T => assign3::<T, T, T>(s, &a, &b, op, move |s, p, q| {
            T::from_i64(s.to_i64().wrapping_add(v.wrapping_mul(p.to_i64()).wrapping_mul(q.to_i64())))
        }))
    }
}
