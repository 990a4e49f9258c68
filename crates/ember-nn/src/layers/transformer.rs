//! `MultiheadAttention` and the Transformer layers, with PyTorch's parameter names
//! (`self_attn.in_proj_weight`, `linear1.weight`, `norm1.bias`, …) and its post-norm /
//! pre-norm (`norm_first`) variants.

use ember_autograd::{DType, Tensor};

use crate::functional as F;
use crate::init;
use crate::layers::dropout::Dropout;
use crate::layers::linear::Linear;
use crate::layers::normalization::LayerNorm;
use crate::{Hooks, Module};

/// Multi-head attention (`nn.MultiheadAttention`): queries attend to keys/values through
/// `num_heads` heads of size `embed_dim / num_heads`.
///
/// ```
/// use ember_nn::{DType, MultiheadAttention, Tensor};
/// let mha = MultiheadAttention::new(8, 2).batch_first(true);
/// let x = Tensor::randn(&[3, 5, 8], DType::F32); // (N, L, E)
/// let (y, w) = mha.attend(&x, &x, &x, None, None, true);
/// assert_eq!((y.shape(), w.unwrap().shape()), (&[3, 5, 8][..], &[3, 5, 5][..]));
/// ```
#[derive(crate::Module)]
pub struct MultiheadAttention {
    /// `(3·E, E)`: the query, key and value projections stacked.
    pub in_proj_weight: Tensor,
    /// `(3·E,)`.
    pub in_proj_bias: Option<Tensor>,
    /// The output projection `E → E`.
    pub out_proj: Linear,
    /// Model width `E`.
    pub embed_dim: usize,
    /// Number of heads.
    pub num_heads: usize,
    /// Dropout on the attention weights (training only).
    pub dropout: f64,
    /// Inputs are `(N, L, E)` instead of `(L, N, E)`.
    pub batch_first: bool,
    /// Training mode.
    pub training: bool,
    hooks: Hooks,
}

impl MultiheadAttention {
    /// Attention over `embed_dim` features with `num_heads` heads; PyTorch's initialisation
    /// (Xavier-uniform projections, zero biases).
    ///
    /// # Panics
    /// When `embed_dim` is not divisible by `num_heads`.
    #[track_caller]
    pub fn new(embed_dim: usize, num_heads: usize) -> MultiheadAttention {
        if num_heads == 0 || !embed_dim.is_multiple_of(num_heads) {
            panic!(
                "MultiheadAttention: embed_dim {embed_dim} must be divisible by num_heads {num_heads}"
            );
        }
        let w = Tensor::zeros(&[3 * embed_dim, embed_dim], DType::F32);
        init::xavier_uniform_(&w, 1.0);
        let out_proj = Linear::new(embed_dim, embed_dim);
        init::zeros_(out_proj.bias.as_ref().expect("bias"));
        MultiheadAttention {
            in_proj_weight: w.requires_grad_(true),
            in_proj_bias: Some(Tensor::zeros(&[3 * embed_dim], DType::F32).requires_grad_(true)),
            out_proj,
            embed_dim,
            num_heads,
            dropout: 0.0,
            batch_first: false,
            training: true,
            hooks: Hooks::new(),
        }
    }

    /// Takes `(N, L, E)` inputs.
    pub fn batch_first(mut self, yes: bool) -> MultiheadAttention {
        self.batch_first = yes;
        self
    }

    /// Sets the attention dropout.
    pub fn dropout(mut self, p: f64) -> MultiheadAttention {
        self.dropout = p;
        self
    }

    /// Attention of `query` over `key`/`value`. `key_padding_mask` `(N, S)` is true where a
    /// key is padding (ignored); `attn_mask` `(L, S)` or `(N·heads, L, S)` is a bool mask (true =
    /// not allowed, PyTorch's convention here) or a float mask added to the scores. Returns the
    /// output and, with `need_weights`, the attention weights averaged over heads `(N, L, S)`.
    ///
    /// # Panics
    /// On shapes that do not fit.
    #[track_caller]
    pub fn attend(
        &self,
        query: &Tensor,
        key: &Tensor,
        value: &Tensor,
        key_padding_mask: Option<&Tensor>,
        attn_mask: Option<&Tensor>,
        need_weights: bool,
    ) -> (Tensor, Option<Tensor>) {
        let unbatched = query.ndim() == 2;
        let prep = |t: &Tensor| {
            if unbatched {
                t.unsqueeze(1)
            } else if self.batch_first {
                t.transpose(0, 1)
            } else {
                t.clone()
            }
        };
        let (q, k, v) = (prep(query), prep(key), prep(value));
        let e = self.embed_dim;
        if q.ndim() != 3 || q.shape()[2] != e || k.shape()[2] != e || v.shape()[2] != e {
            panic!(
                "MultiheadAttention: query/key/value must end with embed_dim {e}: {:?}, {:?}, {:?}",
                query.shape(),
                key.shape(),
                value.shape()
            );
        }
        let (l, n, s) = (q.shape()[0], q.shape()[1], k.shape()[0]);
        let h = self.num_heads;
        let hd = e / h;
        let w = self.in_proj_weight.chunk(3, 0);
        let b = self.in_proj_bias.as_ref().map(|b| b.chunk(3, 0));
        let proj = |x: &Tensor, i: usize, len: usize| {
            F::linear(x, &w[i], b.as_ref().map(|b| &b[i]))
                .reshape(&[len as isize, (n * h) as isize, hd as isize])
                .transpose(0, 1) // (N·H, len, hd)
        };
        let (qh, kh, vh) = (proj(&q, 0, l), proj(&k, 1, s), proj(&v, 2, s));
        let mut scores = qh.matmul(&kh.transpose(1, 2)).mul(1.0 / (hd as f64).sqrt());
        if let Some(m) = attn_mask {
            scores = if m.dtype() == DType::Bool {
                scores.masked_fill(m, f64::NEG_INFINITY)
            } else {
                scores.add(m)
            };
        }
        if let Some(kpm) = key_padding_mask {
            let kpm = if unbatched {
                kpm.unsqueeze(0)
            } else {
                kpm.clone()
            };
            if kpm.shape() != [n, s] {
                panic!(
                    "MultiheadAttention: key_padding_mask must be {:?}, got {:?}",
                    [n, s],
                    kpm.shape()
                );
            }
            let m = kpm
                .reshape(&[n as isize, 1, 1, s as isize])
                .expand(&[n as isize, h as isize, 1, s as isize])
                .reshape(&[(n * h) as isize, 1, s as isize]);
            scores = if m.dtype() == DType::Bool {
                scores.masked_fill(&m, f64::NEG_INFINITY)
            } else {
                scores.add(&m)
            };
        }
        let attn = scores.softmax(-1);
        let attn_d = F::dropout(&attn, self.dropout, self.training && self.dropout > 0.0);
        let out = attn_d
            .matmul(&vh) // (N·H, L, hd)
            .transpose(0, 1)
            .reshape(&[(l * n) as isize, e as isize]);
        let out = self
            .out_proj
            .forward(&out)
            .reshape(&[l as isize, n as isize, e as isize]);
        let out = if unbatched {
            out.squeeze_dim(1)
        } else if self.batch_first {
            out.transpose(0, 1)
        } else {
            out
        };
        let weights = need_weights.then(|| {
            let w = attn
                .reshape(&[n as isize, h as isize, l as isize, s as isize])
                .mean_dim(&[1], false);
            if unbatched { w.squeeze_dim(0) } else { w }
        });
        (out, weights)
    }
}

impl Module for MultiheadAttention {
    /// Self-attention of `x` without masks.
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| self.attend(x, x, x, None, None, false).0)
    }
}

/// The feed-forward activation of a Transformer layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// ReLU (PyTorch's default).
    Relu,
    /// GELU.
    Gelu,
}

fn activate(a: Activation, x: &Tensor) -> Tensor {
    match a {
        Activation::Relu => x.relu(),
        Activation::Gelu => x.gelu(false),
    }
}

/// A Transformer encoder layer: self-attention and a feed-forward block, each with a residual
/// connection and layer norm (after, or before with `norm_first`).
///
/// ```
/// use ember_nn::{DType, Module, Tensor, TransformerEncoderLayer};
/// let layer = TransformerEncoderLayer::new(16, 4, 32).batch_first(true);
/// assert_eq!(layer.forward(&Tensor::randn(&[2, 7, 16], DType::F32)).shape(), &[2, 7, 16]);
/// ```
#[derive(crate::Module)]
pub struct TransformerEncoderLayer {
    /// Self-attention.
    pub self_attn: MultiheadAttention,
    /// `d_model → dim_feedforward`.
    pub linear1: Linear,
    /// Dropout inside the feed-forward block.
    pub dropout: Dropout,
    /// `dim_feedforward → d_model`.
    pub linear2: Linear,
    /// Norm of the attention block.
    pub norm1: LayerNorm,
    /// Norm of the feed-forward block.
    pub norm2: LayerNorm,
    /// Dropout after attention.
    pub dropout1: Dropout,
    /// Dropout after the feed-forward block.
    pub dropout2: Dropout,
    /// Pre-norm instead of post-norm.
    pub norm_first: bool,
    /// Feed-forward activation.
    #[module(skip)]
    pub activation: Activation,
    hooks: Hooks,
}

impl TransformerEncoderLayer {
    /// A layer of width `d_model` with `nhead` heads and a `dim_feedforward` hidden layer;
    /// dropout 0.1, ReLU, post-norm, `(L, N, E)` inputs (PyTorch's defaults).
    pub fn new(d_model: usize, nhead: usize, dim_feedforward: usize) -> TransformerEncoderLayer {
        TransformerEncoderLayer {
            self_attn: MultiheadAttention::new(d_model, nhead).dropout(0.1),
            linear1: Linear::new(d_model, dim_feedforward),
            dropout: Dropout::new(0.1),
            linear2: Linear::new(dim_feedforward, d_model),
            norm1: LayerNorm::new(&[d_model]),
            norm2: LayerNorm::new(&[d_model]),
            dropout1: Dropout::new(0.1),
            dropout2: Dropout::new(0.1),
            norm_first: false,
            activation: Activation::Relu,
            hooks: Hooks::new(),
        }
    }

    /// Takes `(N, L, E)` inputs.
    pub fn batch_first(mut self, yes: bool) -> Self {
        self.self_attn.batch_first = yes;
        self
    }

    /// Sets every dropout probability.
    pub fn dropout(mut self, p: f64) -> Self {
        self.self_attn.dropout = p;
        for d in [&mut self.dropout, &mut self.dropout1, &mut self.dropout2] {
            d.p = p;
        }
        self
    }

    /// Pre-norm (`norm_first=True`).
    pub fn norm_first(mut self, yes: bool) -> Self {
        self.norm_first = yes;
        self
    }

    /// Sets the feed-forward activation.
    pub fn activation(mut self, a: Activation) -> Self {
        self.activation = a;
        self
    }

    fn sa_block(&self, x: &Tensor, mask: Option<&Tensor>, kpm: Option<&Tensor>) -> Tensor {
        let (y, _) = self.self_attn.attend(x, x, x, kpm, mask, false);
        self.dropout1.forward(&y)
    }

    fn ff_block(&self, x: &Tensor) -> Tensor {
        let h = self
            .dropout
            .forward(&activate(self.activation, &self.linear1.forward(x)));
        self.dropout2.forward(&self.linear2.forward(&h))
    }

    /// The layer with an attention mask and a key padding mask (see
    /// [`MultiheadAttention::attend`]).
    #[track_caller]
    pub fn forward_masked(
        &self,
        src: &Tensor,
        mask: Option<&Tensor>,
        key_padding_mask: Option<&Tensor>,
    ) -> Tensor {
        if self.norm_first {
            let x = src.add(&self.sa_block(&self.norm1.forward(src), mask, key_padding_mask));
            x.add(&self.ff_block(&self.norm2.forward(&x)))
        } else {
            let x = self
                .norm1
                .forward(&src.add(&self.sa_block(src, mask, key_padding_mask)));
            self.norm2.forward(&x.add(&self.ff_block(&x)))
        }
    }
}

impl Module for TransformerEncoderLayer {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| self.forward_masked(x, None, None))
    }
}

/// A Transformer decoder layer: masked self-attention, attention over the encoder's output
/// (`memory`), and a feed-forward block.
///
/// ```
/// use ember_nn::{DType, Tensor, TransformerDecoderLayer};
/// let layer = TransformerDecoderLayer::new(8, 2, 16);
/// let tgt = Tensor::randn(&[4, 2, 8], DType::F32);
/// let memory = Tensor::randn(&[6, 2, 8], DType::F32);
/// assert_eq!(layer.forward_memory(&tgt, &memory, None, None).shape(), &[4, 2, 8]);
/// ```
#[derive(crate::Module)]
pub struct TransformerDecoderLayer {
    /// Self-attention over the target.
    pub self_attn: MultiheadAttention,
    /// Attention over the memory.
    pub multihead_attn: MultiheadAttention,
    /// `d_model → dim_feedforward`.
    pub linear1: Linear,
    /// Dropout inside the feed-forward block.
    pub dropout: Dropout,
    /// `dim_feedforward → d_model`.
    pub linear2: Linear,
    /// Norm of the self-attention block.
    pub norm1: LayerNorm,
    /// Norm of the memory-attention block.
    pub norm2: LayerNorm,
    /// Norm of the feed-forward block.
    pub norm3: LayerNorm,
    /// Dropout after self-attention.
    pub dropout1: Dropout,
    /// Dropout after memory attention.
    pub dropout2: Dropout,
    /// Dropout after the feed-forward block.
    pub dropout3: Dropout,
    /// Pre-norm instead of post-norm.
    pub norm_first: bool,
    /// Feed-forward activation.
    #[module(skip)]
    pub activation: Activation,
    hooks: Hooks,
}

impl TransformerDecoderLayer {
    /// A layer of width `d_model` with `nhead` heads; PyTorch's defaults.
    pub fn new(d_model: usize, nhead: usize, dim_feedforward: usize) -> TransformerDecoderLayer {
        TransformerDecoderLayer {
            self_attn: MultiheadAttention::new(d_model, nhead).dropout(0.1),
            multihead_attn: MultiheadAttention::new(d_model, nhead).dropout(0.1),
            linear1: Linear::new(d_model, dim_feedforward),
            dropout: Dropout::new(0.1),
            linear2: Linear::new(dim_feedforward, d_model),
            norm1: LayerNorm::new(&[d_model]),
            norm2: LayerNorm::new(&[d_model]),
            norm3: LayerNorm::new(&[d_model]),
            dropout1: Dropout::new(0.1),
            dropout2: Dropout::new(0.1),
            dropout3: Dropout::new(0.1),
            norm_first: false,
            activation: Activation::Relu,
            hooks: Hooks::new(),
        }
    }

    /// Takes `(N, L, E)` inputs.
    pub fn batch_first(mut self, yes: bool) -> Self {
        self.self_attn.batch_first = yes;
        self.multihead_attn.batch_first = yes;
        self
    }

    /// Sets every dropout probability.
    pub fn dropout(mut self, p: f64) -> Self {
        self.self_attn.dropout = p;
        self.multihead_attn.dropout = p;
        for d in [
            &mut self.dropout,
            &mut self.dropout1,
            &mut self.dropout2,
            &mut self.dropout3,
        ] {
            d.p = p;
        }
        self
    }

    /// Pre-norm (`norm_first=True`).
    pub fn norm_first(mut self, yes: bool) -> Self {
        self.norm_first = yes;
        self
    }

    fn ff_block(&self, x: &Tensor) -> Tensor {
        let h = self
            .dropout
            .forward(&activate(self.activation, &self.linear1.forward(x)));
        self.dropout3.forward(&self.linear2.forward(&h))
    }

    /// The layer over `tgt` attending to `memory`, with an optional target attention mask
    /// (e.g. causal) and memory attention mask.
    #[track_caller]
    pub fn forward_memory(
        &self,
        tgt: &Tensor,
        memory: &Tensor,
        tgt_mask: Option<&Tensor>,
        memory_mask: Option<&Tensor>,
    ) -> Tensor {
        let sa = |x: &Tensor| {
            self.dropout1
                .forward(&self.self_attn.attend(x, x, x, None, tgt_mask, false).0)
        };
        let mha = |x: &Tensor| {
            self.dropout2.forward(
                &self
                    .multihead_attn
                    .attend(x, memory, memory, None, memory_mask, false)
                    .0,
            )
        };
        if self.norm_first {
            let x = tgt.add(&sa(&self.norm1.forward(tgt)));
            let x = x.add(&mha(&self.norm2.forward(&x)));
            x.add(&self.ff_block(&self.norm3.forward(&x)))
        } else {
            let x = self.norm1.forward(&tgt.add(&sa(tgt)));
            let x = self.norm2.forward(&x.add(&mha(&x)));
            self.norm3.forward(&x.add(&self.ff_block(&x)))
        }
    }
}

impl Module for TransformerDecoderLayer {
    /// The layer with `x` as its own memory.
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| self.forward_memory(x, x, None, None))
    }
}

/// A stack of encoder layers with an optional final norm (`nn.TransformerEncoder`).
///
/// ```
/// use ember_nn::{DType, LayerNorm, Module, ModuleExt, Tensor, TransformerEncoder, TransformerEncoderLayer};
/// let enc = TransformerEncoder::new(|| TransformerEncoderLayer::new(8, 2, 16), 3, Some(LayerNorm::new(&[8])));
/// assert_eq!(enc.forward(&Tensor::randn(&[5, 2, 8], DType::F32)).shape(), &[5, 2, 8]);
/// assert!(enc.state_dict().contains_key("layers.2.linear1.weight"));
/// ```
#[derive(crate::Module)]
pub struct TransformerEncoder {
    /// The layers.
    pub layers: Vec<TransformerEncoderLayer>,
    /// Final norm.
    pub norm: Option<LayerNorm>,
    hooks: Hooks,
}

impl TransformerEncoder {
    /// `num_layers` layers made by `layer` (each freshly initialised).
    pub fn new(
        layer: impl Fn() -> TransformerEncoderLayer,
        num_layers: usize,
        norm: Option<LayerNorm>,
    ) -> TransformerEncoder {
        TransformerEncoder {
            layers: (0..num_layers).map(|_| layer()).collect(),
            norm,
            hooks: Hooks::new(),
        }
    }

    /// The stack with masks.
    #[track_caller]
    pub fn forward_masked(
        &self,
        src: &Tensor,
        mask: Option<&Tensor>,
        key_padding_mask: Option<&Tensor>,
    ) -> Tensor {
        let mut x = src.clone();
        for l in &self.layers {
            x = l.forward_masked(&x, mask, key_padding_mask);
        }
        match &self.norm {
            Some(n) => n.forward(&x),
            None => x,
        }
    }
}

impl Module for TransformerEncoder {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| self.forward_masked(x, None, None))
    }
}

/// A stack of decoder layers with an optional final norm (`nn.TransformerDecoder`).
///
/// ```
/// use ember_nn::{DType, Tensor, TransformerDecoder, TransformerDecoderLayer};
/// let dec = TransformerDecoder::new(|| TransformerDecoderLayer::new(8, 2, 16), 2, None);
/// let y = dec.forward_memory(&Tensor::randn(&[3, 1, 8], DType::F32), &Tensor::randn(&[4, 1, 8], DType::F32), None, None);
/// assert_eq!(y.shape(), &[3, 1, 8]);
/// ```
#[derive(crate::Module)]
pub struct TransformerDecoder {
    /// The layers.
    pub layers: Vec<TransformerDecoderLayer>,
    /// Final norm.
    pub norm: Option<LayerNorm>,
    hooks: Hooks,
}

impl TransformerDecoder {
    /// `num_layers` layers made by `layer`.
    pub fn new(
        layer: impl Fn() -> TransformerDecoderLayer,
        num_layers: usize,
        norm: Option<LayerNorm>,
    ) -> TransformerDecoder {
        TransformerDecoder {
            layers: (0..num_layers).map(|_| layer()).collect(),
            norm,
            hooks: Hooks::new(),
        }
    }

    /// The stack over `tgt` attending to `memory`.
    #[track_caller]
    pub fn forward_memory(
        &self,
        tgt: &Tensor,
        memory: &Tensor,
        tgt_mask: Option<&Tensor>,
        memory_mask: Option<&Tensor>,
    ) -> Tensor {
        let mut x = tgt.clone();
        for l in &self.layers {
            x = l.forward_memory(&x, memory, tgt_mask, memory_mask);
        }
        match &self.norm {
            Some(n) => n.forward(&x),
            None => x,
        }
    }
}

impl Module for TransformerDecoder {
    /// The stack with `x` as its own memory.
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| self.forward_memory(x, x, None, None))
    }
}

/// The encoder–decoder Transformer (`nn.Transformer`): names `encoder.layers.0.…`,
/// `decoder.norm.weight`, as PyTorch.
///
/// ```
/// use ember_nn::{DType, Tensor, Transformer};
/// let t = Transformer::new(8, 2, 2, 2, 16);
/// let tgt_mask = Transformer::generate_square_subsequent_mask(3);
/// let y = t.forward_seq(&Tensor::randn(&[5, 1, 8], DType::F32), &Tensor::randn(&[3, 1, 8], DType::F32), Some(&tgt_mask));
/// assert_eq!(y.shape(), &[3, 1, 8]);
/// ```
#[derive(crate::Module)]
pub struct Transformer {
    /// The encoder stack.
    pub encoder: TransformerEncoder,
    /// The decoder stack.
    pub decoder: TransformerDecoder,
    hooks: Hooks,
}

impl Transformer {
    /// A Transformer of width `d_model` with `nhead` heads, the given numbers of encoder and
    /// decoder layers, and `dim_feedforward`; final layer norms as PyTorch.
    pub fn new(
        d_model: usize,
        nhead: usize,
        num_encoder_layers: usize,
        num_decoder_layers: usize,
        dim_feedforward: usize,
    ) -> Transformer {
        Transformer {
            encoder: TransformerEncoder::new(
                || TransformerEncoderLayer::new(d_model, nhead, dim_feedforward),
                num_encoder_layers,
                Some(LayerNorm::new(&[d_model])),
            ),
            decoder: TransformerDecoder::new(
                || TransformerDecoderLayer::new(d_model, nhead, dim_feedforward),
                num_decoder_layers,
                Some(LayerNorm::new(&[d_model])),
            ),
            hooks: Hooks::new(),
        }
    }

    /// A float mask `(n, n)` with `-inf` above the diagonal: position `i` attends to `≤ i`.
    pub fn generate_square_subsequent_mask(n: usize) -> Tensor {
        Tensor::zeros(&[n, n], DType::F32).masked_fill(
            &Tensor::ones(&[n, n], DType::Bool).triu(1),
            f64::NEG_INFINITY,
        )
    }

    /// Encodes `src`, then decodes `tgt` against it.
    #[track_caller]
    pub fn forward_seq(&self, src: &Tensor, tgt: &Tensor, tgt_mask: Option<&Tensor>) -> Tensor {
        let memory = self.encoder.forward(src);
        self.decoder.forward_memory(tgt, &memory, tgt_mask, None)
    }
}

impl Module for Transformer {
    /// `forward_seq(x, x, None)`.
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| self.forward_seq(x, x, None))
    }
}
