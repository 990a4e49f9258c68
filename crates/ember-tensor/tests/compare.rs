//! Comparisons, logical ops, where/masked_fill and lerp/addcmul/addcdiv against naive loops.

mod common;
use common::*;
use ember_tensor::{Array, DType};

fn bools(a: &Array) -> Vec<bool> {
    assert_eq!(a.dtype(), DType::Bool);
    a.to_vec::<bool>()
}

#[test]
fn comparisons_broadcast_over_layouts_and_dtypes() {
    let mut rng = TestRng::new(1);
    type Op = (fn(&Array, &Array) -> Array, fn(f64, f64) -> bool);
    let ops: [Op; 6] = [
        (|x, y| x.eq(y), |x, y| x == y),
        (|x, y| x.ne(y), |x, y| x != y),
        (|x, y| x.lt(y), |x, y| x < y),
        (|x, y| x.le(y), |x, y| x <= y),
        (|x, y| x.gt(y), |x, y| x > y),
        (|x, y| x.ge(y), |x, y| x >= y),
    ];
    for dt in DType::ALL {
        let a = rand_of(&mut rng, &[3, 4], dt);
        // Half of b's values copied from a's first row, so equality happens.
        let b = rand_of(&mut rng, &[4], dt);
        let b = Array::where_cond(
            &Array::from([true, false, true, false]),
            &a.select(0, 0),
            &b,
        );
        let (va, vb) = (values(&a), values(&b));
        for (f, r) in ops {
            let want: Vec<bool> = (0..12).map(|i| r(va[i], vb[i % 4])).collect();
            for (_, xa) in layouts(&a) {
                for (_, xb) in layouts(&b) {
                    assert_eq!(bools(&f(&xa, &xb)), want, "{dt}");
                }
            }
            // Reversed broadcast: [4] vs [3, 4].
            let want_r: Vec<bool> = (0..12).map(|i| r(vb[i % 4], va[i])).collect();
            assert_eq!(bools(&f(&b, &a)), want_r);
        }
    }
}

#[test]
fn comparisons_promote_and_handle_nan() {
    let i = Array::from([1i64, 2, 3]);
    assert_eq!(bools(&i.lt(2.5)), vec![true, true, false]);
    assert_eq!(
        bools(&i.eq(&Array::from([1.0f32, 2.5, 3.0]))),
        vec![true, false, true]
    );
    assert_eq!(bools(&Array::from([255u8]).eq(255)), vec![true]);
    let f = Array::from([f32::NAN, 1.0]);
    assert_eq!(bools(&f.eq(&f)), vec![false, true]);
    assert_eq!(bools(&f.ne(&f)), vec![true, false]);
    assert_eq!(bools(&f.lt(f32::INFINITY)), vec![false, true]);
    assert_eq!(bools(&f.ge(f64::NAN)), vec![false, false]);
    let h = Array::from([half::f16::from_f32(0.5)]);
    assert_eq!(
        bools(&h.gt(&Array::from([half::bf16::from_f32(0.25)]))),
        vec![true]
    );
}

#[test]
fn logical_ops_match_reference() {
    let mut rng = TestRng::new(2);
    for dt in DType::ALL {
        let a = rand_of(&mut rng, &[2, 5], dt);
        let b = rand_of(&mut rng, &[5], DType::I32);
        let (va, vb) = (values(&a), values(&b));
        for (_, x) in layouts(&a) {
            let want = |f: fn(bool, bool) -> bool| -> Vec<bool> {
                (0..10).map(|i| f(va[i] != 0.0, vb[i % 5] != 0.0)).collect()
            };
            assert_eq!(bools(&x.logical_and(&b)), want(|p, q| p & q));
            assert_eq!(bools(&x.logical_or(&b)), want(|p, q| p | q));
            assert_eq!(bools(&x.logical_xor(&b)), want(|p, q| p ^ q));
            let not: Vec<bool> = va.iter().map(|&v| v == 0.0).collect();
            assert_eq!(bools(&x.logical_not()), not);
        }
    }
    assert_eq!(
        bools(&Array::from([0.0f32, 2.0]).logical_and(1)),
        vec![false, true]
    );
}

#[test]
fn where_cond_broadcasts_three_ways_and_promotes() {
    let mut rng = TestRng::new(3);
    let c = rand_of(&mut rng, &[3, 1, 4], DType::Bool);
    let x = rand_f64(&mut rng, &[2, 4]).to_dtype(DType::F32);
    let y = rand_of(&mut rng, &[3, 2, 1], DType::I64);
    let (vc, vx, vy) = (values(&c), values(&x), values(&y));
    let want: Vec<f64> = (0..24)
        .map(|i| {
            let idx = unravel(i, &[3, 2, 4]);
            let cv = vc[ravel(&[idx[0], 0, idx[2]], &[3, 1, 4])];
            if cv != 0.0 {
                vx[ravel(&[idx[1], idx[2]], &[2, 4])]
            } else {
                vy[ravel(&[idx[0], idx[1], 0], &[3, 2, 1])]
            }
        })
        .collect();
    for (_, lc) in layouts(&c) {
        for (_, lx) in layouts(&x) {
            for (_, ly) in layouts(&y) {
                let got = Array::where_cond(&lc, &lx, &ly);
                assert_eq!(got.dtype(), DType::F32);
                assert_eq!(got.shape(), &[3, 2, 4]);
                assert_close(&values(&got), &want, 0.0, 0.0);
            }
        }
    }
    let s = Array::where_cond(&Array::from([true, false]), 1i64, 2i64);
    assert_eq!(s.dtype(), DType::I64);
    assert_eq!(s.to_vec::<i64>(), vec![1, 2]);
    let h = Array::where_cond(&Array::from([false]), &Array::from([half::f16::ONE]), 0.5);
    assert_eq!(h.dtype(), DType::F16);
}

#[test]
#[should_panic(expected = "where_cond: the condition must be a Bool array")]
fn where_cond_needs_bool() {
    Array::where_cond(&Array::from([1i64]), 1.0, 0.0);
}

#[test]
fn masked_fill_matches_reference() {
    let mut rng = TestRng::new(4);
    for dt in DType::ALL {
        let a = rand_of(&mut rng, &[3, 4], dt);
        let m = rand_of(&mut rng, &[4], DType::Bool);
        let (va, vm) = (values(&a), values(&m));
        let fill = if dt == DType::Bool { 1.0 } else { 7.0 };
        let want: Vec<f64> = (0..12)
            .map(|i| if vm[i % 4] != 0.0 { fill } else { va[i] })
            .collect();
        for (_, x) in layouts(&a) {
            let got = x.masked_fill(&m, 7);
            assert_eq!(got.dtype(), dt);
            assert_eq!(values(&got), want);
            let before = x.version();
            x.masked_fill_(&m, 7);
            assert_eq!(values(&x), want, "{dt}");
            assert!(x.version() > before);
        }
    }
    // Out of place broadcasts self against a larger mask, as PyTorch.
    let r = Array::from([1.0f32, 2.0]).masked_fill(&Array::from([[true, false], [false, true]]), 0);
    assert_eq!(r.to_vec::<f32>(), vec![0.0, 2.0, 1.0, 0.0]);
}

#[test]
#[should_panic(expected = "masked_fill_: only Bool masks are supported")]
fn masked_fill_needs_bool_mask() {
    Array::from([1.0f32]).masked_fill_(&Array::from([1u8]), 0.0);
}

#[test]
#[should_panic(expected = "an in-place op cannot grow its destination")]
fn masked_fill_inplace_cannot_grow() {
    Array::from([1.0f32, 2.0]).masked_fill_(&Array::from([[true, false], [false, true]]), 0.0);
}

fn lerp_ref(s: f64, e: f64, w: f64) -> f64 {
    if w.abs() < 0.5 {
        s + w * (e - s)
    } else {
        e - (e - s) * (1.0 - w)
    }
}

#[test]
fn lerp_matches_reference_scalar_and_array_weight() {
    let mut rng = TestRng::new(5);
    let a = rand_f64(&mut rng, &[3, 4]);
    let e = rand_f64(&mut rng, &[4]);
    let w = rand_f64(&mut rng, &[3, 1]).mul(1.5);
    let (va, ve, vw) = (values(&a), values(&e), values(&w));
    for (dt, tol) in [
        (DType::F64, 1e-12),
        (DType::F32, 1e-6),
        (DType::F16, 2e-3),
        (DType::BF16, 2e-2),
    ] {
        let (ad, ed, wd) = (a.to_dtype(dt), e.to_dtype(dt), w.to_dtype(dt));
        let (va, ve, vw) = if dt == DType::F64 {
            (va.clone(), ve.clone(), vw.clone())
        } else {
            (values(&ad), values(&ed), values(&wd))
        };
        let want_s: Vec<f64> = (0..12).map(|i| lerp_ref(va[i], ve[i % 4], 0.75)).collect();
        let want_a: Vec<f64> = (0..12)
            .map(|i| lerp_ref(va[i], ve[i % 4], vw[i / 4]))
            .collect();
        for (_, x) in layouts(&ad) {
            assert_close(&values(&x.lerp(&ed, 0.75)), &want_s, tol, tol);
            assert_close(&values(&x.lerp(&ed, &wd)), &want_a, tol, tol);
            let y = x.clone_array();
            y.lerp_(&ed, &wd);
            assert_close(&values(&y), &want_a, tol, tol);
            x.lerp_(&ed, 0.75);
            assert_close(&values(&x), &want_s, tol, tol);
        }
    }
}

#[test]
#[should_panic(expected = "lerp: expected dtype float32 for `end` but got dtype float64")]
fn lerp_refuses_mixed_dtypes() {
    Array::from([1.0f32]).lerp(&Array::from([1.0f64]), 0.5);
}

#[test]
#[should_panic(expected = "lerp: expected a floating-point array")]
fn lerp_refuses_ints() {
    Array::from([1i64]).lerp(&Array::from([2i64]), 0.5);
}

#[test]
fn addcmul_addcdiv_match_reference() {
    let mut rng = TestRng::new(6);
    let s = rand_f64(&mut rng, &[2, 3]);
    let t1 = rand_f64(&mut rng, &[3]);
    let t2 = rand_f64(&mut rng, &[2, 1]).add(2.0);
    for (dt, tol) in [
        (DType::F64, 1e-12),
        (DType::F32, 1e-6),
        (DType::F16, 3e-3),
        (DType::BF16, 3e-2),
    ] {
        let (sd, ad, bd) = (s.to_dtype(dt), t1.to_dtype(dt), t2.to_dtype(dt));
        let (vs, va, vb) = (values(&sd), values(&ad), values(&bd));
        let mul: Vec<f64> = (0..6)
            .map(|i| vs[i] + 0.5 * va[i % 3] * vb[i / 3])
            .collect();
        let div: Vec<f64> = (0..6)
            .map(|i| vs[i] + 0.5 * va[i % 3] / vb[i / 3])
            .collect();
        for (_, x) in layouts(&sd) {
            for (_, y) in layouts(&ad) {
                assert_close(&values(&x.addcmul(&y, &bd, 0.5)), &mul, tol, tol);
                assert_close(&values(&x.addcdiv(&y, &bd, 0.5)), &div, tol, tol);
            }
            let z = x.clone_array();
            z.addcdiv_(&ad, &bd, 0.5);
            assert_close(&values(&z), &div, tol, tol);
            x.addcmul_(&ad, &bd, 0.5);
            assert_close(&values(&x), &mul, tol, tol);
        }
    }
    let i = Array::from([1i64, 2]);
    let r = i.addcmul(&Array::from([3i64, 4]), &Array::from([5i64, 6]), 2);
    assert_eq!(r.to_vec::<i64>(), vec![31, 50]);
    i.addcmul_(&Array::from([1i32, 1]), &Array::from([2i32, 2]), 1);
    assert_eq!(i.to_vec::<i64>(), vec![3, 4]);
    // Promotion: int self with float tensors gives float out of place.
    assert_eq!(
        Array::from([1i64])
            .addcmul(&Array::from([1.0f32]), &Array::from([1.0f32]), 1)
            .dtype(),
        DType::F32
    );
}

#[test]
fn inplace_fused_ops_see_aliased_operands() {
    let p = Array::from([1.0f32, 2.0, 3.0]);
    p.addcmul_(&p, &p, 1.0); // p + p*p
    assert_eq!(p.to_vec::<f32>(), vec![2.0, 6.0, 12.0]);
    let q = Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    q.t().addcdiv_(&q, &Array::from([1.0f32]), 1.0); // q^T + q through a strided view
    assert_eq!(q.to_vec::<f32>(), vec![2.0, 5.0, 5.0, 8.0]);
}

#[test]
#[should_panic(expected = "addcdiv: integer division with addcdiv is not supported")]
fn addcdiv_refuses_ints() {
    Array::from([1i64]).addcdiv(&Array::from([1i64]), &Array::from([1i64]), 1);
}

#[test]
#[should_panic(expected = "addcmul_: the result type float32 cannot be cast")]
fn addcmul_inplace_refuses_downcast_category() {
    Array::from([1i64]).addcmul_(&Array::from([1.0f32]), &Array::from([1.0f32]), 1);
}
