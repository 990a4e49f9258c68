//! # Ember
//!
//! A deep-learning framework in Rust with three simple levels: **tensor → autograd → nn**.
//! This facade re-exports the levels; today it holds level 1 ([`Array`] and its ops).
//!
//! ```
//! use ember::{Array, DType};
//! let a = Array::randn(&[2, 3], DType::F32);
//! assert_eq!(a.matmul(&a.t()).shape(), &[2, 2]);
//! ```
#![doc(test(attr(deny(warnings))))]

pub use ember_tensor::*;

/// The README's tour, compiled and run as a doc-test so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeTour;
