//! # Ember
//!
//! A deep-learning framework in Rust with three simple levels: **tensor → autograd → nn**.
//! This facade re-exports the levels: [`Tensor`] with autograd (level 2) at the top, and level
//! 1 ([`Array`] and its kernels) both through [`Tensor::data`] and as the [`tensor`] module.
//!
//! ```
//! use ember::{DType, Tensor};
//! let w = Tensor::randn(&[3, 2], DType::F32).requires_grad_(true);
//! let x = Tensor::randn(&[4, 3], DType::F32);
//! x.matmul(&w).tanh().sum().backward();
//! assert_eq!(w.grad().unwrap().shape(), &[3, 2]);
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

/// The README's tour, compiled and run as a doc-test so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeTour;
