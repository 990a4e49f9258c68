//! Every op on [`Array`](crate::Array), one file per family.
//!
//! | file | ops |
//! |---|---|
//! | `creation.rs` | full, zeros, ones, empty, arange, linspace, eye, `*_like`, fill_ |
//! | `random.rs` | rand, randn, randint, bernoulli, normal_, uniform_, randperm (`Generator`) |
//! | `view.rs` | view, reshape, permute, transpose, t, narrow, select, unsqueeze, expand, as_strided, … |
//! | `slice.rs` | `x.i((.., 1..3))`: indexing with ranges, steps and integers |
//! | `unary.rs` | exp, log, sin, tanh, sigmoid, relu, gelu, clamp, isnan, … |
//! | `binary.rs` | add, sub, mul, div, floor_divide, remainder, fmod, pow, maximum, minimum, atan2 |
//! | `compare.rs` | eq, ne, lt, le, gt, ge, logical_*, where_, masked_fill, lerp, addcmul, addcdiv |
//! | `reduce.rs` | sum, mean, prod, max/min, argmax, amax, all, any, count_nonzero |
//! | `reduce_stats.rs` | var, std, norm, logsumexp |
//! | `reduce_kernels.rs` | the reduction engine all of the above run on |
//! | `sort.rs`, `scan.rs` | sort, argsort, topk, kthvalue, median; cumsum, cumprod, logcumsumexp, cummax, cummin |
//! | `join.rs`, `pad.rs` | cat, stack, split, chunk, unbind, tile, repeat, flip, roll, tril/triu; pad |
//! | `indexing.rs`, `scatter.rs` | index_select, gather, take, masked_select, nonzero, one_hot, bincount; scatter*, index_add, index_put, masked_scatter |
//! | `linalg.rs`, `einsum.rs` | matmul, mm, bmm, dot, outer, addmm, baddbmm, einsum |
//! | `conv.rs`, `pool.rs` | convolution (im2col + gemm) and its backward kernels, transposed convolution; max/avg/adaptive pooling, max_unpool (pub: `ember_tensor::ops::conv`, `::pool`) |
//! | `fused_optim.rs` | sgd_momentum_ (one-pass optimizer updates) |
//! | `grad_kernels.rs` | tanh_backward, sigmoid_backward, threshold_backward (fused, for level 2) |
//! | `map.rs` | the element-wise engines all of the above are built on |

pub(crate) mod binary;
pub(crate) mod compare;
pub(crate) mod contiguous_sum;
pub mod conv;
pub(crate) mod creation;
pub(crate) mod einsum;
pub(crate) mod fused_optim;
pub(crate) mod grad_kernels;
pub(crate) mod indexing;
pub(crate) mod join;
pub(crate) mod linalg;
pub(crate) mod lstm_sequence;
pub(crate) mod macros;
pub(crate) mod map;
pub mod operand;
pub(crate) mod operators;
pub(crate) mod pad;
pub mod pool;
pub(crate) mod reduce;
pub(crate) mod reduce_kernels;
pub(crate) mod reduce_stats;
pub(crate) mod rnn_cell;
pub(crate) mod scan;
pub(crate) mod scatter;
pub mod slice;
pub(crate) mod sort;
pub(crate) mod unary;
pub(crate) mod view;
