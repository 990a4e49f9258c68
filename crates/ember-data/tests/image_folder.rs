//! ImageFolder over real PNG and JPEG files written with the `image` crate.

use std::path::PathBuf;

use ember_data::datasets::ImageFolder;
use ember_data::transforms::ToTensor;
use ember_data::{DataLoader, Dataset};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ember-imagefolder-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn reads_png_and_jpeg_in_sorted_class_order() {
    let root = tmp("ok");
    for c in ["b_dog", "a_cat"] {
        std::fs::create_dir_all(root.join(c)).unwrap();
    }
    // A 3×2 PNG with distinct pixels (lossless: compared exactly).
    let png = image::RgbImage::from_fn(3, 2, |x, y| image::Rgb([x as u8 * 40, y as u8 * 90, 7]));
    png.save(root.join("a_cat/1.png")).unwrap();
    // A flat grey JPEG (lossy, but a flat colour survives within a couple of levels).
    let jpg = image::RgbImage::from_fn(8, 8, |_, _| image::Rgb([128, 128, 128]));
    jpg.save_with_format(root.join("b_dog/x.JPG"), image::ImageFormat::Jpeg)
        .unwrap();
    std::fs::write(root.join("a_cat/notes.txt"), "not an image").unwrap();
    std::fs::write(root.join("README"), "a file at the root is no class").unwrap();

    let ds = ImageFolder::new(&root).unwrap();
    assert_eq!(ds.classes(), ["a_cat", "b_dog"]);
    assert_eq!(ds.len(), 2);
    let (img, label) = ds.get(0).unwrap();
    assert_eq!((img.shape(), label), (&[2usize, 3, 3][..], 0));
    let want: Vec<u8> = (0..2u8)
        .flat_map(|y| (0..3u8).flat_map(move |x| [x * 40, y * 90, 7]))
        .collect();
    assert_eq!(img.to_vec::<u8>(), want);
    let (img, label) = ds.get(1).unwrap();
    assert_eq!((img.shape(), label), (&[8usize, 8, 3][..], 1));
    assert!(img.to_vec::<u8>().iter().all(|&p| p.abs_diff(128) <= 2));
    assert!(matches!(
        ds.get(2),
        Err(ember_data::DataError::IndexOutOfRange { index: 2, len: 2 })
    ));

    // Through ToTensor and a loader: f32 CHW in [0, 1].
    let ds = ImageFolder::new(&root)
        .unwrap()
        .with_transform(ToTensor::new());
    let (img, _) = ds.get(0).unwrap();
    assert_eq!(img.shape(), [3, 2, 3]);
    assert_eq!(img.to_vec::<f32>()[..3], [0.0, 40.0 / 255.0, 80.0 / 255.0]);
    let loader = DataLoader::builder(ds).batch_size(1).build();
    assert_eq!(
        loader
            .iter()
            .map(|b| b.unwrap().1.to_vec::<i64>()[0])
            .collect::<Vec<_>>(),
        [0, 1]
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn bad_layouts_and_files_are_errors_that_name_the_path() {
    let root = tmp("bad");
    let e = ImageFolder::new(&root).err().unwrap().to_string();
    assert!(e.contains("no class sub-directories"), "{e}");

    std::fs::create_dir_all(root.join("empty")).unwrap();
    let e = ImageFolder::new(&root).err().unwrap().to_string();
    assert!(e.contains("empty") && e.contains("no .png"), "{e}");

    std::fs::write(
        root.join("empty/broken.png"),
        b"\x89PNG\r\n\x1a\n truncated",
    )
    .unwrap();
    let ds = ImageFolder::new(&root).unwrap();
    let e = ds.get(0).err().unwrap().to_string();
    assert!(
        e.contains("broken.png") && e.contains("cannot decode"),
        "{e}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}
