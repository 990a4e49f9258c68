//! Tensors to PNG images, as PyTorch's `add_image` / `add_images` make them.
//!
//! Pixel values: a `u8` tensor is taken as it is; any other dtype is converted to f32,
//! multiplied by 255, clipped to `0..=255` and truncated to `u8` (numpy's
//! `(x * 255).clip(0, 255).astype(np.uint8)`, so 0.999 becomes 254, as in PyTorch).
//!
//! Batches are tiled as `torch.utils.tensorboard._utils.make_grid` does: at most 8 images per
//! row, rows filled left to right, no padding, unused cells black.
//!
//! One deviation: PyTorch turns one-channel images into RGB before encoding; here they stay
//! grayscale PNGs (`colorspace` 1), a third of the size, displayed the same by TensorBoard.

use ember_autograd::{DType, Tensor};

use crate::proto::Image;

/// How the dims of an image tensor are laid out (PyTorch's `dataformats` strings).
///
/// `C` is 1 (grayscale), 3 (RGB) or 4 (RGBA).
///
/// ```
/// use ember_tensorboard::DataFormat;
/// assert_eq!(DataFormat::CHW.ndim(), 3);
/// assert_eq!(DataFormat::HW.ndim(), 2);
/// ```
// The variant names are PyTorch's format strings, which users search for.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// Channels, height, width (PyTorch's default for `add_image`; what conv layers output).
    CHW,
    /// Height, width, channels (what image files and numpy use).
    HWC,
    /// Height, width: one grayscale channel.
    HW,
}

impl DataFormat {
    /// Number of dims a tensor of this format has.
    ///
    /// ```
    /// assert_eq!(ember_tensorboard::DataFormat::HWC.ndim(), 3);
    /// ```
    pub fn ndim(self) -> usize {
        match self {
            DataFormat::CHW | DataFormat::HWC => 3,
            DataFormat::HW => 2,
        }
    }
}

/// An image as interleaved 8-bit pixels, row by row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pixels {
    pub(crate) height: usize,
    pub(crate) width: usize,
    pub(crate) channels: usize,
    /// `height * width * channels` bytes, HWC order.
    pub(crate) data: Vec<u8>,
}

/// The tensor's elements as `u8` pixel values (see the module doc for the scaling rule).
fn to_u8(tensor: &Tensor) -> Vec<u8> {
    // Through the level-1 array: no graph is recorded for a tensor that requires grad.
    let array = tensor.data();
    if array.dtype() == DType::U8 {
        return array.to_vec::<u8>();
    }
    let f = array.to_dtype(DType::F32).to_vec::<f32>();
    // `as u8` saturates and maps NaN to 0, as numpy's cast does on x86.
    f.into_iter()
        .map(|x| (x * 255.0).clamp(0.0, 255.0) as u8)
        .collect()
}

#[track_caller]
fn check_channels(op: &str, shape: &[usize], c: usize) {
    assert!(
        matches!(c, 1 | 3 | 4),
        "{op}: an image has 1, 3 or 4 channels, got {c} (shape {shape:?})"
    );
}

/// One image from a tensor laid out as `format`.
#[track_caller]
pub(crate) fn pixels_from_tensor(tensor: &Tensor, format: DataFormat) -> Pixels {
    let shape = tensor.shape();
    assert!(
        shape.len() == format.ndim(),
        "add_image: a {format:?} image has {} dims, got shape {shape:?} (use add_images for a batch)",
        format.ndim()
    );
    let (c, h, w) = match format {
        DataFormat::CHW => (shape[0], shape[1], shape[2]),
        DataFormat::HWC => (shape[2], shape[0], shape[1]),
        DataFormat::HW => (1, shape[0], shape[1]),
    };
    check_channels("add_image", shape, c);
    let src = to_u8(tensor);
    let data = match format {
        DataFormat::HWC | DataFormat::HW => src,
        DataFormat::CHW => chw_to_hwc(&src, c, h, w),
    };
    Pixels {
        height: h,
        width: w,
        channels: c,
        data,
    }
}

fn chw_to_hwc(src: &[u8], c: usize, h: usize, w: usize) -> Vec<u8> {
    let mut out = vec![0u8; src.len()];
    for ch in 0..c {
        for (i, &v) in src[ch * h * w..(ch + 1) * h * w].iter().enumerate() {
            out[i * c + ch] = v;
        }
    }
    out
}

/// A batch `[N, C, H, W]` tiled into one image, 8 per row at most.
#[track_caller]
pub(crate) fn grid_from_nchw(tensor: &Tensor) -> Pixels {
    let shape = tensor.shape();
    assert!(
        shape.len() == 4,
        "add_images: expected an NCHW batch (4 dims), got shape {shape:?}"
    );
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3]);
    assert!(n > 0, "add_images: the batch is empty (shape {shape:?})");
    check_channels("add_images", shape, c);
    let src = to_u8(tensor);
    let ncols = n.min(8);
    let nrows = n.div_ceil(ncols);
    let (gh, gw) = (h * nrows, w * ncols);
    let mut data = vec![0u8; gh * gw * c];
    for (i, img) in src.chunks_exact(c * h * w).enumerate() {
        let hwc = chw_to_hwc(img, c, h, w);
        let (y0, x0) = ((i / ncols) * h, (i % ncols) * w);
        for y in 0..h {
            let dst = ((y0 + y) * gw + x0) * c;
            data[dst..dst + w * c].copy_from_slice(&hwc[y * w * c..(y + 1) * w * c]);
        }
    }
    Pixels {
        height: gh,
        width: gw,
        channels: c,
        data,
    }
}

impl Pixels {
    /// PNG-encodes the pixels into a `Summary.Image`.
    pub(crate) fn to_image(&self) -> Result<Image, png::EncodingError> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
        enc.set_color(match self.channels {
            1 => png::ColorType::Grayscale,
            3 => png::ColorType::Rgb,
            _ => png::ColorType::Rgba,
        });
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(&self.data)?;
        writer.finish()?;
        Ok(Image {
            height: self.height as i32,
            width: self.width as i32,
            colorspace: self.channels as i32,
            encoded_image_string: out,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Decodes a PNG into (width, height, channels, pixels).
    pub(crate) fn decode_png(bytes: &[u8]) -> (u32, u32, usize, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        let c = match info.color_type {
            png::ColorType::Grayscale => 1,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("{other:?}"),
        };
        (info.width, info.height, c, buf)
    }

    #[test]
    fn float_scaling_truncates_and_clips_like_numpy() {
        let t = Tensor::from_vec(
            vec![0.0f32, 0.5, 0.999, 1.0, 1.5, -0.2, f32::NAN, 0.1],
            &[2, 4],
        );
        let p = pixels_from_tensor(&t, DataFormat::HW);
        // numpy: (np.array([...], np.float32) * 255).clip(0, 255).astype(np.uint8)
        assert_eq!(p.data, vec![0, 127, 254, 255, 255, 0, 0, 25]);
        assert_eq!((p.height, p.width, p.channels), (2, 4, 1));
    }

    #[test]
    fn u8_is_taken_as_is_and_f64_is_scaled() {
        let t = Tensor::from_vec(vec![0u8, 7, 200, 255], &[2, 2]);
        assert_eq!(
            pixels_from_tensor(&t, DataFormat::HW).data,
            vec![0, 7, 200, 255]
        );
        let t = Tensor::from_vec(vec![0.2f64, 1.0], &[1, 2]);
        assert_eq!(pixels_from_tensor(&t, DataFormat::HW).data, vec![51, 255]);
    }

    #[test]
    fn chw_and_hwc_give_the_same_pixels() {
        // A 2x3 RGB image whose pixel (y, x) has channels (10y + x, 100 + ..., 200 + ...).
        let (h, w) = (2, 3);
        let mut hwc = Vec::new();
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    hwc.push((100 * c + 10 * y + x) as u8);
                }
            }
        }
        let t_hwc = Tensor::from_vec(hwc.clone(), &[h, w, 3]);
        let t_chw = t_hwc.permute(&[2, 0, 1]); // a strided view: to_vec walks it logically
        assert_eq!(pixels_from_tensor(&t_hwc, DataFormat::HWC).data, hwc);
        let p = pixels_from_tensor(&t_chw, DataFormat::CHW);
        assert_eq!((p.height, p.width, p.channels), (2, 3, 3));
        assert_eq!(p.data, hwc);
    }

    #[test]
    fn png_round_trip() {
        let data: Vec<u8> = (0..5 * 4 * 3).map(|i| (i * 4) as u8).collect();
        let p = Pixels {
            height: 5,
            width: 4,
            channels: 3,
            data: data.clone(),
        };
        let img = p.to_image().unwrap();
        assert_eq!((img.height, img.width, img.colorspace), (5, 4, 3));
        assert_eq!(&img.encoded_image_string[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(decode_png(&img.encoded_image_string), (4, 5, 3, data));
    }

    #[test]
    fn grid_tiles_eight_per_row() {
        // 10 grayscale 1x2 images, image i filled with i*10: 2 rows of 8 cells.
        let n = 10;
        let data: Vec<u8> = (0..n).flat_map(|i| [i as u8 * 10; 2]).collect();
        let g = grid_from_nchw(&Tensor::from_vec(data, &[n, 1, 1, 2]));
        assert_eq!((g.height, g.width, g.channels), (2, 16, 1));
        let row0: Vec<u8> = (0..8).flat_map(|i| [i * 10; 2]).collect();
        let mut row1 = vec![80, 80, 90, 90];
        row1.extend([0; 12]);
        assert_eq!(g.data, [row0, row1].concat());
    }

    #[test]
    fn grid_of_fewer_than_eight_is_one_row() {
        let t = Tensor::ones(&[3, 3, 2, 2], DType::F32);
        let g = grid_from_nchw(&t);
        assert_eq!((g.height, g.width, g.channels), (2, 6, 3));
        assert!(g.data.iter().all(|&v| v == 255));
    }

    #[test]
    #[should_panic(expected = "1, 3 or 4 channels, got 2")]
    fn two_channels_panic() {
        pixels_from_tensor(&Tensor::zeros(&[2, 4, 4], DType::F32), DataFormat::CHW);
    }

    #[test]
    #[should_panic(expected = "use add_images for a batch")]
    fn a_batch_given_to_add_image_panics() {
        pixels_from_tensor(&Tensor::zeros(&[2, 3, 4, 4], DType::F32), DataFormat::CHW);
    }
}
