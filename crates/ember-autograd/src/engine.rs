//! The backward engine: runs a graph's nodes in dependency order, summing the gradients each
//! node receives before it runs, and frees each node's saved tensors as soon as it has run
//! (unless the graph is retained).

use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use smallvec::SmallVec;

use crate::anomaly::is_anomaly_enabled;
use crate::grad_mode::{GradModeGuard, no_grad};
use crate::node::{Edge, Node, lock};
use crate::tensor::{Tensor, TensorImpl};

/// The engine's maps are keyed by pointers: an FxHash-style multiply-rotate hash is enough and
/// several times cheaper than SipHash per lookup (written here: it is six lines).
#[derive(Default)]
struct PtrHasher(u64);

impl Hasher for PtrHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_usize(b as usize);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<PtrHasher>>;

type NodeKey = *const Node;
type LeafKey = *const TensorImpl;
/// The gradients a node has received so far, one slot per output.
type Grads = SmallVec<[Option<Tensor>; 1]>;

thread_local! {
    /// The dependency-count map of the last backward run on this thread, emptied, for reuse.
    /// (A nested backward, from a hook, finds it taken and starts an empty one.)
    static DEPS_SCRATCH: std::cell::RefCell<FastMap<NodeKey, usize>> =
        std::cell::RefCell::new(FastMap::default());
}

/// What a backward run is for.
pub(crate) enum Mode<'a> {
    /// `backward()`: accumulate into the `.grad` of leaves.
    Accumulate,
    /// `autograd::grad`: return the gradients of these tensors, touch no `.grad`.
    Capture(&'a [Tensor]),
}

/// Adds `g` into `slot`.
fn accumulate_into(slot: &mut Option<Tensor>, g: Tensor) {
    *slot = Some(match slot.take() {
        None => g,
        Some(a) => a.add(&g),
    });
}

/// Runs backward from `roots` (each a tensor and the gradient of something w.r.t. it).
/// Returns the captured gradients in `Capture` mode.
#[track_caller]
pub(crate) fn run_backward(
    roots: &[(Tensor, Tensor)],
    mode: Mode<'_>,
    retain_graph: bool,
    create_graph: bool,
    allow_unused: bool,
) -> Vec<Option<Tensor>> {
    let _mode = GradModeGuard::new(create_graph);

    // Where captured gradients come from: a node output, or a leaf.
    let mut capture_node: FastMap<(NodeKey, usize), Vec<usize>> = FastMap::default();
    let mut capture_leaf: FastMap<LeafKey, Vec<usize>> = FastMap::default();
    let n_capture = match &mode {
        Mode::Capture(inputs) => {
            for (i, t) in inputs.iter().enumerate() {
                match t.edge() {
                    Edge::Node(n, nr) => capture_node
                        .entry((Arc::as_ptr(&n), nr))
                        .or_default()
                        .push(i),
                    Edge::Leaf(_) => capture_leaf
                        .entry(Arc::as_ptr(&t.inner))
                        .or_default()
                        .push(i),
                    Edge::None => panic!(
                        "autograd::grad: input {i} (shape {:?}) does not require grad, so no \
                         gradient can be computed for it",
                        t.shape()
                    ),
                }
            }
            inputs.len()
        }
        Mode::Accumulate => 0,
    };
    let capturing = matches!(mode, Mode::Capture(_));
    let mut captured: Vec<Option<Tensor>> = vec![None; n_capture];

    // Dependency counts over the reachable graph, and (when capturing) which nodes lead to a
    // captured tensor at all: the others are not run.
    // The map is reused across backward calls on this thread (cleared, capacity kept): growing
    // it from empty for every step's graph was ~2 % of a tiny op.
    let mut deps = DEPS_SCRATCH.with(|d| std::mem::take(&mut *d.borrow_mut()));
    // The walk borrows the nodes (the roots' edges keep the whole graph alive): no reference
    // count to bump and drop on each node, which is a write to every node of the graph.
    let root_edges: Vec<Edge> = roots.iter().map(|(t, _)| t.edge()).collect();
    let mut order: Vec<&Arc<Node>> = Vec::new(); // discovery order (parents before children)
    let mut stack: Vec<&Arc<Node>> = Vec::new();
    for edge in &root_edges {
        if let Edge::Node(n, _) = edge
            && let std::collections::hash_map::Entry::Vacant(e) = deps.entry(Arc::as_ptr(n))
        {
            e.insert(0);
            stack.push(n);
        }
    }
    while let Some(n) = stack.pop() {
        for e in &n.edges {
            if let Edge::Node(c, _) = e {
                let k = Arc::as_ptr(c);
                match deps.get_mut(&k) {
                    Some(d) => *d += 1,
                    None => {
                        deps.insert(k, 1);
                        stack.push(c);
                    }
                }
            }
        }
        if capturing {
            order.push(n);
        }
    }
    let needed: Option<FastMap<NodeKey, bool>> = capturing.then(|| {
        // A topological order (parents first) by Kahn's algorithm, then one pass children-first:
        // a node is needed when it feeds a captured tensor, itself or through its children.
        let mut indeg = deps.clone();
        let mut topo: Vec<&Arc<Node>> = Vec::with_capacity(order.len());
        let by_key: FastMap<NodeKey, &Arc<Node>> =
            order.iter().map(|&n| (Arc::as_ptr(n), n)).collect();
        let mut queue: Vec<&Arc<Node>> = order
            .iter()
            .copied()
            .filter(|n| indeg[&Arc::as_ptr(n)] == 0)
            .collect();
        while let Some(n) = queue.pop() {
            topo.push(n);
            for e in &n.edges {
                if let Edge::Node(c, _) = e {
                    let d = indeg.get_mut(&Arc::as_ptr(c)).expect("counted");
                    *d -= 1;
                    if *d == 0 {
                        queue.push(by_key[&Arc::as_ptr(c)]);
                    }
                }
            }
        }
        let mut needed: FastMap<NodeKey, bool> = FastMap::default();
        for n in topo.iter().rev() {
            let k = Arc::as_ptr(n);
            let own = (0..n.outputs.len()).any(|nr| capture_node.contains_key(&(k, nr)));
            let child = n.edges.iter().any(|e| match e {
                Edge::Node(c, _) => needed.get(&Arc::as_ptr(c)).copied().unwrap_or(false),
                Edge::Leaf(w) => capture_leaf.contains_key(&w.as_ptr()),
                Edge::None => false,
            });
            needed.insert(k, own || child);
        }
        needed
    });
    drop(order);
    drop(root_edges);

    // Seed the roots.
    let mut buffers: FastMap<NodeKey, (Arc<Node>, Grads)> =
        FastMap::with_capacity_and_hasher(16, Default::default()); // a chain holds few at once
    let mut leaves: Vec<(Arc<TensorImpl>, Option<Tensor>)> = Vec::new();
    let mut leaf_index: FastMap<LeafKey, usize> = FastMap::default();
    let mut ready: BinaryHeap<(u64, usize)> = BinaryHeap::new();
    for (t, g) in roots {
        match t.edge() {
            Edge::Node(n, nr) => {
                let entry = buffers
                    .entry(Arc::as_ptr(&n))
                    .or_insert_with(|| (n.clone(), SmallVec::from_elem(None, n.outputs.len())));
                accumulate_into(&mut entry.1[nr], g.clone());
            }
            Edge::Leaf(_) => add_leaf(&mut leaves, &mut leaf_index, t.inner.clone(), g.clone()),
            Edge::None => panic!(
                "backward: the tensor (shape {:?}) does not require grad and has no grad_fn; \
                 did you forget requires_grad_(true) on a leaf, or compute it under no_grad?",
                t.shape()
            ),
        }
    }
    for (k, (n, _)) in &buffers {
        if deps[k] == 0 {
            ready.push((n.seq, *k as usize));
        }
    }

    while let Some((_, key)) = ready.pop() {
        let key = key as NodeKey;
        let Some((node, mut grads)) = buffers.remove(&key) else {
            continue;
        };
        // Hooks on the node's outputs (non-leaf tensors), then retain_grad, then capture.
        if node.observed.load(std::sync::atomic::Ordering::Acquire) {
            let hooks = lock(&node.hooks).clone();
            for (nr, _, h) in hooks {
                if let Some(g) = &grads[nr]
                    && let Some(r) = h(g)
                {
                    grads[nr] = Some(r);
                }
            }
            let retains = lock(&node.retains).clone();
            for (nr, w) in retains {
                if let (Some(g), Some(t)) = (&grads[nr], w.upgrade()) {
                    let g = if create_graph { g.clone() } else { g.detach() };
                    let mut m = crate::node::lock(&t.meta);
                    match m.grad.take() {
                        None => m.grad = Some(g),
                        Some(old) => m.grad = Some(old.add(&g)),
                    }
                }
            }
        }
        if capturing {
            for nr in 0..grads.len() {
                if let Some(idx) = capture_node.get(&(key, nr)) {
                    for &i in idx {
                        captured[i] = grads[nr].clone();
                    }
                }
            }
        }
        if let Some(needed) = &needed
            && !needed.get(&key).copied().unwrap_or(false)
        {
            continue;
        }
        let outs = if grads.iter().all(Option::is_none) {
            smallvec::smallvec![None; node.edges.len()]
        } else {
            node.apply(&grads, retain_graph)
        };
        drop(grads);
        for (i, (edge, g)) in node.edges.iter().zip(outs).enumerate() {
            let g = g.map(|g| check_grad(&node, i, edge, g));
            match edge {
                Edge::Node(c, nr) => {
                    let ck = Arc::as_ptr(c);
                    let entry = buffers
                        .entry(ck)
                        .or_insert_with(|| (c.clone(), SmallVec::from_elem(None, c.outputs.len())));
                    if let Some(g) = g {
                        accumulate_into(&mut entry.1[*nr], g);
                    }
                    let d = deps.get_mut(&ck).expect("counted");
                    *d -= 1;
                    if *d == 0 {
                        ready.push((c.seq, ck as usize));
                    }
                }
                Edge::Leaf(w) => {
                    if let (Some(g), Some(t)) = (g, w.upgrade()) {
                        add_leaf(&mut leaves, &mut leaf_index, t, g);
                    }
                }
                Edge::None => {}
            }
        }
    }

    // Leaves: hooks, then capture or accumulate into `.grad`.
    for (t, g) in leaves {
        let Some(mut g) = g else { continue };
        let hooks: Vec<_> = crate::node::lock(&t.meta).hooks.clone();
        for (_, h) in hooks {
            if let Some(r) = h(&g) {
                g = r;
            }
        }
        if capturing {
            if let Some(idx) = capture_leaf.get(&Arc::as_ptr(&t)) {
                for &i in idx {
                    captured[i] = Some(g.clone());
                }
            }
        } else {
            accumulate_grad(&t, g, create_graph);
        }
    }

    deps.clear();
    DEPS_SCRATCH.with(|d| *d.borrow_mut() = deps);

    if capturing
        && !allow_unused
        && let Some(i) = captured.iter().position(Option::is_none)
    {
        panic!(
            "autograd::grad: input {i} was not used to compute the outputs, so it has no \
             gradient; pass allow_unused = true to get None for it"
        );
    }
    captured
}

fn add_leaf(
    leaves: &mut Vec<(Arc<TensorImpl>, Option<Tensor>)>,
    index: &mut FastMap<LeafKey, usize>,
    t: Arc<TensorImpl>,
    g: Tensor,
) {
    let k = Arc::as_ptr(&t);
    match index.get(&k) {
        Some(&i) => accumulate_into(&mut leaves[i].1, g),
        None => {
            index.insert(k, leaves.len());
            leaves.push((t, Some(g)));
        }
    }
}

/// Checks a gradient returned by a backward function against the input it is for, casting its
/// dtype when it differs (as PyTorch does).
fn check_grad(node: &Node, i: usize, edge: &Edge, g: Tensor) -> Tensor {
    if is_anomaly_enabled() {
        let bad = no_grad(|| g.data().isfinite().logical_not().any().item::<bool>());
        if bad {
            panic!(
                "anomaly detected: the backward of {} returned NaN or infinite values in its \
                 gradient for input {i}",
                node.describe()
            );
        }
    }
    let (shape, dtype) = match edge {
        Edge::Node(c, nr) => (&c.outputs[*nr].shape[..], c.outputs[*nr].dtype),
        Edge::Leaf(w) => match w.upgrade() {
            Some(t) => {
                let (s, d) = (t.data.shape().to_vec(), t.data.dtype());
                if g.shape() != s.as_slice() {
                    bad_shape(node, i, g.shape(), &s);
                }
                return if g.dtype() != d { g.to_dtype(d) } else { g };
            }
            None => return g,
        },
        Edge::None => return g,
    };
    if g.shape() != shape {
        bad_shape(node, i, g.shape(), shape);
    }
    if g.dtype() != dtype {
        g.to_dtype(dtype)
    } else {
        g
    }
}

#[track_caller]
fn bad_shape(node: &Node, i: usize, got: &[usize], want: &[usize]) -> ! {
    panic!(
        "the backward of {} returned a gradient of shape {got:?} for input {i}, whose shape is \
         {want:?}",
        node.describe()
    )
}

/// Adds `g` into a leaf's `.grad`: the first gradient is stored (copied when something else
/// could still see it), later ones are added in place unless building a higher-order graph.
fn accumulate_grad(t: &Arc<TensorImpl>, g: Tensor, create_graph: bool) {
    if is_anomaly_enabled() {
        let bad = no_grad(|| g.data().isfinite().logical_not().any().item::<bool>());
        assert!(
            !bad,
            "anomaly detected: the gradient accumulated into a leaf of shape {:?} has NaN or \
             infinite values",
            t.data.shape()
        );
    }
    let mut m = lock(&t.meta);
    match m.grad.take() {
        None => {
            // Stored as is when building a higher-order graph, or when nothing else can see it
            // (later gradients are added into it in place); otherwise copied.
            let owned = Arc::strong_count(&g.inner) == 1
                && Arc::strong_count(g.data().storage()) == 1
                && g.is_contiguous()
                && !g.requires_grad();
            let g = if create_graph || owned {
                g
            } else {
                Tensor::from_array(g.data().clone_array())
            };
            m.grad = Some(g);
        }
        Some(old) => {
            if create_graph || old.requires_grad() {
                m.grad = Some(old.add(&g));
            } else {
                old.data().add_(g.data());
                m.grad = Some(old);
            }
        }
    }
}
