//! `rotate` / `RandomRotation` against torchvision's own `F.rotate` (fixture made by
//! tools/gen_rotation_fixture.py), and against rotations whose result is known exactly.

use ember_autograd::{DType, Tensor};
use ember_data::seed_sample_rng;
use ember_data::transforms::{Interpolation, RandomRotation, RotateOptions, Transform, rotate};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn sizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn rotate_matches_torchvision() {
    let text = include_str!("fixtures/torchvision_rotate.json");
    let fixture: Value = serde_json::from_str(text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    for (n, c) in cases.iter().enumerate() {
        let shape = sizes(&c["shape"]);
        let data = floats(&c["data"]);
        let x = match c["dtype"].as_str().unwrap() {
            "float64" => Tensor::from_vec(data, &shape),
            "uint8" => Tensor::from_vec(data.iter().map(|&v| v as u8).collect(), &shape),
            d => panic!("fixture dtype {d}"),
        };
        let options = RotateOptions {
            interpolation: match c["mode"].as_str().unwrap() {
                "nearest" => Interpolation::Nearest,
                _ => Interpolation::Bilinear,
            },
            expand: c["expand"].as_bool().unwrap(),
            center: c["center"].as_array().map(|p| {
                let p: Vec<f64> = p.iter().map(|v| v.as_f64().unwrap()).collect();
                (p[0], p[1])
            }),
            fill: floats(&c["fill"]),
        };
        let angle = c["angle"].as_f64().unwrap();
        let got = rotate(&x, angle, &options);
        let what = format!("case {n}: {angle}° {options:?}");
        assert_eq!(got.shape(), sizes(&c["out_shape"]), "{what}");
        assert_eq!(got.dtype(), x.dtype(), "{what}");
        let want = floats(&c["out"]);
        let got = got.to_dtype(DType::F64).to_vec::<f64>();
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= 1e-9,
                "{what}: element {i}: {g} vs torchvision {w}"
            );
        }
    }
}

/// `[C, H, W]` holding `0, 1, 2, …`.
fn ramp(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|v| v as f32).collect(), shape)
}

#[test]
fn right_angles_permute_pixels_exactly() {
    let x = ramp(&[2, 4, 4]);
    let opts = RotateOptions::default();
    // 0° is the identity; 180° mirrors both axes; a quarter turn counter-clockwise is a
    // transpose then an upside-down flip; four quarter turns bring the image back.
    assert_eq!(rotate(&x, 0.0, &opts).to_vec::<f32>(), x.to_vec::<f32>());
    assert_eq!(
        rotate(&x, 180.0, &opts).to_vec::<f32>(),
        x.flip(&[-2, -1]).contiguous().to_vec::<f32>()
    );
    assert_eq!(
        rotate(&x, 90.0, &opts).to_vec::<f32>(),
        x.transpose(-2, -1).flip(&[-2]).contiguous().to_vec::<f32>()
    );
    let mut y = x.clone();
    for _ in 0..4 {
        y = rotate(&y, 90.0, &opts);
    }
    assert_eq!(y.to_vec::<f32>(), x.to_vec::<f32>());
    // With `expand`, a quarter turn of a 3×5 image is a 5×3 image holding every pixel once.
    let r = ramp(&[1, 3, 5]);
    let e = rotate(
        &r,
        -90.0,
        &RotateOptions {
            expand: true,
            ..Default::default()
        },
    );
    assert_eq!(e.shape(), [1, 5, 3]);
    assert_eq!(
        e.to_vec::<f32>(),
        r.transpose(-2, -1).flip(&[-1]).contiguous().to_vec::<f32>()
    );
}

#[test]
fn bilinear_blends_with_the_fill_through_the_coverage() {
    // torchvision samples the image with zeros outside, samples a mask of ones alike (the
    // coverage m of each output pixel), then outputs (sample - fill)·m + fill. For a uniform
    // image of value v, sample = v·m, so the output is (v·m - fill)·m + fill; ones with fill 0
    // give m² (the coverage itself, squared).
    let opts = |fill: f64| RotateOptions {
        interpolation: Interpolation::Bilinear,
        fill: vec![fill],
        ..Default::default()
    };
    let ones = rotate(&Tensor::ones(&[1, 9, 9], DType::F64), 45.0, &opts(0.0)).to_vec::<f64>();
    let tens = rotate(
        &Tensor::full(&[1, 9, 9], 10.0, DType::F64),
        45.0,
        &opts(2.0),
    )
    .to_vec::<f64>();
    assert_eq!(ones[4 * 9 + 4], 1.0);
    for corner in [0, 8, 72, 80] {
        assert_eq!(ones[corner], 0.0);
        assert_eq!(tens[corner], 2.0);
    }
    let partial = ones
        .iter()
        .filter(|&&m2| m2 > 1e-6 && m2 < 1.0 - 1e-6)
        .count();
    assert!(
        partial >= 8,
        "a 45° turn leaves partly covered pixels at the border"
    );
    for (&m2, &t) in ones.iter().zip(&tens) {
        let m = m2.sqrt();
        let want = (10.0 * m - 2.0) * m + 2.0;
        assert!((t - want).abs() < 1e-12, "{t} vs {want} at coverage {m}");
    }
}

#[test]
fn random_rotation_draws_from_the_sample_generator() {
    let x = ramp(&[1, 8, 8]);
    let t = RandomRotation::new(40.0).interpolation(Interpolation::Bilinear);
    seed_sample_rng(3);
    let a = t.apply(&x).to_vec::<f32>();
    seed_sample_rng(3);
    let b = t.apply(&x).to_vec::<f32>();
    assert_eq!(a, b, "the same seed must give the same rotation");
    let c = t.apply(&x).to_vec::<f32>();
    assert_ne!(a, c, "the next draw must give another angle");
    // A one-point range is a fixed rotation.
    let fixed = RandomRotation::range(90.0, 90.0);
    assert_eq!(
        fixed.apply(&x).to_vec::<f32>(),
        rotate(&x, 90.0, &RotateOptions::default()).to_vec::<f32>()
    );
    // A draw lands inside the range: a range narrower than any visible difference acts as
    // its one angle; a draw from [0, 360) is a different turn every time.
    let narrow = RandomRotation::range(30.0, 30.0 + 1e-9).interpolation(Interpolation::Bilinear);
    let want = rotate(
        &x,
        30.0,
        &RotateOptions {
            interpolation: Interpolation::Bilinear,
            ..Default::default()
        },
    )
    .to_vec::<f32>();
    for (g, w) in narrow.apply(&x).to_vec::<f32>().iter().zip(&want) {
        assert!((g - w).abs() < 1e-4);
    }
    let any = RandomRotation::range(0.0, 360.0).interpolation(Interpolation::Bilinear);
    let draws: Vec<Vec<f32>> = (0..8).map(|_| any.apply(&x).to_vec::<f32>()).collect();
    for i in 0..draws.len() {
        for j in 0..i {
            assert_ne!(draws[i], draws[j]);
        }
    }
}

#[test]
#[should_panic(expected = "rotate: fill has 2 values; expected 1 or one per channel (3)")]
fn a_fill_of_the_wrong_length_panics() {
    let x = Tensor::zeros(&[3, 4, 4], DType::F32);
    rotate(
        &x,
        10.0,
        &RotateOptions {
            fill: vec![0.0, 1.0],
            ..Default::default()
        },
    );
}

#[test]
#[should_panic(expected = "RandomRotation: degrees = -1 must be a non-negative number")]
fn negative_degrees_panic() {
    RandomRotation::new(-1.0);
}
