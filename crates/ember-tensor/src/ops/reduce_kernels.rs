//! The reduction engine behind every op of `reduce.rs`.
//!
//! A reduction is described by a [`Reducer`] (identity, per-element step, combine of two
//! partial results) and run by [`reduce_into`], which logically moves the reduced dims to the
//! end and picks a strategy from the layout:
//! - *inner*: the reduced dims hold the smallest stride (a row sum of a row-major matrix). Each
//!   output reduces its own slice; contiguous slices go through [`Fold`]'s multi-lane blocked
//!   sum, which LLVM vectorises and which keeps float error near pairwise summation. Work is
//!   split over outputs, or over pieces of one long reduction when there are few outputs.
//! - *outer*: a kept dim holds the smallest stride (a column sum of a row-major matrix). Rows
//!   are accumulated into a buffer of outputs (`acc[j] = acc[j] + x[i, j]`, vectorised),
//!   cascaded through a block buffer every `CASCADE` rows for accuracy; work is split over
//!   blocks of outputs, or over pieces of the reduced range with partial buffers.
//!
//! Strided access goes through [`Walk`] only.

use half::{bf16, f16};
use rayon::prelude::*;

use crate::Array;
use crate::dtype::Element;
use crate::layout::Dims;
use crate::strided::{PAR_GRAIN, PAR_THRESHOLD, Walk};

/// A reduction: `Acc` is the running state, `idx` the position of `x` along the reduction
/// (row-major over the reduced dims), used by arg-reductions.
pub(crate) trait Reducer<T: Element>: Sync {
    type Acc: Copy + Send + Sync;
    fn init(&self) -> Self::Acc;
    fn step(&self, acc: Self::Acc, x: T, idx: usize) -> Self::Acc;
    /// Merges two partial results; `a` covers positions before `b`'s.
    fn combine(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// Reduces `x[off + i*stride]` for `i in 0..len`, positions `idx0 + i`, into `acc`.
    #[inline(always)]
    fn run(
        &self,
        acc: Self::Acc,
        xs: &[T],
        (off, len, stride): (usize, usize, usize),
        idx0: usize,
    ) -> Self::Acc {
        let mut acc = acc;
        if stride == 1 {
            for (i, &x) in xs[off..off + len].iter().enumerate() {
                acc = self.step(acc, x, idx0 + i);
            }
        } else {
            for i in 0..len {
                acc = self.step(acc, xs[off + i * stride], idx0 + i);
            }
        }
        acc
    }
}

/// An order-insensitive reduction: `fold(acc, map(x))` from `init` (sum, prod, amax, all, …).
pub(crate) struct Fold<A, M, F> {
    pub init: A,
    pub map: M,
    pub fold: F,
}

/// Lanes of independent accumulators in a contiguous fold: enough for LLVM to fill several
/// vector registers and hide the add latency.
const LANES: usize = 32;
/// Contiguous slices longer than this are split in halves (pairwise), so float error grows
/// with log(n) blocks rather than n.
const BLOCK: usize = 2048;

impl<A: Copy + Send + Sync, M, F> Fold<A, M, F> {
    #[inline(always)]
    fn blocked<T: Copy>(&self, xs: &[T]) -> A
    where
        M: Fn(T) -> A,
        F: Fn(A, A) -> A,
    {
        if xs.len() > BLOCK {
            let mid = (xs.len() / 2).div_ceil(LANES) * LANES;
            let (l, r) = xs.split_at(mid);
            return (self.fold)(self.blocked(l), self.blocked(r));
        }
        crate::vmath::with_simd(Leaf { fold: self, xs })
    }

    /// The multi-lane fold of one block (at most `BLOCK` elements).
    #[inline(always)]
    fn leaf<T: Copy>(&self, xs: &[T]) -> A
    where
        M: Fn(T) -> A,
        F: Fn(A, A) -> A,
    {
        let mut acc = [self.init; LANES];
        let mut chunks = xs.chunks_exact(LANES);
        for c in &mut chunks {
            for k in 0..LANES {
                acc[k] = (self.fold)(acc[k], (self.map)(c[k]));
            }
        }
        let mut rest = self.init;
        for &x in chunks.remainder() {
            rest = (self.fold)(rest, (self.map)(x));
        }
        // The lanes are combined in order, not as a tree: with a tree LLVM's SLP vectoriser
        // turns the whole function into 2-wide vectors (measured: sum_dim at 2/3 of the
        // memory bandwidth); 32 terms in order cost nothing in accuracy.
        let mut total = rest;
        for a in acc {
            total = (self.fold)(total, a);
        }
        total
    }
}

/// One block of a contiguous fold, as a [`SimdKernel`](crate::vmath::SimdKernel).
struct Leaf<'a, T, A, M, F> {
    fold: &'a Fold<A, M, F>,
    xs: &'a [T],
}

impl<T: Copy, A: Copy + Send + Sync, M, F> crate::vmath::SimdKernel for Leaf<'_, T, A, M, F>
where
    M: Fn(T) -> A,
    F: Fn(A, A) -> A,
{
    type Out = A;
    #[inline(always)]
    fn run(self) -> A {
        self.fold.leaf(self.xs)
    }
}

impl<T, A, M, F> Reducer<T> for Fold<A, M, F>
where
    T: Element,
    A: Copy + Send + Sync,
    M: Fn(T) -> A + Sync,
    F: Fn(A, A) -> A + Sync,
{
    type Acc = A;
    #[inline(always)]
    fn init(&self) -> A {
        self.init
    }
    #[inline(always)]
    fn step(&self, acc: A, x: T, _: usize) -> A {
        (self.fold)(acc, (self.map)(x))
    }
    #[inline(always)]
    fn combine(&self, a: A, b: A) -> A {
        (self.fold)(a, b)
    }
    #[inline(always)]
    fn run(&self, acc: A, xs: &[T], (off, len, stride): (usize, usize, usize), _: usize) -> A {
        if stride == 1 && len >= 2 * LANES {
            (self.fold)(acc, self.blocked(&xs[off..off + len]))
        } else {
            let mut acc = acc;
            for i in 0..len {
                acc = (self.fold)(acc, (self.map)(xs[off + i * stride]));
            }
            acc
        }
    }
}

/// `x != x`: true only for NaN (and false for every non-float type).
#[inline(always)]
#[allow(clippy::eq_op)]
pub(crate) fn is_nan<T: PartialEq>(x: T) -> bool {
    x != x
}

/// The extreme value and the position of its first occurrence; NaN beats everything (the
/// first NaN wins), as PyTorch's `max(dim)` / `argmax`.
pub(crate) struct ArgExtreme {
    pub max: bool,
}

impl ArgExtreme {
    #[inline(always)]
    fn better<T: PartialOrd + Copy>(&self, x: T, cur: T) -> bool {
        if is_nan(cur) {
            false
        } else if is_nan(x) {
            true
        } else if self.max {
            x > cur
        } else {
            x < cur
        }
    }
}

impl<T: Element> Reducer<T> for ArgExtreme {
    /// `(value, index)`; index `usize::MAX` means "nothing seen yet".
    type Acc = (T, usize);
    #[inline(always)]
    fn init(&self) -> (T, usize) {
        (T::ZERO, usize::MAX)
    }
    #[inline(always)]
    fn step(&self, acc: (T, usize), x: T, idx: usize) -> (T, usize) {
        if acc.1 == usize::MAX || self.better(x, acc.0) {
            (x, idx)
        } else {
            acc
        }
    }
    #[inline(always)]
    fn combine(&self, a: (T, usize), b: (T, usize)) -> (T, usize) {
        if a.1 == usize::MAX || (b.1 != usize::MAX && self.better(b.0, a.0)) {
            b
        } else {
            a
        }
    }
}

/// How many rows the outer strategy accumulates into its block buffer before folding it into
/// the outputs (a two-level cascade: error ~ (CASCADE + n/CASCADE) eps instead of n eps).
const CASCADE: usize = 128;

/// Reduces `x` over the dims where `mask` is true, writing `finish(acc)` for each output into
/// `out` (row-major over the kept dims, `out.len()` = their product). Over a size-0 reduction
/// every output is `finish(init)`.
pub(crate) fn reduce_into<T: Element, R: Reducer<T>, U: Copy + Send>(
    x: &Array,
    mask: &[bool],
    r: &R,
    out: &mut [U],
    finish: impl Fn(R::Acc) -> U + Sync,
) {
    let (shape, strides) = (x.shape(), x.strides());
    let (mut ks, mut kst, mut rs, mut rst) = (Dims::new(), Dims::new(), Dims::new(), Dims::new());
    for d in 0..shape.len() {
        if mask[d] {
            rs.push(shape[d]);
            rst.push(strides[d]);
        } else {
            ks.push(shape[d]);
            kst.push(strides[d]);
        }
    }
    let m: usize = ks.iter().product();
    let k: usize = rs.iter().product();
    debug_assert_eq!(out.len(), m);
    if m == 0 {
        return;
    }
    if k == 0 {
        let v = finish(r.init());
        out.fill(v);
        return;
    }
    let kwalk = Walk::new(&ks, [&kst], [x.storage_offset()]);
    let rwalk = Walk::new(&rs, [&rst], [0]);
    let min_stride = |sh: &Dims, st: &Dims| {
        sh.iter()
            .zip(st)
            .filter(|&(&n, _)| n > 1)
            .map(|(_, &s)| s)
            .min()
    };
    let outer = match (min_stride(&ks, &kst), min_stride(&rs, &rst)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    };
    let threads = crate::threads::num_threads();
    let par = m * k >= PAR_THRESHOLD && threads > 1;
    x.with_slice(|xs: &[T]| {
        let job = Job {
            xs,
            r,
            kwalk: &kwalk,
            rwalk: &rwalk,
            k,
        };
        if outer {
            job.outer(out, par, threads, &finish)
        } else {
            job.inner(out, par, threads, &finish)
        }
    });
}

struct Job<'a, T, R> {
    xs: &'a [T],
    r: &'a R,
    kwalk: &'a Walk<1>,
    rwalk: &'a Walk<1>,
    k: usize,
}

impl<T: Element, R: Reducer<T>> Job<'_, T, R> {
    /// Reduces positions `lo..hi` of the output whose first element is at `base`.
    #[inline]
    fn reduce_one(&self, base: usize, lo: usize, hi: usize) -> R::Acc {
        let r = self.r;
        if let Some([s]) = self.rwalk.single_run() {
            return r.run(r.init(), self.xs, (base + lo * s, hi - lo, s), lo);
        }
        let mut acc = r.init();
        let mut idx = lo;
        self.rwalk.for_each_run(lo, hi, |[o], len, [s]| {
            acc = r.run(acc, self.xs, (base + o, len, s), idx);
            idx += len;
        });
        acc
    }

    /// Fills outputs `start..start + out.len()`, each with its whole reduction.
    fn fill_inner<U>(&self, out: &mut [U], start: usize, finish: &(impl Fn(R::Acc) -> U + Sync)) {
        let mut pos = 0;
        self.kwalk
            .for_each_run(start, start + out.len(), |[o], len, [s]| {
                for (i, v) in out[pos..pos + len].iter_mut().enumerate() {
                    *v = finish(self.reduce_one(o + i * s, 0, self.k));
                }
                pos += len;
            });
    }

    fn inner<U: Copy + Send>(
        &self,
        out: &mut [U],
        par: bool,
        threads: usize,
        finish: &(impl Fn(R::Acc) -> U + Sync),
    ) {
        let (m, k) = (out.len(), self.k);
        if !par {
            self.fill_inner(out, 0, finish);
        } else if m >= threads * 4 {
            // Two blocks of outputs per thread: each thread streams long stretches of memory
            // (eight smaller blocks per thread measured ~8 % slower on a [4096, 4096] row sum,
            // 0.92-0.95x PyTorch against 1.01-1.05x now), with some room left to balance.
            let chunk = m.div_ceil(threads * 2).max((PAR_GRAIN / k).max(1));
            out.par_chunks_mut(chunk)
                .enumerate()
                .for_each(|(c, o)| self.fill_inner(o, c * chunk, finish));
        } else {
            // Few outputs, long reductions: split each reduction into pieces and combine.
            let step = k.div_ceil(threads * 4).max(PAR_GRAIN);
            let mut pos = 0;
            self.kwalk.for_each_run(0, m, |[o], len, [s]| {
                for i in 0..len {
                    let base = o + i * s;
                    let parts: Vec<R::Acc> = (0..k.div_ceil(step))
                        .into_par_iter()
                        .map(|p| self.reduce_one(base, p * step, ((p + 1) * step).min(k)))
                        .collect();
                    let acc = parts
                        .into_iter()
                        .reduce(|a, b| self.r.combine(a, b))
                        .unwrap();
                    out[pos + i] = finish(acc);
                }
                pos += len;
            });
        }
    }

    /// Accumulates reduced positions `lo..hi` into `accs` (outputs `start..start+accs.len()`).
    fn accumulate(&self, accs: &mut [R::Acc], start: usize, lo: usize, hi: usize) {
        let r = self.r;
        let mut block: Vec<R::Acc> = vec![r.init(); accs.len()];
        let mut pos = 0;
        self.kwalk
            .for_each_run(start, start + accs.len(), |[o], len, [s]| {
                let a = &mut accs[pos..pos + len];
                let t = &mut block[..len];
                let mut count = 0;
                let mut idx = lo;
                let flush = |a: &mut [R::Acc], t: &mut [R::Acc]| {
                    for (a, t) in a.iter_mut().zip(t.iter_mut()) {
                        *a = r.combine(*a, *t);
                        *t = r.init();
                    }
                };
                self.rwalk.for_each_run(lo, hi, |[ro], rlen, [rstride]| {
                    for i in 0..rlen {
                        let off = o + ro + i * rstride;
                        if s == 1 {
                            for (acc, &x) in t.iter_mut().zip(&self.xs[off..off + len]) {
                                *acc = r.step(*acc, x, idx);
                            }
                        } else {
                            for (j, acc) in t.iter_mut().enumerate() {
                                *acc = r.step(*acc, self.xs[off + j * s], idx);
                            }
                        }
                        idx += 1;
                        count += 1;
                        if count == CASCADE {
                            flush(a, t);
                            count = 0;
                        }
                    }
                });
                if count > 0 {
                    flush(a, t);
                }
                pos += len;
            });
    }

    fn outer<U: Copy + Send>(
        &self,
        out: &mut [U],
        par: bool,
        threads: usize,
        finish: &(impl Fn(R::Acc) -> U + Sync),
    ) {
        let (m, k, r) = (out.len(), self.k, self.r);
        let mut accs: Vec<R::Acc> = vec![r.init(); m];
        // Splitting the outputs gives each thread a narrow column block: every row is then a
        // short run in a new page, which streams at a third of the memory bandwidth (a column
        // sum of [4096, 4096] f32: 4 KiB runs 16 KiB apart). Splitting the reduced range keeps
        // each thread reading whole rows, at the price of one partial buffer per piece: taken
        // whenever those buffers are small and the range is long.
        let small_partials = m * std::mem::size_of::<R::Acc>() <= 64 << 10 && k >= 512 * threads;
        if !par {
            self.accumulate(&mut accs, 0, 0, k);
        } else if m >= 256 * threads && !small_partials {
            let chunk = m.div_ceil(threads * 2).max(256);
            accs.par_chunks_mut(chunk)
                .enumerate()
                .for_each(|(c, a)| self.accumulate(a, c * chunk, 0, k));
        } else {
            // Few outputs: each piece of the reduced range fills a partial buffer.
            let step = k.div_ceil(threads * 4);
            let parts: Vec<Vec<R::Acc>> = (0..k.div_ceil(step))
                .into_par_iter()
                .map(|p| {
                    let mut a = vec![r.init(); m];
                    self.accumulate(&mut a, 0, p * step, ((p + 1) * step).min(k));
                    a
                })
                .collect();
            for p in parts {
                for (a, b) in accs.iter_mut().zip(p) {
                    *a = r.combine(*a, b);
                }
            }
        }
        for (o, a) in out.iter_mut().zip(accs) {
            *o = finish(a);
        }
    }
}

/// A number that sums and multiplies (the accumulator of sum/prod).
pub(crate) trait Accum: Copy + Send + Sync + 'static {
    const ZERO: Self;
    const ONE: Self;
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
}
impl Accum for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    #[inline(always)]
    fn add(self, o: f32) -> f32 {
        self + o
    }
    #[inline(always)]
    fn mul(self, o: f32) -> f32 {
        self * o
    }
}
impl Accum for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    #[inline(always)]
    fn add(self, o: f64) -> f64 {
        self + o
    }
    #[inline(always)]
    fn mul(self, o: f64) -> f64 {
        self * o
    }
}
impl Accum for i64 {
    const ZERO: i64 = 0;
    const ONE: i64 = 1;
    #[inline(always)]
    fn add(self, o: i64) -> i64 {
        self.wrapping_add(o)
    }
    #[inline(always)]
    fn mul(self, o: i64) -> i64 {
        self.wrapping_mul(o)
    }
}

/// Per-dtype facts for reductions: the accumulator type (f32 for the 16-bit floats, i64 for
/// integers and bool), the result type of sum/prod (`I64` for integers and bool, as PyTorch),
/// and the identities of max/min.
pub(crate) trait ReduceElem: Element {
    type W: Accum;
    type Out: Element;
    const LOWEST: Self;
    const HIGHEST: Self;
    fn widen(self) -> Self::W;
    fn out(w: Self::W) -> Self::Out;
    /// The sum of a contiguous slice: the generic vectorised [`Fold`], or the explicit-vector
    /// kernel of [`contiguous_sum`](super::contiguous_sum) for f32 and f64.
    #[inline(always)]
    fn sum_slice(xs: &[Self]) -> Self::W {
        let f = Fold {
            init: Self::W::ZERO,
            map: |v: Self| v.widen(),
            fold: |a: Self::W, b: Self::W| a.add(b),
        };
        f.blocked(xs)
    }
}

/// `sum`: the [`Fold`] `acc + widen(x)`, whose contiguous runs go through
/// [`ReduceElem::sum_slice`].
pub(crate) struct Sum;

impl<T: ReduceElem> Reducer<T> for Sum {
    type Acc = T::W;
    #[inline(always)]
    fn init(&self) -> T::W {
        T::W::ZERO
    }
    #[inline(always)]
    fn step(&self, acc: T::W, x: T, _: usize) -> T::W {
        acc.add(x.widen())
    }
    #[inline(always)]
    fn combine(&self, a: T::W, b: T::W) -> T::W {
        a.add(b)
    }
    #[inline(always)]
    fn run(
        &self,
        acc: T::W,
        xs: &[T],
        (off, len, stride): (usize, usize, usize),
        _: usize,
    ) -> T::W {
        if stride == 1 && len >= 2 * LANES {
            acc.add(T::sum_slice(&xs[off..off + len]))
        } else {
            let mut acc = acc;
            for i in 0..len {
                acc = acc.add(xs[off + i * stride].widen());
            }
            acc
        }
    }
}

macro_rules! reduce_elem {
    ($t:ty, $w:ty, $out:ty, $lo:expr, $hi:expr, |$x:ident| $widen:expr, |$y:ident| $o:expr
     $(, sum_slice: $sum:path)?) => {
        impl ReduceElem for $t {
            type W = $w;
            type Out = $out;
            const LOWEST: $t = $lo;
            const HIGHEST: $t = $hi;
            #[inline(always)]
            fn widen(self) -> $w {
                let $x = self;
                $widen
            }
            #[inline(always)]
            fn out(w: $w) -> $out {
                let $y = w;
                $o
            }
            $(
                #[inline(always)]
                fn sum_slice(xs: &[$t]) -> $w {
                    $sum(xs)
                }
            )?
        }
    };
}
reduce_elem!(
    f32,
    f32,
    f32,
    f32::NEG_INFINITY,
    f32::INFINITY,
    |x| x,
    |w| w,
    sum_slice: super::contiguous_sum::sum_f32
);
reduce_elem!(
    f64,
    f64,
    f64,
    f64::NEG_INFINITY,
    f64::INFINITY,
    |x| x,
    |w| w,
    sum_slice: super::contiguous_sum::sum_f64
);
reduce_elem!(
    f16,
    f32,
    f16,
    f16::NEG_INFINITY,
    f16::INFINITY,
    |x| x.to_f32(),
    |w| f16::from_f32(w)
);
reduce_elem!(
    bf16,
    f32,
    bf16,
    bf16::NEG_INFINITY,
    bf16::INFINITY,
    |x| x.to_f32(),
    |w| bf16::from_f32(w)
);
reduce_elem!(i64, i64, i64, i64::MIN, i64::MAX, |x| x, |w| w);
reduce_elem!(i32, i64, i64, i32::MIN, i32::MAX, |x| x as i64, |w| w);
reduce_elem!(u8, i64, i64, u8::MIN, u8::MAX, |x| x as i64, |w| w);
reduce_elem!(bool, i64, i64, false, true, |x| x as i64, |w| w);

/// A floating element with its compute type (f32 for f16/bf16).
pub(crate) trait FloatElem: ReduceElem<Out = Self> {
    type F: num_traits::Float + Accum + Element;
    fn up(self) -> Self::F;
    fn down(f: Self::F) -> Self;
}
macro_rules! float_elem {
    ($t:ty, $f:ty, |$x:ident| $up:expr, |$y:ident| $down:expr) => {
        impl FloatElem for $t {
            type F = $f;
            #[inline(always)]
            fn up(self) -> $f {
                let $x = self;
                $up
            }
            #[inline(always)]
            fn down(f: $f) -> $t {
                let $y = f;
                $down
            }
        }
    };
}
float_elem!(f32, f32, |x| x, |f| f);
float_elem!(f64, f64, |x| x, |f| f);
float_elem!(f16, f32, |x| x.to_f32(), |f| f16::from_f32(f));
float_elem!(bf16, f32, |x| x.to_f32(), |f| bf16::from_f32(f));
