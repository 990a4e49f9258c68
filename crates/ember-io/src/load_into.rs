//! Loading a state dict file straight into a module, with the key mapping that real
//! checkpoints need (`module.` from `DataParallel`, `model.` from Lightning).

use std::fmt;
use std::path::Path;

use ember_nn::{IncompatibleKeys, ModuleExt, StateDict};

use crate::error::{Error, Result};

type KeyMap = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How [`load_into`] matches the file's keys to the module's.
///
/// ```
/// let opts = ember_io::LoadOptions::new().strict(false).strip_prefix("module.");
/// assert!(!opts.is_strict());
/// ```
pub struct LoadOptions {
    strict: bool,
    strip_prefix: Option<String>,
    key_map: Option<KeyMap>,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            strict: true,
            strip_prefix: None,
            key_map: None,
        }
    }
}

impl fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadOptions")
            .field("strict", &self.strict)
            .field("strip_prefix", &self.strip_prefix)
            .field("key_map", &self.key_map.as_ref().map(|_| "<closure>"))
            .finish()
    }
}

impl LoadOptions {
    /// Strict loading, keys as they are (PyTorch's `load_state_dict` defaults).
    pub fn new() -> LoadOptions {
        LoadOptions::default()
    }

    /// Strict (the default): any missing or unexpected key is an error. Non-strict: they are
    /// reported in the returned [`IncompatibleKeys`] and the rest loads.
    pub fn strict(mut self, strict: bool) -> LoadOptions {
        self.strict = strict;
        self
    }

    /// Whether loading is strict.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Removes `prefix` from the keys that start with it (`"module."` for checkpoints saved
    /// from `DataParallel`), as PyTorch's `consume_prefix_in_state_dict_if_present`.
    pub fn strip_prefix(mut self, prefix: impl Into<String>) -> LoadOptions {
        self.strip_prefix = Some(prefix.into());
        self
    }

    /// Renames keys (after any prefix is stripped); returning `None` drops the key.
    ///
    /// ```
    /// let opts = ember_io::LoadOptions::new()
    ///     .map_keys(|k| k.strip_prefix("backbone.").map(|rest| format!("features.{rest}")));
    /// # let _ = opts;
    /// ```
    pub fn map_keys(
        mut self,
        f: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> LoadOptions {
        self.key_map = Some(Box::new(f));
        self
    }

    /// The state dict with the options' key mapping applied.
    fn apply(&self, sd: StateDict) -> StateDict {
        sd.into_iter()
            .filter_map(|(k, t)| {
                let k = match &self.strip_prefix {
                    Some(p) => k.strip_prefix(p.as_str()).map(str::to_string).unwrap_or(k),
                    None => k,
                };
                let k = match &self.key_map {
                    Some(f) => f(&k)?,
                    None => k,
                };
                Some((k, t))
            })
            .collect()
    }
}

/// Reads the state dict in `path` (any file [`load_state_dict_file`](crate::load_state_dict_file)
/// reads: PyTorch zip or legacy, nested checkpoints, safetensors), maps its keys and loads it
/// into `model`. Returns the keys that did not match (empty when strict loading succeeds).
///
/// # Errors
/// The file's errors; [`Error::Module`] for a shape mismatch or, when strict, missing or
/// unexpected keys (nothing is copied then).
///
/// ```
/// use ember_nn::{Linear, ModuleExt};
/// let path = std::env::temp_dir().join(format!("ember-io-doc-into-{}.pt", std::process::id()));
/// let trained = Linear::new(3, 2);
/// // As saved from a model wrapped in DataParallel: every key starts with "module.".
/// ember_io::torch::save_state_dict(&trained.state_dict().with_prefix_added("module."), &path)?;
///
/// let fresh = Linear::new(3, 2);
/// let report = ember_io::load_into(&fresh, &path, &ember_io::LoadOptions::new().strip_prefix("module."))?;
/// assert!(report.is_empty());
/// assert_eq!(fresh.weight.to_vec::<f32>(), trained.weight.to_vec::<f32>());
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), ember_io::Error>(())
/// ```
pub fn load_into<M: ModuleExt + ?Sized>(
    model: &M,
    path: impl AsRef<Path>,
    options: &LoadOptions,
) -> Result<IncompatibleKeys> {
    let path = path.as_ref();
    let sd = options.apply(crate::load_state_dict_file(path)?);
    model
        .load_state_dict(&sd, options.strict)
        .map_err(|source| Error::Module {
            path: path.to_path_buf(),
            source,
        })
}
