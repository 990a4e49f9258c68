//! Ember writes, Ember reads: every dtype, views and shared storages, nested values, numpy
//! and safetensors. With `EMBER_IO_OUT=<dir>` set, `write_files_for_python` also leaves the
//! files there for tools/check_io_roundtrip.py to read with real PyTorch and numpy.

mod common;
use common::*;

use std::collections::HashMap;

use ember_autograd::Tensor;
use ember_io::PtValue;
use ember_nn::StateDict;
use ember_tensor::{Array, DType, bf16, f16};

/// One tensor of every dtype, with awkward values.
fn all_dtypes() -> StateDict {
    let mut sd = StateDict::new();
    sd.insert(
        "f32",
        Tensor::from_vec(
            vec![1.5f32, -0.0, f32::MAX, f32::MIN_POSITIVE, 1e-45, 3.25],
            &[2, 3],
        ),
    );
    sd.insert(
        "f64",
        Tensor::from_vec(vec![1.0 / 3.0, -2.5e300, 5e-324], &[3]),
    );
    sd.insert(
        "f16",
        Tensor::from_vec(
            vec![
                f16::from_f32(0.5),
                f16::from_f32(-65504.0),
                f16::from_f32(6.0e-8),
            ],
            &[3],
        ),
    );
    sd.insert(
        "bf16",
        Tensor::from_vec(
            vec![
                bf16::from_f32(0.5),
                bf16::from_f32(-3.0e38),
                bf16::from_f32(1e-3),
                bf16::ONE,
            ],
            &[2, 2],
        ),
    );
    sd.insert(
        "i64",
        Tensor::from_vec(vec![i64::MIN, -1, 0, i64::MAX], &[4]),
    );
    sd.insert(
        "i32",
        Tensor::from_vec(vec![i32::MIN, 7, i32::MAX], &[3, 1]),
    );
    sd.insert("u8", Tensor::from_vec(vec![0u8, 1, 128, 255], &[4]));
    sd.insert("bool", Tensor::from_vec(vec![true, false, true], &[3]));
    sd.insert("scalar", Tensor::from_array(Array::scalar(4.5f64)));
    sd.insert("empty", Tensor::zeros(&[0, 3], DType::F32));
    sd
}

/// Views of one storage: the whole, a slice, a transpose, a column, an expanded row.
fn views() -> StateDict {
    let base = Tensor::arange(0.0, 12.0, 1.0, DType::F32).reshape(&[3, 4]);
    let mut sd = StateDict::new();
    sd.insert("a", base.clone());
    sd.insert("b", base.narrow(0, 1, 2));
    sd.insert("c", base.t());
    sd.insert("d", base.select(1, 2));
    sd.insert("e", base.select(0, 0).unsqueeze(0).expand(&[2, 4]));
    sd
}

fn same_values(a: &Tensor, b: &Tensor) {
    assert_eq!(a.dtype(), b.dtype());
    assert_eq!(a.shape(), b.shape());
    let bits = |t: &Tensor| -> Vec<u64> {
        match t.dtype() {
            DType::F32 => t
                .to_vec::<f32>()
                .iter()
                .map(|x| x.to_bits() as u64)
                .collect(),
            DType::F64 => t.to_vec::<f64>().iter().map(|x| x.to_bits()).collect(),
            DType::F16 => t
                .to_vec::<f16>()
                .iter()
                .map(|x| x.to_bits() as u64)
                .collect(),
            DType::BF16 => t
                .to_vec::<bf16>()
                .iter()
                .map(|x| x.to_bits() as u64)
                .collect(),
            _ => t
                .data()
                .to_dtype(DType::I64)
                .to_vec::<i64>()
                .iter()
                .map(|&x| x as u64)
                .collect(),
        }
    };
    assert_eq!(bits(a), bits(b));
}

#[test]
fn torch_zip_roundtrip_every_dtype() {
    let sd = all_dtypes();
    let bytes = ember_io::torch::save_to_bytes(&PtValue::from(&sd)).unwrap();
    let back = ember_io::torch::load_from_bytes(&bytes).unwrap();
    assert_eq!(back.keys(), sd.keys().collect::<Vec<_>>());
    for (k, t) in sd.iter() {
        same_values(t, back.get(k).and_then(PtValue::as_tensor).unwrap());
    }
}

#[test]
fn torch_zip_roundtrip_keeps_views_and_writes_storage_once() {
    let sd = views();
    let bytes = ember_io::torch::save_to_bytes(&PtValue::from(&sd)).unwrap();
    // One storage entry for five tensors.
    let zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let storages: Vec<&str> = zip.file_names().filter(|n| n.contains("/data/")).collect();
    assert_eq!(storages, ["archive/data/0"]);
    let back = ember_io::torch::load_from_bytes(&bytes).unwrap();
    let t = |k: &str| back.get(k).and_then(PtValue::as_tensor).unwrap().clone();
    for (k, orig) in sd.iter() {
        let b = t(k);
        same_values(orig, &b);
        assert_eq!(b.strides(), orig.strides(), "{k}");
        assert_eq!(
            b.data().storage_offset(),
            orig.data().storage_offset(),
            "{k}"
        );
        assert!(b.data().shares_storage(t("a").data()), "{k}");
    }
}

#[test]
fn torch_nested_values_roundtrip() {
    let t = Tensor::from([1.0f32, 2.0]);
    let v = PtValue::Dict(vec![
        ("int".into(), PtValue::Int(-(1 << 40))),
        ("small".into(), PtValue::Int(300)),
        ("neg".into(), PtValue::Int(-1)),
        ("float".into(), PtValue::Float(0.1)),
        ("str".into(), PtValue::Str("héllo ✓".into())),
        ("bool".into(), PtValue::Bool(false)),
        ("none".into(), PtValue::None),
        (
            PtValue::Int(3),
            PtValue::Tuple(vec![PtValue::Int(1), PtValue::Tensor(t.clone())]),
        ),
        (
            "list".into(),
            PtValue::List((0..2500).map(PtValue::Int).collect()),
        ),
        (
            "nested".into(),
            PtValue::Dict(vec![(
                "sd".into(),
                PtValue::Dict(vec![("w".into(), t.into())]),
            )]),
        ),
        ("tuple4".into(), PtValue::Tuple(vec![PtValue::None; 4])),
        ("empty".into(), PtValue::Tuple(vec![])),
    ]);
    let back =
        ember_io::torch::load_from_bytes(&ember_io::torch::save_to_bytes(&v).unwrap()).unwrap();
    assert_eq!(
        back.keys(),
        [
            "int", "small", "neg", "float", "str", "bool", "none", "3", "list", "nested", "tuple4",
            "empty"
        ]
    );
    assert_eq!(back.get("int").unwrap().as_int(), Some(-(1 << 40)));
    assert_eq!(back.get("small").unwrap().as_int(), Some(300));
    assert_eq!(back.get("neg").unwrap().as_int(), Some(-1));
    assert_eq!(back.get("float").unwrap().as_float(), Some(0.1));
    assert_eq!(back.get("str").unwrap().as_str(), Some("héllo ✓"));
    assert_eq!(back.get("bool").unwrap().as_bool(), Some(false));
    let list = back.get("list").unwrap().as_list().unwrap();
    assert_eq!(list.len(), 2500);
    assert_eq!(list[2499].as_int(), Some(2499));
    let w = back
        .get("nested")
        .unwrap()
        .get("sd")
        .unwrap()
        .get("w")
        .unwrap()
        .as_tensor()
        .unwrap();
    assert_eq!(w.to_vec::<f32>(), [1.0, 2.0]);
    let tup = back.as_dict().unwrap()[7].1.as_list().unwrap();
    assert!(tup[1].as_tensor().unwrap().data().shares_storage(w.data()));
    assert_eq!(back.get("tuple4").unwrap().as_list().unwrap().len(), 4);
}

#[test]
fn npy_roundtrip_every_numpy_dtype_and_layout() {
    for (k, t) in all_dtypes().iter().filter(|(k, _)| *k != "bf16") {
        let back =
            ember_io::npy::read_npy_from_bytes(&ember_io::npy::npy_to_bytes(t).unwrap()).unwrap();
        same_values(t, &back);
        let _ = k;
    }
    // A transposed view is written in C order.
    let v = views();
    let back =
        ember_io::npy::read_npy_from_bytes(&ember_io::npy::npy_to_bytes(&v["c"]).unwrap()).unwrap();
    same_values(&v["c"], &back);
    let err = ember_io::npy::npy_to_bytes(&all_dtypes()["bf16"]).unwrap_err();
    assert!(err.to_string().contains("bfloat16"), "{err}");
}

#[test]
fn npz_roundtrip_stored_and_compressed() {
    let dir = temp_dir("npz");
    let mut sd = all_dtypes();
    sd.remove("bf16");
    for (name, compressed) in [("a.npz", false), ("b.npz", true)] {
        let path = dir.join(name);
        if compressed {
            ember_io::npz::write_npz_compressed(&path, &sd).unwrap();
        } else {
            ember_io::npz::write_npz(&path, &sd).unwrap();
        }
        let back = ember_io::npz::read_npz(&path).unwrap();
        assert_eq!(
            back.keys().collect::<Vec<_>>(),
            sd.keys().collect::<Vec<_>>()
        );
        for (k, t) in sd.iter() {
            same_values(t, &back[k]);
        }
    }
    // A bf16 member fails before anything is written.
    let path = dir.join("c.npz");
    assert!(ember_io::npz::write_npz(&path, &all_dtypes()).is_err());
    assert!(!path.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn safetensors_roundtrip_with_metadata() {
    let mut sd = all_dtypes();
    for (k, t) in views().iter() {
        sd.insert(format!("view.{k}"), t.clone());
    }
    let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
    let bytes = ember_io::save_safetensors_to_bytes(&sd, Some(&meta)).unwrap();
    let f = ember_io::SafetensorsFile::from_bytes(bytes).unwrap();
    assert_eq!(f.metadata(), Some(&meta));
    for (k, t) in sd.iter() {
        same_values(t, &f.tensor(k).unwrap());
        assert_eq!(f.info(k).unwrap().shape, t.shape());
    }
    assert!(f.tensor("nope").unwrap_err().to_string().contains("nope"));
}

/// Writes the files tools/check_io_roundtrip.py checks with PyTorch, numpy and safetensors
/// (only when EMBER_IO_OUT is set), with `expected.json` describing them.
#[test]
fn write_files_for_python() {
    let Ok(dir) = std::env::var("EMBER_IO_OUT") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let describe = |t: &Tensor| {
        let values: Vec<serde_json::Value> = match t.dtype() {
            DType::I64 => t
                .to_vec::<i64>()
                .into_iter()
                .map(serde_json::Value::from)
                .collect(),
            DType::I32 | DType::U8 | DType::Bool => t
                .data()
                .to_dtype(DType::I64)
                .to_vec::<i64>()
                .into_iter()
                .map(serde_json::Value::from)
                .collect(),
            _ => t
                .data()
                .to_dtype(DType::F64)
                .to_vec::<f64>()
                .into_iter()
                .map(|x| {
                    serde_json::Number::from_f64(x)
                        .map(serde_json::Value::Number)
                        .unwrap_or(serde_json::Value::Null)
                })
                .collect(),
        };
        serde_json::json!({"dtype": dtype_name(t.dtype()), "shape": t.shape(), "values": values,
                           "strides": t.strides(), "offset": t.data().storage_offset()})
    };
    let describe_sd = |sd: &StateDict| -> serde_json::Value {
        sd.iter()
            .map(|(k, t)| (k.to_string(), describe(t)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let dtypes = all_dtypes();
    let views = views();
    ember_io::torch::save_state_dict(&dtypes, dir.join("dtypes.pt")).unwrap();
    ember_io::torch::save_state_dict(&views, dir.join("views.pt")).unwrap();
    let nested = PtValue::Dict(vec![
        ("epoch".into(), PtValue::Int(7)),
        ("lr".into(), PtValue::Float(0.125)),
        ("name".into(), PtValue::Str("ember".into())),
        ("flag".into(), PtValue::Bool(true)),
        ("nothing".into(), PtValue::None),
        ("big".into(), PtValue::Int(-(1 << 50))),
        (
            "shape".into(),
            PtValue::Tuple(vec![PtValue::Int(2), PtValue::Int(3)]),
        ),
        ("state_dict".into(), PtValue::from(&views)),
    ]);
    ember_io::torch::save(&nested, dir.join("nested.pt")).unwrap();
    // A training checkpoint with optimizer (Adam: tensors, numbers, betas), scheduler and RNG.
    {
        use ember_nn::{Linear, Module, ModuleExt};
        use ember_optim::lr_scheduler::{LrScheduler, StepLr};
        use ember_optim::{Adam, AdamOptions, Optimizer};
        let lin = Linear::new(3, 2);
        let mut opt = Adam::new(lin.parameters(), AdamOptions::default());
        let mut sched = StepLr::new(&mut opt, 2, 0.5);
        lin.forward(&Tensor::ones(&[4, 3], DType::F32))
            .sum()
            .backward();
        opt.step();
        sched.step(&mut opt);
        let mut ck = ember_io::Checkpoint::new(lin.state_dict(), 1).with_rng_state();
        ck.optimizer = Some(opt.state_dict());
        ck.scheduler = Some(sched.state_dict());
        ck.extras.push(("best".into(), PtValue::Float(0.5)));
        ck.save(dir.join("checkpoint.pt")).unwrap();
    }
    let mut np = dtypes.clone();
    np.remove("bf16");
    for (k, t) in np.iter() {
        ember_io::npy::write_npy(dir.join(format!("{k}.npy")), t).unwrap();
    }
    ember_io::npy::write_npy(dir.join("transposed.npy"), &views["c"]).unwrap();
    ember_io::npz::write_npz(dir.join("stored.npz"), &np).unwrap();
    ember_io::npz::write_npz_compressed(dir.join("compressed.npz"), &np).unwrap();
    let meta = HashMap::from([("writer".to_string(), "ember".to_string())]);
    ember_io::save_safetensors(&dtypes, Some(&meta), dir.join("dtypes.safetensors")).unwrap();
    let expected = serde_json::json!({
        "dtypes": describe_sd(&dtypes),
        "views": describe_sd(&views),
        "transposed": describe(&views["c"]),
        // (serde_json objects are sorted; the key order is given separately.)
        "dtypes_order": dtypes.keys().collect::<Vec<_>>(),
        "views_order": views.keys().collect::<Vec<_>>(),
    });
    std::fs::write(
        dir.join("expected.json"),
        serde_json::to_string(&expected).unwrap(),
    )
    .unwrap();
}
