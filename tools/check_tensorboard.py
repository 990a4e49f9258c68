#!/usr/bin/env python3
"""Checks the event files Ember's tb_demo example wrote, with TensorBoard's own reader.

Usage:
    cargo run -p ember-tensorboard --example tb_demo -- /tmp/tb_demo
    python tools/check_tensorboard.py /tmp/tb_demo

Needs the `tensorboard` package (the reader, EventAccumulator) and, for the histogram
comparison, `torch` (torch.utils.tensorboard.summary.histogram builds the reference
histograms from the same values). Pillow (a tensorboard dependency) decodes the PNGs.

Every tag the demo writes is checked: scalar values per step, the add_scalars sub-runs,
histogram min/max/num/sum/sum_squares and every bucket limit and count against PyTorch's,
image sizes and decoded pixels, the text tensor, the hparams plugin data and the graph
(nodes, scopes, shapes, producer-before-consumer order).
Exit status 0 when every check passes; the failed checks are listed otherwise.
"""

import io
import math
import os
import sys

import numpy as np

from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.plugins.hparams import plugin_data_pb2

FAILED = []
PASSED = 0


def check(cond, what):
    global PASSED
    if cond:
        PASSED += 1
    else:
        FAILED.append(what)
        print("FAIL:", what)


def load(path):
    acc = ea.EventAccumulator(
        path,
        size_guidance={
            ea.SCALARS: 0,
            ea.HISTOGRAMS: 0,
            ea.IMAGES: 0,
            ea.TENSORS: 0,
        },
    )
    acc.Reload()
    return acc


def close(a, b, rel=1e-12):
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def check_scalars(acc):
    tags = acc.Tags()["scalars"]
    check(set(tags) >= {"loss/train", "acc"}, f"scalar tags {tags}")
    train = acc.Scalars("loss/train")
    check([e.step for e in train] == list(range(10)), "loss/train steps")
    check(
        all(np.float32(e.value) == np.float32(1.0 / (e.step + 1)) for e in train),
        "loss/train values",
    )
    acc_s = acc.Scalars("acc")
    check(all(np.float32(e.value) == np.float32(e.step / 10) for e in acc_s), "acc values")


def check_sub_runs(root):
    for sub, factor in [("loss_train", 2.0), ("loss_valid", 3.0)]:
        path = os.path.join(root, sub)
        check(os.path.isdir(path), f"sub-run {sub} exists")
        if not os.path.isdir(path):
            continue
        acc = load(path)
        check(acc.Tags()["scalars"] == ["loss"], f"{sub} tags {acc.Tags()['scalars']}")
        vals = [(e.step, e.value) for e in acc.Scalars("loss")]
        check(vals == [(s, factor * s) for s in range(10)], f"{sub} values {vals}")


def torch_histogram(values):
    """PyTorch's histogram proto for these values with SummaryWriter's default bins."""
    from torch.utils.tensorboard import summary

    v = 1e-12
    buckets, neg = [], []
    while v < 1e20:
        buckets.append(v)
        neg.append(-v)
        v *= 1.1
    bins = neg[::-1] + [0] + buckets
    return summary.histogram("h", np.asarray(values), bins).value[0].histo


def lcg_values(n):
    """The demo's lcg_values: the same integer LCG and the same IEEE operations."""
    scales = [1e-6, 1e-3, 1.0, 1e3, 1e25]
    x, out = 42, []
    for i in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        u = (x >> 11) * (1.0 / (1 << 53))
        out.append((u - 0.5) * scales[i % len(scales)])
    return np.array(out, dtype=np.float64)


def check_histograms(acc):
    tags = acc.Tags()["histograms"]
    check(set(tags) == {"hist/mixed", "hist/wide", "hist/lcg", "hist/ones"}, f"histogram tags {tags}")
    # f32 arithmetic, as the demo computes them: i as f32 * 0.37 - 5.0
    mixed = np.arange(100, dtype=np.float32) * np.float32(0.37) - np.float32(5.0)
    mixed = np.concatenate([mixed, np.array([0.0, 1e-13], dtype=np.float32)])
    wide = np.array([s * 10.0**k for k in range(-14, 22) for s in (1.0, -1.0)], dtype=np.float64)
    ones = np.ones((3, 4), dtype=np.float32)
    cases = [("hist/mixed", mixed, [0]), ("hist/wide", wide, [1]), ("hist/lcg", lcg_values(10_000), [0]), ("hist/ones", ones, [0, 1, 2])]
    for tag, values, steps in cases:
        events = acc.Histograms(tag)
        check([e.step for e in events] == steps, f"{tag} steps")
        want = torch_histogram(values)
        for e in events:
            got = e.histogram_value
            for field in ["min", "max", "num", "sum", "sum_squares"]:
                check(close(getattr(got, field), getattr(want, field)), f"{tag} {field}: {getattr(got, field)} vs torch {getattr(want, field)}")
            check(list(got.bucket_limit) == list(want.bucket_limit), f"{tag} bucket_limit ({len(got.bucket_limit)} vs torch {len(want.bucket_limit)})")
            check(list(got.bucket) == list(want.bucket), f"{tag} bucket counts")
        print(f"  {tag}: {len(want.bucket)} buckets, identical to torch.utils.tensorboard.summary.histogram")


def check_images(acc):
    from PIL import Image

    tags = acc.Tags()["images"]
    check(set(tags) == {"image/rgb_chw", "image/gray_hw", "image/grid"}, f"image tags {tags}")
    want = {"image/rgb_chw": (24, 16, "RGB"), "image/gray_hw": (32, 8, "L"), "image/grid": (224, 56, "L")}
    for tag, (w, h, mode) in want.items():
        ev = acc.Images(tag)
        check(len(ev) == 1, f"{tag} one image")
        img = ev[0]
        check((img.width, img.height) == (w, h), f"{tag} size {(img.width, img.height)}")
        pil = Image.open(io.BytesIO(img.encoded_image_string))
        pil.load()
        check(pil.size == (w, h) and pil.mode == mode, f"{tag} PNG decodes as {pil.size} {pil.mode}")
        px = np.asarray(pil)
        if tag == "image/rgb_chw":
            x = np.arange(24, dtype=np.float32) / 23
            y = np.arange(16, dtype=np.float32) / 15
            ref = np.zeros((16, 24, 3), np.float32)
            ref[:, :, 0] = x[None, :]
            ref[:, :, 1] = y[:, None]
            ref[:, :, 2] = 0.5
            ref = (ref * 255).clip(0, 255).astype(np.uint8)  # PyTorch's conversion
            check(np.array_equal(px, ref), "image/rgb_chw pixels")
        elif tag == "image/gray_hw":
            ref = np.tile((np.arange(32) * 8).astype(np.uint8), (8, 1))
            check(np.array_equal(px, ref), "image/gray_hw pixels")
        else:
            # PyTorch's make_grid over the same batch (then back to one channel).
            import torch
            from torch.utils.tensorboard._utils import convert_to_HWC

            batch = (np.arange(10 * 28 * 28) // (28 * 28)).astype(np.float32).reshape(10, 1, 28, 28) / 9
            ref = convert_to_HWC(batch, "NCHW")
            ref = (ref * 255).clip(0, 255).astype(np.uint8)[:, :, 0]
            check(np.array_equal(px, ref), "image/grid pixels equal PyTorch's make_grid")
            del torch


def check_text(acc):
    tags = acc.Tags()["tensors"]
    check("notes/text_summary" in tags, f"text tag in {tags}")
    ev = acc.Tensors("notes/text_summary")
    check(len(ev) == 1, "one text event")
    t = ev[0].tensor_proto
    check(t.dtype == 7 and [d.size for d in t.tensor_shape.dim] == [1], "text tensor is DT_STRING [1]")
    check(t.string_val[0].decode("utf-8") == "Ember **TensorBoard** demo: héllo", f"text {t.string_val}")
    meta = acc.SummaryMetadata("notes/text_summary")
    check(meta.plugin_data.plugin_name == "text", "text plugin name")


def check_hparams(root):
    runs = [d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and d not in ("loss_train", "loss_valid")]
    check(len(runs) == 1, f"one hparams sub-run, got {runs}")
    if not runs:
        return
    check(isinstance(float(runs[0]), float), f"hparams run named by time: {runs[0]}")
    acc = load(os.path.join(root, runs[0]))
    md = acc.PluginTagToContent("hparams")
    check(
        set(md) == {"_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"},
        f"hparams tags {set(md)}",
    )
    exp = plugin_data_pb2.HParamsPluginData.FromString(md["_hparams_/experiment"])
    infos = {h.name: h.type for h in exp.experiment.hparam_infos}
    check(infos == {"lr": 3, "batch_size": 3, "optimizer": 1, "nesterov": 2}, f"hparam infos {infos}")
    metrics = [m.name.tag for m in exp.experiment.metric_infos]
    check(metrics == ["hparam/accuracy", "hparam/loss"], f"metric infos {metrics}")
    ssi = plugin_data_pb2.HParamsPluginData.FromString(md["_hparams_/session_start_info"]).session_start_info
    got = {k: v.WhichOneof("kind") for k, v in ssi.hparams.items()}
    check(got == {"lr": "number_value", "batch_size": "number_value", "optimizer": "string_value", "nesterov": "bool_value"}, f"ssi kinds {got}")
    check(ssi.hparams["lr"].number_value == 0.01 and ssi.hparams["batch_size"].number_value == 64, "ssi numbers")
    check(ssi.hparams["optimizer"].string_value == "adam" and ssi.hparams["nesterov"].bool_value is True, "ssi string/bool")
    sei = plugin_data_pb2.HParamsPluginData.FromString(md["_hparams_/session_end_info"]).session_end_info
    check(sei.status == 1, f"session end status {sei.status}")
    scal = {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}
    check(
        scal == {"hparam/accuracy": [(0, np.float32(0.97))], "hparam/loss": [(0, np.float32(0.08))]},
        f"hparams metrics {scal}",
    )
    # TensorBoard's hparams backend parses the same content.
    from tensorboard.plugins.hparams import metadata

    parsed = metadata.parse_experiment_plugin_data(md["_hparams_/experiment"])
    check(len(parsed.hparam_infos) == 4, "hparams metadata parser accepts the experiment")


def check_graph(acc):
    """The GraphDef of add_graph, as TensorBoard's Graphs tab reads it."""
    g = acc.Graph()
    nodes = {n.name: n for n in g.node}
    for name, shape in [("fc1/weight", [4, 3]), ("fc1/bias", [4]), ("fc2/weight", [2, 4])]:
        n = nodes.get(name)
        check(n is not None and n.op == "Parameter", f"graph: parameter {name}")
        if n is not None:
            dims = [d.size for d in n.attr["_output_shapes"].list.shape[0].dim]
            check(dims == shape, f"graph: {name} shape {dims} != {shape}")
    defined = set()
    for n in g.node:
        for i in n.input:
            check(i.split(":")[0] in defined, f"graph: {n.name} reads {i} before it is defined")
        defined.add(n.name)
    out = nodes.get("output/output.0")
    check(out is not None and out.op == "IO Node", "graph: output node")
    if out is not None:
        last = nodes[out.input[0]]
        check(last.op == "matmul", f"graph: last op {last.op}")
        dims = [d.size for d in last.attr["_output_shapes"].list.shape[0].dim]
        check(dims == [5, 2], f"graph: output shape {dims}")
        check("tb_demo.rs:" in last.attr["location"].s.decode(), "graph: location attr")
    ops = sorted(n.op for n in g.node)
    expected = sorted(["Parameter"] * 3 + ["IO Node", "permute", "permute", "matmul", "matmul", "add", "relu"])
    check(ops == expected, f"graph: ops {ops} != {expected}")
    check(g.versions.producer == 22, "graph: producer version")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "runs/tb_demo"
    acc = load(root)
    files = [f for f in os.listdir(root) if "tfevents" in f]
    check(len(files) == 1, f"one event file in {root}: {files}")
    print("main run:", files, acc.Tags())
    check_scalars(acc)
    check_sub_runs(root)
    check_histograms(acc)
    check_images(acc)
    check_text(acc)
    check_hparams(root)
    check_graph(acc)
    print(f"{PASSED} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
