//! Reductions against naive index-loop references, over layouts, dtypes, dims and keepdim.

mod common;
use common::*;
use ember_tensor::{Array, DType};

/// For each output (row-major over the kept dims), the flat input positions it reduces, in
/// row-major order over the reduced dims.
fn groups(shape: &[usize], reduced: &[usize]) -> Vec<Vec<usize>> {
    let kept: Vec<usize> = (0..shape.len()).filter(|d| !reduced.contains(d)).collect();
    let kshape: Vec<usize> = kept.iter().map(|&d| shape[d]).collect();
    let mut rdims = reduced.to_vec();
    rdims.sort();
    let rshape: Vec<usize> = rdims.iter().map(|&d| shape[d]).collect();
    let m: usize = kshape.iter().product();
    let k: usize = rshape.iter().product();
    (0..m)
        .map(|o| {
            let ko = unravel(o, &kshape);
            (0..k)
                .map(|r| {
                    let ro = unravel(r, &rshape);
                    let mut idx = vec![0; shape.len()];
                    for (i, &d) in kept.iter().enumerate() {
                        idx[d] = ko[i];
                    }
                    for (i, &d) in rdims.iter().enumerate() {
                        idx[d] = ro[i];
                    }
                    ravel(&idx, shape)
                })
                .collect()
        })
        .collect()
}

fn kept_shape(shape: &[usize], reduced: &[usize], keepdim: bool) -> Vec<usize> {
    (0..shape.len())
        .filter_map(|d| {
            if !reduced.contains(&d) {
                Some(shape[d])
            } else if keepdim {
                Some(1)
            } else {
                None
            }
        })
        .collect()
}

/// (shape, dims as passed, dims normalised) cases covering negative, multiple, size-0/1 dims.
fn cases() -> Vec<(Vec<usize>, Vec<isize>, Vec<usize>)> {
    vec![
        (vec![3, 5], vec![0], vec![0]),
        (vec![3, 5], vec![-1], vec![1]),
        (vec![3, 5], vec![], vec![0, 1]),
        (vec![2, 3, 4], vec![0, 2], vec![0, 2]),
        (vec![2, 3, 4], vec![-2], vec![1]),
        (vec![2, 3, 4], vec![2, 1], vec![1, 2]),
        (vec![4, 1, 3], vec![1], vec![1]),
        (vec![2, 0, 3], vec![1], vec![1]),
        (vec![2, 0, 3], vec![2], vec![2]),
        (vec![7], vec![0], vec![0]),
        (vec![300, 130], vec![0], vec![0]),
        (vec![130, 300], vec![1], vec![1]),
    ]
}

/// Checks `f(x, dims, keepdim)` against `reference(group values)` for every case and layout.
fn check(
    dtypes: &[(DType, f64)],
    skip_empty: bool,
    f: impl Fn(&Array, &[isize], bool) -> Array,
    out_dtype: impl Fn(DType) -> DType,
    reference: impl Fn(&[f64]) -> f64,
) {
    let mut rng = TestRng::new(7);
    for (shape, dims, red) in cases() {
        let k: usize = red.iter().map(|&d| shape[d]).product();
        if skip_empty && k == 0 {
            continue;
        }
        for &(dt, tol) in dtypes {
            let a = rand_of(&mut rng, &shape, dt);
            let va = values(&a);
            let want: Vec<f64> = groups(&shape, &red)
                .iter()
                .map(|g| reference(&g.iter().map(|&i| va[i]).collect::<Vec<_>>()))
                .collect();
            for (lay, x) in layouts(&a) {
                for keepdim in [false, true] {
                    let got = f(&x, &dims, keepdim);
                    assert_eq!(got.dtype(), out_dtype(dt), "{shape:?} {dims:?} {lay} {dt}");
                    assert_eq!(got.shape(), kept_shape(&shape, &red, keepdim).as_slice());
                    let g = values(&got);
                    let scale: Vec<f64> = want.iter().map(|w| w.abs().max(1.0)).collect();
                    for i in 0..g.len() {
                        let ok = (g[i].is_nan() && want[i].is_nan())
                            || g[i] == want[i]
                            || (g[i] - want[i]).abs() <= tol * scale[i];
                        assert!(
                            ok,
                            "{shape:?} dims {dims:?} {lay} {dt} keepdim {keepdim}: \
                                     element {i}: got {} want {}",
                            g[i], want[i]
                        );
                    }
                }
            }
        }
    }
}

const FLOATS: [(DType, f64); 4] = [
    (DType::F64, 1e-12),
    (DType::F32, 1e-5),
    (DType::F16, 4e-3),
    (DType::BF16, 3e-2),
];
const ALL: [(DType, f64); 8] = [
    (DType::F64, 1e-12),
    (DType::F32, 1e-5),
    (DType::F16, 4e-3),
    (DType::BF16, 3e-2),
    (DType::I64, 0.0),
    (DType::I32, 0.0),
    (DType::U8, 0.0),
    (DType::Bool, 0.0),
];

fn sum_type(d: DType) -> DType {
    if d.is_floating_point() { d } else { DType::I64 }
}

#[test]
fn sum_dim_matches_reference() {
    check(
        &ALL,
        false,
        |x, d, k| x.sum_dim(d, k),
        sum_type,
        |g| g.iter().sum(),
    );
}

#[test]
fn mean_dim_matches_reference() {
    check(
        &FLOATS,
        false,
        |x, d, k| x.mean_dim(d, k),
        |d| d,
        |g| g.iter().sum::<f64>() / g.len() as f64,
    );
}

#[test]
fn prod_dim_matches_reference() {
    let mut rng = TestRng::new(3);
    for (dt, tol) in ALL {
        let a = rand_of(&mut rng, &[3, 4], dt);
        let va = values(&a);
        for (_, x) in layouts(&a) {
            for (dim, red) in [(0isize, 0usize), (-1, 1)] {
                let want: Vec<f64> = groups(&[3, 4], &[red])
                    .iter()
                    .map(|g| g.iter().map(|&i| va[i]).product())
                    .collect();
                let got = x.prod_dim(dim, false);
                assert_eq!(got.dtype(), sum_type(dt));
                assert_close(&values(&got), &want, tol.max(1e-12), 1e-6);
            }
        }
        let want: f64 = va.iter().product();
        assert_close(&values(&a.prod()), &[want], tol.max(1e-12), 1e-6);
    }
    assert_eq!(
        Array::zeros(&[0, 2], DType::F32)
            .prod_dim(0, false)
            .to_vec::<f32>(),
        vec![1.0, 1.0]
    );
}

#[test]
fn amax_amin_match_reference() {
    let fmax = |g: &[f64]| g.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let fmin = |g: &[f64]| g.iter().cloned().fold(f64::INFINITY, f64::min);
    check(&ALL, true, |x, d, k| x.amax(d, k), |d| d, fmax);
    check(&ALL, true, |x, d, k| x.amin(d, k), |d| d, fmin);
}

#[test]
fn max_dim_matches_reference_with_first_index_on_ties() {
    let mut rng = TestRng::new(11);
    for (dt, _) in ALL {
        // Integers in -10..10 and bools tie often: the first index must win.
        let a = rand_of(&mut rng, &[6, 9], dt);
        let va = values(&a);
        for (lay, x) in layouts(&a) {
            for (dim, red) in [(0isize, 0usize), (1, 1), (-1, 1)] {
                for max in [true, false] {
                    let (v, i) = if max {
                        x.max_dim(dim, false)
                    } else {
                        x.min_dim(dim, false)
                    };
                    let gi = i.to_vec::<i64>();
                    let gv = values(&v);
                    assert_eq!(v.dtype(), dt);
                    for (o, g) in groups(&[6, 9], &[red]).iter().enumerate() {
                        let mut best = 0;
                        for j in 1..g.len() {
                            let (x, b) = (va[g[j]], va[g[best]]);
                            if (max && x > b) || (!max && x < b) {
                                best = j;
                            }
                        }
                        assert_eq!(gi[o], best as i64, "{dt} {lay} dim {dim} max {max}");
                        assert_eq!(gv[o], va[g[best]]);
                    }
                    let am = if max {
                        x.argmax_dim(dim, true)
                    } else {
                        x.argmin_dim(dim, true)
                    };
                    assert_eq!(am.to_vec::<i64>(), gi);
                    assert_eq!(am.ndim(), 2);
                }
            }
            // Flat argmax: first occurrence in row-major order.
            let mut best = 0;
            for j in 0..va.len() {
                if va[j] > va[best] {
                    best = j;
                }
            }
            assert_eq!(x.argmax().item::<i64>(), best as i64, "{dt} {lay}");
            assert_eq!(values(&x.max()), vec![va[best]]);
        }
    }
}

#[test]
fn nan_propagates_through_max_min_and_arg() {
    let a = Array::from([[1.0f32, f32::NAN, 5.0, f32::NAN], [2.0, 3.0, 0.0, 1.0]]);
    for (_, x) in layouts(&a) {
        let (v, i) = x.max_dim(1, false);
        assert!(v.to_vec::<f32>()[0].is_nan());
        assert_eq!(i.to_vec::<i64>(), vec![1, 1]);
        let (v, i) = x.min_dim(1, false);
        assert!(v.to_vec::<f32>()[0].is_nan());
        assert_eq!(i.to_vec::<i64>(), vec![1, 2]);
        assert_eq!(x.argmax().item::<i64>(), 1);
        assert_eq!(x.argmin().item::<i64>(), 1);
        assert!(x.max().item::<f32>().is_nan());
        assert!(x.min().item::<f32>().is_nan());
        let am = x.amax(&[1], false).to_vec::<f32>();
        assert!(am[0].is_nan() && am[1] == 3.0);
        let am = x.amin(&[0], false).to_vec::<f32>();
        assert!(am[1].is_nan() && am[3].is_nan() && am[0] == 1.0 && am[2] == 0.0);
    }
}

#[test]
fn large_reductions_are_accurate_and_parallel_paths_agree() {
    // Big enough to take the parallel paths of both strategies; [2048, 600] over dim 0 splits
    // the reduced range although there are many outputs (their partial buffers are small).
    let mut rng = TestRng::new(5);
    for shape in [[1024usize, 300], [2048, 600], [3, 100_000], [100_000, 3]] {
        let a = rand_f64(&mut rng, &shape);
        let va = values(&a);
        let a32 = a.to_dtype(DType::F32);
        let v32 = values(&a32);
        for red in [0usize, 1] {
            let want: Vec<f64> = groups(&shape, &[red])
                .iter()
                .map(|g| g.iter().map(|&i| va[i]).sum())
                .collect();
            for (_, x) in layouts(&a32) {
                let got = values(&x.sum_dim(&[red as isize], false));
                assert_close(&got, &want, 1e-5, 1e-3);
                let (_, idx) = x.max_dim(red as isize, false);
                let gi = idx.to_vec::<i64>();
                for (o, g) in groups(&shape, &[red]).iter().enumerate() {
                    // Over the f32 values: two f64 values can round to one f32 (a tie, won by
                    // the first index).
                    let best =
                        (0..g.len()).fold(0, |b, j| if v32[g[j]] > v32[g[b]] { j } else { b });
                    assert_eq!(gi[o], best as i64);
                }
            }
        }
        let total: f64 = va.iter().sum();
        assert_close(&values(&a32.sum()), &[total], 1e-5, 1e-3);
    }
    // f32 sum of many equal values stays exact-ish (blocked summation).
    let ones = Array::full(&[1 << 22], 0.1, DType::F32);
    let s = ones.sum().item::<f32>() as f64;
    assert!((s - 0.1 * (1 << 22) as f64).abs() / s < 1e-5, "{s}");
}

#[test]
fn var_std_match_reference() {
    for corr in [0.0, 1.0, 2.5] {
        let var = move |g: &[f64]| {
            let m = g.iter().sum::<f64>() / g.len() as f64;
            let ss: f64 = g.iter().map(|x| (x - m) * (x - m)).sum();
            ss / (g.len() as f64 - corr).max(0.0)
        };
        check(
            &FLOATS,
            true,
            move |x, d, k| x.var_dim(d, corr, k),
            |d| d,
            var,
        );
        check(
            &FLOATS,
            true,
            move |x, d, k| x.std_dim(d, corr, k),
            |d| d,
            move |g| var(g).sqrt(),
        );
    }
    let a = Array::from([1.0f32, 2.0, 4.0]);
    assert!((a.var(1).item::<f32>() - 7.0 / 3.0).abs() < 1e-6);
    assert!((a.std(0usize).item::<f32>() - (14.0f32 / 9.0).sqrt()).abs() < 1e-6);
    assert!(Array::from([1.0f64]).var(1).item::<f64>().is_nan());
}

#[test]
fn norms_match_reference() {
    let ps = [2.0, 1.0, 3.0, 0.5, 0.0, f64::INFINITY, f64::NEG_INFINITY];
    for p in ps {
        let r = move |g: &[f64]| {
            if p == f64::INFINITY {
                g.iter().fold(0.0f64, |a, x| a.max(x.abs()))
            } else if p == f64::NEG_INFINITY {
                g.iter().fold(f64::INFINITY, |a: f64, x| a.min(x.abs()))
            } else if p == 0.0 {
                g.iter().filter(|x| **x != 0.0).count() as f64
            } else {
                g.iter().map(|x| x.abs().powf(p)).sum::<f64>().powf(1.0 / p)
            }
        };
        check(
            &FLOATS,
            p.is_infinite(),
            move |x, d, k| x.norm_dim(p, d, k),
            |d| d,
            r,
        );
    }
    assert_eq!(
        Array::from([[3.0f32, 0.0], [0.0, 4.0]])
            .norm(2.0)
            .item::<f32>(),
        5.0
    );
}

#[test]
fn logsumexp_matches_reference() {
    let r = |g: &[f64]| {
        if g.is_empty() {
            return f64::NEG_INFINITY;
        }
        let m = g.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        m + g.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
    };
    check(&FLOATS, false, |x, d, k| x.logsumexp(d, k), |d| d, r);
    let ints = Array::from([[1i64, 2], [3, 4]]);
    let l = ints.logsumexp(&[1], false);
    assert_eq!(l.dtype(), DType::F32);
    assert_close(&values(&l), &[r(&[1.0, 2.0]), r(&[3.0, 4.0])], 1e-6, 1e-6);
    let inf = Array::from([[f32::NEG_INFINITY, f32::NEG_INFINITY], [f32::INFINITY, 0.0]]);
    assert_eq!(
        inf.logsumexp(&[1], false).to_vec::<f32>(),
        vec![f32::NEG_INFINITY, f32::INFINITY]
    );
    let big = Array::from([1000.0f32, 1000.0]);
    assert!((big.logsumexp(&[0], false).item::<f32>() - (1000.0 + 2f32.ln())).abs() < 1e-3);
}

#[test]
fn all_any_count_nonzero_match_reference() {
    check(
        &ALL,
        false,
        |x, d, k| x.all_dim(d, k),
        |_| DType::Bool,
        |g| g.iter().all(|&x| x != 0.0) as u8 as f64,
    );
    check(
        &ALL,
        false,
        |x, d, k| x.any_dim(d, k),
        |_| DType::Bool,
        |g| g.iter().any(|&x| x != 0.0) as u8 as f64,
    );
    check(
        &ALL,
        false,
        |x, d, k| {
            // count_nonzero has no keepdim: give its result the keepdim shape for the check.
            let r = x.count_nonzero_dim(d);
            if k {
                let s: Vec<isize> = x
                    .sum_dim(d, true)
                    .shape()
                    .iter()
                    .map(|&n| n as isize)
                    .collect();
                r.reshape(&s)
            } else {
                r
            }
        },
        |_| DType::I64,
        |g| g.iter().filter(|&&x| x != 0.0).count() as f64,
    );
    let a = Array::from([[0.0f32, f32::NAN], [1.0, 0.0]]);
    assert_eq!(a.count_nonzero().item::<i64>(), 2);
    assert!(a.any().item::<bool>() && !a.all().item::<bool>());
    assert!(Array::zeros(&[0], DType::F32).all().item::<bool>());
    assert!(!Array::zeros(&[0], DType::F32).any().item::<bool>());
}

#[test]
fn zero_dim_and_empty_inputs() {
    let s = Array::scalar(3.5f32);
    assert_eq!(s.sum().item::<f32>(), 3.5);
    assert_eq!(s.sum_dim(&[0], true).shape(), &[] as &[usize]);
    assert_eq!(s.max_dim(-1, false).1.item::<i64>(), 0);
    assert_eq!(s.argmax().item::<i64>(), 0);
    let e = Array::zeros(&[0, 3], DType::F32);
    assert_eq!(e.sum().item::<f32>(), 0.0);
    assert!(e.mean().item::<f32>().is_nan());
    assert_eq!(e.sum_dim(&[0], false).to_vec::<f32>(), vec![0.0; 3]);
    assert!(
        e.mean_dim(&[0], false)
            .to_vec::<f32>()
            .iter()
            .all(|v| v.is_nan())
    );
    assert_eq!(e.amax(&[1], false).shape(), &[0]);
    assert_eq!(e.max_dim(1, true).0.shape(), &[0, 1]);
    assert_eq!(
        e.logsumexp(&[0], false).to_vec::<f32>(),
        vec![f32::NEG_INFINITY; 3]
    );
}

#[test]
#[should_panic(expected = "max(): Expected reduction dim to be specified for input.numel() == 0")]
fn max_of_empty_panics() {
    Array::zeros(&[0, 2], DType::F32).max();
}

#[test]
#[should_panic(expected = "max(): Expected reduction dim 0 to have non-zero size")]
fn max_dim_over_empty_dim_panics() {
    Array::zeros(&[0, 2], DType::F32).max_dim(0, false);
}

#[test]
#[should_panic(expected = "cannot perform reduction function amax on tensor with no elements")]
fn amax_over_empty_dim_panics() {
    Array::zeros(&[2, 0], DType::F32).amax(&[1], false);
}

#[test]
#[should_panic(
    expected = "argmax(): Expected reduction dim to be specified for input.numel() == 0"
)]
fn argmax_of_empty_panics() {
    Array::zeros(&[0], DType::I64).argmax();
}

#[test]
#[should_panic(expected = "mean(): could not infer output dtype")]
fn mean_of_int_panics() {
    Array::from([1i64, 2]).mean();
}

#[test]
#[should_panic(expected = "std and var only support floating point")]
fn var_of_int_panics() {
    Array::from([1i32, 2]).var(1);
}

#[test]
#[should_panic(expected = "norm: expected a floating point array")]
fn norm_of_int_panics() {
    Array::from([1i32, 2]).norm(2.0);
}

#[test]
#[should_panic(expected = "sum_dim: dim 1 appears multiple times")]
fn repeated_dims_panic() {
    Array::zeros(&[2, 3], DType::F32).sum_dim(&[1, -1], false);
}

#[test]
#[should_panic(expected = "amax: dimension 2 is out of range for a 2-d array")]
fn dim_out_of_range_panics() {
    Array::zeros(&[2, 3], DType::F32).amax(&[2], false);
}
