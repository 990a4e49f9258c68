//! Several images per product, for convolutions whose output planes are small.
//!
//! The per-image path multiplies `W (C_out × rows)` by one image's column matrix
//! `(rows × H_out·W_out)`. When `H_out·W_out` is small (the 8×8 and 4×4 stages of a CIFAR
//! ResNet, the 11×11 second convolution of the MNIST CNN) that product is thin: gemm spends its
//! time in edge kernels and in packing `W` again for every image. Here a work item takes `B`
//! images and lays their column matrices side by side (`rows × B·H_out·W_out`), so one product
//! covers them all. Outputs and output gradients go through a small `C_out × B·H_out·W_out`
//! buffer, because across images a channel's positions are not evenly strided.

use rayon::prelude::*;

use super::{ConvFloat, Geom, col2im, gemm, im2col, sum_into};
use crate::allocator::Scratch;

/// Aim for at least this many columns per product.
const TARGET_COLS: usize = 256;
/// Batch only when one group's weight is at least this big. Measured on the 2-core bench
/// machine: ResNet-18 (CIFAR) training +6% (its 8×8 and 4×4 stages have 2.4-9.4 MB weights,
/// packed again for every image otherwise), the MNIST CNN (a 74 KB weight that stays in L2)
/// -3%, so small weights keep the per-image path.
const MIN_WEIGHT_BYTES: usize = 512 << 10;
/// Most bytes of one item's column matrix (it should stay in L2/L3 between im2col and gemm).
const MAX_COL_BYTES: usize = 2 << 20;

/// Images per work item: 1 (use the per-image path) unless one image's output is a single
/// small tile and the weight is big; then enough images to give about [`TARGET_COLS`] columns, within
/// [`MAX_COL_BYTES`], keeping at least two items per thread.
pub(super) fn images_per_item(g: &Geom, ntiles: usize, elem: usize, threads: usize) -> usize {
    let op = g.out_prod();
    if ntiles != 1
        || op == 0
        || op >= TARGET_COLS
        || g.n < 2
        || g.cog() * g.rows() * elem < MIN_WEIGHT_BYTES
    {
        return 1;
    }
    let want = TARGET_COLS.div_ceil(op);
    let by_bytes = MAX_COL_BYTES / (g.rows() * op * elem).max(1);
    let by_items = g.n / (2 * threads).max(1);
    want.min(by_bytes).min(by_items).max(1)
}

/// `dst[co·ld + b·op + j] = src[(b·cout + c0 + co)·op + j]` for `b < nb`, `co < cog`, `j < op`:
/// the channels `c0..c0+cog` of `nb` consecutive images as one `cog × nb·op` matrix.
fn gather<T: Copy>(
    src: &[T],
    (nb, cout, c0, cog, op): (usize, usize, usize, usize, usize),
    dst: &mut [T],
) {
    let ld = nb * op;
    for b in 0..nb {
        for co in 0..cog {
            let s = &src[(b * cout + c0 + co) * op..][..op];
            dst[co * ld + b * op..][..op].copy_from_slice(s);
        }
    }
}

/// The inverse of [`gather`].
fn scatter<T: Copy>(
    src: &[T],
    (nb, cout, c0, cog, op): (usize, usize, usize, usize, usize),
    dst: &mut [T],
) {
    let ld = nb * op;
    for b in 0..nb {
        for co in 0..cog {
            dst[(b * cout + c0 + co) * op..][..op].copy_from_slice(&src[co * ld + b * op..][..op]);
        }
    }
}

/// Group `gi`'s column matrices of images `n0..n0+nb` side by side in `col`
/// (`rows × nb·op`, image `b` in columns `b·op..(b+1)·op`).
fn im2col_images<T: ConvFloat>(
    g: &Geom,
    xs: &[T],
    (n0, nb, gi): (usize, usize, usize),
    col: &mut [T],
) {
    let (cig, in_prod, op) = (g.cig(), g.in_prod(), g.out_prod());
    for b in 0..nb {
        let xg = &xs[((n0 + b) * g.cin + gi * cig) * in_prod..][..cig * in_prod];
        im2col(g, xg, (0, g.out_outer()), &mut col[b * op..], nb * op);
    }
}

/// The forward convolution into `out` (`N × C_out × op`, contiguous), `per` images per item.
pub(super) fn forward<T: ConvFloat>(
    g: &Geom,
    xs: &[T],
    ws: &[T],
    bias: Option<&[T]>,
    per: usize,
    out: &mut [T],
) {
    let (cog, rows, op) = (g.cog(), g.rows(), g.out_prod());
    out.par_chunks_mut(per * g.cout * op)
        .enumerate()
        .for_each_init(
            || scratch(rows, cog, per * op),
            |(col, tmp): &mut (Scratch<T>, Scratch<T>), (item, out_i)| {
                let n0 = item * per;
                let nb = out_i.len() / (g.cout * op);
                let ld = nb * op;
                let (col, tmp) = (&mut col[..rows * ld], &mut tmp[..cog * ld]);
                for gi in 0..g.groups {
                    im2col_images(g, xs, (n0, nb, gi), col);
                    if let Some(bv) = bias {
                        for co in 0..cog {
                            tmp[co * ld..][..ld].fill(bv[gi * cog + co]);
                        }
                    }
                    // SAFETY: tmp is `cog × ld` and col `rows × ld` (sliced above); lhs is
                    // group gi's `cog × rows` weight block inside `ws` (len cout·rows).
                    unsafe {
                        gemm::<T>(
                            (cog, rows, ld),
                            tmp.as_mut_ptr(),
                            ld,
                            bias.is_some(),
                            ws[gi * cog * rows..].as_ptr(),
                            (rows, 1),
                            col.as_ptr(),
                            (ld, 1),
                            1,
                        )
                    };
                    scatter(tmp, (nb, g.cout, gi * cog, cog, op), out_i);
                }
            },
        );
}

/// The input gradient into `dx` (`N × C_in × in_prod`, zero-filled), `per` images per item.
pub(super) fn backward_input<T: ConvFloat>(
    g: &Geom,
    dys: &[T],
    ws: &[T],
    per: usize,
    dx: &mut [T],
) {
    let (cig, cog, rows) = (g.cig(), g.cog(), g.rows());
    let (in_prod, op, outer) = (g.in_prod(), g.out_prod(), g.out_outer());
    dx.par_chunks_mut(per * g.cin * in_prod)
        .enumerate()
        .for_each_init(
            || scratch(rows, cog, per * op),
            |(col, tmp): &mut (Scratch<T>, Scratch<T>), (item, dx_i)| {
                let n0 = item * per;
                let nb = dx_i.len() / (g.cin * in_prod);
                let ld = nb * op;
                let (col, tmp) = (&mut col[..rows * ld], &mut tmp[..cog * ld]);
                let dy_i = &dys[n0 * g.cout * op..][..nb * g.cout * op];
                for gi in 0..g.groups {
                    gather(dy_i, (nb, g.cout, gi * cog, cog, op), tmp);
                    // SAFETY: col is `rows × ld`, tmp `cog × ld` (sliced above); lhs reads
                    // Wᵀ of group gi (element (r, co) at co·rows + r) inside `ws`.
                    unsafe {
                        gemm::<T>(
                            (rows, cog, ld),
                            col.as_mut_ptr(),
                            ld,
                            false,
                            ws[gi * cog * rows..].as_ptr(),
                            (1, rows),
                            tmp.as_ptr(),
                            (ld, 1),
                            1,
                        )
                    };
                    for b in 0..nb {
                        let dxg = &mut dx_i[(b * g.cin + gi * cig) * in_prod..][..cig * in_prod];
                        col2im(g, &col[b * op..], (0, outer), dxg, ld);
                    }
                }
            },
        );
}

/// The weight gradient (`C_out × rows`), `per` images per item.
pub(super) fn backward_weight<T: ConvFloat>(g: &Geom, xs: &[T], dys: &[T], per: usize) -> Vec<T> {
    let (cog, rows, op) = (g.cog(), g.rows(), g.out_prod());
    let wlen = g.cout * rows;
    let items = g.n.div_ceil(per);
    let new = || {
        let (col, tmp) = scratch(rows, cog, per * op);
        (Scratch::filled(wlen, T::ZERO), col, tmp)
    };
    // At most a few items per thread, so that few `C_out × rows` accumulators are summed.
    let min_len = items.div_ceil(4 * crate::threads::num_threads()).max(1);
    (0..items)
        .into_par_iter()
        .with_min_len(min_len)
        .fold(new, |(mut acc, mut col, mut tmp), item| {
            let n0 = item * per;
            let nb = per.min(g.n - n0);
            let ld = nb * op;
            let (c, t) = (&mut col[..rows * ld], &mut tmp[..cog * ld]);
            let dy_i = &dys[n0 * g.cout * op..][..nb * g.cout * op];
            for gi in 0..g.groups {
                im2col_images(g, xs, (n0, nb, gi), c);
                gather(dy_i, (nb, g.cout, gi * cog, cog, op), t);
                // SAFETY: dst is group gi's `cog × rows` block of `acc` (len cout·rows),
                // private to this fold; lhs is tmp (`cog × ld`), rhs colᵀ (element (t, r) at
                // r·ld + t of the `rows × ld` col), both sliced above.
                unsafe {
                    gemm::<T>(
                        (cog, ld, rows),
                        acc[gi * cog * rows..].as_mut_ptr(),
                        rows,
                        true,
                        t.as_ptr(),
                        (ld, 1),
                        c.as_ptr(),
                        (1, ld),
                        1,
                    )
                };
            }
            (acc, col, tmp)
        })
        .map(|st| st.0)
        .reduce_with(sum_into)
        .expect("at least one image")
        .into_vec()
}

/// Column and output buffers for items of up to `cols` columns.
fn scratch<T: ConvFloat>(rows: usize, cog: usize, cols: usize) -> (Scratch<T>, Scratch<T>) {
    (Scratch::uninit(rows * cols), Scratch::uninit(cog * cols))
}
