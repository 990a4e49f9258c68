//! The hparams plugin's three summaries, as `torch.utils.tensorboard.summary.hparams` writes
//! them: an `Experiment` naming every hyper-parameter (with its type) and every metric, a
//! `SessionStartInfo` with this run's values, and a `SessionEndInfo` with status SUCCESS, each
//! an `HParamsPluginData` (version 0) in the metadata of an otherwise empty value.
//!
//! Field numbers are those of `tensorboard/plugins/hparams/{api,plugin_data}.proto` and
//! `google/protobuf/struct.proto`.

use crate::proto::{PluginData, Summary, SummaryMetadata, Value, ValueKind};
use crate::wire::Enc;

/// The plugin's name in `SummaryMetadata.PluginData`.
pub(crate) const PLUGIN_NAME: &str = "hparams";
pub(crate) const EXPERIMENT_TAG: &str = "_hparams_/experiment";
pub(crate) const SESSION_START_INFO_TAG: &str = "_hparams_/session_start_info";
pub(crate) const SESSION_END_INFO_TAG: &str = "_hparams_/session_end_info";

// tensorboard.hparams.DataType and Status.
const DATA_TYPE_STRING: i64 = 1;
const DATA_TYPE_BOOL: i64 = 2;
const DATA_TYPE_FLOAT64: i64 = 3;
const STATUS_SUCCESS: i64 = 1;

/// A hyper-parameter's value: a number, a string or a boolean (the types the hparams
/// dashboard knows). Build one with `.into()` from any of them.
///
/// ```
/// use ember_tensorboard::HParamValue;
/// let hp: Vec<(&str, HParamValue)> = vec![("lr", 0.01.into()), ("batch", 64.into()), ("opt", "adam".into()), ("nesterov", true.into())];
/// assert_eq!(hp[1].1, HParamValue::Number(64.0));
/// assert_eq!(hp[2].1, HParamValue::Str("adam".to_string()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum HParamValue {
    /// A number (PyTorch's `int` and `float`); shown and filtered as a float.
    Number(f64),
    /// A string; shown and filtered as a category.
    Str(String),
    /// A boolean. (PyTorch writes Python `bool`s as numbers, since `bool` is an `int` there;
    /// this crate writes them as the booleans they are.)
    Bool(bool),
}

macro_rules! number_from {
    ($($t:ty),*) => {$(
        impl From<$t> for HParamValue {
            fn from(v: $t) -> Self {
                HParamValue::Number(v as f64)
            }
        }
    )*};
}
number_from!(f64, f32, i64, i32, u64, u32, usize);

impl From<&str> for HParamValue {
    fn from(v: &str) -> Self {
        HParamValue::Str(v.to_string())
    }
}

impl From<String> for HParamValue {
    fn from(v: String) -> Self {
        HParamValue::Str(v)
    }
}

impl From<bool> for HParamValue {
    fn from(v: bool) -> Self {
        HParamValue::Bool(v)
    }
}

/// One value whose metadata carries the plugin data `build` writes into an `HParamsPluginData`.
fn plugin_value(tag: &str, build: impl FnOnce(&mut Enc)) -> Summary {
    let mut content = Enc::default();
    // version = 0 (PLUGIN_DATA_VERSION) is the default: not written, as by Python.
    build(&mut content);
    let metadata = SummaryMetadata {
        plugin_data: Some(PluginData {
            plugin_name: PLUGIN_NAME.into(),
            content: content.buf,
        }),
        ..Default::default()
    };
    Summary {
        value: vec![Value {
            tag: tag.into(),
            metadata: Some(metadata),
            kind: ValueKind::Other,
        }],
    }
}

/// The experiment, session-start and session-end summaries, in the order PyTorch writes them.
pub(crate) fn hparams_summaries(
    hparams: &[(&str, HParamValue)],
    metrics: &[(&str, f64)],
) -> [Summary; 3] {
    let experiment = plugin_value(EXPERIMENT_TAG, |e| {
        e.message(2, |e| {
            for (name, value) in hparams {
                e.message(4, |e| {
                    e.string(1, name);
                    e.int(
                        4,
                        match value {
                            HParamValue::Number(_) => DATA_TYPE_FLOAT64,
                            HParamValue::Str(_) => DATA_TYPE_STRING,
                            HParamValue::Bool(_) => DATA_TYPE_BOOL,
                        },
                    );
                });
            }
            for (tag, _) in metrics {
                e.message(5, |e| e.message(1, |e| e.string(2, tag)));
            }
        })
    });
    let start = plugin_value(SESSION_START_INFO_TAG, |e| {
        e.message(3, |e| {
            for (name, value) in hparams {
                // map<string, google.protobuf.Value>: one entry message per key.
                e.message(1, |e| {
                    e.string(1, name);
                    // The Value's `kind` is a oneof: its member is written even when 0/""/false.
                    e.message(2, |e| match value {
                        HParamValue::Number(v) => e.double_always(2, *v),
                        HParamValue::Str(s) => e.bytes_always(3, s.as_bytes()),
                        HParamValue::Bool(b) => e.int_always(4, *b as i64),
                    });
                });
            }
        })
    });
    let end = plugin_value(SESSION_END_INFO_TAG, |e| {
        e.message(4, |e| e.int(1, STATUS_SUCCESS))
    });
    [experiment, start, end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Dec, Wire};

    /// The fields of a message as (number, payload) pairs.
    fn fields(buf: &[u8]) -> Vec<(u32, Wire<'_>)> {
        let mut d = Dec::new(buf);
        let mut out = Vec::new();
        while let Some(f) = d.field().unwrap() {
            out.push(f);
        }
        out
    }

    fn content(s: &Summary) -> (&str, &[u8]) {
        let v = &s.value[0];
        let p = v.metadata.as_ref().unwrap().plugin_data.as_ref().unwrap();
        assert_eq!(p.plugin_name, "hparams");
        (v.tag.as_str(), &p.content)
    }

    #[test]
    fn session_start_info_holds_typed_values() {
        let hp = [
            ("lr", 0.0.into()),
            ("opt", "sgd".into()),
            ("bn", false.into()),
        ];
        let [_, start, _] = hparams_summaries(&hp, &[]);
        let (tag, bytes) = content(&start);
        assert_eq!(tag, "_hparams_/session_start_info");
        let top = fields(bytes);
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].0, 3);
        let entries = fields(top[0].1.as_bytes().unwrap());
        let mut got = Vec::new();
        for (f, entry) in entries {
            assert_eq!(f, 1);
            let kv = fields(entry.as_bytes().unwrap());
            let key = kv[0].1.as_string().unwrap();
            let (kind, payload) = fields(kv[1].1.as_bytes().unwrap())[0];
            got.push((key, kind, format!("{payload:?}")));
        }
        assert_eq!(
            got,
            vec![
                ("lr".to_string(), 2, "I64(0)".to_string()),
                ("opt".to_string(), 3, "Len([115, 103, 100])".to_string()),
                ("bn".to_string(), 4, "Varint(0)".to_string()),
            ]
        );
    }

    #[test]
    fn experiment_lists_hparams_with_types_and_metrics() {
        let hp = [("lr", 0.1.into()), ("opt", "adam".into())];
        let [exp, _, end] = hparams_summaries(&hp, &[("hparam/accuracy", 0.9)]);
        let (tag, bytes) = content(&exp);
        assert_eq!(tag, "_hparams_/experiment");
        let exp = fields(fields(bytes)[0].1.as_bytes().unwrap());
        let infos: Vec<_> = exp
            .iter()
            .filter(|(f, _)| *f == 4)
            .map(|(_, w)| {
                let f = fields(w.as_bytes().unwrap());
                (f[0].1.as_string().unwrap(), f[1].1.as_u64().unwrap())
            })
            .collect();
        assert_eq!(infos, vec![("lr".to_string(), 3), ("opt".to_string(), 1)]);
        let metric = exp.iter().find(|(f, _)| *f == 5).unwrap().1;
        let name = fields(fields(metric.as_bytes().unwrap())[0].1.as_bytes().unwrap());
        assert_eq!(
            (name[0].0, name[0].1.as_string().unwrap()),
            (2, "hparam/accuracy".to_string())
        );

        let (tag, bytes) = content(&end);
        assert_eq!(tag, "_hparams_/session_end_info");
        // HParamsPluginData { session_end_info (4): SessionEndInfo { status (1): SUCCESS } }
        assert_eq!(bytes, [0x22, 0x02, 0x08, 0x01]);
    }
}
