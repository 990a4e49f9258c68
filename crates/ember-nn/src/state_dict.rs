//! [`StateDict`]: named tensors in registration order, as PyTorch's `OrderedDict`.

use ember_autograd::Tensor;
use indexmap::IndexMap;

/// A module's parameters and persistent buffers by dotted name, in the order the module
/// registers them (PyTorch's `state_dict()` order). Tensors are detached handles sharing the
/// module's storage: read it, or save it; loading copies values in.
///
/// ```
/// use ember_nn::{Linear, ModuleExt, StateDict};
/// let fc = Linear::new(3, 2);
/// let sd: StateDict = fc.state_dict();
/// assert_eq!(sd.keys().collect::<Vec<_>>(), ["weight", "bias"]);
/// assert_eq!(sd["weight"].shape(), &[2, 3]);
/// ```
#[derive(Clone, Default)]
pub struct StateDict {
    entries: IndexMap<String, Tensor>,
}

impl StateDict {
    /// An empty state dict.
    pub fn new() -> StateDict {
        StateDict::default()
    }

    /// Adds or replaces an entry.
    ///
    /// ```
    /// let mut sd = ember_nn::StateDict::new();
    /// sd.insert("w", ember_nn::Tensor::from([1.0f32]));
    /// assert_eq!(sd.len(), 1);
    /// ```
    pub fn insert(&mut self, key: impl Into<String>, tensor: Tensor) -> Option<Tensor> {
        self.entries.insert(key.into(), tensor)
    }

    /// The entry for `key`.
    ///
    /// ```
    /// let mut sd = ember_nn::StateDict::new();
    /// sd.insert("w", ember_nn::Tensor::from([1.0f32]));
    /// assert!(sd.get("w").is_some() && sd.get("b").is_none());
    /// ```
    pub fn get(&self, key: &str) -> Option<&Tensor> {
        self.entries.get(key)
    }

    /// Removes an entry, keeping the others in order.
    ///
    /// ```
    /// use ember_nn::ModuleExt;
    /// let mut sd = ember_nn::Linear::new(2, 2).state_dict();
    /// sd.remove("bias");
    /// assert_eq!(sd.keys().collect::<Vec<_>>(), ["weight"]);
    /// ```
    pub fn remove(&mut self, key: &str) -> Option<Tensor> {
        self.entries.shift_remove(key)
    }

    /// True when `key` is present.
    ///
    /// ```
    /// use ember_nn::ModuleExt;
    /// assert!(ember_nn::Linear::new(2, 2).state_dict().contains_key("bias"));
    /// ```
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Number of entries.
    ///
    /// ```
    /// use ember_nn::ModuleExt;
    /// assert_eq!(ember_nn::Linear::new(2, 2).state_dict().len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    ///
    /// ```
    /// assert!(ember_nn::StateDict::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys in order.
    ///
    /// ```
    /// use ember_nn::ModuleExt;
    /// let sd = ember_nn::Linear::new(2, 2).state_dict();
    /// assert_eq!(sd.keys().collect::<Vec<_>>(), ["weight", "bias"]);
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// `(key, tensor)` pairs in order.
    ///
    /// ```
    /// use ember_nn::ModuleExt;
    /// for (k, t) in ember_nn::Linear::new(2, 2).state_dict().iter() {
    ///     println!("{k}: {:?}", t.shape());
    /// }
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The entries whose key starts with `prefix`, with the prefix removed: the state dict of
    /// one part of a bigger model (`sd.with_prefix_removed("encoder.")`).
    ///
    /// ```
    /// let mut sd = ember_nn::StateDict::new();
    /// sd.insert("encoder.w", ember_nn::Tensor::from([1.0f32]));
    /// sd.insert("decoder.w", ember_nn::Tensor::from([2.0f32]));
    /// assert_eq!(sd.with_prefix_removed("encoder.").keys().collect::<Vec<_>>(), ["w"]);
    /// ```
    pub fn with_prefix_removed(&self, prefix: &str) -> StateDict {
        self.entries
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), v.clone())))
            .collect()
    }

    /// Every key with `prefix` put in front (to load a model's state dict as one part of a
    /// bigger model).
    ///
    /// ```
    /// use ember_nn::ModuleExt;
    /// let sd = ember_nn::Linear::new(2, 2).state_dict().with_prefix_added("head.");
    /// assert_eq!(sd.keys().collect::<Vec<_>>(), ["head.weight", "head.bias"]);
    /// ```
    pub fn with_prefix_added(&self, prefix: &str) -> StateDict {
        self.entries
            .iter()
            .map(|(k, v)| (format!("{prefix}{k}"), v.clone()))
            .collect()
    }

    /// Renames every key with `f` (returning `None` drops the entry): for checkpoints whose
    /// names differ from the model's (`module.` from DataParallel, renamed layers).
    ///
    /// ```
    /// let mut sd = ember_nn::StateDict::new();
    /// sd.insert("module.fc.weight", ember_nn::Tensor::from([1.0f32]));
    /// let sd = sd.map_keys(|k| Some(k.trim_start_matches("module.").to_string()));
    /// assert!(sd.contains_key("fc.weight"));
    /// ```
    pub fn map_keys(&self, mut f: impl FnMut(&str) -> Option<String>) -> StateDict {
        self.entries
            .iter()
            .filter_map(|(k, v)| f(k).map(|k| (k, v.clone())))
            .collect()
    }
}

impl std::ops::Index<&str> for StateDict {
    type Output = Tensor;

    #[track_caller]
    fn index(&self, key: &str) -> &Tensor {
        match self.entries.get(key) {
            Some(t) => t,
            None => panic!(
                "state dict has no key {key:?}; keys: {:?}",
                self.entries.keys().collect::<Vec<_>>()
            ),
        }
    }
}

impl FromIterator<(String, Tensor)> for StateDict {
    fn from_iter<I: IntoIterator<Item = (String, Tensor)>>(iter: I) -> StateDict {
        StateDict {
            entries: iter.into_iter().collect(),
        }
    }
}

impl IntoIterator for StateDict {
    type Item = (String, Tensor);
    type IntoIter = indexmap::map::IntoIter<String, Tensor>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl std::fmt::Debug for StateDict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v.shape())))
            .finish()
    }
}

/// What a non-strict [`load_state_dict`](crate::ModuleExt::load_state_dict) did not match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncompatibleKeys {
    /// Keys of the module that the state dict lacks (left as they were).
    pub missing_keys: Vec<String>,
    /// Keys of the state dict that the module lacks (ignored).
    pub unexpected_keys: Vec<String>,
}

impl IncompatibleKeys {
    /// True when every key matched.
    ///
    /// ```
    /// assert!(ember_nn::IncompatibleKeys::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.missing_keys.is_empty() && self.unexpected_keys.is_empty()
    }
}
