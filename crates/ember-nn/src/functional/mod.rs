//! `nn.functional`: every layer's computation as a plain function of tensors, plus losses.
//! Layers hold parameters and call these; use them directly when you manage the parameters
//! yourself.
//!
//! ```
//! use ember_nn::{functional as F, DType, Tensor};
//! let logits = Tensor::randn(&[4, 10], DType::F32).requires_grad_(true);
//! let target = Tensor::from([1i64, 0, 9, 3]);
//! let loss = F::cross_entropy(&F::relu(&logits), &target);
//! loss.backward();
//! assert_eq!(logits.grad().unwrap().shape(), &[4, 10]);
//! ```

mod activation;
mod attention;
mod conv;
mod dropout;
mod fold;
mod linear;
mod loss;
mod normalization;
mod sparse;
mod vision;

pub use activation::*;
pub use attention::scaled_dot_product_attention;
pub(crate) use conv::pre_pad;
pub use conv::{
    Dims, Padding, adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool1d,
    avg_pool2d, conv_transpose1d, conv_transpose2d, conv1d, conv2d, conv3d, max_pool1d, max_pool2d,
    max_pool2d_with_indices, max_unpool2d,
};
pub use dropout::{alpha_dropout, dropout, dropout2d};
pub use fold::{GridPadding, affine_grid, fold, grid_sample, unfold};
pub use linear::{bilinear, linear};
pub use loss::*;
pub use normalization::*;
pub use sparse::{BagMode, embedding, embedding_bag};
pub use vision::{InterpolateMode, interpolate, pixel_shuffle, pixel_unshuffle};
