//! In-place ops. Without grad (or when nothing involved requires grad) they write straight
//! through the storage. With grad, the op is recorded as if out of place and the result written
//! back: the tensor's `grad_fn` becomes the op's node, and when the tensor is a view, its base's
//! `grad_fn` becomes a `copy_slices` node that routes the gradient of the written region
//! through the op and the rest straight to the old base, as PyTorch's CopySlices does.

use smallvec::smallvec;
use std::sync::Arc;

use ember_tensor::Array;

use crate::grad_mode::is_grad_enabled;
use crate::ops::operand::IntoTensorOperand;
use crate::ops::view::storage_index;
use crate::tensor::{Tensor, record};

impl Tensor {
    /// Runs an in-place op. `fast` writes through the storage (no graph); `compute` is the
    /// out-of-place op on a tensor holding the old value (with this tensor's graph identity).
    /// `needs_old`: whether `compute` saves its input, which then must be a copy.
    #[track_caller]
    pub(crate) fn inplace(
        &self,
        name: &'static str,
        others_require_grad: bool,
        needs_old: bool,
        fast: impl FnOnce(&Array),
        compute: impl FnOnce(&Tensor) -> Tensor,
    ) -> &Tensor {
        if !is_grad_enabled() || (!self.requires_grad() && !others_require_grad) {
            fast(self.data());
            return self;
        }
        let loc = std::panic::Location::caller();
        if self.is_leaf() && self.requires_grad() {
            panic!(
                "{name}: a leaf tensor that requires grad (shape {:?}) is used in an in-place \
                 operation at {loc}; do it under no_grad (as optimizers do), or on a clone()",
                self.shape()
            );
        }
        let base = self.view_base();
        if let Some(b) = &base
            && b.is_leaf()
            && b.requires_grad()
        {
            panic!(
                "{name}: a view of a leaf tensor that requires grad is used in an in-place \
                 operation at {loc}; the leaf (shape {:?}) would change without a gradient \
                 path. Do it under no_grad, or on a clone()",
                b.shape()
            );
        }
        // The old value, carrying this tensor's place in the graph.
        let old = {
            let data = if needs_old {
                self.data().clone_array()
            } else {
                self.data().clone()
            };
            let t = Tensor::from_array(data);
            {
                let edge = self.grad_fn();
                let mut m = t.meta();
                let sm = self.meta();
                m.grad_fn = edge;
                m.output_nr = sm.output_nr;
                m.requires_grad = sm.requires_grad;
            }
            t
        };
        let r = compute(&old);
        assert!(
            self.dtype().is_floating_point() || !r.dtype().is_floating_point(),
            "{name}: the result type {} cannot be cast to the destination's dtype {} in place",
            r.dtype(),
            self.dtype()
        );
        self.data().copy_(r.data());
        match base {
            None => {
                let rm = r.meta();
                let mut m = self.meta();
                m.grad_fn = rm.grad_fn.clone();
                m.output_nr = rm.output_nr;
            }
            Some(base) => {
                // base_new = base_old with the view's region replaced by r.
                let idx = Arc::new(Tensor::from_array(storage_index(
                    base.data().layout(),
                    self.data().layout(),
                    base.data().storage().len(),
                )));
                let old_base = Tensor::from_array(base.data().clone());
                {
                    let edge = base.grad_fn();
                    let mut m = old_base.meta();
                    m.grad_fn = edge;
                    m.output_nr = base.meta().output_nr;
                }
                let bs: Vec<isize> = base.shape().iter().map(|&s| s as isize).collect();
                let vs: Vec<isize> = self.shape().iter().map(|&s| s as isize).collect();
                let n = base.numel();
                let node_t = record(
                    "copy_slices",
                    base.data().clone(),
                    &[&old_base, &r],
                    move |g, nd| {
                        let g = g[0].as_ref().expect("grad");
                        let flat = idx.reshape(&[-1]);
                        let region = g.reshape(&[-1]).index_select(0, &flat);
                        smallvec![
                            nd[0].then(|| {
                                let put = Tensor::zeros(&[n], g.dtype())
                                    .index_add(0, &flat, &region, 1.0)
                                    .reshape(&bs);
                                g.sub(&put)
                            }),
                            nd[1].then(|| region.reshape(&vs)),
                        ]
                    },
                );
                let nm = node_t.meta();
                let mut m = base.meta();
                m.grad_fn = nm.grad_fn.clone();
                m.output_nr = 0;
                // This view's grad_fn is rebuilt from the base on next use (its version moved).
            }
        }
        self
    }
}

macro_rules! inplace_binary {
    ($( $(#[$doc:meta])* $name_:ident => $name:ident, needs_old_if_other_rg = $no:expr; )*) => {
        impl Tensor {$(
            $(#[$doc])*
            #[track_caller]
            pub fn $name_<'a>(&self, other: impl IntoTensorOperand<'a>) -> &Tensor {
                let b = other.into_tensor_operand().resolve(self);
                let orq = b.requires_grad() && is_grad_enabled();
                self.inplace(
                    stringify!($name_),
                    orq,
                    orq && $no,
                    |a| a.$name_(b.data()),
                    |old| old.$name(&*b),
                )
            }
        )*}
    };
}

inplace_binary! {
    /// In-place [`add`](Tensor::add); returns `self` for chaining.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([1.0f32]);
    /// x.add_(2.0);
    /// assert_eq!(x.item::<f32>(), 3.0);
    /// ```
    add_ => add, needs_old_if_other_rg = false;
    /// In-place [`sub`](Tensor::sub).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([1.0f32]);
    /// x.sub_(2.0);
    /// assert_eq!(x.item::<f32>(), -1.0);
    /// ```
    sub_ => sub, needs_old_if_other_rg = false;
    /// In-place [`mul`](Tensor::mul).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let w = Tensor::from([3.0f32]).requires_grad_(true);
    /// let y = w.mul(1.0); // a non-leaf: in-place ops on it are recorded
    /// y.mul_(&w);
    /// y.backward();
    /// assert_eq!(w.grad().unwrap().item::<f32>(), 6.0);
    /// ```
    mul_ => mul, needs_old_if_other_rg = true;
    /// In-place [`div`](Tensor::div).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([1.0f32]);
    /// x.div_(4.0);
    /// assert_eq!(x.item::<f32>(), 0.25);
    /// ```
    div_ => div, needs_old_if_other_rg = true;
    /// In-place [`pow`](Tensor::pow).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([3.0f32]);
    /// x.pow_(2.0);
    /// assert_eq!(x.item::<f32>(), 9.0);
    /// ```
    pow_ => pow, needs_old_if_other_rg = true;
}

impl Tensor {
    /// Fills with `value` in place; the gradient to the old value is zero.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[2], ember_autograd::DType::F32);
    /// x.fill_(7.0);
    /// assert_eq!(x.to_vec::<f32>(), vec![7.0, 7.0]);
    /// ```
    #[track_caller]
    pub fn fill_(&self, value: f64) -> &Tensor {
        self.inplace(
            "fill_",
            false,
            false,
            |a| a.fill_(value),
            |old| old.mul(0.0).add(value),
        )
    }

    /// Fills with zeros in place (`Tensor.zero_`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::ones(&[2], ember_autograd::DType::F32);
    /// x.zero_();
    /// assert_eq!(x.to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn zero_(&self) -> &Tensor {
        self.fill_(0.0)
    }

    /// Copies `src` (broadcast) into `self` in place (`Tensor.copy_`); gradients flow to `src`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let src = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// let buf = Tensor::zeros(&[2, 2], ember_autograd::DType::F32);
    /// buf.select(0, 1).copy_(&src); // write row 1 of a buffer that does not require grad
    /// buf.sum().backward();
    /// assert_eq!(src.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn copy_(&self, src: &Tensor) -> &Tensor {
        let shape = self.shape().to_vec();
        let dt = self.dtype();
        self.inplace(
            "copy_",
            src.requires_grad() && is_grad_enabled(),
            false,
            |a| a.copy_(src.data()),
            |old| {
                old.mul(0.0)
                    .add(&src.to_dtype(dt).expand(&crate::ops::view::isz(&shape)))
            },
        )
    }

    /// In-place [`clamp`](Tensor::clamp).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([5.0f32]);
    /// x.clamp_(0.0, 1.0);
    /// assert_eq!(x.item::<f32>(), 1.0);
    /// ```
    #[track_caller]
    pub fn clamp_(&self, min: f64, max: f64) -> &Tensor {
        self.inplace(
            "clamp_",
            false,
            true,
            |a| a.copy_(&a.clamp(min, max)),
            |old| old.clamp(min, max),
        )
    }

    /// In-place [`relu`](Tensor::relu).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([-1.0f32, 2.0]);
    /// x.relu_();
    /// assert_eq!(x.to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn relu_(&self) -> &Tensor {
        self.inplace(
            "relu_",
            false,
            false,
            |a| a.copy_(&a.relu()),
            |old| old.relu(),
        )
    }

    /// In-place [`masked_fill`](Tensor::masked_fill).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0]);
    /// x.masked_fill_(&Tensor::from([true, false]), 0.0);
    /// assert_eq!(x.to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn masked_fill_(&self, mask: &Tensor, value: f64) -> &Tensor {
        self.inplace(
            "masked_fill_",
            false,
            false,
            |a| a.masked_fill_(mask.data(), value),
            |old| old.masked_fill(mask, value),
        )
    }

    /// In-place [`index_put`](Tensor::index_put).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::zeros(&[3], ember_autograd::DType::F32);
    /// x.index_put_(&[&Tensor::from([0i64, 2])], &Tensor::from([1.0f32]), false);
    /// assert_eq!(x.to_vec::<f32>(), vec![1.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn index_put_(&self, indices: &[&Tensor], values: &Tensor, accumulate: bool) -> &Tensor {
        let idx: Vec<&Array> = indices.iter().map(|t| t.data()).collect();
        self.inplace(
            "index_put_",
            values.requires_grad() && is_grad_enabled(),
            false,
            |a| a.index_put_(&idx, values.data(), accumulate),
            |old| old.index_put(indices, values, accumulate),
        )
    }

    /// In-place [`scatter`](Tensor::scatter).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::zeros(&[3], ember_autograd::DType::F32);
    /// x.scatter_(0, &Tensor::from([1i64]), &Tensor::from([4.0f32]));
    /// assert_eq!(x.to_vec::<f32>(), vec![0.0, 4.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn scatter_(&self, d: isize, index: &Tensor, src: &Tensor) -> &Tensor {
        self.inplace(
            "scatter_",
            src.requires_grad() && is_grad_enabled(),
            false,
            |a| a.scatter_(d, index.data(), src.data()),
            |old| old.scatter(d, index, src),
        )
    }

    /// In-place [`index_add`](Tensor::index_add).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::zeros(&[3], ember_autograd::DType::F32);
    /// x.index_add_(0, &Tensor::from([1i64, 1]), &Tensor::from([1.0f32, 2.0]), 1.0);
    /// assert_eq!(x.to_vec::<f32>(), vec![0.0, 3.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn index_add_(&self, d: isize, index: &Tensor, source: &Tensor, alpha: f64) -> &Tensor {
        self.inplace(
            "index_add_",
            source.requires_grad() && is_grad_enabled(),
            false,
            |a| a.index_add_(d, index.data(), source.data(), alpha),
            |old| old.index_add(d, index, source, alpha),
        )
    }
}
