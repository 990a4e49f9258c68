//! Fused LSTM cell kernels: the element-wise part of one LSTM time step (four gate activations,
//! the cell update and the output) in one pass forward and one pass backward, instead of the
//! dozen separate ops (and as many buffers) that composing it from `sigmoid`, `tanh`, `mul` and
//! `add` costs per step. An LSTM spends most of its time in these small per-step ops, so this is
//! where a recurrent layer wins or loses against PyTorch (which runs them unfused on the CPU).
//!
//! Gate order is PyTorch's: the `4H` pre-activations of a row are `[i | f | g | o]`.

use std::ops::{Add, Mul, Sub};

use crate::Array;
use crate::dtype::{DType, Element};
use crate::vmath::FastMath;

/// The float types the kernels run in (f16/bf16 go through f32).
pub(crate) trait CellFloat:
    Element + FastMath + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self>
{
    fn recip(self) -> Self;
}
impl CellFloat for f32 {
    #[inline(always)]
    fn recip(self) -> f32 {
        1.0 / self
    }
}
impl CellFloat for f64 {
    #[inline(always)]
    fn recip(self) -> f64 {
        1.0 / self
    }
}

#[inline(always)]
fn sigmoid<T: CellFloat>(x: T) -> T {
    (T::ONE + (T::ZERO - x).fexp()).recip()
}

/// Reads a contiguous array's elements as a slice.
pub(crate) fn with_data<T: Element, R>(a: &Array, f: impl FnOnce(&[T]) -> R) -> R {
    let (off, n) = (a.storage_offset(), a.numel());
    a.with_slice(|s: &[T]| f(&s[off..off + n]))
}

/// One row of the forward pass (`h` values of the hidden size).
#[inline(always)]
fn forward_row<T: CellFloat>(
    gates: &[T],
    c: &[T],
    h_out: &mut [T],
    c_out: &mut [T],
    act: &mut [T],
) {
    let hs = c.len();
    let (gi, rest) = gates.split_at(hs);
    let (gf, rest) = rest.split_at(hs);
    let (gg, go) = rest.split_at(hs);
    let (ai, rest) = act.split_at_mut(hs);
    let (af, rest) = rest.split_at_mut(hs);
    let (ag, ao) = rest.split_at_mut(hs);
    forward_units([gi, gf, gg, go], c, h_out, c_out, [ai, af, ag, ao]);
}

/// The forward pass of the hidden units `c.len()` of one row, from the four gate strips
/// (pre-activations `i, f, g, o`) to `h'`, `c'` and the four activated strips.
#[inline(always)]
pub(crate) fn forward_units<T: CellFloat>(
    gates: [&[T]; 4],
    c: &[T],
    h_out: &mut [T],
    c_out: &mut [T],
    act: [&mut [T]; 4],
) {
    units(Strips(heads(gates, c.len())), c, h_out, c_out, act);
}

/// [`forward_units`] with the pre-activations split in two addends, `gates + extra` (the
/// recurrent product and the input projection of the sequence kernel), summed as they are
/// read instead of in a pass of their own.
#[inline(always)]
pub(crate) fn forward_units_sum<T: CellFloat>(
    gates: [&[T]; 4],
    extra: [&[T]; 4],
    c: &[T],
    h_out: &mut [T],
    c_out: &mut [T],
    act: [&mut [T]; 4],
) {
    let hs = c.len();
    let pre = StripSums(heads(gates, hs), heads(extra, hs));
    units(pre, c, h_out, c_out, act);
}

/// The first `n` elements of each of four strips (written out: see [`StripSums::at`]).
#[inline(always)]
fn heads<T>(s: [&[T]; 4], n: usize) -> [&[T]; 4] {
    [&s[0][..n], &s[1][..n], &s[2][..n], &s[3][..n]]
}

/// Where a unit's four pre-activations come from (a trait rather than a closure, so that it is
/// certain to inline into the SIMD-compiled loop).
trait PreActivations<T> {
    /// The pre-activations `[i, f, g, o]` of unit `j`.
    fn at(&self, j: usize) -> [T; 4];
}

/// Four gate strips.
struct Strips<'a, T>([&'a [T]; 4]);

impl<T: CellFloat> PreActivations<T> for Strips<'_, T> {
    #[inline(always)]
    fn at(&self, j: usize) -> [T; 4] {
        let g = &self.0;
        [g[0][j], g[1][j], g[2][j], g[3][j]]
    }
}

/// Four gate strips plus four more, element by element.
struct StripSums<'a, T>([&'a [T]; 4], [&'a [T]; 4]);

impl<T: CellFloat> PreActivations<T> for StripSums<'_, T> {
    #[inline(always)]
    fn at(&self, j: usize) -> [T; 4] {
        // Written out: with array `map`s here the loop stopped vectorising (the sequence
        // kernel's forward ran 4x slower).
        let (a, b) = (&self.0, &self.1);
        [
            a[0][j] + b[0][j],
            a[1][j] + b[1][j],
            a[2][j] + b[2][j],
            a[3][j] + b[3][j],
        ]
    }
}

/// The loop of [`forward_units`] over the units `c.len()`.
#[inline(always)]
fn units<T: CellFloat>(
    pre: impl PreActivations<T>,
    c: &[T],
    h_out: &mut [T],
    c_out: &mut [T],
    [ai, af, ag, ao]: [&mut [T]; 4],
) {
    let hs = c.len();
    let (h_out, c_out) = (&mut h_out[..hs], &mut c_out[..hs]);
    let (ai, af, ag, ao) = (&mut ai[..hs], &mut af[..hs], &mut ag[..hs], &mut ao[..hs]);
    for j in 0..hs {
        let [i, f, g, o, cn, hn] = cell_unit(pre.at(j), c[j]);
        (ai[j], af[j], ag[j], ao[j], c_out[j], h_out[j]) = (i, f, g, o, cn, hn);
    }
}

/// One hidden unit: from the pre-activations `[i, f, g, o]` and the cell state `c`, the
/// activated gates, the new cell state and the new hidden state.
#[inline(always)]
fn cell_unit<T: CellFloat>([pi, pf, pg, po]: [T; 4], c: T) -> [T; 6] {
    let i = sigmoid(pi);
    let f = sigmoid(pf);
    let g = pg.ftanh();
    let o = sigmoid(po);
    let cn = f * c + i * g;
    [i, f, g, o, cn, o * cn.ftanh()]
}

/// One row of the backward pass.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_row<T: CellFloat>(
    act: &[T],
    c_prev: &[T],
    dh: Option<&[T]>,
    dc: Option<&[T]>,
    dgates: &mut [T],
    dc_prev: &mut [T],
) {
    let hs = c_prev.len();
    let (ai, rest) = act.split_at(hs);
    let (af, rest) = rest.split_at(hs);
    let (ag, ao) = rest.split_at(hs);
    let (di, rest) = dgates.split_at_mut(hs);
    let (df, rest) = rest.split_at_mut(hs);
    let (dg, d_o) = rest.split_at_mut(hs);
    backward_units([ai, af, ag, ao], c_prev, dh, dc, [di, df, dg, d_o], dc_prev);
}

/// The backward pass of the hidden units `c_prev.len()` of one row: from the four activated
/// gate strips, the step's input cell state and the gradients of `h'` and `c'` (`None` for
/// zero), the four gate-gradient strips and the gradient of the input cell state.
#[inline(always)]
fn backward_units<T: CellFloat>(
    [ai, af, ag, ao]: [&[T]; 4],
    c_prev: &[T],
    dh: Option<&[T]>,
    dc: Option<&[T]>,
    [di, df, dg, d_o]: [&mut [T]; 4],
    dc_prev: &mut [T],
) {
    let hs = c_prev.len();
    let (ai, af, ag, ao) = (&ai[..hs], &af[..hs], &ag[..hs], &ao[..hs]);
    let (di, df, dg, d_o) = (&mut di[..hs], &mut df[..hs], &mut dg[..hs], &mut d_o[..hs]);
    let dc_prev = &mut dc_prev[..hs];
    for j in 0..hs {
        let (i, f, g, o) = (ai[j], af[j], ag[j], ao[j]);
        // c' is recomputed (one multiply-add) rather than saved.
        let tc = (f * c_prev[j] + i * g).ftanh();
        let dhj = dh.map_or(T::ZERO, |d| d[j]);
        let dcj = dc.map_or(T::ZERO, |d| d[j]) + dhj * o * (T::ONE - tc * tc);
        di[j] = dcj * g * i * (T::ONE - i);
        df[j] = dcj * c_prev[j] * f * (T::ONE - f);
        dg[j] = dcj * i * (T::ONE - g * g);
        d_o[j] = dhj * tc * o * (T::ONE - o);
        dc_prev[j] = dcj * f;
    }
}

/// Runs `body` compiled for AVX-512 or AVX2+FMA when the CPU has them (as `vmath::simd_map`
/// does), so the row loops above are vectorised; the body is instantiated inside each
/// target-feature function.
macro_rules! dispatch_simd {
    ($name:ident, $body:ident, ($($arg:ident : $ty:ty),*)) => {
        #[allow(clippy::too_many_arguments)]
        fn $name<T: CellFloat>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,fma")]
                #[allow(clippy::too_many_arguments)]
                fn avx512<T: CellFloat>($($arg: $ty),*) {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn avx2<T: CellFloat>($($arg: $ty),*) {
                    $body($($arg),*)
                }
                if is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512vl")
                    && is_x86_feature_detected!("avx512dq")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU supports every feature `avx512` is compiled for.
                    unsafe { avx512($($arg),*) };
                    return;
                }
                if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU supports AVX2 and FMA (checked above).
                    unsafe { avx2($($arg),*) };
                    return;
                }
            }
            $body($($arg),*)
        }
    };
}

#[inline(always)]
fn forward_all<T: CellFloat>(
    h: usize,
    gates: &[T],
    c: &[T],
    h_out: &mut [T],
    c_out: &mut [T],
    act: &mut [T],
) {
    let rows = c.len() / h;
    for r in 0..rows {
        let (a, b) = (r * h, (r + 1) * h);
        forward_row(
            &gates[4 * a..4 * b],
            &c[a..b],
            &mut h_out[a..b],
            &mut c_out[a..b],
            &mut act[4 * a..4 * b],
        );
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_all<T: CellFloat>(
    h: usize,
    act: &[T],
    c_prev: &[T],
    dh: Option<&[T]>,
    dc: Option<&[T]>,
    dgates: &mut [T],
    dc_prev: &mut [T],
) {
    let rows = c_prev.len() / h;
    for r in 0..rows {
        let (a, b) = (r * h, (r + 1) * h);
        backward_row(
            &act[4 * a..4 * b],
            &c_prev[a..b],
            dh.map(|d| &d[a..b]),
            dc.map(|d| &d[a..b]),
            &mut dgates[4 * a..4 * b],
            &mut dc_prev[a..b],
        );
    }
}

pub(crate) use dispatch_simd;

dispatch_simd!(forward_simd, forward_all, (h: usize, gates: &[T], c: &[T], h_out: &mut [T], c_out: &mut [T], act: &mut [T]));
dispatch_simd!(backward_simd, backward_all, (h: usize, act: &[T], c_prev: &[T], dh: Option<&[T]>, dc: Option<&[T]>, dgates: &mut [T], dc_prev: &mut [T]));

/// The float dtype the kernels compute in, after checking the shapes.
#[track_caller]
fn check(op: &str, gates_like: &Array, c_like: &[&Array]) -> (DType, usize) {
    let shape = c_like[0].shape();
    assert!(
        shape.len() == 2 && gates_like.shape() == [shape[0], 4 * shape[1]],
        "{op}: expects gates (N, 4H) and cell states (N, H), got {:?} and {:?}",
        gates_like.shape(),
        shape
    );
    for c in c_like {
        assert!(
            c.shape() == shape,
            "{op}: cell-sized inputs must all be {:?}, got {:?}",
            shape,
            c.shape()
        );
        assert!(
            c.dtype() == gates_like.dtype(),
            "{op}: dtypes differ ({} and {})",
            gates_like.dtype(),
            c.dtype()
        );
    }
    let dt = gates_like.dtype();
    assert!(
        dt.is_floating_point(),
        "{op}: expects floating-point arrays, got {dt}"
    );
    (dt, shape[1])
}

impl Array {
    /// The element-wise part of one LSTM step, fused: from the gate pre-activations `gates`
    /// (`(N, 4H)`, PyTorch's order `i, f, g, o`: `x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh`) and the cell
    /// state `c` (`(N, H)`), returns `(h', c', act)`: `c' = σ(f)·c + σ(i)·tanh(g)`,
    /// `h' = σ(o)·tanh(c')`, and the activated gates `act` (`(N, 4H)`) that
    /// [`lstm_cell_backward`](Array::lstm_cell_backward) needs.
    ///
    /// # Panics
    /// On shapes other than `(N, 4H)` and `(N, H)`, or non-float or mixed dtypes.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// // H = 1, all pre-activations 0: i = f = o = 0.5, g = 0.
    /// let (h, c, _) = Array::lstm_cell_forward(&Array::zeros(&[1, 4], ember_tensor::DType::F64), &Array::from([[2.0f64]]));
    /// assert_eq!(c.to_vec::<f64>(), vec![1.0]); // 0.5·2 + 0.5·0
    /// assert!((h.to_vec::<f64>()[0] - 0.5 * 1f64.tanh()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn lstm_cell_forward(gates: &Array, c: &Array) -> (Array, Array, Array) {
        let (dt, h) = check("lstm_cell_forward", gates, &[c]);
        let (n4, nh) = (gates.numel(), c.numel());
        let run = |gates: &Array, c: &Array| -> (Array, Array, Array) {
            let (g, cc) = (gates.contiguous(), c.contiguous());
            macro_rules! go {
                ($t:ty) => {{
                    let mut h_out = <$t>::pool().take_filled(nh, <$t>::ZERO);
                    let mut c_out = <$t>::pool().take_filled(nh, <$t>::ZERO);
                    let mut act = <$t>::pool().take_filled(n4, <$t>::ZERO);
                    with_data::<$t, _>(&g, |gs| {
                        with_data::<$t, _>(&cc, |cs| {
                            forward_simd::<$t>(h, gs, cs, &mut h_out, &mut c_out, &mut act)
                        })
                    });
                    (
                        Array::from_contiguous(h_out, c.shape()),
                        Array::from_contiguous(c_out, c.shape()),
                        Array::from_contiguous(act, gates.shape()),
                    )
                }};
            }
            if g.dtype() == DType::F64 {
                go!(f64)
            } else {
                go!(f32)
            }
        };
        match dt {
            DType::F32 | DType::F64 => run(gates, c),
            _ => {
                let (h1, c1, a1) = run(&gates.to_dtype(DType::F32), &c.to_dtype(DType::F32));
                (h1.to_dtype(dt), c1.to_dtype(dt), a1.to_dtype(dt))
            }
        }
    }

    /// The gradient of [`lstm_cell_forward`](Array::lstm_cell_forward): from its saved `act`,
    /// the step's input cell state `c_prev`, and the gradients of `h'` and `c'` (`None` for
    /// zero), returns `(d gates, d c_prev)`.
    ///
    /// # Panics
    /// On mismatched shapes or dtypes.
    ///
    /// ```
    /// use ember_tensor::{Array, DType};
    /// let gates = Array::zeros(&[1, 4], DType::F64);
    /// let c = Array::from([[2.0f64]]);
    /// let (_, _, act) = Array::lstm_cell_forward(&gates, &c);
    /// // d c'/d c = σ(f) = 0.5.
    /// let (_, dc) = Array::lstm_cell_backward(&act, &c, None, Some(&Array::from([[1.0f64]])));
    /// assert_eq!(dc.to_vec::<f64>(), vec![0.5]);
    /// ```
    #[track_caller]
    pub fn lstm_cell_backward(
        act: &Array,
        c_prev: &Array,
        dh: Option<&Array>,
        dc: Option<&Array>,
    ) -> (Array, Array) {
        let mut cells = vec![c_prev];
        cells.extend(dh);
        cells.extend(dc);
        let (dt, h) = check("lstm_cell_backward", act, &cells);
        let run = |act: &Array, cp: &Array, dh: Option<&Array>, dc: Option<&Array>| {
            let (a, cp) = (act.contiguous(), cp.contiguous());
            let (dh, dc) = (dh.map(Array::contiguous), dc.map(Array::contiguous));
            macro_rules! go {
                ($t:ty) => {{
                    let mut dg = <$t>::pool().take_filled(a.numel(), <$t>::ZERO);
                    let mut dcp = <$t>::pool().take_filled(cp.numel(), <$t>::ZERO);
                    let dhv: Option<Vec<$t>> =
                        dh.as_ref().map(|d| with_data::<$t, _>(d, |s| s.to_vec()));
                    let dcv: Option<Vec<$t>> =
                        dc.as_ref().map(|d| with_data::<$t, _>(d, |s| s.to_vec()));
                    with_data::<$t, _>(&a, |sa| {
                        with_data::<$t, _>(&cp, |sp| {
                            backward_simd::<$t>(
                                h,
                                sa,
                                sp,
                                dhv.as_deref(),
                                dcv.as_deref(),
                                &mut dg,
                                &mut dcp,
                            )
                        })
                    });
                    (
                        Array::from_contiguous(dg, a.shape()),
                        Array::from_contiguous(dcp, cp.shape()),
                    )
                }};
            }
            if a.dtype() == DType::F64 {
                go!(f64)
            } else {
                go!(f32)
            }
        };
        match dt {
            DType::F32 | DType::F64 => run(act, c_prev, dh, dc),
            _ => {
                let f = |a: &Array| a.to_dtype(DType::F32);
                let (dh32, dc32) = (dh.map(f), dc.map(f));
                let (g, c) = run(&f(act), &f(c_prev), dh32.as_ref(), dc32.as_ref());
                (g.to_dtype(dt), c.to_dtype(dt))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The cell composed from scalar f64 formulas, for comparison.
    fn reference(gates: &[f64], c: &[f64], h: usize) -> (Vec<f64>, Vec<f64>) {
        let s = |x: f64| 1.0 / (1.0 + (-x).exp());
        let rows = c.len() / h;
        let (mut ho, mut co) = (vec![0.0; c.len()], vec![0.0; c.len()]);
        for r in 0..rows {
            for j in 0..h {
                let g = |k: usize| gates[r * 4 * h + k * h + j];
                let cn = s(g(1)) * c[r * h + j] + s(g(0)) * g(2).tanh();
                co[r * h + j] = cn;
                ho[r * h + j] = s(g(3)) * cn.tanh();
            }
        }
        (ho, co)
    }

    /// Deterministic test values in `[-scale/2, scale/2)`.
    pub(crate) fn values(n: usize, seed: u64, scale: f64) -> Vec<f64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * scale
            })
            .collect()
    }

    #[test]
    fn forward_matches_the_formulas_in_f64_and_f32() {
        let (n, h) = (3, 37); // 37: not a multiple of any vector width
        let g = values(n * 4 * h, 1, 6.0);
        let c = values(n * h, 2, 6.0);
        let (rh, rc) = reference(&g, &c, h);
        let ga = Array::from_vec(g.clone(), &[n, 4 * h]);
        let ca = Array::from_vec(c.clone(), &[n, h]);
        let (ho, co, _) = Array::lstm_cell_forward(&ga, &ca);
        for (a, b) in ho
            .to_vec::<f64>()
            .iter()
            .zip(&rh)
            .chain(co.to_vec::<f64>().iter().zip(&rc))
        {
            assert!((a - b).abs() < 1e-14, "{a} vs {b}");
        }
        let (ho, co, _) =
            Array::lstm_cell_forward(&ga.to_dtype(DType::F32), &ca.to_dtype(DType::F32));
        for (a, b) in ho
            .to_vec::<f32>()
            .iter()
            .zip(&rh)
            .chain(co.to_vec::<f32>().iter().zip(&rc))
        {
            assert!((*a as f64 - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn backward_matches_central_differences() {
        let (n, h) = (2, 5);
        let g = values(n * 4 * h, 3, 6.0);
        let c = values(n * h, 4, 6.0);
        let wh = values(n * h, 5, 6.0); // loss = Σ wh·h' + wc·c'
        let wc = values(n * h, 6, 6.0);
        let loss = |g: &[f64], c: &[f64]| {
            let (ho, co) = reference(g, c, h);
            ho.iter()
                .zip(&wh)
                .chain(co.iter().zip(&wc))
                .map(|(a, b)| a * b)
                .sum::<f64>()
        };
        let ga = Array::from_vec(g.clone(), &[n, 4 * h]);
        let ca = Array::from_vec(c.clone(), &[n, h]);
        let (_, _, act) = Array::lstm_cell_forward(&ga, &ca);
        let (dg, dc) = Array::lstm_cell_backward(
            &act,
            &ca,
            Some(&Array::from_vec(wh.clone(), &[n, h])),
            Some(&Array::from_vec(wc.clone(), &[n, h])),
        );
        let eps = 1e-6;
        let num = |v: &[f64], k: usize, which: bool| {
            let (mut p, mut m) = (v.to_vec(), v.to_vec());
            p[k] += eps;
            m[k] -= eps;
            if which {
                (loss(&p, &c) - loss(&m, &c)) / (2.0 * eps)
            } else {
                (loss(&g, &p) - loss(&g, &m)) / (2.0 * eps)
            }
        };
        for (k, a) in dg.to_vec::<f64>().iter().enumerate() {
            assert!((a - num(&g, k, true)).abs() < 1e-7, "d gates[{k}]");
        }
        for (k, a) in dc.to_vec::<f64>().iter().enumerate() {
            assert!((a - num(&c, k, false)).abs() < 1e-7, "d c[{k}]");
        }
        // Absent gradients are zeros.
        let (dg0, dc0) = Array::lstm_cell_backward(&act, &ca, None, None);
        assert!(
            dg0.to_vec::<f64>()
                .iter()
                .chain(&dc0.to_vec::<f64>())
                .all(|&v| v == 0.0)
        );
    }
}
