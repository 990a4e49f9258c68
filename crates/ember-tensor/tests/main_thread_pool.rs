//! The global pool built on the main thread makes the main thread one of its threads
//! (`threads.rs`). This test needs the real main thread, so it runs without libtest's harness
//! (`harness = false` in Cargo.toml): `main` is the test, and a failed assertion fails it.

use ember_tensor::{Array, DType};

fn main() {
    assert!(
        ember_tensor::set_num_threads(2),
        "the pool was already built"
    );
    assert!(!ember_tensor::set_num_threads(3), "the pool is built once");
    assert_eq!(ember_tensor::get_num_threads(), 2);
    // The main thread is the pool's thread 0.
    assert_eq!(rayon::current_thread_index(), Some(0));

    // A parallel kernel from the main thread (16M elements: split over both threads) gives
    // the right sum: Σ i for i < n, exact in f64.
    let n = 1usize << 24;
    let x = Array::arange(0.0, n as f64, 1.0, DType::F64);
    let want = (n as f64) * (n as f64 - 1.0) / 2.0;
    assert_eq!(x.sum().item::<f64>(), want);

    // Work sent from another thread while the main thread waits outside the pool still runs
    // (on the one rayon worker): no deadlock, right result.
    let y = x.clone();
    let other = std::thread::spawn(move || y.mul(2.0).sum().item::<f64>());
    assert_eq!(other.join().expect("the other thread finished"), 2.0 * want);

    // And a parallel product from the main thread matches one computed on another thread.
    let a = Array::randn(&[300, 400], DType::F64);
    let b = Array::randn(&[400, 500], DType::F64);
    let here = a.matmul(&b).to_vec::<f64>();
    let (a2, b2) = (a.clone(), b.clone());
    let there = std::thread::spawn(move || a2.matmul(&b2).to_vec::<f64>())
        .join()
        .expect("the other thread finished");
    assert_eq!(here, there);
    println!("main_thread_pool: ok");
}
