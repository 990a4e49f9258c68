//! TFRecord framing, the container of every event file:
//!
//! ```text
//! u64 length (little endian) | u32 masked_crc32c(length bytes) | data | u32 masked_crc32c(data)
//! ```
//!
//! The CRC is CRC-32C (Castagnoli), "masked" by a rotation and an added constant so that a CRC
//! stored inside data that is itself CRC'd does not degenerate (TensorFlow's `crc32c::Mask`).

use std::io::{self, Read};

/// The constant TensorFlow adds when masking a CRC.
const MASK_DELTA: u32 = 0xa282_ead8;

/// The masked CRC-32C of `data`, as TensorFlow stores it in TFRecord files.
///
/// ```
/// // The value TensorBoard's own `record_writer.masked_crc32c(b"hello")` returns.
/// assert_eq!(ember_tensorboard::masked_crc32c(b"hello"), 0x191c_1fbb);
/// ```
pub fn masked_crc32c(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Appends one framed record holding `data` to `out`.
pub(crate) fn frame(data: &[u8], out: &mut Vec<u8>) {
    let len = (data.len() as u64).to_le_bytes();
    out.reserve(data.len() + 16);
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc32c(data).to_le_bytes());
}

/// Why a record could not be read (turned into a [`TbError`](crate::TbError) by the reader,
/// which knows the file name).
#[derive(Debug)]
pub(crate) enum RecordError {
    Io(io::Error),
    Corrupt { offset: u64, reason: String },
}

/// Reads framed records one by one, checking both CRCs.
pub(crate) struct RecordReader<R> {
    inner: R,
    offset: u64,
}

/// Refuse lengths past this: a corrupt length must not make us allocate terabytes.
const MAX_RECORD: u64 = 1 << 31;

impl<R: Read> RecordReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        RecordReader { inner, offset: 0 }
    }

    /// The next record's data and its start offset, `Ok(None)` at a clean end of file.
    pub(crate) fn next_record(&mut self) -> Result<Option<(u64, Vec<u8>)>, RecordError> {
        let start = self.offset;
        let mut header = [0u8; 12];
        let got = read_full(&mut self.inner, &mut header).map_err(RecordError::Io)?;
        if got == 0 {
            return Ok(None);
        }
        let corrupt = |reason: String| RecordError::Corrupt {
            offset: start,
            reason,
        };
        if got < header.len() {
            return Err(corrupt(format!(
                "file ends inside a record header ({got} of 12 bytes)"
            )));
        }
        let len_bytes: [u8; 8] = header[..8].try_into().expect("8 bytes");
        let len_crc = u32::from_le_bytes(header[8..].try_into().expect("4 bytes"));
        if masked_crc32c(&len_bytes) != len_crc {
            return Err(corrupt("length CRC mismatch".into()));
        }
        let len = u64::from_le_bytes(len_bytes);
        if len > MAX_RECORD {
            return Err(corrupt(format!("record length {len} is implausible")));
        }
        let mut data = vec![0u8; len as usize + 4];
        let got = read_full(&mut self.inner, &mut data).map_err(RecordError::Io)?;
        if got < data.len() {
            return Err(corrupt(format!(
                "file ends inside a record ({got} of {} bytes after the header)",
                data.len()
            )));
        }
        let data_crc = u32::from_le_bytes(data[len as usize..].try_into().expect("4 bytes"));
        data.truncate(len as usize);
        if masked_crc32c(&data) != data_crc {
            return Err(corrupt("data CRC mismatch".into()));
        }
        self.offset += 12 + len + 4;
        Ok(Some((start, data)))
    }
}

/// Like `read_exact`, but reports how many bytes were read before the end of the stream.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_known_vectors() {
        // RFC 3720 B.4 check value and the all-zero 32-byte vector.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(crc32c::crc32c(&[0u8; 32]), 0x8a91_36aa);
    }

    #[test]
    fn masked_crc_matches_tensorflow() {
        // Values printed by tensorboard.summary.writer.record_writer.masked_crc32c.
        assert_eq!(masked_crc32c(b""), 0xa282_ead8);
        assert_eq!(masked_crc32c(b"hello"), 0x191c_1fbb);
        assert_eq!(masked_crc32c(b"123456789"), 0xc78a_b0e5);
        assert_eq!(masked_crc32c(&5u64.to_le_bytes()), 0x3e04_b2ea);
    }

    /// The first record of an event file, byte for byte as TensorBoard's RecordWriter frames
    /// `Event(wall_time=1.5, file_version="brain.Event:2")`.
    const TF_RECORD: &str = "1800000000000000a37f4b22\
                             09000000000000f83f1a0d627261696e2e4576656e743a32\
                             2a28646c";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn frame_matches_tensorflow_bytes() {
        let want = unhex(TF_RECORD);
        let mut out = Vec::new();
        frame(&want[12..want.len() - 4], &mut out);
        assert_eq!(out, want);
    }

    #[test]
    fn reader_round_trip_and_clean_eof() {
        let mut buf = Vec::new();
        frame(b"first", &mut buf);
        frame(b"", &mut buf);
        frame(b"third record", &mut buf);
        let mut r = RecordReader::new(&buf[..]);
        assert_eq!(r.next_record().unwrap(), Some((0, b"first".to_vec())));
        assert_eq!(r.next_record().unwrap(), Some((21, Vec::new())));
        assert_eq!(
            r.next_record().unwrap(),
            Some((37, b"third record".to_vec()))
        );
        assert_eq!(r.next_record().unwrap(), None);
    }

    fn corrupt_reason(bytes: &[u8]) -> String {
        let mut r = RecordReader::new(bytes);
        loop {
            match r.next_record() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("no error"),
                Err(RecordError::Corrupt { reason, .. }) => return reason,
                Err(RecordError::Io(e)) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn every_truncation_and_bit_flip_is_an_error() {
        let mut good = Vec::new();
        frame(b"payload", &mut good);
        for cut in 1..good.len() {
            let reason = corrupt_reason(&good[..cut]);
            assert!(reason.contains("file ends inside"), "cut {cut}: {reason}");
        }
        for byte in 0..good.len() {
            let mut bad = good.clone();
            bad[byte] ^= 0x10;
            let reason = corrupt_reason(&bad);
            assert!(
                reason.contains("CRC")
                    || reason.contains("ends inside")
                    || reason.contains("implausible"),
                "byte {byte}: {reason}"
            );
        }
    }
}
