//! Replays tests/fixtures/torch_autograd.json (made by tools/gen_autograd_fixture.py with real
//! PyTorch): each case's inputs (with their recorded layout) go through the Ember op, then
//! `autograd::grad` runs with the recorded upstream gradients; the forward outputs and the
//! gradient of every input that requires grad are compared with PyTorch's (f32, relative 1e-5).

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use ember_autograd::{Array, DType, PadMode, Tensor, autograd, einsum, s};
use ember_tensor::IndexItem;
use serde_json::Value;

/// Relative tolerance of every float comparison.
const REL: f64 = 1e-5;
/// Absolute tolerance, as a fraction of the largest |value| of the tensor being compared.
const ABS_OF_MAX: f64 = 1e-6;

fn decode(v: &Value) -> Array {
    let shape: Vec<usize> = usizes(&v["shape"]);
    let data = v["data"].as_array().unwrap();
    let a = match v["dtype"].as_str().unwrap() {
        "bool" => Array::from_vec(
            data.iter()
                .map(|x| x.as_bool().unwrap())
                .collect::<Vec<bool>>(),
            &shape,
        ),
        "int64" => Array::from_vec(
            data.iter()
                .map(|x| x.as_i64().unwrap())
                .collect::<Vec<i64>>(),
            &shape,
        ),
        "float32" => Array::from_vec(
            data.iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect::<Vec<f32>>(),
            &shape,
        ),
        other => panic!("fixture dtype {other}"),
    };
    if v["layout"].as_str() == Some("transposed") {
        // Stored transposed: build that contiguous array and transpose it back, so the input is
        // a non-contiguous view with the recorded logical values.
        let t = a.transpose(0, -1).contiguous().transpose(0, -1);
        assert!(
            !t.is_contiguous(),
            "a transposed input of shape {shape:?} is contiguous"
        );
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
fn pad_mode(v: &Value) -> PadMode {
    match v.as_str().unwrap() {
        "constant" => PadMode::Constant,
        "reflect" => PadMode::Reflect,
        "replicate" => PadMode::Replicate,
        "circular" => PadMode::Circular,
        other => panic!("pad mode {other}"),
    }
}

/// PyTorch's `x[...]` items: `{"slice": [start, stop, step]}` (null bounds for open ends),
/// `{"select": i}`, `"newaxis"`, `"ellipsis"`.
fn index_items(v: &Value) -> Vec<IndexItem> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|it| match it {
            Value::String(k) if k == "newaxis" => IndexItem::NewAxis,
            Value::String(k) if k == "ellipsis" => IndexItem::Ellipsis,
            _ if it.get("select").is_some() => IndexItem::Select(it["select"].as_i64().unwrap()),
            _ => {
                let b = it["slice"].as_array().unwrap();
                let step = b[2].as_u64().unwrap() as usize;
                let sl = match (b[0].as_i64(), b[1].as_i64()) {
                    (Some(a), Some(z)) => s(a..z),
                    (Some(a), None) => s(a..),
                    (None, Some(z)) => s(..z),
                    (None, None) => s(..),
                };
                IndexItem::Slice(sl.step(step))
            }
        })
        .collect()
}

/// Runs fixture op `op` in Ember on inputs `x` with arguments `a`; every output, in PyTorch's
/// order (values before indices).
fn run(op: &str, x: &[Tensor], a: &Value) -> Vec<Tensor> {
    let f = |k: &str| {
        a[k].as_f64()
            .unwrap_or_else(|| panic!("{op}: argument {k}"))
    };
    let i = |k: &str| {
        a[k].as_i64()
            .unwrap_or_else(|| panic!("{op}: argument {k}")) as isize
    };
    let u = |k: &str| {
        a[k].as_u64()
            .unwrap_or_else(|| panic!("{op}: argument {k}")) as usize
    };
    let b = |k: &str| {
        a[k].as_bool()
            .unwrap_or_else(|| panic!("{op}: argument {k}"))
    };
    let d = |k: &str| dims(&a[k]);
    let one = |t: Tensor| vec![t];
    let pair = |(v, ix): (Tensor, Tensor)| vec![v, ix];
    let all: Vec<&Tensor> = x.iter().collect();
    let x0 = &x[0];
    match op {
        // ---- unary
        "neg" => one(x0.neg()),
        "abs" => one(x0.abs()),
        "exp" => one(x0.exp()),
        "exp2" => one(x0.exp2()),
        "expm1" => one(x0.expm1()),
        "log" => one(x0.log()),
        "log2" => one(x0.log2()),
        "log10" => one(x0.log10()),
        "log1p" => one(x0.log1p()),
        "sqrt" => one(x0.sqrt()),
        "rsqrt" => one(x0.rsqrt()),
        "reciprocal" => one(x0.reciprocal()),
        "sin" => one(x0.sin()),
        "cos" => one(x0.cos()),
        "tan" => one(x0.tan()),
        "asin" => one(x0.asin()),
        "acos" => one(x0.acos()),
        "atan" => one(x0.atan()),
        "sinh" => one(x0.sinh()),
        "cosh" => one(x0.cosh()),
        "tanh" => one(x0.tanh()),
        "sigmoid" => one(x0.sigmoid()),
        "silu" => one(x0.silu()),
        "erf" => one(x0.erf()),
        "relu" => one(x0.relu()),
        "square" => one(x0.square()),
        "leaky_relu" => one(x0.leaky_relu(f("negative_slope"))),
        "elu" => one(x0.elu(f("alpha"))),
        "gelu" => one(x0.gelu(b("approximate"))),
        "softplus" => one(x0.softplus(f("beta"), f("threshold"))),
        "clamp" => one(x0.clamp(f("min"), f("max"))),
        "clamp_min" => one(x0.clamp_min(f("min"))),
        "clamp_max" => one(x0.clamp_max(f("max"))),
        // ---- binary, broadcasting
        "add" => one(x0.add(&x[1])),
        "sub" => one(x0.sub(&x[1])),
        "mul" => one(x0.mul(&x[1])),
        "div" => one(x0.div(&x[1])),
        "pow" => one(x0.pow(&x[1])),
        "maximum" => one(x0.maximum(&x[1])),
        "minimum" => one(x0.minimum(&x[1])),
        "atan2" => one(x0.atan2(&x[1])),
        "remainder" => one(x0.remainder(&x[1])),
        "fmod" => one(x0.fmod(&x[1])),
        "pow_scalar" => one(x0.pow(f("exponent"))),
        "mul_scalar" => one(x0.mul(f("value"))),
        "add_scalar" => one(x0.add(f("value"))),
        "div_scalar" => one(x0.div(f("value"))),
        "remainder_scalar" => one(x0.remainder(f("value"))),
        // ---- selection and fused
        "where_cond" => one(Tensor::where_cond(x0, &x[1], &x[2])),
        "where_scalar" => one(Tensor::where_cond(x0, &x[1], f("other"))),
        "masked_fill" => one(x0.masked_fill(&x[1], f("value"))),
        "lerp" => one(x0.lerp(&x[1], &x[2])),
        "lerp_scalar" => one(x0.lerp(&x[1], &Tensor::scalar(f("weight") as f32))),
        "addcmul" => one(x0.addcmul(&x[1], &x[2], f("value"))),
        "addcdiv" => one(x0.addcdiv(&x[1], &x[2], f("value"))),
        // ---- reductions
        "sum" => one(x0.sum()),
        "mean" => one(x0.mean()),
        "prod" => one(x0.prod()),
        "max" => one(x0.max()),
        "min" => one(x0.min()),
        "median" => one(x0.median()),
        "sum_dim" => one(x0.sum_dim(&d("dims"), b("keepdim"))),
        "mean_dim" => one(x0.mean_dim(&d("dims"), b("keepdim"))),
        "amax" => one(x0.amax(&d("dims"), b("keepdim"))),
        "amin" => one(x0.amin(&d("dims"), b("keepdim"))),
        "logsumexp" => one(x0.logsumexp(&d("dims"), b("keepdim"))),
        "prod_dim" => one(x0.prod_dim(i("dim"), b("keepdim"))),
        "max_dim" => pair(x0.max_dim(i("dim"), b("keepdim"))),
        "min_dim" => pair(x0.min_dim(i("dim"), b("keepdim"))),
        "median_dim" => pair(x0.median_dim(i("dim"), b("keepdim"))),
        "kthvalue" => pair(x0.kthvalue(u("k"), i("dim"), b("keepdim"))),
        "var" => one(x0.var(f("correction"))),
        "std" => one(x0.std(f("correction"))),
        "var_dim" => one(x0.var_dim(&d("dims"), f("correction"), b("keepdim"))),
        "std_dim" => one(x0.std_dim(&d("dims"), f("correction"), b("keepdim"))),
        "norm" => one(x0.norm(p_of(&a["p"]))),
        "norm_dim" => one(x0.norm_dim(p_of(&a["p"]), &d("dims"), b("keepdim"))),
        "softmax" => one(x0.softmax(i("dim"))),
        "log_softmax" => one(x0.log_softmax(i("dim"))),
        "cumsum" => one(x0.cumsum(i("dim"))),
        "cumprod" => one(x0.cumprod(i("dim"))),
        "logcumsumexp" => one(x0.logcumsumexp(i("dim"))),
        "cummax" => pair(x0.cummax(i("dim"))),
        "cummin" => pair(x0.cummin(i("dim"))),
        "sort" => pair(x0.sort(i("dim"), b("descending"))),
        "topk" => pair(x0.topk(u("k"), i("dim"), b("largest"), true)),
        // ---- views
        "view" => one(x0.view(&d("shape"))),
        "reshape" => one(x0.reshape(&d("shape"))),
        "permute" => one(x0.permute(&d("dims"))),
        "transpose" => one(x0.transpose(i("dim0"), i("dim1"))),
        "t" => one(x0.t()),
        "mt" => one(x0.mt()),
        "narrow" => one(x0.narrow(i("dim"), u("start"), u("length"))),
        "select" => one(x0.select(i("dim"), u("index"))),
        "i" => one(x0.i(index_items(&a["index"]))),
        "squeeze" => one(x0.squeeze()),
        "squeeze_dim" => one(x0.squeeze_dim(i("dim"))),
        "unsqueeze" => one(x0.unsqueeze(i("dim"))),
        "flatten" => one(x0.flatten(i("start"), i("end"))),
        "unflatten" => one(x0.unflatten(i("dim"), &d("sizes"))),
        "expand" => one(x0.expand(&d("shape"))),
        "diagonal" => one(x0.diagonal(i("offset") as i64, i("dim1"), i("dim2"))),
        "unfold" => one(x0.unfold(i("dim"), u("size"), u("step"))),
        "as_strided" => one(x0.as_strided(&usizes(&a["size"]), &usizes(&a["stride"]), u("offset"))),
        "movedim" => one(x0.movedim(&d("source"), &d("destination"))),
        "contiguous" => one(x0.contiguous()),
        "clone" => one(x0.clone_tensor()),
        // ---- joins
        "cat" => one(Tensor::cat(&all, i("dim"))),
        "stack" => one(Tensor::stack(&all, i("dim"))),
        "split" => x0.split(u("size"), i("dim")),
        "split_sizes" => x0.split_sizes(&usizes(&a["sizes"]), i("dim")),
        "chunk" => x0.chunk(u("chunks"), i("dim")),
        "unbind" => x0.unbind(i("dim")),
        "repeat" => one(x0.repeat(&usizes(&a["repeats"]))),
        "tile" => one(x0.tile(&usizes(&a["reps"]))),
        "repeat_interleave" => {
            one(x0.repeat_interleave(u("repeats"), a["dim"].as_i64().map(|v| v as isize)))
        }
        "flip" => one(x0.flip(&d("dims"))),
        "roll" => one(x0.roll(&d("shifts"), &d("dims"))),
        "tril" => one(x0.tril(i("diagonal") as i64)),
        "triu" => one(x0.triu(i("diagonal") as i64)),
        "pad" => one(x0.pad(
            &usizes(&a["pads"]),
            pad_mode(&a["mode"]),
            a["value"].as_f64().unwrap_or(0.0),
        )),
        // ---- indexing
        "index_select" => one(x0.index_select(i("dim"), &x[1])),
        "gather" => one(x0.gather(i("dim"), &x[1])),
        "scatter" => one(x0.scatter(i("dim"), &x[1], &x[2])),
        "scatter_value" => one(x0.scatter_value(i("dim"), &x[1], f("value"))),
        "scatter_add" => one(x0.scatter_add(i("dim"), &x[1], &x[2])),
        "take" => one(x0.take(&x[1])),
        "masked_select" => one(x0.masked_select(&x[1])),
        "masked_scatter" => one(x0.masked_scatter(&x[1], &x[2])),
        "index_put" => {
            let n = u("n_idx");
            one(x0.index_put(&all[1..=n], &x[n + 1], b("accumulate")))
        }
        "index_add" => one(x0.index_add(i("dim"), &x[1], &x[2], f("alpha"))),
        "index_get" => one(x0.index_get(&all[1..])),
        // ---- linear algebra
        "matmul" => one(x0.matmul(&x[1])),
        "mm" => one(x0.mm(&x[1])),
        "bmm" => one(x0.bmm(&x[1])),
        "dot" => one(x0.dot(&x[1])),
        "outer" => one(x0.outer(&x[1])),
        "addmm" => one(x0.addmm(&x[1], &x[2], f("beta"), f("alpha"))),
        "baddbmm" => one(x0.baddbmm(&x[1], &x[2], f("beta"), f("alpha"))),
        "einsum" => one(einsum(a["eq"].as_str().unwrap(), &all)),
        // ---- composites of several ops
        "cross_entropy" => {
            // F.cross_entropy(logits, target): mean of -log_softmax(logits)[target]
            one(x0.log_softmax(1).gather(1, &x[1].unsqueeze(1)).neg().mean())
        }
        "mse_loss" => one(x0.sub(&x[1]).square().mean()),
        "bce_with_logits" => {
            // mean(softplus(z) - z·y)
            one(x0.softplus(1.0, 20.0).sub(&x0.mul(&x[1])).mean())
        }
        "layer_norm" => {
            let m = x0.mean_dim(&[-1], true);
            let v = x0.var_dim(&[-1], 0.0, true);
            one(x0
                .sub(&m)
                .div(&v.add(f("eps")).sqrt())
                .mul(&x[1])
                .add(&x[2]))
        }
        "attention" => one(x0
            .matmul(&x[1].mt())
            .mul(f("scale"))
            .softmax(-1)
            .matmul(&x[2])),
        "mlp" => one(x0.matmul(&x[1]).add(&x[2]).tanh().matmul(&x[3])),
        other => panic!("fixture op {other} has no runner"),
    }
}

/// Compares `got` with the fixture tensor `want`; `None` when they agree.
///
/// Floats agree element-wise when `|got - want| <= 1e-5·|want| + 1e-6·max|want|` (relative
/// 1e-5, plus an absolute floor scaled by the tensor's largest magnitude for elements near
/// zero); integers must be equal. The message names the worst element.
fn compare(got: &Tensor, want: &Value) -> Option<String> {
    let w = decode(want);
    if got.shape() != w.shape() {
        return Some(format!(
            "shape: ember {:?}, pytorch {:?}",
            got.shape(),
            w.shape()
        ));
    }
    if got.dtype() != w.dtype() {
        return Some(format!(
            "dtype: ember {:?}, pytorch {:?}",
            got.dtype(),
            w.dtype()
        ));
    }
    if w.dtype() != DType::F32 {
        let (gv, wv) = (got.data().to_vec::<i64>(), w.to_vec::<i64>());
        let bad = gv.iter().zip(&wv).position(|(x, y)| x != y)?;
        return Some(format!(
            "element {bad}: ember {}, pytorch {}\nember   {gv:?}\npytorch {wv:?}",
            gv[bad], wv[bad]
        ));
    }
    let gv = got.data().to_dtype(DType::F64).to_vec::<f64>();
    let wv = w.to_dtype(DType::F64).to_vec::<f64>();
    let floor = ABS_OF_MAX * wv.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut worst: Option<(usize, f64)> = None; // (element, error / tolerance)
    for (j, (&x, &y)) in gv.iter().zip(&wv).enumerate() {
        let ratio = if x.is_finite() {
            (x - y).abs() / (REL * y.abs() + floor)
        } else {
            f64::INFINITY
        };
        if ratio > 1.0 && worst.is_none_or(|(_, r)| ratio > r) {
            worst = Some((j, ratio));
        }
    }
    let (j, ratio) = worst?;
    Some(format!(
        "worst element {j} (of {}): ember {}, pytorch {} (error {:.2}x the tolerance)",
        gv.len(),
        gv[j],
        wv[j],
        ratio
    ))
}

/// Runs case `n` and checks its outputs and gradients; the list of mismatches.
fn check_case(n: usize, op: &str, c: &Value) -> Vec<String> {
    let mut bad = vec![];
    let specs = c["inputs"].as_array().unwrap();
    let inputs: Vec<Tensor> = specs
        .iter()
        .map(|v| {
            Tensor::from_array(decode(v)).requires_grad_(v["requires_grad"].as_bool().unwrap())
        })
        .collect();
    let outs = run(op, &inputs, &c["args"]);
    let want_outs = c["outputs"].as_array().unwrap();
    assert_eq!(
        outs.len(),
        want_outs.len(),
        "op {op}, case {n}: number of outputs"
    );
    for (k, (got, want)) in outs.iter().zip(want_outs).enumerate() {
        if let Some(m) = compare(got, want) {
            bad.push(format!("op {op}, case {n}, output {k}: {m}"));
        }
    }
    // Backward: the recorded upstream gradient for each differentiable output.
    let mut roots: Vec<&Tensor> = vec![];
    let mut gouts: Vec<Tensor> = vec![];
    for (k, go) in c["grad_outputs"].as_array().unwrap().iter().enumerate() {
        if go.is_null() {
            continue;
        }
        assert!(
            outs[k].requires_grad(),
            "op {op}, case {n}: output {k} does not require grad"
        );
        roots.push(&outs[k]);
        gouts.push(Tensor::from_array(decode(go)));
    }
    let wrt: Vec<usize> = (0..inputs.len())
        .filter(|&j| inputs[j].requires_grad())
        .collect();
    let wrt_refs: Vec<&Tensor> = wrt.iter().map(|&j| &inputs[j]).collect();
    let g_refs: Vec<&Tensor> = gouts.iter().collect();
    let grads = autograd::grad(&roots, &wrt_refs, Some(&g_refs), false, false, true);
    let want_grads = c["grads"].as_array().unwrap();
    for (&j, got) in wrt.iter().zip(&grads) {
        match (got, &want_grads[j]) {
            (Some(g), Value::Null) => {
                if g.data().abs().sum().to_dtype(DType::F64).item::<f64>() != 0.0 {
                    bad.push(format!(
                        "op {op}, case {n}, grad of input {j}: pytorch has none"
                    ));
                }
            }
            (None, Value::Null) => {}
            (None, _) => bad.push(format!(
                "op {op}, case {n}, grad of input {j}: ember has none"
            )),
            (Some(g), want) => {
                if let Some(m) = compare(g, want) {
                    bad.push(format!("op {op}, case {n}, grad of input {j}: {m}"));
                }
            }
        }
    }
    bad
}

#[test]
fn every_fixture_case_matches_pytorch() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/torch_autograd.json"
    );
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    let mut ops = BTreeSet::new();
    let mut handled = BTreeSet::new();
    let mut failures = vec![];
    for (n, c) in cases.iter().enumerate() {
        let op = c["op"].as_str().unwrap();
        ops.insert(op);
        match catch_unwind(AssertUnwindSafe(|| check_case(n, op, c))) {
            Ok(bad) => {
                handled.insert(op);
                failures.extend(bad);
            }
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("op {op}, case {n}: panicked: {msg}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches against PyTorch:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every op in the fixture ran (an op without a runner panics above, never skips).
    assert_eq!(handled, ops, "ops in the fixture that were not handled");
    assert!(ops.len() >= 90, "only {} ops covered", ops.len());
    println!("{} cases over {} ops match PyTorch", cases.len(), ops.len());
}
