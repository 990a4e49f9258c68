//! Per-parameter optimizer state and the in-memory state dict (PyTorch's
//! `optimizer.state_dict()`: `state` by parameter index, `param_groups` with hyper-parameters
//! and parameter indices).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use ember_autograd::Tensor;

use crate::param_group::Options;

/// One entry of a parameter's state: a buffer (`exp_avg`, `momentum_buffer`, ...) or a
/// number (`step`, `mu_product`).
///
/// ```
/// use ember_optim::StateValue;
/// assert_eq!(StateValue::Number(3.0).as_number(), Some(3.0));
/// assert!(StateValue::Number(3.0).as_tensor().is_none());
/// ```
#[derive(Clone, Debug)]
pub enum StateValue {
    /// A buffer shaped like the parameter.
    Tensor(Tensor),
    /// A number (PyTorch keeps `step` in a 0-d tensor; here it is a plain `f64`).
    Number(f64),
}

impl StateValue {
    /// The tensor, if this is one.
    ///
    /// ```
    /// let v = ember_optim::StateValue::Tensor(ember_autograd::Tensor::from([1.0f32]));
    /// assert_eq!(v.as_tensor().unwrap().shape(), &[1]);
    /// ```
    pub fn as_tensor(&self) -> Option<&Tensor> {
        match self {
            StateValue::Tensor(t) => Some(t),
            StateValue::Number(_) => None,
        }
    }

    /// The number, if this is one.
    ///
    /// ```
    /// assert_eq!(ember_optim::StateValue::Number(1.0).as_number(), Some(1.0));
    /// ```
    pub fn as_number(&self) -> Option<f64> {
        match self {
            StateValue::Number(v) => Some(*v),
            StateValue::Tensor(_) => None,
        }
    }

    /// A copy that shares nothing with `self` (tensors get their own storage).
    fn deep_copy(&self) -> StateValue {
        match self {
            StateValue::Tensor(t) => StateValue::Tensor(Tensor::from_array(t.data().clone_array())),
            StateValue::Number(v) => StateValue::Number(*v),
        }
    }
}

/// The state of one parameter, by name (`"step"`, `"exp_avg"`, `"momentum_buffer"`, ...).
pub type ParamState = BTreeMap<String, StateValue>;

/// One parameter group of a [`StateDict`]: its hyper-parameters (`"lr"` included) and the
/// indices of its parameters.
///
/// ```
/// use ember_optim::{Optimizer, Sgd, SgdOptions};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
/// let sd = opt.state_dict();
/// assert_eq!(sd.param_groups[0].params, vec![0]);
/// assert_eq!(sd.param_groups[0].hyper["lr"].as_f64(), Some(0.1));
/// ```
#[derive(Clone, Debug)]
pub struct GroupState {
    /// Every hyper-parameter of the group, `"lr"` included.
    pub hyper: Options,
    /// Indices of the group's parameters: parameters are numbered in order over all groups,
    /// starting at 0.
    pub params: Vec<usize>,
}

/// An optimizer's state, as PyTorch's `optimizer.state_dict()`: everything needed to resume
/// training exactly. Tensors in it are copies, so stepping the optimizer afterwards does not
/// change a saved dict (PyTorch hands out references; users `deepcopy` them).
///
/// ```
/// use ember_optim::{Optimizer, Sgd, SgdOptions};
/// use ember_autograd::Tensor;
/// let w = Tensor::from([1.0f64]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w.clone()], SgdOptions { lr: 0.1, momentum: 0.9, ..Default::default() });
/// w.set_grad(Some(Tensor::from([1.0f64])));
/// opt.step();
/// let sd = opt.state_dict();
/// let buf = sd.state[&0]["momentum_buffer"].as_tensor().unwrap();
/// assert_eq!(buf.to_vec::<f64>(), vec![1.0]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct StateDict {
    /// Per-parameter state by parameter index (only parameters that have state).
    pub state: BTreeMap<usize, ParamState>,
    /// The groups, in order.
    pub param_groups: Vec<GroupState>,
}

/// Why a state dict could not be loaded.
///
/// ```
/// use ember_optim::{Optimizer, Sgd, SgdOptions, StateDict, StateDictError};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions::default());
/// let err = opt.load_state_dict(&StateDict::default()).unwrap_err();
/// assert_eq!(err, StateDictError::GroupCount { expected: 1, found: 0 });
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateDictError {
    /// The dict has another number of parameter groups than the optimizer.
    #[error("loaded state dict has {found} parameter groups, the optimizer has {expected}")]
    GroupCount {
        /// Groups in the optimizer.
        expected: usize,
        /// Groups in the dict.
        found: usize,
    },
    /// A group of the dict has another number of parameters than the optimizer's.
    #[error(
        "loaded state dict's parameter group {group} has {found} parameters, the optimizer's \
         group has {expected}"
    )]
    GroupSize {
        /// The group index.
        group: usize,
        /// Parameters in the optimizer's group.
        expected: usize,
        /// Parameters in the dict's group.
        found: usize,
    },
    /// The dict holds state for a parameter index no group lists.
    #[error("loaded state dict has state for parameter {0}, which no parameter group lists")]
    UnknownParam(usize),
    /// A state tensor's shape differs from its parameter's.
    #[error(
        "loaded state '{key}' of parameter {param} has shape {found:?}, the parameter has \
         shape {expected:?}"
    )]
    StateShape {
        /// The parameter index.
        param: usize,
        /// The state entry.
        key: String,
        /// The parameter's shape.
        expected: Vec<usize>,
        /// The state tensor's shape.
        found: Vec<usize>,
    },
    /// A group lacks a hyper-parameter the optimizer needs, or has it with another type.
    #[error("loaded parameter group {group}: hyper-parameter '{key}' {problem}")]
    Hyper {
        /// The group index.
        group: usize,
        /// The hyper-parameter.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A scheduler's state dict does not fit the scheduler it is loaded into.
    #[error("scheduler state dict: {0}")]
    Scheduler(String),
}

/// Per-parameter state keyed by tensor identity (handle identity, as PyTorch keys
/// `optimizer.state` by the parameter object).
///
/// ```
/// use ember_optim::{StateMap, StateValue};
/// let w = ember_autograd::Tensor::from([1.0f32]);
/// let mut states = StateMap::default();
/// states.get_or_insert(&w).insert("step".into(), StateValue::Number(1.0));
/// assert!(states.get(&w).is_some());
/// assert!(states.get(&w.detach()).is_none()); // another tensor, even if it shares the data
/// ```
#[derive(Default, Clone)]
pub struct StateMap {
    buckets: HashMap<usize, Vec<(Tensor, ParamState)>>,
}

fn bucket(t: &Tensor) -> usize {
    Arc::as_ptr(t.data().storage()) as usize
}

impl StateMap {
    /// The state of `p`, if it has any.
    pub fn get(&self, p: &Tensor) -> Option<&ParamState> {
        self.buckets
            .get(&bucket(p))?
            .iter()
            .find(|(t, _)| t.is_same(p))
            .map(|(_, s)| s)
    }

    /// The state of `p`, created empty on first use.
    pub fn get_or_insert(&mut self, p: &Tensor) -> &mut ParamState {
        let b = self.buckets.entry(bucket(p)).or_default();
        let i = match b.iter().position(|(t, _)| t.is_same(p)) {
            Some(i) => i,
            None => {
                b.push((p.clone(), ParamState::new()));
                b.len() - 1
            }
        };
        &mut b[i].1
    }

    /// Removes every parameter's state.
    pub fn clear(&mut self) {
        self.buckets.clear();
    }

    /// Replaces the state of `p`.
    pub fn insert(&mut self, p: &Tensor, s: ParamState) {
        *self.get_or_insert(p) = s;
    }
}

/// A deep copy of a parameter's state (for `state_dict`).
pub(crate) fn copy_state(s: &ParamState) -> ParamState {
    s.iter().map(|(k, v)| (k.clone(), v.deep_copy())).collect()
}

/// A deep copy of loaded state for parameter `p`: floating tensors are cast to the
/// parameter's dtype (as PyTorch does), shapes are checked.
pub(crate) fn load_state(
    index: usize,
    p: &Tensor,
    s: &ParamState,
) -> Result<ParamState, StateDictError> {
    let mut out = ParamState::new();
    for (k, v) in s {
        let v = match v {
            StateValue::Tensor(t) => {
                if t.shape() != p.shape() {
                    return Err(StateDictError::StateShape {
                        param: index,
                        key: k.clone(),
                        expected: p.shape().to_vec(),
                        found: t.shape().to_vec(),
                    });
                }
                let a = if t.dtype().is_floating_point() && t.dtype() != p.dtype() {
                    t.data().to_dtype(p.dtype())
                } else {
                    t.data().clone_array()
                };
                StateValue::Tensor(Tensor::from_array(a))
            }
            StateValue::Number(x) => StateValue::Number(*x),
        };
        out.insert(k.clone(), v);
    }
    Ok(out)
}

/// Typed access to a parameter's state inside optimizer steps.
pub(crate) trait StateExt {
    fn number(&self, key: &str) -> f64;
    fn set_number(&mut self, key: &str, v: f64);
    fn tensor(&self, key: &str) -> &Tensor;
}

impl StateExt for ParamState {
    #[track_caller]
    fn number(&self, key: &str) -> f64 {
        match self.get(key) {
            Some(StateValue::Number(v)) => *v,
            other => panic!("optimizer state '{key}' should be a number, found {other:?}"),
        }
    }

    fn set_number(&mut self, key: &str, v: f64) {
        self.insert(key.to_string(), StateValue::Number(v));
    }

    #[track_caller]
    fn tensor(&self, key: &str) -> &Tensor {
        match self.get(key) {
            Some(StateValue::Tensor(t)) => t,
            other => panic!("optimizer state '{key}' should be a tensor, found {other:?}"),
        }
    }
}
