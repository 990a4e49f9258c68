//! `unfold` (im2col) and `fold` (col2im) for `(N, C, H, W)` inputs.

use ember_autograd::{DType, PadMode, Tensor};

fn pair(op: &str, what: &str, v: &[usize]) -> [usize; 2] {
    match v {
        [a] => [*a, *a],
        [a, b] => [*a, *b],
        _ => panic!("{op}: {what} needs 1 or 2 values, got {v:?}"),
    }
}

fn out_size(op: &str, size: usize, k: usize, d: usize, p: usize, s: usize) -> usize {
    let span = d * (k - 1) + 1;
    if size + 2 * p < span || s == 0 {
        panic!(
            "{op}: a kernel of span {span} does not fit size {size} with padding {p} (stride {s})"
        );
    }
    (size + 2 * p - span) / s + 1
}

/// Extracts sliding `kernel_size` blocks: `(N, C, H, W)` → `(N, C·kh·kw, L)` with `L` the
/// number of block positions (im2col). Its backward sums overlapping blocks.
///
/// # Panics
/// On a non-4-d input or a kernel that does not fit.
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let x = Tensor::from_vec((0..9).map(|v| v as f32).collect::<Vec<_>>(), &[1, 1, 3, 3]);
/// let cols = F::unfold(&x, &[2], &[1], &[0], &[1]);
/// assert_eq!(cols.shape(), &[1, 4, 4]);
/// assert_eq!(cols.to_vec::<f32>()[..4], [0.0, 1.0, 3.0, 4.0]); // top-left of each block
/// ```
#[track_caller]
pub fn unfold(
    x: &Tensor,
    kernel_size: &[usize],
    dilation: &[usize],
    padding: &[usize],
    stride: &[usize],
) -> Tensor {
    if x.ndim() != 4 {
        panic!("unfold: input must be (N, C, H, W), got {:?}", x.shape());
    }
    let [kh, kw] = pair("unfold", "kernel_size", kernel_size);
    let [dh, dw] = pair("unfold", "dilation", dilation);
    let [ph, pw] = pair("unfold", "padding", padding);
    let [sh, sw] = pair("unfold", "stride", stride);
    let (n, c, h, w) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let oh = out_size("unfold", h, kh, dh, ph, sh);
    let ow = out_size("unfold", w, kw, dw, pw, sw);
    let xp = if ph + pw > 0 {
        x.pad(&[pw, pw, ph, ph], PadMode::Constant, 0.0)
    } else {
        x.clone()
    };
    let (span_h, span_w) = (dh * (kh - 1) + 1, dw * (kw - 1) + 1);
    // (N, C, oh, ow, span_h, span_w), then keep every dilation-th element of each window.
    let mut win = xp.unfold(2, span_h, sh).unfold(3, span_w, sw);
    if dh > 1 {
        let idx: Vec<i64> = (0..kh).map(|i| (i * dh) as i64).collect();
        win = win.index_select(4, &Tensor::from_vec(idx, &[kh]));
    }
    if dw > 1 {
        let idx: Vec<i64> = (0..kw).map(|i| (i * dw) as i64).collect();
        win = win.index_select(5, &Tensor::from_vec(idx, &[kw]));
    }
    win.permute(&[0, 1, 4, 5, 2, 3]).reshape(&[
        n as isize,
        (c * kh * kw) as isize,
        (oh * ow) as isize,
    ])
}

/// Sums sliding blocks back into an image: `(N, C·kh·kw, L)` → `(N, C, H, W)` with
/// `output_size = [H, W]` (col2im, the adjoint of [`unfold`]).
///
/// # Panics
/// When the input's sizes do not match the blocks that `output_size` and the kernel give.
///
/// ```
/// use ember_nn::{functional as F, DType, Tensor};
/// let ones = Tensor::ones(&[1, 4, 4], DType::F32);
/// let img = F::fold(&ones, &[3, 3], &[2], &[1], &[0], &[1]);
/// assert_eq!(img.to_vec::<f32>(), [1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]); // overlap counts
/// ```
#[track_caller]
pub fn fold(
    x: &Tensor,
    output_size: &[usize],
    kernel_size: &[usize],
    dilation: &[usize],
    padding: &[usize],
    stride: &[usize],
) -> Tensor {
    let [h, w] = pair("fold", "output_size", output_size);
    let [kh, kw] = pair("fold", "kernel_size", kernel_size);
    let [dh, dw] = pair("fold", "dilation", dilation);
    let [ph, pw] = pair("fold", "padding", padding);
    let [sh, sw] = pair("fold", "stride", stride);
    let oh = out_size("fold", h, kh, dh, ph, sh);
    let ow = out_size("fold", w, kw, dw, pw, sw);
    if x.ndim() != 3 || !x.shape()[1].is_multiple_of(kh * kw) || x.shape()[2] != oh * ow {
        panic!(
            "fold: input must be (N, C·{}, {}) for these sizes, got {:?}",
            kh * kw,
            oh * ow,
            x.shape()
        );
    }
    let (n, c) = (x.shape()[0], x.shape()[1] / (kh * kw));
    let (hp, wp) = (h + 2 * ph, w + 2 * pw);
    // Target position in the padded image of every (ki, kj, oi, oj) column element.
    let mut idx = Vec::with_capacity(kh * kw * oh * ow);
    for ki in 0..kh {
        for kj in 0..kw {
            for oi in 0..oh {
                for oj in 0..ow {
                    idx.push(((oi * sh + ki * dh) * wp + oj * sw + kj * dw) as i64);
                }
            }
        }
    }
    let idx = Tensor::from_vec(idx, &[kh * kw * oh * ow]);
    let vals = x.reshape(&[n as isize, c as isize, -1]);
    let img = Tensor::zeros(&[n, c, hp * wp], x.dtype())
        .index_add(2, &idx, &vals, 1.0)
        .reshape(&[n as isize, c as isize, hp as isize, wp as isize]);
    if ph + pw == 0 {
        img
    } else {
        img.narrow(2, ph, h).narrow(3, pw, w)
    }
}

/// Normalised sampling coordinates for `theta` `(N, 2, 3)` over an output of `size`
/// `[N, C, H, W]`: `(N, H, W, 2)` with `(x, y)` in `[-1, 1]` (`F.affine_grid`).
///
/// ```
/// use ember_nn::{functional as F, Tensor};
/// let identity = Tensor::from_vec(vec![1.0f64, 0.0, 0.0, 0.0, 1.0, 0.0], &[1, 2, 3]);
/// let g = F::affine_grid(&identity, &[1, 1, 2, 2], true);
/// assert_eq!(g.to_vec::<f64>(), [-1.0, -1.0, 1.0, -1.0, -1.0, 1.0, 1.0, 1.0]);
/// ```
#[track_caller]
pub fn affine_grid(theta: &Tensor, size: &[usize], align_corners: bool) -> Tensor {
    if size.len() != 4 || theta.shape() != [size[0], 2, 3] {
        panic!(
            "affine_grid: theta must be (N, 2, 3) for size [N, C, H, W]; got theta {:?}, size {size:?}",
            theta.shape()
        );
    }
    let (n, h, w) = (size[0], size[2], size[3]);
    let lin = |k: usize| -> Vec<f64> {
        (0..k)
            .map(|i| {
                if k == 1 {
                    0.0
                } else if align_corners {
                    -1.0 + 2.0 * i as f64 / (k - 1) as f64
                } else {
                    (2.0 * i as f64 + 1.0) / k as f64 - 1.0
                }
            })
            .collect()
    };
    let (xs, ys) = (lin(w), lin(h));
    let mut base = Vec::with_capacity(h * w * 3);
    for y in &ys {
        for x in &xs {
            base.extend([*x, *y, 1.0]);
        }
    }
    let dtype = if theta.dtype() == DType::F64 {
        DType::F64
    } else {
        theta.dtype()
    };
    let base = Tensor::from_vec(base, &[1, h * w, 3]).to_dtype(dtype);
    base.matmul(&theta.transpose(1, 2)) // (N, H·W, 2)
        .reshape(&[n as isize, h as isize, w as isize, 2])
}

/// How [`grid_sample`] treats coordinates outside the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GridPadding {
    /// Zeros outside.
    Zeros,
    /// The nearest border value.
    Border,
}

/// Samples `input` `(N, C, H, W)` at the normalised `(x, y)` locations of `grid`
/// `(N, Ho, Wo, 2)`, bilinearly (or nearest), giving `(N, C, Ho, Wo)` (`F.grid_sample`).
/// Differentiable with respect to both the input and the grid.
///
/// ```
/// use ember_nn::{functional as F, functional::GridPadding, Tensor};
/// let img = Tensor::from_vec(vec![0.0f64, 1.0, 2.0, 3.0], &[1, 1, 2, 2]);
/// let centre = Tensor::from_vec(vec![0.0f64, 0.0], &[1, 1, 1, 2]);
/// let v = F::grid_sample(&img, &centre, false, GridPadding::Zeros, true);
/// assert_eq!(v.item::<f64>(), 1.5); // the mean of the four pixels
/// ```
#[track_caller]
pub fn grid_sample(
    input: &Tensor,
    grid: &Tensor,
    nearest: bool,
    padding: GridPadding,
    align_corners: bool,
) -> Tensor {
    if input.ndim() != 4
        || grid.ndim() != 4
        || grid.shape()[3] != 2
        || grid.shape()[0] != input.shape()[0]
    {
        panic!(
            "grid_sample: input must be (N, C, H, W) and grid (N, Ho, Wo, 2); got {:?} and {:?}",
            input.shape(),
            grid.shape()
        );
    }
    let (n, c, h, w) = (
        input.shape()[0],
        input.shape()[1],
        input.shape()[2],
        input.shape()[3],
    );
    let (ho, wo) = (grid.shape()[1], grid.shape()[2]);
    let unnorm = |g: Tensor, size: usize| {
        if align_corners {
            g.add(1.0).mul((size as f64 - 1.0) / 2.0)
        } else {
            g.add(1.0).mul(size as f64).sub(1.0).div(2.0)
        }
    };
    let gx = unnorm(grid.select(3, 0), w); // (N, Ho, Wo)
    let gy = unnorm(grid.select(3, 1), h);
    let (gx, gy) = match padding {
        GridPadding::Border => (gx.clamp(0.0, w as f64 - 1.0), gy.clamp(0.0, h as f64 - 1.0)),
        GridPadding::Zeros => (gx, gy),
    };
    let flat = input.reshape(&[n as isize, c as isize, (h * w) as isize]);
    // Value at integer corner (xi, yi), zero outside the image.
    let corner = |xi: &Tensor, yi: &Tensor| {
        let inside = xi
            .ge(0.0)
            .logical_and(&xi.le(w as f64 - 1.0))
            .logical_and(&yi.ge(0.0))
            .logical_and(&yi.le(h as f64 - 1.0));
        let xc = xi.clamp(0.0, w as f64 - 1.0);
        let yc = yi.clamp(0.0, h as f64 - 1.0);
        let idx = yc.mul(w as f64).add(&xc).to_dtype(DType::I64).reshape(&[
            n as isize,
            1,
            (ho * wo) as isize,
        ]);
        let v = flat.gather(
            2,
            &idx.expand(&[n as isize, c as isize, (ho * wo) as isize]),
        );
        let m = inside
            .to_dtype(input.dtype())
            .reshape(&[n as isize, 1, (ho * wo) as isize]);
        v.mul(&m)
    };
    let out = if nearest {
        // Round half to even, as PyTorch's nearbyint.
        corner(&gx.detach().round(), &gy.detach().round())
    } else {
        let x0 = gx.detach().floor();
        let y0 = gy.detach().floor();
        let (x1, y1) = (x0.add(1.0), y0.add(1.0));
        let wx1 = gx.sub(&x0).reshape(&[n as isize, 1, (ho * wo) as isize]);
        let wy1 = gy.sub(&y0).reshape(&[n as isize, 1, (ho * wo) as isize]);
        let (wx0, wy0) = (wx1.neg().add(1.0), wy1.neg().add(1.0));
        corner(&x0, &y0)
            .mul(&wx0.mul(&wy0))
            .add(&corner(&x1, &y0).mul(&wx1.mul(&wy0)))
            .add(&corner(&x0, &y1).mul(&wx0.mul(&wy1)))
            .add(&corner(&x1, &y1).mul(&wx1.mul(&wy1)))
    };
    out.reshape(&[n as isize, c as isize, ho as isize, wo as isize])
}
