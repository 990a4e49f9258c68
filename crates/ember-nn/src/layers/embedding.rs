//! `Embedding` and `EmbeddingBag`.

use ember_autograd::{DType, Tensor, no_grad};

use crate::functional::{self as F, BagMode};
use crate::{Hooks, Module};

/// A lookup table of `num_embeddings` vectors of size `embedding_dim` ([`F::embedding`]),
/// initialised `N(0, 1)` with the `padding_idx` row zeroed, as PyTorch.
///
/// ```
/// use ember_nn::{Embedding, Module, Tensor};
/// let emb = Embedding::new(10, 3).padding_idx(Some(0));
/// let y = emb.forward(&Tensor::from([[0i64, 4], [9, 0]]));
/// assert_eq!(y.shape(), &[2, 2, 3]);
/// assert_eq!(y.i((0, 0)).to_vec::<f32>(), [0.0, 0.0, 0.0]);
/// ```
#[derive(crate::Module)]
pub struct Embedding {
    /// `(num_embeddings, embedding_dim)`.
    pub weight: Tensor,
    /// The row that gets no gradient (and starts at zero).
    pub padding_idx: Option<usize>,
    /// Looked-up rows with a larger norm are renormalised in place.
    pub max_norm: Option<f64>,
    hooks: Hooks,
}

impl Embedding {
    /// A table of `num_embeddings × embedding_dim`.
    pub fn new(num_embeddings: usize, embedding_dim: usize) -> Embedding {
        Embedding {
            weight: Tensor::randn(&[num_embeddings, embedding_dim], DType::F32)
                .requires_grad_(true),
            padding_idx: None,
            max_norm: None,
            hooks: Hooks::new(),
        }
    }

    /// A layer over an existing table (`Embedding.from_pretrained`); `freeze` stops its
    /// gradient. Pass a handle of another layer's weight to share it.
    ///
    /// ```
    /// use ember_nn::{Embedding, Tensor};
    /// let e = Embedding::from_pretrained(Tensor::from([[1.0f32, 2.0]]), true);
    /// assert!(!e.weight.requires_grad());
    /// ```
    pub fn from_pretrained(weight: Tensor, freeze: bool) -> Embedding {
        Embedding {
            weight: if weight.is_leaf() {
                weight.requires_grad_(!freeze)
            } else {
                weight.detach().requires_grad_(!freeze)
            },
            padding_idx: None,
            max_norm: None,
            hooks: Hooks::new(),
        }
    }

    /// Sets the padding row, zeroing it.
    ///
    /// # Panics
    /// When the index is out of range.
    #[track_caller]
    pub fn padding_idx(mut self, padding_idx: Option<usize>) -> Embedding {
        if let Some(p) = padding_idx {
            if p >= self.weight.shape()[0] {
                panic!(
                    "Embedding: padding_idx {p} out of range for {} embeddings",
                    self.weight.shape()[0]
                );
            }
            no_grad(|| {
                self.weight.select(0, p).fill_(0.0);
            });
        }
        self.padding_idx = padding_idx;
        self
    }

    /// Sets `max_norm`.
    pub fn max_norm(mut self, max_norm: Option<f64>) -> Embedding {
        self.max_norm = max_norm;
        self
    }
}

impl Module for Embedding {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| {
            F::embedding(x, &self.weight, self.padding_idx, self.max_norm)
        })
    }
    fn extra_repr(&self) -> String {
        format!("{}, {}", self.weight.shape()[0], self.weight.shape()[1])
    }
}

/// Sums or averages (or maxes) embeddings per bag ([`F::embedding_bag`]). `forward(x)` takes
/// a 2-d `(B, L)` input of bags; use [`forward_offsets`](EmbeddingBag::forward_offsets) for
/// a flat input with offsets.
///
/// ```
/// use ember_nn::{EmbeddingBag, functional::BagMode, Module, Tensor};
/// let bag = EmbeddingBag::new(10, 4, BagMode::Mean);
/// assert_eq!(bag.forward(&Tensor::from([[1i64, 2, 3], [4, 5, 6]])).shape(), &[2, 4]);
/// ```
#[derive(crate::Module)]
pub struct EmbeddingBag {
    /// `(num_embeddings, embedding_dim)`.
    pub weight: Tensor,
    /// How a bag's rows combine.
    #[module(skip)]
    pub mode: BagMode,
    /// Indices left out of every bag.
    pub padding_idx: Option<usize>,
    hooks: Hooks,
}

impl EmbeddingBag {
    /// A table of `num_embeddings × embedding_dim` combined by `mode`.
    pub fn new(num_embeddings: usize, embedding_dim: usize, mode: BagMode) -> EmbeddingBag {
        EmbeddingBag {
            weight: Tensor::randn(&[num_embeddings, embedding_dim], DType::F32)
                .requires_grad_(true),
            mode,
            padding_idx: None,
            hooks: Hooks::new(),
        }
    }

    /// Bags of a flat index tensor, starting at `offsets`; optional per-index weights (sum
    /// mode).
    #[track_caller]
    pub fn forward_offsets(
        &self,
        input: &Tensor,
        offsets: &Tensor,
        per_sample_weights: Option<&Tensor>,
    ) -> Tensor {
        F::embedding_bag(
            input,
            &self.weight,
            Some(offsets),
            self.mode,
            per_sample_weights,
            self.padding_idx,
        )
    }
}

impl Module for EmbeddingBag {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| {
            F::embedding_bag(x, &self.weight, None, self.mode, None, self.padding_idx)
        })
    }
}
