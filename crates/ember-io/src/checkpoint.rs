//! Training checkpoints: everything needed to resume a run exactly (model, optimizer,
//! scheduler, epoch, random-number generator, and the user's own values) in one file.
//!
//! The file is PyTorch's zip format holding a nested dict, so PyTorch reads it too
//! (`torch.load(path, weights_only=True)`):
//!
//! ```text
//! {"format": "ember-checkpoint/1", "epoch": int,
//!  "state_dict": OrderedDict(name -> tensor),            # what load_state_dict_file finds
//!  "optimizer": {"state": {index: {name: tensor | float}},
//!                "param_groups": [{hyper-parameter: float | bool | (float, float), "params": [int]}]},
//!  "scheduler": {"last_epoch", "_step_count", "base_lrs", "_last_lr", "extra": {..}, "children": [..]},
//!  "rng_state": uint8 tensor of 24 bytes (ember_tensor::GeneratorState::to_bytes),
//!  "extras": {name: value}}
//! ```
//!
//! Absent parts are left out. Floats are stored as 64-bit doubles, tensors bit for bit, so a
//! resumed run continues bit-identically.

use std::collections::BTreeMap;
use std::path::Path;

use ember_autograd::Tensor;
use ember_nn::StateDict;
use ember_optim::lr_scheduler::SchedulerState;
use ember_optim::{GroupState, Hyper, ParamState, StateValue};
use ember_tensor::{Array, DType, GeneratorState};

use crate::error::{Error, Result};
use crate::pickle::PtValue;
use crate::torch::as_state_dict;

const FORMAT: &str = "ember-checkpoint/1";

/// A training checkpoint. Build one with [`Checkpoint::new`] and the public fields, write it
/// with [`save`](Checkpoint::save); [`load`](Checkpoint::load) it and hand each part back
/// (`model.load_state_dict(&ck.model, true)`, `optimizer.load_state_dict(..)`,
/// [`restore_rng`](Checkpoint::restore_rng)).
///
/// ```
/// use ember_nn::{Linear, ModuleExt};
/// use ember_optim::{Optimizer, Sgd, SgdOptions};
/// let path = std::env::temp_dir().join(format!("ember-io-doc-ck-{}.pt", std::process::id()));
/// let model = Linear::new(2, 1);
/// let opt = Sgd::new(model.parameters(), SgdOptions { lr: 0.1, momentum: 0.9, ..Default::default() });
///
/// let mut ck = ember_io::Checkpoint::new(model.state_dict(), 5).with_rng_state();
/// ck.optimizer = Some(opt.state_dict());
/// ck.extras.push(("best_loss".into(), ember_io::PtValue::Float(0.25)));
/// ck.save(&path)?;
///
/// let back = ember_io::Checkpoint::load(&path)?;
/// assert_eq!(back.epoch, 5);
/// let fresh = Linear::new(2, 1);
/// fresh.load_state_dict(&back.model, true).unwrap();
/// assert_eq!(fresh.weight.to_vec::<f32>(), model.weight.to_vec::<f32>());
/// back.restore_rng();
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), ember_io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Checkpoint {
    /// The model's state dict.
    pub model: StateDict,
    /// The optimizer's state.
    pub optimizer: Option<ember_optim::StateDict>,
    /// The learning-rate scheduler's state.
    pub scheduler: Option<SchedulerState>,
    /// The epoch (or step) the checkpoint was taken at.
    pub epoch: i64,
    /// The default random-number generator's state.
    pub rng_state: Option<GeneratorState>,
    /// Anything else to keep (best metric, config values), in order.
    pub extras: Vec<(String, PtValue)>,
}

impl Checkpoint {
    /// A checkpoint of `model` at `epoch`, with no optimizer, scheduler or RNG state yet.
    pub fn new(model: StateDict, epoch: i64) -> Checkpoint {
        Checkpoint {
            model,
            epoch,
            ..Checkpoint::default()
        }
    }

    /// Adds an optimizer's state (`optimizer.state_dict()`).
    ///
    /// ```
    /// use ember_io::Checkpoint;
    /// use ember_nn::{Linear, ModuleExt};
    /// use ember_optim::{Optimizer, Sgd, SgdOptions};
    /// let model = Linear::new(2, 1);
    /// let opt = Sgd::new(model.parameters(), SgdOptions { lr: 0.1, ..Default::default() });
    /// let ck = Checkpoint::new(model.state_dict(), 3)
    ///     .with_optimizer(opt.state_dict())
    ///     .with_extra("best_accuracy", 0.97);
    /// assert!(ck.optimizer.is_some());
    /// assert_eq!(ck.extras[0].0, "best_accuracy");
    /// ```
    pub fn with_optimizer(mut self, state: ember_optim::StateDict) -> Checkpoint {
        self.optimizer = Some(state);
        self
    }

    /// Adds a learning-rate scheduler's state (`scheduler.state_dict()`).
    pub fn with_scheduler(mut self, state: SchedulerState) -> Checkpoint {
        self.scheduler = Some(state);
        self
    }

    /// Adds a value of the user's own under `name` (kept in the file's `extras` dict).
    pub fn with_extra(mut self, name: impl Into<String>, value: impl Into<PtValue>) -> Checkpoint {
        self.extras.push((name.into(), value.into()));
        self
    }

    /// Records the state of the default random-number generator now
    /// ([`ember_tensor::get_rng_state`]).
    pub fn with_rng_state(mut self) -> Checkpoint {
        self.rng_state = Some(ember_tensor::get_rng_state());
        self
    }

    /// Moves the default random-number generator to the recorded state (no-op without one),
    /// so that dropout, shuffling and initialisation continue as in the original run.
    pub fn restore_rng(&self) {
        if let Some(s) = &self.rng_state {
            ember_tensor::set_rng_state(s);
        }
    }

    /// Writes the checkpoint atomically (PyTorch zip format, see the module docs).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::torch::save(&self.to_value(), path)
    }

    /// Reads a checkpoint written by [`save`](Checkpoint::save).
    ///
    /// # Errors
    /// The file's errors; [`Error::Checkpoint`] naming the entry that is missing or of the
    /// wrong type.
    pub fn load(path: impl AsRef<Path>) -> Result<Checkpoint> {
        let path = path.as_ref();
        let v = crate::torch::load(path)?;
        Checkpoint::from_value(&v, path)
    }

    /// The checkpoint as the dict that [`save`](Checkpoint::save) writes.
    pub fn to_value(&self) -> PtValue {
        let mut d: Vec<(PtValue, PtValue)> = vec![
            ("format".into(), FORMAT.into()),
            ("epoch".into(), PtValue::Int(self.epoch)),
            ("state_dict".into(), PtValue::from(&self.model)),
        ];
        if let Some(o) = &self.optimizer {
            d.push(("optimizer".into(), optimizer_value(o)));
        }
        if let Some(s) = &self.scheduler {
            d.push(("scheduler".into(), scheduler_value(s)));
        }
        if let Some(r) = &self.rng_state {
            let bytes = r.to_bytes().to_vec();
            let t = Tensor::from_array(Array::from_vec(bytes, &[GeneratorState::BYTES]));
            d.push(("rng_state".into(), PtValue::Tensor(t)));
        }
        if !self.extras.is_empty() {
            let extras = self
                .extras
                .iter()
                .map(|(k, v)| (PtValue::from(k.as_str()), v.clone()))
                .collect();
            d.push(("extras".into(), PtValue::Dict(extras)));
        }
        PtValue::Dict(d)
    }

    /// Reads a checkpoint from the dict [`to_value`](Checkpoint::to_value) makes (`path`
    /// labels errors).
    ///
    /// # Errors
    /// [`Error::Checkpoint`] naming the entry that is missing or of the wrong type.
    pub fn from_value(v: &PtValue, path: &Path) -> Result<Checkpoint> {
        let r = Reader { path };
        if v.get("format").and_then(PtValue::as_str) != Some(FORMAT) {
            return Err(r.bad("format", format!("not {FORMAT:?}: not an Ember checkpoint")));
        }
        let epoch = v
            .get("epoch")
            .and_then(PtValue::as_int)
            .ok_or_else(|| r.bad("epoch", "missing or not an int"))?;
        let model = v
            .get("state_dict")
            .and_then(as_state_dict)
            .ok_or_else(|| r.bad("state_dict", "missing or not a dict of tensors"))?;
        let optimizer = v.get("optimizer").map(|o| r.optimizer(o)).transpose()?;
        let scheduler = v
            .get("scheduler")
            .map(|s| r.scheduler(s, "scheduler"))
            .transpose()?;
        let rng_state = match v.get("rng_state") {
            None => None,
            Some(t) => {
                let bytes: Option<[u8; GeneratorState::BYTES]> = t
                    .as_tensor()
                    .filter(|t| t.dtype() == DType::U8 && t.numel() == GeneratorState::BYTES)
                    .and_then(|t| t.to_vec::<u8>().try_into().ok());
                let bytes = bytes.ok_or_else(|| {
                    r.bad(
                        "rng_state",
                        format!("not a uint8 tensor of {} bytes", GeneratorState::BYTES),
                    )
                })?;
                Some(GeneratorState::from_bytes(&bytes))
            }
        };
        let extras = match v.get("extras") {
            None => Vec::new(),
            Some(PtValue::Dict(d)) => d.iter().map(|(k, v)| (k.key_string(), v.clone())).collect(),
            Some(_) => return Err(r.bad("extras", "not a dict")),
        };
        Ok(Checkpoint {
            model,
            optimizer,
            scheduler,
            epoch,
            rng_state,
            extras,
        })
    }
}

fn float_list(v: &[f64]) -> PtValue {
    PtValue::List(v.iter().map(|&x| PtValue::Float(x)).collect())
}

fn optimizer_value(o: &ember_optim::StateDict) -> PtValue {
    let state = o
        .state
        .iter()
        .map(|(i, ps)| {
            let entries = ps
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        StateValue::Tensor(t) => PtValue::Tensor(t.clone()),
                        StateValue::Number(x) => PtValue::Float(*x),
                    };
                    (PtValue::from(k.as_str()), v)
                })
                .collect();
            (PtValue::Int(*i as i64), PtValue::Dict(entries))
        })
        .collect();
    let groups = o
        .param_groups
        .iter()
        .map(|g| {
            let mut d: Vec<(PtValue, PtValue)> = g
                .hyper
                .iter()
                .map(|(k, h)| {
                    let v = match *h {
                        Hyper::Float(x) => PtValue::Float(x),
                        Hyper::Bool(b) => PtValue::Bool(b),
                        Hyper::Pair(a, b) => PtValue::Tuple(vec![a.into(), b.into()]),
                    };
                    (PtValue::from(k.as_str()), v)
                })
                .collect();
            let params = g.params.iter().map(|&p| PtValue::Int(p as i64)).collect();
            d.push(("params".into(), PtValue::List(params)));
            PtValue::Dict(d)
        })
        .collect();
    PtValue::Dict(vec![
        ("state".into(), PtValue::Dict(state)),
        ("param_groups".into(), PtValue::List(groups)),
    ])
}

fn scheduler_value(s: &SchedulerState) -> PtValue {
    let extra = s
        .extra
        .iter()
        .map(|(k, &v)| (PtValue::from(k.as_str()), PtValue::Float(v)))
        .collect();
    PtValue::Dict(vec![
        ("last_epoch".into(), PtValue::Int(s.last_epoch)),
        ("_step_count".into(), PtValue::Int(s.step_count as i64)),
        ("base_lrs".into(), float_list(&s.base_lrs)),
        ("_last_lr".into(), float_list(&s.last_lr)),
        ("extra".into(), PtValue::Dict(extra)),
        (
            "children".into(),
            PtValue::List(s.children.iter().map(scheduler_value).collect()),
        ),
    ])
}

/// Reads the parts of a checkpoint, naming the entry in errors.
struct Reader<'a> {
    path: &'a Path,
}

impl Reader<'_> {
    fn bad(&self, key: &str, what: impl Into<String>) -> Error {
        Error::Checkpoint {
            path: self.path.to_path_buf(),
            key: key.to_string(),
            what: what.into(),
        }
    }

    fn optimizer(&self, v: &PtValue) -> Result<ember_optim::StateDict> {
        let mut out = ember_optim::StateDict::default();
        let state = v
            .get("state")
            .and_then(PtValue::as_dict)
            .ok_or_else(|| self.bad("optimizer.state", "missing or not a dict"))?;
        for (k, ps) in state {
            let key = format!("optimizer.state.{}", k.key_string());
            let index = k
                .as_int()
                .and_then(|i| usize::try_from(i).ok())
                .ok_or_else(|| self.bad(&key, "the parameter index is not a non-negative int"))?;
            let entries = ps.as_dict().ok_or_else(|| self.bad(&key, "not a dict"))?;
            let mut pstate = ParamState::new();
            for (name, value) in entries {
                let name = name.key_string();
                let v = match value {
                    // PyTorch keeps `step` in a 0-d tensor; Ember keeps a number.
                    PtValue::Tensor(t) if name == "step" && t.numel() == 1 => {
                        StateValue::Number(t.data().to_dtype(DType::F64).item::<f64>())
                    }
                    PtValue::Tensor(t) => StateValue::Tensor(t.clone()),
                    PtValue::Float(_) | PtValue::Int(_) => {
                        StateValue::Number(value.as_float().expect("a number"))
                    }
                    other => {
                        return Err(self.bad(
                            &format!("{key}.{name}"),
                            format!("a {}, not a tensor or a number", other.type_name()),
                        ));
                    }
                };
                pstate.insert(name, v);
            }
            out.state.insert(index, pstate);
        }
        let groups = v
            .get("param_groups")
            .and_then(PtValue::as_list)
            .ok_or_else(|| self.bad("optimizer.param_groups", "missing or not a list"))?;
        for (gi, g) in groups.iter().enumerate() {
            let key = format!("optimizer.param_groups.{gi}");
            let entries = g.as_dict().ok_or_else(|| self.bad(&key, "not a dict"))?;
            let mut hyper = BTreeMap::new();
            let mut params = None;
            for (name, value) in entries {
                let name = name.key_string();
                if name == "params" {
                    let list = value
                        .as_list()
                        .and_then(|l| {
                            l.iter()
                                .map(|p| p.as_int().and_then(|i| usize::try_from(i).ok()))
                                .collect::<Option<Vec<usize>>>()
                        })
                        .ok_or_else(|| self.bad(&format!("{key}.params"), "not a list of ints"))?;
                    params = Some(list);
                    continue;
                }
                let h = match value {
                    PtValue::Float(_) | PtValue::Int(_) => {
                        Hyper::Float(value.as_float().expect("a number"))
                    }
                    PtValue::Bool(b) => Hyper::Bool(*b),
                    PtValue::Tuple(p) | PtValue::List(p) if p.len() == 2 => {
                        match (p[0].as_float(), p[1].as_float()) {
                            (Some(a), Some(b)) => Hyper::Pair(a, b),
                            _ => {
                                return Err(
                                    self.bad(&format!("{key}.{name}"), "not a pair of numbers")
                                );
                            }
                        }
                    }
                    // PyTorch's `foreach: None`, `fused: None` and the like: nothing Ember uses.
                    PtValue::None => continue,
                    other => {
                        return Err(self.bad(
                            &format!("{key}.{name}"),
                            format!("a {}, not a hyper-parameter", other.type_name()),
                        ));
                    }
                };
                hyper.insert(name, h);
            }
            let params = params.ok_or_else(|| self.bad(&format!("{key}.params"), "missing"))?;
            out.param_groups.push(GroupState { hyper, params });
        }
        Ok(out)
    }

    fn scheduler(&self, v: &PtValue, key: &str) -> Result<SchedulerState> {
        let int = |name: &str| {
            v.get(name)
                .and_then(PtValue::as_int)
                .ok_or_else(|| self.bad(&format!("{key}.{name}"), "missing or not an int"))
        };
        let floats = |name: &str| {
            v.get(name)
                .and_then(PtValue::as_list)
                .and_then(|l| {
                    l.iter()
                        .map(PtValue::as_float)
                        .collect::<Option<Vec<f64>>>()
                })
                .ok_or_else(|| {
                    self.bad(&format!("{key}.{name}"), "missing or not a list of numbers")
                })
        };
        let mut extra = BTreeMap::new();
        if let Some(d) = v.get("extra") {
            let d = d
                .as_dict()
                .ok_or_else(|| self.bad(&format!("{key}.extra"), "not a dict"))?;
            for (k, x) in d {
                let x = x.as_float().ok_or_else(|| {
                    self.bad(&format!("{key}.extra.{}", k.key_string()), "not a number")
                })?;
                extra.insert(k.key_string(), x);
            }
        }
        let children = match v.get("children") {
            None => Vec::new(),
            Some(c) => c
                .as_list()
                .ok_or_else(|| self.bad(&format!("{key}.children"), "not a list"))?
                .iter()
                .enumerate()
                .map(|(i, c)| self.scheduler(c, &format!("{key}.children.{i}")))
                .collect::<Result<_>>()?,
        };
        Ok(SchedulerState {
            last_epoch: int("last_epoch")?,
            step_count: u64::try_from(int("_step_count")?)
                .map_err(|_| self.bad(&format!("{key}._step_count"), "negative"))?,
            base_lrs: floats("base_lrs")?,
            last_lr: floats("_last_lr")?,
            extra,
            children,
        })
    }
}
