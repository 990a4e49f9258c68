//! Shape, strides and offset: how an array's elements sit in its storage.

use smallvec::SmallVec;

/// Dimensions and strides are kept inline up to 6 dims: no heap allocation for a layout.
pub type Dims = SmallVec<[usize; 6]>;

/// Where an array's elements are in its storage: element `(i0, i1, …)` is at
/// `offset + i0*strides[0] + i1*strides[1] + …` (in elements, not bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    shape: Dims,
    strides: Dims,
    offset: usize,
}

impl Layout {
    /// A contiguous row-major layout of `shape` starting at 0.
    pub fn contiguous(shape: &[usize]) -> Layout {
        Layout {
            shape: Dims::from_slice(shape),
            strides: contiguous_strides(shape),
            offset: 0,
        }
    }

    /// A layout from its parts (no check: callers have checked the bounds).
    pub fn new(shape: &[usize], strides: &[usize], offset: usize) -> Layout {
        debug_assert_eq!(shape.len(), strides.len());
        Layout {
            shape: Dims::from_slice(shape),
            strides: Dims::from_slice(strides),
            offset,
        }
    }

    /// The size of each dimension.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Elements to step in storage per step along each dimension.
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// Position of element `(0, 0, …)` in storage.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the elements are in row-major order with no gaps (size-1 dims may have any
    /// stride, as in PyTorch).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1;
        for (&n, &s) in self.shape.iter().zip(&self.strides).rev() {
            if n == 0 {
                return true;
            }
            if n != 1 {
                if s != expected {
                    return false;
                }
                expected *= n;
            }
        }
        true
    }

    /// One past the largest storage index this layout touches (0 when empty).
    pub fn storage_span(&self) -> usize {
        if self.numel() == 0 {
            return 0;
        }
        self.offset
            + self
                .shape
                .iter()
                .zip(&self.strides)
                .map(|(&n, &s)| (n - 1) * s)
                .sum::<usize>()
            + 1
    }

    /// The strides that let `new_shape` view the same elements without copying, or `None`
    /// when no such strides exist (PyTorch's `computeStride`).
    pub fn view_strides(&self, new_shape: &[usize]) -> Option<Dims> {
        let old_shape = &self.shape;
        let old_strides = &self.strides;
        if self.numel() == 0 {
            return Some(contiguous_strides(new_shape));
        }
        let mut new_strides: Dims = smallvec::smallvec![0; new_shape.len()];
        // Walk the old dims from the back in "chunks" that are contiguous among themselves;
        // each chunk must be covered exactly by a run of new dims.
        let mut view_d = new_shape.len() as isize - 1;
        let mut chunk_base_stride = *old_strides.last().unwrap_or(&1);
        let mut tensor_numel = 1usize;
        let mut view_numel = 1usize;
        for tensor_d in (0..old_shape.len()).rev() {
            tensor_numel *= old_shape[tensor_d];
            let chunk_ends = tensor_d == 0
                || (old_shape[tensor_d - 1] != 1
                    && old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride);
            if chunk_ends {
                while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1)
                {
                    new_strides[view_d as usize] = view_numel * chunk_base_stride;
                    view_numel *= new_shape[view_d as usize];
                    view_d -= 1;
                }
                if view_numel != tensor_numel {
                    return None;
                }
                if tensor_d > 0 {
                    chunk_base_stride = old_strides[tensor_d - 1];
                    tensor_numel = 1;
                    view_numel = 1;
                }
            }
        }
        if view_d != -1 {
            return None;
        }
        Some(new_strides)
    }
}

/// Row-major strides for `shape`.
pub fn contiguous_strides(shape: &[usize]) -> Dims {
    // Copied from the shape and overwritten in place: one pass, no zero-fill (this runs for
    // every new array, so it is on the per-op path of small tensors).
    let mut strides = Dims::from_slice(shape);
    let mut acc = 1;
    for s in strides.iter_mut().rev() {
        let n = *s;
        *s = acc;
        acc *= n.max(1);
    }
    strides
}

/// The broadcast shape of two shapes (numpy rules), or `None` when they do not broadcast.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Dims> {
    let n = a.len().max(b.len());
    let mut out: Dims = smallvec::smallvec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

/// Normalises a possibly negative dim against `ndim` dims, panicking with the op's name.
#[track_caller]
pub fn normalize_dim(op: &str, dim: isize, ndim: usize) -> usize {
    let n = ndim.max(1) as isize;
    if dim < -n || dim >= n {
        panic!(
            "{op}: dimension {dim} is out of range for a {ndim}-d array (expected a dim in [{}, {}])",
            -n,
            n - 1
        );
    }
    if dim < 0 {
        (dim + n) as usize
    } else {
        dim as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_strides_of_transposed_is_none_when_merging() {
        let l = Layout::new(&[3, 4], &[1, 3], 0); // a transposed [4,3]
        assert!(l.view_strides(&[12]).is_none());
        assert_eq!(l.view_strides(&[3, 2, 2]).unwrap().as_slice(), &[1, 6, 3]);
    }

    #[test]
    fn view_strides_contiguous() {
        let l = Layout::contiguous(&[2, 3, 4]);
        assert_eq!(l.view_strides(&[6, 4]).unwrap().as_slice(), &[4, 1]);
        assert_eq!(
            l.view_strides(&[2, 1, 12]).unwrap().as_slice(),
            &[12, 12, 1]
        );
    }

    #[test]
    fn broadcast() {
        assert_eq!(broadcast_shapes(&[3, 1], &[4]).unwrap().as_slice(), &[3, 4]);
        assert!(broadcast_shapes(&[3], &[4]).is_none());
        assert_eq!(broadcast_shapes(&[0, 1], &[5]).unwrap().as_slice(), &[0, 5]);
    }
}
