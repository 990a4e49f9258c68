//! Replays tests/fixtures/torch_ops.json (made by tools/gen_tensor_fixture.py with real PyTorch):
//! every case's inputs through Ember, compared with PyTorch's outputs (f32, relative 1e-6).

mod common;
use common::*;
use ember_tensor::{Array, DType, PadMode};
use serde_json::Value;

fn dtype_of(name: &str) -> DType {
    match name {
        "float32" => DType::F32,
        "float64" => DType::F64,
        "int64" => DType::I64,
        "int32" => DType::I32,
        "uint8" => DType::U8,
        "bool" => DType::Bool,
        other => panic!("fixture dtype {other}"),
    }
}

fn decode(v: &Value) -> Array {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"].as_array().unwrap();
    let dtype = dtype_of(v["dtype"].as_str().unwrap());
    let a = match dtype {
        DType::Bool => Array::from_vec(
            data.iter()
                .map(|x| x.as_bool().unwrap())
                .collect::<Vec<bool>>(),
            &shape,
        ),
        DType::I64 | DType::I32 | DType::U8 => Array::from_vec(
            data.iter()
                .map(|x| x.as_i64().unwrap())
                .collect::<Vec<i64>>(),
            &shape,
        )
        .to_dtype(dtype),
        _ => Array::from_vec(
            data.iter()
                .map(|x| x.as_f64().unwrap())
                .collect::<Vec<f64>>(),
            &shape,
        )
        .to_dtype(dtype),
    };
    if v["layout"].as_str() == Some("transposed") && a.ndim() >= 2 {
        let t = a.transpose(0, -1).contiguous().transpose(0, -1);
        assert!(!t.is_contiguous());
        return t;
    }
    a
}

fn dims(v: &Value) -> Vec<isize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_i64().unwrap() as isize)
        .collect()
}
fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}
fn p_of(v: &Value) -> f64 {
    if v.as_str() == Some("inf") {
        f64::INFINITY
    } else {
        v.as_f64().unwrap()
    }
}

fn run(op: &str, x: &[Array], a: &Value) -> Vec<Array> {
    let f = |k: &str| a[k].as_f64().unwrap();
    let i = |k: &str| a[k].as_i64().unwrap() as isize;
    let b = |k: &str| a[k].as_bool().unwrap();
    let one = |r: Array| vec![r];
    let pair = |(u, v): (Array, Array)| vec![u, v];
    match op {
        "neg" => one(x[0].neg()),
        "abs" => one(x[0].abs()),
        "sign" => one(x[0].sign()),
        "exp" => one(x[0].exp()),
        "exp2" => one(x[0].exp2()),
        "expm1" => one(x[0].expm1()),
        "log" => one(x[0].abs().add(0.1).log()),
        "log2" => one(x[0].abs().add(0.1).log2()),
        "log10" => one(x[0].abs().add(0.1).log10()),
        "log1p" => one(x[0].abs().log1p()),
        "sqrt" => one(x[0].abs().sqrt()),
        "rsqrt" => one(x[0].abs().add(0.1).rsqrt()),
        "reciprocal" => one(x[0].abs().add(0.1).reciprocal()),
        "sin" => one(x[0].sin()),
        "cos" => one(x[0].cos()),
        "tan" => one(x[0].tan()),
        "asin" => one(x[0].div(2.5).asin()),
        "acos" => one(x[0].div(2.5).acos()),
        "atan" => one(x[0].atan()),
        "sinh" => one(x[0].sinh()),
        "cosh" => one(x[0].cosh()),
        "tanh" => one(x[0].tanh()),
        "sigmoid" => one(x[0].sigmoid()),
        "relu" => one(x[0].relu()),
        "leaky_relu" => one(x[0].leaky_relu(0.1)),
        "elu" => one(x[0].elu(1.0)),
        "gelu" => one(x[0].gelu(false)),
        "gelu_tanh" => one(x[0].gelu(true)),
        "silu" => one(x[0].silu()),
        "softplus" => one(x[0].softplus(1.0, 20.0)),
        "erf" => one(x[0].erf()),
        "floor" => one(x[0].floor()),
        "ceil" => one(x[0].ceil()),
        "round" => one(x[0].mul(3.0).round()),
        "trunc" => one(x[0].trunc()),
        "clamp" => one(x[0].clamp(-0.5, 0.5)),
        "add" => one(x[0].add(&x[1])),
        "sub" => one(x[0].sub(&x[1])),
        "mul" => one(x[0].mul(&x[1])),
        "div" => one(x[0].div(&x[1])),
        "floor_divide" => one(x[0].floor_divide(&x[1])),
        "remainder" => one(x[0].remainder(&x[1])),
        "fmod" => one(x[0].fmod(&x[1])),
        "pow" => one(x[0].abs().add(0.1).pow(&x[1])),
        "maximum" => one(x[0].maximum(&x[1])),
        "minimum" => one(x[0].minimum(&x[1])),
        "atan2" => one(x[0].atan2(&x[1])),
        "eq" => one(x[0].eq(&x[1])),
        "lt" => one(x[0].lt(&x[1])),
        "ge" => one(x[0].ge(&x[1])),
        "logical_and" => one(x[0].logical_and(&x[1])),
        "where_cond" => one(Array::where_cond(&x[0], &x[1], &x[2])),
        "masked_fill" => one(x[0].masked_fill(&x[1], f("value"))),
        "lerp" => one(x[0].lerp(&x[1], f("weight"))),
        "addcmul" => one(x[0].addcmul(&x[1], &x[2], f("value"))),
        "addcdiv" => one(x[0].addcdiv(&x[1], &x[2], f("value"))),
        "sum" => one(x[0].sum()),
        "sum_dim" => one(x[0].sum_dim(&dims(&a["dims"]), b("keepdim"))),
        "mean_dim" => one(x[0].mean_dim(&dims(&a["dims"]), b("keepdim"))),
        "amax" => one(x[0].amax(&dims(&a["dims"]), b("keepdim"))),
        "amin" => one(x[0].amin(&dims(&a["dims"]), b("keepdim"))),
        "var_dim" => one(x[0].var_dim(&dims(&a["dims"]), f("correction"), b("keepdim"))),
        "std_dim" => one(x[0].std_dim(&dims(&a["dims"]), f("correction"), b("keepdim"))),
        "logsumexp" => one(x[0].logsumexp(&dims(&a["dims"]), b("keepdim"))),
        "prod_dim" => one(x[0].prod_dim(i("dim"), b("keepdim"))),
        "max_dim" => pair(x[0].max_dim(i("dim"), b("keepdim"))),
        "min_dim" => pair(x[0].min_dim(i("dim"), b("keepdim"))),
        "argmax_dim" => one(x[0].argmax_dim(i("dim"), b("keepdim"))),
        "cumsum" => one(x[0].cumsum(i("dim"))),
        "cumprod" => one(x[0].cumprod(i("dim"))),
        "sort" => pair(x[0].sort(i("dim"), b("descending"))),
        "topk" => pair(x[0].topk(a["k"].as_u64().unwrap() as usize, i("dim"), true, true)),
        "kthvalue" => {
            pair(x[0].kthvalue(a["k"].as_u64().unwrap() as usize, i("dim"), b("keepdim")))
        }
        "median_dim" => pair(x[0].median_dim(i("dim"), b("keepdim"))),
        "norm" => one(x[0].norm(p_of(&a["p"]))),
        "norm_dim" => one(x[0].norm_dim(p_of(&a["p"]), &dims(&a["dims"]), b("keepdim"))),
        "cat" => one(Array::cat(&[&x[0], &x[1]], i("dim"))),
        "stack" => one(Array::stack(&[&x[0], &x[1]], i("dim"))),
        "flip" => one(x[0].flip(&dims(&a["dims"]))),
        "roll" => one(x[0].roll(&dims(&a["shifts"]), &dims(&a["dims"]))),
        "pad_reflect" => one(x[0].pad(&usizes(&a["pads"]), PadMode::Reflect, 0.0)),
        "pad_replicate" => one(x[0].pad(&usizes(&a["pads"]), PadMode::Replicate, 0.0)),
        "pad_constant" => one(x[0].pad(&usizes(&a["pads"]), PadMode::Constant, f("value"))),
        "tril" => one(x[0].tril(a["diagonal"].as_i64().unwrap())),
        "triu" => one(x[0].triu(a["diagonal"].as_i64().unwrap())),
        "repeat" => one(x[0].repeat(&usizes(&a["repeats"]))),
        "tile" => one(x[0].tile(&usizes(&a["reps"]))),
        "repeat_interleave" => {
            one(x[0].repeat_interleave(a["repeats"].as_u64().unwrap() as usize, Some(i("dim"))))
        }
        "index_select" => one(x[0].index_select(i("dim"), &x[1])),
        "gather" => one(x[0].gather(i("dim"), &x[1])),
        "scatter_add" => one(x[0].scatter_add(i("dim"), &x[1], &x[2])),
        "index_add" => one(x[0].index_add(i("dim"), &x[1], &x[2], f("alpha"))),
        "take" => one(x[0].take(&x[1])),
        "masked_select" => one(x[0].masked_select(&x[1])),
        "matmul" => one(x[0].matmul(&x[1])),
        "mm" => one(x[0].mm(&x[1])),
        "bmm" => one(x[0].bmm(&x[1])),
        "addmm" => one(x[0].addmm(&x[1], &x[2], f("beta"), f("alpha"))),
        "baddbmm" => one(x[0].baddbmm(&x[1], &x[2], f("beta"), f("alpha"))),
        "outer" => one(x[0].outer(&x[1])),
        "dot" => one(x[0].dot(&x[1])),
        "einsum" => {
            let ops: Vec<&Array> = x.iter().collect();
            one(ember_tensor::einsum(a["eq"].as_str().unwrap(), &ops))
        }
        "diagonal" => one(x[0].diagonal(a["offset"].as_i64().unwrap(), i("dim1"), i("dim2"))),
        "unfold" => one(x[0].unfold(
            i("dim"),
            a["size"].as_u64().unwrap() as usize,
            a["step"].as_u64().unwrap() as usize,
        )),
        "softmax" => {
            let m = x[0].amax(&[-1], true);
            let e = x[0].sub(&m).exp();
            one(e.div(&e.sum_dim(&[-1], true)))
        }
        other => panic!("fixture op {other} has no runner"),
    }
}

#[test]
fn every_fixture_case_matches_pytorch() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/torch_ops.json"
    ))
    .unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    let mut ops = std::collections::BTreeSet::new();
    for (n, c) in cases.iter().enumerate() {
        let op = c["op"].as_str().unwrap();
        ops.insert(op);
        let inputs: Vec<Array> = c["inputs"].as_array().unwrap().iter().map(decode).collect();
        let got = run(op, &inputs, &c["args"]);
        let want: Vec<Array> = c["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(decode)
            .collect();
        assert_eq!(got.len(), want.len(), "case {n} ({op}): number of outputs");
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.shape(), w.shape(), "case {n} ({op}) output {k}: shape");
            assert_eq!(g.dtype(), w.dtype(), "case {n} ({op}) output {k}: dtype");
            let (gv, wv) = (values(g), values(w));
            // f32 relative 1e-6, with an absolute floor of 1e-6 for results near zero.
            for (j, (&x, &y)) in gv.iter().zip(&wv).enumerate() {
                let ok = (x.is_nan() && y.is_nan())
                    || x == y
                    || (x - y).abs() <= 1e-6 * y.abs().max(1.0);
                assert!(
                    ok,
                    "case {n} ({op}) output {k} element {j}: ember {x}, pytorch {y}\n{:?}\nvs\n{:?}",
                    gv, wv
                );
            }
        }
    }
    assert!(ops.len() >= 60, "only {} ops covered", ops.len());
}
