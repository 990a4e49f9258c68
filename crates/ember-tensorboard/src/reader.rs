//! Reading event files back: the TFRecord framing with both CRCs checked, then each record
//! decoded as an [`Event`]. Any file TensorBoard can read works (PyTorch's and TensorFlow's
//! included); kinds this crate does not model are skipped or read as
//! [`ValueKind::Other`](crate::ValueKind::Other).

use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::TbError;
use crate::proto::Event;
use crate::record::{RecordError, RecordReader};

/// Reads every event of the event file at `path`.
///
/// # Errors
/// [`TbError::Io`] when the file cannot be read; [`TbError::CorruptRecord`] when a CRC does
/// not match or the file ends inside a record (a writer still running may have written half
/// a record: use [`EventReader`] to keep the events before it); [`TbError::BadEvent`] when a
/// record is not an `Event`.
///
/// ```
/// use ember_tensorboard::{read_events, SummaryWriter};
/// let dir = std::env::temp_dir().join("ember_tb_doc_read_events");
/// # let _ = std::fs::remove_dir_all(&dir);
/// let writer = SummaryWriter::new(&dir)?;
/// writer.add_scalar("acc", 0.75, 3)?;
/// writer.close()?;
/// let events = read_events(writer.file_path())?;
/// let (step, value) = (events[1].step, events[1].values().next().unwrap());
/// assert_eq!((step, value.tag.as_str(), value.scalar()), (3, "acc", Some(0.75)));
/// # Ok::<(), ember_tensorboard::TbError>(())
/// ```
pub fn read_events(path: impl AsRef<Path>) -> Result<Vec<Event>, TbError> {
    EventReader::open(path)?.collect()
}

/// The event files directly inside `dir` (names containing `tfevents`), sorted by name, which
/// for files of one writer is the order they were created in.
///
/// # Errors
/// [`TbError::Io`] when the directory cannot be listed.
///
/// ```
/// let dir = std::env::temp_dir().join("ember_tb_doc_event_files");
/// # let _ = std::fs::remove_dir_all(&dir);
/// let writer = ember_tensorboard::SummaryWriter::new(&dir)?;
/// assert_eq!(ember_tensorboard::event_files(&dir)?, vec![writer.file_path().to_path_buf()]);
/// # Ok::<(), ember_tensorboard::TbError>(())
/// ```
pub fn event_files(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>, TbError> {
    let dir = dir.as_ref();
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| TbError::io(dir, e))? {
        let entry = entry.map_err(|e| TbError::io(dir, e))?;
        let is_file = entry
            .file_type()
            .map_err(|e| TbError::io(entry.path(), e))?
            .is_file();
        if is_file && entry.file_name().to_string_lossy().contains("tfevents") {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Reads events one at a time from an event file or any byte stream.
///
/// It yields `Err` once at the first bad record and then stops, so the events before a torn
/// final record (a writer still running) are still read.
///
/// ```
/// use ember_tensorboard::{EventReader, SummaryWriter};
/// let dir = std::env::temp_dir().join("ember_tb_doc_event_reader");
/// let writer = SummaryWriter::new(&dir)?;
/// writer.add_text("note", "hi", 0)?;
/// writer.flush()?;
/// let mut bytes = std::fs::read(writer.file_path()).unwrap();
/// bytes.truncate(bytes.len() - 3); // tear the last record
/// let results: Vec<_> = EventReader::from_reader(std::io::Cursor::new(bytes)).collect();
/// assert_eq!(results.len(), 2);
/// assert!(results[0].is_ok() && results[1].is_err());
/// # Ok::<(), ember_tensorboard::TbError>(())
/// ```
pub struct EventReader {
    records: RecordReader<Box<dyn Read + Send>>,
    path: PathBuf,
    done: bool,
}

impl EventReader {
    /// A reader over the event file at `path`.
    ///
    /// # Errors
    /// [`TbError::Io`] when the file cannot be opened.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("ember_tb_doc_event_reader_open");
    /// let writer = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// let first = ember_tensorboard::EventReader::open(writer.file_path())?.next().unwrap()?;
    /// assert_eq!(first.file_version.as_deref(), Some("brain.Event:2"));
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<EventReader, TbError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| TbError::io(path, e))?;
        Ok(EventReader {
            records: RecordReader::new(Box::new(BufReader::new(file))),
            path: path.to_path_buf(),
            done: false,
        })
    }

    /// A reader over any byte stream holding TFRecord-framed events (errors name it
    /// `<stream>`).
    ///
    /// ```
    /// let mut none = ember_tensorboard::EventReader::from_reader(std::io::empty());
    /// assert!(none.next().is_none());
    /// ```
    pub fn from_reader(reader: impl Read + Send + 'static) -> EventReader {
        EventReader {
            records: RecordReader::new(Box::new(reader)),
            path: PathBuf::from("<stream>"),
            done: false,
        }
    }
}

impl Iterator for EventReader {
    type Item = Result<Event, TbError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = match self.records.next_record() {
            Ok(None) => None,
            Ok(Some((offset, data))) => {
                Some(Event::decode(&data).map_err(|reason| TbError::BadEvent {
                    path: self.path.clone(),
                    offset,
                    reason,
                }))
            }
            Err(RecordError::Io(e)) => Some(Err(TbError::io(&self.path, e))),
            Err(RecordError::Corrupt { offset, reason }) => Some(Err(TbError::CorruptRecord {
                path: self.path.clone(),
                offset,
                reason,
            })),
        };
        self.done = !matches!(result, Some(Ok(_)));
        result
    }
}

impl std::fmt::Debug for EventReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventReader")
            .field("path", &self.path)
            .finish()
    }
}
