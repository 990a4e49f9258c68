//! The convolution rows: `conv_fwd` (a ResNet-stage 3x3 convolution, N=32, 64->64 channels,
//! 56x56, padding 1, with bias, f32) and `conv_fwd_bwd` (the same forward plus the backward to
//! the input, weight and bias). Figures count 2·N·C_out·C_in·9·56·56 flops per convolution
//! (three of them for forward + backward).

use std::hint::black_box;

use ember::{Tensor, convolution};

use crate::{Normal, Row, Unit};

const N: usize = 32;
const C: usize = 64;
const HW: usize = 56;

fn inputs(seed: u64) -> (Tensor, Tensor, Tensor) {
    let mut g = Normal::new(seed);
    let x = Tensor::from_array(g.array(&[N, C, HW, HW]));
    let w = Tensor::from_array(g.array(&[C, C, 3, 3]).mul(0.05));
    let b = Tensor::from_array(g.array(&[C]));
    (x, w, b)
}

fn conv_fwd() -> Box<dyn FnMut()> {
    let (x, w, b) = inputs(31);
    Box::new(move || {
        let y = convolution(&x, &w, Some(&b), &[1], &[1], &[1], false, &[], 1);
        black_box(&y);
    })
}

fn conv_fwd_bwd() -> Box<dyn FnMut()> {
    let (x, w, b) = inputs(32);
    let (x, w, b) = (
        x.requires_grad_(true),
        w.requires_grad_(true),
        b.requires_grad_(true),
    );
    let gy = Tensor::from_array(Normal::new(33).array(&[N, C, HW, HW]));
    Box::new(move || {
        let y = convolution(&x, &w, Some(&b), &[1], &[1], &[1], false, &[], 1);
        y.backward_with(&gy);
        black_box((x.grad(), w.grad(), b.grad()));
        x.zero_grad();
        w.zero_grad();
        b.zero_grad();
    })
}

/// Every row of this module.
pub fn rows() -> Vec<Row> {
    let flops = 2.0 * (N * C * C * 9 * HW * HW) as f64;
    vec![
        Row {
            id: "conv_fwd",
            unit: Unit::Gflops,
            work: flops,
            setup: conv_fwd,
        },
        Row {
            id: "conv_fwd_bwd",
            unit: Unit::Gflops,
            work: 3.0 * flops,
            setup: conv_fwd_bwd,
        },
    ]
}
