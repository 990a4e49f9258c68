//! Padding (`torch.nn.functional.pad`): the input is copied into the middle of the output and
//! the borders are filled by copies between views of the output, one padded dim at a time
//! (the borders of a dim are derived from its interior, which by then is complete along the
//! dims already done, so corners come out right).

use crate::Array;
use crate::layout::Dims;

/// How [`Array::pad`] fills the border.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PadMode {
    /// A constant value.
    Constant,
    /// Mirror image without repeating the edge: `[1, 2, 3]` padded by 2 on the left is
    /// `[3, 2, 1, 2, 3]`. Each pad must be smaller than the size of its dim.
    Reflect,
    /// Repeat the edge element: `[1, 2, 3]` → `[1, 1, 1, 2, 3]`.
    Replicate,
    /// Wrap around: `[1, 2, 3]` → `[2, 3, 1, 2, 3]`. Each pad must be at most the size of
    /// its dim.
    Circular,
}

impl Array {
    /// Pads the array (`torch.nn.functional.pad`). `pads` lists `(left, right)` pairs starting
    /// from the LAST dim: `[l_last, r_last, l_prev, r_prev, …]`. `value` is used by
    /// [`PadMode::Constant`] only (converted to the array's dtype).
    ///
    /// Pads are non-negative; to crop, use [`narrow`](Array::narrow). Unlike PyTorch, the
    /// non-constant modes accept any number of padded dims (PyTorch limits them to the last 1
    /// to 3 dims of an input with a batch and channel dim).
    ///
    /// # Panics
    /// If `pads` has an odd length or more than two entries per dim; for `Reflect` if a pad is
    /// not smaller than its dim, for `Circular` if a pad exceeds its dim, for `Replicate` if a
    /// padded dim is empty.
    ///
    /// ```
    /// use ember_tensor::{Array, PadMode};
    /// let a = Array::from([[1i64, 2, 3]]);
    /// let c = a.pad(&[1, 2], PadMode::Constant, 9.0);
    /// assert_eq!(c.to_vec::<i64>(), vec![9, 1, 2, 3, 9, 9]);
    /// assert_eq!(a.pad(&[2, 1], PadMode::Reflect, 0.0).to_vec::<i64>(), vec![3, 2, 1, 2, 3, 2]);
    /// assert_eq!(a.pad(&[2, 0], PadMode::Replicate, 0.0).to_vec::<i64>(), vec![1, 1, 1, 2, 3]);
    /// assert_eq!(a.pad(&[1, 1], PadMode::Circular, 0.0).to_vec::<i64>(), vec![3, 1, 2, 3, 1]);
    /// let b = a.pad(&[0, 0, 1, 0], PadMode::Replicate, 0.0); // a row on top
    /// assert_eq!(b.to_vec::<i64>(), vec![1, 2, 3, 1, 2, 3]);
    /// ```
    #[track_caller]
    pub fn pad(&self, pads: &[usize], mode: PadMode, value: f64) -> Array {
        let nd = self.ndim();
        assert!(
            pads.len().is_multiple_of(2),
            "pad: the padding length must be divisible by 2, got pads {pads:?}"
        );
        assert!(
            pads.len() / 2 <= nd,
            "pad: pads {pads:?} pad {} dims but the array has shape {:?}",
            pads.len() / 2,
            self.shape()
        );
        // (dim, left, right) for each padded dim.
        let padded: Vec<(usize, usize, usize)> = pads
            .chunks(2)
            .enumerate()
            .map(|(i, p)| (nd - 1 - i, p[0], p[1]))
            .collect();
        for &(d, l, r) in &padded {
            let n = self.shape()[d];
            let ok = match mode {
                PadMode::Constant => true,
                PadMode::Reflect => l < n && r < n || l == 0 && r == 0,
                PadMode::Replicate => n > 0 || l == 0 && r == 0,
                PadMode::Circular => l <= n && r <= n,
            };
            assert!(
                ok,
                "pad: {mode:?} padding ({l}, {r}) of dimension {d} is too large for an array of \
                 shape {:?} (Reflect needs each pad < the size, Circular <= the size, \
                 Replicate a non-empty dim)",
                self.shape()
            );
        }
        let mut shape: Dims = self.shape().into();
        for &(d, l, r) in &padded {
            shape[d] += l + r;
        }
        let out = if mode == PadMode::Constant {
            Array::full(&shape, value, self.dtype())
        } else {
            Array::empty(&shape, self.dtype())
        };
        let mut center = out.clone();
        for &(d, l, _) in &padded {
            center = center.narrow(d as isize, l, self.shape()[d]);
        }
        center.copy_(self);
        if mode == PadMode::Constant {
            return out;
        }
        for &(d, l, r) in &padded {
            let n = self.shape()[d];
            let di = d as isize;
            let region = |start: usize, len: usize| out.narrow(di, start, len);
            match mode {
                PadMode::Reflect => {
                    if l > 0 {
                        region(0, l).copy_(&region(l + 1, l).flip(&[di]));
                    }
                    if r > 0 {
                        region(l + n, r).copy_(&region(l + n - 1 - r, r).flip(&[di]));
                    }
                }
                PadMode::Replicate if n > 0 => {
                    region(0, l).copy_(&region(l, 1));
                    region(l + n, r).copy_(&region(l + n - 1, 1));
                }
                PadMode::Replicate => {}
                PadMode::Circular => {
                    region(0, l).copy_(&region(n, l));
                    region(l + n, r).copy_(&region(l, r));
                }
                PadMode::Constant => unreachable!(),
            }
        }
        out
    }
}
