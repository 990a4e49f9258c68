//! # ember-optim — optimizers, learning-rate schedulers, gradient clipping
//!
//! `torch.optim` for Ember, with PyTorch 2's formulas (tests replay PyTorch's numbers):
//! [`Sgd`], [`Adam`], [`AdamW`], [`RmsProp`], [`Adagrad`], [`Adadelta`], [`Adamax`],
//! [`NAdam`], [`RAdam`]; the schedulers of [`lr_scheduler`]; [`clip_grad_norm_`] and
//! [`clip_grad_value_`].
//!
//! An optimizer holds [`ParamGroup`]s: parameter handles (shared with the model: a step
//! writes the parameters in place, so every handle and view sees it) and each group's own
//! hyper-parameters. `group.lr` is a field; everything else is looked up by its PyTorch name.
//! A step skips parameters whose gradient is `None`, and records no graph.
//!
//! Per-group learning rates — a frozen backbone (lr 0) and a head trained at ten times the
//! default:
//!
//! ```
//! use ember_autograd::{DType, Tensor};
//! use ember_optim::{Optimizer, ParamGroup, Sgd, SgdOptions};
//! use ember_optim::lr_scheduler::{LrScheduler, StepLr};
//!
//! let backbone = Tensor::randn(&[4, 3], DType::F32).requires_grad_(true);
//! let head = Tensor::randn(&[3, 1], DType::F32).requires_grad_(true);
//! let mut opt = Sgd::new(
//!     vec![
//!         ParamGroup::new(vec![backbone.clone()]).with_lr(0.0),
//!         ParamGroup::new(vec![head.clone()]).with_lr(10.0 * 0.01),
//!     ],
//!     SgdOptions { lr: 0.01, momentum: 0.9, ..Default::default() },
//! );
//! // The scheduler changes every group's lr; it is handed the optimizer at each step.
//! let mut sched = StepLr::new(&mut opt, 10, 0.5);
//! let before = backbone.to_vec::<f32>();
//! let x = Tensor::randn(&[8, 4], DType::F32);
//! for _ in 0..20 {
//!     opt.zero_grad(true);
//!     let loss = x.matmul(&backbone).matmul(&head).pow(2.0).mean();
//!     loss.backward();
//!     opt.step();
//!     sched.step(&mut opt);
//! }
//! assert_eq!(backbone.to_vec::<f32>(), before); // lr 0: frozen
//! assert_eq!(opt.param_groups()[1].lr, 0.1 * 0.25); // halved twice
//! opt.param_groups_mut()[0].lr = 1e-3; // unfreeze by hand
//! ```
//!
//! Where things are: `optimizer.rs` (the [`Optimizer`] trait and [`OptimizerBase`]),
//! `param_group.rs`, `state.rs` (per-parameter state and [`StateDict`]), one file per
//! optimizer, `lr_scheduler/` (one file per scheduler), `clip.rs`.
#![doc(test(attr(deny(warnings))))]

mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod adamw;
mod clip;
pub mod lr_scheduler;
mod nadam;
mod optimizer;
mod param_group;
mod radam;
mod rmsprop;
mod sgd;
mod state;
mod util;

pub use adadelta::{Adadelta, AdadeltaOptions};
pub use adagrad::{Adagrad, AdagradOptions};
pub use adam::{Adam, AdamOptions};
pub use adamax::{Adamax, AdamaxOptions};
pub use adamw::{AdamW, AdamWOptions};
pub use clip::{NonFiniteNormError, clip_grad_norm_, clip_grad_value_, try_clip_grad_norm_};
pub use nadam::{NAdam, NAdamOptions};
pub use optimizer::{GroupCheck, Optimizer, OptimizerBase};
pub use param_group::{Hyper, IntoParamGroups, Options, ParamGroup};
pub use radam::{RAdam, RAdamOptions};
pub use rmsprop::{RmsProp, RmsPropOptions};
pub use sgd::{Sgd, SgdOptions};
pub use state::{GroupState, ParamState, StateDict, StateDictError, StateMap, StateValue};
