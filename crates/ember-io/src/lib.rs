//! Ember's file formats: real files in and out.
//!
//! - PyTorch `.pt` / `.pth` / `.ckpt` ([`torch`]): both of `torch.save`'s formats load (zip
//!   and legacy) into a [`PtValue`] tree whose tensors keep their shared storages; saving
//!   writes the zip format that `torch.load(path, weights_only=True)` reads. Only what
//!   `weights_only=True` allows is loaded: nothing in a file is ever executed.
//! - [`load_state_dict_file`] finds the state dict in any of these files (or a safetensors
//!   file), and [`load_into`] loads it into a module with key mapping (`module.` of
//!   `DataParallel`) and strict / non-strict reporting.
//! - safetensors ([`SafetensorsFile`], [`save_safetensors`]): memory-mapped, one tensor at a
//!   time.
//! - numpy [`npy`] and [`npz`] (stored and compressed).
//! - Training [`Checkpoint`]s: model, optimizer, scheduler, epoch, RNG state and extras in one
//!   file, resuming bit-identically.
//! - Every writer goes through [`write_atomic`]: a killed process leaves the old file or the
//!   new one, never a torn one.
//!
//! Everything here reads the outside world, so everything returns [`Result`] with an
//! [`Error`] that names the file and what is wrong with it.
//!
//! ```
//! use ember_nn::{Linear, ModuleExt};
//! let path = std::env::temp_dir().join(format!("ember-io-doc-lib-{}.pt", std::process::id()));
//! let model = Linear::new(4, 2);
//! ember_io::torch::save_state_dict(&model.state_dict(), &path)?;
//! let restored = Linear::new(4, 2);
//! ember_io::load_into(&restored, &path, &ember_io::LoadOptions::new())?;
//! assert_eq!(restored.weight.to_vec::<f32>(), model.weight.to_vec::<f32>());
//! # let _ = std::fs::remove_file(&path);
//! # Ok::<(), ember_io::Error>(())
//! ```
//!
//! Source map: `pickle/` (the unpickler and pickler), `torch/` (zip and legacy containers),
//! `safetensors.rs`, `npy.rs`, `npz.rs`, `checkpoint.rs`, `load_into.rs`, `atomic.rs`,
//! `error.rs`; `bytes.rs` and `zipio.rs` are the shared byte-level helpers.
#![doc(test(attr(deny(warnings))))]
#![deny(missing_docs)]

pub mod atomic;
mod bytes;
mod checkpoint;
mod error;
mod load_into;
pub mod npy;
pub mod npz;
mod pickle;
mod safetensors;
pub mod torch;
mod zipio;

pub use atomic::{clean_stale_temp_files, write_atomic, write_bytes_atomic};
pub use checkpoint::Checkpoint;
pub use error::{Error, Result};
pub use load_into::{LoadOptions, load_into};
pub use pickle::PtValue;
pub use safetensors::{SafetensorsFile, TensorInfo, save_safetensors, save_safetensors_to_bytes};
pub use torch::load_state_dict_file;
