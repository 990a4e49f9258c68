//! Transforms of image tensors (`torchvision.transforms`).
//!
//! This module is the home of the image transforms until an `ember-vision` crate exists; they
//! will move there then. An image is a tensor `[..., C, H, W]` (channels first, as in PyTorch)
//! except where a transform says otherwise ([`ToTensor`] reads `H×W×C`).
//!
//! Random transforms draw from the per-sample generator
//! ([`with_sample_rng`](crate::with_sample_rng)), which a [`DataLoader`](crate::DataLoader)
//! seeds per sample, so an augmented epoch is the same whatever the number of workers.
//! Malformed input (a wrong number of dimensions, a crop larger than the image) is a
//! programming error and panics.
//!
//! ```
//! use ember_autograd::Tensor;
//! use ember_data::transforms::{Compose, Normalize, RandomHorizontalFlip, ToTensor, Transform};
//!
//! let t = Compose::new()
//!     .then(ToTensor::new())
//!     .then(RandomHorizontalFlip::new(0.5))
//!     .then(Normalize::new(vec![0.5], vec![0.5]));
//! let img = Tensor::from_vec(vec![0u8, 255, 255, 0], &[2, 2]); // H×W
//! let x = t.apply(&img);
//! assert_eq!(x.shape(), [1, 2, 2]);
//! let mut v = x.to_vec::<f32>();
//! v.sort_by(f32::total_cmp);
//! assert_eq!(v, [-1.0, -1.0, 1.0, 1.0]);
//! ```

use ember_autograd::{DType, PadMode, Tensor};

use crate::rng::{int_inclusive, uniform};

mod rotation;
pub use rotation::{Interpolation, RandomRotation, RotateOptions, rotate};

/// A transform of a tensor. Closures `Fn(&Tensor) -> Tensor` are transforms too.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::transforms::Transform;
/// let double = |x: &Tensor| x.mul(&Tensor::from(2.0f32));
/// assert_eq!(double.apply(&Tensor::from([1.0f32, 2.0])).to_vec::<f32>(), [2.0, 4.0]);
/// ```
pub trait Transform: Send + Sync {
    /// The transformed tensor.
    fn apply(&self, x: &Tensor) -> Tensor;
}

impl<F: Fn(&Tensor) -> Tensor + Send + Sync> Transform for F {
    fn apply(&self, x: &Tensor) -> Tensor {
        self(x)
    }
}

impl Transform for Box<dyn Transform> {
    fn apply(&self, x: &Tensor) -> Tensor {
        (**self).apply(x)
    }
}

/// `(rest, H, W)` of an image tensor `[..., H, W]`.
#[track_caller]
fn hw(x: &Tensor, what: &str) -> (usize, usize, usize) {
    let s = x.shape();
    assert!(
        s.len() >= 2,
        "{what}: expected an image [..., H, W], got shape {s:?}"
    );
    let (h, w) = (s[s.len() - 2], s[s.len() - 1]);
    (s[..s.len() - 2].iter().product(), h, w)
}

/// Transforms one after another (`Compose`).
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::transforms::{CenterCrop, Compose, ToTensor, Transform};
/// let t = Compose::new().then(ToTensor::chw()).then(CenterCrop::new(1, 1));
/// let x = t.apply(&Tensor::from_vec(vec![0u8, 0, 0, 0, 255, 0, 0, 0, 0], &[1, 3, 3]));
/// assert_eq!(x.to_vec::<f32>(), [1.0]);
/// ```
#[derive(Default)]
pub struct Compose {
    transforms: Vec<Box<dyn Transform>>,
}

impl Compose {
    /// No transforms yet (the identity).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::transforms::{Compose, Transform};
    /// assert_eq!(Compose::new().apply(&Tensor::from([1i64])).to_vec::<i64>(), [1]);
    /// ```
    pub fn new() -> Compose {
        Compose::default()
    }

    /// Adds `t` at the end.
    ///
    /// ```
    /// use ember_data::transforms::{Compose, ToTensor};
    /// let c = Compose::new().then(ToTensor::new());
    /// assert_eq!(c.len(), 1);
    /// ```
    #[allow(clippy::should_implement_trait)]
    pub fn then(mut self, t: impl Transform + 'static) -> Compose {
        self.transforms.push(Box::new(t));
        self
    }

    /// The number of transforms.
    ///
    /// ```
    /// assert_eq!(ember_data::transforms::Compose::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.transforms.len()
    }

    /// Whether there are no transforms.
    ///
    /// ```
    /// assert!(ember_data::transforms::Compose::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.transforms.is_empty()
    }
}

impl Transform for Compose {
    fn apply(&self, x: &Tensor) -> Tensor {
        let mut x = x.clone();
        for t in &self.transforms {
            x = t.apply(&x);
        }
        x
    }
}

/// Converts an image to `f32` (`ToTensor`): `u8` values are scaled to [0, 1]; other dtypes
/// are converted unscaled. [`ToTensor::new`] reads `H×W×C` or `H×W` (PyTorch's convention for
/// arrays and PIL images) and gives `C×H×W`; [`ToTensor::chw`] keeps a `C×H×W` layout (the
/// readers in [`datasets`](crate::datasets) give that).
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::transforms::{ToTensor, Transform};
/// // 1×2 pixels, RGB.
/// let img = Tensor::from_vec(vec![255u8, 0, 51, 0, 255, 102], &[1, 2, 3]);
/// let x = ToTensor::new().apply(&img);
/// assert_eq!(x.shape(), [3, 1, 2]);
/// assert_eq!(x.to_vec::<f32>(), [1.0, 0.0, 0.0, 1.0, 0.2, 0.4]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ToTensor {
    hwc: bool,
}

impl ToTensor {
    /// Reads `H×W×C` (3-D) or `H×W` (2-D, one channel).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::transforms::{ToTensor, Transform};
    /// assert_eq!(ToTensor::new().apply(&Tensor::from_vec(vec![0u8; 6], &[2, 3])).shape(), [1, 2, 3]);
    /// ```
    pub fn new() -> ToTensor {
        ToTensor { hwc: true }
    }

    /// Keeps the layout (`C×H×W` in, `C×H×W` out); only converts and scales.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::transforms::{ToTensor, Transform};
    /// let x = ToTensor::chw().apply(&Tensor::from_vec(vec![0u8, 255], &[1, 1, 2]));
    /// assert_eq!((x.shape(), x.to_vec::<f32>()), (&[1usize, 1, 2][..], vec![0.0, 1.0]));
    /// ```
    pub fn chw() -> ToTensor {
        ToTensor { hwc: false }
    }
}

impl Default for ToTensor {
    fn default() -> ToTensor {
        ToTensor::new()
    }
}

impl Transform for ToTensor {
    #[track_caller]
    fn apply(&self, x: &Tensor) -> Tensor {
        // Divides (not multiplies by 1/255) so that values match PyTorch's `div(255)` exactly.
        let scale = if x.dtype() == DType::U8 { 255.0 } else { 1.0 };
        let v: Vec<f32> = x
            .to_dtype(DType::F32)
            .contiguous()
            .to_vec::<f32>()
            .into_iter()
            .map(|p| p / scale)
            .collect();
        if !self.hwc {
            return Tensor::from_vec(v, x.shape());
        }
        match *x.shape() {
            [h, w] => Tensor::from_vec(v, &[1, h, w]),
            [h, w, c] => {
                let mut out = vec![0.0f32; v.len()];
                for i in 0..h * w {
                    for ch in 0..c {
                        out[ch * h * w + i] = v[i * c + ch];
                    }
                }
                Tensor::from_vec(out, &[c, h, w])
            }
            _ => panic!(
                "ToTensor: expected an H×W or H×W×C image, got shape {:?}",
                x.shape()
            ),
        }
    }
}

/// `(x - mean[c]) / std[c]` for each channel `c` of a `[..., C, H, W]` image (`Normalize`);
/// one value applies to every channel. The result is `f32`.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::transforms::{Normalize, Transform};
/// let x = Tensor::from_vec(vec![0.5f32, 1.0, 0.0, 0.25], &[2, 1, 2]);
/// let y = Normalize::new(vec![0.5, 0.0], vec![0.25, 0.5]).apply(&x);
/// assert_eq!(y.to_vec::<f32>(), [0.0, 2.0, 0.0, 0.5]);
/// ```
#[derive(Clone, Debug)]
pub struct Normalize {
    mean: Vec<f32>,
    std: Vec<f32>,
}

impl Normalize {
    /// Per-channel `mean` and `std` (same length; no zero in `std`).
    ///
    /// ```
    /// // MNIST's usual constants.
    /// let n = ember_data::transforms::Normalize::new(vec![0.1307], vec![0.3081]);
    /// # let _ = n;
    /// ```
    #[track_caller]
    pub fn new(mean: Vec<f32>, std: Vec<f32>) -> Normalize {
        assert_eq!(
            mean.len(),
            std.len(),
            "Normalize: mean and std differ in length"
        );
        assert!(!mean.is_empty(), "Normalize: no channels given");
        assert!(std.iter().all(|&s| s != 0.0), "Normalize: std has a zero");
        Normalize { mean, std }
    }
}

impl Transform for Normalize {
    #[track_caller]
    fn apply(&self, x: &Tensor) -> Tensor {
        let s = x.shape();
        assert!(
            s.len() >= 3,
            "Normalize: expected an image [..., C, H, W], got shape {s:?}"
        );
        let c = s[s.len() - 3];
        assert!(
            self.mean.len() == c || self.mean.len() == 1,
            "Normalize: {} means for an image of {c} channels",
            self.mean.len()
        );
        let plane = s[s.len() - 2] * s[s.len() - 1];
        let mut v = x.to_dtype(DType::F32).contiguous().to_vec::<f32>();
        for (k, p) in v.iter_mut().enumerate() {
            let ch = if self.mean.len() == 1 {
                0
            } else {
                (k / plane) % c
            };
            *p = (*p - self.mean[ch]) / self.std[ch];
        }
        Tensor::from_vec(v, s)
    }
}

/// A random `height × width` crop after zero-padding every side by `padding` (`RandomCrop`).
/// The top edge is drawn first, then the left, each uniform over the valid range.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::transforms::{RandomCrop, Transform};
/// let x = Tensor::from_vec((1..=9u8).collect::<Vec<_>>(), &[1, 3, 3]);
/// let y = RandomCrop::new(3, 3).padding(1).apply(&x);
/// assert_eq!(y.shape(), [1, 3, 3]);
/// assert!(y.to_vec::<u8>().contains(&5)); // the centre pixel is in every such crop
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RandomCrop {
    height: usize,
    width: usize,
    padding: usize,
}

impl RandomCrop {
    /// A `height × width` crop, no padding.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// use ember_data::transforms::{RandomCrop, Transform};
    /// let y = RandomCrop::new(2, 1).apply(&Tensor::from_vec(vec![0u8; 12], &[3, 4]));
    /// assert_eq!(y.shape(), [2, 1]);
    /// ```
    pub fn new(height: usize, width: usize) -> RandomCrop {
        RandomCrop {
            height,
            width,
            padding: 0,
        }
    }

    /// Zero-pads each side by `padding` first (CIFAR's usual `RandomCrop(32, padding=4)`).
    ///
    /// ```
    /// use ember_data::transforms::RandomCrop;
    /// let _ = RandomCrop::new(32, 32).padding(4);
    /// ```
    pub fn padding(mut self, padding: usize) -> RandomCrop {
        self.padding = padding;
        self
    }
}

impl Transform for RandomCrop {
    #[track_caller]
    fn apply(&self, x: &Tensor) -> Tensor {
        hw(x, "RandomCrop");
        let p = self.padding;
        let x = if p > 0 {
            x.pad(&[p, p, p, p], PadMode::Constant, 0.0)
        } else {
            x.clone()
        };
        let (_, h, w) = hw(&x, "RandomCrop");
        assert!(
            self.height <= h && self.width <= w,
            "RandomCrop: a {}×{} crop of a {h}×{w} (padded) image",
            self.height,
            self.width
        );
        let top = int_inclusive(h - self.height);
        let left = int_inclusive(w - self.width);
        x.narrow(-2, top, self.height)
            .narrow(-1, left, self.width)
            .contiguous()
    }
}

/// Mirrors the image left–right with probability `p` (`RandomHorizontalFlip`).
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::transforms::{RandomHorizontalFlip, Transform};
/// let x = Tensor::from_vec(vec![1u8, 2, 3], &[1, 3]);
/// assert_eq!(RandomHorizontalFlip::new(1.0).apply(&x).to_vec::<u8>(), [3, 2, 1]);
/// assert_eq!(RandomHorizontalFlip::new(0.0).apply(&x).to_vec::<u8>(), [1, 2, 3]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RandomHorizontalFlip {
    p: f64,
}

impl RandomHorizontalFlip {
    /// Flips with probability `p` in [0, 1].
    ///
    /// ```
    /// let _ = ember_data::transforms::RandomHorizontalFlip::new(0.5);
    /// ```
    #[track_caller]
    pub fn new(p: f64) -> RandomHorizontalFlip {
        assert!(
            (0.0..=1.0).contains(&p),
            "RandomHorizontalFlip: p = {p} is not in [0, 1]"
        );
        RandomHorizontalFlip { p }
    }
}

impl Transform for RandomHorizontalFlip {
    #[track_caller]
    fn apply(&self, x: &Tensor) -> Tensor {
        hw(x, "RandomHorizontalFlip");
        if uniform() < self.p {
            x.flip(&[-1]).contiguous()
        } else {
            x.clone()
        }
    }
}

/// The central `height × width` crop (`CenterCrop`); the top edge is
/// `round((H - height) / 2)` (ties to even, as torchvision's Python `round`), likewise the left.
/// A crop larger than the image panics (torchvision would pad).
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::transforms::{CenterCrop, Transform};
/// let x = Tensor::from_vec((0..16u8).collect::<Vec<_>>(), &[4, 4]);
/// assert_eq!(CenterCrop::new(2, 2).apply(&x).to_vec::<u8>(), [5, 6, 9, 10]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CenterCrop {
    height: usize,
    width: usize,
}

impl CenterCrop {
    /// A `height × width` centre crop.
    ///
    /// ```
    /// let _ = ember_data::transforms::CenterCrop::new(224, 224);
    /// ```
    pub fn new(height: usize, width: usize) -> CenterCrop {
        CenterCrop { height, width }
    }
}

impl Transform for CenterCrop {
    #[track_caller]
    fn apply(&self, x: &Tensor) -> Tensor {
        let (_, h, w) = hw(x, "CenterCrop");
        assert!(
            self.height <= h && self.width <= w,
            "CenterCrop: a {}×{} crop of a {h}×{w} image",
            self.height,
            self.width
        );
        let top = ((h - self.height) as f64 / 2.0).round_ties_even() as usize;
        let left = ((w - self.width) as f64 / 2.0).round_ties_even() as usize;
        x.narrow(-2, top, self.height)
            .narrow(-1, left, self.width)
            .contiguous()
    }
}

/// Resizes `[..., H, W]` to `height × width` by bilinear interpolation with half-pixel centres
/// and no antialiasing — PyTorch's `F.interpolate(mode="bilinear", align_corners=False)`
/// (torchvision's `Resize(antialias=False)`). `u8` images are rounded back to `u8`; other
/// dtypes come out as `f32`.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::transforms::{Resize, Transform};
/// let x = Tensor::from_vec(vec![0.0f32, 4.0], &[1, 2]);
/// // Output pixel centres at 0.25, 0.75, 1.25, 1.75 of the input → -0.25, 0.25, 0.75, 1.25.
/// assert_eq!(Resize::new(1, 4).apply(&x).to_vec::<f32>(), [0.0, 1.0, 3.0, 4.0]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Resize {
    height: usize,
    width: usize,
}

impl Resize {
    /// Resizes to `height × width` (both at least 1).
    ///
    /// ```
    /// let _ = ember_data::transforms::Resize::new(32, 32);
    /// ```
    #[track_caller]
    pub fn new(height: usize, width: usize) -> Resize {
        assert!(
            height > 0 && width > 0,
            "Resize: the size must be at least 1×1"
        );
        Resize { height, width }
    }
}

/// For each output coordinate: the two input coordinates and the weight of the second.
fn taps(n_in: usize, n_out: usize) -> Vec<(usize, usize, f32)> {
    let scale = n_in as f64 / n_out as f64;
    (0..n_out)
        .map(|o| {
            let src = ((o as f64 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (src.floor() as usize).min(n_in - 1);
            let i1 = (i0 + 1).min(n_in - 1);
            (i0, i1, (src - i0 as f64) as f32)
        })
        .collect()
}

impl Transform for Resize {
    #[track_caller]
    fn apply(&self, x: &Tensor) -> Tensor {
        let (rest, h, w) = hw(x, "Resize");
        assert!(h > 0 && w > 0, "Resize: an empty image");
        let v = x.to_dtype(DType::F32).contiguous().to_vec::<f32>();
        let (ys, xs) = (taps(h, self.height), taps(w, self.width));
        let mut out = Vec::with_capacity(rest * self.height * self.width);
        for r in 0..rest {
            let img = &v[r * h * w..(r + 1) * h * w];
            for &(y0, y1, ly) in &ys {
                for &(x0, x1, lx) in &xs {
                    let top = img[y0 * w + x0] * (1.0 - lx) + img[y0 * w + x1] * lx;
                    let bot = img[y1 * w + x0] * (1.0 - lx) + img[y1 * w + x1] * lx;
                    out.push(top * (1.0 - ly) + bot * ly);
                }
            }
        }
        let mut shape = x.shape().to_vec();
        let nd = shape.len();
        shape[nd - 2] = self.height;
        shape[nd - 1] = self.width;
        if x.dtype() == DType::U8 {
            let q: Vec<u8> = out
                .iter()
                .map(|p| p.round().clamp(0.0, 255.0) as u8)
                .collect();
            Tensor::from_vec(q, &shape)
        } else {
            Tensor::from_vec(out, &shape)
        }
    }
}
