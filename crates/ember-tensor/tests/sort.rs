//! sort, argsort, topk, kthvalue, median against naive references: each line is sorted in the
//! test with a stable sort of (value, index) pairs.

mod common;
use std::cmp::Ordering;

use common::*;
use ember_tensor::{Array, DType};

/// PyTorch's order: NaN above everything.
fn key_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap(),
    }
}

/// The line's (value, index) pairs, stably sorted.
fn ref_sorted(line: &[f64], descending: bool) -> Vec<(f64, i64)> {
    let mut v: Vec<(f64, i64)> = line
        .iter()
        .enumerate()
        .map(|(i, &x)| (x, i as i64))
        .collect();
    if descending {
        v.sort_by(|a, b| key_cmp(b.0, a.0));
    } else {
        v.sort_by(|a, b| key_cmp(a.0, b.0));
    }
    v
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Random data of `dtype` with many ties; floats also get NaNs.
fn tied_data(rng: &mut TestRng, shape: &[usize], dtype: DType) -> Array {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|_| {
            let r = rng.below(12) as f64 - 4.0;
            if dtype.is_floating_point() && r == 7.0 {
                f64::NAN
            } else {
                r / 2.0
            }
        })
        .collect();
    let a = Array::from_vec(v, shape);
    match dtype {
        DType::Bool => a.relu().to_dtype(DType::Bool),
        DType::U8 => a.add(2.0).mul(2.0).to_dtype(DType::U8),
        d if d.is_floating_point() => a.to_dtype(d),
        d => a.mul(2.0).to_dtype(d),
    }
}

#[test]
fn sort_is_stable_with_nan_last_over_dims_layouts_dtypes() {
    let mut rng = TestRng::new(20);
    let shape = [3, 4, 6];
    for dt in DType::ALL {
        let a = tied_data(&mut rng, &shape, dt);
        let va = values(&a);
        for dim in -3isize..3 {
            let d = dim.rem_euclid(3) as usize;
            for descending in [false, true] {
                let mut want_v = vec![0.0; va.len()];
                let mut want_i = vec![0i64; va.len()];
                for line in line_indices(&shape, d) {
                    let vals: Vec<f64> = line.iter().map(|&k| va[k]).collect();
                    for (j, (v, i)) in ref_sorted(&vals, descending).into_iter().enumerate() {
                        want_v[line[j]] = v;
                        want_i[line[j]] = i;
                    }
                }
                for (name, x) in layouts(&a) {
                    let (v, i) = x.sort(dim, descending);
                    assert_eq!(v.dtype(), dt);
                    assert_eq!(i.dtype(), DType::I64);
                    assert_eq!(v.shape(), &shape);
                    assert!(v.is_contiguous() && i.is_contiguous());
                    let gv = values(&v);
                    let ctx = format!("{dt} {name} dim {dim} desc {descending}");
                    assert!(gv.iter().zip(&want_v).all(|(&g, &w)| same(g, w)), "{ctx}");
                    assert_eq!(i.to_vec::<i64>(), want_i, "{ctx}");
                    assert_eq!(x.argsort(dim, descending).to_vec::<i64>(), want_i, "{ctx}");
                }
            }
        }
    }
}

#[test]
fn nan_placement_and_bool_order() {
    let a = Array::from([f32::NAN, 2.0, f32::NEG_INFINITY, f32::NAN, f32::INFINITY]);
    let (v, i) = a.sort(0, false);
    let v = v.to_vec::<f32>();
    assert_eq!(&v[..3], &[f32::NEG_INFINITY, 2.0, f32::INFINITY]);
    assert!(v[3].is_nan() && v[4].is_nan());
    assert_eq!(i.to_vec::<i64>(), vec![2, 1, 4, 0, 3]);
    let (v, i) = a.sort(0, true);
    let v = v.to_vec::<f32>();
    assert!(v[0].is_nan() && v[1].is_nan());
    assert_eq!(&v[2..], &[f32::INFINITY, 2.0, f32::NEG_INFINITY]);
    assert_eq!(i.to_vec::<i64>(), vec![0, 3, 4, 1, 2]);
    let b = Array::from([true, false, true, false]);
    let (v, i) = b.sort(0, false);
    assert_eq!(v.to_vec::<bool>(), vec![false, false, true, true]);
    assert_eq!(i.to_vec::<i64>(), vec![1, 3, 0, 2]);
}

#[test]
fn size_zero_size_one_and_zero_d() {
    let e = Array::zeros(&[2, 0, 3], DType::F32);
    for dim in [0, 1, 2] {
        let (v, i) = e.sort(dim, false);
        assert_eq!((v.shape(), i.shape()), (&[2, 0, 3][..], &[2, 0, 3][..]));
    }
    let (v, i) = e.topk(0, 1, true, true);
    assert_eq!((v.shape(), i.shape()), (&[2, 0, 3][..], &[2, 0, 3][..]));
    let (v, _) = e.topk(1, 2, true, true);
    assert_eq!(v.shape(), &[2, 0, 1]);
    let (v, i) = e.kthvalue(2, 0, false);
    assert_eq!((v.shape(), i.shape()), (&[0, 3][..], &[0, 3][..]));
    let (v, _) = e.median_dim(-1, true);
    assert_eq!(v.shape(), &[2, 0, 1]);

    let col = Array::from([[3i64], [1]]);
    let (v, i) = col.sort(1, false);
    assert_eq!(
        (v.to_vec::<i64>(), i.to_vec::<i64>()),
        (vec![3, 1], vec![0, 0])
    );
    let (v, i) = col.median_dim(1, false);
    assert_eq!(
        (v.shape(), v.to_vec::<i64>(), i.to_vec::<i64>()),
        (&[2][..], vec![3, 1], vec![0, 0])
    );

    let s = Array::scalar(2.5f64);
    for dim in [0, -1] {
        let (v, i) = s.sort(dim, true);
        assert_eq!((v.ndim(), v.item::<f64>(), i.item::<i64>()), (0, 2.5, 0));
        let (v, i) = s.topk(1, dim, true, true);
        assert_eq!((v.ndim(), v.item::<f64>(), i.item::<i64>()), (0, 2.5, 0));
        for keepdim in [false, true] {
            let (v, i) = s.kthvalue(1, dim, keepdim);
            assert_eq!((v.ndim(), v.item::<f64>(), i.item::<i64>()), (0, 2.5, 0));
            let (v, _) = s.median_dim(dim, keepdim);
            assert_eq!(v.ndim(), 0);
        }
    }
    assert_eq!(s.median().item::<f64>(), 2.5);
}

#[test]
fn topk_matches_reference_values_and_points_at_them() {
    let mut rng = TestRng::new(21);
    let shape = [4, 7];
    for dt in DType::ALL {
        let a = tied_data(&mut rng, &shape, dt);
        let va = values(&a);
        for dim in [0isize, 1, -1, -2] {
            let d = dim.rem_euclid(2) as usize;
            let n = shape[d];
            for k in [0, 1, 3, n] {
                for largest in [true, false] {
                    for sorted in [true, false] {
                        for (name, x) in layouts(&a) {
                            let ctx = format!("{dt} {name} dim {dim} k {k} largest {largest}");
                            let (v, i) = x.topk(k, dim, largest, sorted);
                            let mut want_shape = shape.to_vec();
                            want_shape[d] = k;
                            assert_eq!(v.shape(), &want_shape[..], "{ctx}");
                            assert_eq!(i.shape(), &want_shape[..], "{ctx}");
                            let (gv, gi) = (values(&v), i.to_vec::<i64>());
                            let out_lines = line_indices(&want_shape, d);
                            for (line, out) in line_indices(&shape, d).iter().zip(&out_lines) {
                                let vals: Vec<f64> = line.iter().map(|&k| va[k]).collect();
                                let want: Vec<f64> = ref_sorted(&vals, largest)[..k]
                                    .iter()
                                    .map(|p| p.0)
                                    .collect();
                                let mut got: Vec<f64> = out.iter().map(|&o| gv[o]).collect();
                                let idx: Vec<i64> = out.iter().map(|&o| gi[o]).collect();
                                // Each index points at its value, and no index repeats.
                                for (g, &ix) in got.iter().zip(&idx) {
                                    assert!(same(*g, vals[ix as usize]), "{ctx}");
                                }
                                let mut uniq = idx.clone();
                                uniq.sort();
                                uniq.dedup();
                                assert_eq!(uniq.len(), k, "{ctx}");
                                if !sorted {
                                    got.sort_by(|a, b| {
                                        if largest {
                                            key_cmp(*b, *a)
                                        } else {
                                            key_cmp(*a, *b)
                                        }
                                    });
                                }
                                assert!(got.iter().zip(&want).all(|(&g, &w)| same(g, w)), "{ctx}");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn topk_nan_counts_as_largest() {
    let a = Array::from([1.0f64, f64::NAN, 3.0]);
    let (v, i) = a.topk(2, 0, true, true);
    let v = v.to_vec::<f64>();
    assert!(v[0].is_nan() && v[1] == 3.0);
    assert_eq!(i.to_vec::<i64>(), vec![1, 2]);
    let (v, i) = a.topk(2, 0, false, true);
    assert_eq!(
        (v.to_vec::<f64>(), i.to_vec::<i64>()),
        (vec![1.0, 3.0], vec![0, 2])
    );
}

#[test]
fn kthvalue_and_median_dim_match_reference() {
    let mut rng = TestRng::new(22);
    let shape = [3, 5, 4];
    for dt in DType::ALL {
        let a = tied_data(&mut rng, &shape, dt);
        let va = values(&a);
        for dim in -3isize..3 {
            let d = dim.rem_euclid(3) as usize;
            let n = shape[d];
            let mut out_shape = shape.to_vec();
            out_shape.remove(d);
            let lines = line_indices(&shape, d);
            for (name, x) in layouts(&a) {
                for keepdim in [false, true] {
                    let mut kd_shape = shape.to_vec();
                    kd_shape[d] = 1;
                    let want_shape = if keepdim { &kd_shape } else { &out_shape };
                    for k in 1..=n {
                        let ctx = format!("{dt} {name} dim {dim} k {k}");
                        let (v, i) = x.kthvalue(k, dim, keepdim);
                        assert_eq!(v.shape(), &want_shape[..], "{ctx}");
                        assert_eq!(i.shape(), &want_shape[..], "{ctx}");
                        assert_eq!(v.dtype(), dt);
                        let (gv, gi) = (values(&v), i.to_vec::<i64>());
                        for (l, line) in lines.iter().enumerate() {
                            let vals: Vec<f64> = line.iter().map(|&k| va[k]).collect();
                            let want = ref_sorted(&vals, false)[k - 1];
                            // Ties: the stable order's element at rank k.
                            assert!(same(gv[l], want.0), "{ctx}");
                            assert_eq!(gi[l], want.1, "{ctx}");
                        }
                    }
                    let (v, i) = x.median_dim(dim, keepdim);
                    assert_eq!(v.shape(), &want_shape[..]);
                    let (gv, gi) = (values(&v), i.to_vec::<i64>());
                    for (l, line) in lines.iter().enumerate() {
                        let vals: Vec<f64> = line.iter().map(|&k| va[k]).collect();
                        if let Some(first_nan) = vals.iter().position(|v| v.is_nan()) {
                            assert!(gv[l].is_nan());
                            assert_eq!(gi[l], first_nan as i64);
                        } else {
                            let want = ref_sorted(&vals, false)[(n - 1) / 2];
                            assert_eq!((gv[l], gi[l]), want, "{dt} {name} dim {dim} median");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn median_of_all_is_the_lower_median() {
    let mut rng = TestRng::new(23);
    for dt in DType::ALL {
        for shape in [vec![4, 6], vec![5, 3], vec![1], vec![7]] {
            let a = tied_data(&mut rng, &shape, dt);
            let mut va = values(&a);
            for (name, x) in layouts(&a) {
                let m = x.median();
                assert_eq!((m.ndim(), m.dtype()), (0, dt));
                let got = values(&m)[0];
                if va.iter().any(|v| v.is_nan()) {
                    assert!(got.is_nan(), "{dt} {name}");
                } else {
                    va.sort_by(|a, b| a.partial_cmp(b).unwrap());
                    assert_eq!(got, va[(va.len() - 1) / 2], "{dt} {name} {shape:?}");
                }
            }
        }
    }
    assert_eq!(Array::from([1i64, 2, 3, 4]).median().item::<i64>(), 2);
    assert!(
        Array::zeros(&[0], DType::F32)
            .median()
            .item::<f32>()
            .is_nan()
    );
}

#[test]
fn large_inputs_take_the_parallel_path_and_match() {
    let mut rng = TestRng::new(24);
    let shape = [260, 140];
    let a = tied_data(&mut rng, &shape, DType::F32);
    let va = values(&a);
    for d in 0..2 {
        let (v, i) = a.sort(d as isize, true);
        let (gv, gi) = (values(&v), i.to_vec::<i64>());
        let (_, ki) = a.kthvalue(3, d as isize, false);
        let ki = ki.to_vec::<i64>();
        for (l, line) in line_indices(&shape, d).iter().enumerate() {
            let vals: Vec<f64> = line.iter().map(|&k| va[k]).collect();
            let want = ref_sorted(&vals, true);
            for (j, &o) in line.iter().enumerate() {
                assert!(same(gv[o], want[j].0));
                assert_eq!(gi[o], want[j].1);
            }
            assert_eq!(ki[l], ref_sorted(&vals, false)[2].1);
        }
    }
}

#[test]
#[should_panic(expected = "topk: k = 4 is out of range for dimension -1 of size 3")]
fn topk_k_too_large_panics() {
    Array::zeros(&[2, 3], DType::F32).topk(4, -1, true, true);
}

#[test]
#[should_panic(expected = "kthvalue: k = 0 is out of range for dimension 1 of size 3")]
fn kthvalue_k_zero_panics() {
    Array::zeros(&[2, 3], DType::F32).kthvalue(0, 1, false);
}

#[test]
#[should_panic(expected = "kthvalue: k = 4 is out of range")]
fn kthvalue_k_too_large_panics() {
    Array::zeros(&[2, 3], DType::I64).kthvalue(4, 1, false);
}

#[test]
#[should_panic(expected = "median_dim: dimension 1 of shape [2, 0] has size 0")]
fn median_dim_of_empty_dim_panics() {
    Array::zeros(&[2, 0], DType::F32).median_dim(1, false);
}

#[test]
#[should_panic(expected = "median: the array of shape [0] (int64) is empty")]
fn median_of_empty_int_panics() {
    Array::zeros(&[0], DType::I64).median();
}

#[test]
#[should_panic(expected = "sort: dimension -3 is out of range for a 2-d array")]
fn sort_dim_out_of_range_panics() {
    Array::zeros(&[2, 3], DType::F32).sort(-3, false);
}
