//! Counts of live tensors and graph nodes, for leak tests (`autograd::live_tensors`,
//! `autograd::live_nodes`).
//!
//! Every tensor and node is counted when made and when dropped, so the counters are on the
//! per-op path. A shared atomic counter costs a locked read-modify-write per event (four or more
//! per op, about 5 % of a tiny op); here each thread counts into its own pair of atomics, which
//! only that thread writes, so an event is a plain load and store. A reader sums every thread's
//! counts: a tensor made on one thread and dropped on another is +1 on the first and -1 on the
//! second. A thread's counts stay registered after it exits, so nothing is lost.

use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Counts {
    tensors: AtomicIsize,
    nodes: AtomicIsize,
}

/// Every thread's counts, registered on the thread's first event.
static ALL: Mutex<Vec<Arc<Counts>>> = Mutex::new(Vec::new());
/// Events of threads whose thread-local state is already gone (a drop during thread exit).
static LATE: Counts = Counts {
    tensors: AtomicIsize::new(0),
    nodes: AtomicIsize::new(0),
};

thread_local! {
    static MINE: Arc<Counts> = {
        let c = Arc::new(Counts::default());
        ALL.lock().unwrap_or_else(|e| e.into_inner()).push(c.clone());
        c
    };
}

#[inline]
fn bump(which: fn(&Counts) -> &AtomicIsize, by: isize) {
    let done = MINE.try_with(|c| {
        // Only this thread writes its own counter: a load and a store cannot lose an update.
        let a = which(c);
        a.store(a.load(Relaxed) + by, Relaxed);
    });
    if done.is_err() {
        which(&LATE).fetch_add(by, Relaxed);
    }
}

pub(crate) fn tensor_made() {
    bump(|c| &c.tensors, 1);
}

pub(crate) fn tensor_dropped() {
    bump(|c| &c.tensors, -1);
}

pub(crate) fn node_made() {
    bump(|c| &c.nodes, 1);
}

pub(crate) fn node_dropped() {
    bump(|c| &c.nodes, -1);
}

fn total(which: fn(&Counts) -> &AtomicIsize) -> usize {
    let all = ALL.lock().unwrap_or_else(|e| e.into_inner());
    let sum: isize =
        all.iter().map(|c| which(c).load(Relaxed)).sum::<isize>() + which(&LATE).load(Relaxed);
    sum.max(0) as usize
}

pub(crate) fn tensors() -> usize {
    total(|c| &c.tensors)
}

pub(crate) fn nodes() -> usize {
    total(|c| &c.nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_events_across_threads() {
        // Other tests run concurrently and make nodes, so only this test's own counters are
        // checked: two made on a spawned thread, dropped on this one.
        let before = MINE.with(|c| c.nodes.load(Relaxed));
        let theirs = std::thread::spawn(|| {
            node_made();
            node_made();
            MINE.with(|c| c.clone())
        })
        .join()
        .unwrap();
        assert_eq!(theirs.nodes.load(Relaxed), 2);
        node_dropped();
        node_dropped();
        assert_eq!(MINE.with(|c| c.nodes.load(Relaxed)), before - 2);
        // The exited thread's +2 is still summed by readers: it balances this thread's -2.
        let all = ALL.lock().unwrap();
        assert!(all.iter().any(|c| Arc::ptr_eq(c, &theirs)));
    }
}
