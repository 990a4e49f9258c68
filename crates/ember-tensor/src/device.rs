//! Where an array's storage lives.

use std::fmt;

/// A compute device. Only [`Device::Cpu`] has kernels today; `Cuda` is declared so the API
/// (and level 2) does not change when a CUDA backend arrives.
///
/// ```
/// let a = ember_tensor::Array::zeros(&[2], ember_tensor::DType::F32);
/// assert_eq!(a.device(), ember_tensor::Device::Cpu);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// Host memory, CPU kernels.
    #[default]
    Cpu,
    /// The n-th CUDA device (not implemented yet).
    Cuda(usize),
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}
