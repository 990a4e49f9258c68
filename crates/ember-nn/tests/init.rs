//! Default initialisations have PyTorch's distributions: bounds exact, moments within sampling
//! error (n = 100k+ draws, so the tolerances are many standard errors wide yet far below the
//! differences between the candidate distributions).

use ember_nn::{DType, Embedding, LSTM, Linear, ModuleExt, MultiheadAttention, Tensor, init};

fn moments(t: &Tensor) -> (f64, f64, f64) {
    let v = t.to_dtype(DType::F64).to_vec::<f64>();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let max = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    (mean, var, max)
}

#[test]
fn linear_default_is_uniform_one_over_sqrt_fan_in() {
    let fc = Linear::new(400, 300); // 120k weights
    let b = 1.0 / 400f64.sqrt();
    let (mean, var, max) = moments(&fc.weight);
    assert!(max <= b, "max {max} > bound {b}");
    assert!(max > 0.99 * b, "uniform fills its range");
    assert!(mean.abs() < 0.01 * b);
    assert!((var / (b * b / 3.0) - 1.0).abs() < 0.02, "var {var}");
    let (_, _, bmax) = moments(fc.bias.as_ref().unwrap());
    assert!(bmax <= b);
}

#[test]
fn embedding_is_standard_normal_and_lstm_uniform_one_over_sqrt_hidden() {
    let e = Embedding::new(1000, 100);
    let (mean, var, _) = moments(&e.weight);
    assert!(
        mean.abs() < 0.01 && (var - 1.0).abs() < 0.02,
        "{mean} {var}"
    );
    let lstm = LSTM::new(64, 100);
    let b = 1.0 / 100f64.sqrt();
    for (name, p) in lstm.named_parameters() {
        let (_, var, max) = moments(&p);
        assert!(max <= b, "{name}");
        if p.numel() > 10_000 {
            assert!(
                (var / (b * b / 3.0) - 1.0).abs() < 0.03,
                "{name}: var {var}"
            );
        }
    }
}

#[test]
fn attention_projections_are_xavier_with_zero_biases() {
    let mha = MultiheadAttention::new(256, 8);
    let w = &mha.in_proj_weight; // (768, 256)
    let a = (6.0 / (768.0 + 256.0f64)).sqrt();
    let (_, var, max) = moments(w);
    assert!(max <= a && (var / (a * a / 3.0) - 1.0).abs() < 0.03);
    assert!(
        mha.in_proj_bias
            .as_ref()
            .unwrap()
            .to_vec::<f32>()
            .iter()
            .all(|&v| v == 0.0)
    );
    assert!(
        mha.out_proj
            .bias
            .as_ref()
            .unwrap()
            .to_vec::<f32>()
            .iter()
            .all(|&v| v == 0.0)
    );
}

#[test]
fn kaiming_and_trunc_normal_and_orthogonal() {
    let w = Tensor::zeros(&[256, 128, 3, 3], DType::F32);
    init::kaiming_normal_(&w, init::FanMode::FanOut, init::Nonlinearity::Relu);
    let (_, var, _) = moments(&w);
    assert!((var / (2.0 / (256.0 * 9.0)) - 1.0).abs() < 0.02, "{var}");
    let t = Tensor::zeros(&[200_000], DType::F64);
    init::trunc_normal_(&t, 0.0, 1.0, -2.0, 2.0);
    let (mean, var, max) = moments(&t);
    // Var of N(0,1) truncated to [-2, 2]: 1 - 4φ(2)/(2Φ(2)-1) = 0.7737413.
    assert!(
        max <= 2.0 && mean.abs() < 0.01 && (var - 0.773_741_3).abs() < 0.01,
        "{var}"
    );
    let q = Tensor::zeros(&[64, 32], DType::F64);
    init::orthogonal_(&q, 2.0);
    let qtq = q.t().matmul(&q).to_vec::<f64>();
    for i in 0..32 {
        for j in 0..32 {
            let want = if i == j { 4.0 } else { 0.0 };
            assert!((qtq[i * 32 + j] - want).abs() < 1e-9);
        }
    }
}
