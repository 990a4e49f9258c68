//! `Display` against strings printed by real PyTorch 2.15 (`print(torch.tensor(...))` with the
//! default print options). Each expected string was produced by the Python expression in the
//! comment above it.

use ember_tensor::{Array, DType};

#[track_caller]
fn check(a: Array, want: &str) {
    assert_eq!(
        a.to_string(),
        want,
        "\n--- got ---\n{a}\n--- want ---\n{want}"
    );
    assert_eq!(format!("{a:?}"), want, "Debug delegates to Display");
}

#[test]
fn display_matches_pytorch() {
    // torch.tensor([[1.0, -2.5], [3.0, 4.0]])
    check(
        Array::from([[1.0f32, -2.5], [3.0, 4.0]]),
        r#"tensor([[ 1.0000, -2.5000],
        [ 3.0000,  4.0000]])"#,
    );
    // torch.tensor([1.0, 2.0, 3.0])
    check(Array::from([1.0f32, 2.0, 3.0]), r#"tensor([1., 2., 3.])"#);
    // torch.tensor([[1, 2], [30, -4]])
    check(
        Array::from([[1i64, 2], [30, -4]]),
        r#"tensor([[ 1,  2],
        [30, -4]])"#,
    );
    // torch.tensor([True, False, True])
    check(
        Array::from([true, false, true]),
        r#"tensor([ True, False,  True])"#,
    );
    // torch.tensor([[True, False], [False, True]])
    check(
        Array::from([[true, false], [false, true]]),
        r#"tensor([[ True, False],
        [False,  True]])"#,
    );
    // torch.tensor([1e-5, 1.0, 123.25])
    check(
        Array::from([1e-5f32, 1.0, 123.25]),
        r#"tensor([1.0000e-05, 1.0000e+00, 1.2325e+02])"#,
    );
    // torch.tensor([1e9, 2.0])
    check(
        Array::from([1e9f32, 2.0]),
        r#"tensor([1.0000e+09, 2.0000e+00])"#,
    );
    // torch.tensor([0.5, 1500.0])
    check(
        Array::from([0.5f32, 1500.0]),
        r#"tensor([5.0000e-01, 1.5000e+03])"#,
    );
    // torch.tensor([123456789.0, 1.0])
    check(
        Array::from([123456789.0f32, 1.0]),
        r#"tensor([1.2346e+08, 1.0000e+00])"#,
    );
    // torch.tensor([1e-10, 0.0], dtype=torch.float64)
    check(
        Array::from([1e-10f64, 0.0]),
        r#"tensor([1.0000e-10, 0.0000e+00], dtype=torch.float64)"#,
    );
    // torch.arange(2000, dtype=torch.float32)
    check(
        Array::arange(0.0, 2000.0, 1.0, DType::F32),
        r#"tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,
        1.9990e+03])"#,
    );
    // torch.arange(2000, dtype=torch.float32).reshape(40, 50)
    check(
        Array::arange(0.0, 2000.0, 1.0, DType::F32).reshape(&[40, 50]),
        r#"tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,
         4.9000e+01],
        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,
         9.9000e+01],
        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,
         1.4900e+02],
        ...,
        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,
         1.8990e+03],
        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,
         1.9490e+03],
        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,
         1.9990e+03]])"#,
    );
    // torch.arange(1100).reshape(11, 100)
    check(
        Array::arange(0.0, 1100.0, 1.0, DType::I64).reshape(&[11, 100]),
        r#"tensor([[   0,    1,    2,  ...,   97,   98,   99],
        [ 100,  101,  102,  ...,  197,  198,  199],
        [ 200,  201,  202,  ...,  297,  298,  299],
        ...,
        [ 800,  801,  802,  ...,  897,  898,  899],
        [ 900,  901,  902,  ...,  997,  998,  999],
        [1000, 1001, 1002,  ..., 1097, 1098, 1099]])"#,
    );
    // (torch.arange(1001) - 500).reshape(7, 11, 13) / 8
    check(
        Array::arange(-500.0, 501.0, 1.0, DType::F32)
            .reshape(&[7, 11, 13])
            .div(8.0),
        r#"tensor([[[-62.5000, -62.3750, -62.2500,  ..., -61.2500, -61.1250, -61.0000],
         [-60.8750, -60.7500, -60.6250,  ..., -59.6250, -59.5000, -59.3750],
         [-59.2500, -59.1250, -59.0000,  ..., -58.0000, -57.8750, -57.7500],
         ...,
         [-49.5000, -49.3750, -49.2500,  ..., -48.2500, -48.1250, -48.0000],
         [-47.8750, -47.7500, -47.6250,  ..., -46.6250, -46.5000, -46.3750],
         [-46.2500, -46.1250, -46.0000,  ..., -45.0000, -44.8750, -44.7500]],

        [[-44.6250, -44.5000, -44.3750,  ..., -43.3750, -43.2500, -43.1250],
         [-43.0000, -42.8750, -42.7500,  ..., -41.7500, -41.6250, -41.5000],
         [-41.3750, -41.2500, -41.1250,  ..., -40.1250, -40.0000, -39.8750],
         ...,
         [-31.6250, -31.5000, -31.3750,  ..., -30.3750, -30.2500, -30.1250],
         [-30.0000, -29.8750, -29.7500,  ..., -28.7500, -28.6250, -28.5000],
         [-28.3750, -28.2500, -28.1250,  ..., -27.1250, -27.0000, -26.8750]],

        [[-26.7500, -26.6250, -26.5000,  ..., -25.5000, -25.3750, -25.2500],
         [-25.1250, -25.0000, -24.8750,  ..., -23.8750, -23.7500, -23.6250],
         [-23.5000, -23.3750, -23.2500,  ..., -22.2500, -22.1250, -22.0000],
         ...,
         [-13.7500, -13.6250, -13.5000,  ..., -12.5000, -12.3750, -12.2500],
         [-12.1250, -12.0000, -11.8750,  ..., -10.8750, -10.7500, -10.6250],
         [-10.5000, -10.3750, -10.2500,  ...,  -9.2500,  -9.1250,  -9.0000]],

        ...,

        [[  9.0000,   9.1250,   9.2500,  ...,  10.2500,  10.3750,  10.5000],
         [ 10.6250,  10.7500,  10.8750,  ...,  11.8750,  12.0000,  12.1250],
         [ 12.2500,  12.3750,  12.5000,  ...,  13.5000,  13.6250,  13.7500],
         ...,
         [ 22.0000,  22.1250,  22.2500,  ...,  23.2500,  23.3750,  23.5000],
         [ 23.6250,  23.7500,  23.8750,  ...,  24.8750,  25.0000,  25.1250],
         [ 25.2500,  25.3750,  25.5000,  ...,  26.5000,  26.6250,  26.7500]],

        [[ 26.8750,  27.0000,  27.1250,  ...,  28.1250,  28.2500,  28.3750],
         [ 28.5000,  28.6250,  28.7500,  ...,  29.7500,  29.8750,  30.0000],
         [ 30.1250,  30.2500,  30.3750,  ...,  31.3750,  31.5000,  31.6250],
         ...,
         [ 39.8750,  40.0000,  40.1250,  ...,  41.1250,  41.2500,  41.3750],
         [ 41.5000,  41.6250,  41.7500,  ...,  42.7500,  42.8750,  43.0000],
         [ 43.1250,  43.2500,  43.3750,  ...,  44.3750,  44.5000,  44.6250]],

        [[ 44.7500,  44.8750,  45.0000,  ...,  46.0000,  46.1250,  46.2500],
         [ 46.3750,  46.5000,  46.6250,  ...,  47.6250,  47.7500,  47.8750],
         [ 48.0000,  48.1250,  48.2500,  ...,  49.2500,  49.3750,  49.5000],
         ...,
         [ 57.7500,  57.8750,  58.0000,  ...,  59.0000,  59.1250,  59.2500],
         [ 59.3750,  59.5000,  59.6250,  ...,  60.6250,  60.7500,  60.8750],
         [ 61.0000,  61.1250,  61.2500,  ...,  62.2500,  62.3750,  62.5000]]])"#,
    );
    // torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 4
    check(
        Array::arange(0.0, 24.0, 1.0, DType::F32)
            .reshape(&[2, 3, 4])
            .div(4.0),
        r#"tensor([[[0.0000, 0.2500, 0.5000, 0.7500],
         [1.0000, 1.2500, 1.5000, 1.7500],
         [2.0000, 2.2500, 2.5000, 2.7500]],

        [[3.0000, 3.2500, 3.5000, 3.7500],
         [4.0000, 4.2500, 4.5000, 4.7500],
         [5.0000, 5.2500, 5.5000, 5.7500]]])"#,
    );
    // torch.arange(16, dtype=torch.float32).reshape(2, 2, 2, 2)
    check(
        Array::arange(0.0, 16.0, 1.0, DType::F32).reshape(&[2, 2, 2, 2]),
        r#"tensor([[[[ 0.,  1.],
          [ 2.,  3.]],

         [[ 4.,  5.],
          [ 6.,  7.]]],


        [[[ 8.,  9.],
          [10., 11.]],

         [[12., 13.],
          [14., 15.]]]])"#,
    );
    // torch.tensor([1.5, -2.25], dtype=torch.float64)
    check(
        Array::from([1.5f64, -2.25]),
        r#"tensor([ 1.5000, -2.2500], dtype=torch.float64)"#,
    );
    // torch.tensor([-1.0, -0.125, 0.0])
    check(
        Array::from([-1.0f32, -0.125, 0.0]),
        r#"tensor([-1.0000, -0.1250,  0.0000])"#,
    );
    // torch.tensor([nan, inf, -inf, 1.5])
    check(
        Array::from([f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.5]),
        r#"tensor([   nan,    inf,   -inf, 1.5000])"#,
    );
    // torch.tensor([nan, 2.0])
    check(Array::from([f32::NAN, 2.0]), r#"tensor([nan, 2.])"#);
    // torch.tensor([nan, inf])
    check(
        Array::from([f32::NAN, f32::INFINITY]),
        r#"tensor([nan, inf])"#,
    );
    // torch.tensor([1e-5, nan])
    check(
        Array::from([1e-5f32, f32::NAN]),
        r#"tensor([1.0000e-05,        nan])"#,
    );
    // torch.tensor(1.5)
    check(Array::scalar(1.5f32), r#"tensor(1.5000)"#);
    // torch.tensor(7)
    check(Array::scalar(7i64), r#"tensor(7)"#);
    // torch.tensor(3, dtype=torch.int32)
    check(Array::scalar(3i32), r#"tensor(3, dtype=torch.int32)"#);
    // torch.tensor(nan)
    check(Array::scalar(f32::NAN), r#"tensor(nan)"#);
    // torch.tensor(True)
    check(Array::scalar(true), r#"tensor(True)"#);
    // torch.tensor(2.0, dtype=torch.float64)
    check(Array::scalar(2.0f64), r#"tensor(2., dtype=torch.float64)"#);
    // torch.tensor([])
    check(Array::zeros(&[0], DType::F32), r#"tensor([])"#);
    // torch.zeros(0, 3)
    check(
        Array::zeros(&[0, 3], DType::F32),
        r#"tensor([], size=(0, 3))"#,
    );
    // torch.zeros(0, 3, dtype=torch.int64)
    check(
        Array::zeros(&[0, 3], DType::I64),
        r#"tensor([], size=(0, 3), dtype=torch.int64)"#,
    );
    // torch.zeros(2, 0, 1, dtype=torch.float64)
    check(
        Array::zeros(&[2, 0, 1], DType::F64),
        r#"tensor([], size=(2, 0, 1), dtype=torch.float64)"#,
    );
    // torch.tensor([], dtype=torch.bool)
    check(
        Array::zeros(&[0], DType::Bool),
        r#"tensor([], dtype=torch.bool)"#,
    );
    // torch.tensor([1, 2, 3], dtype=torch.int32)
    check(
        Array::from([1i32, 2, 3]),
        r#"tensor([1, 2, 3], dtype=torch.int32)"#,
    );
    // torch.tensor([0, 255], dtype=torch.uint8)
    check(
        Array::from([0u8, 255]),
        r#"tensor([  0, 255], dtype=torch.uint8)"#,
    );
    // torch.tensor([0.1, 0.2], dtype=torch.float16)
    check(
        Array::from([0.1f32, 0.2]).to_dtype(DType::F16),
        r#"tensor([0.1000, 0.2000], dtype=torch.float16)"#,
    );
    // torch.tensor([1.0, 3.140625], dtype=torch.bfloat16)
    check(
        Array::from([1.0f32, 3.140625]).to_dtype(DType::BF16),
        r#"tensor([1.0000, 3.1406], dtype=torch.bfloat16)"#,
    );
    // torch.tensor([65504.0, 1.0], dtype=torch.float16)
    check(
        Array::from([65504.0f32, 1.0]).to_dtype(DType::F16),
        r#"tensor([6.5504e+04, 1.0000e+00], dtype=torch.float16)"#,
    );
    // torch.arange(30, dtype=torch.float32) / 7
    check(
        Array::arange(0.0, 30.0, 1.0, DType::F32).div(7.0),
        r#"tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,
        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,
        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,
        3.8571, 4.0000, 4.1429])"#,
    );
    // torch.arange(9, dtype=torch.float64) / 7
    check(
        Array::arange(0.0, 9.0, 1.0, DType::F64).div(7.0),
        r#"tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429],
       dtype=torch.float64)"#,
    );
    // torch.arange(40, dtype=torch.int32) * 1000
    check(
        Array::arange(0.0, 40000.0, 1000.0, DType::I32),
        r#"tensor([    0,  1000,  2000,  3000,  4000,  5000,  6000,  7000,  8000,  9000,
        10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000, 19000,
        20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000,
        30000, 31000, 32000, 33000, 34000, 35000, 36000, 37000, 38000, 39000],
       dtype=torch.int32)"#,
    );
    // torch.tensor([0.0, -0.0])
    check(Array::from([0.0f32, -0.0]), r#"tensor([0., -0.])"#);
    // torch.tensor([0.0, 0.0])
    check(Array::from([0.0f32, 0.0]), r#"tensor([0., 0.])"#);
    // torch.tensor([1.25, 2.5]).reshape(2, 1).t()
    check(
        Array::from([[1.25f32], [2.5]]).t(),
        r#"tensor([[1.2500, 2.5000]])"#,
    );
    // torch.tensor([[1.0, 2.0], [3.0, 4.0]]).t()
    check(
        Array::from([[1.0f32, 2.0], [3.0, 4.0]]).t(),
        r#"tensor([[1., 3.],
        [2., 4.]])"#,
    );
    // torch.tensor([100000.0, 1.0])
    check(
        Array::from([100000.0f32, 1.0]),
        r#"tensor([1.0000e+05, 1.0000e+00])"#,
    );
    // torch.tensor([1000.0, 1.0])
    check(Array::from([1000.0f32, 1.0]), r#"tensor([1000.,    1.])"#);
    // torch.tensor([1001.0, 1.0])
    check(
        Array::from([1001.0f32, 1.0]),
        r#"tensor([1.0010e+03, 1.0000e+00])"#,
    );
    // torch.tensor([0.3333333, 1234.5])
    check(
        Array::from([0.3333333f32, 1234.5]),
        r#"tensor([3.3333e-01, 1.2345e+03])"#,
    );
    // torch.tensor([-12345678])
    check(Array::from([-12345678i64]), r#"tensor([-12345678])"#);
}
