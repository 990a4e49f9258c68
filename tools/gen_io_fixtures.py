"""Regenerates the file-format fixtures of ember-io (crates/ember-io/tests/fixtures/) with real
PyTorch, numpy and the `safetensors` package.

Every file is small (the whole directory stays well under 300 KB). `expected.json` records, for
each fixture, the tensors' dtype, shape and values (flattened in row-major order; f16/bf16 as
the f32 they convert to exactly, bool as 0/1), and the CNN's output on a fixed input so the
Rust test can check a loaded model end to end.

Run:  /tmp/torchenv/bin/python tools/gen_io_fixtures.py
CI has no Python: it only reads the committed files.
"""

import collections
import io
import json
import os
import zipfile

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "ember-io", "tests", "fixtures")
os.makedirs(OUT, exist_ok=True)
EXPECTED = {}


def path(name):
    return os.path.join(OUT, name)


def describe(t):
    """dtype, shape and row-major values of a tensor, as expected.json stores them."""
    t = t.detach()
    dtype = str(t.dtype).replace("torch.", "")
    if t.dtype in (torch.float16, torch.bfloat16):
        values = t.float().flatten().tolist()
    elif t.dtype == torch.bool:
        values = [int(v) for v in t.flatten().tolist()]
    else:
        values = t.flatten().tolist()
    return {"dtype": dtype, "shape": list(t.shape), "values": values}


def describe_dict(d):
    return {k: describe(v) for k, v in d.items()}


# --- a small CNN: zip and legacy formats -------------------------------------------------------
torch.manual_seed(0)
cnn = nn.Sequential(
    nn.Conv2d(1, 4, 3),
    nn.BatchNorm2d(4),
    nn.ReLU(),
    nn.Conv2d(4, 8, 3, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(8, 10),
)
cnn.train()
for _ in range(3):  # give the batch-norm running statistics non-trivial values
    cnn(torch.randn(2, 1, 6, 6))
cnn.eval()
x = torch.linspace(-1.0, 1.0, 2 * 36).reshape(2, 1, 6, 6)
with torch.no_grad():
    y = cnn(x)
sd = cnn.state_dict()
torch.save(sd, path("cnn_zip.pt"))
torch.save(sd, path("cnn_legacy.pt"), _use_new_zipfile_serialization=False)
EXPECTED["cnn"] = {
    "state_dict": describe_dict(sd),
    "input": describe(x),
    "output": describe(y),
}

# A whole pickled module (not a state dict): loading must refuse it, naming the class.
torch.save(nn.Sequential(nn.Linear(2, 1)), path("whole_module.pt"))

# DataParallel-style keys ("module." prefix), for load_into's key mapping.
torch.save(
    collections.OrderedDict(("module." + k, v) for k, v in sd.items()),
    path("cnn_dataparallel.pt"),
)

# --- views and shared storage ------------------------------------------------------------------
base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
views = {
    "a": base,
    "b": base[1:],
    "c": base.t(),
    "d": base[:, 2],
    "e": torch.arange(5, dtype=torch.int64)[1:4],  # a view whose storage is larger than it
}
torch.save(views, path("views_zip.pt"))
torch.save(views, path("views_legacy.pt"), _use_new_zipfile_serialization=False)
EXPECTED["views"] = describe_dict(views)

# --- every Ember dtype ---------------------------------------------------------------------------
dtypes = {
    "f32": torch.tensor([[1.5, -2.25, 3.0], [0.0, 1e-8, -1e8]], dtype=torch.float32),
    "f64": torch.tensor([1.0 / 3.0, -2.5e300, 0.0], dtype=torch.float64),
    "f16": torch.tensor([0.5, -1.0, 65504.0, 6.1e-5], dtype=torch.float16),
    "bf16": torch.tensor([[0.5, -1.0], [3.0e38, 1.0e-3]], dtype=torch.bfloat16),
    "i64": torch.tensor([-(2**62), 0, 2**62 + 7], dtype=torch.int64),
    "i32": torch.tensor([[-(2**31), 5], [2**31 - 1, -7]], dtype=torch.int32),
    "u8": torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True], dtype=torch.bool),
    "scalar": torch.tensor(4.5, dtype=torch.float64),
    "empty": torch.zeros(0, 3),
}
torch.save(dtypes, path("dtypes_zip.pt"))
torch.save(dtypes, path("dtypes_legacy.pt"), _use_new_zipfile_serialization=False)
EXPECTED["dtypes"] = describe_dict(dtypes)

# --- parameters saved directly (torch._utils._rebuild_parameter) ----------------------------------
torch.save(
    {"p": nn.Parameter(torch.arange(3.0)), "frozen": nn.Parameter(torch.ones(2), requires_grad=False)},
    path("parameters.pt"),
)

# --- a Lightning-style checkpoint: nested dicts, lists, numbers, strings, None -------------------
torch.manual_seed(1)
lin = nn.Linear(3, 2)
opt = torch.optim.Adam(lin.parameters(), lr=1e-3)
lin(torch.randn(4, 3)).sum().backward()
opt.step()
lightning = {
    "epoch": 3,
    "global_step": 120,
    "pytorch-lightning_version": "2.0.0",
    "state_dict": collections.OrderedDict(("model." + k, v) for k, v in lin.state_dict().items()),
    "optimizer_states": [opt.state_dict()],
    "lr_schedulers": [],
    "hyper_parameters": {"lr": 0.001, "name": "tiny", "flag": True, "nothing": None, "big": 2**40},
    "loops": {"fit_loop": {"epoch_progress": {"current": {"ready": 4, "completed": 3}}}},
}
torch.save(lightning, path("lightning.ckpt"))
EXPECTED["lightning"] = {"state_dict": describe_dict(lightning["state_dict"])}

# --- a CUDA-tagged file, made without a GPU: the storage location string is rewritten -------------
small = {"w": torch.tensor([1.0, 2.0, 3.0]), "n": torch.tensor([7], dtype=torch.int64)}
buf = io.BytesIO()
torch.save(small, buf)
src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
with zipfile.ZipFile(path("cuda_tagged.pt"), "w", zipfile.ZIP_STORED) as dst:
    for info in src.infolist():
        data = src.read(info.filename)
        if info.filename.endswith("data.pkl"):
            # BINUNICODE 'cpu' -> BINUNICODE 'cuda:0' (memo indices, not offsets, link the
            # pickle, so the length change is harmless).
            old = b"X\x03\x00\x00\x00cpu"
            assert old in data
            data = data.replace(old, b"X\x06\x00\x00\x00cuda:0")
        dst.writestr(info.filename, data)
EXPECTED["cuda_tagged"] = describe_dict(small)

# --- numpy ---------------------------------------------------------------------------------------
npy = {
    "f4": np.array([[1.5, -2.0, 3.25], [4.0, 5.5, -6.0]], dtype="<f4"),
    "f8": np.array([[1.0 / 3.0, 2.0], [-3.5, 1e300]], dtype="<f8"),
    "f2": np.array([[0.5, -1.0], [2.0, 65504.0]], dtype="<f2"),
    "i8": np.array([[-(2**62), 1, 2], [3, 4, 2**62]], dtype="<i8"),
    "i4": np.array([[-5, 6], [7, -(2**31)]], dtype="<i4"),
    "u1": np.array([[0, 1, 2], [253, 254, 255]], dtype="|u1"),
    "b1": np.array([[True, False], [False, True]], dtype="|b1"),
}
npy_expected = {}
for name, arr in npy.items():
    np.save(path(f"{name}_c.npy"), np.ascontiguousarray(arr))
    np.save(path(f"{name}_f.npy"), np.asfortranarray(arr))
    npy_expected[name] = {
        "descr": arr.dtype.str,
        "shape": list(arr.shape),
        "values": arr.astype(np.float64).flatten().tolist(),
    }
# Header versions 2 and 3 (written explicitly), big-endian, 0-d and empty arrays.
with open(path("f4_v2.npy"), "wb") as f:
    np.lib.format.write_array(f, npy["f4"], version=(2, 0))
with open(path("f4_v3.npy"), "wb") as f:
    np.lib.format.write_array(f, npy["f4"], version=(3, 0))
np.save(path("i4_big_endian.npy"), npy["i4"].astype(">i4"))
np.save(path("scalar.npy"), np.array(2.5, dtype="<f8"))
np.save(path("empty.npy"), np.zeros((0, 4), dtype="<f4"))
EXPECTED["npy"] = npy_expected

npz = {"x": npy["f4"], "idx": npy["i8"], "mask": npy["b1"]}
np.savez(path("stored.npz"), **npz)
np.savez_compressed(path("compressed.npz"), **npz)

# --- safetensors ---------------------------------------------------------------------------------
try:
    from safetensors.torch import save_file

    st = {k: v.contiguous() for k, v in dtypes.items() if k not in ("empty",)}
    save_file(st, path("dtypes.safetensors"), metadata={"format": "pt", "source": "gen_io_fixtures"})
    EXPECTED["safetensors"] = describe_dict(st)
except ImportError:
    print("safetensors not installed: skipping dtypes.safetensors")

with open(path("expected.json"), "w") as f:
    json.dump(EXPECTED, f, indent=None, separators=(",", ":"))

total = sum(os.path.getsize(path(n)) for n in os.listdir(OUT))
print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.normpath(OUT)}")
