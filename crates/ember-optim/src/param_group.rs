//! [`ParamGroup`]: a list of parameters with its own hyper-parameters (`lr`, `momentum`, ...).

use std::collections::BTreeMap;

use ember_autograd::Tensor;

/// One hyper-parameter value of a [`ParamGroup`]: a number, a flag or a pair (Adam's `betas`).
///
/// ```
/// use ember_optim::Hyper;
/// assert_eq!(Hyper::from(0.9), Hyper::Float(0.9));
/// assert_eq!(Hyper::from((0.9, 0.999)).as_pair(), Some((0.9, 0.999)));
/// assert_eq!(Hyper::from(true).as_bool(), Some(true));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Hyper {
    /// A number (`momentum`, `weight_decay`, `eps`, ...).
    Float(f64),
    /// A flag (`nesterov`, `amsgrad`, `maximize`, ...).
    Bool(bool),
    /// A pair of numbers (`betas`).
    Pair(f64, f64),
}

impl Hyper {
    /// The number, if this is a [`Hyper::Float`].
    ///
    /// ```
    /// assert_eq!(ember_optim::Hyper::Float(0.5).as_f64(), Some(0.5));
    /// assert_eq!(ember_optim::Hyper::Bool(true).as_f64(), None);
    /// ```
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Hyper::Float(v) => Some(v),
            _ => None,
        }
    }

    /// The flag, if this is a [`Hyper::Bool`].
    ///
    /// ```
    /// assert_eq!(ember_optim::Hyper::Bool(false).as_bool(), Some(false));
    /// ```
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Hyper::Bool(v) => Some(v),
            _ => None,
        }
    }

    /// The pair, if this is a [`Hyper::Pair`].
    ///
    /// ```
    /// assert_eq!(ember_optim::Hyper::Pair(0.9, 0.99).as_pair(), Some((0.9, 0.99)));
    /// ```
    pub fn as_pair(&self) -> Option<(f64, f64)> {
        match *self {
            Hyper::Pair(a, b) => Some((a, b)),
            _ => None,
        }
    }
}

impl From<f64> for Hyper {
    fn from(v: f64) -> Hyper {
        Hyper::Float(v)
    }
}

impl From<bool> for Hyper {
    fn from(v: bool) -> Hyper {
        Hyper::Bool(v)
    }
}

impl From<(f64, f64)> for Hyper {
    fn from((a, b): (f64, f64)) -> Hyper {
        Hyper::Pair(a, b)
    }
}

/// Hyper-parameters by name, as the keys of a PyTorch param-group dict (sorted, so state dicts
/// and printouts are deterministic).
pub type Options = BTreeMap<String, Hyper>;

/// A group of parameters sharing hyper-parameters (one dict of `optimizer.param_groups` in
/// PyTorch).
///
/// `lr` is a field because everything reads and writes it (schedulers, per-group learning
/// rates); every other hyper-parameter lives in [`options`](ParamGroup::options) under its
/// PyTorch name (`"momentum"`, `"betas"`, `"weight_decay"`, `"initial_lr"`, ...). Keys a group
/// does not set are filled from the optimizer's defaults when the group is added.
///
/// ```
/// use ember_optim::{Optimizer, ParamGroup, Sgd, SgdOptions};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f32]).requires_grad_(true);
/// let b = Tensor::from([0.0f32]).requires_grad_(true);
/// let opt = Sgd::new(
///     vec![ParamGroup::new(vec![w]).with("momentum", 0.0), ParamGroup::new(vec![b]).with_lr(0.5)],
///     SgdOptions { lr: 0.1, momentum: 0.9, ..Default::default() },
/// );
/// assert_eq!(opt.param_groups()[0].lr, 0.1);               // the default
/// assert_eq!(opt.param_groups()[0].get_f64("momentum"), 0.0); // overridden
/// assert_eq!(opt.param_groups()[1].lr, 0.5);
/// assert_eq!(opt.param_groups()[1].get_f64("momentum"), 0.9);
/// ```
#[derive(Clone, Debug)]
pub struct ParamGroup {
    /// The parameters (leaf tensors; handles shared with the model).
    pub params: Vec<Tensor>,
    /// The learning rate. NaN in a group not yet added to an optimizer means "use the
    /// optimizer's default" (a NaN learning rate is never valid, so it cannot be meant).
    pub lr: f64,
    /// Every other hyper-parameter, by its PyTorch name.
    pub options: Options,
}

impl ParamGroup {
    /// A group of `params` that takes every hyper-parameter from the optimizer's defaults
    /// until set with [`with_lr`](ParamGroup::with_lr) / [`with`](ParamGroup::with).
    ///
    /// ```
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let g = ember_optim::ParamGroup::new(vec![w]);
    /// assert!(g.lr.is_nan() && g.options.is_empty());
    /// ```
    pub fn new(params: Vec<Tensor>) -> ParamGroup {
        ParamGroup {
            params,
            lr: f64::NAN,
            options: Options::new(),
        }
    }

    /// Sets this group's learning rate (builder style).
    ///
    /// ```
    /// let g = ember_optim::ParamGroup::new(vec![]).with_lr(0.01);
    /// assert_eq!(g.lr, 0.01);
    /// ```
    pub fn with_lr(mut self, lr: f64) -> ParamGroup {
        self.lr = lr;
        self
    }

    /// Sets the hyper-parameter `key` for this group (builder style); `"lr"` sets the field.
    ///
    /// ```
    /// let g = ember_optim::ParamGroup::new(vec![]).with("betas", (0.8, 0.99)).with("lr", 0.1);
    /// assert_eq!(g.get_pair("betas"), (0.8, 0.99));
    /// assert_eq!(g.lr, 0.1);
    /// ```
    #[track_caller]
    pub fn with(mut self, key: &str, value: impl Into<Hyper>) -> ParamGroup {
        self.set(key, value);
        self
    }

    /// Sets the hyper-parameter `key`; `"lr"` sets the [`lr`](ParamGroup::lr) field.
    ///
    /// # Panics
    /// If `key` is `"lr"` and `value` is not a number.
    ///
    /// ```
    /// let mut g = ember_optim::ParamGroup::new(vec![]);
    /// g.set("momentum", 0.5);
    /// assert_eq!(g.get_f64("momentum"), 0.5);
    /// ```
    #[track_caller]
    pub fn set(&mut self, key: &str, value: impl Into<Hyper>) {
        let value = value.into();
        if key == "lr" {
            self.lr = value
                .as_f64()
                .unwrap_or_else(|| panic!("ParamGroup::set: lr must be a number, got {value:?}"));
        } else {
            self.options.insert(key.to_string(), value);
        }
    }

    /// The hyper-parameter `key` (`"lr"` included), or `None` when the group does not have it.
    ///
    /// ```
    /// let g = ember_optim::ParamGroup::new(vec![]).with("eps", 1e-8);
    /// assert_eq!(g.get("eps"), Some(ember_optim::Hyper::Float(1e-8)));
    /// assert_eq!(g.get("momentum"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<Hyper> {
        if key == "lr" {
            return (!self.lr.is_nan()).then_some(Hyper::Float(self.lr));
        }
        self.options.get(key).copied()
    }

    /// The number `key`.
    ///
    /// # Panics
    /// If the group has no such hyper-parameter or it is not a number.
    ///
    /// ```
    /// let g = ember_optim::ParamGroup::new(vec![]).with("momentum", 0.9);
    /// assert_eq!(g.get_f64("momentum"), 0.9);
    /// ```
    #[track_caller]
    pub fn get_f64(&self, key: &str) -> f64 {
        match self.get(key) {
            Some(Hyper::Float(v)) => v,
            other => {
                panic!("param group: hyper-parameter '{key}' is not a number (found {other:?})")
            }
        }
    }

    /// The flag `key`.
    ///
    /// # Panics
    /// If the group has no such hyper-parameter or it is not a flag.
    ///
    /// ```
    /// let g = ember_optim::ParamGroup::new(vec![]).with("nesterov", true);
    /// assert!(g.get_bool("nesterov"));
    /// ```
    #[track_caller]
    pub fn get_bool(&self, key: &str) -> bool {
        match self.get(key) {
            Some(Hyper::Bool(v)) => v,
            other => panic!("param group: hyper-parameter '{key}' is not a flag (found {other:?})"),
        }
    }

    /// The pair `key` (Adam's `betas`).
    ///
    /// # Panics
    /// If the group has no such hyper-parameter or it is not a pair.
    ///
    /// ```
    /// let g = ember_optim::ParamGroup::new(vec![]).with("betas", (0.9, 0.999));
    /// assert_eq!(g.get_pair("betas").1, 0.999);
    /// ```
    #[track_caller]
    pub fn get_pair(&self, key: &str) -> (f64, f64) {
        match self.get(key) {
            Some(Hyper::Pair(a, b)) => (a, b),
            other => panic!("param group: hyper-parameter '{key}' is not a pair (found {other:?})"),
        }
    }
}

/// What an optimizer accepts as its parameters: a list of tensors (one group) or a list of
/// [`ParamGroup`]s.
///
/// ```
/// use ember_optim::{IntoParamGroups, ParamGroup};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// assert_eq!(vec![w.clone()].into_param_groups().len(), 1);
/// assert_eq!(vec![ParamGroup::new(vec![w.clone()]), ParamGroup::new(vec![])].into_param_groups().len(), 2);
/// ```
pub trait IntoParamGroups {
    /// The groups.
    fn into_param_groups(self) -> Vec<ParamGroup>;
}

impl IntoParamGroups for Vec<Tensor> {
    fn into_param_groups(self) -> Vec<ParamGroup> {
        vec![ParamGroup::new(self)]
    }
}

impl IntoParamGroups for &[Tensor] {
    fn into_param_groups(self) -> Vec<ParamGroup> {
        vec![ParamGroup::new(self.to_vec())]
    }
}

impl IntoParamGroups for &Vec<Tensor> {
    fn into_param_groups(self) -> Vec<ParamGroup> {
        vec![ParamGroup::new(self.clone())]
    }
}

impl<const N: usize> IntoParamGroups for [Tensor; N] {
    fn into_param_groups(self) -> Vec<ParamGroup> {
        vec![ParamGroup::new(self.to_vec())]
    }
}

impl IntoParamGroups for ParamGroup {
    fn into_param_groups(self) -> Vec<ParamGroup> {
        vec![self]
    }
}

impl IntoParamGroups for Vec<ParamGroup> {
    fn into_param_groups(self) -> Vec<ParamGroup> {
        self
    }
}

impl<const N: usize> IntoParamGroups for [ParamGroup; N] {
    fn into_param_groups(self) -> Vec<ParamGroup> {
        self.to_vec()
    }
}
