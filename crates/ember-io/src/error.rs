//! The one error type of ember-io. Every variant names the file it is about; variants are
//! grouped by concern: the operating system, the container (zip), the content (corrupt,
//! refused, unsupported), and what the content was loaded into.

use std::path::PathBuf;

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong reading or writing a file. `path` is the file (or `<memory>` for bytes
/// handed over directly).
///
/// ```
/// let err = ember_io::npy::read_npy("no/such/file.npy").unwrap_err();
/// assert!(err.to_string().contains("no/such/file.npy"));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused a read or a write.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The zip container (torch zip format, `.npz`) is unreadable.
    #[error("{}: bad zip archive: {source}", path.display())]
    Zip {
        /// The file.
        path: PathBuf,
        /// What the zip reader said.
        #[source]
        source: zip::result::ZipError,
    },
    /// The bytes do not follow the format: truncated, inconsistent lengths, bad magic.
    #[error("{}: {what}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        what: String,
    },
    /// A pickle asked for a Python global outside the allowlist (what
    /// `torch.load(weights_only=True)` accepts). Nothing is ever executed.
    #[error(
        "{}: the pickle refers to the global `{module}.{name}`, which is not allowed: only \
         tensors, storages, dtypes, OrderedDict and plain containers are loaded (nothing in a \
         file is ever executed; a whole pickled model cannot be read: save \
         `model.state_dict()` in PyTorch instead)",
        path.display()
    )]
    ForbiddenGlobal {
        /// The file.
        path: PathBuf,
        /// The global's module (`os`).
        module: String,
        /// The global's name (`system`).
        name: String,
    },
    /// Valid data that Ember cannot represent or write (a dtype it lacks, bf16 in `.npy`).
    #[error("{}: {what}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is not supported, and what to do instead.
        what: String,
    },
    /// The file holds no state dict where one was looked for.
    #[error("{}: {what}; the top-level keys are {keys:?}", path.display())]
    NoStateDict {
        /// The file.
        path: PathBuf,
        /// What was looked for.
        what: String,
        /// The keys that are there.
        keys: Vec<String>,
    },
    /// A checkpoint entry is missing or has the wrong type.
    #[error("{}: checkpoint entry `{key}`: {what}", path.display())]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// The entry (dotted path).
        key: String,
        /// What is wrong with it.
        what: String,
    },
    /// The safetensors library refused the data.
    #[error("{}: safetensors: {source}", path.display())]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// The library's error.
        #[source]
        source: safetensors::SafeTensorError,
    },
    /// The state dict read from the file does not fit the module.
    #[error("{}: {source}", path.display())]
    Module {
        /// The file.
        path: PathBuf,
        /// The module's error (shape mismatch, missing or unexpected keys).
        #[source]
        source: ember_nn::NnError,
    },
    /// The optimizer or scheduler state read from the file does not fit.
    #[error("{}: {source}", path.display())]
    Optimizer {
        /// The file.
        path: PathBuf,
        /// The optimizer's error.
        #[source]
        source: ember_optim::StateDictError,
    },
}

/// The `path` of errors about bytes that did not come from a named file.
pub(crate) fn memory_path() -> PathBuf {
    PathBuf::from("<memory>")
}

/// Shorthand constructors, so that parsers read `corrupt(path, format!(..))`.
pub(crate) fn corrupt(path: &std::path::Path, what: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

pub(crate) fn unsupported(path: &std::path::Path, what: impl Into<String>) -> Error {
    Error::Unsupported {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn zip_err(path: &std::path::Path, source: zip::result::ZipError) -> Error {
    match source {
        zip::result::ZipError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            corrupt(path, format!("the zip archive is truncated ({e})"))
        }
        zip::result::ZipError::Io(e) => io(path, e),
        source => Error::Zip {
            path: path.to_path_buf(),
            source,
        },
    }
}
