//! Behaviour of the optimizer machinery: clipping, groups, zero_grad, state dicts.

use ember_autograd::{DType, Tensor};
use ember_optim::lr_scheduler::{
    CosineAnnealingWarmRestarts, ExponentialLr, LinearLr, LrScheduler, SequentialLr,
};
use ember_optim::*;

fn t(v: &[f64]) -> Tensor {
    Tensor::from(v.to_vec()).requires_grad_(true)
}

// ------------------------------------------------------------------------ clipping

#[test]
fn clip_grad_norm_l2_hand_computed() {
    let a = t(&[0.0, 0.0]);
    let b = t(&[0.0]);
    a.set_grad(Some(Tensor::from([3.0f64, 4.0])));
    b.set_grad(Some(Tensor::from([12.0f64])));
    let total = clip_grad_norm_(&[a.clone(), b.clone()], 6.5, 2.0);
    assert_eq!(total, 13.0); // sqrt(9 + 16 + 144)
    let c = 6.5 / (13.0 + 1e-6);
    assert_eq!(a.grad().unwrap().to_vec::<f64>(), vec![3.0 * c, 4.0 * c]);
    assert_eq!(b.grad().unwrap().to_vec::<f64>(), vec![12.0 * c]);
}

#[test]
fn clip_grad_norm_other_orders_and_no_op() {
    let a = t(&[0.0, 0.0, 0.0]);
    a.set_grad(Some(Tensor::from([1.0f64, -2.0, 2.0])));
    // L1 = 5, below max_norm: nothing changes.
    assert_eq!(clip_grad_norm_(std::slice::from_ref(&a), 10.0, 1.0), 5.0);
    assert_eq!(a.grad().unwrap().to_vec::<f64>(), vec![1.0, -2.0, 2.0]);
    // inf-norm = 2: scaled by 1 / (2 + 1e-6).
    assert_eq!(
        clip_grad_norm_(std::slice::from_ref(&a), 1.0, f64::INFINITY),
        2.0
    );
    let c = 1.0 / (2.0 + 1e-6);
    assert_eq!(
        a.grad().unwrap().to_vec::<f64>(),
        vec![c, -2.0 * c, 2.0 * c]
    );
    // p = 3 over two tensors: (1 + 8 + 8 + 27)^(1/3)
    let b = t(&[0.0]);
    a.set_grad(Some(Tensor::from([1.0f64, -2.0, 2.0])));
    b.set_grad(Some(Tensor::from([3.0f64])));
    let total = clip_grad_norm_(&[a.clone(), b.clone()], 100.0, 3.0);
    assert!((total - 44f64.powf(1.0 / 3.0)).abs() < 1e-12);
    // parameters without grad are ignored; none at all gives 0
    assert_eq!(clip_grad_norm_(&[t(&[1.0])], 1.0, 2.0), 0.0);
}

#[test]
fn clip_grad_norm_nonfinite() {
    let a = t(&[0.0, 0.0]);
    a.set_grad(Some(Tensor::from([f64::INFINITY, 1.0])));
    let err = try_clip_grad_norm_(std::slice::from_ref(&a), 1.0, 2.0).unwrap_err();
    assert_eq!(err.total_norm, f64::INFINITY);
    assert!(err.to_string().contains("non-finite"));
    assert_eq!(a.grad().unwrap().to_vec::<f64>(), vec![f64::INFINITY, 1.0]); // untouched
    // without the check the total comes back and the grads are scaled (to NaN / 0 as PyTorch)
    assert_eq!(
        clip_grad_norm_(std::slice::from_ref(&a), 1.0, 2.0),
        f64::INFINITY
    );
    assert_eq!(try_clip_grad_norm_(&[t(&[1.0])], 1.0, 2.0), Ok(0.0));
}

#[test]
fn clip_grad_value() {
    let a = t(&[0.0, 0.0, 0.0]);
    a.set_grad(Some(Tensor::from([-5.0f64, 0.25, 3.0])));
    clip_grad_value_(&[a.clone(), t(&[1.0])], 0.5);
    assert_eq!(a.grad().unwrap().to_vec::<f64>(), vec![-0.5, 0.25, 0.5]);
}

#[test]
#[should_panic(expected = "clip_grad_value_: clip_value must be >= 0, got -1")]
fn clip_grad_value_negative_panics() {
    clip_grad_value_(&[t(&[1.0])], -1.0);
}

// ------------------------------------------------------------------------ groups

#[test]
#[should_panic(expected = "SGD: some parameters appear in more than one parameter group")]
fn param_in_two_groups_panics() {
    let w = t(&[1.0]);
    let _ = Sgd::new(
        vec![
            ParamGroup::new(vec![w.clone()]),
            ParamGroup::new(vec![w.clone()]),
        ],
        SgdOptions::default(),
    );
}

#[test]
#[should_panic(expected = "Adam: some parameters appear in more than one parameter group")]
fn add_param_group_with_existing_param_panics() {
    let w = t(&[1.0]);
    let mut opt = Adam::new(vec![w.clone()], AdamOptions::default());
    opt.add_param_group(ParamGroup::new(vec![t(&[2.0]), w.clone()]));
}

#[test]
#[should_panic(expected = "SGD: can't optimize a non-leaf tensor")]
fn non_leaf_panics() {
    let w = t(&[1.0]);
    let _ = Sgd::new(vec![w.mul(2.0)], SgdOptions::default());
}

#[test]
#[should_panic(expected = "Adam: invalid beta parameter at index 1 1 (must be in [0, 1))")]
fn bad_hyper_parameter_panics() {
    let _ = Adam::new(
        vec![t(&[1.0])],
        AdamOptions {
            betas: (0.9, 1.0),
            ..Default::default()
        },
    );
}

#[test]
#[should_panic(expected = "SGD: Nesterov momentum requires a momentum and zero dampening")]
fn nesterov_without_momentum_panics() {
    let _ = Sgd::new(
        vec![t(&[1.0])],
        SgdOptions {
            nesterov: true,
            ..Default::default()
        },
    );
}

#[test]
#[should_panic(expected = "RMSprop: invalid learning rate -0.1 (must be >= 0)")]
fn negative_lr_in_added_group_panics() {
    let mut opt = RmsProp::new(vec![t(&[1.0])], RmsPropOptions::default());
    opt.add_param_group(ParamGroup::new(vec![t(&[1.0])]).with_lr(-0.1));
}

#[test]
#[should_panic(expected = "NAdam: got an empty parameter list")]
fn empty_params_panics() {
    let _ = NAdam::new(Vec::<Tensor>::new(), NAdamOptions::default());
}

#[test]
fn per_group_lr_and_frozen_group() {
    let frozen = t(&[1.0, 2.0]);
    let head = t(&[1.0]);
    let mut opt = Sgd::new(
        vec![
            ParamGroup::new(vec![frozen.clone()]).with_lr(0.0),
            ParamGroup::new(vec![head.clone()]).with_lr(0.5),
        ],
        SgdOptions {
            lr: 0.1,
            ..Default::default()
        },
    );
    frozen
        .mul(&frozen)
        .sum()
        .add(&head.mul(&head).sum())
        .backward();
    opt.step();
    assert_eq!(frozen.to_vec::<f64>(), vec![1.0, 2.0]);
    assert_eq!(head.to_vec::<f64>(), vec![0.0]); // 1 - 0.5 * 2
    opt.param_groups_mut()[0].lr = 0.25;
    opt.step();
    assert_eq!(frozen.to_vec::<f64>(), vec![0.5, 1.0]);
}

#[test]
fn params_without_grad_are_skipped() {
    let a = t(&[1.0]);
    let b = t(&[2.0]);
    let mut opt = Adam::new(
        vec![a.clone(), b.clone()],
        AdamOptions {
            lr: 0.1,
            ..Default::default()
        },
    );
    a.mul(&a).sum().backward();
    opt.step();
    assert_ne!(a.item::<f64>(), 1.0);
    assert_eq!(b.item::<f64>(), 2.0);
    assert!(opt.state(&a).is_some() && opt.state(&b).is_none());
}

#[test]
fn step_writes_in_place_through_handles_and_views() {
    let w = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]).requires_grad_(true);
    let alias = w.clone();
    let row = w.detach().select(0, 1); // a view of the same storage
    let v0 = w.version();
    let mut opt = Sgd::new(
        vec![w.clone()],
        SgdOptions {
            lr: 0.5,
            ..Default::default()
        },
    );
    w.set_grad(Some(Tensor::ones(&[2, 2], DType::F64)));
    opt.step();
    assert_eq!(alias.to_vec::<f64>(), vec![0.5, 1.5, 2.5, 3.5]);
    assert_eq!(row.to_vec::<f64>(), vec![2.5, 3.5]);
    assert!(w.version() > v0);
    assert!(w.is_leaf() && w.requires_grad());
}

#[test]
fn zero_grad_both_ways() {
    let w = t(&[1.0, 2.0]);
    let mut opt = Sgd::new(vec![w.clone()], SgdOptions::default());
    w.mul(&w).sum().backward();
    let g = w.grad().unwrap();
    opt.zero_grad(false);
    let z = w.grad().unwrap();
    assert!(z.is_same(&g), "zero_grad(false) keeps the gradient tensor");
    assert_eq!(z.to_vec::<f64>(), vec![0.0, 0.0]);
    w.mul(&w).sum().backward(); // accumulates into the zeroed buffer
    assert_eq!(w.grad().unwrap().to_vec::<f64>(), vec![2.0, 4.0]);
    opt.zero_grad(true);
    assert!(w.grad().is_none());
    opt.zero_grad(false); // no grad: nothing to do
    assert!(w.grad().is_none());
}

// ------------------------------------------------------------------------ state dicts

type Make = fn(Vec<Tensor>) -> Box<dyn Optimizer>;

fn makers() -> Vec<(&'static str, Make)> {
    vec![
        ("sgd", |p| {
            Box::new(Sgd::new(
                p,
                SgdOptions {
                    lr: 0.01,
                    momentum: 0.9,
                    nesterov: true,
                    weight_decay: 0.01,
                    ..Default::default()
                },
            ))
        }),
        ("adam", |p| {
            Box::new(Adam::new(
                p,
                AdamOptions {
                    lr: 0.05,
                    amsgrad: true,
                    ..Default::default()
                },
            ))
        }),
        ("adamw", |p| {
            Box::new(AdamW::new(
                p,
                AdamWOptions {
                    lr: 0.05,
                    ..Default::default()
                },
            ))
        }),
        ("rmsprop", |p| {
            Box::new(RmsProp::new(
                p,
                RmsPropOptions {
                    lr: 0.01,
                    centered: true,
                    momentum: 0.5,
                    ..Default::default()
                },
            ))
        }),
        ("adagrad", |p| {
            Box::new(Adagrad::new(
                p,
                AdagradOptions {
                    lr: 0.1,
                    lr_decay: 0.01,
                    ..Default::default()
                },
            ))
        }),
        ("adadelta", |p| {
            Box::new(Adadelta::new(p, AdadeltaOptions::default()))
        }),
        ("adamax", |p| {
            Box::new(Adamax::new(
                p,
                AdamaxOptions {
                    lr: 0.05,
                    ..Default::default()
                },
            ))
        }),
        ("nadam", |p| {
            Box::new(NAdam::new(
                p,
                NAdamOptions {
                    lr: 0.05,
                    ..Default::default()
                },
            ))
        }),
        ("radam", |p| {
            Box::new(RAdam::new(
                p,
                RAdamOptions {
                    lr: 0.05,
                    ..Default::default()
                },
            ))
        }),
    ]
}

fn problem() -> Vec<Tensor> {
    vec![
        Tensor::from_vec(vec![1.5f64, -0.8, 0.3], &[3]).requires_grad_(true),
        Tensor::from_vec(vec![0.3f64, -0.2, 0.5, 0.9], &[2, 2]).requires_grad_(true),
    ]
}

fn train(opt: &mut dyn Optimizer, p: &[Tensor], steps: usize) -> Vec<Vec<f64>> {
    let mut out = vec![];
    for _ in 0..steps {
        opt.zero_grad(true);
        let l = p[0]
            .pow(2.0)
            .sum()
            .add(&p[1].matmul(&p[0].narrow(0, 0, 2)).tanh().pow(2.0).sum())
            .add(&p[1].pow(4.0).sum());
        l.backward();
        opt.step();
        out.push(p.iter().flat_map(|t| t.to_vec::<f64>()).collect());
    }
    out
}

#[test]
fn state_dict_round_trip_resumes_bit_identically() {
    for (name, make) in makers() {
        let p = problem();
        let mut opt = make(p.clone());
        train(opt.as_mut(), &p, 10);
        let sd = opt.state_dict();
        let at10: Vec<Tensor> = p
            .iter()
            .map(|t| Tensor::from_array(t.data().clone_array()).requires_grad_(true))
            .collect();
        let reference = train(opt.as_mut(), &p, 10);

        let mut fresh = make(at10.clone());
        fresh
            .load_state_dict(&sd)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let resumed = train(fresh.as_mut(), &at10, 10);
        assert_eq!(resumed, reference, "{name}: resumed training differs");
        // The saved dict was not changed by the 10 later steps (it holds copies).
        let again = opt.state_dict();
        if let (Some(a), Some(b)) = (sd.state.get(&0), again.state.get(&0)) {
            assert_ne!(format!("{a:?}"), format!("{b:?}"), "{name}");
        }
    }
}

#[test]
fn state_dict_contents_mirror_pytorch() {
    let p = problem();
    let mut opt = Adam::new(
        vec![
            ParamGroup::new(vec![p[0].clone()]),
            ParamGroup::new(vec![p[1].clone()]).with_lr(0.5),
        ],
        AdamOptions {
            amsgrad: true,
            ..Default::default()
        },
    );
    train(&mut opt, &p, 3);
    let sd = opt.state_dict();
    assert_eq!(sd.param_groups.len(), 2);
    assert_eq!(sd.param_groups[0].params, vec![0]);
    assert_eq!(sd.param_groups[1].params, vec![1]);
    assert_eq!(sd.param_groups[1].hyper["lr"], Hyper::Float(0.5));
    assert_eq!(sd.param_groups[0].hyper["betas"], Hyper::Pair(0.9, 0.999));
    assert_eq!(sd.param_groups[0].hyper["amsgrad"], Hyper::Bool(true));
    let s1 = &sd.state[&1];
    assert_eq!(s1["step"].as_number(), Some(3.0));
    for k in ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] {
        assert_eq!(s1[k].as_tensor().unwrap().shape(), &[2, 2], "{k}");
    }
    // hyper-parameters travel too
    let mut other = Adam::new(
        vec![
            ParamGroup::new(vec![p[0].clone()]),
            ParamGroup::new(vec![p[1].clone()]),
        ],
        AdamOptions::default(),
    );
    other.load_state_dict(&sd).unwrap();
    assert_eq!(other.param_groups()[1].lr, 0.5);
    assert!(other.param_groups()[0].get_bool("amsgrad"));
}

#[test]
fn load_state_dict_errors() {
    let p = problem();
    let mut opt = Sgd::new(
        p.clone(),
        SgdOptions {
            momentum: 0.9,
            ..Default::default()
        },
    );
    train(&mut opt, &p, 1);
    let sd = opt.state_dict();

    let mut two = Sgd::new(
        vec![
            ParamGroup::new(vec![p[0].clone()]),
            ParamGroup::new(vec![p[1].clone()]),
        ],
        SgdOptions::default(),
    );
    assert_eq!(
        two.load_state_dict(&sd),
        Err(StateDictError::GroupCount {
            expected: 2,
            found: 1
        })
    );

    let mut one = Sgd::new(vec![p[0].clone()], SgdOptions::default());
    let e = one.load_state_dict(&sd).unwrap_err();
    assert_eq!(
        e,
        StateDictError::GroupSize {
            group: 0,
            expected: 1,
            found: 2
        }
    );
    assert!(e.to_string().contains("parameter group 0 has 2 parameters"));

    let swapped = vec![p[1].clone(), p[0].clone()];
    let mut sw = Sgd::new(swapped, SgdOptions::default());
    let e = sw.load_state_dict(&sd).unwrap_err();
    assert!(
        matches!(e, StateDictError::StateShape { param: 0, .. }),
        "{e}"
    );
    assert_eq!(
        sw.param_groups()[0].get_f64("momentum"),
        0.0,
        "unchanged on error"
    );

    let mut bad = sd.clone();
    bad.param_groups[0].params = vec![5, 6];
    let mut o = Sgd::new(p.clone(), SgdOptions::default());
    assert_eq!(
        o.load_state_dict(&bad),
        Err(StateDictError::UnknownParam(0))
    );
}

// ------------------------------------------------------------------------ schedulers

#[test]
fn scheduler_state_dict_round_trip() {
    let w = t(&[1.0]);
    let mut opt = Sgd::new(
        vec![w.clone()],
        SgdOptions {
            lr: 1.0,
            ..Default::default()
        },
    );
    let mut s = CosineAnnealingWarmRestarts::new(&mut opt, 3, 2, 0.01);
    for _ in 0..7 {
        s.step(&mut opt);
    }
    let sd = s.state_dict();
    let osd = opt.state_dict();
    let mut expect = vec![];
    for _ in 0..10 {
        s.step(&mut opt);
        expect.push(s.get_last_lr()[0]);
    }
    let mut opt2 = Sgd::new(vec![w.clone()], SgdOptions::default());
    opt2.load_state_dict(&osd).unwrap();
    let mut s2 = CosineAnnealingWarmRestarts::new(&mut opt2, 3, 2, 0.01);
    s2.load_state_dict(&sd).unwrap();
    let mut got = vec![];
    for _ in 0..10 {
        s2.step(&mut opt2);
        got.push(s2.get_last_lr()[0]);
    }
    assert_eq!(got, expect);
}

#[test]
fn sequential_state_dict_round_trip() {
    let build = |opt: &mut Sgd| {
        let a = Box::new(LinearLr::new(opt, 0.2, 1.0, 4));
        let b = Box::new(ExponentialLr::new(opt, 0.8));
        SequentialLr::new(opt, vec![a, b], &[4])
    };
    let w = t(&[1.0]);
    let mut opt = Sgd::new(
        vec![w.clone()],
        SgdOptions {
            lr: 1.0,
            ..Default::default()
        },
    );
    let mut s = build(&mut opt);
    for _ in 0..3 {
        s.step(&mut opt);
    }
    let (sd, osd) = (s.state_dict(), opt.state_dict());
    assert_eq!(sd.children.len(), 2);
    let expect: Vec<f64> = (0..6)
        .map(|_| {
            s.step(&mut opt);
            s.get_last_lr()[0]
        })
        .collect();
    let mut opt2 = Sgd::new(vec![w.clone()], SgdOptions::default());
    opt2.load_state_dict(&osd).unwrap();
    let mut s2 = build(&mut opt2);
    s2.load_state_dict(&sd).unwrap();
    opt2.load_state_dict(&osd).unwrap(); // the constructor reset the lr
    let got: Vec<f64> = (0..6)
        .map(|_| {
            s2.step(&mut opt2);
            s2.get_last_lr()[0]
        })
        .collect();
    assert_eq!(got, expect);
}

#[test]
#[should_panic(
    expected = "lr scheduler: the optimizer has 2 parameter groups, the scheduler was made for 1"
)]
fn scheduler_with_wrong_optimizer_panics() {
    let mut opt = Sgd::new(vec![t(&[1.0])], SgdOptions::default());
    let mut s = ExponentialLr::new(&mut opt, 0.5);
    opt.add_param_group(ParamGroup::new(vec![t(&[1.0])]));
    s.step(&mut opt);
}
