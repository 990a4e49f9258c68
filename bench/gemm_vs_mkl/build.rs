//! Links MKL's `sgemm_` from PyTorch's `libtorch_cpu.so` (it exports the BLAS symbols), found in
//! `$TORCH_LIB`, default `/tmp/torchenv/lib/python3*/site-packages/torch/lib`.
use std::path::PathBuf;

fn torch_lib() -> PathBuf {
    if let Ok(dir) = std::env::var("TORCH_LIB") {
        return dir.into();
    }
    let lib = PathBuf::from("/tmp/torchenv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
        entries
            .flatten()
            .map(|e| e.path().join("site-packages/torch/lib"))
            .find(|p| p.join("libtorch_cpu.so").exists())
    });
    found.expect("libtorch_cpu.so not found: install torch in /tmp/torchenv or set TORCH_LIB")
}

fn main() {
    let dir = torch_lib();
    println!("cargo:rerun-if-env-changed=TORCH_LIB");
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib=torch_cpu");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
}
