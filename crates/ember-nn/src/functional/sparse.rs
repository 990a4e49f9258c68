//! Embedding lookups: `embedding` and `embedding_bag`.

use ember_autograd::{DType, Tensor, no_grad};

fn isz(s: &[usize]) -> Vec<isize> {
    s.iter().map(|&d| d as isize).collect()
}

#[track_caller]
fn check_indices(op: &str, input: &Tensor, rows: usize) {
    if input.dtype().is_floating_point() || input.dtype() == DType::Bool {
        panic!(
            "{op}: indices must be an integer tensor, got {}",
            input.dtype()
        );
    }
    if input.numel() > 0 {
        let (lo, hi) = (
            input.min().to_dtype(DType::I64).item::<i64>(),
            input.max().to_dtype(DType::I64).item::<i64>(),
        );
        if lo < 0 || hi >= rows as i64 {
            let bad = if lo < 0 { lo } else { hi };
            panic!("{op}: index {bad} is out of range for a weight with {rows} rows");
        }
    }
}

/// Rows of `weight` `(num_embeddings, dim)` picked by the integer tensor `input`; the result
/// has shape `input.shape() + [dim]`. Rows at `padding_idx` get no gradient. With `max_norm`,
/// the looked-up rows whose norm exceeds it are first rescaled in `weight` itself, as PyTorch.
///
/// # Panics
/// On an index outside `[0, num_embeddings)`.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let w = Tensor::from([[0.0f32, 0.0], [1.0, 2.0], [3.0, 4.0]]);
/// let e = F::embedding(&Tensor::from([[2i64, 1]]), &w, None, None);
/// assert_eq!(e.shape(), &[1, 2, 2]);
/// assert_eq!(e.to_vec::<f32>(), [3.0, 4.0, 1.0, 2.0]);
/// ```
#[track_caller]
pub fn embedding(
    input: &Tensor,
    weight: &Tensor,
    padding_idx: Option<usize>,
    max_norm: Option<f64>,
) -> Tensor {
    if weight.ndim() != 2 {
        panic!("embedding: weight must be 2-d, got {:?}", weight.shape());
    }
    check_indices("embedding", input, weight.shape()[0]);
    let flat = input.flatten(0, -1).to_dtype(DType::I64);
    if let Some(max) = max_norm {
        no_grad(|| {
            let rows = weight.index_select(0, &flat);
            let norms = rows.norm_dim(2.0, &[1], true);
            let scale =
                Tensor::where_cond(&norms.gt(max), &norms.add(1e-7).reciprocal().mul(max), 1.0);
            weight.index_put_(&[&flat], &rows.mul(&scale), false);
        });
    }
    let mut out = weight.index_select(0, &flat);
    if let Some(p) = padding_idx {
        let pad = flat.eq(p as i64).unsqueeze(1);
        out = Tensor::where_cond(&pad, &out.detach(), &out);
    }
    let mut shape = isz(input.shape());
    shape.push(weight.shape()[1] as isize);
    out.reshape(&shape)
}

/// How [`embedding_bag`] combines the rows of a bag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BagMode {
    /// The sum of the rows (weighted by `per_sample_weights` if given).
    Sum,
    /// The mean of the rows.
    Mean,
    /// The element-wise maximum of the rows.
    Max,
}

/// Sums, averages or maxes embedding rows per bag, without materialising the per-index rows
/// for the caller. Bags are the rows of a 2-d `input` `(B, L)`, or, for a 1-d `input`, the
/// segments starting at `offsets`. Empty bags give zeros. Indices equal to `padding_idx` are
/// left out.
///
/// # Panics
/// On bad indices, a 1-d input without offsets, or `per_sample_weights` with a mode other
/// than `Sum`.
///
/// ```
/// use ember_nn::{functional as F, functional::BagMode, Tensor};
/// let w = Tensor::from([[1.0f32, 1.0], [2.0, 2.0], [3.0, 3.0]]);
/// let input = Tensor::from([0i64, 1, 2]);
/// let offsets = Tensor::from([0i64, 2]); // bags [0, 1] and [2]
/// let y = F::embedding_bag(&input, &w, Some(&offsets), BagMode::Mean, None, None);
/// assert_eq!(y.to_vec::<f32>(), [1.5, 1.5, 3.0, 3.0]);
/// ```
#[track_caller]
pub fn embedding_bag(
    input: &Tensor,
    weight: &Tensor,
    offsets: Option<&Tensor>,
    mode: BagMode,
    per_sample_weights: Option<&Tensor>,
    padding_idx: Option<usize>,
) -> Tensor {
    check_indices("embedding_bag", input, weight.shape()[0]);
    if per_sample_weights.is_some() && mode != BagMode::Sum {
        panic!("embedding_bag: per_sample_weights only works with BagMode::Sum");
    }
    let flat = input.flatten(0, -1).to_dtype(DType::I64);
    let n = flat.numel();
    // bag id of every index
    let bag_of: Vec<i64> = match (input.ndim(), offsets) {
        (2, None) => {
            let l = input.shape()[1];
            (0..n).map(|i| (i / l.max(1)) as i64).collect()
        }
        (1, Some(off)) => {
            let off = off.to_dtype(DType::I64).to_vec::<i64>();
            if off.first().is_some_and(|&o| o != 0) || off.windows(2).any(|w| w[0] > w[1]) {
                panic!("embedding_bag: offsets must start at 0 and not decrease, got {off:?}");
            }
            let mut b = vec![0i64; n];
            for (k, &start) in off.iter().enumerate() {
                let end = off.get(k + 1).map_or(n, |&e| e as usize);
                for v in b.iter_mut().take(end.min(n)).skip(start as usize) {
                    *v = k as i64;
                }
            }
            b
        }
        _ => panic!(
            "embedding_bag: input must be 2-d (B, L) without offsets or 1-d with offsets, got {:?}",
            input.shape()
        ),
    };
    let bags = match (input.ndim(), offsets) {
        (2, _) => input.shape()[0],
        (_, Some(off)) => off.numel(),
        _ => unreachable!(),
    };
    let idx = flat.to_vec::<i64>();
    let keep: Vec<usize> = (0..n)
        .filter(|&i| padding_idx.is_none_or(|p| idx[i] != p as i64))
        .collect();
    let keep_t = Tensor::from_vec(
        keep.iter().map(|&i| i as i64).collect::<Vec<_>>(),
        &[keep.len()],
    );
    let rows_idx = flat.index_select(0, &keep_t);
    let bag_ids: Vec<i64> = keep.iter().map(|&i| bag_of[i]).collect();
    let bag_t = Tensor::from_vec(bag_ids.clone(), &[keep.len()]);
    let mut rows = weight.index_select(0, &rows_idx);
    if let Some(psw) = per_sample_weights {
        let psw = psw.flatten(0, -1).index_select(0, &keep_t);
        rows = rows.mul(&psw.unsqueeze(1));
    }
    let d = weight.shape()[1];
    let zeros = Tensor::zeros(&[bags, d], weight.dtype());
    match mode {
        BagMode::Sum => zeros.index_add(0, &bag_t, &rows, 1.0),
        BagMode::Mean => {
            let mut counts = vec![0usize; bags];
            for &b in &bag_ids {
                counts[b as usize] += 1;
            }
            let inv: Vec<f64> = counts.iter().map(|&c| 1.0 / c.max(1) as f64).collect();
            let inv = Tensor::from_vec(inv, &[bags, 1]).to_dtype(weight.dtype());
            zeros.index_add(0, &bag_t, &rows, 1.0).mul(&inv)
        }
        BagMode::Max => {
            let per_bag: Vec<Tensor> = (0..bags)
                .map(|b| {
                    let members: Vec<i64> = (0..bag_ids.len())
                        .filter(|&i| bag_ids[i] == b as i64)
                        .map(|i| i as i64)
                        .collect();
                    if members.is_empty() {
                        Tensor::zeros(&[d], weight.dtype())
                    } else {
                        let m = Tensor::from_vec(members.clone(), &[members.len()]);
                        rows.index_select(0, &m).amax(&[0], false)
                    }
                })
                .collect();
            let refs: Vec<&Tensor> = per_bag.iter().collect();
            Tensor::stack(&refs, 0)
        }
    }
}
