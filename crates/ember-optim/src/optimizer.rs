//! The [`Optimizer`] trait and [`OptimizerBase`], the part every optimizer shares (PyTorch's
//! `torch.optim.Optimizer` base class: groups, defaults, per-parameter state, state dicts).

use std::collections::BTreeMap;

use ember_autograd::{Tensor, no_grad};

use crate::param_group::{Hyper, IntoParamGroups, Options, ParamGroup};
use crate::state::{
    GroupState, ParamState, StateDict, StateDictError, StateMap, copy_state, load_state,
};

/// Checks one group's hyper-parameters once its defaults are filled in: `Err(message)` for a
/// bad value, which [`OptimizerBase::add_param_group`] turns into a panic at the caller's
/// line.
pub type GroupCheck = fn(&ParamGroup) -> Result<(), String>;

/// What every optimizer holds: its name, its parameter groups, the default hyper-parameters
/// that new groups inherit, and the per-parameter state. An optimizer is an `OptimizerBase`
/// plus a [`step`](Optimizer::step); implement [`Optimizer`] for a struct holding one to write
/// your own (see [`Optimizer`]).
///
/// ```
/// use ember_optim::{Hyper, OptimizerBase, Options};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let defaults = Options::from([("momentum".to_string(), Hyper::Float(0.0))]);
/// let base = OptimizerBase::new("MySgd", vec![w], 0.1, defaults, |_| Ok(()));
/// assert_eq!(base.param_groups()[0].lr, 0.1);
/// assert_eq!(base.param_groups()[0].get_f64("momentum"), 0.0);
/// ```
#[derive(Clone)]
pub struct OptimizerBase {
    name: &'static str,
    groups: Vec<ParamGroup>,
    default_lr: f64,
    defaults: Options,
    state: StateMap,
    check: GroupCheck,
}

impl OptimizerBase {
    /// An optimizer base named `name` (used in error messages) over `params`, with default
    /// learning rate `lr` and other defaults `defaults`; `check` validates each group once its
    /// defaults are filled in.
    ///
    /// # Panics
    /// If `params` holds no parameter at all, a parameter appears twice, a parameter is not a
    /// leaf, or `check` rejects a group.
    ///
    /// ```
    /// use ember_optim::{OptimizerBase, Options};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let base = OptimizerBase::new("Mine", vec![w], 0.1, Options::new(), |_| Ok(()));
    /// assert_eq!(base.name(), "Mine");
    /// ```
    #[track_caller]
    pub fn new(
        name: &'static str,
        params: impl IntoParamGroups,
        lr: f64,
        defaults: Options,
        check: GroupCheck,
    ) -> OptimizerBase {
        let groups = params.into_param_groups();
        assert!(
            groups.iter().any(|g| !g.params.is_empty()),
            "{name}: got an empty parameter list"
        );
        let mut base = OptimizerBase {
            name,
            groups: Vec::with_capacity(groups.len()),
            default_lr: lr,
            defaults,
            state: StateMap::default(),
            check,
        };
        for g in groups {
            base.add_param_group(g);
        }
        base
    }

    /// The optimizer's name (`"SGD"`, `"Adam"`, ...).
    ///
    /// ```
    /// use ember_optim::{Optimizer, Adam, AdamOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// assert_eq!(Adam::new(vec![w], AdamOptions::default()).base().name(), "Adam");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The parameter groups.
    ///
    /// ```
    /// use ember_optim::{OptimizerBase, Options};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let base = OptimizerBase::new("Mine", vec![w], 0.1, Options::new(), |_| Ok(()));
    /// assert_eq!(base.param_groups().len(), 1);
    /// ```
    pub fn param_groups(&self) -> &[ParamGroup] {
        &self.groups
    }

    /// The parameter groups, mutably (to change hyper-parameters).
    ///
    /// ```
    /// use ember_optim::{OptimizerBase, Options};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut base = OptimizerBase::new("Mine", vec![w], 0.1, Options::new(), |_| Ok(()));
    /// base.param_groups_mut()[0].lr = 0.2;
    /// assert_eq!(base.param_groups()[0].lr, 0.2);
    /// ```
    pub fn param_groups_mut(&mut self) -> &mut [ParamGroup] {
        &mut self.groups
    }

    /// The default hyper-parameters (`"lr"` included) that new groups inherit.
    ///
    /// ```
    /// use ember_optim::{OptimizerBase, Options};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let base = OptimizerBase::new("Mine", vec![w], 0.1, Options::new(), |_| Ok(()));
    /// assert_eq!(base.defaults()["lr"].as_f64(), Some(0.1));
    /// ```
    pub fn defaults(&self) -> Options {
        let mut d = self.defaults.clone();
        d.insert("lr".to_string(), Hyper::Float(self.default_lr));
        d
    }

    /// True when the defaults have hyper-parameter `key` (`"lr"` always).
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w], SgdOptions::default());
    /// assert!(opt.base().has_default("momentum") && !opt.base().has_default("betas"));
    /// ```
    pub fn has_default(&self, key: &str) -> bool {
        key == "lr" || self.defaults.contains_key(key)
    }

    /// Adds a group: missing hyper-parameters are filled from the defaults, then the group is
    /// checked.
    ///
    /// # Panics
    /// If one of the group's parameters is already in a group (by identity, as PyTorch's
    /// "some parameters appear in more than one parameter group") or twice in this one, is
    /// not a leaf, or the group's hyper-parameters are invalid.
    ///
    /// ```
    /// use ember_optim::{OptimizerBase, Options, ParamGroup};
    /// use ember_autograd::Tensor;
    /// let w = Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut base = OptimizerBase::new("Mine", vec![w], 0.1, Options::new(), |_| Ok(()));
    /// base.add_param_group(ParamGroup::new(vec![Tensor::from([0.0f32])]).with_lr(1.0));
    /// assert_eq!(base.param_groups()[1].lr, 1.0);
    /// ```
    #[track_caller]
    pub fn add_param_group(&mut self, mut group: ParamGroup) {
        let name = self.name;
        let gi = self.groups.len();
        for (i, p) in group.params.iter().enumerate() {
            assert!(
                p.is_leaf() || p.retains_grad(),
                "{name}: can't optimize a non-leaf tensor (parameter {i} of group {gi}, shape \
                 {:?}, is the output of an op); optimize a leaf, e.g. t.detach().requires_grad_(true)",
                p.shape()
            );
            if let Some(j) = group.params[..i].iter().position(|q| q.is_same(p)) {
                panic!(
                    "{name}: parameter {i} of the new group (shape {:?}) is the same tensor as its \
                     parameter {j}; a parameter may appear only once",
                    p.shape()
                );
            }
            for (gj, g) in self.groups.iter().enumerate() {
                if g.params.iter().any(|q| q.is_same(p)) {
                    panic!(
                        "{name}: some parameters appear in more than one parameter group: \
                         parameter {i} of the new group (shape {:?}) is already in group {gj}",
                        p.shape()
                    );
                }
            }
        }
        if group.lr.is_nan() {
            group.lr = self.default_lr;
        }
        for (k, v) in &self.defaults {
            group.options.entry(k.clone()).or_insert(*v);
        }
        if let Err(msg) = (self.check)(&group) {
            panic!("{msg}");
        }
        self.groups.push(group);
    }

    /// The state of `param` (`None` before its first step).
    ///
    /// ```
    /// use ember_optim::{Optimizer, Adam, AdamOptions};
    /// use ember_autograd::Tensor;
    /// let w = Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Adam::new(vec![w.clone()], AdamOptions::default());
    /// assert!(opt.base().state(&w).is_none());
    /// w.set_grad(Some(Tensor::from([1.0f32])));
    /// opt.step();
    /// assert_eq!(opt.base().state(&w).unwrap()["step"].as_number(), Some(1.0));
    /// ```
    pub fn state(&self, param: &Tensor) -> Option<&ParamState> {
        self.state.get(param)
    }

    /// The groups and the state map at once, for a `step` that reads one and writes the
    /// other.
    ///
    /// ```
    /// use ember_optim::{OptimizerBase, Options};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut base = OptimizerBase::new("Mine", vec![w], 0.1, Options::new(), |_| Ok(()));
    /// let (groups, state) = base.groups_and_state();
    /// assert!(state.get(&groups[0].params[0]).is_none());
    /// ```
    pub fn groups_and_state(&mut self) -> (&[ParamGroup], &mut StateMap) {
        (&self.groups, &mut self.state)
    }

    /// Clears the gradients of every parameter: `set_to_none` drops them (the default in
    /// PyTorch 2), otherwise they are detached and filled with zeros in place.
    ///
    /// ```
    /// use ember_optim::{OptimizerBase, Options};
    /// use ember_autograd::Tensor;
    /// let w = Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut base = OptimizerBase::new("Mine", vec![w.clone()], 0.1, Options::new(), |_| Ok(()));
    /// w.set_grad(Some(Tensor::from([3.0f32])));
    /// base.zero_grad(false);
    /// assert_eq!(w.grad().unwrap().item::<f32>(), 0.0);
    /// base.zero_grad(true);
    /// assert!(w.grad().is_none());
    /// ```
    pub fn zero_grad(&mut self, set_to_none: bool) {
        for g in &self.groups {
            for p in &g.params {
                if set_to_none {
                    p.set_grad(None);
                } else if let Some(gr) = p.grad() {
                    gr.detach_();
                    no_grad(|| gr.zero_());
                }
            }
        }
    }

    /// The state dict: copies of every parameter's state by index, and each group's
    /// hyper-parameters with its parameters' indices.
    ///
    /// ```
    /// use ember_optim::{OptimizerBase, Options};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let base = OptimizerBase::new("Mine", vec![w], 0.1, Options::new(), |_| Ok(()));
    /// assert!(base.state_dict().state.is_empty());
    /// ```
    pub fn state_dict(&self) -> StateDict {
        let mut sd = StateDict::default();
        let mut next = 0;
        for g in &self.groups {
            let mut hyper = g.options.clone();
            hyper.insert("lr".to_string(), Hyper::Float(g.lr));
            let mut params = Vec::with_capacity(g.params.len());
            for p in &g.params {
                if let Some(s) = self.state.get(p) {
                    sd.state.insert(next, copy_state(s));
                }
                params.push(next);
                next += 1;
            }
            sd.param_groups.push(GroupState { hyper, params });
        }
        sd
    }

    /// Loads a state dict: each group takes the dict's hyper-parameters (its parameters stay),
    /// and each parameter a copy of its state (floating tensors cast to the parameter's
    /// dtype). Nothing changes when an error is returned.
    ///
    /// # Errors
    /// When the number of groups or of parameters in a group differs, the dict has state for
    /// an index no group lists, a state tensor's shape differs from its parameter's, or a
    /// group has no number `"lr"`.
    ///
    /// ```
    /// use ember_optim::{OptimizerBase, Options};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut base = OptimizerBase::new("Mine", vec![w], 0.1, Options::new(), |_| Ok(()));
    /// let mut sd = base.state_dict();
    /// sd.param_groups[0].hyper.insert("lr".into(), 0.5.into());
    /// base.load_state_dict(&sd).unwrap();
    /// assert_eq!(base.param_groups()[0].lr, 0.5);
    /// ```
    pub fn load_state_dict(&mut self, sd: &StateDict) -> Result<(), StateDictError> {
        if sd.param_groups.len() != self.groups.len() {
            return Err(StateDictError::GroupCount {
                expected: self.groups.len(),
                found: sd.param_groups.len(),
            });
        }
        let mut by_index: BTreeMap<usize, Tensor> = BTreeMap::new();
        let mut new_groups = Vec::with_capacity(self.groups.len());
        for (gi, (g, sg)) in self.groups.iter().zip(&sd.param_groups).enumerate() {
            if g.params.len() != sg.params.len() {
                return Err(StateDictError::GroupSize {
                    group: gi,
                    expected: g.params.len(),
                    found: sg.params.len(),
                });
            }
            for (p, &i) in g.params.iter().zip(&sg.params) {
                by_index.insert(i, p.clone());
            }
            let lr = match sg.hyper.get("lr") {
                Some(Hyper::Float(v)) => *v,
                other => {
                    return Err(StateDictError::Hyper {
                        group: gi,
                        key: "lr".into(),
                        problem: format!("should be a number, found {other:?}"),
                    });
                }
            };
            let mut options = sg.hyper.clone();
            options.remove("lr");
            new_groups.push(ParamGroup {
                params: g.params.clone(),
                lr,
                options,
            });
        }
        let mut state = StateMap::default();
        for (&i, s) in &sd.state {
            let p = by_index.get(&i).ok_or(StateDictError::UnknownParam(i))?;
            state.insert(p, load_state(i, p, s)?);
        }
        self.groups = new_groups;
        self.state = state;
        Ok(())
    }
}

/// An optimizer: parameter groups with their hyper-parameters, per-parameter state, and a
/// [`step`](Optimizer::step) that updates the parameters in place from their `.grad()`.
///
/// Every method but `step` has a default built on [`base`](Optimizer::base), so a new
/// optimizer is a struct holding an [`OptimizerBase`] plus its update rule:
///
/// ```
/// use ember_optim::{Optimizer, OptimizerBase, Options};
/// use ember_autograd::Tensor;
///
/// /// Plain gradient descent.
/// struct Gd { base: OptimizerBase }
/// impl Optimizer for Gd {
///     fn base(&self) -> &OptimizerBase { &self.base }
///     fn base_mut(&mut self) -> &mut OptimizerBase { &mut self.base }
///     fn step(&mut self) {
///         for g in self.base.param_groups() {
///             for p in &g.params {
///                 if let Some(grad) = p.grad() {
///                     p.data().sub_(&grad.data().mul(g.lr)); // level-1 in-place write
///                 }
///             }
///         }
///     }
/// }
///
/// let w = Tensor::from([1.0f64]).requires_grad_(true);
/// let mut opt = Gd { base: OptimizerBase::new("Gd", vec![w.clone()], 0.5, Options::new(), |_| Ok(())) };
/// w.mul(&w).sum().backward(); // grad 2
/// opt.step();
/// assert_eq!(w.item::<f64>(), 0.0);
/// ```
pub trait Optimizer {
    /// The shared part: groups, defaults, state.
    fn base(&self) -> &OptimizerBase;

    /// The shared part, mutably.
    fn base_mut(&mut self) -> &mut OptimizerBase;

    /// One update of every parameter that has a gradient (parameters whose `grad()` is
    /// `None` are skipped), in place, outside autograd.
    fn step(&mut self);

    /// The parameter groups (`optimizer.param_groups`).
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// assert_eq!(opt.param_groups()[0].lr, 0.1);
    /// ```
    fn param_groups(&self) -> &[ParamGroup] {
        self.base().param_groups()
    }

    /// The parameter groups, mutably: set `lr` or any hyper-parameter per group.
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// for g in opt.param_groups_mut() {
    ///     g.lr *= 0.5;
    /// }
    /// assert_eq!(opt.param_groups()[0].lr, 0.05);
    /// ```
    fn param_groups_mut(&mut self) -> &mut [ParamGroup] {
        self.base_mut().param_groups_mut()
    }

    /// The defaults (`optimizer.defaults`), `"lr"` included.
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w], SgdOptions { momentum: 0.9, ..Default::default() });
    /// assert_eq!(opt.defaults()["momentum"].as_f64(), Some(0.9));
    /// ```
    fn defaults(&self) -> Options {
        self.base().defaults()
    }

    /// Adds a parameter group (e.g. layers unfrozen during fine-tuning); missing
    /// hyper-parameters come from the defaults.
    ///
    /// # Panics
    /// If a parameter of `group` is already in a group (by identity), is not a leaf, or a
    /// hyper-parameter is invalid.
    ///
    /// ```
    /// use ember_optim::{Optimizer, ParamGroup, Sgd, SgdOptions};
    /// use ember_autograd::Tensor;
    /// let w = Tensor::from([1.0f32]).requires_grad_(true);
    /// let b = Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// opt.add_param_group(ParamGroup::new(vec![b]).with_lr(0.01));
    /// assert_eq!(opt.param_groups().len(), 2);
    /// ```
    #[track_caller]
    fn add_param_group(&mut self, group: ParamGroup) {
        self.base_mut().add_param_group(group)
    }

    /// Clears gradients: `set_to_none` drops them (PyTorch 2's default), otherwise they are
    /// zeroed in place.
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// use ember_autograd::Tensor;
    /// let w = Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w.clone()], SgdOptions::default());
    /// w.mul(2.0).sum().backward();
    /// opt.zero_grad(true);
    /// assert!(w.grad().is_none());
    /// ```
    fn zero_grad(&mut self, set_to_none: bool) {
        self.base_mut().zero_grad(set_to_none)
    }

    /// The state of one parameter (`optimizer.state[p]`), `None` before its first step.
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w.clone()], SgdOptions::default());
    /// assert!(opt.state(&w).is_none());
    /// ```
    fn state(&self, param: &Tensor) -> Option<&ParamState> {
        self.base().state(param)
    }

    /// Everything needed to resume: per-parameter state (copied) and group hyper-parameters.
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let opt = Sgd::new(vec![w], SgdOptions::default());
    /// assert_eq!(opt.state_dict().param_groups.len(), 1);
    /// ```
    fn state_dict(&self) -> StateDict {
        self.base().state_dict()
    }

    /// Loads a state dict made by an optimizer of the same kind over parameters of the same
    /// shapes, grouped the same way.
    ///
    /// # Errors
    /// See [`OptimizerBase::load_state_dict`]; the optimizer is unchanged on error.
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut a = Sgd::new(vec![w.clone()], SgdOptions { lr: 0.3, ..Default::default() });
    /// let mut b = Sgd::new(vec![w], SgdOptions::default());
    /// b.load_state_dict(&a.state_dict()).unwrap();
    /// assert_eq!(b.param_groups()[0].lr, 0.3);
    /// # let _ = &mut a;
    /// ```
    fn load_state_dict(&mut self, state_dict: &StateDict) -> Result<(), StateDictError> {
        self.base_mut().load_state_dict(state_dict)
    }
}
