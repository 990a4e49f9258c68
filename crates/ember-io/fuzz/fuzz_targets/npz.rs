//! `.npz` archives: any bytes give Ok or Err.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ember_io::npz::read_npz_from_bytes(data);
});
