//! Atomic file replacement: every writer of ember-io goes through [`write_atomic`], so a
//! process killed at any moment leaves either the old file or the new one at the path, never
//! a half-written mix.
//!
//! How: the bytes go to a temporary file in the same directory (same file system, so the
//! rename is atomic), the file is flushed to disk (`fsync`), renamed over the target, and the
//! directory is flushed so that the rename itself survives a power cut. The temporary file is
//! named `.<target name>.ember-tmp-<pid>-<n>`: a process killed before its rename leaves one
//! behind, and the next write to the same target removes the ones whose process is gone
//! (checked through `/proc` where it exists; elsewhere they are only removed by
//! [`clean_stale_temp_files`]).

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Result, io};

const TMP_MARK: &str = ".ember-tmp-";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `path` atomically: `write` fills a buffered temporary file which then replaces
/// `path` in one rename. On any error (or a panic in `write`) the temporary file is removed
/// and `path` is untouched.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) naming `path` when the directory is not writable, the disk
/// is full, or `write` fails.
///
/// ```
/// use std::io::Write;
/// let dir = std::env::temp_dir().join(format!("ember-io-doc-atomic-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("hello.txt");
/// ember_io::write_atomic(&path, |w| w.write_all(b"hello"))?;
/// assert_eq!(std::fs::read(&path)?, b"hello");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_atomic(
    path: impl AsRef<Path>,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<()> {
    let path = path.as_ref();
    let (dir, name) = split(path)?;
    // Best effort: a failure to clean up old leftovers must not stop this write.
    let _ = remove_dead_temp_files(&dir, &name);
    let tmp = dir.join(format!(
        ".{name}{TMP_MARK}{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let guard = TempGuard(Some(tmp.clone()));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| io(path, e))?;
    let mut w = BufWriter::new(file);
    write(&mut w).map_err(|e| io(path, e))?;
    let file = w.into_inner().map_err(|e| io(path, e.into_error()))?;
    file.sync_all().map_err(|e| io(path, e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| io(path, e))?;
    std::mem::forget(guard);
    sync_dir(&dir).map_err(|e| io(path, e))?;
    Ok(())
}

/// [`write_atomic`] of a byte slice.
///
/// # Errors
/// As [`write_atomic`].
///
/// ```
/// let path = std::env::temp_dir().join(format!("ember-io-doc-bytes-{}", std::process::id()));
/// ember_io::write_bytes_atomic(&path, b"abc")?;
/// assert_eq!(std::fs::read(&path)?, b"abc");
/// # let _ = std::fs::remove_file(&path);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_bytes_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| w.write_all(bytes))
}

/// Removes the temporary files that interrupted writes to `path` left behind (all of them,
/// whichever process made them: call it when no other process is writing `path`). Returns
/// how many were removed.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when the directory cannot be listed.
///
/// ```
/// let path = std::env::temp_dir().join("ember-io-doc-never-written.pt");
/// assert_eq!(ember_io::clean_stale_temp_files(&path)?, 0);
/// # Ok::<(), ember_io::Error>(())
/// ```
pub fn clean_stale_temp_files(path: impl AsRef<Path>) -> Result<usize> {
    let path = path.as_ref();
    let (dir, name) = split(path)?;
    let mut removed = 0;
    for (tmp, _) in temp_files(&dir, &name).map_err(|e| io(path, e))? {
        if fs::remove_file(&tmp).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// The temporary files of interrupted writes to `path` that are still there.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when the directory cannot be listed.
///
/// ```
/// let path = std::env::temp_dir().join("ember-io-doc-never-written-2.pt");
/// assert!(ember_io::atomic::stale_temp_files(&path)?.is_empty());
/// # Ok::<(), ember_io::Error>(())
/// ```
pub fn stale_temp_files(path: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let path = path.as_ref();
    let (dir, name) = split(path)?;
    Ok(temp_files(&dir, &name)
        .map_err(|e| io(path, e))?
        .into_iter()
        .map(|(p, _)| p)
        .collect())
}

/// The directory (`.` for a bare name) and the file name of `path`.
fn split(path: &Path) -> Result<(PathBuf, String)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the path has no (UTF-8) file name to write to",
                ),
            )
        })?
        .to_string();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

/// Temporary files for target `name` in `dir`, with the pid that made each.
fn temp_files(dir: &Path, name: &str) -> std::io::Result<Vec<(PathBuf, Option<u32>)>> {
    let prefix = format!(".{name}{TMP_MARK}");
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        out.push((entry.path(), pid));
    }
    Ok(out)
}

/// Removes the temporary files of processes that no longer run (only where `/proc` says so).
fn remove_dead_temp_files(dir: &Path, name: &str) -> std::io::Result<()> {
    let proc = Path::new("/proc/self");
    if !proc.exists() {
        return Ok(());
    }
    for (tmp, pid) in temp_files(dir, name)? {
        if let Some(pid) = pid
            && pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = fs::remove_file(tmp);
        }
    }
    Ok(())
}

/// Makes a rename in `dir` durable (POSIX: fsync the directory). Other systems make renames
/// durable on their own or offer no way to ask.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Removes the temporary file unless forgotten (after the rename).
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}
