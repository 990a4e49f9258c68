//! The pickler: writes a [`PtValue`] as protocol 2, the way `torch.save` does, with tensors
//! as `torch._utils._rebuild_tensor_v2` calls on persistent-id storages. Each storage is
//! written once however many tensors view it, so sharing survives the round trip.

use std::collections::HashMap;
use std::sync::Arc;

use ember_tensor::{Array, DType};

use super::PtValue;

/// A storage to write: its key (`data/<key>`) and an array that views it.
pub(crate) struct StorageOut {
    pub key: String,
    pub array: Array,
}

/// The pickle bytes and the storages its tensors refer to, in key order.
pub(crate) struct Pickled {
    pub bytes: Vec<u8>,
    pub storages: Vec<StorageOut>,
}

/// Pickles `value` (protocol 2).
pub(crate) fn pickle(value: &PtValue) -> Pickled {
    let mut p = Pickler {
        out: vec![0x80, 2],
        storages: Vec::new(),
        keys: HashMap::new(),
    };
    p.value(value);
    p.out.push(b'.');
    Pickled {
        bytes: p.out,
        storages: p.storages,
    }
}

struct Pickler {
    out: Vec<u8>,
    storages: Vec<StorageOut>,
    /// Storage address -> key.
    keys: HashMap<usize, String>,
}

fn storage_name(d: DType) -> &'static str {
    match d {
        DType::F32 => "FloatStorage",
        DType::F64 => "DoubleStorage",
        DType::F16 => "HalfStorage",
        DType::BF16 => "BFloat16Storage",
        DType::I64 => "LongStorage",
        DType::I32 => "IntStorage",
        DType::U8 => "ByteStorage",
        DType::Bool => "BoolStorage",
    }
}

impl Pickler {
    fn value(&mut self, v: &PtValue) {
        match v {
            PtValue::None => self.out.push(b'N'),
            PtValue::Bool(true) => self.out.push(0x88),
            PtValue::Bool(false) => self.out.push(0x89),
            PtValue::Int(i) => self.int(*i),
            PtValue::Float(f) => {
                self.out.push(b'G');
                self.out.extend_from_slice(&f.to_be_bytes());
            }
            PtValue::Str(s) => self.str(s),
            PtValue::List(items) => {
                self.out.push(b']');
                for chunk in items.chunks(1000) {
                    self.out.push(b'(');
                    for it in chunk {
                        self.value(it);
                    }
                    self.out.push(b'e');
                }
            }
            PtValue::Tuple(items) => self.tuple(items.iter(), |p, it| p.value(it)),
            PtValue::Dict(pairs) => {
                // A dict of tensors is a state dict: PyTorch writes those as OrderedDict.
                let ordered =
                    !pairs.is_empty() && pairs.iter().all(|(_, v)| matches!(v, PtValue::Tensor(_)));
                if ordered {
                    self.global("collections", "OrderedDict");
                    self.out.extend_from_slice(b")R");
                } else {
                    self.out.push(b'}');
                }
                for chunk in pairs.chunks(1000) {
                    self.out.push(b'(');
                    for (k, v) in chunk {
                        self.value(k);
                        self.value(v);
                    }
                    self.out.push(b'u');
                }
            }
            PtValue::Tensor(t) => self.tensor(t.data(), t.requires_grad()),
        }
    }

    fn int(&mut self, i: i64) {
        if (0..256).contains(&i) {
            self.out.extend_from_slice(&[b'K', i as u8]);
        } else if (0..65536).contains(&i) {
            self.out.push(b'M');
            self.out.extend_from_slice(&(i as u16).to_le_bytes());
        } else if i32::try_from(i).is_ok() {
            self.out.push(b'J');
            self.out.extend_from_slice(&(i as i32).to_le_bytes());
        } else {
            self.out.extend_from_slice(&[0x8a, 8]);
            self.out.extend_from_slice(&i.to_le_bytes());
        }
    }

    fn str(&mut self, s: &str) {
        self.out.push(b'X');
        self.out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.out.extend_from_slice(s.as_bytes());
    }

    fn global(&mut self, module: &str, name: &str) {
        self.out.push(b'c');
        self.out.extend_from_slice(module.as_bytes());
        self.out.push(b'\n');
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'\n');
    }

    fn tuple<T>(
        &mut self,
        items: impl ExactSizeIterator<Item = T>,
        mut f: impl FnMut(&mut Self, T),
    ) {
        let n = items.len();
        if n == 0 {
            self.out.push(b')');
            return;
        }
        if n > 3 {
            self.out.push(b'(');
        }
        for it in items {
            f(self, it);
        }
        self.out.push(match n {
            1 => 0x85,
            2 => 0x86,
            3 => 0x87,
            _ => b't',
        });
    }

    fn tensor(&mut self, a: &Array, requires_grad: bool) {
        let id = Arc::as_ptr(a.storage()) as usize;
        let key = match self.keys.get(&id) {
            Some(k) => k.clone(),
            None => {
                let k = self.storages.len().to_string();
                self.keys.insert(id, k.clone());
                self.storages.push(StorageOut {
                    key: k.clone(),
                    array: a.clone(),
                });
                k
            }
        };
        self.global("torch._utils", "_rebuild_tensor_v2");
        self.out.push(b'(');
        // The persistent id: ('storage', torch.<Type>Storage, key, 'cpu', numel).
        self.out.push(b'(');
        self.str("storage");
        self.global("torch", storage_name(a.dtype()));
        self.str(&key);
        self.str("cpu");
        self.int(a.storage().len() as i64);
        self.out.push(b't');
        self.out.push(b'Q');
        self.int(a.storage_offset() as i64);
        self.tuple(a.shape().iter(), |p, &d| p.int(d as i64));
        self.tuple(a.strides().iter(), |p, &s| p.int(s as i64));
        self.out.push(if requires_grad { 0x88 } else { 0x89 });
        self.global("collections", "OrderedDict");
        self.out.extend_from_slice(b")R");
        self.out.push(b't');
        self.out.push(b'R');
    }
}
