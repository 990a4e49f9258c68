//! Normalisation layers: batch, layer, group, instance, RMS, local response.

use ember_autograd::{DType, Tensor};

use crate::functional as F;
use crate::{Hooks, Module};

fn ones(n: usize) -> Tensor {
    Tensor::ones(&[n], DType::F32).requires_grad_(true)
}

fn zeros(n: usize) -> Tensor {
    Tensor::zeros(&[n], DType::F32).requires_grad_(true)
}

macro_rules! batch_norm_layer {
    ($( $(#[$doc:meta])* $name:ident, $dims:expr; )*) => {$(
        $(#[$doc])*
        #[derive(crate::Module)]
        pub struct $name {
            /// Per-channel scale (`gamma`), or `None` without `affine`.
            pub weight: Option<Tensor>,
            /// Per-channel shift (`beta`), or `None` without `affine`.
            pub bias: Option<Tensor>,
            /// Running mean, updated in training.
            #[module(buffer)]
            pub running_mean: Option<Tensor>,
            /// Running (unbiased) variance, updated in training.
            #[module(buffer)]
            pub running_var: Option<Tensor>,
            /// Number of training batches seen (an `i64` scalar).
            #[module(buffer)]
            pub num_batches_tracked: Option<Tensor>,
            /// Channels.
            pub num_features: usize,
            /// Added to the variance.
            pub eps: f64,
            /// Running-average factor; `None` is a cumulative average (PyTorch's
            /// `momentum=None`).
            pub momentum: Option<f64>,
            /// Training mode.
            pub training: bool,
            hooks: Hooks,
        }

        impl $name {
            /// Over `num_features` channels, with `eps = 1e-5`, `momentum = 0.1`, affine and
            /// running statistics (PyTorch's defaults).
            pub fn new(num_features: usize) -> $name {
                $name {
                    weight: Some(ones(num_features)),
                    bias: Some(zeros(num_features)),
                    running_mean: Some(Tensor::zeros(&[num_features], DType::F32)),
                    running_var: Some(Tensor::ones(&[num_features], DType::F32)),
                    num_batches_tracked: Some(Tensor::scalar(0i64)),
                    num_features,
                    eps: 1e-5,
                    momentum: Some(0.1),
                    training: true,
                    hooks: Hooks::new(),
                }
            }

            /// Sets `eps`.
            pub fn eps(mut self, eps: f64) -> $name {
                self.eps = eps;
                self
            }

            /// Sets `momentum` (`None`: cumulative moving average).
            pub fn momentum(mut self, momentum: Option<f64>) -> $name {
                self.momentum = momentum;
                self
            }

            /// With (`true`) or without the learned affine.
            pub fn affine(mut self, affine: bool) -> $name {
                self.weight = affine.then(|| ones(self.num_features));
                self.bias = affine.then(|| zeros(self.num_features));
                self
            }

            /// With (`true`) or without running statistics; without them, evaluation uses the
            /// batch's statistics too.
            pub fn track_running_stats(mut self, track: bool) -> $name {
                let n = self.num_features;
                self.running_mean = track.then(|| Tensor::zeros(&[n], DType::F32));
                self.running_var = track.then(|| Tensor::ones(&[n], DType::F32));
                self.num_batches_tracked = track.then(|| Tensor::scalar(0i64));
                self
            }
        }

        impl Module for $name {
            #[track_caller]
            fn forward(&self, x: &Tensor) -> Tensor {
                let nd = x.ndim();
                if !($dims as [usize; _]).contains(&nd) || x.shape()[1] != self.num_features {
                    panic!(
                        "{}({}): expected input of {} dims with {} channels (dim 1), got {:?}",
                        stringify!($name), self.num_features, stringify!($dims),
                        self.num_features, x.shape()
                    );
                }
                self.hooks.call(self, x, |x| {
                    let mut momentum = self.momentum.unwrap_or(0.0);
                    if self.training {
                        if let Some(n) = &self.num_batches_tracked {
                            ember_autograd::no_grad(|| n.add_(1i64));
                            if self.momentum.is_none() {
                                momentum = 1.0 / n.item::<i64>() as f64;
                            }
                        }
                    }
                    let use_batch = self.training || self.running_mean.is_none();
                    F::batch_norm(
                        x,
                        self.running_mean.as_ref(),
                        self.running_var.as_ref(),
                        self.weight.as_ref(),
                        self.bias.as_ref(),
                        use_batch,
                        momentum,
                        self.eps,
                    )
                })
            }
            fn extra_repr(&self) -> String {
                format!(
                    "{}, eps={}, momentum={:?}, affine={}, track_running_stats={}",
                    self.num_features, self.eps, self.momentum, self.weight.is_some(),
                    self.running_mean.is_some()
                )
            }
        }
    )*};
}

batch_norm_layer! {
    /// Batch normalisation over `(N, C)` or `(N, C, L)` ([`F::batch_norm`]).
    ///
    /// ```
    /// use ember_nn::{BatchNorm1d, DType, Module, ModuleExt, Tensor};
    /// let mut bn = BatchNorm1d::new(3);
    /// let y = bn.forward(&Tensor::randn(&[16, 3], DType::F32));
    /// let m = y.mean_dim(&[0], false).to_vec::<f32>();
    /// assert!(m.iter().all(|v| v.abs() < 1e-5)); // normalised per channel
    /// bn.eval(); // now uses the running statistics
    /// ```
    BatchNorm1d, [2, 3];
    /// Batch normalisation over `(N, C, H, W)` ([`F::batch_norm`]).
    ///
    /// ```
    /// use ember_nn::{BatchNorm2d, DType, Module, Tensor};
    /// let bn = BatchNorm2d::new(4);
    /// bn.forward(&Tensor::randn(&[2, 4, 5, 5], DType::F32));
    /// assert_eq!(bn.num_batches_tracked.as_ref().unwrap().item::<i64>(), 1);
    /// ```
    BatchNorm2d, [4];
    /// Batch normalisation over `(N, C, D, H, W)` ([`F::batch_norm`]).
    ///
    /// ```
    /// use ember_nn::{BatchNorm3d, DType, Module, Tensor};
    /// let y = BatchNorm3d::new(2).forward(&Tensor::randn(&[2, 2, 2, 2, 2], DType::F32));
    /// assert_eq!(y.shape(), &[2, 2, 2, 2, 2]);
    /// ```
    BatchNorm3d, [5];
}

/// Normalisation over the trailing `normalized_shape` dims ([`F::layer_norm`]), with an
/// element-wise affine.
///
/// ```
/// use ember_nn::{DType, LayerNorm, Module, Tensor};
/// let ln = LayerNorm::new(&[8]);
/// let y = ln.forward(&Tensor::randn(&[4, 8], DType::F64));
/// assert!(y.mean_dim(&[1], false).to_vec::<f64>().iter().all(|m| m.abs() < 1e-12));
/// ```
#[derive(crate::Module)]
pub struct LayerNorm {
    /// Scale, shaped `normalized_shape`.
    pub weight: Option<Tensor>,
    /// Shift, shaped `normalized_shape`.
    pub bias: Option<Tensor>,
    /// The trailing dims normalised over.
    pub normalized_shape: Vec<usize>,
    /// Added to the variance.
    pub eps: f64,
    hooks: Hooks,
}

impl LayerNorm {
    /// Over `normalized_shape`, `eps = 1e-5`, with affine.
    pub fn new(normalized_shape: &[usize]) -> LayerNorm {
        LayerNorm {
            weight: Some(Tensor::ones(normalized_shape, DType::F32).requires_grad_(true)),
            bias: Some(Tensor::zeros(normalized_shape, DType::F32).requires_grad_(true)),
            normalized_shape: normalized_shape.to_vec(),
            eps: 1e-5,
            hooks: Hooks::new(),
        }
    }

    /// Sets `eps`.
    pub fn eps(mut self, eps: f64) -> LayerNorm {
        self.eps = eps;
        self
    }

    /// Without the element-wise affine (`elementwise_affine=False`).
    pub fn no_affine(mut self) -> LayerNorm {
        self.weight = None;
        self.bias = None;
        self
    }
}

impl Module for LayerNorm {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| {
            F::layer_norm(
                x,
                &self.normalized_shape,
                self.weight.as_ref(),
                self.bias.as_ref(),
                self.eps,
            )
        })
    }
    fn extra_repr(&self) -> String {
        format!(
            "{:?}, eps={}, elementwise_affine={}",
            self.normalized_shape,
            self.eps,
            self.weight.is_some()
        )
    }
}

/// Root-mean-square normalisation over the trailing dims ([`F::rms_norm`]).
///
/// ```
/// use ember_nn::{DType, Module, RMSNorm, Tensor};
/// let y = RMSNorm::new(&[4]).forward(&Tensor::full(&[2, 4], 3.0, DType::F32));
/// assert!(y.to_vec::<f32>().iter().all(|v| (v - 1.0).abs() < 1e-5));
/// ```
#[derive(crate::Module)]
pub struct RMSNorm {
    /// Scale, shaped `normalized_shape`.
    pub weight: Option<Tensor>,
    /// The trailing dims normalised over.
    pub normalized_shape: Vec<usize>,
    /// Added to the mean square; `None`: the dtype's epsilon.
    pub eps: Option<f64>,
    hooks: Hooks,
}

impl RMSNorm {
    /// Over `normalized_shape`, with a learned scale.
    pub fn new(normalized_shape: &[usize]) -> RMSNorm {
        RMSNorm {
            weight: Some(Tensor::ones(normalized_shape, DType::F32).requires_grad_(true)),
            normalized_shape: normalized_shape.to_vec(),
            eps: None,
            hooks: Hooks::new(),
        }
    }
}

impl Module for RMSNorm {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| {
            F::rms_norm(x, &self.normalized_shape, self.weight.as_ref(), self.eps)
        })
    }
}

/// Group normalisation ([`F::group_norm`]).
///
/// ```
/// use ember_nn::{DType, GroupNorm, Module, Tensor};
/// let y = GroupNorm::new(2, 4).forward(&Tensor::randn(&[3, 4, 5], DType::F32));
/// assert_eq!(y.shape(), &[3, 4, 5]);
/// ```
#[derive(crate::Module)]
pub struct GroupNorm {
    /// Per-channel scale.
    pub weight: Option<Tensor>,
    /// Per-channel shift.
    pub bias: Option<Tensor>,
    /// Number of groups.
    pub num_groups: usize,
    /// Number of channels.
    pub num_channels: usize,
    /// Added to the variance.
    pub eps: f64,
    hooks: Hooks,
}

impl GroupNorm {
    /// `num_channels` split into `num_groups` groups, `eps = 1e-5`, affine.
    ///
    /// # Panics
    /// When `num_channels` is not divisible by `num_groups`.
    #[track_caller]
    pub fn new(num_groups: usize, num_channels: usize) -> GroupNorm {
        if num_groups == 0 || !num_channels.is_multiple_of(num_groups) {
            panic!(
                "GroupNorm: num_channels {num_channels} must be divisible by num_groups {num_groups}"
            );
        }
        GroupNorm {
            weight: Some(ones(num_channels)),
            bias: Some(zeros(num_channels)),
            num_groups,
            num_channels,
            eps: 1e-5,
            hooks: Hooks::new(),
        }
    }
}

impl Module for GroupNorm {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| {
            F::group_norm(
                x,
                self.num_groups,
                self.weight.as_ref(),
                self.bias.as_ref(),
                self.eps,
            )
        })
    }
    fn extra_repr(&self) -> String {
        format!(
            "{}, {}, eps={}",
            self.num_groups, self.num_channels, self.eps
        )
    }
}

/// Instance normalisation of `(N, C, H, W)` ([`F::instance_norm`]); by default without affine
/// or running statistics, as PyTorch.
///
/// ```
/// use ember_nn::{DType, InstanceNorm2d, Module, Tensor};
/// let y = InstanceNorm2d::new(3).forward(&Tensor::randn(&[2, 3, 4, 4], DType::F64));
/// let m = y.mean_dim(&[2, 3], false).to_vec::<f64>();
/// assert!(m.iter().all(|v| v.abs() < 1e-12));
/// ```
#[derive(crate::Module)]
pub struct InstanceNorm2d {
    /// Per-channel scale (with `affine`).
    pub weight: Option<Tensor>,
    /// Per-channel shift (with `affine`).
    pub bias: Option<Tensor>,
    /// Running mean (with `track_running_stats`).
    #[module(buffer)]
    pub running_mean: Option<Tensor>,
    /// Running variance (with `track_running_stats`).
    #[module(buffer)]
    pub running_var: Option<Tensor>,
    /// Channels.
    pub num_features: usize,
    /// Added to the variance.
    pub eps: f64,
    /// Running-average factor.
    pub momentum: f64,
    /// Training mode.
    pub training: bool,
    hooks: Hooks,
}

impl InstanceNorm2d {
    /// Over `num_features` channels, no affine, no running stats.
    pub fn new(num_features: usize) -> InstanceNorm2d {
        InstanceNorm2d {
            weight: None,
            bias: None,
            running_mean: None,
            running_var: None,
            num_features,
            eps: 1e-5,
            momentum: 0.1,
            training: true,
            hooks: Hooks::new(),
        }
    }

    /// With a learned per-channel affine.
    pub fn affine(mut self, affine: bool) -> InstanceNorm2d {
        self.weight = affine.then(|| ones(self.num_features));
        self.bias = affine.then(|| zeros(self.num_features));
        self
    }

    /// With running statistics, used in evaluation.
    pub fn track_running_stats(mut self, track: bool) -> InstanceNorm2d {
        let n = self.num_features;
        self.running_mean = track.then(|| Tensor::zeros(&[n], DType::F32));
        self.running_var = track.then(|| Tensor::ones(&[n], DType::F32));
        self
    }
}

impl Module for InstanceNorm2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| {
            F::instance_norm(
                x,
                self.running_mean.as_ref(),
                self.running_var.as_ref(),
                self.weight.as_ref(),
                self.bias.as_ref(),
                self.training || self.running_mean.is_none(),
                self.momentum,
                self.eps,
            )
        })
    }
}

/// Local response normalisation across channels ([`F::local_response_norm`]).
///
/// ```
/// use ember_nn::{DType, LocalResponseNorm, Module, Tensor};
/// let y = LocalResponseNorm::new(2).forward(&Tensor::ones(&[1, 4, 3, 3], DType::F32));
/// assert_eq!(y.shape(), &[1, 4, 3, 3]);
/// ```
#[derive(crate::Module)]
pub struct LocalResponseNorm {
    /// Channels in the window.
    pub size: usize,
    /// Scale of the sum.
    pub alpha: f64,
    /// Exponent.
    pub beta: f64,
    /// Additive constant.
    pub k: f64,
    hooks: Hooks,
}

impl LocalResponseNorm {
    /// A window of `size` channels, `alpha = 1e-4`, `beta = 0.75`, `k = 1` (PyTorch's defaults).
    pub fn new(size: usize) -> LocalResponseNorm {
        LocalResponseNorm {
            size,
            alpha: 1e-4,
            beta: 0.75,
            k: 1.0,
            hooks: Hooks::new(),
        }
    }
}

impl Module for LocalResponseNorm {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| {
            F::local_response_norm(x, self.size, self.alpha, self.beta, self.k)
        })
    }
}
