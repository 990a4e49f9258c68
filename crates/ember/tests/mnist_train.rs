//! Trains the MNIST example's network for 300 steps on the bundled data and checks that it
//! has really learnt: a broken model (wrong gradients, a loader that mixes images and labels,
//! a dead optimizer) stays near 10 % accuracy; a working one is far above 90 %.

#[path = "../examples/mnist/model.rs"]
mod model;

use ember::data::datasets::Mnist;
use ember::data::{DataLoader, Subset};
use ember::optim::{Adam, AdamOptions};
use ember::prelude::*;

fn data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist")
}

#[test]
fn cnn_learns_mnist_in_300_steps() {
    ember::manual_seed(3);
    let train = Mnist::new(data_dir(), true)
        .unwrap()
        .with_transform(model::transform());
    let test = Mnist::new(data_dir(), false)
        .unwrap()
        .with_transform(model::transform());
    let train_loader = DataLoader::builder(train)
        .batch_size(64)
        .shuffle(true)
        .seed(3)
        .num_workers(2)
        .build();
    // The first 2000 test images: enough to tell 90 % from chance, quick in CI.
    let test_loader = DataLoader::builder(Subset::new(test, (0..2000).collect()))
        .batch_size(500)
        .build();

    let mut model = model::Net::new();
    let mut opt = Adam::new(model.parameters(), AdamOptions::default());
    let mut losses = Vec::new();
    for batch in train_loader.iter().take(300) {
        let (images, labels) = batch.unwrap();
        assert_eq!(
            (images.shape(), labels.shape()),
            (&[64usize, 1, 28, 28][..], &[64usize][..])
        );
        let loss = F::cross_entropy(&model.forward(&images), &labels);
        opt.zero_grad(true);
        loss.backward();
        opt.step();
        losses.push(loss.item::<f32>());
    }
    // An untrained 10-way classifier starts near ln 10.
    assert!(
        (losses[0] - 10f32.ln()).abs() < 0.3,
        "first loss {}",
        losses[0]
    );
    let late: f32 = losses[250..].iter().sum::<f32>() / 50.0;
    assert!(late < 0.5, "mean loss of steps 250-300: {late}");

    model.eval();
    let (mut correct, mut total) = (0, 0);
    no_grad(|| {
        for batch in test_loader.iter() {
            let (images, labels) = batch.unwrap();
            correct += model::score(&model.forward(&images), &labels).1;
            total += labels.numel();
        }
    });
    assert_eq!(total, 2000);
    let accuracy = correct as f64 / total as f64;
    assert!(accuracy > 0.90, "test accuracy after 300 steps: {accuracy}");
}
