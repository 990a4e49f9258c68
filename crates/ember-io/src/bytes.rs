//! Typed arrays to and from raw bytes: every format here stores elements as plain
//! little-endian (sometimes big-endian) bytes, one dtype per block.

use ember_tensor::{Array, DType, bf16, f16};

/// The bytes of the elements of `a` in row-major order, little-endian (any layout).
pub(crate) fn array_to_le_bytes(a: &Array) -> Vec<u8> {
    fn flat<T: Copy, const N: usize>(v: Vec<T>, f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
        let mut out = Vec::with_capacity(v.len() * N);
        for x in v {
            out.extend_from_slice(&f(x));
        }
        out
    }
    match a.dtype() {
        DType::F32 => flat(a.to_vec::<f32>(), f32::to_le_bytes),
        DType::F64 => flat(a.to_vec::<f64>(), f64::to_le_bytes),
        DType::F16 => flat(a.to_vec::<f16>(), |x| x.to_bits().to_le_bytes()),
        DType::BF16 => flat(a.to_vec::<bf16>(), |x| x.to_bits().to_le_bytes()),
        DType::I64 => flat(a.to_vec::<i64>(), i64::to_le_bytes),
        DType::I32 => flat(a.to_vec::<i32>(), i32::to_le_bytes),
        DType::U8 => a.to_vec::<u8>(),
        DType::Bool => a.to_vec::<bool>().into_iter().map(u8::from).collect(),
    }
}

/// The whole storage behind `a` (every element, not only the ones `a` views), little-endian.
pub(crate) fn storage_to_le_bytes(a: &Array) -> Vec<u8> {
    let n = a.storage().len();
    array_to_le_bytes(&a.as_strided(&[n], &[1], 0))
}

/// A 1-d array of the elements in `bytes` (whose length the caller checked is a multiple of
/// the element size). Booleans are any non-zero byte.
pub(crate) fn array_from_bytes(dtype: DType, bytes: &[u8], big_endian: bool) -> Array {
    fn conv<T: ember_tensor::Element, const N: usize>(
        bytes: &[u8],
        big_endian: bool,
        f: impl Fn([u8; N]) -> T,
    ) -> Array {
        let v: Vec<T> = bytes
            .chunks_exact(N)
            .map(|c| {
                let mut b = [0u8; N];
                b.copy_from_slice(c);
                if big_endian {
                    b.reverse();
                }
                f(b)
            })
            .collect();
        let n = v.len();
        Array::from_vec(v, &[n])
    }
    match dtype {
        DType::F32 => conv(bytes, big_endian, f32::from_le_bytes),
        DType::F64 => conv(bytes, big_endian, f64::from_le_bytes),
        DType::F16 => conv(bytes, big_endian, |b| f16::from_bits(u16::from_le_bytes(b))),
        DType::BF16 => conv(bytes, big_endian, |b| {
            bf16::from_bits(u16::from_le_bytes(b))
        }),
        DType::I64 => conv(bytes, big_endian, i64::from_le_bytes),
        DType::I32 => conv(bytes, big_endian, i32::from_le_bytes),
        DType::U8 => Array::from_vec(bytes.to_vec(), &[bytes.len()]),
        DType::Bool => Array::from_vec(
            bytes.iter().map(|&b| b != 0).collect::<Vec<bool>>(),
            &[bytes.len()],
        ),
    }
}

/// The number of elements of `shape`, or `None` on overflow.
pub(crate) fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// True when the contiguous strides of `shape` fit in `usize` (the product of its dims,
/// counting 0 as 1, does not overflow): an empty shape like `[0, 2^40, 2^40]` has no elements
/// but its strides would overflow.
pub(crate) fn strides_fit(shape: &[usize]) -> bool {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d.max(1)))
        .is_some_and(|n| n <= isize::MAX as usize)
}

/// The number of storage elements a layout reaches (1 + the largest offset), 0 for an empty
/// shape, or `None` on overflow.
pub(crate) fn checked_span(shape: &[usize], strides: &[usize], offset: usize) -> Option<usize> {
    if shape.contains(&0) {
        return Some(0);
    }
    let mut last = offset;
    for (&d, &s) in shape.iter().zip(strides) {
        last = last.checked_add((d - 1).checked_mul(s)?)?;
    }
    last.checked_add(1)
}

/// `a` (1-d, exactly `shape`'s element count) viewed with `shape`, row-major. The caller
/// checked [`strides_fit`].
pub(crate) fn shaped(a: Array, shape: &[usize]) -> Array {
    let mut strides = vec![0usize; shape.len()];
    let mut acc = 1usize;
    for i in (0..shape.len()).rev() {
        strides[i] = acc;
        acc *= shape[i].max(1);
    }
    if shape.contains(&0) {
        return Array::zeros(shape, a.dtype());
    }
    a.as_strided(shape, &strides, 0)
}
