//! The standard layers, one concept per file. Each holds its parameters as public fields
//! (PyTorch's names), carries a hook slot, and calls [`functional`](crate::functional).

pub(crate) mod activation;
pub(crate) mod container;
pub(crate) mod conv;
pub(crate) mod dropout;
pub(crate) mod embedding;
pub(crate) mod linear;
pub(crate) mod loss;
pub(crate) mod lstm_fused;
pub(crate) mod normalization;
pub(crate) mod pooling;
pub(crate) mod rnn;
pub(crate) mod transformer;
pub(crate) mod vision;
