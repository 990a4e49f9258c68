//! Ember's main job: train a small CNN on the bundled MNIST set.
//!
//! ```text
//! cargo run --release --example mnist                     # 2 epochs, ≥ 98.5 % test accuracy
//! cargo run --release --example mnist -- --epochs 5 --lr 5e-4 --workers 4
//! cargo run --release --example mnist -- --data /usr/share/datasets/fashion-mnist
//! ```
//!
//! Each epoch shows a progress bar (on a terminal) and prints one line: train loss, test loss,
//! test accuracy and training throughput. After each epoch a checkpoint (weights, optimizer
//! state, epoch, random state) is written atomically to `--out` (default `checkpoints/`) in
//! PyTorch's format, and TensorBoard logs (losses, accuracy, learning rate, weight histograms,
//! a grid of sample images) go to `--logdir` (default `runs/`). A run is reproducible for a
//! given `--seed` and `--workers`.

mod model;

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use ember::data::datasets::Mnist;
use ember::data::progress::Progress;
use ember::data::transforms::ToTensor;
use ember::data::{DataLoader, Dataset};
use ember::io::Checkpoint;
use ember::optim::{Adam, AdamOptions};
use ember::prelude::*;
use ember::tensorboard::SummaryWriter;

use model::{Net, score, transform};

/// Train a CNN on MNIST (or Fashion-MNIST) with Ember.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Passes over the training set.
    #[arg(long, default_value_t = 2)]
    epochs: usize,
    /// Images per training batch.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Data-loading worker threads (0: load on the training thread).
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Seed of the initial weights and of the shuffling.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Directory with the four IDX files, plain or gzipped [default: this repository's
    /// data/mnist].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Where the checkpoint is written (after every epoch, atomically).
    #[arg(long, default_value = "checkpoints")]
    out: PathBuf,
    /// TensorBoard log directory (`tensorboard --logdir runs`).
    #[arg(long, default_value = "runs")]
    logdir: PathBuf,
}

/// `data/mnist` of this repository, wherever the example is run from.
fn default_data_dir() -> PathBuf {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2);
    repo.expect("crates/ember sits two levels below the repository")
        .join("data/mnist")
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    ember::manual_seed(args.seed);
    let data = args.data.clone().unwrap_or_else(default_data_dir);
    let train = Mnist::new(&data, true)?.with_transform(transform());
    let test = Mnist::new(&data, false)?.with_transform(transform());
    println!(
        "MNIST from {}: {} training and {} test images; {} epochs, batch {}, Adam lr {}, {} workers",
        data.display(),
        train.len(),
        test.len(),
        args.epochs,
        args.batch_size,
        args.lr,
        args.workers
    );
    let train_loader = DataLoader::builder(train)
        .batch_size(args.batch_size)
        .shuffle(true)
        .seed(args.seed)
        .num_workers(args.workers)
        .build();
    let test_loader = DataLoader::builder(test)
        .batch_size(1000)
        .num_workers(args.workers)
        .build();

    let writer = SummaryWriter::new(&args.logdir)?;
    let samples = Mnist::new(&data, false)?.with_transform(ToTensor::chw());
    let grid: Vec<Tensor> = (0..32)
        .map(|i| samples.get(i).map(|s| s.0))
        .collect::<Result<_, _>>()?;
    writer.add_images(
        "test samples",
        &Tensor::stack(&grid.iter().collect::<Vec<_>>(), 0),
        0,
    )?;
    std::fs::create_dir_all(&args.out)?;
    let checkpoint_path = args.out.join("mnist_cnn.pt");

    let mut model = Net::new();
    let mut opt = Adam::new(
        model.parameters(),
        AdamOptions {
            lr: args.lr,
            ..Default::default()
        },
    );

    let mut step = 0usize;
    for epoch in 1..=args.epochs {
        model.train(true);
        let bar = Progress::new(train_loader.len()).epoch(epoch);
        let start = Instant::now();
        let (mut loss_sum, mut seen) = (0.0f64, 0usize);
        for (i, batch) in bar.wrap(train_loader.iter()).enumerate() {
            let (images, labels) = batch?;
            let logits = model.forward(&images);
            if step == 0 {
                // The Graphs tab: the model as the autograd graph of this first forward saw it.
                writer.add_graph(&[&logits], &model.named_parameters())?;
            }
            let loss = F::cross_entropy(&logits, &labels);
            opt.zero_grad(true);
            loss.backward();
            opt.step();
            let n = labels.numel();
            loss_sum += loss.item::<f32>() as f64 * n as f64;
            seen += n;
            if i % 20 == 0 {
                bar.set_message(format!("loss {:.4}", loss_sum / seen as f64));
                writer.add_scalar("loss/train_batch", loss.item::<f32>(), step)?;
            }
            step += 1;
        }
        bar.finish();
        let train_time = start.elapsed().as_secs_f64();

        model.eval();
        let (mut test_loss, mut correct, mut total) = (0.0f64, 0usize, 0usize);
        no_grad(|| -> Result<(), ember::data::DataError> {
            for batch in test_loader.iter() {
                let (images, labels) = batch?;
                let (l, c) = score(&model.forward(&images), &labels);
                test_loss += l;
                correct += c;
                total += labels.numel();
            }
            Ok(())
        })?;
        let (train_loss, test_loss) = (loss_sum / seen as f64, test_loss / total as f64);
        let accuracy = correct as f64 / total as f64;
        writer.add_scalar("loss/train", train_loss, epoch)?;
        writer.add_scalar("loss/test", test_loss, epoch)?;
        writer.add_scalar("accuracy/test", accuracy, epoch)?;
        writer.add_scalar("lr", opt.param_groups()[0].lr, epoch)?;
        for (name, param) in model.named_parameters() {
            writer.add_histogram(&name, &param, epoch)?;
        }
        writer.flush()?;
        Checkpoint::new(model.state_dict(), epoch as i64)
            .with_optimizer(opt.state_dict())
            .with_extra("test_accuracy", accuracy)
            .with_rng_state()
            .save(&checkpoint_path)?;
        println!(
            "epoch {epoch}: train loss {:.4}, test loss {:.4}, test accuracy {:.2}% ({correct}/{total}), {:.0} images/s",
            train_loss,
            test_loss,
            100.0 * accuracy,
            seen as f64 / train_time,
        );
    }
    writer.close()?;
    println!(
        "checkpoint: {} (torch.load reads it); TensorBoard: tensorboard --logdir {}",
        checkpoint_path.display(),
        args.logdir.display()
    );
    Ok(())
}
