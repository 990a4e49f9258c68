//! The CNN acceptance scenarios of level 3: fine-tuning a pretrained model with a new head,
//! a frozen backbone and per-group learning rates; capturing an inner layer with a hook.

use std::sync::{Arc, Mutex};

use ember::nn::{Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential};
use ember::optim::{ParamGroup, Sgd, SgdOptions};
use ember::prelude::*;

/// A small VGG-like CNN, standing in for a model from a library: the tests below only use its
/// public API, never its source.
mod library {
    use super::*;

    #[derive(Module)]
    pub struct SmallVgg {
        pub features: Sequential,
        pub classifier: Sequential,
    }

    impl SmallVgg {
        pub fn new(classes: usize) -> SmallVgg {
            SmallVgg {
                features: Sequential::new()
                    .append(Conv2d::new(1, 4, 3).padding(1))
                    .append(ReLU::new())
                    .append(MaxPool2d::new(2))
                    .append(Conv2d::new(4, 8, 3).padding(1))
                    .append(ReLU::new())
                    .append(MaxPool2d::new(2)),
                classifier: Sequential::new()
                    .append(Flatten::new())
                    .append(Linear::new(8 * 2 * 2, classes)),
            }
        }
    }

    impl Module for SmallVgg {
        fn forward(&self, x: &Tensor) -> Tensor {
            self.classifier.forward(&self.features.forward(x))
        }
    }
}

use library::SmallVgg;

fn values(t: &Tensor) -> Vec<f32> {
    t.detach().to_vec::<f32>()
}

/// Scenario 1: load a "pretrained" state dict into a fresh copy, replace the classifier head
/// by one of a different size, freeze the backbone, train the head at 10x the backbone's lr:
/// the frozen weights do not move, the head does, the loss decreases.
#[test]
fn fine_tune_with_new_head_and_frozen_backbone() {
    ember::manual_seed(11);
    let pretrained = SmallVgg::new(10);
    let saved = pretrained.state_dict();

    let mut model = SmallVgg::new(10);
    model.load_state_dict(&saved, true).unwrap();
    for (k, v) in model.state_dict().iter() {
        assert_eq!(values(v), values(&saved[k]), "{k} loaded");
    }
    // New 3-class head in place of the 10-class one (surgery by path).
    let old = model
        .set_submodule("classifier.1", Box::new(Linear::new(32, 3)))
        .unwrap();
    assert_eq!(
        old.unwrap().downcast_ref::<Linear>().unwrap().out_features,
        10
    );
    // Freeze the backbone both ways: requires_grad off, and an lr-0 group; head at 10x.
    model.features.requires_grad_(false);
    let base_lr = 0.05;
    let mut opt = Sgd::new(
        vec![
            ParamGroup::new(model.features.parameters()).with_lr(0.0),
            ParamGroup::new(model.classifier.parameters()).with_lr(10.0 * base_lr),
        ],
        SgdOptions {
            lr: base_lr,
            momentum: 0.9,
            ..Default::default()
        },
    );
    let frozen: Vec<Vec<f32>> = model.features.parameters().iter().map(values).collect();
    let head_before = values(&model.classifier.parameters()[0]);

    // A learnable toy task: the class is which third of the image is brightest.
    let x = Tensor::rand(&[24, 1, 8, 8], DType::F32);
    let thirds: Vec<i64> = (0..24).map(|i| (i % 3) as i64).collect();
    let bump = Tensor::zeros(&[24, 1, 8, 8], DType::F32);
    for (i, &c) in thirds.iter().enumerate() {
        bump.i((i, 0, .., (c as usize * 3)..(c as usize * 3 + 2)))
            .fill_(2.0);
    }
    let x = x.add(&bump);
    let y = Tensor::from_vec(thirds, &[24]);
    let mut losses = vec![];
    for _ in 0..60 {
        opt.zero_grad(true);
        let loss = F::cross_entropy(&model.forward(&x), &y);
        loss.backward();
        opt.step();
        losses.push(loss.item::<f32>());
    }
    for (p, before) in model.features.parameters().iter().zip(&frozen) {
        assert_eq!(&values(p), before, "frozen weights moved");
        assert!(p.grad().is_none());
    }
    assert_ne!(values(&model.classifier.parameters()[0]), head_before);
    assert!(
        losses[59] < 0.5 * losses[0],
        "loss {} -> {}",
        losses[0],
        losses[59]
    );
}

/// Scenario 2: capture `features.3` of a model whose source the test does not touch; after
/// the hook is removed, the next forward captures nothing.
#[test]
fn capture_inner_layer_with_a_forward_hook() {
    let model = SmallVgg::new(10);
    let captured: Arc<Mutex<Vec<Tensor>>> = Arc::default();
    let sink = captured.clone();
    let handle = model
        .get_submodule("features.3")
        .unwrap()
        .register_forward_hook(move |m, _input, output| {
            assert_eq!(m.type_name(), "Conv2d");
            sink.lock().unwrap().push(output.detach());
            None
        })
        .unwrap();
    let x = Tensor::randn(&[2, 1, 8, 8], DType::F32);
    let logits = model.forward(&x);
    assert_eq!(logits.shape(), &[2, 10]);
    let got: Vec<Tensor> = captured.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].shape(), &[2, 8, 4, 4]);
    handle.remove();
    // It is the real activation: recompute features[0..4] by hand (hook removed, so this
    // captures nothing).
    let mut h = x.clone();
    for i in 0..4 {
        h = model.features.get(i).unwrap().forward(&h);
    }
    assert_eq!(values(&got[0]), values(&h));
    model.forward(&x);
    assert_eq!(
        captured.lock().unwrap().len(),
        1,
        "a removed hook captured again"
    );
}
