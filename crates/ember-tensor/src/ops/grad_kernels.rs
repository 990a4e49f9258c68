//! Fused element-wise kernels for the backward of common activations: `g ∘ f'(y)` in one pass
//! instead of three or four separate ops. Level 2 uses them; they are plain array ops.

use half::{bf16, f16};

use crate::Array;
use crate::dtype::DType;
use crate::ops::map::map2;

/// Applies `f(g, y)` in the common float dtype of `g` and `y`.
#[track_caller]
fn float2(
    op: &str,
    g: &Array,
    y: &Array,
    f32f: fn(f32, f32) -> f32,
    f64f: fn(f64, f64) -> f64,
) -> Array {
    let dt = DType::promote(g.dtype(), y.dtype());
    assert!(
        dt.is_floating_point(),
        "{op}: expects floating-point arrays, got {} and {}",
        g.dtype(),
        y.dtype()
    );
    // Cast only what needs it (a clone of an array is not free on tiny tensors).
    let (gc, yc);
    let g = if g.dtype() == dt {
        g
    } else {
        gc = g.to_dtype(dt);
        &gc
    };
    let y = if y.dtype() == dt {
        y
    } else {
        yc = y.to_dtype(dt);
        &yc
    };
    match dt {
        DType::F32 => map2(g, y, op, f32f),
        DType::F64 => map2(g, y, op, f64f),
        DType::F16 => map2(g, y, op, |a: f16, b: f16| {
            f16::from_f32(f32f(a.to_f32(), b.to_f32()))
        }),
        DType::BF16 => map2(g, y, op, |a: bf16, b: bf16| {
            bf16::from_f32(f32f(a.to_f32(), b.to_f32()))
        }),
        _ => unreachable!("checked floating point"),
    }
}

impl Array {
    /// `g·(1 - y²)`, the gradient of `tanh` given its output `y` (`torch.ops.aten.tanh_backward`).
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let g = Array::from([2.0f32, 1.0]);
    /// let y = Array::from([0.5f32, 0.0]);
    /// assert_eq!(g.tanh_backward(&y).to_vec::<f32>(), vec![1.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn tanh_backward(&self, y: &Array) -> Array {
        float2(
            "tanh_backward",
            self,
            y,
            |g, y| g * (1.0 - y * y),
            |g, y| g * (1.0 - y * y),
        )
    }

    /// `g·y·(1 - y)`, the gradient of `sigmoid` given its output `y`.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let g = Array::from([2.0f32]);
    /// let y = Array::from([0.5f32]);
    /// assert_eq!(g.sigmoid_backward(&y).to_vec::<f32>(), vec![0.5]);
    /// ```
    #[track_caller]
    pub fn sigmoid_backward(&self, y: &Array) -> Array {
        float2(
            "sigmoid_backward",
            self,
            y,
            |g, y| g * y * (1.0 - y),
            |g, y| g * y * (1.0 - y),
        )
    }

    /// `g` where `y > threshold`, else 0: the gradient of `relu` (threshold 0) given its output.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let g = Array::from([2.0f32, 3.0]);
    /// let y = Array::from([0.0f32, 1.0]);
    /// assert_eq!(g.threshold_backward(&y, 0.0).to_vec::<f32>(), vec![0.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn threshold_backward(&self, y: &Array, threshold: f64) -> Array {
        let y = y.to_dtype(self.dtype());
        match self.dtype() {
            DType::F32 => {
                let t = threshold as f32;
                map2(
                    self,
                    &y,
                    "threshold_backward",
                    move |g: f32, y: f32| if y > t { g } else { 0.0 },
                )
            }
            DType::F64 => map2(self, &y, "threshold_backward", move |g: f64, y: f64| {
                if y > threshold { g } else { 0.0 }
            }),
            _ => {
                let r = self
                    .to_dtype(DType::F32)
                    .threshold_backward(&y.to_dtype(DType::F32), threshold);
                r.to_dtype(self.dtype())
            }
        }
    }
}
