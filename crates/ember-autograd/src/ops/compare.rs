//! Comparisons and logical ops (bool results, no gradient), `where_cond`, `masked_fill`,
//! dtype casts, and the fused `lerp`/`addcmul`/`addcdiv`.

use ember_tensor::{Array, DType};
use smallvec::smallvec;

use crate::ops::operand::IntoTensorOperand;
use crate::tensor::{Tensor, any_requires_grad, record};

macro_rules! compare_ops {
    ($( $(#[$doc:meta])* $name:ident; )*) => {
        impl Tensor {$(
            $(#[$doc])*
            ///
            /// A bool tensor; it never requires grad.
            #[track_caller]
            pub fn $name<'a>(&self, other: impl IntoTensorOperand<'a>) -> Tensor {
                let b = other.into_tensor_operand().resolve(self);
                Tensor::from_array(self.data().$name(b.data()))
            }
        )*}
    };
}

compare_ops! {
    /// `self == other` element-wise (`torch.eq`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(a.eq(2.0).to_vec::<bool>(), vec![false, true]);
    /// ```
    eq;
    /// `self != other` (`torch.ne`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(a.ne(2.0).to_vec::<bool>(), vec![true, false]);
    /// ```
    ne;
    /// `self < other` (`torch.lt`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(a.lt(2.0).to_vec::<bool>(), vec![true, false]);
    /// ```
    lt;
    /// `self <= other` (`torch.le`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(a.le(1.0).to_vec::<bool>(), vec![true, false]);
    /// ```
    le;
    /// `self > other` (`torch.gt`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(a.gt(1.0).to_vec::<bool>(), vec![false, true]);
    /// ```
    gt;
    /// `self >= other` (`torch.ge`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(a.ge(2.0).to_vec::<bool>(), vec![false, true]);
    /// ```
    ge;
    /// Element-wise logical and (`torch.logical_and`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([true, false]);
    /// assert_eq!(a.logical_and(true).to_vec::<bool>(), vec![true, false]);
    /// ```
    logical_and;
    /// Element-wise logical or (`torch.logical_or`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([true, false]);
    /// assert_eq!(a.logical_or(false).to_vec::<bool>(), vec![true, false]);
    /// ```
    logical_or;
    /// Element-wise logical xor (`torch.logical_xor`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([true, false]);
    /// assert_eq!(a.logical_xor(true).to_vec::<bool>(), vec![false, true]);
    /// ```
    logical_xor;
}

impl Tensor {
    /// Element-wise logical not (`torch.logical_not`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([true, false]);
    /// assert_eq!(a.logical_not().to_vec::<bool>(), vec![false, true]);
    /// ```
    pub fn logical_not(&self) -> Tensor {
        Tensor::from_array(self.data().logical_not())
    }

    /// True where NaN (`torch.isnan`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([f32::NAN, 1.0]);
    /// assert_eq!(a.isnan().to_vec::<bool>(), vec![true, false]);
    /// ```
    pub fn isnan(&self) -> Tensor {
        Tensor::from_array(self.data().isnan())
    }

    /// True where finite (`torch.isfinite`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([f32::INFINITY, 1.0]);
    /// assert_eq!(a.isfinite().to_vec::<bool>(), vec![false, true]);
    /// ```
    pub fn isfinite(&self) -> Tensor {
        Tensor::from_array(self.data().isfinite())
    }

    /// True where ±infinite (`torch.isinf`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([f32::INFINITY, 1.0]);
    /// assert_eq!(a.isinf().to_vec::<bool>(), vec![true, false]);
    /// ```
    pub fn isinf(&self) -> Tensor {
        Tensor::from_array(self.data().isinf())
    }

    /// Converts to `dtype` (`tensor.to(dtype)`); differentiable between float dtypes (the
    /// gradient is cast back).
    ///
    /// ```
    /// use ember_autograd::{DType, Tensor};
    /// let x = Tensor::from([1.5f32]).requires_grad_(true);
    /// let y = x.to_dtype(DType::F64);
    /// y.mul(2.0).backward();
    /// assert_eq!(x.grad().unwrap().dtype(), DType::F32);
    /// assert_eq!(x.grad().unwrap().item::<f32>(), 2.0);
    /// ```
    #[track_caller]
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype() {
            return self.clone();
        }
        let out = self.data().to_dtype(dtype);
        if !dtype.is_floating_point() {
            return Tensor::from_array(out);
        }
        let from = self.dtype();
        record("to_dtype", out, &[self], move |g, _| {
            smallvec![Some(g[0].as_ref().expect("grad").to_dtype(from))]
        })
    }

    /// A tensor of zeros with this one's shape and dtype (no grad).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(a.zeros_like().to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    pub fn zeros_like(&self) -> Tensor {
        Tensor::from_array(self.data().zeros_like())
    }

    /// A tensor of ones with this one's shape and dtype (no grad).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(a.ones_like().to_vec::<f32>(), vec![1.0, 1.0]);
    /// ```
    pub fn ones_like(&self) -> Tensor {
        Tensor::from_array(self.data().ones_like())
    }

    /// `x` where `cond`, else `y`, broadcasting all three (`torch.where`). Gradients go to `x`
    /// where `cond` holds and to `y` elsewhere.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// let cond = Tensor::from([true, false]);
    /// Tensor::where_cond(&cond, &x, 0.0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn where_cond<'a, 'b>(
        cond: &Tensor,
        x: impl IntoTensorOperand<'a>,
        y: impl IntoTensorOperand<'b>,
    ) -> Tensor {
        let x = x.into_tensor_operand();
        let y = y.into_tensor_operand();
        // Numbers take the dtype of the tensor on the other side, as in PyTorch.
        let (x, y) = match (x, y) {
            (crate::ops::TensorOperand::Scalar(s), y) => {
                let y = y.resolve(cond);
                (crate::ops::TensorOperand::Scalar(s).resolve(&y), y)
            }
            (x, y) => {
                let x = x.resolve(cond);
                let y = y.resolve(&x);
                (x, y)
            }
        };
        let out = Array::where_cond(cond.data(), x.data(), y.data());
        if !any_requires_grad(&[&x, &y]) {
            return Tensor::from_array(out);
        }
        let (sx, sy) = (x.shape().to_vec(), y.shape().to_vec());
        let c = cond.detach();
        record("where_cond", out, &[&x, &y], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            smallvec![
                n[0].then(|| Tensor::where_cond(&c, g, 0.0).sum_to_size(&sx)),
                n[1].then(|| Tensor::where_cond(&c, 0.0, g).sum_to_size(&sy)),
            ]
        })
    }

    /// `value` where `mask` (bool, broadcast to `self`), else `self` (`Tensor.masked_fill`).
    /// The gradient is zero where the mask holds.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// let y = x.masked_fill(&Tensor::from([true, false]), -1.0);
    /// assert_eq!(y.to_vec::<f32>(), vec![-1.0, 2.0]);
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn masked_fill(&self, mask: &Tensor, value: f64) -> Tensor {
        let out = self.data().masked_fill(mask.data(), value);
        if !any_requires_grad(&[self]) {
            return Tensor::from_array(out);
        }
        let m = mask.detach();
        let s = self.shape().to_vec();
        record("masked_fill", out, &[self], move |g, _| {
            smallvec![Some(
                g[0].as_ref()
                    .expect("grad")
                    .masked_fill(&m, 0.0)
                    .sum_to_size(&s),
            )]
        })
    }

    /// `self + weight·(end - self)` (`torch.lerp`), differentiable in all three.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let a = Tensor::from([0.0f32]).requires_grad_(true);
    /// let b = Tensor::from([10.0f32]).requires_grad_(true);
    /// let w = Tensor::from([0.25f32]);
    /// let y = a.lerp(&b, &w);
    /// assert_eq!(y.item::<f32>(), 2.5);
    /// y.backward();
    /// assert_eq!((a.grad().unwrap().item::<f32>(), b.grad().unwrap().item::<f32>()), (0.75, 0.25));
    /// ```
    #[track_caller]
    pub fn lerp(&self, end: &Tensor, weight: &Tensor) -> Tensor {
        let out = self.data().lerp(end.data(), weight.data());
        if !any_requires_grad(&[self, end, weight]) {
            return Tensor::from_array(out);
        }
        let shapes = [
            self.shape().to_vec(),
            end.shape().to_vec(),
            weight.shape().to_vec(),
        ];
        let (a_s, b_s, w_s) = (self.save("lerp"), end.save("lerp"), weight.save("lerp"));
        record("lerp", out, &[self, end, weight], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            let w = w_s.unpack();
            smallvec![
                n[0].then(|| g.mul(&w.neg().add(1.0)).sum_to_size(&shapes[0])),
                n[1].then(|| g.mul(&w).sum_to_size(&shapes[1])),
                n[2].then(|| {
                    g.mul(&b_s.unpack().sub(&a_s.unpack()))
                        .sum_to_size(&shapes[2])
                }),
            ]
        })
    }

    /// `self + value·t1·t2` (`torch.addcmul`), differentiable in all three tensors.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let a = Tensor::from([1.0f32]);
    /// let t1 = Tensor::from([2.0f32]).requires_grad_(true);
    /// let t2 = Tensor::from([3.0f32]);
    /// let y = a.addcmul(&t1, &t2, 0.5);
    /// assert_eq!(y.item::<f32>(), 4.0);
    /// y.backward();
    /// assert_eq!(t1.grad().unwrap().item::<f32>(), 1.5);
    /// ```
    #[track_caller]
    pub fn addcmul(&self, t1: &Tensor, t2: &Tensor, value: f64) -> Tensor {
        let out = self.data().addcmul(t1.data(), t2.data(), value);
        if !any_requires_grad(&[self, t1, t2]) {
            return Tensor::from_array(out);
        }
        let shapes = [
            self.shape().to_vec(),
            t1.shape().to_vec(),
            t2.shape().to_vec(),
        ];
        let (s1, s2) = (t1.save("addcmul"), t2.save("addcmul"));
        record("addcmul", out, &[self, t1, t2], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            smallvec![
                n[0].then(|| g.sum_to_size(&shapes[0])),
                n[1].then(|| g.mul(&s2.unpack()).mul(value).sum_to_size(&shapes[1])),
                n[2].then(|| g.mul(&s1.unpack()).mul(value).sum_to_size(&shapes[2])),
            ]
        })
    }

    /// `self + value·t1/t2` (`torch.addcdiv`), differentiable in all three tensors.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let a = Tensor::from([1.0f32]);
    /// let t1 = Tensor::from([2.0f32]);
    /// let t2 = Tensor::from([4.0f32]).requires_grad_(true);
    /// let y = a.addcdiv(&t1, &t2, 2.0);
    /// assert_eq!(y.item::<f32>(), 2.0);
    /// y.backward();
    /// assert_eq!(t2.grad().unwrap().item::<f32>(), -0.25); // -value·t1/t2²
    /// ```
    #[track_caller]
    pub fn addcdiv(&self, t1: &Tensor, t2: &Tensor, value: f64) -> Tensor {
        let out = self.data().addcdiv(t1.data(), t2.data(), value);
        if !any_requires_grad(&[self, t1, t2]) {
            return Tensor::from_array(out);
        }
        let shapes = [
            self.shape().to_vec(),
            t1.shape().to_vec(),
            t2.shape().to_vec(),
        ];
        let (s1, s2) = (t1.save("addcdiv"), t2.save("addcdiv"));
        record("addcdiv", out, &[self, t1, t2], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            let t2 = s2.unpack();
            smallvec![
                n[0].then(|| g.sum_to_size(&shapes[0])),
                n[1].then(|| g.div(&t2).mul(value).sum_to_size(&shapes[1])),
                n[2].then(|| {
                    g.mul(&s1.unpack())
                        .div(&t2.mul(&t2))
                        .mul(-value)
                        .sum_to_size(&shapes[2])
                }),
            ]
        })
    }
}
