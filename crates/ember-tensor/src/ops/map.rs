//! Element-wise engines: apply a scalar closure over one, two or three broadcast operands.
//! Every element-wise op in the crate is a closure handed to one of these.

use crate::Array;
use crate::dtype::Element;
use crate::layout::{Dims, Layout, broadcast_shapes};
use crate::strided::{
    PAR_THRESHOLD, PAR_THRESHOLD_HEAVY, Walk, fill_flat, fill_runs, fill_runs_from, run1, run2,
    scatter_runs,
};

/// `as`-style conversion between element types (through f64 for floats, i64 for integers so
/// large i64 values survive).
#[inline(always)]
pub(crate) fn cast<S: Element, D: Element>(x: S) -> D {
    if S::DTYPE.is_floating_point() || D::DTYPE.is_floating_point() {
        D::from_f64(x.to_f64())
    } else {
        D::from_i64(x.to_i64())
    }
}

/// Strides that make `layout` read as `shape` (which it broadcasts to): 0 on broadcast dims.
pub(crate) fn broadcast_strides(layout: &Layout, shape: &[usize]) -> Dims {
    let nd = shape.len();
    let off = nd - layout.ndim();
    let mut st: Dims = smallvec::smallvec![0; nd];
    for d in 0..layout.ndim() {
        if layout.shape()[d] != 1 || shape[d + off] == 1 {
            st[d + off] = layout.strides()[d];
        }
    }
    st
}

/// The broadcast shape of the operands, or a panic naming the op and the shapes.
#[track_caller]
pub(crate) fn broadcast_all(op: &str, shapes: &[&[usize]]) -> Dims {
    let mut out: Dims = shapes[0].into();
    for s in &shapes[1..] {
        // A `match`, not `unwrap_or_else`: a panic inside a closure loses `#[track_caller]`.
        out = match broadcast_shapes(&out, s) {
            Some(o) => o,
            None => panic!(
                "{op}: shapes {} cannot be broadcast together (sizes must match or be 1, \
                 compared from the last dim)",
                shapes
                    .iter()
                    .map(|s| format!("{s:?}"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        };
    }
    out
}

/// `f(x)` for every element, into a new contiguous array.
pub(crate) fn map1<T: Element, U: Element>(x: &Array, f: impl Fn(T) -> U + Sync) -> Array {
    let shape = x.shape();
    let mut out = U::pool().take_uninit(x.numel());
    if x.is_contiguous() {
        let off = x.storage_offset();
        x.with_slice(|a: &[T]| {
            fill_flat(&mut out, PAR_THRESHOLD, |o, s| run1(o, a, off + s, 1, &f))
        });
        return Array::from_contiguous(out, shape);
    }
    let walk = Walk::new(shape, [x.strides()], [x.storage_offset()]);
    x.with_slice(|a: &[T]| {
        fill_runs(&walk, &mut out, |o, [oa], [sa]| run1(o, a, oa, sa, &f));
    });
    Array::from_contiguous(out, shape)
}

/// [`map1`] whose contiguous runs go through [`simd_map`](crate::vmath::simd_map): for the f32
/// transcendental ops, where full-width SIMD pays (memory-bound ops gain nothing from it).
pub(crate) fn map1_simd<T: Element, U: Element>(x: &Array, f: impl Fn(T) -> U + Sync) -> Array {
    let shape = x.shape();
    let mut out = U::pool().take_uninit(x.numel());
    if x.is_contiguous() {
        let off = x.storage_offset();
        x.with_slice(|a: &[T]| {
            fill_flat(&mut out, PAR_THRESHOLD_HEAVY, |o, s| {
                crate::vmath::simd_map(o, &a[off + s..off + s + o.len()], &f)
            })
        });
        return Array::from_contiguous(out, shape);
    }
    let walk = Walk::new(shape, [x.strides()], [x.storage_offset()]);
    x.with_slice(|a: &[T]| {
        fill_runs_from(&walk, &mut out, PAR_THRESHOLD_HEAVY, |o, [oa], [sa]| {
            if sa == 1 {
                crate::vmath::simd_map(o, &a[oa..oa + o.len()], &f)
            } else {
                run1(o, a, oa, sa, &f)
            }
        });
    });
    Array::from_contiguous(out, shape)
}

/// `f(a, b)` with broadcasting, into a new contiguous array.
#[track_caller]
pub(crate) fn map2<T: Element, V: Element, U: Element>(
    a: &Array,
    b: &Array,
    op: &str,
    f: impl Fn(T, V) -> U + Sync,
) -> Array {
    if a.shape() == b.shape() && a.is_contiguous() && b.is_contiguous() {
        let mut out = U::pool().take_uninit(a.numel());
        let (oa, ob) = (a.storage_offset(), b.storage_offset());
        a.with_slice(|xa: &[T]| {
            b.with_slice(|xb: &[V]| {
                fill_flat(&mut out, PAR_THRESHOLD, |o, s| {
                    run2(o, (xa, oa + s, 1), (xb, ob + s, 1), &f)
                })
            })
        });
        return Array::from_contiguous(out, a.shape());
    }
    let shape = broadcast_all(op, &[a.shape(), b.shape()]);
    let sa = broadcast_strides(&a.layout, &shape);
    let sb = broadcast_strides(&b.layout, &shape);
    let walk = Walk::new(&shape, [&sa, &sb], [a.storage_offset(), b.storage_offset()]);
    let mut out = U::pool().take_uninit(walk.numel());
    a.with_slice(|xa: &[T]| {
        b.with_slice(|xb: &[V]| {
            fill_runs(&walk, &mut out, |o, [oa, ob], [sa, sb]| {
                run2(o, (xa, oa, sa), (xb, ob, sb), &f)
            });
        })
    });
    Array::from_contiguous(out, &shape)
}

/// `f(a, b, c)` with broadcasting, into a new contiguous array.
#[track_caller]
pub(crate) fn map3<T: Element, V: Element, W: Element, U: Element>(
    a: &Array,
    b: &Array,
    c: &Array,
    op: &str,
    f: impl Fn(T, V, W) -> U + Sync,
) -> Array {
    let shape = broadcast_all(op, &[a.shape(), b.shape(), c.shape()]);
    let sa = broadcast_strides(&a.layout, &shape);
    let sb = broadcast_strides(&b.layout, &shape);
    let sc = broadcast_strides(&c.layout, &shape);
    let walk = Walk::new(
        &shape,
        [&sa, &sb, &sc],
        [a.storage_offset(), b.storage_offset(), c.storage_offset()],
    );
    let mut out = U::pool().take_uninit(walk.numel());
    a.with_slice(|xa: &[T]| {
        b.with_slice(|xb: &[V]| {
            c.with_slice(|xc: &[W]| {
                fill_runs(&walk, &mut out, |o, [oa, ob, oc], [sa, sb, sc]| {
                    for (i, v) in o.iter_mut().enumerate() {
                        *v = f(xa[oa + i * sa], xb[ob + i * sb], xc[oc + i * sc]);
                    }
                });
            })
        })
    });
    Array::from_contiguous(out, &shape)
}

/// Panics unless every element of `dst` has its own memory location (an expanded view cannot
/// be written in place: several elements would be one).
#[track_caller]
pub(crate) fn check_writable(op: &str, dst: &Array) {
    let l = &dst.layout;
    let mut dims: Vec<(usize, usize)> = l
        .shape()
        .iter()
        .zip(l.strides())
        .filter(|&(&n, _)| n > 1)
        .map(|(&n, &s)| (s, n))
        .collect();
    dims.sort_unstable();
    // Non-overlapping iff, sorted by stride, each stride exceeds the span of the smaller ones.
    let mut span = 0usize;
    for (s, n) in dims {
        if s <= span || s == 0 {
            panic!(
                "{op}: cannot write in place into an array of shape {:?} with strides {:?}: \
                 more than one element refers to the same memory location (an expanded view?). \
                 Call .contiguous() (or .clone_array()) first.",
                l.shape(),
                l.strides()
            );
        }
        span += s * (n - 1);
    }
}

/// In place: `dst[i] = f(dst[i], src[i])`, `src` broadcast to `dst`'s shape. Bumps the version.
#[track_caller]
pub(crate) fn assign2<T: Element, V: Element>(
    dst: &Array,
    src: &Array,
    op: &str,
    f: impl Fn(T, V) -> T + Sync,
) {
    let shape = broadcast_all(op, &[dst.shape(), src.shape()]);
    if shape.as_slice() != dst.shape() {
        panic!(
            "{op}: the in-place result would have shape {:?}, but the array written to has \
             shape {:?} (an in-place op cannot grow its destination)",
            shape.as_slice(),
            dst.shape()
        );
    }
    check_writable(op, dst);
    let src = if src.shares_storage(dst) {
        src.clone_array()
    } else {
        src.clone()
    };
    if dst.is_contiguous() {
        // One pass: read and write the destination's own contiguous run.
        let sb = broadcast_strides(&src.layout, &shape);
        let walk = Walk::new(&shape, [&sb], [src.storage_offset()]);
        let (off, n) = (dst.storage_offset(), dst.numel());
        src.with_slice(|xb: &[V]| {
            dst.with_slice_mut(|d: &mut [T]| {
                fill_runs(&walk, &mut d[off..off + n], |o, [ob], [sb]| {
                    if sb == 1 {
                        let len = o.len();
                        for (v, &y) in o.iter_mut().zip(&xb[ob..ob + len]) {
                            *v = f(*v, y);
                        }
                    } else {
                        for (i, v) in o.iter_mut().enumerate() {
                            *v = f(*v, xb[ob + i * sb]);
                        }
                    }
                });
            })
        });
    } else {
        let result = map2::<T, V, T>(dst, &src, op, f);
        write_contiguous_into::<T>(dst, &result);
    }
}

/// Copies the contiguous `src` (same shape, same dtype) into the possibly strided `dst`.
pub(crate) fn write_contiguous_into<T: Element>(dst: &Array, src: &Array) {
    debug_assert!(src.is_contiguous() && src.shape() == dst.shape());
    let walk = Walk::new(dst.shape(), [dst.strides()], [dst.storage_offset()]);
    let (so, n) = (src.storage_offset(), src.numel());
    src.with_slice(|s: &[T]| {
        dst.with_slice_mut(|d: &mut [T]| scatter_runs(&walk, d, &s[so..so + n]))
    });
}

// --- added for compare ---

/// In place: `dst[i] = f(dst[i], a[i], b[i])`, `a` and `b` broadcast to `dst`'s shape, in one
/// pass when `dst` is contiguous (the optimizers' `addcmul_`, `lerp_`). Bumps the version.
#[track_caller]
pub(crate) fn assign3<T: Element, V: Element, W: Element>(
    dst: &Array,
    a: &Array,
    b: &Array,
    op: &str,
    f: impl Fn(T, V, W) -> T + Sync,
) {
    let shape = broadcast_all(op, &[dst.shape(), a.shape(), b.shape()]);
    if shape.as_slice() != dst.shape() {
        panic!(
            "{op}: the in-place result would have shape {:?}, but the array written to has \
             shape {:?} (an in-place op cannot grow its destination)",
            shape.as_slice(),
            dst.shape()
        );
    }
    check_writable(op, dst);
    let own = |x: &Array| {
        if x.shares_storage(dst) {
            x.clone_array()
        } else {
            x.clone()
        }
    };
    let (a, b) = (own(a), own(b));
    if dst.is_contiguous() {
        let sa = broadcast_strides(&a.layout, &shape);
        let sb = broadcast_strides(&b.layout, &shape);
        let walk = Walk::new(&shape, [&sa, &sb], [a.storage_offset(), b.storage_offset()]);
        let (off, n) = (dst.storage_offset(), dst.numel());
        a.with_slice(|xa: &[V]| {
            b.with_slice(|xb: &[W]| {
                dst.with_slice_mut(|d: &mut [T]| {
                    fill_runs(&walk, &mut d[off..off + n], |o, [oa, ob], [sa, sb]| {
                        let len = o.len();
                        if sa == 1 && sb == 1 {
                            let (xa, xb) = (&xa[oa..oa + len], &xb[ob..ob + len]);
                            for ((v, &x), &y) in o.iter_mut().zip(xa).zip(xb) {
                                *v = f(*v, x, y);
                            }
                        } else if sa == 1 && sb == 0 {
                            // A scalar third operand (`add_scaled_`'s `1`, the optimizers'
                            // hot path): a plain loop the compiler vectorises.
                            let (xa, y) = (&xa[oa..oa + len], xb[ob]);
                            for (v, &x) in o.iter_mut().zip(xa) {
                                *v = f(*v, x, y);
                            }
                        } else {
                            for (i, v) in o.iter_mut().enumerate() {
                                *v = f(*v, xa[oa + i * sa], xb[ob + i * sb]);
                            }
                        }
                    });
                })
            })
        });
    } else {
        let result = map3::<T, V, W, T>(dst, &a, &b, op, f);
        write_contiguous_into::<T>(dst, &result);
    }
}
