//! The autograd rows of BENCHMARKS.md: `tiny_ops` (per-op overhead of recording and
//! backpropagating), `mlp_train` and `lstm_train` (full training steps with `nn` modules,
//! `cross_entropy` and `Sgd`, as PyTorch's `nn.Sequential`/`nn.LSTM` + `SGD(momentum=0.9)`).

use std::hint::black_box;

use ember::nn::{LSTM, Linear, ReLU, Sequential};
use ember::optim::{Sgd, SgdOptions};
use ember::prelude::*;

use crate::{Normal, Row, Unit};

/// 1000 chained element-wise ops on a `[16]` tensor that requires grad, then backward.
fn tiny_ops() -> Box<dyn FnMut()> {
    let mut g = Normal::new(21);
    let x = Tensor::from_array(g.array(&[16])).requires_grad_(true);
    Box::new(move || {
        let mut y = x.clone();
        for i in 0..1000 {
            y = match i % 3 {
                0 => y.mul(1.0001),
                1 => y.add(0.001),
                _ => y.tanh(),
            };
        }
        y.sum().backward();
        x.zero_grad();
        black_box(&y);
    })
}

/// One training step of an MLP 784-512-512-10 built from `nn` modules (`Sequential` of
/// `Linear`/`ReLU`), `cross_entropy`, and `Sgd` with momentum 0.9; batch 128.
fn mlp_train() -> Box<dyn FnMut()> {
    ember::manual_seed(22);
    let model = Sequential::new()
        .append(Linear::new(784, 512))
        .append(ReLU::new())
        .append(Linear::new(512, 512))
        .append(ReLU::new())
        .append(Linear::new(512, 10));
    let x = Tensor::from_array(Normal::new(22).array(&[128, 784]));
    sgd_step(
        model,
        x,
        Tensor::arange(0.0, 128.0, 1.0, DType::I64).remainder(10),
    )
}

/// `Sgd` with lr 0.01 and momentum 0.9, the optimizer of every training row.
pub(crate) fn sgd(params: Vec<Tensor>) -> Sgd {
    Sgd::new(
        params,
        SgdOptions {
            lr: 0.01,
            momentum: 0.9,
            ..Default::default()
        },
    )
}

/// One training step of `model` on `(x, target)`: cross-entropy, backward, [`sgd`] (the
/// PyTorch side's `sgd_step`).
pub(crate) fn sgd_step<M: Module + 'static>(
    model: M,
    x: Tensor,
    target: Tensor,
) -> Box<dyn FnMut()> {
    let mut opt = sgd(model.parameters());
    Box::new(move || {
        opt.zero_grad(true);
        let loss = F::cross_entropy(&model.forward(&x), &target);
        loss.backward();
        opt.step();
        black_box(loss.item::<f32>());
    })
}

/// One training step of a one-layer LSTM (128 → 256) over 50 steps of a batch of 32, a linear
/// head (256 → 10) on the last hidden state, MSE against a random target, and `Sgd` with
/// momentum 0.9 (BENCHMARKS.md's `lstm_train`).
fn lstm_train() -> Box<dyn FnMut()> {
    ember::manual_seed(23);
    let lstm = LSTM::new(128, 256);
    let head = Linear::new(256, 10);
    let mut params = lstm.parameters();
    params.extend(head.parameters());
    let mut opt = sgd(params);
    let mut g = Normal::new(23);
    let x = Tensor::from_array(g.array(&[50, 32, 128])); // (L, N, H_in)
    let target = Tensor::from_array(g.array(&[32, 10]));
    Box::new(move || {
        opt.zero_grad(true);
        let (out, _) = lstm.forward_with_state(&x, None);
        let loss = F::mse_loss(
            &head.forward(&out.select(0, 49)),
            &target,
            F::Reduction::Mean,
        );
        loss.backward();
        opt.step();
        black_box(loss.item::<f32>());
    })
}

/// Every row of this module.
pub fn rows() -> Vec<Row> {
    vec![
        Row {
            id: "tiny_ops",
            unit: Unit::UsPerOp,
            work: 1000.0,
            setup: tiny_ops,
        },
        Row {
            id: "mlp_train",
            unit: Unit::StepsPerSec,
            work: 1.0,
            setup: mlp_train,
        },
        Row {
            id: "lstm_train",
            unit: Unit::StepsPerSec,
            work: 1.0,
            setup: lstm_train,
        },
    ]
}
