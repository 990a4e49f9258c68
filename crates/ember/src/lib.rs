//! # Ember
//!
//! A deep-learning framework in Rust with three simple levels: **tensor → autograd → nn**.
//! This facade re-exports the levels: [`Tensor`] with autograd (level 2) at the top, level 1
//! ([`Array`] and its kernels) through [`Tensor::data`] and as the [`tensor`] module, and
//! level 3 as [`nn`].
//!
//! ```
//! use ember::{DType, Tensor};
//! let w = Tensor::randn(&[3, 2], DType::F32).requires_grad_(true);
//! let x = Tensor::randn(&[4, 3], DType::F32);
//! x.matmul(&w).tanh().sum().backward();
//! assert_eq!(w.grad().unwrap().shape(), &[3, 2]);
//! ```
//!
//! A model, with the prelude:
//!
//! ```
//! use ember::prelude::*;
//!
//! #[derive(Module)]
//! struct Net {
//!     fc1: nn::Linear,
//!     fc2: nn::Linear,
//! }
//!
//! impl Module for Net {
//!     fn forward(&self, x: &Tensor) -> Tensor {
//!         self.fc2.forward(&F::relu(&self.fc1.forward(x)))
//!     }
//! }
//!
//! let net = Net { fc1: nn::Linear::new(4, 8), fc2: nn::Linear::new(8, 3) };
//! let loss = F::cross_entropy(&net.forward(&Tensor::randn(&[2, 4], DType::F32)), &Tensor::from([0i64, 2]));
//! loss.backward();
//! assert_eq!(net.state_dict().len(), 4);
//! ```
#![doc(test(attr(deny(warnings))))]

pub use ember_autograd::*;
pub use ember_tensor::{
    IndexItem, IntoIndexItem, Layout, NdArrayGuard, ScatterReduce, Slice, Storage, bf16,
    broadcast_shapes, cached_bytes, empty_cache, f16, get_num_threads, set_cache_limit,
    set_num_threads, with_default_generator,
};

/// Level 1 on its own: [`Array`] and every kernel, without autograd (`ember::tensor::einsum`
/// is the array version of [`einsum`]).
pub mod tensor {
    pub use ember_tensor::*;
}

/// Level 3: modules, layers, functional (`nn::functional`), losses, init (`nn::init`).
pub mod nn {
    pub use ember_nn::*;
}

/// Optimizers, learning-rate schedulers and gradient clipping (`torch.optim`,
/// `nn.utils.clip_grad_*`).
pub mod optim {
    pub use ember_optim::*;
}

/// Data loading (`torch.utils.data`): datasets, samplers, the `DataLoader`, transforms,
/// the MNIST/CIFAR-10 readers and progress bars.
pub mod data {
    pub use ember_data::*;
}

/// Files in and out: PyTorch `.pt`/`.pth` (load and save), safetensors, `.npy`/`.npz`,
/// atomic writes and training [`Checkpoint`](io::Checkpoint)s.
pub mod io {
    pub use ember_io::*;
}

/// TensorBoard event files: [`SummaryWriter`](tensorboard::SummaryWriter) and a reader.
pub mod tensorboard {
    pub use ember_tensorboard::*;
}

/// Saves a value (a state dict, a nested dict of tensors, numbers and strings) in PyTorch's
/// zip format, atomically: a crash leaves the old file or the new one, never a torn one.
/// `torch.load(path, weights_only=True)` reads it.
///
/// ```
/// use ember::{nn::{Linear, ModuleExt}, io::PtValue};
/// let path = std::env::temp_dir().join(format!("ember-save-doc-{}.pt", std::process::id()));
/// let model = Linear::new(3, 2);
/// ember::save(&PtValue::from(&model.state_dict()), &path).unwrap();
/// let back = ember::load(&path).unwrap();
/// assert_eq!(back.keys().len(), 2);
/// std::fs::remove_file(&path).unwrap();
/// ```
pub use ember_io::torch::save;

/// Loads what `torch.save` wrote (zip or legacy format) as a value tree, honouring only the
/// globals `torch.load(weights_only=True)` accepts; see [`save`].
pub use ember_io::torch::load;

/// The names most programs use: `Tensor`, `DType`, `no_grad`, the `Module` trait and derive,
/// `ModuleExt`, the `nn` module and `nn::functional` as `F`.
pub mod prelude {
    pub use crate::nn::{self, Module, ModuleExt, functional as F};
    pub use crate::optim::{self, Optimizer};
    pub use ember_autograd::{DType, Tensor, no_grad};
}

/// The README's tour, compiled and run as a doc-test so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeTour;
