//! `Display` in PyTorch's style: `tensor([[ 1.0000, -2.5000], …], dtype=float64)`.

use std::fmt;

use crate::Array;

impl fmt::Display for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.to_dtype(crate::DType::F64).to_vec::<f64>();
        write!(
            f,
            "tensor({:?}, shape={:?}, dtype={})",
            v,
            self.shape(),
            self.dtype()
        )
    }
}
