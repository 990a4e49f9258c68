//! Recurrent layers: `RNN`, `LSTM`, `GRU` (multi-layer, bidirectional, `batch_first`,
//! dropout between layers, initial states) and their one-step cells. Parameter names and
//! gate layouts are PyTorch's (`weight_ih_l0`, `bias_hh_l1_reverse`; LSTM gates `i f g o`,
//! GRU gates `r z n`), so PyTorch checkpoints load by name.
//!
//! The input projection of all time steps is one matrix product per layer and direction. An
//! LSTM then runs the recurrence as one fused autograd node per layer and direction
//! (`lstm_fused.rs`); RNN, GRU and an LSTM built with `fused(false)` write each step with
//! tensor ops, so their backward is autograd's (to any order).

use std::any::Any;

use ember_autograd::{DType, Function, Tensor};

use super::lstm_fused::LstmSequence;

use crate::functional as F;
use crate::init;
use crate::{Hooks, Module, ModuleInfo, ReplaceError, TensorKind};

/// Which recurrence a [`RecurrentLayer`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RnnKind {
    /// Elman RNN with tanh.
    RnnTanh,
    /// Elman RNN with ReLU.
    RnnRelu,
    /// Long short-term memory.
    Lstm,
    /// Gated recurrent unit.
    Gru,
}

impl RnnKind {
    fn gates(self) -> usize {
        match self {
            RnnKind::RnnTanh | RnnKind::RnnRelu => 1,
            RnnKind::Lstm => 4,
            RnnKind::Gru => 3,
        }
    }
    fn name(self) -> &'static str {
        match self {
            RnnKind::RnnTanh | RnnKind::RnnRelu => "RNN",
            RnnKind::Lstm => "LSTM",
            RnnKind::Gru => "GRU",
        }
    }
}

/// One step of a recurrence: new `(h, c)` from the input projection `xw = x·W_ihᵀ + b_ih`.
fn step(
    kind: RnnKind,
    xw: &Tensor,
    h: &Tensor,
    c: Option<&Tensor>,
    w_hh: &Tensor,
    b_hh: Option<&Tensor>,
) -> (Tensor, Option<Tensor>) {
    let hw = F::linear(h, w_hh, b_hh);
    match kind {
        RnnKind::RnnTanh => (xw.add(&hw).tanh(), None),
        RnnKind::RnnRelu => (xw.add(&hw).relu(), None),
        RnnKind::Lstm => {
            let g = xw.add(&hw).chunk(4, -1);
            let (i, f, gg, o) = (g[0].sigmoid(), g[1].sigmoid(), g[2].tanh(), g[3].sigmoid());
            let c = f.mul(c.expect("LSTM cell state")).add(&i.mul(&gg));
            (o.mul(&c.tanh()), Some(c))
        }
        RnnKind::Gru => {
            let gx = xw.chunk(3, -1);
            let gh = hw.chunk(3, -1);
            let r = gx[0].add(&gh[0]).sigmoid();
            let z = gx[1].add(&gh[1]).sigmoid();
            let n = gx[2].add(&r.mul(&gh[2])).tanh();
            // h' = (1 - z)·n + z·h = n + z·(h - n)
            (n.add(&z.mul(&h.sub(&n))), None)
        }
    }
}

/// The common implementation of [`RNN`], [`LSTM`] and [`GRU`].
pub struct RecurrentLayer {
    /// The recurrence.
    pub kind: RnnKind,
    /// Input features.
    pub input_size: usize,
    /// Hidden features.
    pub hidden_size: usize,
    /// Stacked layers.
    pub num_layers: usize,
    /// Inputs are `(N, L, H)` instead of `(L, N, H)`.
    pub batch_first: bool,
    /// Runs a second, reversed recurrence per layer and concatenates.
    pub bidirectional: bool,
    /// Dropout on each layer's output but the last (training only).
    pub dropout: f64,
    /// Training mode.
    pub training: bool,
    /// An LSTM runs each layer and direction as one fused autograd node (default; first-order
    /// gradients only, like PyTorch's fused kernels) instead of recording every op of every
    /// step (any order). See [`fused`](RecurrentLayer::fused).
    pub fused: bool,
    params: Vec<(String, Tensor)>,
    has_bias: bool,
    hooks: Hooks,
}

/// The recurrent state: `h` (all kinds) and `c` (LSTM), each `(layers·directions, N, H)`.
#[derive(Clone)]
pub struct RnnState {
    /// Hidden state.
    pub h: Tensor,
    /// Cell state (LSTM only).
    pub c: Option<Tensor>,
}

impl RecurrentLayer {
    fn new(
        kind: RnnKind,
        input_size: usize,
        hidden_size: usize,
        num_layers: usize,
    ) -> RecurrentLayer {
        let mut l = RecurrentLayer {
            kind,
            input_size,
            hidden_size,
            num_layers,
            batch_first: false,
            bidirectional: false,
            dropout: 0.0,
            training: true,
            fused: true,
            params: Vec::new(),
            has_bias: true,
            hooks: Hooks::new(),
        };
        l.build();
        l
    }

    /// (Re)creates the parameters, `U(−1/√H, 1/√H)` as PyTorch.
    fn build(&mut self) {
        let (g, h) = (self.kind.gates(), self.hidden_size);
        let dirs = if self.bidirectional { 2 } else { 1 };
        let bound = 1.0 / (h as f64).sqrt();
        let p = |shape: &[usize]| {
            let t = Tensor::zeros(shape, DType::F32);
            init::uniform_(&t, -bound, bound);
            t.requires_grad_(true)
        };
        self.params.clear();
        for layer in 0..self.num_layers {
            for d in 0..dirs {
                let sfx = if d == 1 { "_reverse" } else { "" };
                let inp = if layer == 0 {
                    self.input_size
                } else {
                    h * dirs
                };
                self.params
                    .push((format!("weight_ih_l{layer}{sfx}"), p(&[g * h, inp])));
                self.params
                    .push((format!("weight_hh_l{layer}{sfx}"), p(&[g * h, h])));
                if self.has_bias {
                    self.params
                        .push((format!("bias_ih_l{layer}{sfx}"), p(&[g * h])));
                    self.params
                        .push((format!("bias_hh_l{layer}{sfx}"), p(&[g * h])));
                }
            }
        }
    }

    fn param(&self, name: &str) -> Option<&Tensor> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    /// Runs the sequence `x` (`(L, N, H_in)`, `(N, L, H_in)` with `batch_first`, or unbatched
    /// `(L, H_in)`) from `state` (zeros when `None`); returns the top layer's output at every
    /// step and the final state of every layer.
    ///
    /// # Panics
    /// On an input or state of the wrong shape.
    #[track_caller]
    pub fn forward_with_state(&self, x: &Tensor, state: Option<&RnnState>) -> (Tensor, RnnState) {
        let name = self.kind.name();
        let unbatched = x.ndim() == 2;
        if !(x.ndim() == 2 || x.ndim() == 3) || x.shape()[x.ndim() - 1] != self.input_size {
            panic!(
                "{name}: input must be (L, N, {0}), (N, L, {0}) with batch_first, or (L, {0}); got {1:?}",
                self.input_size,
                x.shape()
            );
        }
        let mut seq = if unbatched {
            x.unsqueeze(1)
        } else if self.batch_first {
            x.transpose(0, 1)
        } else {
            x.clone()
        };
        let (len, n) = (seq.shape()[0], seq.shape()[1]);
        let dirs = if self.bidirectional { 2 } else { 1 };
        let h = self.hidden_size;
        let layers = self.num_layers * dirs;
        let (h0, c0) = match state {
            Some(s) => {
                let h0 = if unbatched {
                    s.h.unsqueeze(1)
                } else {
                    s.h.clone()
                };
                if h0.shape() != [layers, n, h] {
                    panic!(
                        "{name}: initial h must be {:?}, got {:?}",
                        [layers, n, h],
                        s.h.shape()
                    );
                }
                let c0 =
                    s.c.as_ref()
                        .map(|c| if unbatched { c.unsqueeze(1) } else { c.clone() });
                (h0, c0)
            }
            None => (Tensor::zeros(&[layers, n, h], x.dtype()), None),
        };
        let c0 = if self.kind == RnnKind::Lstm {
            Some(c0.unwrap_or_else(|| Tensor::zeros(&[layers, n, h], x.dtype())))
        } else {
            None
        };
        let mut h_n = Vec::with_capacity(layers);
        let mut c_n = Vec::with_capacity(layers);
        for layer in 0..self.num_layers {
            let mut outs = Vec::with_capacity(dirs);
            for d in 0..dirs {
                let sfx = if d == 1 { "_reverse" } else { "" };
                let w_ih = self
                    .param(&format!("weight_ih_l{layer}{sfx}"))
                    .expect("weight");
                let w_hh = self
                    .param(&format!("weight_hh_l{layer}{sfx}"))
                    .expect("weight");
                let b_ih = self.param(&format!("bias_ih_l{layer}{sfx}"));
                let b_hh = self.param(&format!("bias_hh_l{layer}{sfx}"));
                let flat = seq.reshape(&[(len * n) as isize, -1]);
                let shape = [len as isize, n as isize, -1];
                let idx = layer * dirs + d;
                if self.kind == RnnKind::Lstm && self.fused && len > 0 {
                    // All time steps' input projections in one product, with both biases
                    // added once (as one `4H` vector) instead of a pass per bias.
                    let bias = match (b_ih, b_hh) {
                        (Some(a), Some(b)) => Some(a.add(b)),
                        (a, b) => a.or(b).cloned(),
                    };
                    let xw = F::linear(&flat, w_ih, bias.as_ref()).reshape(&shape);
                    let c0 = c0.as_ref().expect("LSTM cell state").select(0, idx);
                    let mut o = LstmSequence { reverse: d == 1 }.apply(&[
                        &xw,
                        &h0.select(0, idx),
                        &c0,
                        w_hh,
                    ]);
                    c_n.push(o.pop().expect("c_n"));
                    h_n.push(o.pop().expect("h_n"));
                    outs.push(o.pop().expect("ys"));
                    continue;
                }
                // All time steps' input projections in one product.
                let xw = F::linear(&flat, w_ih, b_ih).reshape(&shape);
                let mut ht = h0.select(0, idx);
                let mut ct = c0.as_ref().map(|c| c.select(0, idx));
                // One unbind (a single backward node) rather than a select per step.
                let xs = xw.unbind(0);
                let mut ys = vec![None; len];
                for s in 0..len {
                    let t = if d == 1 { len - 1 - s } else { s };
                    let (nh, nc) = step(self.kind, &xs[t], &ht, ct.as_ref(), w_hh, b_hh);
                    ys[t] = Some(nh.clone());
                    ht = nh;
                    ct = nc;
                }
                let ys: Vec<Tensor> = ys.into_iter().map(|y| y.expect("every step ran")).collect();
                let refs: Vec<&Tensor> = ys.iter().collect();
                outs.push(Tensor::stack(&refs, 0));
                h_n.push(ht);
                if let Some(c) = ct {
                    c_n.push(c);
                }
            }
            seq = if dirs == 2 {
                Tensor::cat(&[&outs[0], &outs[1]], -1)
            } else {
                outs.pop().expect("one direction")
            };
            if layer + 1 < self.num_layers && self.dropout > 0.0 {
                seq = F::dropout(&seq, self.dropout, self.training);
            }
        }
        let stack = |v: &[Tensor]| {
            let refs: Vec<&Tensor> = v.iter().collect();
            let s = Tensor::stack(&refs, 0);
            if unbatched { s.squeeze_dim(1) } else { s }
        };
        let out = if unbatched {
            seq.squeeze_dim(1)
        } else if self.batch_first {
            seq.transpose(0, 1)
        } else {
            seq
        };
        let state = RnnState {
            h: stack(&h_n),
            c: (!c_n.is_empty()).then(|| stack(&c_n)),
        };
        (out, state)
    }
}

impl ModuleInfo for RecurrentLayer {
    fn type_name(&self) -> &'static str {
        self.kind.name()
    }
    fn visit_tensors(&self, f: &mut dyn FnMut(&str, &Tensor, TensorKind)) {
        for (n, t) in &self.params {
            f(n, t, TensorKind::Parameter);
        }
    }
    fn visit_tensors_mut(&mut self, f: &mut dyn FnMut(&str, &mut Tensor, TensorKind)) {
        for (n, t) in &mut self.params {
            f(n, t, TensorKind::Parameter);
        }
    }
    fn visit_children<'a>(&'a self, _: &mut dyn FnMut(&str, &'a dyn Module)) {}
    fn visit_children_mut<'a>(&'a mut self, _: &mut dyn FnMut(&str, &'a mut dyn Module)) {}
    fn replace_child(
        &mut self,
        name: &str,
        module: Box<dyn Module>,
    ) -> Result<Option<Box<dyn Module>>, ReplaceError> {
        Err(ReplaceError::no_child(module, name, self.kind.name()))
    }
    fn hooks(&self) -> Option<&Hooks> {
        Some(&self.hooks)
    }
    fn training(&self) -> Option<bool> {
        Some(self.training)
    }
    fn set_training(&mut self, mode: bool) {
        self.training = mode;
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

impl Module for RecurrentLayer {
    /// The output sequence from a zero state (use `forward_with_state` for the final state).
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks
            .call(self, x, |x| self.forward_with_state(x, None).0)
    }
    fn extra_repr(&self) -> String {
        format!(
            "{}, {}, num_layers={}, batch_first={}, bidirectional={}",
            self.input_size,
            self.hidden_size,
            self.num_layers,
            self.batch_first,
            self.bidirectional
        )
    }
}

macro_rules! recurrent {
    ($( $(#[$doc:meta])* $name:ident => $kind:expr; )*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl $name {
            /// A single-layer, unidirectional, sequence-first layer with biases; adjust with
            /// the builder methods of [`RecurrentLayer`].
            #[allow(clippy::new_ret_no_self)]
            pub fn new(input_size: usize, hidden_size: usize) -> RecurrentLayer {
                RecurrentLayer::new($kind, input_size, hidden_size, 1)
            }
        }
    )*};
}

recurrent! {
    /// Elman RNN, `h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)` (or ReLU, with
    /// [`RecurrentLayer::nonlinearity_relu`]).
    ///
    /// ```
    /// use ember_nn::{DType, RNN, Tensor};
    /// let rnn = RNN::new(4, 8).num_layers(2);
    /// let (out, state) = rnn.forward_with_state(&Tensor::randn(&[5, 3, 4], DType::F32), None);
    /// assert_eq!((out.shape(), state.h.shape()), (&[5, 3, 8][..], &[2, 3, 8][..]));
    /// ```
    RNN => RnnKind::RnnTanh;
    /// Long short-term memory with PyTorch's gate order `i, f, g, o`.
    ///
    /// ```
    /// use ember_nn::{DType, LSTM, ModuleExt, Tensor};
    /// let lstm = LSTM::new(4, 8).batch_first(true).bidirectional(true);
    /// let (out, state) = lstm.forward_with_state(&Tensor::randn(&[3, 5, 4], DType::F32), None);
    /// assert_eq!(out.shape(), &[3, 5, 16]);
    /// assert_eq!(state.c.unwrap().shape(), &[2, 3, 8]);
    /// assert!(lstm.state_dict().contains_key("weight_hh_l0_reverse"));
    /// ```
    LSTM => RnnKind::Lstm;
    /// Gated recurrent unit with PyTorch's gate order `r, z, n`.
    ///
    /// ```
    /// use ember_nn::{DType, GRU, Module, Tensor};
    /// let gru = GRU::new(4, 6);
    /// assert_eq!(gru.forward(&Tensor::randn(&[7, 4], DType::F32)).shape(), &[7, 6]); // unbatched
    /// ```
    GRU => RnnKind::Gru;
}

impl RecurrentLayer {
    /// Stacks `n` layers (re-creating the parameters).
    pub fn num_layers(mut self, n: usize) -> RecurrentLayer {
        self.num_layers = n;
        self.build();
        self
    }
    /// Makes the layer bidirectional (re-creating the parameters).
    pub fn bidirectional(mut self, yes: bool) -> RecurrentLayer {
        self.bidirectional = yes;
        self.build();
        self
    }
    /// Takes and returns `(N, L, H)` sequences.
    pub fn batch_first(mut self, yes: bool) -> RecurrentLayer {
        self.batch_first = yes;
        self
    }
    /// For an LSTM: `true` (the default) runs each layer and direction over the whole
    /// sequence as one autograd node with fused cell kernels and one `W_hh` gradient product;
    /// its backward is first-order (a backward with `create_graph` panics). `false` records
    /// the composed ops of every step: slower, but differentiable to any order. Both give the
    /// same values and gradients (to rounding). RNN and GRU always record the composed ops.
    ///
    /// ```
    /// use ember_nn::LSTM;
    /// let lstm = LSTM::new(3, 4).fused(false);
    /// assert!(!lstm.fused);
    /// ```
    pub fn fused(mut self, yes: bool) -> RecurrentLayer {
        self.fused = yes;
        self
    }
    /// Dropout between stacked layers.
    pub fn dropout(mut self, p: f64) -> RecurrentLayer {
        self.dropout = p;
        self
    }
    /// With or without biases (re-creating the parameters).
    pub fn bias(mut self, yes: bool) -> RecurrentLayer {
        self.has_bias = yes;
        self.build();
        self
    }
    /// Uses ReLU instead of tanh (an RNN only).
    ///
    /// # Panics
    /// On an LSTM or GRU.
    #[track_caller]
    pub fn nonlinearity_relu(mut self) -> RecurrentLayer {
        if !matches!(self.kind, RnnKind::RnnTanh | RnnKind::RnnRelu) {
            panic!("nonlinearity: only an RNN has a choice of non-linearity");
        }
        self.kind = RnnKind::RnnRelu;
        self
    }
}

/// One step of a recurrence (`RNNCell`, `LSTMCell`, `GRUCell`): `weight_ih`, `weight_hh`,
/// `bias_ih`, `bias_hh` as PyTorch.
///
/// ```
/// use ember_nn::{DType, LSTMCell, Tensor};
/// let cell = LSTMCell::new(3, 5);
/// let x = Tensor::randn(&[2, 3], DType::F32);
/// let (h, c) = cell.step(&x, None);
/// let (h, _) = cell.step(&x, Some((&h, c.as_ref().unwrap())));
/// assert_eq!(h.shape(), &[2, 5]);
/// ```
#[derive(crate::Module)]
pub struct RecurrentCell {
    /// `(gates·H, input_size)`.
    pub weight_ih: Tensor,
    /// `(gates·H, H)`.
    pub weight_hh: Tensor,
    /// `(gates·H,)`.
    pub bias_ih: Option<Tensor>,
    /// `(gates·H,)`.
    pub bias_hh: Option<Tensor>,
    /// The recurrence.
    #[module(skip)]
    pub kind: RnnKind,
    hooks: Hooks,
}

impl RecurrentCell {
    fn new(kind: RnnKind, input_size: usize, hidden_size: usize) -> RecurrentCell {
        let g = kind.gates() * hidden_size;
        let bound = 1.0 / (hidden_size as f64).sqrt();
        let p = |shape: &[usize]| {
            let t = Tensor::zeros(shape, DType::F32);
            init::uniform_(&t, -bound, bound);
            t.requires_grad_(true)
        };
        RecurrentCell {
            weight_ih: p(&[g, input_size]),
            weight_hh: p(&[g, hidden_size]),
            bias_ih: Some(p(&[g])),
            bias_hh: Some(p(&[g])),
            kind,
            hooks: Hooks::new(),
        }
    }

    /// One step from `(h, c)` (zeros when `None`; `c` is used by an LSTM cell only). Returns
    /// the new `h` and, for an LSTM cell, the new `c`.
    #[track_caller]
    pub fn step(&self, x: &Tensor, state: Option<(&Tensor, &Tensor)>) -> (Tensor, Option<Tensor>) {
        let hsz = self.weight_hh.shape()[1];
        let mut shape = x.shape().to_vec();
        let last = shape.len() - 1;
        shape[last] = hsz;
        let zeros = Tensor::zeros(&shape, x.dtype());
        let (h, c) = match state {
            Some((h, c)) => (h.clone(), c.clone()),
            None => (zeros.clone(), zeros),
        };
        let xw = F::linear(x, &self.weight_ih, self.bias_ih.as_ref());
        step(
            self.kind,
            &xw,
            &h,
            (self.kind == RnnKind::Lstm).then_some(&c),
            &self.weight_hh,
            self.bias_hh.as_ref(),
        )
    }
}

impl Module for RecurrentCell {
    /// One step from a zero state; returns `h`.
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| self.step(x, None).0)
    }
}

macro_rules! cell {
    ($( $(#[$doc:meta])* $name:ident => $kind:expr; )*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl $name {
            /// A cell `input_size → hidden_size` with biases.
            #[allow(clippy::new_ret_no_self)]
            pub fn new(input_size: usize, hidden_size: usize) -> RecurrentCell {
                RecurrentCell::new($kind, input_size, hidden_size)
            }
        }
    )*};
}

cell! {
    /// An Elman RNN step (tanh).
    ///
    /// ```
    /// use ember_nn::{DType, Module, RNNCell, Tensor};
    /// assert_eq!(RNNCell::new(3, 4).forward(&Tensor::randn(&[2, 3], DType::F32)).shape(), &[2, 4]);
    /// ```
    RNNCell => RnnKind::RnnTanh;
    /// An LSTM step.
    ///
    /// ```
    /// use ember_nn::{DType, LSTMCell, Module, Tensor};
    /// assert_eq!(LSTMCell::new(3, 4).forward(&Tensor::randn(&[2, 3], DType::F32)).shape(), &[2, 4]);
    /// ```
    LSTMCell => RnnKind::Lstm;
    /// A GRU step.
    ///
    /// ```
    /// use ember_nn::{DType, GRUCell, Module, Tensor};
    /// assert_eq!(GRUCell::new(3, 4).forward(&Tensor::randn(&[2, 3], DType::F32)).shape(), &[2, 4]);
    /// ```
    GRUCell => RnnKind::Gru;
}
