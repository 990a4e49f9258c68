//! [`SequentialLr`] (`torch.optim.lr_scheduler.SequentialLR`).

use super::{LrScheduler, SchedulerBase, SchedulerState, current_lrs};
use crate::optimizer::Optimizer;
use crate::param_group::ParamGroup;
use crate::state::StateDictError;

/// Runs schedulers one after another, switching at the milestones (`SequentialLR`): e.g. a
/// linear warm-up, then cosine annealing. At a milestone the next scheduler starts from its
/// epoch 0 (its closed form).
///
/// ```
/// use ember_optim::{Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{ExponentialLr, LinearLr, LrScheduler, SequentialLr};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 1.0, ..Default::default() });
/// let warmup = LinearLr::new(&mut opt, 0.5, 1.0, 2);
/// let decay = ExponentialLr::new(&mut opt, 0.5);
/// let mut s = SequentialLr::new(&mut opt, vec![Box::new(warmup), Box::new(decay)], &[2]);
/// let mut lrs = vec![s.get_last_lr()[0]];
/// for _ in 0..4 {
///     s.step(&mut opt);
///     lrs.push(s.get_last_lr()[0]);
/// }
/// assert_eq!(lrs, vec![0.5, 0.75, 1.0, 0.5, 0.25]);
/// ```
pub struct SequentialLr {
    base: SchedulerBase,
    schedulers: Vec<Box<dyn LrScheduler + Send>>,
    milestones: Vec<i64>,
}

impl SequentialLr {
    /// Chains `schedulers` (all made on `optimizer`, in order), switching at `milestones`
    /// (one fewer than schedulers). As PyTorch: resets each group's lr to its `initial_lr`,
    /// steps every inner scheduler back by one epoch, and redoes the first one's initial
    /// step.
    ///
    /// # Panics
    /// If `schedulers` is empty or `milestones.len() != schedulers.len() - 1`.
    ///
    /// ```
    /// use ember_optim::{Sgd, SgdOptions};
    /// use ember_optim::lr_scheduler::{CosineAnnealingLr, LinearLr, LrScheduler, SequentialLr};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, ..Default::default() });
    /// let warmup = Box::new(LinearLr::new(&mut opt, 0.1, 1.0, 5));
    /// let cosine = Box::new(CosineAnnealingLr::new(&mut opt, 95, 0.0));
    /// let s = SequentialLr::new(&mut opt, vec![warmup, cosine], &[5]);
    /// assert!((s.get_last_lr()[0] - 0.01).abs() < 1e-12); // the warm-up's first lr
    /// ```
    #[track_caller]
    pub fn new(
        optimizer: &mut dyn Optimizer,
        mut schedulers: Vec<Box<dyn LrScheduler + Send>>,
        milestones: &[i64],
    ) -> SequentialLr {
        assert!(
            !schedulers.is_empty(),
            "SequentialLR expects at least one scheduler, but got no scheduler"
        );
        assert!(
            milestones.len() + 1 == schedulers.len(),
            "SequentialLR expects number of schedulers provided to be one more than the number \
             of milestone points, but got number of schedulers {} and the number of milestones \
             to be equal to {}",
            schedulers.len(),
            milestones.len()
        );
        let base_lrs: Vec<f64> = optimizer
            .param_groups()
            .iter()
            .map(|g| g.get_f64("initial_lr"))
            .collect();
        for g in optimizer.param_groups_mut() {
            g.lr = g.get_f64("initial_lr");
        }
        for s in schedulers.iter_mut() {
            s.undo_epoch();
        }
        let idx = milestones.partition_point(|&m| m <= 0);
        schedulers[idx].initial_step(optimizer);
        let last_lr = schedulers[idx].get_last_lr().to_vec();
        SequentialLr {
            base: SchedulerBase {
                base_lrs,
                last_epoch: 0,
                step_count: 1,
                last_lr,
            },
            schedulers,
            milestones: milestones.to_vec(),
        }
    }
}

impl LrScheduler for SequentialLr {
    fn base(&self) -> &SchedulerBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut SchedulerBase {
        &mut self.base
    }

    fn get_lr(&mut self, groups: &mut [ParamGroup], _initial: bool) -> Vec<f64> {
        current_lrs(groups)
    }

    #[track_caller]
    fn step_impl(&mut self, optimizer: &mut dyn Optimizer, _initial: bool) {
        self.base.last_epoch += 1;
        self.base.step_count += 1;
        let e = self.base.last_epoch;
        let idx = self.milestones.partition_point(|&m| m <= e);
        let s = &mut self.schedulers[idx];
        if idx > 0 && self.milestones[idx - 1] == e {
            s.set_epoch(optimizer, 0);
        } else {
            s.step(optimizer);
        }
        self.base.last_lr = s.get_last_lr().to_vec();
    }

    fn undo_epoch(&mut self) {
        for s in self.schedulers.iter_mut() {
            s.undo_epoch();
        }
    }

    fn state_dict(&self) -> SchedulerState {
        SchedulerState {
            last_epoch: self.base.last_epoch,
            step_count: self.base.step_count,
            base_lrs: self.base.base_lrs.clone(),
            last_lr: self.base.last_lr.clone(),
            extra: Default::default(),
            children: self.schedulers.iter().map(|s| s.state_dict()).collect(),
        }
    }

    fn load_state_dict(&mut self, state: &SchedulerState) -> Result<(), StateDictError> {
        if state.children.len() != self.schedulers.len() {
            return Err(StateDictError::Scheduler(format!(
                "{} inner scheduler states for a SequentialLR of {} schedulers",
                state.children.len(),
                self.schedulers.len()
            )));
        }
        for (s, c) in self.schedulers.iter_mut().zip(&state.children) {
            s.load_state_dict(c)?;
        }
        self.base.last_epoch = state.last_epoch;
        self.base.step_count = state.step_count;
        self.base.base_lrs = state.base_lrs.clone();
        self.base.last_lr = state.last_lr.clone();
        Ok(())
    }
}
