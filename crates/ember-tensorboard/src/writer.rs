//! `SummaryWriter`: `torch.utils.tensorboard.SummaryWriter` for Ember.
//!
//! Files are named as TensorBoard's own writer names them,
//! `events.out.tfevents.<unix seconds, 10 digits>.<hostname>.<pid>.<counter><suffix>`, and start
//! with a `file_version: "brain.Event:2"` event.
//!
//! Flushing: events go through a `BufWriter`; it is flushed when `max_queue` events are
//! pending, by a background thread every `flush_secs` (so a run that stalls still shows its
//! last points), by [`SummaryWriter::flush`], [`SummaryWriter::close`] and on drop. PyTorch's
//! defaults (`max_queue=10`, `flush_secs=120`) are kept. An I/O error met by the background
//! thread is kept and returned by the next call on the writer.
//!
//! All methods take `&self` (the files sit behind one mutex), so one writer can be shared by
//! the threads of a training loop.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ember_autograd::Tensor;

use crate::TbError;
use crate::graph::build_graph;
use crate::histogram::HistogramValues;
use crate::hparams::{HParamValue, hparams_summaries};
use crate::image::{DataFormat, Pixels, grid_from_nchw, pixels_from_tensor};
use crate::proto::{
    Event, HistogramProto, PluginData, Summary, SummaryMetadata, TensorProto, Value, ValueKind,
};
use crate::record::frame;

/// How a [`SummaryWriter`] names and flushes its files (PyTorch's constructor arguments).
///
/// ```
/// use std::time::Duration;
/// use ember_tensorboard::{SummaryWriter, SummaryWriterOptions};
///
/// let dir = std::env::temp_dir().join("ember_tb_doc_options");
/// let opts = SummaryWriterOptions { flush_secs: Duration::from_secs(2), ..Default::default() };
/// let writer = SummaryWriter::with_options(&dir, opts)?;
/// assert_eq!(writer.log_dir(), dir.as_path());
/// # Ok::<(), ember_tensorboard::TbError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryWriterOptions {
    /// Flush once this many events are pending (PyTorch's `max_queue`, default 10).
    pub max_queue: usize,
    /// Flush at least this often while the writer lives (PyTorch's `flush_secs`, default 120
    /// s). Zero flushes after every event and starts no thread.
    pub flush_secs: Duration,
    /// Appended to every event file's name (PyTorch's `filename_suffix`, default empty).
    pub filename_suffix: String,
}

impl Default for SummaryWriterOptions {
    fn default() -> Self {
        SummaryWriterOptions {
            max_queue: 10,
            flush_secs: Duration::from_secs(120),
            filename_suffix: String::new(),
        }
    }
}

/// Writes TensorBoard event files into a log directory, as PyTorch's `SummaryWriter`.
///
/// Point TensorBoard at the directory (`tensorboard --logdir runs`) to watch a run.
///
/// ```
/// use ember_autograd::{DType, Tensor};
/// use ember_tensorboard::{read_events, SummaryWriter, ValueKind};
///
/// let dir = std::env::temp_dir().join("ember_tb_doc_writer");
/// # let _ = std::fs::remove_dir_all(&dir);
/// let writer = SummaryWriter::new(&dir)?;
/// for step in 0..3 {
///     writer.add_scalar("loss/train", 1.0 / (step as f32 + 1.0), step)?;
/// }
/// writer.add_histogram("fc.weight", &Tensor::randn(&[16, 8], DType::F32), 2)?;
/// writer.close()?;
///
/// let events = read_events(writer.file_path())?;
/// assert_eq!(events.len(), 1 + 4); // the file-version event, then one per call
/// assert_eq!(events[2].values().next().unwrap().scalar(), Some(0.5));
/// assert!(matches!(&events[4].values().next().unwrap().kind, ValueKind::Histo(h) if h.num == 128.0));
/// # Ok::<(), ember_tensorboard::TbError>(())
/// ```
pub struct SummaryWriter {
    log_dir: PathBuf,
    file_path: PathBuf,
    shared: Arc<Shared>,
    flusher: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

struct State {
    main: EventFile,
    /// The writers of `add_scalars`' sub-runs, by directory.
    subs: BTreeMap<PathBuf, EventFile>,
    /// An error the background flush met, returned by the next call.
    deferred: Option<TbError>,
    closed: bool,
    max_queue: usize,
    filename_suffix: String,
}

/// One open event file.
struct EventFile {
    path: PathBuf,
    out: BufWriter<File>,
    pending: usize,
}

/// Numbers the event files of this process, as TensorBoard's `_global_uid`.
static FILE_COUNTER: AtomicU64 = AtomicU64::new(0);

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The machine's name for file names (`socket.gethostname()` in PyTorch), without anything
/// a file name cannot hold.
fn hostname() -> String {
    let name = fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn to_step(step: impl TryInto<i64>) -> i64 {
    step.try_into().unwrap_or(i64::MAX)
}

impl EventFile {
    /// Creates `dir` and a new event file in it, and writes the file-version event.
    fn create(dir: &Path, suffix: &str) -> Result<EventFile, TbError> {
        fs::create_dir_all(dir).map_err(|e| TbError::io(dir, e))?;
        let wall_time = now();
        let name = format!(
            "events.out.tfevents.{:010}.{}.{}.{}{}",
            wall_time as u64,
            hostname(),
            std::process::id(),
            FILE_COUNTER.fetch_add(1, Ordering::Relaxed),
            suffix
        );
        let path = dir.join(name);
        let file = File::create(&path).map_err(|e| TbError::io(&path, e))?;
        let mut f = EventFile {
            path,
            out: BufWriter::new(file),
            pending: 0,
        };
        let version = Event {
            wall_time,
            file_version: Some("brain.Event:2".into()),
            ..Default::default()
        };
        f.write(&version, 1)?;
        Ok(f)
    }

    fn write(&mut self, event: &Event, max_queue: usize) -> Result<(), TbError> {
        let mut rec = Vec::new();
        frame(&event.encode(), &mut rec);
        self.out
            .write_all(&rec)
            .map_err(|e| TbError::io(&self.path, e))?;
        self.pending += 1;
        if self.pending >= max_queue {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), TbError> {
        self.pending = 0;
        self.out.flush().map_err(|e| TbError::io(&self.path, e))
    }
}

impl State {
    fn flush_all(&mut self) -> Result<(), TbError> {
        let mut first = self.main.flush().err();
        for f in self.subs.values_mut() {
            if let Err(e) = f.flush() {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

impl SummaryWriter {
    /// A writer into `log_dir` (created if missing) with PyTorch's default options.
    ///
    /// # Errors
    /// [`TbError::Io`] when the directory or the event file cannot be created.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("ember_tb_doc_new");
    /// let writer = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// let name = writer.file_path().file_name().unwrap().to_str().unwrap().to_string();
    /// assert!(name.starts_with("events.out.tfevents."));
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn new(log_dir: impl AsRef<Path>) -> Result<SummaryWriter, TbError> {
        SummaryWriter::with_options(log_dir, SummaryWriterOptions::default())
    }

    /// A writer into `log_dir` with the given options.
    ///
    /// # Errors
    /// [`TbError::Io`] when the directory or the event file cannot be created.
    ///
    /// ```
    /// use ember_tensorboard::{SummaryWriter, SummaryWriterOptions};
    /// let dir = std::env::temp_dir().join("ember_tb_doc_with_options");
    /// let opts = SummaryWriterOptions { filename_suffix: ".ember".into(), ..Default::default() };
    /// let writer = SummaryWriter::with_options(&dir, opts)?;
    /// assert!(writer.file_path().to_str().unwrap().ends_with(".ember"));
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn with_options(
        log_dir: impl AsRef<Path>,
        options: SummaryWriterOptions,
    ) -> Result<SummaryWriter, TbError> {
        let log_dir = log_dir.as_ref().to_path_buf();
        let main = EventFile::create(&log_dir, &options.filename_suffix)?;
        let file_path = main.path.clone();
        let zero = options.flush_secs.is_zero();
        let state = State {
            main,
            subs: BTreeMap::new(),
            deferred: None,
            closed: false,
            max_queue: if zero { 1 } else { options.max_queue.max(1) },
            filename_suffix: options.filename_suffix,
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            wake: Condvar::new(),
        });
        let flusher = if zero {
            None
        } else {
            let shared = Arc::clone(&shared);
            let every = options.flush_secs;
            let spawned = std::thread::Builder::new()
                .name("ember-tensorboard-flush".into())
                .spawn(move || flush_loop(&shared, every));
            // Without a thread the writer still flushes every max_queue events and on drop.
            spawned.ok()
        };
        Ok(SummaryWriter {
            log_dir,
            file_path,
            shared,
            flusher: Mutex::new(flusher),
        })
    }

    /// The log directory given to [`SummaryWriter::new`].
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("ember_tb_doc_log_dir");
    /// assert_eq!(ember_tensorboard::SummaryWriter::new(&dir)?.log_dir(), dir.as_path());
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    /// The path of the main event file (the one every `add_*` but `add_scalars` and
    /// `add_hparams` writes to).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("ember_tb_doc_file_path");
    /// let w = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// assert_eq!(w.file_path().parent(), Some(dir.as_path()));
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn file_path(&self) -> &Path {
        &self.file_path
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, TbError> {
        // A panic while holding the lock cannot leave the files half-written in a way that
        // matters more than losing the log; keep going.
        let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.closed {
            return Err(TbError::Closed {
                log_dir: self.log_dir.clone(),
            });
        }
        if let Some(e) = state.deferred.take() {
            return Err(e);
        }
        Ok(state)
    }

    /// Writes `summary` as an event at `step` into the main file. The other `add_*` methods
    /// build their summary and call this; call it directly for a plugin this crate has no
    /// method for.
    ///
    /// # Errors
    /// [`TbError::Io`] when writing fails; [`TbError::Closed`] after [`close`](Self::close).
    ///
    /// ```
    /// use ember_tensorboard::{Summary, SummaryWriter, Value};
    /// let dir = std::env::temp_dir().join("ember_tb_doc_add_summary");
    /// let w = SummaryWriter::new(&dir)?;
    /// w.add_summary(Summary { value: vec![Value::simple("a", 1.0), Value::simple("b", 2.0)] }, 5)?;
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn add_summary(&self, summary: Summary, step: impl TryInto<i64>) -> Result<(), TbError> {
        let event = Event {
            wall_time: now(),
            step: to_step(step),
            file_version: None,
            summary: Some(summary),
            graph_def: None,
        };
        let mut state = self.lock()?;
        let max_queue = state.max_queue;
        state.main.write(&event, max_queue)
    }

    fn add_value(&self, value: Value, step: impl TryInto<i64>) -> Result<(), TbError> {
        self.add_summary(Summary { value: vec![value] }, step)
    }

    /// Records a scalar (PyTorch's `add_scalar(tag, scalar_value, global_step)`). The value is
    /// stored as f32 (`simple_value`), as PyTorch stores it.
    ///
    /// `step` is any integer type (`usize` loop counters included).
    ///
    /// # Errors
    /// [`TbError::Io`] when writing fails; [`TbError::Closed`] after [`close`](Self::close).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("ember_tb_doc_add_scalar");
    /// let writer = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// let loss = 0.25f32;
    /// for step in 0..10usize {
    ///     writer.add_scalar("loss/train", loss, step)?;
    /// }
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn add_scalar(
        &self,
        tag: &str,
        value: impl Into<f64>,
        step: impl TryInto<i64>,
    ) -> Result<(), TbError> {
        self.add_value(Value::simple(tag, value.into() as f32), step)
    }

    /// Records several scalars on one chart, as PyTorch does: each `(tag, value)` goes to the
    /// sub-run directory `<log_dir>/<main_tag with '/' as '_'>_<tag>/` under the tag
    /// `main_tag`, so TensorBoard draws one line per sub-run.
    ///
    /// # Errors
    /// [`TbError::Io`] when a sub-run file cannot be created or written; [`TbError::Closed`]
    /// after [`close`](Self::close).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("ember_tb_doc_add_scalars");
    /// let writer = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// writer.add_scalars("loss", &[("train", 0.5), ("valid", 0.7)], 1)?;
    /// writer.flush()?;
    /// assert!(dir.join("loss_train").is_dir() && dir.join("loss_valid").is_dir());
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn add_scalars(
        &self,
        main_tag: &str,
        scalars: &[(&str, f64)],
        step: impl TryInto<i64>,
    ) -> Result<(), TbError> {
        let step = to_step(step);
        let wall_time = now();
        let mut state = self.lock()?;
        let state = &mut *state;
        for (tag, value) in scalars {
            let dir = self
                .log_dir
                .join(format!("{}_{}", main_tag.replace('/', "_"), tag));
            let file = match state.subs.entry(dir) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let f = EventFile::create(e.key(), &state.filename_suffix)?;
                    e.insert(f)
                }
            };
            let summary = Summary {
                value: vec![Value::simple(main_tag, *value as f32)],
            };
            let event = Event {
                wall_time,
                step,
                file_version: None,
                summary: Some(summary),
                graph_def: None,
            };
            file.write(&event, state.max_queue)?;
        }
        Ok(())
    }

    /// Records a histogram of `values` with PyTorch's default ("tensorflow") bins: see
    /// [`HistogramProto::from_values`]. `values` is a [`Tensor`] of any shape and dtype (a
    /// parameter's data is read without recording a graph), or `f32`/`f64` values.
    ///
    /// # Errors
    /// [`TbError::EmptyHistogram`] when there is no value to bin (an empty tensor, or only
    /// NaN/±inf); [`TbError::Io`] when writing fails; [`TbError::Closed`] after
    /// [`close`](Self::close).
    ///
    /// ```
    /// use ember_autograd::{DType, Tensor};
    /// let dir = std::env::temp_dir().join("ember_tb_doc_add_histogram");
    /// let writer = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// let weight = Tensor::randn(&[10, 5], DType::F32).requires_grad_(true);
    /// writer.add_histogram("fc.weight", &weight, 0)?;
    /// writer.add_histogram("raw", &[0.1, 0.2, 0.2][..], 0)?;
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn add_histogram(
        &self,
        tag: &str,
        values: &(impl HistogramValues + ?Sized),
        step: impl TryInto<i64>,
    ) -> Result<(), TbError> {
        let values = values.histogram_values();
        let histo = HistogramProto::from_values(&values).map_err(|e| match e {
            TbError::EmptyHistogram { num, .. } => TbError::EmptyHistogram {
                tag: tag.to_string(),
                num,
            },
            other => other,
        })?;
        self.add_value(
            Value {
                tag: tag.to_string(),
                metadata: None,
                kind: ValueKind::Histo(histo),
            },
            step,
        )
    }

    fn add_pixels(
        &self,
        tag: &str,
        pixels: Pixels,
        step: impl TryInto<i64>,
    ) -> Result<(), TbError> {
        let image = pixels.to_image().map_err(|e| TbError::Png {
            tag: tag.to_string(),
            reason: e.to_string(),
        })?;
        self.add_value(
            Value {
                tag: tag.to_string(),
                metadata: None,
                kind: ValueKind::Image(image),
            },
            step,
        )
    }

    /// Records one image, PNG-encoded. `image` has 1 (grayscale), 3 (RGB) or 4 (RGBA)
    /// channels laid out as `format`; `u8` values are used as they are, any other dtype is
    /// taken as intensities in `[0, 1]` and scaled to `0..=255` (clipped), as in PyTorch.
    ///
    /// # Panics
    /// When the tensor's number of dims does not match `format` or it has another number of
    /// channels.
    ///
    /// # Errors
    /// [`TbError::Png`] when the image is too large for PNG; [`TbError::Io`] when writing
    /// fails; [`TbError::Closed`] after [`close`](Self::close).
    ///
    /// ```
    /// use ember_autograd::{DType, Tensor};
    /// use ember_tensorboard::{DataFormat, SummaryWriter};
    /// let dir = std::env::temp_dir().join("ember_tb_doc_add_image");
    /// let writer = SummaryWriter::new(&dir)?;
    /// let img = Tensor::rand(&[3, 32, 48], DType::F32); // CHW, values in [0, 1)
    /// writer.add_image("sample", &img, 0, DataFormat::CHW)?;
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    #[track_caller]
    pub fn add_image(
        &self,
        tag: &str,
        image: &Tensor,
        step: impl TryInto<i64>,
        format: DataFormat,
    ) -> Result<(), TbError> {
        let pixels = pixels_from_tensor(image, format);
        self.add_pixels(tag, pixels, step)
    }

    /// Records a batch of images `[N, C, H, W]` as one image, tiled 8 per row as PyTorch's
    /// `add_images` does (no padding). Channels and values as in
    /// [`add_image`](Self::add_image).
    ///
    /// # Panics
    /// When the tensor is not 4-d, the batch is empty, or it has other than 1, 3 or 4
    /// channels.
    ///
    /// # Errors
    /// [`TbError::Png`] when the grid is too large for PNG; [`TbError::Io`] when writing fails;
    /// [`TbError::Closed`] after [`close`](Self::close).
    ///
    /// ```
    /// use ember_autograd::{DType, Tensor};
    /// let dir = std::env::temp_dir().join("ember_tb_doc_add_images");
    /// let writer = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// let batch = Tensor::rand(&[16, 1, 28, 28], DType::F32); // 16 MNIST-sized digits
    /// writer.add_images("samples", &batch, 0)?; // one 224x56 image: 2 rows of 8
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    #[track_caller]
    pub fn add_images(
        &self,
        tag: &str,
        images: &Tensor,
        step: impl TryInto<i64>,
    ) -> Result<(), TbError> {
        let pixels = grid_from_nchw(images);
        self.add_pixels(tag, pixels, step)
    }

    /// Records a text (Markdown) for the Text dashboard, as PyTorch does: under the tag
    /// `<tag>/text_summary`, a one-element string tensor with plugin `"text"`.
    ///
    /// # Errors
    /// [`TbError::Io`] when writing fails; [`TbError::Closed`] after [`close`](Self::close).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("ember_tb_doc_add_text");
    /// let writer = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// writer.add_text("config", "lr = **0.01**, batch = 64", 0)?;
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn add_text(&self, tag: &str, text: &str, step: impl TryInto<i64>) -> Result<(), TbError> {
        let metadata = SummaryMetadata {
            // TextPluginData { version: 0 } serializes to no bytes.
            plugin_data: Some(PluginData {
                plugin_name: "text".into(),
                content: Vec::new(),
            }),
            ..Default::default()
        };
        let tensor = TensorProto {
            dtype: TensorProto::DT_STRING,
            shape: vec![1],
            string_val: vec![text.as_bytes().to_vec()],
            ..Default::default()
        };
        let value = Value {
            tag: format!("{tag}/text_summary"),
            metadata: Some(metadata),
            kind: ValueKind::Tensor(tensor),
        };
        self.add_value(value, step)
    }

    /// Records one run's hyper-parameters and final metrics for the HParams dashboard, as
    /// PyTorch's `add_hparams(hparam_dict, metric_dict)`: a new sub-run directory
    /// `<log_dir>/<unix time>/` gets the plugin's experiment, session-start and session-end
    /// summaries, then each metric as a scalar at step 0. Returns that directory.
    ///
    /// # Errors
    /// [`TbError::Io`] when the sub-run cannot be written; [`TbError::Closed`] after
    /// [`close`](Self::close).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("ember_tb_doc_add_hparams");
    /// let writer = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// let run = writer.add_hparams(
    ///     &[("lr", 0.01.into()), ("batch_size", 64.into()), ("optimizer", "adam".into())],
    ///     &[("hparam/accuracy", 0.98), ("hparam/loss", 0.06)],
    /// )?;
    /// assert_eq!(run.parent(), Some(dir.as_path()));
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn add_hparams(
        &self,
        hparams: &[(&str, HParamValue)],
        metrics: &[(&str, f64)],
    ) -> Result<PathBuf, TbError> {
        let state = self.lock()?;
        // PyTorch names the run `str(time.time())`; Rust's `{}` of an f64 prints the same
        // shortest round-trip digits. Two calls in one tick get distinct directories.
        let time = now();
        let mut run = self.log_dir.join(format!("{time}"));
        let mut k = 1;
        while run.exists() {
            run = self.log_dir.join(format!("{time}_{k}"));
            k += 1;
        }
        let mut file = EventFile::create(&run, &state.filename_suffix)?;
        drop(state);
        let wall_time = now();
        let mut write = |summary: Summary| {
            file.write(
                &Event {
                    wall_time,
                    step: 0,
                    file_version: None,
                    summary: Some(summary),
                    graph_def: None,
                },
                usize::MAX,
            )
        };
        for summary in hparams_summaries(hparams, metrics) {
            write(summary)?;
        }
        for (tag, value) in metrics {
            write(Summary {
                value: vec![Value::simple(tag, *value as f32)],
            })?;
        }
        file.flush()?;
        Ok(run)
    }

    /// Records the graph of a model (PyTorch's `add_graph`) for TensorBoard's Graphs tab: every
    /// op that `outputs` were computed from, taken from their autograd graph (no tracing: run
    /// one forward pass with grad mode on and pass its outputs). `params` names the parameters
    /// (`model.named_parameters()`), which become `/`-scoped nodes (`layer1/0/conv1/weight`);
    /// each op is placed in the scope of the module whose parameters it uses, and carries its
    /// output shapes and the source line that ran it. Ops that touch no parameter on the way
    /// to an output are recorded only if they are on that way.
    ///
    /// # Errors
    /// [`TbError::Io`] when writing fails; [`TbError::Closed`] after [`close`](Self::close).
    ///
    /// # Panics
    /// When no output has an autograd graph (forward under `no_grad`, or frozen parameters).
    ///
    /// ```
    /// use ember_autograd::{DType, Tensor};
    /// use ember_tensorboard::{SummaryWriter, read_events};
    /// let w = Tensor::ones(&[3, 2], DType::F32).requires_grad_(true);
    /// let x = Tensor::ones(&[4, 2], DType::F32);
    /// let y = x.matmul(&w.t()).relu();
    /// let dir = std::env::temp_dir().join("ember_tb_doc_add_graph");
    /// let writer = SummaryWriter::new(&dir)?;
    /// writer.add_graph(&[&y], &[("fc.weight".to_string(), w.clone())])?;
    /// writer.flush()?;
    /// let graph = read_events(writer.file_path())?.into_iter().find_map(|e| e.graph_def).unwrap();
    /// let names: Vec<&str> = graph.node.iter().map(|n| n.name.as_str()).collect();
    /// assert!(names.contains(&"fc/weight") && names.contains(&"output/output.0"));
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    #[track_caller]
    pub fn add_graph(
        &self,
        outputs: &[&Tensor],
        params: &[(String, Tensor)],
    ) -> Result<(), TbError> {
        let graph = build_graph(outputs, params);
        let event = Event {
            wall_time: now(),
            graph_def: Some(graph),
            ..Default::default()
        };
        let mut state = self.lock()?;
        let max_queue = state.max_queue;
        state.main.write(&event, max_queue)
    }

    /// Writes everything pending to disk (PyTorch's `flush()`).
    ///
    /// # Errors
    /// [`TbError::Io`] when flushing fails (or an earlier background flush failed);
    /// [`TbError::Closed`] after [`close`](Self::close).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("ember_tb_doc_flush");
    /// let writer = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// writer.add_scalar("x", 1.0, 0)?;
    /// writer.flush()?;
    /// assert_eq!(ember_tensorboard::read_events(writer.file_path())?.len(), 2);
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn flush(&self) -> Result<(), TbError> {
        self.lock()?.flush_all()
    }

    /// Flushes and closes every file and stops the flush thread (PyTorch's `close()`). Later
    /// calls return [`TbError::Closed`]; closing twice is fine. Dropping the writer closes it
    /// too, but cannot report an error.
    ///
    /// # Errors
    /// [`TbError::Io`] when the final flush fails.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("ember_tb_doc_close");
    /// let writer = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// writer.close()?;
    /// assert!(writer.add_scalar("x", 1.0, 0).is_err());
    /// writer.close()?;
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn close(&self) -> Result<(), TbError> {
        let result = {
            let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.closed {
                return Ok(());
            }
            state.closed = true;
            let deferred = state.deferred.take();
            let flushed = state.flush_all();
            deferred.map_or(flushed, Err)
        };
        self.shared.wake.notify_all();
        if let Some(handle) = self
            .flusher
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            let _ = handle.join();
        }
        result
    }
}

impl Drop for SummaryWriter {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl std::fmt::Debug for SummaryWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SummaryWriter")
            .field("log_dir", &self.log_dir)
            .field("file_path", &self.file_path)
            .finish()
    }
}

/// The background flush: wakes every `every` until the writer closes.
fn flush_loop(shared: &Shared, every: Duration) {
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if state.closed {
            return;
        }
        state = shared
            .wake
            .wait_timeout(state, every)
            .unwrap_or_else(|e| e.into_inner())
            .0;
        if state.closed {
            return;
        }
        if let Err(e) = state.flush_all() {
            state.deferred.get_or_insert(e);
        }
    }
}
