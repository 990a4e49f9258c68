#!/usr/bin/env python3
"""Generates crates/ember-tensor/tests/fixtures/torch_ops.json: inputs and PyTorch's outputs for
level-1 ops on random shapes (contiguous, transposed and broadcast inputs), which
tests/torch_fixture.rs replays against Ember.

Run on a developer machine with PyTorch (CI only reads the committed JSON):
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy
    /tmp/torchenv/bin/python tools/gen_tensor_fixture.py
"""
import json
import os

import torch

torch.manual_seed(0)
g = torch.Generator().manual_seed(1234)
CASES = []


def rnd(*shape, lo=-2.0, hi=2.0, dtype=torch.float32):
    return (torch.rand(*shape, generator=g, dtype=torch.float64) * (hi - lo) + lo).to(dtype)


def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        data = [bool(v) for v in t.reshape(-1).tolist()]
    elif t.dtype in (torch.int64, torch.int32, torch.uint8):
        data = [int(v) for v in t.reshape(-1).tolist()]
    else:
        data = [float(v) for v in t.to(torch.float64).reshape(-1).tolist()]
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "data": data}


def case(op, inputs, fn, args=None, layouts=None):
    """inputs: list of tensors (logical values); layouts: per input 'contig' or 'transposed'."""
    layouts = layouts or ["contig"] * len(inputs)
    torch_inputs = []
    for t, l in zip(inputs, layouts):
        if l == "transposed" and t.dim() >= 2:
            t = t.transpose(0, -1).contiguous().transpose(0, -1)
            assert not t.is_contiguous()
        torch_inputs.append(t)
    out = fn(*torch_inputs)
    if not isinstance(out, (tuple, list)):
        out = [out]
    entry = {"op": op, "args": args or {}, "inputs": [dict(enc(t), layout=l) for t, l in zip(inputs, layouts)],
             "outputs": [enc(o) for o in out]}
    CASES.append(entry)


F = torch.nn.functional

# ---- unary: each on a [3, 4] input, contiguous and transposed
unary = {
    "neg": torch.neg, "abs": torch.abs, "sign": torch.sign, "exp": torch.exp, "exp2": torch.exp2,
    "expm1": torch.expm1, "log": lambda x: torch.log(x.abs() + 0.1), "log2": lambda x: torch.log2(x.abs() + 0.1),
    "log10": lambda x: torch.log10(x.abs() + 0.1), "log1p": lambda x: torch.log1p(x.abs()),
    "sqrt": lambda x: torch.sqrt(x.abs()), "rsqrt": lambda x: torch.rsqrt(x.abs() + 0.1),
    "reciprocal": lambda x: torch.reciprocal(x.abs() + 0.1), "sin": torch.sin, "cos": torch.cos, "tan": torch.tan,
    "asin": lambda x: torch.asin(x / 2.5), "acos": lambda x: torch.acos(x / 2.5), "atan": torch.atan,
    "sinh": torch.sinh, "cosh": torch.cosh, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1), "elu": lambda x: F.elu(x, 1.0),
    "gelu": lambda x: F.gelu(x), "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu,
    "softplus": lambda x: F.softplus(x, beta=1.0, threshold=20.0), "erf": torch.erf, "floor": torch.floor,
    "ceil": torch.ceil, "round": lambda x: torch.round(x * 3), "trunc": torch.trunc,
    "clamp": lambda x: torch.clamp(x, -0.5, 0.5),
}
for name, fn in unary.items():
    for layout in ["contig", "transposed"]:
        case(name, [rnd(3, 4)], fn, layouts=[layout])

# ---- binary with broadcasting: [3,4] op [4] and [2,1,4] op [3,1]
binary = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
    "floor_divide": torch.floor_divide, "remainder": torch.remainder, "fmod": torch.fmod,
    "pow": lambda a, b: torch.pow(a.abs() + 0.1, b), "maximum": torch.maximum, "minimum": torch.minimum,
    "atan2": torch.atan2,
}
for name, fn in binary.items():
    case(name, [rnd(3, 4), rnd(4)], fn, layouts=["transposed", "contig"])
    case(name, [rnd(2, 1, 4), rnd(3, 1)], fn)

# ---- comparisons and selection
for name, fn in {"eq": torch.eq, "lt": torch.lt, "ge": torch.ge}.items():
    a = rnd(3, 4).round()
    b = rnd(4).round()
    case(name, [a, b], fn)
case("logical_and", [rnd(3, 4).round(), rnd(3, 4).round()], torch.logical_and, layouts=["transposed", "contig"])
case("where_cond", [rnd(3, 4) > 0, rnd(3, 4), rnd(4)], torch.where)
case("masked_fill", [rnd(3, 4), rnd(4) > 0], lambda x, m: x.masked_fill(m, -7.5), args={"value": -7.5})
case("lerp", [rnd(3, 4), rnd(3, 4)], lambda a, b: torch.lerp(a, b, 0.3), args={"weight": 0.3})
case("addcmul", [rnd(3, 4), rnd(3, 4), rnd(4)], lambda a, b, c: torch.addcmul(a, b, c, value=0.5), args={"value": 0.5})
case("addcdiv", [rnd(3, 4), rnd(3, 4), rnd(4, lo=0.5, hi=2.0)], lambda a, b, c: torch.addcdiv(a, b, c, value=0.5), args={"value": 0.5})

# ---- reductions on [3, 4, 5]
x = rnd(3, 4, 5)
case("sum", [x], lambda x: x.sum(), layouts=["transposed"])
for dims in ([0], [-1], [0, 2]):
    case("sum_dim", [x], lambda x: x.sum(dims, keepdim=True), args={"dims": dims, "keepdim": True}, layouts=["transposed"])
    case("mean_dim", [x], lambda x: x.mean(dims), args={"dims": dims, "keepdim": False})
    case("amax", [x], lambda x: x.amax(dims), args={"dims": dims, "keepdim": False}, layouts=["transposed"])
    case("amin", [x], lambda x: x.amin(dims, keepdim=True), args={"dims": dims, "keepdim": True})
    case("var_dim", [x], lambda x: x.var(dims, correction=1), args={"dims": dims, "correction": 1, "keepdim": False})
    case("std_dim", [x], lambda x: x.std(dims, correction=0, keepdim=True), args={"dims": dims, "correction": 0, "keepdim": True})
    case("logsumexp", [x], lambda x: x.logsumexp(dims), args={"dims": dims, "keepdim": False}, layouts=["transposed"])
for d in (0, 1, -1):
    case("prod_dim", [x], lambda x: x.prod(d), args={"dim": d, "keepdim": False})
    case("max_dim", [x], lambda x: tuple(x.max(d)), args={"dim": d, "keepdim": False}, layouts=["transposed"])
    case("min_dim", [x], lambda x: tuple(x.min(d, keepdim=True)), args={"dim": d, "keepdim": True})
    case("argmax_dim", [x], lambda x: x.argmax(d), args={"dim": d, "keepdim": False})
    case("cumsum", [x], lambda x: x.cumsum(d), args={"dim": d}, layouts=["transposed"])
    case("cumprod", [x], lambda x: x.cumprod(d), args={"dim": d})
    case("sort", [x], lambda x: tuple(x.sort(dim=d, stable=True)), args={"dim": d, "descending": False}, layouts=["transposed"])
    case("sort", [x], lambda x: tuple(x.sort(dim=d, descending=True, stable=True)), args={"dim": d, "descending": True})
    case("topk", [x], lambda x: tuple(x.topk(2, d)), args={"k": 2, "dim": d})
    case("kthvalue", [x], lambda x: tuple(x.kthvalue(2, d)), args={"k": 2, "dim": d, "keepdim": False})
    case("median_dim", [x], lambda x: tuple(x.median(d)), args={"dim": d, "keepdim": False})
for p in (1.0, 2.0, float("inf"), 3.0):
    case("norm", [x], lambda x: torch.linalg.vector_norm(x, p), args={"p": "inf" if p == float("inf") else p})
    case("norm_dim", [x], lambda x: torch.linalg.vector_norm(x, p, dim=[1]), args={"p": "inf" if p == float("inf") else p, "dims": [1], "keepdim": False})

# ---- joining / repeating
a, b = rnd(2, 3), rnd(4, 3)
case("cat", [a, b], lambda a, b: torch.cat([a, b], 0), args={"dim": 0}, layouts=["transposed", "contig"])
case("cat", [rnd(2, 3), rnd(2, 2)], lambda a, b: torch.cat([a, b], -1), args={"dim": -1})
case("stack", [rnd(2, 3), rnd(2, 3)], lambda a, b: torch.stack([a, b], 1), args={"dim": 1})
case("flip", [rnd(3, 4)], lambda x: x.flip([0, 1]), args={"dims": [0, 1]}, layouts=["transposed"])
case("roll", [rnd(3, 4)], lambda x: x.roll([1, -2], [0, 1]), args={"shifts": [1, -2], "dims": [0, 1]})
case("pad_reflect", [rnd(2, 3, 4)], lambda x: F.pad(x, [2, 1, 1, 2], mode="reflect"), args={"pads": [2, 1, 1, 2]})
case("pad_replicate", [rnd(2, 3, 4)], lambda x: F.pad(x, [2, 1, 1, 0], mode="replicate"), args={"pads": [2, 1, 1, 0]})
case("pad_constant", [rnd(2, 3)], lambda x: F.pad(x, [1, 2], value=0.5), args={"pads": [1, 2], "value": 0.5})
case("tril", [rnd(2, 4, 5)], lambda x: x.tril(1), args={"diagonal": 1})
case("triu", [rnd(4, 5)], lambda x: x.triu(-1), args={"diagonal": -1}, layouts=["transposed"])
case("repeat", [rnd(2, 3)], lambda x: x.repeat(2, 1, 3), args={"repeats": [2, 1, 3]})
case("tile", [rnd(2, 3)], lambda x: x.tile((2,)), args={"reps": [2]})
case("repeat_interleave", [rnd(2, 3)], lambda x: x.repeat_interleave(2, dim=1), args={"repeats": 2, "dim": 1})

# ---- indexing (index tensors are int64 inputs)
x = rnd(4, 5)
idx = torch.tensor([3, 0, 3, 1])
case("index_select", [x, idx], lambda x, i: x.index_select(1, i), args={"dim": 1}, layouts=["transposed", "contig"])
gi = torch.randint(0, 4, (3, 5), generator=g)
case("gather", [x, gi], lambda x, i: x.gather(0, i), args={"dim": 0})
si = torch.randint(0, 5, (4, 3), generator=g)
case("scatter_add", [x, si, rnd(4, 3)], lambda x, i, s: x.scatter_add(1, i, s), args={"dim": 1})
case("index_add", [x, idx, rnd(4, 4)], lambda x, i, s: x.index_add(1, i, s, alpha=2.0), args={"dim": 1, "alpha": 2.0})
case("take", [x, torch.tensor([[0, 19], [7, 7]])], torch.take, layouts=["transposed", "contig"])
case("masked_select", [x, rnd(5) > 0], torch.masked_select)

# ---- linear algebra
case("matmul", [rnd(2, 1, 3, 4), rnd(3, 4, 5)], torch.matmul, layouts=["contig", "transposed"])
case("matmul", [rnd(4), rnd(2, 4, 3)], torch.matmul)
case("matmul", [rnd(3, 4), rnd(4)], torch.matmul, layouts=["transposed", "contig"])
case("mm", [rnd(5, 7), rnd(7, 6)], torch.mm, layouts=["transposed", "transposed"])
case("bmm", [rnd(3, 4, 5), rnd(3, 5, 2)], torch.bmm, layouts=["transposed", "contig"])
case("addmm", [rnd(6), rnd(5, 7), rnd(7, 6)], lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=2.0), args={"beta": 0.5, "alpha": 2.0})
case("baddbmm", [rnd(3, 4, 2), rnd(3, 4, 5), rnd(3, 5, 2)], lambda i, a, b: torch.baddbmm(i, a, b, beta=0.5, alpha=2.0), args={"beta": 0.5, "alpha": 2.0})
case("outer", [rnd(4), rnd(3)], torch.outer)
case("dot", [rnd(6), rnd(6)], torch.dot)
case("einsum", [rnd(2, 3, 4), rnd(2, 4, 5)], lambda a, b: torch.einsum("bij,bjk->bik", a, b), args={"eq": "bij,bjk->bik"})
case("einsum", [rnd(3, 4), rnd(4, 3)], lambda a, b: torch.einsum("ij,ji->", a, b), args={"eq": "ij,ji->"})
case("einsum", [rnd(4, 4)], lambda a: torch.einsum("ii->i", a), args={"eq": "ii->i"})

# ---- views materialised
case("diagonal", [rnd(3, 4, 5)], lambda x: x.diagonal(1, 0, 2), args={"offset": 1, "dim1": 0, "dim2": 2}, layouts=["transposed"])
case("unfold", [rnd(3, 7)], lambda x: x.unfold(1, 3, 2), args={"dim": 1, "size": 3, "step": 2})
case("softmax", [rnd(3, 5)], lambda x: torch.softmax(x, -1), layouts=["transposed"])

out = os.path.join(os.path.dirname(__file__), "..", "crates", "ember-tensor", "tests", "fixtures", "torch_ops.json")
with open(out, "w") as f:
    json.dump({"torch_version": torch.__version__, "cases": CASES}, f, separators=(",", ":"))
print(f"{len(CASES)} cases over {len(set(c['op'] for c in CASES))} ops -> {out}")
