//! Entry points of backward: `Tensor::backward`, `backward_with`, and the functional
//! [`grad`](crate::autograd::grad).

use ember_tensor::Array;

use crate::engine::{Mode, run_backward};
use crate::tensor::Tensor;

/// Options of a backward run (PyTorch's keyword arguments).
#[derive(Clone, Copy, Debug, Default)]
pub struct BackwardOptions {
    /// Keep the saved tensors so the graph can be backpropagated again.
    pub retain_graph: bool,
    /// Record the backward computation itself, for higher-order gradients (implies
    /// `retain_graph`).
    pub create_graph: bool,
}

impl Tensor {
    /// Computes the gradient of this scalar w.r.t. every leaf that requires grad, adding it into
    /// their [`grad`](Tensor::grad). The graph is freed as it is walked.
    ///
    /// # Panics
    /// If the tensor has more than one element (use [`backward_with`](Tensor::backward_with)),
    /// does not require grad, or its graph was already freed by an earlier backward.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let w = Tensor::from([2.0f32, -1.0]).requires_grad_(true);
    /// let loss = w.mul(&w).sum();
    /// loss.backward();
    /// assert_eq!(w.grad().unwrap().to_vec::<f32>(), vec![4.0, -2.0]);
    /// ```
    #[track_caller]
    pub fn backward(&self) {
        self.backward_opts(None, BackwardOptions::default());
    }

    /// Backward from a non-scalar tensor, given the gradient of the final result w.r.t. it
    /// (`tensor.backward(gradient)`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// x.mul(3.0).backward_with(&Tensor::from([1.0f32, 10.0]));
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 30.0]);
    /// ```
    #[track_caller]
    pub fn backward_with(&self, gradient: &Tensor) {
        self.backward_opts(Some(gradient), BackwardOptions::default());
    }

    /// Backward with all of PyTorch's options: an optional gradient (required for non-scalars),
    /// `retain_graph` and `create_graph`.
    ///
    /// ```
    /// use ember_autograd::{BackwardOptions, Tensor};
    /// let x = Tensor::from([3.0f32]).requires_grad_(true);
    /// let y = x.mul(&x);
    /// let keep = BackwardOptions { retain_graph: true, ..Default::default() };
    /// y.backward_opts(None, keep);
    /// y.backward_opts(None, keep); // the graph is still there
    /// assert_eq!(x.grad().unwrap().item::<f32>(), 12.0);
    /// ```
    #[track_caller]
    pub fn backward_opts(&self, gradient: Option<&Tensor>, opts: BackwardOptions) {
        let g = match gradient {
            Some(g) => {
                assert!(
                    g.shape() == self.shape(),
                    "backward: the gradient has shape {:?} but the tensor has shape {:?}",
                    g.shape(),
                    self.shape()
                );
                g.clone()
            }
            None => {
                assert!(
                    self.numel() == 1,
                    "backward: grad can be implicitly created only for scalar outputs; this \
                     tensor has shape {:?}, so pass the gradient with backward_with",
                    self.shape()
                );
                Tensor::from_array(Array::ones(self.shape(), self.dtype()))
            }
        };
        run_backward(
            &[(self.clone(), g)],
            Mode::Accumulate,
            opts.retain_graph || opts.create_graph,
            opts.create_graph,
            true,
        );
    }
}

/// Gradients of `outputs` w.r.t. `inputs` (`torch.autograd.grad`), without touching any
/// `.grad`. `grad_outputs` gives the gradient for each output (`None`: ones, for scalars).
/// With `create_graph`, the results are themselves differentiable (higher-order gradients).
/// With `allow_unused`, an input the outputs do not depend on gives `None` instead of a panic.
///
/// ```
/// use ember_autograd::{autograd, Tensor};
/// let x = Tensor::from([2.0f64]).requires_grad_(true);
/// let y = x.pow(3.0); // y = x³
/// let dy = autograd::grad(&[&y], &[&x], None, false, true, false);
/// let dy = dy[0].as_ref().unwrap(); // 3x² = 12
/// assert_eq!(dy.item::<f64>(), 12.0);
/// let d2y = autograd::grad(&[dy], &[&x], None, false, false, false);
/// assert_eq!(d2y[0].as_ref().unwrap().item::<f64>(), 12.0); // 6x
/// ```
#[track_caller]
pub fn grad(
    outputs: &[&Tensor],
    inputs: &[&Tensor],
    grad_outputs: Option<&[&Tensor]>,
    retain_graph: bool,
    create_graph: bool,
    allow_unused: bool,
) -> Vec<Option<Tensor>> {
    // Plain loops, not closures: a panic here must point at the caller's line.
    let mut roots: Vec<(Tensor, Tensor)> = Vec::with_capacity(outputs.len());
    for (i, o) in outputs.iter().enumerate() {
        let g = match grad_outputs {
            Some(gs) => {
                assert!(
                    i < gs.len(),
                    "autograd::grad: {} outputs but {} grad_outputs",
                    outputs.len(),
                    gs.len()
                );
                let g = gs[i];
                assert!(
                    g.shape() == o.shape(),
                    "autograd::grad: grad_outputs[{i}] has shape {:?} but outputs[{i}] has \
                     shape {:?}",
                    g.shape(),
                    o.shape()
                );
                g.clone()
            }
            None => {
                assert!(
                    o.numel() == 1,
                    "autograd::grad: outputs[{i}] has shape {:?}; grad can be implicitly \
                     created only for scalar outputs, pass grad_outputs",
                    o.shape()
                );
                Tensor::from_array(Array::ones(o.shape(), o.dtype()))
            }
        };
        roots.push(((*o).clone(), g));
    }
    let inputs: Vec<Tensor> = inputs.iter().map(|t| (*t).clone()).collect();
    run_backward(
        &roots,
        Mode::Capture(&inputs),
        retain_graph || create_graph,
        create_graph,
        allow_unused,
    )
}
