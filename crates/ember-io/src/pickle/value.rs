//! [`PtValue`]: what a PyTorch file holds, as a tree of plain values and tensors.

use ember_autograd::Tensor;

/// A value read from (or to be written to) a PyTorch file: the subset of Python objects that
/// `torch.load(weights_only=True)` accepts, with tensors as Ember [`Tensor`]s.
///
/// Dicts keep their order (Python's `dict` and `OrderedDict` both do) and any hashable key
/// (strings for state dicts, integers for an optimizer's `state`). Tensors that shared a
/// storage in the file share one Ember storage.
///
/// ```
/// use ember_io::PtValue;
/// let v = PtValue::Dict(vec![
///     (PtValue::from("epoch"), PtValue::Int(3)),
///     (PtValue::from("lr"), PtValue::Float(0.1)),
/// ]);
/// assert_eq!(v.get("epoch").and_then(PtValue::as_int), Some(3));
/// assert_eq!(v.keys(), ["epoch", "lr"]);
/// ```
#[derive(Clone, Debug)]
pub enum PtValue {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An `int` (within `i64`).
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(String),
    /// A `list`.
    List(Vec<PtValue>),
    /// A `tuple` (also `torch.Size`).
    Tuple(Vec<PtValue>),
    /// A `dict` or `collections.OrderedDict`, in order.
    Dict(Vec<(PtValue, PtValue)>),
    /// A `torch.Tensor` or `torch.nn.Parameter`.
    Tensor(Tensor),
}

impl PtValue {
    /// The value under string key `key` of a dict (`None` for other values or keys).
    ///
    /// ```
    /// let d = ember_io::PtValue::Dict(vec![("a".into(), 1i64.into())]);
    /// assert!(d.get("a").is_some() && d.get("b").is_none());
    /// ```
    pub fn get(&self, key: &str) -> Option<&PtValue> {
        self.as_dict()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The string keys of a dict, in order (other keys are shown as Python would print them);
    /// empty for other values.
    ///
    /// ```
    /// let d = ember_io::PtValue::Dict(vec![("a".into(), 1i64.into()), (2i64.into(), 3i64.into())]);
    /// assert_eq!(d.keys(), ["a", "2"]);
    /// ```
    pub fn keys(&self) -> Vec<String> {
        match self {
            PtValue::Dict(d) => d.iter().map(|(k, _)| k.key_string()).collect(),
            _ => Vec::new(),
        }
    }

    /// A key as a string: strings as they are, numbers and others as Python prints them.
    pub(crate) fn key_string(&self) -> String {
        match self {
            PtValue::Str(s) => s.clone(),
            PtValue::Int(i) => i.to_string(),
            PtValue::Float(f) => f.to_string(),
            PtValue::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            PtValue::None => "None".to_string(),
            other => format!("<{}>", other.type_name()),
        }
    }

    /// The entries of a dict.
    ///
    /// ```
    /// assert_eq!(ember_io::PtValue::Dict(vec![]).as_dict().map(|d| d.len()), Some(0));
    /// ```
    pub fn as_dict(&self) -> Option<&[(PtValue, PtValue)]> {
        match self {
            PtValue::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The items of a list or a tuple.
    ///
    /// ```
    /// let t = ember_io::PtValue::Tuple(vec![1i64.into(), 2i64.into()]);
    /// assert_eq!(t.as_list().map(|l| l.len()), Some(2));
    /// ```
    pub fn as_list(&self) -> Option<&[PtValue]> {
        match self {
            PtValue::List(l) | PtValue::Tuple(l) => Some(l),
            _ => None,
        }
    }

    /// The tensor, if this is one.
    ///
    /// ```
    /// let v = ember_io::PtValue::Tensor(ember_autograd::Tensor::from([1.0f32]));
    /// assert_eq!(v.as_tensor().map(|t| t.shape().to_vec()), Some(vec![1]));
    /// ```
    pub fn as_tensor(&self) -> Option<&ember_autograd::Tensor> {
        match self {
            PtValue::Tensor(t) => Some(t),
            _ => None,
        }
    }

    /// The integer, if this is one (a `bool` is not).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            PtValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The number as `f64`, if this is a float or an int.
    ///
    /// ```
    /// assert_eq!(ember_io::PtValue::Int(2).as_float(), Some(2.0));
    /// ```
    pub fn as_float(&self) -> Option<f64> {
        match self {
            PtValue::Float(f) => Some(*f),
            PtValue::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The flag, if this is a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            PtValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PtValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The Python type name (`"dict"`, `"Tensor"`, ...), for messages.
    ///
    /// ```
    /// assert_eq!(ember_io::PtValue::None.type_name(), "None");
    /// ```
    pub fn type_name(&self) -> &'static str {
        match self {
            PtValue::None => "None",
            PtValue::Bool(_) => "bool",
            PtValue::Int(_) => "int",
            PtValue::Float(_) => "float",
            PtValue::Str(_) => "str",
            PtValue::List(_) => "list",
            PtValue::Tuple(_) => "tuple",
            PtValue::Dict(_) => "dict",
            PtValue::Tensor(_) => "Tensor",
        }
    }
}

impl From<&str> for PtValue {
    fn from(s: &str) -> PtValue {
        PtValue::Str(s.to_string())
    }
}
impl From<String> for PtValue {
    fn from(s: String) -> PtValue {
        PtValue::Str(s)
    }
}
impl From<i64> for PtValue {
    fn from(i: i64) -> PtValue {
        PtValue::Int(i)
    }
}
impl From<f64> for PtValue {
    fn from(f: f64) -> PtValue {
        PtValue::Float(f)
    }
}
impl From<bool> for PtValue {
    fn from(b: bool) -> PtValue {
        PtValue::Bool(b)
    }
}
impl From<Tensor> for PtValue {
    fn from(t: Tensor) -> PtValue {
        PtValue::Tensor(t)
    }
}
impl From<&ember_nn::StateDict> for PtValue {
    /// A state dict as the dict `torch.save(model.state_dict())` writes.
    fn from(sd: &ember_nn::StateDict) -> PtValue {
        PtValue::Dict(
            sd.iter()
                .map(|(k, t)| (PtValue::from(k), PtValue::Tensor(t.clone())))
                .collect(),
        )
    }
}
