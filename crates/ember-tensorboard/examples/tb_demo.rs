//! Writes one of every summary kind into the directory given as argument (default
//! `runs/tb_demo`), with fixed values that `tools/check_tensorboard.py` checks with
//! TensorBoard's own reader and PyTorch's histogram code.
//!
//! ```sh
//! cargo run -p ember-tensorboard --example tb_demo -- /tmp/tb_demo
//! tensorboard --logdir /tmp/tb_demo
//! ```

use ember_autograd::{DType, Tensor};
use ember_tensorboard::{DataFormat, SummaryWriter, TbError};

fn main() -> Result<(), TbError> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "runs/tb_demo".to_string());
    let writer = SummaryWriter::new(&dir)?;

    // Scalars: loss/train = 1/(step+1), acc = step/10, at steps 0..10.
    for step in 0..10 {
        writer.add_scalar("loss/train", 1.0 / (step as f64 + 1.0), step)?;
        writer.add_scalar("acc", step as f64 / 10.0, step)?;
        writer.add_scalars(
            "loss",
            &[("train", 2.0 * step as f64), ("valid", 3.0 * step as f64)],
            step,
        )?;
    }

    // Histograms: values fixed by formula (the checker rebuilds them with numpy).
    // mixed: i*0.37 - 5 for i in 0..100 (f32 -> f64, as PyTorch converts), plus 0 and 1e-13.
    let mixed: Vec<f32> = (0..100)
        .map(|i| i as f32 * 0.37 - 5.0)
        .chain([0.0, 1e-13])
        .collect();
    writer.add_histogram("hist/mixed", &Tensor::from_vec(mixed, &[102]), 0)?;
    // wide: powers 10^k for k in -14..=21 with both signs (some beyond the ±1e20 edges).
    let wide: Vec<f64> = (-14..=21)
        .flat_map(|k| [10f64.powi(k), -(10f64.powi(k))])
        .collect();
    writer.add_histogram("hist/wide", &wide[..], 1)?;
    // lcg: 10 000 pseudo-random values over many magnitudes, from integer arithmetic and
    // IEEE multiplications only, so that Python rebuilds them bit for bit.
    writer.add_histogram("hist/lcg", &lcg_values(10_000)[..], 0)?;
    // ones: a 3x4 tensor of ones at steps 0..3.
    for step in 0..3 {
        writer.add_histogram("hist/ones", &Tensor::ones(&[3, 4], DType::F32), step)?;
    }

    // Images: a CHW RGB gradient, an HW grayscale u8 ramp, a 10-image NCHW grid.
    let (h, w) = (16usize, 24usize);
    let rgb: Vec<f32> = (0..3 * h * w)
        .map(|i| {
            let (c, y, x) = (i / (h * w), (i / w) % h, i % w);
            [x as f32 / (w - 1) as f32, y as f32 / (h - 1) as f32, 0.5][c]
        })
        .collect();
    writer.add_image(
        "image/rgb_chw",
        &Tensor::from_vec(rgb, &[3, h, w]),
        0,
        DataFormat::CHW,
    )?;
    let ramp: Vec<u8> = (0..8 * 32).map(|i| (i % 32 * 8) as u8).collect();
    writer.add_image(
        "image/gray_hw",
        &Tensor::from_vec(ramp, &[8, 32]),
        0,
        DataFormat::HW,
    )?;
    let batch: Vec<f32> = (0..10 * 28 * 28)
        .map(|i| (i / (28 * 28)) as f32 / 9.0)
        .collect();
    writer.add_images("image/grid", &Tensor::from_vec(batch, &[10, 1, 28, 28]), 0)?;

    // Text and hparams.
    writer.add_text("notes", "Ember **TensorBoard** demo: héllo", 0)?;
    writer.add_hparams(
        &[
            ("lr", 0.01.into()),
            ("batch_size", 64.into()),
            ("optimizer", "adam".into()),
            ("nesterov", true.into()),
        ],
        &[("hparam/accuracy", 0.97), ("hparam/loss", 0.08)],
    )?;

    // Graph: y = relu(x·W1ᵀ + b1)·W2ᵀ with named parameters (fc1.weight [4, 3], fc1.bias [4],
    // fc2.weight [2, 4]) and an input x [5, 3] that does not require grad.
    let w1 = Tensor::ones(&[4, 3], DType::F32).requires_grad_(true);
    let b1 = Tensor::zeros(&[4], DType::F32).requires_grad_(true);
    let w2 = Tensor::ones(&[2, 4], DType::F32).requires_grad_(true);
    let x = Tensor::ones(&[5, 3], DType::F32);
    let y = x.matmul(&w1.t()).add(&b1).relu().matmul(&w2.t());
    writer.add_graph(
        &[&y],
        &[
            ("fc1.weight".to_string(), w1),
            ("fc1.bias".to_string(), b1),
            ("fc2.weight".to_string(), w2),
        ],
    )?;

    writer.close()?;
    println!("wrote {}", writer.file_path().display());
    Ok(())
}

/// `n` values `(u - 0.5) * scale`: `u` uniform in [0, 1) from a 64-bit LCG (Knuth's MMIX
/// constants), `scale` cycling through 1e-6, 1e-3, 1, 1e3 and 1e25.
fn lcg_values(n: usize) -> Vec<f64> {
    let scales = [1e-6, 1e-3, 1.0, 1e3, 1e25];
    let mut x: u64 = 42;
    (0..n)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
            (u - 0.5) * scales[i % scales.len()]
        })
        .collect()
}
