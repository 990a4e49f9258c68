//! DataLoader, sampler and transform tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ember_autograd::{DType, Tensor};
use ember_data::transforms::{RandomCrop, RandomHorizontalFlip, Transform};
use ember_data::*;

fn ids(n: usize) -> TensorDataset {
    TensorDataset::new(vec![Tensor::from_vec(
        (0..n as i64).collect::<Vec<_>>(),
        &[n],
    )])
}

fn epoch_ids(loader: &DataLoader<TensorDataset>) -> Vec<Vec<i64>> {
    loader
        .iter()
        .map(|b| b.unwrap()[0].to_vec::<i64>())
        .collect()
}

#[test]
fn same_batches_whatever_the_worker_count() {
    for shuffle in [false, true] {
        let runs: Vec<Vec<Vec<Vec<i64>>>> = [0, 1, 3]
            .iter()
            .map(|&w| {
                let l = DataLoader::builder(ids(23))
                    .batch_size(4)
                    .shuffle(shuffle)
                    .seed(9)
                    .num_workers(w)
                    .build();
                (0..2).map(|_| epoch_ids(&l)).collect()
            })
            .collect();
        assert_eq!(runs[0], runs[1]);
        assert_eq!(runs[0], runs[2]);
        let mut all: Vec<i64> = runs[0][0].concat();
        all.sort();
        assert_eq!(all, (0..23).collect::<Vec<_>>());
        assert_eq!(runs[0][0].len(), 6);
        if shuffle {
            assert_ne!(runs[0][0], runs[0][1]);
        } else {
            assert_eq!(runs[0][0][0], [0, 1, 2, 3]);
        }
    }
}

#[test]
fn drop_last_and_len() {
    let l = DataLoader::builder(ids(10))
        .batch_size(3)
        .drop_last(true)
        .build();
    assert_eq!(l.len(), 3);
    assert_eq!(epoch_ids(&l).len(), 3);
    let l = DataLoader::builder(ids(10)).batch_size(3).build();
    assert_eq!(l.len(), 4);
    assert_eq!(epoch_ids(&l)[3], [9]);
}

#[test]
fn shuffle_reproducible_per_seed() {
    let a = DataLoader::builder(ids(50))
        .batch_size(50)
        .shuffle(true)
        .seed(1)
        .build();
    let b = DataLoader::builder(ids(50))
        .batch_size(50)
        .shuffle(true)
        .seed(1)
        .build();
    let c = DataLoader::builder(ids(50))
        .batch_size(50)
        .shuffle(true)
        .seed(2)
        .build();
    assert_eq!(epoch_ids(&a), epoch_ids(&b));
    assert_ne!(epoch_ids(&a), epoch_ids(&c));
}

struct Faulty {
    fail_at: usize,
    panic: bool,
}
impl Dataset for Faulty {
    type Item = i64;
    fn len(&self) -> usize {
        20
    }
    fn get(&self, i: usize) -> Result<i64, DataError> {
        if i == self.fail_at {
            if self.panic {
                panic!("boom at {i}");
            }
            return Err(DataError::Other(format!("bad item {i}")));
        }
        Ok(i as i64)
    }
}

#[test]
fn worker_error_and_panic_surface_at_their_batch() {
    for panic in [false, true] {
        for w in [0, 1, 3] {
            let l = DataLoader::builder(Faulty { fail_at: 9, panic })
                .batch_size(4)
                .num_workers(w)
                .build();
            let results: Vec<_> = l.iter().collect();
            assert_eq!(results.len(), 5, "no short epoch");
            for (b, r) in results.iter().enumerate() {
                if b == 2 {
                    let e = r.as_ref().unwrap_err().to_string();
                    assert!(
                        e.contains(if panic { "boom at 9" } else { "bad item 9" }),
                        "{e}"
                    );
                } else {
                    assert_eq!(r.as_ref().unwrap().to_vec::<i64>()[0], 4 * b as i64);
                }
            }
        }
    }
}

struct Slow(Arc<AtomicUsize>);
impl Dataset for Slow {
    type Item = i64;
    fn len(&self) -> usize {
        1000
    }
    fn get(&self, i: usize) -> Result<i64, DataError> {
        std::thread::sleep(Duration::from_millis(5));
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(i as i64)
    }
}

#[test]
fn dropping_the_iterator_stops_the_workers() {
    let count = Arc::new(AtomicUsize::new(0));
    let l = DataLoader::builder(Slow(count.clone()))
        .batch_size(4)
        .num_workers(3)
        .build();
    let t0 = std::time::Instant::now();
    {
        let mut it = l.iter();
        it.next().unwrap().unwrap();
        it.next().unwrap().unwrap();
    }
    assert!(t0.elapsed() < Duration::from_secs(2));
    let after_drop = count.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        count.load(Ordering::SeqCst),
        after_drop,
        "workers still running"
    );
    assert!(after_drop < 100, "fetched {after_drop} samples");
}

#[test]
fn default_collate_shapes_and_dtypes() {
    let items = vec![(Tensor::from_vec(vec![1u8; 6], &[1, 2, 3]), 4usize); 5];
    let (x, y) = DefaultCollate.collate(items).unwrap();
    assert_eq!((x.shape(), x.dtype()), (&[5usize, 1, 2, 3][..], DType::U8));
    assert_eq!((y.shape(), y.dtype()), (&[5usize][..], DType::I64));
    let bad = vec![
        Tensor::from_vec(vec![1.0f32], &[1]),
        Tensor::from_vec(vec![1.0f32; 2], &[2]),
    ];
    assert!(DefaultCollate.collate(bad).is_err());
}

#[test]
fn random_transforms_do_not_depend_on_workers() {
    let t = ember_data::transforms::Compose::new()
        .then(RandomCrop::new(3, 3).padding(1))
        .then(RandomHorizontalFlip::new(0.5));
    let imgs = Tensor::from_vec(
        (0..16 * 9).map(|v| v as f32).collect::<Vec<_>>(),
        &[16, 1, 3, 3],
    );
    let ds = Arc::new(TensorDataset::new(vec![imgs])).map(move |r| t.apply(&r[0]));
    let ds = Arc::new(ds);
    let run = |w| {
        let l = DataLoader::builder(ds.clone())
            .batch_size(5)
            .shuffle(true)
            .seed(3)
            .num_workers(w)
            .build();
        l.iter()
            .map(|b| b.unwrap().to_vec::<f32>())
            .collect::<Vec<_>>()
    };
    assert_eq!(run(0), run(3));
}

#[test]
fn weighted_sampler_frequencies() {
    let w = vec![1.0, 2.0, 3.0, 4.0];
    let s = WeightedRandomSampler::new(w.clone(), 100_000).seed(5);
    let mut counts = [0usize; 4];
    for i in s.indices(0) {
        counts[i] += 1;
    }
    for k in 0..4 {
        let f = counts[k] as f64 / 100_000.0;
        assert!((f - w[k] / 10.0).abs() < 0.01, "{counts:?}");
    }
}

#[test]
fn random_sampler_is_a_permutation() {
    let s = RandomSampler::new(100).seed(8);
    for e in 0..3 {
        let mut v = s.indices(e);
        assert_ne!(v, (0..100).collect::<Vec<_>>());
        v.sort();
        assert_eq!(v, (0..100).collect::<Vec<_>>());
    }
}

#[test]
fn transforms_hand_computed() {
    use ember_data::transforms::{CenterCrop, Normalize, Resize, ToTensor};
    let x = Tensor::from_vec(vec![0u8, 51, 102, 255], &[2, 2]);
    assert_eq!(
        ToTensor::new().apply(&x).to_vec::<f32>(),
        [0.0, 0.2, 0.4, 1.0]
    );
    let n = Normalize::new(vec![0.5], vec![0.5]).apply(&ToTensor::new().apply(&x));
    assert_eq!(n.to_vec::<f32>(), [-1.0, -0.6, -0.19999999, 1.0]);
    // 2x2 → 3x3 bilinear, half-pixel: src = (o + 0.5) * 2/3 - 0.5 = -1/6 → 0, 0.5, 7/6 → 1.
    let y = Resize::new(3, 3).apply(&Tensor::from_vec(vec![0.0f32, 3.0, 6.0, 9.0], &[2, 2]));
    assert_eq!(
        y.to_vec::<f32>(),
        [0.0, 1.5, 3.0, 3.0, 4.5, 6.0, 6.0, 7.5, 9.0]
    );
    let c = CenterCrop::new(1, 2).apply(&Tensor::from_vec((0..12u8).collect::<Vec<_>>(), &[3, 4]));
    assert_eq!(c.to_vec::<u8>(), [5, 6]);
}
