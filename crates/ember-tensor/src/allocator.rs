//! A caching allocator for CPU buffers.
//!
//! A training loop allocates the same shapes every step. Handing a freed buffer of the same
//! length to the next allocation avoids the page faults a fresh allocation pays on first touch
//! (they halve the speed of a large `a + b`). Buffers are kept per element type and exact
//! length, up to a byte cap; [`empty_cache`] releases them.
//!
//! Fresh buffers of 2 MiB and more are backed by transparent huge pages where Linux offers
//! them on request (`madvise` mode, the common default): one TLB entry and one page fault per
//! 2 MiB instead of 512. Measured on the 2-core bench machine: `sum_dim1` over 64 MiB 36 → 50
//! GB/s, `sum_dim0` 24 → 37, `a + b` over 16 Mi elements 28 → 33. (PyTorch has the same
//! behind `THP_MEM_ALLOC_ENABLE=1`; here it is the default.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::dtype::Element;

/// Buffers smaller than this are not cached: the system allocator serves them from its own
/// free lists, and caching them would only cost a lock. Above a few pages the system
/// allocator is not free either: glibc trims the top of its heap once more than 128 KiB is
/// free there and faults the pages in again on the next allocation (measured: 6 % of an
/// `lstm_train` step in page faults on 32 KiB buffers), so buffers from 16 KiB up are kept.
const MIN_CACHED_BYTES: usize = 16 * 1024;

static CACHED_BYTES: AtomicUsize = AtomicUsize::new(0);
static CAP_BYTES: AtomicUsize = AtomicUsize::new(4 << 30);

/// Per-element-type cache of free buffers, keyed by exact length.
#[doc(hidden)]
pub struct Pool<T> {
    free: Mutex<Option<HashMap<usize, Vec<Vec<T>>>>>,
}

impl<T: Element> Pool<T> {
    pub(crate) const fn new() -> Self {
        Pool {
            free: Mutex::new(None),
        }
    }

    /// A buffer of `len` elements whose contents are unspecified (but valid values): the
    /// caller overwrites all of it.
    pub(crate) fn take_uninit(&self, len: usize) -> Vec<T> {
        if len * std::mem::size_of::<T>() >= MIN_CACHED_BYTES {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(v) = free
                .as_mut()
                .and_then(|m| m.get_mut(&len))
                .and_then(|l| l.pop())
            {
                CACHED_BYTES.fetch_sub(len * std::mem::size_of::<T>(), Ordering::Relaxed);
                return v;
            }
        }
        zeroed_vec(len)
    }

    /// A buffer of `len` elements all set to `value`.
    pub(crate) fn take_filled(&self, len: usize, value: T) -> Vec<T> {
        if value == T::ZERO && len * std::mem::size_of::<T>() >= MIN_CACHED_BYTES {
            // A fresh zeroed allocation is a lazy mmap: cheaper than filling a cached buffer
            // only when nobody writes it afterwards, which is rare; prefer the cache.
        }
        let mut v = self.take_uninit(len);
        v.fill(value);
        v
    }

    pub(crate) fn give_back(&self, v: Vec<T>) {
        let bytes = v.len() * std::mem::size_of::<T>();
        if bytes < MIN_CACHED_BYTES || v.len() != v.capacity() {
            return;
        }
        if CACHED_BYTES.load(Ordering::Relaxed) + bytes > CAP_BYTES.load(Ordering::Relaxed) {
            return;
        }
        CACHED_BYTES.fetch_add(bytes, Ordering::Relaxed);
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        free.get_or_insert_with(HashMap::new)
            .entry(v.len())
            .or_default()
            .push(v);
    }

    fn clear(&self) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = free.take() {
            let bytes: usize = m
                .values()
                .flatten()
                .map(|v| v.len() * std::mem::size_of::<T>())
                .sum();
            CACHED_BYTES.fetch_sub(bytes, Ordering::Relaxed);
        }
    }
}

/// A kernel's temporary buffer (im2col columns, per-thread accumulators), taken from the
/// cache and given back when dropped. Fresh buffers would cost page faults on every call and,
/// for a zeroed one that a kernel reads before writing, a copy-on-write fault with a TLB
/// shootdown across cores per page (measured at ~8% of a ResNet-18 training step).
pub(crate) struct Scratch<T: Element> {
    v: Vec<T>,
}

impl<T: Element> Scratch<T> {
    /// `len` elements with unspecified (valid) contents.
    pub(crate) fn uninit(len: usize) -> Self {
        Scratch {
            v: T::pool().take_uninit(len),
        }
    }

    /// `len` elements set to `value`.
    pub(crate) fn filled(len: usize, value: T) -> Self {
        Scratch {
            v: T::pool().take_filled(len, value),
        }
    }

    /// The buffer, no longer returned to the cache on drop (it goes with the array it becomes).
    pub(crate) fn into_vec(mut self) -> Vec<T> {
        std::mem::take(&mut self.v)
    }
}

impl<T: Element> std::ops::Deref for Scratch<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.v
    }
}

impl<T: Element> std::ops::DerefMut for Scratch<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.v
    }
}

impl<T: Element> Drop for Scratch<T> {
    fn drop(&mut self) {
        let v = std::mem::take(&mut self.v);
        if !v.is_empty() {
            T::pool().give_back(v);
        }
    }
}

/// Below this, a zeroed buffer is allocated and then filled; from here up it comes zeroed from
/// the allocator (`calloc`, whose large blocks are fresh pages that need no clearing).
const SMALL_BYTES: usize = 4096;

/// Below this, buffers are left on normal pages: a huge page is 2 MiB.
const HUGE_PAGE_BYTES: usize = 2 << 20;

/// A fresh zeroed buffer of `len` elements; from [`HUGE_PAGE_BYTES`] up it asks the kernel for
/// transparent huge pages before anything touches it (a large zeroed `Vec` is a lazy `mmap`, so
/// the pages are not there yet and the first touch faults in 2 MiB at a time).
pub(crate) fn zeroed_vec<T: Element>(len: usize) -> Vec<T> {
    let bytes = len * std::mem::size_of::<T>();
    if bytes < SMALL_BYTES {
        // `vec![0; n]` is `calloc`, which in glibc skips the per-thread cache (tcache) that
        // `malloc` serves small blocks from: for the buffers of small tensors, a malloc and a
        // fill are several times cheaper (calloc was ~5 % of a tiny op).
        let mut v = Vec::with_capacity(len);
        v.resize(len, T::ZERO);
        return v;
    }
    let v = vec![T::ZERO; len];
    if bytes >= HUGE_PAGE_BYTES {
        advise_huge_pages(v.as_ptr() as usize, bytes);
    }
    v
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(addr: usize, bytes: usize) {
    // madvise wants a page-aligned start; the huge pages themselves are the 2 MiB-aligned
    // stretches inside the range.
    let page = 4096;
    let start = addr.next_multiple_of(page);
    let end = addr + bytes;
    if end > start {
        // SAFETY: `[start, end)` lies inside the live allocation `v` of `zeroed_vec`;
        // MADV_HUGEPAGE only changes how the kernel backs those pages, never their contents,
        // and a failure (THP disabled, old kernel) leaves them as they were.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_addr: usize, _bytes: usize) {}

/// Releases every cached free buffer to the system (PyTorch's `torch.cuda.empty_cache`, for
/// the CPU cache).
///
/// ```
/// let a = ember_tensor::Array::zeros(&[1 << 20], ember_tensor::DType::F32);
/// drop(a); // its buffer goes to the cache
/// assert!(ember_tensor::cached_bytes() >= 4 << 20);
/// ember_tensor::empty_cache();
/// assert_eq!(ember_tensor::cached_bytes(), 0);
/// ```
pub fn empty_cache() {
    use half::{bf16, f16};
    f32::pool().clear();
    f64::pool().clear();
    f16::pool().clear();
    bf16::pool().clear();
    i64::pool().clear();
    i32::pool().clear();
    u8::pool().clear();
    bool::pool().clear();
}

/// Bytes currently held by the cache of free buffers.
pub fn cached_bytes() -> usize {
    CACHED_BYTES.load(Ordering::Relaxed)
}

/// Sets the most bytes the cache of free buffers may hold (default 4 GiB); 0 disables caching.
///
/// ```
/// ember_tensor::set_cache_limit(1 << 30);
/// ```
pub fn set_cache_limit(bytes: usize) {
    CAP_BYTES.store(bytes, Ordering::Relaxed);
    if cached_bytes() > bytes {
        empty_cache();
    }
}
