//! The LSTM recurrence over a whole sequence, forward and backward, with the hidden units
//! split over the threads (what oneDNN's fused RNN layer does for PyTorch on the CPU).
//!
//! A step is a product `h_{t-1}·W_hhᵀ` (`(N, H) × (H, 4H)`) and the fused cell. Run as one
//! parallel product and one serial cell per step, the cell leaves the other threads idle long
//! enough for them to fall asleep, and waking them costs more than the step's product on
//! virtual machines (~40-60 µs). Here each thread owns a block of hidden units for the whole
//! sequence: per step it computes the gate columns of its units (its own copy of their `W_hh`
//! rows, laid out once per call) and runs the cell on them; the threads meet at a spinning
//! barrier between steps ([`lockstep`](crate::threads::lockstep)), so they stay busy from the
//! first step to the last. Backward is split the same way: per step, a thread computes its
//! units' part of `dh_t = dGates_{t+1}·W_hh` and the cell backward of its units.
//!
//! Measured on the 2-core bench machine (L 50, N 32, H 256, f32): the forward took 5.5 ms as
//! one parallel product and one serial cell per step, 3.0 ms with the units split and a
//! fork-join per step, 2.7 ms in lockstep (the product alone, 50 × 38 µs per thread, is
//! 1.9 ms); the backward 2.5 ms with a fork-join per step and 2.15 ms in lockstep.
//!
//! Only the recurrence lives here; the input projections (`x·W_ihᵀ + b`, one product over all
//! steps) and the weight gradients (one product over all steps) are ordinary matmuls.

use super::linalg::{GemmElem, gemm_call};
use super::rnn_cell::{CellFloat, dispatch_simd, forward_units_sum, with_data};
use crate::Array;
use crate::allocator::Scratch;
use crate::dtype::{DType, Element};

/// Steps smaller than this many multiply-adds (about 5 µs of product on one core) run on one
/// thread: splitting them would buy less than the barrier and the smaller, less efficient
/// products cost. A round figure, not a measured crossover.
const PAR_STEP_MACS: usize = 1 << 20;

/// The hidden units `[u0, u1)` of each thread's block: one block when the step is small or
/// there is one thread, else up to one block per thread, each a multiple of 16 units (one
/// AVX-512 vector of f32) but the last.
fn unit_blocks(n: usize, h: usize) -> Vec<(usize, usize)> {
    let threads = crate::threads::num_threads();
    let blocks = if n * h * 4 * h < PAR_STEP_MACS {
        1
    } else {
        threads.min(h / 16).max(1)
    };
    split_units(h, blocks)
}

/// `h` units in `blocks` nearly equal blocks whose inner boundaries are multiples of 16.
fn split_units(h: usize, blocks: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(blocks);
    let mut u0 = 0;
    for b in 1..=blocks {
        let u1 = if b == blocks {
            h
        } else {
            ((h * b / blocks).div_ceil(16) * 16).clamp(u0, h)
        };
        if u1 > u0 {
            out.push((u0, u1));
        }
        u0 = u1;
    }
    out
}

/// A raw pointer the blocks share; each block writes only its own units' elements.
#[derive(Clone, Copy)]
struct Shared<T>(*mut T);
// SAFETY: the pointer is only dereferenced inside one step of `lockstep`, where every block
// writes a disjoint set of elements (its units' columns) and reads elements written in earlier
// steps (lockstep's barrier orders them: release after a step, acquire before the next).
unsafe impl<T> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// The `len` elements from `at`.
    ///
    /// # Safety
    /// `at + len` is within the buffer, and no other live reference overlaps the range.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slice(&self, at: usize, len: usize) -> &mut [T] {
        // SAFETY: forwarded from the caller.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(at), len) }
    }
}

dispatch_simd!(forward_units_simd, forward_units_sum, (gates: [&[T]; 4], extra: [&[T]; 4], c: &[T], h_out: &mut [T], c_out: &mut [T], act: [&mut [T]; 4]));
/// The cell backward of `rnn_cell` with both gradients present (the sequence kernel always
/// has them): no per-element branches, so the whole loop vectorises.
#[inline(always)]
fn backward_units_dense<T: CellFloat>(
    [ai, af, ag, ao]: [&[T]; 4],
    c_prev: &[T],
    dh: &[T],
    dc: &[T],
    [di, df, dg, d_o]: [&mut [T]; 4],
    dc_prev: &mut [T],
) {
    let hs = c_prev.len();
    let (ai, af, ag, ao) = (&ai[..hs], &af[..hs], &ag[..hs], &ao[..hs]);
    let (dh, dc) = (&dh[..hs], &dc[..hs]);
    let (di, df, dg, d_o) = (&mut di[..hs], &mut df[..hs], &mut dg[..hs], &mut d_o[..hs]);
    let dc_prev = &mut dc_prev[..hs];
    for j in 0..hs {
        let (i, f, g, o) = (ai[j], af[j], ag[j], ao[j]);
        // c' is recomputed (one multiply-add) rather than saved.
        let tc = (f * c_prev[j] + i * g).ftanh();
        let dcj = dc[j] + dh[j] * o * (T::ONE - tc * tc);
        di[j] = dcj * g * i * (T::ONE - i);
        df[j] = dcj * c_prev[j] * f * (T::ONE - f);
        dg[j] = dcj * i * (T::ONE - g * g);
        d_o[j] = dh[j] * tc * o * (T::ONE - o);
        dc_prev[j] = dcj * f;
    }
}

dispatch_simd!(backward_units_simd, backward_units_dense, (act: [&[T]; 4], c_prev: &[T], dh: &[T], dc: &[T], dgates: [&mut [T]; 4], dc_prev: &mut [T]));

/// The outputs of [`Array::lstm_sequence_forward`].
#[derive(Debug, Clone)]
pub struct LstmSequenceForward {
    /// The hidden state after every step, `(L, N, H)` (in time order, also when reversed).
    pub ys: Array,
    /// The hidden state after the last step processed, `(N, H)`.
    pub h_n: Array,
    /// The cell state after the last step processed, `(N, H)`.
    pub c_n: Array,
    /// The activated gates of every step, `(L, N, 4H)`; saved for the backward.
    pub acts: Array,
    /// The cell state each step started from, `(L, N, H)`; saved for the backward.
    pub c_prev: Array,
}

/// Which time step the `s`-th processed step is.
fn step_index(s: usize, len: usize, reverse: bool) -> usize {
    if reverse { len - 1 - s } else { s }
}

#[allow(clippy::too_many_arguments)]
fn forward_typed<T: CellFloat + GemmElem>(
    (len, n, h): (usize, usize, usize),
    xw: &[T],
    h0: &[T],
    c0: &[T],
    w_t: &[T],
    reverse: bool,
    blocks: &[(usize, usize)],
) -> [Vec<T>; 5] {
    let (step, step4) = (n * h, n * 4 * h);
    let mut ys = T::pool().take_uninit(len * step);
    let mut acts = T::pool().take_uninit(len * step4);
    let mut c_prev = T::pool().take_uninit(len * step);
    let mut c_n = T::pool().take_uninit(step);
    c_prev[step_index(0, len, reverse) * step..][..step].copy_from_slice(c0);
    // Each block's rows of W_hh as one (H, 4·hb) right-hand side: column q·hb + j is row
    // q·H + u0 + j of W_hh (gate q, unit u0 + j), so a block's product is one gemm call. Built
    // from W_hhᵀ (`w_t`, (H, 4H)) by copying each block's four column strips of every row.
    // Scratch buffers go back to the caching allocator when dropped (no page faults on the
    // next call).
    let packed: Vec<Scratch<T>> = blocks
        .iter()
        .map(|&(u0, u1)| {
            let hb = u1 - u0;
            let mut w = Scratch::uninit(h * 4 * hb);
            if hb == h {
                w.copy_from_slice(w_t);
                return w;
            }
            for k in 0..h {
                for q in 0..4 {
                    w[k * 4 * hb + q * hb..][..hb]
                        .copy_from_slice(&w_t[k * 4 * h + q * h + u0..][..hb]);
                }
            }
            w
        })
        .collect();
    let mut gates: Vec<Scratch<T>> = blocks
        .iter()
        .map(|&(u0, u1)| Scratch::uninit(n * 4 * (u1 - u0)))
        .collect();
    let (ys_p, acts_p, cp_p, cn_p) = (
        Shared(ys.as_mut_ptr()),
        Shared(acts.as_mut_ptr()),
        Shared(c_prev.as_mut_ptr()),
        Shared(c_n.as_mut_ptr()),
    );
    let (ys_len, acts_len, cp_len) = (ys.len(), acts.len(), c_prev.len());
    crate::threads::lockstep(len, &mut gates, |s, b, gl| {
        let t = step_index(s, len, reverse);
        let (u0, u1) = blocks[b];
        let hb = u1 - u0;
        let w4 = 4 * hb;
        // The product writes the block's gates (no accumulation); the cell adds the input
        // projection `xw` as it reads them (copying `xw` in first cost a pass per step).
        let xw_t = &xw[t * step4..][..step4];
        let h_prev: *const T = if s == 0 {
            h0.as_ptr()
        } else {
            // SAFETY: the previous step's hidden state is within `ys` (all its blocks
            // were written before this step's barrier).
            unsafe { ys_p.0.add(step_index(s - 1, len, reverse) * step) }
        };
        // SAFETY: `gl` holds n rows of 4·hb (row stride 4·hb); the lhs `h_prev` is
        // n rows of h (row stride h) inside `h0` or `ys`, nobody writes it during this
        // step; the rhs is this block's packed (h, 4·hb) weight.
        unsafe {
            gemm_call::<T>(
                (n, h, w4),
                gl.as_mut_ptr(),
                w4,
                false,
                h_prev,
                (h, 1),
                packed[b].as_ptr(),
                (w4, 1),
                1.0,
                1,
            )
        };
        let c_next_base = if s + 1 == len {
            None
        } else {
            Some(step_index(s + 1, len, reverse) * step)
        };
        for r in 0..n {
            let g = &gl[r * w4..][..w4];
            let cell = t * step + r * h + u0;
            let a = t * step4 + r * 4 * h + u0;
            assert!(cell + hb <= ys_len.min(cp_len) && a + 3 * h + hb <= acts_len);
            // SAFETY: every range below is this block's units [u0, u1) of one row, in
            // bounds (asserted above for ys, c_prev and acts; c_n holds n·h), and no
            // other block touches those units; `c_prev` of step t is read, that of the
            // next step (or c_n) written, which are different rows.
            unsafe {
                let c_out = match c_next_base {
                    Some(base) => cp_p.slice(base + r * h + u0, hb),
                    None => cn_p.slice(r * h + u0, hb),
                };
                let x = &xw_t[r * 4 * h + u0..];
                forward_units_simd::<T>(
                    [&g[..hb], &g[hb..2 * hb], &g[2 * hb..3 * hb], &g[3 * hb..]],
                    [
                        &x[..hb],
                        &x[h..h + hb],
                        &x[2 * h..2 * h + hb],
                        &x[3 * h..3 * h + hb],
                    ],
                    cp_p.slice(cell, hb),
                    ys_p.slice(cell, hb),
                    c_out,
                    [
                        acts_p.slice(a, hb),
                        acts_p.slice(a + h, hb),
                        acts_p.slice(a + 2 * h, hb),
                        acts_p.slice(a + 3 * h, hb),
                    ],
                );
            }
        }
    });
    let last = step_index(len - 1, len, reverse);
    let mut h_n = T::pool().take_uninit(step);
    h_n.copy_from_slice(&ys[last * step..][..step]);
    [ys, h_n, c_n, acts, c_prev]
}

#[allow(clippy::too_many_arguments)]
fn backward_typed<T: CellFloat + GemmElem>(
    (len, n, h): (usize, usize, usize),
    w_hh: &[T],
    acts: &[T],
    c_prev: &[T],
    dys: Option<&[T]>,
    dh_n: Option<&[T]>,
    dc_n: Option<&[T]>,
    reverse: bool,
    blocks: &[(usize, usize)],
) -> (Vec<T>, Vec<T>) {
    let (step, step4) = (n * h, n * 4 * h);
    let mut dgates = T::pool().take_uninit(len * step4);
    let mut dc0 = T::pool().take_uninit(step);
    let dg_p = Shared(dgates.as_mut_ptr());
    let dc0_p = Shared(dc0.as_mut_ptr());
    let dg_len = dgates.len();
    // Per block: dh of its units, and the running dc (two buffers, read one, write other).
    struct Block<T: Element> {
        dh: Scratch<T>,
        dc: Scratch<T>,
        dc_next: Scratch<T>,
    }
    let mut state: Vec<Block<T>> = blocks
        .iter()
        .map(|&(u0, u1)| {
            let hb = u1 - u0;
            let mut dc = Scratch::filled(n * hb, T::ZERO);
            if let Some(d) = dc_n {
                for r in 0..n {
                    dc[r * hb..][..hb].copy_from_slice(&d[r * h + u0..][..hb]);
                }
            }
            Block {
                dh: Scratch::uninit(n * hb),
                dc,
                dc_next: Scratch::uninit(n * hb),
            }
        })
        .collect();
    crate::threads::lockstep(len, &mut state, |s, b, st| {
        // Backward visits the steps in the reverse of the forward order.
        let t = step_index(len - 1 - s, len, reverse);
        let (u0, u1) = blocks[b];
        let hb = u1 - u0;
        if s == 0 {
            match dh_n {
                Some(d) => {
                    for r in 0..n {
                        st.dh[r * hb..][..hb].copy_from_slice(&d[r * h + u0..][..hb]);
                    }
                }
                None => st.dh.fill(T::ZERO),
            }
        } else {
            // dh_t of this block's units = dGates_{later step} · W_hh[:, u0..u1].
            let later = step_index(len - s, len, reverse);
            // SAFETY: `dh` holds n rows of hb; the lhs is the later step's gate gradient
            // (n rows of 4h inside `dgates`, written by every block before this step's
            // barrier, read-only now); the rhs is W_hh's columns [u0, u1) (4h rows of
            // stride h).
            unsafe {
                gemm_call::<T>(
                    (n, 4 * h, hb),
                    st.dh.as_mut_ptr(),
                    hb,
                    false,
                    dg_p.0.add(later * step4),
                    (4 * h, 1),
                    w_hh.as_ptr().add(u0),
                    (h, 1),
                    1.0,
                    1,
                )
            };
        }
        if let Some(d) = dys {
            for r in 0..n {
                let src = &d[t * step + r * h + u0..][..hb];
                for (x, &y) in st.dh[r * hb..][..hb].iter_mut().zip(src) {
                    *x = *x + y;
                }
            }
        }
        for r in 0..n {
            let a = t * step4 + r * 4 * h + u0;
            let act = &acts[a..][..3 * h + hb];
            assert!(a + 3 * h + hb <= dg_len);
            // SAFETY: the four strips are this block's units of row r of step t's gate
            // gradient, in bounds (asserted), written by no other block.
            let dg = unsafe {
                [
                    dg_p.slice(a, hb),
                    dg_p.slice(a + h, hb),
                    dg_p.slice(a + 2 * h, hb),
                    dg_p.slice(a + 3 * h, hb),
                ]
            };
            backward_units_simd::<T>(
                [
                    &act[..hb],
                    &act[h..h + hb],
                    &act[2 * h..2 * h + hb],
                    &act[3 * h..3 * h + hb],
                ],
                &c_prev[t * step + r * h + u0..][..hb],
                &st.dh[r * hb..][..hb],
                &st.dc[r * hb..][..hb],
                dg,
                &mut st.dc_next[r * hb..][..hb],
            );
        }
        std::mem::swap(&mut st.dc, &mut st.dc_next);
        if s + 1 == len {
            for r in 0..n {
                // SAFETY: this block's units of row r of dc0 (n·h elements), which no
                // other block writes.
                unsafe { dc0_p.slice(r * h + u0, hb) }.copy_from_slice(&st.dc[r * hb..][..hb]);
            }
        }
    });
    (dgates, dc0)
}

/// Reads an optional contiguous array's elements as a slice.
fn with_opt<T: Element, R>(a: Option<&Array>, f: impl FnOnce(Option<&[T]>) -> R) -> R {
    match a {
        None => f(None),
        Some(a) => with_data(a, |s| f(Some(s))),
    }
}

/// Checks the shapes of the recurrence's operands; returns `(L, N, H)`.
#[track_caller]
fn check_shapes(
    op: &str,
    gates: &Array,
    cells: &[(&str, Option<&Array>, usize)],
    w_hh: &Array,
) -> (usize, usize, usize) {
    let gs = gates.shape();
    assert!(
        gs.len() == 3 && gs[2].is_multiple_of(4),
        "{op}: expects gates of shape (L, N, 4H), got {gs:?}"
    );
    let (len, n, h) = (gs[0], gs[1], gs[2] / 4);
    assert!(
        w_hh.shape() == [4 * h, h],
        "{op}: expects w_hh of shape ({}, {h}) for gates {gs:?}, got {:?}",
        4 * h,
        w_hh.shape()
    );
    for &(name, a, rank) in cells {
        if let Some(a) = a {
            let want: &[usize] = if rank == 3 { &[len, n, h] } else { &[n, h] };
            assert!(
                a.shape() == want,
                "{op}: expects {name} of shape {want:?}, got {:?}",
                a.shape()
            );
        }
    }
    let dt = gates.dtype();
    assert!(
        dt.is_floating_point(),
        "{op}: expects floating-point arrays, got {dt}"
    );
    for a in cells.iter().filter_map(|c| c.1).chain([w_hh]) {
        assert!(
            a.dtype() == dt,
            "{op}: dtypes differ ({dt} and {})",
            a.dtype()
        );
    }
    (len, n, h)
}

impl Array {
    /// The LSTM recurrence over a whole sequence: from the input projections of every step
    /// `xw` (`(L, N, 4H)`: `x_t·W_ihᵀ + b_ih + b_hh`, gate order `i, f, g, o` as PyTorch's),
    /// the initial states `h0`, `c0` (`(N, H)`) and `w_hh` (`(4H, H)`), runs
    /// `gates_t = xw_t + h_{t-1}·W_hhᵀ` and [`lstm_cell_forward`](Array::lstm_cell_forward)
    /// for every step, from the last to the first when `reverse`. The hidden units are split
    /// over the threads for the whole sequence (the threads meet at a barrier between steps).
    ///
    /// # Panics
    /// On shapes other than the above (`L ≥ 1`), or non-float or mixed dtypes.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// // H = 1, all weights and projections 0: every gate is 0.5, g = 0, so c halves per step.
    /// let out = Array::lstm_sequence_forward(
    ///     &Array::zeros(&[2, 1, 4], DType::F64),
    ///     &Array::zeros(&[1, 1], DType::F64),
    ///     &Array::from([[4.0f64]]),
    ///     &Array::zeros(&[4, 1], DType::F64),
    ///     false,
    /// );
    /// assert_eq!(out.c_n.to_vec::<f64>(), vec![1.0]);
    /// assert_eq!(out.ys.shape(), &[2, 1, 1]);
    /// assert!((out.h_n.to_vec::<f64>()[0] - 0.5 * 1f64.tanh()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn lstm_sequence_forward(
        xw: &Array,
        h0: &Array,
        c0: &Array,
        w_hh: &Array,
        reverse: bool,
    ) -> LstmSequenceForward {
        let (len, n, h) = check_shapes(
            "lstm_sequence_forward",
            xw,
            &[("h0", Some(h0), 2), ("c0", Some(c0), 2)],
            w_hh,
        );
        assert!(len > 0, "lstm_sequence_forward: expects at least one step");
        Self::lstm_sequence_forward_in(xw, h0, c0, w_hh, reverse, &unit_blocks(n, h), (len, n, h))
    }

    fn lstm_sequence_forward_in(
        xw: &Array,
        h0: &Array,
        c0: &Array,
        w_hh: &Array,
        reverse: bool,
        blocks: &[(usize, usize)],
        (len, n, h): (usize, usize, usize),
    ) -> LstmSequenceForward {
        let dt = xw.dtype();
        if !matches!(dt, DType::F32 | DType::F64) {
            let f = |a: &Array| a.to_dtype(DType::F32);
            let o = Self::lstm_sequence_forward_in(
                &f(xw),
                &f(h0),
                &f(c0),
                &f(w_hh),
                reverse,
                blocks,
                (len, n, h),
            );
            return LstmSequenceForward {
                ys: o.ys.to_dtype(dt),
                h_n: o.h_n.to_dtype(dt),
                c_n: o.c_n.to_dtype(dt),
                acts: o.acts.to_dtype(dt),
                c_prev: o.c_prev.to_dtype(dt),
            };
        }
        // W_hhᵀ through the tiled transposing copy; the blocks' weights are cut from it.
        let (xw, h0, c0, w_t) = (
            xw.contiguous(),
            h0.contiguous(),
            c0.contiguous(),
            w_hh.t().contiguous(),
        );
        macro_rules! go {
            ($t:ty) => {{
                let [ys, h_n, c_n, acts, c_prev] = with_data::<$t, _>(&xw, |x| {
                    with_data::<$t, _>(&h0, |hh| {
                        with_data::<$t, _>(&c0, |cc| {
                            with_data::<$t, _>(&w_t, |w| {
                                forward_typed::<$t>((len, n, h), x, hh, cc, w, reverse, blocks)
                            })
                        })
                    })
                });
                LstmSequenceForward {
                    ys: Array::from_contiguous(ys, &[len, n, h]),
                    h_n: Array::from_contiguous(h_n, &[n, h]),
                    c_n: Array::from_contiguous(c_n, &[n, h]),
                    acts: Array::from_contiguous(acts, &[len, n, 4 * h]),
                    c_prev: Array::from_contiguous(c_prev, &[len, n, h]),
                }
            }};
        }
        if dt == DType::F64 { go!(f64) } else { go!(f32) }
    }

    /// The gradient of [`lstm_sequence_forward`](Array::lstm_sequence_forward) with respect to
    /// the gates of every step and the initial cell state: from `w_hh`, the saved `acts` and
    /// `c_prev`, and the gradients of the outputs `ys` (`(L, N, H)`), `h_n` and `c_n`
    /// (`(N, H)`; `None` for zero), returns `(d gates (L, N, 4H), d c0 (N, H))`. The gradient
    /// of `xw` is `d gates`; those of `h0` and `w_hh` are products with it
    /// (`d gates_first·W_hh` and `Σ_t d gates_tᵀ·h_{t-1}`), left to the caller to batch.
    ///
    /// # Panics
    /// On mismatched shapes or dtypes.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let w = Array::zeros(&[4, 1], DType::F64);
    /// let out = Array::lstm_sequence_forward(
    ///     &Array::zeros(&[2, 1, 4], DType::F64),
    ///     &Array::zeros(&[1, 1], DType::F64),
    ///     &Array::from([[4.0f64]]),
    ///     &w,
    ///     false,
    /// );
    /// // c_n = c0 · σ(0)² = c0 / 4, so d c_n / d c0 = 1/4.
    /// let (_, dc0) = Array::lstm_sequence_backward(
    ///     &w, &out.acts, &out.c_prev, None, None, Some(&Array::from([[1.0f64]])), false,
    /// );
    /// assert_eq!(dc0.to_vec::<f64>(), vec![0.25]);
    /// ```
    #[track_caller]
    pub fn lstm_sequence_backward(
        w_hh: &Array,
        acts: &Array,
        c_prev: &Array,
        dys: Option<&Array>,
        dh_n: Option<&Array>,
        dc_n: Option<&Array>,
        reverse: bool,
    ) -> (Array, Array) {
        let (len, n, h) = check_shapes(
            "lstm_sequence_backward",
            acts,
            &[
                ("c_prev", Some(c_prev), 3),
                ("the gradient of ys", dys, 3),
                ("the gradient of h_n", dh_n, 2),
                ("the gradient of c_n", dc_n, 2),
            ],
            w_hh,
        );
        assert!(len > 0, "lstm_sequence_backward: expects at least one step");
        Self::lstm_sequence_backward_in(
            w_hh,
            acts,
            c_prev,
            [dys, dh_n, dc_n],
            reverse,
            &unit_blocks(n, h),
            (len, n, h),
        )
    }

    fn lstm_sequence_backward_in(
        w_hh: &Array,
        acts: &Array,
        c_prev: &Array,
        [dys, dh_n, dc_n]: [Option<&Array>; 3],
        reverse: bool,
        blocks: &[(usize, usize)],
        (len, n, h): (usize, usize, usize),
    ) -> (Array, Array) {
        let dt = acts.dtype();
        if !matches!(dt, DType::F32 | DType::F64) {
            let f = |a: &Array| a.to_dtype(DType::F32);
            let (a, b, c) = (dys.map(f), dh_n.map(f), dc_n.map(f));
            let (dg, dc0) = Self::lstm_sequence_backward_in(
                &f(w_hh),
                &f(acts),
                &f(c_prev),
                [a.as_ref(), b.as_ref(), c.as_ref()],
                reverse,
                blocks,
                (len, n, h),
            );
            return (dg.to_dtype(dt), dc0.to_dtype(dt));
        }
        let c = |a: &Array| a.contiguous();
        let (w_hh, acts, c_prev) = (c(w_hh), c(acts), c(c_prev));
        let (dys, dh_n, dc_n) = (dys.map(c), dh_n.map(c), dc_n.map(c));
        macro_rules! go {
            ($t:ty) => {{
                let (dg, dc0) = with_data::<$t, _>(&w_hh, |w| {
                    with_data::<$t, _>(&acts, |a| {
                        with_data::<$t, _>(&c_prev, |cp| {
                            with_opt::<$t, _>(dys.as_ref(), |dy| {
                                with_opt::<$t, _>(dh_n.as_ref(), |dh| {
                                    with_opt::<$t, _>(dc_n.as_ref(), |dc| {
                                        backward_typed::<$t>(
                                            (len, n, h),
                                            w,
                                            a,
                                            cp,
                                            dy,
                                            dh,
                                            dc,
                                            reverse,
                                            blocks,
                                        )
                                    })
                                })
                            })
                        })
                    })
                });
                (
                    Array::from_contiguous(dg, &[len, n, 4 * h]),
                    Array::from_contiguous(dc0, &[n, h]),
                )
            }};
        }
        if dt == DType::F64 { go!(f64) } else { go!(f32) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::rnn_cell::tests::values;

    #[test]
    fn unit_blocks_cover_the_units_with_aligned_inner_boundaries() {
        for h in [1, 15, 16, 17, 37, 100, 256, 1000] {
            for blocks in 1..=5 {
                let b = split_units(h, blocks);
                assert_eq!(b.first().unwrap().0, 0);
                assert_eq!(b.last().unwrap().1, h);
                for w in b.windows(2) {
                    assert_eq!(w[0].1, w[1].0);
                    assert_eq!(w[0].1 % 16, 0, "h {h} blocks {blocks}: {b:?}");
                }
                assert!(b.iter().all(|&(a, c)| c > a) && b.len() <= blocks);
            }
        }
    }

    /// The sequence kernels, with the units split into 1, 2 and 3 blocks, against the
    /// per-step composition (`addmm` + `lstm_cell_forward`/`lstm_cell_backward` + `matmul`),
    /// in both directions, with and without gradients of `ys`, `h_n` and `c_n`.
    #[test]
    fn blocks_match_the_per_step_composition() {
        let (len, n, h) = (4, 3, 37);
        let xw = Array::from_vec(values(len * n * 4 * h, 1, 4.0), &[len, n, 4 * h]);
        let h0 = Array::from_vec(values(n * h, 2, 2.0), &[n, h]);
        let c0 = Array::from_vec(values(n * h, 3, 2.0), &[n, h]);
        let w = Array::from_vec(values(4 * h * h, 4, 0.6), &[4 * h, h]);
        let dys = Array::from_vec(values(len * n * h, 5, 2.0), &[len, n, h]);
        let dh_n = Array::from_vec(values(n * h, 6, 2.0), &[n, h]);
        let dc_n = Array::from_vec(values(n * h, 7, 2.0), &[n, h]);
        for reverse in [false, true] {
            // Reference: step by step with the cell ops.
            let order: Vec<usize> = if reverse {
                (0..len).rev().collect()
            } else {
                (0..len).collect()
            };
            let (mut hh, mut cc) = (h0.clone(), c0.clone());
            let mut saved = vec![];
            let mut ys = vec![None; len];
            for &t in &order {
                let gates = xw.select(0, t).addmm(&hh, &w.t(), 1.0, 1.0);
                let (hn, cn, act) = Array::lstm_cell_forward(&gates, &cc);
                saved.push((t, act, cc.clone()));
                ys[t] = Some(hn.clone());
                hh = hn;
                cc = cn;
            }
            for grads in [
                (true, true, true),
                (true, false, false),
                (false, true, false),
                (false, false, true),
            ] {
                let (gy, gh, gc) = (
                    grads.0.then_some(&dys),
                    grads.1.then_some(&dh_n),
                    grads.2.then_some(&dc_n),
                );
                let mut dh = gh.cloned();
                let mut dc = gc.cloned();
                let mut dgs = vec![None; len];
                for (t, act, cp) in saved.iter().rev() {
                    let dh_t = match (gy, dh.take()) {
                        (Some(d), Some(x)) => Some(x.add(&d.select(0, *t))),
                        (Some(d), None) => Some(d.select(0, *t)),
                        (None, x) => x,
                    };
                    let (dg, dcp) = Array::lstm_cell_backward(act, cp, dh_t.as_ref(), dc.as_ref());
                    dh = Some(dg.matmul(&w));
                    dc = Some(dcp);
                    dgs[*t] = Some(dg);
                }
                let dgs: Vec<Array> = dgs.into_iter().map(|d| d.unwrap()).collect();
                let dg_ref = Array::stack(&dgs.iter().collect::<Vec<_>>(), 0);
                for blocks in 1..=3 {
                    let b = split_units(h, blocks);
                    assert_eq!(b.len(), blocks);
                    let out = Array::lstm_sequence_forward_in(
                        &xw,
                        &h0,
                        &c0,
                        &w,
                        reverse,
                        &b,
                        (len, n, h),
                    );
                    let ys_ref: Vec<Array> = ys.iter().map(|y| y.clone().unwrap()).collect();
                    let close = |a: &Array, b: &Array, what: &str| {
                        assert_eq!(a.shape(), b.shape(), "{what}");
                        for (x, y) in a.to_vec::<f64>().iter().zip(b.to_vec::<f64>()) {
                            assert!(
                                (x - y).abs() < 1e-12,
                                "{what} (reverse {reverse}, {blocks} blocks): {x} vs {y}"
                            );
                        }
                    };
                    close(
                        &out.ys,
                        &Array::stack(&ys_ref.iter().collect::<Vec<_>>(), 0),
                        "ys",
                    );
                    close(&out.h_n, &hh, "h_n");
                    close(&out.c_n, &cc, "c_n");
                    let (dg, dc0) = Array::lstm_sequence_backward_in(
                        &w,
                        &out.acts,
                        &out.c_prev,
                        [gy, gh, gc],
                        reverse,
                        &b,
                        (len, n, h),
                    );
                    close(&dg, &dg_ref, "d gates");
                    close(&dc0, dc.as_ref().unwrap(), "d c0");
                    // f32 runs the same path.
                    let f = |a: &Array| a.to_dtype(DType::F32);
                    let o32 = Array::lstm_sequence_forward_in(
                        &f(&xw),
                        &f(&h0),
                        &f(&c0),
                        &f(&w),
                        reverse,
                        &b,
                        (len, n, h),
                    );
                    let d = o32
                        .ys
                        .to_dtype(DType::F64)
                        .sub(&out.ys)
                        .abs()
                        .max()
                        .item::<f64>();
                    assert!(d < 1e-5, "f32 ys differ by {d}");
                }
            }
        }
    }
}
