//! One direction of one LSTM layer over a whole sequence as a single autograd node (what
//! cuDNN and oneDNN do for PyTorch on their devices).
//!
//! Recorded op by op, an LSTM step is a dozen small nodes, and every step adds its own
//! `W_hh` gradient product and accumulation. Here the forward runs the recurrence on arrays
//! (one `addmm` and one fused cell kernel per step, nothing recorded), and the backward runs
//! backpropagation through time in reverse: per step one fused cell-backward kernel and one
//! product for the hidden-state gradient; then ONE product for the whole `W_hh` gradient
//! (`dGatesᵀ·H_prev` over all steps) instead of one per step.
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
        let (xw, h0, c0, w_hh) = (
            inputs[0].data(),
            inputs[1].data(),
            inputs[2].data(),
            inputs[3].data(),
        );
        let len = xw.shape()[0];
        // Copied once to row-major: gemm reads a transposed right-hand side at half speed in
        // these short products (16x128x512: 19 us against 9 us on the AVX-512 machine), and
        // the same weight serves every step.
        let w_t = w_hh.t().contiguous();
        let (mut h, mut c) = (h0.clone(), c0.clone());
        let mut ys = vec![None; len];
        let mut acts = vec![None; len];
        let mut c_prev = vec![None; len];
        let mut h_prev = vec![None; len];
        for s in 0..len {
            let t = if self.reverse { len - 1 - s } else { s };
            let gates = xw.select(0, t).addmm(&h, &w_t, 1.0, 1.0);
            let (hn, cn, act) = Array::lstm_cell_forward(&gates, &c);
            h_prev[t] = Some(std::mem::replace(&mut h, hn.clone()));
            c_prev[t] = Some(std::mem::replace(&mut c, cn));
            acts[t] = Some(act);
            ys[t] = Some(hn);
        }
        let stack = |v: Vec<Option<Array>>| {
            let v: Vec<Array> = v.into_iter().map(|a| a.expect("every step ran")).collect();
            Tensor::from_array(Array::stack(&v.iter().collect::<Vec<_>>(), 0))
        };
        let (acts, c_prev, h_prev) = (stack(acts), stack(c_prev), stack(h_prev));
        ctx.save_for_backward(&[&inputs[3], &acts, &c_prev, &h_prev]);
        vec![stack(ys), Tensor::from_array(h), Tensor::from_array(c)]
    }

    fn backward(&self, ctx: &Context, grads: &[Option<Tensor>]) -> Vec<Option<Tensor>> {
        assert!(
            !is_grad_enabled(),
            "LSTM: the fused sequence kernel has no second derivative (create_graph = true); \
             build the layer with `.fused(false)` to record the composed ops instead"
        );
        let saved = ctx.saved_tensors();
        let (w_hh, acts, c_prev, h_prev) = (
            saved[0].data(),
            saved[1].data(),
            saved[2].data(),
            saved[3].data(),
        );
        let len = acts.shape()[0];
        let dys = grads[0].as_ref().map(|g| g.data().clone());
        let mut dh: Option<Array> = grads[1].as_ref().map(|g| g.data().clone());
        let mut dc: Option<Array> = grads[2].as_ref().map(|g| g.data().clone());
        let mut dgates = vec![None; len];
        for s in 0..len {
            // Backward visits the steps in the reverse of the forward order.
            let t = if self.reverse { s } else { len - 1 - s };
            let dh_t = match (&dys, dh.take()) {
                (Some(d), Some(h)) => Some(h.add(&d.select(0, t))),
                (Some(d), None) => Some(d.select(0, t)),
                (None, h) => h,
            };
            let (dg, dcp) = Array::lstm_cell_backward(
                &acts.select(0, t),
                &c_prev.select(0, t),
                dh_t.as_ref(),
                dc.as_ref(),
            );
            dh = Some(dg.matmul(w_hh));
            dc = Some(dcp);
            dgates[t] = Some(dg);
        }
        let dgates: Vec<Array> = dgates
            .into_iter()
            .map(|a| a.expect("every step ran"))
            .collect();
        let dg = Array::stack(&dgates.iter().collect::<Vec<_>>(), 0);
        let n4 = dg.shape()[2] as isize;
        let hs = h_prev.shape()[2] as isize;
        let dw = ctx.needs_input_grad(3).then(|| {
            // Σ_t dGates_tᵀ·h_{t-1} as one product over all steps.
            let g2 = dg.reshape(&[-1, n4]);
            Tensor::from_array(g2.t().matmul(&h_prev.reshape(&[-1, hs])))
        });
        vec![
            ctx.needs_input_grad(0).then(|| Tensor::from_array(dg)),
            ctx.needs_input_grad(1)
                .then(|| dh.map(Tensor::from_array))
                .flatten(),
            ctx.needs_input_grad(2)
                .then(|| dc.map(Tensor::from_array))
                .flatten(),
            dw,
        ]
    }

    fn name(&self) -> &'static str {
        "lstm"
    }
}
