//! MNIST reader tests on the bundled data.

use std::path::{Path, PathBuf};

use ember_data::Dataset;
use ember_data::datasets::{Mnist, read_maybe_gz};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ember-data-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn bundled_mnist() {
    let train = Mnist::new(dir(), true).unwrap();
    let test = Mnist::new(dir(), false).unwrap();
    assert_eq!((train.len(), test.len()), (60_000, 10_000));
    assert_eq!(&train.labels()[..5], [5, 0, 4, 1, 9]);
    assert_eq!(&test.labels()[..5], [7, 2, 1, 0, 4]);
    let (img, label) = train.get(0).unwrap();
    assert_eq!((img.shape(), label), (&[1usize, 28, 28][..], 5));
    let px = img.to_vec::<u8>();
    assert_eq!(
        (*px.iter().min().unwrap(), *px.iter().max().unwrap()),
        (0, 255)
    );
    assert!(train.get(60_000).is_err());
}

#[test]
fn plain_and_gz_agree_and_errors_name_the_file() {
    let d = tmp("mnist");
    // The test labels, plain.
    let labels = read_maybe_gz(&dir().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    std::fs::write(d.join("t10k-labels-idx1-ubyte"), &labels).unwrap();
    std::fs::copy(
        dir().join("t10k-images-idx3-ubyte.gz"),
        d.join("t10k-images-idx3-ubyte.gz"),
    )
    .unwrap();
    let a = Mnist::new(&d, false).unwrap();
    let b = Mnist::new(dir(), false).unwrap();
    assert_eq!(a.labels(), b.labels());
    assert_eq!(a.pixels(), b.pixels());

    // Truncated labels.
    std::fs::write(d.join("t10k-labels-idx1-ubyte"), &labels[..5000]).unwrap();
    let e = Mnist::new(&d, false).err().unwrap().to_string();
    assert!(
        e.contains("t10k-labels-idx1-ubyte") && e.contains("truncated"),
        "{e}"
    );

    // Wrong magic.
    let mut bad = labels.clone();
    bad[3] = 0x03;
    std::fs::write(d.join("t10k-labels-idx1-ubyte"), &bad).unwrap();
    let e = Mnist::new(&d, false).err().unwrap().to_string();
    assert!(
        e.contains("t10k-labels-idx1-ubyte") && e.contains("magic"),
        "{e}"
    );

    // A cut gzip stream.
    std::fs::write(d.join("t10k-labels-idx1-ubyte"), &labels).unwrap();
    let gz = std::fs::read(dir().join("t10k-images-idx3-ubyte.gz")).unwrap();
    std::fs::write(d.join("t10k-images-idx3-ubyte.gz"), &gz[..1000]).unwrap();
    let e = Mnist::new(&d, false).err().unwrap().to_string();
    assert!(e.contains("t10k-images-idx3-ubyte.gz"), "{e}");
    std::fs::remove_dir_all(&d).unwrap();
}
