//! Shared helpers: fixture paths, the expected values written by tools/gen_io_fixtures.py,
//! and a tensor comparison against them.
#![allow(dead_code)]

use std::path::PathBuf;

use ember_autograd::Tensor;
use ember_tensor::DType;
use serde_json::Value;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

pub fn expected() -> Value {
    let text = std::fs::read_to_string(fixture("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A fresh directory under the system temp dir for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ember-io-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn dtype_name(d: DType) -> &'static str {
    match d {
        DType::F32 => "float32",
        DType::F64 => "float64",
        DType::F16 => "float16",
        DType::BF16 => "bfloat16",
        DType::I64 => "int64",
        DType::I32 => "int32",
        DType::U8 => "uint8",
        DType::Bool => "bool",
    }
}

/// Checks `t` against `{"dtype", "shape", "values"}` exactly (floats to the last bit of
/// their own precision).
pub fn check_tensor(name: &str, t: &Tensor, exp: &Value) {
    assert_eq!(
        dtype_name(t.dtype()),
        exp["dtype"].as_str().unwrap(),
        "{name}: dtype"
    );
    let shape: Vec<usize> = exp["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(t.shape(), &shape[..], "{name}: shape");
    let values = exp["values"].as_array().unwrap();
    assert_eq!(values.len(), t.numel(), "{name}: numel");
    match t.dtype() {
        DType::I64 => {
            let got = t.to_vec::<i64>();
            for (g, e) in got.iter().zip(values) {
                assert_eq!(*g, e.as_i64().unwrap(), "{name}");
            }
        }
        DType::I32 | DType::U8 | DType::Bool => {
            let got = t.data().to_dtype(DType::I64).to_vec::<i64>();
            for (g, e) in got.iter().zip(values) {
                assert_eq!(*g, e.as_i64().unwrap(), "{name}");
            }
        }
        DType::F64 => {
            for (g, e) in t.to_vec::<f64>().iter().zip(values) {
                let e = e.as_f64().unwrap();
                assert!(
                    *g == e || (g - e).abs() <= 1e-15 * e.abs(),
                    "{name}: {g} vs {e}"
                );
            }
        }
        _ => {
            // f32 / f16 / bf16 are exact in f32; JSON holds their exact f64 value.
            let got = t.data().to_dtype(DType::F32).to_vec::<f32>();
            for (g, e) in got.iter().zip(values) {
                assert_eq!(*g, e.as_f64().unwrap() as f32, "{name}");
            }
        }
    }
}
