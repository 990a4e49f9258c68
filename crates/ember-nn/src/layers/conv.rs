//! Convolution layers: `Conv1d/2d/3d` and `ConvTranspose1d/2d`.

use ember_autograd::{DType, PadMode, Tensor};

use crate::functional::{self as F, Dims, Padding};
use crate::init::{self, FanMode, Nonlinearity};
use crate::layers::linear::default_bias;
use crate::{Hooks, Module};

fn weight(shape: &[usize]) -> Tensor {
    let w = Tensor::zeros(shape, DType::F32);
    init::kaiming_uniform_(&w, FanMode::FanIn, Nonlinearity::LeakyRelu(5f64.sqrt()));
    w.requires_grad_(true)
}

macro_rules! conv_layer {
    ($( $(#[$doc:meta])* $name:ident, $n:literal, $f:path; )*) => {$(
        $(#[$doc])*
        #[derive(crate::Module)]
        pub struct $name {
            /// `(out_channels, in_channels / groups, *kernel_size)`.
            pub weight: Tensor,
            /// `(out_channels,)` or `None`.
            pub bias: Option<Tensor>,
            /// Input channels.
            pub in_channels: usize,
            /// Output channels.
            pub out_channels: usize,
            /// Kernel size per spatial dim.
            pub kernel_size: Vec<usize>,
            /// Stride per spatial dim.
            pub stride: Vec<usize>,
            /// Padding (explicit, same or valid).
            #[module(skip)]
            pub padding: Padding,
            /// Dilation per spatial dim.
            pub dilation: Vec<usize>,
            /// Channel groups (`in_channels` for a depthwise convolution).
            pub groups: usize,
            /// How padding is filled: zeros (`Constant`), reflect, replicate or circular.
            pub padding_mode: PadMode,
            hooks: Hooks,
        }

        impl $name {
            /// A convolution `in_channels → out_channels` with a square (cubic) kernel or one
            /// size per dim; stride 1, no padding, bias, PyTorch's initialisation.
            ///
            /// # Panics
            /// When `kernel_size` has neither 1 nor the spatial-dim count of values.
            #[track_caller]
            pub fn new(in_channels: usize, out_channels: usize, kernel_size: impl Into<Dims>) -> $name {
                let kernel_size = kernel_size.into().expand(stringify!($name), "kernel_size", $n);
                let mut shape = vec![out_channels, in_channels];
                shape.extend(&kernel_size);
                let fan_in = in_channels * kernel_size.iter().product::<usize>();
                $name {
                    weight: weight(&shape),
                    bias: Some(default_bias(out_channels, fan_in)),
                    in_channels,
                    out_channels,
                    kernel_size,
                    stride: vec![1; $n],
                    padding: Padding::Explicit(Dims(vec![0; $n])),
                    dilation: vec![1; $n],
                    groups: 1,
                    padding_mode: PadMode::Constant,
                    hooks: Hooks::new(),
                }
            }

            /// Sets the stride.
            #[track_caller]
            pub fn stride(mut self, stride: impl Into<Dims>) -> $name {
                self.stride = stride.into().expand(stringify!($name), "stride", $n);
                self
            }

            /// Sets the padding (`1`, `[1, 2]` or `Padding::Same`).
            pub fn padding(mut self, padding: impl Into<Padding>) -> $name {
                self.padding = padding.into();
                self
            }

            /// Sets the dilation.
            #[track_caller]
            pub fn dilation(mut self, dilation: impl Into<Dims>) -> $name {
                self.dilation = dilation.into().expand(stringify!($name), "dilation", $n);
                self
            }

            /// Sets the padding mode.
            pub fn padding_mode(mut self, mode: PadMode) -> $name {
                self.padding_mode = mode;
                self
            }

            /// Splits the channels into `groups` (re-initialising the weight for its new
            /// shape).
            ///
            /// # Panics
            /// When either channel count is not divisible by `groups`.
            #[track_caller]
            pub fn groups(mut self, groups: usize) -> $name {
                if groups == 0 || self.in_channels % groups != 0 || self.out_channels % groups != 0 {
                    panic!(
                        "{}: in_channels {} and out_channels {} must be divisible by groups {groups}",
                        stringify!($name), self.in_channels, self.out_channels
                    );
                }
                self.groups = groups;
                let mut shape = vec![self.out_channels, self.in_channels / groups];
                shape.extend(&self.kernel_size);
                let fan_in = shape[1..].iter().product();
                self.weight = weight(&shape);
                if self.bias.is_some() {
                    self.bias = Some(default_bias(self.out_channels, fan_in));
                }
                self
            }

            /// With (`true`) or without a bias.
            pub fn bias(mut self, bias: bool) -> $name {
                let fan_in = self.weight.shape()[1..].iter().product();
                self.bias = bias.then(|| default_bias(self.out_channels, fan_in));
                self
            }
        }

        impl Module for $name {
            fn forward(&self, x: &Tensor) -> Tensor {
                self.hooks.call(self, x, |x| {
                    if self.padding_mode == PadMode::Constant {
                        $f(x, &self.weight, self.bias.as_ref(), self.stride.as_slice(),
                           self.padding.clone(), self.dilation.as_slice(), self.groups)
                    } else {
                        let Padding::Explicit(p) = &self.padding else {
                            panic!("{}: padding_mode other than zeros needs explicit padding", stringify!($name));
                        };
                        let p = p.expand(stringify!($name), "padding", $n);
                        let pads: Vec<(usize, usize)> = p.iter().map(|&v| (v, v)).collect();
                        let (xp, _) = crate::functional::pre_pad(x, &pads, self.padding_mode);
                        $f(&xp, &self.weight, self.bias.as_ref(), self.stride.as_slice(), 0,
                           self.dilation.as_slice(), self.groups)
                    }
                })
            }
            fn extra_repr(&self) -> String {
                format!(
                    "{}, {}, kernel_size={:?}, stride={:?}, padding={:?}{}{}",
                    self.in_channels, self.out_channels, self.kernel_size, self.stride, self.padding,
                    if self.groups > 1 { format!(", groups={}", self.groups) } else { String::new() },
                    if self.bias.is_none() { ", bias=False" } else { "" },
                )
            }
        }
    )*};
}

conv_layer! {
    /// 1-d convolution over `(N, C, L)` ([`F::conv1d`]).
    ///
    /// ```
    /// use ember_nn::{Conv1d, DType, Module, Tensor};
    /// let conv = Conv1d::new(4, 8, 3).padding(1);
    /// assert_eq!(conv.forward(&Tensor::randn(&[2, 4, 10], DType::F32)).shape(), &[2, 8, 10]);
    /// ```
    Conv1d, 1, F::conv1d;
    /// 2-d convolution over `(N, C, H, W)` ([`F::conv2d`]).
    ///
    /// ```
    /// use ember_nn::{Conv2d, DType, Module, ModuleExt, Tensor};
    /// let conv = Conv2d::new(3, 16, 3).stride(2).padding(1).bias(false);
    /// assert_eq!(conv.forward(&Tensor::randn(&[1, 3, 32, 32], DType::F32)).shape(), &[1, 16, 16, 16]);
    /// assert_eq!(conv.num_parameters(), 16 * 3 * 3 * 3);
    /// ```
    Conv2d, 2, F::conv2d;
    /// 3-d convolution over `(N, C, D, H, W)` ([`F::conv3d`]).
    ///
    /// ```
    /// use ember_nn::{Conv3d, DType, Module, Tensor};
    /// let conv = Conv3d::new(2, 4, 3).padding(1);
    /// assert_eq!(conv.forward(&Tensor::randn(&[1, 2, 4, 4, 4], DType::F32)).shape(), &[1, 4, 4, 4, 4]);
    /// ```
    Conv3d, 3, F::conv3d;
}

macro_rules! conv_transpose_layer {
    ($( $(#[$doc:meta])* $name:ident, $n:literal, $f:path; )*) => {$(
        $(#[$doc])*
        #[derive(crate::Module)]
        pub struct $name {
            /// `(in_channels, out_channels / groups, *kernel_size)`.
            pub weight: Tensor,
            /// `(out_channels,)` or `None`.
            pub bias: Option<Tensor>,
            /// Input channels.
            pub in_channels: usize,
            /// Output channels.
            pub out_channels: usize,
            /// Kernel size per spatial dim.
            pub kernel_size: Vec<usize>,
            /// Stride per spatial dim.
            pub stride: Vec<usize>,
            /// Padding removed from each side of the output.
            pub padding: Vec<usize>,
            /// Extra size added to one side of the output.
            pub output_padding: Vec<usize>,
            /// Dilation per spatial dim.
            pub dilation: Vec<usize>,
            /// Channel groups.
            pub groups: usize,
            hooks: Hooks,
        }

        impl $name {
            /// A transposed convolution `in_channels → out_channels`.
            #[track_caller]
            pub fn new(in_channels: usize, out_channels: usize, kernel_size: impl Into<Dims>) -> $name {
                let kernel_size = kernel_size.into().expand(stringify!($name), "kernel_size", $n);
                let mut shape = vec![in_channels, out_channels];
                shape.extend(&kernel_size);
                // PyTorch computes fan_in from weight dim 1 for transposed convs.
                let fan_in = out_channels * kernel_size.iter().product::<usize>();
                $name {
                    weight: weight(&shape),
                    bias: Some(default_bias(out_channels, fan_in)),
                    in_channels,
                    out_channels,
                    kernel_size,
                    stride: vec![1; $n],
                    padding: vec![0; $n],
                    output_padding: vec![0; $n],
                    dilation: vec![1; $n],
                    groups: 1,
                    hooks: Hooks::new(),
                }
            }

            /// Sets the stride.
            #[track_caller]
            pub fn stride(mut self, v: impl Into<Dims>) -> $name {
                self.stride = v.into().expand(stringify!($name), "stride", $n);
                self
            }

            /// Sets the padding.
            #[track_caller]
            pub fn padding(mut self, v: impl Into<Dims>) -> $name {
                self.padding = v.into().expand(stringify!($name), "padding", $n);
                self
            }

            /// Sets the output padding.
            #[track_caller]
            pub fn output_padding(mut self, v: impl Into<Dims>) -> $name {
                self.output_padding = v.into().expand(stringify!($name), "output_padding", $n);
                self
            }

            /// With (`true`) or without a bias.
            pub fn bias(mut self, bias: bool) -> $name {
                let fan_in = self.weight.shape()[1..].iter().product();
                self.bias = bias.then(|| default_bias(self.out_channels, fan_in));
                self
            }
        }

        impl Module for $name {
            fn forward(&self, x: &Tensor) -> Tensor {
                self.hooks.call(self, x, |x| {
                    $f(x, &self.weight, self.bias.as_ref(), self.stride.as_slice(),
                       self.padding.as_slice(), self.output_padding.as_slice(), self.groups,
                       self.dilation.as_slice())
                })
            }
        }
    )*};
}

conv_transpose_layer! {
    /// 1-d transposed convolution ([`F::conv_transpose1d`]).
    ///
    /// ```
    /// use ember_nn::{ConvTranspose1d, DType, Module, Tensor};
    /// let up = ConvTranspose1d::new(4, 2, 2).stride(2);
    /// assert_eq!(up.forward(&Tensor::randn(&[1, 4, 5], DType::F32)).shape(), &[1, 2, 10]);
    /// ```
    ConvTranspose1d, 1, F::conv_transpose1d;
    /// 2-d transposed convolution ([`F::conv_transpose2d`]).
    ///
    /// ```
    /// use ember_nn::{ConvTranspose2d, DType, Module, Tensor};
    /// let up = ConvTranspose2d::new(8, 4, 3).stride(2).padding(1).output_padding(1);
    /// assert_eq!(up.forward(&Tensor::randn(&[1, 8, 7, 7], DType::F32)).shape(), &[1, 4, 14, 14]);
    /// ```
    ConvTranspose2d, 2, F::conv_transpose2d;
}
