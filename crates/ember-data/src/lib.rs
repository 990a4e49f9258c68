//! # ember-data — datasets, samplers, the `DataLoader`, transforms and readers
//!
//! PyTorch's `torch.utils.data`, in Rust: a [`Dataset`] gives items by index, a [`Sampler`]
//! orders the indices for each epoch, and a [`DataLoader`] groups them into batches, builds
//! them on worker threads and delivers them in order, collated into tensors.
//!
//! ```
//! use ember_autograd::{DType, Tensor};
//! use ember_data::{DataLoader, TensorDataset};
//!
//! let x = Tensor::from_vec((0..20).map(|v| v as f32).collect::<Vec<_>>(), &[10, 2]);
//! let y = Tensor::from_vec((0..10i64).collect::<Vec<_>>(), &[10]);
//! let loader = DataLoader::builder(TensorDataset::new(vec![x, y]))
//!     .batch_size(4)
//!     .shuffle(true)
//!     .seed(7)
//!     .num_workers(2)
//!     .build();
//! assert_eq!(loader.len(), 3); // 4 + 4 + 2
//! let mut seen = 0;
//! for batch in loader.iter() {
//!     let batch = batch.unwrap(); // Vec<Tensor>: [inputs, labels]
//!     assert_eq!(batch[0].shape()[1], 2);
//!     assert_eq!(batch[1].dtype(), DType::I64);
//!     seen += batch[1].numel();
//! }
//! assert_eq!(seen, 10);
//! ```
//!
//! Where things are: `dataset.rs` (the traits and the composite datasets), `sampler.rs`,
//! `collate.rs`, `loader.rs`, `rng.rs` (the per-sample generator), [`transforms`],
//! [`datasets`] (MNIST, CIFAR-10), [`progress`].
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]

mod collate;
mod dataset;
pub mod datasets;
mod error;
mod image_folder;
mod loader;
pub mod progress;
mod rng;
mod sampler;
pub mod transforms;

pub use collate::{Collatable, Collate, DefaultCollate, FnCollate};
pub use dataset::{
    ConcatDataset, Dataset, IterableDataset, MapDataset, Subset, TensorDataset, random_split,
    random_split_fractions,
};
pub use error::DataError;
pub use loader::{DataLoader, DataLoaderBuilder, DataLoaderIter};
pub use rng::{DEFAULT_SAMPLE_SEED, sample_seed, seed_sample_rng, with_sample_rng};
pub use sampler::{
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
    WeightedRandomSampler,
};
