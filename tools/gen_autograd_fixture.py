#!/usr/bin/env python3
"""Generates crates/ember-autograd/tests/fixtures/torch_autograd.json: for the differentiable ops of
ember-autograd, float32 inputs on small random shapes (contiguous, transposed and broadcast
layouts), the op's arguments, PyTorch's forward outputs, a random upstream gradient for each
differentiable output, and the gradient of every input that requires grad (from
torch.autograd.grad). tests/torch_fixture.rs replays every case through Ember.

Run on a developer machine with PyTorch (CI only reads the committed JSON):
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
    /tmp/torchenv/bin/python tools/gen_autograd_fixture.py

Inputs and upstream gradients are float32 values. PyTorch evaluates each case in float64 on those
exact values and the results are stored rounded to float32, so the fixture holds the correctly
rounded float32 answer and a mismatch measures Ember's error alone. Each case is also run in
PyTorch's float32, which must meet the test's tolerance (relative 1e-5 plus 1e-6·max|value|):
a case float32 cannot resolve is rejected here, so a failure in the test is never just
float32's conditioning. Each float is written with the shortest decimal that reads back (via
f64, as the test reads it) as the same float32.

Input domains keep every op smooth at every sampled point: logs and roots on positive values,
kinks (relu, abs, clamp, maximum, remainder, ...) at least 0.05 away, and values without ties
(and well separated) for max/min/sort/median-type ops, whose tie rules are a documented
convention rather than a gradient.
"""
import json
import math
import os
import struct

import torch

F = torch.nn.functional
g = torch.Generator().manual_seed(20240611)
CASES = []
MAX_NUMEL = 64


# ----------------------------------------------------------------------------- data helpers
def _uniform(shape, lo, hi):
    return torch.rand(tuple(shape), generator=g, dtype=torch.float64) * (hi - lo) + lo


def f32(t):
    """Rounds a float tensor to float32 values (kept as float64 for the reference)."""
    return t.to(torch.float32).to(torch.float64)


def rnd(*shape, lo=-2.0, hi=2.0, avoid=(), gap=0.05):
    """Uniform float32 values in [lo, hi), at least `gap` away from each point in `avoid`."""
    t = _uniform(shape, lo, hi)
    for _ in range(1000):
        bad = torch.zeros(shape, dtype=torch.bool)
        for p in avoid:
            bad |= (t - p).abs() < gap
        if not bad.any():
            break
        t[bad] = _uniform((int(bad.sum()),), lo, hi)
    else:
        raise RuntimeError("could not sample away from the kinks")
    return f32(t)


def pos(*shape, lo=0.3, hi=2.0):
    return rnd(*shape, lo=lo, hi=hi)


def nonzero(*shape, lo=0.3, hi=2.0):
    """Values with |v| in [lo, hi) and random signs."""
    sign = torch.where(torch.rand(tuple(shape), generator=g) < 0.5, -1.0, 1.0).to(torch.float64)
    return f32(sign * _uniform(shape, lo, hi))


def distinct(*shape, lo=-2.0, hi=2.0):
    """Values with no ties, pairwise at least 0.4·(hi - lo)/numel apart, in random order."""
    n = math.prod(shape)
    step = (hi - lo) / n
    base = lo + step * (torch.arange(n, dtype=torch.float64) + 0.5)
    jitter = (torch.rand(n, generator=g, dtype=torch.float64) - 0.5) * 0.6 * step
    perm = torch.randperm(n, generator=g)
    return f32((base + jitter)[perm].reshape(shape))


def distinct_abs(*shape, lo=0.2, hi=2.0):
    """Values whose absolute values have no ties, with random signs."""
    sign = torch.where(torch.rand(tuple(shape), generator=g) < 0.5, -1.0, 1.0).to(torch.float64)
    return distinct(*shape, lo=lo, hi=hi) * sign


def away_from(a, b, gap=0.05):
    """Resamples `b` until |a - b| (broadcast) > gap everywhere: no ties for maximum/minimum."""
    for _ in range(1000):
        cand = rnd(*b.shape)
        if ((a - cand).abs() > gap).all():
            return cand
    raise RuntimeError("no tie-free sample")


def quotient_safe(a_shape, b_shape):
    """(a, b) with b bounded away from 0 (either sign) and a/b at least 0.05 away from any
    integer, so the floor/trunc in remainder/fmod is stable."""
    for _ in range(10000):
        a = rnd(*a_shape, lo=-3.0, hi=3.0)
        b = nonzero(*b_shape, lo=0.5, hi=1.5)
        q = a / b
        if ((q - q.round()).abs() > 0.05).all():
            return a, b
    raise RuntimeError("no quotient-safe sample")


def idx(*values):
    return torch.tensor(values, dtype=torch.int64)


def ints(lo, hi, *shape):
    return torch.randint(lo, hi, shape, generator=g)


# ----------------------------------------------------------------------------- encoding
def short(v):
    """The shortest decimal that reads back (through f64) as the float32 `v`."""
    want = struct.unpack("f", struct.pack("f", v))[0]
    for p in range(1, 10):
        s = float("%.*g" % (p, want))
        if struct.unpack("f", struct.pack("f", s))[0] == want:
            return s
    raise AssertionError(v)


def enc(t):
    t = t.detach()
    assert t.numel() <= MAX_NUMEL, f"tensor of shape {list(t.shape)} is too big for the fixture"
    flat = t.reshape(-1).tolist()
    if t.dtype == torch.bool:
        data, dtype = [bool(v) for v in flat], "bool"
    elif t.dtype == torch.int64:
        data, dtype = [int(v) for v in flat], "int64"
    else:
        assert t.dtype == torch.float64, t.dtype
        assert all(math.isfinite(v) for v in flat), "non-finite value in the fixture"
        data, dtype = [short(v) for v in flat], "float32"
    return {"shape": list(t.shape), "dtype": dtype, "data": data}


def _evaluate(fn, inputs, layouts, grad, dtype, gouts=None):
    """Runs `fn` with float inputs cast to `dtype`; returns (outputs, upstream grads, input grads).
    Upstream grads are drawn (float32 values) when `gouts` is None."""
    tins = []
    for t, lay, rg in zip(inputs, layouts, grad):
        u = t.to(dtype) if t.is_floating_point() else t.clone()
        if lay == "transposed":
            assert u.dim() >= 2
            u = u.transpose(0, -1).contiguous().transpose(0, -1)
            assert not u.is_contiguous()
        if rg:
            u.requires_grad_(True)
        tins.append(u)
    out = fn(*tins)
    out = list(out) if isinstance(out, (tuple, list)) else [out]
    diff = [o.is_floating_point() and o.requires_grad for o in out]
    if gouts is None:
        gouts = [rnd(*o.shape) if d else None for o, d in zip(out, diff)]
    grads = torch.autograd.grad(
        [o for o, d in zip(out, diff) if d],
        [t for t, rg in zip(tins, grad) if rg],
        [go.to(dtype) for go in gouts if go is not None],
        allow_unused=True,
    )
    grads = list(grads)
    per_input = [grads.pop(0) if rg else None for rg in grad]
    return out, gouts, per_input


def _within_tolerance(got, ref):
    """The test's rule, |got - ref| <= 1e-5·|ref| + 1e-6·max|ref|, with `ref` rounded to float32."""
    if not ref.is_floating_point():
        return torch.equal(got, ref)
    ref = f32(ref.detach())
    got = got.detach().to(torch.float64)
    floor = 1e-6 * ref.abs().max() if ref.numel() else 0.0
    return bool(((got - ref).abs() <= 1e-5 * ref.abs() + floor).all())


def case(op, inputs, fn, args=None, layouts=None, grad=None):
    """Records one case.

    inputs: tensors with their logical values (float inputs hold float32 values in float64);
    layouts: per input "contig" or "transposed" (stored transposed: dims 0 and -1 swapped);
    grad: per input whether it requires grad (default: every float input).

    The reference is computed in float64. The case is then run again in float32 and PyTorch's own
    float32 result must meet the test's tolerance: a case whose answer float32 cannot resolve
    (ill-conditioned, e.g. a cancellation) is rejected here instead of being blamed on Ember.
    """
    n = len(inputs)
    layouts = layouts or ["contig"] * n
    grad = grad if grad is not None else [t.is_floating_point() for t in inputs]
    out, gouts, grads = _evaluate(fn, inputs, layouts, grad, torch.float64)
    assert any(go is not None for go in gouts), f"{op}: no differentiable output"
    out32, _, grads32 = _evaluate(fn, inputs, layouts, grad, torch.float32, gouts)
    for what, got, ref in [("output", a, b) for a, b in zip(out32, out)] + [
        ("grad", a, b) for a, b in zip(grads32, grads) if b is not None
    ]:
        assert _within_tolerance(got, ref), f"{op} {args}: PyTorch's float32 {what} misses the tolerance"
    entry = {
        "op": op,
        "args": args or {},
        "inputs": [dict(enc(t), layout=lay, requires_grad=bool(rg)) for t, lay, rg in zip(inputs, layouts, grad)],
        "outputs": [enc(o) for o in out],
        "grad_outputs": [None if go is None else enc(go) for go in gouts],
        "grads": [None if gr is None else enc(gr) for gr in grads],  # None: no grad, or unused
    }
    CASES.append(entry)


T = "transposed"
C = "contig"

# ----------------------------------------------------------------------------- unary
# name -> (torch fn, args, sampler for a shape)
unary = {
    "neg": (torch.neg, {}, rnd),
    "abs": (torch.abs, {}, lambda *s: rnd(*s, avoid=[0.0])),
    "exp": (torch.exp, {}, rnd),
    "exp2": (torch.exp2, {}, rnd),
    "expm1": (torch.expm1, {}, rnd),
    "log": (torch.log, {}, lambda *s: pos(*s, lo=0.2, hi=3.0)),
    "log2": (torch.log2, {}, lambda *s: pos(*s, lo=0.2, hi=3.0)),
    "log10": (torch.log10, {}, lambda *s: pos(*s, lo=0.2, hi=3.0)),
    "log1p": (torch.log1p, {}, lambda *s: rnd(*s, lo=-0.5, hi=2.0)),
    "sqrt": (torch.sqrt, {}, lambda *s: pos(*s, lo=0.2, hi=3.0)),
    "rsqrt": (torch.rsqrt, {}, lambda *s: pos(*s, lo=0.2, hi=3.0)),
    "reciprocal": (torch.reciprocal, {}, lambda *s: nonzero(*s, lo=0.3, hi=2.0)),
    "sin": (torch.sin, {}, lambda *s: rnd(*s, lo=-3.0, hi=3.0)),
    "cos": (torch.cos, {}, lambda *s: rnd(*s, lo=-3.0, hi=3.0)),
    "tan": (torch.tan, {}, lambda *s: rnd(*s, lo=-1.2, hi=1.2)),
    "asin": (torch.asin, {}, lambda *s: rnd(*s, lo=-0.9, hi=0.9)),
    "acos": (torch.acos, {}, lambda *s: rnd(*s, lo=-0.9, hi=0.9)),
    "atan": (torch.atan, {}, lambda *s: rnd(*s, lo=-3.0, hi=3.0)),
    "sinh": (torch.sinh, {}, rnd),
    "cosh": (torch.cosh, {}, rnd),
    "tanh": (torch.tanh, {}, rnd),
    "sigmoid": (torch.sigmoid, {}, lambda *s: rnd(*s, lo=-4.0, hi=4.0)),
    "silu": (F.silu, {}, lambda *s: rnd(*s, lo=-4.0, hi=4.0)),
    "erf": (torch.erf, {}, rnd),
    "relu": (torch.relu, {}, lambda *s: rnd(*s, avoid=[0.0])),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), {"negative_slope": 0.1}, lambda *s: rnd(*s, avoid=[0.0])),
    "elu": (lambda x: F.elu(x, 1.5), {"alpha": 1.5}, lambda *s: rnd(*s, avoid=[0.0])),
    "square": (torch.square, {}, rnd),
    "clamp": (lambda x: torch.clamp(x, -0.5, 0.7), {"min": -0.5, "max": 0.7}, lambda *s: rnd(*s, avoid=[-0.5, 0.7])),
    "clamp_min": (lambda x: torch.clamp_min(x, 0.3), {"min": 0.3}, lambda *s: rnd(*s, avoid=[0.3])),
    "clamp_max": (lambda x: torch.clamp_max(x, -0.2), {"max": -0.2}, lambda *s: rnd(*s, avoid=[-0.2])),
}
for name, (fn, args, sample) in unary.items():
    case(name, [sample(3, 4)], fn, args=args)
    case(name, [sample(4, 5)], fn, args=args, layouts=[T])
case("gelu", [rnd(3, 4, lo=-3.0, hi=3.0)], F.gelu, args={"approximate": False})
case("gelu", [rnd(4, 5, lo=-3.0, hi=3.0)], F.gelu, args={"approximate": False}, layouts=[T])
case("gelu", [rnd(3, 4, lo=-3.0, hi=3.0)], lambda x: F.gelu(x, approximate="tanh"), args={"approximate": True})
case("gelu", [rnd(4, 5, lo=-3.0, hi=3.0)], lambda x: F.gelu(x, approximate="tanh"), args={"approximate": True}, layouts=[T])
case("softplus", [rnd(3, 4, lo=-3.0, hi=3.0)], lambda x: F.softplus(x, 1.0, 20.0), args={"beta": 1.0, "threshold": 20.0})
# beta·x crosses the threshold: the linear branch is taken for x > 0.75
case("softplus", [rnd(4, 5, lo=-2.0, hi=2.0, avoid=[0.75])], lambda x: F.softplus(x, 2.0, 1.5),
     args={"beta": 2.0, "threshold": 1.5}, layouts=[T])
# 3-d transposed inputs (dims 0 and 2 swapped in storage)
case("exp", [rnd(2, 3, 4)], torch.exp, layouts=[T])
case("tanh", [rnd(3, 2, 4)], torch.tanh, layouts=[T])



def tiny(*shape):
    """Values with |v| log-uniform in [1e-4, 1e-2] and random signs: relative accuracy near 0."""
    sign = torch.where(torch.rand(tuple(shape), generator=g) < 0.5, -1.0, 1.0).to(torch.float64)
    return f32(sign * torch.exp(_uniform(shape, math.log(1e-4), math.log(1e-2))))


def logu(*shape, lo=1e-6, hi=1e6):
    """Positive values log-uniform in [lo, hi]: many orders of magnitude."""
    return f32(torch.exp(_uniform(shape, math.log(lo), math.log(hi))))


# demanding but smooth domains: near zero, many magnitudes, large arguments
for name in ("expm1", "log1p", "sin", "tan", "sinh", "tanh", "asin", "atan", "erf", "exp2"):
    case(name, [tiny(3, 4)], unary[name][0], layouts=[T])
for name in ("log", "log2", "log10", "sqrt", "rsqrt", "reciprocal"):
    case(name, [logu(3, 4)], unary[name][0], layouts=[T])
case("exp", [rnd(3, 4, lo=-80.0, hi=80.0)], torch.exp)
for name in ("sigmoid", "silu", "tanh"):
    case(name, [rnd(3, 4, lo=-30.0, hi=30.0)], unary[name][0])
case("erf", [rnd(3, 4, lo=-6.0, hi=6.0)], torch.erf)
case("gelu", [rnd(3, 4, lo=-8.0, hi=8.0)], F.gelu, args={"approximate": False})
case("gelu", [rnd(3, 4, lo=-8.0, hi=8.0)], lambda x: F.gelu(x, approximate="tanh"), args={"approximate": True})
case("softplus", [rnd(3, 4, lo=-30.0, hi=30.0, avoid=[20.0])], lambda x: F.softplus(x, 1.0, 20.0), args={"beta": 1.0, "threshold": 20.0})
case("log1p", [logu(3, 4, lo=1e-6, hi=1e6)], torch.log1p)

# ----------------------------------------------------------------------------- binary
binary = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "atan2": torch.atan2,
}
for name, fn in binary.items():
    second = (lambda *s: nonzero(*s, lo=0.5, hi=2.0)) if name in ("div", "atan2") else rnd
    case(name, [rnd(3, 4), second(4)], fn, layouts=[T, C])
    case(name, [rnd(2, 1, 4), second(3, 1)], fn)
    case(name, [rnd(4, 1), second(4, 3)], fn, layouts=[C, T])
case("pow", [pos(3, 4, lo=0.3, hi=2.0), rnd(4)], torch.pow, layouts=[T, C])
case("pow", [pos(2, 1, 4, lo=0.3, hi=2.0), rnd(3, 1)], torch.pow)
case("pow", [pos(4, 1, lo=0.3, hi=2.0), rnd(4, 3)], torch.pow, layouts=[C, T])
for name, fn in {"maximum": torch.maximum, "minimum": torch.minimum}.items():
    a = rnd(3, 4)
    case(name, [a, away_from(a, torch.zeros(4))], fn, layouts=[T, C])
    a = rnd(2, 1, 4)
    case(name, [a, away_from(a, torch.zeros(3, 1))], fn)
    a = rnd(4, 3)
    case(name, [a, away_from(a, torch.zeros(4, 3))], fn, layouts=[T, T])
for name, fn in {"remainder": torch.remainder, "fmod": torch.fmod}.items():
    a, b = quotient_safe((3, 4), (4,))
    case(name, [a, b], fn, layouts=[T, C])
    a, b = quotient_safe((2, 1, 4), (3, 1))
    case(name, [a, b], fn)
# a number as the second operand
for e, sample in ((2.5, pos), (3.0, rnd), (-1.5, pos), (2.0, rnd)):
    case("pow_scalar", [sample(3, 4)], lambda x: torch.pow(x, e), args={"exponent": e}, layouts=[T])
case("mul_scalar", [rnd(3, 4)], lambda x: x * -1.75, args={"value": -1.75}, layouts=[T])
case("add_scalar", [rnd(3, 4)], lambda x: x + 0.625, args={"value": 0.625})
case("div_scalar", [rnd(4, 3)], lambda x: x / 0.3, args={"value": 0.3}, layouts=[T])
case("remainder_scalar", [rnd(3, 4, lo=-3.0, hi=3.0, avoid=[0.7 * k for k in range(-5, 6)])],
     lambda x: torch.remainder(x, 0.7), args={"value": 0.7}, layouts=[T])

# ----------------------------------------------------------------------------- selection / fused
case("where_cond", [rnd(3, 4) > 0, rnd(3, 4), rnd(4)], torch.where, layouts=[C, T, C])
case("where_cond", [rnd(4) > 0, rnd(3, 1), rnd(2, 1, 1)], torch.where)
case("where_cond", [rnd(3, 4) > 0, rnd(3, 4), rnd(3, 4)], torch.where, layouts=[T, C, T])
case("where_scalar", [rnd(3, 4) > 0, rnd(4)], lambda c, x: torch.where(c, x, 0.5), args={"other": 0.5})
case("masked_fill", [rnd(3, 4), rnd(4) > 0], lambda x, m: x.masked_fill(m, -7.5), args={"value": -7.5}, layouts=[T, C])
case("masked_fill", [rnd(2, 3, 4), rnd(3, 1) > 0], lambda x, m: x.masked_fill(m, 0.25), args={"value": 0.25})
case("lerp", [rnd(3, 4), rnd(4), rnd(3, 1)], torch.lerp, layouts=[T, C, C])
case("lerp", [rnd(2, 3), rnd(2, 3), rnd(2, 3)], torch.lerp, layouts=[C, T, T])
case("lerp_scalar", [rnd(3, 4), rnd(3, 4)], lambda a, b: torch.lerp(a, b, 0.3), args={"weight": 0.3}, layouts=[T, C])
case("addcmul", [rnd(3, 4), rnd(3, 4), rnd(4)], lambda a, b, c: torch.addcmul(a, b, c, value=0.5), args={"value": 0.5}, layouts=[C, T, C])
case("addcmul", [rnd(4), rnd(3, 1), rnd(2, 1, 4)], lambda a, b, c: torch.addcmul(a, b, c, value=-1.5), args={"value": -1.5})
case("addcdiv", [rnd(3, 4), rnd(3, 4), nonzero(4, lo=0.5, hi=2.0)], lambda a, b, c: torch.addcdiv(a, b, c, value=0.5), args={"value": 0.5}, layouts=[T, C, C])
case("addcdiv", [rnd(4), rnd(3, 1), nonzero(2, 1, 4, lo=0.5, hi=2.0)], lambda a, b, c: torch.addcdiv(a, b, c, value=2.0), args={"value": 2.0})

# ----------------------------------------------------------------------------- reductions
x = rnd(3, 4, 5)
case("sum", [x], lambda x: x.sum(), layouts=[T])
case("mean", [x], lambda x: x.mean())
for dims in ([0], [-1], [0, 2], [1, 2]):
    for keepdim in (False, True):
        lay = [T] if keepdim else [C]
        case("sum_dim", [rnd(3, 4, 5)], lambda x: x.sum(dims, keepdim=keepdim), args={"dims": dims, "keepdim": keepdim}, layouts=lay)
        case("mean_dim", [rnd(3, 4, 5)], lambda x: x.mean(dims, keepdim=keepdim), args={"dims": dims, "keepdim": keepdim}, layouts=lay)
        case("amax", [distinct(3, 4, 5)], lambda x: x.amax(dims, keepdim=keepdim), args={"dims": dims, "keepdim": keepdim}, layouts=lay)
        case("amin", [distinct(3, 4, 5)], lambda x: x.amin(dims, keepdim=keepdim), args={"dims": dims, "keepdim": keepdim}, layouts=lay)
        case("logsumexp", [rnd(3, 4, 5)], lambda x: x.logsumexp(dims, keepdim=keepdim), args={"dims": dims, "keepdim": keepdim}, layouts=lay)
# prod: no zeros, one zero, two zeros (the gradient is a polynomial: exact at zeros)
p = nonzero(2, 3, 4, lo=0.6, hi=1.4)
case("prod", [p], lambda x: x.prod(), layouts=[T])
p1 = p.clone()
p1[1, 2, 0] = 0.0
case("prod", [p1], lambda x: x.prod())
p2 = p1.clone()
p2[0, 0, 3] = 0.0
case("prod", [p2], lambda x: x.prod())
for d in (0, 1, -1):
    for keepdim in (False, True):
        case("prod_dim", [nonzero(3, 4, 5, lo=0.5, hi=1.5)], lambda x: x.prod(d, keepdim=keepdim), args={"dim": d, "keepdim": keepdim}, layouts=[T if keepdim else C])
pz = nonzero(3, 4, 5, lo=0.5, hi=1.5)
pz[0, 1, 2] = 0.0
pz[2, 3, 2] = 0.0
pz[2, 3, 4] = 0.0
case("prod_dim", [pz], lambda x: x.prod(-1), args={"dim": -1, "keepdim": False})
case("prod_dim", [pz], lambda x: x.prod(1), args={"dim": 1, "keepdim": False}, layouts=[T])
case("max", [distinct(3, 4, 5)], lambda x: x.max(), layouts=[T])
case("min", [distinct(3, 4, 5)], lambda x: x.min())
for d in (0, 1, -1):
    for keepdim in (False, True):
        lay = [T if d == 1 else C]
        a = {"dim": d, "keepdim": keepdim}
        case("max_dim", [distinct(3, 4, 5)], lambda x: tuple(x.max(d, keepdim=keepdim)), args=a, layouts=lay)
        case("min_dim", [distinct(3, 4, 5)], lambda x: tuple(x.min(d, keepdim=keepdim)), args=a, layouts=lay)
        case("median_dim", [distinct(3, 4, 5)], lambda x: tuple(x.median(d, keepdim=keepdim)), args=a, layouts=lay)
        for k in (1, 3):
            case("kthvalue", [distinct(3, 4, 5)], lambda x: tuple(x.kthvalue(k, d, keepdim=keepdim)), args=dict(a, k=k), layouts=lay)
case("median", [distinct(3, 4, 5)], lambda x: x.median(), layouts=[T])  # even count: the lower median
case("median", [distinct(3, 5)], lambda x: x.median())
for corr in (0, 1, 2):
    case("var", [rnd(3, 4, 5)], lambda x: x.var(correction=corr), args={"correction": corr}, layouts=[T])
    case("std", [rnd(3, 4, 5)], lambda x: x.std(correction=corr), args={"correction": corr})
    for dims, keepdim in (([1], False), ([0, 2], True), ([-1], True)):
        a = {"dims": dims, "correction": corr, "keepdim": keepdim}
        case("var_dim", [rnd(3, 4, 5)], lambda x: x.var(dims, correction=corr, keepdim=keepdim), args=a, layouts=[T if keepdim else C])
        case("std_dim", [rnd(3, 4, 5)], lambda x: x.std(dims, correction=corr, keepdim=keepdim), args=a, layouts=[C if keepdim else T])
for p in (1.0, 2.0, 3.0, float("inf"), 1.5):
    pj = "inf" if p == float("inf") else p
    case("norm", [distinct_abs(3, 4, 5)], lambda x: torch.linalg.vector_norm(x, p), args={"p": pj}, layouts=[T])
    for dims, keepdim in (([1], False), ([0, 2], True)):
        case("norm_dim", [distinct_abs(3, 4, 5)], lambda x: torch.linalg.vector_norm(x, p, dim=dims, keepdim=keepdim),
             args={"p": pj, "dims": dims, "keepdim": keepdim}, layouts=[C if keepdim else T])
for d in (0, 1, -1):
    lay = [T if d != 1 else C]
    case("softmax", [rnd(3, 4, 5, lo=-3.0, hi=3.0)], lambda x: torch.softmax(x, d), args={"dim": d}, layouts=lay)
    case("log_softmax", [rnd(3, 4, 5, lo=-3.0, hi=3.0)], lambda x: torch.log_softmax(x, d), args={"dim": d}, layouts=lay)
    case("cumsum", [rnd(3, 4, 5)], lambda x: x.cumsum(d), args={"dim": d}, layouts=lay)
    case("cumprod", [nonzero(3, 4, 5, lo=0.5, hi=1.5)], lambda x: x.cumprod(d), args={"dim": d}, layouts=lay)
    case("logcumsumexp", [rnd(3, 4, 5, lo=-3.0, hi=3.0)], lambda x: x.logcumsumexp(d), args={"dim": d}, layouts=lay)
    case("cummax", [distinct(3, 4, 5)], lambda x: tuple(torch.cummax(x, d)), args={"dim": d}, layouts=lay)
    case("cummin", [distinct(3, 4, 5)], lambda x: tuple(torch.cummin(x, d)), args={"dim": d}, layouts=lay)
    for desc in (False, True):
        case("sort", [distinct(3, 4, 5)], lambda x: tuple(x.sort(dim=d, descending=desc)), args={"dim": d, "descending": desc}, layouts=lay)
    for k, largest in ((2, True), (3, False)):
        case("topk", [distinct(3, 4, 5)], lambda x: tuple(x.topk(k, d, largest=largest, sorted=True)),
             args={"k": k, "dim": d, "largest": largest}, layouts=lay)
cz = nonzero(3, 4, 5, lo=0.5, hi=1.5)
cz[1, 2, 1] = 0.0
cz[0, 0, 3] = 0.0
cz[0, 0, 4] = 0.0
case("cumprod", [cz], lambda x: x.cumprod(-1), args={"dim": -1})  # with zeros (the exact path)
case("cumprod", [cz], lambda x: x.cumprod(0), args={"dim": 0}, layouts=[T])

# wide ranges: the log-sum-exp family must stay stable where exp overflows float32
for dims in ([1], [0, 2]):
    case("logsumexp", [rnd(3, 4, 5, lo=-60.0, hi=60.0)], lambda x: x.logsumexp(dims), args={"dims": dims, "keepdim": False})
for d in (0, -1):
    # (softmax's gradient on [-60, 60] is a cancellation float32 cannot resolve: PyTorch's own
    # float32 misses the tolerance there, so the softmax range is narrower)
    case("softmax", [rnd(3, 4, 5, lo=-20.0, hi=20.0)], lambda x: torch.softmax(x, d), args={"dim": d})
    case("log_softmax", [rnd(3, 4, 5, lo=-60.0, hi=60.0)], lambda x: torch.log_softmax(x, d), args={"dim": d})
    case("logcumsumexp", [rnd(3, 4, 5, lo=-60.0, hi=60.0)], lambda x: x.logcumsumexp(d), args={"dim": d})
case("logcumsumexp", [f32(torch.linspace(-100.0, 100.0, 12, dtype=torch.float64))], lambda x: x.logcumsumexp(0), args={"dim": 0})
case("logcumsumexp", [f32(torch.linspace(100.0, -100.0, 12, dtype=torch.float64))], lambda x: x.logcumsumexp(0), args={"dim": 0})

# ----------------------------------------------------------------------------- views
case("view", [rnd(3, 4, 5)], lambda x: x.view(5, -1, 2), args={"shape": [5, -1, 2]})
case("view", [rnd(2, 6)], lambda x: x.view(-1), args={"shape": [-1]})
case("reshape", [rnd(3, 4, 5)], lambda x: x.reshape(4, 15), args={"shape": [4, 15]}, layouts=[T])
case("reshape", [rnd(4, 6)], lambda x: x.reshape(2, -1, 3), args={"shape": [2, -1, 3]})
case("permute", [rnd(3, 4, 5)], lambda x: x.permute(2, 0, 1), args={"dims": [2, 0, 1]}, layouts=[T])
case("permute", [rnd(2, 3, 4)], lambda x: x.permute(-1, 1, 0), args={"dims": [-1, 1, 0]})
case("transpose", [rnd(3, 4, 5)], lambda x: x.transpose(0, 1), args={"dim0": 0, "dim1": 1}, layouts=[T])
case("transpose", [rnd(2, 3, 4)], lambda x: x.transpose(-1, 0), args={"dim0": -1, "dim1": 0})
case("t", [rnd(3, 5)], lambda x: x.t())
case("t", [rnd(4, 6)], lambda x: x.t(), layouts=[T])
case("mt", [rnd(2, 3, 4)], lambda x: x.mT, layouts=[T])
case("narrow", [rnd(4, 6)], lambda x: x.narrow(1, 2, 3), args={"dim": 1, "start": 2, "length": 3}, layouts=[T])
case("narrow", [rnd(3, 4, 5)], lambda x: x.narrow(0, 1, 2), args={"dim": 0, "start": 1, "length": 2})
case("select", [rnd(3, 4, 5)], lambda x: x.select(1, 2), args={"dim": 1, "index": 2}, layouts=[T])
case("select", [rnd(4, 6)], lambda x: x.select(-1, 5), args={"dim": -1, "index": 5})


def idx_json(items):
    out = []
    for it in items:
        if isinstance(it, slice):
            out.append({"slice": [it.start, it.stop, it.step or 1]})
        elif it is None:
            out.append("newaxis")
        elif it is Ellipsis:
            out.append("ellipsis")
        else:
            out.append({"select": it})
    return out


for shape, items, lay in (
    ((6, 7), (slice(1, None, 2), slice(None, -1, 3)), T),
    ((3, 4, 5), (slice(None, None, 2), 1, slice(1, 5, 2)), C),
    ((3, 4, 5), (Ellipsis, slice(-4, None, 3)), T),
    ((4, 6), (None, slice(1, 4), slice(0, 6, 4)), C),
    ((3, 4, 5), (-1, slice(None, None, 2), None, slice(2, None)), T),
):
    case("i", [rnd(*shape)], lambda x: x[items], args={"index": idx_json(items)}, layouts=[lay])
case("squeeze", [rnd(3, 1, 4, 1)], lambda x: x.squeeze())
case("squeeze_dim", [rnd(1, 3, 4)], lambda x: x.squeeze(0), args={"dim": 0})
case("squeeze_dim", [rnd(3, 4, 1)], lambda x: x.squeeze(-1), args={"dim": -1}, layouts=[T])
case("unsqueeze", [rnd(3, 4)], lambda x: x.unsqueeze(1), args={"dim": 1}, layouts=[T])
case("unsqueeze", [rnd(3, 4)], lambda x: x.unsqueeze(-1), args={"dim": -1})
case("flatten", [rnd(2, 3, 4)], lambda x: x.flatten(1, 2), args={"start": 1, "end": 2}, layouts=[T])
case("flatten", [rnd(2, 3, 4)], lambda x: x.flatten(0, -1), args={"start": 0, "end": -1})
case("unflatten", [rnd(3, 12)], lambda x: x.unflatten(1, (2, -1, 3)), args={"dim": 1, "sizes": [2, -1, 3]})
case("unflatten", [rnd(12, 4)], lambda x: x.unflatten(0, (3, 4)), args={"dim": 0, "sizes": [3, 4]}, layouts=[T])
case("expand", [rnd(3, 1)], lambda x: x.expand(2, 3, 4), args={"shape": [2, 3, 4]})
case("expand", [rnd(2, 3)], lambda x: x.expand(3, -1, -1), args={"shape": [3, -1, -1]}, layouts=[T])
case("diagonal", [rnd(3, 4, 5)], lambda x: x.diagonal(1, 0, 2), args={"offset": 1, "dim1": 0, "dim2": 2}, layouts=[T])
case("diagonal", [rnd(5, 4)], lambda x: x.diagonal(-2, 0, 1), args={"offset": -2, "dim1": 0, "dim2": 1})
case("diagonal", [rnd(4, 4, 3)], lambda x: x.diagonal(0, 1, 0), args={"offset": 0, "dim1": 1, "dim2": 0})
case("unfold", [rnd(3, 7)], lambda x: x.unfold(1, 3, 2), args={"dim": 1, "size": 3, "step": 2})  # overlapping
case("unfold", [rnd(8, 3)], lambda x: x.unfold(0, 4, 1), args={"dim": 0, "size": 4, "step": 1}, layouts=[T])
case("unfold", [rnd(2, 9)], lambda x: x.unfold(-1, 2, 3), args={"dim": -1, "size": 2, "step": 3})  # gaps
case("as_strided", [rnd(12)], lambda x: x.as_strided((4, 3), (2, 1), 1), args={"size": [4, 3], "stride": [2, 1], "offset": 1})
case("as_strided", [rnd(3, 5)], lambda x: x.as_strided((3, 3), (1, 3), 2), args={"size": [3, 3], "stride": [1, 3], "offset": 2}, layouts=[T])
case("as_strided", [rnd(4, 5)], lambda x: x.as_strided((2, 2, 3), (10, 5, 1), 0), args={"size": [2, 2, 3], "stride": [10, 5, 1], "offset": 0})
case("movedim", [rnd(2, 3, 4)], lambda x: torch.movedim(x, 0, 2), args={"source": [0], "destination": [2]}, layouts=[T])
case("movedim", [rnd(2, 3, 4, 2)], lambda x: torch.movedim(x, (0, 3), (1, 0)), args={"source": [0, 3], "destination": [1, 0]})
case("contiguous", [rnd(3, 5)], lambda x: x.contiguous(), layouts=[T])
case("clone", [rnd(3, 5)], lambda x: x.clone(), layouts=[T])

# ----------------------------------------------------------------------------- joins
case("cat", [rnd(2, 3), rnd(4, 3), rnd(1, 3)], lambda a, b, c: torch.cat([a, b, c], 0), args={"dim": 0}, layouts=[T, C, C])
case("cat", [rnd(2, 3), rnd(2, 2)], lambda a, b: torch.cat([a, b], -1), args={"dim": -1}, layouts=[C, T])
case("cat", [rnd(2, 1, 4), rnd(2, 3, 4)], lambda a, b: torch.cat([a, b], 1), args={"dim": 1}, layouts=[C, T])
case("stack", [rnd(2, 3), rnd(2, 3), rnd(2, 3)], lambda a, b, c: torch.stack([a, b, c], 1), args={"dim": 1}, layouts=[T, C, T])
case("stack", [rnd(4), rnd(4)], lambda a, b: torch.stack([a, b], -1), args={"dim": -1})
case("split", [rnd(7, 3)], lambda x: x.split(3, 0), args={"size": 3, "dim": 0}, layouts=[T])
case("split", [rnd(2, 5, 3)], lambda x: x.split(2, 1), args={"size": 2, "dim": 1})
case("split_sizes", [rnd(3, 7)], lambda x: x.split([1, 4, 2], 1), args={"sizes": [1, 4, 2], "dim": 1}, layouts=[T])
case("chunk", [rnd(3, 8)], lambda x: x.chunk(3, -1), args={"chunks": 3, "dim": -1})
case("chunk", [rnd(6, 4)], lambda x: x.chunk(2, 0), args={"chunks": 2, "dim": 0}, layouts=[T])
case("unbind", [rnd(3, 4)], lambda x: x.unbind(1), args={"dim": 1}, layouts=[T])
case("unbind", [rnd(2, 3, 4)], lambda x: x.unbind(0), args={"dim": 0})
case("repeat", [rnd(2, 3)], lambda x: x.repeat(2, 1, 3), args={"repeats": [2, 1, 3]}, layouts=[T])
case("repeat", [rnd(3)], lambda x: x.repeat(2, 4), args={"repeats": [2, 4]})
case("tile", [rnd(2, 3)], lambda x: x.tile((2,)), args={"reps": [2]})
case("tile", [rnd(2, 3)], lambda x: x.tile((3, 1, 2)), args={"reps": [3, 1, 2]}, layouts=[T])
case("repeat_interleave", [rnd(2, 3)], lambda x: x.repeat_interleave(2, dim=1), args={"repeats": 2, "dim": 1}, layouts=[T])
case("repeat_interleave", [rnd(2, 3)], lambda x: x.repeat_interleave(3), args={"repeats": 3, "dim": None})
case("flip", [rnd(3, 4)], lambda x: x.flip([0, 1]), args={"dims": [0, 1]}, layouts=[T])
case("flip", [rnd(2, 3, 4)], lambda x: x.flip([-1]), args={"dims": [-1]})
case("roll", [rnd(3, 4)], lambda x: x.roll([1, -2], [0, 1]), args={"shifts": [1, -2], "dims": [0, 1]}, layouts=[T])
case("roll", [rnd(2, 3, 4)], lambda x: x.roll([5], [2]), args={"shifts": [5], "dims": [2]})
case("tril", [rnd(2, 4, 5)], lambda x: x.tril(1), args={"diagonal": 1})
case("tril", [rnd(5, 4)], lambda x: x.tril(-1), args={"diagonal": -1}, layouts=[T])
case("triu", [rnd(4, 5)], lambda x: x.triu(-1), args={"diagonal": -1}, layouts=[T])
case("triu", [rnd(2, 3, 4)], lambda x: x.triu(2), args={"diagonal": 2})
for mode in ("constant", "reflect", "replicate", "circular"):
    extra = {"value": 0.5} if mode == "constant" else {}
    kw = {"value": 0.5} if mode == "constant" else {}
    case("pad", [rnd(2, 3, 5)], lambda x: F.pad(x, [2, 1], mode=mode, **kw), args=dict({"pads": [2, 1], "mode": mode}, **extra), layouts=[T])
    case("pad", [rnd(2, 3, 3)], lambda x: F.pad(x, [1, 1, 2, 1], mode=mode, **kw), args=dict({"pads": [1, 1, 2, 1], "mode": mode}, **extra))
    case("pad", [rnd(3, 5)], lambda x: F.pad(x, [3, 0], mode=mode, **kw), args=dict({"pads": [3, 0], "mode": mode}, **extra))

# ----------------------------------------------------------------------------- indexing
x = rnd(4, 5)
case("index_select", [x, idx(3, 0, 3, 1)], lambda x, i: x.index_select(1, i), args={"dim": 1}, layouts=[T, C])
case("index_select", [rnd(4, 3), idx(2, 2, 0)], lambda x, i: x.index_select(0, i), args={"dim": 0})
case("gather", [rnd(4, 5), ints(0, 4, 3, 5)], lambda x, i: x.gather(0, i), args={"dim": 0}, layouts=[T, C])
case("gather", [rnd(3, 4), ints(0, 4, 3, 6)], lambda x, i: x.gather(1, i), args={"dim": 1})
case("gather", [rnd(2, 3, 4), ints(0, 3, 2, 2, 3)], lambda x, i: x.gather(1, i), args={"dim": 1})  # smaller index
# scatter: distinct targets per line (duplicates would make the forward order-dependent)
si = torch.stack([torch.randperm(5, generator=g)[:3] for _ in range(4)])  # [4, 3], dim 1
case("scatter", [rnd(4, 5), si, rnd(4, 3)], lambda x, i, s: x.scatter(1, i, s), args={"dim": 1}, layouts=[T, C, C])
si0 = torch.stack([torch.randperm(4, generator=g)[:2] for _ in range(3)], 1)  # [2, 3], dim 0
case("scatter", [rnd(4, 5), si0, rnd(2, 3)], lambda x, i, s: x.scatter(0, i, s), args={"dim": 0}, layouts=[C, C, T])  # index smaller than self
case("scatter_value", [rnd(4, 5), si], lambda x, i: x.scatter(1, i, 2.5), args={"dim": 1, "value": 2.5}, layouts=[T, C])
case("scatter_add", [rnd(4, 5), ints(0, 5, 4, 3), rnd(4, 3)], lambda x, i, s: x.scatter_add(1, i, s), args={"dim": 1}, layouts=[T, C, C])
case("scatter_add", [rnd(3, 4), ints(0, 3, 2, 4), rnd(2, 4)], lambda x, i, s: x.scatter_add(0, i, s), args={"dim": 0}, layouts=[C, C, T])
case("take", [rnd(4, 5), idx(0, 19, 7, 7, -1, -20).reshape(2, 3)], torch.take, layouts=[T, C])
case("masked_select", [rnd(4, 5), rnd(5) > 0], torch.masked_select, layouts=[T, C])
case("masked_select", [rnd(3, 1), rnd(2, 1, 4) > 0], torch.masked_select)  # the input broadcasts too
m = rnd(3, 4) > 0
case("masked_scatter", [rnd(3, 4), m, rnd(3, 5)], lambda x, m, s: x.masked_scatter(m, s), layouts=[T, C, C])
case("masked_scatter", [rnd(3, 4), rnd(4) > 0, rnd(16)], lambda x, m, s: x.masked_scatter(m, s))
case("index_put", [rnd(5, 3), idx(4, 0, 2), rnd(3, 3)], lambda x, i, v: x.index_put((i,), v, accumulate=False),
     args={"accumulate": False, "n_idx": 1}, layouts=[T, C, C])
case("index_put", [rnd(5, 3), idx(4, 0, 4, 1, 0), rnd(5, 3)], lambda x, i, v: x.index_put((i,), v, accumulate=True),
     args={"accumulate": True, "n_idx": 1})
case("index_put", [rnd(4, 5), idx(0, 3, 1), idx(4, 0, 2), rnd(3)], lambda x, i, j, v: x.index_put((i, j), v, accumulate=False),
     args={"accumulate": False, "n_idx": 2}, layouts=[T, C, C, C])
case("index_put", [rnd(4, 5), idx(0, 3, 0, 0), idx(4, 0, 4, 1), rnd(1)], lambda x, i, j, v: x.index_put((i, j), v, accumulate=True),
     args={"accumulate": True, "n_idx": 2})
case("index_put", [rnd(3, 4, 2), idx(2, 0), rnd(4, 2)], lambda x, i, v: x.index_put((i,), v, accumulate=False),
     args={"accumulate": False, "n_idx": 1})  # values broadcast over the indexed rows
case("index_add", [rnd(4, 5), idx(3, 0, 3, 1), rnd(4, 4)], lambda x, i, s: x.index_add(1, i, s, alpha=2.0),
     args={"dim": 1, "alpha": 2.0}, layouts=[T, C, C])
case("index_add", [rnd(4, 3), idx(1, 1, 2), rnd(3, 3)], lambda x, i, s: x.index_add(0, i, s, alpha=-0.5),
     args={"dim": 0, "alpha": -0.5}, layouts=[C, C, T])
case("index_get", [rnd(4, 5), idx(0, 3, 3), idx(4, 0, 4)], lambda x, i, j: x[i, j], layouts=[T, C, C])
case("index_get", [rnd(4, 3, 2), idx(1, -1, 1).reshape(3, 1)], lambda x, i: x[i], layouts=[C, C])

# ----------------------------------------------------------------------------- linear algebra
case("matmul", [rnd(2, 1, 2, 3), rnd(2, 3, 4)], torch.matmul, layouts=[C, T])  # batch broadcast
case("matmul", [rnd(4), rnd(2, 4, 3)], torch.matmul)  # 1-d @ batched
case("matmul", [rnd(2, 3, 4), rnd(4)], torch.matmul, layouts=[T, C])  # batched @ 1-d
case("matmul", [rnd(3, 4), rnd(4)], torch.matmul, layouts=[T, C])
case("matmul", [rnd(5), rnd(5, 3)], torch.matmul, layouts=[C, T])
case("matmul", [rnd(6), rnd(6)], torch.matmul)
case("matmul", [rnd(3, 5), rnd(5, 4)], torch.matmul, layouts=[T, T])
case("mm", [rnd(5, 7), rnd(7, 6)], torch.mm, layouts=[T, T])
case("mm", [rnd(4, 3), rnd(3, 5)], torch.mm)
case("bmm", [rnd(3, 4, 5), rnd(3, 5, 2)], torch.bmm, layouts=[T, C])
case("dot", [rnd(6), rnd(6)], torch.dot)
case("outer", [rnd(4), rnd(3)], torch.outer)
case("addmm", [rnd(6), rnd(5, 7), rnd(7, 6)], lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=2.0), args={"beta": 0.5, "alpha": 2.0}, layouts=[C, T, C])
case("addmm", [rnd(4, 3), rnd(4, 2), rnd(2, 3)], lambda i, a, b: torch.addmm(i, a, b), args={"beta": 1.0, "alpha": 1.0}, layouts=[T, C, T])
case("baddbmm", [rnd(3, 4, 2), rnd(3, 4, 5), rnd(3, 5, 2)], lambda i, a, b: torch.baddbmm(i, a, b, beta=0.5, alpha=2.0), args={"beta": 0.5, "alpha": 2.0}, layouts=[C, T, C])
case("baddbmm", [rnd(1, 2), rnd(2, 3, 4), rnd(2, 4, 2)], lambda i, a, b: torch.baddbmm(i, a, b, beta=-1.0, alpha=0.75), args={"beta": -1.0, "alpha": 0.75})
for eq, shapes, lay in (
    ("ij,jk->ik", [(3, 4), (4, 5)], [T, C]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)], [C, T]),  # a batched contraction
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 2, 4)], [C, C]),
    ("ii->", [(5, 5)], [T]),  # the trace
    ("ii", [(4, 4)], [C]),  # the trace, implicit output
    ("ii->i", [(4, 4)], [C]),  # the diagonal
    ("ij->ji", [(3, 5)], [T]),
    ("i,i->", [(6,), (6,)], [C, C]),
    ("i,j->ij", [(4,), (3,)], [C, C]),
    ("ij,ij->i", [(3, 4), (3, 4)], [T, C]),
    ("ijk,jl->il", [(2, 3, 4), (3, 5)], [C, T]),  # k summed inside one operand
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)], [C, C]),  # broadcast ellipsis
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], [C, T, C]),
    ("bii->bi", [(2, 3, 3)], [T]),
):
    case("einsum", [rnd(*s) for s in shapes], lambda *ops: torch.einsum(eq, *ops), args={"eq": eq}, layouts=lay)

# ----------------------------------------------------------------------------- composites
case("cross_entropy", [rnd(5, 4, lo=-3.0, hi=3.0), idx(0, 3, 3, 1, 2)], F.cross_entropy, layouts=[T, C])
case("cross_entropy", [rnd(4, 5, lo=-60.0, hi=60.0), idx(4, 0, 2, 2)], F.cross_entropy)  # large logits
case("bce_with_logits", [rnd(3, 4, lo=-30.0, hi=30.0), f32(torch.rand(3, 4, generator=g, dtype=torch.float64))],
     F.binary_cross_entropy_with_logits, grad=[True, True])
case("cross_entropy", [rnd(6, 3, lo=-3.0, hi=3.0), idx(2, 0, 1, 1, 0, 2)], F.cross_entropy)
case("mse_loss", [rnd(3, 4), rnd(3, 4)], F.mse_loss, layouts=[T, C])
case("bce_with_logits", [rnd(3, 4, lo=-3.0, hi=3.0), f32(torch.rand(3, 4, generator=g, dtype=torch.float64))],
     F.binary_cross_entropy_with_logits, grad=[True, True])
case("layer_norm", [rnd(4, 6), rnd(6), rnd(6)], lambda x, w, b: F.layer_norm(x, (6,), w, b, 1e-5), args={"eps": 1e-5}, layouts=[T, C, C])
case("attention", [rnd(2, 3, 4), rnd(2, 5, 4), rnd(2, 5, 3)],
     lambda q, k, v: torch.softmax(q @ k.mT * 0.5, -1) @ v, args={"scale": 0.5}, layouts=[C, T, C])
case("mlp", [rnd(4, 3), rnd(3, 5), rnd(5), rnd(5, 2)], lambda x, w1, b1, w2: torch.tanh(x @ w1 + b1) @ w2, layouts=[C, T, C, C])

out = os.path.join(os.path.dirname(__file__), "..", "crates", "ember-autograd", "tests", "fixtures", "torch_autograd.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump({"torch_version": torch.__version__, "reference_dtype": "float64", "cases": CASES}, f, separators=(",", ":"))
ops = sorted(set(c["op"] for c in CASES))
print(f"{len(CASES)} cases over {len(ops)} ops, {os.path.getsize(out)} bytes -> {os.path.normpath(out)}")
