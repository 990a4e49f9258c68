//! Scans (cumsum, cumprod, logcumsumexp, cummax, cummin) against naive loops over indices.

mod common;
use common::*;
use ember_tensor::{Array, DType};

/// Naive scan: `out[line[j]] = fold of x[line[0..=j]]`.
fn ref_scan(
    x: &[f64],
    shape: &[usize],
    d: usize,
    init: f64,
    f: impl Fn(f64, f64) -> f64,
) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for line in line_indices(shape, d) {
        let mut acc = init;
        for &i in &line {
            acc = f(acc, x[i]);
            out[i] = acc;
        }
    }
    out
}

const ALL: [DType; 8] = DType::ALL;

fn tol(dt: DType) -> f64 {
    match dt {
        DType::F16 => 1e-2,
        DType::BF16 => 5e-2,
        DType::F32 => 1e-5,
        _ => 1e-12,
    }
}

#[test]
fn cumsum_and_cumprod_match_reference_over_dims_layouts_dtypes() {
    let mut rng = TestRng::new(10);
    let shape = [3, 4, 5];
    for dt in ALL {
        let a = rand_of(&mut rng, &shape, dt);
        let va = values(&a);
        let out_dt = if dt.is_floating_point() {
            dt
        } else {
            DType::I64
        };
        for dim in -3isize..3 {
            let d = dim.rem_euclid(3) as usize;
            let want_sum = ref_scan(&va, &shape, d, 0.0, |a, x| a + x);
            let want_prod = ref_scan(&va, &shape, d, 1.0, |a, x| a * x);
            for (name, x) in layouts(&a) {
                let s = x.cumsum(dim);
                assert_eq!(s.dtype(), out_dt, "{dt} {name}");
                assert_eq!(s.shape(), &shape);
                assert!(s.is_contiguous());
                assert_close(&values(&s), &want_sum, tol(dt), tol(dt));
                let p = x.cumprod(dim);
                assert_eq!(p.dtype(), out_dt);
                assert_close(&values(&p), &want_prod, tol(dt), tol(dt));
            }
        }
    }
}

#[test]
fn integer_scans_are_exact_in_i64() {
    // u8 and i32 would overflow in their own type; PyTorch accumulates in int64.
    let a = Array::from([200u8, 200, 200]);
    assert_eq!(a.cumsum(0).to_vec::<i64>(), vec![200, 400, 600]);
    assert_eq!(a.cumprod(0).to_vec::<i64>(), vec![200, 40_000, 8_000_000]);
    let b = Array::from([i32::MAX, i32::MAX]);
    assert_eq!(
        b.cumsum(0).to_vec::<i64>(),
        vec![i32::MAX as i64, 2 * i32::MAX as i64]
    );
}

#[test]
fn half_precision_accumulates_in_f32() {
    // 2048 + 1 + 1 in f16 arithmetic would stay at 2048 (spacing 2); accumulated in f32 the
    // running sum reaches 2050, which f16 represents exactly.
    let a = Array::from_vec(
        vec![half::f16::from_f32(2048.0), half::f16::ONE, half::f16::ONE],
        &[3],
    );
    assert_eq!(values(&a.cumsum(0)), vec![2048.0, 2048.0, 2050.0]);
}

#[test]
fn size_zero_size_one_and_zero_d() {
    let e = Array::zeros(&[2, 0, 3], DType::F32);
    for dim in [0, 1, 2, -1] {
        assert_eq!(e.cumsum(dim).shape(), &[2, 0, 3]);
        assert_eq!(e.cumprod(dim).shape(), &[2, 0, 3]);
        let (v, i) = e.cummax(dim);
        assert_eq!((v.shape(), i.shape()), (&[2, 0, 3][..], &[2, 0, 3][..]));
    }
    let one = Array::from([[1.5f64], [2.5]]);
    assert_eq!(one.cumsum(1).to_vec::<f64>(), vec![1.5, 2.5]);
    assert_eq!(one.cumsum(0).to_vec::<f64>(), vec![1.5, 4.0]);
    let s = Array::scalar(3i32);
    for dim in [0, -1] {
        let c = s.cumsum(dim);
        assert_eq!(c.shape(), &[] as &[usize]);
        assert_eq!(c.item::<i64>(), 3);
        let (v, i) = s.cummin(dim);
        assert_eq!((v.item::<i32>(), i.item::<i64>()), (3, 0));
    }
    assert_eq!(Array::scalar(0.5f32).logcumsumexp(0).item::<f32>(), 0.5);
}

#[test]
fn logcumsumexp_matches_reference_and_is_stable() {
    let mut rng = TestRng::new(11);
    let a = rand_f64(&mut rng, &[4, 6]).mul(5.0);
    let va = values(&a);
    for dim in [0isize, 1, -1] {
        let d = dim.rem_euclid(2) as usize;
        let want = ref_scan(&va, &[4, 6], d, 0.0, |acc, x| acc + x.exp())
            .into_iter()
            .map(f64::ln)
            .collect::<Vec<_>>();
        for (_, x) in layouts(&a) {
            for dt in [DType::F64, DType::F32, DType::F16, DType::BF16] {
                let got = x.to_dtype(dt).logcumsumexp(dim);
                assert_eq!(got.dtype(), dt);
                // The input itself is rounded to dt: compare loosely for the half types.
                assert_close(&values(&got), &want, tol(dt) * 4.0, tol(dt) * 4.0);
            }
        }
    }
    let big = Array::from([1000.0f32, 1000.0, f32::NEG_INFINITY, f32::INFINITY, 0.0]);
    let got = values(&big.logcumsumexp(0));
    assert!((got[0] - 1000.0).abs() < 1e-3 && (got[1] - (1000.0 + 2f64.ln())).abs() < 1e-3);
    assert!((got[2] - got[1]).abs() < 1e-9);
    assert_eq!(&got[3..], &[f64::INFINITY, f64::INFINITY]);
    let neg = Array::from([f64::NEG_INFINITY, f64::NEG_INFINITY, f64::NAN, 1.0]);
    let got = neg.logcumsumexp(0).to_vec::<f64>();
    assert_eq!(&got[..2], &[f64::NEG_INFINITY, f64::NEG_INFINITY]);
    assert!(got[2].is_nan() && got[3].is_nan());
}

#[test]
fn cummax_cummin_match_reference_with_ties() {
    let mut rng = TestRng::new(12);
    let shape = [3, 7];
    for dt in ALL {
        let a = rand_of(&mut rng, &shape, dt);
        let va = values(&a);
        for dim in [0isize, 1, -2] {
            let d = dim.rem_euclid(2) as usize;
            for (name, x) in layouts(&a) {
                for is_max in [true, false] {
                    let (v, i) = if is_max { x.cummax(dim) } else { x.cummin(dim) };
                    assert_eq!(v.dtype(), dt);
                    assert_eq!(i.dtype(), DType::I64);
                    let (gv, gi) = (values(&v), i.to_vec::<i64>());
                    for line in line_indices(&shape, d) {
                        for j in 0..line.len() {
                            let prefix: Vec<f64> = line[..=j].iter().map(|&k| va[k]).collect();
                            let best = prefix
                                .iter()
                                .copied()
                                .reduce(|a, b| if is_max { a.max(b) } else { a.min(b) })
                                .unwrap();
                            // The last index holding the extreme (PyTorch reports the latest tie).
                            let last = prefix.iter().rposition(|&p| p == best).unwrap();
                            assert_eq!(gv[line[j]], best, "{dt} {name} dim {dim}");
                            assert_eq!(gi[line[j]], last as i64, "{dt} {name} dim {dim}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn cummax_nan_sticks_and_moves_to_later_nans() {
    let a = Array::from([1.0f32, f32::NAN, 5.0, f32::NAN, 2.0]);
    for (v, i) in [a.cummax(0), a.cummin(0)] {
        let v = v.to_vec::<f32>();
        assert_eq!(v[0], 1.0);
        assert!(v[1..].iter().all(|x| x.is_nan()));
        assert_eq!(i.to_vec::<i64>(), vec![0, 1, 1, 3, 3]);
    }
}

#[test]
fn large_inputs_take_the_parallel_path_and_match() {
    let mut rng = TestRng::new(13);
    let shape = [300, 130];
    let a = rand_of(&mut rng, &shape, DType::I64);
    let va = values(&a);
    for d in 0..2 {
        let want = ref_scan(&va, &shape, d, 0.0, |a, x| a + x);
        assert_eq!(values(&a.cumsum(d as isize)), want);
        assert_eq!(values(&a.t().cumsum(1 - d as isize).t()), want);
    }
}

#[test]
#[should_panic(expected = "cumsum: dimension 2 is out of range for a 2-d array")]
fn cumsum_dim_out_of_range_panics() {
    Array::zeros(&[2, 3], DType::F32).cumsum(2);
}

#[test]
#[should_panic(expected = "logcumsumexp: not implemented for int64")]
fn logcumsumexp_of_ints_panics() {
    Array::from([1i64, 2]).logcumsumexp(0);
}
