//! The module system: derive reflection and names, state dicts, sub-module lookup and
//! surgery, hooks, modes, freezing, dtype conversion, shared parameters.

use std::sync::{Arc, Mutex};

use ember_nn::{
    BatchNorm1d, DType, Dropout, Embedding, Hooks, Linear, Module, ModuleExt, ModuleList, NnError,
    ReLU, Sequential, Tanh, Tensor, functional as F,
};

#[derive(Module)]
struct Block {
    fc: Linear,
    bn: BatchNorm1d,
    hooks: Hooks,
}

impl Block {
    fn new(d: usize) -> Block {
        Block {
            fc: Linear::new(d, d),
            bn: BatchNorm1d::new(d),
            hooks: Hooks::new(),
        }
    }
}

impl Module for Block {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| self.bn.forward(&self.fc.forward(x)).relu())
    }
}

#[derive(Module)]
struct Net {
    stem: Linear,
    blocks: Vec<Block>,
    extra: Option<Linear>,
    head: Box<dyn Module>,
    #[module(rename = "scale_")]
    scale: Tensor,
    #[module(buffer, persistent = false)]
    cache: Tensor,
    #[module(skip)]
    #[allow(dead_code)]
    note: Vec<Tensor>,
    width: usize,
}

impl Net {
    fn new() -> Net {
        Net {
            stem: Linear::new(3, 4),
            blocks: vec![Block::new(4), Block::new(4)],
            extra: None,
            head: Box::new(Linear::new(4, 2)),
            scale: Tensor::ones(&[1], DType::F32).requires_grad_(true),
            cache: Tensor::zeros(&[1], DType::F32),
            note: vec![],
            width: 4,
        }
    }
}

impl Module for Net {
    fn forward(&self, x: &Tensor) -> Tensor {
        let mut h = self.stem.forward(x);
        for b in &self.blocks {
            h = b.forward(&h);
        }
        if let Some(e) = &self.extra {
            h = e.forward(&h);
        }
        assert_eq!(h.shape()[1], self.width);
        self.head.forward(&h).mul(&self.scale)
    }
}

fn names(v: Vec<(String, Tensor)>) -> Vec<String> {
    v.into_iter().map(|(n, _)| n).collect()
}

#[test]
fn derive_names_follow_pytorch() {
    let net = Net::new();
    assert_eq!(
        names(net.named_parameters()),
        [
            "scale_", // the module's own parameters come first, then its children's (as PyTorch)
            "stem.weight",
            "stem.bias",
            "blocks.0.fc.weight",
            "blocks.0.fc.bias",
            "blocks.0.bn.weight",
            "blocks.0.bn.bias",
            "blocks.1.fc.weight",
            "blocks.1.fc.bias",
            "blocks.1.bn.weight",
            "blocks.1.bn.bias",
            "head.weight",
            "head.bias",
        ]
    );
    assert_eq!(
        names(net.named_buffers()),
        [
            "cache",
            "blocks.0.bn.running_mean",
            "blocks.0.bn.running_var",
            "blocks.0.bn.num_batches_tracked",
            "blocks.1.bn.running_mean",
            "blocks.1.bn.running_var",
            "blocks.1.bn.num_batches_tracked",
        ]
    );
    // Non-persistent buffers stay out of the state dict.
    let sd = net.state_dict();
    assert!(sd.contains_key("blocks.1.bn.num_batches_tracked") && !sd.contains_key("cache"));
    assert_eq!(sd.len(), 13 + 6);
    let modules: Vec<String> = net.named_modules().into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        modules,
        [
            "",
            "stem",
            "blocks",
            "blocks.0",
            "blocks.0.fc",
            "blocks.0.bn",
            "blocks.1",
            "blocks.1.fc",
            "blocks.1.bn",
            "head"
        ]
    );
    assert_eq!(
        net.num_parameters(),
        3 * 4 + 4 + 2 * (16 + 4 + 8) + 4 * 2 + 2 + 1
    );
}

#[test]
fn state_dict_round_trip_and_errors() {
    let a = Net::new();
    let b = Net::new();
    let x = Tensor::randn(&[5, 3], DType::F32);
    a.forward(&x); // moves the running stats of a
    let report = b.load_state_dict(&a.state_dict(), true).unwrap();
    assert!(report.is_empty());
    for ((na, ta), (nb, tb)) in a.state_dict().iter().zip(b.state_dict().iter()) {
        assert_eq!(na, nb);
        assert_eq!(
            ta.to_dtype(DType::F64).to_vec::<f64>(),
            tb.to_dtype(DType::F64).to_vec::<f64>(),
            "{na}"
        );
    }
    // Loading copies: later changes to a do not reach b.
    ember_nn::init::constant_(&a.stem.weight, 5.0);
    assert_ne!(b.stem.weight.to_vec::<f32>(), a.stem.weight.to_vec::<f32>());

    // Shape mismatch: an error naming the key and both shapes, and nothing copied.
    let before = b.stem.bias.as_ref().unwrap().to_vec::<f32>();
    let mut bad = a.state_dict();
    bad.insert("head.weight", Tensor::zeros(&[3, 4], DType::F32));
    let err = b.load_state_dict(&bad, false).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("head.weight") && msg.contains("[3, 4]") && msg.contains("[2, 4]"),
        "{msg}"
    );
    assert_eq!(b.stem.bias.as_ref().unwrap().to_vec::<f32>(), before);

    // Missing and unexpected keys: reported (non-strict) or refused (strict).
    let mut partial = a.state_dict();
    partial.remove("scale_");
    partial.insert("bogus.weight", Tensor::zeros(&[1], DType::F32));
    let r = b.load_state_dict(&partial, false).unwrap();
    assert_eq!(r.missing_keys, ["scale_"]);
    assert_eq!(r.unexpected_keys, ["bogus.weight"]);
    match b.load_state_dict(&partial, true) {
        Err(NnError::IncompatibleKeys {
            missing,
            unexpected,
        }) => {
            assert_eq!((missing.len(), unexpected.len()), (1, 1))
        }
        other => panic!("expected IncompatibleKeys, got {other:?}"),
    }
}

#[test]
fn submodules_lookup_and_surgery() {
    let mut net = Net::new();
    assert_eq!(
        net.get_submodule("blocks.1.bn").unwrap().type_name(),
        "BatchNorm1d"
    );
    let err = net.get_submodule("blocks.7.fc").unwrap_err().to_string();
    assert!(
        err.contains("\"7\"") && err.contains("[\"0\", \"1\"]"),
        "{err}"
    );

    // A Box<dyn Module> slot takes any module.
    let old = net
        .set_submodule(
            "head",
            Box::new(
                Sequential::new()
                    .append(Linear::new(4, 6))
                    .append(Tanh::new()),
            ),
        )
        .unwrap();
    assert_eq!(old.unwrap().type_name(), "Linear");
    assert_eq!(
        net.forward(&Tensor::randn(&[2, 3], DType::F32)).shape(),
        &[2, 6]
    );
    assert!(net.state_dict().contains_key("head.0.weight"));

    // A typed slot takes its type only, and gives the module back otherwise.
    let err = net
        .set_submodule("stem", Box::new(ReLU::new()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("Linear") && err.contains("ReLU"), "{err}");
    net.set_submodule("stem", Box::new(Linear::new(3, 4)))
        .unwrap();
    // Option and Vec slots.
    net.set_submodule("extra", Box::new(Linear::new(4, 4)))
        .unwrap();
    assert!(net.state_dict().contains_key("extra.weight"));
    net.set_submodule("blocks.1", Box::new(Block::new(4)))
        .unwrap();
    // Plain field assignment is surgery too.
    net.blocks.push(Block::new(4));
    assert!(net.state_dict().contains_key("blocks.2.bn.running_var"));

    // Containers: insert and remove renumber.
    let mut seq = Sequential::new()
        .append(Linear::new(2, 2))
        .append(ReLU::new())
        .append(Linear::new(2, 1));
    seq.insert(1, Box::new(Dropout::new(0.1)));
    assert_eq!(seq.get_submodule("3").unwrap().type_name(), "Linear");
    seq.remove(1);
    seq.remove(1);
    assert_eq!(
        names(seq.named_parameters()),
        ["0.weight", "0.bias", "1.weight", "1.bias"]
    );
    let mut list = ModuleList::new();
    list.push(Box::new(Linear::new(1, 1)));
    list.set_submodule("0", Box::new(Linear::new(1, 3)))
        .unwrap();
    assert_eq!(list.parameters()[0].shape(), &[3, 1]);
}

#[test]
fn forward_hooks_capture_replace_and_remove() {
    let net = Net::new();
    let seen: Arc<Mutex<Vec<Vec<usize>>>> = Arc::default();
    let s = seen.clone();
    let h = net
        .get_submodule("blocks.1.fc")
        .unwrap()
        .register_forward_hook(move |m, _input, out| {
            assert_eq!(m.type_name(), "Linear");
            s.lock().unwrap().push(out.shape().to_vec());
            None
        })
        .unwrap();
    let x = Tensor::randn(&[5, 3], DType::F32);
    net.forward(&x);
    assert_eq!(*seen.lock().unwrap(), vec![vec![5, 4]]);
    h.remove();
    net.forward(&x);
    assert_eq!(seen.lock().unwrap().len(), 1);

    // A user module with a Hooks field is hookable; a pre-hook can replace the input and a
    // forward hook the output.
    let block = &net.blocks[0];
    let p = block
        .register_forward_pre_hook(|_, x| Some(x.mul(0.0)))
        .unwrap();
    let q = block
        .register_forward_hook(|_, _, y| Some(y.add(1.0)))
        .unwrap();
    let y = block.forward(&Tensor::randn(&[3, 4], DType::F32));
    // zero input → fc gives its bias on every row → batch norm of identical rows is 0 → relu 0 → +1
    assert!(
        y.to_vec::<f32>().iter().all(|&v| (v - 1.0).abs() < 1e-3),
        "{y}"
    );
    p.remove();
    q.remove();

    // A derived module without a Hooks field refuses hooks.
    let err = net.register_forward_hook(|_, _, _| None).unwrap_err();
    assert!(matches!(err, NnError::HooksUnsupported { .. }), "{err}");
    assert!(err.to_string().contains("Net"));
}

#[test]
fn full_backward_hook_sees_and_replaces_gradients() {
    let fc = Linear::new(3, 2);
    let got: Arc<Mutex<Option<(Tensor, Tensor)>>> = Arc::default();
    let g2 = got.clone();
    fc.register_full_backward_hook(move |gi, go| {
        *g2.lock().unwrap() = Some((gi.clone(), go.clone()));
        Some(gi.mul(2.0))
    })
    .unwrap();
    let x = Tensor::randn(&[4, 3], DType::F64).requires_grad_(true);
    let mut fc = fc;
    fc.to_dtype(DType::F64);
    let up = Tensor::randn(&[4, 2], DType::F64);
    fc.forward(&x).mul(&up).sum().backward();
    let (gi, go) = got.lock().unwrap().clone().expect("hook ran");
    assert_eq!(go.to_vec::<f64>(), up.to_vec::<f64>());
    let expect = up.matmul(&fc.weight.detach());
    let close = |a: &Tensor, b: &Tensor| {
        a.to_vec::<f64>()
            .iter()
            .zip(b.to_vec::<f64>())
            .all(|(x, y)| (x - y).abs() < 1e-12)
    };
    assert!(close(&gi, &expect));
    assert!(close(&x.grad().unwrap(), &expect.mul(2.0)));
}

#[test]
fn train_eval_freeze_dtype_and_sharing() {
    let mut net = Sequential::new()
        .append(Linear::new(2, 3))
        .append(BatchNorm1d::new(3))
        .append(Dropout::new(0.5));
    net.eval();
    assert!(!net.is_training());
    for (_, m) in net.named_modules() {
        if let Some(t) = m.training() {
            assert!(!t, "{} still training", m.type_name());
        }
    }
    // Eval mode: dropout is the identity, batch norm uses running stats (mean 0, var 1).
    let x = Tensor::randn(&[4, 2], DType::F32);
    let fc = net
        .get_submodule("0")
        .unwrap()
        .downcast_ref::<Linear>()
        .unwrap();
    let expect = F::linear(&x, &fc.weight, fc.bias.as_ref()).div((1.0f64 + 1e-5).sqrt());
    let y = net.forward(&x);
    for (a, b) in y.to_vec::<f32>().iter().zip(expect.to_vec::<f32>()) {
        assert!((a - b).abs() < 1e-5);
    }
    net.train(true);
    assert!(net.is_training());

    // Freezing: no gradient reaches frozen parameters.
    net.get_submodule("0").unwrap().requires_grad_(false);
    let y = net.forward(&Tensor::randn(&[4, 2], DType::F32));
    y.sum().backward();
    assert!(net.parameters()[0].grad().is_none());
    assert!(net.parameters()[2].grad().is_some()); // batch norm weight

    // to_dtype keeps sharing and integer buffers.
    #[derive(Module)]
    struct Tied {
        a: Embedding,
        b: Embedding,
    }
    impl Module for Tied {
        fn forward(&self, x: &Tensor) -> Tensor {
            self.a.forward(x).add(&self.b.forward(x))
        }
    }
    let a = Embedding::new(5, 2);
    let b = Embedding::from_pretrained(a.weight.clone(), false);
    let mut tied = Tied { a, b };
    assert_eq!(
        tied.parameters().len(),
        1,
        "shared parameters are listed once"
    );
    assert_eq!(names(tied.named_parameters()), ["a.weight"]);
    tied.to_dtype(DType::F64);
    assert!(tied.a.weight.is_same(&tied.b.weight));
    assert_eq!(tied.a.weight.dtype(), DType::F64);
    let mut bn = BatchNorm1d::new(2);
    bn.to_dtype(DType::F64);
    assert_eq!(bn.num_batches_tracked.as_ref().unwrap().dtype(), DType::I64);
    assert_eq!(bn.running_mean.as_ref().unwrap().dtype(), DType::F64);
}

#[test]
fn repr_prints_the_tree() {
    let net = Sequential::new()
        .append(Linear::new(2, 3))
        .append(Sequential::new().append(ReLU::new()));
    assert_eq!(
        net.repr(),
        "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=true)\n  (1): Sequential(\n    (0): ReLU()\n  )\n)"
    );
}

/// The fused LSTM (one node per layer and direction) and the composed one give the same
/// outputs, final states and gradients for the input, both initial states and every
/// parameter, including a gradient arriving through `c_n` and a reversed direction. Only the
/// composed one has second derivatives; the fused one says so.
#[test]
fn fused_lstm_matches_the_composed_ops_and_refuses_create_graph() {
    use ember_autograd::autograd::grad;
    use ember_nn::{LSTM, RecurrentLayer, RnnState};
    let mut fused = LSTM::new(3, 5).num_layers(2).bidirectional(true);
    fused.to_dtype(DType::F64);
    let mut composed = LSTM::new(3, 5)
        .num_layers(2)
        .bidirectional(true)
        .fused(false);
    composed.to_dtype(DType::F64);
    composed.load_state_dict(&fused.state_dict(), true).unwrap();
    let (x0, h00, c00) = (
        Tensor::randn(&[6, 2, 3], DType::F64),
        Tensor::randn(&[4, 2, 5], DType::F64),
        Tensor::randn(&[4, 2, 5], DType::F64),
    );
    let w = Tensor::randn(&[6, 2, 10], DType::F64);
    let run = |lstm: &RecurrentLayer| {
        let x = x0.detach().requires_grad_(true);
        let h0 = h00.detach().requires_grad_(true);
        let c0 = c00.detach().requires_grad_(true);
        let (out, st) = lstm.forward_with_state(
            &x,
            Some(&RnnState {
                h: h0.clone(),
                c: Some(c0.clone()),
            }),
        );
        let loss = out
            .mul(&w)
            .sum()
            .add(&st.h.sum())
            .add(&st.c.as_ref().unwrap().pow(2.0).sum());
        loss.backward();
        let mut vals = vec![out.detach(), st.h.detach(), st.c.unwrap().detach()];
        vals.extend([x.grad().unwrap(), h0.grad().unwrap(), c0.grad().unwrap()]);
        vals.extend(lstm.parameters().iter().map(|p| p.grad().unwrap()));
        vals
    };
    let (a, b) = (run(&fused), run(&composed));
    assert_eq!(a.len(), 6 + 16);
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let d = x.sub(y).abs().max().item::<f64>();
        assert!(d < 1e-12, "value {i} differs by {d}");
    }

    // Second order: the composed layer gives one, the fused one panics with a pointer.
    let x = x0.detach().requires_grad_(true);
    let (out, _) = composed.forward_with_state(&x, None);
    let g = grad(&[&out.pow(2.0).sum()], &[&x], None, false, true, false)[0]
        .clone()
        .unwrap();
    g.sum().backward();
    assert!(x.grad().is_some());
    let (out, _) = fused.forward_with_state(&x, None);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        grad(&[&out.pow(2.0).sum()], &[&x], None, false, true, false)
    }))
    .unwrap_err();
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(msg.contains("fused(false)"), "{msg}");
}
