//! [`ImageFolder`]: a labelled image set laid out as one sub-directory per class
//! (`torchvision.datasets.ImageFolder`), decoded with the `image` crate (PNG and JPEG).

use std::path::{Path, PathBuf};

use ember_autograd::Tensor;

use crate::transforms::Transform;
use crate::{DataError, Dataset};

/// The file extensions read (compared without case).
const EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// Images in `root/<class>/<file>`: classes are the sub-directories in sorted order (their
/// index is the label), files are taken in sorted order within each class, and only PNG and
/// JPEG files (`.png`, `.jpg`, `.jpeg`) count. Items are `(image, label)`: the image an RGB
/// `u8` tensor `[H, W, 3]` (the layout of a PIL image, which [`ToTensor::new`] turns into
/// `f32` `[3, H, W]`), or whatever the transform makes of it.
///
/// Files are decoded when an item is asked for, so a set larger than memory works; a file that
/// does not decode is a [`DataError`] naming it.
///
/// [`ToTensor::new`]: crate::transforms::ToTensor::new
///
/// ```
/// use ember_data::{datasets::ImageFolder, transforms::ToTensor, Dataset};
/// // Two classes with one 2×1 PNG each, written with the `image` crate.
/// let root = std::env::temp_dir().join(format!("ember-imagefolder-doc-{}", std::process::id()));
/// for (class, px) in [("cat", [255u8, 0, 0]), ("dog", [0, 0, 255])] {
///     std::fs::create_dir_all(root.join(class)).unwrap();
///     let img = image::RgbImage::from_fn(2, 1, |_, _| image::Rgb(px));
///     img.save(root.join(class).join("0.png")).unwrap();
/// }
/// let ds = ImageFolder::new(&root).unwrap().with_transform(ToTensor::new());
/// assert_eq!(ds.classes(), ["cat", "dog"]);
/// let (img, label) = ds.get(1).unwrap();
/// assert_eq!((img.shape(), label), (&[3usize, 1, 2][..], 1));
/// assert_eq!(img.to_vec::<f32>(), [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
/// std::fs::remove_dir_all(&root).unwrap();
/// ```
pub struct ImageFolder {
    classes: Vec<String>,
    samples: Vec<(PathBuf, usize)>,
    transform: Option<Box<dyn Transform>>,
}

impl ImageFolder {
    /// Scans `root`. An unreadable root, no class directory, or a class without a single
    /// image is an error.
    ///
    /// ```
    /// let e = ember_data::datasets::ImageFolder::new("/nonexistent/images").err().unwrap();
    /// assert!(e.to_string().contains("/nonexistent/images"));
    /// ```
    pub fn new(root: impl AsRef<Path>) -> Result<ImageFolder, DataError> {
        let root = root.as_ref();
        let mut classes = Vec::new();
        for entry in read_dir_sorted(root)? {
            if entry.is_dir() {
                let name = entry.file_name().map(|n| n.to_string_lossy().into_owned());
                classes.push((name.unwrap_or_default(), entry));
            }
        }
        if classes.is_empty() {
            return Err(DataError::format(
                root,
                "no class sub-directories (expected root/<class>/<image>)",
            ));
        }
        let mut samples = Vec::new();
        for (label, (name, dir)) in classes.iter().enumerate() {
            let before = samples.len();
            for file in read_dir_sorted(dir)? {
                if file.is_file() && has_image_extension(&file) {
                    samples.push((file, label));
                }
            }
            if samples.len() == before {
                return Err(DataError::format(
                    dir,
                    format!("class '{name}' holds no .png, .jpg or .jpeg file"),
                ));
            }
        }
        Ok(ImageFolder {
            classes: classes.into_iter().map(|(name, _)| name).collect(),
            samples,
            transform: None,
        })
    }

    /// Applies `transform` to each image in `get` (e.g. a `Compose` of `ToTensor`, `Resize`,
    /// `Normalize`).
    ///
    /// ```no_run
    /// use ember_data::{datasets::ImageFolder, transforms::{Compose, Resize, ToTensor}};
    /// let ds = ImageFolder::new("images/train")?
    ///     .with_transform(Compose::new().then(ToTensor::new()).then(Resize::new(224, 224)));
    /// # let _ = ds;
    /// # Ok::<(), ember_data::DataError>(())
    /// ```
    pub fn with_transform(mut self, transform: impl Transform + 'static) -> ImageFolder {
        self.transform = Some(Box::new(transform));
        self
    }

    /// The class names, in label order.
    ///
    /// ```no_run
    /// let ds = ember_data::datasets::ImageFolder::new("images/train")?;
    /// println!("{} classes: {:?}", ds.classes().len(), ds.classes());
    /// # Ok::<(), ember_data::DataError>(())
    /// ```
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Every `(file, label)`, in item order.
    ///
    /// ```no_run
    /// let ds = ember_data::datasets::ImageFolder::new("images/train")?;
    /// let (first, label) = &ds.samples()[0];
    /// println!("{} is class {label}", first.display());
    /// # Ok::<(), ember_data::DataError>(())
    /// ```
    pub fn samples(&self) -> &[(PathBuf, usize)] {
        &self.samples
    }
}

impl Dataset for ImageFolder {
    type Item = (Tensor, i64);
    fn len(&self) -> usize {
        self.samples.len()
    }
    fn get(&self, index: usize) -> Result<(Tensor, i64), DataError> {
        let Some((path, label)) = self.samples.get(index) else {
            return Err(DataError::IndexOutOfRange {
                index,
                len: self.len(),
            });
        };
        // The format is taken from the bytes, not the extension (`.JPG`, mislabelled files).
        let img = image::ImageReader::open(path)
            .map_err(|e| DataError::io(path, e))?
            .with_guessed_format()
            .map_err(|e| DataError::io(path, e))?
            .decode()
            .map_err(|e| DataError::format(path, format!("cannot decode the image: {e}")))?
            .into_rgb8();
        let (w, h) = (img.width() as usize, img.height() as usize);
        let img = Tensor::from_vec(img.into_raw(), &[h, w, 3]);
        let img = match &self.transform {
            Some(t) => t.apply(&img),
            None => img,
        };
        Ok((img, *label as i64))
    }
}

fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// The entries of `dir`, sorted by name.
fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))? {
        out.push(entry.map_err(|e| DataError::io(dir, e))?.path());
    }
    out.sort();
    Ok(out)
}
