//! # ember-tensorboard — TensorBoard event files, as `torch.utils.tensorboard`
//!
//! [`SummaryWriter`] writes the event files TensorBoard reads, with PyTorch's API and PyTorch's
//! on-disk conventions: [`add_scalar`](SummaryWriter::add_scalar),
//! [`add_scalars`](SummaryWriter::add_scalars) (one sub-run directory per line),
//! [`add_histogram`](SummaryWriter::add_histogram) (PyTorch's "tensorflow" bins, bucket for
//! bucket), [`add_image`](SummaryWriter::add_image) and [`add_images`](SummaryWriter::add_images)
//! (PNG, batches tiled 8 per row), [`add_text`](SummaryWriter::add_text) and
//! [`add_hparams`](SummaryWriter::add_hparams). [`read_events`] and [`EventReader`] read event
//! files back, checking every CRC.
//!
//! A training loop logs like this (`tensorboard --logdir runs` then shows it):
//!
//! ```
//! use ember_autograd::{DType, Tensor};
//! use ember_tensorboard::{event_files, read_events, SummaryWriter};
//!
//! let dir = std::env::temp_dir().join("ember_tb_doc_crate").join("mnist_run");
//! # let _ = std::fs::remove_dir_all(&dir);
//! let writer = SummaryWriter::new(&dir)?;
//! let weight = Tensor::randn(&[32, 784], DType::F32).requires_grad_(true);
//! for epoch in 0..3 {
//!     let (train, valid) = (1.0 / (epoch as f32 + 1.0), 1.2 / (epoch as f32 + 1.0));
//!     writer.add_scalar("loss/train", train, epoch)?;
//!     writer.add_scalars("loss", &[("train", train as f64), ("valid", valid as f64)], epoch)?;
//!     writer.add_histogram("fc.weight", &weight, epoch)?;
//! }
//! writer.add_images("samples", &Tensor::rand(&[8, 1, 28, 28], DType::F32), 0)?;
//! writer.add_hparams(&[("lr", 0.01.into())], &[("hparam/accuracy", 0.97)])?;
//! writer.close()?;
//!
//! let events = read_events(writer.file_path())?;
//! assert_eq!(events.len(), 1 + 3 * 2 + 1);
//! assert_eq!(event_files(dir.join("loss_valid"))?.len(), 1);
//! # Ok::<(), ember_tensorboard::TbError>(())
//! ```
//!
//! The file format: TFRecord framing ([`masked_crc32c`]) around [`Event`] protocol buffers,
//! encoded by a small hand-written codec (`src/proto.rs` says why not `prost`).
//! [`SummaryWriter::add_graph`] takes the model graph from the autograd graph of one forward
//! pass (no tracer needed). Not written: audio, video, embeddings, PR curves.

#![doc(test(attr(deny(warnings))))]
#![deny(missing_docs)]

mod error;
mod graph;
mod histogram;
mod hparams;
mod image;
mod proto;
mod reader;
mod record;
mod wire;
mod writer;

pub use error::TbError;
pub use graph::{AttrValue, GraphDef, NodeDef};
pub use histogram::{HistogramValues, default_bins};
pub use hparams::HParamValue;
pub use image::DataFormat;
pub use proto::{
    Event, HistogramProto, Image, PluginData, Summary, SummaryMetadata, TensorProto, Value,
    ValueKind,
};
pub use reader::{EventReader, event_files, read_events};
pub use record::masked_crc32c;
pub use writer::{SummaryWriter, SummaryWriterOptions};
