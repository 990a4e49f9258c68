//! Element-wise unary and binary ops against naive references, over layouts and dtypes.

mod common;
use common::*;
use ember_tensor::{Array, DType};

#[test]
fn binary_ops_broadcast_over_layouts_match_reference() {
    let mut rng = TestRng::new(1);
    let a = rand_f64(&mut rng, &[3, 4]);
    let b = rand_f64(&mut rng, &[4]);
    let (va, vb) = (values(&a), values(&b));
    type Op = (
        &'static str,
        fn(&Array, &Array) -> Array,
        fn(f64, f64) -> f64,
    );
    let ops: [Op; 6] = [
        ("add", |x, y| x.add(y), |x, y| x + y),
        ("sub", |x, y| x.sub(y), |x, y| x - y),
        ("mul", |x, y| x.mul(y), |x, y| x * y),
        ("div", |x, y| x.div(y), |x, y| x / y),
        ("maximum", |x, y| x.maximum(y), f64::max),
        ("atan2", |x, y| x.atan2(y), f64::atan2),
    ];
    for (name, f, r) in ops {
        let want: Vec<f64> = (0..12).map(|i| r(va[i], vb[i % 4])).collect();
        for (la, xa) in layouts(&a) {
            for (lb, xb) in layouts(&b) {
                for dt in [DType::F64, DType::F32] {
                    let got = f(&xa.to_dtype(dt), &xb.to_dtype(dt));
                    assert_eq!(got.dtype(), dt);
                    assert_eq!(got.shape(), &[3, 4]);
                    let tol = if dt == DType::F64 { 1e-12 } else { 1e-5 };
                    assert_close(&values(&got), &want, tol, tol);
                    let _ = (name, la, lb);
                }
            }
        }
    }
}

#[test]
fn inplace_writes_through_a_strided_view() {
    let base = Array::zeros(&[4, 4], DType::F32);
    let col = base.as_strided(&[4], &[4], 1); // column 1
    col.add_(&Array::from([1.0f32, 2.0, 3.0, 4.0]));
    let v = base.to_vec::<f32>();
    for r in 0..4 {
        for c in 0..4 {
            assert_eq!(v[r * 4 + c], if c == 1 { (r + 1) as f32 } else { 0.0 });
        }
    }
}

#[test]
#[should_panic(expected = "more than one element refers to the same memory location")]
fn inplace_into_expanded_view_is_refused() {
    Array::zeros(&[1, 3], DType::F32).expand(&[2, 3]).add_(1.0);
}

#[test]
#[should_panic(expected = "cannot be broadcast")]
fn broadcast_error_names_the_op_and_shapes() {
    Array::zeros(&[3], DType::F32).mul(&Array::zeros(&[4], DType::F32));
}

#[test]
fn unary_float_ops_match_std_for_every_float_dtype() {
    let mut rng = TestRng::new(2);
    let a = rand_f64(&mut rng, &[5, 3]).mul(3.0);
    let va = values(&a);
    type Op = (fn(&Array) -> Array, fn(f64) -> f64);
    let ops: [Op; 6] = [
        (|x| x.exp(), f64::exp),
        (|x| x.tanh(), f64::tanh),
        (|x| x.sigmoid(), |x| 1.0 / (1.0 + (-x).exp())),
        (|x| x.abs().log1p(), |x| x.abs().ln_1p()),
        (|x| x.relu(), |x| x.max(0.0)),
        (
            |x| x.gelu(true),
            |x| {
                0.5 * x
                    * (1.0
                        + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x.powi(3))).tanh())
            },
        ),
    ];
    for (f, r) in ops {
        let want: Vec<f64> = va.iter().map(|&x| r(x)).collect();
        for (dt, tol) in [
            (DType::F64, 1e-12),
            (DType::F32, 1e-6),
            (DType::BF16, 2e-2),
            (DType::F16, 2e-3),
        ] {
            for (_, x) in layouts(&a.to_dtype(dt)) {
                let got = f(&x);
                assert_eq!(got.dtype(), dt);
                assert_close(&values(&got), &want, tol, tol);
            }
        }
    }
}

#[test]
fn promotion_follows_pytorch() {
    let i = Array::from([1i32, 2]);
    assert_eq!(i.add(0.5).dtype(), DType::F32);
    assert_eq!(i.add(1).dtype(), DType::I32);
    assert_eq!(i.add(&Array::from([1i64, 1])).dtype(), DType::I64);
    assert_eq!(i.add(&Array::scalar(1.5f64)).dtype(), DType::F64);
    assert_eq!(
        Array::from([1u8]).add(&Array::from([true])).dtype(),
        DType::U8
    );
    assert_eq!(
        Array::from([1.0f32]).add(&Array::scalar(2.0f64)).dtype(),
        DType::F32
    );
    assert_eq!(
        Array::from([half::f16::ONE])
            .add(&Array::from([half::bf16::ONE]))
            .dtype(),
        DType::F32
    );
    assert_eq!(i.div(2).to_vec::<f32>(), vec![0.5, 1.0]);
}

#[test]
#[should_panic(expected = "cannot be cast to the destination")]
fn inplace_int_with_float_is_refused() {
    Array::from([1i64]).add_(0.5);
}

#[test]
fn large_inputs_take_the_parallel_and_tiled_paths_and_match() {
    // 600 x 500 = 300k elements: above the parallel threshold; the transposed operand takes the
    // tiled traversal, the broadcast one the plain runs.
    let mut rng = TestRng::new(3);
    let a = rand_f64(&mut rng, &[500, 600]).to_dtype(DType::F32);
    let b = rand_f64(&mut rng, &[600]).to_dtype(DType::F32);
    let (va, vb) = (values(&a), values(&b));
    let got = values(&a.t().mul(&b.unsqueeze(1)).add(&a.t()).exp());
    for i in 0..600 {
        for j in 0..500 {
            let x = va[j * 600 + i];
            let want = (x * vb[i] + x).exp();
            let g = got[i * 500 + j];
            assert!(
                (g - want).abs() <= 1e-6 * want.abs(),
                "[{i}, {j}]: {g} vs {want}"
            );
        }
    }
}

/// The contiguous fast path of the element-wise engines reads from the view's storage offset,
/// on one thread and split over threads (the large case crosses the parallel threshold, so
/// each chunk must start at its own place in the input).
#[test]
fn contiguous_views_at_an_offset_read_their_own_elements() {
    for n in [16usize, 300_000] {
        let base: Vec<f32> = (0..n + 5).map(|i| (i % 1000) as f32 * 0.01).collect();
        let a = Array::from_vec(base.clone(), &[n + 5]);
        // Contiguous, starting at element 3 and at element 5 of the same storage.
        let (x, y) = (a.narrow(0, 3, n), a.narrow(0, 5, n));
        assert!(x.is_contiguous() && y.is_contiguous());
        let sum = x.add(&y).to_vec::<f32>();
        let scaled = x.mul(2.0).to_vec::<f32>();
        let th = x.tanh().to_vec::<f32>();
        for i in [0, 1, n / 2, n - 1] {
            assert_eq!(sum[i], base[i + 3] + base[i + 5], "add at {i} of {n}");
            assert_eq!(scaled[i], base[i + 3] * 2.0, "mul at {i} of {n}");
            assert!(
                (th[i] - base[i + 3].tanh()).abs() < 1e-6,
                "tanh at {i} of {n}"
            );
        }
    }
    // A size-1 dim with an odd stride is still contiguous.
    let a = Array::from_vec((0..12).map(|i| i as f64).collect(), &[3, 4]);
    let row = a.narrow(0, 1, 1); // [1, 4], offset 4
    assert_eq!(row.neg().to_vec::<f64>(), vec![-4.0, -5.0, -6.0, -7.0]);
    assert_eq!(row.mul(&row).to_vec::<f64>(), vec![16.0, 25.0, 36.0, 49.0]);
}
