//! Files written by real PyTorch (tools/gen_io_fixtures.py): both formats, every dtype,
//! views and shared storage, nested checkpoints, CUDA-tagged storages, and a CNN that must
//! give PyTorch's output after loading.

mod common;
use common::*;

use ember_autograd::Tensor;
use ember_io::{LoadOptions, PtValue};
use ember_nn::{
    AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, Module, ModuleExt, ReLU, Sequential,
};

fn check_dict(name: &str, v: &PtValue, exp: &serde_json::Value) {
    let exp = exp.as_object().unwrap();
    // (expected.json's object is read unordered; the order is checked in cnn_state_dict_*.)
    let mut keys = v.keys();
    keys.sort();
    assert_eq!(
        keys,
        exp.keys().cloned().collect::<Vec<_>>(),
        "{name}: keys"
    );
    for (k, e) in exp {
        let t = v.get(k).and_then(PtValue::as_tensor).unwrap();
        check_tensor(&format!("{name}.{k}"), t, e);
    }
}

#[test]
fn cnn_state_dict_zip_and_legacy() {
    let exp = expected();
    for file in ["cnn_zip.pt", "cnn_legacy.pt"] {
        let v = ember_io::torch::load(fixture(file)).unwrap();
        check_dict(file, &v, &exp["cnn"]["state_dict"]);
        let sd = ember_io::load_state_dict_file(fixture(file)).unwrap();
        let keys: Vec<&str> = sd.keys().collect();
        assert_eq!(
            keys,
            [
                "0.weight",
                "0.bias",
                "1.weight",
                "1.bias",
                "1.running_mean",
                "1.running_var",
                "1.num_batches_tracked",
                "3.weight",
                "3.bias",
                "7.weight",
                "7.bias"
            ],
            "{file}: PyTorch's order"
        );
    }
}

#[test]
fn every_dtype_zip_and_legacy() {
    let exp = expected();
    for file in ["dtypes_zip.pt", "dtypes_legacy.pt"] {
        let v = ember_io::torch::load(fixture(file)).unwrap();
        check_dict(file, &v, &exp["dtypes"]);
    }
}

#[test]
fn views_share_one_storage() {
    let exp = expected();
    for file in ["views_zip.pt", "views_legacy.pt"] {
        let v = ember_io::torch::load(fixture(file)).unwrap();
        check_dict(file, &v, &exp["views"]);
        let t = |k: &str| v.get(k).and_then(PtValue::as_tensor).unwrap().clone();
        let (a, b, c, d) = (t("a"), t("b"), t("c"), t("d"));
        assert!(a.data().shares_storage(b.data()), "{file}: b = a[1:]");
        assert!(a.data().shares_storage(c.data()), "{file}: c = a.t()");
        assert!(a.data().shares_storage(d.data()), "{file}: d = a[:, 2]");
        assert_eq!(b.data().storage_offset(), 4);
        assert_eq!(c.strides(), &[1, 4]);
        assert_eq!(d.strides(), &[4]);
        // Sharing is real: a write through one view is seen by the others.
        ember_autograd::no_grad(|| a.add_(&Tensor::from(100.0f32)));
        assert_eq!(b.to_vec::<f32>()[0], 104.0);
        assert_eq!(c.to_vec::<f32>()[1], 104.0);
        let e = t("e");
        assert_eq!(e.data().storage().len(), 5);
        assert_eq!(e.data().storage_offset(), 1);
    }
}

#[test]
fn lightning_checkpoint_nested_values() {
    let exp = expected();
    let path = fixture("lightning.ckpt");
    let v = ember_io::torch::load(&path).unwrap();
    assert_eq!(v.get("epoch").and_then(PtValue::as_int), Some(3));
    assert_eq!(v.get("global_step").and_then(PtValue::as_int), Some(120));
    assert_eq!(
        v.get("pytorch-lightning_version").and_then(PtValue::as_str),
        Some("2.0.0")
    );
    let hp = v.get("hyper_parameters").unwrap();
    assert_eq!(hp.get("lr").and_then(PtValue::as_float), Some(0.001));
    assert_eq!(hp.get("name").and_then(PtValue::as_str), Some("tiny"));
    assert_eq!(hp.get("flag").and_then(PtValue::as_bool), Some(true));
    assert!(matches!(hp.get("nothing"), Some(PtValue::None)));
    assert_eq!(hp.get("big").and_then(PtValue::as_int), Some(1 << 40));
    let ready = v
        .get("loops")
        .and_then(|l| l.get("fit_loop"))
        .and_then(|l| l.get("epoch_progress"))
        .and_then(|l| l.get("current"))
        .and_then(|l| l.get("ready"))
        .and_then(PtValue::as_int);
    assert_eq!(ready, Some(4));
    assert_eq!(
        v.get("lr_schedulers")
            .and_then(PtValue::as_list)
            .map(|l| l.len()),
        Some(0)
    );
    // The optimizer state: a dict keyed by ints, tensors inside, param_groups with betas.
    let opt = &v
        .get("optimizer_states")
        .and_then(PtValue::as_list)
        .unwrap()[0];
    let state = opt.get("state").and_then(PtValue::as_dict).unwrap();
    assert_eq!(state.len(), 2);
    assert_eq!(state[0].0.as_int(), Some(0));
    let exp_avg = state[0]
        .1
        .get("exp_avg")
        .and_then(PtValue::as_tensor)
        .unwrap();
    assert_eq!(exp_avg.shape(), &[2, 3]);
    let group = &opt.get("param_groups").and_then(PtValue::as_list).unwrap()[0];
    assert_eq!(
        group
            .get("betas")
            .and_then(PtValue::as_list)
            .map(|b| b.len()),
        Some(2)
    );
    // The state dict is found under "state_dict".
    let sd = ember_io::load_state_dict_file(&path).unwrap();
    check_dict(
        "lightning",
        &PtValue::from(&sd),
        &exp["lightning"]["state_dict"],
    );
    // Lightning's "model." prefix, mapped away, loads into a bare Linear.
    let lin = Linear::new(3, 2);
    let report =
        ember_io::load_into(&lin, &path, &LoadOptions::new().strip_prefix("model.")).unwrap();
    assert!(report.is_empty());
    check_tensor(
        "weight",
        &lin.weight,
        &exp["lightning"]["state_dict"]["model.weight"],
    );
}

#[test]
fn cuda_tagged_storages_load_to_cpu() {
    let exp = expected();
    let v = ember_io::torch::load(fixture("cuda_tagged.pt")).unwrap();
    check_dict("cuda_tagged", &v, &exp["cuda_tagged"]);
}

fn ember_cnn() -> Sequential {
    Sequential::new()
        .append(Conv2d::new(1, 4, 3))
        .append(BatchNorm2d::new(4))
        .append(ReLU::new())
        .append(Conv2d::new(4, 8, 3).padding(1))
        .append(ReLU::new())
        .append(AdaptiveAvgPool2d::new(1))
        .append(Flatten::new())
        .append(Linear::new(8, 10))
}

fn tensor_of(v: &serde_json::Value) -> Tensor {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f32> = v["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    Tensor::from_vec(data, &shape)
}

#[test]
fn loaded_cnn_computes_what_pytorch_computed() {
    let exp = expected();
    for file in ["cnn_zip.pt", "cnn_legacy.pt"] {
        let mut net = ember_cnn();
        let report = ember_io::load_into(&net, fixture(file), &LoadOptions::new()).unwrap();
        assert!(report.is_empty());
        net.eval();
        let y = net.forward(&tensor_of(&exp["cnn"]["input"]));
        let want = tensor_of(&exp["cnn"]["output"]);
        assert_eq!(y.shape(), want.shape());
        for (g, w) in y.to_vec::<f32>().iter().zip(want.to_vec::<f32>()) {
            assert!(
                (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                "{file}: {g} vs {w}"
            );
        }
    }
}

#[test]
fn dataparallel_prefix_strict_and_stripped() {
    let path = fixture("cnn_dataparallel.pt");
    let net = ember_cnn();
    // Strict, unmapped: every key is both missing and unexpected, and nothing is copied.
    let before = net.state_dict()["0.weight"].to_vec::<f32>();
    let err = ember_io::load_into(&net, &path, &LoadOptions::new()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("cnn_dataparallel.pt") && msg.contains("module.0.weight"),
        "{msg}"
    );
    assert_eq!(net.state_dict()["0.weight"].to_vec::<f32>(), before);
    // Non-strict, unmapped: reported, not an error.
    let report = ember_io::load_into(&net, &path, &LoadOptions::new().strict(false)).unwrap();
    assert_eq!(report.missing_keys.len(), 11);
    assert_eq!(report.unexpected_keys.len(), 11);
    // Stripped: everything matches.
    let report =
        ember_io::load_into(&net, &path, &LoadOptions::new().strip_prefix("module.")).unwrap();
    assert!(report.is_empty());
    check_tensor(
        "0.weight",
        &net.state_dict()["0.weight"],
        &expected()["cnn"]["state_dict"]["0.weight"],
    );
    // A closure does the same and can drop keys.
    let report = ember_io::load_into(
        &net,
        &path,
        &LoadOptions::new().strict(false).map_keys(|k| {
            k.strip_prefix("module.")
                .filter(|k| !k.starts_with("7."))
                .map(String::from)
        }),
    )
    .unwrap();
    assert_eq!(report.missing_keys, ["7.weight", "7.bias"]);
}

#[test]
fn no_state_dict_lists_the_keys() {
    let dir = temp_dir("nosd");
    let path = dir.join("ck.pt");
    let v = PtValue::Dict(vec![
        ("epoch".into(), PtValue::Int(1)),
        ("weights".into(), PtValue::List(vec![])),
    ]);
    ember_io::torch::save(&v, &path).unwrap();
    let err = ember_io::load_state_dict_file(&path).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("epoch") && msg.contains("weights") && msg.contains("ck.pt"),
        "{msg}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn parameters_keep_requires_grad() {
    let v = ember_io::torch::load(fixture("parameters.pt")).unwrap();
    let p = v.get("p").and_then(PtValue::as_tensor).unwrap();
    assert!(p.requires_grad());
    assert_eq!(p.to_vec::<f32>(), [0.0, 1.0, 2.0]);
    let frozen = v.get("frozen").and_then(PtValue::as_tensor).unwrap();
    assert!(!frozen.requires_grad());
}

#[test]
fn a_whole_pickled_module_is_refused_by_name() {
    let err = ember_io::torch::load(fixture("whole_module.pt")).unwrap_err();
    let m = err.to_string();
    assert!(
        matches!(err, ember_io::Error::ForbiddenGlobal { .. }),
        "{m}"
    );
    assert!(
        m.contains("torch.nn.modules.container.Sequential") && m.contains("state_dict()"),
        "{m}"
    );
}
