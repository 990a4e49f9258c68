//! The memory behind arrays: one typed buffer shared by every view of it.
//!
//! Why `RwLock`: views share a storage and in-place ops write through any of them, so the buffer
//! needs interior mutability that is sound across threads. An uncontended lock costs a few
//! nanoseconds per op (not per element), and it turns an accidental concurrent write from
//! undefined behaviour into a wait. Kernels take the guards once and then work on plain slices.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use half::{bf16, f16};

use crate::Device;
use crate::dtype::{DType, Element};

/// A typed, contiguous buffer: one variant per dtype.
#[doc(hidden)]
#[derive(Debug)]
pub enum Buffer {
    /// bool
    Bool(Vec<bool>),
    /// u8
    U8(Vec<u8>),
    /// i32
    I32(Vec<i32>),
    /// i64
    I64(Vec<i64>),
    /// f16
    F16(Vec<f16>),
    /// bf16
    BF16(Vec<bf16>),
    /// f32
    F32(Vec<f32>),
    /// f64
    F64(Vec<f64>),
}

impl Buffer {
    pub(crate) fn dtype(&self) -> DType {
        match self {
            Buffer::Bool(_) => DType::Bool,
            Buffer::U8(_) => DType::U8,
            Buffer::I32(_) => DType::I32,
            Buffer::I64(_) => DType::I64,
            Buffer::F16(_) => DType::F16,
            Buffer::BF16(_) => DType::BF16,
            Buffer::F32(_) => DType::F32,
            Buffer::F64(_) => DType::F64,
        }
    }

    pub(crate) fn len(&self) -> usize {
        crate::dispatch!(self.dtype(), T => T::slice(self).unwrap().len())
    }
}

/// Storage shared by an array and all its views, with the version counter that autograd reads
/// to refuse backward through a tensor that was changed in place after it was saved.
#[derive(Debug)]
pub struct Storage {
    buffer: RwLock<Buffer>,
    dtype: DType,
    device: Device,
    version: AtomicU64,
}

impl Storage {
    pub(crate) fn new(buffer: Buffer) -> Storage {
        Storage {
            dtype: buffer.dtype(),
            buffer: RwLock::new(buffer),
            device: Device::Cpu,
            version: AtomicU64::new(0),
        }
    }

    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Where the bytes live.
    pub fn device(&self) -> Device {
        self.device
    }

    /// Number of elements held.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// True when the storage holds no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many in-place writes this storage has seen.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub(crate) fn bump_version(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Buffer> {
        // A panic while a kernel held the lock leaves data that is still valid numbers.
        self.buffer.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Buffer> {
        self.buffer.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the buffer out (the storage is then dropped empty, returning nothing to the cache).
    pub(crate) fn try_take(mut self) -> Buffer {
        std::mem::replace(
            self.buffer.get_mut().unwrap_or_else(|e| e.into_inner()),
            Buffer::Bool(Vec::new()),
        )
    }
}

impl Drop for Storage {
    fn drop(&mut self) {
        let buf = std::mem::replace(
            self.buffer.get_mut().unwrap_or_else(|e| e.into_inner()),
            Buffer::Bool(Vec::new()),
        );
        crate::dispatch!(buf.dtype(), T => {
            if let Some(v) = T::from_buffer(buf) {
                T::pool().give_back(v);
            }
        });
    }
}

pub(crate) fn buffer_into_vec<T: Element>(b: Buffer) -> Vec<T> {
    T::from_buffer(b).expect("buffer dtype mismatch")
}
