//! A graph is freed as soon as backward has run: 10 000 training-like iterations leave the
//! number of live graph nodes and tensors where it started. (Its own test binary: the counters
//! are process-wide, and tests in one binary run concurrently.)

use ember_autograd::autograd::{live_nodes, live_tensors};
use ember_autograd::{DType, Tensor, no_grad};

#[test]
fn ten_thousand_steps_do_not_grow_the_graph() {
    ember_autograd::manual_seed(0);
    let w = Tensor::randn(&[8, 4], DType::F32)
        .mul(0.1)
        .detach()
        .requires_grad_(true);
    let b = Tensor::zeros(&[4], DType::F32).requires_grad_(true);
    let x = Tensor::randn(&[16, 8], DType::F32);
    let target = Tensor::randn(&[16, 4], DType::F32);
    let step = |i: usize| -> f32 {
        let h = x.matmul(&w).add(&b).tanh();
        let h = if i.is_multiple_of(2) {
            h.narrow(0, 0, 8)
        } else {
            h.i((ember_autograd::s(..).step(2), ..))
        };
        let t = target.narrow(0, 0, 8);
        let loss = h.sub(&t).square().mean();
        loss.backward();
        no_grad(|| {
            w.sub_(&w.grad().unwrap().mul(0.1));
            b.sub_(&b.grad().unwrap().mul(0.1));
        });
        w.zero_grad();
        b.zero_grad();
        loss.item::<f32>()
    };
    let first = step(0);
    let (nodes0, tensors0) = (live_nodes(), live_tensors());
    let mut last = first;
    for i in 1..10_000 {
        last = step(i);
        if i % 1000 == 0 {
            assert_eq!(live_nodes(), nodes0, "graph nodes leak at step {i}");
            assert_eq!(live_tensors(), tensors0, "tensors leak at step {i}");
        }
    }
    assert_eq!(live_nodes(), nodes0);
    assert_eq!(live_tensors(), tensors0);
    assert!(last < first, "training reduced the loss: {first} -> {last}");

    // A retained graph stays alive until its output goes; then everything is freed.
    let y = x.matmul(&w).exp().sum();
    let with_graph = live_nodes();
    assert!(with_graph > nodes0);
    y.backward_opts(
        None,
        ember_autograd::BackwardOptions {
            retain_graph: true,
            create_graph: false,
        },
    );
    assert_eq!(live_nodes(), with_graph, "a retained graph is kept");
    drop(y);
    w.zero_grad();
    assert_eq!(
        live_nodes(),
        nodes0,
        "dropping the output frees a retained graph"
    );
}
