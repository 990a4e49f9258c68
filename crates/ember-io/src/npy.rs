//! numpy's `.npy` format: a magic string, a version, a Python-dict header (`descr`,
//! `fortran_order`, `shape`) and the raw elements.
//!
//! dtypes: `<f4` float32, `<f8` float64, `<f2` float16, `<i8` int64, `<i4` int32, `|u1`
//! uint8, `|b1` bool, in either byte order (`>` big-endian files are swapped on reading).
//! Any other `descr` (int8, int16, complex, strings, structured records) is
//! [`Error::Unsupported`](crate::Error::Unsupported) naming it. numpy has no bfloat16, so
//! writing a bf16 tensor is an `Unsupported` error too, rather than a silent conversion:
//! convert it first (`t.to_dtype(DType::F32)` is exact). Header versions 1, 2 and 3 are read;
//! writing uses version 1 (2 for headers over 64 KiB), C order, data aligned to 64 bytes as
//! numpy does.

use std::path::Path;

use ember_autograd::Tensor;
use ember_tensor::DType;

use crate::atomic::write_bytes_atomic;
use crate::bytes::{array_from_bytes, array_to_le_bytes, checked_numel, shaped, strides_fit};
use crate::error::{Result, corrupt, io, memory_path, unsupported};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
const ALIGN: usize = 64;

/// Reads a `.npy` file.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when the file cannot be read;
/// [`Error::Corrupt`](crate::Error::Corrupt) for a bad magic, header or size;
/// [`Error::Unsupported`](crate::Error::Unsupported) for dtypes Ember lacks.
///
/// ```
/// use ember_autograd::Tensor;
/// let path = std::env::temp_dir().join(format!("ember-io-doc-{}.npy", std::process::id()));
/// ember_io::npy::write_npy(&path, &Tensor::from([[1i32, 2], [3, 4]]))?;
/// let t = ember_io::npy::read_npy(&path)?;
/// assert_eq!((t.shape(), t.to_vec::<i32>()), (&[2usize, 2][..], vec![1, 2, 3, 4]));
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), ember_io::Error>(())
/// ```
pub fn read_npy(path: impl AsRef<Path>) -> Result<Tensor> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| io(path, e))?;
    parse(path, &bytes)
}

/// [`read_npy`] from bytes in memory.
///
/// # Errors
/// As [`read_npy`].
///
/// ```
/// let t = ember_autograd::Tensor::from([true, false]);
/// let bytes = ember_io::npy::npy_to_bytes(&t)?;
/// assert_eq!(ember_io::npy::read_npy_from_bytes(&bytes)?.to_vec::<bool>(), [true, false]);
/// # Ok::<(), ember_io::Error>(())
/// ```
pub fn read_npy_from_bytes(bytes: &[u8]) -> Result<Tensor> {
    parse(&memory_path(), bytes)
}

/// Writes `tensor` as a `.npy` file (C order), atomically.
///
/// # Errors
/// [`Error::Unsupported`](crate::Error::Unsupported) for bf16;
/// [`Error::Io`](crate::Error::Io) when the file cannot be written.
///
/// ```
/// use ember_autograd::Tensor;
/// let path = std::env::temp_dir().join(format!("ember-io-doc-bf16-{}.npy", std::process::id()));
/// let t = Tensor::from([1.0f32]).to_dtype(ember_tensor::DType::BF16);
/// assert!(ember_io::npy::write_npy(&path, &t).is_err()); // numpy has no bfloat16
/// ```
pub fn write_npy(path: impl AsRef<Path>, tensor: &Tensor) -> Result<()> {
    let path = path.as_ref();
    let bytes = encode(path, tensor)?;
    write_bytes_atomic(path, &bytes)
}

/// The bytes of [`write_npy`].
///
/// # Errors
/// [`Error::Unsupported`](crate::Error::Unsupported) for bf16.
pub fn npy_to_bytes(tensor: &Tensor) -> Result<Vec<u8>> {
    encode(&memory_path(), tensor)
}

pub(crate) fn descr(dtype: DType) -> Option<&'static str> {
    Some(match dtype {
        DType::F32 => "<f4",
        DType::F64 => "<f8",
        DType::F16 => "<f2",
        DType::I64 => "<i8",
        DType::I32 => "<i4",
        DType::U8 => "|u1",
        DType::Bool => "|b1",
        DType::BF16 => return None,
    })
}

pub(crate) fn encode(path: &Path, tensor: &Tensor) -> Result<Vec<u8>> {
    let a = tensor.data();
    let Some(descr) = descr(a.dtype()) else {
        return Err(unsupported(
            path,
            "numpy has no bfloat16 dtype: convert the tensor first, e.g. \
             .to_dtype(DType::F32), which is exact",
        ));
    };
    let shape = match a.shape() {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let (version, len_bytes) = if header.len() + 1 + 10 < 65536 {
        (1u8, 2)
    } else {
        (2u8, 4)
    };
    let prefix = MAGIC.len() + 2 + len_bytes;
    let total = (prefix + header.len() + 1).div_ceil(ALIGN) * ALIGN;
    while prefix + header.len() + 1 < total {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::with_capacity(total + a.numel() * a.dtype().size_in_bytes());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&array_to_le_bytes(a));
    Ok(out)
}

pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Tensor> {
    if !bytes.starts_with(MAGIC) {
        return Err(corrupt(
            path,
            "not a .npy file: the magic string \\x93NUMPY is missing",
        ));
    }
    let Some(&[major, minor]) = bytes.get(6..8) else {
        return Err(corrupt(path, ".npy: truncated before the version"));
    };
    let (len, start): (usize, usize) = match major {
        1 => match bytes.get(8..10) {
            Some(b) => (u16::from_le_bytes([b[0], b[1]]) as usize, 10),
            None => return Err(corrupt(path, ".npy: truncated before the header length")),
        },
        2 | 3 => match bytes.get(8..12) {
            Some(b) => (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12),
            None => return Err(corrupt(path, ".npy: truncated before the header length")),
        },
        _ => {
            return Err(unsupported(
                path,
                format!(".npy format version {major}.{minor} (known: 1.0, 2.0, 3.0)"),
            ));
        }
    };
    let Some(header) = bytes.get(start..start.saturating_add(len)) else {
        return Err(corrupt(
            path,
            format!(".npy: the header declares {len} bytes but the file ends before"),
        ));
    };
    let header =
        std::str::from_utf8(header).map_err(|_| corrupt(path, ".npy: the header is not text"))?;
    let h =
        Header::parse(header).map_err(|e| corrupt(path, format!(".npy header {header:?}: {e}")))?;
    let (dtype, big_endian) = dtype_of(&h.descr).ok_or_else(|| {
        unsupported(
            path,
            format!(
                ".npy dtype {:?} is not supported (Ember reads <f4, <f8, <f2, <i8, <i4, |u1, \
                 |b1, in either byte order)",
                h.descr
            ),
        )
    })?;
    let data = &bytes[start + len..];
    let numel = checked_numel(&h.shape)
        .filter(|_| strides_fit(&h.shape))
        .ok_or_else(|| corrupt(path, format!(".npy: shape {:?} overflows", h.shape)))?;
    let nbytes = numel.checked_mul(dtype.size_in_bytes());
    if nbytes != Some(data.len()) {
        return Err(corrupt(
            path,
            format!(
                ".npy: shape {:?} of {} needs {} bytes of data, the file has {}",
                h.shape,
                h.descr,
                nbytes.map_or("too many".to_string(), |n| n.to_string()),
                data.len()
            ),
        ));
    }
    let flat = array_from_bytes(dtype, data, big_endian);
    let a = if h.fortran_order && h.shape.len() > 1 {
        // Column-major: the reversed shape in row-major order, then the axes reversed.
        let rev: Vec<usize> = h.shape.iter().rev().copied().collect();
        let axes: Vec<isize> = (0..h.shape.len() as isize).rev().collect();
        shaped(flat, &rev).permute(&axes).contiguous()
    } else {
        shaped(flat, &h.shape)
    };
    Ok(Tensor::from_array(a))
}

/// The Ember dtype and byte order of a numpy `descr`.
fn dtype_of(descr: &str) -> Option<(DType, bool)> {
    let (order, code) = descr.split_at_checked(1)?;
    let big = match order {
        "<" | "|" | "=" => false,
        ">" => true,
        _ => return None,
    };
    let dtype = match code {
        "f4" => DType::F32,
        "f8" => DType::F64,
        "f2" => DType::F16,
        "i8" => DType::I64,
        "i4" => DType::I32,
        "u1" => DType::U8,
        "b1" => DType::Bool,
        _ => return None,
    };
    Some((dtype, big && dtype.size_in_bytes() > 1))
}

/// The fields of a `.npy` header.
struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

impl Header {
    /// Parses the Python dict literal numpy writes: `{'descr': '<f4', 'fortran_order': False,
    /// 'shape': (2, 3), }` (keys in any order, trailing commas and spaces allowed).
    fn parse(s: &str) -> std::result::Result<Header, String> {
        let mut p = Lit {
            s: s.as_bytes(),
            i: 0,
        };
        p.expect(b'{')?;
        let (mut descr, mut fortran, mut shape) = (None, None, None);
        loop {
            p.ws();
            if p.eat(b'}') {
                break;
            }
            let key = p.string()?;
            p.ws();
            p.expect(b':')?;
            p.ws();
            match key.as_str() {
                "descr" => {
                    descr =
                        Some(p.string().map_err(|e| {
                            format!("descr: {e} (structured dtypes are not supported)")
                        })?)
                }
                "fortran_order" => fortran = Some(p.boolean()?),
                "shape" => shape = Some(p.tuple()?),
                other => return Err(format!("unknown key {other:?}")),
            }
            p.ws();
            if !p.eat(b',') {
                p.ws();
                p.expect(b'}')?;
                break;
            }
        }
        Ok(Header {
            descr: descr.ok_or("no 'descr'")?,
            fortran_order: fortran.ok_or("no 'fortran_order'")?,
            shape: shape.ok_or("no 'shape'")?,
        })
    }
}

/// A cursor over a Python literal.
struct Lit<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lit<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected {:?} at character {}", c as char, self.i))
        }
    }
    fn string(&mut self) -> std::result::Result<String, String> {
        let q = match self.s.get(self.i) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a string at character {}", self.i)),
        };
        self.i += 1;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != q {
            self.i += 1;
        }
        if self.i >= self.s.len() {
            return Err("unterminated string".into());
        }
        let out = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        Ok(out)
    }
    fn boolean(&mut self) -> std::result::Result<bool, String> {
        let rest = &self.s[self.i..];
        if rest.starts_with(b"True") {
            self.i += 4;
            Ok(true)
        } else if rest.starts_with(b"False") {
            self.i += 5;
            Ok(false)
        } else {
            Err(format!("expected True or False at character {}", self.i))
        }
    }
    fn tuple(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut out = Vec::new();
        loop {
            self.ws();
            if self.eat(b')') {
                return Ok(out);
            }
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
            // numpy may write `2L` (Python 2 longs).
            let digits = std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default();
            let n: usize = digits
                .parse()
                .map_err(|_| format!("expected a dimension at character {start}"))?;
            self.eat(b'L');
            out.push(n);
            self.ws();
            if !self.eat(b',') {
                self.ws();
                self.expect(b')')?;
                return Ok(out);
            }
        }
    }
}
