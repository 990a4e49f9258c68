//! Every differentiable op on [`Tensor`](crate::Tensor), forward and backward side by side,
//! one file per family. Backward formulas are written with tensor ops, so they are themselves
//! differentiable (higher-order gradients with `create_graph`).
//!
//! | file | primitives |
//! |---|---|
//! | `unary.rs` | neg, abs, exp, exp2, expm1, log, log2, log10, log1p, sqrt, rsqrt, reciprocal, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, sigmoid, silu, erf, relu, sign, floor, ceil, round, trunc, leaky_relu, elu, gelu, softplus, clamp, clamp_min, clamp_max; fused tanh/sigmoid/threshold backward |
//! | `binary.rs` | add, sub, mul, div, pow, maximum, minimum, atan2, remainder, fmod (floor_divide: no gradient) |
//! | `compare.rs` | where_cond, masked_fill, to_dtype, lerp, addcmul, addcdiv; comparisons and logical ops (no gradient) |
//! | `reduce.rs` | sum, sum_dim, sum_to_size, mean, mean_dim, prod, prod_dim, max, min, amax, amin, max_dim, min_dim, kthvalue, median, median_dim, var, std, norm, logsumexp, softmax, log_softmax, cumsum, cumprod, logcumsumexp, cummax, cummin, sort, topk |
//! | `view.rs` | view, reshape, flatten, unflatten, squeeze, unsqueeze, permute, transpose, t, mt, movedim, expand, narrow, select, i (slicing), diagonal, unfold, as_strided, contiguous, clone_tensor |
//! | `shape.rs` | cat, stack, split, chunk, unbind, repeat, tile, repeat_interleave, flip, roll, tril, triu, pad |
//! | `index.rs` | index_select, index_add, gather, scatter, scatter_value, scatter_add, take, masked_select, masked_scatter, index_put, index_get |
//! | `linalg.rs`, `einsum.rs` | matmul (mm, bmm, dot, outer, addmm, baddbmm on top), einsum |
//! | `conv.rs` | convolution (regular and transposed; its input- and weight-gradient primitives) |
//! | `pool.rs` | max_pool, adaptive_max_pool (+ their index-scatter backward), avg_pool, adaptive_avg_pool (+ their backward), max_unpool |
//! | `inplace.rs` | add_, sub_, mul_, div_, pow_, fill_, zero_, copy_, clamp_, relu_, masked_fill_, index_put_, scatter_, index_add_ |
//! | `creation.rs` | zeros, ones, full, arange, linspace, eye, rand, randn, randint, randperm, `*_like` |
//! | `operators.rs` | `+ - * /` and unary `-` on tensors and numbers |

pub(crate) mod binary;
pub(crate) mod compare;
pub(crate) mod conv;
pub(crate) mod creation;
pub mod einsum;
pub(crate) mod index;
pub(crate) mod inplace;
pub(crate) mod linalg;
pub mod operand;
pub(crate) mod operators;
pub(crate) mod pool;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod unary;
pub(crate) mod view;

pub use conv::convolution;
pub use operand::{IntoTensorOperand, TensorOperand};
pub use pool::{adaptive_avg_pool, adaptive_max_pool, avg_pool, max_pool, max_unpool};
