//! Dropout layers: active in training mode, the identity after `eval()`.

use ember_autograd::Tensor;

use crate::functional as F;
use crate::{Hooks, Module};

macro_rules! dropout_layer {
    ($( $(#[$doc:meta])* $name:ident => $f:path; )*) => {$(
        $(#[$doc])*
        #[derive(crate::Module)]
        pub struct $name {
            /// The probability of zeroing.
            pub p: f64,
            /// Training mode (set by `train()`/`eval()`).
            pub training: bool,
            hooks: Hooks,
        }

        impl $name {
            /// Drops with probability `p`.
            ///
            /// # Panics
            /// When `p` is outside `[0, 1]`.
            #[track_caller]
            pub fn new(p: f64) -> $name {
                if !(0.0..=1.0).contains(&p) {
                    panic!("{}: probability must be in [0, 1], got {p}", stringify!($name));
                }
                $name { p, training: true, hooks: Hooks::new() }
            }
        }

        impl Module for $name {
            fn forward(&self, x: &Tensor) -> Tensor {
                self.hooks.call(self, x, |x| $f(x, self.p, self.training))
            }
            fn extra_repr(&self) -> String {
                format!("p={}", self.p)
            }
        }
    )*};
}

dropout_layer! {
    /// Zeroes elements with probability `p`, scaling the rest by `1/(1-p)` ([`F::dropout`]).
    ///
    /// ```
    /// use ember_nn::{DType, Dropout, Module, ModuleExt, Tensor};
    /// let mut d = Dropout::new(0.5);
    /// let x = Tensor::ones(&[100], DType::F32);
    /// assert!(d.forward(&x).to_vec::<f32>().iter().any(|&v| v == 0.0));
    /// d.eval();
    /// assert_eq!(d.forward(&x).to_vec::<f32>(), x.to_vec::<f32>());
    /// ```
    Dropout => F::dropout;
    /// Zeroes whole channels of `(N, C, L)` ([`F::dropout2d`] applied to 1-d maps).
    ///
    /// ```
    /// use ember_nn::{DType, Dropout1d, Module, Tensor};
    /// let y = Dropout1d::new(0.5).forward(&Tensor::ones(&[2, 4, 8], DType::F32));
    /// assert_eq!(y.shape(), &[2, 4, 8]);
    /// ```
    Dropout1d => F::dropout2d;
    /// Zeroes whole channels of `(N, C, H, W)` ([`F::dropout2d`]).
    ///
    /// ```
    /// use ember_nn::{DType, Dropout2d, Module, Tensor};
    /// let y = Dropout2d::new(0.5).forward(&Tensor::ones(&[2, 4, 3, 3], DType::F32));
    /// assert_eq!(y.shape(), &[2, 4, 3, 3]);
    /// ```
    Dropout2d => F::dropout2d;
    /// Zeroes whole channels of `(N, C, D, H, W)`.
    ///
    /// ```
    /// use ember_nn::{DType, Dropout3d, Module, Tensor};
    /// let y = Dropout3d::new(0.5).forward(&Tensor::ones(&[1, 2, 2, 2, 2], DType::F32));
    /// assert_eq!(y.shape(), &[1, 2, 2, 2, 2]);
    /// ```
    Dropout3d => F::dropout2d;
    /// Dropout that keeps SELU activations self-normalising ([`F::alpha_dropout`]).
    ///
    /// ```
    /// use ember_nn::{AlphaDropout, DType, Module, Tensor};
    /// let y = AlphaDropout::new(0.2).forward(&Tensor::randn(&[10], DType::F32));
    /// assert_eq!(y.shape(), &[10]);
    /// ```
    AlphaDropout => F::alpha_dropout;
}
