//! The dataset traits and the datasets built from other datasets.

use std::sync::Arc;

use ember_autograd::{Array, DType, Generator, Tensor};

use crate::DataError;

/// A map-style dataset (`torch.utils.data.Dataset`): `len` items, fetched by index.
///
/// `get` takes `&self` and the dataset is `Send + Sync`, so a
/// [`DataLoader`](crate::DataLoader)'s worker threads share one copy.
///
/// ```
/// use ember_data::{DataError, Dataset};
///
/// struct Squares(usize);
/// impl Dataset for Squares {
///     type Item = (u64, i64);
///     fn len(&self) -> usize { self.0 }
///     fn get(&self, index: usize) -> Result<(u64, i64), DataError> {
///         if index >= self.0 {
///             return Err(DataError::IndexOutOfRange { index, len: self.0 });
///         }
///         Ok(((index * index) as u64, index as i64))
///     }
/// }
/// let d = Squares(5);
/// assert_eq!(d.get(3).unwrap(), (9, 3));
/// assert!(d.get(5).is_err());
/// // `map` transforms every item.
/// let doubled = Squares(5).map(|(sq, i)| (sq * 2, i));
/// assert_eq!(doubled.get(2).unwrap(), (8, 2));
/// ```
pub trait Dataset: Send + Sync {
    /// What `get` returns.
    type Item: Send;

    /// The number of items.
    fn len(&self) -> usize;

    /// The item at `index`, or an error (out of range, unreadable data).
    fn get(&self, index: usize) -> Result<Self::Item, DataError>;

    /// Whether the dataset has no items.
    ///
    /// ```
    /// use ember_data::{Dataset, TensorDataset};
    /// use ember_autograd::Tensor;
    /// assert!(TensorDataset::new(vec![Tensor::from_vec(Vec::<f32>::new(), &[0, 2])]).is_empty());
    /// ```
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A dataset whose items are `f(item)` (a transform applied at `get`, on the worker).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{Dataset, TensorDataset};
    /// let d = TensorDataset::new(vec![Tensor::from_vec(vec![1.0f32, 2.0], &[2])])
    ///     .map(|row| row[0].item::<f32>() * 10.0);
    /// assert_eq!(d.get(1).unwrap(), 20.0);
    /// ```
    fn map<F, U>(self, f: F) -> MapDataset<Self, F>
    where
        Self: Sized,
        F: Fn(Self::Item) -> U + Send + Sync,
        U: Send,
    {
        MapDataset { dataset: self, f }
    }
}

impl<D: Dataset + ?Sized> Dataset for Arc<D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, index: usize) -> Result<D::Item, DataError> {
        (**self).get(index)
    }
}

impl<D: Dataset + ?Sized> Dataset for Box<D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, index: usize) -> Result<D::Item, DataError> {
        (**self).get(index)
    }
}

/// An iterable-style dataset (`torch.utils.data.IterableDataset`): a stream of items with no
/// random access, e.g. lines read from a file. Each call of `iter` starts a new pass.
///
/// ```
/// use ember_data::{DataError, IterableDataset};
/// struct Count(u32);
/// impl IterableDataset for Count {
///     type Item = u32;
///     fn iter(&self) -> Box<dyn Iterator<Item = Result<u32, DataError>> + Send + '_> {
///         Box::new((0..self.0).map(Ok))
///     }
/// }
/// let v: Result<Vec<u32>, _> = Count(3).iter().collect();
/// assert_eq!(v.unwrap(), [0, 1, 2]);
/// ```
pub trait IterableDataset: Send + Sync {
    /// What the iterator yields.
    type Item: Send;
    /// A new pass over the data.
    fn iter(&self) -> Box<dyn Iterator<Item = Result<Self::Item, DataError>> + Send + '_>;
}

/// The dataset returned by [`Dataset::map`].
///
/// ```
/// use ember_data::{Dataset, MapDataset, TensorDataset};
/// use ember_autograd::Tensor;
/// let d: MapDataset<_, _> = TensorDataset::new(vec![Tensor::from_vec(vec![3i64], &[1])])
///     .map(|row| row[0].item::<i64>());
/// assert_eq!(d.len(), 1);
/// ```
pub struct MapDataset<D, F> {
    dataset: D,
    f: F,
}

impl<D, F, U> Dataset for MapDataset<D, F>
where
    D: Dataset,
    F: Fn(D::Item) -> U + Send + Sync,
    U: Send,
{
    type Item = U;
    fn len(&self) -> usize {
        self.dataset.len()
    }
    fn get(&self, index: usize) -> Result<U, DataError> {
        self.dataset.get(index).map(&self.f)
    }
}

/// Rows of several tensors that share their first dimension (`TensorDataset`); item `i` is
/// `vec![t0[i], t1[i], ...]`.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::{Dataset, TensorDataset};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
/// let y = Tensor::from_vec(vec![0i64, 1, 0], &[3]);
/// let d = TensorDataset::new(vec![x, y]);
/// let row = d.get(1).unwrap();
/// assert_eq!(row[0].to_vec::<f32>(), [3.0, 4.0]);
/// assert_eq!(row[1].item::<i64>(), 1);
/// ```
#[derive(Clone)]
pub struct TensorDataset {
    tensors: Vec<Tensor>,
    len: usize,
}

impl TensorDataset {
    /// A dataset of the rows of `tensors`. Panics if there are none, one is a scalar, or their
    /// first dimensions differ.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let d = ember_data::TensorDataset::new(vec![Tensor::from_vec(vec![1u8, 2], &[2])]);
    /// assert_eq!(d.tensors().len(), 1);
    /// ```
    #[track_caller]
    pub fn new(tensors: Vec<Tensor>) -> TensorDataset {
        assert!(!tensors.is_empty(), "TensorDataset::new: no tensors given");
        assert!(
            tensors.iter().all(|t| t.ndim() > 0),
            "TensorDataset::new: every tensor needs a first dimension"
        );
        let len = tensors[0].shape()[0];
        for (i, t) in tensors.iter().enumerate() {
            assert_eq!(
                t.shape()[0],
                len,
                "TensorDataset::new: tensor {i} has first dimension {} but tensor 0 has {len}",
                t.shape()[0]
            );
        }
        TensorDataset { tensors, len }
    }

    /// The tensors.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let d = ember_data::TensorDataset::new(vec![Tensor::from_vec(vec![1u8, 2], &[2])]);
    /// assert_eq!(d.tensors()[0].shape(), [2]);
    /// ```
    pub fn tensors(&self) -> &[Tensor] {
        &self.tensors
    }
}

impl Dataset for TensorDataset {
    type Item = Vec<Tensor>;
    fn len(&self) -> usize {
        self.len
    }
    fn get(&self, index: usize) -> Result<Vec<Tensor>, DataError> {
        if index >= self.len {
            return Err(DataError::IndexOutOfRange {
                index,
                len: self.len,
            });
        }
        Ok(self
            .tensors
            .iter()
            .map(|t| t.select(0, index).contiguous())
            .collect())
    }
}

/// The items of a dataset at chosen indices (`Subset`).
///
/// ```
/// use std::sync::Arc;
/// use ember_autograd::Tensor;
/// use ember_data::{Dataset, Subset, TensorDataset};
/// let d = Arc::new(TensorDataset::new(vec![Tensor::from_vec(vec![10i64, 11, 12, 13], &[4])]));
/// let s: Subset<TensorDataset> = Subset::new(d, vec![3, 1]);
/// assert_eq!(s.len(), 2);
/// assert_eq!(s.get(0).unwrap()[0].item::<i64>(), 13);
/// ```
pub struct Subset<D> {
    dataset: Arc<D>,
    indices: Vec<usize>,
}

impl<D: Dataset> Subset<D> {
    /// The items of `dataset` at `indices`. Panics if an index is out of range.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{Subset, TensorDataset};
    /// let s = Subset::new(TensorDataset::new(vec![Tensor::from_vec(vec![1u8, 2], &[2])]), vec![1]);
    /// assert_eq!(s.indices(), [1]);
    /// ```
    #[track_caller]
    pub fn new(dataset: impl Into<Arc<D>>, indices: Vec<usize>) -> Subset<D> {
        let dataset = dataset.into();
        let n = dataset.len();
        if let Some(&bad) = indices.iter().find(|&&i| i >= n) {
            panic!("Subset::new: index {bad} is out of range for a dataset of length {n}");
        }
        Subset { dataset, indices }
    }

    /// The indices into the underlying dataset.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{Subset, TensorDataset};
    /// let s = Subset::new(TensorDataset::new(vec![Tensor::from_vec(vec![1u8, 2], &[2])]), vec![0, 1]);
    /// assert_eq!(s.indices(), [0, 1]);
    /// ```
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// The underlying dataset.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{Dataset, Subset, TensorDataset};
    /// let s = Subset::new(TensorDataset::new(vec![Tensor::from_vec(vec![1u8, 2], &[2])]), vec![0]);
    /// assert_eq!(s.dataset().len(), 2);
    /// ```
    pub fn dataset(&self) -> &Arc<D> {
        &self.dataset
    }
}

impl<D: Dataset> Dataset for Subset<D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        self.indices.len()
    }
    fn get(&self, index: usize) -> Result<D::Item, DataError> {
        match self.indices.get(index) {
            Some(&i) => self.dataset.get(i),
            None => Err(DataError::IndexOutOfRange {
                index,
                len: self.indices.len(),
            }),
        }
    }
}

/// Several datasets one after another (`ConcatDataset`).
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::{ConcatDataset, Dataset, TensorDataset};
/// let a = TensorDataset::new(vec![Tensor::from_vec(vec![1i64, 2], &[2])]);
/// let b = TensorDataset::new(vec![Tensor::from_vec(vec![3i64, 4, 5], &[3])]);
/// let c = ConcatDataset::new(vec![a, b]);
/// assert_eq!(c.len(), 5);
/// assert_eq!(c.get(2).unwrap()[0].item::<i64>(), 3);
/// ```
pub struct ConcatDataset<D> {
    datasets: Vec<D>,
    ends: Vec<usize>,
}

impl<D: Dataset> ConcatDataset<D> {
    /// The concatenation of `datasets`.
    ///
    /// ```
    /// use ember_data::{ConcatDataset, Dataset, TensorDataset};
    /// let c: ConcatDataset<TensorDataset> = ConcatDataset::new(vec![]);
    /// assert!(c.is_empty());
    /// ```
    pub fn new(datasets: Vec<D>) -> ConcatDataset<D> {
        let mut ends = Vec::with_capacity(datasets.len());
        let mut total = 0;
        for d in &datasets {
            total += d.len();
            ends.push(total);
        }
        ConcatDataset { datasets, ends }
    }
}

impl<D: Dataset> Dataset for ConcatDataset<D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }
    fn get(&self, index: usize) -> Result<D::Item, DataError> {
        let k = self.ends.partition_point(|&end| end <= index);
        if k == self.datasets.len() {
            return Err(DataError::IndexOutOfRange {
                index,
                len: self.len(),
            });
        }
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        self.datasets[k].get(index - start)
    }
}

/// A random permutation of `0..n` drawn from `Generator::new(seed)`.
pub(crate) fn permutation(n: usize, g: &mut Generator) -> Vec<usize> {
    Array::randperm_with(n, DType::I64, g)
        .to_vec::<i64>()
        .into_iter()
        .map(|i| i as usize)
        .collect()
}

/// Splits a dataset at random into non-overlapping subsets of the given lengths
/// (`random_split`), which must add up to its length. The split depends only on `seed`.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::{Dataset, TensorDataset, random_split};
/// let d = TensorDataset::new(vec![Tensor::from_vec((0..10i64).collect::<Vec<_>>(), &[10])]);
/// let parts = random_split(d, &[7, 3], 42);
/// assert_eq!((parts[0].len(), parts[1].len()), (7, 3));
/// let mut all: Vec<usize> = parts.iter().flat_map(|p| p.indices().to_vec()).collect();
/// all.sort();
/// assert_eq!(all, (0..10).collect::<Vec<_>>());
/// ```
#[track_caller]
pub fn random_split<D: Dataset>(dataset: D, lengths: &[usize], seed: u64) -> Vec<Subset<D>> {
    let n = dataset.len();
    let total: usize = lengths.iter().sum();
    assert_eq!(
        total, n,
        "random_split: the lengths {lengths:?} add up to {total}, not to the dataset's length {n}"
    );
    let perm = permutation(n, &mut Generator::new(seed));
    let dataset = Arc::new(dataset);
    let mut start = 0;
    lengths
        .iter()
        .map(|&len| {
            let s = Subset {
                dataset: dataset.clone(),
                indices: perm[start..start + len].to_vec(),
            };
            start += len;
            s
        })
        .collect()
}

/// [`random_split`] by fractions that add up to 1: each part gets `floor(n * fraction)` items
/// and the remainder goes one at a time to the parts in order, as PyTorch does.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::{Dataset, TensorDataset, random_split_fractions};
/// let d = TensorDataset::new(vec![Tensor::from_vec((0..11i64).collect::<Vec<_>>(), &[11])]);
/// let parts = random_split_fractions(d, &[0.8, 0.2], 0);
/// assert_eq!((parts[0].len(), parts[1].len()), (9, 2)); // 8 + 2, remainder 1 to the first
/// ```
#[track_caller]
pub fn random_split_fractions<D: Dataset>(
    dataset: D,
    fractions: &[f64],
    seed: u64,
) -> Vec<Subset<D>> {
    let sum: f64 = fractions.iter().sum();
    assert!(
        (sum - 1.0).abs() < 1e-6 && fractions.iter().all(|&f| (0.0..=1.0).contains(&f)),
        "random_split_fractions: the fractions {fractions:?} must lie in [0, 1] and add up to 1"
    );
    let n = dataset.len();
    let mut lengths: Vec<usize> = fractions
        .iter()
        .map(|&f| (n as f64 * f).floor() as usize)
        .collect();
    let rest = n - lengths.iter().sum::<usize>();
    for i in 0..rest {
        let k = i % lengths.len();
        lengths[k] += 1;
    }
    random_split(dataset, &lengths, seed)
}
