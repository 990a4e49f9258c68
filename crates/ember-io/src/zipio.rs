//! Reading zip entries with bounded memory: an entry's declared size is checked against what
//! its compressed bytes can possibly hold before a buffer is allocated for it.

use std::io::{Read, Seek};
use std::path::Path;

use zip::ZipArchive;
use zip::result::ZipError;

use crate::error::{Result, corrupt, zip_err};

/// Deflate expands at most ~1032:1; anything declaring more is lying.
const MAX_RATIO: u64 = 1100;

/// Opens a zip archive.
pub(crate) fn open<R: Read + Seek>(path: &Path, reader: R) -> Result<ZipArchive<R>> {
    ZipArchive::new(reader).map_err(|e| zip_err(path, e))
}

/// The whole of entry `name`. With `expected`, its size must be exactly that many bytes.
pub(crate) fn read_entry<R: Read + Seek>(
    path: &Path,
    zip: &mut ZipArchive<R>,
    name: &str,
    file_len: u64,
    expected: Option<usize>,
) -> Result<Vec<u8>> {
    let mut entry = match zip.by_name(name) {
        Ok(e) => e,
        Err(ZipError::FileNotFound) => {
            return Err(corrupt(path, format!("the archive has no entry `{name}`")));
        }
        Err(e) => return Err(zip_err(path, e)),
    };
    let size = entry.size();
    let bound = entry
        .compressed_size()
        .min(file_len)
        .saturating_mul(MAX_RATIO)
        .saturating_add(4096);
    if let Some(exp) = expected
        && size != exp as u64
    {
        return Err(corrupt(
            path,
            format!("entry `{name}` holds {size} bytes, but {exp} are expected"),
        ));
    }
    if size > bound {
        return Err(corrupt(
            path,
            format!(
                "entry `{name}` declares {size} bytes, more than its {} compressed bytes can hold",
                entry.compressed_size()
            ),
        ));
    }
    // Reserve only what the compressed bytes are known to hold: a lying size then costs
    // nothing until the data really arrives.
    let mut buf = Vec::with_capacity(size.min(entry.compressed_size()).min(file_len) as usize);
    // One byte more than declared: reading to the entry's end is what makes the zip reader
    // check the CRC, and a longer entry shows up as a size mismatch.
    (&mut entry)
        .take(size + 1)
        .read_to_end(&mut buf)
        .map_err(|e| corrupt(path, format!("entry `{name}`: {e}")))?;
    if buf.len() as u64 != size {
        return Err(corrupt(
            path,
            format!("entry `{name}` is truncated: {} of {size} bytes", buf.len()),
        ));
    }
    Ok(buf)
}
