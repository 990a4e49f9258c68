//! `PixelShuffle`, `PixelUnshuffle`, `Upsample`.

use ember_autograd::Tensor;

use crate::functional::{self as F, InterpolateMode};
use crate::{Hooks, Module};

/// `(N, C·r², H, W)` → `(N, C, H·r, W·r)` ([`F::pixel_shuffle`]).
///
/// ```
/// use ember_nn::{DType, Module, PixelShuffle, Tensor};
/// let y = PixelShuffle::new(3).forward(&Tensor::zeros(&[1, 9, 4, 4], DType::F32));
/// assert_eq!(y.shape(), &[1, 1, 12, 12]);
/// ```
#[derive(crate::Module)]
pub struct PixelShuffle {
    /// The upscale factor `r`.
    pub upscale_factor: usize,
    hooks: Hooks,
}

impl PixelShuffle {
    /// Upscales by `r`.
    pub fn new(upscale_factor: usize) -> PixelShuffle {
        PixelShuffle {
            upscale_factor,
            hooks: Hooks::new(),
        }
    }
}

impl Module for PixelShuffle {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| F::pixel_shuffle(x, self.upscale_factor))
    }
}

/// `(N, C, H·r, W·r)` → `(N, C·r², H, W)` ([`F::pixel_unshuffle`]).
///
/// ```
/// use ember_nn::{DType, Module, PixelUnshuffle, Tensor};
/// let y = PixelUnshuffle::new(2).forward(&Tensor::zeros(&[1, 1, 4, 4], DType::F32));
/// assert_eq!(y.shape(), &[1, 4, 2, 2]);
/// ```
#[derive(crate::Module)]
pub struct PixelUnshuffle {
    /// The downscale factor `r`.
    pub downscale_factor: usize,
    hooks: Hooks,
}

impl PixelUnshuffle {
    /// Downscales by `r`.
    pub fn new(downscale_factor: usize) -> PixelUnshuffle {
        PixelUnshuffle {
            downscale_factor,
            hooks: Hooks::new(),
        }
    }
}

impl Module for PixelUnshuffle {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| F::pixel_unshuffle(x, self.downscale_factor))
    }
}

/// Resizes spatial dims by a scale factor or to a size ([`F::interpolate`]).
///
/// ```
/// use ember_nn::{DType, Module, Tensor, Upsample, functional::InterpolateMode};
/// let up = Upsample::scale(&[2.0, 2.0], InterpolateMode::Nearest);
/// assert_eq!(up.forward(&Tensor::zeros(&[1, 3, 4, 5], DType::F32)).shape(), &[1, 3, 8, 10]);
/// ```
#[derive(crate::Module)]
pub struct Upsample {
    /// Output size, or `None` with a scale factor.
    pub size: Option<Vec<usize>>,
    /// Scale per spatial dim, or `None` with a size.
    pub scale_factor: Option<Vec<f64>>,
    /// Nearest or linear.
    #[module(skip)]
    pub mode: InterpolateMode,
    /// PyTorch's `align_corners` (linear mode).
    pub align_corners: bool,
    hooks: Hooks,
}

impl Upsample {
    /// Resizes to `size`.
    pub fn size(size: &[usize], mode: InterpolateMode) -> Upsample {
        Upsample {
            size: Some(size.to_vec()),
            scale_factor: None,
            mode,
            align_corners: false,
            hooks: Hooks::new(),
        }
    }

    /// Scales by `scale_factor`.
    pub fn scale(scale_factor: &[f64], mode: InterpolateMode) -> Upsample {
        Upsample {
            size: None,
            scale_factor: Some(scale_factor.to_vec()),
            mode,
            align_corners: false,
            hooks: Hooks::new(),
        }
    }
}

impl Module for Upsample {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| {
            F::interpolate(
                x,
                self.size.as_deref(),
                self.scale_factor.as_deref(),
                self.mode,
                self.align_corners,
            )
        })
    }
}
