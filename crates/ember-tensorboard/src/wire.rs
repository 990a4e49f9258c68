//! The protobuf wire format, as far as event files need it: varints, 64-bit and 32-bit
//! fixed fields, length-delimited fields (strings, bytes, sub-messages, packed arrays).
//! [`Enc`] builds one message field by field; [`Dec`] walks the fields of one message.
//! The message types and their field numbers are in `proto.rs`.

/// Builds one message. proto3 rules: a scalar field equal to its default is not written.
#[derive(Default)]
pub(crate) struct Enc {
    pub(crate) buf: Vec<u8>,
}

const VARINT: u64 = 0;
const I64: u64 = 1;
const LEN: u64 = 2;
const I32: u64 = 5;

impl Enc {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u64) {
        self.varint(((field as u64) << 3) | wire);
    }

    /// int32, int64 and enum fields (negative numbers take ten bytes, as protobuf does).
    pub(crate) fn int(&mut self, field: u32, v: i64) {
        if v != 0 {
            self.key(field, VARINT);
            self.varint(v as u64);
        }
    }

    /// An int or enum oneof member: written even when zero.
    pub(crate) fn int_always(&mut self, field: u32, v: i64) {
        self.key(field, VARINT);
        self.varint(v as u64);
    }

    /// A float oneof member: written even when zero.
    pub(crate) fn float_always(&mut self, field: u32, v: f32) {
        self.key(field, I32);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// A double oneof member: written even when zero.
    pub(crate) fn double_always(&mut self, field: u32, v: f64) {
        self.key(field, I64);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn double(&mut self, field: u32, v: f64) {
        if v.to_bits() != 0 {
            self.key(field, I64);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// A `bytes` or `string` field that is written even when empty (a repeated element or a
    /// oneof member, whose presence matters).
    pub(crate) fn bytes_always(&mut self, field: u32, v: &[u8]) {
        self.key(field, LEN);
        self.varint(v.len() as u64);
        self.buf.extend_from_slice(v);
    }

    pub(crate) fn bytes(&mut self, field: u32, v: &[u8]) {
        if !v.is_empty() {
            self.bytes_always(field, v);
        }
    }

    pub(crate) fn string(&mut self, field: u32, v: &str) {
        self.bytes(field, v.as_bytes());
    }

    /// An embedded message (always written: presence of a sub-message is meaningful).
    pub(crate) fn message(&mut self, field: u32, build: impl FnOnce(&mut Enc)) {
        let mut sub = Enc::default();
        build(&mut sub);
        self.bytes_always(field, &sub.buf);
    }

    pub(crate) fn packed_doubles(&mut self, field: u32, v: &[f64]) {
        if !v.is_empty() {
            self.key(field, LEN);
            self.varint(8 * v.len() as u64);
            for x in v {
                self.buf.extend_from_slice(&x.to_le_bytes());
            }
        }
    }

    pub(crate) fn packed_floats(&mut self, field: u32, v: &[f32]) {
        if !v.is_empty() {
            self.key(field, LEN);
            self.varint(4 * v.len() as u64);
            for x in v {
                self.buf.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
}

/// A field's payload as the wire format carries it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wire<'a> {
    Varint(u64),
    I64(u64),
    Len(&'a [u8]),
    I32(u32),
}

/// Walks the fields of one serialized message.
pub(crate) struct Dec<'a> {
    buf: &'a [u8],
    pos: usize,
}

pub(crate) type DecResult<T> = Result<T, String>;

impl<'a> Dec<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Dec { buf, pos: 0 }
    }

    fn varint(&mut self) -> DecResult<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self
                .buf
                .get(self.pos)
                .ok_or("message ends inside a varint")?;
            self.pos += 1;
            v |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    fn take(&mut self, n: usize) -> DecResult<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| format!("field of {n} bytes runs past the message end"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The next field number and payload, `None` at the end of the message.
    pub(crate) fn field(&mut self) -> DecResult<Option<(u32, Wire<'a>)>> {
        if self.pos == self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = u32::try_from(key >> 3).map_err(|_| "field number too large")?;
        let wire = match key & 7 {
            VARINT => Wire::Varint(self.varint()?),
            I64 => Wire::I64(u64::from_le_bytes(self.take(8)?.try_into().expect("8"))),
            LEN => {
                let n = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
                Wire::Len(self.take(n)?)
            }
            I32 => Wire::I32(u32::from_le_bytes(self.take(4)?.try_into().expect("4"))),
            w => return Err(format!("unsupported wire type {w} (field {field})")),
        };
        Ok(Some((field, wire)))
    }
}

impl<'a> Wire<'a> {
    pub(crate) fn as_u64(self) -> DecResult<u64> {
        match self {
            Wire::Varint(v) => Ok(v),
            w => Err(format!("expected a varint, got {w:?}")),
        }
    }

    pub(crate) fn as_i64(self) -> DecResult<i64> {
        self.as_u64().map(|v| v as i64)
    }

    pub(crate) fn as_f64(self) -> DecResult<f64> {
        match self {
            Wire::I64(v) => Ok(f64::from_bits(v)),
            w => Err(format!("expected a double, got {w:?}")),
        }
    }

    pub(crate) fn as_f32(self) -> DecResult<f32> {
        match self {
            Wire::I32(v) => Ok(f32::from_bits(v)),
            w => Err(format!("expected a float, got {w:?}")),
        }
    }

    pub(crate) fn as_bytes(self) -> DecResult<&'a [u8]> {
        match self {
            Wire::Len(b) => Ok(b),
            w => Err(format!("expected a length-delimited field, got {w:?}")),
        }
    }

    pub(crate) fn as_string(self) -> DecResult<String> {
        String::from_utf8(self.as_bytes()?.to_vec()).map_err(|_| "string is not UTF-8".into())
    }

    /// Repeated doubles, packed (proto3's default) or not.
    pub(crate) fn push_f64s(self, out: &mut Vec<f64>) -> DecResult<()> {
        match self {
            Wire::Len(b) if b.len() % 8 == 0 => {
                out.extend(
                    b.chunks_exact(8)
                        .map(|c| f64::from_le_bytes(c.try_into().expect("8"))),
                );
                Ok(())
            }
            Wire::I64(v) => {
                out.push(f64::from_bits(v));
                Ok(())
            }
            w => Err(format!("bad repeated double: {w:?}")),
        }
    }

    pub(crate) fn push_f32s(self, out: &mut Vec<f32>) -> DecResult<()> {
        match self {
            Wire::Len(b) if b.len() % 4 == 0 => {
                out.extend(
                    b.chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().expect("4"))),
                );
                Ok(())
            }
            Wire::I32(v) => {
                out.push(f32::from_bits(v));
                Ok(())
            }
            w => Err(format!("bad repeated float: {w:?}")),
        }
    }
}
