//! Atomic replacement under SIGKILL: a child process (this test binary re-run with
//! `EMBER_IO_KILL_CHILD` set) saves checkpoints in a loop; the parent kills it at random
//! moments, ~50 times, and checks that the file at the path always loads completely and holds
//! one of the versions the child wrote, and that temporary files do not pile up.

mod common;
use common::*;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ember_autograd::Tensor;
use ember_nn::StateDict;

const ENV: &str = "EMBER_IO_KILL_CHILD";
/// Big enough that a write takes a while (a kill often lands mid-write).
const N: usize = 200_000;

fn version_dict(version: i64) -> StateDict {
    let mut sd = StateDict::new();
    sd.insert("version", Tensor::from_vec(vec![version], &[1]));
    sd.insert(
        "payload",
        Tensor::full(&[N], version as f64, ember_tensor::DType::F32),
    );
    sd
}

/// The version a complete file holds; panics if the file is torn or inconsistent.
fn check_file(path: &Path) -> i64 {
    let sd = ember_io::load_state_dict_file(path).expect("the file at the path must always load");
    let v = sd["version"].to_vec::<i64>()[0];
    let payload = sd["payload"].to_vec::<f32>();
    assert_eq!(payload.len(), N);
    assert!(
        payload.iter().all(|&x| x == v as f32),
        "payload of version {v} is mixed"
    );
    v
}

/// The child: save versions 1, 2, 3, ... forever (until killed).
#[test]
fn child_writer() {
    let Ok(path) = std::env::var(ENV) else { return };
    let mut v = std::fs::read_to_string(format!("{path}.start"))
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or(1);
    loop {
        ember_io::torch::save_state_dict(&version_dict(v), &path).unwrap();
        v += 1;
    }
}

#[test]
#[cfg(target_os = "linux")] // stale temp files are recognised through /proc
fn killed_writers_leave_old_or_new_file() {
    let dir = temp_dir("kill");
    let path = dir.join("ck.pt");
    ember_io::torch::save_state_dict(&version_dict(0), &path).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut last = 0;
    let mut kills_mid_write = 0;
    for round in 0..50 {
        std::fs::write(dir.join("ck.pt.start"), format!("{}", last + 1)).unwrap();
        let mut child = Command::new(&exe)
            .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
            .env(ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Kill between 5 and 60 ms after start: process start-up, mid-write, mid-rename.
        let wait = Duration::from_millis(5 + seed % 56);
        let t = Instant::now();
        while t.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let v = check_file(&path);
        assert!(
            v >= last,
            "round {round}: version went back from {last} to {v}"
        );
        last = v;
        let stale = ember_io::atomic::stale_temp_files(&path).unwrap();
        kills_mid_write += (!stale.is_empty()) as usize;
        // Each write removes the leftovers of dead writers: at most the last one remains.
        assert!(
            stale.len() <= 1,
            "round {round}: temp files pile up: {stale:?}"
        );
    }
    assert!(last > 0, "the child never completed a write");
    eprintln!("50 kills: last version {last}, {kills_mid_write} landed mid-write");
    ember_io::clean_stale_temp_files(&path).unwrap();
    assert!(
        ember_io::atomic::stale_temp_files(&path)
            .unwrap()
            .is_empty()
    );
    // Nothing but the checkpoint (and the start marker) is left in the directory.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["ck.pt", "ck.pt.start"]);
    std::fs::remove_dir_all(dir).unwrap();
}
