//! Activations as modules (`nn.ReLU`, …): each holds its options and a hook slot, and calls
//! the function of the same name in [`functional`](crate::functional).

use ember_autograd::Tensor;

use crate::functional as F;
use crate::{Hooks, Module};

macro_rules! simple_activation {
    ($( $(#[$doc:meta])* $name:ident => $f:path, $value:literal => $expected:literal; )*) => {$(
        $(#[$doc])*
        ///
        /// ```
        /// use ember_nn::{Module, Tensor};
        #[doc = concat!("let y = ember_nn::", stringify!($name), "::new().forward(&Tensor::from([", stringify!($value), "f64]));")]
        #[doc = concat!("assert!((y.item::<f64>() - ", stringify!($expected), ").abs() < 1e-6);")]
        /// ```
        #[derive(crate::Module, Default)]
        pub struct $name {
            hooks: Hooks,
        }

        impl $name {
            /// The activation module.
            pub fn new() -> $name {
                $name::default()
            }
        }

        impl Module for $name {
            fn forward(&self, x: &Tensor) -> Tensor {
                self.hooks.call(self, x, |x| $f(x))
            }
        }
    )*};
}

simple_activation! {
    /// `max(x, 0)` ([`F::relu`]).
    ReLU => F::relu, -1.0 => 0.0;
    /// `min(max(x, 0), 6)` ([`F::relu6`]).
    ReLU6 => F::relu6, 7.0 => 6.0;
    /// The logistic sigmoid ([`F::sigmoid`]).
    Sigmoid => F::sigmoid, 0.0 => 0.5;
    /// `tanh` ([`F::tanh`]).
    Tanh => F::tanh, 0.0 => 0.0;
    /// `x·sigmoid(x)` ([`F::silu`]).
    SiLU => F::silu, 1.0 => 0.7310585786300049;
    /// `x·tanh(softplus(x))` ([`F::mish`]).
    Mish => F::mish, 1.0 => 0.8650983882673103;
    /// The scaled ELU ([`F::selu`]).
    SELU => F::selu, 1.0 => 1.0507009873554805;
    /// `x·hardsigmoid(x)` ([`F::hardswish`]).
    Hardswish => F::hardswish, 1.0 => 0.6666666666666666;
    /// `clamp(x/6 + 1/2, 0, 1)` ([`F::hardsigmoid`]).
    Hardsigmoid => F::hardsigmoid, 0.0 => 0.5;
    /// `x / (1 + |x|)` ([`F::softsign`]).
    Softsign => F::softsign, 1.0 => 0.5;
    /// `log(sigmoid(x))` ([`F::logsigmoid`]).
    LogSigmoid => F::logsigmoid, 0.0 => -0.6931471805599453;
}

/// `x` for `x > 0`, else `negative_slope·x` ([`F::leaky_relu`]; default slope 0.01).
///
/// ```
/// use ember_nn::{LeakyReLU, Module, Tensor};
/// let y = LeakyReLU::new(0.1).forward(&Tensor::from([-1.0f32]));
/// assert_eq!(y.item::<f32>(), -0.1);
/// ```
#[derive(crate::Module)]
pub struct LeakyReLU {
    /// The slope for negative inputs.
    pub negative_slope: f64,
    hooks: Hooks,
}

impl LeakyReLU {
    /// A leaky ReLU with this negative slope.
    pub fn new(negative_slope: f64) -> LeakyReLU {
        LeakyReLU {
            negative_slope,
            hooks: Hooks::new(),
        }
    }
}

impl Default for LeakyReLU {
    fn default() -> Self {
        LeakyReLU::new(0.01)
    }
}

impl Module for LeakyReLU {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| F::leaky_relu(x, self.negative_slope))
    }
    fn extra_repr(&self) -> String {
        format!("negative_slope={}", self.negative_slope)
    }
}

/// `x` for `x > 0`, else `alpha·(eˣ − 1)` ([`F::elu`]).
///
/// ```
/// use ember_nn::{ELU, Module, Tensor};
/// let y = ELU::new(1.0).forward(&Tensor::from([0.0f32, 2.0]));
/// assert_eq!(y.to_vec::<f32>(), [0.0, 2.0]);
/// ```
#[derive(crate::Module)]
pub struct ELU {
    /// The negative saturation scale.
    pub alpha: f64,
    hooks: Hooks,
}

impl ELU {
    /// An ELU with this `alpha` (PyTorch's default is 1).
    pub fn new(alpha: f64) -> ELU {
        ELU {
            alpha,
            hooks: Hooks::new(),
        }
    }
}

impl Module for ELU {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| F::elu(x, self.alpha))
    }
    fn extra_repr(&self) -> String {
        format!("alpha={}", self.alpha)
    }
}

/// `max(0, x) + min(0, alpha·(e^{x/alpha} − 1))` ([`F::celu`]).
///
/// ```
/// use ember_nn::{CELU, Module, Tensor};
/// assert_eq!(CELU::new(1.0).forward(&Tensor::from([2.0f32])).item::<f32>(), 2.0);
/// ```
#[derive(crate::Module)]
pub struct CELU {
    /// The negative saturation scale.
    pub alpha: f64,
    hooks: Hooks,
}

impl CELU {
    /// A CELU with this `alpha`.
    pub fn new(alpha: f64) -> CELU {
        CELU {
            alpha,
            hooks: Hooks::new(),
        }
    }
}

impl Module for CELU {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| F::celu(x, self.alpha))
    }
}

/// The Gaussian error linear unit ([`F::gelu`]); `approximate` selects the tanh formula.
///
/// ```
/// use ember_nn::{GELU, Module, Tensor};
/// let y = GELU::new(false).forward(&Tensor::from([0.0f32]));
/// assert_eq!(y.item::<f32>(), 0.0);
/// ```
#[derive(crate::Module)]
pub struct GELU {
    /// Use `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
    pub approximate: bool,
    hooks: Hooks,
}

impl GELU {
    /// A GELU, exact (`false`) or tanh-approximated.
    pub fn new(approximate: bool) -> GELU {
        GELU {
            approximate,
            hooks: Hooks::new(),
        }
    }
}

impl Module for GELU {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| F::gelu(x, self.approximate))
    }
    fn extra_repr(&self) -> String {
        format!(
            "approximate={}",
            if self.approximate { "'tanh'" } else { "'none'" }
        )
    }
}

/// `clamp(x, min_val, max_val)` ([`F::hardtanh`]).
///
/// ```
/// use ember_nn::{Hardtanh, Module, Tensor};
/// let y = Hardtanh::new(-1.0, 1.0).forward(&Tensor::from([-2.0f32, 2.0]));
/// assert_eq!(y.to_vec::<f32>(), [-1.0, 1.0]);
/// ```
#[derive(crate::Module)]
pub struct Hardtanh {
    /// The lower bound.
    pub min_val: f64,
    /// The upper bound.
    pub max_val: f64,
    hooks: Hooks,
}

impl Hardtanh {
    /// A hard tanh between these bounds.
    pub fn new(min_val: f64, max_val: f64) -> Hardtanh {
        Hardtanh {
            min_val,
            max_val,
            hooks: Hooks::new(),
        }
    }
}

impl Module for Hardtanh {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| F::hardtanh(x, self.min_val, self.max_val))
    }
    fn extra_repr(&self) -> String {
        format!("min_val={}, max_val={}", self.min_val, self.max_val)
    }
}

/// `log(1 + e^{beta·x}) / beta`, linear above `threshold` ([`F::softplus`]).
///
/// ```
/// use ember_nn::{Module, Softplus, Tensor};
/// let y = Softplus::new(1.0, 20.0).forward(&Tensor::from([0.0f64]));
/// assert!((y.item::<f64>() - 2f64.ln()).abs() < 1e-12);
/// ```
#[derive(crate::Module)]
pub struct Softplus {
    /// The sharpness.
    pub beta: f64,
    /// Above `beta·x > threshold` the function is the identity.
    pub threshold: f64,
    hooks: Hooks,
}

impl Softplus {
    /// A softplus (PyTorch's defaults: `beta = 1`, `threshold = 20`).
    pub fn new(beta: f64, threshold: f64) -> Softplus {
        Softplus {
            beta,
            threshold,
            hooks: Hooks::new(),
        }
    }
}

impl Module for Softplus {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| F::softplus(x, self.beta, self.threshold))
    }
    fn extra_repr(&self) -> String {
        format!("beta={}, threshold={}", self.beta, self.threshold)
    }
}

/// Softmax along `dim` ([`F::softmax`]).
///
/// ```
/// use ember_nn::{Module, Softmax, Tensor};
/// let y = Softmax::new(-1).forward(&Tensor::from([[1.0f32, 1.0]]));
/// assert_eq!(y.to_vec::<f32>(), [0.5, 0.5]);
/// ```
#[derive(crate::Module)]
pub struct Softmax {
    /// The dim that sums to 1.
    pub dim: isize,
    hooks: Hooks,
}

impl Softmax {
    /// Softmax along `dim`.
    pub fn new(dim: isize) -> Softmax {
        Softmax {
            dim,
            hooks: Hooks::new(),
        }
    }
}

impl Module for Softmax {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| F::softmax(x, self.dim))
    }
    fn extra_repr(&self) -> String {
        format!("dim={}", self.dim)
    }
}

/// Log-softmax along `dim` ([`F::log_softmax`]).
///
/// ```
/// use ember_nn::{LogSoftmax, Module, Tensor};
/// let y = LogSoftmax::new(1).forward(&Tensor::from([[0.0f64, 0.0]]));
/// assert!((y.to_vec::<f64>()[0] + 2f64.ln()).abs() < 1e-12);
/// ```
#[derive(crate::Module)]
pub struct LogSoftmax {
    /// The dim normalised over.
    pub dim: isize,
    hooks: Hooks,
}

impl LogSoftmax {
    /// Log-softmax along `dim`.
    pub fn new(dim: isize) -> LogSoftmax {
        LogSoftmax {
            dim,
            hooks: Hooks::new(),
        }
    }
}

impl Module for LogSoftmax {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| F::log_softmax(x, self.dim))
    }
    fn extra_repr(&self) -> String {
        format!("dim={}", self.dim)
    }
}

/// `x` for `x > 0`, else `a·x` with a learned slope `a` — one, or one per channel
/// ([`F::prelu`]). Initialised to 0.25 as PyTorch.
///
/// ```
/// use ember_nn::{Module, PReLU, Tensor};
/// let act = PReLU::new(1);
/// assert_eq!(act.forward(&Tensor::from([[-4.0f32, 4.0]])).to_vec::<f32>(), [-1.0, 4.0]);
/// ```
#[derive(crate::Module)]
pub struct PReLU {
    /// The slopes, `(num_parameters,)`.
    pub weight: Tensor,
    hooks: Hooks,
}

impl PReLU {
    /// A PReLU with `num_parameters` slopes (1, or the number of channels).
    pub fn new(num_parameters: usize) -> PReLU {
        PReLU {
            weight: Tensor::full(&[num_parameters], 0.25, ember_autograd::DType::F32)
                .requires_grad_(true),
            hooks: Hooks::new(),
        }
    }
}

impl Module for PReLU {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| F::prelu(x, &self.weight))
    }
    fn extra_repr(&self) -> String {
        format!("num_parameters={}", self.weight.numel())
    }
}
