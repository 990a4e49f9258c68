//! # ember-autograd — level 2: [`Tensor`] and a define-by-run autograd
//!
//! A [`Tensor`] is a level-1 [`Array`] plus autograd metadata. Every op records, when an input
//! requires grad and grad mode is on, a [`Node`] holding its backward function and its inputs'
//! edges; [`Tensor::backward`] walks that graph in dependency order and frees it as it goes.
//! Backward formulas are written with tensor ops, so gradients of gradients work
//! (`create_graph`). Every op is `#[track_caller]`: errors and graph nodes name the user's line.
//!
//! ```
//! use ember_autograd::{no_grad, Tensor, DType};
//! let w = Tensor::randn(&[3, 2], DType::F32).requires_grad_(true);
//! let x = Tensor::randn(&[4, 3], DType::F32);
//! let loss = x.matmul(&w).relu().sum();
//! loss.backward();
//! assert_eq!(w.grad().unwrap().shape(), &[3, 2]);
//! no_grad(|| w.sub_(&w.grad().unwrap().mul(0.1))); // an SGD step
//! ```
//!
//! Where things are: `tensor.rs` (the type, recording), `node.rs` (graph nodes, saved
//! tensors), `engine.rs` (backward), `ops/` (every op, table in `ops/mod.rs`), `hooks.rs`,
//! `function.rs` (custom ops), `gradcheck.rs`, `grad_mode.rs`, `anomaly.rs`.
#![doc(test(attr(deny(warnings))))]

mod anomaly;
mod backward;
mod engine;
mod function;
mod grad_mode;
mod gradcheck;
mod hooks;
mod live;
mod node;
pub mod ops;
mod tensor;

pub use backward::BackwardOptions;
pub use ember_tensor::{
    Array, DType, Device, Element, Ellipsis, Generator, IndexArg, NewAxis, PadMode, Scalar,
    manual_seed, s,
};
pub use function::{Context, Function};
pub use grad_mode::{
    EnableGradGuard, GradModeGuard, NoGradGuard, enable_grad, inference_mode, is_grad_enabled,
    no_grad, set_grad_enabled,
};
pub use gradcheck::{GradcheckOptions, gradcheck, gradgradcheck};
pub use hooks::HookHandle;
pub use node::{Node, NodeInput, SavedTensor};
pub use ops::einsum::einsum;
pub use ops::{
    IntoTensorOperand, TensorOperand, adaptive_avg_pool, adaptive_max_pool, avg_pool, convolution,
    max_pool, max_unpool,
};
pub use tensor::Tensor;

/// The functional autograd API and its modes, as in `torch.autograd`.
pub mod autograd {
    pub use crate::anomaly::{AnomalyGuard, detect_anomaly, is_anomaly_enabled};
    pub use crate::backward::grad;
    pub use crate::gradcheck::{gradcheck, gradgradcheck};

    /// Graph nodes alive in the process. A graph is freed when backward has run (unless
    /// retained) and its outputs are dropped; leak tests watch this stay flat.
    ///
    /// ```
    /// use ember_autograd::{autograd::live_nodes, Tensor};
    /// let x = Tensor::from([1.0f32]).requires_grad_(true);
    /// let y = x.exp().sin(); // two nodes
    /// y.backward();
    /// drop(y); // both freed: with no other thread busy, live_nodes() is back where it was
    /// println!("{} nodes alive", live_nodes());
    /// ```
    pub fn live_nodes() -> usize {
        crate::live::nodes()
    }

    /// Tensors (handles' shared state, not storages) alive in the process.
    ///
    /// ```
    /// let t = ember_autograd::Tensor::from([1.0f32]);
    /// println!("{} tensors alive", ember_autograd::autograd::live_tensors());
    /// drop(t);
    /// ```
    pub fn live_tensors() -> usize {
        crate::live::tensors()
    }
}
