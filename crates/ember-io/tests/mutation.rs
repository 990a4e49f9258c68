//! A deterministic in-CI stand-in for fuzzing: thousands of randomly corrupted versions of
//! the fixtures go through every loader, which must return (Ok or a clear Err) and never
//! panic. A panicking input is written to the temp dir so it can be added to
//! `fuzz/regressions/`; the committed regressions are replayed first.

mod common;
use common::*;

use std::panic::{AssertUnwindSafe, catch_unwind};

/// xorshift64*: a fixed stream, so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, src: &[u8]) -> Vec<u8> {
    let mut b = src.to_vec();
    for _ in 0..1 + rng.below(4) {
        if b.is_empty() {
            b.push(rng.next() as u8);
        }
        let i = rng.below(b.len());
        match rng.below(7) {
            0 => b[i] ^= 1 << rng.below(8),
            1 => b[i] = rng.next() as u8,
            2 => b.truncate(i),
            3 => {
                // Interesting values over 1-8 bytes: lengths and counts.
                let v: u64 =
                    [0, 1, 0x7f, 0xff, 0xffff, 0x7fff_ffff, u64::MAX, 1 << 40][rng.below(8)];
                let n = 1 + rng.below(8);
                for k in 0..n.min(b.len() - i) {
                    b[i + k] = (v >> (8 * k)) as u8;
                }
            }
            4 => {
                let n = rng.below(16);
                let chunk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                b.splice(i..i, chunk);
            }
            5 => {
                let n = rng.below(32).min(b.len() - i);
                b.drain(i..i + n);
            }
            _ => {
                // Copy a slice of the file over another place (duplicated opcodes, headers).
                let j = rng.below(b.len());
                let n = rng.below(24).min(b.len() - i).min(b.len() - j);
                let s = b[j..j + n].to_vec();
                b[i..i + n].copy_from_slice(&s);
            }
        }
    }
    b
}

type Loader = fn(&[u8]) -> bool;

fn loaders() -> Vec<(&'static str, Loader)> {
    vec![
        ("torch", |b| ember_io::torch::load_from_bytes(b).is_ok()),
        ("npy", |b| ember_io::npy::read_npy_from_bytes(b).is_ok()),
        ("npz", |b| ember_io::npz::read_npz_from_bytes(b).is_ok()),
        ("safetensors", |b| {
            ember_io::SafetensorsFile::from_bytes(b.to_vec())
                .and_then(|f| f.load_all())
                .is_ok()
        }),
    ]
}

fn loader_for(file: &str) -> Loader {
    let name = if file.ends_with(".npy") {
        "npy"
    } else if file.ends_with(".npz") {
        "npz"
    } else if file.ends_with(".safetensors") {
        "safetensors"
    } else {
        "torch"
    };
    loaders().into_iter().find(|(n, _)| *n == name).unwrap().1
}

/// Runs a loader on `input`; whether it loaded. A panic fails the test, keeping the input.
fn run(name: &str, f: Loader, input: &[u8]) -> bool {
    match catch_unwind(AssertUnwindSafe(|| f(input))) {
        Ok(loaded) => loaded,
        Err(_) => {
            let out =
                std::env::temp_dir().join(format!("ember-io-crash-{name}-{}.bin", input.len()));
            std::fs::write(&out, input).unwrap();
            panic!("{name} loader panicked; input saved to {}", out.display());
        }
    }
}

#[test]
fn committed_regressions_do_not_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        let input = std::fs::read(&path).unwrap();
        for (name, f) in loaders() {
            run(name, f, &input);
        }
    }
}

#[test]
fn corrupted_fixtures_never_panic() {
    let files = [
        "cnn_zip.pt",
        "cnn_legacy.pt",
        "views_zip.pt",
        "views_legacy.pt",
        "dtypes_zip.pt",
        "dtypes_legacy.pt",
        "lightning.ckpt",
        "f4_f.npy",
        "i8_c.npy",
        "f4_v3.npy",
        "stored.npz",
        "compressed.npz",
        "dtypes.safetensors",
    ];
    let per_file: usize = std::env::var("EMBER_IO_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ok = 0;
    let mut total = 0;
    for file in files {
        let src = std::fs::read(fixture(file)).unwrap();
        let f = loader_for(file);
        for _ in 0..per_file {
            let input = mutate(&mut rng, &src);
            total += 1;
            ok += run(file, f, &input) as usize;
        }
    }
    // Some mutations land in padding or values and still load; most must be caught.
    eprintln!("{total} corrupted files: {ok} still loaded, the rest were clean errors");
    assert!(ok < total, "{ok} of {total} corrupted files loaded");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(42);
    for len in [0usize, 1, 2, 7, 8, 9, 16, 64, 300] {
        for _ in 0..50 {
            let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            for (name, f) in loaders() {
                run(name, f, &input);
            }
        }
    }
}
