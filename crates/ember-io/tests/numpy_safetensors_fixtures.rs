//! `.npy`, `.npz` and safetensors files written by numpy and the `safetensors` package.

mod common;
use common::*;

use ember_tensor::DType;

fn descr_dtype(d: &str) -> DType {
    match &d[1..] {
        "f4" => DType::F32,
        "f8" => DType::F64,
        "f2" => DType::F16,
        "i8" => DType::I64,
        "i4" => DType::I32,
        "u1" => DType::U8,
        "b1" => DType::Bool,
        _ => unreachable!(),
    }
}

fn values_f64(t: &ember_autograd::Tensor) -> Vec<f64> {
    t.data().to_dtype(DType::F64).to_vec::<f64>()
}

#[test]
fn npy_every_dtype_c_and_fortran_order() {
    let exp = expected();
    for (name, e) in exp["npy"].as_object().unwrap() {
        for order in ["c", "f"] {
            let file = format!("{name}_{order}.npy");
            let t = ember_io::npy::read_npy(fixture(&file)).unwrap();
            assert_eq!(
                t.dtype(),
                descr_dtype(e["descr"].as_str().unwrap()),
                "{file}"
            );
            let shape: Vec<usize> = e["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(t.shape(), &shape[..], "{file}");
            let want: Vec<f64> = e["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            if t.dtype() == DType::I64 {
                // 2^62 is exact in f64; compare as integers anyway.
                let got = t.to_vec::<i64>();
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!(*g as f64, *w, "{file}");
                }
            } else {
                assert_eq!(values_f64(&t), want, "{file}");
            }
        }
    }
}

#[test]
fn npy_header_versions_byte_order_scalars_and_empty() {
    let f4 = ember_io::npy::read_npy(fixture("f4_c.npy"))
        .unwrap()
        .to_vec::<f32>();
    for file in ["f4_v2.npy", "f4_v3.npy"] {
        assert_eq!(
            ember_io::npy::read_npy(fixture(file))
                .unwrap()
                .to_vec::<f32>(),
            f4,
            "{file}"
        );
    }
    let be = ember_io::npy::read_npy(fixture("i4_big_endian.npy")).unwrap();
    assert_eq!(
        be.to_vec::<i32>(),
        ember_io::npy::read_npy(fixture("i4_c.npy"))
            .unwrap()
            .to_vec::<i32>()
    );
    let s = ember_io::npy::read_npy(fixture("scalar.npy")).unwrap();
    assert_eq!(s.shape(), &[] as &[usize]);
    assert_eq!(s.to_vec::<f64>(), [2.5]);
    let e = ember_io::npy::read_npy(fixture("empty.npy")).unwrap();
    assert_eq!(e.shape(), &[0, 4]);
}

#[test]
fn npy_write_matches_numpy_bytes() {
    // numpy's own bytes for the same C-order array (header padding and all).
    for name in ["f4", "f8", "f2", "i8", "i4", "u1", "b1"] {
        let file = fixture(&format!("{name}_c.npy"));
        let t = ember_io::npy::read_npy(&file).unwrap();
        assert_eq!(
            ember_io::npy::npy_to_bytes(&t).unwrap(),
            std::fs::read(&file).unwrap(),
            "{name}"
        );
    }
    let s = ember_io::npy::read_npy(fixture("scalar.npy")).unwrap();
    assert_eq!(
        ember_io::npy::npy_to_bytes(&s).unwrap(),
        std::fs::read(fixture("scalar.npy")).unwrap()
    );
}

#[test]
fn npz_stored_and_compressed() {
    let exp = expected();
    for file in ["stored.npz", "compressed.npz"] {
        let arrays = ember_io::npz::read_npz(fixture(file)).unwrap();
        assert_eq!(
            arrays.keys().collect::<Vec<_>>(),
            ["x", "idx", "mask"],
            "{file}"
        );
        let want = |n: &str| -> Vec<f64> {
            exp["npy"][n]["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        assert_eq!(values_f64(&arrays["x"]), want("f4"));
        assert_eq!(arrays["idx"].dtype(), DType::I64);
        assert_eq!(values_f64(&arrays["mask"]), want("b1"));
    }
}

#[test]
fn safetensors_from_python() {
    let exp = expected();
    let f = ember_io::SafetensorsFile::open(fixture("dtypes.safetensors")).unwrap();
    let want = exp["safetensors"].as_object().unwrap();
    let mut names: Vec<&str> = f.names();
    names.sort();
    let mut want_names: Vec<&str> = want.keys().map(|s| s.as_str()).collect();
    want_names.sort();
    assert_eq!(names, want_names);
    assert_eq!(f.metadata().unwrap()["source"], "gen_io_fixtures");
    for (k, e) in want {
        let info = f.info(k).unwrap();
        assert_eq!(dtype_name(info.dtype), e["dtype"].as_str().unwrap());
        check_tensor(k, &f.tensor(k).unwrap(), e);
    }
    let all = f.load_all().unwrap();
    assert_eq!(all.len(), want.len());
    // load_state_dict_file recognises safetensors by content.
    assert_eq!(
        ember_io::load_state_dict_file(fixture("dtypes.safetensors"))
            .unwrap()
            .len(),
        want.len()
    );
}
