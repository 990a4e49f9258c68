//! Containers: `Sequential`, `ModuleList`, `ModuleDict`. Their children are `Box<dyn Module>`,
//! so layers can be inserted, removed and replaced by any other module (model surgery).

use std::any::Any;

use ember_autograd::Tensor;
use indexmap::IndexMap;

use crate::{Hooks, Module, ModuleInfo, ReplaceError, TensorKind};

/// The `ModuleInfo` of a container whose children are `(name, &Box<dyn Module>)` pairs.
macro_rules! container_info {
    ($ty:ident, $name:literal, |$s:ident| $iter:expr, |$sm:ident| $iter_mut:expr, $replace:item) => {
        impl ModuleInfo for $ty {
            fn type_name(&self) -> &'static str {
                $name
            }
            fn visit_tensors(&self, _: &mut dyn FnMut(&str, &Tensor, TensorKind)) {}
            fn visit_tensors_mut(&mut self, _: &mut dyn FnMut(&str, &mut Tensor, TensorKind)) {}
            fn visit_children<'a>(&'a self, f: &mut dyn FnMut(&str, &'a dyn Module)) {
                let $s = self;
                for (n, m) in $iter {
                    f(&n, &**m);
                }
            }
            fn visit_children_mut<'a>(&'a mut self, f: &mut dyn FnMut(&str, &'a mut dyn Module)) {
                let $sm = self;
                for (n, m) in $iter_mut {
                    f(&n, &mut **m);
                }
            }
            $replace
            fn hooks(&self) -> Option<&Hooks> {
                Some(&self.hooks)
            }
            fn training(&self) -> Option<bool> {
                None
            }
            fn set_training(&mut self, _: bool) {}
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
    };
}

/// `v.insert(index, module)`, panicking with the container's name when out of range.
#[track_caller]
fn checked_insert(kind: &str, v: &mut Vec<Box<dyn Module>>, index: usize, module: Box<dyn Module>) {
    if index > v.len() {
        panic!(
            "{kind}::insert: index {index} out of range for {} modules",
            v.len()
        );
    }
    v.insert(index, module);
}

/// `v.remove(index)`, panicking with the container's name when out of range.
#[track_caller]
fn checked_remove(kind: &str, v: &mut Vec<Box<dyn Module>>, index: usize) -> Box<dyn Module> {
    if index >= v.len() {
        panic!(
            "{kind}::remove: index {index} out of range for {} modules",
            v.len()
        );
    }
    v.remove(index)
}

/// Replaces the module at the index `name` (or appends at `len`), for `replace_child`.
fn replace_indexed(
    kind: &str,
    v: &mut Vec<Box<dyn Module>>,
    name: &str,
    module: Box<dyn Module>,
) -> Result<Option<Box<dyn Module>>, ReplaceError> {
    match name.parse::<usize>() {
        Ok(i) if i < v.len() => Ok(Some(std::mem::replace(&mut v[i], module))),
        Ok(i) if i == v.len() => {
            v.push(module);
            Ok(None)
        }
        _ => Err(ReplaceError::no_child(module, name, kind)),
    }
}

/// Modules applied in order, each to the previous one's output. Children are named `0`,
/// `1`, … and renumbered after an insertion or removal, as PyTorch.
///
/// ```
/// use ember_nn::{DType, Linear, Module, ModuleExt, ReLU, Sequential, Tensor};
/// let mut net = Sequential::new()
///     .append(Linear::new(4, 8))
///     .append(ReLU::new())
///     .append(Linear::new(8, 2));
/// assert_eq!(net.forward(&Tensor::randn(&[3, 4], DType::F32)).shape(), &[3, 2]);
/// net.remove(1); // drop the ReLU: "2" becomes "1"
/// assert_eq!(net.named_parameters()[2].0, "1.weight");
/// ```
#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
    hooks: Hooks,
}

impl Sequential {
    /// An empty sequence.
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// Appends a module and returns the sequence (builder style).
    pub fn append(mut self, module: impl Module) -> Sequential {
        self.layers.push(Box::new(module));
        self
    }

    /// Appends a boxed module.
    pub fn push(&mut self, module: Box<dyn Module>) {
        self.layers.push(module);
    }

    /// Inserts a module at `index`, shifting the later ones.
    ///
    /// # Panics
    /// When `index > len()`.
    #[track_caller]
    pub fn insert(&mut self, index: usize, module: Box<dyn Module>) {
        checked_insert("Sequential", &mut self.layers, index, module);
    }

    /// Removes and returns the module at `index`.
    ///
    /// # Panics
    /// When `index >= len()`.
    #[track_caller]
    pub fn remove(&mut self, index: usize) -> Box<dyn Module> {
        checked_remove("Sequential", &mut self.layers, index)
    }

    /// The module at `index`.
    pub fn get(&self, index: usize) -> Option<&dyn Module> {
        self.layers.get(index).map(|m| &**m)
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The modules in order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Module> {
        self.layers.iter().map(|m| &**m)
    }
}

container_info!(
    Sequential,
    "Sequential",
    |s| s.layers.iter().enumerate().map(|(i, m)| (i.to_string(), m)),
    |s| s
        .layers
        .iter_mut()
        .enumerate()
        .map(|(i, m)| (i.to_string(), m)),
    fn replace_child(
        &mut self,
        name: &str,
        module: Box<dyn Module>,
    ) -> Result<Option<Box<dyn Module>>, ReplaceError> {
        replace_indexed("Sequential", &mut self.layers, name, module)
    }
);

impl Module for Sequential {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.hooks.call(self, x, |x| {
            let mut y = x.clone();
            for m in &self.layers {
                y = m.forward(&y);
            }
            y
        })
    }
}

impl FromIterator<Box<dyn Module>> for Sequential {
    fn from_iter<I: IntoIterator<Item = Box<dyn Module>>>(iter: I) -> Sequential {
        Sequential {
            layers: iter.into_iter().collect(),
            hooks: Hooks::new(),
        }
    }
}

/// A list of modules, named `0`, `1`, …, without a forward of its own: iterate over it in
/// yours (`nn.ModuleList`).
///
/// ```
/// use ember_nn::{DType, Linear, ModuleExt, ModuleList, Tensor};
/// let mut blocks = ModuleList::new();
/// for _ in 0..3 {
///     blocks.push(Box::new(Linear::new(4, 4)));
/// }
/// let mut x = Tensor::randn(&[1, 4], DType::F32);
/// for b in blocks.iter() {
///     x = b.forward(&x).relu();
/// }
/// assert_eq!(blocks.num_parameters(), 3 * (16 + 4));
/// ```
#[derive(Default)]
pub struct ModuleList {
    items: Vec<Box<dyn Module>>,
    hooks: Hooks,
}

impl ModuleList {
    /// An empty list.
    pub fn new() -> ModuleList {
        ModuleList::default()
    }

    /// Appends a module.
    pub fn push(&mut self, module: Box<dyn Module>) {
        self.items.push(module);
    }

    /// Inserts at `index`.
    ///
    /// # Panics
    /// When `index > len()`.
    #[track_caller]
    pub fn insert(&mut self, index: usize, module: Box<dyn Module>) {
        checked_insert("ModuleList", &mut self.items, index, module);
    }

    /// Removes and returns the module at `index`.
    ///
    /// # Panics
    /// When `index >= len()`.
    #[track_caller]
    pub fn remove(&mut self, index: usize) -> Box<dyn Module> {
        checked_remove("ModuleList", &mut self.items, index)
    }

    /// The module at `index`.
    pub fn get(&self, index: usize) -> Option<&dyn Module> {
        self.items.get(index).map(|m| &**m)
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The modules in order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Module> {
        self.items.iter().map(|m| &**m)
    }
}

container_info!(
    ModuleList,
    "ModuleList",
    |s| s.items.iter().enumerate().map(|(i, m)| (i.to_string(), m)),
    |s| s
        .items
        .iter_mut()
        .enumerate()
        .map(|(i, m)| (i.to_string(), m)),
    fn replace_child(
        &mut self,
        name: &str,
        module: Box<dyn Module>,
    ) -> Result<Option<Box<dyn Module>>, ReplaceError> {
        replace_indexed("ModuleList", &mut self.items, name, module)
    }
);

impl Module for ModuleList {
    #[track_caller]
    fn forward(&self, _: &Tensor) -> Tensor {
        panic!("ModuleList has no forward: iterate over it in your module's forward")
    }
}

/// Modules by name, in insertion order (`nn.ModuleDict`).
///
/// ```
/// use ember_nn::{Linear, ModuleDict, ModuleExt};
/// let mut heads = ModuleDict::new();
/// heads.insert("cls", Box::new(Linear::new(8, 10)));
/// heads.insert("box", Box::new(Linear::new(8, 4)));
/// assert_eq!(heads.named_parameters()[2].0, "box.weight");
/// ```
#[derive(Default)]
pub struct ModuleDict {
    items: IndexMap<String, Box<dyn Module>>,
    hooks: Hooks,
}

impl ModuleDict {
    /// An empty dict.
    pub fn new() -> ModuleDict {
        ModuleDict::default()
    }

    /// Adds or replaces the module under `name`, returning the old one.
    ///
    /// # Panics
    /// When `name` is empty or contains a dot.
    #[track_caller]
    pub fn insert(&mut self, name: &str, module: Box<dyn Module>) -> Option<Box<dyn Module>> {
        if name.is_empty() || name.contains('.') {
            panic!("ModuleDict::insert: name {name:?} must be non-empty and without '.'");
        }
        self.items.insert(name.to_string(), module)
    }

    /// Removes the module under `name`.
    pub fn remove(&mut self, name: &str) -> Option<Box<dyn Module>> {
        self.items.shift_remove(name)
    }

    /// The module under `name`.
    pub fn get(&self, name: &str) -> Option<&dyn Module> {
        self.items.get(name).map(|m| &**m)
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The names in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.items.keys().map(String::as_str)
    }
}

container_info!(
    ModuleDict,
    "ModuleDict",
    |s| s.items.iter().map(|(n, m)| (n.clone(), m)),
    |s| s.items.iter_mut().map(|(n, m)| (n.clone(), m)),
    fn replace_child(
        &mut self,
        name: &str,
        module: Box<dyn Module>,
    ) -> Result<Option<Box<dyn Module>>, ReplaceError> {
        if name.is_empty() || name.contains('.') {
            return Err(ReplaceError::no_child(module, name, "ModuleDict"));
        }
        Ok(self.items.insert(name.to_string(), module))
    }
);

impl Module for ModuleDict {
    #[track_caller]
    fn forward(&self, _: &Tensor) -> Tensor {
        panic!("ModuleDict has no forward: pick its modules by name in your forward")
    }
}
