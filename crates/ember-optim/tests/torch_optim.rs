//! Replays `fixtures/torch_optim.json` (made by `tools/gen_optim_fixture.py` with PyTorch):
//! every optimizer configuration for 20 steps on the same f64 problem, and every lr scheduler
//! for 40 steps over two parameter groups.

use ember_autograd::Tensor;
use ember_optim::lr_scheduler::{
    AnnealStrategy, CosineAnnealingLr, CosineAnnealingWarmRestarts, ExponentialLr, LambdaLr,
    LinearLr, LrLambda, LrScheduler, MultiStepLr, OneCycleLr, OneCycleLrOptions, PlateauMode,
    ReduceLrOnPlateau, ReduceLrOnPlateauOptions, SequentialLr, StepLr, ThresholdMode,
};
use ember_optim::*;
use serde_json::Value;

fn fixture() -> Value {
    let text = include_str!("fixtures/torch_optim.json");
    serde_json::from_str(text).expect("valid fixture")
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn fs(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(f).collect()
}

/// The problem's loss, the same formula as `loss_fn` in the generator.
fn loss(a: &Tensor, b: &Tensor, p: &Value) -> Tensor {
    let t = Tensor::from(fs(&p["t"]));
    let c = Tensor::from(fs(&p["c"]));
    let y = Tensor::from(fs(&p["y"]));
    a.sub(&t)
        .pow(2.0)
        .mul(&c)
        .sum()
        .add(&b.matmul(a).tanh().sub(&y).pow(2.0).sum())
        .add(&b.pow(4.0).sum().mul(0.05))
}

fn hyper(v: &Value) -> Hyper {
    match v {
        Value::Bool(b) => Hyper::Bool(*b),
        Value::Array(a) => Hyper::Pair(f(&a[0]), f(&a[1])),
        _ => Hyper::Float(f(v)),
    }
}

fn get(d: &Value, k: &str, default: f64) -> f64 {
    d.get(k).map(f).unwrap_or(default)
}

fn get_b(d: &Value, k: &str) -> bool {
    d.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn betas(d: &Value, default: (f64, f64)) -> (f64, f64) {
    d.get("betas")
        .map(|b| (f(&b[0]), f(&b[1])))
        .unwrap_or(default)
}

fn make(name: &str, params: Vec<ParamGroup>, d: &Value) -> Box<dyn Optimizer> {
    match name {
        "SGD" => Box::new(Sgd::new(
            params,
            SgdOptions {
                lr: get(d, "lr", 1e-3),
                momentum: get(d, "momentum", 0.0),
                dampening: get(d, "dampening", 0.0),
                weight_decay: get(d, "weight_decay", 0.0),
                nesterov: get_b(d, "nesterov"),
                maximize: get_b(d, "maximize"),
            },
        )),
        "Adam" => Box::new(Adam::new(
            params,
            AdamOptions {
                lr: get(d, "lr", 1e-3),
                betas: betas(d, (0.9, 0.999)),
                eps: get(d, "eps", 1e-8),
                weight_decay: get(d, "weight_decay", 0.0),
                amsgrad: get_b(d, "amsgrad"),
                maximize: get_b(d, "maximize"),
                decoupled_weight_decay: get_b(d, "decoupled_weight_decay"),
            },
        )),
        "AdamW" => Box::new(AdamW::new(
            params,
            AdamWOptions {
                lr: get(d, "lr", 1e-3),
                betas: betas(d, (0.9, 0.999)),
                eps: get(d, "eps", 1e-8),
                weight_decay: get(d, "weight_decay", 1e-2),
                amsgrad: get_b(d, "amsgrad"),
                maximize: get_b(d, "maximize"),
            },
        )),
        "RMSprop" => Box::new(RmsProp::new(
            params,
            RmsPropOptions {
                lr: get(d, "lr", 1e-2),
                alpha: get(d, "alpha", 0.99),
                eps: get(d, "eps", 1e-8),
                weight_decay: get(d, "weight_decay", 0.0),
                momentum: get(d, "momentum", 0.0),
                centered: get_b(d, "centered"),
                maximize: get_b(d, "maximize"),
            },
        )),
        "Adagrad" => Box::new(Adagrad::new(
            params,
            AdagradOptions {
                lr: get(d, "lr", 1e-2),
                lr_decay: get(d, "lr_decay", 0.0),
                weight_decay: get(d, "weight_decay", 0.0),
                initial_accumulator_value: get(d, "initial_accumulator_value", 0.0),
                eps: get(d, "eps", 1e-10),
                maximize: get_b(d, "maximize"),
            },
        )),
        "Adadelta" => Box::new(Adadelta::new(
            params,
            AdadeltaOptions {
                lr: get(d, "lr", 1.0),
                rho: get(d, "rho", 0.9),
                eps: get(d, "eps", 1e-6),
                weight_decay: get(d, "weight_decay", 0.0),
                maximize: get_b(d, "maximize"),
            },
        )),
        "Adamax" => Box::new(Adamax::new(
            params,
            AdamaxOptions {
                lr: get(d, "lr", 2e-3),
                betas: betas(d, (0.9, 0.999)),
                eps: get(d, "eps", 1e-8),
                weight_decay: get(d, "weight_decay", 0.0),
                maximize: get_b(d, "maximize"),
            },
        )),
        "NAdam" => Box::new(NAdam::new(
            params,
            NAdamOptions {
                lr: get(d, "lr", 2e-3),
                betas: betas(d, (0.9, 0.999)),
                eps: get(d, "eps", 1e-8),
                weight_decay: get(d, "weight_decay", 0.0),
                momentum_decay: get(d, "momentum_decay", 4e-3),
                decoupled_weight_decay: get_b(d, "decoupled_weight_decay"),
                maximize: get_b(d, "maximize"),
            },
        )),
        "RAdam" => Box::new(RAdam::new(
            params,
            RAdamOptions {
                lr: get(d, "lr", 1e-3),
                betas: betas(d, (0.9, 0.999)),
                eps: get(d, "eps", 1e-8),
                weight_decay: get(d, "weight_decay", 0.0),
                decoupled_weight_decay: get_b(d, "decoupled_weight_decay"),
                maximize: get_b(d, "maximize"),
            },
        )),
        other => panic!("unknown optimizer {other}"),
    }
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1e-3)
}

#[test]
fn optimizers_match_pytorch() {
    let fx = fixture();
    let p = &fx["problem"];
    let cases = fx["optimizers"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let a = Tensor::from(fs(&p["a0"])).requires_grad_(true);
        let b0: Vec<f64> = p["b0"].as_array().unwrap().iter().flat_map(fs).collect();
        let b = Tensor::from_vec(b0, &[2, 2]).requires_grad_(true);
        let groups = match case["groups"].as_array() {
            None => vec![ParamGroup::new(vec![a.clone(), b.clone()])],
            Some(gs) => gs
                .iter()
                .zip([&a, &b])
                .map(|(o, t)| {
                    let mut g = ParamGroup::new(vec![t.clone()]);
                    for (k, v) in o.as_object().unwrap() {
                        g.set(k, hyper(v));
                    }
                    g
                })
                .collect(),
        };
        let d = &case["defaults"];
        let mut opt = make(case["optimizer"].as_str().unwrap(), groups, d);
        let maximize = get_b(d, "maximize");
        for (i, want) in case["steps"].as_array().unwrap().iter().enumerate() {
            opt.zero_grad(true);
            let l = loss(&a, &b, p);
            if maximize { l.neg() } else { l }.backward();
            opt.step();
            let mut got = a.to_vec::<f64>();
            got.extend(b.to_vec::<f64>());
            let want = fs(want);
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    close(*g, *w, 1e-6),
                    "{name}: step {}: got {got:?}, PyTorch {want:?}",
                    i + 1
                );
            }
        }
    }
}

fn sched_optimizer(kind: &str) -> Box<dyn Optimizer> {
    let a = Tensor::zeros(&[1], ember_autograd::DType::F64).requires_grad_(true);
    let b = Tensor::zeros(&[1], ember_autograd::DType::F64).requires_grad_(true);
    let groups = vec![
        ParamGroup::new(vec![a]).with_lr(0.1),
        ParamGroup::new(vec![b]).with_lr(0.02),
    ];
    match kind {
        "sgd" => Box::new(Sgd::new(
            groups,
            SgdOptions {
                lr: 0.1,
                ..Default::default()
            },
        )),
        "sgd_momentum" => Box::new(Sgd::new(
            groups,
            SgdOptions {
                lr: 0.1,
                momentum: 0.9,
                ..Default::default()
            },
        )),
        "adam" => Box::new(Adam::new(
            groups,
            AdamOptions {
                lr: 0.1,
                ..Default::default()
            },
        )),
        other => panic!("unknown optimizer kind {other}"),
    }
}

fn i(v: &Value, k: &str) -> i64 {
    v[k].as_i64().unwrap_or_else(|| panic!("integer {k}"))
}

fn make_sched(spec: &Value, opt: &mut dyn Optimizer) -> Box<dyn LrScheduler + Send> {
    match spec["kind"].as_str().unwrap() {
        "StepLR" => Box::new(StepLr::new(opt, i(spec, "step_size"), f(&spec["gamma"]))),
        "MultiStepLR" => {
            let m: Vec<i64> = spec["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            Box::new(MultiStepLr::new(opt, &m, f(&spec["gamma"])))
        }
        "ExponentialLR" => Box::new(ExponentialLr::new(opt, f(&spec["gamma"]))),
        "CosineAnnealingLR" => Box::new(CosineAnnealingLr::new(
            opt,
            i(spec, "T_max"),
            f(&spec["eta_min"]),
        )),
        "CosineAnnealingWarmRestarts" => Box::new(CosineAnnealingWarmRestarts::new(
            opt,
            i(spec, "T_0"),
            i(spec, "T_mult"),
            f(&spec["eta_min"]),
        )),
        "LinearLR" => Box::new(LinearLr::new(
            opt,
            f(&spec["start_factor"]),
            f(&spec["end_factor"]),
            i(spec, "total_iters"),
        )),
        "LambdaLR" => {
            let fns: Vec<LrLambda> = vec![
                Box::new(|e| 0.95f64.powf(e as f64)),
                Box::new(|e| 1.0 / (1.0 + e as f64)),
            ];
            Box::new(LambdaLr::per_group(opt, fns))
        }
        "OneCycleLR" => {
            let o = OneCycleLrOptions {
                anneal_strategy: if spec["anneal"] == "cos" {
                    AnnealStrategy::Cos
                } else {
                    AnnealStrategy::Linear
                },
                three_phase: spec["three_phase"].as_bool().unwrap(),
                pct_start: spec.get("pct_start").map(f).unwrap_or(0.3),
                ..Default::default()
            };
            Box::new(OneCycleLr::new(
                opt,
                &fs(&spec["max_lr"]),
                i(spec, "total_steps"),
                o,
            ))
        }
        "SequentialLR" => {
            let children = spec["children"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| make_sched(c, opt))
                .collect();
            let m: Vec<i64> = spec["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            Box::new(SequentialLr::new(opt, children, &m))
        }
        other => panic!("unknown scheduler {other}"),
    }
}

/// The recorded values of one row: each group's lr, and the momentum (or beta1) when cycled.
fn observe(opt: &dyn Optimizer, with_momentum: Option<&str>) -> (Vec<f64>, Vec<f64>) {
    let lrs = opt.param_groups().iter().map(|g| g.lr).collect();
    let m = match with_momentum {
        Some("sgd_momentum") => opt
            .param_groups()
            .iter()
            .map(|g| g.get_f64("momentum"))
            .collect(),
        Some("adam") => opt
            .param_groups()
            .iter()
            .map(|g| g.get_pair("betas").0)
            .collect(),
        _ => vec![],
    };
    (lrs, m)
}

fn check_row(name: &str, step: usize, got: (Vec<f64>, Vec<f64>), want: &Value) {
    let wl = fs(&want["lr"]);
    assert_eq!(got.0.len(), wl.len());
    for (g, w) in got.0.iter().zip(&wl) {
        assert!(
            close(*g, *w, 1e-12),
            "{name}: step {step}: lr {:?}, PyTorch {wl:?}",
            got.0
        );
    }
    if let Some(wm) = want.get("momentum") {
        let wm = fs(wm);
        for (g, w) in got.1.iter().zip(&wm) {
            assert!(
                close(*g, *w, 1e-12),
                "{name}: step {step}: momentum {:?}, PyTorch {wm:?}",
                got.1
            );
        }
    }
}

#[test]
fn schedulers_match_pytorch() {
    let fx = fixture();
    let cases = fx["schedulers"].as_array().unwrap();
    let mut seen = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let kind = case["optimizer"].as_str().unwrap();
        let spec = &case["spec"];
        if spec["kind"] == "ReduceLROnPlateau" {
            continue;
        }
        seen += 1;
        let mut opt = sched_optimizer(kind);
        let mut s = make_sched(spec, opt.as_mut());
        let rows = case["rows"].as_array().unwrap();
        check_row(name, 0, observe(opt.as_ref(), Some(kind)), &rows[0]);
        for (k, row) in rows.iter().enumerate().skip(1) {
            opt.step();
            s.step(opt.as_mut());
            check_row(name, k, observe(opt.as_ref(), Some(kind)), row);
            assert_eq!(s.get_last_lr(), observe(opt.as_ref(), None).0.as_slice());
        }
    }
    assert!(seen >= 13);
}

#[test]
fn reduce_lr_on_plateau_matches_pytorch() {
    let fx = fixture();
    let mut seen = 0;
    for case in fx["schedulers"].as_array().unwrap() {
        let spec = &case["spec"];
        if spec["kind"] != "ReduceLROnPlateau" {
            continue;
        }
        seen += 1;
        let name = case["name"].as_str().unwrap();
        let mut opt = sched_optimizer("sgd");
        let o = ReduceLrOnPlateauOptions {
            mode: if spec["mode"] == "min" {
                PlateauMode::Min
            } else {
                PlateauMode::Max
            },
            factor: f(&spec["factor"]),
            patience: spec["patience"].as_u64().unwrap(),
            threshold: f(&spec["threshold"]),
            threshold_mode: if spec["threshold_mode"] == "rel" {
                ThresholdMode::Rel
            } else {
                ThresholdMode::Abs
            },
            cooldown: spec["cooldown"].as_u64().unwrap(),
            min_lr: fs(&spec["min_lr"]),
            eps: 1e-8,
        };
        let mut s = ReduceLrOnPlateau::new(opt.as_mut(), o);
        let rows = case["rows"].as_array().unwrap();
        check_row(name, 0, observe(opt.as_ref(), None), &rows[0]);
        for (k, m) in fs(&case["metrics"]).iter().enumerate() {
            opt.step();
            s.step(opt.as_mut(), *m);
            check_row(name, k + 1, observe(opt.as_ref(), None), &rows[k + 1]);
        }
        // The lr did change (the fixture exercises reductions, cooldown and min_lr).
        assert!(s.get_last_lr()[0] < 0.1);
    }
    assert_eq!(seen, 2);
}
