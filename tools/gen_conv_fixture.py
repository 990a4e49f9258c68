#!/usr/bin/env python3
"""Generates crates/ember-autograd/tests/fixtures/torch_conv.json: convolution and pooling cases
computed by real PyTorch, replayed by crates/ember-autograd/tests/torch_conv.rs.

Each case holds its inputs (float32 or float64 values), the op's parameters, PyTorch's forward
output, a random upstream gradient and the gradients of the differentiable inputs. References
are computed in float64 on the exact (float32-rounded, for float32 cases) input values, so the
fixture holds the correctly rounded answer. Max-pool inputs are continuous random values (no
ties).

    /tmp/torchenv/bin/python tools/gen_conv_fixture.py
"""
import json
import os

import torch

F = torch.nn.functional
g = torch.Generator().manual_seed(20261127)
CASES = []


def rnd(*shape, dtype):
    t = torch.randn(*shape, generator=g, dtype=torch.float64)
    if dtype == "float32":
        t = t.to(torch.float32).to(torch.float64)
    return t


def enc(t, dtype):
    return {"shape": list(t.shape), "dtype": dtype,
            "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def enc_i(t):
    return {"shape": list(t.shape), "dtype": "int64", "data": [int(v) for v in t.reshape(-1).tolist()]}


def case(name, op, dtype, inputs, params, fn, diff=None):
    """`fn(**inputs)` returns the output (or (values, indices)); grads for `diff` inputs."""
    diff = list(inputs) if diff is None else diff
    ins = {k: v.clone().requires_grad_(k in diff) for k, v in inputs.items()}
    out = fn(**ins)
    idx = None
    if isinstance(out, tuple):
        out, idx = out
    go = rnd(*out.shape, dtype=dtype)
    grads = torch.autograd.grad(out, [ins[k] for k in diff], go)
    c = {"name": name, "op": op, "dtype": dtype, "params": params,
         "inputs": {k: enc(v, dtype) for k, v in inputs.items()},
         "out": enc(out, dtype), "grad_out": enc(go, dtype),
         "grads": {k: enc(gr, dtype) for k, gr in zip(diff, grads)}}
    if idx is not None:
        c["indices"] = enc_i(idx)
    CASES.append(c)


def conv(name, x, w, bias, stride, padding, dilation, groups, transposed=False, output_padding=(0,),
         dtype="float32"):
    nd = len(w) - 2
    inputs = {"x": rnd(*x, dtype=dtype), "w": rnd(*w, dtype=dtype)}
    if bias:
        inputs["b"] = rnd(w[1] * groups if transposed else w[0], dtype=dtype)
    params = {"stride": list(stride), "padding": list(padding), "dilation": list(dilation),
              "groups": groups, "transposed": transposed, "output_padding": list(output_padding)}

    def f(x, w, b=None):
        if transposed:
            fn = [F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][nd - 1]
            return fn(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                      groups=groups, dilation=dilation)
        fn = [F.conv1d, F.conv2d, F.conv3d][nd - 1]
        return fn(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    case(name, "convolution", dtype, inputs, params, f)


def pool(name, op, x, params, dtype="float32"):
    nd = len(params.get("kernel_size", params.get("output_size", [])))
    inputs = {"x": rnd(*x, dtype=dtype)}
    if op == "max_pool":
        fn = [F.max_pool1d, F.max_pool2d, F.max_pool3d][nd - 1]
        f = lambda x: fn(x, params["kernel_size"], params["stride"] or None, params["padding"],
                         params["dilation"], ceil_mode=params["ceil_mode"], return_indices=True)
    elif op == "avg_pool":
        fn = [F.avg_pool1d, F.avg_pool2d, F.avg_pool3d][nd - 1]
        kw = {} if nd == 1 else {"divisor_override": params["divisor_override"]}
        assert nd > 1 or params["divisor_override"] is None
        f = lambda x: fn(x, params["kernel_size"], params["stride"] or None, params["padding"],
                         ceil_mode=params["ceil_mode"], count_include_pad=params["count_include_pad"], **kw)
    elif op == "adaptive_avg_pool":
        fn = [F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d][nd - 1]
        f = lambda x: fn(x, params["output_size"])
    elif op == "adaptive_max_pool":
        fn = [F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d][nd - 1]
        f = lambda x: fn(x, params["output_size"], return_indices=True)
    case(name, op, dtype, inputs, params, f)


def unpool(name, x, k, output_size, dtype="float32"):
    nd = len(k)
    mp = [F.max_pool1d, F.max_pool2d, F.max_pool3d][nd - 1]
    up = [F.max_unpool1d, F.max_unpool2d, F.max_unpool3d][nd - 1]
    src = rnd(*x, dtype=dtype)
    v, i = mp(src, k, return_indices=True)
    inputs = {"x": v.detach().clone()}
    params = {"kernel_size": list(k), "output_size": list(output_size), "indices": enc_i(i)}
    case(name, "max_unpool", dtype, inputs, params, lambda x: up(x, i, k, output_size=output_size))


# ------------------------------------------------------------------------------- convolution
conv("conv1d", (2, 3, 7), (4, 3, 3), True, (1,), (0,), (1,), 1)
conv("conv1d_s2_p1_d2", (2, 3, 9), (4, 3, 3), True, (2,), (1,), (2,), 1)
conv("conv1d_groups3", (2, 6, 8), (6, 2, 3), False, (1,), (1,), (1,), 3)
conv("conv2d_pad1", (2, 3, 6, 5), (4, 3, 3, 3), True, (1, 1), (1, 1), (1, 1), 1)
conv("conv2d_s21_p10_d12", (2, 3, 7, 8), (4, 3, 3, 2), True, (2, 1), (1, 0), (1, 2), 1)
conv("conv2d_groups2_s2", (1, 4, 5, 5), (6, 2, 3, 3), True, (2, 2), (0, 0), (1, 1), 2)
conv("conv2d_depthwise", (2, 4, 6, 6), (4, 1, 3, 3), False, (1, 1), (1, 1), (1, 1), 4)
conv("conv2d_1x1", (2, 8, 4, 4), (5, 8, 1, 1), True, (1, 1), (0, 0), (1, 1), 1)
conv("conv2d_1x1_s2", (2, 8, 5, 5), (5, 8, 1, 1), False, (2, 2), (0, 0), (1, 1), 1)
conv("conv2d_1x1_groups2", (2, 4, 3, 3), (6, 2, 1, 1), True, (1, 1), (0, 0), (1, 1), 2)
conv("conv3d", (1, 2, 4, 5, 4), (3, 2, 2, 3, 2), True, (1, 2, 1), (1, 1, 0), (1, 1, 1), 1)
conv("conv3d_groups2_d2", (2, 4, 5, 5, 5), (2, 2, 2, 2, 2), False, (1, 1, 1), (1, 1, 1), (2, 2, 2), 2)
conv("conv2d_f64", (2, 3, 7, 6), (4, 3, 3, 3), True, (2, 2), (1, 2), (1, 1), 1, dtype="float64")
conv("conv1d_f64_groups", (1, 4, 9), (4, 2, 4), True, (3,), (2,), (1,), 2, dtype="float64")
conv("conv_t1d", (2, 3, 5), (3, 4, 3), True, (2,), (1,), (1,), 1, True, (1,))
conv("conv_t2d", (1, 4, 3, 4), (4, 3, 3, 3), True, (2, 2), (1, 1), (1, 1), 1, True, (1, 1))
conv("conv_t2d_groups2_d2", (1, 4, 3, 3), (4, 2, 2, 2), True, (1, 1), (0, 0), (2, 2), 2, True, (0, 0))
conv("conv_t3d", (1, 2, 2, 3, 2), (2, 3, 2, 2, 2), False, (2, 2, 2), (0, 0, 0), (1, 1, 1), 1, True, (0, 1, 0))
conv("conv_t2d_f64", (2, 2, 3, 3), (2, 2, 3, 2), True, (2, 3), (1, 0), (1, 1), 1, True, (1, 2), dtype="float64")
conv("conv_t2d_1x1", (2, 4, 3, 3), (4, 3, 1, 1), True, (1, 1), (0, 0), (1, 1), 1, True, (0, 0))

# ------------------------------------------------------------------------------- pooling
mp = lambda k, s, p, d, c: {"kernel_size": k, "stride": s, "padding": p, "dilation": d, "ceil_mode": c}
pool("max_pool1d", "max_pool", (2, 3, 9), mp([3], [2], [1], [1], False))
pool("max_pool2d_ceil_dil", "max_pool", (1, 2, 7, 8), mp([3, 2], [2, 1], [1, 0], [1, 2], True))
pool("max_pool2d_default_stride_ceil", "max_pool", (2, 2, 5, 5), mp([2, 2], [], [0, 0], [1, 1], True))
pool("max_pool3d", "max_pool", (1, 2, 4, 4, 3), mp([2, 2, 2], [1, 1, 1], [1, 1, 1], [1, 1, 1], False))
pool("max_pool2d_f64_unbatched", "max_pool", (3, 6, 5), mp([3, 3], [2, 2], [1, 1], [1, 1], False), dtype="float64")
ap = lambda k, s, p, c, cip, d: {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": c,
                                 "count_include_pad": cip, "divisor_override": d}
pool("avg_pool1d_cip_ceil", "avg_pool", (2, 3, 8), ap([3], [2], [1], True, True, None))
pool("avg_pool2d_nocip_ceil", "avg_pool", (1, 2, 7, 6), ap([3, 3], [2, 2], [1, 1], True, False, None))
pool("avg_pool2d_divisor", "avg_pool", (2, 2, 6, 6), ap([3, 2], [], [1, 0], False, True, 3))
pool("avg_pool3d", "avg_pool", (1, 2, 4, 5, 4), ap([2, 2, 2], [2, 2, 2], [1, 1, 1], False, True, None))
pool("avg_pool2d_f64", "avg_pool", (2, 1, 5, 7), ap([2, 3], [1, 2], [1, 1], True, False, None), dtype="float64")
pool("adaptive_avg_pool1d", "adaptive_avg_pool", (2, 3, 7), {"output_size": [3]})
pool("adaptive_avg_pool2d", "adaptive_avg_pool", (1, 3, 5, 7), {"output_size": [3, 4]})
pool("adaptive_avg_pool3d", "adaptive_avg_pool", (1, 2, 5, 3, 4), {"output_size": [2, 2, 3]})
pool("adaptive_max_pool2d", "adaptive_max_pool", (2, 2, 5, 7), {"output_size": [2, 3]})
pool("adaptive_max_pool1d_f64", "adaptive_max_pool", (2, 9), {"output_size": [4]}, dtype="float64")
unpool("max_unpool2d", (1, 2, 4, 6), [2, 2], [5, 7])
unpool("max_unpool1d", (2, 3, 8), [2], [8])

out = os.path.join(os.path.dirname(__file__), "..", "crates", "ember-autograd", "tests", "fixtures",
                   "torch_conv.json")
with open(out, "w") as fh:
    json.dump({"torch": torch.__version__, "cases": CASES}, fh, separators=(",", ":"))
print(f"{len(CASES)} cases, {os.path.getsize(out)} bytes -> {out}")
