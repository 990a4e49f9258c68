//! [`OneCycleLr`] (`torch.optim.lr_scheduler.OneCycleLR`).

use std::f64::consts::PI;

use super::{LrScheduler, SchedulerBase, group_f64};
use crate::optimizer::Optimizer;
use crate::param_group::{Hyper, ParamGroup};

/// How [`OneCycleLr`] moves between two values.
///
/// ```
/// use ember_optim::lr_scheduler::AnnealStrategy;
/// assert_eq!(AnnealStrategy::Linear.anneal(0.0, 1.0, 0.25), 0.25);
/// assert!((AnnealStrategy::Cos.anneal(0.0, 1.0, 0.5) - 0.5).abs() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnealStrategy {
    /// Cosine annealing (`"cos"`, the default).
    Cos,
    /// Linear annealing (`"linear"`).
    Linear,
}

impl AnnealStrategy {
    /// The value a fraction `pct` of the way from `start` to `end`.
    ///
    /// ```
    /// assert_eq!(ember_optim::lr_scheduler::AnnealStrategy::Cos.anneal(1.0, 0.0, 0.0), 1.0);
    /// ```
    pub fn anneal(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            AnnealStrategy::Cos => {
                let cos_out = (PI * pct).cos() + 1.0;
                end + (start - end) / 2.0 * cos_out
            }
            AnnealStrategy::Linear => (end - start) * pct + start,
        }
    }
}

/// Options of [`OneCycleLr`]; the defaults are PyTorch's.
///
/// ```
/// let o = ember_optim::lr_scheduler::OneCycleLrOptions::default();
/// assert_eq!((o.pct_start, o.div_factor, o.final_div_factor), (0.3, 25.0, 1e4));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OneCycleLrOptions {
    /// Fraction of the steps spent raising the lr (0.3).
    pub pct_start: f64,
    /// Cosine or linear annealing (cos).
    pub anneal_strategy: AnnealStrategy,
    /// Cycle the momentum (or Adam's beta1) inversely to the lr (true).
    pub cycle_momentum: bool,
    /// Lowest momentum (0.85).
    pub base_momentum: f64,
    /// Highest momentum (0.95).
    pub max_momentum: f64,
    /// `initial_lr = max_lr / div_factor` (25).
    pub div_factor: f64,
    /// `min_lr = initial_lr / final_div_factor` (1e4).
    pub final_div_factor: f64,
    /// Three phases (up, down to initial, annihilate) instead of two (false).
    pub three_phase: bool,
}

impl Default for OneCycleLrOptions {
    fn default() -> OneCycleLrOptions {
        OneCycleLrOptions {
            pct_start: 0.3,
            anneal_strategy: AnnealStrategy::Cos,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Phase {
    end_step: f64,
    start_lr: &'static str,
    end_lr: &'static str,
    start_momentum: &'static str,
    end_momentum: &'static str,
}

/// The 1cycle policy (`OneCycleLR`): the lr rises from `max_lr / div_factor` to `max_lr`, then
/// anneals to `initial_lr / final_div_factor`, over `total_steps` steps (step it once per
/// batch); the momentum (or beta1 for Adam-like optimizers) moves the opposite way.
///
/// ```
/// use ember_optim::{Optimizer, Sgd, SgdOptions};
/// use ember_optim::lr_scheduler::{LrScheduler, OneCycleLr, OneCycleLrOptions};
/// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
/// let mut opt = Sgd::new(vec![w], SgdOptions { lr: 0.1, momentum: 0.9, ..Default::default() });
/// let mut s = OneCycleLr::new(&mut opt, &[1.0], 10, OneCycleLrOptions::default());
/// assert!((s.get_last_lr()[0] - 0.04).abs() < 1e-12); // max_lr / 25
/// assert!((opt.param_groups()[0].get_f64("momentum") - 0.95).abs() < 1e-12);
/// for _ in 0..2 {
///     s.step(&mut opt);
/// }
/// assert!((s.get_last_lr()[0] - 1.0).abs() < 1e-12); // the peak, at step 0.3 * 10 - 1
/// assert!((opt.param_groups()[0].get_f64("momentum") - 0.85).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct OneCycleLr {
    base: SchedulerBase,
    total_steps: i64,
    phases: Vec<Phase>,
    anneal: AnnealStrategy,
    cycle_momentum: bool,
    use_beta1: bool,
}

impl OneCycleLr {
    /// A 1cycle schedule on `optimizer` over `total_steps` steps; `max_lrs` holds one peak lr
    /// per group, or one for all.
    ///
    /// # Panics
    /// If `total_steps < 1`, `pct_start` is outside `[0, 1]`, `max_lrs` has neither one
    /// element nor one per group, or `cycle_momentum` is on and the optimizer has neither
    /// `momentum` nor `betas`.
    ///
    /// ```
    /// use ember_optim::{Adam, AdamOptions, Optimizer};
    /// use ember_optim::lr_scheduler::{AnnealStrategy, LrScheduler, OneCycleLr, OneCycleLrOptions};
    /// let w = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// let mut opt = Adam::new(vec![w], AdamOptions::default());
    /// let opts = OneCycleLrOptions { anneal_strategy: AnnealStrategy::Linear, three_phase: true, ..Default::default() };
    /// let s = OneCycleLr::new(&mut opt, &[0.01], 100, opts);
    /// assert!((s.get_last_lr()[0] - 0.0004).abs() < 1e-12);
    /// assert_eq!(opt.param_groups()[0].get_pair("betas").0, 0.95); // beta1 cycles
    /// ```
    #[track_caller]
    pub fn new(
        optimizer: &mut dyn Optimizer,
        max_lrs: &[f64],
        total_steps: i64,
        opts: OneCycleLrOptions,
    ) -> OneCycleLr {
        assert!(
            total_steps > 0,
            "OneCycleLR: expected positive integer total_steps, but got {total_steps}"
        );
        let pct = opts.pct_start;
        assert!(
            (0.0..=1.0).contains(&pct),
            "OneCycleLR: expected float between 0 and 1 pct_start, but got {pct}"
        );
        let n = optimizer.param_groups().len();
        assert!(
            max_lrs.len() == 1 || max_lrs.len() == n,
            "OneCycleLR: expected 1 or {n} values for max_lr, got {}",
            max_lrs.len()
        );
        let ts = total_steps as f64;
        let phases = if opts.three_phase {
            vec![
                Phase {
                    end_step: pct * ts - 1.0,
                    start_lr: "initial_lr",
                    end_lr: "max_lr",
                    start_momentum: "max_momentum",
                    end_momentum: "base_momentum",
                },
                Phase {
                    end_step: 2.0 * pct * ts - 2.0,
                    start_lr: "max_lr",
                    end_lr: "initial_lr",
                    start_momentum: "base_momentum",
                    end_momentum: "max_momentum",
                },
                Phase {
                    end_step: ts - 1.0,
                    start_lr: "initial_lr",
                    end_lr: "min_lr",
                    start_momentum: "max_momentum",
                    end_momentum: "max_momentum",
                },
            ]
        } else {
            vec![
                Phase {
                    end_step: pct * ts - 1.0,
                    start_lr: "initial_lr",
                    end_lr: "max_lr",
                    start_momentum: "max_momentum",
                    end_momentum: "base_momentum",
                },
                Phase {
                    end_step: ts - 1.0,
                    start_lr: "max_lr",
                    end_lr: "min_lr",
                    start_momentum: "base_momentum",
                    end_momentum: "max_momentum",
                },
            ]
        };
        let use_beta1 = optimizer.base().has_default("betas");
        if opts.cycle_momentum {
            assert!(
                use_beta1 || optimizer.base().has_default("momentum"),
                "OneCycleLR: optimizer {} must support momentum or beta1 with `cycle_momentum` \
                 option enabled",
                optimizer.base().name()
            );
        }
        for (i, g) in optimizer.param_groups_mut().iter_mut().enumerate() {
            let max_lr = max_lrs[if max_lrs.len() == 1 { 0 } else { i }];
            let initial = max_lr / opts.div_factor;
            g.set("initial_lr", initial);
            g.set("max_lr", max_lr);
            g.set("min_lr", initial / opts.final_div_factor);
            if opts.cycle_momentum {
                if use_beta1 {
                    let (_, b2) = g.get_pair("betas");
                    g.set("betas", (opts.max_momentum, b2));
                } else {
                    g.set("momentum", opts.max_momentum);
                }
                g.set("max_momentum", opts.max_momentum);
                g.set("base_momentum", opts.base_momentum);
            }
        }
        let mut s = OneCycleLr {
            base: SchedulerBase::new(optimizer),
            total_steps,
            phases,
            anneal: opts.anneal_strategy,
            cycle_momentum: opts.cycle_momentum,
            use_beta1,
        };
        s.initial_step(optimizer);
        s
    }
}

impl LrScheduler for OneCycleLr {
    fn base(&self) -> &SchedulerBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut SchedulerBase {
        &mut self.base
    }

    #[track_caller]
    fn get_lr(&mut self, groups: &mut [ParamGroup], _initial: bool) -> Vec<f64> {
        let step_num = self.base.last_epoch;
        assert!(
            step_num <= self.total_steps,
            "OneCycleLR: tried to step {step_num} times. The specified number of total steps is {}",
            self.total_steps
        );
        let step = step_num as f64;
        let mut lrs = Vec::with_capacity(groups.len());
        for g in groups.iter_mut() {
            let mut start_step = 0.0;
            let mut lr = f64::NAN;
            let mut momentum = f64::NAN;
            for (i, ph) in self.phases.iter().enumerate() {
                if step <= ph.end_step || i == self.phases.len() - 1 {
                    let pct = (step - start_step) / (ph.end_step - start_step);
                    lr =
                        self.anneal
                            .anneal(group_f64(g, ph.start_lr), group_f64(g, ph.end_lr), pct);
                    if self.cycle_momentum {
                        momentum = self.anneal.anneal(
                            group_f64(g, ph.start_momentum),
                            group_f64(g, ph.end_momentum),
                            pct,
                        );
                    }
                    break;
                }
                start_step = ph.end_step;
            }
            lrs.push(lr);
            if self.cycle_momentum {
                if self.use_beta1 {
                    let (_, b2) = g.get_pair("betas");
                    g.set("betas", Hyper::Pair(momentum, b2));
                } else {
                    g.set("momentum", momentum);
                }
            }
        }
        lrs
    }
}
