//! PyTorch files (zip and legacy, and the pickle machine inside): any bytes give Ok or Err.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ember_io::torch::load_from_bytes(data);
});
