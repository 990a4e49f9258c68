//! safetensors headers and data: any bytes give Ok or Err, and every listed tensor reads.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(f) = ember_io::SafetensorsFile::from_bytes(data.to_vec()) {
        let _ = f.load_all();
    }
});
