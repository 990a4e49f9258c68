//! Samplers: the order of the indices in each epoch.

use ember_autograd::{Array, DType, Generator};

use crate::dataset::permutation;
use crate::rng::mix;

/// The generator for `epoch` of a sampler seeded with `seed`.
fn epoch_generator(seed: u64, epoch: u64) -> Generator {
    Generator::new(mix(mix(seed) ^ mix(epoch.wrapping_add(0x51_7CC1))))
}

/// `k` uniform draws in [0, 1).
fn uniforms(k: usize, g: &mut Generator) -> Vec<f64> {
    Array::rand_with(&[k], DType::F64, g).to_vec::<f64>()
}

/// Orders the dataset indices of an epoch (`torch.utils.data.Sampler`). The order of epoch `e`
/// depends only on the sampler's seed and `e`.
///
/// ```
/// use ember_data::{Sampler, SequentialSampler};
/// let s = SequentialSampler::new(3);
/// assert_eq!(s.indices(0), [0, 1, 2]);
/// assert_eq!(s.len(), 3);
/// ```
pub trait Sampler: Send + Sync {
    /// How many indices an epoch has.
    fn len(&self) -> usize;
    /// Whether an epoch has no indices.
    ///
    /// ```
    /// use ember_data::{Sampler, SequentialSampler};
    /// assert!(SequentialSampler::new(0).is_empty());
    /// ```
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The indices of epoch `epoch`, in order.
    fn indices(&self, epoch: u64) -> Vec<usize>;
}

/// `0, 1, ..., n-1` every epoch (`SequentialSampler`).
///
/// ```
/// use ember_data::{Sampler, SequentialSampler};
/// assert_eq!(SequentialSampler::new(4).indices(9), [0, 1, 2, 3]);
/// ```
#[derive(Clone, Debug)]
pub struct SequentialSampler {
    n: usize,
}

impl SequentialSampler {
    /// The sampler for a dataset of `n` items.
    ///
    /// ```
    /// use ember_data::{Sampler, SequentialSampler};
    /// assert_eq!(SequentialSampler::new(2).len(), 2);
    /// ```
    pub fn new(n: usize) -> SequentialSampler {
        SequentialSampler { n }
    }
}

impl Sampler for SequentialSampler {
    fn len(&self) -> usize {
        self.n
    }
    fn indices(&self, _epoch: u64) -> Vec<usize> {
        (0..self.n).collect()
    }
}

/// Random order (`RandomSampler`): a new permutation each epoch, or, with replacement, uniform
/// independent draws. `num_samples` (default `n`) larger than `n` without replacement chains
/// several permutations.
///
/// ```
/// use ember_data::{RandomSampler, Sampler};
/// let s = RandomSampler::new(5).seed(1);
/// let mut e0 = s.indices(0);
/// assert_ne!(e0, s.indices(1)); // each epoch reshuffles...
/// assert_eq!(e0, s.indices(0)); // ...reproducibly
/// e0.sort();
/// assert_eq!(e0, [0, 1, 2, 3, 4]);
/// let r = RandomSampler::new(3).replacement(true).num_samples(10);
/// assert!(r.indices(0).iter().all(|&i| i < 3));
/// assert_eq!(r.len(), 10);
/// ```
#[derive(Clone, Debug)]
pub struct RandomSampler {
    n: usize,
    replacement: bool,
    num_samples: Option<usize>,
    seed: u64,
}

impl RandomSampler {
    /// A sampler over `n` items, without replacement, seed 0.
    ///
    /// ```
    /// use ember_data::{RandomSampler, Sampler};
    /// assert_eq!(RandomSampler::new(4).len(), 4);
    /// ```
    pub fn new(n: usize) -> RandomSampler {
        RandomSampler {
            n,
            replacement: false,
            num_samples: None,
            seed: 0,
        }
    }
    /// Sets the seed.
    ///
    /// ```
    /// use ember_data::{RandomSampler, Sampler};
    /// assert_eq!(RandomSampler::new(9).seed(3).indices(0), RandomSampler::new(9).seed(3).indices(0));
    /// ```
    pub fn seed(mut self, seed: u64) -> RandomSampler {
        self.seed = seed;
        self
    }
    /// Draws with replacement.
    ///
    /// ```
    /// use ember_data::{RandomSampler, Sampler};
    /// assert_eq!(RandomSampler::new(2).replacement(true).indices(0).len(), 2);
    /// ```
    pub fn replacement(mut self, replacement: bool) -> RandomSampler {
        self.replacement = replacement;
        self
    }
    /// Sets how many indices an epoch has.
    ///
    /// ```
    /// use ember_data::{RandomSampler, Sampler};
    /// assert_eq!(RandomSampler::new(2).num_samples(5).indices(0).len(), 5);
    /// ```
    pub fn num_samples(mut self, num_samples: usize) -> RandomSampler {
        self.num_samples = Some(num_samples);
        self
    }
}

impl Sampler for RandomSampler {
    fn len(&self) -> usize {
        self.num_samples.unwrap_or(self.n)
    }
    #[track_caller]
    fn indices(&self, epoch: u64) -> Vec<usize> {
        let k = self.len();
        let mut g = epoch_generator(self.seed, epoch);
        if k == 0 {
            return Vec::new();
        }
        assert!(
            self.n > 0,
            "RandomSampler: cannot draw {k} samples from 0 items"
        );
        if self.replacement {
            Array::randint_with(0, self.n as i64, &[k], DType::I64, &mut g)
                .to_vec::<i64>()
                .into_iter()
                .map(|i| i as usize)
                .collect()
        } else {
            let mut out = Vec::with_capacity(k);
            while out.len() < k {
                let p = permutation(self.n, &mut g);
                let take = (k - out.len()).min(self.n);
                out.extend_from_slice(&p[..take]);
            }
            out
        }
    }
}

/// A random permutation of given indices each epoch (`SubsetRandomSampler`).
///
/// ```
/// use ember_data::{Sampler, SubsetRandomSampler};
/// let s = SubsetRandomSampler::new(vec![10, 20, 30]).seed(4);
/// let mut e = s.indices(0);
/// e.sort();
/// assert_eq!(e, [10, 20, 30]);
/// ```
#[derive(Clone, Debug)]
pub struct SubsetRandomSampler {
    indices: Vec<usize>,
    seed: u64,
}

impl SubsetRandomSampler {
    /// A sampler over `indices`, seed 0.
    ///
    /// ```
    /// use ember_data::{Sampler, SubsetRandomSampler};
    /// assert_eq!(SubsetRandomSampler::new(vec![1, 2]).len(), 2);
    /// ```
    pub fn new(indices: Vec<usize>) -> SubsetRandomSampler {
        SubsetRandomSampler { indices, seed: 0 }
    }
    /// Sets the seed.
    ///
    /// ```
    /// use ember_data::{Sampler, SubsetRandomSampler};
    /// let s = SubsetRandomSampler::new((0..20).collect()).seed(5);
    /// assert_eq!(s.indices(1), s.indices(1));
    /// ```
    pub fn seed(mut self, seed: u64) -> SubsetRandomSampler {
        self.seed = seed;
        self
    }
}

impl Sampler for SubsetRandomSampler {
    fn len(&self) -> usize {
        self.indices.len()
    }
    fn indices(&self, epoch: u64) -> Vec<usize> {
        let mut g = epoch_generator(self.seed, epoch);
        permutation(self.indices.len(), &mut g)
            .into_iter()
            .map(|p| self.indices[p])
            .collect()
    }
}

/// Draws index `i` with probability proportional to `weights[i]` (`WeightedRandomSampler`).
/// With replacement (the default) draws are independent; without, an index appears at most
/// once (weighted sampling without replacement, by Efraimidis–Spirakis keys).
///
/// ```
/// use ember_data::{Sampler, WeightedRandomSampler};
/// let s = WeightedRandomSampler::new(vec![0.0, 1.0, 3.0], 1000).seed(2);
/// let draws = s.indices(0);
/// assert!(!draws.contains(&0));
/// let threes = draws.iter().filter(|&&i| i == 2).count();
/// assert!((650..850).contains(&threes)); // about 750
/// ```
#[derive(Clone, Debug)]
pub struct WeightedRandomSampler {
    weights: Vec<f64>,
    num_samples: usize,
    replacement: bool,
    seed: u64,
}

impl WeightedRandomSampler {
    /// `num_samples` draws per epoch by `weights` (non-negative, finite, not all zero), with
    /// replacement, seed 0.
    ///
    /// ```
    /// use ember_data::{Sampler, WeightedRandomSampler};
    /// assert_eq!(WeightedRandomSampler::new(vec![1.0, 1.0], 8).len(), 8);
    /// ```
    #[track_caller]
    pub fn new(weights: Vec<f64>, num_samples: usize) -> WeightedRandomSampler {
        assert!(
            weights.iter().all(|w| w.is_finite() && *w >= 0.0),
            "WeightedRandomSampler::new: weights must be finite and non-negative"
        );
        assert!(
            weights.iter().any(|&w| w > 0.0),
            "WeightedRandomSampler::new: the weights are all zero"
        );
        WeightedRandomSampler {
            weights,
            num_samples,
            replacement: true,
            seed: 0,
        }
    }
    /// Sets the seed.
    ///
    /// ```
    /// use ember_data::{Sampler, WeightedRandomSampler};
    /// let s = WeightedRandomSampler::new(vec![1.0, 2.0], 5).seed(9);
    /// assert_eq!(s.indices(0), s.indices(0));
    /// ```
    pub fn seed(mut self, seed: u64) -> WeightedRandomSampler {
        self.seed = seed;
        self
    }
    /// Draws with or without replacement. Without, `num_samples` may not exceed the number of
    /// positive weights (checked when drawing).
    ///
    /// ```
    /// use ember_data::{Sampler, WeightedRandomSampler};
    /// let mut d = WeightedRandomSampler::new(vec![1.0, 5.0, 2.0], 3).replacement(false).indices(0);
    /// d.sort();
    /// assert_eq!(d, [0, 1, 2]);
    /// ```
    pub fn replacement(mut self, replacement: bool) -> WeightedRandomSampler {
        self.replacement = replacement;
        self
    }
}

impl Sampler for WeightedRandomSampler {
    fn len(&self) -> usize {
        self.num_samples
    }
    #[track_caller]
    fn indices(&self, epoch: u64) -> Vec<usize> {
        let mut g = epoch_generator(self.seed, epoch);
        let u = uniforms(self.num_samples.max(self.weights.len()), &mut g);
        if self.replacement {
            let mut cum = Vec::with_capacity(self.weights.len());
            let mut total = 0.0;
            for &w in &self.weights {
                total += w;
                cum.push(total);
            }
            u[..self.num_samples]
                .iter()
                .map(|&x| {
                    let target = x * total;
                    // First index whose cumulative weight exceeds the target (never a zero weight).
                    cum.partition_point(|&c| c <= target)
                        .min(self.weights.len() - 1)
                })
                .collect()
        } else {
            let positive = self.weights.iter().filter(|&&w| w > 0.0).count();
            assert!(
                self.num_samples <= positive,
                "WeightedRandomSampler: cannot draw {} samples without replacement from {positive} positive weights",
                self.num_samples
            );
            // Key u^(1/w): the largest keys are a weighted sample without replacement.
            let mut keyed: Vec<(f64, usize)> = self
                .weights
                .iter()
                .enumerate()
                .filter(|(_, w)| **w > 0.0)
                .map(|(i, &w)| (u[i].max(f64::MIN_POSITIVE).ln() / w, i))
                .collect();
            keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
            keyed
                .into_iter()
                .take(self.num_samples)
                .map(|(_, i)| i)
                .collect()
        }
    }
}

/// Groups a sampler's indices into batches (`BatchSampler`).
///
/// ```
/// use ember_data::{BatchSampler, SequentialSampler};
/// let b = BatchSampler::new(SequentialSampler::new(5), 2, false);
/// assert_eq!(b.batches(0), vec![vec![0, 1], vec![2, 3], vec![4]]);
/// assert_eq!(b.len(), 3);
/// let d = BatchSampler::new(SequentialSampler::new(5), 2, true);
/// assert_eq!(d.batches(0).len(), 2);
/// assert_eq!(d.len(), 2);
/// ```
pub struct BatchSampler {
    sampler: Box<dyn Sampler>,
    batch_size: usize,
    drop_last: bool,
}

impl BatchSampler {
    /// Batches of `batch_size` (at least 1) indices from `sampler`; with `drop_last` a last
    /// short batch is left out.
    ///
    /// ```
    /// use ember_data::{BatchSampler, RandomSampler};
    /// let b = BatchSampler::new(RandomSampler::new(10).seed(1), 4, false);
    /// assert_eq!(b.batches(3).iter().map(|b| b.len()).collect::<Vec<_>>(), [4, 4, 2]);
    /// ```
    #[track_caller]
    pub fn new(
        sampler: impl Sampler + 'static,
        batch_size: usize,
        drop_last: bool,
    ) -> BatchSampler {
        Self::from_boxed(Box::new(sampler), batch_size, drop_last)
    }

    #[track_caller]
    pub(crate) fn from_boxed(
        sampler: Box<dyn Sampler>,
        batch_size: usize,
        drop_last: bool,
    ) -> BatchSampler {
        assert!(
            batch_size > 0,
            "BatchSampler: batch_size must be at least 1"
        );
        BatchSampler {
            sampler,
            batch_size,
            drop_last,
        }
    }

    /// The number of batches per epoch.
    ///
    /// ```
    /// use ember_data::{BatchSampler, SequentialSampler};
    /// assert_eq!(BatchSampler::new(SequentialSampler::new(7), 3, false).len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        let n = self.sampler.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// Whether an epoch has no batches.
    ///
    /// ```
    /// use ember_data::{BatchSampler, SequentialSampler};
    /// assert!(BatchSampler::new(SequentialSampler::new(3), 4, true).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batches of epoch `epoch`.
    ///
    /// ```
    /// use ember_data::{BatchSampler, SequentialSampler};
    /// assert_eq!(BatchSampler::new(SequentialSampler::new(2), 2, false).batches(0), vec![vec![0, 1]]);
    /// ```
    pub fn batches(&self, epoch: u64) -> Vec<Vec<usize>> {
        let idx = self.sampler.indices(epoch);
        let mut out: Vec<Vec<usize>> = idx.chunks(self.batch_size).map(<[usize]>::to_vec).collect();
        if self.drop_last && out.last().is_some_and(|b| b.len() < self.batch_size) {
            out.pop();
        }
        out
    }
}
