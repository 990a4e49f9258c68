//! Loss objects (`nn.CrossEntropyLoss`, …): a loss's options held once, called with
//! `(input, target)`. They are not [`Module`](crate::Module)s, since they take two inputs;
//! each calls the function of the same name in [`functional`](crate::functional).

use ember_autograd::Tensor;

use crate::functional::{self as F, ClassLossOptions, Reduction};

/// Cross entropy on logits ([`F::cross_entropy_with`]).
///
/// ```
/// use ember_nn::{CrossEntropyLoss, Tensor};
/// let loss = CrossEntropyLoss::new().label_smoothing(0.1);
/// let l = loss.forward(&Tensor::from([[1.0f32, 2.0]]), &Tensor::from([1i64]));
/// assert!(l.item::<f32>() > 0.0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct CrossEntropyLoss {
    /// Weight, ignore index, reduction, label smoothing.
    pub options: ClassLossOptions,
}

impl CrossEntropyLoss {
    /// Mean reduction, no weights, no smoothing.
    pub fn new() -> CrossEntropyLoss {
        CrossEntropyLoss::default()
    }
    /// Sets per-class weights.
    pub fn weight(mut self, weight: Tensor) -> CrossEntropyLoss {
        self.options.weight = Some(weight);
        self
    }
    /// Sets the ignored class index.
    pub fn ignore_index(mut self, index: i64) -> CrossEntropyLoss {
        self.options.ignore_index = index;
        self
    }
    /// Sets the reduction.
    pub fn reduction(mut self, reduction: Reduction) -> CrossEntropyLoss {
        self.options.reduction = reduction;
        self
    }
    /// Sets label smoothing.
    pub fn label_smoothing(mut self, eps: f64) -> CrossEntropyLoss {
        self.options.label_smoothing = eps;
        self
    }
    /// The loss of `input` logits against `target`.
    #[track_caller]
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
        F::cross_entropy_with(input, target, &self.options)
    }
}

/// Negative log-likelihood on log-probabilities ([`F::nll_loss_with`]).
///
/// ```
/// use ember_nn::{NLLLoss, Tensor};
/// let l = NLLLoss::new().forward(&Tensor::from([[-1.0f32, -2.0]]), &Tensor::from([0i64]));
/// assert_eq!(l.item::<f32>(), 1.0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct NLLLoss {
    /// Weight, ignore index, reduction (label smoothing must stay 0).
    pub options: ClassLossOptions,
}

impl NLLLoss {
    /// Mean reduction, no weights.
    pub fn new() -> NLLLoss {
        NLLLoss::default()
    }
    /// The loss.
    #[track_caller]
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
        F::nll_loss_with(input, target, &self.options)
    }
}

macro_rules! pointwise_loss {
    ($( $(#[$doc:meta])* $name:ident => |$i:ident, $t:ident, $r:ident| $body:expr; )*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name {
            /// How the per-element losses are reduced.
            pub reduction: Reduction,
        }

        impl $name {
            /// With mean reduction.
            pub fn new() -> $name {
                $name::default()
            }
            /// With this reduction.
            pub fn with_reduction(reduction: Reduction) -> $name {
                $name { reduction }
            }
            /// The loss of `input` against `target`.
            #[track_caller]
            pub fn forward(&self, $i: &Tensor, $t: &Tensor) -> Tensor {
                let $r = self.reduction;
                $body
            }
        }
    )*};
}

pointwise_loss! {
    /// Mean squared error ([`F::mse_loss`]).
    ///
    /// ```
    /// use ember_nn::{MSELoss, Tensor};
    /// assert_eq!(MSELoss::new().forward(&Tensor::from([2.0f32]), &Tensor::from([0.0f32])).item::<f32>(), 4.0);
    /// ```
    MSELoss => |i, t, r| F::mse_loss(i, t, r);
    /// Mean absolute error ([`F::l1_loss`]).
    ///
    /// ```
    /// use ember_nn::{L1Loss, Tensor};
    /// assert_eq!(L1Loss::new().forward(&Tensor::from([-2.0f32]), &Tensor::from([0.0f32])).item::<f32>(), 2.0);
    /// ```
    L1Loss => |i, t, r| F::l1_loss(i, t, r);
    /// Smooth L1 with `beta = 1` ([`F::smooth_l1_loss`]).
    ///
    /// ```
    /// use ember_nn::{SmoothL1Loss, Tensor};
    /// assert_eq!(SmoothL1Loss::new().forward(&Tensor::from([0.5f32]), &Tensor::from([0.0f32])).item::<f32>(), 0.125);
    /// ```
    SmoothL1Loss => |i, t, r| F::smooth_l1_loss(i, t, r, 1.0);
    /// Huber with `delta = 1` ([`F::huber_loss`]).
    ///
    /// ```
    /// use ember_nn::{HuberLoss, Tensor};
    /// assert_eq!(HuberLoss::new().forward(&Tensor::from([3.0f32]), &Tensor::from([0.0f32])).item::<f32>(), 2.5);
    /// ```
    HuberLoss => |i, t, r| F::huber_loss(i, t, r, 1.0);
    /// Binary cross entropy on probabilities ([`F::binary_cross_entropy`]).
    ///
    /// ```
    /// use ember_nn::{BCELoss, Tensor};
    /// let l = BCELoss::new().forward(&Tensor::from([0.5f64]), &Tensor::from([1.0f64]));
    /// assert!((l.item::<f64>() - 2f64.ln()).abs() < 1e-12);
    /// ```
    BCELoss => |i, t, r| F::binary_cross_entropy(i, t, None, r);
    /// Binary cross entropy on logits ([`F::binary_cross_entropy_with_logits`]).
    ///
    /// ```
    /// use ember_nn::{BCEWithLogitsLoss, Tensor};
    /// let l = BCEWithLogitsLoss::new().forward(&Tensor::from([0.0f64]), &Tensor::from([1.0f64]));
    /// assert!((l.item::<f64>() - 2f64.ln()).abs() < 1e-12);
    /// ```
    BCEWithLogitsLoss => |i, t, r| F::binary_cross_entropy_with_logits(i, t, None, None, r);
    /// KL divergence with log-probability input ([`F::kl_div`]).
    ///
    /// ```
    /// use ember_nn::{functional::Reduction, KLDivLoss, Tensor};
    /// let p = Tensor::from([[0.25f64, 0.75]]);
    /// let l = KLDivLoss::with_reduction(Reduction::BatchMean).forward(&p.log(), &p);
    /// assert!(l.item::<f64>().abs() < 1e-12);
    /// ```
    KLDivLoss => |i, t, r| F::kl_div(i, t, r, false);
}
