//! Matrix products. `matmul` follows `torch.matmul` in every case (1-d operands, batch
//! broadcasting); its gradients are matmuls with the other operand transposed, summed over
//! broadcast batch dims. The others are checked wrappers around it.

use crate::tensor::{Tensor, any_requires_grad, record};
use smallvec::smallvec;

impl Tensor {
    /// Matrix product with `torch.matmul`'s semantics: dot for 1-d·1-d, matrix-vector,
    /// batched with broadcasting of the batch dims.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let a = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).requires_grad_(true);
    /// let b = Tensor::from([[1.0f32], [1.0]]).requires_grad_(true);
    /// let y = a.matmul(&b);
    /// assert_eq!(y.to_vec::<f32>(), vec![3.0, 7.0]);
    /// y.sum().backward();
    /// assert_eq!(a.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0, 1.0, 1.0]);
    /// assert_eq!(b.grad().unwrap().to_vec::<f32>(), vec![4.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        let (an, bn) = (self.ndim(), other.ndim());
        assert!(
            an >= 1 && bn >= 1,
            "matmul: both operands need at least 1 dim, got shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        if an == 1 || bn == 1 {
            // Promote vectors to matrices, multiply, and drop the added dim again.
            let a = if an == 1 {
                self.unsqueeze(0)
            } else {
                self.clone()
            };
            let b = if bn == 1 {
                other.unsqueeze(-1)
            } else {
                other.clone()
            };
            let y = a.matmul(&b);
            return match (an == 1, bn == 1) {
                (true, true) => y.reshape(&[]),
                (true, false) => y.squeeze_dim(-2),
                (false, true) => y.squeeze_dim(-1),
                (false, false) => y,
            };
        }
        let out = self.data().matmul(other.data());
        if !any_requires_grad(&[self, other]) {
            return Tensor::from_array(out);
        }
        let (sa, sb) = (self.shape().to_vec(), other.shape().to_vec());
        let a_s = if other.requires_grad() {
            Some(self.save("matmul"))
        } else {
            None
        };
        let b_s = if self.requires_grad() {
            Some(other.save("matmul"))
        } else {
            None
        };
        // A matrix stored transposed (a weight used as `w.t()`) gets its gradient computed
        // transposed too, so it comes out in the operand's own memory order and the view's
        // backward leaves it contiguous (no copy when it is stored in `.grad`).
        let stored_t = |t: &Tensor| {
            sa.len() == 2 && sb.len() == 2 && !t.is_contiguous() && t.data().t().is_contiguous()
        };
        let (a_t, b_t) = (stored_t(self), stored_t(other));
        record("matmul", out, &[self, other], move |g, n| {
            let g = g[0].as_ref().expect("grad");
            smallvec![
                n[0].then(|| {
                    let b = b_s.as_ref().expect("saved").unpack();
                    if a_t {
                        b.matmul(&g.mt()).mt()
                    } else {
                        g.matmul(&b.mt()).sum_to_size(&sa)
                    }
                }),
                n[1].then(|| {
                    let a = a_s.as_ref().expect("saved").unpack();
                    if b_t {
                        g.mt().matmul(&a).mt()
                    } else {
                        a.mt().matmul(g).sum_to_size(&sb)
                    }
                }),
            ]
        })
    }

    /// Product of two matrices (`torch.mm`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::ones(&[2, 3], ember_autograd::DType::F32);
    /// assert_eq!(a.mm(&a.t()).to_vec::<f32>(), vec![3.0; 4]);
    /// ```
    #[track_caller]
    pub fn mm(&self, other: &Tensor) -> Tensor {
        assert!(
            self.ndim() == 2 && other.ndim() == 2,
            "mm: expects two matrices, got shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        self.matmul(other)
    }

    /// Batched product of `[b, n, m]` and `[b, m, p]` (`torch.bmm`), no broadcasting.
    ///
    /// ```
    /// let a = ember_autograd::Tensor::ones(&[4, 2, 3], ember_autograd::DType::F32);
    /// assert_eq!(a.bmm(&a.mt()).shape(), &[4, 2, 2]);
    /// ```
    #[track_caller]
    pub fn bmm(&self, other: &Tensor) -> Tensor {
        assert!(
            self.ndim() == 3 && other.ndim() == 3 && self.shape()[0] == other.shape()[0],
            "bmm: expects [b, n, m] and [b, m, p] with the same b, got shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        self.matmul(other)
    }

    /// Inner product of two vectors (`torch.dot`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let a = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// a.dot(&Tensor::from([3.0f32, 4.0])).backward();
    /// assert_eq!(a.grad().unwrap().to_vec::<f32>(), vec![3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn dot(&self, other: &Tensor) -> Tensor {
        assert!(
            self.ndim() == 1 && other.ndim() == 1 && self.shape() == other.shape(),
            "dot: expects two vectors of the same length, got shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        self.matmul(other)
    }

    /// Outer product of two vectors (`torch.outer`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let a = Tensor::from([1.0f32, 2.0]);
    /// assert_eq!(a.outer(&a).to_vec::<f32>(), vec![1.0, 2.0, 2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn outer(&self, other: &Tensor) -> Tensor {
        assert!(
            self.ndim() == 1 && other.ndim() == 1,
            "outer: expects two vectors, got shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        self.unsqueeze(1).mul(&other.unsqueeze(0))
    }

    /// `beta·self + alpha·(mat1 @ mat2)` (`torch.addmm`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let bias = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// let x = Tensor::ones(&[3, 4], ember_autograd::DType::F32);
    /// let w = Tensor::ones(&[4, 2], ember_autograd::DType::F32);
    /// bias.addmm(&x, &w, 1.0, 1.0).sum().backward();
    /// assert_eq!(bias.grad().unwrap().to_vec::<f32>(), vec![3.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn addmm(&self, mat1: &Tensor, mat2: &Tensor, beta: f64, alpha: f64) -> Tensor {
        self.add_scaled_product(mat1.mm(mat2), beta, alpha)
    }

    /// `beta·self + alpha·(batch1 @ batch2)` (`torch.baddbmm`).
    ///
    /// ```
    /// let a = ember_autograd::Tensor::ones(&[2, 3, 3], ember_autograd::DType::F32);
    /// assert_eq!(a.baddbmm(&a, &a, 1.0, 1.0).to_vec::<f32>()[0], 4.0);
    /// ```
    #[track_caller]
    pub fn baddbmm(&self, batch1: &Tensor, batch2: &Tensor, beta: f64, alpha: f64) -> Tensor {
        self.add_scaled_product(batch1.bmm(batch2), beta, alpha)
    }

    /// `beta·self + alpha·p`, skipping the scalings that are identities (`beta = 0` ignores
    /// `self`, as PyTorch does, so NaN in it does not propagate).
    #[track_caller]
    fn add_scaled_product(&self, p: Tensor, beta: f64, alpha: f64) -> Tensor {
        let p = if alpha == 1.0 { p } else { p.mul(alpha) };
        if beta == 0.0 {
            return p;
        }
        let s = if beta == 1.0 {
            self.clone()
        } else {
            self.mul(beta)
        };
        s.add(&p)
    }
}
