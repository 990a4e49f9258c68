#!/usr/bin/env python3
"""Generates crates/ember-nn/tests/fixtures/torch_nn.json: for the functions of
ember_nn::functional (losses, activations, normalisation, embeddings, resizing, attention),
float64 inputs, PyTorch's forward output, a random upstream gradient and the gradient of every
float input (torch.autograd.grad). crates/ember-nn/tests/torch_nn.rs replays each case.

Run on a developer machine with PyTorch (CI only reads the committed JSON):
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
    /tmp/torchenv/bin/python tools/gen_nn_fixture.py
"""
import json
import os

import torch

F = torch.nn.functional
torch.manual_seed(7)
DT = torch.float64
CASES = []


def r(*shape, lo=-2.0, hi=2.0):
    return torch.rand(shape, dtype=DT) * (hi - lo) + lo


def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return {"dtype": "bool", "shape": list(t.shape), "data": t.flatten().tolist()}
    if t.dtype == torch.int64:
        return {"dtype": "int64", "shape": list(t.shape), "data": t.flatten().tolist()}
    # JSON has no infinities: they are written as strings.
    data = [v if v == v and abs(v) != float("inf") else str(v) for v in t.flatten().tolist()]
    return {"dtype": "float64", "shape": list(t.shape), "data": data}


def case(name, fn, inputs, args=None, extra=None):
    """inputs: list of tensors; float ones get gradients. fn(*inputs) -> tensor."""
    ins = [t.clone().requires_grad_(t.is_floating_point()) for t in inputs]
    out = fn(*ins)
    up = torch.randn(out.shape, dtype=DT)
    diff = [t for t in ins if t.requires_grad]
    grads = torch.autograd.grad(out, diff, up, allow_unused=True)
    grads = [g if g is not None else torch.zeros_like(t) for g, t in zip(grads, diff)]
    c = {
        "name": name,
        "args": args or {},
        "inputs": [enc(t) for t in inputs],
        "output": enc(out),
        "upstream": enc(up),
        "grads": [enc(g) for g in grads],
    }
    if extra:
        c.update({k: enc(v) for k, v in extra.items()})
    CASES.append(c)


# ------------------------------------------------------------------------------ linear
case("linear", lambda x, w, b: F.linear(x, w, b), [r(3, 4), r(5, 4), r(5)])
case("linear3d", lambda x, w, b: F.linear(x, w, b), [r(2, 3, 4), r(5, 4), r(5)])
case("bilinear", lambda a, b, w, bias: F.bilinear(a, b, w, bias), [r(3, 2), r(3, 4), r(5, 2, 4), r(5)])

# ------------------------------------------------------------------------------ activations
for name, fn in [
    ("relu6", F.relu6), ("selu", F.selu), ("mish", F.mish), ("hardswish", F.hardswish),
    ("hardsigmoid", F.hardsigmoid), ("logsigmoid", F.logsigmoid), ("softsign", F.softsign),
    ("silu", F.silu),
]:
    x = r(4, 5, lo=-7, hi=7)
    # keep away from the kinks at ±3 and 0, 6
    x = torch.where((x.abs() - 3).abs() < 0.05, x + 0.1, x)
    x = torch.where(x.abs() < 0.05, x + 0.1, x)
    x = torch.where((x - 6).abs() < 0.05, x + 0.1, x)
    case(name, fn, [x])
case("celu", lambda x: F.celu(x, 1.5), [r(4, 5)], {"alpha": 1.5})
case("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), [r(4, 5)])
case("prelu", lambda x, w: F.prelu(x, w), [r(2, 3, 4), r(3, lo=0.1, hi=0.5)])
case("softmax", lambda x: F.softmax(x, 1), [r(3, 4, 2)])
case("log_softmax", lambda x: F.log_softmax(x, -1), [r(3, 4, 2)])

# ------------------------------------------------------------------------------ losses
N, C = 5, 4
logits = r(N, C)
tgt = torch.tensor([0, 3, 1, 1, 2])
w = r(C, lo=0.2, hi=2.0)
for red in ["mean", "sum", "none"]:
    case(f"cross_entropy_{red}", lambda x: F.cross_entropy(x, tgt, reduction=red), [logits], {"reduction": red}, {"target": tgt})
case("cross_entropy_weight", lambda x: F.cross_entropy(x, tgt, weight=w), [logits], {}, {"target": tgt, "weight": w})
tgt_ign = torch.tensor([0, -100, 1, 1, -100])
case("cross_entropy_ignore", lambda x: F.cross_entropy(x, tgt_ign, weight=w), [logits], {}, {"target": tgt_ign, "weight": w})
case("cross_entropy_smooth", lambda x: F.cross_entropy(x, tgt, label_smoothing=0.2), [logits], {"label_smoothing": 0.2}, {"target": tgt})
case("cross_entropy_smooth_weight_ignore", lambda x: F.cross_entropy(x, tgt_ign, weight=w, label_smoothing=0.1), [logits], {"label_smoothing": 0.1}, {"target": tgt_ign, "weight": w})
probs = torch.softmax(r(N, C), 1)
case("cross_entropy_probs", lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1), [logits, probs], {"label_smoothing": 0.1})
tgt_sp = torch.randint(0, C, (2, 3, 3))
case("cross_entropy_spatial", lambda x: F.cross_entropy(x, tgt_sp), [r(2, C, 3, 3)], {}, {"target": tgt_sp})
case("nll_loss_weight", lambda x: F.nll_loss(x, tgt, weight=w), [torch.log_softmax(logits, 1)], {}, {"target": tgt, "weight": w})
a, b = r(3, 4), r(3, 4)
case("mse_loss", lambda x, y: F.mse_loss(x, y), [a, b])
case("l1_loss", lambda x, y: F.l1_loss(x, y, reduction="sum"), [a, b])
case("smooth_l1_loss", lambda x, y: F.smooth_l1_loss(x, y, beta=0.5), [a, b])
case("huber_loss", lambda x, y: F.huber_loss(x, y, delta=1.5), [a, b])
p = r(3, 4, lo=0.05, hi=0.95)
y01 = r(3, 4, lo=0.0, hi=1.0)
bw = r(3, 4, lo=0.5, hi=1.5)
case("binary_cross_entropy", lambda x, y: F.binary_cross_entropy(x, y, weight=bw), [p, y01], {}, {"weight": bw})
pw = r(4, lo=0.5, hi=3.0)
case("bce_with_logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw), [a, y01], {}, {"pos_weight": pw})
lp = torch.log_softmax(r(3, 4), 1)
tp = torch.softmax(r(3, 4), 1)
case("kl_div_batchmean", lambda x, t: F.kl_div(x, t, reduction="batchmean"), [lp, tp])
case("kl_div_log_target", lambda x, t: F.kl_div(x, t, reduction="sum", log_target=True), [lp, tp.log()])
case("cosine_similarity", lambda x, y: F.cosine_similarity(x, y, dim=1), [a, b])
yy = torch.tensor([1.0, -1.0, 1.0], dtype=DT)
case("cosine_embedding_loss", lambda x, y: F.cosine_embedding_loss(x, y, yy, margin=0.1), [a, b], {}, {"y": yy})
case("margin_ranking_loss", lambda x, y: F.margin_ranking_loss(x, y, torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=DT), margin=0.3), [r(4), r(4)])
case("triplet_margin_loss", lambda x, y, z: F.triplet_margin_loss(x, y, z, margin=1.0, swap=True), [r(3, 4), r(3, 4), r(3, 4)])
case("normalize", lambda x: F.normalize(x, p=2.0, dim=1), [a])

# ------------------------------------------------------------------------------ normalisation
x = r(4, 3, 5)
rm, rv = r(3), r(3, lo=0.5, hi=2.0)
rm_t, rv_t = rm.clone(), rv.clone()
case("batch_norm_train", lambda x, wt, bs: F.batch_norm(x, rm_t, rv_t, wt, bs, training=True, momentum=0.2, eps=1e-5),
     [x, r(3), r(3)], {}, {"running_mean_in": rm, "running_var_in": rv})
CASES[-1]["running_mean_out"] = enc(rm_t)
CASES[-1]["running_var_out"] = enc(rv_t)
case("batch_norm_eval", lambda x, wt, bs: F.batch_norm(x, rm, rv, wt, bs, training=False, eps=1e-5),
     [x, r(3), r(3)], {}, {"running_mean_in": rm, "running_var_in": rv})
case("layer_norm", lambda x, wt, bs: F.layer_norm(x, (3, 5), wt, bs, eps=1e-5), [x, r(3, 5), r(3, 5)])
case("group_norm", lambda x, wt, bs: F.group_norm(x, 2, wt, bs, eps=1e-5), [r(2, 4, 3), r(4), r(4)])
case("instance_norm", lambda x, wt, bs: F.instance_norm(x, weight=wt, bias=bs, eps=1e-5), [r(2, 3, 4, 2), r(3), r(3)])
case("rms_norm", lambda x, wt: F.rms_norm(x, (5,), wt, eps=1e-6), [x, r(5)])
case("local_response_norm", lambda x: F.local_response_norm(x, 3, alpha=0.1, beta=0.75, k=1.0), [r(2, 5, 3)])

# ------------------------------------------------------------------------------ embeddings
idx = torch.tensor([[1, 0, 3], [3, 3, 2]])
case("embedding_pad", lambda wt: F.embedding(idx, wt, padding_idx=3), [r(5, 2)], {"padding_idx": 3}, {"indices": idx})
flat = torch.tensor([1, 2, 4, 4, 3, 0])
offs = torch.tensor([0, 2, 2, 5])
case("embedding_bag_sum", lambda wt: F.embedding_bag(flat, wt, offs, mode="sum"), [r(5, 3)], {"mode": "sum"}, {"indices": flat, "offsets": offs})
case("embedding_bag_mean", lambda wt: F.embedding_bag(flat, wt, offs, mode="mean"), [r(5, 3)], {"mode": "mean"}, {"indices": flat, "offsets": offs})
case("embedding_bag_psw", lambda wt, psw: F.embedding_bag(flat, wt, offs, mode="sum", per_sample_weights=psw), [r(5, 3), r(6)], {"mode": "sum"}, {"indices": flat, "offsets": offs})

# ------------------------------------------------------------------------------ resizing, attention
case("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), [r(2, 8, 2, 3)])
case("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2), [r(2, 2, 4, 6)])
case("interp_nearest", lambda x: F.interpolate(x, size=(5, 3), mode="nearest"), [r(1, 2, 3, 4)])
case("interp_nearest_scale", lambda x: F.interpolate(x, scale_factor=(2.0, 1.5), mode="nearest"), [r(1, 2, 3, 4)])
case("interp_bilinear", lambda x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=False), [r(1, 2, 3, 4)])
case("interp_bilinear_ac", lambda x: F.interpolate(x, size=(5, 7), mode="bilinear", align_corners=True), [r(1, 2, 3, 4)])
case("interp_linear_scale", lambda x: F.interpolate(x, scale_factor=2.5, mode="linear"), [r(1, 2, 4)])
case("sdpa_causal", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), [r(2, 4, 3), r(2, 4, 3), r(2, 4, 5)])
fm = r(4, 6)
case("sdpa_float_mask", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=fm), [r(2, 4, 3), r(2, 6, 3), r(2, 6, 5)], {}, {"mask": fm})
bm = torch.rand(4, 6) > 0.3
bm[:, 0] = True
case("sdpa_bool_mask", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=bm, scale=0.7), [r(2, 4, 3), r(2, 6, 3), r(2, 6, 5)], {"scale": 0.7}, {"mask": bm})

# ------------------------------------------------------------------------------ unfold/fold, grids
case("unfold", lambda x: F.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)), [r(2, 3, 5, 6)])
case("fold", lambda x: F.fold(x, (5, 6), (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)), [r(2, 18, 18)])
th = r(2, 2, 3, lo=-1, hi=1)
case("affine_grid", lambda t: F.affine_grid(t, (2, 3, 4, 5), align_corners=False), [th])
case("affine_grid_ac", lambda t: F.affine_grid(t, (2, 3, 4, 5), align_corners=True), [th])
gimg, grd = r(2, 3, 4, 5), r(2, 3, 6, 2, lo=-1.2, hi=1.2)
case("grid_sample_zeros", lambda x, gg: F.grid_sample(x, gg, mode="bilinear", padding_mode="zeros", align_corners=False), [gimg, grd])
case("grid_sample_border_ac", lambda x, gg: F.grid_sample(x, gg, mode="bilinear", padding_mode="border", align_corners=True), [gimg, grd])
case("grid_sample_nearest", lambda x, gg: F.grid_sample(x, gg, mode="nearest", padding_mode="zeros", align_corners=False), [gimg, grd])

# ------------------------------------------------------------------------------ recurrent modules
MODULES = []


def module_case(name, mod, x, state, args):
    mod = mod.double()
    x = x.clone().requires_grad_(True)
    out, st = mod(x, state) if state is not None else mod(x)
    if isinstance(st, tuple):
        h_n, c_n = st
    else:
        h_n, c_n = st, None
    up = torch.randn(out.shape, dtype=DT)
    up_h = torch.randn(h_n.shape, dtype=DT)
    loss = (out * up).sum() + (h_n * up_h).sum()
    params = dict(mod.named_parameters())
    grads = torch.autograd.grad(loss, [x] + list(params.values()))
    c = {
        "name": name,
        "args": args,
        "params": {k: enc(v) for k, v in params.items()},
        "input": enc(x),
        "output": enc(out),
        "h_n": enc(h_n),
        "upstream": enc(up),
        "upstream_h": enc(up_h),
        "input_grad": enc(grads[0]),
        "param_grads": {k: enc(g) for k, g in zip(params.keys(), grads[1:])},
    }
    if c_n is not None:
        c["c_n"] = enc(c_n)
    if state is not None:
        if isinstance(state, tuple):
            c["h0"], c["c0"] = enc(state[0]), enc(state[1])
        else:
            c["h0"] = enc(state)
    MODULES.append(c)


nn = torch.nn
module_case("lstm_2l_bi_bf", nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True), r(2, 5, 3),
            (r(4, 2, 4), r(4, 2, 4)), {"kind": "lstm", "layers": 2, "bidirectional": True, "batch_first": True})
module_case("gru_1l", nn.GRU(3, 5), r(6, 2, 3), None, {"kind": "gru", "layers": 1, "bidirectional": False, "batch_first": False})
module_case("gru_unbatched_bi", nn.GRU(3, 4, bidirectional=True), r(4, 3), r(2, 4), {"kind": "gru", "layers": 1, "bidirectional": True, "batch_first": False})
module_case("rnn_relu_2l", nn.RNN(3, 4, num_layers=2, nonlinearity="relu"), r(5, 2, 3), None, {"kind": "rnn_relu", "layers": 2, "bidirectional": False, "batch_first": False})
module_case("rnn_tanh_nobias", nn.RNN(3, 4, bias=False), r(5, 2, 3), r(1, 2, 4), {"kind": "rnn", "layers": 1, "bidirectional": False, "batch_first": False, "bias": False})

# ------------------------------------------------------------------------------ attention modules
ATTN = []


def attn_case(name, mod, inputs, call, args):
    mod = mod.double().eval()
    ins = [t.clone().requires_grad_(True) for t in inputs]
    out = call(mod, *ins)
    up = torch.randn(out.shape, dtype=DT)
    params = dict(mod.named_parameters())
    every = ins + list(params.values())
    grads = torch.autograd.grad((out * up).sum(), every, allow_unused=True)
    grads = [torch.zeros_like(t) if g is None else g for g, t in zip(grads, every)]
    ATTN.append({
        "name": name,
        "args": args,
        "params": {k: enc(v) for k, v in params.items()},
        "inputs": [enc(t) for t in inputs],
        "output": enc(out),
        "upstream": enc(up),
        "input_grads": [enc(g) for g in grads[:len(ins)]],
        "param_grads": {k: enc(g) for k, g in zip(params.keys(), grads[len(ins):])},
    })


kpm = torch.tensor([[False, False, True, False, True], [False, False, False, False, False]])
am = r(3, 5)
ATTN_MASKS = {"kpm": enc(kpm), "am": enc(am)}
attn_case("mha_masks", nn.MultiheadAttention(8, 2, batch_first=True), [r(2, 3, 8), r(2, 5, 8), r(2, 5, 8)],
          lambda m, q, k, v: m(q, k, v, key_padding_mask=kpm, attn_mask=am)[0], {})
attn_case("mha_weights", nn.MultiheadAttention(6, 3), [r(4, 2, 6), r(4, 2, 6), r(4, 2, 6)],
          lambda m, q, k, v: m(q, k, v, need_weights=True)[1], {})
for nf in [False, True]:
    attn_case(f"encoder_layer_nf{int(nf)}", nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=nf), [r(5, 2, 8)],
              lambda m, x: m(x), {"norm_first": nf})
causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=DT)
ATTN_MASKS["causal"] = enc(causal)
attn_case("decoder_layer", nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True, activation="gelu"), [r(2, 4, 8), r(2, 6, 8)],
          lambda m, t, mem: m(t, mem, tgt_mask=causal), {})

out = os.path.join(os.path.dirname(__file__), "..", "crates", "ember-nn", "tests", "fixtures", "torch_nn.json")
with open(out, "w") as f:
    json.dump({"torch_version": torch.__version__, "cases": CASES, "modules": MODULES, "attention": ATTN, "attention_masks": ATTN_MASKS}, f)
print(f"{len(CASES)} cases -> {out} ({os.path.getsize(out)} bytes)")
