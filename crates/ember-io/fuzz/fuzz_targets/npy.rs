//! `.npy` headers and data: any bytes give Ok or Err.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ember_io::npy::read_npy_from_bytes(data);
});
