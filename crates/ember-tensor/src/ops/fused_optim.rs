//! Fused optimizer updates: one pass over a parameter and its state instead of one pass per
//! arithmetic op (what PyTorch's `fused=True` / `foreach` optimizer kernels do).
//!
//! SGD with momentum composed from in-place ops is three passes — `buf.mul_(m)`,
//! `buf.add_(g, alpha=1-d)`, `p.add_(buf, alpha=-lr)` — reading 5 arrays and writing 3; fused,
//! it reads 3 and writes 2, with the same roundings in the same order, so the result is
//! bit-for-bit that of the composed ops.

use rayon::prelude::*;

use crate::Array;
use crate::dtype::DType;

/// Chunk of elements one task updates when the update is split over threads.
const CHUNK: usize = 1 << 15;

impl Array {
    /// SGD with momentum, in place, in one pass over `self` (the parameter), `buf` (its
    /// momentum buffer) and `grad`: `buf = momentum·buf + (1 − dampening)·grad`, then
    /// `self −= lr·u` with `u = grad + momentum·buf` (Nesterov) or `u = buf`. The result is
    /// bit-for-bit that of the composed ops (PyTorch's `torch.optim.SGD` step).
    ///
    /// # Panics
    /// Unless the three arrays are contiguous f32 or f64 arrays of one shape and dtype, and
    /// `buf` and `grad` share no storage with `self` (nor `buf` with `grad`).
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let p = Array::from([1.0f32, 2.0]);
    /// let buf = Array::from([0.5f32, -1.0]);
    /// let g = Array::from([1.0f32, 1.0]);
    /// p.sgd_momentum_(&buf, &g, 0.5, 0.5, 0.0, false); // lr 0.5, momentum 0.5
    /// assert_eq!(buf.to_vec::<f32>(), vec![1.25, 0.5]); // 0.5·buf + g
    /// assert_eq!(p.to_vec::<f32>(), vec![0.375, 1.75]); // p − 0.5·buf
    /// ```
    #[track_caller]
    pub fn sgd_momentum_(
        &self,
        buf: &Array,
        grad: &Array,
        lr: f64,
        momentum: f64,
        dampening: f64,
        nesterov: bool,
    ) {
        let op = "sgd_momentum_";
        for (name, a) in [("buf", buf), ("grad", grad)] {
            assert!(
                a.shape() == self.shape() && a.dtype() == self.dtype(),
                "{op}: {name} has shape {:?} and dtype {}, the parameter {:?} and {}",
                a.shape(),
                a.dtype(),
                self.shape(),
                self.dtype()
            );
        }
        assert!(
            self.is_contiguous() && buf.is_contiguous() && grad.is_contiguous(),
            "{op}: the parameter, buffer and gradient must be contiguous (strides {:?}, {:?}, \
             {:?})",
            self.strides(),
            buf.strides(),
            grad.strides()
        );
        assert!(
            !buf.shares_storage(self) && !grad.shares_storage(self) && !grad.shares_storage(buf),
            "{op}: the parameter, buffer and gradient must be three separate arrays"
        );
        match self.dtype() {
            DType::F32 => sgd_typed::<f32>(self, buf, grad, [lr, momentum, dampening], nesterov),
            DType::F64 => sgd_typed::<f64>(self, buf, grad, [lr, momentum, dampening], nesterov),
            dt => panic!("{op}: only f32 and f64 arrays are supported, got {dt}"),
        }
    }
}

/// The update on the contiguous runs of the three arrays.
fn sgd_typed<T>(p: &Array, buf: &Array, grad: &Array, [lr, m, d]: [f64; 3], nesterov: bool)
where
    T: crate::dtype::Element + num_traits::Float + Send + Sync,
{
    let c = |x: f64| T::from(x).expect("a finite hyper-parameter");
    // The composed ops' factors: mul_(m), add_(g, alpha = 1 - d), add_(u, alpha = -lr).
    let (m, keep, neg_lr) = (c(m), c(1.0 - d), c(-lr));
    let n = p.numel();
    let (po, bo, go) = (
        p.storage_offset(),
        buf.storage_offset(),
        grad.storage_offset(),
    );
    let update = |ps: &mut [T], bs: &mut [T], gs: &[T]| {
        for ((x, b), &g) in ps.iter_mut().zip(bs.iter_mut()).zip(gs) {
            *b = *b * m + keep * g;
            let u = if nesterov { g + m * *b } else { *b };
            *x = *x + neg_lr * u;
        }
    };
    grad.with_slice(|gs: &[T]| {
        buf.with_slice_mut(|bs: &mut [T]| {
            p.with_slice_mut(|ps: &mut [T]| {
                let (ps, bs, gs) = (&mut ps[po..po + n], &mut bs[bo..bo + n], &gs[go..go + n]);
                if n >= crate::strided::PAR_THRESHOLD {
                    ps.par_chunks_mut(CHUNK)
                        .zip(bs.par_chunks_mut(CHUNK))
                        .zip(gs.par_chunks(CHUNK))
                        .for_each(|((p, b), g)| update(p, b, g));
                } else {
                    update(ps, bs, gs);
                }
            })
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The composed ops the fused update replaces (`torch.optim.SGD`'s step).
    fn composed(p: &Array, buf: &Array, g: &Array, lr: f64, m: f64, d: f64, nesterov: bool) {
        let one = Array::scalar(1.0f64).to_dtype(p.dtype());
        buf.mul_(m);
        buf.addcmul_(g, &one, 1.0 - d);
        let u = if nesterov {
            g.addcmul(buf, &one, m)
        } else {
            buf.clone()
        };
        p.addcmul_(&u, &one, -lr);
    }

    #[test]
    fn matches_the_composed_ops_bit_for_bit() {
        for dtype in [DType::F32, DType::F64] {
            // Sizes on both sides of the threaded path, and offset views.
            for n in [1usize, 7, 1000, crate::strided::PAR_THRESHOLD + 123] {
                for (nesterov, d) in [(false, 0.0), (true, 0.0), (false, 0.3)] {
                    let mk = |seed: u64| {
                        let mut g = crate::Generator::new(seed);
                        Array::randn_with(&[n + 2], DType::F64, &mut g)
                            .to_dtype(dtype)
                            .narrow(0, 1, n)
                    };
                    let (p1, b1, g1) = (mk(1).contiguous(), mk(2).contiguous(), mk(3));
                    let (p2, b2) = (p1.clone_array(), b1.clone_array());
                    assert!(g1.storage_offset() == 1 && g1.is_contiguous());
                    for _ in 0..3 {
                        p1.sgd_momentum_(&b1, &g1, 0.05, 0.9, d, nesterov);
                        composed(&p2, &b2, &g1, 0.05, 0.9, d, nesterov);
                    }
                    let bits = |a: &Array| -> Vec<u64> {
                        a.to_dtype(DType::F64)
                            .to_vec::<f64>()
                            .iter()
                            .map(|x| x.to_bits())
                            .collect()
                    };
                    assert_eq!(bits(&b1), bits(&b2), "{dtype} n={n} nesterov={nesterov}");
                    assert_eq!(bits(&p1), bits(&p2), "{dtype} n={n} nesterov={nesterov}");
                }
            }
        }
    }

    #[test]
    fn hand_computed_step() {
        let p = Array::from([1.0f64, -2.0]);
        let buf = Array::from([0.5f64, 0.25]);
        let g = Array::from([2.0f64, -4.0]);
        p.sgd_momentum_(&buf, &g, 0.5, 0.5, 0.5, true);
        // buf = 0.5·buf + 0.5·g = [1.25, -1.875]; u = g + 0.5·buf = [2.625, -4.9375]
        assert_eq!(buf.to_vec::<f64>(), vec![1.25, -1.875]);
        assert_eq!(
            p.to_vec::<f64>(),
            vec![1.0 - 0.5 * 2.625, -2.0 + 0.5 * 4.9375]
        );
    }

    #[test]
    #[should_panic(expected = "sgd_momentum_: buf has shape [3]")]
    fn shape_mismatch_panics_with_the_shapes() {
        let p = Array::zeros(&[2], DType::F32);
        p.sgd_momentum_(
            &Array::zeros(&[3], DType::F32),
            &Array::zeros(&[2], DType::F32),
            0.1,
            0.9,
            0.0,
            false,
        );
    }

    #[test]
    #[should_panic(expected = "must be contiguous")]
    fn strided_parameter_panics() {
        let p = Array::zeros(&[2, 2], DType::F32);
        let z = Array::zeros(&[2, 2], DType::F32);
        p.t()
            .sgd_momentum_(&z, &z.clone_array(), 0.1, 0.9, 0.0, false);
    }
}
