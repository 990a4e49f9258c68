//! Rotation of image tensors: [`rotate`] (torchvision's `F.rotate`) and the augmentation
//! [`RandomRotation`].
//!
//! The geometry is torchvision's tensor path exactly: every output pixel centre is mapped
//! through the inverse rotation about the centre of the image and sampled from the input as
//! `grid_sample(align_corners=False)` does (nearest: round half to even; bilinear: the four
//! neighbours, those outside the image counting as zero), then blended with the fill colour
//! through the sampled coverage mask (`mask·(img − fill) + fill`; for nearest, `fill` where
//! the mask is below ½). Positive angles turn the image counter-clockwise.

use ember_autograd::{DType, Tensor};

use super::hw;
use crate::rng::with_sample_rng;

/// How a geometric transform samples between pixels (`torchvision.transforms.InterpolationMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Interpolation {
    /// The nearest input pixel (torchvision's default for rotations).
    #[default]
    Nearest,
    /// Bilinear blend of the four nearest input pixels.
    Bilinear,
}

/// Options of [`rotate`] besides the angle (torchvision's `F.rotate` keywords).
///
/// ```
/// use ember_data::transforms::{Interpolation, RotateOptions};
/// let o = RotateOptions { interpolation: Interpolation::Bilinear, expand: true, ..Default::default() };
/// assert_eq!(o.fill, vec![0.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RotateOptions {
    /// How to sample (default nearest).
    pub interpolation: Interpolation,
    /// Grow the output to hold the whole rotated image (default: keep the input size).
    pub expand: bool,
    /// The centre of rotation `(x, y)` in pixel coordinates whose origin is the top-left
    /// corner of the image (default: its centre, `(W/2, H/2)`).
    pub center: Option<(f64, f64)>,
    /// The colour of the area outside the rotated image: one value, or one per channel.
    pub fill: Vec<f64>,
}

impl Default for RotateOptions {
    fn default() -> Self {
        RotateOptions {
            interpolation: Interpolation::Nearest,
            expand: false,
            center: None,
            fill: vec![0.0],
        }
    }
}

/// `x` (`[..., H, W]`, channels at dim -3 when there is one) rotated by `angle` degrees
/// counter-clockwise (torchvision's `F.rotate` on tensors). The result has `x`'s dtype;
/// integer images are rounded half to even, as torchvision rounds.
///
/// # Panics
/// On a tensor with fewer than 2 dims, or a `fill` that is neither one value nor one per
/// channel.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::transforms::{RotateOptions, rotate};
/// // A quarter turn counter-clockwise: the top row becomes the left column, read upwards.
/// let x = Tensor::from_vec(vec![1u8, 2, 3, 4, 5, 6, 7, 8, 9], &[3, 3]);
/// let r = rotate(&x, 90.0, &RotateOptions::default());
/// assert_eq!(r.to_vec::<u8>(), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
/// ```
#[track_caller]
pub fn rotate(x: &Tensor, angle: f64, options: &RotateOptions) -> Tensor {
    let (planes, h, w) = hw(x, "rotate");
    let shape = x.shape().to_vec();
    let nd = shape.len();
    let channels = if nd >= 3 { shape[nd - 3] } else { 1 };
    let fill = &options.fill;
    assert!(
        fill.len() == 1 || fill.len() == channels,
        "rotate: fill has {} values; expected 1 or one per channel ({channels})",
        fill.len()
    );
    let m = inverse_matrix(angle, options.center, w, h);
    let (ow, oh) = if options.expand {
        expanded_size(&m, w, h)
    } else {
        (w, h)
    };
    let fills: Vec<f64> = (0..planes)
        .map(|p| {
            if fill.len() == 1 {
                fill[0]
            } else {
                fill[p % channels]
            }
        })
        .collect();
    let geometry = Geometry {
        m,
        size: (h, w),
        out: (oh, ow),
        mode: options.interpolation,
    };
    let dt = x.dtype();
    // torchvision samples float64 images in float64 and everything else in float32; the same
    // precision and order of operations picks the same pixel where a sampling position falls
    // on a rounding tie, as right-angle turns of odd-by-even images do.
    let mut out = if dt == DType::F64 {
        geometry.run(&x.contiguous().to_vec::<f64>(), &fills)
    } else {
        geometry.run(&x.to_dtype(DType::F32).contiguous().to_vec::<f32>(), &fills)
    };
    if !dt.is_floating_point() {
        for v in &mut out {
            *v = v.round_ties_even();
        }
    }
    let mut out_shape = shape;
    out_shape[nd - 2] = oh;
    out_shape[nd - 1] = ow;
    Tensor::from_vec(out, &out_shape).to_dtype(dt)
}

/// The float type a rotation computes in.
trait Real:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
{
    fn of(v: f64) -> Self;
    fn f64(self) -> f64;
    fn floor(self) -> Self;
    fn round_ties_even(self) -> Self;
}

macro_rules! real {
    ($t:ty) => {
        impl Real for $t {
            fn of(v: f64) -> Self {
                v as $t
            }
            fn f64(self) -> f64 {
                self as f64
            }
            fn floor(self) -> Self {
                <$t>::floor(self)
            }
            fn round_ties_even(self) -> Self {
                <$t>::round_ties_even(self)
            }
        }
    };
}
real!(f32);
real!(f64);

/// `torch.linspace(start, end, n)` in `W`, as PyTorch computes it (from the start for the
/// first half, from the end for the second).
fn linspace<W: Real>(start: f64, end: f64, n: usize) -> Vec<W> {
    let (a, b) = (W::of(start), W::of(end));
    if n == 1 {
        return vec![a];
    }
    let step = (b - a) / W::of((n - 1) as f64);
    (0..n)
        .map(|i| {
            if i < n / 2 {
                a + W::of(i as f64) * step
            } else {
                b - W::of((n - 1 - i) as f64) * step
            }
        })
        .collect()
}

/// One rotation's geometry: the inverse map, the input and output sizes, the sampling.
struct Geometry {
    m: [f64; 6],
    size: (usize, usize),
    out: (usize, usize),
    mode: Interpolation,
}

impl Geometry {
    /// Every plane of `pixels` resampled, in `W`, as torchvision's `_gen_affine_grid` and
    /// `grid_sample(align_corners=False, padding_mode="zeros")` compute it.
    fn run<W: Real>(&self, pixels: &[W], fills: &[f64]) -> Vec<f64> {
        let ((h, w), (oh, ow)) = (self.size, self.out);
        // Output pixel centres relative to the output's centre.
        let xs: Vec<W> = linspace(-(ow as f64) * 0.5 + 0.5, ow as f64 * 0.5 - 0.5, ow);
        let ys: Vec<W> = linspace(-(oh as f64) * 0.5 + 0.5, oh as f64 * 0.5 - 0.5, oh);
        // theta, scaled to the input's normalised coordinates.
        let t: Vec<W> = self.m.iter().map(|&v| W::of(v)).collect();
        let (sw, sh) = (W::of(0.5 * w as f64), W::of(0.5 * h as f64));
        let r = [
            t[0] / sw,
            t[1] / sw,
            t[2] / sw,
            t[3] / sh,
            t[4] / sh,
            t[5] / sh,
        ];
        let (one, two) = (W::of(1.0), W::of(2.0));
        let (wf, hf) = (W::of(w as f64), W::of(h as f64));
        let mut out = Vec::with_capacity(fills.len() * oh * ow);
        for (p, &fill) in fills.iter().enumerate() {
            let img = &pixels[p * h * w..(p + 1) * h * w];
            let fill = W::of(fill);
            for &y in &ys {
                for &x in &xs {
                    let gx = x * r[0] + y * r[1] + r[2];
                    let gy = x * r[3] + y * r[4] + r[5];
                    // grid_sample's unnormalisation (align_corners=False).
                    let ix = ((gx + one) * wf - one) / two;
                    let iy = ((gy + one) * hf - one) / two;
                    out.push(self.sample(img, ix, iy, fill).f64());
                }
            }
        }
        out
    }

    /// One output value: the image sampled at `(ix, iy)` (zero outside), blended with `fill`
    /// through the coverage of the sampled pixels.
    fn sample<W: Real>(&self, img: &[W], ix: W, iy: W, fill: W) -> W {
        let (h, w) = self.size;
        let zero = W::of(0.0);
        let at = |x: W, y: W| -> Option<W> {
            let inside = x >= zero && y >= zero && x < W::of(w as f64) && y < W::of(h as f64);
            inside.then(|| img[y.f64() as usize * w + x.f64() as usize])
        };
        match self.mode {
            Interpolation::Nearest => {
                at(ix.round_ties_even(), iy.round_ties_even()).unwrap_or(fill)
            }
            Interpolation::Bilinear => {
                let one = W::of(1.0);
                let (x_w, y_n) = (ix.floor(), iy.floor());
                let (x_e, y_s) = (x_w + one, y_n + one);
                let corners = [
                    (x_w, y_n, (x_e - ix) * (y_s - iy)),
                    (x_e, y_n, (ix - x_w) * (y_s - iy)),
                    (x_w, y_s, (x_e - ix) * (iy - y_n)),
                    (x_e, y_s, (ix - x_w) * (iy - y_n)),
                ];
                let (mut value, mut mask) = (zero, zero);
                for (x, y, wgt) in corners {
                    if let Some(v) = at(x, y) {
                        value = value + v * wgt;
                        mask = mask + wgt;
                    }
                }
                // torchvision: (sample - fill) * mask + fill, the mask sampled alike.
                (value - fill) * mask + fill
            }
        }
    }
}

/// torchvision's `_get_inverse_affine_matrix(center, -angle, [0, 0], 1, [0, 0])`: the 2×3
/// map from output to input positions, both relative to the image centre.
fn inverse_matrix(angle: f64, center: Option<(f64, f64)>, w: usize, h: usize) -> [f64; 6] {
    let (c, s) = (angle.to_radians().cos(), angle.to_radians().sin());
    let mut m = [c, -s, 0.0, s, c, 0.0];
    if let Some((x, y)) = center {
        let (cx, cy) = (x - w as f64 * 0.5, y - h as f64 * 0.5);
        m[2] += m[0] * -cx + m[1] * -cy + cx;
        m[5] += m[3] * -cx + m[4] * -cy + cy;
    }
    m
}

/// torchvision's `_compute_affine_output_size`: the bounding box of the image's corners
/// mapped by `m`, with coordinates cut to 4 decimals before rounding outwards (so 1e-15 of
/// float error does not add a pixel). torchvision computes it in float32, and so does this:
/// at a right angle, float64 would keep the 1e-16 that float32 rounds away and add a
/// column. Returns `(width, height)`.
fn expanded_size(m: &[f64; 6], w: usize, h: usize) -> (usize, usize) {
    let t: Vec<f32> = m.iter().map(|&v| v as f32).collect();
    let (hw_, hh) = ((0.5 * w as f64) as f32, (0.5 * h as f64) as f32);
    let corners = [(-hw_, -hh), (-hw_, hh), (hw_, hh), (hw_, -hh)];
    let (mut lo, mut hi) = ([f32::INFINITY; 2], [f32::NEG_INFINITY; 2]);
    for (x, y) in corners {
        let p = [t[0] * x + t[1] * y + t[2], t[3] * x + t[4] * y + t[5]];
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let cut = |v: f32| (v * 10_000.0).trunc() * 0.0001;
    let size = |k: usize, half: f32| {
        let n = cut(hi[k] + half).ceil() - cut(lo[k] + half).floor();
        n.max(1.0) as usize
    };
    (size(0, hw_), size(1, hh))
}

/// Rotates the image by an angle drawn uniformly from `[min, max]` degrees
/// (`torchvision.transforms.RandomRotation`), from the per-sample generator.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::transforms::{Interpolation, RandomRotation, Transform};
/// let t = RandomRotation::new(15.0).interpolation(Interpolation::Bilinear);
/// let x = Tensor::ones(&[3, 28, 28], ember_autograd::DType::F32);
/// let y = t.apply(&x);
/// assert_eq!(y.shape(), [3, 28, 28]);
/// // The centre stays inside the image whatever the angle.
/// assert_eq!(y.to_vec::<f32>()[14 * 28 + 14], 1.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RandomRotation {
    min: f64,
    max: f64,
    options: RotateOptions,
}

impl RandomRotation {
    /// Angles in `[-degrees, degrees]`.
    ///
    /// # Panics
    /// If `degrees` is negative or not finite.
    ///
    /// ```
    /// let _ = ember_data::transforms::RandomRotation::new(10.0);
    /// ```
    #[track_caller]
    pub fn new(degrees: f64) -> RandomRotation {
        assert!(
            degrees >= 0.0 && degrees.is_finite(),
            "RandomRotation: degrees = {degrees} must be a non-negative number (use `range` for an interval)"
        );
        RandomRotation::range(-degrees, degrees)
    }

    /// Angles in `[min, max]`.
    ///
    /// # Panics
    /// If `min > max` or either is not finite.
    ///
    /// ```
    /// let _ = ember_data::transforms::RandomRotation::range(0.0, 90.0);
    /// ```
    #[track_caller]
    pub fn range(min: f64, max: f64) -> RandomRotation {
        assert!(
            min <= max && min.is_finite() && max.is_finite(),
            "RandomRotation: the range [{min}, {max}] is empty or not finite"
        );
        RandomRotation {
            min,
            max,
            options: RotateOptions::default(),
        }
    }

    /// Samples with `mode` (default [`Interpolation::Nearest`]).
    ///
    /// ```
    /// use ember_data::transforms::{Interpolation, RandomRotation};
    /// let _ = RandomRotation::new(10.0).interpolation(Interpolation::Bilinear);
    /// ```
    pub fn interpolation(mut self, mode: Interpolation) -> RandomRotation {
        self.options.interpolation = mode;
        self
    }

    /// Grows the output to hold the whole rotated image (images of a batch may then differ
    /// in size).
    ///
    /// ```
    /// let _ = ember_data::transforms::RandomRotation::new(10.0).expand(true);
    /// ```
    pub fn expand(mut self, expand: bool) -> RandomRotation {
        self.options.expand = expand;
        self
    }

    /// Rotates about `(x, y)` (pixel coordinates from the top-left corner) instead of the
    /// centre of the image.
    ///
    /// ```
    /// let _ = ember_data::transforms::RandomRotation::new(10.0).center(0.0, 0.0);
    /// ```
    pub fn center(mut self, x: f64, y: f64) -> RandomRotation {
        self.options.center = Some((x, y));
        self
    }

    /// The colour outside the rotated image: one value, or one per channel (default 0).
    ///
    /// ```
    /// let _ = ember_data::transforms::RandomRotation::new(10.0).fill(vec![0.5, 0.5, 0.5]);
    /// ```
    pub fn fill(mut self, fill: Vec<f64>) -> RandomRotation {
        self.options.fill = fill;
        self
    }

    /// The next angle, as torchvision draws it: uniform in `[min, max]`.
    fn angle(&self) -> f64 {
        let u = with_sample_rng(|g| {
            ember_autograd::Array::rand_with(&[1], DType::F64, g).item::<f64>()
        });
        self.min + (self.max - self.min) * u
    }
}

impl super::Transform for RandomRotation {
    #[track_caller]
    fn apply(&self, x: &Tensor) -> Tensor {
        rotate(x, self.angle(), &self.options)
    }
}
