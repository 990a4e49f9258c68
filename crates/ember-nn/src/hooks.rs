//! Module hooks: functions run before or after a module's forward (which may replace its input
//! or output), and backward hooks that see the gradients w.r.t. its input and output.
//!
//! A module carries its hooks in a [`Hooks`] field, so a hook can be put on any named
//! sub-module of a model you did not write (`model.get_submodule("features.3")?`), through a
//! shared reference. Removal goes through the returned [`ModuleHookHandle`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use ember_autograd::{Context, Function, Tensor};

use crate::module::Module;

/// A forward pre-hook: `(module, input) -> Some(new_input)` to replace the input.
pub type ForwardPreHook = Arc<dyn Fn(&dyn Module, &Tensor) -> Option<Tensor> + Send + Sync>;
/// A forward hook: `(module, input, output) -> Some(new_output)` to replace the output.
pub type ForwardHook = Arc<dyn Fn(&dyn Module, &Tensor, &Tensor) -> Option<Tensor> + Send + Sync>;
/// A full backward hook: `(grad_input, grad_output) -> Some(new_grad_input)`. Unlike PyTorch's,
/// it is not handed the module: backward may run after the module's borrow has ended, so a
/// hook captures what it needs from the module when it is made.
pub type BackwardHook = Arc<dyn Fn(&Tensor, &Tensor) -> Option<Tensor> + Send + Sync>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Default)]
struct Lists {
    pre: Vec<(u64, ForwardPreHook)>,
    post: Vec<(u64, ForwardHook)>,
    backward: Vec<(u64, BackwardHook)>,
}

#[derive(Default)]
struct Shared {
    lists: Mutex<Lists>,
    /// True while any hook is registered: the forward of a hook-free module takes no lock.
    any: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Lists> {
        self.lists.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn refresh(&self, l: &Lists) {
        let any = !(l.pre.is_empty() && l.post.is_empty() && l.backward.is_empty());
        self.any.store(any, Ordering::Release);
    }
}

/// A module's hook slot. Every built-in layer has one; give your own module a field of this
/// type and run its body through [`Hooks::call`] to make it hookable.
///
/// ```
/// use ember_nn::{Hooks, Linear, Module, ModuleExt, Tensor};
///
/// #[derive(Module)]
/// struct Block { fc: Linear, hooks: Hooks }
///
/// impl Module for Block {
///     fn forward(&self, x: &Tensor) -> Tensor {
///         self.hooks.call(self, x, |x| self.fc.forward(x).relu())
///     }
/// }
///
/// let block = Block { fc: Linear::new(2, 2), hooks: Hooks::new() };
/// let h = block.register_forward_hook(|_, _, out| Some(out.mul(0.0))).unwrap();
/// let y = block.forward(&Tensor::ones(&[1, 2], ember_nn::DType::F32));
/// assert_eq!(y.to_vec::<f32>(), [0.0, 0.0]);
/// h.remove();
/// ```
#[derive(Default)]
pub struct Hooks {
    shared: Arc<Shared>,
}

impl Hooks {
    /// An empty hook slot.
    pub fn new() -> Hooks {
        Hooks::default()
    }

    /// True when at least one hook is registered.
    pub fn is_empty(&self) -> bool {
        !self.shared.any.load(Ordering::Acquire)
    }

    /// Runs `forward` on `input` with this slot's hooks around it: pre-hooks (which may replace
    /// the input), the forward, forward hooks (which may replace the output), and backward hooks
    /// wired into the graph. With no hook registered this is just `forward(input)`.
    pub fn call(
        &self,
        module: &dyn Module,
        input: &Tensor,
        forward: impl FnOnce(&Tensor) -> Tensor,
    ) -> Tensor {
        if self.is_empty() {
            return forward(input);
        }
        let (pre, post, backward) = {
            let l = self.shared.lock();
            (l.pre.clone(), l.post.clone(), l.backward.clone())
        };
        let mut x = input.clone();
        for (_, h) in &pre {
            if let Some(new) = h(module, &x) {
                x = new;
            }
        }
        let grad_in_slot = (!backward.is_empty() && x.requires_grad())
            .then(|| Arc::new(Mutex::new(None::<Tensor>)));
        if let Some(slot) = &grad_in_slot {
            // The input passes through an identity whose backward sees grad_input; the output's
            // gradient is caught by a tensor hook and handed over through `slot`.
            x = BackwardHookIdentity {
                hooks: backward.clone(),
                grad_output: slot.clone(),
            }
            .apply(&[&x])
            .remove(0);
        }
        let mut y = forward(&x);
        for (_, h) in &post {
            if let Some(new) = h(module, &x, &y) {
                y = new;
            }
        }
        if let Some(slot) = grad_in_slot
            && y.requires_grad()
        {
            // A fresh node so the hook sees exactly this module's output gradient.
            y = alias(&y);
            y.register_hook(move |g| {
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(g.clone());
                None
            });
        }
        y
    }

    pub(crate) fn add_pre(&self, hook: ForwardPreHook) -> ModuleHookHandle {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut l = self.shared.lock();
        l.pre.push((id, hook));
        self.shared.refresh(&l);
        self.handle(id)
    }

    pub(crate) fn add_post(&self, hook: ForwardHook) -> ModuleHookHandle {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut l = self.shared.lock();
        l.post.push((id, hook));
        self.shared.refresh(&l);
        self.handle(id)
    }

    pub(crate) fn add_backward(&self, hook: BackwardHook) -> ModuleHookHandle {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let mut l = self.shared.lock();
        l.backward.push((id, hook));
        self.shared.refresh(&l);
        self.handle(id)
    }

    fn handle(&self, id: u64) -> ModuleHookHandle {
        ModuleHookHandle {
            id,
            shared: Arc::downgrade(&self.shared),
        }
    }
}

struct BackwardHookIdentity {
    hooks: Vec<(u64, BackwardHook)>,
    grad_output: Arc<Mutex<Option<Tensor>>>,
}

impl Function for BackwardHookIdentity {
    fn forward(&self, _ctx: &mut Context, inputs: &[Tensor]) -> Vec<Tensor> {
        // A new tensor sharing the input's storage: the graph gets a node here.
        vec![alias(&inputs[0])]
    }

    fn backward(&self, _ctx: &Context, grads: &[Option<Tensor>]) -> Vec<Option<Tensor>> {
        let Some(mut g) = grads[0].clone() else {
            return vec![None];
        };
        let go = self
            .grad_output
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let go = go.unwrap_or_else(|| g.zeros_like());
        for (_, h) in &self.hooks {
            if let Some(new) = h(&g, &go) {
                g = new;
            }
        }
        vec![Some(g)]
    }
}

/// Removes a module hook when [`remove`](ModuleHookHandle::remove) is called; dropping the
/// handle keeps the hook (as in PyTorch).
pub struct ModuleHookHandle {
    id: u64,
    shared: Weak<Shared>,
}

impl std::fmt::Debug for ModuleHookHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ModuleHookHandle({})", self.id)
    }
}

impl ModuleHookHandle {
    /// Removes the hook; later forward passes do not call it.
    ///
    /// ```
    /// use ember_nn::{Linear, Module, ModuleExt, Tensor};
    /// let fc = Linear::new(2, 2);
    /// let h = fc.register_forward_hook(|_, _, _| panic!("removed hooks never run")).unwrap();
    /// h.remove();
    /// fc.forward(&Tensor::ones(&[1, 2], ember_nn::DType::F32));
    /// ```
    pub fn remove(self) {
        if let Some(s) = self.shared.upgrade() {
            let mut l = s.lock();
            l.pre.retain(|(id, _)| *id != self.id);
            l.post.retain(|(id, _)| *id != self.id);
            l.backward.retain(|(id, _)| *id != self.id);
            s.refresh(&l);
        }
    }
}

/// A view of the whole tensor: a new graph node over the same storage.
fn alias(t: &Tensor) -> Tensor {
    let shape: Vec<isize> = t.shape().iter().map(|&d| d as isize).collect();
    t.view(&shape)
}
