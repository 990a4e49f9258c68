//! The MNIST example's network, shared with the integration test that trains it
//! (`crates/ember/tests/mnist_train.rs`).

use ember::data::transforms::{Compose, Normalize, ToTensor};
use ember::nn::{Conv2d, Linear, MaxPool2d};
use ember::prelude::*;

/// A small CNN for `1×28×28` digits: two 3×3 convolutions with max pooling, then two linear
/// layers (the shape of PyTorch's MNIST example, with a pool after each convolution).
///
/// `[N,1,28,28] → conv 32 → relu → pool → [N,32,13,13] → conv 64 → relu → pool → [N,64,5,5]
/// → flatten → 128 → relu → 10 logits`.
#[derive(Module)]
pub struct Net {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    fc1: Linear,
    fc2: Linear,
}

impl Net {
    /// A freshly initialised network (PyTorch's default initialisation; seed with
    /// `ember::manual_seed` for a reproducible start).
    pub fn new() -> Net {
        Net {
            conv1: Conv2d::new(1, 32, 3),
            conv2: Conv2d::new(32, 64, 3),
            pool: MaxPool2d::new(2),
            fc1: Linear::new(64 * 5 * 5, 128),
            fc2: Linear::new(128, 10),
        }
    }
}

impl Module for Net {
    fn forward(&self, x: &Tensor) -> Tensor {
        let x = self.pool.forward(&F::relu(&self.conv1.forward(x)));
        let x = self.pool.forward(&F::relu(&self.conv2.forward(&x)));
        let x = F::relu(&self.fc1.forward(&x.flatten(1, -1)));
        self.fc2.forward(&x)
    }
}

/// Summed loss and number of correct predictions of `logits` against `labels`.
pub fn score(logits: &Tensor, labels: &Tensor) -> (f64, usize) {
    let loss = F::cross_entropy_with(
        logits,
        labels,
        &F::ClassLossOptions {
            reduction: F::Reduction::Sum,
            ..Default::default()
        },
    );
    let predicted = logits.argmax_dim(1, false).to_vec::<i64>();
    let correct = predicted
        .iter()
        .zip(labels.to_vec::<i64>())
        .filter(|(p, l)| **p == *l)
        .count();
    (loss.item::<f32>() as f64, correct)
}

/// The per-image transform the network is trained and tested with: `u8` to `f32` in [0, 1],
/// then normalised with the mean and std of MNIST's training pixels.
pub fn transform() -> Compose {
    Compose::new()
        .then(ToTensor::chw())
        .then(Normalize::new(vec![0.1307], vec![0.3081]))
}
