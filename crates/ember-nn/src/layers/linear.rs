//! `Linear`, `Bilinear`, `Identity`, `Flatten`, `Unflatten`.

use ember_autograd::{DType, Tensor};

use crate::functional as F;
use crate::init::{self, FanMode, Nonlinearity};
use crate::{Hooks, Module};

/// PyTorch's default for linear and convolution layers: weight from
/// `kaiming_uniform_(a = √5)` (= `U(−1/√fan_in, 1/√fan_in)`), bias from the same bound.
pub(crate) fn default_weight(shape: &[usize]) -> Tensor {
    let w = Tensor::zeros(shape, DType::F32);
    init::kaiming_uniform_(&w, FanMode::FanIn, Nonlinearity::LeakyRelu(5f64.sqrt()));
    w.requires_grad_(true)
}

pub(crate) fn default_bias(len: usize, fan_in: usize) -> Tensor {
    let b = Tensor::zeros(&[len], DType::F32);
    let bound = if fan_in > 0 {
        1.0 / (fan_in as f64).sqrt()
    } else {
        0.0
    };
    init::uniform_(&b, -bound, bound);
    b.requires_grad_(true)
}

/// `y = x·Wᵀ + b` over the last dim ([`F::linear`]). Weight `(out_features, in_features)`;
/// PyTorch's initialisation.
///
/// ```
/// use ember_nn::{DType, Linear, Module, Tensor};
/// let fc = Linear::new(4, 3);
/// assert_eq!(fc.forward(&Tensor::randn(&[2, 5, 4], DType::F32)).shape(), &[2, 5, 3]);
/// let no_bias = Linear::new(4, 3).bias(false);
/// assert!(no_bias.bias.is_none());
/// ```
#[derive(crate::Module)]
pub struct Linear {
    /// `(out_features, in_features)`.
    pub weight: Tensor,
    /// `(out_features,)`, or `None`.
    pub bias: Option<Tensor>,
    /// Input size.
    pub in_features: usize,
    /// Output size.
    pub out_features: usize,
    hooks: Hooks,
}

impl Linear {
    /// A linear layer with bias.
    pub fn new(in_features: usize, out_features: usize) -> Linear {
        Linear {
            weight: default_weight(&[out_features, in_features]),
            bias: Some(default_bias(out_features, in_features)),
            in_features,
            out_features,
            hooks: Hooks::new(),
        }
    }

    /// With (`true`) or without a bias.
    pub fn bias(mut self, bias: bool) -> Linear {
        self.bias = bias.then(|| default_bias(self.out_features, self.in_features));
        self
    }
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| F::linear(x, &self.weight, self.bias.as_ref()))
    }
    fn extra_repr(&self) -> String {
        format!(
            "in_features={}, out_features={}, bias={}",
            self.in_features,
            self.out_features,
            self.bias.is_some()
        )
    }
}

/// `y_k = x1ᵀ·W_k·x2 + b_k` ([`F::bilinear`]). Not a one-input module: call
/// [`forward2`](Bilinear::forward2); `forward(x)` uses `x` for both inputs.
///
/// ```
/// use ember_nn::{Bilinear, DType, Tensor};
/// let b = Bilinear::new(3, 4, 5);
/// let y = b.forward2(&Tensor::randn(&[2, 3], DType::F32), &Tensor::randn(&[2, 4], DType::F32));
/// assert_eq!(y.shape(), &[2, 5]);
/// ```
#[derive(crate::Module)]
pub struct Bilinear {
    /// `(out, in1, in2)`.
    pub weight: Tensor,
    /// `(out,)` or `None`.
    pub bias: Option<Tensor>,
    hooks: Hooks,
}

impl Bilinear {
    /// A bilinear layer `(in1, in2) → out`, initialised `U(−1/√in1, 1/√in1)` as PyTorch.
    pub fn new(in1: usize, in2: usize, out: usize) -> Bilinear {
        let bound = 1.0 / (in1 as f64).sqrt();
        let w = Tensor::zeros(&[out, in1, in2], DType::F32);
        init::uniform_(&w, -bound, bound);
        let b = Tensor::zeros(&[out], DType::F32);
        init::uniform_(&b, -bound, bound);
        Bilinear {
            weight: w.requires_grad_(true),
            bias: Some(b.requires_grad_(true)),
            hooks: Hooks::new(),
        }
    }

    /// The two-input forward.
    #[track_caller]
    pub fn forward2(&self, x1: &Tensor, x2: &Tensor) -> Tensor {
        F::bilinear(x1, x2, &self.weight, self.bias.as_ref())
    }
}

impl Module for Bilinear {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| self.forward2(x, x))
    }
}

/// Returns its input (a placeholder, e.g. to remove a layer by replacing it).
///
/// ```
/// use ember_nn::{Identity, Module, Tensor};
/// assert_eq!(Identity::new().forward(&Tensor::from([1.0f32])).item::<f32>(), 1.0);
/// ```
#[derive(crate::Module, Default)]
pub struct Identity {
    hooks: Hooks,
}

impl Identity {
    /// The identity module.
    pub fn new() -> Identity {
        Identity::default()
    }
}

impl Module for Identity {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| x.clone())
    }
}

/// Flattens dims `start_dim..=end_dim` (default `1..=-1`: keep the batch dim).
///
/// ```
/// use ember_nn::{DType, Flatten, Module, Tensor};
/// let y = Flatten::new().forward(&Tensor::zeros(&[2, 3, 4], DType::F32));
/// assert_eq!(y.shape(), &[2, 12]);
/// ```
#[derive(crate::Module)]
pub struct Flatten {
    /// First dim flattened.
    pub start_dim: isize,
    /// Last dim flattened.
    pub end_dim: isize,
    hooks: Hooks,
}

impl Flatten {
    /// `Flatten(start_dim=1, end_dim=-1)`.
    pub fn new() -> Flatten {
        Flatten::dims(1, -1)
    }

    /// Flattens `start_dim..=end_dim`.
    pub fn dims(start_dim: isize, end_dim: isize) -> Flatten {
        Flatten {
            start_dim,
            end_dim,
            hooks: Hooks::new(),
        }
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten::new()
    }
}

impl Module for Flatten {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| x.flatten(self.start_dim, self.end_dim))
    }
    fn extra_repr(&self) -> String {
        format!("start_dim={}, end_dim={}", self.start_dim, self.end_dim)
    }
}

/// Splits dim `dim` into `sizes` (the inverse of [`Flatten`]).
///
/// ```
/// use ember_nn::{DType, Module, Tensor, Unflatten};
/// let y = Unflatten::new(1, &[3, 4]).forward(&Tensor::zeros(&[2, 12], DType::F32));
/// assert_eq!(y.shape(), &[2, 3, 4]);
/// ```
#[derive(crate::Module)]
pub struct Unflatten {
    /// The dim split.
    pub dim: isize,
    /// The sizes it becomes.
    pub sizes: Vec<isize>,
    hooks: Hooks,
}

impl Unflatten {
    /// Splits `dim` into `sizes` (one may be −1).
    pub fn new(dim: isize, sizes: &[isize]) -> Unflatten {
        Unflatten {
            dim,
            sizes: sizes.to_vec(),
            hooks: Hooks::new(),
        }
    }
}

impl Module for Unflatten {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| x.unflatten(self.dim, &self.sizes))
    }
}
