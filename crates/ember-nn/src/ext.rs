//! [`ModuleExt`]: everything PyTorch's `nn.Module` offers on top of a module's reflection —
//! named parameters, state dicts, sub-module lookup and replacement, train/eval, freezing,
//! hooks. Implemented once for every module and for `dyn Module`.

use std::sync::Arc;

use ember_autograd::{DType, Tensor, no_grad};

use crate::error::NnError;
use crate::hooks::ModuleHookHandle;
use crate::module::{Module, TensorKind, short_type};
use crate::state_dict::{IncompatibleKeys, StateDict};

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Pre-order walk over `m` and its descendants with their dotted paths.
fn walk<'a>(m: &'a dyn Module, prefix: &str, f: &mut dyn FnMut(&str, &'a dyn Module)) {
    f(prefix, m);
    let mut kids: Vec<(String, &'a dyn Module)> = Vec::new();
    visit_children_a(m, &mut |n, c| kids.push((join(prefix, n), c)));
    for (p, c) in kids {
        walk(c, &p, f);
    }
}

/// `visit_children`, named for symmetry with the walks above.
fn visit_children_a<'a>(m: &'a dyn Module, f: &mut dyn FnMut(&str, &'a dyn Module)) {
    m.visit_children(f)
}

fn walk_mut(m: &mut dyn Module, prefix: &str, f: &mut dyn FnMut(&str, &mut dyn Module)) {
    f(prefix, m);
    m.visit_children_mut(&mut |n, c| walk_mut(c, &join(prefix, n), f));
}

fn named_tensors(m: &dyn Module, want: &dyn Fn(TensorKind) -> bool) -> Vec<(String, Tensor)> {
    let mut out = Vec::new();
    walk(m, "", &mut |p, module| {
        module.visit_tensors(&mut |n, t, k| {
            if want(k) {
                out.push((join(p, n), t.clone()));
            }
        })
    });
    out
}

/// Keeps the first name of each tensor handle (two modules holding one parameter share it).
/// Models have at most a few hundred tensors, so a linear scan is fine.
fn dedup(v: Vec<(String, Tensor)>) -> Vec<(String, Tensor)> {
    let mut out: Vec<(String, Tensor)> = Vec::with_capacity(v.len());
    for (n, t) in v {
        if !out.iter().any(|(_, u)| u.is_same(&t)) {
            out.push((n, t));
        }
    }
    out
}

/// The methods of PyTorch's `nn.Module`, for every [`Module`] (and `dyn Module`). Bring it into
/// scope with `use ember::nn::ModuleExt` (the prelude does).
pub trait ModuleExt {
    /// `self` as a trait object.
    fn as_module(&self) -> &dyn Module;
    /// `self` as a mutable trait object.
    fn as_module_mut(&mut self) -> &mut dyn Module;

    /// Parameters with their dotted names, each shared parameter once (under its first name).
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt, Sequential, ReLU};
    /// let net = Sequential::new().append(Linear::new(2, 4)).append(ReLU::new()).append(Linear::new(4, 1));
    /// let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    /// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
    /// ```
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        dedup(named_tensors(self.as_module(), &|k| {
            k == TensorKind::Parameter
        }))
    }

    /// The parameters, each shared one once (what an optimizer takes).
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt};
    /// assert_eq!(Linear::new(3, 2).parameters().len(), 2);
    /// ```
    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters()
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    /// Buffers (persistent or not) with their dotted names.
    ///
    /// ```
    /// use ember_nn::{BatchNorm1d, ModuleExt};
    /// let names: Vec<String> = BatchNorm1d::new(3).named_buffers().into_iter().map(|(n, _)| n).collect();
    /// assert_eq!(names, ["running_mean", "running_var", "num_batches_tracked"]);
    /// ```
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        dedup(named_tensors(self.as_module(), &|k| {
            k != TensorKind::Parameter
        }))
    }

    /// The buffers.
    ///
    /// ```
    /// use ember_nn::{BatchNorm1d, ModuleExt};
    /// assert_eq!(BatchNorm1d::new(3).buffers().len(), 3);
    /// ```
    fn buffers(&self) -> Vec<Tensor> {
        self.named_buffers().into_iter().map(|(_, t)| t).collect()
    }

    /// Direct sub-modules with their names.
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt, Sequential};
    /// let net = Sequential::new().append(Linear::new(2, 2));
    /// assert_eq!(net.named_children()[0].0, "0");
    /// ```
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        let mut out = Vec::new();
        visit_children_a(self.as_module(), &mut |n, c| out.push((n.to_string(), c)));
        out
    }

    /// Every module in the tree, pre-order, with its dotted path (`""` for `self`).
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt, Sequential};
    /// let net = Sequential::new().append(Sequential::new().append(Linear::new(2, 2)));
    /// let paths: Vec<String> = net.named_modules().into_iter().map(|(p, _)| p).collect();
    /// assert_eq!(paths, ["", "0", "0.0"]);
    /// ```
    fn named_modules(&self) -> Vec<(String, &dyn Module)> {
        let mut out = Vec::new();
        walk(self.as_module(), "", &mut |p, m| {
            out.push((p.to_string(), m))
        });
        out
    }

    /// The sub-module at a dotted path (`"layer1.0.conv1"`); `""` is `self`.
    ///
    /// # Errors
    /// [`NnError::NoSubmodule`] naming the first missing part and the children that exist.
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt, Sequential};
    /// let net = Sequential::new().append(Linear::new(2, 3));
    /// assert_eq!(net.get_submodule("0")?.type_name(), "Linear");
    /// assert!(net.get_submodule("1").is_err());
    /// # Ok::<(), ember_nn::NnError>(())
    /// ```
    fn get_submodule(&self, path: &str) -> Result<&dyn Module, NnError> {
        let mut cur = self.as_module();
        if path.is_empty() {
            return Ok(cur);
        }
        for part in path.split('.') {
            let mut found = None;
            let mut names = Vec::new();
            visit_children_a(cur, &mut |n, c| {
                if n == part {
                    found = Some(c);
                }
                names.push(n.to_string());
            });
            cur = found.ok_or_else(|| NnError::NoSubmodule {
                path: path.to_string(),
                reason: format!(
                    "{} has no child {part:?} (children: {names:?})",
                    cur.type_name()
                ),
            })?;
        }
        Ok(cur)
    }

    /// The sub-module at a dotted path, mutably.
    ///
    /// # Errors
    /// [`NnError::NoSubmodule`] as for [`get_submodule`](ModuleExt::get_submodule).
    ///
    /// ```
    /// use ember_nn::{Dropout, ModuleExt, Sequential};
    /// let mut net = Sequential::new().append(Dropout::new(0.5));
    /// net.get_submodule_mut("0")?.set_training(false);
    /// assert!(!net.get_submodule("0")?.is_training());
    /// # Ok::<(), ember_nn::NnError>(())
    /// ```
    fn get_submodule_mut(&mut self, path: &str) -> Result<&mut dyn Module, NnError> {
        // Check the path first with shared borrows, then descend mutably along it.
        self.get_submodule(path)?;
        let mut cur = self.as_module_mut();
        if path.is_empty() {
            return Ok(cur);
        }
        for part in path.split('.') {
            let mut found = None;
            cur.visit_children_mut(&mut |n, c| {
                if n == part {
                    found = Some(c);
                }
            });
            cur = found.expect("path checked above");
        }
        Ok(cur)
    }

    /// Puts `module` at a dotted path, returning the module that was there: model surgery
    /// (swap a classifier head, replace an activation). The slot must accept it: containers
    /// and `Box<dyn Module>` fields take any module, a typed field one of its type.
    ///
    /// # Errors
    /// [`NnError::NoSubmodule`] for a bad path, [`NnError::Replace`] when the slot does not take
    /// this module.
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt, ReLU, Sequential, Tanh};
    /// let mut net = Sequential::new().append(Linear::new(2, 2)).append(ReLU::new());
    /// let old = net.set_submodule("1", Box::new(Tanh::new()))?;
    /// assert_eq!(old.unwrap().type_name(), "ReLU");
    /// assert_eq!(net.get_submodule("1")?.type_name(), "Tanh");
    /// # Ok::<(), ember_nn::NnError>(())
    /// ```
    fn set_submodule(
        &mut self,
        path: &str,
        module: Box<dyn Module>,
    ) -> Result<Option<Box<dyn Module>>, NnError> {
        let (parent, name) = match path.rfind('.') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => ("", path),
        };
        let parent = self.get_submodule_mut(parent)?;
        parent
            .replace_child(name, module)
            .map_err(|e| NnError::Replace {
                path: path.to_string(),
                reason: e.reason,
            })
    }

    /// Calls `f` on every module of the tree, children first, then `self` (PyTorch's `apply`:
    /// custom initialisation).
    ///
    /// ```
    /// use ember_nn::{init, Linear, ModuleExt, Sequential};
    /// let mut net = Sequential::new().append(Linear::new(2, 2)).append(Linear::new(2, 1));
    /// net.apply(&mut |m| {
    ///     if let Some(fc) = m.downcast_ref::<Linear>() {
    ///         init::zeros_(&fc.weight);
    ///     }
    /// });
    /// assert!(net.parameters()[0].to_vec::<f32>().iter().all(|&w| w == 0.0));
    /// ```
    fn apply(&mut self, f: &mut dyn FnMut(&mut dyn Module)) {
        fn rec(m: &mut dyn Module, f: &mut dyn FnMut(&mut dyn Module)) {
            m.visit_children_mut(&mut |_, c| rec(c, f));
            f(m);
        }
        rec(self.as_module_mut(), f)
    }

    /// Sets training mode (`true`) or evaluation mode on this module and every descendant:
    /// dropout and batch norm behave accordingly. Returns `self` for chaining.
    ///
    /// ```
    /// use ember_nn::{Dropout, ModuleExt, Sequential};
    /// let mut net = Sequential::new().append(Dropout::new(0.5));
    /// net.train(false);
    /// assert!(!net.is_training() && !net.get_submodule("0").unwrap().is_training());
    /// ```
    fn train(&mut self, mode: bool) -> &mut Self {
        walk_mut(self.as_module_mut(), "", &mut |_, m| m.set_training(mode));
        self
    }

    /// `train(false)`.
    ///
    /// ```
    /// use ember_nn::{BatchNorm1d, ModuleExt};
    /// let mut bn = BatchNorm1d::new(4);
    /// bn.eval();
    /// assert!(!bn.is_training());
    /// ```
    fn eval(&mut self) -> &mut Self {
        self.train(false)
    }

    /// The module's training flag; for a module without one of its own (most containers and
    /// derived models), the first flag found among its descendants, else `true`.
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt};
    /// assert!(Linear::new(2, 2).is_training());
    /// ```
    fn is_training(&self) -> bool {
        let mut flag = None;
        walk(self.as_module(), "", &mut |_, m| {
            if flag.is_none() {
                flag = m.training();
            }
        });
        flag.unwrap_or(true)
    }

    /// Clears every parameter's gradient (sets it to `None`, PyTorch's default).
    ///
    /// ```
    /// use ember_nn::{Linear, Module, ModuleExt, Tensor};
    /// let fc = Linear::new(2, 1);
    /// fc.forward(&Tensor::ones(&[1, 2], ember_nn::DType::F32)).sum().backward();
    /// fc.zero_grad();
    /// assert!(fc.weight.grad().is_none());
    /// ```
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.set_grad(None);
        }
    }

    /// Sets `requires_grad` on every parameter: `requires_grad_(false)` freezes the module.
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt};
    /// let fc = Linear::new(2, 2);
    /// fc.requires_grad_(false);
    /// assert!(fc.parameters().iter().all(|p| !p.requires_grad()));
    /// ```
    fn requires_grad_(&self, requires_grad: bool) -> &Self {
        for p in self.parameters() {
            let _ = p.requires_grad_(requires_grad);
        }
        self
    }

    /// Converts every floating-point parameter and buffer to `dtype` (integer buffers such as
    /// `num_batches_tracked` stay). Shared parameters stay shared.
    ///
    /// ```
    /// use ember_nn::{DType, Linear, ModuleExt};
    /// let mut fc = Linear::new(2, 2);
    /// fc.to_dtype(DType::F64);
    /// assert_eq!(fc.weight.dtype(), DType::F64);
    /// ```
    fn to_dtype(&mut self, dtype: DType) -> &mut Self {
        let mut converted: Vec<(Tensor, Tensor)> = Vec::new();
        walk_mut(self.as_module_mut(), "", &mut |_, m| {
            m.visit_tensors_mut(&mut |_, t, kind| {
                if !t.dtype().is_floating_point() || t.dtype() == dtype {
                    return;
                }
                if let Some((_, new)) = converted.iter().find(|(old, _)| old.is_same(t)) {
                    *t = new.clone();
                    return;
                }
                let new = no_grad(|| t.to_dtype(dtype));
                let new = if kind == TensorKind::Parameter {
                    new.requires_grad_(t.requires_grad())
                } else {
                    new
                };
                converted.push((t.clone(), new.clone()));
                *t = new;
            })
        });
        self
    }

    /// Number of parameter elements (shared ones counted once).
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt};
    /// assert_eq!(Linear::new(3, 2).num_parameters(), 3 * 2 + 2);
    /// ```
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(Tensor::numel).sum()
    }

    /// Parameters and persistent buffers by dotted name, in registration order — PyTorch's
    /// `state_dict()`, so keys match a torchvision checkpoint one to one. The tensors are
    /// detached and share the module's storage.
    ///
    /// ```
    /// use ember_nn::{BatchNorm2d, ModuleExt};
    /// let keys: Vec<String> = BatchNorm2d::new(8).state_dict().keys().map(String::from).collect();
    /// assert_eq!(keys, ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    /// ```
    fn state_dict(&self) -> StateDict {
        let mut out = StateDict::new();
        walk(self.as_module(), "", &mut |p, m| {
            m.visit_tensors(&mut |n, t, k| {
                if k != (TensorKind::Buffer { persistent: false }) {
                    out.insert(join(p, n), t.detach());
                }
            })
        });
        out
    }

    /// Copies values from `dict` into this module's parameters and persistent buffers, by
    /// name. Non-strict loading skips what does not match and reports it; strict loading fails
    /// on any missing or unexpected key. A shape mismatch always fails. Nothing is copied
    /// unless everything checks out.
    ///
    /// # Errors
    /// [`NnError::ShapeMismatch`] naming the key and both shapes; with `strict`,
    /// [`NnError::IncompatibleKeys`].
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt};
    /// let a = Linear::new(3, 2);
    /// let b = Linear::new(3, 2);
    /// b.load_state_dict(&a.state_dict(), true)?;
    /// assert_eq!(a.weight.to_vec::<f32>(), b.weight.to_vec::<f32>());
    /// assert!(Linear::new(4, 2).load_state_dict(&a.state_dict(), true).is_err()); // shapes differ
    /// # Ok::<(), ember_nn::NnError>(())
    /// ```
    fn load_state_dict(&self, dict: &StateDict, strict: bool) -> Result<IncompatibleKeys, NnError> {
        self.load_state_dict_with_prefix(dict, "", strict)
    }

    /// [`load_state_dict`](ModuleExt::load_state_dict) reading this module's keys under
    /// `prefix` in `dict` (`"encoder."`): how one pretrained checkpoint initialises one part
    /// of a bigger model. Only keys starting with `prefix` count as unexpected.
    ///
    /// # Errors
    /// As [`load_state_dict`](ModuleExt::load_state_dict).
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt};
    /// let pretrained = Linear::new(2, 2).state_dict().with_prefix_added("encoder.");
    /// let enc = Linear::new(2, 2);
    /// let report = enc.load_state_dict_with_prefix(&pretrained, "encoder.", true)?;
    /// assert!(report.is_empty());
    /// # Ok::<(), ember_nn::NnError>(())
    /// ```
    fn load_state_dict_with_prefix(
        &self,
        dict: &StateDict,
        prefix: &str,
        strict: bool,
    ) -> Result<IncompatibleKeys, NnError> {
        let own = self.state_dict();
        let mut report = IncompatibleKeys::default();
        let mut pairs = Vec::new();
        for (key, dst) in own.iter() {
            let full = format!("{prefix}{key}");
            match dict.get(&full) {
                Some(src) => {
                    if src.shape() != dst.shape() {
                        return Err(NnError::ShapeMismatch {
                            key: full,
                            expected: dst.shape().to_vec(),
                            got: src.shape().to_vec(),
                        });
                    }
                    pairs.push((dst.clone(), src.clone()));
                }
                None => report.missing_keys.push(full),
            }
        }
        for key in dict.keys() {
            if let Some(rest) = key.strip_prefix(prefix)
                && !own.contains_key(rest)
            {
                report.unexpected_keys.push(key.to_string());
            }
        }
        if strict && !report.is_empty() {
            return Err(NnError::IncompatibleKeys {
                missing: report.missing_keys,
                unexpected: report.unexpected_keys,
            });
        }
        no_grad(|| {
            for (dst, src) in &pairs {
                dst.copy_(src);
            }
        });
        Ok(report)
    }

    /// Registers a hook run before `forward`, which may return a replacement input.
    ///
    /// # Errors
    /// [`NnError::HooksUnsupported`] when the module kind has no hook slot.
    ///
    /// ```
    /// use ember_nn::{Linear, Module, ModuleExt, Tensor};
    /// let fc = Linear::new(2, 1);
    /// fc.register_forward_pre_hook(|_, x| Some(x.mul(0.0)))?;
    /// let y = fc.forward(&Tensor::ones(&[1, 2], ember_nn::DType::F32));
    /// assert_eq!(y.to_vec::<f32>(), fc.bias.as_ref().unwrap().to_vec::<f32>());
    /// # Ok::<(), ember_nn::NnError>(())
    /// ```
    fn register_forward_pre_hook(
        &self,
        hook: impl Fn(&dyn Module, &Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> Result<ModuleHookHandle, NnError> {
        Ok(hooks_of(self.as_module())?.add_pre(Arc::new(hook)))
    }

    /// Registers a hook run after `forward` with `(module, input, output)`; returning
    /// `Some(t)` replaces the output. The classic use: capture an inner layer of a model you
    /// did not write.
    ///
    /// # Errors
    /// [`NnError::HooksUnsupported`] when the module kind has no hook slot.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use ember_nn::{Linear, Module, ModuleExt, ReLU, Sequential, Tensor};
    /// let net = Sequential::new().append(Linear::new(2, 4)).append(ReLU::new()).append(Linear::new(4, 1));
    /// let seen = Arc::new(Mutex::new(None));
    /// let s = seen.clone();
    /// let h = net.get_submodule("1")?.register_forward_hook(move |_, _, out| {
    ///     *s.lock().unwrap() = Some(out.detach());
    ///     None
    /// })?;
    /// net.forward(&Tensor::ones(&[3, 2], ember_nn::DType::F32));
    /// assert_eq!(seen.lock().unwrap().as_ref().unwrap().shape(), &[3, 4]);
    /// h.remove();
    /// # Ok::<(), ember_nn::NnError>(())
    /// ```
    fn register_forward_hook(
        &self,
        hook: impl Fn(&dyn Module, &Tensor, &Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> Result<ModuleHookHandle, NnError> {
        Ok(hooks_of(self.as_module())?.add_post(Arc::new(hook)))
    }

    /// Registers a hook called during backward with `(grad_input, grad_output)` — the
    /// gradients w.r.t. the module's input and output; returning `Some(g)` replaces the
    /// gradient w.r.t. the input. (PyTorch's `register_full_backward_hook`, for one-input
    /// modules; the hook is not handed the module, see [`BackwardHook`].)
    ///
    /// [`BackwardHook`]: crate::BackwardHook
    ///
    /// # Errors
    /// [`NnError::HooksUnsupported`] when the module kind has no hook slot.
    ///
    /// ```
    /// use ember_nn::{Linear, Module, ModuleExt, Tensor};
    /// let fc = Linear::new(2, 1);
    /// fc.register_full_backward_hook(|gi, _go| Some(gi.mul(0.0)))?;
    /// let x = Tensor::ones(&[1, 2], ember_nn::DType::F32).requires_grad_(true);
    /// fc.forward(&x).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), [0.0, 0.0]);
    /// # Ok::<(), ember_nn::NnError>(())
    /// ```
    fn register_full_backward_hook(
        &self,
        hook: impl Fn(&Tensor, &Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> Result<ModuleHookHandle, NnError> {
        Ok(hooks_of(self.as_module())?.add_backward(Arc::new(hook)))
    }

    /// The module tree as PyTorch prints it: `Sequential(\n  (0): Linear(in_features=…)\n …)`.
    ///
    /// ```
    /// use ember_nn::{Linear, ModuleExt, ReLU, Sequential};
    /// let net = Sequential::new().append(Linear::new(2, 3)).append(ReLU::new());
    /// assert_eq!(
    ///     net.repr(),
    ///     "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=true)\n  (1): ReLU()\n)"
    /// );
    /// ```
    fn repr(&self) -> String {
        fn rec(m: &dyn Module, indent: usize) -> String {
            let kids = visit_kids(m);
            let mut s = format!("{}({}", m.type_name(), m.extra_repr());
            if !kids.is_empty() {
                s.push('\n');
                for (n, c) in kids {
                    s.push_str(&format!(
                        "{}({n}): {}\n",
                        "  ".repeat(indent + 1),
                        rec(c, indent + 1)
                    ));
                }
                s.push_str(&"  ".repeat(indent));
            }
            s.push(')');
            s
        }
        fn visit_kids(m: &dyn Module) -> Vec<(String, &dyn Module)> {
            let mut out = Vec::new();
            visit_children_a(m, &mut |n, c| out.push((n.to_string(), c)));
            out
        }
        rec(self.as_module(), 0)
    }
}

fn hooks_of(m: &dyn Module) -> Result<&crate::Hooks, NnError> {
    m.hooks().ok_or_else(|| NnError::HooksUnsupported {
        module: short_type(m.type_name()).to_string(),
    })
}

impl<M: Module> ModuleExt for M {
    fn as_module(&self) -> &dyn Module {
        self
    }
    fn as_module_mut(&mut self) -> &mut dyn Module {
        self
    }
}

impl ModuleExt for dyn Module {
    fn as_module(&self) -> &dyn Module {
        self
    }
    fn as_module_mut(&mut self) -> &mut dyn Module {
        self
    }
}
