//! The graph: a [`Node`] per recorded op, holding its backward function and one [`Edge`] per
//! input, pointing at the node that made that input (or at the leaf that collects its gradient).

use std::panic::Location;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use ember_tensor::DType;
use smallvec::SmallVec;

use crate::tensor::{Tensor, TensorImpl};

/// Gradients of a node's outputs (`None`: that output received no gradient) in, gradients of its
/// inputs out (`None`: not needed or zero).
pub(crate) type BackwardFn =
    Box<dyn FnMut(&[Option<Tensor>], &[bool]) -> InputGrads + Send + 'static>;

/// The gradients a backward function returns, one per input: inline up to two (nearly every
/// op), so returning them allocates nothing.
pub(crate) type InputGrads = SmallVec<[Option<Tensor>; 2]>;

/// A hook on a tensor's gradient: may return a replacement.
pub(crate) type GradHook = Arc<dyn Fn(&Tensor) -> Option<Tensor> + Send + Sync + 'static>;

/// Where the gradient for one input of a node goes.
#[derive(Clone)]
pub(crate) enum Edge {
    /// The input does not require grad.
    None,
    /// The input was output `1` of node `0`.
    Node(Arc<Node>, usize),
    /// The input is a leaf that requires grad: its gradient accumulates into `.grad`.
    Leaf(Weak<TensorImpl>),
}

impl Edge {
    pub(crate) fn is_some(&self) -> bool {
        !matches!(self, Edge::None)
    }
}

/// One input of a [`Node`], as returned by [`Node::inputs`].
#[derive(Clone)]
pub enum NodeInput {
    /// The input does not require grad (data, a constant).
    Constant,
    /// The input was output `.1` of node `.0`.
    Node(Arc<Node>, usize),
    /// The input is a leaf that requires grad (a parameter); `None` once it was dropped.
    Leaf(Option<Tensor>),
}

/// Shape and dtype of one output of a node: missing gradients are zeros of this, and returned
/// gradients are checked against it.
pub(crate) struct OutputMeta {
    pub shape: SmallVec<[usize; 4]>,
    pub dtype: DType,
}

/// One recorded op in the graph (`grad_fn` in PyTorch).
pub struct Node {
    pub(crate) name: &'static str,
    pub(crate) location: &'static Location<'static>,
    pub(crate) seq: u64,
    pub(crate) edges: SmallVec<[Edge; 2]>,
    pub(crate) outputs: SmallVec<[OutputMeta; 1]>,
    backward: Mutex<Option<BackwardFn>>,
    /// Hooks registered on the node's outputs (non-leaf tensors): `(output_nr, id, hook)`.
    pub(crate) hooks: Mutex<Vec<(usize, u64, GradHook)>>,
    /// Non-leaf outputs that asked for `retain_grad`: `(output_nr, tensor)`.
    pub(crate) retains: Mutex<Vec<(usize, Weak<TensorImpl>)>>,
    /// Set once a hook or a `retain_grad` is registered on this node, so that backward locks
    /// `hooks` and `retains` only for the few nodes that have them (two uncontended locks per
    /// node were ~5 % of a tiny op's cost).
    pub(crate) observed: std::sync::atomic::AtomicBool,
}

thread_local! {
    static SEQ: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn next_seq() -> u64 {
    SEQ.with(|s| {
        let v = s.get() + 1;
        s.set(v);
        v
    })
}

impl Drop for Node {
    fn drop(&mut self) {
        crate::live::node_dropped();
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic inside a backward function (a version-check error, say) must not make the graph
    // unusable for the error message of the next call.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Node {
    pub(crate) fn new(
        name: &'static str,
        location: &'static Location<'static>,
        edges: SmallVec<[Edge; 2]>,
        outputs: SmallVec<[OutputMeta; 1]>,
        backward: BackwardFn,
    ) -> Node {
        crate::live::node_made();
        Node {
            name,
            location,
            seq: next_seq(),
            edges,
            outputs,
            backward: Mutex::new(Some(backward)),
            hooks: Mutex::new(Vec::new()),
            retains: Mutex::new(Vec::new()),
            observed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The op's name, e.g. `"mul"` (PyTorch's `MulBackward0`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32]).requires_grad_(true);
    /// assert_eq!(x.exp().grad_fn().unwrap().name(), "exp");
    /// ```
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The source line that recorded this op (the user's line, through `#[track_caller]`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32]).requires_grad_(true);
    /// let y = x.exp(); let line = line!();
    /// assert_eq!(y.grad_fn().unwrap().location().line(), line);
    /// ```
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// The nodes this one sends gradients to, one per input (`None` for inputs that do not
    /// require grad or are leaves): PyTorch's `next_functions`.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32]).requires_grad_(true);
    /// let y = x.exp().sin();
    /// let next = y.grad_fn().unwrap().next_functions();
    /// assert_eq!(next[0].as_ref().unwrap().name(), "exp");
    /// ```
    pub fn next_functions(&self) -> Vec<Option<Arc<Node>>> {
        self.edges
            .iter()
            .map(|e| match e {
                Edge::Node(n, _) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    /// Each input of the op as the graph sees it: another node's output, a leaf that requires
    /// grad, or a constant (for tools that draw the graph, such as TensorBoard's `add_graph`).
    ///
    /// ```
    /// use ember_autograd::{NodeInput, Tensor};
    /// let w = Tensor::from([2.0f32]).requires_grad_(true);
    /// let y = w.exp().mul(&Tensor::from([3.0f32]));
    /// let ins = y.grad_fn().unwrap().inputs();
    /// assert!(matches!(&ins[0], NodeInput::Node(n, 0) if n.name() == "exp"));
    /// assert!(matches!(ins[1], NodeInput::Constant));
    /// let exp_ins = y.grad_fn().unwrap().next_functions()[0].as_ref().unwrap().inputs();
    /// assert!(matches!(&exp_ins[0], NodeInput::Leaf(Some(t)) if t.is_same(&w)));
    /// ```
    pub fn inputs(&self) -> Vec<NodeInput> {
        self.edges
            .iter()
            .map(|e| match e {
                Edge::None => NodeInput::Constant,
                Edge::Node(n, nr) => NodeInput::Node(n.clone(), *nr),
                Edge::Leaf(w) => NodeInput::Leaf(w.upgrade().map(|inner| Tensor { inner })),
            })
            .collect()
    }

    /// The shape of each output of the op.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::ones(&[2, 3], ember_autograd::DType::F32).requires_grad_(true);
    /// assert_eq!(x.sum_dim(&[1], false).grad_fn().unwrap().output_shapes(), vec![vec![2]]);
    /// ```
    pub fn output_shapes(&self) -> Vec<Vec<usize>> {
        self.outputs.iter().map(|o| o.shape.to_vec()).collect()
    }

    pub(crate) fn describe(&self) -> String {
        format!("`{}` created at {}", self.name, self.location)
    }

    /// Runs the backward function. With `retain` false it is freed afterwards (with everything it
    /// saved), so a second backward through this node is an error.
    pub(crate) fn apply(&self, grads: &[Option<Tensor>], retain: bool) -> InputGrads {
        let needs: SmallVec<[bool; 4]> = self.edges.iter().map(Edge::is_some).collect();
        let mut slot = lock(&self.backward);
        let Some(f) = slot.as_mut() else {
            panic!(
                "Trying to backward through the graph a second time: the saved tensors of {} \
                 were freed by the first backward. Pass retain_graph = true to the first \
                 backward (or autograd::grad) if you need to backward twice.",
                self.describe()
            );
        };
        let out = if retain {
            f(grads, &needs)
        } else {
            let mut f = slot.take().expect("checked above");
            drop(slot);
            f(grads, &needs)
        };
        assert!(
            out.len() == self.edges.len(),
            "backward of {} returned {} gradients for {} inputs",
            self.describe(),
            out.len(),
            self.edges.len()
        );
        out
    }
}

/// A tensor kept by a backward function, with the storage version it saw: unpacking it after an
/// in-place change of that storage is an error that names the op and the line that made it.
pub struct SavedTensor {
    data: ember_tensor::Array,
    version: u64,
    /// An input: the tensor itself (keeps its graph). An output: a weak link to the node that
    /// made it, so saving an output makes no reference cycle.
    origin: Origin,
    op: &'static str,
    location: &'static Location<'static>,
}

enum Origin {
    Input(Tensor),
    Output { node: Weak<Node>, output_nr: usize },
}

impl SavedTensor {
    #[track_caller]
    pub(crate) fn input(t: &Tensor, op: &'static str) -> SavedTensor {
        SavedTensor {
            data: t.data().clone(),
            version: t.data().version(),
            origin: Origin::Input(t.clone()),
            op,
            location: Location::caller(),
        }
    }

    pub(crate) fn output(
        data: &ember_tensor::Array,
        node: Weak<Node>,
        output_nr: usize,
        op: &'static str,
        location: &'static Location<'static>,
    ) -> SavedTensor {
        SavedTensor {
            data: data.clone(),
            version: data.version(),
            origin: Origin::Output { node, output_nr },
            op,
            location,
        }
    }

    pub(crate) fn with_location(mut self, location: &'static Location<'static>) -> SavedTensor {
        self.location = location;
        self
    }

    /// The saved tensor, after checking that nothing changed it in place since it was saved.
    ///
    /// # Panics
    /// If its storage was modified in place after it was saved.
    pub fn unpack(&self) -> Tensor {
        let now = self.data.version();
        if now != self.version {
            panic!(
                "a tensor needed for gradient computation was modified by an in-place operation: \
                 the {} of `{}` (shape {:?}, dtype {}), created at {}, is at version {now}; \
                 the backward of `{}` expected version {}. Use an out-of-place op, or clone() \
                 the tensor before changing it.",
                match self.origin {
                    Origin::Input(_) => "input",
                    Origin::Output { .. } => "output",
                },
                self.op,
                self.data.shape(),
                self.data.dtype(),
                self.location,
                self.op,
                self.version
            );
        }
        match &self.origin {
            Origin::Input(t) => t.clone(),
            Origin::Output { node, output_nr } => match node.upgrade() {
                Some(n) => Tensor::with_grad_fn(self.data.clone(), n, *output_nr),
                None => Tensor::from_array(self.data.clone()),
            },
        }
    }
}
