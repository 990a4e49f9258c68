//! The acceptance scenarios of level 3: what PyTorch users do with models they did not write.
//! (Fine-tuning and inner-layer capture use a CNN and live in `cnn_scenarios.rs`.)

use ember::nn::{Embedding, Linear, StateDict};
use ember::optim::{Adam, AdamOptions, Sgd, SgdOptions};
use ember::prelude::*;

/// A small pretrained "tower": embedding → mean over tokens → linear.
#[derive(Module)]
struct Tower {
    embed: Embedding,
    fc: Linear,
}

impl Tower {
    fn new() -> Tower {
        Tower {
            embed: Embedding::new(10, 4),
            fc: Linear::new(4, 2),
        }
    }
}

impl Module for Tower {
    fn forward(&self, tokens: &Tensor) -> Tensor {
        self.fc
            .forward(&self.embed.forward(tokens).mean_dim(&[1], false))
    }
}

#[derive(Module)]
struct TwoTowers {
    query: Tower,
    doc: Tower,
}

impl Module for TwoTowers {
    fn forward(&self, tokens: &Tensor) -> Tensor {
        self.query.forward(tokens).add(&self.doc.forward(tokens))
    }
}

/// Scenario 3: two sub-models initialised from two different pretrained state dicts (loaded
/// under prefixes), sharing one embedding; one optimizer step moves the shared parameter once,
/// by the sum of both gradients.
#[test]
fn shared_embedding_across_two_pretrained_towers() {
    let pretrained_q = Tower::new();
    let pretrained_d = Tower::new();
    // One checkpoint holding both, as "query.*" and "doc.*".
    let mut ckpt: StateDict = pretrained_q.state_dict().with_prefix_added("query.");
    for (k, v) in pretrained_d.state_dict().with_prefix_added("doc.") {
        ckpt.insert(k, v);
    }

    let mut model = TwoTowers {
        query: Tower::new(),
        doc: Tower::new(),
    };
    // Tie the embeddings: both towers hold one parameter.
    model.doc.embed = Embedding::from_pretrained(model.query.embed.weight.clone(), false);
    model.to_dtype(DType::F64);
    assert!(model.query.embed.weight.is_same(&model.doc.embed.weight));
    let names: Vec<String> = model
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        [
            "query.embed.weight",
            "query.fc.weight",
            "query.fc.bias",
            "doc.fc.weight",
            "doc.fc.bias"
        ]
    );

    let r1 = model
        .query
        .load_state_dict_with_prefix(&ckpt, "query.", true)
        .unwrap();
    let r2 = model
        .doc
        .load_state_dict_with_prefix(&ckpt, "doc.", true)
        .unwrap();
    assert!(r1.is_empty() && r2.is_empty());
    // Each tower's own weights come from its own checkpoint part; the shared embedding holds
    // what was loaded last (the doc tower's), as in PyTorch.
    let as64 = |t: &Tensor| t.to_dtype(DType::F64).to_vec::<f64>();
    assert_eq!(as64(&model.query.fc.weight), as64(&pretrained_q.fc.weight));
    assert_eq!(as64(&model.doc.fc.weight), as64(&pretrained_d.fc.weight));
    assert_eq!(
        as64(&model.query.embed.weight),
        as64(&pretrained_d.embed.weight)
    );

    // The gradient of each tower's output w.r.t. the embedding, computed independently on
    // detached copies.
    let tokens = Tensor::from([[1i64, 2, 2], [7, 1, 0]]);
    let up = Tensor::randn(&[2, 2], DType::F64);
    let grad_through = |tower: &Tower| {
        let w = tower.embed.weight.detach().requires_grad_(true);
        let fc_w = tower.fc.weight.detach();
        let fc_b = tower.fc.bias.as_ref().unwrap().detach();
        let h = F::embedding(&tokens, &w, None, None).mean_dim(&[1], false);
        F::linear(&h, &fc_w, Some(&fc_b)).mul(&up).sum().backward();
        w.grad().unwrap()
    };
    let expected_grad = grad_through(&model.query).add(&grad_through(&model.doc));

    let before = model.query.embed.weight.detach().clone_tensor();
    let mut opt = Sgd::new(
        model.parameters(),
        SgdOptions {
            lr: 0.5,
            ..Default::default()
        },
    );
    opt.zero_grad(true);
    model.forward(&tokens).mul(&up).sum().backward();
    opt.step();
    let moved = before.sub(&model.query.embed.weight);
    let want = expected_grad.mul(0.5);
    for (a, b) in as64(&moved).iter().zip(as64(&want)) {
        assert!((a - b).abs() < 1e-12, "moved {a}, expected {b}");
    }
    assert!(model.doc.embed.weight.is_same(&model.query.embed.weight));
}

/// Scenario 4: a forward pass with a data-dependent number of loop steps and an `if`,
/// trained to fit a toy task.
#[derive(Module)]
struct Recurrent {
    step: Linear,
    pos_head: Linear,
    neg_head: Linear,
}

impl Module for Recurrent {
    fn forward(&self, x: &Tensor) -> Tensor {
        // One sample at a time: its own number of refinement steps and its own head.
        let mut outs = Vec::new();
        for i in 0..x.shape()[0] {
            let xi = x.narrow(0, i, 1);
            let steps = 1 + (xi.abs().sum().item::<f32>() * 2.0) as usize % 4; // 1..=4 steps
            let mut h = xi.clone();
            for _ in 0..steps {
                h = self.step.forward(&h).tanh().add(&xi);
            }
            let y = if xi.sum().item::<f32>() > 0.0 {
                self.pos_head.forward(&h)
            } else {
                self.neg_head.forward(&h)
            };
            outs.push(y);
        }
        let refs: Vec<&Tensor> = outs.iter().collect();
        Tensor::cat(&refs, 0)
    }
}

#[test]
fn dynamic_graph_with_loops_and_branches_trains() {
    ember::manual_seed(5);
    let model = Recurrent {
        step: Linear::new(3, 3),
        pos_head: Linear::new(3, 1),
        neg_head: Linear::new(3, 1),
    };
    // Target: |sum(x)| plus the first feature.
    let x = Tensor::randn(&[32, 3], DType::F32);
    let target = x.sum_dim(&[1], true).abs().add(&x.narrow(1, 0, 1));
    let mut opt = Adam::new(
        model.parameters(),
        AdamOptions {
            lr: 0.05,
            ..Default::default()
        },
    );
    let loss_of = || F::mse_loss(&model.forward(&x), &target, F::Reduction::Mean);
    let first = loss_of().item::<f32>();
    for _ in 0..150 {
        opt.zero_grad(true);
        let loss = loss_of();
        loss.backward();
        opt.step();
    }
    let last = loss_of().item::<f32>();
    assert!(last < first / 10.0, "loss {first} -> {last}");
    // Both heads were used and trained.
    assert!(model.pos_head.weight.grad().is_some() && model.neg_head.weight.grad().is_some());
}
