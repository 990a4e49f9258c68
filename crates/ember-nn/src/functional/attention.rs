//! Scaled dot-product attention.

use ember_autograd::{DType, Tensor};

use super::dropout::dropout;

/// `softmax(q·kᵀ / √d + mask) · v` over `(…, L, d)` queries and `(…, S, d)` keys/values.
/// `attn_mask` is a bool mask (true = may attend) or a float mask added to the scores;
/// `is_causal` masks out future positions; `dropout_p` applies dropout to the weights.
///
/// # Panics
/// When both `attn_mask` and `is_causal` are given, or shapes do not fit.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let q = Tensor::from([[[1.0f64, 0.0], [0.0, 1.0]]]);
/// let v = Tensor::from([[[1.0f64, 2.0], [3.0, 4.0]]]);
/// let out = F::scaled_dot_product_attention(&q, &q, &v, None, 0.0, true, None);
/// assert_eq!(out.to_vec::<f64>()[..2], [1.0, 2.0]); // the first query sees only the first key
/// ```
#[track_caller]
pub fn scaled_dot_product_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    attn_mask: Option<&Tensor>,
    dropout_p: f64,
    is_causal: bool,
    scale: Option<f64>,
) -> Tensor {
    if q.ndim() < 2 || k.ndim() < 2 || q.shape()[q.ndim() - 1] != k.shape()[k.ndim() - 1] {
        panic!(
            "scaled_dot_product_attention: query {:?} and key {:?} need matching last dims",
            q.shape(),
            k.shape()
        );
    }
    if attn_mask.is_some() && is_causal {
        panic!("scaled_dot_product_attention: give attn_mask or is_causal, not both");
    }
    let d = q.shape()[q.ndim() - 1];
    let scale = scale.unwrap_or(1.0 / (d as f64).sqrt());
    let mut scores = q.matmul(&k.transpose(-2, -1)).mul(scale);
    let (l, s) = (q.shape()[q.ndim() - 2], k.shape()[k.ndim() - 2]);
    if is_causal {
        let allowed = Tensor::ones(&[l, s], DType::Bool).tril(0);
        scores = scores.masked_fill(&allowed.logical_not(), f64::NEG_INFINITY);
    }
    if let Some(m) = attn_mask {
        scores = if m.dtype() == DType::Bool {
            scores.masked_fill(&m.logical_not(), f64::NEG_INFINITY)
        } else {
            scores.add(m)
        };
    }
    let w = dropout(&scores.softmax(-1), dropout_p, dropout_p > 0.0);
    w.matmul(v)
}
