//! Parameter initialisers (`nn.init`): fill a tensor in place, without recording, with the
//! same distributions as PyTorch's.

use ember_autograd::{DType, Tensor, no_grad};

/// The non-linearity a gain is computed for ([`calculate_gain`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Nonlinearity {
    /// Linear, convolutions, sigmoid: gain 1.
    Linear,
    /// Sigmoid: gain 1.
    Sigmoid,
    /// Tanh: gain 5/3.
    Tanh,
    /// ReLU: gain √2.
    Relu,
    /// Leaky ReLU with this negative slope: gain √(2 / (1 + slope²)).
    LeakyRelu(f64),
    /// SELU: gain 3/4.
    Selu,
}

/// The recommended gain for a non-linearity (`nn.init.calculate_gain`).
///
/// ```
/// use ember_nn::init::{calculate_gain, Nonlinearity};
/// assert_eq!(calculate_gain(Nonlinearity::Relu), 2f64.sqrt());
/// ```
pub fn calculate_gain(nonlinearity: Nonlinearity) -> f64 {
    match nonlinearity {
        Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2f64.sqrt(),
        Nonlinearity::LeakyRelu(a) => (2.0 / (1.0 + a * a)).sqrt(),
        Nonlinearity::Selu => 0.75,
    }
}

/// Which fan Kaiming initialisation preserves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanMode {
    /// The variance of the forward activations.
    FanIn,
    /// The variance of the backward gradients.
    FanOut,
}

/// `(fan_in, fan_out)` of a weight: for `(out, in, *k)`, `in·∏k` and `out·∏k`.
///
/// # Panics
/// On a tensor with fewer than 2 dims.
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// assert_eq!(init::calculate_fan_in_and_fan_out(&Tensor::zeros(&[8, 3, 5, 5], DType::F32)), (75, 200));
/// ```
#[track_caller]
pub fn calculate_fan_in_and_fan_out(t: &Tensor) -> (usize, usize) {
    if t.ndim() < 2 {
        panic!(
            "fan in and fan out can not be computed for a tensor with fewer than 2 dims ({:?})",
            t.shape()
        );
    }
    let field: usize = t.shape()[2..].iter().product();
    (t.shape()[1] * field, t.shape()[0] * field)
}

/// Fills with `U(low, high)`.
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// let w = Tensor::zeros(&[100], DType::F32);
/// init::uniform_(&w, -0.5, 0.5);
/// assert!(w.to_vec::<f32>().iter().all(|v| (-0.5..0.5).contains(v)));
/// ```
pub fn uniform_(t: &Tensor, low: f64, high: f64) -> &Tensor {
    t.uniform_(low, high)
}

/// Fills with `N(mean, std²)`.
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// let w = Tensor::zeros(&[10_000], DType::F64);
/// init::normal_(&w, 1.0, 0.1);
/// assert!((w.mean().item::<f64>() - 1.0).abs() < 0.01);
/// ```
pub fn normal_(t: &Tensor, mean: f64, std: f64) -> &Tensor {
    t.normal_(mean, std)
}

/// Fills with `value`.
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// let w = Tensor::zeros(&[2], DType::F32);
/// assert_eq!(init::constant_(&w, 0.5).to_vec::<f32>(), [0.5, 0.5]);
/// ```
pub fn constant_(t: &Tensor, value: f64) -> &Tensor {
    no_grad(|| t.fill_(value));
    t
}

/// Fills with zeros.
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// let w = Tensor::ones(&[2], DType::F32);
/// assert_eq!(init::zeros_(&w).to_vec::<f32>(), [0.0, 0.0]);
/// ```
pub fn zeros_(t: &Tensor) -> &Tensor {
    constant_(t, 0.0)
}

/// Fills with ones.
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// let w = Tensor::zeros(&[2], DType::F32);
/// assert_eq!(init::ones_(&w).to_vec::<f32>(), [1.0, 1.0]);
/// ```
pub fn ones_(t: &Tensor) -> &Tensor {
    constant_(t, 1.0)
}

/// Fills a 2-d tensor with the identity (ones on the diagonal).
///
/// # Panics
/// On a tensor that is not 2-d.
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// let w = Tensor::zeros(&[2, 3], DType::F32);
/// assert_eq!(init::eye_(&w).to_vec::<f32>(), [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
/// ```
#[track_caller]
pub fn eye_(t: &Tensor) -> &Tensor {
    if t.ndim() != 2 {
        panic!("eye_: only 2-d tensors are supported, got {:?}", t.shape());
    }
    let e = Tensor::eye(t.shape()[0], Some(t.shape()[1]), t.dtype());
    no_grad(|| t.copy_(&e));
    t
}

/// Fills a `(out, in, *k)` convolution weight with the Dirac delta: the convolution is the
/// identity on the first `min(out, in)` channels (per group).
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// let w = Tensor::ones(&[2, 2, 3], DType::F32);
/// init::dirac_(&w, 1);
/// assert_eq!(w.sum().item::<f32>(), 2.0);
/// assert_eq!(w.i((0, 0, 1)).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn dirac_(t: &Tensor, groups: usize) -> &Tensor {
    if !(3..=5).contains(&t.ndim()) || groups == 0 || !t.shape()[0].is_multiple_of(groups) {
        panic!(
            "dirac_: needs a 3, 4 or 5-d weight with dim 0 divisible by groups = {groups}, got {:?}",
            t.shape()
        );
    }
    let shape = t.shape().to_vec();
    let out_per = shape[0] / groups;
    let min_dim = out_per.min(shape[1]);
    let spatial: usize = shape[2..].iter().product();
    let mut v = vec![0.0f64; t.numel()];
    let centre: usize = {
        let mut off = 0;
        let mut stride = 1;
        for &k in shape[2..].iter().rev() {
            off += (k / 2) * stride;
            stride *= k;
        }
        off
    };
    for g in 0..groups {
        for d in 0..min_dim {
            let o = g * out_per + d;
            v[(o * shape[1] + d) * spatial + centre] = 1.0;
        }
    }
    let src = Tensor::from_vec(v, &shape).to_dtype(t.dtype());
    no_grad(|| t.copy_(&src));
    t
}

/// Xavier/Glorot uniform: `U(−a, a)` with `a = gain·√(6 / (fan_in + fan_out))`.
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// let w = Tensor::zeros(&[30, 20], DType::F32);
/// init::xavier_uniform_(&w, 1.0);
/// let a = (6.0f32 / 50.0).sqrt();
/// assert!(w.to_vec::<f32>().iter().all(|v| v.abs() <= a));
/// ```
#[track_caller]
pub fn xavier_uniform_(t: &Tensor, gain: f64) -> &Tensor {
    let (fi, fo) = calculate_fan_in_and_fan_out(t);
    let a = gain * (6.0 / (fi + fo) as f64).sqrt();
    t.uniform_(-a, a)
}

/// Xavier/Glorot normal: `N(0, std²)` with `std = gain·√(2 / (fan_in + fan_out))`.
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// let w = Tensor::zeros(&[200, 200], DType::F64);
/// init::xavier_normal_(&w, 1.0);
/// assert!((w.std(1.0).item::<f64>() - (2.0f64 / 400.0).sqrt()).abs() < 0.002);
/// ```
#[track_caller]
pub fn xavier_normal_(t: &Tensor, gain: f64) -> &Tensor {
    let (fi, fo) = calculate_fan_in_and_fan_out(t);
    t.normal_(0.0, gain * (2.0 / (fi + fo) as f64).sqrt())
}

#[track_caller]
fn kaiming_std(t: &Tensor, mode: FanMode, nonlinearity: Nonlinearity) -> f64 {
    let (fi, fo) = calculate_fan_in_and_fan_out(t);
    let fan = match mode {
        FanMode::FanIn => fi,
        FanMode::FanOut => fo,
    };
    calculate_gain(nonlinearity) / (fan as f64).sqrt()
}

/// Kaiming/He uniform: `U(−b, b)` with `b = gain·√(3 / fan)`. PyTorch's default for linear
/// and convolution weights is `kaiming_uniform_(w, FanIn, LeakyRelu(√5))`.
///
/// ```
/// use ember_nn::init::{self, FanMode, Nonlinearity};
/// use ember_nn::{DType, Tensor};
/// let w = Tensor::zeros(&[10, 50], DType::F32);
/// init::kaiming_uniform_(&w, FanMode::FanIn, Nonlinearity::Relu);
/// let b = (2.0f32).sqrt() * (3.0f32 / 50.0).sqrt();
/// assert!(w.to_vec::<f32>().iter().all(|v| v.abs() <= b));
/// ```
#[track_caller]
pub fn kaiming_uniform_(t: &Tensor, mode: FanMode, nonlinearity: Nonlinearity) -> &Tensor {
    let b = 3f64.sqrt() * kaiming_std(t, mode, nonlinearity);
    t.uniform_(-b, b)
}

/// Kaiming/He normal: `N(0, std²)` with `std = gain / √fan`.
///
/// ```
/// use ember_nn::init::{self, FanMode, Nonlinearity};
/// use ember_nn::{DType, Tensor};
/// let w = Tensor::zeros(&[400, 100], DType::F64);
/// init::kaiming_normal_(&w, FanMode::FanOut, Nonlinearity::Relu);
/// assert!((w.std(1.0).item::<f64>() - (2.0f64 / 400.0).sqrt()).abs() < 0.002);
/// ```
#[track_caller]
pub fn kaiming_normal_(t: &Tensor, mode: FanMode, nonlinearity: Nonlinearity) -> &Tensor {
    let std = kaiming_std(t, mode, nonlinearity);
    t.normal_(0.0, std)
}

/// Normal `N(mean, std²)` truncated to `[a, b]` (resampling by the inverse CDF, as PyTorch).
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// let w = Tensor::zeros(&[1000], DType::F32);
/// init::trunc_normal_(&w, 0.0, 1.0, -0.5, 0.5);
/// assert!(w.to_vec::<f32>().iter().all(|v| (-0.5..=0.5).contains(v)));
/// ```
pub fn trunc_normal_(t: &Tensor, mean: f64, std: f64, a: f64, b: f64) -> &Tensor {
    let cdf = |x: f64| 0.5 * (1.0 + libm::erf((x - mean) / std / 2f64.sqrt()));
    let (l, u) = (cdf(a), cdf(b));
    // U(2l − 1, 2u − 1) through erfinv, scaled: PyTorch's method.
    let uni = Tensor::rand(t.shape(), DType::F64)
        .mul(2.0 * (u - l))
        .add(2.0 * l - 1.0);
    let v: Vec<f64> = uni
        .to_vec::<f64>()
        .into_iter()
        .map(|p| (erfinv(p) * std * 2f64.sqrt() + mean).clamp(a, b))
        .collect();
    let src = Tensor::from_vec(v, t.shape()).to_dtype(t.dtype());
    no_grad(|| t.copy_(&src));
    t
}

/// Fills with a (semi-)orthogonal matrix times `gain`: the Q of a QR decomposition of a normal
/// matrix, signs fixed so the distribution is uniform (Haar). Trailing dims are flattened.
///
/// # Panics
/// On a tensor with fewer than 2 dims.
///
/// ```
/// use ember_nn::{init, DType, Tensor};
/// let w = Tensor::zeros(&[3, 5], DType::F64);
/// init::orthogonal_(&w, 1.0);
/// let wwt = w.matmul(&w.t()).to_vec::<f64>(); // rows orthonormal
/// for i in 0..3 { for j in 0..3 {
///     assert!((wwt[i * 3 + j] - if i == j { 1.0 } else { 0.0 }).abs() < 1e-10);
/// } }
/// ```
#[track_caller]
pub fn orthogonal_(t: &Tensor, gain: f64) -> &Tensor {
    if t.ndim() < 2 {
        panic!(
            "orthogonal_: only tensors with 2 or more dims are supported, got {:?}",
            t.shape()
        );
    }
    let rows = t.shape()[0];
    let cols = t.numel() / rows.max(1);
    // QR of the tall matrix (max × min) by modified Gram–Schmidt in f64, then transpose if
    // the target is wide.
    let (m, n) = (rows.max(cols), rows.min(cols));
    let mut q = Tensor::randn(&[m, n], DType::F64).to_vec::<f64>();
    for j in 0..n {
        for k in 0..j {
            let dot: f64 = (0..m).map(|i| q[i * n + j] * q[i * n + k]).sum();
            for i in 0..m {
                q[i * n + j] -= dot * q[i * n + k];
            }
        }
        let norm: f64 = (0..m).map(|i| q[i * n + j].powi(2)).sum::<f64>().sqrt();
        // Gram–Schmidt gives R a positive diagonal, which is PyTorch's sign correction.
        for i in 0..m {
            q[i * n + j] /= norm.max(f64::MIN_POSITIVE);
        }
    }
    let mut out = vec![0.0f64; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            out[r * cols + c] = gain
                * if rows >= cols {
                    q[r * n + c]
                } else {
                    q[c * n + r]
                };
        }
    }
    let src = Tensor::from_vec(out, t.shape()).to_dtype(t.dtype());
    no_grad(|| t.copy_(&src));
    t
}

/// Inverse error function: an initial rational approximation refined by Newton steps on
/// `erf`, accurate to ~1e-12 on (−1, 1).
fn erfinv(y: f64) -> f64 {
    if y <= -1.0 {
        return f64::NEG_INFINITY;
    }
    if y >= 1.0 {
        return f64::INFINITY;
    }
    // Giles' single-precision approximation as the start.
    let w = -((1.0 - y) * (1.0 + y)).ln();
    let mut x = if w < 5.0 {
        let w = w - 2.5;
        let mut p = 2.810_226_36e-08;
        for c in [
            3.432_739_39e-07,
            -3.523_387_7e-06,
            -4.391_506_54e-06,
            0.000_218_580_87,
            -0.001_253_725_03,
            -0.004_177_681_64,
            0.246_640_727,
            1.501_409_41,
        ] {
            p = c + p * w;
        }
        p * y
    } else {
        let w = w.sqrt() - 3.0;
        let mut p = -0.000_200_214_257;
        for c in [
            0.000_100_950_558,
            0.001_349_343_22,
            -0.003_673_428_44,
            0.005_739_507_73,
            -0.007_622_461_3,
            0.009_438_870_47,
            1.001_674_06,
            2.832_976_82,
        ] {
            p = c + p * w;
        }
        p * y
    };
    let two_over_sqrt_pi = 2.0 / std::f64::consts::PI.sqrt();
    for _ in 0..3 {
        let err = libm::erf(x) - y;
        x -= err / (two_over_sqrt_pi * (-x * x).exp());
    }
    x
}
