//! PyTorch files (`.pt`, `.pth`, `.ckpt`): [`load`] and [`save`] a
//! [`PtValue`](crate::PtValue) tree, [`load_state_dict_file`] and [`save_state_dict`] for the
//! common case.
//!
//! Both of `torch.save`'s formats load: the zip format (PyTorch ≥ 1.6: `<name>/data.pkl`, a
//! pickle whose tensors point at `<name>/data/<key>` storages) and the legacy one (a magic
//! number, a protocol version, system information, the pickle, the list of storage keys, then
//! each storage's element count and bytes). Saving writes the zip format.

mod load;
mod save;

pub use load::{load, load_from_bytes, load_state_dict_file};
pub use save::{save, save_state_dict, save_to_bytes};

pub(crate) use load::as_state_dict;
