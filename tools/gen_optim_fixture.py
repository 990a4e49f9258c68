"""Regenerates crates/ember-optim/tests/fixtures/torch_optim.json with real PyTorch.

For each optimizer configuration: 20 steps on a small deterministic f64 problem (two
parameters, the loss below, whose gradient the Rust test computes with Ember's autograd),
recording the parameters after every step. For each lr scheduler: the learning rate of two
parameter groups (and the momentum / beta1 where OneCycleLR cycles it) after construction and
after each of 40 steps; ReduceLROnPlateau is fed a fixed metric sequence.

Run:  /tmp/torchenv/bin/python tools/gen_optim_fixture.py
CI only reads the committed JSON.
"""

import json
import os

import torch

torch.set_default_dtype(torch.float64)

STEPS = 20
SCHED_STEPS = 40

A0 = [1.5, -0.8]
B0 = [[0.3, -0.2], [0.5, 0.9]]
T = [0.5, -1.0]
C = [1.0, 3.0]
Y = [0.2, -0.4]


def loss_fn(a, b):
    """Same formula as `loss` in crates/ember-optim/tests/torch_optim.rs."""
    t = torch.tensor(T)
    c = torch.tensor(C)
    y = torch.tensor(Y)
    return (
        ((a - t).pow(2.0) * c).sum()
        + (torch.tanh(b.matmul(a)) - y).pow(2.0).sum()
        + 0.05 * b.pow(4.0).sum()
    )


OPTIMS = {
    "SGD": torch.optim.SGD,
    "Adam": torch.optim.Adam,
    "AdamW": torch.optim.AdamW,
    "RMSprop": torch.optim.RMSprop,
    "Adagrad": torch.optim.Adagrad,
    "Adadelta": torch.optim.Adadelta,
    "Adamax": torch.optim.Adamax,
    "NAdam": torch.optim.NAdam,
    "RAdam": torch.optim.RAdam,
}

# (case name, optimizer, defaults, per-group overrides or None for one group of both params)
CASES = [
    ("sgd", "SGD", {"lr": 0.01}, None),
    ("sgd_momentum_dampening_wd", "SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}, None),
    ("sgd_nesterov_wd", "SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}, None),
    ("sgd_maximize", "SGD", {"lr": 0.01, "momentum": 0.5, "maximize": True}, None),
    ("sgd_two_groups", "SGD", {"lr": 0.01, "momentum": 0.9}, [{"lr": 0.05}, {"momentum": 0.0}]),
    ("adam", "Adam", {"lr": 0.05}, None),
    ("adam_amsgrad_wd_betas", "Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "betas": [0.8, 0.95]}, None),
    ("adam_maximize", "Adam", {"lr": 0.05, "maximize": True}, None),
    ("adam_two_groups", "Adam", {"lr": 0.05}, [{"betas": [0.5, 0.9]}, {"lr": 0.01, "amsgrad": True}]),
    ("adamw", "AdamW", {"lr": 0.05, "weight_decay": 0.1}, None),
    ("adamw_amsgrad_maximize", "AdamW", {"lr": 0.05, "amsgrad": True, "maximize": True}, None),
    ("rmsprop", "RMSprop", {"lr": 0.01}, None),
    ("rmsprop_centered_momentum_wd", "RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.01, "alpha": 0.9}, None),
    ("rmsprop_maximize", "RMSprop", {"lr": 0.01, "momentum": 0.5, "maximize": True}, None),
    ("adagrad", "Adagrad", {"lr": 0.1}, None),
    ("adagrad_decay_init_wd", "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01}, None),
    ("adadelta", "Adadelta", {"lr": 1.0}, None),
    ("adadelta_rho_wd_maximize", "Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1, "maximize": True}, None),
    ("adamax", "Adamax", {"lr": 0.05}, None),
    ("adamax_wd_maximize", "Adamax", {"lr": 0.05, "weight_decay": 0.01, "maximize": True, "betas": [0.8, 0.99]}, None),
    ("nadam", "NAdam", {"lr": 0.05}, None),
    ("nadam_decoupled_wd", "NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "momentum_decay": 0.01}, None),
    ("nadam_l2_maximize", "NAdam", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}, None),
    ("radam", "RAdam", {"lr": 0.05}, None),
    ("radam_decoupled_wd", "RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "betas": [0.9, 0.99]}, None),
    ("radam_l2_maximize", "RAdam", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}, None),
]


def torch_kwargs(d):
    d = dict(d)
    if "betas" in d:
        d["betas"] = tuple(d["betas"])
    return d


def run_case(name, opt_name, defaults, groups):
    a = torch.tensor(A0, requires_grad=True)
    b = torch.tensor(B0, requires_grad=True)
    if groups is None:
        params = [a, b]
    else:
        params = [dict(params=[p], **torch_kwargs(o)) for p, o in zip([a, b], groups)]
    extra = {"foreach": False}
    opt = OPTIMS[opt_name](params, **torch_kwargs(defaults), **extra)
    maximize = defaults.get("maximize", False)
    steps = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(a, b)
        (-loss if maximize else loss).backward()
        opt.step()
        steps.append(a.detach().tolist() + b.detach().flatten().tolist())
    return {"name": name, "optimizer": opt_name, "defaults": defaults, "groups": groups, "steps": steps}


def sgd_two_groups(momentum=0.0):
    a = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return torch.optim.SGD([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.02}], lr=0.1, momentum=momentum)


def adam_two_groups():
    a = torch.zeros(1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    return torch.optim.Adam([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.02}], lr=0.1)


S = torch.optim.lr_scheduler

# (case name, optimizer kind, constructor, spec for the Rust side, what to record)
SCHEDS = [
    ("step", "sgd", lambda o: S.StepLR(o, step_size=7, gamma=0.5), {"kind": "StepLR", "step_size": 7, "gamma": 0.5}),
    ("multistep", "sgd", lambda o: S.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
     {"kind": "MultiStepLR", "milestones": [5, 12, 12, 30], "gamma": 0.3}),
    ("exponential", "sgd", lambda o: S.ExponentialLR(o, gamma=0.9), {"kind": "ExponentialLR", "gamma": 0.9}),
    ("cosine", "sgd", lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
     {"kind": "CosineAnnealingLR", "T_max": 10, "eta_min": 0.001}),
    ("cosine_warm_restarts", "sgd", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.001),
     {"kind": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2, "eta_min": 0.001}),
    ("cosine_warm_restarts_mult1", "sgd", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=7),
     {"kind": "CosineAnnealingWarmRestarts", "T_0": 7, "T_mult": 1, "eta_min": 0.0}),
    ("linear", "sgd", lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=8),
     {"kind": "LinearLR", "start_factor": 0.25, "end_factor": 1.0, "total_iters": 8}),
    ("linear_decay", "sgd", lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=30),
     {"kind": "LinearLR", "start_factor": 1.0, "end_factor": 0.1, "total_iters": 30}),
    ("lambda_per_group", "sgd", lambda o: S.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1.0 / (1.0 + e)]),
     {"kind": "LambdaLR"}),
    ("onecycle_cos_sgd", "sgd_momentum", lambda o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=SCHED_STEPS),
     {"kind": "OneCycleLR", "max_lr": [1.0, 0.5], "total_steps": SCHED_STEPS, "anneal": "cos", "three_phase": False}),
    ("onecycle_linear_three_phase_adam", "adam",
     lambda o: S.OneCycleLR(o, max_lr=0.3, total_steps=SCHED_STEPS, anneal_strategy="linear", three_phase=True, pct_start=0.25),
     {"kind": "OneCycleLR", "max_lr": [0.3], "total_steps": SCHED_STEPS, "anneal": "linear", "three_phase": True,
      "pct_start": 0.25}),
    ("sequential_linear_cosine", "sgd",
     lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5), S.CosineAnnealingLR(o, T_max=20)], milestones=[5]),
     {"kind": "SequentialLR", "children": [
         {"kind": "LinearLR", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 5},
         {"kind": "CosineAnnealingLR", "T_max": 20, "eta_min": 0.0}], "milestones": [5]}),
    ("sequential_three", "sgd",
     lambda o: S.SequentialLR(o, [S.ExponentialLR(o, gamma=0.9), S.StepLR(o, step_size=3, gamma=0.5),
                                  S.LinearLR(o, start_factor=0.5, total_iters=4)], milestones=[10, 25]),
     {"kind": "SequentialLR", "children": [
         {"kind": "ExponentialLR", "gamma": 0.9},
         {"kind": "StepLR", "step_size": 3, "gamma": 0.5},
         {"kind": "LinearLR", "start_factor": 0.5, "end_factor": 1.0, "total_iters": 4}], "milestones": [10, 25]}),
]

METRICS = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.79, 0.7955, 0.7952,
           0.7951, 0.7950, 0.79, 0.78, 0.80, 0.81, 0.82, 0.83, 0.84, 0.85, 0.7, 0.71, 0.72, 0.73, 0.74,
           0.75, 0.76, 0.77, 0.78, 0.79, 0.6, 0.61, 0.62, 0.63, 0.64]

PLATEAUS = [
    ("plateau_min_rel", {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 0.01, "threshold_mode": "rel",
                         "cooldown": 1, "min_lr": [0.01, 0.001]}),
    ("plateau_max_abs", {"mode": "max", "factor": 0.3, "patience": 1, "threshold": 0.005, "threshold_mode": "abs",
                         "cooldown": 0, "min_lr": [0.0]}),
]


def record(opt, kind):
    row = {"lr": [g["lr"] for g in opt.param_groups]}
    if kind == "sgd_momentum":
        row["momentum"] = [g["momentum"] for g in opt.param_groups]
    if kind == "adam":
        row["momentum"] = [g["betas"][0] for g in opt.param_groups]
    return row


def run_sched(name, kind, make, spec):
    opt = {"sgd": sgd_two_groups, "sgd_momentum": lambda: sgd_two_groups(0.9), "adam": adam_two_groups}[kind]()
    sched = make(opt)
    rows = [record(opt, kind)]
    for _ in range(SCHED_STEPS):
        opt.step()
        sched.step()
        rows.append(record(opt, kind))
    return {"name": name, "optimizer": kind, "spec": spec, "rows": rows}


def run_plateau(name, spec):
    opt = sgd_two_groups()
    kw = dict(spec)
    if len(kw["min_lr"]) == 1:
        kw["min_lr"] = kw["min_lr"][0]
    sched = S.ReduceLROnPlateau(opt, **kw)
    rows = [record(opt, "sgd")]
    for m in METRICS:
        opt.step()
        sched.step(m)
        rows.append(record(opt, "sgd"))
    return {"name": name, "optimizer": "sgd", "spec": dict(spec, kind="ReduceLROnPlateau"), "metrics": METRICS,
            "rows": rows}


def main():
    out = {
        "torch_version": torch.__version__,
        "problem": {"a0": A0, "b0": B0, "t": T, "c": C, "y": Y, "steps": STEPS},
        "optimizers": [run_case(*c) for c in CASES],
        "schedulers": [run_sched(*s) for s in SCHEDS] + [run_plateau(*p) for p in PLATEAUS],
    }
    path = os.path.join(os.path.dirname(__file__), "..", "crates", "ember-optim", "tests", "fixtures",
                        "torch_optim.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(path)} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
