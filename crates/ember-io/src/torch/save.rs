//! Writing the zip format of `torch.save`, which `torch.load(path, weights_only=True)` reads.

use std::io::{Cursor, Seek, Write};
use std::path::Path;

use ember_nn::StateDict;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::atomic::write_atomic;
use crate::bytes::storage_to_le_bytes;
use crate::error::Result;
use crate::pickle::{PtValue, writer};

/// The folder every entry lives in (`torch.save` uses the file's stem; any name loads).
const ARCHIVE: &str = "archive";
/// Storages start at multiples of this many bytes, as PyTorch writes them (so that they can
/// be memory-mapped).
const ALIGNMENT: u16 = 64;

/// Writes `value` in PyTorch's zip format (pickle protocol 2, `archive/data.pkl`,
/// `archive/data/<key>` storages aligned to 64 bytes, `byteorder` little, `version` 3),
/// atomically. Tensors that share a storage are written as views of one storage, which is
/// stored once and whole (as PyTorch does: saving a small slice of a big tensor writes the
/// big storage; save a copy, `Tensor::from_array(t.data().clone_array())`, to avoid that).
/// Dicts whose values are all tensors are written as `OrderedDict`, like a
/// PyTorch state dict.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when the file cannot be written (the old file, if any, is
/// then untouched).
///
/// ```
/// use ember_io::PtValue;
/// let path = std::env::temp_dir().join(format!("ember-io-doc-save-{}.pt", std::process::id()));
/// ember_io::torch::save(&PtValue::List(vec![PtValue::Float(0.5), PtValue::None]), &path)?;
/// assert_eq!(ember_io::torch::load(&path)?.as_list().map(|l| l.len()), Some(2));
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), ember_io::Error>(())
/// ```
pub fn save(value: &PtValue, path: impl AsRef<Path>) -> Result<()> {
    write_atomic(path, |w| write_zip(value, w))
}

/// [`save`] of a state dict (an `OrderedDict` of tensors, as `torch.save(model.state_dict())`).
///
/// # Errors
/// As [`save`].
///
/// ```
/// use ember_nn::{Linear, ModuleExt};
/// let path = std::env::temp_dir().join(format!("ember-io-doc-savesd-{}.pt", std::process::id()));
/// ember_io::torch::save_state_dict(&Linear::new(2, 2).state_dict(), &path)?;
/// assert_eq!(ember_io::load_state_dict_file(&path)?.len(), 2);
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), ember_io::Error>(())
/// ```
pub fn save_state_dict(state_dict: &StateDict, path: impl AsRef<Path>) -> Result<()> {
    save(&PtValue::from(state_dict), path)
}

/// The bytes [`save`] would write.
///
/// # Errors
/// None in practice (writing to memory); the `Result` mirrors [`save`].
///
/// ```
/// let bytes = ember_io::torch::save_to_bytes(&ember_io::PtValue::Str("hi".into()))?;
/// assert!(bytes.starts_with(b"PK"));
/// # Ok::<(), ember_io::Error>(())
/// ```
pub fn save_to_bytes(value: &PtValue) -> Result<Vec<u8>> {
    let mut cur = Cursor::new(Vec::new());
    write_zip(value, &mut cur).map_err(|e| crate::error::io(&crate::error::memory_path(), e))?;
    Ok(cur.into_inner())
}

fn write_zip<W: Write + Seek>(value: &PtValue, w: W) -> std::io::Result<()> {
    let pickled = writer::pickle(value);
    let mut zip = ZipWriter::new(w);
    let opts = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .with_alignment(ALIGNMENT);
    let entry = |zip: &mut ZipWriter<W>, name: &str, bytes: &[u8]| -> std::io::Result<()> {
        let opts = opts.large_file(bytes.len() as u64 >= u32::MAX as u64);
        zip.start_file(format!("{ARCHIVE}/{name}"), opts)?;
        zip.write_all(bytes)
    };
    entry(&mut zip, "data.pkl", &pickled.bytes)?;
    entry(&mut zip, ".format_version", b"1")?;
    entry(
        &mut zip,
        ".storage_alignment",
        ALIGNMENT.to_string().as_bytes(),
    )?;
    entry(&mut zip, "byteorder", b"little")?;
    for st in &pickled.storages {
        entry(
            &mut zip,
            &format!("data/{}", st.key),
            &storage_to_le_bytes(&st.array),
        )?;
    }
    entry(&mut zip, "version", b"3\n")?;
    zip.finish()?;
    Ok(())
}
