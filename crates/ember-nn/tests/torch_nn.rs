//! Replays tests/fixtures/torch_nn.json (made by tools/gen_nn_fixture.py with real PyTorch, in
//! float64): each case's inputs go through the ember_nn::functional function of the same
//! meaning, then backward runs with the recorded upstream gradient; the output, the gradient of
//! every float input, and (batch norm) the updated running statistics must match PyTorch's to
//! 1e-10 relative.

use ember_autograd::autograd;
use ember_nn::functional::{
    self as F, BagMode, ClassLossOptions, GridPadding, InterpolateMode, Reduction,
};
use ember_nn::{DType, Tensor};
use serde_json::Value;

fn decode(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"].as_array().unwrap();
    match v["dtype"].as_str().unwrap() {
        "bool" => Tensor::from_vec(
            data.iter()
                .map(|x| x.as_bool().unwrap())
                .collect::<Vec<_>>(),
            &shape,
        ),
        "int64" => Tensor::from_vec(
            data.iter().map(|x| x.as_i64().unwrap()).collect::<Vec<_>>(),
            &shape,
        ),
        "float64" => Tensor::from_vec(
            data.iter()
                .map(|x| match x.as_str() {
                    Some("-inf") => f64::NEG_INFINITY,
                    Some("inf") => f64::INFINITY,
                    Some(other) => panic!("fixture value {other}"),
                    None => x.as_f64().unwrap(),
                })
                .collect::<Vec<_>>(),
            &shape,
        ),
        d => panic!("dtype {d}"),
    }
}

fn close(what: &str, got: &Tensor, want: &Tensor) {
    close_to(what, got, want, 1e-10)
}

fn close_to(what: &str, got: &Tensor, want: &Tensor, rel: f64) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let g = got.to_dtype(DType::F64).to_vec::<f64>();
    let w = want.to_dtype(DType::F64).to_vec::<f64>();
    let scale = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!(
            (a - b).abs() <= rel * b.abs() + 1e-12 * scale.max(1.0),
            "{what}: element {i}: ember {a} vs torch {b}"
        );
    }
}

fn reduction(args: &Value) -> Reduction {
    match args["reduction"].as_str() {
        Some("sum") => Reduction::Sum,
        Some("none") => Reduction::None,
        _ => Reduction::Mean,
    }
}

fn run(c: &Value, x: &[Tensor]) -> Tensor {
    let name = c["name"].as_str().unwrap();
    let args = &c["args"];
    let ex = |k: &str| decode(&c[k]);
    let f = |k: &str| args[k].as_f64().unwrap();
    match name {
        "linear" | "linear3d" => F::linear(&x[0], &x[1], Some(&x[2])),
        "bilinear" => F::bilinear(&x[0], &x[1], &x[2], Some(&x[3])),
        "relu6" => F::relu6(&x[0]),
        "selu" => F::selu(&x[0]),
        "mish" => F::mish(&x[0]),
        "hardswish" => F::hardswish(&x[0]),
        "hardsigmoid" => F::hardsigmoid(&x[0]),
        "logsigmoid" => F::logsigmoid(&x[0]),
        "softsign" => F::softsign(&x[0]),
        "silu" => F::silu(&x[0]),
        "celu" => F::celu(&x[0], f("alpha")),
        "gelu_tanh" => F::gelu(&x[0], true),
        "prelu" => F::prelu(&x[0], &x[1]),
        "softmax" => F::softmax(&x[0], 1),
        "log_softmax" => F::log_softmax(&x[0], -1),
        n if n.starts_with("cross_entropy") && n != "cross_entropy_probs" => {
            let opts = ClassLossOptions {
                weight: c.get("weight").map(decode),
                reduction: reduction(args),
                label_smoothing: args["label_smoothing"].as_f64().unwrap_or(0.0),
                ..Default::default()
            };
            F::cross_entropy_with(&x[0], &ex("target"), &opts)
        }
        "cross_entropy_probs" => {
            let opts = ClassLossOptions {
                label_smoothing: f("label_smoothing"),
                ..Default::default()
            };
            F::cross_entropy_with(&x[0], &x[1], &opts)
        }
        "nll_loss_weight" => {
            let opts = ClassLossOptions {
                weight: Some(ex("weight")),
                ..Default::default()
            };
            F::nll_loss_with(&x[0], &ex("target"), &opts)
        }
        "mse_loss" => F::mse_loss(&x[0], &x[1], Reduction::Mean),
        "l1_loss" => F::l1_loss(&x[0], &x[1], Reduction::Sum),
        "smooth_l1_loss" => F::smooth_l1_loss(&x[0], &x[1], Reduction::Mean, 0.5),
        "huber_loss" => F::huber_loss(&x[0], &x[1], Reduction::Mean, 1.5),
        "binary_cross_entropy" => {
            F::binary_cross_entropy(&x[0], &x[1], Some(&ex("weight")), Reduction::Mean)
        }
        "bce_with_logits" => F::binary_cross_entropy_with_logits(
            &x[0],
            &x[1],
            None,
            Some(&ex("pos_weight")),
            Reduction::Mean,
        ),
        "kl_div_batchmean" => F::kl_div(&x[0], &x[1], Reduction::BatchMean, false),
        "kl_div_log_target" => F::kl_div(&x[0], &x[1], Reduction::Sum, true),
        "cosine_similarity" => F::cosine_similarity(&x[0], &x[1], 1, 1e-8),
        "cosine_embedding_loss" => {
            F::cosine_embedding_loss(&x[0], &x[1], &ex("y"), 0.1, Reduction::Mean)
        }
        "margin_ranking_loss" => F::margin_ranking_loss(
            &x[0],
            &x[1],
            &Tensor::from([1.0f64, -1.0, 1.0, -1.0]),
            0.3,
            Reduction::Mean,
        ),
        "triplet_margin_loss" => {
            F::triplet_margin_loss(&x[0], &x[1], &x[2], 1.0, 2.0, 1e-6, true, Reduction::Mean)
        }
        "normalize" => F::normalize(&x[0], 2.0, 1, 1e-12),
        "batch_norm_train" => {
            let (rm, rv) = (ex("running_mean_in"), ex("running_var_in"));
            let y = F::batch_norm(
                &x[0],
                Some(&rm),
                Some(&rv),
                Some(&x[1]),
                Some(&x[2]),
                true,
                0.2,
                1e-5,
            );
            close("running_mean", &rm, &ex("running_mean_out"));
            close("running_var", &rv, &ex("running_var_out"));
            y
        }
        "batch_norm_eval" => {
            let (rm, rv) = (ex("running_mean_in"), ex("running_var_in"));
            F::batch_norm(
                &x[0],
                Some(&rm),
                Some(&rv),
                Some(&x[1]),
                Some(&x[2]),
                false,
                0.1,
                1e-5,
            )
        }
        "layer_norm" => F::layer_norm(&x[0], &[3, 5], Some(&x[1]), Some(&x[2]), 1e-5),
        "group_norm" => F::group_norm(&x[0], 2, Some(&x[1]), Some(&x[2]), 1e-5),
        "instance_norm" => {
            F::instance_norm(&x[0], None, None, Some(&x[1]), Some(&x[2]), true, 0.1, 1e-5)
        }
        "rms_norm" => F::rms_norm(&x[0], &[5], Some(&x[1]), Some(1e-6)),
        "local_response_norm" => F::local_response_norm(&x[0], 3, 0.1, 0.75, 1.0),
        "embedding_pad" => F::embedding(&ex("indices"), &x[0], Some(3), None),
        "embedding_bag_sum" | "embedding_bag_mean" | "embedding_bag_psw" => {
            let mode = if args["mode"] == "mean" {
                BagMode::Mean
            } else {
                BagMode::Sum
            };
            let psw = x.get(1);
            F::embedding_bag(&ex("indices"), &x[0], Some(&ex("offsets")), mode, psw, None)
        }
        "pixel_shuffle" => F::pixel_shuffle(&x[0], 2),
        "pixel_unshuffle" => F::pixel_unshuffle(&x[0], 2),
        "interp_nearest" => {
            F::interpolate(&x[0], Some(&[5, 3]), None, InterpolateMode::Nearest, false)
        }
        "interp_nearest_scale" => F::interpolate(
            &x[0],
            None,
            Some(&[2.0, 1.5]),
            InterpolateMode::Nearest,
            false,
        ),
        "interp_bilinear" => {
            F::interpolate(&x[0], Some(&[5, 7]), None, InterpolateMode::Linear, false)
        }
        "interp_bilinear_ac" => {
            F::interpolate(&x[0], Some(&[5, 7]), None, InterpolateMode::Linear, true)
        }
        "interp_linear_scale" => {
            F::interpolate(&x[0], None, Some(&[2.5]), InterpolateMode::Linear, false)
        }
        "sdpa_causal" => {
            F::scaled_dot_product_attention(&x[0], &x[1], &x[2], None, 0.0, true, None)
        }
        "sdpa_float_mask" | "sdpa_bool_mask" => F::scaled_dot_product_attention(
            &x[0],
            &x[1],
            &x[2],
            Some(&ex("mask")),
            0.0,
            false,
            args["scale"].as_f64(),
        ),
        "unfold" => F::unfold(&x[0], &[2, 3], &[2, 1], &[1], &[2, 1]),
        "fold" => F::fold(&x[0], &[5, 6], &[2, 3], &[2, 1], &[1], &[2, 1]),
        "affine_grid" => F::affine_grid(&x[0], &[2, 3, 4, 5], false),
        "affine_grid_ac" => F::affine_grid(&x[0], &[2, 3, 4, 5], true),
        "grid_sample_zeros" => F::grid_sample(&x[0], &x[1], false, GridPadding::Zeros, false),
        "grid_sample_border_ac" => F::grid_sample(&x[0], &x[1], false, GridPadding::Border, true),
        "grid_sample_nearest" => F::grid_sample(&x[0], &x[1], true, GridPadding::Zeros, false),
        other => panic!("no replay for fixture case {other}"),
    }
}

#[test]
fn functional_matches_pytorch() {
    let text = include_str!("fixtures/torch_nn.json");
    let root: Value = serde_json::from_str(text).unwrap();
    let cases = root["cases"].as_array().unwrap();
    assert!(cases.len() >= 67);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let inputs: Vec<Tensor> = c["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let t = decode(v);
                if t.dtype().is_floating_point() {
                    t.requires_grad_(true)
                } else {
                    t
                }
            })
            .collect();
        let out = run(c, &inputs);
        close(&format!("{name}: output"), &out, &decode(&c["output"]));
        let diff: Vec<&Tensor> = inputs.iter().filter(|t| t.requires_grad()).collect();
        let up = decode(&c["upstream"]);
        let grads = autograd::grad(&[&out], &diff, Some(&[&up]), false, false, true);
        for (i, (g, want)) in grads.iter().zip(c["grads"].as_array().unwrap()).enumerate() {
            let want = decode(want);
            let g = g.clone().unwrap_or_else(|| want.zeros_like());
            // PyTorch's hardsigmoid/hardswish backward kernels use the float constant
            // 1.0f/6.0f even in float64 (ATen's Activation.cpp), so they are off by ~3e-8.
            let rel = if name.starts_with("hard") {
                1e-7
            } else {
                1e-10
            };
            close_to(&format!("{name}: grad of input {i}"), &g, &want, rel);
        }
    }
}

/// Recurrent layers with PyTorch's weights (loaded by name through the state dict) give
/// PyTorch's outputs, final states, and gradients for the input and every parameter.
#[test]
fn recurrent_layers_match_pytorch() {
    use ember_nn::{GRU, LSTM, ModuleExt, RNN, RnnState, StateDict};
    let root: Value = serde_json::from_str(include_str!("fixtures/torch_nn.json")).unwrap();
    let cases = root["modules"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    // Every LSTM case twice: fused (the default) and recording the composed ops.
    let runs = cases.iter().flat_map(|c| {
        let lstm = c["args"]["kind"].as_str() == Some("lstm");
        [(c, true)].into_iter().chain(lstm.then_some((c, false)))
    });
    for (c, fused) in runs {
        let name = &format!("{} (fused {fused})", c["name"].as_str().unwrap());
        let a = &c["args"];
        let x0 = decode(&c["input"]);
        let (inp, hid) = (
            x0.shape()[x0.ndim() - 1],
            decode(&c["h_n"]).shape().last().copied().unwrap(),
        );
        let layer = match a["kind"].as_str().unwrap() {
            "lstm" => LSTM::new(inp, hid),
            "gru" => GRU::new(inp, hid),
            "rnn" => RNN::new(inp, hid),
            "rnn_relu" => RNN::new(inp, hid).nonlinearity_relu(),
            k => panic!("kind {k}"),
        };
        let mut layer = layer
            .num_layers(a["layers"].as_u64().unwrap() as usize)
            .bidirectional(a["bidirectional"].as_bool().unwrap())
            .batch_first(a["batch_first"].as_bool().unwrap())
            .bias(a["bias"].as_bool().unwrap_or(true))
            .fused(fused);
        layer.to_dtype(DType::F64);
        let sd: StateDict = c["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), decode(v)))
            .collect();
        layer
            .load_state_dict(&sd, true)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let x = x0.requires_grad_(true);
        let state = c.get("h0").map(|h| RnnState {
            h: decode(h),
            c: c.get("c0").map(decode),
        });
        let (out, st) = layer.forward_with_state(&x, state.as_ref());
        close(&format!("{name}: output"), &out, &decode(&c["output"]));
        close(&format!("{name}: h_n"), &st.h, &decode(&c["h_n"]));
        if let Some(cn) = c.get("c_n") {
            close(&format!("{name}: c_n"), st.c.as_ref().unwrap(), &decode(cn));
        }
        out.mul(&decode(&c["upstream"]))
            .sum()
            .add(&st.h.mul(&decode(&c["upstream_h"])).sum())
            .backward();
        close(
            &format!("{name}: input grad"),
            &x.grad().unwrap(),
            &decode(&c["input_grad"]),
        );
        for (pname, p) in layer.named_parameters() {
            close(
                &format!("{name}: grad of {pname}"),
                &p.grad().unwrap(),
                &decode(&c["param_grads"][pname.as_str()]),
            );
        }
    }
}

/// MultiheadAttention and the Transformer layers with PyTorch's weights: outputs and every
/// gradient (inputs and parameters) match (dropout 0, eval mode).
#[test]
fn attention_modules_match_pytorch() {
    use ember_nn::{
        Activation, Module, ModuleExt, MultiheadAttention, StateDict, TransformerDecoderLayer,
        TransformerEncoderLayer,
    };
    let root: Value = serde_json::from_str(include_str!("fixtures/torch_nn.json")).unwrap();
    let masks = &root["attention_masks"];
    for c in root["attention"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let x: Vec<Tensor> = c["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| decode(v).requires_grad_(true))
            .collect();
        let sd: StateDict = c["params"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), decode(v)))
            .collect();
        let mut module: Box<dyn Module> = match name {
            "mha_masks" => Box::new(MultiheadAttention::new(8, 2).batch_first(true)),
            "mha_weights" => Box::new(MultiheadAttention::new(6, 3)),
            "encoder_layer_nf0" => Box::new(TransformerEncoderLayer::new(8, 2, 16).dropout(0.0)),
            "encoder_layer_nf1" => Box::new(
                TransformerEncoderLayer::new(8, 2, 16)
                    .dropout(0.0)
                    .norm_first(true),
            ),
            "decoder_layer" => Box::new({
                let mut l = TransformerDecoderLayer::new(8, 2, 16)
                    .dropout(0.0)
                    .batch_first(true);
                l.activation = Activation::Gelu;
                l
            }),
            n => panic!("case {n}"),
        };
        module.to_dtype(DType::F64);
        module.eval();
        module
            .load_state_dict(&sd, true)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = match name {
            "mha_masks" => {
                let m = module.downcast_ref::<MultiheadAttention>().unwrap();
                let (kpm, am) = (decode(&masks["kpm"]), decode(&masks["am"]));
                m.attend(&x[0], &x[1], &x[2], Some(&kpm), Some(&am), false)
                    .0
            }
            "mha_weights" => {
                let m = module.downcast_ref::<MultiheadAttention>().unwrap();
                m.attend(&x[0], &x[1], &x[2], None, None, true).1.unwrap()
            }
            "decoder_layer" => {
                let m = module.downcast_ref::<TransformerDecoderLayer>().unwrap();
                m.forward_memory(&x[0], &x[1], Some(&decode(&masks["causal"])), None)
            }
            _ => module.forward(&x[0]),
        };
        close(&format!("{name}: output"), &out, &decode(&c["output"]));
        out.mul(&decode(&c["upstream"])).sum().backward();
        for (i, (t, g)) in x
            .iter()
            .zip(c["input_grads"].as_array().unwrap())
            .enumerate()
        {
            let want = decode(g);
            let got = t.grad().unwrap_or_else(|| want.zeros_like());
            close(&format!("{name}: grad of input {i}"), &got, &want);
        }
        for (pname, p) in module.named_parameters() {
            let want = decode(&c["param_grads"][pname.as_str()]);
            let got = p.grad().unwrap_or_else(|| want.zeros_like());
            close(&format!("{name}: grad of {pname}"), &got, &want);
        }
    }
}
