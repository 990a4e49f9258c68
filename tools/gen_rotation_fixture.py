#!/usr/bin/env python3
"""Generates crates/ember-data/tests/fixtures/torchvision_rotate.json: images rotated by
torchvision's own `F.rotate` (tensor path), replayed by crates/ember-data/tests/rotation.rs.

Float images are float64 here so the fixture holds torchvision's geometry without float32
rounding; uint8 images go through torchvision's float32 path and its rounding back to uint8.

    /tmp/torchenv/bin/pip install --no-deps torchvision
    /tmp/torchenv/bin/python tools/gen_rotation_fixture.py
"""
import json
import os

import torch
import torchvision
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode

g = torch.Generator().manual_seed(20261129)
CASES = []

MODES = {"nearest": InterpolationMode.NEAREST, "bilinear": InterpolationMode.BILINEAR}


def case(img, angle, mode, expand=False, center=None, fill=None):
    out = F.rotate(img, angle, interpolation=MODES[mode], expand=expand, center=center, fill=fill)
    CASES.append({
        "dtype": str(img.dtype).removeprefix("torch."),
        "shape": list(img.shape),
        "data": img.flatten().tolist(),
        "angle": angle,
        "mode": mode,
        "expand": expand,
        "center": center,
        "fill": [float(f) for f in fill] if fill is not None else [0.0],
        "out_shape": list(out.shape),
        "out": out.flatten().tolist(),
    })


f = torch.rand(3, 7, 10, generator=g, dtype=torch.float64)
# torchvision's RandomRotation always passes a fill (0 by default): rotate with fill=[0.0]
# is what the augmentation computes.
zero3 = [0.0, 0.0, 0.0]
case(f, 30.0, "nearest", fill=zero3)
case(f, -17.5, "bilinear", fill=zero3)
case(f, 45.0, "bilinear", expand=True, fill=zero3)
case(f, 63.0, "nearest", expand=True, fill=zero3)
case(f, 20.0, "bilinear", center=[2.0, 3.0], fill=[0.1, 0.5, 0.9])
case(f, 90.0, "nearest", fill=[0.25, 0.5, 0.75])
case(f, 200.0, "bilinear", expand=True, center=[6.5, 1.0], fill=zero3)
u = torch.randint(0, 256, (1, 6, 5), generator=g, dtype=torch.uint8)
case(u, 33.3, "bilinear", fill=[0.0])
case(u, 125.0, "nearest", expand=True, fill=[7.0])
case(torch.randint(0, 256, (2, 1, 4, 6), generator=g, dtype=torch.uint8), -71.0, "bilinear", expand=True, fill=[0.0])

path = os.path.join(os.path.dirname(__file__), "..", "crates", "ember-data", "tests", "fixtures",
                    "torchvision_rotate.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as fh:
    json.dump({"torch": torch.__version__, "torchvision": torchvision.__version__, "cases": CASES}, fh)
print(f"{len(CASES)} cases -> {os.path.normpath(path)}")
