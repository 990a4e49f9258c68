//! Shared helpers for the integration tests: deterministic data independent of Ember's own
//! random module, layouts that are not contiguous, and closeness checks.
#![allow(dead_code)]

use ember_tensor::{Array, DType};

/// A small deterministic generator (SplitMix64), so tests do not depend on the code under test.
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> Self {
        TestRng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// `n` values uniform in [-1, 1).
    pub fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.uniform()).collect()
    }
}

/// A contiguous f64 array of `shape` with values uniform in [-1, 1).
pub fn rand_f64(rng: &mut TestRng, shape: &[usize]) -> Array {
    let n = shape.iter().product();
    Array::from_vec(rng.vec(n), shape)
}

/// A random array of `shape` converted to `dtype` (ints are in -10..10, bools random).
pub fn rand_of(rng: &mut TestRng, shape: &[usize], dtype: DType) -> Array {
    let a = rand_f64(rng, shape);
    if dtype.is_floating_point() {
        a.to_dtype(dtype)
    } else if dtype == DType::Bool {
        a.relu().to_dtype(DType::Bool)
    } else if dtype == DType::U8 {
        a.add(1.0).mul(5.0).to_dtype(dtype)
    } else {
        a.mul(10.0).to_dtype(dtype)
    }
}

/// The same values as `a` (any layout) laid out differently, for checking that ops honour
/// strides. Returns `(description, array)` pairs, all equal element-wise to `a`:
/// contiguous, a transposed copy viewed back, a view into a larger buffer with steps.
pub fn layouts(a: &Array) -> Vec<(&'static str, Array)> {
    let mut out = vec![("contiguous", a.contiguous())];
    let nd = a.ndim();
    if nd >= 2 {
        // Materialise the transpose, then transpose the view back: same values, strides swapped.
        let t = a.transpose(0, -1).contiguous().transpose(0, -1);
        out.push(("transposed", t));
    }
    if nd >= 1 && a.numel() > 0 {
        // Embed in a buffer twice as long on the last dim and take every other element.
        let mut shape: Vec<usize> = a.shape().to_vec();
        let last = shape[nd - 1];
        shape[nd - 1] = 2 * last;
        let big = Array::zeros(&shape, a.dtype());
        let strides: Vec<usize> = big
            .strides()
            .iter()
            .enumerate()
            .map(|(d, &s)| if d == nd - 1 { 2 } else { s })
            .collect();
        let stepped = big.as_strided(a.shape(), &strides, 1);
        stepped.copy_(a);
        out.push(("stepped", stepped));
    }
    out
}

/// Asserts two f64 slices are close: |a - b| <= atol + rtol * |b| (NaNs must match).
#[track_caller]
pub fn assert_close(got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "length differs");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() {
            assert!(g.is_nan(), "element {i}: got {g}, want NaN");
            continue;
        }
        if w.is_infinite() {
            assert_eq!(g, w, "element {i}");
            continue;
        }
        assert!(
            (g - w).abs() <= atol + rtol * w.abs(),
            "element {i}: got {g}, want {w} (all: {got:?} vs {want:?})"
        );
    }
}

/// The array's values as f64, whatever its dtype.
pub fn values(a: &Array) -> Vec<f64> {
    a.to_dtype(DType::F64).to_vec::<f64>()
}

/// Row-major multi-index of flat position `i` in `shape`.
pub fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = i % shape[d];
        i /= shape[d];
    }
    idx
}

/// Flat row-major position of a multi-index.
pub fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}

/// Flat row-major indices of every line of `shape` along `d`, lines in row-major order of the
/// other dims.
pub fn line_indices(shape: &[usize], d: usize) -> Vec<Vec<usize>> {
    let mut outer = shape.to_vec();
    outer.remove(d);
    let count: usize = outer.iter().product();
    (0..count)
        .map(|l| {
            let oi = unravel(l, &outer);
            (0..shape[d])
                .map(|j| {
                    let mut idx = oi.clone();
                    idx.insert(d, j);
                    ravel(&idx, shape)
                })
                .collect()
        })
        .collect()
}
