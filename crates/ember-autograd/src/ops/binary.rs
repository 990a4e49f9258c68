//! Element-wise binary ops with broadcasting: forward from level 1, backward written with
//! tensor ops (so it is itself differentiable), gradients summed back to each input's shape.

use crate::ops::operand::{IntoTensorOperand, TensorOperand};
use crate::tensor::{Tensor, any_requires_grad, record, record_with_output};
use smallvec::smallvec;

/// `g` summed back to `shape` (undoing broadcasting), or `None` when the input needs none.
fn reduce(g: Tensor, shape: &[usize], need: bool) -> Option<Tensor> {
    need.then(|| g.sum_to_size(shape))
}

macro_rules! binary_doc {
    ($name:ident, $formula:literal) => {
        concat!(
            "\n\nGradients: ",
            $formula,
            ", summed over broadcast dims.\n\n```\n",
            "use ember_autograd::Tensor;\n",
            "let a = Tensor::from([[0.7f64, 1.3]]).requires_grad_(true);\n",
            "let b = Tensor::from([[0.4f64], [0.9]]).requires_grad_(true); // broadcasts to [2, 2]\n",
            "let y = a.",
            stringify!($name),
            "(&b);\n",
            "assert_eq!(y.shape(), &[2, 2]);\n",
            "y.sum().backward();\n",
            "// check d sum / d a[0][0] against a central difference\n",
            "let f = |v: f64| Tensor::from([[v, 1.3]]).",
            stringify!($name),
            "(&b.detach()).sum().item::<f64>();\n",
            "let fd = (f(0.7 + 1e-6) - f(0.7 - 1e-6)) / 2e-6;\n",
            "assert!((a.grad().unwrap().to_vec::<f64>()[0] - fd).abs() < 1e-6);\n",
            "```"
        )
    };
}

impl Tensor {
    /// `self + other` with broadcasting (`torch.add`); `other` is a tensor or a number.
    #[doc = binary_doc!(add, "`g` for both")]
    #[track_caller]
    pub fn add<'a>(&self, other: impl IntoTensorOperand<'a>) -> Tensor {
        let b = match other.into_tensor_operand() {
            TensorOperand::Scalar(v) => {
                let out = self.data().add(v);
                return record("add", out, &[self], move |g, _| {
                    let g = g[0].as_ref().expect("grad");
                    smallvec![Some(g.clone())]
                });
            }
            op => op.resolve(self),
        };
        let out = self.data().add(b.data());
        let (sa, sb) = (self.shape().to_vec(), b.shape().to_vec());
        record("add", out, &[self, &b], move |g, n| {
            let g = g[0].clone().expect("grad");
            smallvec![reduce(g.clone(), &sa, n[0]), reduce(g, &sb, n[1])]
        })
    }

    /// `self - other` with broadcasting (`torch.sub`).
    #[doc = binary_doc!(sub, "`g` and `-g`")]
    #[track_caller]
    pub fn sub<'a>(&self, other: impl IntoTensorOperand<'a>) -> Tensor {
        let b = match other.into_tensor_operand() {
            TensorOperand::Scalar(v) => {
                let out = self.data().sub(v);
                return record("sub", out, &[self], move |g, _| {
                    let g = g[0].as_ref().expect("grad");
                    smallvec![Some(g.clone())]
                });
            }
            op => op.resolve(self),
        };
        let out = self.data().sub(b.data());
        let (sa, sb) = (self.shape().to_vec(), b.shape().to_vec());
        record("sub", out, &[self, &b], move |g, n| {
            let g = g[0].clone().expect("grad");
            smallvec![reduce(g.clone(), &sa, n[0]), reduce(g.neg(), &sb, n[1])]
        })
    }

    /// `self * other` with broadcasting (`torch.mul`).
    #[doc = binary_doc!(mul, "`g·b` and `g·a`")]
    #[track_caller]
    pub fn mul<'a>(&self, other: impl IntoTensorOperand<'a>) -> Tensor {
        let b = match other.into_tensor_operand() {
            TensorOperand::Scalar(v) => {
                let out = self.data().mul(v);
                return record("mul", out, &[self], move |g, _| {
                    let g = g[0].as_ref().expect("grad");
                    smallvec![Some(g.mul(v))]
                });
            }
            op => op.resolve(self),
        };
        let out = self.data().mul(b.data());
        if !any_requires_grad(&[self, &b]) {
            return Tensor::from_array(out);
        }
        let (sa, sb) = (self.shape().to_vec(), b.shape().to_vec());
        let a_s = if b.requires_grad() {
            Some(self.save("mul"))
        } else {
            None
        };
        let b_s = if self.requires_grad() {
            Some(b.save("mul"))
        } else {
            None
        };
        record("mul", out, &[self, &b], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            smallvec![
                n[0].then(|| {
                    g.mul(&b_s.as_ref().expect("saved").unpack())
                        .sum_to_size(&sa)
                }),
                n[1].then(|| {
                    g.mul(&a_s.as_ref().expect("saved").unpack())
                        .sum_to_size(&sb)
                }),
            ]
        })
    }

    /// True division `self / other` with broadcasting (`torch.div`); integers give floats.
    #[doc = binary_doc!(div, "`g/b` and `-g·a/b²`")]
    #[track_caller]
    pub fn div<'a>(&self, other: impl IntoTensorOperand<'a>) -> Tensor {
        let b = match other.into_tensor_operand() {
            TensorOperand::Scalar(v) => {
                let out = self.data().div(v);
                return record("div", out, &[self], move |g, _| {
                    let g = g[0].as_ref().expect("grad");
                    smallvec![Some(g.div(v))]
                });
            }
            op => op.resolve(self),
        };
        let out = self.data().div(b.data());
        if !any_requires_grad(&[self, &b]) {
            return Tensor::from_array(out);
        }
        let (sa, sb) = (self.shape().to_vec(), b.shape().to_vec());
        let a_s = if b.requires_grad() {
            Some(self.save("div"))
        } else {
            None
        };
        let b_s = b.save("div");
        record("div", out, &[self, &b], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            let b = b_s.unpack();
            smallvec![
                n[0].then(|| g.div(&b).sum_to_size(&sa)),
                n[1].then(|| {
                    let a = a_s.as_ref().expect("saved").unpack();
                    g.mul(&a).div(&b.mul(&b)).neg().sum_to_size(&sb)
                }),
            ]
        })
    }

    /// `self ^ exponent` with broadcasting (`torch.pow`); the exponent is a tensor or a number.
    #[doc = binary_doc!(pow, "`g·b·a^(b-1)` (0 where `b = 0`) and `g·a^b·ln a` (0 where `a = 0, b ≥ 0`)")]
    #[track_caller]
    pub fn pow<'a>(&self, exponent: impl IntoTensorOperand<'a>) -> Tensor {
        let b = exponent.into_tensor_operand().resolve(self);
        let out = self.data().pow(b.data());
        if !any_requires_grad(&[self, &b]) {
            return Tensor::from_array(out);
        }
        let (sa, sb) = (self.shape().to_vec(), b.shape().to_vec());
        let (a_s, b_s) = (self.save("pow"), b.save("pow"));
        record_with_output("pow", out, &[self, &b], move |y_s| {
            move |g, n| {
                let g = g[0].as_ref().expect("grad");
                let (a, b) = (a_s.unpack(), b_s.unpack());
                smallvec![
                    n[0].then(|| {
                        let d = b.mul(&a.pow(&b.sub(1.0)));
                        g.mul(&d.masked_fill(&b.eq(0.0), 0.0)).sum_to_size(&sa)
                    }),
                    n[1].then(|| {
                        let y = y_s.unpack();
                        let d = y.mul(&a.log());
                        let zero = a.eq(0.0).logical_and(&b.ge(0.0));
                        g.mul(&d.masked_fill(&zero, 0.0)).sum_to_size(&sb)
                    }),
                ]
            }
        })
    }

    /// Element-wise maximum with broadcasting (`torch.maximum`); NaN propagates.
    #[doc = binary_doc!(maximum, "`g` to the larger input, split in half on ties")]
    #[track_caller]
    pub fn maximum(&self, other: &Tensor) -> Tensor {
        self.extremum(other, true)
    }

    /// Element-wise minimum with broadcasting (`torch.minimum`); NaN propagates.
    #[doc = binary_doc!(minimum, "`g` to the smaller input, split in half on ties")]
    #[track_caller]
    pub fn minimum(&self, other: &Tensor) -> Tensor {
        self.extremum(other, false)
    }

    #[track_caller]
    fn extremum(&self, b: &Tensor, max: bool) -> Tensor {
        let out = if max {
            self.data().maximum(b.data())
        } else {
            self.data().minimum(b.data())
        };
        if !any_requires_grad(&[self, b]) {
            return Tensor::from_array(out);
        }
        let name = if max { "maximum" } else { "minimum" };
        let (sa, sb) = (self.shape().to_vec(), b.shape().to_vec());
        let (a_s, b_s) = (self.save(name), b.save(name));
        record(name, out, &[self, b], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            let (a, b) = (a_s.unpack(), b_s.unpack());
            // The share of `a`: 1 where it wins, 1/2 on ties, 0 where it loses.
            let wins = if max { a.gt(&b) } else { a.lt(&b) };
            let share_a = wins
                .to_dtype(g.dtype())
                .add(&a.eq(&b).to_dtype(g.dtype()).mul(0.5));
            let ga = g.mul(&share_a);
            smallvec![
                n[0].then(|| ga.sum_to_size(&sa)),
                n[1].then(|| g.sub(&ga).sum_to_size(&sb)),
            ]
        })
    }

    /// `atan2(self, other)`, the angle of `(other, self)` (`torch.atan2`).
    #[doc = binary_doc!(atan2, "`g·b/(a²+b²)` and `-g·a/(a²+b²)`")]
    #[track_caller]
    pub fn atan2(&self, other: &Tensor) -> Tensor {
        let out = self.data().atan2(other.data());
        if !any_requires_grad(&[self, other]) {
            return Tensor::from_array(out);
        }
        let (sa, sb) = (self.shape().to_vec(), other.shape().to_vec());
        let (a_s, b_s) = (self.save("atan2"), other.save("atan2"));
        record("atan2", out, &[self, other], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            let (a, b) = (a_s.unpack(), b_s.unpack());
            let r = g.div(&a.mul(&a).add(&b.mul(&b)));
            smallvec![
                n[0].then(|| r.mul(&b).sum_to_size(&sa)),
                n[1].then(|| r.mul(&a).neg().sum_to_size(&sb)),
            ]
        })
    }

    /// Python-style remainder, with the sign of the divisor (`torch.remainder`).
    #[doc = binary_doc!(remainder, "`g` and `-g·floor(a/b)`")]
    #[track_caller]
    pub fn remainder<'a>(&self, other: impl IntoTensorOperand<'a>) -> Tensor {
        let b = other.into_tensor_operand().resolve(self);
        let out = self.data().remainder(b.data());
        self.mod_like("remainder", &b, out, true)
    }

    /// C-style remainder, with the sign of the dividend (`torch.fmod`).
    #[doc = binary_doc!(fmod, "`g` and `-g·trunc(a/b)`")]
    #[track_caller]
    pub fn fmod<'a>(&self, other: impl IntoTensorOperand<'a>) -> Tensor {
        let b = other.into_tensor_operand().resolve(self);
        let out = self.data().fmod(b.data());
        self.mod_like("fmod", &b, out, false)
    }

    #[track_caller]
    fn mod_like(
        &self,
        name: &'static str,
        b: &Tensor,
        out: ember_tensor::Array,
        floor: bool,
    ) -> Tensor {
        if !any_requires_grad(&[self, b]) {
            return Tensor::from_array(out);
        }
        let (sa, sb) = (self.shape().to_vec(), b.shape().to_vec());
        let (a_s, b_s) = (self.save(name), b.save(name));
        record(name, out, &[self, b], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            smallvec![
                n[0].then(|| g.sum_to_size(&sa)),
                n[1].then(|| {
                    let q = a_s.unpack().detach().div(&b_s.unpack().detach());
                    let q = if floor { q.floor() } else { q.trunc() };
                    g.mul(&q).neg().sum_to_size(&sb)
                }),
            ]
        })
    }

    /// `floor(self / other)` (`torch.floor_divide`). Piecewise constant: its result does not
    /// require grad.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let a = Tensor::from([7.0f32, -7.0]).requires_grad_(true);
    /// let q = a.floor_divide(2.0);
    /// assert_eq!(q.to_vec::<f32>(), vec![3.0, -4.0]);
    /// assert!(!q.requires_grad());
    /// ```
    #[track_caller]
    pub fn floor_divide<'a>(&self, other: impl IntoTensorOperand<'a>) -> Tensor {
        let b = other.into_tensor_operand().resolve(self);
        Tensor::from_array(self.data().floor_divide(b.data()))
    }
}
