//! `mnist_epoch`: one training epoch of the MNIST example (`crates/ember/examples/mnist`) over
//! the bundled data, data loading included: the example's CNN, Adam (lr 1e-3), batch 64,
//! shuffled, `ToTensor` + `Normalize` per image on 2 loader workers. The figure is training
//! images per second over the whole epoch (60 000 images).

use std::hint::black_box;

use ember::data::datasets::Mnist;
use ember::data::{DataLoader, Dataset, DefaultCollate};
use ember::optim::{Adam, AdamOptions};
use ember::prelude::*;

use crate::{Row, Unit};

#[allow(dead_code)] // `score` is the example's evaluation, not timed here.
#[path = "../../crates/ember/examples/mnist/model.rs"]
mod model;

const TRAIN_IMAGES: usize = 60_000;

fn mnist_epoch() -> Box<dyn FnMut()> {
    ember::manual_seed(41);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/mnist");
    let train = Mnist::new(&dir, true)
        .expect("the bundled MNIST set in data/mnist")
        .with_transform(model::transform());
    assert_eq!(train.len(), TRAIN_IMAGES);
    let loader: DataLoader<Mnist, DefaultCollate> = DataLoader::builder(train)
        .batch_size(64)
        .shuffle(true)
        .seed(41)
        .num_workers(2)
        .build();
    let model = model::Net::new();
    let mut opt = Adam::new(model.parameters(), AdamOptions::default());
    Box::new(move || {
        for batch in loader.iter() {
            let (images, labels) = batch.expect("an MNIST batch");
            let loss = F::cross_entropy(&model.forward(&images), &labels);
            opt.zero_grad(true);
            loss.backward();
            opt.step();
            black_box(loss.item::<f32>());
        }
    })
}

/// Every row of this module.
pub fn rows() -> Vec<Row> {
    vec![Row {
        id: "mnist_epoch",
        unit: Unit::ImagesPerSec,
        work: TRAIN_IMAGES as f64,
        setup: mnist_epoch,
    }]
}
