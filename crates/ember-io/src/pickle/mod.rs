//! Python pickles, the serialisation inside every PyTorch `.pt` / `.pth` file: a hand-written
//! reader (a small stack machine) and writer for the part of the format `torch.save` uses.
//!
//! Why by hand rather than `serde-pickle`: PyTorch files hinge on two features a generic
//! deserialiser does not give control over. Tensors are `REDUCE` calls of
//! `torch._utils._rebuild_tensor_v2` on storages that are *persistent ids* (`BINPERSID`)
//! resolved against the zip entries (or, in the legacy format, against bytes that follow the
//! pickle), and the security of loading depends on an allowlist of globals checked at the
//! moment a `GLOBAL` opcode is read. serde-pickle rejects or replaces globals wholesale and has
//! no persistent-id hook, so it could neither build tensors nor say which global it refused.
//! The machine (`reader.rs`) and its allowlist of globals (`globals.rs`) are about 850 lines,
//! execute nothing, and check every length against the data before allocating.

mod globals;
mod reader;
mod value;
pub(crate) mod writer;

use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use ember_autograd::Tensor;
use ember_tensor::{Array, DType};

pub use value::PtValue;

pub(crate) use reader::{Obj, StorageRef, unpickle};

use crate::bytes::{array_from_bytes, checked_numel, checked_span, strides_fit};
use crate::error::{Result, corrupt};

/// Deepest nesting of containers accepted (the conversion recurses once per level).
const MAX_DEPTH: usize = 512;

/// Converts the object tree of a pickle into a [`PtValue`], building the tensors.
///
/// `read_storage(storage, nbytes)` returns the raw bytes of storage `storage.key` (it checks
/// that there are exactly `nbytes`). Tensors that name the same storage share one Ember
/// storage. `budget` caps the number of values produced: shared references in a hostile
/// pickle can otherwise describe an exponentially large tree in a few bytes.
pub(crate) fn to_value(
    obj: &Obj,
    path: &Path,
    big_endian: bool,
    budget: usize,
    read_storage: &mut dyn FnMut(&StorageRef, usize) -> Result<Vec<u8>>,
) -> Result<PtValue> {
    let mut c = Converter {
        path,
        big_endian,
        budget,
        read_storage,
        storages: HashMap::new(),
        tensors: HashMap::new(),
    };
    c.convert(obj, 0)
}

struct Converter<'a> {
    path: &'a Path,
    big_endian: bool,
    budget: usize,
    read_storage: &'a mut dyn FnMut(&StorageRef, usize) -> Result<Vec<u8>>,
    /// Base arrays by (storage key, dtype).
    storages: HashMap<(String, DType), Array>,
    /// Tensors already built, by the address of their spec (a memoised tensor used twice is
    /// one tensor).
    tensors: HashMap<usize, Tensor>,
}

impl Converter<'_> {
    fn convert(&mut self, obj: &Obj, depth: usize) -> Result<PtValue> {
        if depth > MAX_DEPTH {
            return Err(corrupt(
                self.path,
                format!("pickle: containers nested more than {MAX_DEPTH} deep"),
            ));
        }
        if self.budget == 0 {
            return Err(corrupt(
                self.path,
                "pickle: the object tree is far larger than the file (shared references \
                 repeated over and over)",
            ));
        }
        self.budget -= 1;
        Ok(match obj {
            Obj::None => PtValue::None,
            Obj::Bool(b) => PtValue::Bool(*b),
            Obj::Int(i) => PtValue::Int(*i),
            Obj::Float(f) => PtValue::Float(*f),
            Obj::Str(s) => PtValue::Str(s.to_string()),
            Obj::Tuple(t) => PtValue::Tuple(self.convert_all(t, depth)?),
            Obj::List(l) => {
                let items = l.borrow().clone();
                PtValue::List(self.convert_all(&items, depth)?)
            }
            Obj::Dict(d) => {
                let pairs = d.borrow().clone();
                let mut out: Vec<(PtValue, PtValue)> = Vec::with_capacity(pairs.len());
                let mut index: HashMap<String, usize> = HashMap::new();
                for (k, v) in &pairs {
                    let k = self.convert(k, depth + 1)?;
                    let v = self.convert(v, depth + 1)?;
                    let id = match &k {
                        PtValue::Str(s) => format!("s{s}"),
                        PtValue::Int(i) => format!("i{i}"),
                        other => format!("o{}", other.key_string()),
                    };
                    match index.get(&id) {
                        Some(&at) => out[at].1 = v,
                        None => {
                            index.insert(id, out.len());
                            out.push((k, v));
                        }
                    }
                }
                PtValue::Dict(out)
            }
            Obj::Tensor(spec) => {
                let id = Rc::as_ptr(spec) as usize;
                if let Some(t) = self.tensors.get(&id) {
                    return Ok(PtValue::Tensor(t.clone()));
                }
                let t = self.tensor(spec)?;
                self.tensors.insert(id, t.clone());
                PtValue::Tensor(t)
            }
            Obj::Storage(s) => {
                return Err(corrupt(
                    self.path,
                    format!(
                        "pickle: a bare storage ({}) outside a tensor is not supported",
                        s.key
                    ),
                ));
            }
            Obj::Global(g) => {
                return Err(corrupt(
                    self.path,
                    format!("pickle: a bare global ({g:?}) is not a value Ember can load"),
                ));
            }
        })
    }

    fn convert_all(&mut self, items: &[Obj], depth: usize) -> Result<Vec<PtValue>> {
        items.iter().map(|o| self.convert(o, depth + 1)).collect()
    }

    fn tensor(&mut self, spec: &reader::TensorSpec) -> Result<Tensor> {
        let st = &spec.storage;
        let size = spec.dtype.size_in_bytes();
        // Elements of `spec.dtype` in the whole storage.
        let (elements, nbytes) = match st.dtype {
            Some(d) if d == spec.dtype || d != DType::U8 => {
                let nbytes = st.numel.checked_mul(d.size_in_bytes()).ok_or_else(|| {
                    corrupt(self.path, format!("storage {}: size overflows", st.key))
                })?;
                (st.numel, nbytes)
            }
            _ => (st.numel / size, st.numel),
        };
        let key = (st.key.clone(), spec.dtype);
        let base = match self.storages.get(&key) {
            Some(a) => a.clone(),
            None => {
                let bytes = (self.read_storage)(st, nbytes)?;
                let usable = elements * size;
                let a = array_from_bytes(spec.dtype, &bytes[..usable], self.big_endian);
                self.storages.insert(key, a.clone());
                a
            }
        };
        // Bounds against the storage as read (another persistent id may have named the same
        // key with another size).
        let len = base.storage().len();
        let (base_offset, limit) = match st.view {
            Some((o, n)) => (o, (o + n).min(len)),
            None => (0, len),
        };
        let offset = base_offset.checked_add(spec.offset);
        let span = offset.and_then(|o| checked_span(&spec.shape, &spec.strides, o));
        let numel = checked_numel(&spec.shape);
        let numel = numel.filter(|_| strides_fit(&spec.shape));
        let (Some(offset), Some(span), Some(numel)) = (offset, span, numel) else {
            return Err(corrupt(
                self.path,
                format!(
                    "tensor of size {:?}, stride {:?}, offset {}: the layout overflows",
                    spec.shape, spec.strides, spec.offset
                ),
            ));
        };
        if span > limit {
            return Err(corrupt(
                self.path,
                format!(
                    "tensor of size {:?}, stride {:?} and offset {} reaches element {} of \
                     storage {}, which holds {limit}",
                    spec.shape,
                    spec.strides,
                    spec.offset,
                    span - 1,
                    st.key
                ),
            ));
        }
        let array = if numel == 0 {
            Array::zeros(&spec.shape, spec.dtype)
        } else {
            base.as_strided(&spec.shape, &spec.strides, offset)
        };
        let t = Tensor::from_array(array);
        Ok(if spec.requires_grad && spec.dtype.is_floating_point() {
            t.requires_grad_(true)
        } else {
            t
        })
    }
}
