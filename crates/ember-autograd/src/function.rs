//! Custom differentiable functions: PyTorch's `torch.autograd.Function`.
//!
//! Implement [`Function`] (a forward on tensors that runs without recording, and a backward
//! that maps output gradients to input gradients), then call [`Function::apply`].

use std::panic::Location;
use std::sync::{Arc, Mutex, Weak};

use smallvec::SmallVec;

use crate::grad_mode::no_grad;
use crate::node::{BackwardFn, Node, OutputMeta, SavedTensor};
use crate::tensor::{Tensor, any_requires_grad};

/// What a custom function's forward leaves for its backward.
#[derive(Default)]
pub struct Context {
    to_save: Vec<Tensor>,
    saved: Vec<SavedTensor>,
    needs_input_grad: Vec<bool>,
}

impl Context {
    /// Keeps tensors for backward (`ctx.save_for_backward`). Inputs and outputs may both be
    /// saved; an in-place change to one before backward is reported as for built-in ops.
    pub fn save_for_backward(&mut self, tensors: &[&Tensor]) {
        self.to_save.extend(tensors.iter().map(|t| (*t).clone()));
    }

    /// The saved tensors, in the order they were saved (`ctx.saved_tensors`).
    ///
    /// # Panics
    /// If one of them was modified in place since it was saved.
    pub fn saved_tensors(&self) -> Vec<Tensor> {
        self.saved.iter().map(SavedTensor::unpack).collect()
    }

    /// Whether input `i` needs a gradient (`ctx.needs_input_grad[i]`): skip computing the others.
    pub fn needs_input_grad(&self, i: usize) -> bool {
        self.needs_input_grad.get(i).copied().unwrap_or(false)
    }
}

/// A user-defined differentiable op.
///
/// ```
/// use ember_autograd::{Context, Function, Tensor};
///
/// /// `y = x³` with a hand-written gradient `3x²`.
/// struct Cube;
/// impl Function for Cube {
///     fn forward(&self, ctx: &mut Context, inputs: &[Tensor]) -> Vec<Tensor> {
///         ctx.save_for_backward(&[&inputs[0]]);
///         vec![inputs[0].pow(3.0)]
///     }
///     fn backward(&self, ctx: &Context, grads: &[Option<Tensor>]) -> Vec<Option<Tensor>> {
///         let x = &ctx.saved_tensors()[0];
///         let g = grads[0].as_ref().unwrap();
///         vec![Some(g.mul(&x.mul(x)).mul(3.0))]
///     }
/// }
///
/// let x = Tensor::from([2.0f32]).requires_grad_(true);
/// let y = Cube.apply(&[&x]).remove(0);
/// assert_eq!(y.item::<f32>(), 8.0);
/// assert_eq!(y.grad_fn().unwrap().name(), "Cube");
/// y.backward();
/// assert_eq!(x.grad().unwrap().item::<f32>(), 12.0);
/// ```
pub trait Function: Send + Sync + 'static {
    /// Computes the outputs. Runs without recording a graph.
    fn forward(&self, ctx: &mut Context, inputs: &[Tensor]) -> Vec<Tensor>;

    /// Maps the gradients of the outputs (`None`: that output got no gradient) to gradients of
    /// the inputs (`None`: no gradient), one per input.
    fn backward(&self, ctx: &Context, grads: &[Option<Tensor>]) -> Vec<Option<Tensor>>;

    /// The name shown by `grad_fn().name()` and in error messages (defaults to the type name).
    fn name(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        full.rsplit("::").next().unwrap_or(full)
    }

    /// Runs the function, recording it in the graph when an input requires grad.
    #[track_caller]
    fn apply(self, inputs: &[&Tensor]) -> Vec<Tensor>
    where
        Self: Sized,
    {
        let loc = Location::caller();
        let owned: Vec<Tensor> = inputs.iter().map(|t| t.detach()).collect();
        let mut ctx = Context::default();
        let outs = no_grad(|| self.forward(&mut ctx, &owned));
        if !any_requires_grad(inputs) {
            return outs
                .into_iter()
                .map(|t| Tensor::from_array(t.data().clone()))
                .collect();
        }
        let name = self.name();
        let edges = inputs.iter().map(|t| t.edge()).collect();
        ctx.needs_input_grad = inputs.iter().map(|t| t.requires_grad()).collect();
        let metas: SmallVec<[OutputMeta; 1]> = outs
            .iter()
            .map(|o| OutputMeta {
                shape: SmallVec::from_slice(o.shape()),
                dtype: o.dtype(),
            })
            .collect();
        let this = Arc::new(self);
        let ctx_cell: Arc<Mutex<Option<Context>>> = Arc::new(Mutex::new(None));
        let node = Arc::new_cyclic(|weak: &Weak<Node>| {
            // Saved outputs link back weakly (no cycle); saved inputs keep their graph.
            let to_save = std::mem::take(&mut ctx.to_save);
            ctx.saved = to_save
                .iter()
                .map(|t| {
                    match outs.iter().position(|o| {
                        o.data().shares_storage(t.data())
                            && o.shape() == t.shape()
                            && o.strides() == t.strides()
                    }) {
                        Some(k) => SavedTensor::output(t.data(), weak.clone(), k, name, loc),
                        None => {
                            let orig = owned
                                .iter()
                                .position(|o| o.is_same(t))
                                .map(|i| inputs[i].clone())
                                .unwrap_or_else(|| t.clone());
                            SavedTensor::input(&orig, name).with_location(loc)
                        }
                    }
                })
                .collect();
            *ctx_cell.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::mem::take(&mut ctx));
            let f = this.clone();
            let cell = ctx_cell.clone();
            let backward: BackwardFn =
                Box::new(move |grads: &[Option<Tensor>], _needs: &[bool]| {
                    let guard = cell.lock().unwrap_or_else(|e| e.into_inner());
                    let ctx = guard.as_ref().expect("context set at apply");
                    crate::node::InputGrads::from_vec(f.backward(ctx, grads))
                });
            Node::new(name, loc, edges, metas, backward)
        });
        outs.into_iter()
            .enumerate()
            .map(|(i, o)| Tensor::with_grad_fn(o.data().clone(), node.clone(), i))
            .collect()
    }
}
