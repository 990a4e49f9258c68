//! The unpickler: a stack machine over the opcodes that `torch.save` emits (protocol 2, plus
//! the few protocol 4 ones newer Pythons use), which builds an intermediate object tree
//! ([`Obj`]) instead of Python objects.
//!
//! Safety rules, all checked here: a `GLOBAL` is looked up in a fixed allowlist and anything
//! else is an error naming it; `REDUCE` only "calls" allowlisted constructors, each of which is
//! interpreted by hand; every length read from the data is checked against the bytes left
//! before anything is allocated; the memo is a map, so a huge memo index costs nothing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use ember_tensor::DType;

use super::globals::{Global, known_but_unsupported};
use crate::error::{Error, Result, corrupt, unsupported};

/// A storage named by a persistent id: `('storage', type, key, location, numel[, view])`.
#[derive(Debug)]
pub(crate) struct StorageRef {
    /// The key (`data/<key>` in a zip, the position in the storage list in the legacy format).
    pub key: String,
    /// Element type; `None` for an untyped (byte) storage.
    pub dtype: Option<DType>,
    /// Elements (bytes for an untyped storage) of the whole storage.
    pub numel: usize,
    /// Legacy storage views: (offset, size) in elements inside the storage `key`.
    pub view: Option<(usize, usize)>,
}

/// A tensor to build once the storages are read.
#[derive(Debug)]
pub(crate) struct TensorSpec {
    pub storage: Rc<StorageRef>,
    pub dtype: DType,
    pub offset: usize,
    pub shape: Vec<usize>,
    pub strides: Vec<usize>,
    pub requires_grad: bool,
}

/// A Python object under construction. Lists and dicts are shared and mutable, as in Python:
/// `APPENDS` and `SETITEMS` mutate the object that the memo also refers to.
#[derive(Clone, Debug)]
pub(crate) enum Obj {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    Tuple(Rc<Vec<Obj>>),
    List(Rc<RefCell<Vec<Obj>>>),
    Dict(Rc<RefCell<Vec<(Obj, Obj)>>>),
    Global(Global),
    Storage(Rc<StorageRef>),
    Tensor(Rc<TensorSpec>),
}

impl Obj {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Obj::None => "None",
            Obj::Bool(_) => "bool",
            Obj::Int(_) => "int",
            Obj::Float(_) => "float",
            Obj::Str(_) => "str",
            Obj::Tuple(_) => "tuple",
            Obj::List(_) => "list",
            Obj::Dict(_) => "dict",
            Obj::Global(_) => "global",
            Obj::Storage(_) => "storage",
            Obj::Tensor(_) => "Tensor",
        }
    }
}

/// The result of one pickle: the object and the position just after its `STOP`.
///
/// A hostile pickle can make a list that contains itself; dropping this empties every list
/// and dict the pickle made, which breaks such cycles so that nothing leaks.
pub(crate) struct Unpickled {
    pub value: Obj,
    pub end: usize,
    /// Every storage its persistent ids named, in order.
    pub storages: Vec<Rc<StorageRef>>,
    containers: Vec<Obj>,
}

impl Drop for Unpickled {
    fn drop(&mut self) {
        for c in &self.containers {
            match c {
                Obj::List(l) => l.borrow_mut().clear(),
                Obj::Dict(d) => d.borrow_mut().clear(),
                _ => {}
            }
        }
    }
}

/// Runs the pickle that starts at `data[start..]`. `path` only labels errors.
pub(crate) fn unpickle(path: &Path, data: &[u8], start: usize) -> Result<Unpickled> {
    let mut m = Machine {
        path,
        data,
        pos: start,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        containers: Vec::new(),
        storages: Vec::new(),
    };
    let result = m.run();
    let storages = std::mem::take(&mut m.storages);
    let containers = std::mem::take(&mut m.containers);
    let end = m.pos;
    // On error too, the containers are emptied (by the drop of this value).
    let mut out = Unpickled {
        value: Obj::None,
        end,
        storages,
        containers,
    };
    out.value = result?;
    Ok(out)
}

pub(super) struct Machine<'a> {
    path: &'a Path,
    data: &'a [u8],
    pos: usize,
    stack: Vec<Obj>,
    marks: Vec<usize>,
    memo: HashMap<u64, Obj>,
    containers: Vec<Obj>,
    storages: Vec<Rc<StorageRef>>,
}

impl Machine<'_> {
    pub(super) fn err(&self, what: impl std::fmt::Display) -> Error {
        corrupt(self.path, format!("pickle, byte {}: {what}", self.pos))
    }

    fn push_container(&mut self, c: Obj) {
        self.containers.push(c.clone());
        self.stack.push(c);
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&[u8]> {
        let left = self.data.len() - self.pos;
        if n > left {
            return Err(self.err(format!(
                "{what} needs {n} bytes but only {left} are left (truncated file?)"
            )));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn arr<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        b.copy_from_slice(self.take(N, what)?);
        Ok(b)
    }

    fn line(&mut self, what: &str) -> Result<String> {
        let rest = &self.data[self.pos..];
        let Some(n) = rest.iter().position(|&b| b == b'\n') else {
            return Err(self.err(format!("{what}: no end of line before the end of the data")));
        };
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        self.pos += n + 1;
        Ok(s)
    }

    fn pop(&mut self, op: &str) -> Result<Obj> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.err(format!("{op} on an empty stack")));
        }
        Ok(self.stack.pop().expect("checked"))
    }

    fn top(&mut self, op: &str) -> Result<&mut Obj> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.err(format!("{op} on an empty stack")));
        }
        Ok(self.stack.last_mut().expect("checked"))
    }

    /// The items above the last mark (removing the mark).
    fn pop_mark(&mut self, op: &str) -> Result<Vec<Obj>> {
        let Some(mark) = self.marks.pop() else {
            return Err(self.err(format!("{op} without a MARK")));
        };
        Ok(self.stack.split_off(mark))
    }

    fn push_str(&mut self, n: usize, op: &str) -> Result<()> {
        let bytes = self.take(n, op)?;
        let s = match std::str::from_utf8(bytes) {
            Ok(s) => Rc::from(s),
            Err(_) => {
                return Err(self.err(format!("{op}: the string is not valid UTF-8")));
            }
        };
        self.stack.push(Obj::Str(s));
        Ok(())
    }

    fn memo_get(&mut self, idx: u64) -> Result<()> {
        match self.memo.get(&idx) {
            Some(o) => {
                let o = o.clone();
                self.stack.push(o);
                Ok(())
            }
            None => Err(self.err(format!("memo entry {idx} was never stored"))),
        }
    }

    fn memo_put(&mut self, idx: u64) -> Result<()> {
        let o = self.top("PUT")?.clone();
        self.memo.insert(idx, o);
        Ok(())
    }

    fn global(&self, module: &str, name: &str) -> Result<Obj> {
        match Global::lookup(module, name) {
            Some(g) => Ok(Obj::Global(g)),
            None if known_but_unsupported(module, name) => Err(unsupported(
                self.path,
                format!(
                    "torch.{name}: Ember has no such dtype (it has float32, float64, float16, \
                     bfloat16, int64, int32, uint8 and bool)"
                ),
            )),
            None => Err(Error::ForbiddenGlobal {
                path: self.path.to_path_buf(),
                module: module.to_string(),
                name: name.to_string(),
            }),
        }
    }

    fn run(&mut self) -> Result<Obj> {
        loop {
            let op = self.arr::<1>("an opcode")?[0];
            match op {
                0x80 => {
                    let v = self.arr::<1>("PROTO")?[0];
                    if v > 5 {
                        return Err(self.err(format!("unknown pickle protocol {v}")));
                    }
                }
                0x95 => {
                    self.arr::<8>("FRAME")?;
                }
                b'.' => {
                    let v = self.pop("STOP")?;
                    return Ok(v);
                }
                b'(' => self.marks.push(self.stack.len()),
                b')' => self.stack.push(Obj::Tuple(Rc::new(Vec::new()))),
                b']' => self.push_container(Obj::List(Rc::default())),
                b'}' => self.push_container(Obj::Dict(Rc::default())),
                b't' => {
                    let items = self.pop_mark("TUPLE")?;
                    self.stack.push(Obj::Tuple(Rc::new(items)));
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop("TUPLEn")?);
                    }
                    items.reverse();
                    self.stack.push(Obj::Tuple(Rc::new(items)));
                }
                b'l' => {
                    let items = self.pop_mark("LIST")?;
                    self.push_container(Obj::List(Rc::new(RefCell::new(items))));
                }
                b'd' => {
                    let items = self.pop_mark("DICT")?;
                    let pairs = self.pairs(items, "DICT")?;
                    self.push_container(Obj::Dict(Rc::new(RefCell::new(pairs))));
                }
                b'a' => {
                    let v = self.pop("APPEND")?;
                    self.append(vec![v], "APPEND")?;
                }
                b'e' => {
                    let items = self.pop_mark("APPENDS")?;
                    self.append(items, "APPENDS")?;
                }
                b's' => {
                    let v = self.pop("SETITEM")?;
                    let k = self.pop("SETITEM")?;
                    self.set_items(vec![(k, v)], "SETITEM")?;
                }
                b'u' => {
                    let items = self.pop_mark("SETITEMS")?;
                    let pairs = self.pairs(items, "SETITEMS")?;
                    self.set_items(pairs, "SETITEMS")?;
                }
                b'N' => self.stack.push(Obj::None),
                0x88 => self.stack.push(Obj::Bool(true)),
                0x89 => self.stack.push(Obj::Bool(false)),
                b'J' => {
                    let v = i32::from_le_bytes(self.arr("BININT")?);
                    self.stack.push(Obj::Int(v as i64));
                }
                b'K' => {
                    let v = self.arr::<1>("BININT1")?[0];
                    self.stack.push(Obj::Int(v as i64));
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.arr("BININT2")?);
                    self.stack.push(Obj::Int(v as i64));
                }
                0x8a => {
                    let n = self.arr::<1>("LONG1")?[0] as usize;
                    self.long(n)?;
                }
                0x8b => {
                    let n = i32::from_le_bytes(self.arr("LONG4")?);
                    if n < 0 {
                        return Err(self.err("LONG4 with a negative length"));
                    }
                    self.long(n as usize)?;
                }
                b'I' => {
                    // Protocol 0 INT: "01"/"00" are True/False.
                    let line = self.line("INT")?;
                    let v = match line.trim() {
                        "01" => Obj::Bool(true),
                        "00" => Obj::Bool(false),
                        s => Obj::Int(
                            s.parse()
                                .map_err(|_| self.err(format!("INT: bad integer {s:?}")))?,
                        ),
                    };
                    self.stack.push(v);
                }
                b'G' => {
                    let v = f64::from_be_bytes(self.arr("BINFLOAT")?);
                    self.stack.push(Obj::Float(v));
                }
                b'X' => {
                    let n = u32::from_le_bytes(self.arr("BINUNICODE")?) as usize;
                    self.push_str(n, "BINUNICODE")?;
                }
                0x8c => {
                    let n = self.arr::<1>("SHORT_BINUNICODE")?[0] as usize;
                    self.push_str(n, "SHORT_BINUNICODE")?;
                }
                0x8d => {
                    let n = u64::from_le_bytes(self.arr("BINUNICODE8")?);
                    let n = usize::try_from(n).unwrap_or(usize::MAX);
                    self.push_str(n, "BINUNICODE8")?;
                }
                b'T' => {
                    let n = i32::from_le_bytes(self.arr("BINSTRING")?);
                    if n < 0 {
                        return Err(self.err("BINSTRING with a negative length"));
                    }
                    self.push_str(n as usize, "BINSTRING")?;
                }
                b'U' => {
                    let n = self.arr::<1>("SHORT_BINSTRING")?[0] as usize;
                    self.push_str(n, "SHORT_BINSTRING")?;
                }
                b'q' => {
                    let i = self.arr::<1>("BINPUT")?[0];
                    self.memo_put(i as u64)?;
                }
                b'r' => {
                    let i = u32::from_le_bytes(self.arr("LONG_BINPUT")?);
                    self.memo_put(i as u64)?;
                }
                0x94 => {
                    let i = self.memo.len() as u64;
                    self.memo_put(i)?;
                }
                b'p' => {
                    let line = self.line("PUT")?;
                    let i = line
                        .trim()
                        .parse()
                        .map_err(|_| self.err(format!("PUT: bad index {line:?}")))?;
                    self.memo_put(i)?;
                }
                b'h' => {
                    let i = self.arr::<1>("BINGET")?[0];
                    self.memo_get(i as u64)?;
                }
                b'j' => {
                    let i = u32::from_le_bytes(self.arr("LONG_BINGET")?);
                    self.memo_get(i as u64)?;
                }
                b'g' => {
                    let line = self.line("GET")?;
                    let i = line
                        .trim()
                        .parse()
                        .map_err(|_| self.err(format!("GET: bad index {line:?}")))?;
                    self.memo_get(i)?;
                }
                b'c' => {
                    let module = self.line("GLOBAL")?;
                    let name = self.line("GLOBAL")?;
                    let g = self.global(&module, &name)?;
                    self.stack.push(g);
                }
                0x93 => {
                    let name = self.pop("STACK_GLOBAL")?;
                    let module = self.pop("STACK_GLOBAL")?;
                    let (Obj::Str(module), Obj::Str(name)) = (module, name) else {
                        return Err(self.err("STACK_GLOBAL: module and name must be strings"));
                    };
                    let g = self.global(&module, &name)?;
                    self.stack.push(g);
                }
                b'R' => {
                    let args = self.pop("REDUCE")?;
                    let f = self.pop("REDUCE")?;
                    let v = self.reduce(f, args)?;
                    if matches!(v, Obj::Dict(_)) {
                        self.containers.push(v.clone());
                    }
                    self.stack.push(v);
                }
                b'b' => {
                    let state = self.pop("BUILD")?;
                    let target = self.top("BUILD")?.clone();
                    self.build(&target, &state)?;
                }
                b'Q' => {
                    let pid = self.pop("BINPERSID")?;
                    let v = self.persistent_load(&pid)?;
                    if let Obj::Storage(s) = &v {
                        self.storages.push(s.clone());
                    }
                    self.stack.push(v);
                }
                b'0' => {
                    self.pop("POP")?;
                }
                b'1' => {
                    self.pop_mark("POP_MARK")?;
                }
                b'2' => {
                    let v = self.top("DUP")?.clone();
                    self.stack.push(v);
                }
                other => {
                    return Err(self.err(format!(
                        "unsupported pickle opcode 0x{other:02x} ({}) — PyTorch state files \
                         never contain it",
                        opcode_name(other)
                    )));
                }
            }
        }
    }

    fn long(&mut self, n: usize) -> Result<()> {
        if n > 8 {
            // Still consume it only if present, so the message says what it is.
            self.take(n, "LONG")?;
            return Err(self.err(format!("an integer of {n} bytes does not fit in 64 bits")));
        }
        let bytes = self.take(n, "LONG")?;
        let mut b = if bytes.last().is_some_and(|&x| x & 0x80 != 0) {
            [0xffu8; 8]
        } else {
            [0u8; 8]
        };
        b[..n].copy_from_slice(bytes);
        self.stack.push(Obj::Int(i64::from_le_bytes(b)));
        Ok(())
    }

    fn pairs(&self, items: Vec<Obj>, op: &str) -> Result<Vec<(Obj, Obj)>> {
        if !items.len().is_multiple_of(2) {
            return Err(self.err(format!("{op} with an odd number of items")));
        }
        let mut out = Vec::with_capacity(items.len() / 2);
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            out.push((k, v));
        }
        Ok(out)
    }

    fn append(&mut self, items: Vec<Obj>, op: &str) -> Result<()> {
        match self.top(op)? {
            Obj::List(l) => {
                l.borrow_mut().extend(items);
                Ok(())
            }
            other => {
                let t = other.type_name();
                Err(self.err(format!("{op} on a {t}, not a list")))
            }
        }
    }

    fn set_items(&mut self, pairs: Vec<(Obj, Obj)>, op: &str) -> Result<()> {
        match self.top(op)? {
            Obj::Dict(d) => {
                // Duplicate keys are resolved when the tree is converted (last one wins, at
                // the first one's position, as in Python).
                d.borrow_mut().extend(pairs);
                Ok(())
            }
            other => {
                let t = other.type_name();
                Err(self.err(format!("{op} on a {t}, not a dict")))
            }
        }
    }

    fn build(&self, target: &Obj, state: &Obj) -> Result<()> {
        match target {
            // An OrderedDict's `__dict__` (a state dict's `_metadata`: module versions) and a
            // parameter's Python attributes carry nothing Ember uses.
            Obj::Dict(_) | Obj::Tensor(_) => Ok(()),
            other => Err(self.err(format!(
                "BUILD (set the state of an object) on a {} with a {} state is not supported",
                other.type_name(),
                state.type_name()
            ))),
        }
    }

    fn persistent_load(&self, pid: &Obj) -> Result<Obj> {
        let Obj::Tuple(t) = pid else {
            return Err(self.err(format!(
                "a persistent id must be a tuple, got a {}",
                pid.type_name()
            )));
        };
        let bad = |what: &str| self.err(format!("persistent id: {what}"));
        match t.first() {
            Some(Obj::Str(s)) if &**s == "storage" => {}
            _ => return Err(bad("only ('storage', ...) ids are known")),
        }
        if t.len() != 5 && t.len() != 6 {
            return Err(bad(
                "expected ('storage', type, key, location, numel[, view])",
            ));
        }
        let dtype = match &t[1] {
            Obj::Global(Global::Storage(d)) => *d,
            // `torch.save` of newer versions may name the dtype instead of the storage type.
            Obj::Global(Global::Dtype(d)) => Some(*d),
            _ => return Err(bad("the second item must be a storage type")),
        };
        let key = match &t[2] {
            Obj::Str(s) => s.to_string(),
            Obj::Int(i) => i.to_string(),
            _ => return Err(bad("the key must be a string")),
        };
        // The location ('cpu', 'cuda:0', 'mps', ...) is ignored: everything loads to the CPU.
        if !matches!(&t[3], Obj::Str(_)) {
            return Err(bad("the location must be a string"));
        }
        let numel = match t[4] {
            Obj::Int(n) if n >= 0 => n as usize,
            _ => return Err(bad("the size must be a non-negative integer")),
        };
        let view = match t.get(5) {
            None | Some(Obj::None) => None,
            Some(Obj::Tuple(v)) if v.len() == 3 => match (&v[1], &v[2]) {
                (Obj::Int(o), Obj::Int(n)) if *o >= 0 && *n >= 0 => {
                    Some((*o as usize, *n as usize))
                }
                _ => return Err(bad("bad storage view (key, offset, size)")),
            },
            Some(_) => return Err(bad("bad storage view (key, offset, size)")),
        };
        if let Some((o, n)) = view
            && o.checked_add(n).is_none_or(|end| end > numel)
        {
            return Err(bad("the storage view reaches outside its storage"));
        }
        Ok(Obj::Storage(Rc::new(StorageRef {
            key,
            dtype,
            numel,
            view,
        })))
    }
}

/// The name of a pickle opcode, for messages.
fn opcode_name(op: u8) -> &'static str {
    match op {
        b'c' => "GLOBAL",
        b'i' => "INST",
        b'o' => "OBJ",
        0x81 => "NEWOBJ",
        0x92 => "NEWOBJ_EX",
        b'P' => "PERSID",
        b'B' | b'C' | 0x8e => "BINBYTES",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x82..=0x84 => "EXT",
        b'S' => "STRING",
        b'V' => "UNICODE",
        b'F' => "FLOAT",
        b'L' => "LONG",
        _ => "unknown",
    }
}
