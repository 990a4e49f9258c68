//! Errors of level 3: everything here comes from data the program did not write itself (a
//! state dict from a file, a module path from a config), so it is a `Result`, not a panic.

/// An error from a module operation that reads outside data.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// A state dict entry has a different shape from the module's tensor.
    #[error(
        "load_state_dict: size mismatch for {key}: copying a tensor of shape {got:?} from the \
         state dict into a tensor of shape {expected:?} in the module"
    )]
    ShapeMismatch {
        /// The state-dict key.
        key: String,
        /// The module's shape.
        expected: Vec<usize>,
        /// The state dict's shape.
        got: Vec<usize>,
    },
    /// Strict loading found keys missing from, or unexpected in, the state dict.
    #[error("load_state_dict (strict): missing keys {missing:?}, unexpected keys {unexpected:?}")]
    IncompatibleKeys {
        /// Keys the module has and the state dict lacks.
        missing: Vec<String>,
        /// Keys the state dict has and the module lacks.
        unexpected: Vec<String>,
    },
    /// No sub-module at this dotted path.
    #[error("no sub-module {path:?}: {reason}")]
    NoSubmodule {
        /// The path asked for.
        path: String,
        /// Which part was not found, and what was there instead.
        reason: String,
    },
    /// The module kind has no hook slot.
    #[error(
        "{module} cannot carry hooks: give it a field of type ember::nn::Hooks and run its \
         forward through Hooks::call"
    )]
    HooksUnsupported {
        /// The module's type.
        module: String,
    },
    /// A module could not be put in a slot.
    #[error("cannot replace {path:?}: {reason}")]
    Replace {
        /// The path of the slot.
        path: String,
        /// Why.
        reason: String,
    },
}
