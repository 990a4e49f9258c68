//! Loss functions, PyTorch's formulas and reductions. Each is tensor maths over level-2 ops,
//! so gradients (and gradients of gradients) come from autograd.

use ember_autograd::{DType, Tensor};

/// How a loss reduces its per-element values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// No reduction: one value per element (per sample for class losses).
    None,
    /// The mean (weighted mean for class losses with weights).
    #[default]
    Mean,
    /// The sum.
    Sum,
    /// Sum divided by the batch size: [`kl_div`] only, where it is the mathematically right
    /// mean.
    BatchMean,
}

#[track_caller]
fn reduce(op: &str, loss: Tensor, reduction: Reduction) -> Tensor {
    match reduction {
        Reduction::None => loss,
        Reduction::Mean => loss.mean(),
        Reduction::Sum => loss.sum(),
        Reduction::BatchMean => panic!("{op}: Reduction::BatchMean is only for kl_div"),
    }
}

#[track_caller]
fn same_shape(op: &str, input: &Tensor, target: &Tensor) {
    if input.shape() != target.shape() {
        panic!(
            "{op}: input shape {:?} and target shape {:?} differ",
            input.shape(),
            target.shape()
        );
    }
}

/// Options of [`cross_entropy`] and [`nll_loss`] beyond the reduction (PyTorch's keyword
/// arguments).
#[derive(Clone, Debug)]
pub struct ClassLossOptions {
    /// A weight per class.
    pub weight: Option<Tensor>,
    /// Targets with this class index contribute nothing (and do not count in the mean).
    pub ignore_index: i64,
    /// How the per-sample losses are reduced.
    pub reduction: Reduction,
    /// Mixes the target with the uniform distribution: `(1 - ε)·target + ε/C`.
    pub label_smoothing: f64,
}

impl Default for ClassLossOptions {
    fn default() -> Self {
        ClassLossOptions {
            weight: None,
            ignore_index: -100,
            reduction: Reduction::Mean,
            label_smoothing: 0.0,
        }
    }
}

/// Cross entropy between logits `input` (`(N, C)`, `(N, C, d1, …)` or `(C,)`) and `target`:
/// class indices (an integer tensor of shape `(N, d1, …)`) or class probabilities (a float
/// tensor shaped like `input`). Computed from `log_softmax`, so it is stable for any logits.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let logits = Tensor::from([[2.0f64, 0.0], [0.0, 1.0]]);
/// let target = Tensor::from([0i64, 1]);
/// let loss = F::cross_entropy(&logits, &target).item::<f64>();
/// let expected = ((1.0 + (-2.0f64).exp()).ln() + (1.0 + (-1.0f64).exp()).ln()) / 2.0;
/// assert!((loss - expected).abs() < 1e-12);
/// ```
#[track_caller]
pub fn cross_entropy(input: &Tensor, target: &Tensor) -> Tensor {
    cross_entropy_with(input, target, &ClassLossOptions::default())
}

/// [`cross_entropy`] with class weights, `ignore_index`, label smoothing and a reduction.
///
/// ```
/// use ember_nn::functional::{self as F, ClassLossOptions, Reduction};
/// use ember_nn::Tensor;
/// let logits = Tensor::from([[0.0f64, 0.0], [0.0, 0.0]]);
/// let target = Tensor::from([0i64, -100]); // the second sample is ignored
/// let opts = ClassLossOptions { reduction: Reduction::Sum, ..Default::default() };
/// let loss = F::cross_entropy_with(&logits, &target, &opts).item::<f64>();
/// assert!((loss - 2f64.ln()).abs() < 1e-12);
/// ```
#[track_caller]
pub fn cross_entropy_with(input: &Tensor, target: &Tensor, opts: &ClassLossOptions) -> Tensor {
    let (input, target, unbatched) = batch_class_input("cross_entropy", input, target);
    let logp = input.log_softmax(1);
    let c = input.shape()[1];
    let eps = opts.label_smoothing;
    if !(0.0..=1.0).contains(&eps) {
        panic!("cross_entropy: label_smoothing must be in [0, 1], got {eps}");
    }
    let out = if target.dtype().is_floating_point() {
        same_shape("cross_entropy", &input, &target);
        let t = if eps > 0.0 {
            target.mul(1.0 - eps).add(eps / c as f64)
        } else {
            target.clone()
        };
        let mut prod = logp.mul(&t);
        if let Some(w) = &opts.weight {
            prod = prod.mul(&channel_view(w, input.ndim()));
        }
        let per = prod.sum_dim(&[1], false).neg();
        match opts.reduction {
            Reduction::Mean => per.sum().div(per.numel().max(1) as f64),
            r => reduce("cross_entropy", per, r),
        }
    } else {
        let nll = nll_loss_with(
            &logp,
            &target,
            &ClassLossOptions {
                label_smoothing: 0.0,
                ..opts.clone()
            },
        );
        if eps == 0.0 {
            nll
        } else {
            // PyTorch: (1 - ε)·nll + ε/C · Σ_c −w_c·logp_c, ignored targets masked, reduced like
            // nll (the weighted mean divides by the same Σ w[target]).
            let mut smooth = logp.neg();
            if let Some(w) = &opts.weight {
                smooth = smooth.mul(&channel_view(w, input.ndim()));
            }
            let mut smooth = smooth.sum_dim(&[1], false);
            let keep = target.ne(opts.ignore_index).to_dtype(smooth.dtype());
            smooth = smooth.mul(&keep);
            let smooth = match opts.reduction {
                Reduction::None => smooth,
                Reduction::Sum => smooth.sum(),
                Reduction::Mean => {
                    let denom = match &opts.weight {
                        Some(w) => class_weights(w, &target, opts.ignore_index).sum(),
                        None => keep.sum(),
                    };
                    smooth.sum().div(&denom)
                }
                Reduction::BatchMean => {
                    panic!("cross_entropy: Reduction::BatchMean is only for kl_div")
                }
            };
            nll.mul(1.0 - eps).add(&smooth.mul(eps / c as f64))
        }
    };
    if unbatched && opts.reduction == Reduction::None {
        out.squeeze_dim(0)
    } else {
        out
    }
}

/// `(C,)` input → `(1, C)`; checks the target's shape against the input's.
#[track_caller]
fn batch_class_input(op: &str, input: &Tensor, target: &Tensor) -> (Tensor, Tensor, bool) {
    if input.ndim() == 1 {
        let t = if target.dtype().is_floating_point() {
            target.unsqueeze(0)
        } else {
            target.reshape(&[1])
        };
        return (input.unsqueeze(0), t, true);
    }
    if input.ndim() == 0 {
        panic!("{op}: input must have a class dimension, got a 0-d tensor");
    }
    if !target.dtype().is_floating_point() {
        let mut expect = input.shape().to_vec();
        expect.remove(1);
        if target.shape() != expect.as_slice() {
            panic!(
                "{op}: input {:?} (N, C, …) needs class-index targets of shape {expect:?}, got {:?}",
                input.shape(),
                target.shape()
            );
        }
    }
    (input.clone(), target.clone(), false)
}

/// A per-class weight `(C,)` shaped to broadcast along dim 1 of an `ndim`-d input.
fn channel_view(w: &Tensor, ndim: usize) -> Tensor {
    let mut shape = vec![1isize; ndim];
    shape[1] = -1;
    w.reshape(&shape)
}

/// `weight[target]`, zero where `target == ignore_index`.
fn class_weights(w: &Tensor, target: &Tensor, ignore_index: i64) -> Tensor {
    let keep = target.ne(ignore_index);
    let safe = Tensor::where_cond(&keep, target, 0i64);
    let picked = w
        .index_select(0, &safe.flatten(0, -1))
        .reshape(&isz(target.shape()));
    picked.mul(&keep.to_dtype(w.dtype()))
}

fn isz(s: &[usize]) -> Vec<isize> {
    s.iter().map(|&d| d as isize).collect()
}

/// The negative log-likelihood of class-index targets under log-probabilities `input`
/// (`(N, C, …)` or `(C,)`), mean-reduced.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let logp = Tensor::from([[-0.1f32, -2.0], [-3.0, -0.05]]);
/// let loss = F::nll_loss(&logp, &Tensor::from([0i64, 1]));
/// assert!((loss.item::<f32>() - 0.075).abs() < 1e-6);
/// ```
#[track_caller]
pub fn nll_loss(input: &Tensor, target: &Tensor) -> Tensor {
    nll_loss_with(input, target, &ClassLossOptions::default())
}

/// [`nll_loss`] with class weights, `ignore_index` and a reduction (`label_smoothing` must be 0).
///
/// # Panics
/// On a target outside `[0, C)` that is not `ignore_index`.
///
/// ```
/// use ember_nn::functional::{self as F, ClassLossOptions};
/// use ember_nn::Tensor;
/// let logp = Tensor::from([[-1.0f64, -2.0], [-3.0, -4.0]]);
/// let opts = ClassLossOptions { weight: Some(Tensor::from([1.0f64, 3.0])), ..Default::default() };
/// let loss = F::nll_loss_with(&logp, &Tensor::from([0i64, 1]), &opts).item::<f64>();
/// assert!((loss - (1.0 + 3.0 * 4.0) / 4.0).abs() < 1e-12); // weighted mean
/// ```
#[track_caller]
pub fn nll_loss_with(input: &Tensor, target: &Tensor, opts: &ClassLossOptions) -> Tensor {
    if opts.label_smoothing != 0.0 {
        panic!("nll_loss: label_smoothing is a cross_entropy option");
    }
    if target.dtype().is_floating_point() {
        panic!(
            "nll_loss: targets must be class indices (an integer tensor), got {}",
            target.dtype()
        );
    }
    let (input, target, unbatched) = batch_class_input("nll_loss", input, target);
    let c = input.shape()[1] as i64;
    let keep = target.ne(opts.ignore_index);
    let safe = Tensor::where_cond(&keep, &target, 0i64).to_dtype(DType::I64);
    if safe.numel() > 0 {
        let (lo, hi) = (safe.min().item::<i64>(), safe.max().item::<i64>());
        if lo < 0 || hi >= c {
            let bad = if lo < 0 { lo } else { hi };
            panic!("nll_loss: target {bad} is out of bounds for {c} classes");
        }
    }
    let picked = input.gather(1, &safe.unsqueeze(1)).squeeze_dim(1);
    let w = match &opts.weight {
        Some(w) => {
            if w.shape() != [c as usize] {
                panic!(
                    "nll_loss: weight must have shape [{c}], got {:?}",
                    w.shape()
                );
            }
            class_weights(w, &target, opts.ignore_index)
        }
        None => keep.to_dtype(input.dtype()),
    };
    let loss = picked.mul(&w).neg();
    let out = match opts.reduction {
        Reduction::None => loss,
        Reduction::Sum => loss.sum(),
        Reduction::Mean => loss.sum().div(&w.sum()),
        Reduction::BatchMean => panic!("nll_loss: Reduction::BatchMean is only for kl_div"),
    };
    if unbatched && opts.reduction == Reduction::None {
        out.squeeze_dim(0)
    } else {
        out
    }
}

/// Mean squared error.
///
/// ```
/// use ember_nn::functional::{self as F, Reduction};
/// use ember_nn::Tensor;
/// let l = F::mse_loss(&Tensor::from([1.0f32, 2.0]), &Tensor::from([0.0f32, 0.0]), Reduction::Mean);
/// assert_eq!(l.item::<f32>(), 2.5);
/// ```
#[track_caller]
pub fn mse_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    same_shape("mse_loss", input, target);
    reduce("mse_loss", input.sub(target).square(), reduction)
}

/// Mean absolute error.
///
/// ```
/// use ember_nn::functional::{self as F, Reduction};
/// use ember_nn::Tensor;
/// let l = F::l1_loss(&Tensor::from([1.0f32, -2.0]), &Tensor::from([0.0f32, 0.0]), Reduction::Sum);
/// assert_eq!(l.item::<f32>(), 3.0);
/// ```
#[track_caller]
pub fn l1_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Tensor {
    same_shape("l1_loss", input, target);
    reduce("l1_loss", input.sub(target).abs(), reduction)
}

/// `0.5·d²/β` where `|d| < β`, else `|d| − 0.5·β`.
///
/// ```
/// use ember_nn::functional::{self as F, Reduction};
/// use ember_nn::Tensor;
/// let l = F::smooth_l1_loss(&Tensor::from([0.5f64, 3.0]), &Tensor::from([0.0f64, 0.0]), Reduction::None, 1.0);
/// assert_eq!(l.to_vec::<f64>(), [0.125, 2.5]);
/// ```
#[track_caller]
pub fn smooth_l1_loss(input: &Tensor, target: &Tensor, reduction: Reduction, beta: f64) -> Tensor {
    same_shape("smooth_l1_loss", input, target);
    let d = input.sub(target).abs();
    let loss = if beta == 0.0 {
        d
    } else {
        Tensor::where_cond(&d.lt(beta), &d.square().mul(0.5 / beta), &d.sub(0.5 * beta))
    };
    reduce("smooth_l1_loss", loss, reduction)
}

/// `0.5·d²` where `|d| < δ`, else `δ·(|d| − 0.5·δ)`.
///
/// ```
/// use ember_nn::functional::{self as F, Reduction};
/// use ember_nn::Tensor;
/// let l = F::huber_loss(&Tensor::from([0.5f64, 3.0]), &Tensor::from([0.0f64, 0.0]), Reduction::None, 2.0);
/// assert_eq!(l.to_vec::<f64>(), [0.125, 4.0]);
/// ```
#[track_caller]
pub fn huber_loss(input: &Tensor, target: &Tensor, reduction: Reduction, delta: f64) -> Tensor {
    same_shape("huber_loss", input, target);
    let d = input.sub(target).abs();
    let loss = Tensor::where_cond(
        &d.lt(delta),
        &d.square().mul(0.5),
        &d.sub(0.5 * delta).mul(delta),
    );
    reduce("huber_loss", loss, reduction)
}

/// Binary cross entropy of probabilities `input` against `target`, with optional element
/// weights; the logs are clamped at −100 as in PyTorch, so a 0 or 1 input stays finite.
///
/// ```
/// use ember_nn::functional::{self as F, Reduction};
/// use ember_nn::Tensor;
/// let l = F::binary_cross_entropy(&Tensor::from([0.8f64]), &Tensor::from([1.0f64]), None, Reduction::Mean);
/// assert!((l.item::<f64>() + 0.8f64.ln()).abs() < 1e-12);
/// ```
#[track_caller]
pub fn binary_cross_entropy(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Tensor {
    same_shape("binary_cross_entropy", input, target);
    let log_p = input.log().clamp_min(-100.0);
    let log_q = input.neg().add(1.0).log().clamp_min(-100.0);
    let mut loss = target
        .mul(&log_p)
        .add(&target.neg().add(1.0).mul(&log_q))
        .neg();
    if let Some(w) = weight {
        loss = loss.mul(w);
    }
    reduce("binary_cross_entropy", loss, reduction)
}

/// Binary cross entropy on logits (sigmoid folded in, stable for any logit), with optional
/// element weights and a positive-class weight per class (`pos_weight`).
///
/// ```
/// use ember_nn::functional::{self as F, Reduction};
/// use ember_nn::Tensor;
/// let l = F::binary_cross_entropy_with_logits(&Tensor::from([100.0f64]), &Tensor::from([0.0f64]), None, None, Reduction::Sum);
/// assert!((l.item::<f64>() - 100.0).abs() < 1e-9); // no overflow
/// ```
#[track_caller]
pub fn binary_cross_entropy_with_logits(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    pos_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Tensor {
    same_shape("binary_cross_entropy_with_logits", input, target);
    // log(1 + e^{-x}) computed as log1p(e^{-|x|}) + max(-x, 0).
    let softplus_neg = input
        .abs()
        .neg()
        .exp()
        .log1p()
        .add(&input.neg().clamp_min(0.0));
    let one_minus_t = target.neg().add(1.0);
    let mut loss = match pos_weight {
        Some(pw) => {
            let log_w = pw.sub(1.0).mul(target).add(1.0);
            one_minus_t.mul(input).add(&log_w.mul(&softplus_neg))
        }
        None => one_minus_t.mul(input).add(&softplus_neg),
    };
    if let Some(w) = weight {
        loss = loss.mul(w);
    }
    reduce("binary_cross_entropy_with_logits", loss, reduction)
}

/// Kullback–Leibler divergence with `input` as log-probabilities and `target` as
/// probabilities (or log-probabilities with `log_target`): `target·(log target − input)`,
/// 0 where target is 0. Use [`Reduction::BatchMean`] for the true KL mean.
///
/// ```
/// use ember_nn::functional::{self as F, Reduction};
/// use ember_nn::Tensor;
/// let p = Tensor::from([[0.5f64, 0.5]]);
/// let l = F::kl_div(&p.log(), &p, Reduction::BatchMean, false);
/// assert!(l.item::<f64>().abs() < 1e-12); // KL(p‖p) = 0
/// ```
#[track_caller]
pub fn kl_div(input: &Tensor, target: &Tensor, reduction: Reduction, log_target: bool) -> Tensor {
    let loss = if log_target {
        target.exp().mul(&target.sub(input))
    } else {
        // xlogy: 0·log 0 = 0.
        let pos = target.gt(0.0);
        let safe = Tensor::where_cond(&pos, target, 1.0);
        target.mul(&safe.log()).sub(&target.mul(input))
    };
    match reduction {
        Reduction::BatchMean => {
            let n = if input.ndim() == 0 {
                1
            } else {
                input.shape()[0]
            };
            loss.sum().div(n as f64)
        }
        r => reduce("kl_div", loss, r),
    }
}

/// Cosine similarity along `dim`: `x1·x2 / sqrt(max(‖x1‖²·‖x2‖², eps²))`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let s = F::cosine_similarity(&Tensor::from([[1.0f64, 0.0]]), &Tensor::from([[1.0f64, 1.0]]), 1, 1e-8);
/// assert!((s.item::<f64>() - 0.5f64.sqrt()).abs() < 1e-12);
/// ```
#[track_caller]
pub fn cosine_similarity(x1: &Tensor, x2: &Tensor, dim: isize, eps: f64) -> Tensor {
    let dot = x1.mul(x2).sum_dim(&[dim], false);
    let n1 = x1.square().sum_dim(&[dim], false);
    let n2 = x2.square().sum_dim(&[dim], false);
    dot.div(&n1.mul(&n2).clamp_min(eps * eps).sqrt())
}

/// `‖x1 − x2 + eps‖_p` along the last dim (`F.pairwise_distance`).
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let d = F::pairwise_distance(&Tensor::from([[3.0f64, 0.0]]), &Tensor::from([[0.0f64, 4.0]]), 2.0, 0.0);
/// assert_eq!(d.to_vec::<f64>(), [5.0]);
/// ```
#[track_caller]
pub fn pairwise_distance(x1: &Tensor, x2: &Tensor, p: f64, eps: f64) -> Tensor {
    x1.sub(x2).add(eps).norm_dim(p, &[-1], false)
}

/// `1 − cos(x1, x2)` for `y = 1`, `max(0, cos(x1, x2) − margin)` for `y = −1`.
///
/// ```
/// use ember_nn::functional::{self as F, Reduction};
/// use ember_nn::Tensor;
/// let x = Tensor::from([[1.0f64, 0.0]]);
/// let l = F::cosine_embedding_loss(&x, &x, &Tensor::from([1.0f64]), 0.0, Reduction::Mean);
/// assert!(l.item::<f64>().abs() < 1e-12);
/// ```
#[track_caller]
pub fn cosine_embedding_loss(
    x1: &Tensor,
    x2: &Tensor,
    y: &Tensor,
    margin: f64,
    reduction: Reduction,
) -> Tensor {
    let cos = cosine_similarity(x1, x2, -1, 1e-8);
    let y = y.to_dtype(cos.dtype());
    let pos = cos.neg().add(1.0);
    let neg = cos.sub(margin).clamp_min(0.0);
    let loss = Tensor::where_cond(&y.gt(0.0), &pos, &neg);
    reduce("cosine_embedding_loss", loss, reduction)
}

/// `max(0, −y·(x1 − x2) + margin)`.
///
/// ```
/// use ember_nn::functional::{self as F, Reduction};
/// use ember_nn::Tensor;
/// let l = F::margin_ranking_loss(&Tensor::from([1.0f32]), &Tensor::from([2.0f32]), &Tensor::from([1.0f32]), 0.5, Reduction::Sum);
/// assert_eq!(l.item::<f32>(), 1.5);
/// ```
#[track_caller]
pub fn margin_ranking_loss(
    x1: &Tensor,
    x2: &Tensor,
    y: &Tensor,
    margin: f64,
    reduction: Reduction,
) -> Tensor {
    let loss = y.neg().mul(&x1.sub(x2)).add(margin).clamp_min(0.0);
    reduce("margin_ranking_loss", loss, reduction)
}

/// `max(d(a, p) − d(a, n) + margin, 0)` with `d` the pairwise p-distance; `swap` uses
/// `min(d(a, n), d(p, n))` as the negative distance.
///
/// ```
/// use ember_nn::functional::{self as F, Reduction};
/// use ember_nn::Tensor;
/// let a = Tensor::from([[0.0f64, 0.0]]);
/// let p = Tensor::from([[1.0f64, 0.0]]);
/// let n = Tensor::from([[3.0f64, 0.0]]);
/// let l = F::triplet_margin_loss(&a, &p, &n, 1.0, 2.0, 0.0, false, Reduction::Mean);
/// assert_eq!(l.item::<f64>(), 0.0); // 1 − 3 + 1 < 0
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn triplet_margin_loss(
    anchor: &Tensor,
    positive: &Tensor,
    negative: &Tensor,
    margin: f64,
    p: f64,
    eps: f64,
    swap: bool,
    reduction: Reduction,
) -> Tensor {
    let d_ap = pairwise_distance(anchor, positive, p, eps);
    let mut d_an = pairwise_distance(anchor, negative, p, eps);
    if swap {
        d_an = d_an.minimum(&pairwise_distance(positive, negative, p, eps));
    }
    let loss = d_ap.sub(&d_an).add(margin).clamp_min(0.0);
    reduce("triplet_margin_loss", loss, reduction)
}

/// `x / max(‖x‖_p, eps)` along `dim`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let y = F::normalize(&Tensor::from([[3.0f32, 4.0]]), 2.0, 1, 1e-12);
/// assert_eq!(y.to_vec::<f32>(), [0.6, 0.8]);
/// ```
#[track_caller]
pub fn normalize(x: &Tensor, p: f64, dim: isize, eps: f64) -> Tensor {
    x.div(&x.norm_dim(p, &[dim], true).clamp_min(eps))
}
