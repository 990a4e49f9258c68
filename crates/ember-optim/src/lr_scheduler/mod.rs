//! Learning-rate schedulers (`torch.optim.lr_scheduler`), with PyTorch's formulas — the
//! recursive (chainable) ones where PyTorch uses them, so the learning rates match PyTorch's
//! to the last bits.
//!
//! # How a scheduler meets its optimizer
//!
//! In PyTorch a scheduler keeps a reference to its optimizer. In Rust that reference would be
//! a `&mut` borrow held for the whole training loop (then `optimizer.step()` could not be
//! called), or shared ownership with run-time borrow checks (`Rc<RefCell<..>>`) that every
//! user would have to write. Instead, a scheduler owns only its own state and is handed the
//! optimizer when it acts: [`LrScheduler::step`]`(&mut optimizer)` writes each group's new
//! `lr` (and, for [`OneCycleLr`], the momentum), exactly where PyTorch's `scheduler.step()`
//! does. The constructor also takes the optimizer, because PyTorch's constructor already sets
//! the first learning rate and records each group's `initial_lr`.
//!
//! ```
//! use ember_autograd::Tensor;
//! use ember_optim::{Optimizer, Sgd, SgdOptions};
//! use ember_optim::lr_scheduler::{ExponentialLr, LrScheduler};
//!
//! let w = Tensor::from([1.0f32]).requires_grad_(true);
//! let mut opt = Sgd::new(vec![w.clone()], SgdOptions { lr: 1.0, ..Default::default() });
//! let mut sched = ExponentialLr::new(&mut opt, 0.5);
//! for _ in 0..3 {
//!     // ... forward, backward ...
//!     opt.step();
//!     sched.step(&mut opt);
//! }
//! assert_eq!(sched.get_last_lr(), &[0.125]);
//! assert_eq!(opt.param_groups()[0].lr, 0.125);
//! ```
//!
//! [`ReduceLrOnPlateau`] is stepped with a metric (`step(&mut opt, val_loss)`), so it does not
//! implement [`LrScheduler`].

mod cosine;
mod exponential;
mod lambda;
mod linear;
mod multistep;
mod onecycle;
mod plateau;
mod sequential;
mod step;
mod warm_restarts;

use std::collections::BTreeMap;

use crate::optimizer::Optimizer;
use crate::param_group::{Hyper, ParamGroup};
use crate::state::StateDictError;

pub use cosine::CosineAnnealingLr;
pub use exponential::ExponentialLr;
pub use lambda::{LambdaLr, LrLambda};
pub use linear::LinearLr;
pub use multistep::MultiStepLr;
pub use onecycle::{AnnealStrategy, OneCycleLr, OneCycleLrOptions};
pub use plateau::{PlateauMode, ReduceLrOnPlateau, ReduceLrOnPlateauOptions, ThresholdMode};
pub use sequential::SequentialLr;
pub use step::StepLr;
pub use warm_restarts::CosineAnnealingWarmRestarts;

/// What every scheduler tracks (the attributes of PyTorch's `LRScheduler`).
///
/// ```
/// use ember_optim::{Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
/// let sched = StepLr::new(&mut opt, 5, 0.1);
/// let b = sched.base();
/// assert_eq!((b.last_epoch, b.step_count), (0, 1)); // the constructor's step
/// assert_eq!(b.base_lrs, vec![0.1]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SchedulerBase {
    /// Each group's `initial_lr`.
    pub base_lrs: Vec<f64>,
    /// Steps taken (0 after construction).
    pub last_epoch: i64,
    /// Calls of `step`, the constructor's included.
    pub step_count: u64,
    /// The learning rates set by the last step.
    pub last_lr: Vec<f64>,
}

impl SchedulerBase {
    /// The base of a scheduler starting now on `optimizer`: records each group's current
    /// `lr` as its `"initial_lr"` unless the group has one (PyTorch's `setdefault`), and
    /// takes those as the base learning rates. `last_epoch` starts at -1; the constructor's
    /// [`initial_step`](LrScheduler::initial_step) brings it to 0.
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::SchedulerBase;
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// let b = SchedulerBase::new(&mut opt);
    /// assert_eq!(opt.param_groups()[0].get_f64("initial_lr"), 0.1);
    /// assert_eq!(b.last_epoch, -1);
    /// ```
    pub fn new(optimizer: &mut dyn Optimizer) -> SchedulerBase {
        let groups = optimizer.param_groups_mut();
        for g in groups.iter_mut() {
            if g.get("initial_lr").is_none() {
                g.set("initial_lr", g.lr);
            }
        }
        SchedulerBase {
            base_lrs: groups.iter().map(|g| g.get_f64("initial_lr")).collect(),
            last_epoch: -1,
            step_count: 0,
            last_lr: Vec::new(),
        }
    }
}

/// A scheduler's state dict: PyTorch's `scheduler.state_dict()` (its `__dict__` minus the
/// optimizer) in a fixed shape. Hyper-parameters given to the constructor (gamma, T_max, ...)
/// are not in it: a scheduler is rebuilt with them, then loaded.
///
/// ```
/// use ember_optim::{Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
/// let mut sched = StepLr::new(&mut opt, 2, 0.1);
/// sched.step(&mut opt);
/// let sd = sched.state_dict();
/// assert_eq!(sd.last_epoch, 1);
/// let mut again = StepLr::new(&mut opt, 2, 0.1);
/// again.load_state_dict(&sd).unwrap();
/// assert_eq!(again.last_epoch(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SchedulerState {
    /// Steps taken.
    pub last_epoch: i64,
    /// Calls of `step`.
    pub step_count: u64,
    /// Each group's initial learning rate.
    pub base_lrs: Vec<f64>,
    /// The learning rates set by the last step.
    pub last_lr: Vec<f64>,
    /// Scheduler-specific numbers (`T_cur`, `best`, `num_bad_epochs`, ...).
    pub extra: BTreeMap<String, f64>,
    /// The state of inner schedulers ([`SequentialLr`]).
    pub children: Vec<SchedulerState>,
}

/// A learning-rate scheduler: [`step`](LrScheduler::step) once per epoch (or per batch for
/// [`OneCycleLr`]), after `optimizer.step()`, handing it the optimizer whose groups it sets.
///
/// A scheduler implements [`base`](LrScheduler::base), [`base_mut`](LrScheduler::base_mut)
/// and [`get_lr`](LrScheduler::get_lr) (PyTorch's `get_lr`: the next learning rates, usually
/// from the groups' current ones); the rest has defaults.
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_optim::{ParamGroup, Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{LrScheduler, SchedulerBase};
///
/// /// Halves the lr every step.
/// struct Halve { base: SchedulerBase }
/// impl LrScheduler for Halve {
///     fn base(&self) -> &SchedulerBase { &self.base }
///     fn base_mut(&mut self) -> &mut SchedulerBase { &mut self.base }
///     fn get_lr(&mut self, groups: &mut [ParamGroup], initial: bool) -> Vec<f64> {
///         groups.iter().map(|g| if initial { g.lr } else { g.lr / 2.0 }).collect()
///     }
/// }
///
/// let w = Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
/// let mut s = Halve { base: SchedulerBase::new(&mut opt) };
/// s.initial_step(&mut opt);
/// s.step(&mut opt);
/// assert_eq!(s.get_last_lr(), &[0.5]);
/// ```
pub trait LrScheduler {
    /// The shared state.
    fn base(&self) -> &SchedulerBase;

    /// The shared state, mutably.
    fn base_mut(&mut self) -> &mut SchedulerBase;

    /// The learning rates for the (already advanced) `last_epoch`, one per group; may also
    /// set other hyper-parameters of the groups (momentum). `initial` is true in the
    /// constructor's step.
    fn get_lr(&mut self, groups: &mut [ParamGroup], initial: bool) -> Vec<f64>;

    /// The learning rates at `last_epoch` computed from the base learning rates alone, when
    /// the scheduler has such a formula (PyTorch's `_get_closed_form_lr`); used by
    /// [`set_epoch`](LrScheduler::set_epoch).
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
    /// let s = StepLr::new(&mut opt, 2, 0.5);
    /// assert_eq!(s.closed_form_lr(), Some(vec![1.0]));
    /// ```
    fn closed_form_lr(&self) -> Option<Vec<f64>> {
        None
    }

    /// One scheduler step: advances `last_epoch` and writes the new learning rate into each
    /// group of `optimizer` (call it after `optimizer.step()`).
    ///
    /// # Panics
    /// If `optimizer` has another number of groups than the scheduler was made for.
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
    /// let mut s = StepLr::new(&mut opt, 1, 0.5);
    /// s.step(&mut opt);
    /// assert_eq!(opt.param_groups()[0].lr, 0.5);
    /// ```
    #[track_caller]
    fn step(&mut self, optimizer: &mut dyn Optimizer) {
        self.step_impl(optimizer, false)
    }

    /// The body of [`step`](LrScheduler::step); `initial` is true for the constructor's step
    /// (PyTorch's `_initial_step`). Schedulers with their own epoch logic
    /// ([`CosineAnnealingWarmRestarts`]) override this.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions::default());
    /// let mut s = StepLr::new(&mut opt, 1, 0.5);
    /// s.step_impl(&mut opt, false); // same as s.step(&mut opt)
    /// assert_eq!(s.last_epoch(), 1);
    /// ```
    #[track_caller]
    fn step_impl(&mut self, optimizer: &mut dyn Optimizer, initial: bool) {
        self.base_mut().step_count += 1;
        self.base_mut().last_epoch += 1;
        let values = self.get_lr(optimizer.param_groups_mut(), initial);
        apply_lrs(self.base_mut(), optimizer, values);
    }

    /// The constructor's step: resets the step count and takes the first step, which sets
    /// the learning rates for epoch 0.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LinearLr, LrScheduler};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
    /// let s = LinearLr::new(&mut opt, 0.5, 1.0, 4); // its constructor ran initial_step
    /// assert_eq!(s.get_last_lr(), &[0.5]);
    /// ```
    #[track_caller]
    fn initial_step(&mut self, optimizer: &mut dyn Optimizer) {
        self.base_mut().step_count = 0;
        self.step_impl(optimizer, true)
    }

    /// Jumps to `epoch` and sets the learning rates from the closed form when there is one
    /// (from [`get_lr`](LrScheduler::get_lr) otherwise): PyTorch's `_update_lr(epoch)`, what
    /// its deprecated `step(epoch)` and [`SequentialLr`] at a milestone do.
    ///
    /// ```
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{ExponentialLr, LrScheduler};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
    /// let mut s = ExponentialLr::new(&mut opt, 0.5);
    /// s.set_epoch(&mut opt, 3);
    /// assert_eq!(opt.param_groups()[0].lr, 0.125);
    /// ```
    #[track_caller]
    fn set_epoch(&mut self, optimizer: &mut dyn Optimizer, epoch: i64) {
        self.base_mut().last_epoch = epoch;
        let values = match self.closed_form_lr() {
            Some(v) => v,
            None => self.get_lr(optimizer.param_groups_mut(), false),
        };
        apply_lrs(self.base_mut(), optimizer, values);
    }

    /// Steps back `last_epoch` by one, in inner schedulers too ([`SequentialLr`]'s
    /// `recursive_undo`).
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions::default());
    /// let mut s = StepLr::new(&mut opt, 1, 0.5);
    /// s.undo_epoch();
    /// assert_eq!(s.last_epoch(), -1);
    /// ```
    fn undo_epoch(&mut self) {
        self.base_mut().last_epoch -= 1;
    }

    /// The learning rates set by the last step, one per group.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.3, ..Default::default() });
    /// assert_eq!(StepLr::new(&mut opt, 1, 0.5).get_last_lr(), &[0.3]);
    /// ```
    fn get_last_lr(&self) -> &[f64] {
        &self.base().last_lr
    }

    /// Steps taken since construction.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions::default());
    /// assert_eq!(StepLr::new(&mut opt, 1, 0.5).last_epoch(), 0);
    /// ```
    fn last_epoch(&self) -> i64 {
        self.base().last_epoch
    }

    /// Scheduler-specific numbers for the state dict (none by default).
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions::default());
    /// assert!(StepLr::new(&mut opt, 1, 0.5).extra_state().is_empty());
    /// ```
    fn extra_state(&self) -> BTreeMap<String, f64> {
        BTreeMap::new()
    }

    /// Restores what [`extra_state`](LrScheduler::extra_state) saved.
    ///
    /// # Errors
    /// When a needed entry is missing.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions::default());
    /// let mut s = StepLr::new(&mut opt, 1, 0.5);
    /// assert!(s.load_extra_state(&Default::default()).is_ok());
    /// ```
    fn load_extra_state(&mut self, extra: &BTreeMap<String, f64>) -> Result<(), StateDictError> {
        let _ = extra;
        Ok(())
    }

    /// The state dict (`last_epoch`, step count, base and last learning rates, and the
    /// scheduler's own numbers).
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, StepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// let s = StepLr::new(&mut opt, 1, 0.5);
    /// assert_eq!(s.state_dict().base_lrs, vec![0.1]);
    /// ```
    fn state_dict(&self) -> SchedulerState {
        let b = self.base();
        SchedulerState {
            last_epoch: b.last_epoch,
            step_count: b.step_count,
            base_lrs: b.base_lrs.clone(),
            last_lr: b.last_lr.clone(),
            extra: self.extra_state(),
            children: Vec::new(),
        }
    }

    /// Loads a state dict saved from a scheduler of the same kind; the optimizer's learning
    /// rates are not touched (load the optimizer's state dict for those, as in PyTorch).
    ///
    /// # Errors
    /// When the number of base learning rates differs from this scheduler's, or a
    /// scheduler-specific entry is missing.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{LrScheduler, SchedulerState, StepLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions::default());
    /// let mut s = StepLr::new(&mut opt, 1, 0.5);
    /// assert!(s.load_state_dict(&SchedulerState::default()).is_err()); // no base_lrs
    /// ```
    fn load_state_dict(&mut self, state: &SchedulerState) -> Result<(), StateDictError> {
        check_len(self.base().base_lrs.len(), state)?;
        self.load_extra_state(&state.extra)?;
        let b = self.base_mut();
        b.last_epoch = state.last_epoch;
        b.step_count = state.step_count;
        b.base_lrs = state.base_lrs.clone();
        b.last_lr = state.last_lr.clone();
        Ok(())
    }
}

fn check_len(n: usize, state: &SchedulerState) -> Result<(), StateDictError> {
    if state.base_lrs.len() != n {
        return Err(StateDictError::Scheduler(format!(
            "{} base learning rates for a scheduler of {n} parameter groups",
            state.base_lrs.len()
        )));
    }
    Ok(())
}

/// Writes `values` as the groups' learning rates and records them as the last ones.
#[track_caller]
pub(crate) fn apply_lrs(base: &mut SchedulerBase, optimizer: &mut dyn Optimizer, values: Vec<f64>) {
    let groups = optimizer.param_groups_mut();
    assert!(
        groups.len() == values.len() && groups.len() == base.base_lrs.len(),
        "lr scheduler: the optimizer has {} parameter groups, the scheduler was made for {} \
         (was a group added after the scheduler was created, or another optimizer passed?)",
        groups.len(),
        base.base_lrs.len()
    );
    for (g, lr) in groups.iter_mut().zip(values) {
        g.lr = lr;
    }
    base.last_lr = groups.iter().map(|g| g.lr).collect();
}

/// The current learning rates of `groups`.
pub(crate) fn current_lrs(groups: &[ParamGroup]) -> Vec<f64> {
    groups.iter().map(|g| g.lr).collect()
}

/// Reads a number hyper-parameter a scheduler put in the group.
#[track_caller]
pub(crate) fn group_f64(g: &ParamGroup, key: &str) -> f64 {
    match g.get(key) {
        Some(Hyper::Float(v)) => v,
        other => panic!("lr scheduler: param group has no number '{key}' (found {other:?})"),
    }
}

/// Reads a scheduler-specific number from a state dict.
pub(crate) fn extra_f64(extra: &BTreeMap<String, f64>, key: &str) -> Result<f64, StateDictError> {
    extra
        .get(key)
        .copied()
        .ok_or_else(|| StateDictError::Scheduler(format!("missing entry '{key}'")))
}
