//! Creation ops (linspace, eye, *_like) against hand-computed values and values printed by
//! PyTorch.

mod common;
use common::*;
use ember_tensor::{Array, DType, bf16, f16};

#[test]
fn linspace_f32_matches_pytorch_bit_for_bit() {
    // torch.linspace(0, 1, 7).tolist()
    let want = [
        0.0,
        0.1666666716337204,
        0.3333333432674408,
        0.5,
        0.6666666269302368,
        0.8333333134651184,
        1.0,
    ];
    let got = Array::linspace(0.0, 1.0, 7, DType::F32);
    assert_eq!(got.dtype(), DType::F32);
    assert_eq!(values(&got), want);
    // torch.linspace(-3.3, 7.1, 9).tolist()
    let want = [
        -3.299999952316284,
        -2.0,
        -0.7000000476837158,
        0.5999999046325684,
        1.9000000953674316,
        3.200000047683716,
        4.5,
        5.800000190734863,
        7.099999904632568,
    ];
    assert_eq!(values(&Array::linspace(-3.3, 7.1, 9, DType::F32)), want);
}

#[test]
fn linspace_f64_is_start_plus_i_step_then_end_minus() {
    let (s, e, n) = (-2.0f64, 5.0f64, 8usize);
    let step = (e - s) / (n - 1) as f64;
    let want: Vec<f64> = (0..n)
        .map(|i| {
            if i < n / 2 {
                s + step * i as f64
            } else {
                e - step * (n - 1 - i) as f64
            }
        })
        .collect();
    assert_eq!(Array::linspace(s, e, n, DType::F64).to_vec::<f64>(), want);
    // Decreasing ranges work too, and both endpoints are exact.
    let d = Array::linspace(1.0, -1.0, 3, DType::F64).to_vec::<f64>();
    assert_eq!(d, vec![1.0, 0.0, -1.0]);
}

#[test]
fn linspace_half_types_match_pytorch() {
    // torch.linspace(0, 1, 7, dtype=torch.float16).tolist()
    let want16 = [
        0.0,
        0.1666259765625,
        0.333251953125,
        0.5,
        0.66650390625,
        0.83349609375,
        1.0,
    ];
    assert_eq!(values(&Array::linspace(0.0, 1.0, 7, DType::F16)), want16);
    // torch.linspace(-3.3, 7.1, 9, dtype=torch.float16).tolist()
    let want16b = [
        -3.30078125,
        -2.0,
        -0.7001953125,
        0.60009765625,
        1.900390625,
        3.201171875,
        4.5,
        5.80078125,
        7.1015625,
    ];
    assert_eq!(values(&Array::linspace(-3.3, 7.1, 9, DType::F16)), want16b);
    // torch.linspace(0, 1, 7, dtype=torch.bfloat16).tolist()
    let want_bf = [
        0.0,
        0.1669921875,
        0.333984375,
        0.5,
        0.66796875,
        0.83203125,
        1.0,
    ];
    let got = Array::linspace(0.0, 1.0, 7, DType::BF16);
    assert_eq!(got.dtype(), DType::BF16);
    assert_eq!(values(&got), want_bf);
    // torch.linspace(-3.3, 7.1, 9, dtype=torch.bfloat16).tolist()
    let want_bf2 = [
        -3.296875,
        -2.0,
        -0.69921875,
        0.6015625,
        1.8984375,
        3.203125,
        4.5,
        5.78125,
        7.09375,
    ];
    assert_eq!(
        values(&Array::linspace(-3.3, 7.1, 9, DType::BF16)),
        want_bf2
    );
}

#[test]
fn linspace_integer_dtypes_truncate_like_pytorch() {
    // torch.linspace(0, 10, 4, dtype=torch.int64)
    assert_eq!(
        Array::linspace(0.0, 10.0, 4, DType::I64).to_vec::<i64>(),
        vec![0, 3, 6, 10]
    );
    // torch.linspace(0, -7, 4, dtype=torch.int32)
    assert_eq!(
        Array::linspace(0.0, -7.0, 4, DType::I32).to_vec::<i32>(),
        vec![0, -2, -4, -7]
    );
    // torch.linspace(0, 255, 7, dtype=torch.uint8)
    assert_eq!(
        Array::linspace(0.0, 255.0, 7, DType::U8).to_vec::<u8>(),
        vec![0, 42, 85, 127, 170, 212, 255]
    );
    // torch.linspace(-3.3, 7.1, 9, dtype=torch.int64): the endpoints are converted first.
    assert_eq!(
        Array::linspace(-3.3, 7.1, 9, DType::I64).to_vec::<i64>(),
        vec![-3, -1, 0, 0, 2, 3, 4, 5, 7]
    );
}

#[test]
fn linspace_zero_and_one_steps() {
    for dt in [DType::F32, DType::F64, DType::F16, DType::I64, DType::U8] {
        let e = Array::linspace(0.0, 1.0, 0, dt);
        assert_eq!((e.shape(), e.dtype()), (&[0usize][..], dt));
        let one = Array::linspace(3.0, 5.0, 1, dt);
        assert_eq!(one.shape(), &[1]);
        assert_eq!(values(&one), vec![3.0]);
    }
}

#[test]
#[should_panic(expected = "linspace: not implemented for dtype bool")]
fn linspace_bool_is_refused() {
    Array::linspace(0.0, 1.0, 3, DType::Bool);
}

#[test]
fn eye_matches_a_naive_loop_for_every_shape_and_dtype() {
    for (n, m) in [
        (0, None),
        (1, None),
        (3, None),
        (2, Some(4)),
        (4, Some(2)),
        (3, Some(0)),
    ] {
        for dt in DType::ALL {
            let a = Array::eye(n, m, dt);
            let mm = m.unwrap_or(n);
            assert_eq!(a.shape(), &[n, mm]);
            assert_eq!(a.dtype(), dt);
            let want: Vec<f64> = (0..n * mm)
                .map(|k| if k / mm == k % mm { 1.0 } else { 0.0 })
                .collect();
            assert_eq!(values(&a), want, "eye({n}, {m:?}, {dt})");
        }
    }
}

#[test]
fn like_constructors_keep_shape_and_dtype_and_are_contiguous() {
    let mut rng = TestRng::new(11);
    for dt in DType::ALL {
        let a = rand_of(&mut rng, &[3, 4], dt);
        for (name, x) in layouts(&a) {
            let x = x.unsqueeze(1); // a size-1 dim too
            let cases = [
                ("zeros_like", x.zeros_like(), Some(0.0)),
                ("ones_like", x.ones_like(), Some(1.0)),
                ("full_like", x.full_like(1), Some(1.0)),
                ("empty_like", x.empty_like(), None),
            ];
            for (op, y, fill) in cases {
                assert_eq!(y.shape(), &[3, 1, 4], "{op} of {name} {dt}");
                assert_eq!(y.dtype(), dt, "{op} of {name}");
                assert!(y.is_contiguous(), "{op} of {name}");
                assert!(!y.shares_storage(&x), "{op} of {name}");
                if let Some(v) = fill {
                    assert!(values(&y).iter().all(|&e| e == v), "{op} of {name} {dt}");
                }
            }
            // The source is untouched.
            assert_eq!(values(&x.select(1, 0)), values(&a));
        }
    }
}

#[test]
fn full_like_converts_the_value_to_the_dtype() {
    let f = Array::from([1.0f32, 2.0]).full_like(2.75);
    assert_eq!(f.to_vec::<f32>(), vec![2.75, 2.75]);
    let i = Array::from([1i32, 2]).full_like(2.75);
    assert_eq!(i.to_vec::<i32>(), vec![2, 2]);
    let h = Array::from([f16::ONE]).full_like(0.5);
    assert_eq!(h.to_vec::<f16>(), vec![f16::from_f32(0.5)]);
    let b = Array::from([bf16::ONE, bf16::ZERO]).full_like(-1);
    assert_eq!(b.to_vec::<bf16>(), vec![bf16::from_f32(-1.0); 2]);
}

#[test]
fn like_constructors_of_empty_and_zero_dim_arrays() {
    let e = Array::zeros(&[2, 0, 3], DType::F64);
    assert_eq!(e.ones_like().shape(), &[2, 0, 3]);
    let s = Array::scalar(5i64);
    let z = s.zeros_like();
    assert_eq!(z.ndim(), 0);
    assert_eq!(z.item::<i64>(), 0);
    assert_eq!(s.full_like(9).item::<i64>(), 9);
}
