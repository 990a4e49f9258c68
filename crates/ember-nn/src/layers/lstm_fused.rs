//! One direction of one LSTM layer over a whole sequence as a single autograd node (what
//! cuDNN and oneDNN do for PyTorch on their devices).
//!
//! Recorded op by op, an LSTM step is a dozen small nodes, and every step adds its own
//! `W_hh` gradient product and accumulation. Here the forward runs the recurrence kernel
//! [`Array::lstm_sequence_forward`] (the hidden units split over the threads, one product and
//! one fused cell per step and thread, nothing recorded), and the backward runs
//! backpropagation through time with [`Array::lstm_sequence_backward`]; then ONE product for
//! the whole `W_hh` gradient (`dGatesᵀ·H_prev` over all steps) instead of one per step.
//!
//! Its backward is first-order only, as PyTorch's fused RNN kernels are: with
//! `create_graph` it panics and says to build the layer with `fused(false)`, which records
//! the composed ops (slower, differentiable to any order).

use ember_autograd::{Array, Context, Function, Tensor, is_grad_enabled};

/// The LSTM recurrence over `xw` (`(L, N, 4H)`, input projections with both biases added),
/// from `h0`, `c0` (`(N, H)`) with `w_hh` (`(4H, H)`); outputs `(ys (L, N, H), h_n, c_n)`.
pub(crate) struct LstmSequence {
    /// Runs from the last step to the first (the reverse direction of a bidirectional layer).
    pub reverse: bool,
}

impl Function for LstmSequence {
    fn forward(&self, ctx: &mut Context, inputs: &[Tensor]) -> Vec<Tensor> {
        let out = Array::lstm_sequence_forward(
            inputs[0].data(),
            inputs[1].data(),
            inputs[2].data(),
            inputs[3].data(),
            self.reverse,
        );
        let (acts, c_prev) = (Tensor::from_array(out.acts), Tensor::from_array(out.c_prev));
        // The hidden states are saved (for the `W_hh` gradient) through a second tensor over
        // the same storage: saving the output itself would make it own its own graph node.
        let ys = Tensor::from_array(out.ys.clone());
        ctx.save_for_backward(&[&inputs[3], &acts, &c_prev, &ys, &inputs[1]]);
        vec![
            Tensor::from_array(out.ys),
            Tensor::from_array(out.h_n),
            Tensor::from_array(out.c_n),
        ]
    }

    fn backward(&self, ctx: &Context, grads: &[Option<Tensor>]) -> Vec<Option<Tensor>> {
        assert!(
            !is_grad_enabled(),
            "LSTM: the fused sequence kernel has no second derivative (create_graph = true); \
             build the layer with `.fused(false)` to record the composed ops instead"
        );
        let saved = ctx.saved_tensors();
        let (w_hh, acts, c_prev, ys, h0) = (
            saved[0].data(),
            saved[1].data(),
            saved[2].data(),
            saved[3].data(),
            saved[4].data(),
        );
        let g = |i: usize| grads[i].as_ref().map(|g| g.data().clone());
        let (dys, dh_n, dc_n) = (g(0), g(1), g(2));
        let (dg, dc0) = Array::lstm_sequence_backward(
            w_hh,
            acts,
            c_prev,
            dys.as_ref(),
            dh_n.as_ref(),
            dc_n.as_ref(),
            self.reverse,
        );
        let len = dg.shape()[0];
        let (n4, hs) = (dg.shape()[2] as isize, h0.shape()[1] as isize);
        // The step that started from h0, and the others with the hidden state before them.
        let first = if self.reverse { len - 1 } else { 0 };
        let dh0 = ctx
            .needs_input_grad(1)
            .then(|| Tensor::from_array(dg.select(0, first).matmul(w_hh)));
        let dw = ctx.needs_input_grad(3).then(|| {
            // Σ_t dGates_tᵀ·h_{t-1}: h0 for the first step, and for the others the hidden
            // states `ys` shifted by one step, as one product over all of them.
            let dw0 = dg.select(0, first).t().matmul(h0);
            if len == 1 {
                return Tensor::from_array(dw0);
            }
            let (dg_rest, ys_rest) = if self.reverse {
                (dg.narrow(0, 0, len - 1), ys.narrow(0, 1, len - 1))
            } else {
                (dg.narrow(0, 1, len - 1), ys.narrow(0, 0, len - 1))
            };
            Tensor::from_array(dw0.addmm(
                &dg_rest.reshape(&[-1, n4]).t(),
                &ys_rest.reshape(&[-1, hs]),
                1.0,
                1.0,
            ))
        });
        vec![
            ctx.needs_input_grad(0).then(|| Tensor::from_array(dg)),
            dh0,
            ctx.needs_input_grad(2).then(|| Tensor::from_array(dc0)),
            dw,
        ]
    }

    fn name(&self) -> &'static str {
        "lstm"
    }
}
