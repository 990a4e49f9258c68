//! Replays tests/fixtures/torch_conv.json (made by tools/gen_conv_fixture.py with real PyTorch):
//! convolution (regular and transposed, 1d/2d/3d, stride, padding, dilation, groups, bias,
//! output_padding) and pooling (max, avg, adaptive, unpool). Forward outputs, max indices and
//! the gradients of every input for the recorded upstream gradient are compared with PyTorch's:
//! relative 1e-5 for f32, 1e-10 for f64 (plus the same fraction of the tensor's largest value).

use ember_autograd::{
    Array, Tensor, adaptive_avg_pool, adaptive_max_pool, autograd, avg_pool, convolution, max_pool,
    max_unpool,
};
use serde_json::Value;

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

fn decode(v: &Value) -> Tensor {
    let shape = usizes(&v["shape"]);
    let data = v["data"].as_array().unwrap();
    let a = match v["dtype"].as_str().unwrap() {
        "float32" => Array::from_vec(
            data.iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect::<Vec<f32>>(),
            &shape,
        ),
        "float64" => Array::from_vec(
            data.iter()
                .map(|x| x.as_f64().unwrap())
                .collect::<Vec<f64>>(),
            &shape,
        ),
        "int64" => Array::from_vec(
            data.iter()
                .map(|x| x.as_i64().unwrap())
                .collect::<Vec<i64>>(),
            &shape,
        ),
        d => panic!("fixture dtype {d}"),
    };
    Tensor::from_array(a)
}

fn values(t: &Tensor) -> Vec<f64> {
    t.to_dtype(ember_autograd::DType::F64).to_vec::<f64>()
}

#[track_caller]
fn close(case: &str, what: &str, got: &Tensor, want: &Value, rel: f64) {
    let want_t = decode(want);
    assert_eq!(got.shape(), want_t.shape(), "{case}: {what} shape");
    let (g, w) = (values(got), values(&want_t));
    let max = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!(
            (a - b).abs() <= rel * b.abs() + rel * max,
            "{case}: {what}[{i}] = {a}, PyTorch {b}"
        );
    }
}

fn bool_of(v: &Value) -> bool {
    v.as_bool().unwrap()
}

#[test]
fn torch_conv_fixture() {
    let fx: Value = serde_json::from_str(include_str!("fixtures/torch_conv.json")).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let rel = if c["dtype"] == "float64" { 1e-10 } else { 1e-5 };
        let p = &c["params"];
        let ins: Vec<(String, Tensor)> = c["inputs"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), decode(v).requires_grad_(true)))
            .collect();
        let get = |k: &str| ins.iter().find(|(n, _)| n == k).map(|(_, t)| t.clone());
        let x = get("x").unwrap();
        let (out, idx) = match c["op"].as_str().unwrap() {
            "convolution" => {
                let w = get("w").unwrap();
                let b = get("b");
                let y = convolution(
                    &x,
                    &w,
                    b.as_ref(),
                    &usizes(&p["stride"]),
                    &usizes(&p["padding"]),
                    &usizes(&p["dilation"]),
                    bool_of(&p["transposed"]),
                    &usizes(&p["output_padding"]),
                    p["groups"].as_u64().unwrap() as usize,
                );
                (y, None)
            }
            "max_pool" => {
                let (v, i) = max_pool(
                    &x,
                    &usizes(&p["kernel_size"]),
                    &usizes(&p["stride"]),
                    &usizes(&p["padding"]),
                    &usizes(&p["dilation"]),
                    bool_of(&p["ceil_mode"]),
                );
                (v, Some(i))
            }
            "avg_pool" => (
                avg_pool(
                    &x,
                    &usizes(&p["kernel_size"]),
                    &usizes(&p["stride"]),
                    &usizes(&p["padding"]),
                    bool_of(&p["ceil_mode"]),
                    bool_of(&p["count_include_pad"]),
                    p["divisor_override"].as_u64().map(|d| d as usize),
                ),
                None,
            ),
            "adaptive_avg_pool" => (adaptive_avg_pool(&x, &usizes(&p["output_size"])), None),
            "adaptive_max_pool" => {
                let (v, i) = adaptive_max_pool(&x, &usizes(&p["output_size"]));
                (v, Some(i))
            }
            "max_unpool" => (
                max_unpool(&x, &decode(&p["indices"]), &usizes(&p["output_size"])),
                None,
            ),
            op => panic!("unknown op {op}"),
        };
        close(name, "output", &out, &c["out"], rel);
        if let Some(i) = idx {
            let want = decode(&c["indices"]);
            assert_eq!(
                i.to_vec::<i64>(),
                want.to_vec::<i64>(),
                "{name}: max indices"
            );
        }
        let go = decode(&c["grad_out"]);
        let grads = c["grads"].as_object().unwrap();
        let wrt: Vec<Tensor> = grads.keys().map(|k| get(k).unwrap()).collect();
        let wrt_refs: Vec<&Tensor> = wrt.iter().collect();
        let got = autograd::grad(&[&out], &wrt_refs, Some(&[&go]), false, false, false);
        for ((k, want), g) in grads.iter().zip(got) {
            let g = g.unwrap_or_else(|| panic!("{name}: no gradient for {k}"));
            close(name, &format!("grad {k}"), &g, want, rel);
        }
    }
}
