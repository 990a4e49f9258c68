//! The `DataLoader`: batches built on worker threads, delivered in order.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use ember_autograd::{Array, DType};

use crate::collate::{Collate, DefaultCollate, FnCollate};
use crate::rng::{sample_seed, seed_sample_rng};
use crate::sampler::{BatchSampler, RandomSampler, Sampler, SequentialSampler};
use crate::{DataError, Dataset};

/// Loads a [`Dataset`] in batches (`torch.utils.data.DataLoader`).
///
/// Built with [`DataLoader::builder`]. Each call of [`iter`](DataLoader::iter) is one epoch and
/// advances the epoch counter, so a shuffling loader reshuffles every epoch; the order and the
/// contents of every batch depend only on the seed and the epoch, never on `num_workers`.
/// Before it fetches each sample, the loader seeds the thread's sample generator
/// ([`with_sample_rng`](crate::with_sample_rng)) from (seed, epoch, the sample's position in
/// the epoch), so random transforms are reproducible too.
///
/// Iteration yields `Result<Batch, DataError>`: a dataset error, a collate error or a panic
/// while building a batch comes out as an `Err` at that batch, and the later batches follow.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::{DataLoader, TensorDataset};
/// let ds = TensorDataset::new(vec![Tensor::from_vec((0..10i64).collect::<Vec<_>>(), &[10])]);
/// let loader = DataLoader::builder(ds).batch_size(4).drop_last(true).build();
/// let batches: Vec<Vec<i64>> = loader.iter().map(|b| b.unwrap()[0].to_vec::<i64>()).collect();
/// assert_eq!(batches, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
/// ```
pub struct DataLoader<D, C = DefaultCollate> {
    dataset: Arc<D>,
    collate: Arc<C>,
    batches: Arc<BatchSampler>,
    batch_size: usize,
    num_workers: usize,
    prefetch_factor: usize,
    seed: u64,
    epoch: AtomicU64,
}

/// Configures a [`DataLoader`]; see [`DataLoader::builder`].
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::{DataLoader, TensorDataset};
/// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![1.0f32; 6], &[6])]);
/// let loader = DataLoader::builder(ds).batch_size(2).num_workers(2).prefetch_factor(1).build();
/// assert_eq!(loader.len(), 3);
/// ```
pub struct DataLoaderBuilder<D, C> {
    dataset: D,
    collate: C,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    sampler: Option<Box<dyn Sampler>>,
    num_workers: usize,
    prefetch_factor: usize,
    seed: Option<u64>,
}

impl<D: Dataset> DataLoader<D, DefaultCollate> {
    /// A builder with PyTorch's defaults: batch size 1, no shuffle, keep the last batch, the
    /// default collate, `num_workers(0)` (batches built in the calling thread), prefetch
    /// factor 2, and a seed drawn from ember's default generator (so
    /// [`manual_seed`](ember_autograd::manual_seed) fixes it).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 3], &[3])]);
    /// assert_eq!(DataLoader::builder(ds).build().len(), 3);
    /// ```
    pub fn builder(dataset: D) -> DataLoaderBuilder<D, DefaultCollate> {
        DataLoaderBuilder {
            dataset,
            collate: DefaultCollate,
            batch_size: 1,
            shuffle: false,
            drop_last: false,
            sampler: None,
            num_workers: 0,
            prefetch_factor: 2,
            seed: None,
        }
    }
}

impl<D: Dataset, C> DataLoaderBuilder<D, C> {
    /// Items per batch (at least 1).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 5], &[5])]);
    /// assert_eq!(DataLoader::builder(ds).batch_size(2).build().len(), 3);
    /// ```
    #[track_caller]
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        assert!(batch_size > 0, "DataLoader: batch_size must be at least 1");
        self.batch_size = batch_size;
        self
    }

    /// Reshuffle the items every epoch (a [`RandomSampler`] with the loader's seed).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec((0..8i64).collect::<Vec<_>>(), &[8])]);
    /// let loader = DataLoader::builder(ds).batch_size(8).shuffle(true).seed(3).build();
    /// let mut e0 = loader.iter().next().unwrap().unwrap()[0].to_vec::<i64>();
    /// e0.sort();
    /// assert_eq!(e0, (0..8).collect::<Vec<_>>());
    /// ```
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Leave out a last batch shorter than `batch_size`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 5], &[5])]);
    /// assert_eq!(DataLoader::builder(ds).batch_size(2).drop_last(true).build().len(), 2);
    /// ```
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Take the indices from `sampler` (which must not be combined with `shuffle(true)`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, SubsetRandomSampler, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec((0..10i64).collect::<Vec<_>>(), &[10])]);
    /// let loader = DataLoader::builder(ds).sampler(SubsetRandomSampler::new(vec![1, 3])).build();
    /// assert_eq!(loader.len(), 2);
    /// ```
    pub fn sampler(mut self, sampler: impl Sampler + 'static) -> Self {
        self.sampler = Some(Box::new(sampler));
        self
    }

    /// Worker threads that build batches (0: in the calling thread, as it iterates).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec((0..6i64).collect::<Vec<_>>(), &[6])]);
    /// let loader = DataLoader::builder(ds).batch_size(2).num_workers(3).build();
    /// let firsts: Vec<i64> = loader.iter().map(|b| b.unwrap()[0].to_vec::<i64>()[0]).collect();
    /// assert_eq!(firsts, [0, 2, 4]); // in order
    /// ```
    pub fn num_workers(mut self, num_workers: usize) -> Self {
        self.num_workers = num_workers;
        self
    }

    /// Batches each worker may have ready ahead of the consumer (at least 1; default 2).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 4], &[4])]);
    /// assert_eq!(DataLoader::builder(ds).num_workers(1).prefetch_factor(4).build().iter().count(), 4);
    /// ```
    #[track_caller]
    pub fn prefetch_factor(mut self, prefetch_factor: usize) -> Self {
        assert!(
            prefetch_factor > 0,
            "DataLoader: prefetch_factor must be at least 1"
        );
        self.prefetch_factor = prefetch_factor;
        self
    }

    /// The seed of the shuffle and of the per-sample generator.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 4], &[4])]);
    /// assert_eq!(DataLoader::builder(ds).seed(11).build().seed(), 11);
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Use `collate` to make batches.
    ///
    /// ```
    /// use ember_data::{Collate, DataError, DataLoader, TensorDataset};
    /// use ember_autograd::Tensor;
    /// struct Count;
    /// impl<T> Collate<T> for Count {
    ///     type Batch = usize;
    ///     fn collate(&self, items: Vec<T>) -> Result<usize, DataError> { Ok(items.len()) }
    /// }
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 5], &[5])]);
    /// let loader = DataLoader::builder(ds).batch_size(2).collate(Count).build();
    /// assert_eq!(loader.iter().map(Result::unwrap).collect::<Vec<_>>(), [2, 2, 1]);
    /// ```
    pub fn collate<C2: Collate<D::Item>>(self, collate: C2) -> DataLoaderBuilder<D, C2> {
        DataLoaderBuilder {
            dataset: self.dataset,
            collate,
            batch_size: self.batch_size,
            shuffle: self.shuffle,
            drop_last: self.drop_last,
            sampler: self.sampler,
            num_workers: self.num_workers,
            prefetch_factor: self.prefetch_factor,
            seed: self.seed,
        }
    }

    /// Use the closure `f` to make batches (`collate_fn`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataError, DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec((0..4i64).collect::<Vec<_>>(), &[4])]);
    /// let loader = DataLoader::builder(ds)
    ///     .batch_size(2)
    ///     .collate_fn(|rows: Vec<Vec<Tensor>>| Ok::<_, DataError>(rows.iter().map(|r| r[0].item::<i64>()).sum::<i64>()))
    ///     .build();
    /// assert_eq!(loader.iter().map(Result::unwrap).collect::<Vec<_>>(), [1, 5]);
    /// ```
    pub fn collate_fn<F, B>(self, f: F) -> DataLoaderBuilder<D, FnCollate<F>>
    where
        F: Fn(Vec<D::Item>) -> Result<B, DataError> + Send + Sync,
        B: Send,
    {
        self.collate(FnCollate(f))
    }

    /// The loader. Panics if both `shuffle(true)` and a sampler were given.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 2], &[2])]);
    /// let loader = DataLoader::builder(ds).build();
    /// assert_eq!(loader.epoch(), 0);
    /// ```
    #[track_caller]
    pub fn build(self) -> DataLoader<D, C>
    where
        C: Collate<D::Item>,
    {
        assert!(
            !(self.shuffle && self.sampler.is_some()),
            "DataLoader: give either shuffle(true) or a sampler, not both"
        );
        let seed = self
            .seed
            .unwrap_or_else(|| Array::randint(0, i64::MAX, &[1], DType::I64).item::<i64>() as u64);
        let n = self.dataset.len();
        let sampler: Box<dyn Sampler> = match self.sampler {
            Some(s) => s,
            None if self.shuffle => Box::new(RandomSampler::new(n).seed(seed)),
            None => Box::new(SequentialSampler::new(n)),
        };
        DataLoader {
            dataset: Arc::new(self.dataset),
            collate: Arc::new(self.collate),
            batches: Arc::new(BatchSampler::from_boxed(
                sampler,
                self.batch_size,
                self.drop_last,
            )),
            batch_size: self.batch_size,
            num_workers: self.num_workers,
            prefetch_factor: self.prefetch_factor,
            seed,
            epoch: AtomicU64::new(0),
        }
    }
}

impl<D, C> DataLoader<D, C> {
    /// Batches per epoch.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 10], &[10])]);
    /// assert_eq!(DataLoader::builder(ds).batch_size(3).build().len(), 4);
    /// ```
    pub fn len(&self) -> usize {
        self.batches.len()
    }

    /// Whether an epoch has no batches.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 3], &[3])]);
    /// assert!(DataLoader::builder(ds).batch_size(4).drop_last(true).build().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dataset.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, Dataset, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 3], &[3])]);
    /// assert_eq!(DataLoader::builder(ds).build().dataset().len(), 3);
    /// ```
    pub fn dataset(&self) -> &D {
        &self.dataset
    }

    /// The seed.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 3], &[3])]);
    /// assert_eq!(DataLoader::builder(ds).seed(5).build().seed(), 5);
    /// ```
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The epoch the next [`iter`](DataLoader::iter) will run.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 3], &[3])]);
    /// let loader = DataLoader::builder(ds).build();
    /// drop(loader.iter());
    /// assert_eq!(loader.epoch(), 1);
    /// ```
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }

    /// Sets the epoch the next [`iter`](DataLoader::iter) will run (e.g. when resuming).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 3], &[3])]);
    /// let loader = DataLoader::builder(ds).build();
    /// loader.set_epoch(4);
    /// assert_eq!(loader.epoch(), 4);
    /// ```
    pub fn set_epoch(&self, epoch: u64) {
        self.epoch.store(epoch, Ordering::Relaxed);
    }
}

impl<D, C> DataLoader<D, C>
where
    D: Dataset + 'static,
    C: Collate<D::Item> + 'static,
{
    /// One epoch: the batches of the current epoch, in order; advances the epoch counter.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec((0..6i64).collect::<Vec<_>>(), &[6])]);
    /// let loader = DataLoader::builder(ds).batch_size(6).shuffle(true).seed(1).build();
    /// let e0 = loader.iter().next().unwrap().unwrap()[0].to_vec::<i64>();
    /// let e1 = loader.iter().next().unwrap().unwrap()[0].to_vec::<i64>();
    /// assert_ne!(e0, e1);
    /// assert_eq!(loader.iter_epoch(0).next().unwrap().unwrap()[0].to_vec::<i64>(), e0);
    /// ```
    pub fn iter(&self) -> DataLoaderIter<C::Batch> {
        let epoch = self.epoch.fetch_add(1, Ordering::Relaxed);
        self.iter_epoch(epoch)
    }

    /// The batches of epoch `epoch`, leaving the epoch counter alone.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::{DataLoader, TensorDataset};
    /// let ds = TensorDataset::new(vec![Tensor::from_vec((0..4i64).collect::<Vec<_>>(), &[4])]);
    /// let loader = DataLoader::builder(ds).batch_size(2).build();
    /// assert_eq!(loader.iter_epoch(3).len(), 2);
    /// assert_eq!(loader.epoch(), 0);
    /// ```
    pub fn iter_epoch(&self, epoch: u64) -> DataLoaderIter<C::Batch> {
        let batches = Arc::new(self.batches.batches(epoch));
        let len = batches.len();
        let job = Arc::new(Job {
            dataset: self.dataset.clone(),
            collate: self.collate.clone(),
            batches,
            batch_size: self.batch_size,
            seed: self.seed,
            epoch,
        });
        let stop = Arc::new(AtomicBool::new(false));
        let inner = if self.num_workers == 0 {
            Inner::Inline(Box::new(move |b| job.run(b, &AtomicBool::new(false))))
        } else {
            let workers = self.num_workers.min(len.max(1));
            let mut receivers = Vec::with_capacity(workers);
            let mut handles = Vec::with_capacity(workers);
            for w in 0..workers {
                let (tx, rx) = sync_channel(self.prefetch_factor);
                let job = job.clone();
                let stop = stop.clone();
                let handle = std::thread::Builder::new()
                    .name(format!("ember-data-worker-{w}"))
                    .spawn(move || {
                        for b in (w..len).step_by(workers) {
                            if stop.load(Ordering::Relaxed) {
                                return;
                            }
                            let result = job.run(b, &stop);
                            if stop.load(Ordering::Relaxed) || tx.send(result).is_err() {
                                return;
                            }
                        }
                    })
                    .expect("DataLoader: could not start a worker thread");
                receivers.push(rx);
                handles.push(handle);
            }
            Inner::Workers {
                receivers,
                handles,
                stop,
            }
        };
        DataLoaderIter {
            inner,
            next: 0,
            len,
        }
    }
}

impl<D, C> IntoIterator for &DataLoader<D, C>
where
    D: Dataset + 'static,
    C: Collate<D::Item> + 'static,
{
    type Item = Result<C::Batch, DataError>;
    type IntoIter = DataLoaderIter<C::Batch>;
    fn into_iter(self) -> DataLoaderIter<C::Batch> {
        self.iter()
    }
}

/// What one epoch needs to build any of its batches.
struct Job<D, C> {
    dataset: Arc<D>,
    collate: Arc<C>,
    batches: Arc<Vec<Vec<usize>>>,
    batch_size: usize,
    seed: u64,
    epoch: u64,
}

impl<D: Dataset, C: Collate<D::Item>> Job<D, C> {
    /// Builds batch `b`, turning a panic into an error; gives up early once `stop` is set.
    fn run(&self, b: usize, stop: &AtomicBool) -> Result<C::Batch, DataError> {
        let result = catch_unwind(AssertUnwindSafe(|| {
            let indices = &self.batches[b];
            let mut items = Vec::with_capacity(indices.len());
            for (k, &index) in indices.iter().enumerate() {
                if stop.load(Ordering::Relaxed) {
                    return Err(DataError::Other("data loader stopped".into()));
                }
                let position = (b * self.batch_size + k) as u64;
                seed_sample_rng(sample_seed(self.seed, self.epoch, position));
                items.push(self.dataset.get(index)?);
            }
            self.collate.collate(items)
        }));
        result.unwrap_or_else(|payload| {
            let message = if let Some(s) = payload.downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else {
                "a panic with a non-string payload".to_string()
            };
            Err(DataError::WorkerPanic { batch: b, message })
        })
    }
}

type BatchFn<B> = Box<dyn FnMut(usize) -> Result<B, DataError>>;

enum Inner<B> {
    Inline(BatchFn<B>),
    Workers {
        receivers: Vec<Receiver<Result<B, DataError>>>,
        handles: Vec<JoinHandle<()>>,
        stop: Arc<AtomicBool>,
    },
}

/// One epoch of a [`DataLoader`]: yields `Result<Batch, DataError>` in order. Dropping it
/// stops its worker threads (they finish the sample in hand) and waits for them.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::{DataLoader, TensorDataset};
/// let ds = TensorDataset::new(vec![Tensor::from_vec(vec![0u8; 100], &[100])]);
/// let loader = DataLoader::builder(ds).num_workers(2).build();
/// let mut it = loader.iter();
/// assert_eq!(it.len(), 100);
/// it.next();
/// assert_eq!(it.len(), 99);
/// drop(it); // the workers stop here
/// ```
pub struct DataLoaderIter<B> {
    inner: Inner<B>,
    next: usize,
    len: usize,
}

impl<B> Iterator for DataLoaderIter<B> {
    type Item = Result<B, DataError>;

    fn next(&mut self) -> Option<Result<B, DataError>> {
        if self.next >= self.len {
            return None;
        }
        let b = self.next;
        self.next += 1;
        Some(match &mut self.inner {
            Inner::Inline(f) => f(b),
            Inner::Workers { receivers, .. } => {
                let w = b % receivers.len();
                receivers[w].recv().unwrap_or_else(|_| {
                    Err(DataError::WorkerPanic {
                        batch: b,
                        message: "the worker thread exited".into(),
                    })
                })
            }
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.len - self.next;
        (left, Some(left))
    }
}

impl<B> ExactSizeIterator for DataLoaderIter<B> {}

impl<B> Drop for DataLoaderIter<B> {
    fn drop(&mut self) {
        if let Inner::Workers {
            receivers,
            handles,
            stop,
        } = &mut self.inner
        {
            stop.store(true, Ordering::Relaxed);
            receivers.clear(); // a worker blocked on a full queue wakes with an error
            for h in handles.drain(..) {
                let _ = h.join();
            }
        }
    }
}
