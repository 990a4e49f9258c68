//! A resumed run continues bit-identically: train N steps, checkpoint (model, Adam state,
//! StepLr state, epoch, RNG state), train M more; then a freshly built model and optimizer
//! load the checkpoint and train the same M steps, and every parameter matches to the bit.
//! Dropout and the data both draw from the default generator, so the RNG state matters.
//!
//! The only test in its binary: it uses the process-wide generator.

use ember_autograd::Tensor;
use ember_io::{Checkpoint, PtValue};
use ember_nn::{DType, Dropout, Linear, Module, ModuleExt, ReLU, Sequential};
use ember_optim::lr_scheduler::{LrScheduler, StepLr};
use ember_optim::{Adam, AdamOptions, Optimizer};

fn model() -> Sequential {
    Sequential::new()
        .append(Linear::new(4, 16))
        .append(ReLU::new())
        .append(Dropout::new(0.3))
        .append(Linear::new(16, 1))
}

fn train(net: &Sequential, opt: &mut Adam, sched: &mut StepLr, steps: usize) {
    for _ in 0..steps {
        let x = Tensor::randn(&[8, 4], DType::F32);
        let target = x.sum_dim(&[1], true).mul(0.5);
        opt.zero_grad(true);
        let loss = net.forward(&x).sub(&target).pow(2.0).mean();
        loss.backward();
        opt.step();
        sched.step(opt);
    }
}

fn bits(net: &Sequential) -> Vec<Vec<u32>> {
    net.parameters()
        .iter()
        .map(|p| p.to_vec::<f32>().iter().map(|x| x.to_bits()).collect())
        .collect()
}

fn setup(seed: u64) -> (Sequential, Adam, StepLr) {
    ember_tensor::manual_seed(seed);
    let net = model();
    let mut opt = Adam::new(
        net.parameters(),
        AdamOptions {
            lr: 1e-2,
            ..Default::default()
        },
    );
    let sched = StepLr::new(&mut opt, 3, 0.5);
    (net, opt, sched)
}

#[test]
fn resume_is_bit_identical() {
    let dir = std::env::temp_dir().join(format!("ember-io-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ck.pt");

    let (net, mut opt, mut sched) = setup(0);
    train(&net, &mut opt, &mut sched, 5);
    let mut ck = Checkpoint::new(net.state_dict(), 5).with_rng_state();
    ck.optimizer = Some(opt.state_dict());
    ck.scheduler = Some(sched.state_dict());
    ck.extras
        .push(("note".into(), PtValue::Str("after 5 steps".into())));
    ck.save(&path).unwrap();
    train(&net, &mut opt, &mut sched, 7);
    let want = bits(&net);

    // A fresh process state: another seed, another initialisation, a consumed generator.
    let (net2, mut opt2, mut sched2) = setup(12345);
    let _ = Tensor::randn(&[100], DType::F32);
    assert_ne!(bits(&net2), want);
    let ck = Checkpoint::load(&path).unwrap();
    assert_eq!(ck.epoch, 5);
    assert_eq!(ck.extras[0].1.as_str(), Some("after 5 steps"));
    net2.load_state_dict(&ck.model, true).unwrap();
    opt2.load_state_dict(ck.optimizer.as_ref().unwrap())
        .unwrap();
    sched2
        .load_state_dict(ck.scheduler.as_ref().unwrap())
        .unwrap();
    ck.restore_rng();
    train(&net2, &mut opt2, &mut sched2, 7);
    assert_eq!(bits(&net2), want, "resumed parameters differ");
    assert_eq!(opt2.param_groups()[0].lr, opt.param_groups()[0].lr);

    // The same file is a plain state-dict file for load_state_dict_file / load_into.
    let sd = ember_io::load_state_dict_file(&path).unwrap();
    assert_eq!(sd.len(), 4);
    std::fs::remove_dir_all(dir).unwrap();
}
