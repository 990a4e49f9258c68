//! Creating tensors: constants, ranges and random numbers. All are leaves that do not require
//! grad; call `.requires_grad_(true)` on parameters.

use ember_tensor::{Array, DType, Generator, Scalar};

use crate::grad_mode::no_grad;
use crate::tensor::Tensor;

impl Tensor {
    /// A tensor of zeros (`torch.zeros`).
    ///
    /// ```
    /// let z = ember_autograd::Tensor::zeros(&[2], ember_autograd::DType::F64);
    /// assert_eq!(z.to_vec::<f64>(), vec![0.0, 0.0]);
    /// ```
    pub fn zeros(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::from_array(Array::zeros(shape, dtype))
    }

    /// A tensor of ones (`torch.ones`).
    ///
    /// ```
    /// let o = ember_autograd::Tensor::ones(&[2], ember_autograd::DType::F32);
    /// assert_eq!(o.to_vec::<f32>(), vec![1.0, 1.0]);
    /// ```
    pub fn ones(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::from_array(Array::ones(shape, dtype))
    }

    /// A tensor filled with `value` (`torch.full`).
    ///
    /// ```
    /// let t = ember_autograd::Tensor::full(&[2], 7, ember_autograd::DType::I64);
    /// assert_eq!(t.to_vec::<i64>(), vec![7, 7]);
    /// ```
    pub fn full(shape: &[usize], value: impl Into<Scalar>, dtype: DType) -> Tensor {
        Tensor::from_array(Array::full(shape, value, dtype))
    }

    /// `start, start + step, …` below `end` (`torch.arange`).
    ///
    /// ```
    /// let t = ember_autograd::Tensor::arange(0.0, 3.0, 1.0, ember_autograd::DType::I64);
    /// assert_eq!(t.to_vec::<i64>(), vec![0, 1, 2]);
    /// ```
    #[track_caller]
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Tensor {
        Tensor::from_array(Array::arange(start, end, step, dtype))
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive (`torch.linspace`).
    ///
    /// ```
    /// let t = ember_autograd::Tensor::linspace(0.0, 1.0, 3, ember_autograd::DType::F32);
    /// assert_eq!(t.to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
    /// ```
    pub fn linspace(start: f64, end: f64, steps: usize, dtype: DType) -> Tensor {
        Tensor::from_array(Array::linspace(start, end, steps, dtype))
    }

    /// The `n × m` identity (`torch.eye`).
    ///
    /// ```
    /// let t = ember_autograd::Tensor::eye(2, None, ember_autograd::DType::F32);
    /// assert_eq!(t.to_vec::<f32>(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    pub fn eye(n: usize, m: Option<usize>, dtype: DType) -> Tensor {
        Tensor::from_array(Array::eye(n, m, dtype))
    }

    /// Uniform random numbers in `[0, 1)` from the default generator (`torch.rand`).
    ///
    /// ```
    /// let t = ember_autograd::Tensor::rand(&[100], ember_autograd::DType::F32);
    /// assert!(t.to_vec::<f32>().iter().all(|v| (0.0..1.0).contains(v)));
    /// ```
    pub fn rand(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::from_array(Array::rand(shape, dtype))
    }

    /// Standard normal random numbers from the default generator (`torch.randn`).
    ///
    /// ```
    /// ember_autograd::manual_seed(0);
    /// let a = ember_autograd::Tensor::randn(&[3], ember_autograd::DType::F32);
    /// ember_autograd::manual_seed(0);
    /// assert_eq!(a.to_vec::<f32>(), ember_autograd::Tensor::randn(&[3], ember_autograd::DType::F32).to_vec::<f32>());
    /// ```
    pub fn randn(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::from_array(Array::randn(shape, dtype))
    }

    /// Standard normal random numbers from `generator`.
    ///
    /// ```
    /// let mut g = ember_autograd::Generator::new(1);
    /// let t = ember_autograd::Tensor::randn_with(&[2], ember_autograd::DType::F64, &mut g);
    /// assert_eq!(t.shape(), &[2]);
    /// ```
    pub fn randn_with(shape: &[usize], dtype: DType, generator: &mut Generator) -> Tensor {
        Tensor::from_array(Array::randn_with(shape, dtype, generator))
    }

    /// Uniform random numbers in `[0, 1)` from `generator`.
    ///
    /// ```
    /// let mut g = ember_autograd::Generator::new(1);
    /// let t = ember_autograd::Tensor::rand_with(&[2], ember_autograd::DType::F64, &mut g);
    /// assert_eq!(t.shape(), &[2]);
    /// ```
    pub fn rand_with(shape: &[usize], dtype: DType, generator: &mut Generator) -> Tensor {
        Tensor::from_array(Array::rand_with(shape, dtype, generator))
    }

    /// Random integers in `[low, high)` (`torch.randint`).
    ///
    /// ```
    /// let t = ember_autograd::Tensor::randint(0, 3, &[10], ember_autograd::DType::I64);
    /// assert!(t.to_vec::<i64>().iter().all(|v| (0..3).contains(v)));
    /// ```
    #[track_caller]
    pub fn randint(low: i64, high: i64, shape: &[usize], dtype: DType) -> Tensor {
        Tensor::from_array(Array::randint(low, high, shape, dtype))
    }

    /// A random permutation of `0..n` (`torch.randperm`).
    ///
    /// ```
    /// let mut p = ember_autograd::Tensor::randperm(4, ember_autograd::DType::I64).to_vec::<i64>();
    /// p.sort();
    /// assert_eq!(p, vec![0, 1, 2, 3]);
    /// ```
    pub fn randperm(n: usize, dtype: DType) -> Tensor {
        Tensor::from_array(Array::randperm(n, dtype))
    }

    /// Random normal numbers like `self` (`torch.randn_like`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[2, 3], ember_autograd::DType::F64);
    /// assert_eq!(x.randn_like().shape(), &[2, 3]);
    /// ```
    pub fn randn_like(&self) -> Tensor {
        Tensor::from_array(self.data().randn_like())
    }

    /// Random uniform numbers like `self` (`torch.rand_like`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[2, 3], ember_autograd::DType::F64);
    /// assert_eq!(x.rand_like().shape(), &[2, 3]);
    /// ```
    pub fn rand_like(&self) -> Tensor {
        Tensor::from_array(self.data().rand_like())
    }

    /// A tensor filled with `value`, shaped like `self` (`torch.full_like`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[2], ember_autograd::DType::F32);
    /// assert_eq!(x.full_like(3.0).to_vec::<f32>(), vec![3.0, 3.0]);
    /// ```
    pub fn full_like(&self, value: impl Into<Scalar>) -> Tensor {
        Tensor::from_array(self.data().full_like(value))
    }

    /// Fills with normal random numbers in place, without recording (an initialiser).
    ///
    /// ```
    /// let w = ember_autograd::Tensor::zeros(&[3], ember_autograd::DType::F32).requires_grad_(true);
    /// w.normal_(0.0, 0.02);
    /// assert!(w.requires_grad());
    /// ```
    pub fn normal_(&self, mean: f64, std: f64) -> &Tensor {
        no_grad(|| self.data().normal_(mean, std));
        self
    }

    /// Fills with uniform random numbers in `[low, high)` in place, without recording.
    ///
    /// ```
    /// let w = ember_autograd::Tensor::zeros(&[3], ember_autograd::DType::F32);
    /// w.uniform_(-1.0, 1.0);
    /// assert!(w.to_vec::<f32>().iter().all(|v| (-1.0..1.0).contains(v)));
    /// ```
    pub fn uniform_(&self, low: f64, high: f64) -> &Tensor {
        no_grad(|| self.data().uniform_(low, high));
        self
    }

    /// Bernoulli samples with the probabilities in `self` (`torch.bernoulli`); no gradient.
    ///
    /// ```
    /// let p = ember_autograd::Tensor::from([0.0f32, 1.0]);
    /// assert_eq!(p.bernoulli().to_vec::<f32>(), vec![0.0, 1.0]);
    /// ```
    pub fn bernoulli(&self) -> Tensor {
        Tensor::from_array(self.data().bernoulli())
    }
}
