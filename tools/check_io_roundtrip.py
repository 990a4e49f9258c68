"""Checks, with real PyTorch, numpy and the `safetensors` package, the files that Ember wrote.

Run:
    EMBER_IO_OUT=/tmp/ember_io_out cargo test -p ember-io --test roundtrip write_files_for_python
    /tmp/torchenv/bin/python tools/check_io_roundtrip.py /tmp/ember_io_out

The test writes `expected.json` next to the files: dtype, shape, values (row-major), strides
and storage offset of every tensor. This script loads every file the way a PyTorch user would
(`torch.load(path, weights_only=True)`, `np.load`, `safetensors.torch.load_file`) and compares
bit for bit (NaN-free data, so `==` on values is exact), including which tensors share a
storage. Exits non-zero on the first mismatch.
"""

import json
import math
import os
import sys

import numpy as np
import torch

DIR = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("EMBER_IO_OUT", "/tmp/ember_io_out")
EXP = json.load(open(os.path.join(DIR, "expected.json")))
CHECKED = []


def values_of(t):
    if isinstance(t, np.ndarray):
        t = torch.from_numpy(np.ascontiguousarray(t))
    if t.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        return t.double().flatten().tolist()
    return [int(v) for v in t.flatten().tolist()]


def same(name, got, want):
    assert len(got) == len(want), f"{name}: {len(got)} values, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        if w is None:  # JSON has no infinities; Ember wrote none.
            raise AssertionError(f"{name}[{i}]: expected value missing")
        ok = g == w or (isinstance(g, float) and math.isclose(g, w, rel_tol=0, abs_tol=0))
        assert ok, f"{name}[{i}]: {g!r} != {w!r}"


def check_tensor(name, t, exp, layout=True):
    dtype = str(t.dtype).replace("torch.", "")
    assert dtype == exp["dtype"], f"{name}: dtype {dtype} != {exp['dtype']}"
    assert list(t.shape) == exp["shape"], f"{name}: shape {list(t.shape)} != {exp['shape']}"
    if layout and t.numel() > 0:
        assert list(t.stride()) == exp["strides"], f"{name}: stride {t.stride()} != {exp['strides']}"
        assert t.storage_offset() == exp["offset"], f"{name}: offset {t.storage_offset()}"
    same(name, values_of(t), exp["values"])
    CHECKED.append(name)


def check_state_dict(name, sd, exp, order):
    assert list(sd.keys()) == order, f"{name}: keys {list(sd.keys())} != {order}"
    for k, e in exp.items():
        check_tensor(f"{name}.{k}", sd[k], e)


def load(name):
    path = os.path.join(DIR, name)
    # mmap=True needs the storages aligned as PyTorch aligns them (64 bytes).
    mapped = torch.load(path, weights_only=True, mmap=True)
    del mapped
    return torch.load(path, weights_only=True)


# PyTorch zip files.
dtypes = load("dtypes.pt")
assert type(dtypes).__name__ == "OrderedDict", type(dtypes)
check_state_dict("dtypes.pt", dtypes, EXP["dtypes"], EXP["dtypes_order"])

views = load("views.pt")
check_state_dict("views.pt", views, EXP["views"], EXP["views_order"])
ptr = views["a"].untyped_storage().data_ptr()
for k in views:
    assert views[k].untyped_storage().data_ptr() == ptr, f"views.pt: {k} does not share a's storage"
views["a"].add_(100)  # sharing is real in PyTorch too
assert views["b"][0, 0].item() == 104.0

nested = load("nested.pt")
assert nested["epoch"] == 7 and nested["lr"] == 0.125 and nested["name"] == "ember"
assert nested["flag"] is True and nested["nothing"] is None and nested["big"] == -(1 << 50)
assert nested["shape"] == (2, 3)
check_state_dict("nested.pt/state_dict", nested["state_dict"], EXP["views"], EXP["views_order"])
CHECKED.append("nested.pt scalars")

# An Ember training checkpoint: nested dicts, int-keyed optimizer state, tuples, RNG bytes.
ck = load("checkpoint.pt")
assert ck["format"] == "ember-checkpoint/1" and ck["epoch"] == 1, ck.keys()
lin2 = torch.nn.Linear(3, 2)
lin2.load_state_dict(ck["state_dict"])
opt_state = ck["optimizer"]
assert sorted(opt_state["state"].keys()) == [0, 1], opt_state["state"].keys()
assert opt_state["state"][0]["exp_avg"].shape == (2, 3)
assert opt_state["param_groups"][0]["betas"] == (0.9, 0.999)
assert opt_state["param_groups"][0]["params"] == [0, 1]
assert ck["scheduler"]["last_epoch"] == 1
assert ck["rng_state"].dtype == torch.uint8 and ck["rng_state"].numel() == 24
assert ck["extras"] == {"best": 0.5}
CHECKED.append("checkpoint.pt")

# A module loads the Ember-written state dict.
lin = torch.nn.Linear(4, 3)
lin.load_state_dict({"weight": views["a"][:, :4].clone(), "bias": views["d"].clone()})

# numpy.
for k, e in EXP["dtypes"].items():
    if k == "bf16":
        continue
    arr = np.load(os.path.join(DIR, f"{k}.npy"))
    check_tensor(f"{k}.npy", torch.from_numpy(arr.copy()), e, layout=False)
arr = np.load(os.path.join(DIR, "transposed.npy"))
assert arr.flags["C_CONTIGUOUS"]
check_tensor("transposed.npy", torch.from_numpy(arr.copy()), EXP["transposed"], layout=False)
for name in ["stored.npz", "compressed.npz"]:
    with np.load(os.path.join(DIR, name)) as z:
        want = [k for k in EXP["dtypes_order"] if k != "bf16"]
        assert list(z.files) == want, f"{name}: {z.files}"
        for k in want:
            check_tensor(f"{name}/{k}", torch.from_numpy(z[k].copy()), EXP["dtypes"][k], layout=False)

# safetensors.
try:
    from safetensors import safe_open
    from safetensors.torch import load_file

    st = load_file(os.path.join(DIR, "dtypes.safetensors"))
    for k, e in EXP["dtypes"].items():
        check_tensor(f"dtypes.safetensors/{k}", st[k], e, layout=False)
    with safe_open(os.path.join(DIR, "dtypes.safetensors"), framework="pt") as f:
        assert f.metadata() == {"writer": "ember"}, f.metadata()
except ImportError:
    print("safetensors not installed: skipped")

print(f"OK: {len(CHECKED)} checks passed on files written by Ember (torch {torch.__version__}, numpy {np.__version__})")
