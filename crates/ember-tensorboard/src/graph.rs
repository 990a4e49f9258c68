//! The model graph for TensorBoard's Graphs tab (PyTorch's `add_graph`), taken from the
//! autograd graph of one forward pass.
//!
//! PyTorch traces the model with TorchScript to get a graph. Ember needs no tracer: the forward
//! pass already recorded every op as a [`Node`](ember_autograd::Node), so `add_graph` walks back
//! from the outputs' `grad_fn`s and writes one `NodeDef` per op, one per parameter (a leaf that
//! requires grad) and one per output, as a `GraphDef` in an event (`Event.graph_def`, field 4).
//! Only ops on the path from a parameter to an output are recorded (a forward run under
//! `no_grad`, or parts of it that touch no parameter, leave no nodes).
//!
//! Names are TensorBoard scopes (`/`-separated, folded into boxes in the UI): parameter
//! `layer1.0.conv1.weight` becomes node `layer1/0/conv1/weight`, and an op whose parameter
//! inputs all live in one module is placed in that module's scope (`layer1/0/conv1/conv2d_3`).
//! Every op node carries its output shapes (`_output_shapes`, which TensorBoard prints on the
//! edges) and the source line that ran it (`location`).

use std::collections::HashMap;
use std::sync::Arc;

use ember_autograd::{Node, NodeInput, Tensor};

use crate::wire::{Dec, DecResult, Enc};

/// A graph of named nodes (`tensorflow.GraphDef`).
///
/// ```
/// let g = ember_tensorboard::GraphDef::default();
/// assert!(g.node.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GraphDef {
    /// The nodes, producers before consumers.
    pub node: Vec<NodeDef>,
}

/// One node of a [`GraphDef`] (`tensorflow.NodeDef`).
///
/// ```
/// let n = ember_tensorboard::NodeDef { name: "fc/linear_0".into(), op: "linear".into(), ..Default::default() };
/// assert_eq!(n.op, "linear");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeDef {
    /// Unique, `/`-scoped name.
    pub name: String,
    /// The op's name (`conv2d`, `relu`, `Parameter`, `IO Node`).
    pub op: String,
    /// The names of the nodes feeding it (`name:k` for output `k > 0` of a node).
    pub input: Vec<String>,
    /// Where it ran (`cpu`).
    pub device: String,
    /// Attributes, sorted by key.
    pub attr: Vec<(String, AttrValue)>,
}

/// The attribute values `add_graph` writes (`tensorflow.AttrValue`, two of its kinds).
///
/// ```
/// let a = ember_tensorboard::AttrValue::Shapes(vec![vec![2, 3]]);
/// assert_eq!(a, ember_tensorboard::AttrValue::Shapes(vec![vec![2, 3]]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A string (`s`).
    S(String),
    /// A list of shapes (`list.shape`), one per output.
    Shapes(Vec<Vec<i64>>),
}

/// `VersionDef.producer` as PyTorch's `add_graph` writes it.
const PRODUCER: i64 = 22;

/// Builds the graph of everything that `outputs` were computed from; `params` names the
/// leaves (`model.named_parameters()`).
///
/// # Panics
/// When no output has a `grad_fn` (nothing to draw: the forward ran under `no_grad`, or no
/// parameter requires grad).
#[track_caller]
pub(crate) fn build_graph(outputs: &[&Tensor], params: &[(String, Tensor)]) -> GraphDef {
    let roots: Vec<(usize, Arc<Node>, usize)> = outputs
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.grad_fn().map(|n| (i, n, t.output_nr())))
        .collect();
    assert!(
        !roots.is_empty(),
        "add_graph: none of the {} output(s) has an autograd graph (grad_fn is None). Run the \
         forward with grad mode on and with parameters that require grad",
        outputs.len()
    );

    // Post-order walk (producers first), without recursion: graphs can be thousands deep.
    let key = |n: &Arc<Node>| Arc::as_ptr(n) as usize;
    let mut order: Vec<Arc<Node>> = Vec::new();
    let mut seen: HashMap<usize, ()> = HashMap::new();
    for (_, root, _) in &roots {
        if seen.insert(key(root), ()).is_some() {
            continue;
        }
        let mut stack: Vec<(Arc<Node>, Vec<NodeInput>, usize)> =
            vec![(root.clone(), root.inputs(), 0)];
        while let Some((node, inputs, next)) = stack.last_mut() {
            if *next < inputs.len() {
                let i = *next;
                *next += 1;
                if let NodeInput::Node(child, _) = &inputs[i]
                    && seen.insert(key(child), ()).is_none()
                {
                    let child = child.clone();
                    let ins = child.inputs();
                    stack.push((child, ins, 0));
                }
            } else {
                order.push(node.clone());
                stack.pop();
            }
        }
    }

    let mut graph = GraphDef::default();
    // Parameters: the named ones, then any other leaf that requires grad, in order of use.
    let mut leaf_names: Vec<(Tensor, String)> = Vec::new();
    let mut leaf_name = |t: &Tensor, graph: &mut GraphDef| -> String {
        if let Some((_, n)) = leaf_names.iter().find(|(l, _)| l.is_same(t)) {
            return n.clone();
        }
        let name = match params.iter().find(|(_, p)| p.is_same(t)) {
            Some((n, _)) => n.replace('.', "/"),
            None => format!("leaf_{}", leaf_names.len()),
        };
        graph.node.push(NodeDef {
            name: name.clone(),
            op: "Parameter".into(),
            input: vec![],
            device: "cpu".into(),
            attr: vec![(
                "_output_shapes".into(),
                AttrValue::Shapes(vec![t.shape().iter().map(|&d| d as i64).collect()]),
            )],
        });
        leaf_names.push((t.clone(), name.clone()));
        name
    };

    let mut names: HashMap<usize, String> = HashMap::new();
    let mut counters: HashMap<&'static str, usize> = HashMap::new();
    for node in &order {
        let mut input = Vec::new();
        let mut scopes: Vec<String> = Vec::new();
        for i in node.inputs() {
            match i {
                NodeInput::Constant => {}
                NodeInput::Node(child, nr) => {
                    let n = &names[&key(&child)];
                    input.push(if nr == 0 {
                        n.clone()
                    } else {
                        format!("{n}:{nr}")
                    });
                }
                NodeInput::Leaf(Some(t)) => {
                    let n = leaf_name(&t, &mut graph);
                    scopes.push(n.rsplit_once('/').map_or("", |(s, _)| s).to_string());
                    input.push(n);
                }
                NodeInput::Leaf(None) => {}
            }
        }
        let count = counters.entry(node.name()).or_insert(0);
        let base = format!("{}_{}", node.name(), count);
        *count += 1;
        // In the module of its parameters when they all share one.
        let name = match scopes.first() {
            Some(s) if !s.is_empty() && scopes.iter().all(|x| x == s) => format!("{s}/{base}"),
            _ => base,
        };
        let shapes = node
            .output_shapes()
            .iter()
            .map(|s| s.iter().map(|&d| d as i64).collect())
            .collect();
        graph.node.push(NodeDef {
            name: name.clone(),
            op: node.name().into(),
            input,
            device: "cpu".into(),
            attr: vec![
                ("_output_shapes".into(), AttrValue::Shapes(shapes)),
                ("location".into(), AttrValue::S(node.location().to_string())),
            ],
        });
        names.insert(key(node), name);
    }
    for (i, root, nr) in &roots {
        let n = &names[&key(root)];
        graph.node.push(NodeDef {
            name: format!("output/output.{i}"),
            op: "IO Node".into(),
            input: vec![if *nr == 0 {
                n.clone()
            } else {
                format!("{n}:{nr}")
            }],
            device: "cpu".into(),
            attr: vec![(
                "_output_shapes".into(),
                AttrValue::Shapes(vec![
                    outputs[*i].shape().iter().map(|&d| d as i64).collect(),
                ]),
            )],
        });
    }
    graph
}

// ---------------------------------------------------------------------------------------------
// Encoding and decoding (field numbers of graph.proto, node_def.proto, attr_value.proto,
// tensor_shape.proto, versions.proto).

impl GraphDef {
    pub(crate) fn encode(&self, e: &mut Enc) {
        for n in &self.node {
            e.message(1, |e| n.encode(e));
        }
        e.message(4, |e| e.int(1, PRODUCER));
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut e = Enc::default();
        self.encode(&mut e);
        e.buf
    }

    pub(crate) fn decode(buf: &[u8]) -> DecResult<GraphDef> {
        let mut g = GraphDef::default();
        let mut d = Dec::new(buf);
        while let Some((f, w)) = d.field()? {
            if f == 1 {
                g.node.push(NodeDef::decode(w.as_bytes()?)?);
            }
        }
        Ok(g)
    }
}

impl NodeDef {
    fn encode(&self, e: &mut Enc) {
        e.string(1, &self.name);
        e.string(2, &self.op);
        for i in &self.input {
            e.bytes_always(3, i.as_bytes());
        }
        e.string(4, &self.device);
        for (k, v) in &self.attr {
            // map<string, AttrValue>: a repeated entry message {key = 1, value = 2}.
            e.message(5, |e| {
                e.string(1, k);
                e.message(2, |e| v.encode(e));
            });
        }
    }

    fn decode(buf: &[u8]) -> DecResult<NodeDef> {
        let mut n = NodeDef::default();
        let mut d = Dec::new(buf);
        while let Some((f, w)) = d.field()? {
            match f {
                1 => n.name = w.as_string()?,
                2 => n.op = w.as_string()?,
                3 => n.input.push(w.as_string()?),
                4 => n.device = w.as_string()?,
                5 => {
                    let mut key = String::new();
                    let mut value = None;
                    let mut d = Dec::new(w.as_bytes()?);
                    while let Some((f, w)) = d.field()? {
                        match f {
                            1 => key = w.as_string()?,
                            2 => value = AttrValue::decode(w.as_bytes()?)?,
                            _ => {}
                        }
                    }
                    if let Some(v) = value {
                        n.attr.push((key, v));
                    }
                }
                _ => {}
            }
        }
        Ok(n)
    }
}

impl AttrValue {
    fn encode(&self, e: &mut Enc) {
        match self {
            AttrValue::S(s) => e.bytes_always(2, s.as_bytes()),
            AttrValue::Shapes(shapes) => e.message(1, |e| {
                for s in shapes {
                    // ListValue.shape = 7; TensorShapeProto.dim = 2; Dim.size = 1.
                    e.message(7, |e| {
                        for &d in s {
                            e.message(2, |e| e.int_always(1, d));
                        }
                    });
                }
            }),
        }
    }

    /// The kinds above, or `None` for any other kind (files written by other tools).
    fn decode(buf: &[u8]) -> DecResult<Option<AttrValue>> {
        let mut d = Dec::new(buf);
        let mut out = None;
        while let Some((f, w)) = d.field()? {
            match f {
                2 => out = Some(AttrValue::S(w.as_string()?)),
                1 => {
                    let mut shapes = Vec::new();
                    let mut d = Dec::new(w.as_bytes()?);
                    while let Some((f, w)) = d.field()? {
                        if f == 7 {
                            let mut dims = Vec::new();
                            let mut d = Dec::new(w.as_bytes()?);
                            while let Some((f, w)) = d.field()? {
                                if f == 2 {
                                    let mut size = 0;
                                    let mut d = Dec::new(w.as_bytes()?);
                                    while let Some((f, w)) = d.field()? {
                                        if f == 1 {
                                            size = w.as_i64()?;
                                        }
                                    }
                                    dims.push(size);
                                }
                            }
                            shapes.push(dims);
                        }
                    }
                    out = Some(AttrValue::Shapes(shapes));
                }
                _ => {}
            }
        }
        Ok(out)
    }
}
