//! A tour of Ember's levels 1 and 2: arrays, views, broadcasting, reductions, matmul, then
//! tensors with autograd fitting a small model by gradient descent.
//!
//! Run with `cargo run --release --example tour`.

use ember::{Array, DType};

fn main() {
    ember::manual_seed(0);

    // Creation and display, like PyTorch.
    let x = Array::arange(0.0, 12.0, 1.0, DType::F32).reshape(&[3, 4]);
    println!("x =\n{x}");

    // Views share memory: writing through a transpose changes `x`.
    let xt = x.t();
    println!(
        "x.t() is a view: shares storage = {}, strides = {:?}",
        xt.shares_storage(&x),
        xt.strides()
    );
    xt.select(0, 0).fill_(-1.0);
    println!("after x.t()[0].fill_(-1):\n{x}");

    // A view that is impossible explains itself; reshape copies instead.
    let flat = xt.reshape(&[12]);
    println!(
        "x.t().reshape([12]) copies: shares storage = {}",
        flat.shares_storage(&x)
    );

    // Broadcasting and PyTorch's type promotion.
    let col = Array::from([[1i64], [2], [3]]);
    let y = &x * &col + 0.5;
    println!("x * [[1],[2],[3]] + 0.5 ({}):\n{y}", y.dtype());

    // Reductions, softmax composed from primitives, matmul.
    let logits = Array::randn(&[2, 5], DType::F32);
    let m = logits.amax(&[-1], true);
    let e = logits.sub(&m).exp();
    let p = e.div(&e.sum_dim(&[-1], true));
    println!("softmax rows sum to {}", p.sum_dim(&[-1], false));
    let (top, idx) = p.topk(2, -1, true, true);
    println!("top-2 probabilities {top}\nat {idx}");

    let a = Array::randn(&[64, 128], DType::F32);
    let b = Array::randn(&[128, 32], DType::F32);
    let c = a.matmul(&b);
    println!(
        "[64,128] @ [128,32] -> {:?}, mean {:.4}",
        c.shape(),
        c.mean().item::<f32>()
    );

    // Indexing with ranges and steps.
    use ember::s;
    let z = Array::arange(0.0, 20.0, 1.0, DType::I64).reshape(&[4, 5]);
    println!(
        "z.i((1.., s(0..5).step(2))) =\n{}",
        z.i((1.., s(0..5).step(2)))
    );

    // Level 2: tensors with autograd. Fit y = 3x - 1 + noise with a two-layer network.
    use ember::{Tensor, no_grad};
    let x = Tensor::linspace(-1.0, 1.0, 64, DType::F32).unsqueeze(1);
    let noise = Tensor::randn(&[64, 1], DType::F32).mul(0.05);
    let y = x.mul(3.0).sub(1.0).add(&noise);
    let w1 = Tensor::randn(&[1, 16], DType::F32)
        .mul(0.5)
        .detach()
        .requires_grad_(true);
    let b1 = Tensor::zeros(&[16], DType::F32).requires_grad_(true);
    let w2 = Tensor::randn(&[16, 1], DType::F32)
        .mul(0.5)
        .detach()
        .requires_grad_(true);
    let params = [&w1, &b1, &w2];
    for step in 0..=300 {
        let pred = x.matmul(&w1).add(&b1).tanh().matmul(&w2);
        let loss = pred.sub(&y).square().mean();
        loss.backward();
        no_grad(|| {
            for p in params {
                p.sub_(&p.grad().unwrap().mul(0.1));
                p.zero_grad();
            }
        });
        if step % 100 == 0 {
            println!(
                "step {step:3}: mse {:.5} ({})",
                loss.item::<f32>(),
                loss.grad_fn().unwrap().name()
            );
        }
    }
}
