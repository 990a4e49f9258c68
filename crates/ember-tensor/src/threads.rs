//! How many threads the kernels use, and the pool they run on.
//!
//! Ember's kernels run on rayon's global pool. When the pool is created on the program's main
//! thread (by [`set_num_threads`] or by the first parallel kernel), the main thread is made one
//! of the pool's threads, as OpenMP's master thread is for PyTorch: a parallel kernel called
//! from the main thread then runs its first share on that thread and hands the rest to the
//! other workers, instead of queueing all of it and blocking until a worker wakes up to take
//! it (tens of microseconds on virtual machines, per call). With `n` threads there are `n - 1`
//! rayon workers, so work sent from other threads still always has a thread to run on; with
//! one thread the pool is an ordinary one-worker pool.

use std::sync::Once;

static POOL: Once = Once::new();

/// The thread count when none is set: `RAYON_NUM_THREADS` if set, else the available cores.
fn default_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Builds the global pool with `n` threads once; false when it already existed (built by this
/// module or by rayon itself).
fn build(n: usize) -> bool {
    let mut ok = false;
    POOL.call_once(|| {
        let n = n.max(1);
        let mut b = rayon::ThreadPoolBuilder::new().num_threads(n);
        if n >= 2 && std::thread::current().name() == Some("main") {
            b = b.use_current_thread();
        }
        ok = b.build_global().is_ok();
    });
    ok
}

/// The number of threads of the pool the kernels run on, creating the global pool first if
/// nothing has (what every kernel asks before splitting work).
#[inline]
pub(crate) fn num_threads() -> usize {
    if !POOL.is_completed() {
        build(default_threads());
    }
    rayon::current_num_threads()
}

/// Sets the number of threads used by Ember's kernels (`torch.set_num_threads`).
///
/// Ember runs on rayon's global pool, which can be sized once per process: call this before
/// the first parallel kernel. Later calls cannot resize the pool and are ignored; the return
/// value says whether the size took effect. Called on the main thread with `n ≥ 2`, the main
/// thread becomes one of the `n` threads (see the module notes).
///
/// ```
/// ember_tensor::set_num_threads(2);
/// assert!(ember_tensor::get_num_threads() >= 1);
/// ```
pub fn set_num_threads(n: usize) -> bool {
    build(n)
}

/// The number of threads Ember's kernels use (`torch.get_num_threads`).
///
/// ```
/// assert!(ember_tensor::get_num_threads() >= 1);
/// ```
pub fn get_num_threads() -> usize {
    num_threads()
}

/// Runs `len` steps of `states.len()` blocks of work in lockstep: `step(s, b, state_b)` for
/// every step `s` and block `b`, where step `s + 1` of any block starts only after step `s` of
/// every block has finished. Block 0 runs on the calling thread and every other block on a
/// pool worker for the whole sequence, the threads meeting at a spinning barrier between steps
/// (a fraction of a microsecond) instead of a fork-join per step (several microseconds, and a
/// worker that has gone idle may take tens of microseconds to wake on a virtual machine).
///
/// It never waits for a worker that has not started: a block no worker has claimed after
/// [`CLAIM_WAIT`] is claimed by the calling thread, which then runs it too (serially), so a
/// busy or single-threaded pool costs speed, never a deadlock.
pub(crate) fn lockstep<S: Send>(
    len: usize,
    states: &mut [S],
    step: impl Fn(usize, usize, &mut S) + Sync,
) {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
    const FREE: u8 = 0;
    const WORKER: u8 = 1;
    const CALLER: u8 = 2;
    let blocks = states.len();
    if blocks <= 1 || len == 0 {
        for s in 0..len {
            for (b, st) in states.iter_mut().enumerate() {
                step(s, b, st);
            }
        }
        return;
    }
    // Per block: the steps finished, and who runs it.
    let done: Vec<AtomicUsize> = (0..blocks).map(|_| AtomicUsize::new(0)).collect();
    let owner: Vec<AtomicU8> = (0..blocks)
        .map(|b| AtomicU8::new(if b == 0 { CALLER } else { FREE }))
        .collect();
    let cells: Vec<Mutex<&mut S>> = states.iter_mut().map(Mutex::new).collect();
    let run = |s: usize, b: usize| {
        let mut st = cells[b].lock().unwrap_or_else(|e| e.into_inner());
        step(s, b, &mut st);
        // Release: this step's writes are visible to whoever sees the count.
        done[b].store(s + 1, Ordering::Release);
    };
    // Waits until every block has finished step `s - 1` (spinning, then yielding).
    let wait_all = |s: usize, caller: bool| {
        let start = std::time::Instant::now();
        for c in 0..blocks {
            let mut spins = 0u32;
            while done[c].load(Ordering::Acquire) < s {
                if caller
                    && owner[c].load(Ordering::Acquire) == FREE
                    && start.elapsed() > CLAIM_WAIT
                    && owner[c]
                        .compare_exchange(FREE, CALLER, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                {
                    // Nobody took block c: catch it up here (it is at most one step behind,
                    // as every earlier barrier was passed).
                    while done[c].load(Ordering::Acquire) < s {
                        run(done[c].load(Ordering::Acquire), c);
                    }
                    break;
                }
                spins += 1;
                if spins < 1 << 12 {
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
        }
    };
    rayon::scope(|sc| {
        for b in 1..blocks {
            let (owner, run, wait_all) = (&owner, &run, &wait_all);
            sc.spawn(move |_| {
                if owner[b]
                    .compare_exchange(FREE, WORKER, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
                {
                    return; // the caller runs this block
                }
                for s in 0..len {
                    wait_all(s, false);
                    run(s, b);
                }
            });
        }
        for s in 0..len {
            wait_all(s, true);
            for b in 0..blocks {
                if owner[b].load(Ordering::Acquire) == CALLER
                    && done[b].load(Ordering::Acquire) == s
                {
                    run(s, b);
                }
            }
        }
    });
}

/// How long [`lockstep`]'s caller waits for a worker to take a block before running it itself.
pub(crate) const CLAIM_WAIT: std::time::Duration = std::time::Duration::from_micros(200);

#[cfg(test)]
mod tests {
    use super::lockstep;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Every step of every block reads what all blocks wrote in the step before; the lockstep
    /// result must equal the serial one (a block running ahead or behind reads a stale or
    /// future value and changes it).
    fn check(blocks: usize, len: usize) {
        // cells[s][b]: block b's value after step s.
        let cells: Vec<Vec<AtomicU64>> = (0..=len)
            .map(|_| (0..blocks).map(|b| AtomicU64::new(b as u64 + 1)).collect())
            .collect();
        let step = |s: usize, b: usize, count: &mut usize| {
            let prev = cells[s]
                .iter()
                .fold(0u64, |a, c| a.wrapping_add(c.load(Ordering::Relaxed)));
            let v = prev
                .wrapping_mul(6364136223846793005)
                .wrapping_add(b as u64);
            cells[s + 1][b].store(v, Ordering::Relaxed);
            *count += 1;
        };
        let mut counts = vec![0usize; blocks];
        lockstep(len, &mut counts, step);
        assert!(counts.iter().all(|&c| c == len), "{counts:?}");
        let mut want: Vec<u64> = (0..blocks).map(|b| b as u64 + 1).collect();
        for _ in 0..len {
            let prev = want.iter().fold(0u64, |a, &c| a.wrapping_add(c));
            want = (0..blocks)
                .map(|b| {
                    prev.wrapping_mul(6364136223846793005)
                        .wrapping_add(b as u64)
                })
                .collect();
        }
        let got: Vec<u64> = cells[len]
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        assert_eq!(got, want, "{blocks} blocks, {len} steps");
    }

    #[test]
    fn lockstep_orders_the_steps_of_all_blocks() {
        for blocks in [1, 2, 3, 5] {
            check(blocks, 200);
        }
        check(2, 0);
    }

    /// With every worker of the pool busy, the caller takes the blocks nobody claimed and
    /// finishes alone instead of waiting for a worker.
    #[test]
    fn lockstep_finishes_when_the_workers_are_busy() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        // Occupy one of the two workers until the checks are done.
        pool.spawn(move || {
            started_tx.send(()).unwrap();
            let _ = rx.recv();
        });
        started_rx.recv().unwrap();
        pool.install(|| {
            check(2, 50);
            check(3, 20);
        });
        tx.send(()).unwrap();
    }
}
