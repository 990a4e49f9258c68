//! # ember-tensor: level 1 of Ember
//!
//! [`Array`] is an n-dimensional, strided view onto shared storage, with a runtime [`DType`]
//! and a [`Device`]. Views share memory; every op here is a CPU kernel. There is no autograd at
//! this level: `ember-autograd` wraps each op one-to-one under PyTorch's names.
//!
//! ```
//! use ember_tensor::{Array, DType};
//! let x = Array::arange(0.0, 6.0, 1.0, DType::F32).reshape(&[2, 3]);
//! let y = x.t();                       // a view: shares storage
//! assert!(y.shares_storage(&x));
//! let z = (&y * 2.0).exp();            // element-wise, broadcasting, f32 kept
//! assert_eq!(z.shape(), &[3, 2]);
//! ```
#![doc(test(attr(deny(warnings))))]

mod allocator;
mod array;
mod device;
mod display;
mod dtype;
mod interop;
mod layout;
pub mod ops;
mod random;
mod storage;
mod strided;
mod threads;
mod vmath;

pub use allocator::{cached_bytes, empty_cache, set_cache_limit};
pub use array::Array;
pub use device::Device;
pub use dtype::{DType, Element, Scalar};
pub use interop::NdArrayGuard;
pub use layout::{Layout, broadcast_shapes};
pub use ops::einsum::einsum;
pub use ops::lstm_sequence::LstmSequenceForward;
pub use ops::operand::{IntoOperand, Operand, result_type};
pub use ops::pad::PadMode;
pub use ops::scatter::ScatterReduce;
pub use ops::slice::{Ellipsis, IndexArg, IndexItem, IntoIndexItem, NewAxis, Slice, s};
pub use random::{
    Generator, GeneratorState, get_rng_state, manual_seed, set_rng_state, with_default_generator,
};
pub use storage::Storage;
pub use threads::{get_num_threads, set_num_threads};

#[doc(hidden)]
pub use half;
pub use half::{bf16, f16};
