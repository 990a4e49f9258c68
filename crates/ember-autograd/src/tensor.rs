//! [`Tensor`]: a level-1 [`Array`] plus autograd metadata. The only type users see.

use std::fmt;
use std::panic::Location;
use std::sync::{Arc, Mutex, Weak};

use ember_tensor::{Array, DType, Device, Element};
use smallvec::SmallVec;

use crate::grad_mode::is_grad_enabled;
use crate::node::{BackwardFn, Edge, GradHook, InputGrads, Node, OutputMeta, SavedTensor, lock};

/// A tensor: an [`Array`] (shape, strides, shared storage) plus what autograd needs.
///
/// Cloning a `Tensor` clones the handle: both clones are the same tensor (same data, same
/// `.grad`), as two Python names for one `torch.Tensor`. Use [`Tensor::clone_tensor`] for a copy
/// of the data that stays in the graph, or [`Tensor::detach`] to leave it.
///
/// ```
/// use ember_autograd::Tensor;
/// let x = Tensor::from([1.0f32, 2.0, 3.0]).requires_grad_(true);
/// let y = x.mul(&x).sum();
/// y.backward();
/// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![2.0, 4.0, 6.0]);
/// ```
#[derive(Clone)]
pub struct Tensor {
    pub(crate) inner: Arc<TensorImpl>,
}

pub(crate) struct TensorImpl {
    pub(crate) data: Array,
    pub(crate) meta: Mutex<Meta>,
}

impl TensorImpl {
    fn new(data: Array, meta: Meta) -> TensorImpl {
        crate::live::tensor_made();
        TensorImpl {
            data,
            meta: Mutex::new(meta),
        }
    }
}

impl Drop for TensorImpl {
    fn drop(&mut self) {
        crate::live::tensor_dropped();
    }
}

#[derive(Default)]
pub(crate) struct Meta {
    /// Leaves only: whether gradients accumulate into `grad`.
    pub requires_grad: bool,
    pub grad_fn: Option<Arc<Node>>,
    pub output_nr: usize,
    pub grad: Option<Tensor>,
    pub retains_grad: bool,
    /// Leaves only: hooks on the gradient.
    pub hooks: Vec<(u64, GradHook)>,
    /// Set when this tensor is a view (shares storage with `base` through a view op).
    pub view: Option<ViewInfo>,
}

/// A view's base and the storage version at which the view's `grad_fn` was last set. When the
/// storage changed since (an in-place op through the base or another view), the view's
/// `grad_fn` is rebuilt as a strided view of the base's current one, so gradients see the change.
#[derive(Clone)]
pub(crate) struct ViewInfo {
    pub base: Tensor,
    pub version: u64,
}

impl Tensor {
    /// Wraps an array as a leaf tensor that does not require grad (no copy).
    ///
    /// ```
    /// use ember_autograd::{Array, Tensor};
    /// let t = Tensor::from_array(Array::from([1.0f32, 2.0]));
    /// assert!(t.is_leaf() && !t.requires_grad());
    /// ```
    pub fn from_array(data: Array) -> Tensor {
        Tensor {
            inner: Arc::new(TensorImpl::new(data, Meta::default())),
        }
    }

    pub(crate) fn with_grad_fn(data: Array, node: Arc<Node>, output_nr: usize) -> Tensor {
        Tensor {
            inner: Arc::new(TensorImpl::new(
                data,
                Meta {
                    grad_fn: Some(node),
                    output_nr,
                    ..Meta::default()
                },
            )),
        }
    }

    /// A contiguous tensor owning `data` with the given shape.
    ///
    /// ```
    /// let t = ember_autograd::Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(t.shape(), &[2, 2]);
    /// ```
    #[track_caller]
    pub fn from_vec<T: Element>(data: Vec<T>, shape: &[usize]) -> Tensor {
        Tensor::from_array(Array::from_vec(data, shape))
    }

    /// A contiguous tensor copied from `data`.
    ///
    /// ```
    /// let t = ember_autograd::Tensor::from_slice(&[1i64, 2, 3], &[3]);
    /// assert_eq!(t.to_vec::<i64>(), vec![1, 2, 3]);
    /// ```
    #[track_caller]
    pub fn from_slice<T: Element>(data: &[T], shape: &[usize]) -> Tensor {
        Tensor::from_array(Array::from_slice(data, shape))
    }

    /// A 0-d tensor holding `value`.
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::scalar(2.5f64).item::<f64>(), 2.5);
    /// ```
    pub fn scalar<T: Element>(value: T) -> Tensor {
        Tensor::from_array(Array::scalar(value))
    }

    /// The data as a level-1 array (shares storage; carries no graph).
    ///
    /// ```
    /// let t = ember_autograd::Tensor::from([1.0f32]);
    /// assert_eq!(t.data().shape(), &[1]);
    /// ```
    pub fn data(&self) -> &Array {
        &self.inner.data
    }

    /// Shape.
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::zeros(&[2, 3], ember_autograd::DType::F32).shape(), &[2, 3]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        self.inner.data.shape()
    }

    /// Size of dim `dim` (negative counts from the end).
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::zeros(&[2, 3], ember_autograd::DType::F32).size(-1), 3);
    /// ```
    #[track_caller]
    pub fn size(&self, dim: isize) -> usize {
        self.inner.data.size(dim)
    }

    /// Number of dims.
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::scalar(1.0f32).ndim(), 0);
    /// ```
    pub fn ndim(&self) -> usize {
        self.inner.data.ndim()
    }

    /// Number of elements.
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::zeros(&[2, 3], ember_autograd::DType::F32).numel(), 6);
    /// ```
    pub fn numel(&self) -> usize {
        self.inner.data.numel()
    }

    /// Element type.
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::from([1i64]).dtype(), ember_autograd::DType::I64);
    /// ```
    pub fn dtype(&self) -> DType {
        self.inner.data.dtype()
    }

    /// Device (only the CPU has kernels today).
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::from([1i64]).device(), ember_autograd::Device::Cpu);
    /// ```
    pub fn device(&self) -> Device {
        self.inner.data.device()
    }

    /// Strides in elements.
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::zeros(&[2, 3], ember_autograd::DType::F32).t().strides(), &[1, 3]);
    /// ```
    pub fn strides(&self) -> &[usize] {
        self.inner.data.strides()
    }

    /// True when the elements are in row-major order without gaps.
    ///
    /// ```
    /// let t = ember_autograd::Tensor::zeros(&[2, 3], ember_autograd::DType::F32);
    /// assert!(t.is_contiguous() && !t.t().is_contiguous());
    /// ```
    pub fn is_contiguous(&self) -> bool {
        self.inner.data.is_contiguous()
    }

    /// The storage's version counter (bumped by every in-place write).
    ///
    /// ```
    /// let t = ember_autograd::Tensor::zeros(&[2], ember_autograd::DType::F32);
    /// let v = t.version();
    /// t.add_(1.0);
    /// assert_eq!(t.version(), v + 1);
    /// ```
    pub fn version(&self) -> u64 {
        self.inner.data.version()
    }

    /// The elements in logical (row-major) order.
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::from([1.0f32, 2.0]).to_vec::<f32>(), vec![1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn to_vec<T: Element>(&self) -> Vec<T> {
        self.inner.data.to_vec()
    }

    /// The value of a one-element tensor.
    ///
    /// ```
    /// assert_eq!(ember_autograd::Tensor::from([4.0f32]).item::<f32>(), 4.0);
    /// ```
    #[track_caller]
    pub fn item<T: Element>(&self) -> T {
        self.inner.data.item()
    }

    /// Which output of its `grad_fn` this tensor is (0 for single-output ops; PyTorch's
    /// `output_nr`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// let p = x.mul(2.0).chunk(2, 0);
    /// assert_eq!((p[0].output_nr(), p[1].output_nr()), (0, 1));
    /// ```
    pub fn output_nr(&self) -> usize {
        self.fresh_meta().output_nr
    }

    /// True when both handles are the same tensor (Python's `a is b`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::from([1.0f32]);
    /// assert!(a.is_same(&a.clone()) && !a.is_same(&a.detach()));
    /// ```
    pub fn is_same(&self, other: &Tensor) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    pub(crate) fn meta(&self) -> std::sync::MutexGuard<'_, Meta> {
        lock(&self.inner.meta)
    }

    // ---------------------------------------------------------------- autograd state

    /// True when gradients flow to this tensor: a leaf marked with [`requires_grad_`] or the
    /// result of an op on such tensors.
    ///
    /// [`requires_grad_`]: Tensor::requires_grad_
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([1.0f32]);
    /// assert!(!x.requires_grad());
    /// assert!(x.requires_grad_(true).requires_grad());
    /// ```
    pub fn requires_grad(&self) -> bool {
        let m = self.fresh_meta();
        m.requires_grad || m.grad_fn.is_some()
    }

    /// Marks a leaf as requiring grad (or not) and returns it, so it chains:
    /// `Tensor::randn(..).requires_grad_(true)`.
    ///
    /// # Panics
    /// On a non-leaf (use [`detach`](Tensor::detach) first) and, when `requires_grad` is true,
    /// on a tensor that is not floating point.
    ///
    /// ```
    /// let w = ember_autograd::Tensor::from([0.5f32]).requires_grad_(true);
    /// assert!(w.requires_grad() && w.is_leaf());
    /// ```
    #[track_caller]
    pub fn requires_grad_(self, requires_grad: bool) -> Tensor {
        {
            let mut m = self.meta();
            if let Some(f) = &m.grad_fn {
                if !requires_grad {
                    panic!(
                        "requires_grad_(false): this tensor is not a leaf (it is the output of {}); \
                         use detach() to get a tensor outside the graph",
                        f.describe()
                    );
                }
                return {
                    drop(m);
                    self
                };
            }
            if requires_grad && !self.dtype().is_floating_point() {
                panic!(
                    "requires_grad_: only tensors of floating-point dtype can require gradients, \
                     this one is {}",
                    self.dtype()
                );
            }
            m.requires_grad = requires_grad;
        }
        self
    }

    /// True for tensors not made by a recorded op: user-created tensors and results computed
    /// without grad.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// assert!(x.is_leaf() && !x.exp().is_leaf());
    /// ```
    pub fn is_leaf(&self) -> bool {
        self.refresh_view();
        self.meta().grad_fn.is_none()
    }

    /// The node that made this tensor (`None` for leaves).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([1.0f32]).requires_grad_(true);
    /// assert_eq!(x.tanh().grad_fn().unwrap().name(), "tanh");
    /// ```
    pub fn grad_fn(&self) -> Option<Arc<Node>> {
        self.refresh_view();
        self.meta().grad_fn.clone()
    }

    /// The gradient accumulated by backward: leaves that require grad, and non-leaves after
    /// [`retain_grad`](Tensor::retain_grad). `None` before any backward.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([3.0f32]).requires_grad_(true);
    /// x.mul(&x).backward();
    /// assert_eq!(x.grad().unwrap().item::<f32>(), 6.0);
    /// ```
    pub fn grad(&self) -> Option<Tensor> {
        self.meta().grad.clone()
    }

    /// Replaces the gradient (`x.grad = g` in PyTorch); `None` clears it.
    ///
    /// # Panics
    /// If `grad`'s shape differs from the tensor's.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([3.0f32]).requires_grad_(true);
    /// x.set_grad(Some(Tensor::from([1.0f32])));
    /// assert_eq!(x.grad().unwrap().item::<f32>(), 1.0);
    /// ```
    #[track_caller]
    pub fn set_grad(&self, grad: Option<Tensor>) {
        if let Some(g) = &grad {
            assert!(
                g.shape() == self.shape(),
                "set_grad: gradient of shape {:?} for a tensor of shape {:?}",
                g.shape(),
                self.shape()
            );
        }
        self.meta().grad = grad;
    }

    /// Clears the gradient (PyTorch's `zero_grad(set_to_none=True)`, its default): the next
    /// backward stores a fresh gradient instead of adding to a buffer of zeros.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([3.0f32]).requires_grad_(true);
    /// x.mul(&x).backward();
    /// x.zero_grad();
    /// assert!(x.grad().is_none());
    /// ```
    pub fn zero_grad(&self) {
        self.meta().grad = None;
    }

    /// Makes backward store this non-leaf tensor's gradient in [`grad`](Tensor::grad).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([2.0f32]).requires_grad_(true);
    /// let y = x.mul(&x);
    /// y.retain_grad();
    /// y.mul(3.0).backward();
    /// assert_eq!(y.grad().unwrap().item::<f32>(), 3.0);
    /// ```
    pub fn retain_grad(&self) {
        let f = {
            let mut m = self.meta();
            if m.grad_fn.is_none() || m.retains_grad {
                return;
            }
            m.retains_grad = true;
            (m.grad_fn.clone().expect("checked"), m.output_nr)
        };
        lock(&f.0.retains).push((f.1, Arc::downgrade(&self.inner)));
        f.0.observed
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// True when backward will store this tensor's gradient: leaves that require grad and
    /// non-leaves after [`retain_grad`](Tensor::retain_grad).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([2.0f32]).requires_grad_(true);
    /// assert!(x.retains_grad() == false && x.exp().retains_grad() == false);
    /// ```
    pub fn retains_grad(&self) -> bool {
        self.meta().retains_grad
    }

    /// A tensor sharing this one's data but outside the graph (no grad, a leaf).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([2.0f32]).requires_grad_(true);
    /// let d = x.exp().detach();
    /// assert!(!d.requires_grad() && d.is_leaf());
    /// ```
    pub fn detach(&self) -> Tensor {
        Tensor::from_array(self.inner.data.clone())
    }

    /// Detaches this tensor in place: it becomes a leaf that does not require grad.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([2.0f32]).requires_grad_(true);
    /// let y = x.exp();
    /// y.detach_();
    /// assert!(y.is_leaf() && !y.requires_grad());
    /// ```
    pub fn detach_(&self) {
        let mut m = self.meta();
        m.grad_fn = None;
        m.requires_grad = false;
        m.view = None;
    }

    // ---------------------------------------------------------------- graph plumbing

    /// The edge a gradient for this tensor travels along.
    pub(crate) fn edge(&self) -> Edge {
        let m = self.fresh_meta();
        match &m.grad_fn {
            Some(f) => Edge::Node(f.clone(), m.output_nr),
            None if m.requires_grad => Edge::Leaf(Arc::downgrade(&self.inner)),
            None => Edge::None,
        }
    }

    /// A view whose storage changed since its `grad_fn` was set gets a fresh `grad_fn`: a strided
    /// view of its base's current one (so an in-place op through the base or another view is
    /// seen by gradients flowing through this view).
    /// The metadata, after [`refresh_view`](Self::refresh_view) when this is a stale view: one
    /// lock on the common path (not a view, or an up-to-date one).
    pub(crate) fn fresh_meta(&self) -> std::sync::MutexGuard<'_, Meta> {
        {
            let m = self.meta();
            match &m.view {
                Some(v) if v.version != self.version() => {}
                _ => return m,
            }
        }
        self.refresh_view();
        self.meta()
    }

    fn refresh_view(&self) {
        let base = {
            let m = self.meta();
            match &m.view {
                Some(v) if v.version != self.version() => v.base.clone(),
                _ => return,
            }
        };
        let now = self.version();
        let regen = if base.requires_grad() {
            Some(crate::ops::view::restride_from_base(&base, self.data()))
        } else {
            None
        };
        let mut m = self.meta();
        if let Some(v) = m.view.as_mut() {
            v.version = now;
        }
        if let Some(t) = regen {
            let tm = t.meta();
            m.grad_fn = tm.grad_fn.clone();
            m.output_nr = tm.output_nr;
        }
    }

    /// The root base when this tensor is a view, otherwise `None`.
    pub(crate) fn view_base(&self) -> Option<Tensor> {
        self.meta().view.as_ref().map(|v| v.base.clone())
    }
}

// -------------------------------------------------------------------- recording ops

/// True when an op on `inputs` must record the graph.
#[inline]
pub(crate) fn any_requires_grad(inputs: &[&Tensor]) -> bool {
    is_grad_enabled() && inputs.iter().any(|t| t.requires_grad())
}

fn output_meta(a: &Array) -> OutputMeta {
    OutputMeta {
        shape: SmallVec::from_slice(a.shape()),
        dtype: a.dtype(),
    }
}

/// Records one op: `out` (the forward result) becomes a tensor whose `grad_fn` runs `backward`.
/// Returns a plain tensor when no input requires grad or grad mode is off.
#[track_caller]
pub(crate) fn record(
    name: &'static str,
    out: Array,
    inputs: &[&Tensor],
    backward: impl FnMut(&[Option<Tensor>], &[bool]) -> InputGrads + Send + 'static,
) -> Tensor {
    let Some(edges) = edges_of(inputs) else {
        return Tensor::from_array(out);
    };
    let node = Arc::new(Node::new(
        name,
        Location::caller(),
        edges,
        smallvec::smallvec![output_meta(&out)],
        Box::new(backward),
    ));
    Tensor::with_grad_fn(out, node, 0)
}

/// The inputs' edges, or `None` when grad mode is off or no input requires grad (one lock per
/// input: this is the per-op cost of recording).
#[inline]
fn edges_of(inputs: &[&Tensor]) -> Option<SmallVec<[Edge; 2]>> {
    if !is_grad_enabled() {
        return None;
    }
    let edges: SmallVec<[Edge; 2]> = inputs.iter().map(|t| t.edge()).collect();
    edges.iter().any(Edge::is_some).then_some(edges)
}

/// Like [`record`], for ops whose backward needs their own output: `make` receives the saved
/// output (checked against in-place changes, and linked to the node without a cycle).
#[track_caller]
pub(crate) fn record_with_output<F>(
    name: &'static str,
    out: Array,
    inputs: &[&Tensor],
    make: impl FnOnce(SavedTensor) -> F,
) -> Tensor
where
    F: FnMut(&[Option<Tensor>], &[bool]) -> InputGrads + Send + 'static,
{
    let Some(edges) = edges_of(inputs) else {
        return Tensor::from_array(out);
    };
    let loc = Location::caller();
    let node = Arc::new_cyclic(|weak: &Weak<Node>| {
        let saved = SavedTensor::output(&out, weak.clone(), 0, name, loc);
        let f: BackwardFn = Box::new(make(saved));
        Node::new(name, loc, edges, smallvec::smallvec![output_meta(&out)], f)
    });
    Tensor::with_grad_fn(out, node, 0)
}

/// Records an op with several outputs. `differentiable[i]` false marks an output that never
/// carries a gradient (indices); such outputs are returned without a `grad_fn`.
#[track_caller]
pub(crate) fn record_multi(
    name: &'static str,
    outs: Vec<Array>,
    differentiable: &[bool],
    inputs: &[&Tensor],
    backward: impl FnMut(&[Option<Tensor>], &[bool]) -> InputGrads + Send + 'static,
) -> Vec<Tensor> {
    let Some(edges) = edges_of(inputs) else {
        return outs.into_iter().map(Tensor::from_array).collect();
    };
    let node = Arc::new(Node::new(
        name,
        Location::caller(),
        edges,
        outs.iter().map(output_meta).collect(),
        Box::new(backward),
    ));
    outs.into_iter()
        .enumerate()
        .map(|(i, a)| {
            if differentiable.get(i).copied().unwrap_or(true) {
                Tensor::with_grad_fn(a, node.clone(), i)
            } else {
                Tensor::from_array(a)
            }
        })
        .collect()
}

/// Marks `out` as a view of `of` (for in-place correctness) and returns it.
pub(crate) fn mark_view(out: Tensor, of: &Tensor) -> Tensor {
    let base = of.view_base().unwrap_or_else(|| of.clone());
    let version = out.version();
    out.meta().view = Some(ViewInfo { base, version });
    out
}

impl Tensor {
    /// Saves this tensor (as an input of `op`) for a backward function.
    #[track_caller]
    pub(crate) fn save(&self, op: &'static str) -> SavedTensor {
        SavedTensor::input(self, op)
    }
}

impl fmt::Display for Tensor {
    /// Prints like PyTorch: the data, then `requires_grad=True` or `grad_fn=<name>`.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// assert_eq!(x.to_string(), "tensor([1., 2.], requires_grad=True)");
    /// assert_eq!(x.mul(2.0).to_string(), "tensor([2., 4.], grad_fn=<MulBackward>)");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.inner.data.to_string();
        let suffix = {
            let m = self.meta();
            match &m.grad_fn {
                Some(n) => Some(format!("grad_fn=<{}Backward>", camel(n.name()))),
                None if m.requires_grad => Some("requires_grad=True".to_string()),
                None => None,
            }
        };
        match suffix {
            Some(sfx) => write!(f, "{}, {sfx})", s.strip_suffix(')').unwrap_or(&s)),
            None => f.write_str(&s),
        }
    }
}

fn camel(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(h) => h.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<Array> for Tensor {
    fn from(a: Array) -> Tensor {
        Tensor::from_array(a)
    }
}

macro_rules! tensor_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Tensor {
            fn from(v: $t) -> Tensor {
                Tensor::from_array(Array::from(v))
            }
        }
        impl From<Vec<$t>> for Tensor {
            fn from(v: Vec<$t>) -> Tensor {
                Tensor::from_array(Array::from(v))
            }
        }
        impl<const A: usize> From<[$t; A]> for Tensor {
            fn from(v: [$t; A]) -> Tensor {
                Tensor::from_array(Array::from(v))
            }
        }
        impl<const A: usize, const B: usize> From<[[$t; B]; A]> for Tensor {
            fn from(v: [[$t; B]; A]) -> Tensor {
                Tensor::from_array(Array::from(v))
            }
        }
        impl<const A: usize, const B: usize, const C: usize> From<[[[$t; C]; B]; A]> for Tensor {
            fn from(v: [[[$t; C]; B]; A]) -> Tensor {
                Tensor::from_array(Array::from(v))
            }
        }
    )*};
}
tensor_from!(
    f32,
    f64,
    ember_tensor::f16,
    ember_tensor::bf16,
    i64,
    i32,
    u8,
    bool
);
