//! The one error type of the crate: everything that touches the file system or reads bytes
//! written by someone else returns it. Misuse of the API (an image tensor of the wrong shape)
//! panics at the caller's line instead, as everywhere in Ember.

use std::path::PathBuf;

/// What can go wrong while writing or reading TensorBoard event files.
///
/// ```
/// let err = ember_tensorboard::read_events("/no/such/dir/events.out.tfevents.0.host").unwrap_err();
/// assert!(matches!(err, ember_tensorboard::TbError::Io { .. }));
/// assert!(err.to_string().contains("/no/such/dir"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TbError {
    // -- the file system --
    /// Creating, writing, flushing or reading a file or directory failed.
    #[error("tensorboard: I/O error on {}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },

    // -- reading event files --
    /// A record's framing is wrong: a CRC does not match, or the file ends inside a record.
    #[error("tensorboard: corrupt record in {} at byte {offset}: {reason}", path.display())]
    CorruptRecord {
        /// The file read (`<stream>` for a reader that is not a file).
        path: PathBuf,
        /// Byte offset of the record's start.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A record's payload is not a valid `Event` protocol buffer.
    #[error("tensorboard: record in {} at byte {offset} is not a valid Event: {reason}", path.display())]
    BadEvent {
        /// The file read (`<stream>` for a reader that is not a file).
        path: PathBuf,
        /// Byte offset of the record's start.
        offset: u64,
        /// What the protobuf decoder found.
        reason: String,
    },

    // -- data that cannot be summarised --
    /// `add_histogram` got no value that falls in TensorBoard's bins (no values at all, or only
    /// NaN and values beyond ±1e20). PyTorch raises a `ValueError` in the same cases.
    #[error("tensorboard: histogram `{tag}` has no finite value to bin ({num} values given)")]
    EmptyHistogram {
        /// The histogram's tag.
        tag: String,
        /// How many values were given.
        num: usize,
    },
    /// The PNG encoder failed (an image larger than PNG allows).
    #[error("tensorboard: PNG encoding of image `{tag}` failed: {reason}")]
    Png {
        /// The image's tag.
        tag: String,
        /// The encoder's message.
        reason: String,
    },

    // -- the writer's state --
    /// The writer was closed with [`SummaryWriter::close`](crate::SummaryWriter::close).
    #[error("tensorboard: the SummaryWriter for {} is closed", log_dir.display())]
    Closed {
        /// The writer's log directory.
        log_dir: PathBuf,
    },
}

impl TbError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> TbError {
        TbError::Io {
            path: path.into(),
            source,
        }
    }
}
