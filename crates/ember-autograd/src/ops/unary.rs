//! Element-wise unary ops. Adding one is one entry: its name, what its backward needs (`x` the
//! input, `y` the output, or both) and the gradient formula, written with tensor ops so that it
//! is differentiable again. Each entry's doc example checks the gradient against a central
//! difference.

use smallvec::smallvec;
use std::f64::consts::{LN_2, LN_10, PI};

use ember_tensor::Array;

use crate::tensor::{Tensor, any_requires_grad, record, record_with_output};

macro_rules! unary_doc {
    ($name:ident, $formula:literal) => {
        concat!(
            "\n\nGradient: `",
            $formula,
            "`.\n\n```\n",
            "use ember_autograd::Tensor;\n",
            "let x = Tensor::from([0.3f64, 0.6]).requires_grad_(true);\n",
            "x.",
            stringify!($name),
            "().sum().backward();\n",
            "let f = |v: f64| Tensor::from([v]).",
            stringify!($name),
            "().item::<f64>();\n",
            "let fd = (f(0.3 + 1e-6) - f(0.3 - 1e-6)) / 2e-6;\n",
            "assert!((x.grad().unwrap().to_vec::<f64>()[0] - fd).abs() < 1e-6);\n",
            "```"
        )
    };
}

macro_rules! unary_ops {
    ($( $(#[$doc:meta])* $name:ident ($formula:literal) saves $save:ident => |$g:ident, $v:ident| $bwd:expr; )*) => {
        impl Tensor {$(
            $(#[$doc])*
            #[doc = unary_doc!($name, $formula)]
            #[track_caller]
            pub fn $name(&self) -> Tensor {
                let out = self.data().$name();
                unary_ops!(@record $save, stringify!($name), self, out, |$g, $v| $bwd)
            }
        )*}
    };
    (@record x, $n:expr, $x:expr, $out:expr, |$g:ident, $v:ident| $bwd:expr) => {
        record_x($n, $x, $out, |$g: &Tensor, $v: &Tensor| $bwd)
    };
    (@record y, $n:expr, $x:expr, $out:expr, |$g:ident, $v:ident| $bwd:expr) => {
        record_y($n, $x, $out, |$g: &Tensor, $v: &Tensor| $bwd)
    };
}

/// Records a unary op whose gradient needs its input.
#[track_caller]
pub(crate) fn record_x(
    name: &'static str,
    x: &Tensor,
    out: Array,
    f: impl Fn(&Tensor, &Tensor) -> Tensor + Send + 'static,
) -> Tensor {
    if !any_requires_grad(&[x]) {
        return Tensor::from_array(out);
    }
    let xs = x.save(name);
    record(name, out, &[x], move |g, _| {
        smallvec![Some(f(g[0].as_ref().expect("grad"), &xs.unpack()))]
    })
}

/// Records a unary op whose gradient needs only its output.
#[track_caller]
pub(crate) fn record_y(
    name: &'static str,
    x: &Tensor,
    out: Array,
    f: impl Fn(&Tensor, &Tensor) -> Tensor + Send + 'static,
) -> Tensor {
    record_with_output(name, out, &[x], move |ys| {
        move |g, _| smallvec![Some(f(g[0].as_ref().expect("grad"), &ys.unpack()))]
    })
}

unary_ops! {
    /// `-x` (`torch.neg`).
    neg ("-g") saves y => |g, _y| g.neg();
    /// `|x|` (`torch.abs`).
    abs ("g·sign(x)") saves x => |g, x| g.mul(&x.sign());
    /// `e^x` (`torch.exp`).
    exp ("g·y") saves y => |g, y| g.mul(y);
    /// `2^x` (`torch.exp2`).
    exp2 ("g·y·ln 2") saves y => |g, y| g.mul(y).mul(LN_2);
    /// `e^x - 1` (`torch.expm1`).
    expm1 ("g·(y + 1)") saves y => |g, y| g.mul(&y.add(1.0));
    /// Natural logarithm (`torch.log`).
    log ("g/x") saves x => |g, x| g.div(x);
    /// Base-2 logarithm (`torch.log2`).
    log2 ("g/(x·ln 2)") saves x => |g, x| g.div(&x.mul(LN_2));
    /// Base-10 logarithm (`torch.log10`).
    log10 ("g/(x·ln 10)") saves x => |g, x| g.div(&x.mul(LN_10));
    /// `ln(1 + x)` (`torch.log1p`).
    log1p ("g/(1 + x)") saves x => |g, x| g.div(&x.add(1.0));
    /// Square root (`torch.sqrt`).
    sqrt ("g/(2y)") saves y => |g, y| g.div(&y.mul(2.0));
    /// `1/√x` (`torch.rsqrt`).
    rsqrt ("-g·y³/2") saves y => |g, y| g.mul(&y.pow(3.0)).mul(-0.5);
    /// `1/x` (`torch.reciprocal`).
    reciprocal ("-g·y²") saves y => |g, y| g.mul(&y.mul(y)).neg();
    /// Sine (`torch.sin`).
    sin ("g·cos x") saves x => |g, x| g.mul(&x.cos());
    /// Cosine (`torch.cos`).
    cos ("-g·sin x") saves x => |g, x| g.mul(&x.sin()).neg();
    /// Tangent (`torch.tan`).
    tan ("g·(1 + y²)") saves y => |g, y| g.mul(&y.mul(y).add(1.0));
    /// Arcsine (`torch.asin`).
    asin ("g/√(1 - x²)") saves x => |g, x| g.mul(&x.mul(x).neg().add(1.0).rsqrt());
    /// Arccosine (`torch.acos`).
    acos ("-g/√(1 - x²)") saves x => |g, x| g.mul(&x.mul(x).neg().add(1.0).rsqrt()).neg();
    /// Arctangent (`torch.atan`).
    atan ("g/(1 + x²)") saves x => |g, x| g.div(&x.mul(x).add(1.0));
    /// Hyperbolic sine (`torch.sinh`).
    sinh ("g·cosh x") saves x => |g, x| g.mul(&x.cosh());
    /// Hyperbolic cosine (`torch.cosh`).
    cosh ("g·sinh x") saves x => |g, x| g.mul(&x.sinh());
    /// Hyperbolic tangent (`torch.tanh`).
    tanh ("g·(1 - y²)") saves y => |g, y| g.tanh_backward(y);
    /// Logistic sigmoid `1/(1 + e^-x)` (`torch.sigmoid`).
    sigmoid ("g·y·(1 - y)") saves y => |g, y| g.sigmoid_backward(y);
    /// `x·sigmoid(x)` (`torch.nn.functional.silu`).
    silu ("g·s·(1 + x·(1 - s)), s = sigmoid(x)") saves x => |g, x| {
        let s = x.sigmoid();
        g.mul(&s.mul(&x.mul(&s.neg().add(1.0)).add(1.0)))
    };
    /// Error function (`torch.erf`).
    erf ("g·2/√π·e^(-x²)") saves x => |g, x| g.mul(&x.mul(x).neg().exp().mul(2.0 / PI.sqrt()));
    /// `max(x, 0)` (`torch.relu`).
    relu ("g where y > 0, else 0") saves y => |g, y| g.threshold_backward(y, 0.0);
    /// Sign: -1, 0 or 1 (`torch.sign`).
    sign ("0") saves y => |g, _y| g.zeros_like();
    /// Round down (`torch.floor`).
    floor ("0") saves y => |g, _y| g.zeros_like();
    /// Round up (`torch.ceil`).
    ceil ("0") saves y => |g, _y| g.zeros_like();
    /// Round half to even (`torch.round`).
    round ("0") saves y => |g, _y| g.zeros_like();
    /// Round toward zero (`torch.trunc`).
    trunc ("0") saves y => |g, _y| g.zeros_like();
}

impl Tensor {
    /// `x²` (`torch.square`).
    #[doc = unary_doc!(square, "2·g·x")]
    #[track_caller]
    pub fn square(&self) -> Tensor {
        self.mul(self)
    }

    /// `max(x, 0) + slope·min(x, 0)` (`torch.nn.functional.leaky_relu`).
    ///
    /// Gradient: `g` where `x > 0`, else `slope·g`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([-2.0f32, 3.0]).requires_grad_(true);
    /// x.leaky_relu(0.1).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.1, 1.0]);
    /// ```
    #[track_caller]
    pub fn leaky_relu(&self, negative_slope: f64) -> Tensor {
        let out = self.data().leaky_relu(negative_slope);
        record_x("leaky_relu", self, out, move |g, x| {
            g.mul(
                &x.gt(0.0)
                    .to_dtype(g.dtype())
                    .mul(1.0 - negative_slope)
                    .add(negative_slope),
            )
        })
    }

    /// `x` for `x > 0`, else `alpha·(e^x - 1)` (`torch.nn.functional.elu`).
    ///
    /// Gradient: `g` where `x > 0`, else `g·(y + alpha)`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([-1.0f64, 2.0]).requires_grad_(true);
    /// x.elu(1.0).sum().backward();
    /// let g = x.grad().unwrap().to_vec::<f64>();
    /// assert!((g[0] - (-1.0f64).exp()).abs() < 1e-12 && g[1] == 1.0);
    /// ```
    #[track_caller]
    pub fn elu(&self, alpha: f64) -> Tensor {
        let out = self.data().elu(alpha);
        record_x("elu", self, out, move |g, x| {
            let neg = x.mul(&x.le(0.0).to_dtype(x.dtype())).exp().mul(alpha);
            g.mul(&Tensor::where_cond(&x.gt(0.0), &x.ones_like(), &neg))
        })
    }

    /// GELU, `x·Φ(x)`; with `approximate` the tanh form (`torch.nn.functional.gelu`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// for approximate in [false, true] {
    ///     let x = Tensor::from([0.4f64]).requires_grad_(true);
    ///     x.gelu(approximate).backward();
    ///     let f = |v: f64| Tensor::from([v]).gelu(approximate).item::<f64>();
    ///     let fd = (f(0.4 + 1e-6) - f(0.4 - 1e-6)) / 2e-6;
    ///     assert!((x.grad().unwrap().item::<f64>() - fd).abs() < 1e-8);
    /// }
    /// ```
    #[track_caller]
    pub fn gelu(&self, approximate: bool) -> Tensor {
        let out = self.data().gelu(approximate);
        record_x("gelu", self, out, move |g, x| {
            if approximate {
                // y = x/2·(1 + tanh(u)), u = k·(x + c·x³)
                let (k, c) = ((2.0 / PI).sqrt(), 0.044715);
                let x2 = x.mul(x);
                let t = x.mul(&x2.mul(c).add(1.0)).mul(k).tanh();
                let du = x2.mul(3.0 * c).add(1.0).mul(k);
                let d = t
                    .add(1.0)
                    .mul(0.5)
                    .add(&x.mul(0.5).mul(&t.mul(&t).neg().add(1.0)).mul(&du));
                g.mul(&d)
            } else {
                let cdf = x
                    .mul(std::f64::consts::FRAC_1_SQRT_2)
                    .erf()
                    .add(1.0)
                    .mul(0.5);
                let pdf = x.mul(x).mul(-0.5).exp().mul(1.0 / (2.0 * PI).sqrt());
                g.mul(&cdf.add(&x.mul(&pdf)))
            }
        })
    }

    /// `ln(1 + e^(βx))/β`, linear above `threshold` (`torch.nn.functional.softplus`).
    ///
    /// Gradient: `g·sigmoid(βx)`, or `g` where `βx > threshold`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([0.0f32, 30.0]).requires_grad_(true);
    /// x.softplus(1.0, 20.0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn softplus(&self, beta: f64, threshold: f64) -> Tensor {
        let out = self.data().softplus(beta, threshold);
        record_x("softplus", self, out, move |g, x| {
            let bx = x.mul(beta);
            let s = bx.sigmoid();
            g.mul(&Tensor::where_cond(&bx.gt(threshold), &x.ones_like(), &s))
        })
    }

    /// Clamps into `[min, max]` (`torch.clamp`).
    ///
    /// Gradient: `g` where `min ≤ x ≤ max`, else 0.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([-2.0f32, 0.5, 3.0]).requires_grad_(true);
    /// x.clamp(-1.0, 1.0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn clamp(&self, min: f64, max: f64) -> Tensor {
        let out = self.data().clamp(min, max);
        record_x("clamp", self, out, move |g, x| {
            g.mul(&x.ge(min).logical_and(&x.le(max)).to_dtype(g.dtype()))
        })
    }

    /// `max(x, min)` (`torch.clamp_min`). Gradient: `g` where `x ≥ min`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([-2.0f32, 0.5]).requires_grad_(true);
    /// x.clamp_min(0.0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn clamp_min(&self, min: f64) -> Tensor {
        let out = self.data().clamp_min(min);
        record_x("clamp_min", self, out, move |g, x| {
            g.mul(&x.ge(min).to_dtype(g.dtype()))
        })
    }

    /// `min(x, max)` (`torch.clamp_max`). Gradient: `g` where `x ≤ max`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([-2.0f32, 0.5]).requires_grad_(true);
    /// x.clamp_max(0.0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn clamp_max(&self, max: f64) -> Tensor {
        let out = self.data().clamp_max(max);
        record_x("clamp_max", self, out, move |g, x| {
            g.mul(&x.le(max).to_dtype(g.dtype()))
        })
    }

    // ------------------------------------------------------------ fused backward kernels
    // Each is `g ∘ f'(y)` in one pass; itself differentiable in both arguments.

    /// `g·(1 - y²)`: the backward of `tanh` given its output `y`.
    #[track_caller]
    pub(crate) fn tanh_backward(&self, y: &Tensor) -> Tensor {
        let out = self.data().tanh_backward(y.data());
        if !any_requires_grad(&[self, y]) {
            return Tensor::from_array(out);
        }
        let (g_s, y_s) = (self.save("tanh_backward"), y.save("tanh_backward"));
        record("tanh_backward", out, &[self, y], move |gg, n| {
            let gg = gg[0].as_ref().expect("grad");
            let (g, y) = (g_s.unpack(), y_s.unpack());
            smallvec![
                n[0].then(|| gg.tanh_backward(&y)),
                n[1].then(|| gg.mul(&g).mul(&y).mul(-2.0)),
            ]
        })
    }

    /// `g·y·(1 - y)`: the backward of `sigmoid` given its output `y`.
    #[track_caller]
    pub(crate) fn sigmoid_backward(&self, y: &Tensor) -> Tensor {
        let out = self.data().sigmoid_backward(y.data());
        if !any_requires_grad(&[self, y]) {
            return Tensor::from_array(out);
        }
        let (g_s, y_s) = (self.save("sigmoid_backward"), y.save("sigmoid_backward"));
        record("sigmoid_backward", out, &[self, y], move |gg, n| {
            let gg = gg[0].as_ref().expect("grad");
            let (g, y) = (g_s.unpack(), y_s.unpack());
            smallvec![
                n[0].then(|| gg.sigmoid_backward(&y)),
                n[1].then(|| gg.mul(&g).mul(&y.mul(-2.0).add(1.0))),
            ]
        })
    }

    /// `g` where `y > threshold`, else 0: the backward of `relu`.
    #[track_caller]
    pub(crate) fn threshold_backward(&self, y: &Tensor, threshold: f64) -> Tensor {
        let out = self.data().threshold_backward(y.data(), threshold);
        if !any_requires_grad(&[self]) {
            return Tensor::from_array(out);
        }
        let y_s = y.save("threshold_backward");
        record("threshold_backward", out, &[self], move |gg, _| {
            smallvec![Some(
                gg[0]
                    .as_ref()
                    .expect("grad")
                    .threshold_backward(&y_s.unpack(), threshold),
            )]
        })
    }
}
