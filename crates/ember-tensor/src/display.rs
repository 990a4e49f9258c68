//! `Display` exactly as PyTorch prints a tensor with its default print options:
//!
//! ```text
//! tensor([[ 1.0000, -2.5000],
//!         [ 3.0000,  4.0000]], dtype=torch.float64)
//! ```
//!
//! This follows `torch/_tensor_str.py` step by step: one formatter chooses, from every printed
//! value, between integer mode (`1.`), fixed (`1.2500`) and scientific (`1.2500e+05`) notation
//! and a common width; arrays of more than 1000 elements are summarised with `...`, keeping 3
//! items at each edge of every long dim; lines wrap at 80 characters.

use std::fmt;

use crate::dtype::DType;
use crate::{Array, Device};

/// Digits after the point (`torch.set_printoptions(precision=4)`).
const PRECISION: usize = 4;
/// Arrays with more elements than this are summarised.
const THRESHOLD: usize = 1000;
/// Items kept at each end of a summarised dim.
const EDGEITEMS: usize = 3;
/// Characters per line.
const LINEWIDTH: usize = 80;

impl fmt::Display for Array {
    /// Formats like PyTorch's `print(tensor)`.
    ///
    /// ```
    /// use ember_tensor::Array;
    /// let a = Array::from([[1.0f32, -2.5], [3.0, 4.0]]);
    /// assert_eq!(a.to_string(), "tensor([[ 1.0000, -2.5000],\n        [ 3.0000,  4.0000]])");
    /// assert_eq!(Array::from([1i32, 20]).to_string(), "tensor([ 1, 20], dtype=torch.int32)");
    /// assert_eq!(Array::scalar(1.5f64).to_string(), "tensor(1.5000, dtype=torch.float64)");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&tensor_repr(self))
    }
}

/// The printed values, in row-major order over the printed (summarised) elements.
enum Values {
    Float(Vec<f64>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
}

/// The indices of a dim of size `n` that are printed, and whether `...` stands between them.
fn shown(n: usize, summarize: bool) -> (Vec<usize>, bool) {
    if summarize && n > 2 * EDGEITEMS {
        ((0..EDGEITEMS).chain(n - EDGEITEMS..n).collect(), true)
    } else {
        ((0..n).collect(), false)
    }
}

/// Appends the printed elements of `a` (row-major) to `out`, as `conv` turns each printed row
/// (a 1-d view, or the 0-d array itself) into values.
fn gather<V>(a: &Array, summarize: bool, conv: &impl Fn(&Array) -> Vec<V>, out: &mut Vec<V>) {
    match a.ndim() {
        0 => out.extend(conv(a)),
        1 => {
            let n = a.shape()[0];
            if summarize && n > 2 * EDGEITEMS {
                out.extend(conv(&a.narrow(0, 0, EDGEITEMS)));
                out.extend(conv(&a.narrow(0, n - EDGEITEMS, EDGEITEMS)));
            } else {
                out.extend(conv(a));
            }
        }
        _ => {
            for i in shown(a.shape()[0], summarize).0 {
                gather(&a.select(0, i), summarize, conv, out);
            }
        }
    }
}

fn printed_values(a: &Array, summarize: bool) -> Values {
    match a.dtype() {
        DType::Bool => {
            let mut v = Vec::new();
            gather(a, summarize, &|r: &Array| r.to_vec::<bool>(), &mut v);
            Values::Bool(v)
        }
        d if d.is_floating_point() => {
            let mut v = Vec::new();
            // Every float dtype converts to f64 exactly, as PyTorch's `tolist()` does.
            let conv = |r: &Array| r.to_dtype(DType::F64).to_vec::<f64>();
            gather(a, summarize, &conv, &mut v);
            Values::Float(v)
        }
        _ => {
            let mut v = Vec::new();
            let conv = |r: &Array| r.to_dtype(DType::I64).to_vec::<i64>();
            gather(a, summarize, &conv, &mut v);
            Values::Int(v)
        }
    }
}

/// Python's `f"{x:.{p}e}"`: Rust's `{:.pe}` with the exponent signed and at least 2 digits.
fn sci(x: f64) -> String {
    if !x.is_finite() {
        return nonfinite(x);
    }
    let s = format!("{x:.PRECISION$e}");
    let (mantissa, exp) = s.split_once('e').expect("`{:e}` output has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

/// Python's spelling of NaN and infinities.
fn nonfinite(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

/// Python's `f"{x:.{p}f}"` (Rust's fixed formatting rounds the exact binary value the same
/// way, half to even).
fn fixed(x: f64, precision: usize) -> String {
    if x.is_finite() {
        format!("{x:.precision$}")
    } else {
        nonfinite(x)
    }
}

/// PyTorch's `_Formatter`: the notation and width shared by every element of one array.
struct Formatter {
    floating: bool,
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

impl Formatter {
    fn new(values: &Values) -> Formatter {
        let mut fm = Formatter {
            floating: matches!(values, Values::Float(_)),
            int_mode: true,
            sci_mode: false,
            max_width: 1,
        };
        match values {
            Values::Bool(v) => {
                fm.max_width = v.iter().map(|&b| bool_str(b).len()).max().unwrap_or(1);
            }
            Values::Int(v) => {
                fm.max_width = v.iter().map(|x| x.to_string().len()).fold(1, usize::max);
            }
            Values::Float(v) => {
                let nz: Vec<f64> = v
                    .iter()
                    .copied()
                    .filter(|x| x.is_finite() && *x != 0.0)
                    .collect();
                if nz.is_empty() {
                    return fm;
                }
                let min = nz.iter().map(|x| x.abs()).fold(f64::INFINITY, f64::min);
                let max = nz.iter().map(|x| x.abs()).fold(0.0, f64::max);
                fm.int_mode = nz.iter().all(|x| *x == x.ceil());
                fm.sci_mode = max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4;
                let width = |s: String| s.len();
                fm.max_width = nz
                    .iter()
                    .map(|&x| match (fm.sci_mode, fm.int_mode) {
                        (true, _) => width(sci(x)),
                        (false, true) => width(fixed(x, 0)) + 1,
                        (false, false) => width(fixed(x, PRECISION)),
                    })
                    .fold(1, usize::max);
            }
        }
        fm
    }

    fn format_f64(&self, x: f64) -> String {
        debug_assert!(self.floating);
        let s = if self.sci_mode {
            sci(x)
        } else if self.int_mode {
            let mut s = fixed(x, 0);
            if x.is_finite() {
                s.push('.');
            }
            s
        } else {
            fixed(x, PRECISION)
        };
        self.pad(s)
    }

    /// Right-aligns `s` to the common width (longer strings, like a `nan` among narrow
    /// numbers, are left as they are).
    fn pad(&self, s: String) -> String {
        format!("{s:>width$}", width = self.max_width)
    }
}

fn bool_str(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// PyTorch's `_vector_str`: one row, wrapped to the line width.
fn vector_str(items: &[String], ellipsis: bool, indent: usize, width: usize) -> String {
    let element_length = width + 2;
    let per_line = if indent >= LINEWIDTH {
        1
    } else {
        ((LINEWIDTH - indent) / element_length).max(1)
    };
    let mut data: Vec<&str> = items.iter().map(String::as_str).collect();
    if ellipsis {
        data.insert(EDGEITEMS, " ...");
    }
    let lines: Vec<String> = data.chunks(per_line).map(|l| l.join(", ")).collect();
    format!(
        "[{}]",
        lines.join(&format!(",\n{}", " ".repeat(indent + 1)))
    )
}

/// PyTorch's `_tensor_str_with_formatter` over the pre-formatted printed elements: `dims` are
/// the printed sizes with their `...` flags, `items` the elements in row-major order.
fn nested_str(items: &[String], dims: &[(usize, bool)], indent: usize, width: usize) -> String {
    match dims {
        [] => items[0].clone(),
        [(_, ellipsis)] => vector_str(items, *ellipsis, indent, width),
        [(n, ellipsis), rest @ ..] => {
            let inner: usize = rest.iter().map(|(m, _)| m).product();
            let mut slices: Vec<String> = (0..*n)
                .map(|i| nested_str(&items[i * inner..(i + 1) * inner], rest, indent + 1, width))
                .collect();
            if *ellipsis {
                slices.insert(EDGEITEMS, "...".into());
            }
            let sep = format!(",{}{}", "\n".repeat(dims.len() - 1), " ".repeat(indent + 1));
            format!("[{}]", slices.join(&sep))
        }
    }
}

/// PyTorch's `_tensor_str`: the bracketed contents.
fn tensor_str(a: &Array, indent: usize) -> String {
    if a.numel() == 0 {
        return "[]".into();
    }
    let summarize = a.numel() > THRESHOLD;
    let values = printed_values(a, summarize);
    let fm = Formatter::new(&values);
    let items: Vec<String> = match &values {
        Values::Float(v) => v.iter().map(|&x| fm.format_f64(x)).collect(),
        Values::Int(v) => v.iter().map(|x| fm.pad(x.to_string())).collect(),
        Values::Bool(v) => v.iter().map(|&b| fm.pad(bool_str(b).into())).collect(),
    };
    let dims: Vec<(usize, bool)> = a
        .shape()
        .iter()
        .map(|&n| {
            let (idx, ellipsis) = shown(n, summarize);
            (idx.len(), ellipsis)
        })
        .collect();
    nested_str(&items, &dims, indent, fm.max_width)
}

/// A shape as Python prints a tuple: `(0, 3)`, `(5,)`.
fn tuple_str(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// PyTorch's `_add_suffixes`: `, dtype=…` after the contents, on a new line when the last
/// line would grow past the line width.
fn add_suffixes(s: String, suffixes: &[String], indent: usize) -> String {
    let mut out = s;
    // Python: `len(s) - s.rfind("\n") + 1`, where `rfind` is -1 when there is no newline.
    let mut last_line_len = match out.rfind('\n') {
        Some(p) => out.len() - p + 1,
        None => out.len() + 2,
    };
    for suffix in suffixes {
        if last_line_len + suffix.len() + 2 > LINEWIDTH {
            out.push_str(",\n");
            out.push_str(&" ".repeat(indent));
            out.push_str(suffix);
            last_line_len = indent + suffix.len();
        } else {
            out.push_str(", ");
            out.push_str(suffix);
            last_line_len += suffix.len() + 2;
        }
    }
    out.push(')');
    out
}

/// PyTorch's `_str_intern` for a plain dense tensor.
fn tensor_repr(a: &Array) -> String {
    let prefix = "tensor(";
    let indent = prefix.len();
    let mut suffixes = Vec::new();
    if a.device() != Device::Cpu {
        suffixes.push(format!("device='{}'", a.device()));
    }
    let dtype_suffix = format!("dtype=torch.{}", a.dtype().name());
    let body = if a.numel() == 0 {
        // Numpy shows the shape of an empty array unless it is (0,); with no element to tell
        // ints from floats, every dtype but the default float one is shown.
        if a.ndim() != 1 {
            suffixes.push(format!("size={}", tuple_str(a.shape())));
        }
        if a.dtype() != DType::F32 {
            suffixes.push(dtype_suffix);
        }
        "[]".to_string()
    } else {
        if !matches!(a.dtype(), DType::F32 | DType::I64 | DType::Bool) {
            suffixes.push(dtype_suffix);
        }
        tensor_str(a, indent)
    };
    add_suffixes(format!("{prefix}{body}"), &suffixes, indent)
}
