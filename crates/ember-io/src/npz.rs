//! numpy's `.npz`: a zip archive of `.npy` files, stored (`np.savez`) or deflated
//! (`np.savez_compressed`). Arrays are named after their entries without `.npy`.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, Write};
use std::path::Path;

use ember_nn::StateDict;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::atomic::write_atomic;
use crate::error::{Result, corrupt, io, memory_path};
use crate::{npy, zipio};

/// Reads every array of a `.npz` file, in archive order, named as `np.load(path).files`.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io), [`Error::Zip`](crate::Error::Zip) for a bad archive, and
/// the errors of [`npy::read_npy`] for each member (naming the member).
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_nn::StateDict;
/// let path = std::env::temp_dir().join(format!("ember-io-doc-{}.npz", std::process::id()));
/// let mut arrays = StateDict::new();
/// arrays.insert("x", Tensor::from([1.0f64, 2.0]));
/// arrays.insert("idx", Tensor::from([3i64]));
/// ember_io::npz::write_npz_compressed(&path, &arrays)?;
/// let back = ember_io::npz::read_npz(&path)?;
/// assert_eq!(back.keys().collect::<Vec<_>>(), ["x", "idx"]);
/// assert_eq!(back["idx"].to_vec::<i64>(), [3]);
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), ember_io::Error>(())
/// ```
pub fn read_npz(path: impl AsRef<Path>) -> Result<StateDict> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| io(path, e))?;
    let len = file.metadata().map_err(|e| io(path, e))?.len();
    read(path, BufReader::new(file), len)
}

/// [`read_npz`] from bytes in memory.
///
/// # Errors
/// As [`read_npz`].
pub fn read_npz_from_bytes(bytes: &[u8]) -> Result<StateDict> {
    read(&memory_path(), Cursor::new(bytes), bytes.len() as u64)
}

fn read<R: Read + Seek>(path: &Path, reader: R, len: u64) -> Result<StateDict> {
    let mut zip = zipio::open(path, reader)?;
    let names: Vec<String> = (0..zip.len())
        .filter_map(|i| zip.name_for_index(i).map(str::to_string))
        .collect();
    let mut out = StateDict::new();
    for name in names {
        if name.ends_with('/') {
            continue;
        }
        let bytes = zipio::read_entry(path, &mut zip, &name, len, None)?;
        let member = path.join(&name);
        let t = npy::parse(&member, &bytes)?;
        let key = name.strip_suffix(".npy").unwrap_or(&name);
        if out.insert(key, t).is_some() {
            return Err(corrupt(path, format!("the archive holds `{name}` twice")));
        }
    }
    Ok(out)
}

/// Writes `arrays` as an uncompressed `.npz` (`np.savez`), atomically.
///
/// # Errors
/// [`Error::Unsupported`](crate::Error::Unsupported) for a bf16 array (see [`npy`]);
/// [`Error::Io`](crate::Error::Io).
pub fn write_npz(path: impl AsRef<Path>, arrays: &StateDict) -> Result<()> {
    write(path.as_ref(), arrays, CompressionMethod::Stored)
}

/// Writes `arrays` as a deflated `.npz` (`np.savez_compressed`), atomically.
///
/// # Errors
/// As [`write_npz`].
pub fn write_npz_compressed(path: impl AsRef<Path>, arrays: &StateDict) -> Result<()> {
    write(path.as_ref(), arrays, CompressionMethod::Deflated)
}

fn write(path: &Path, arrays: &StateDict, method: CompressionMethod) -> Result<()> {
    // Encode first: an unsupported dtype fails before the file is touched.
    let members = arrays
        .iter()
        .map(|(k, t)| Ok((format!("{k}.npy"), npy::encode(&path.join(k), t)?)))
        .collect::<Result<Vec<_>>>()?;
    write_atomic(path, |w| {
        let mut zip = ZipWriter::new(w);
        let opts = SimpleFileOptions::default().compression_method(method);
        for (name, bytes) in &members {
            let opts = opts.large_file(bytes.len() as u64 >= u32::MAX as u64);
            zip.start_file(name.as_str(), opts)?;
            zip.write_all(bytes)?;
        }
        zip.finish()?;
        Ok(())
    })
}
