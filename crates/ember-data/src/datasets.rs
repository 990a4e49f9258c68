//! Readers for standard data sets: [`Mnist`] (also Fashion-MNIST, same format),
//! [`Cifar10`] (the binary version) and [`ImageFolder`] (PNG/JPEG files, one directory per
//! class).
//!
//! Each reader loads the whole set into memory as one `u8` buffer, checking it as it goes:
//! every problem with the files (missing, wrong magic number, wrong sizes, truncated, a bad
//! gzip stream) is a [`DataError`] that names the file and says what is wrong.

use std::io::Read;
use std::path::{Path, PathBuf};

use ember_autograd::Tensor;

use crate::transforms::Transform;
use crate::{DataError, Dataset};

pub use crate::image_folder::ImageFolder;

/// Reads a file whole, gunzipping it if it starts with the gzip magic bytes `1f 8b`.
///
/// ```
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
/// let bytes = ember_data::datasets::read_maybe_gz(&dir.join("t10k-labels-idx1-ubyte.gz")).unwrap();
/// assert_eq!(bytes.len(), 8 + 10_000);
/// ```
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::format(path, format!("bad gzip data: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// `dir/name`, or `dir/name.gz` if only that exists.
fn find(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let plain = dir.join(name);
    if plain.is_file() {
        return Ok(plain);
    }
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    Err(DataError::io(
        plain,
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("neither {name} nor {name}.gz found in {}", dir.display()),
        ),
    ))
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Parses an IDX file of unsigned bytes with `ndim` dimensions; returns the dims and the data.
fn parse_idx(path: &Path, bytes: Vec<u8>, ndim: usize) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let header = 4 + 4 * ndim;
    if bytes.len() < header {
        return Err(DataError::format(
            path,
            format!(
                "truncated: {} bytes, shorter than the {header}-byte IDX header",
                bytes.len()
            ),
        ));
    }
    let magic = be_u32(&bytes, 0);
    let expected = 0x0800 | ndim as u32;
    if magic != expected {
        return Err(DataError::format(
            path,
            format!(
                "bad magic number 0x{magic:08x}, expected 0x{expected:08x} (unsigned bytes, {ndim} dimensions)"
            ),
        ));
    }
    let dims: Vec<usize> = (0..ndim)
        .map(|i| be_u32(&bytes, 4 + 4 * i) as usize)
        .collect();
    let n: usize = dims.iter().product();
    let have = bytes.len() - header;
    if have < n {
        return Err(DataError::format(
            path,
            format!("truncated: dimensions {dims:?} need {n} bytes of data, found {have}"),
        ));
    }
    if have > n {
        return Err(DataError::format(
            path,
            format!(
                "{} unexpected bytes after the {n} bytes of data for dimensions {dims:?}",
                have - n
            ),
        ));
    }
    let mut data = bytes;
    data.drain(..header);
    Ok((dims, data))
}

/// MNIST (or Fashion-MNIST) from its IDX files (`torchvision.datasets.MNIST`). Items are
/// `(image, label)`: the image a `u8` tensor `[1, rows, cols]` (or whatever the transform
/// makes of it), the label an `i64`.
///
/// ```
/// use ember_data::{datasets::Mnist, transforms::ToTensor, Dataset};
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
/// let test = Mnist::new(&dir, false).unwrap().with_transform(ToTensor::chw());
/// assert_eq!(test.len(), 10_000);
/// let (img, label) = test.get(0).unwrap();
/// assert_eq!((img.shape(), label), (&[1usize, 28, 28][..], 7));
/// assert!(img.to_vec::<f32>().iter().all(|p| (0.0..=1.0).contains(p)));
/// ```
pub struct Mnist {
    images: Vec<u8>,
    labels: Vec<u8>,
    rows: usize,
    cols: usize,
    transform: Option<Box<dyn Transform>>,
}

impl Mnist {
    /// The training (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`) or test
    /// (`t10k-…`) split from `dir`; each file may be plain or gzipped (`.gz`), as in
    /// `data/mnist` and in Debian's `/usr/share/datasets/fashion-mnist/`.
    ///
    /// ```
    /// let e = ember_data::datasets::Mnist::new("/nonexistent", true).err().unwrap();
    /// assert!(e.to_string().contains("train-images-idx3-ubyte"));
    /// ```
    pub fn new(dir: impl AsRef<Path>, train: bool) -> Result<Mnist, DataError> {
        let dir = dir.as_ref();
        let prefix = if train { "train" } else { "t10k" };
        let images = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
        let labels = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
        Mnist::from_files(images, labels)
    }

    /// Reads the given image and label files (plain or gzipped).
    ///
    /// ```
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    /// let m = ember_data::datasets::Mnist::from_files(
    ///     dir.join("t10k-images-idx3-ubyte.gz"),
    ///     dir.join("t10k-labels-idx1-ubyte.gz"),
    /// ).unwrap();
    /// assert_eq!(m.image_size(), (28, 28));
    /// ```
    pub fn from_files(
        images: impl AsRef<Path>,
        labels: impl AsRef<Path>,
    ) -> Result<Mnist, DataError> {
        let (ipath, lpath) = (images.as_ref(), labels.as_ref());
        let (idims, images) = parse_idx(ipath, read_maybe_gz(ipath)?, 3)?;
        let (ldims, labels) = parse_idx(lpath, read_maybe_gz(lpath)?, 1)?;
        if idims[0] != ldims[0] {
            return Err(DataError::format(
                lpath,
                format!(
                    "{} labels but {} has {} images",
                    ldims[0],
                    ipath.display(),
                    idims[0]
                ),
            ));
        }
        if let Some(i) = labels.iter().position(|&l| l > 9) {
            return Err(DataError::format(
                lpath,
                format!("label {} at index {i} is not a digit class 0-9", labels[i]),
            ));
        }
        Ok(Mnist {
            images,
            labels,
            rows: idims[1],
            cols: idims[2],
            transform: None,
        })
    }

    /// Applies `transform` to each image in `get` (e.g. [`ToTensor::chw`](crate::transforms::ToTensor::chw)).
    ///
    /// ```
    /// use ember_autograd::DType;
    /// use ember_data::{datasets::Mnist, transforms::ToTensor, Dataset};
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    /// let m = Mnist::new(&dir, false).unwrap().with_transform(ToTensor::chw());
    /// assert_eq!(m.get(0).unwrap().0.dtype(), DType::F32);
    /// ```
    pub fn with_transform(mut self, transform: impl Transform + 'static) -> Mnist {
        self.transform = Some(Box::new(transform));
        self
    }

    /// `(rows, cols)` of each image.
    ///
    /// ```
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    /// assert_eq!(ember_data::datasets::Mnist::new(&dir, false).unwrap().image_size(), (28, 28));
    /// ```
    pub fn image_size(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// All labels, in order.
    ///
    /// ```
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    /// let m = ember_data::datasets::Mnist::new(&dir, false).unwrap();
    /// assert_eq!(&m.labels()[..3], [7, 2, 1]);
    /// ```
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// All pixels, image after image, row-major.
    ///
    /// ```
    /// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
    /// assert_eq!(ember_data::datasets::Mnist::new(&dir, false).unwrap().pixels().len(), 10_000 * 784);
    /// ```
    pub fn pixels(&self) -> &[u8] {
        &self.images
    }
}

impl Dataset for Mnist {
    type Item = (Tensor, i64);
    fn len(&self) -> usize {
        self.labels.len()
    }
    fn get(&self, index: usize) -> Result<(Tensor, i64), DataError> {
        if index >= self.len() {
            return Err(DataError::IndexOutOfRange {
                index,
                len: self.len(),
            });
        }
        let n = self.rows * self.cols;
        let img = Tensor::from_vec(
            self.images[index * n..(index + 1) * n].to_vec(),
            &[1, self.rows, self.cols],
        );
        let img = match &self.transform {
            Some(t) => t.apply(&img),
            None => img,
        };
        Ok((img, self.labels[index] as i64))
    }
}

/// CIFAR-10, binary version (`cifar-10-batches-bin`): records of 1 label byte and 3072 pixel
/// bytes (`3×32×32`, channels first). Items are `(image, label)`: a `u8` tensor `[3, 32, 32]`
/// (or the transform's result) and an `i64` in 0–9.
///
/// ```
/// // A one-record test batch in a temporary directory.
/// let dir = std::env::temp_dir().join(format!("ember-cifar-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let mut rec = vec![3u8];
/// rec.extend((0..3072).map(|i| (i % 256) as u8));
/// std::fs::write(dir.join("test_batch.bin"), &rec).unwrap();
/// use ember_data::{datasets::Cifar10, Dataset};
/// let c = Cifar10::new(&dir, false).unwrap();
/// let (img, label) = c.get(0).unwrap();
/// assert_eq!((img.shape(), label), (&[3usize, 32, 32][..], 3));
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub struct Cifar10 {
    data: Vec<u8>,
    transform: Option<Box<dyn Transform>>,
}

const CIFAR_RECORD: usize = 1 + 3 * 32 * 32;

impl Cifar10 {
    /// The training (`data_batch_1.bin` … `data_batch_5.bin`) or test (`test_batch.bin`)
    /// split from `dir` or from `dir/cifar-10-batches-bin`.
    ///
    /// ```
    /// assert!(ember_data::datasets::Cifar10::new("/nonexistent", false).is_err());
    /// ```
    pub fn new(dir: impl AsRef<Path>, train: bool) -> Result<Cifar10, DataError> {
        let mut dir = dir.as_ref().to_path_buf();
        if dir.join("cifar-10-batches-bin").is_dir() {
            dir = dir.join("cifar-10-batches-bin");
        }
        let names: Vec<String> = if train {
            (1..=5).map(|i| format!("data_batch_{i}.bin")).collect()
        } else {
            vec!["test_batch.bin".into()]
        };
        let mut data = Vec::new();
        for name in names {
            let path = find(&dir, &name)?;
            let bytes = read_maybe_gz(&path)?;
            if bytes.is_empty() || bytes.len() % CIFAR_RECORD != 0 {
                return Err(DataError::format(
                    &path,
                    format!(
                        "{} bytes is not a whole number of {CIFAR_RECORD}-byte records (truncated?)",
                        bytes.len()
                    ),
                ));
            }
            if let Some(r) = bytes.chunks(CIFAR_RECORD).position(|rec| rec[0] > 9) {
                return Err(DataError::format(
                    &path,
                    format!(
                        "record {r} has label {}, not a class 0-9",
                        bytes[r * CIFAR_RECORD]
                    ),
                ));
            }
            data.extend_from_slice(&bytes);
        }
        Ok(Cifar10 {
            data,
            transform: None,
        })
    }

    /// Applies `transform` to each image in `get`.
    ///
    /// ```
    /// use ember_data::{datasets::Cifar10, transforms::ToTensor};
    /// # let _ = |c: Cifar10| c.with_transform(ToTensor::chw());
    /// ```
    pub fn with_transform(mut self, transform: impl Transform + 'static) -> Cifar10 {
        self.transform = Some(Box::new(transform));
        self
    }
}

impl Dataset for Cifar10 {
    type Item = (Tensor, i64);
    fn len(&self) -> usize {
        self.data.len() / CIFAR_RECORD
    }
    fn get(&self, index: usize) -> Result<(Tensor, i64), DataError> {
        if index >= self.len() {
            return Err(DataError::IndexOutOfRange {
                index,
                len: self.len(),
            });
        }
        let rec = &self.data[index * CIFAR_RECORD..(index + 1) * CIFAR_RECORD];
        let img = Tensor::from_vec(rec[1..].to_vec(), &[3, 32, 32]);
        let img = match &self.transform {
            Some(t) => t.apply(&img),
            None => img,
        };
        Ok((img, rec[0] as i64))
    }
}
