//! safetensors files (Hugging Face): a JSON header of names, dtypes, shapes and byte ranges,
//! then the raw little-endian data. Reading maps the file into memory and copies out only the
//! tensors asked for; the header is parsed and validated by the `safetensors` crate.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use ember_autograd::Tensor;
use ember_nn::StateDict;
use ember_tensor::DType;
use memmap2::Mmap;
use safetensors::tensor::{Dtype, SafeTensors, View};

use crate::atomic::write_bytes_atomic;
use crate::bytes::{array_from_bytes, array_to_le_bytes, shaped, strides_fit};
use crate::error::{Error, Result, corrupt, io, memory_path, unsupported};

/// Name, dtype and shape of one tensor of a [`SafetensorsFile`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// The tensor's name.
    pub name: String,
    /// Its element type.
    pub dtype: DType,
    /// Its shape.
    pub shape: Vec<usize>,
}

enum Bytes {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// An open safetensors file: lists its tensors without reading them, and reads one tensor
/// on request ([`tensor`](SafetensorsFile::tensor)) or all ([`load_all`](SafetensorsFile::load_all)).
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_nn::StateDict;
/// let path = std::env::temp_dir().join(format!("ember-io-doc-st-{}.safetensors", std::process::id()));
/// let mut sd = StateDict::new();
/// sd.insert("w", Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]));
/// sd.insert("step", Tensor::from([5i64]));
/// ember_io::save_safetensors(&sd, None, &path)?;
///
/// let f = ember_io::SafetensorsFile::open(&path)?;
/// assert_eq!(f.names(), ["step", "w"]); // data order: the writer sorts by dtype size, then name
/// assert_eq!(f.info("w").unwrap().shape, [2, 2]);
/// assert_eq!(f.tensor("step")?.to_vec::<i64>(), [5]);
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), ember_io::Error>(())
/// ```
pub struct SafetensorsFile {
    path: PathBuf,
    bytes: Bytes,
    /// Start of the data section.
    data_start: usize,
    /// Tensors in file order, with their byte ranges in the data section.
    tensors: Vec<(TensorInfo, usize, usize)>,
    metadata: Option<HashMap<String, String>>,
}

impl SafetensorsFile {
    /// Opens and memory-maps `path`, reading only the header.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened; [`Error::Safetensors`] for a malformed
    /// header (bad length, JSON, offsets that overlap or leave the file);
    /// [`Error::Unsupported`] naming a tensor of a dtype Ember lacks.
    pub fn open(path: impl AsRef<Path>) -> Result<SafetensorsFile> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| io(path, e))?;
        let len = file.metadata().map_err(|e| io(path, e))?.len();
        let bytes = if len == 0 {
            Bytes::Owned(Vec::new())
        } else {
            // SAFETY: the map is only read. Another process truncating or rewriting the file
            // while it is mapped would change (or fault on) the bytes under us; that is the
            // usual contract of memory-mapped model files (the safetensors and PyTorch loaders
            // map the same way), and ember-io itself only ever replaces files by rename,
            // which leaves an open mapping intact.
            Bytes::Mapped(unsafe { Mmap::map(&file) }.map_err(|e| io(path, e))?)
        };
        SafetensorsFile::parse(path.to_path_buf(), bytes)
    }

    /// Parses a safetensors file held in memory (errors name the path `<memory>`).
    ///
    /// # Errors
    /// As [`open`](SafetensorsFile::open), without the I/O.
    ///
    /// ```
    /// let bytes = ember_io::save_safetensors_to_bytes(&ember_nn::StateDict::new(), None)?;
    /// assert!(ember_io::SafetensorsFile::from_bytes(bytes)?.names().is_empty());
    /// # Ok::<(), ember_io::Error>(())
    /// ```
    pub fn from_bytes(bytes: Vec<u8>) -> Result<SafetensorsFile> {
        SafetensorsFile::parse(memory_path(), Bytes::Owned(bytes))
    }

    fn parse(path: PathBuf, bytes: Bytes) -> Result<SafetensorsFile> {
        let (header_len, meta) =
            SafeTensors::read_metadata(bytes.as_slice()).map_err(|source| Error::Safetensors {
                path: path.clone(),
                source,
            })?;
        let mut tensors = Vec::new();
        for (name, info) in meta.tensors() {
            let dtype = from_st_dtype(info.dtype).ok_or_else(|| {
                unsupported(
                    &path,
                    format!(
                        "tensor `{name}` has dtype {:?}, which Ember lacks (it has F32, F64, \
                         F16, BF16, I64, I32, U8 and BOOL)",
                        info.dtype
                    ),
                )
            })?;
            let (start, end) = info.data_offsets;
            tensors.push((
                TensorInfo {
                    name,
                    dtype,
                    shape: info.shape.clone(),
                },
                start,
                end,
            ));
        }
        tensors.sort_by_key(|(t, start, _)| (*start, t.name.clone()));
        Ok(SafetensorsFile {
            path,
            data_start: 8 + header_len,
            metadata: meta.metadata().clone(),
            tensors,
            bytes,
        })
    }

    /// The tensor names, in the order of their data in the file (writers, the `safetensors`
    /// crate's and Python package's included, sort by dtype size and then by name, so this
    /// is not the order the tensors were handed to the writer).
    pub fn names(&self) -> Vec<&str> {
        self.tensors
            .iter()
            .map(|(t, _, _)| t.name.as_str())
            .collect()
    }

    /// Name, dtype and shape of every tensor, in file order.
    pub fn tensors(&self) -> Vec<&TensorInfo> {
        self.tensors.iter().map(|(t, _, _)| t).collect()
    }

    /// Dtype and shape of tensor `name`.
    pub fn info(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors
            .iter()
            .map(|(t, _, _)| t)
            .find(|t| t.name == name)
    }

    /// The free-form string metadata of the header (`__metadata__`).
    pub fn metadata(&self) -> Option<&HashMap<String, String>> {
        self.metadata.as_ref()
    }

    /// Reads tensor `name` (a copy: the file can be closed afterwards).
    ///
    /// # Errors
    /// [`Error::Corrupt`] when there is no tensor `name` (the message lists a few names).
    pub fn tensor(&self, name: &str) -> Result<Tensor> {
        let Some((info, start, end)) = self.tensors.iter().find(|(t, _, _)| t.name == name) else {
            let names: Vec<&str> = self.names().into_iter().take(20).collect();
            return Err(corrupt(
                &self.path,
                format!("no tensor `{name}` in the file; it has {names:?}"),
            ));
        };
        if !strides_fit(&info.shape) {
            return Err(corrupt(
                &self.path,
                format!("tensor `{name}`: shape {:?} overflows", info.shape),
            ));
        }
        // The header was validated: offsets lie inside the file and match the shape.
        let data = &self.bytes.as_slice()[self.data_start + start..self.data_start + end];
        let a = shaped(array_from_bytes(info.dtype, data, false), &info.shape);
        Ok(Tensor::from_array(a))
    }

    /// Reads every tensor, in file order.
    ///
    /// # Errors
    /// As [`tensor`](SafetensorsFile::tensor).
    pub fn load_all(&self) -> Result<StateDict> {
        let mut sd = StateDict::new();
        for name in self.names() {
            sd.insert(name, self.tensor(name)?);
        }
        Ok(sd)
    }
}

/// Writes `tensors` as a safetensors file (atomically), with optional string `metadata`.
/// Every tensor is written contiguous; the format has no shared storage, so views of one
/// storage are written as separate copies.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
///
/// ```
/// use std::collections::HashMap;
/// let path = std::env::temp_dir().join(format!("ember-io-doc-st2-{}.safetensors", std::process::id()));
/// let mut sd = ember_nn::StateDict::new();
/// sd.insert("b", ember_autograd::Tensor::from([true, false]));
/// let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
/// ember_io::save_safetensors(&sd, Some(&meta), &path)?;
/// let f = ember_io::SafetensorsFile::open(&path)?;
/// assert_eq!(f.metadata().unwrap()["format"], "pt");
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), ember_io::Error>(())
/// ```
pub fn save_safetensors(
    tensors: &StateDict,
    metadata: Option<&HashMap<String, String>>,
    path: impl AsRef<Path>,
) -> Result<()> {
    let path = path.as_ref();
    let bytes = serialize(tensors, metadata, path)?;
    write_bytes_atomic(path, &bytes)
}

/// The bytes [`save_safetensors`] would write.
///
/// # Errors
/// [`Error::Safetensors`] if the library refuses the data (it does not for valid tensors).
pub fn save_safetensors_to_bytes(
    tensors: &StateDict,
    metadata: Option<&HashMap<String, String>>,
) -> Result<Vec<u8>> {
    serialize(tensors, metadata, &memory_path())
}

fn serialize(
    tensors: &StateDict,
    metadata: Option<&HashMap<String, String>>,
    path: &Path,
) -> Result<Vec<u8>> {
    let views: Vec<(String, Owned)> = tensors
        .iter()
        .map(|(k, t)| {
            let a = t.data();
            (
                k.to_string(),
                Owned {
                    dtype: to_st_dtype(a.dtype()),
                    shape: a.shape().to_vec(),
                    data: array_to_le_bytes(a),
                },
            )
        })
        .collect();
    safetensors::serialize(views, &metadata.cloned()).map_err(|source| Error::Safetensors {
        path: path.to_path_buf(),
        source,
    })
}

/// A tensor's bytes in the form the `safetensors` crate writes.
struct Owned {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for Owned {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

fn from_st_dtype(d: Dtype) -> Option<DType> {
    Some(match d {
        Dtype::F32 => DType::F32,
        Dtype::F64 => DType::F64,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        Dtype::I64 => DType::I64,
        Dtype::I32 => DType::I32,
        Dtype::U8 => DType::U8,
        Dtype::BOOL => DType::Bool,
        _ => return None,
    })
}

fn to_st_dtype(d: DType) -> Dtype {
    match d {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
        DType::F16 => Dtype::F16,
        DType::BF16 => Dtype::BF16,
        DType::I64 => Dtype::I64,
        DType::I32 => Dtype::I32,
        DType::U8 => Dtype::U8,
        DType::Bool => Dtype::BOOL,
    }
}

/// True when `path` starts like a safetensors file (an 8-byte header length, then `{`).
pub(crate) fn looks_like_safetensors(path: &Path) -> bool {
    let mut head = [0u8; 9];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head[8] == b'{'
}
