//! # ember-nn — level 3: modules, layers, functional, losses, init
//!
//! A model is a struct of layers with `#[derive(Module)]` and a `forward` you write. The
//! derive gives it PyTorch's reflection — named parameters (`features.0.weight`), state dicts,
//! `get_submodule("layer1.0.conv1")`, hooks, `train()`/`eval()`, freezing — through
//! [`ModuleExt`].
//!
//! ```
//! use ember_nn::{functional as F, DType, Linear, Module, ModuleExt, ReLU, Sequential, Tensor};
//!
//! #[derive(Module)]
//! struct Classifier {
//!     backbone: Sequential,
//!     head: Linear,
//! }
//!
//! impl Module for Classifier {
//!     fn forward(&self, x: &Tensor) -> Tensor {
//!         self.head.forward(&self.backbone.forward(x))
//!     }
//! }
//!
//! let mut model = Classifier {
//!     backbone: Sequential::new().append(Linear::new(8, 16)).append(ReLU::new()),
//!     head: Linear::new(16, 3),
//! };
//! // Fine-tuning: freeze the backbone, swap the head for a 5-class one.
//! model.backbone.requires_grad_(false);
//! model.head = Linear::new(16, 5);
//! let loss = F::cross_entropy(&model.forward(&Tensor::randn(&[4, 8], DType::F32)), &Tensor::from([0i64, 1, 4, 2]));
//! loss.backward();
//! assert!(model.backbone.parameters().iter().all(|p| p.grad().is_none()));
//! assert!(model.head.weight.grad().is_some());
//! assert_eq!(model.state_dict().keys().collect::<Vec<_>>(), ["backbone.0.weight", "backbone.0.bias", "head.weight", "head.bias"]);
//! ```
//!
//! Where things are: `module.rs` (the traits), `ext.rs` (what every module can do),
//! `hooks.rs`, `state_dict.rs`, `layers/` (one file per family), `functional/`, `init.rs`.
#![doc(test(attr(deny(warnings))))]

// The derive refers to `::ember_nn::…`; this makes that path work inside this crate too.
extern crate self as ember_nn;

mod error;
mod ext;
pub mod functional;
mod hooks;
pub mod init;
mod layers;
mod module;
mod state_dict;

pub use ember_autograd::{DType, Tensor};
pub use ember_derive::Module;
pub use error::NnError;
pub use ext::ModuleExt;
pub use hooks::{BackwardHook, ForwardHook, ForwardPreHook, Hooks, ModuleHookHandle};
pub use layers::activation::{
    CELU, ELU, GELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax, Mish,
    PReLU, ReLU, ReLU6, SELU, SiLU, Sigmoid, Softmax, Softplus, Softsign, Tanh,
};
pub use layers::container::{ModuleDict, ModuleList, Sequential};
pub use layers::conv::{Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d};
pub use layers::dropout::{AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d};
pub use layers::embedding::{Embedding, EmbeddingBag};
pub use layers::linear::{Bilinear, Flatten, Identity, Linear, Unflatten};
pub use layers::loss::{
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
    SmoothL1Loss,
};
pub use layers::normalization::{
    BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, InstanceNorm2d, LayerNorm, LocalResponseNorm,
    RMSNorm,
};
pub use layers::pooling::{
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d,
    MaxPool2d, MaxUnpool2d,
};
pub use layers::rnn::{
    GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, RecurrentCell, RecurrentLayer, RnnKind, RnnState,
};
pub use layers::transformer::{
    Activation, MultiheadAttention, Transformer, TransformerDecoder, TransformerDecoderLayer,
    TransformerEncoder, TransformerEncoderLayer,
};
pub use layers::vision::{PixelShuffle, PixelUnshuffle, Upsample};
pub use module::{Module, ModuleInfo, ReplaceError, TensorKind, downcast_module};
pub use state_dict::{IncompatibleKeys, StateDict};
