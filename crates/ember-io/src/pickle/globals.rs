//! The allowlist of Python globals and what "calling" each one means: the only place where
//! a pickle's `GLOBAL` and `REDUCE` are given a meaning. Everything else is refused by name.

use std::cell::RefCell;
use std::rc::Rc;

use ember_tensor::DType;

use super::reader::{Machine, Obj, TensorSpec};
use crate::error::Result;

/// A Python global that the loader accepts (`torch.load(weights_only=True)`'s allowlist,
/// restricted to what Ember can represent).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Global {
    /// `collections.OrderedDict`.
    OrderedDict,
    /// `torch._utils._rebuild_tensor` (storage, offset, size, stride).
    RebuildTensor,
    /// `torch._utils._rebuild_tensor_v2` (+ requires_grad, backward_hooks[, metadata]).
    RebuildTensorV2,
    /// `torch._utils._rebuild_tensor_v3` (+ dtype: the storage is untyped).
    RebuildTensorV3,
    /// `torch._utils._rebuild_parameter` (data, requires_grad, backward_hooks).
    RebuildParameter,
    /// `torch._utils._rebuild_parameter_with_state` (+ state).
    RebuildParameterWithState,
    /// `torch.FloatStorage` and friends; `None` for `torch.UntypedStorage` (bytes).
    Storage(Option<DType>),
    /// `torch.float32` and friends.
    Dtype(DType),
    /// `torch.Size` (becomes a tuple).
    Size,
    /// `torch.device` (becomes its string, `"cuda:0"`).
    Device,
}

impl Global {
    pub(super) fn lookup(module: &str, name: &str) -> Option<Global> {
        let storage = |d| Some(Global::Storage(d));
        match (module, name) {
            ("collections", "OrderedDict") => Some(Global::OrderedDict),
            ("torch._utils", "_rebuild_tensor") => Some(Global::RebuildTensor),
            ("torch._utils", "_rebuild_tensor_v2") => Some(Global::RebuildTensorV2),
            ("torch._utils", "_rebuild_tensor_v3") => Some(Global::RebuildTensorV3),
            ("torch._utils", "_rebuild_parameter") => Some(Global::RebuildParameter),
            ("torch._utils", "_rebuild_parameter_with_state") => {
                Some(Global::RebuildParameterWithState)
            }
            ("torch", "FloatStorage") => storage(Some(DType::F32)),
            ("torch", "DoubleStorage") => storage(Some(DType::F64)),
            ("torch", "HalfStorage") => storage(Some(DType::F16)),
            ("torch", "BFloat16Storage") => storage(Some(DType::BF16)),
            ("torch", "LongStorage") => storage(Some(DType::I64)),
            ("torch", "IntStorage") => storage(Some(DType::I32)),
            ("torch", "ByteStorage") => storage(Some(DType::U8)),
            ("torch", "BoolStorage") => storage(Some(DType::Bool)),
            ("torch", "UntypedStorage") | ("torch.storage", "UntypedStorage") => storage(None),
            ("torch", "Size") => Some(Global::Size),
            ("torch", "device") => Some(Global::Device),
            ("torch", dtype) => torch_dtype(dtype).map(Global::Dtype),
            _ => None,
        }
    }
}

/// The Ember dtype of a `torch.<name>` dtype attribute.
fn torch_dtype(name: &str) -> Option<DType> {
    Some(match name {
        "float32" | "float" => DType::F32,
        "float64" | "double" => DType::F64,
        "float16" | "half" => DType::F16,
        "bfloat16" => DType::BF16,
        "int64" | "long" => DType::I64,
        "int32" | "int" => DType::I32,
        "uint8" => DType::U8,
        "bool" => DType::Bool,
        _ => return None,
    })
}

/// Names of torch storage types and dtypes that exist but that Ember has no dtype for: these
/// get a clearer message than "forbidden global".
pub(super) fn known_but_unsupported(module: &str, name: &str) -> bool {
    module == "torch"
        && matches!(
            name,
            "ShortStorage"
                | "CharStorage"
                | "ComplexFloatStorage"
                | "ComplexDoubleStorage"
                | "QInt8Storage"
                | "QUInt8Storage"
                | "QInt32Storage"
                | "int16"
                | "short"
                | "int8"
                | "complex64"
                | "complex128"
                | "cfloat"
                | "cdouble"
                | "uint16"
                | "uint32"
                | "uint64"
                | "float8_e4m3fn"
                | "float8_e5m2"
        )
}

impl Machine<'_> {
    /// `REDUCE`: "calls" an allowlisted global on `args`, interpreted by hand.
    pub(super) fn reduce(&self, f: Obj, args: Obj) -> Result<Obj> {
        let Obj::Global(g) = f else {
            return Err(self.err(format!("REDUCE calls a {}, not a global", f.type_name())));
        };
        let Obj::Tuple(args) = args else {
            return Err(self.err("REDUCE arguments must be a tuple"));
        };
        let args: &[Obj] = &args;
        match g {
            Global::OrderedDict => match args {
                [] => Ok(Obj::Dict(Rc::default())),
                [Obj::List(items)] => {
                    let mut pairs = Vec::new();
                    for item in items.borrow().iter() {
                        let pair: Vec<Obj> = match item {
                            Obj::Tuple(t) => t.to_vec(),
                            Obj::List(l) => l.borrow().clone(),
                            _ => Vec::new(),
                        };
                        let [k, v]: [Obj; 2] = pair
                            .try_into()
                            .map_err(|_| self.err("OrderedDict items must be pairs"))?;
                        pairs.push((k, v));
                    }
                    Ok(Obj::Dict(Rc::new(RefCell::new(pairs))))
                }
                _ => Err(self.err("OrderedDict called with unexpected arguments")),
            },
            Global::RebuildTensor | Global::RebuildTensorV2 | Global::RebuildTensorV3 => {
                self.rebuild_tensor(g, args)
            }
            Global::RebuildParameter | Global::RebuildParameterWithState => {
                let (Some(Obj::Tensor(t)), Some(Obj::Bool(rg))) = (args.first(), args.get(1))
                else {
                    return Err(self.err("_rebuild_parameter expects (tensor, requires_grad, ...)"));
                };
                Ok(Obj::Tensor(Rc::new(TensorSpec {
                    storage: t.storage.clone(),
                    dtype: t.dtype,
                    offset: t.offset,
                    shape: t.shape.clone(),
                    strides: t.strides.clone(),
                    requires_grad: *rg,
                })))
            }
            Global::Size => match args {
                [Obj::Tuple(t)] => Ok(Obj::Tuple(t.clone())),
                [Obj::List(l)] => Ok(Obj::Tuple(Rc::new(l.borrow().clone()))),
                _ => Err(self.err("torch.Size expects one tuple")),
            },
            Global::Device => match args {
                [Obj::Str(s)] => Ok(Obj::Str(s.clone())),
                [Obj::Str(s), Obj::Int(i)] => Ok(Obj::Str(Rc::from(format!("{s}:{i}")))),
                _ => Err(self.err("torch.device expects (type[, index])")),
            },
            Global::Storage(_) | Global::Dtype(_) => {
                Err(self.err(format!("{g:?} cannot be called here")))
            }
        }
    }

    fn rebuild_tensor(&self, g: Global, args: &[Obj]) -> Result<Obj> {
        let name = match g {
            Global::RebuildTensor => "_rebuild_tensor",
            Global::RebuildTensorV2 => "_rebuild_tensor_v2",
            _ => "_rebuild_tensor_v3",
        };
        let bad = |what: &str| self.err(format!("{name}: {what}"));
        let (min, max) = match g {
            Global::RebuildTensor => (4, 4),
            Global::RebuildTensorV2 => (6, 7),
            _ => (7, 8),
        };
        if args.len() < min || args.len() > max {
            return Err(bad(&format!(
                "expected {min} to {max} arguments, got {}",
                args.len()
            )));
        }
        let Obj::Storage(storage) = &args[0] else {
            return Err(bad(&format!(
                "the first argument must be a storage, got a {}",
                args[0].type_name()
            )));
        };
        let offset = match args[1] {
            Obj::Int(o) if o >= 0 => o as usize,
            _ => return Err(bad("the storage offset must be a non-negative integer")),
        };
        let dims = |o: &Obj, what: &str| -> Result<Vec<usize>> {
            let items: Vec<Obj> = match o {
                Obj::Tuple(t) => t.to_vec(),
                Obj::List(l) => l.borrow().clone(),
                _ => return Err(bad(&format!("{what} must be a tuple"))),
            };
            items
                .iter()
                .map(|d| match d {
                    Obj::Int(v) if *v >= 0 => Ok(*v as usize),
                    _ => Err(bad(&format!("{what} must hold non-negative integers"))),
                })
                .collect()
        };
        let shape = dims(&args[2], "size")?;
        let strides = dims(&args[3], "stride")?;
        if shape.len() != strides.len() {
            return Err(bad(&format!(
                "size {shape:?} and stride {strides:?} differ in length"
            )));
        }
        let requires_grad = match (g, args.get(4)) {
            (Global::RebuildTensor, _) => false,
            (_, Some(Obj::Bool(b))) => *b,
            _ => return Err(bad("requires_grad must be a bool")),
        };
        let dtype = match g {
            Global::RebuildTensorV3 => match &args[6] {
                Obj::Global(Global::Dtype(d)) => *d,
                _ => return Err(bad("the seventh argument must be a dtype")),
            },
            _ => storage.dtype.unwrap_or(DType::U8),
        };
        if let Some(sd) = storage.dtype
            && g == Global::RebuildTensorV3
            && sd != DType::U8
            && sd != dtype
        {
            return Err(bad(&format!("a {sd} storage cannot hold a {dtype} tensor")));
        }
        Ok(Obj::Tensor(Rc::new(TensorSpec {
            storage: storage.clone(),
            dtype,
            offset,
            shape,
            strides,
            requires_grad,
        })))
    }
}
