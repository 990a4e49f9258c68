//! [`ReduceLrOnPlateau`] (`torch.optim.lr_scheduler.ReduceLROnPlateau`).

use std::collections::BTreeMap;

use super::{SchedulerState, extra_f64};
use crate::optimizer::Optimizer;
use crate::state::StateDictError;

/// Whether a lower or a higher metric is better.
///
/// ```
/// assert_ne!(ember_optim::lr_scheduler::PlateauMode::Min, ember_optim::lr_scheduler::PlateauMode::Max);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlateauMode {
    /// Lower is better (a loss; `"min"`, the default).
    Min,
    /// Higher is better (an accuracy; `"max"`).
    Max,
}

/// How `threshold` measures a significant improvement.
///
/// ```
/// assert_ne!(ember_optim::lr_scheduler::ThresholdMode::Rel, ember_optim::lr_scheduler::ThresholdMode::Abs);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdMode {
    /// Better than `best * (1 ∓ threshold)` (`"rel"`, the default).
    Rel,
    /// Better than `best ∓ threshold` (`"abs"`).
    Abs,
}

/// Options of [`ReduceLrOnPlateau`]; the defaults are PyTorch's.
///
/// ```
/// let o = ember_optim::lr_scheduler::ReduceLrOnPlateauOptions::default();
/// assert_eq!((o.factor, o.patience, o.threshold), (0.1, 10, 1e-4));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ReduceLrOnPlateauOptions {
    /// Min or max (min).
    pub mode: PlateauMode,
    /// The lr is multiplied by `factor` on a plateau (0.1).
    pub factor: f64,
    /// Epochs without improvement tolerated before reducing (10).
    pub patience: u64,
    /// Size of a significant improvement (1e-4).
    pub threshold: f64,
    /// Relative or absolute threshold (rel).
    pub threshold_mode: ThresholdMode,
    /// Epochs to wait after a reduction before counting bad epochs again (0).
    pub cooldown: u64,
    /// Lower bound of the lr: one value for all groups, or one per group (`[0]`).
    pub min_lr: Vec<f64>,
    /// Reductions smaller than `eps` are skipped (1e-8).
    pub eps: f64,
}

impl Default for ReduceLrOnPlateauOptions {
    fn default() -> ReduceLrOnPlateauOptions {
        ReduceLrOnPlateauOptions {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: vec![0.0],
            eps: 1e-8,
        }
    }
}

/// Reduces each group's lr by `factor` when a metric has stopped improving for `patience`
/// epochs (`ReduceLROnPlateau`). It is stepped with the metric, so it is not an
/// [`LrScheduler`](super::LrScheduler).
///
/// ```
/// use ember_optim::{Optimizer, Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{ReduceLrOnPlateau, ReduceLrOnPlateauOptions};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
/// let mut s = ReduceLrOnPlateau::new(&mut opt, ReduceLrOnPlateauOptions { patience: 1, factor: 0.5, ..Default::default() });
/// for loss in [1.0, 0.9, 0.9, 0.9] {
///     s.step(&mut opt, loss);
/// }
/// assert_eq!(opt.param_groups()[0].lr, 0.5); // two bad epochs > patience 1
/// ```
#[derive(Clone, Debug)]
pub struct ReduceLrOnPlateau {
    opts: ReduceLrOnPlateauOptions,
    min_lrs: Vec<f64>,
    best: f64,
    num_bad_epochs: u64,
    cooldown_counter: u64,
    last_epoch: i64,
    last_lr: Vec<f64>,
}

impl ReduceLrOnPlateau {
    /// A plateau scheduler on `optimizer`.
    ///
    /// # Panics
    /// If `factor >= 1`, or `min_lr` has neither one value nor one per group.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{PlateauMode, ReduceLrOnPlateau, ReduceLrOnPlateauOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// let s = ReduceLrOnPlateau::new(&mut opt, ReduceLrOnPlateauOptions { mode: PlateauMode::Max, ..Default::default() });
    /// assert_eq!(s.get_last_lr(), &[0.1]);
    /// ```
    #[track_caller]
    pub fn new(optimizer: &mut dyn Optimizer, opts: ReduceLrOnPlateauOptions) -> ReduceLrOnPlateau {
        assert!(
            opts.factor < 1.0,
            "ReduceLROnPlateau: factor should be < 1.0, got {}",
            opts.factor
        );
        let n = optimizer.param_groups().len();
        let min_lrs = match opts.min_lr.len() {
            1 => vec![opts.min_lr[0]; n],
            k if k == n => opts.min_lr.clone(),
            k => panic!("ReduceLROnPlateau: expected {n} min_lrs (or one), got {k}"),
        };
        ReduceLrOnPlateau {
            best: worse(opts.mode),
            opts,
            min_lrs,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            last_epoch: 0,
            last_lr: optimizer.param_groups().iter().map(|g| g.lr).collect(),
        }
    }

    fn is_better(&self, a: f64, best: f64) -> bool {
        let t = self.opts.threshold;
        match (self.opts.mode, self.opts.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - t),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - t,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (t + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + t,
        }
    }

    /// One epoch: records `metric` and reduces the learning rates when it has not improved
    /// for more than `patience` epochs (outside a cooldown).
    ///
    /// # Panics
    /// If a group was added and `min_lr` was given per group.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{ReduceLrOnPlateau, ReduceLrOnPlateauOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
    /// let mut s = ReduceLrOnPlateau::new(&mut opt, ReduceLrOnPlateauOptions { patience: 0, ..Default::default() });
    /// s.step(&mut opt, 1.0);
    /// s.step(&mut opt, 1.0);
    /// assert!((s.get_last_lr()[0] - 0.1).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn step(&mut self, optimizer: &mut dyn Optimizer, metric: f64) {
        self.last_epoch += 1;
        if self.is_better(metric, self.best) {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.opts.patience {
            self.reduce_lr(optimizer);
            self.cooldown_counter = self.opts.cooldown;
            self.num_bad_epochs = 0;
        }
        self.last_lr = optimizer.param_groups().iter().map(|g| g.lr).collect();
    }

    #[track_caller]
    fn reduce_lr(&mut self, optimizer: &mut dyn Optimizer) {
        let groups = optimizer.param_groups_mut();
        if groups.len() != self.min_lrs.len() {
            assert!(
                self.opts.min_lr.len() == 1,
                "ReduceLROnPlateau: the optimizer has {} parameter groups, but {} min_lrs were \
                 given when the scheduler was created (was a group added?)",
                groups.len(),
                self.min_lrs.len()
            );
            self.min_lrs = vec![self.opts.min_lr[0]; groups.len()];
        }
        for (g, &min_lr) in groups.iter_mut().zip(&self.min_lrs) {
            let old = g.lr;
            let new = (old * self.opts.factor).max(min_lr);
            if old - new > self.opts.eps {
                g.lr = new;
            }
        }
    }

    /// The learning rates after the last step.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::ReduceLrOnPlateau;
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.5, ..Default::default() });
    /// assert_eq!(ReduceLrOnPlateau::new(&mut opt, Default::default()).get_last_lr(), &[0.5]);
    /// ```
    pub fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    /// Epochs stepped.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::ReduceLrOnPlateau;
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions::default());
    /// assert_eq!(ReduceLrOnPlateau::new(&mut opt, Default::default()).last_epoch(), 0);
    /// ```
    pub fn last_epoch(&self) -> i64 {
        self.last_epoch
    }

    /// The state dict: `last_epoch`, the last learning rates (as `last_lr`), and `best`,
    /// `num_bad_epochs`, `cooldown_counter` and the `min_lrs` in `extra`.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::ReduceLrOnPlateau;
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions::default());
    /// let mut s = ReduceLrOnPlateau::new(&mut opt, Default::default());
    /// s.step(&mut opt, 0.5);
    /// assert_eq!(s.state_dict().extra["best"], 0.5);
    /// ```
    pub fn state_dict(&self) -> SchedulerState {
        let mut extra = BTreeMap::from([
            ("best".to_string(), self.best),
            ("num_bad_epochs".to_string(), self.num_bad_epochs as f64),
            ("cooldown_counter".to_string(), self.cooldown_counter as f64),
        ]);
        for (i, m) in self.min_lrs.iter().enumerate() {
            extra.insert(format!("min_lrs.{i}"), *m);
        }
        SchedulerState {
            last_epoch: self.last_epoch,
            step_count: self.last_epoch as u64,
            base_lrs: Vec::new(),
            last_lr: self.last_lr.clone(),
            extra,
            children: Vec::new(),
        }
    }

    /// Loads a state dict saved by [`state_dict`](ReduceLrOnPlateau::state_dict).
    ///
    /// # Errors
    /// When an entry is missing.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::ReduceLrOnPlateau;
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions::default());
    /// let mut a = ReduceLrOnPlateau::new(&mut opt, Default::default());
    /// a.step(&mut opt, 0.5);
    /// let mut b = ReduceLrOnPlateau::new(&mut opt, Default::default());
    /// b.load_state_dict(&a.state_dict()).unwrap();
    /// assert_eq!(b.last_epoch(), 1);
    /// ```
    pub fn load_state_dict(&mut self, state: &SchedulerState) -> Result<(), StateDictError> {
        let best = extra_f64(&state.extra, "best")?;
        let bad = extra_f64(&state.extra, "num_bad_epochs")? as u64;
        let cool = extra_f64(&state.extra, "cooldown_counter")? as u64;
        let mut min_lrs = Vec::new();
        while let Some(m) = state.extra.get(&format!("min_lrs.{}", min_lrs.len())) {
            min_lrs.push(*m);
        }
        self.best = best;
        self.num_bad_epochs = bad;
        self.cooldown_counter = cool;
        if !min_lrs.is_empty() {
            self.min_lrs = min_lrs;
        }
        self.last_epoch = state.last_epoch;
        self.last_lr = state.last_lr.clone();
        Ok(())
    }
}

fn worse(mode: PlateauMode) -> f64 {
    match mode {
        PlateauMode::Min => f64::INFINITY,
        PlateauMode::Max => f64::NEG_INFINITY,
    }
}
