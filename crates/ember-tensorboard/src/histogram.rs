//! Histograms as PyTorch's `add_histogram(..., bins="tensorflow")` builds them.
//!
//! The bins are TensorFlow's fixed exponential edges (`writer.py`: `v = 1e-12; while v < 1e20:
//! v *= 1.1`, mirrored to negative values, with 0 in the middle: 1 549 edges). Counting follows
//! `numpy.histogram` over those edges (bin `i` holds `edges[i] <= x < edges[i+1]`, the last bin
//! also its right edge; values outside the edges and NaN are not counted), then
//! `summary.make_histogram` keeps only the span from the first to the last non-empty bin, with
//! one empty bin in front so that TensorBoard, which stores right edges only, sees the left edge
//! too. `min`, `max`, `sum` and `sum_squares` are over all values in f64, as numpy computes them
//! after PyTorch's `values.astype(float)` (a NaN makes them NaN).

use std::sync::OnceLock;

use ember_autograd::{DType, Tensor};

use crate::TbError;
use crate::proto::HistogramProto;

/// TensorFlow's default histogram edges, computed exactly as PyTorch computes them (the same
/// f64 multiplications, so the same bits).
///
/// ```
/// let edges = ember_tensorboard::default_bins();
/// assert_eq!(edges.len(), 1549);
/// assert_eq!(edges[774], 0.0);
/// assert_eq!((edges[775], edges[773]), (1e-12, -1e-12));
/// assert!(edges.windows(2).all(|w| w[0] < w[1]));
/// ```
pub fn default_bins() -> &'static [f64] {
    static BINS: OnceLock<Vec<f64>> = OnceLock::new();
    BINS.get_or_init(|| {
        let mut pos = Vec::new();
        let mut v = 1e-12f64;
        while v < 1e20 {
            pos.push(v);
            v *= 1.1;
        }
        let mut edges: Vec<f64> = pos.iter().rev().map(|v| -v).collect();
        edges.push(0.0);
        edges.extend_from_slice(&pos);
        edges
    })
}

impl HistogramProto {
    /// The histogram of `values` with PyTorch's default ("tensorflow") bins.
    ///
    /// # Errors
    /// [`TbError::EmptyHistogram`] when no value lands in a bin (no values, or only NaN and
    /// values beyond ±1e20), where PyTorch raises `ValueError`. The error's tag is empty; the
    /// writer fills it in.
    ///
    /// ```
    /// use ember_tensorboard::HistogramProto;
    /// let h = HistogramProto::from_values(&[0.0, 0.5, 0.5, -2.0])?;
    /// assert_eq!((h.min, h.max, h.num), (-2.0, 0.5, 4.0));
    /// // An empty bucket in front, then every bucket from -2.0's to 0.5's.
    /// assert_eq!(h.bucket.first(), Some(&0.0));
    /// assert_eq!(h.bucket.last(), Some(&2.0));
    /// assert!(h.bucket_limit.last().unwrap() > &0.5);
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn from_values(values: &[f64]) -> Result<HistogramProto, TbError> {
        let empty = || TbError::EmptyHistogram {
            tag: String::new(),
            num: values.len(),
        };
        let edges = default_bins();
        let last = edges.len() - 1;
        let mut counts = vec![0u64; last];
        let (mut min, mut max, mut sum, mut sum_squares) =
            (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0.0);
        for &x in values {
            // numpy's min/max propagate NaN; f64::min would skip it.
            if x < min || x.is_nan() {
                min = if min.is_nan() { min } else { x };
            }
            if x > max || x.is_nan() {
                max = if max.is_nan() { max } else { x };
            }
            sum += x;
            sum_squares += x * x;
            if x >= edges[0] && x <= edges[last] {
                // Number of edges <= x, minus one: the bin whose left edge is the largest <= x.
                let bin = edges.partition_point(|&e| e <= x) - 1;
                counts[bin.min(last - 1)] += 1;
            }
        }
        let first = counts.iter().position(|&c| c > 0).ok_or_else(empty)?;
        let end = counts
            .iter()
            .rposition(|&c| c > 0)
            .expect("a non-empty bin exists");
        // Counts from the bin before the first non-empty one (an empty bin of our own when the
        // first is bin 0), each with its right edge.
        let mut bucket: Vec<f64> = Vec::with_capacity(end - first + 2);
        if first == 0 {
            bucket.push(0.0);
            bucket.extend(counts[..=end].iter().map(|&c| c as f64));
        } else {
            bucket.extend(counts[first - 1..=end].iter().map(|&c| c as f64));
        }
        let bucket_limit = edges[first..=end + 1].to_vec();
        Ok(HistogramProto {
            min,
            max,
            num: values.len() as f64,
            sum,
            sum_squares,
            bucket_limit,
            bucket,
        })
    }
}

/// Types whose values `add_histogram` accepts: a [`Tensor`] of any dtype, or a slice or
/// `Vec` of `f64` or `f32`.
///
/// ```
/// use ember_tensorboard::HistogramValues;
/// assert_eq!([1.0f32, 2.0].histogram_values(), vec![1.0, 2.0]);
/// assert_eq!(ember_autograd::Tensor::from([3i64]).histogram_values(), vec![3.0]);
/// ```
pub trait HistogramValues {
    /// The values, as f64 (the precision PyTorch bins in).
    fn histogram_values(&self) -> Vec<f64>;
}

impl HistogramValues for Tensor {
    fn histogram_values(&self) -> Vec<f64> {
        // Through the level-1 array: reading a parameter records no graph.
        self.data().to_dtype(DType::F64).to_vec::<f64>()
    }
}

impl HistogramValues for [f64] {
    fn histogram_values(&self) -> Vec<f64> {
        self.to_vec()
    }
}

impl HistogramValues for [f32] {
    fn histogram_values(&self) -> Vec<f64> {
        self.iter().map(|&v| v as f64).collect()
    }
}

impl<const N: usize> HistogramValues for [f32; N] {
    fn histogram_values(&self) -> Vec<f64> {
        self[..].histogram_values()
    }
}

impl<const N: usize> HistogramValues for [f64; N] {
    fn histogram_values(&self) -> Vec<f64> {
        self.to_vec()
    }
}

impl HistogramValues for Vec<f64> {
    fn histogram_values(&self) -> Vec<f64> {
        self.clone()
    }
}

impl HistogramValues for Vec<f32> {
    fn histogram_values(&self) -> Vec<f64> {
        self[..].histogram_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Index of `x` in the default edges (exact match).
    fn edge(x: f64) -> usize {
        default_bins().iter().position(|&e| e == x).unwrap()
    }

    #[test]
    fn edges_are_pytorchs() {
        let e = default_bins();
        // Printed by Python: SummaryWriter(...).default_bins[k] for these k.
        assert_eq!(e.len(), 1549);
        assert_eq!(e[0], -9.920775621859783e19);
        assert_eq!(e[1548], 9.920775621859783e19);
        assert_eq!(e[776], 1.1000000000000002e-12);
        assert_eq!(e[1000], 0.0020575678275470133);
        // bisect_right(edges, 1.0) - 1 in Python:
        assert_eq!((e[1064], e[1065]), (0.917246389039776, 1.0089710279437536));
    }

    #[test]
    fn single_value_one() {
        // 1.0 lies in the bin [e_k, e_k+1) with e_k <= 1 < e_k+1.
        let h = HistogramProto::from_values(&[1.0]).unwrap();
        let e = default_bins();
        let k = e.iter().rposition(|&v| v <= 1.0).unwrap();
        assert_eq!(h.bucket, vec![0.0, 1.0]);
        assert_eq!(h.bucket_limit, vec![e[k], e[k + 1]]);
        assert_eq!(
            (h.min, h.max, h.num, h.sum, h.sum_squares),
            (1.0, 1.0, 1.0, 1.0, 1.0)
        );
    }

    #[test]
    fn zero_and_a_negative_value() {
        // 0 goes to [0, 1e-12); -1e-12 to [-1e-12, 0): adjacent bins.
        let h = HistogramProto::from_values(&[0.0, 0.0, -1e-12]).unwrap();
        let z = edge(0.0);
        assert_eq!(h.bucket_limit, vec![-1e-12, 0.0, 1e-12]);
        assert_eq!(h.bucket, vec![0.0, 1.0, 2.0]);
        assert_eq!(z, 774);
        assert_eq!((h.min, h.max, h.sum), (-1e-12, 0.0, -1e-12));
    }

    #[test]
    fn empty_bins_inside_the_span_are_kept() {
        let h = HistogramProto::from_values(&[1e-12, 1.21e-12 * 1.0000001]).unwrap();
        // bins: [1e-12, 1.1e-12) holds the first, [1.21e-12, 1.331e-12) the second; the bin
        // [1.1e-12, 1.21e-12) between them is empty.
        let k = edge(1e-12);
        let e = default_bins();
        assert_eq!(h.bucket, vec![0.0, 1.0, 0.0, 1.0]);
        assert_eq!(h.bucket_limit, e[k..k + 4].to_vec());
    }

    #[test]
    fn values_outside_the_edges_and_nan_are_not_counted() {
        let h = HistogramProto::from_values(&[1e30, 2.0, f64::NAN]).unwrap();
        assert_eq!(h.bucket.iter().sum::<f64>(), 1.0);
        assert_eq!(h.num, 3.0);
        assert!(h.min.is_nan() && h.max.is_nan() && h.sum.is_nan());
        let h = HistogramProto::from_values(&[-1e30, 2.0]).unwrap();
        assert_eq!((h.min, h.max), (-1e30, 2.0));
    }

    #[test]
    fn last_edge_is_in_the_last_bin_and_first_bin_gets_a_leading_zero() {
        let e = default_bins();
        let h = HistogramProto::from_values(&[e[1548]]).unwrap();
        assert_eq!(h.bucket, vec![0.0, 1.0]);
        assert_eq!(h.bucket_limit, vec![e[1547], e[1548]]);
        let h = HistogramProto::from_values(&[e[0]]).unwrap();
        assert_eq!(h.bucket, vec![0.0, 1.0]);
        assert_eq!(h.bucket_limit, vec![e[0], e[1]]);
    }

    #[test]
    fn matches_pytorch_for_a_mixed_set() {
        // Printed by torch.utils.tensorboard.summary.histogram(..., SummaryWriter's bins).
        let h = HistogramProto::from_values(&[-5.0, -0.37, 0.0, 1e-13, 0.5, 0.5, 31.63]).unwrap();
        assert_eq!((h.min, h.max, h.num), (-5.0, 31.63, 7.0));
        assert_eq!(
            (h.sum, h.sum_squares),
            (27.260000000000097, 1026.0937999999999)
        );
        assert_eq!(h.bucket.len(), 637);
        assert_eq!((h.bucket_limit[0], h.bucket[0]), (-5.099814079160488, 0.0));
        assert_eq!(h.bucket_limit[636], 34.30899895912222);
        assert_eq!(
            (edge(h.bucket_limit[0]), edge(h.bucket_limit[636])),
            (466, 1102)
        );
        let non_empty: Vec<(usize, f64, f64)> = (0..h.bucket.len())
            .filter(|&i| h.bucket[i] > 0.0)
            .map(|i| (i, h.bucket_limit[i], h.bucket[i]))
            .collect();
        assert_eq!(
            non_empty,
            vec![
                (1, -4.636194617418625, 1.0),
                (28, -0.35363819004775493, 1.0),
                (309, 1e-12, 2.0),
                (592, 0.5177616740489182, 2.0),
                (636, 34.30899895912222, 1.0),
            ]
        );
    }

    #[test]
    fn nothing_to_bin_is_an_error() {
        assert!(matches!(
            HistogramProto::from_values(&[]),
            Err(TbError::EmptyHistogram { num: 0, .. })
        ));
        assert!(matches!(
            HistogramProto::from_values(&[f64::NAN, f64::INFINITY]),
            Err(TbError::EmptyHistogram { num: 2, .. })
        ));
    }
}
