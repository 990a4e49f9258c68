//! The protocol buffers of an event file, with a hand-written encoder and decoder.
//!
//! Why by hand (with the codec of `wire.rs`) rather than `prost`: the writer needs nine small messages whose field numbers
//! have not changed since TensorFlow 1.0 (`event.proto`, `summary.proto`, `tensor.proto` and
//! the hparams plugin's protos), and the wire format needed for them is four rules (varint,
//! 64-bit, 32-bit, length-delimited). `prost` would bring a derive crate and either `protoc` at
//! build time or generated files checked in, for about the same number of lines as this file.
//! Every field number below is the one in TensorBoard's `.proto` files (checked against the
//! descriptors of the `tensorboard` Python package).
//!
//! The decoder reads the messages the writer emits and skips every field it does not know,
//! so it also reads files written by PyTorch or TensorFlow (their graphs, audio and other
//! kinds come back as [`ValueKind::Other`] or are skipped).

use crate::graph::GraphDef;
use crate::wire::{Dec, DecResult, Enc};

/// One record of an event file (`tensorboard.Event`).
///
/// The writer emits a first event with `file_version == Some("brain.Event:2")`, then one
/// event per `add_*` call carrying a [`Summary`].
///
/// ```
/// use ember_tensorboard::{read_events, SummaryWriter};
///
/// let dir = std::env::temp_dir().join("ember_tb_doc_event");
/// # let _ = std::fs::remove_dir_all(&dir);
/// let writer = SummaryWriter::new(&dir)?;
/// writer.add_scalar("loss", 0.5, 7)?;
/// writer.close()?;
/// let events = read_events(writer.file_path())?;
/// assert_eq!(events[0].file_version.as_deref(), Some("brain.Event:2"));
/// assert_eq!(events[1].step, 7);
/// assert_eq!(events[1].values().next().unwrap().scalar(), Some(0.5));
/// # Ok::<(), ember_tensorboard::TbError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// Seconds since the Unix epoch when the event was written.
    pub wall_time: f64,
    /// The global step (`global_step` in PyTorch).
    pub step: i64,
    /// Set on the first event of a file: `"brain.Event:2"`.
    pub file_version: Option<String>,
    /// The summary values of this step.
    pub summary: Option<Summary>,
    /// A model graph ([`add_graph`](crate::SummaryWriter::add_graph)).
    pub graph_def: Option<GraphDef>,
}

impl Event {
    /// The summary values of the event (none for the file-version event).
    ///
    /// ```
    /// let e = ember_tensorboard::Event::default();
    /// assert_eq!(e.values().count(), 0);
    /// ```
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.summary.iter().flat_map(|s| s.value.iter())
    }
}

/// A set of tagged values (`tensorboard.Summary`).
///
/// ```
/// let s = ember_tensorboard::Summary { value: vec![ember_tensorboard::Value::simple("acc", 0.9)] };
/// assert_eq!(s.value[0].tag, "acc");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// The values, each with its tag.
    pub value: Vec<Value>,
}

/// One tagged value of a [`Summary`] (`tensorboard.Summary.Value`).
///
/// ```
/// let v = ember_tensorboard::Value::simple("loss", 0.25);
/// assert_eq!(v.scalar(), Some(0.25));
/// assert_eq!(v.text(), None);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The tag TensorBoard groups series by (`loss/train`).
    pub tag: String,
    /// Which plugin shows the value and its plugin-specific data (text, hparams).
    pub metadata: Option<SummaryMetadata>,
    /// The value itself.
    pub kind: ValueKind,
}

impl Value {
    /// A plain scalar value, as `add_scalar` writes it.
    ///
    /// ```
    /// assert_eq!(ember_tensorboard::Value::simple("x", 1.5).kind, ember_tensorboard::ValueKind::Simple(1.5));
    /// ```
    pub fn simple(tag: &str, value: f32) -> Value {
        Value {
            tag: tag.to_string(),
            metadata: None,
            kind: ValueKind::Simple(value),
        }
    }

    /// The scalar, whether stored as `simple_value` (what this crate and PyTorch write) or as
    /// a one-element float tensor (TensorFlow 2's style).
    ///
    /// ```
    /// assert_eq!(ember_tensorboard::Value::simple("x", 2.0).scalar(), Some(2.0));
    /// ```
    pub fn scalar(&self) -> Option<f32> {
        match &self.kind {
            ValueKind::Simple(v) => Some(*v),
            ValueKind::Tensor(t) => match (t.float_val.as_slice(), t.double_val.as_slice()) {
                ([v], _) => Some(*v),
                (_, [v]) => Some(*v as f32),
                _ => None,
            },
            _ => None,
        }
    }

    /// The text of a text-plugin value (the first string of its tensor, as UTF-8).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join("ember_tb_doc_value_text");
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// let w = ember_tensorboard::SummaryWriter::new(&dir)?;
    /// w.add_text("notes", "*hello*", 0)?;
    /// w.close()?;
    /// let events = ember_tensorboard::read_events(w.file_path())?;
    /// let v = events[1].values().next().unwrap();
    /// assert_eq!((v.tag.as_str(), v.text()), ("notes/text_summary", Some("*hello*")));
    /// # Ok::<(), ember_tensorboard::TbError>(())
    /// ```
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::Tensor(t) => t
                .string_val
                .first()
                .and_then(|s| std::str::from_utf8(s).ok()),
            _ => None,
        }
    }

    /// The name of the plugin the metadata names (`"text"`, `"hparams"`), if any.
    ///
    /// ```
    /// assert_eq!(ember_tensorboard::Value::simple("x", 0.0).plugin_name(), None);
    /// ```
    pub fn plugin_name(&self) -> Option<&str> {
        let pd = self.metadata.as_ref()?.plugin_data.as_ref()?;
        Some(pd.plugin_name.as_str())
    }
}

/// The payload of a [`Value`] (the `value` oneof of `Summary.Value`).
///
/// ```
/// use ember_tensorboard::ValueKind;
/// let k = ValueKind::Simple(3.0);
/// assert!(matches!(k, ValueKind::Simple(x) if x == 3.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind {
    /// A scalar (`simple_value`).
    Simple(f32),
    /// An encoded image (`image`).
    Image(Image),
    /// A histogram (`histo`).
    Histo(HistogramProto),
    /// A tensor (`tensor`), used by the text and other plugins.
    Tensor(TensorProto),
    /// Absent, or a kind this crate does not decode (audio, old-style histograms); the
    /// hparams plugin's values carry only metadata and read back as this.
    Other,
}

/// A histogram with TensorFlow's layout (`tensorboard.HistogramProto`): bucket `i` counts the
/// values in `(bucket_limit[i-1], bucket_limit[i]]` (the first bucket from `min`).
///
/// ```
/// let h = ember_tensorboard::HistogramProto::from_values(&[1.0, 2.0, 2.0]).unwrap();
/// assert_eq!((h.min, h.max, h.num, h.sum, h.sum_squares), (1.0, 2.0, 3.0, 5.0, 9.0));
/// assert_eq!(h.bucket.iter().sum::<f64>(), 3.0);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistogramProto {
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Number of values.
    pub num: f64,
    /// Sum of the values.
    pub sum: f64,
    /// Sum of the squared values.
    pub sum_squares: f64,
    /// Right edge of each bucket.
    pub bucket_limit: Vec<f64>,
    /// Count of each bucket.
    pub bucket: Vec<f64>,
}

/// A PNG image (`tensorboard.Summary.Image`).
///
/// ```
/// let img = ember_tensorboard::Image { height: 2, width: 3, colorspace: 1, encoded_image_string: vec![] };
/// assert_eq!(img.width * img.height, 6);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Image {
    /// Height in pixels.
    pub height: i32,
    /// Width in pixels.
    pub width: i32,
    /// 1 grayscale, 2 grayscale + alpha, 3 RGB, 4 RGBA.
    pub colorspace: i32,
    /// The PNG file's bytes.
    pub encoded_image_string: Vec<u8>,
}

/// Which plugin displays a value, and the plugin's own data (`tensorboard.SummaryMetadata`).
///
/// ```
/// let m = ember_tensorboard::SummaryMetadata::default();
/// assert!(m.plugin_data.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SummaryMetadata {
    /// The plugin and its serialized data.
    pub plugin_data: Option<PluginData>,
    /// Display name (unused by this crate's writer).
    pub display_name: String,
    /// Description (unused by this crate's writer).
    pub summary_description: String,
}

/// A plugin name and the plugin's serialized protobuf (`SummaryMetadata.PluginData`).
///
/// ```
/// let p = ember_tensorboard::PluginData { plugin_name: "text".into(), content: vec![] };
/// assert_eq!(p.plugin_name, "text");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PluginData {
    /// `"text"`, `"hparams"`, `"scalars"`, ...
    pub plugin_name: String,
    /// The plugin's own message, serialized (for hparams: an `HParamsPluginData`).
    pub content: Vec<u8>,
}

/// The subset of `tensorboard.TensorProto` that summaries use.
///
/// ```
/// use ember_tensorboard::TensorProto;
/// let t = TensorProto { dtype: TensorProto::DT_STRING, shape: vec![1], string_val: vec![b"hi".to_vec()], ..Default::default() };
/// assert_eq!(t.string_val[0], b"hi");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TensorProto {
    /// The `tensorflow.DataType` number (see the `DT_*` constants).
    pub dtype: i32,
    /// Dimension sizes.
    pub shape: Vec<i64>,
    /// `float_val`.
    pub float_val: Vec<f32>,
    /// `double_val`.
    pub double_val: Vec<f64>,
    /// `string_val` (bytes, UTF-8 for text).
    pub string_val: Vec<Vec<u8>>,
}

impl TensorProto {
    /// `DT_FLOAT`.
    pub const DT_FLOAT: i32 = 1;
    /// `DT_DOUBLE`.
    pub const DT_DOUBLE: i32 = 2;
    /// `DT_STRING`.
    pub const DT_STRING: i32 = 7;
}

// ---------------------------------------------------------------------------------------------
// Encoding

impl Event {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut e = Enc::default();
        e.double(1, self.wall_time);
        e.int(2, self.step);
        if let Some(v) = &self.file_version {
            e.bytes_always(3, v.as_bytes());
        }
        if let Some(g) = &self.graph_def {
            // `Event.graph_def` is bytes (a serialized GraphDef), field 4.
            e.bytes_always(4, &g.to_bytes());
        }
        if let Some(s) = &self.summary {
            e.message(5, |e| s.encode(e));
        }
        e.buf
    }
}

impl Summary {
    fn encode(&self, e: &mut Enc) {
        for v in &self.value {
            e.message(1, |e| v.encode(e));
        }
    }
}

impl Value {
    fn encode(&self, e: &mut Enc) {
        e.string(1, &self.tag);
        match &self.kind {
            ValueKind::Simple(v) => {
                // A oneof member is written even when zero.
                e.float_always(2, *v);
            }
            ValueKind::Image(img) => e.message(4, |e| img.encode(e)),
            ValueKind::Histo(h) => e.message(5, |e| h.encode(e)),
            ValueKind::Tensor(t) => e.message(8, |e| t.encode(e)),
            ValueKind::Other => {}
        }
        if let Some(m) = &self.metadata {
            e.message(9, |e| m.encode(e));
        }
    }
}

impl HistogramProto {
    fn encode(&self, e: &mut Enc) {
        e.double(1, self.min);
        e.double(2, self.max);
        e.double(3, self.num);
        e.double(4, self.sum);
        e.double(5, self.sum_squares);
        e.packed_doubles(6, &self.bucket_limit);
        e.packed_doubles(7, &self.bucket);
    }
}

impl Image {
    fn encode(&self, e: &mut Enc) {
        e.int(1, self.height as i64);
        e.int(2, self.width as i64);
        e.int(3, self.colorspace as i64);
        e.bytes(4, &self.encoded_image_string);
    }
}

impl SummaryMetadata {
    fn encode(&self, e: &mut Enc) {
        if let Some(p) = &self.plugin_data {
            e.message(1, |e| {
                e.string(1, &p.plugin_name);
                e.bytes(2, &p.content);
            });
        }
        e.string(2, &self.display_name);
        e.string(3, &self.summary_description);
    }
}

impl TensorProto {
    fn encode(&self, e: &mut Enc) {
        e.int(1, self.dtype as i64);
        if !self.shape.is_empty() {
            e.message(2, |e| {
                for &d in &self.shape {
                    e.message(2, |e| e.int(1, d));
                }
            });
        }
        e.packed_floats(5, &self.float_val);
        e.packed_doubles(6, &self.double_val);
        for s in &self.string_val {
            e.bytes_always(8, s);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

impl Event {
    pub(crate) fn decode(buf: &[u8]) -> DecResult<Event> {
        let mut ev = Event::default();
        let mut d = Dec::new(buf);
        while let Some((f, w)) = d.field()? {
            match f {
                1 => ev.wall_time = w.as_f64()?,
                2 => ev.step = w.as_i64()?,
                3 => ev.file_version = Some(w.as_string()?),
                4 => ev.graph_def = Some(GraphDef::decode(w.as_bytes()?)?),
                5 => ev.summary = Some(Summary::decode(w.as_bytes()?)?),
                _ => {}
            }
        }
        Ok(ev)
    }
}

impl Summary {
    fn decode(buf: &[u8]) -> DecResult<Summary> {
        let mut s = Summary::default();
        let mut d = Dec::new(buf);
        while let Some((f, w)) = d.field()? {
            if f == 1 {
                s.value.push(Value::decode(w.as_bytes()?)?);
            }
        }
        Ok(s)
    }
}

impl Value {
    fn decode(buf: &[u8]) -> DecResult<Value> {
        let mut v = Value {
            tag: String::new(),
            metadata: None,
            kind: ValueKind::Other,
        };
        let mut d = Dec::new(buf);
        while let Some((f, w)) = d.field()? {
            match f {
                1 => v.tag = w.as_string()?,
                2 => v.kind = ValueKind::Simple(w.as_f32()?),
                4 => v.kind = ValueKind::Image(Image::decode(w.as_bytes()?)?),
                5 => v.kind = ValueKind::Histo(HistogramProto::decode(w.as_bytes()?)?),
                8 => v.kind = ValueKind::Tensor(TensorProto::decode(w.as_bytes()?)?),
                9 => v.metadata = Some(SummaryMetadata::decode(w.as_bytes()?)?),
                _ => {}
            }
        }
        Ok(v)
    }
}

impl HistogramProto {
    fn decode(buf: &[u8]) -> DecResult<HistogramProto> {
        let mut h = HistogramProto::default();
        let mut d = Dec::new(buf);
        while let Some((f, w)) = d.field()? {
            match f {
                1 => h.min = w.as_f64()?,
                2 => h.max = w.as_f64()?,
                3 => h.num = w.as_f64()?,
                4 => h.sum = w.as_f64()?,
                5 => h.sum_squares = w.as_f64()?,
                6 => w.push_f64s(&mut h.bucket_limit)?,
                7 => w.push_f64s(&mut h.bucket)?,
                _ => {}
            }
        }
        Ok(h)
    }
}

impl Image {
    fn decode(buf: &[u8]) -> DecResult<Image> {
        let mut img = Image::default();
        let mut d = Dec::new(buf);
        while let Some((f, w)) = d.field()? {
            match f {
                1 => img.height = w.as_i64()? as i32,
                2 => img.width = w.as_i64()? as i32,
                3 => img.colorspace = w.as_i64()? as i32,
                4 => img.encoded_image_string = w.as_bytes()?.to_vec(),
                _ => {}
            }
        }
        Ok(img)
    }
}

impl SummaryMetadata {
    fn decode(buf: &[u8]) -> DecResult<SummaryMetadata> {
        let mut m = SummaryMetadata::default();
        let mut d = Dec::new(buf);
        while let Some((f, w)) = d.field()? {
            match f {
                1 => {
                    let mut p = PluginData::default();
                    let mut pd = Dec::new(w.as_bytes()?);
                    while let Some((f, w)) = pd.field()? {
                        match f {
                            1 => p.plugin_name = w.as_string()?,
                            2 => p.content = w.as_bytes()?.to_vec(),
                            _ => {}
                        }
                    }
                    m.plugin_data = Some(p);
                }
                2 => m.display_name = w.as_string()?,
                3 => m.summary_description = w.as_string()?,
                _ => {}
            }
        }
        Ok(m)
    }
}

impl TensorProto {
    fn decode(buf: &[u8]) -> DecResult<TensorProto> {
        let mut t = TensorProto::default();
        let mut d = Dec::new(buf);
        while let Some((f, w)) = d.field()? {
            match f {
                1 => t.dtype = w.as_i64()? as i32,
                2 => {
                    let mut sd = Dec::new(w.as_bytes()?);
                    while let Some((f, w)) = sd.field()? {
                        if f == 2 {
                            let mut size = 0;
                            let mut dd = Dec::new(w.as_bytes()?);
                            while let Some((f, w)) = dd.field()? {
                                if f == 1 {
                                    size = w.as_i64()?;
                                }
                            }
                            t.shape.push(size);
                        }
                    }
                }
                5 => w.push_f32s(&mut t.float_val)?,
                6 => w.push_f64s(&mut t.double_val)?,
                8 => t.string_val.push(w.as_bytes()?.to_vec()),
                _ => {}
            }
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_version_event_matches_python_protobuf_bytes() {
        // event_pb2.Event(wall_time=1.5, file_version="brain.Event:2").SerializeToString()
        let ev = Event {
            wall_time: 1.5,
            file_version: Some("brain.Event:2".into()),
            ..Default::default()
        };
        let hex: String = ev.encode().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "09000000000000f83f1a0d627261696e2e4576656e743a32");
    }

    #[test]
    fn varints_and_negative_ints() {
        let mut e = Enc::default();
        e.int(2, 300);
        assert_eq!(e.buf, [0x10, 0xac, 0x02]);
        let mut e = Enc::default();
        e.int(2, -1);
        assert_eq!(e.buf.len(), 11);
        let (f, w) = Dec::new(&e.buf).field().unwrap().unwrap();
        assert_eq!((f, w.as_i64().unwrap()), (2, -1));
    }

    #[test]
    fn every_message_round_trips() {
        let values = vec![
            Value::simple("zero", 0.0),
            Value::simple("neg", -2.5),
            Value {
                tag: "h".into(),
                metadata: None,
                kind: ValueKind::Histo(HistogramProto {
                    min: -1.0,
                    max: 3.0,
                    num: 4.0,
                    sum: 2.0,
                    sum_squares: 11.0,
                    bucket_limit: vec![-1.0, 0.0, 3.0],
                    bucket: vec![0.0, 1.0, 3.0],
                }),
            },
            Value {
                tag: "img".into(),
                metadata: None,
                kind: ValueKind::Image(Image {
                    height: 2,
                    width: 5,
                    colorspace: 3,
                    encoded_image_string: vec![1, 2, 3],
                }),
            },
            Value {
                tag: "t/text_summary".into(),
                metadata: Some(SummaryMetadata {
                    plugin_data: Some(PluginData {
                        plugin_name: "text".into(),
                        content: vec![],
                    }),
                    ..Default::default()
                }),
                kind: ValueKind::Tensor(TensorProto {
                    dtype: TensorProto::DT_STRING,
                    shape: vec![1],
                    string_val: vec!["héllo".as_bytes().to_vec()],
                    float_val: vec![1.5],
                    double_val: vec![2.5, -0.5],
                }),
            },
        ];
        let ev = Event {
            wall_time: 123.25,
            step: 1 << 40,
            file_version: None,
            summary: Some(Summary { value: values }),
            graph_def: None,
        };
        assert_eq!(Event::decode(&ev.encode()).unwrap(), ev);
    }

    #[test]
    fn truncated_or_garbage_messages_are_errors_not_panics() {
        let ev = Event {
            wall_time: 1.0,
            step: 3,
            file_version: Some("x".into()),
            summary: Some(Summary {
                value: vec![Value::simple("a", 1.0)],
            }),
            graph_def: None,
        };
        let bytes = ev.encode();
        // A cut between two fields is a valid shorter message; any other cut is an error.
        let boundaries = [9, 11, 14];
        for cut in 1..bytes.len() {
            let r = Event::decode(&bytes[..cut]);
            assert_eq!(r.is_ok(), boundaries.contains(&cut), "cut at {cut}: {r:?}");
        }
        assert!(Event::decode(&[0xff; 12]).is_err());
        assert!(Event::decode(&[0x0b]).is_err()); // wire type 3 (groups) is refused
    }
}
