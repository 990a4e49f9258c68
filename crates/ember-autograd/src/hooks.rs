//! Tensor hooks: functions called with a tensor's gradient during backward, which may replace
//! it. Removable through the returned handle.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use crate::node::{GradHook, Node, lock};
use crate::tensor::{Tensor, TensorImpl};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

enum Target {
    Leaf(Weak<TensorImpl>),
    Node(Weak<Node>),
}

/// Removes its hook when [`remove`](HookHandle::remove) is called. Dropping the handle keeps
/// the hook (as in PyTorch).
pub struct HookHandle {
    id: u64,
    target: Target,
}

impl HookHandle {
    /// Removes the hook; later backward passes do not call it.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32]).requires_grad_(true);
    /// let h = x.register_hook(|g| Some(g.mul(100.0)));
    /// h.remove();
    /// x.mul(2.0).backward();
    /// assert_eq!(x.grad().unwrap().item::<f32>(), 2.0);
    /// ```
    pub fn remove(self) {
        match &self.target {
            Target::Leaf(w) => {
                if let Some(t) = w.upgrade() {
                    lock(&t.meta).hooks.retain(|(id, _)| *id != self.id);
                }
            }
            Target::Node(w) => {
                if let Some(n) = w.upgrade() {
                    lock(&n.hooks).retain(|(_, id, _)| *id != self.id);
                }
            }
        }
    }
}

impl Tensor {
    /// Registers a hook called with this tensor's gradient every time one is computed; if it
    /// returns `Some(g)`, `g` replaces the gradient (for the `.grad` of a leaf and for everything
    /// upstream of a non-leaf). Works on leaves and on intermediate tensors.
    ///
    /// # Panics
    /// On a tensor that does not require grad.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// let y = x.mul(3.0);
    /// y.register_hook(|g| Some(g.clamp(-1.0, 1.0))); // clip the gradient flowing through y
    /// y.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn register_hook(
        &self,
        hook: impl Fn(&Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> HookHandle {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let hook: GradHook = Arc::new(hook);
        let f = self.grad_fn();
        let mut m = self.meta();
        match f {
            Some(node) => {
                let nr = m.output_nr;
                drop(m);
                lock(&node.hooks).push((nr, id, hook));
                node.observed.store(true, Ordering::Release);
                HookHandle {
                    id,
                    target: Target::Node(Arc::downgrade(&node)),
                }
            }
            None => {
                assert!(
                    m.requires_grad,
                    "register_hook: cannot register a hook on a tensor that doesn't require \
                     gradient (shape {:?})",
                    self.shape()
                );
                m.hooks.push((id, hook));
                HookHandle {
                    id,
                    target: Target::Leaf(Arc::downgrade(&self.inner)),
                }
            }
        }
    }
}
