//! Reading what `torch.save` writes: the zip format (PyTorch ≥ 1.6) and the legacy format
//! (a sequence of pickles followed by raw storages).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

use ember_nn::StateDict;

use crate::error::{Error, Result, corrupt, io, memory_path, unsupported};
use crate::pickle::{self, PtValue, StorageRef, unpickle};
use crate::zipio;

/// The first pickle of a legacy file: protocol 2, `LONG1` of 10 bytes holding
/// 0x1950a86a20f9469cfc6c (little-endian), `STOP`.
const LEGACY_MAGIC: [u8; 15] = [
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
];
const LEGACY_PROTOCOL_VERSION: i64 = 1001;

/// Reads a file written by `torch.save` (zip or legacy format) into a [`PtValue`] tree.
///
/// Storages tagged with a GPU location (`cuda:0`, `mps`) load to the CPU. Tensors that shared
/// a storage in the file share one storage here (`t` and `t[1:]` stay views of each other).
/// Only the globals that `torch.load(weights_only=True)` accepts are honoured; anything else
/// is [`Error::ForbiddenGlobal`] and nothing in the file is executed.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Corrupt`] for malformed data (bad
/// magic, truncation, sizes that do not add up); [`Error::ForbiddenGlobal`];
/// [`Error::Unsupported`] for dtypes Ember lacks (complex, int16, ...).
///
/// ```
/// use ember_io::PtValue;
/// let path = std::env::temp_dir().join(format!("ember-io-doc-load-{}.pt", std::process::id()));
/// let t = ember_autograd::Tensor::from([1.0f32, 2.0]);
/// let v = PtValue::Dict(vec![("w".into(), t.into()), ("step".into(), PtValue::Int(7))]);
/// ember_io::torch::save(&v, &path)?;
/// let back = ember_io::torch::load(&path)?;
/// assert_eq!(back.get("step").and_then(PtValue::as_int), Some(7));
/// assert_eq!(back.get("w").and_then(PtValue::as_tensor).unwrap().to_vec::<f32>(), [1.0, 2.0]);
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load(path: impl AsRef<Path>) -> Result<PtValue> {
    let path = path.as_ref();
    let mut file = File::open(path).map_err(|e| io(path, e))?;
    let len = file.metadata().map_err(|e| io(path, e))?.len();
    let mut head = [0u8; 4];
    let n = read_up_to(&mut file, &mut head).map_err(|e| io(path, e))?;
    file.rewind().map_err(|e| io(path, e))?;
    if head[..n] == *b"PK\x03\x04" || head[..n] == *b"PK\x05\x06" {
        load_zip(path, BufReader::new(file), len)
    } else {
        let mut data = Vec::new();
        file.read_to_end(&mut data).map_err(|e| io(path, e))?;
        load_legacy(path, &data)
    }
}

/// [`load`] from bytes in memory (errors name the path `<memory>`).
///
/// # Errors
/// As [`load`].
///
/// ```
/// let bytes = ember_io::torch::save_to_bytes(&ember_io::PtValue::Int(5))?;
/// assert_eq!(ember_io::torch::load_from_bytes(&bytes)?.as_int(), Some(5));
/// # Ok::<(), ember_io::Error>(())
/// ```
pub fn load_from_bytes(bytes: &[u8]) -> Result<PtValue> {
    let path = memory_path();
    if bytes.starts_with(b"PK") {
        load_zip(&path, Cursor::new(bytes), bytes.len() as u64)
    } else {
        load_legacy(&path, bytes)
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// How many values a pickle of `len` bytes may expand to (see [`pickle::to_value`]).
fn budget(len: usize) -> usize {
    1_000_000usize.saturating_add(len.saturating_mul(64))
}

fn load_zip<R: Read + Seek>(path: &Path, reader: R, file_len: u64) -> Result<PtValue> {
    let mut zip = zipio::open(path, reader)?;
    // The archive's top folder is named after the file that was saved; find it from data.pkl.
    let pkl = zip
        .file_names()
        .filter(|n| *n == "data.pkl" || n.ends_with("/data.pkl"))
        .min_by_key(|n| n.len())
        .map(str::to_string)
        .ok_or_else(|| {
            corrupt(
                path,
                "a zip archive without a `data.pkl` entry: not a file written by torch.save",
            )
        })?;
    let prefix = &pkl[..pkl.len() - "data.pkl".len()];
    let big_endian = match zip.index_for_name(&format!("{prefix}byteorder")) {
        None => false,
        Some(_) => {
            let b = zipio::read_entry(
                path,
                &mut zip,
                &format!("{prefix}byteorder"),
                file_len,
                None,
            )?;
            match b.as_slice() {
                b"little" => false,
                b"big" => true,
                other => {
                    return Err(corrupt(
                        path,
                        format!(
                            "byteorder is {:?}, not little or big",
                            String::from_utf8_lossy(other)
                        ),
                    ));
                }
            }
        }
    };
    let data = zipio::read_entry(path, &mut zip, &pkl, file_len, None)?;
    let un = unpickle(path, &data, 0)?;
    let mut read_storage = |st: &StorageRef, nbytes: usize| {
        zipio::read_entry(
            path,
            &mut zip,
            &format!("{prefix}data/{}", st.key),
            file_len,
            Some(nbytes),
        )
    };
    pickle::to_value(
        &un.value,
        path,
        big_endian,
        budget(data.len()),
        &mut read_storage,
    )
}

fn load_legacy(path: &Path, data: &[u8]) -> Result<PtValue> {
    if !data.starts_with(&LEGACY_MAGIC) {
        let what = if data.len() > 262 && &data[257..262] == b"ustar" {
            "a tar archive: the pre-0.4 PyTorch tar format is not supported (load it in PyTorch \
             and save it again)"
        } else {
            "not a PyTorch file: neither a zip archive nor the legacy format's magic number"
        };
        return Err(corrupt(path, what));
    }
    let proto = unpickle(path, data, LEGACY_MAGIC.len())?;
    match proto.value {
        pickle::Obj::Int(LEGACY_PROTOCOL_VERSION) => {}
        _ => {
            return Err(unsupported(
                path,
                format!("legacy format: protocol version is not {LEGACY_PROTOCOL_VERSION}"),
            ));
        }
    }
    let sys_info = unpickle(path, data, proto.end)?;
    let big_endian = match &sys_info.value {
        pickle::Obj::Dict(d) => d.borrow().iter().any(|(k, v)| {
            matches!(k, pickle::Obj::Str(s) if &**s == "little_endian")
                && matches!(v, pickle::Obj::Bool(false))
        }),
        _ => {
            return Err(corrupt(
                path,
                "legacy format: the system-info pickle is not a dict",
            ));
        }
    };
    let main = unpickle(path, data, sys_info.end)?;
    let keys_pickle = unpickle(path, data, main.end)?;
    let keys: Vec<String> = match &keys_pickle.value {
        pickle::Obj::List(l) => l
            .borrow()
            .iter()
            .map(|k| match k {
                pickle::Obj::Str(s) => Ok(s.to_string()),
                _ => Err(corrupt(
                    path,
                    "legacy format: a storage key is not a string",
                )),
            })
            .collect::<Result<_>>()?,
        _ => {
            return Err(corrupt(
                path,
                "legacy format: the storage key list is not a list",
            ));
        }
    };
    // Element sizes come from the storage types the pickle named.
    let mut elem_size: HashMap<&str, usize> = HashMap::new();
    for st in &main.storages {
        elem_size.insert(&st.key, st.dtype.map_or(1, |d| d.size_in_bytes()));
    }
    let mut ranges: HashMap<String, (usize, usize)> = HashMap::new();
    let mut pos = keys_pickle.end;
    for key in &keys {
        let Some(&size) = elem_size.get(key.as_str()) else {
            return Err(corrupt(
                path,
                format!("legacy format: storage `{key}` is listed but no tensor uses it"),
            ));
        };
        let Some(head) = data.get(pos..pos + 8) else {
            return Err(corrupt(
                path,
                format!("legacy format: truncated before storage `{key}`"),
            ));
        };
        let numel = u64::from_le_bytes(head.try_into().expect("8 bytes"));
        pos += 8;
        let left = (data.len() - pos) as u64;
        let nbytes = numel
            .checked_mul(size as u64)
            .filter(|&n| n <= left)
            .ok_or_else(|| {
                corrupt(
                    path,
                    format!(
                        "legacy format: storage `{key}` declares {numel} elements of {size} bytes \
                     but only {left} bytes are left"
                    ),
                )
            })? as usize;
        ranges.insert(key.clone(), (pos, nbytes));
        pos += nbytes;
    }
    let mut read_storage = |st: &StorageRef, nbytes: usize| -> Result<Vec<u8>> {
        match ranges.get(&st.key) {
            Some(&(at, n)) if n == nbytes => Ok(data[at..at + n].to_vec()),
            Some(&(_, n)) => Err(corrupt(
                path,
                format!(
                    "storage `{}` holds {n} bytes, but its tensors expect {nbytes}",
                    st.key
                ),
            )),
            None => Err(corrupt(
                path,
                format!(
                    "storage `{}` is used but missing from the storage list",
                    st.key
                ),
            )),
        }
    };
    pickle::to_value(
        &main.value,
        path,
        big_endian,
        budget(data.len()),
        &mut read_storage,
    )
}

/// Reads the state dict in a file: a PyTorch file (zip or legacy) or a safetensors file. In a
/// PyTorch file it is the top-level dict when every value is a tensor, or else the dict under
/// `state_dict`, `model_state_dict`, `model` or `module` (Lightning and common training-loop
/// checkpoints).
///
/// # Errors
/// As [`load`]; [`Error::NoStateDict`] listing the top-level keys when no dict of tensors is
/// found.
///
/// ```
/// use ember_nn::{Linear, ModuleExt};
/// let path = std::env::temp_dir().join(format!("ember-io-doc-sd-{}.pt", std::process::id()));
/// let fc = Linear::new(3, 2);
/// ember_io::torch::save_state_dict(&fc.state_dict(), &path)?;
/// let sd = ember_io::load_state_dict_file(&path)?;
/// assert_eq!(sd.keys().collect::<Vec<_>>(), ["weight", "bias"]);
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_state_dict_file(path: impl AsRef<Path>) -> Result<StateDict> {
    let path = path.as_ref();
    if crate::safetensors::looks_like_safetensors(path) {
        return crate::safetensors::SafetensorsFile::open(path)?.load_all();
    }
    let value = load(path)?;
    state_dict_in(&value, path)
}

/// Keys under which checkpoints commonly keep the model's state dict.
const NESTED_KEYS: [&str; 4] = ["state_dict", "model_state_dict", "model", "module"];

/// The state dict in a loaded value (see [`load_state_dict_file`]).
pub(crate) fn state_dict_in(value: &PtValue, path: &Path) -> Result<StateDict> {
    if let Some(sd) = as_state_dict(value) {
        return Ok(sd);
    }
    for key in NESTED_KEYS {
        if let Some(sd) = value.get(key).and_then(as_state_dict) {
            return Ok(sd);
        }
    }
    Err(Error::NoStateDict {
        path: path.to_path_buf(),
        what: format!(
            "no state dict: the file holds a {} that is not a dict of tensors and has none \
             under {NESTED_KEYS:?}",
            value.type_name()
        ),
        keys: value.keys(),
    })
}

/// A dict whose keys are strings and values are tensors, as a state dict.
pub(crate) fn as_state_dict(value: &PtValue) -> Option<StateDict> {
    let d = value.as_dict()?;
    let mut sd = StateDict::new();
    for (k, v) in d {
        sd.insert(k.as_str()?, v.as_tensor()?.clone());
    }
    Some(sd)
}
