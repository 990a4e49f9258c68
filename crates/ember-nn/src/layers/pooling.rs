//! Pooling layers.

use ember_autograd::Tensor;

use crate::functional::{self as F, Dims};
use crate::{Hooks, Module};

macro_rules! max_pool_layer {
    ($( $(#[$doc:meta])* $name:ident, $n:literal; )*) => {$(
        $(#[$doc])*
        #[derive(crate::Module)]
        pub struct $name {
            /// Window size per spatial dim.
            pub kernel_size: Vec<usize>,
            /// Stride (default: the kernel size).
            pub stride: Vec<usize>,
            /// Implicit `-inf` padding on both sides.
            pub padding: Vec<usize>,
            /// Spacing of the window's elements.
            pub dilation: Vec<usize>,
            /// Round the output size up instead of down.
            pub ceil_mode: bool,
            hooks: Hooks,
        }

        impl $name {
            /// Max pooling over `kernel_size` windows, stride = kernel size.
            #[track_caller]
            pub fn new(kernel_size: impl Into<Dims>) -> $name {
                let k = kernel_size.into().expand(stringify!($name), "kernel_size", $n);
                $name {
                    stride: k.clone(),
                    kernel_size: k,
                    padding: vec![0; $n],
                    dilation: vec![1; $n],
                    ceil_mode: false,
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
            /// Sets the dilation.
            #[track_caller]
            pub fn dilation(mut self, v: impl Into<Dims>) -> $name {
                self.dilation = v.into().expand(stringify!($name), "dilation", $n);
                self
            }
            /// Rounds output sizes up.
            pub fn ceil_mode(mut self, yes: bool) -> $name {
                self.ceil_mode = yes;
                self
            }
            /// The pooled values and their flat indices within each plane (for
            /// [`MaxUnpool2d`]).
            #[track_caller]
            pub fn forward_with_indices(&self, x: &Tensor) -> (Tensor, Tensor) {
                ember_autograd::max_pool(x, &self.kernel_size, &self.stride, &self.padding, &self.dilation, self.ceil_mode)
            }
        }

        impl Module for $name {
            fn forward(&self, x: &Tensor) -> Tensor {
                self.hooks.call(self, x, |x| self.forward_with_indices(x).0)
            }
            fn extra_repr(&self) -> String {
                format!(
                    "kernel_size={:?}, stride={:?}, padding={:?}, dilation={:?}, ceil_mode={}",
                    self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode
                )
            }
        }
    )*};
}

max_pool_layer! {
    /// 1-d max pooling over `(N, C, L)`.
    ///
    /// ```
    /// use ember_nn::{MaxPool1d, Module, Tensor};
    /// let y = MaxPool1d::new(2).forward(&Tensor::from([[[1.0f32, 3.0, 2.0, 5.0]]]));
    /// assert_eq!(y.to_vec::<f32>(), [3.0, 5.0]);
    /// ```
    MaxPool1d, 1;
    /// 2-d max pooling over `(N, C, H, W)`.
    ///
    /// ```
    /// use ember_nn::{DType, MaxPool2d, Module, Tensor};
    /// let pool = MaxPool2d::new(3).stride(2).padding(1);
    /// assert_eq!(pool.forward(&Tensor::randn(&[1, 2, 8, 8], DType::F32)).shape(), &[1, 2, 4, 4]);
    /// ```
    MaxPool2d, 2;
}

macro_rules! avg_pool_layer {
    ($( $(#[$doc:meta])* $name:ident, $n:literal; )*) => {$(
        $(#[$doc])*
        #[derive(crate::Module)]
        pub struct $name {
            /// Window size per spatial dim.
            pub kernel_size: Vec<usize>,
            /// Stride (default: the kernel size).
            pub stride: Vec<usize>,
            /// Zero padding on both sides.
            pub padding: Vec<usize>,
            /// Round the output size up instead of down.
            pub ceil_mode: bool,
            /// Count padded zeros in the average.
            pub count_include_pad: bool,
            /// Divide by this instead of the window size.
            pub divisor_override: Option<usize>,
            hooks: Hooks,
        }

        impl $name {
            /// Average pooling over `kernel_size` windows, stride = kernel size.
            #[track_caller]
            pub fn new(kernel_size: impl Into<Dims>) -> $name {
                let k = kernel_size.into().expand(stringify!($name), "kernel_size", $n);
                $name {
                    stride: k.clone(),
                    kernel_size: k,
                    padding: vec![0; $n],
                    ceil_mode: false,
                    count_include_pad: true,
                    divisor_override: None,
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
            /// Rounds output sizes up.
            pub fn ceil_mode(mut self, yes: bool) -> $name {
                self.ceil_mode = yes;
                self
            }
            /// Whether padded zeros count in the average.
            pub fn count_include_pad(mut self, yes: bool) -> $name {
                self.count_include_pad = yes;
                self
            }
        }

        impl Module for $name {
            fn forward(&self, x: &Tensor) -> Tensor {
                self.hooks.call(self, x, |x| {
                    ember_autograd::avg_pool(x, &self.kernel_size, &self.stride, &self.padding,
                        self.ceil_mode, self.count_include_pad, self.divisor_override)
                })
            }
            fn extra_repr(&self) -> String {
                format!("kernel_size={:?}, stride={:?}, padding={:?}", self.kernel_size, self.stride, self.padding)
            }
        }
    )*};
}

avg_pool_layer! {
    /// 1-d average pooling over `(N, C, L)`.
    ///
    /// ```
    /// use ember_nn::{AvgPool1d, Module, Tensor};
    /// let y = AvgPool1d::new(2).forward(&Tensor::from([[[1.0f32, 3.0, 2.0, 6.0]]]));
    /// assert_eq!(y.to_vec::<f32>(), [2.0, 4.0]);
    /// ```
    AvgPool1d, 1;
    /// 2-d average pooling over `(N, C, H, W)`.
    ///
    /// ```
    /// use ember_nn::{AvgPool2d, DType, Module, Tensor};
    /// let y = AvgPool2d::new(2).forward(&Tensor::ones(&[1, 1, 4, 4], DType::F32));
    /// assert_eq!(y.to_vec::<f32>(), [1.0; 4]);
    /// ```
    AvgPool2d, 2;
}

macro_rules! adaptive_layer {
    ($( $(#[$doc:meta])* $name:ident, $n:literal, $max:literal; )*) => {$(
        $(#[$doc])*
        #[derive(crate::Module)]
        pub struct $name {
            /// The output's spatial size.
            pub output_size: Vec<usize>,
            hooks: Hooks,
        }

        impl $name {
            /// Pools to `output_size`.
            #[track_caller]
            pub fn new(output_size: impl Into<Dims>) -> $name {
                $name {
                    output_size: output_size.into().expand(stringify!($name), "output_size", $n),
                    hooks: Hooks::new(),
                }
            }
        }

        impl Module for $name {
            fn forward(&self, x: &Tensor) -> Tensor {
                self.hooks.call(self, x, |x| {
                    if $max {
                        ember_autograd::adaptive_max_pool(x, &self.output_size).0
                    } else {
                        ember_autograd::adaptive_avg_pool(x, &self.output_size)
                    }
                })
            }
            fn extra_repr(&self) -> String {
                format!("output_size={:?}", self.output_size)
            }
        }
    )*};
}

adaptive_layer! {
    /// Adaptive average pooling of `(N, C, L)` to a fixed length.
    ///
    /// ```
    /// use ember_nn::{AdaptiveAvgPool1d, Module, Tensor};
    /// let y = AdaptiveAvgPool1d::new(1).forward(&Tensor::from([[[1.0f32, 3.0]]]));
    /// assert_eq!(y.to_vec::<f32>(), [2.0]);
    /// ```
    AdaptiveAvgPool1d, 1, false;
    /// Adaptive average pooling of `(N, C, H, W)` to a fixed size (`[1, 1]`: global average).
    ///
    /// ```
    /// use ember_nn::{AdaptiveAvgPool2d, DType, Module, Tensor};
    /// let y = AdaptiveAvgPool2d::new(1).forward(&Tensor::ones(&[2, 3, 7, 7], DType::F32));
    /// assert_eq!(y.shape(), &[2, 3, 1, 1]);
    /// ```
    AdaptiveAvgPool2d, 2, false;
    /// Adaptive max pooling of `(N, C, H, W)` to a fixed size.
    ///
    /// ```
    /// use ember_nn::{AdaptiveMaxPool2d, DType, Module, Tensor};
    /// let y = AdaptiveMaxPool2d::new([2, 3]).forward(&Tensor::randn(&[1, 1, 5, 7], DType::F32));
    /// assert_eq!(y.shape(), &[1, 1, 2, 3]);
    /// ```
    AdaptiveMaxPool2d, 2, true;
}

/// The partial inverse of [`MaxPool2d`]: values back at their pooled indices, zeros elsewhere.
///
/// ```
/// use ember_nn::{MaxPool2d, MaxUnpool2d, Tensor};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
/// let (v, i) = MaxPool2d::new(2).forward_with_indices(&x);
/// let u = MaxUnpool2d::new(2).forward2(&v, &i, None);
/// assert_eq!(u.to_vec::<f32>(), [0.0, 0.0, 0.0, 4.0]);
/// ```
#[derive(crate::Module)]
pub struct MaxUnpool2d {
    /// The pooling's kernel size.
    pub kernel_size: Vec<usize>,
    /// The pooling's stride.
    pub stride: Vec<usize>,
    /// The pooling's padding.
    pub padding: Vec<usize>,
    hooks: Hooks,
}

impl MaxUnpool2d {
    /// Undoes a `kernel_size` pooling with stride = kernel size.
    #[track_caller]
    pub fn new(kernel_size: impl Into<Dims>) -> MaxUnpool2d {
        let k = kernel_size.into().expand("MaxUnpool2d", "kernel_size", 2);
        MaxUnpool2d {
            stride: k.clone(),
            kernel_size: k,
            padding: vec![0; 2],
            hooks: Hooks::new(),
        }
    }

    /// Unpools `x` with the `indices` from the pooling, to `output_size` (default: the size
    /// the pooling came from, `(in − 1)·stride − 2·padding + kernel`).
    #[track_caller]
    pub fn forward2(
        &self,
        x: &Tensor,
        indices: &Tensor,
        output_size: Option<[usize; 2]>,
    ) -> Tensor {
        let nd = x.ndim();
        let size = output_size.unwrap_or_else(|| {
            let f = |i: usize| {
                (x.shape()[nd - 2 + i] - 1) * self.stride[i] + self.kernel_size[i]
                    - 2 * self.padding[i]
            };
            [f(0), f(1)]
        });
        F::max_unpool2d(x, indices, size)
    }
}

impl Module for MaxUnpool2d {
    /// Not a one-input module: call [`forward2`](MaxUnpool2d::forward2) with the indices.
    #[track_caller]
    fn forward(&self, _x: &Tensor) -> Tensor {
        panic!("MaxUnpool2d needs the pooling indices: call forward2(x, indices, output_size)")
    }
}
