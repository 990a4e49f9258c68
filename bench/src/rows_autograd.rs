//! The autograd rows of BENCHMARKS.md: `tiny_ops` (per-op overhead of recording and
//! backpropagating) and `mlp_train` (a full training step of a hand-written MLP, until `nn`
//! exists: the same math as PyTorch's `nn.Linear` + `cross_entropy` + `SGD(momentum=0.9)`).

use std::hint::black_box;

use ember::{DType, Tensor, no_grad};

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

/// A parameter initialised like `nn.Linear` (uniform in ±1/√fan_in), deterministic.
fn param(g: &mut Normal, shape: &[usize], fan_in: usize) -> Tensor {
    let bound = 1.0 / (fan_in as f64).sqrt();
    let a = g.array(shape).tanh().mul(bound); // in (-bound, bound); the values do not matter
    Tensor::from_array(a).requires_grad_(true)
}

/// One SGD step of an MLP 784-512-512-10 with ReLU and cross-entropy, batch 128.
fn mlp_train() -> Box<dyn FnMut()> {
    let mut g = Normal::new(22);
    let dims = [784, 512, 512, 10];
    let mut params = vec![];
    for w in dims.windows(2) {
        params.push(param(&mut g, &[w[1], w[0]], w[0])); // [out, in], as nn.Linear
        params.push(param(&mut g, &[w[1]], w[0]));
    }
    let bufs: Vec<Tensor> = params.iter().map(|p| p.zeros_like()).collect();
    let x = Tensor::from_array(g.array(&[128, 784]));
    let target = Tensor::arange(0.0, 128.0, 1.0, DType::I64)
        .remainder(10)
        .unsqueeze(1);
    let (lr, momentum) = (0.01, 0.9);
    Box::new(move || {
        for p in &params {
            p.zero_grad();
        }
        let mut h = x.clone();
        for (k, layer) in params.chunks(2).enumerate() {
            h = layer[1].addmm(&h, &layer[0].t(), 1.0, 1.0);
            if k < 2 {
                h = h.relu();
            }
        }
        let loss = h.log_softmax(1).gather(1, &target).mean().neg();
        loss.backward();
        no_grad(|| {
            for (p, b) in params.iter().zip(&bufs) {
                b.mul_(momentum).add_(&p.grad().expect("grad"));
                p.sub_(&b.mul(lr));
            }
        });
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
    ]
}
