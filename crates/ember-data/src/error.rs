use std::path::PathBuf;

/// What can go wrong while reading or loading data: a file that cannot be read or is
/// malformed, an index out of range, a worker that failed.
///
/// Programming errors (a batch size of 0, a transform given the wrong layout) panic instead.
///
/// ```
/// use ember_data::DataError;
/// let e = DataError::format("data/x.idx", "bad magic number 0x00000000");
/// assert_eq!(e.to_string(), "data/x.idx: bad magic number 0x00000000");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file was read but its contents are wrong (magic number, sizes, truncation).
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `get` was asked for an index past the end.
    #[error("index {index} is out of range for a dataset of length {len}")]
    IndexOutOfRange {
        /// The index asked for.
        index: usize,
        /// The dataset's length.
        len: usize,
    },
    /// Items could not be collated into a batch (e.g. tensors of different shapes).
    #[error("collate: {0}")]
    Collate(String),
    /// A worker (or the calling thread, with `num_workers(0)`) panicked while building a batch.
    #[error("data loader worker panicked at batch {batch}: {message}")]
    WorkerPanic {
        /// The batch's position in the epoch.
        batch: usize,
        /// The panic message.
        message: String,
    },
    /// Anything else, from a user's dataset.
    #[error("{0}")]
    Other(String),
}

impl DataError {
    /// A [`DataError::Format`] for `path`.
    ///
    /// ```
    /// let e = ember_data::DataError::format("a.bin", "truncated");
    /// assert!(matches!(e, ember_data::DataError::Format { .. }));
    /// ```
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> DataError {
        DataError::Format {
            path: path.into(),
            message: message.into(),
        }
    }

    /// A [`DataError::Io`] for `path`.
    ///
    /// ```
    /// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
    /// let e = ember_data::DataError::io("a.bin", io);
    /// assert_eq!(e.to_string(), "a.bin: no such file");
    /// ```
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> DataError {
        DataError::Io {
            path: path.into(),
            source,
        }
    }
}
