//! `resnet18_train`: one training step of the CIFAR ResNet-18 (3×3 stem, no max-pool, four
//! stages of two basic blocks, 64-128-256-512 channels) on a batch of 64 `3×32×32` images:
//! forward in train mode (batch norm on batch statistics), cross-entropy, backward, and `Sgd`
//! with momentum 0.9. The figure is images per second. Parameter names are torchvision's
//! (`layer2.0.downsample.1.running_mean`). Defined here until the model zoo exists.

use ember::nn::{AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, Sequential};
use ember::prelude::*;

use crate::rows_autograd::sgd_step;
use crate::{Normal, Row, Unit};

const BATCH: usize = 64;

/// torchvision's `BasicBlock`: two 3×3 convolutions with batch norm, and a 1×1 projection
/// (`downsample`) when the shape changes.
#[derive(Module)]
struct BasicBlock {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    conv2: Conv2d,
    bn2: BatchNorm2d,
    downsample: Option<Sequential>,
}

impl BasicBlock {
    fn new(cin: usize, cout: usize, stride: usize) -> BasicBlock {
        BasicBlock {
            conv1: Conv2d::new(cin, cout, 3)
                .stride(stride)
                .padding(1)
                .bias(false),
            bn1: BatchNorm2d::new(cout),
            conv2: Conv2d::new(cout, cout, 3).padding(1).bias(false),
            bn2: BatchNorm2d::new(cout),
            downsample: (stride != 1 || cin != cout).then(|| {
                Sequential::new()
                    .append(Conv2d::new(cin, cout, 1).stride(stride).bias(false))
                    .append(BatchNorm2d::new(cout))
            }),
        }
    }
}

impl Module for BasicBlock {
    fn forward(&self, x: &Tensor) -> Tensor {
        let y = F::relu(&self.bn1.forward(&self.conv1.forward(x)));
        let y = self.bn2.forward(&self.conv2.forward(&y));
        let skip = match &self.downsample {
            Some(d) => d.forward(x),
            None => x.clone(),
        };
        F::relu(&y.add(&skip))
    }
}

/// ResNet-18 for 32×32 inputs.
#[derive(Module)]
struct ResNet18 {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    layer1: Sequential,
    layer2: Sequential,
    layer3: Sequential,
    layer4: Sequential,
    avgpool: AdaptiveAvgPool2d,
    fc: Linear,
}

impl ResNet18 {
    fn new(classes: usize) -> ResNet18 {
        let stage = |cin: usize, cout: usize, stride: usize| {
            Sequential::new()
                .append(BasicBlock::new(cin, cout, stride))
                .append(BasicBlock::new(cout, cout, 1))
        };
        ResNet18 {
            conv1: Conv2d::new(3, 64, 3).padding(1).bias(false),
            bn1: BatchNorm2d::new(64),
            layer1: stage(64, 64, 1),
            layer2: stage(64, 128, 2),
            layer3: stage(128, 256, 2),
            layer4: stage(256, 512, 2),
            avgpool: AdaptiveAvgPool2d::new(1),
            fc: Linear::new(512, classes),
        }
    }
}

impl Module for ResNet18 {
    fn forward(&self, x: &Tensor) -> Tensor {
        let x = F::relu(&self.bn1.forward(&self.conv1.forward(x)));
        let x = self.layer1.forward(&x);
        let x = self.layer2.forward(&x);
        let x = self.layer3.forward(&x);
        let x = self.layer4.forward(&x);
        self.fc.forward(&self.avgpool.forward(&x).flatten(1, -1))
    }
}

fn resnet18_train() -> Box<dyn FnMut()> {
    ember::manual_seed(51);
    let model = ResNet18::new(10);
    assert_eq!(model.num_parameters(), 11_173_962); // torchvision's CIFAR ResNet-18
    let x = Tensor::from_array(Normal::new(51).array(&[BATCH, 3, 32, 32]));
    let target = Tensor::arange(0.0, BATCH as f64, 1.0, DType::I64).remainder(10);
    sgd_step(model, x, target)
}

/// Every row of this module.
pub fn rows() -> Vec<Row> {
    vec![Row {
        id: "resnet18_train",
        unit: Unit::ImagesPerSec,
        work: BATCH as f64,
        setup: resnet18_train,
    }]
}
