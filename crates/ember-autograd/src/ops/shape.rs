//! Joining, splitting, repeating, flipping and padding. Ops that copy elements from the input
//! to new places have a gradient that adds each output gradient back to the element it came
//! from; for those the place map is computed by running the same op on element indices.

use ember_tensor::{Array, DType, PadMode};
use smallvec::smallvec;

use crate::ops::view::{dim, isz};
use crate::tensor::{Tensor, any_requires_grad, mark_view, record, record_multi};

/// Records an op that only moves elements of `input` around (`f` applied to an array of
/// element indices returns, for each output element, the input element it reads, or -1 for
/// none). Its gradient adds each output gradient into the element it was read from.
#[track_caller]
fn gather_like(
    name: &'static str,
    input: &Tensor,
    out: Array,
    f: impl Fn(&Array) -> Array + Send + 'static,
) -> Tensor {
    if !any_requires_grad(&[input]) {
        return Tensor::from_array(out);
    }
    let in_shape = input.shape().to_vec();
    record(name, out, &[input], move |g, _| {
        let g = g[0].as_ref().expect("grad");
        let n: usize = in_shape.iter().product();
        let ids = Array::arange(0.0, n as f64, 1.0, DType::I64).reshape(&isz(&in_shape));
        // Shift by one so "reads nothing" (-1) lands in a slot that is dropped.
        let idx = Tensor::from_array(f(&ids).add(1i64).reshape(&[-1]));
        let acc = Tensor::zeros(&[n + 1], g.dtype()).index_add(0, &idx, &g.reshape(&[-1]), 1.0);
        smallvec![Some(acc.narrow(0, 1, n).reshape(&isz(&in_shape)))]
    })
}

/// The pieces of `input` along dim `dd` with the given sizes, as views recorded by ONE node
/// (PyTorch's `SplitBackward`/`UnbindBackward`): its gradient is a single `cat` (or `stack`
/// when `squeeze` removed the dim) of the pieces' gradients, with zeros for pieces that got
/// none. Recording each piece as its own `narrow` would make every piece's backward allocate
/// and accumulate a gradient of the whole input (quadratic in the number of pieces: an RNN
/// unbinding its input over time).
#[track_caller]
fn split_views(
    name: &'static str,
    input: &Tensor,
    dd: usize,
    sizes: &[usize],
    squeeze: bool,
) -> Vec<Tensor> {
    let mut start = 0;
    let arrays: Vec<Array> = sizes
        .iter()
        .map(|&len| {
            let a = if squeeze {
                input.data().select(dd as isize, start)
            } else {
                input.data().narrow(dd as isize, start, len)
            };
            start += len;
            a
        })
        .collect();
    let outs = if any_requires_grad(&[input]) {
        let shape = input.shape().to_vec();
        let sizes = sizes.to_vec();
        record_multi(name, arrays, &[], &[input], move |g, _| {
            let parts: Vec<Tensor> = g
                .iter()
                .zip(&sizes)
                .map(|(gi, &len)| match gi {
                    Some(t) if squeeze => t.unsqueeze(dd as isize),
                    Some(t) => t.clone(),
                    None => {
                        let mut sh = shape.clone();
                        sh[dd] = len;
                        Tensor::zeros(&sh, g.iter().flatten().next().expect("a grad").dtype())
                    }
                })
                .collect();
            smallvec![Some(Tensor::cat(
                &parts.iter().collect::<Vec<_>>(),
                dd as isize,
            ))]
        })
    } else {
        arrays.into_iter().map(Tensor::from_array).collect()
    };
    outs.into_iter().map(|t| mark_view(t, input)).collect()
}

impl Tensor {
    /// Concatenates along `dim` (`torch.cat`); each input gets its slice of the gradient.
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let a = Tensor::from([1.0f32]).requires_grad_(true);
    /// let b = Tensor::from([2.0f32, 3.0]).requires_grad_(true);
    /// let c = Tensor::cat(&[&a, &b], 0);
    /// c.mul(&Tensor::from([1.0f32, 2.0, 3.0])).sum().backward();
    /// assert_eq!(b.grad().unwrap().to_vec::<f32>(), vec![2.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn cat(tensors: &[&Tensor], d: isize) -> Tensor {
        let arrays: Vec<&Array> = tensors.iter().map(|t| t.data()).collect();
        let out = Array::cat(&arrays, d);
        if !any_requires_grad(tensors) {
            return Tensor::from_array(out);
        }
        let dd = dim("cat", d, out.ndim()) as isize;
        // Inputs that are 1-d and empty are skipped by cat (PyTorch's legacy rule).
        let sizes: Vec<Option<usize>> = tensors
            .iter()
            .map(|t| (!(t.ndim() == 1 && t.numel() == 0)).then(|| t.shape()[dd as usize]))
            .collect();
        record("cat", out, tensors, move |g, n| {
            let g = g[0].as_ref().expect("grad");
            let mut start = 0;
            sizes
                .iter()
                .zip(n)
                .map(|(s, &need)| match s {
                    Some(s) => {
                        let r = need.then(|| g.narrow(dd, start, *s));
                        start += s;
                        r
                    }
                    None => need.then(|| Tensor::zeros(&[0], g.dtype())),
                })
                .collect()
        })
    }

    /// Stacks equal-shaped tensors along a new dim (`torch.stack`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let a = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// let s = Tensor::stack(&[&a, &a], 0);
    /// assert_eq!(s.shape(), &[2, 2]);
    /// s.sum().backward();
    /// assert_eq!(a.grad().unwrap().to_vec::<f32>(), vec![2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn stack(tensors: &[&Tensor], d: isize) -> Tensor {
        assert!(
            !tensors.is_empty(),
            "stack: expects a non-empty list of tensors"
        );
        let dd = dim("stack", d, tensors[0].ndim() + 1) as isize;
        let parts: Vec<Tensor> = tensors.iter().map(|t| t.unsqueeze(dd)).collect();
        Tensor::cat(&parts.iter().collect::<Vec<_>>(), dd)
    }

    /// Splits into pieces of `size` along `dim` (the last may be smaller) (`torch.split`).
    /// Each piece is a view.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[5], ember_autograd::DType::F32);
    /// let p = x.split(2, 0);
    /// assert_eq!(p.iter().map(|t| t.numel()).collect::<Vec<_>>(), vec![2, 2, 1]);
    /// ```
    #[track_caller]
    pub fn split(&self, size: usize, d: isize) -> Vec<Tensor> {
        let dd = dim("split", d, self.ndim());
        let n = self.shape()[dd];
        assert!(size > 0 || n == 0, "split: size must be positive");
        let mut sizes = vec![];
        let mut start = 0;
        while start < n {
            let len = size.min(n - start);
            sizes.push(len);
            start += len;
        }
        if sizes.is_empty() {
            sizes.push(0);
        }
        split_views("split", self, dd, &sizes, false)
    }

    /// Splits into pieces of the given sizes along `dim` (`torch.split` with a list).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[5], ember_autograd::DType::F32);
    /// let p = x.split_sizes(&[1, 4], 0);
    /// assert_eq!(p[1].shape(), &[4]);
    /// ```
    #[track_caller]
    pub fn split_sizes(&self, sizes: &[usize], d: isize) -> Vec<Tensor> {
        let dd = dim("split_sizes", d, self.ndim());
        let total: usize = sizes.iter().sum();
        assert!(
            total == self.shape()[dd],
            "split_sizes: sizes {sizes:?} sum to {total} but dim {d} has size {}",
            self.shape()[dd]
        );
        split_views("split_sizes", self, dd, sizes, false)
    }

    /// Splits into `chunks` nearly equal pieces along `dim` (`torch.chunk`).
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[5], ember_autograd::DType::F32);
    /// assert_eq!(x.chunk(2, 0).len(), 2);
    /// ```
    #[track_caller]
    pub fn chunk(&self, chunks: usize, d: isize) -> Vec<Tensor> {
        assert!(chunks > 0, "chunk: the number of chunks must be positive");
        let dd = dim("chunk", d, self.ndim());
        let n = self.shape()[dd];
        self.split(n.div_ceil(chunks).max(1), d)
    }

    /// Removes dim `dim`, returning the slices along it (`torch.unbind`). Each is a view.
    ///
    /// ```
    /// let x = ember_autograd::Tensor::zeros(&[3, 2], ember_autograd::DType::F32);
    /// assert_eq!(x.unbind(0).len(), 3);
    /// ```
    #[track_caller]
    pub fn unbind(&self, d: isize) -> Vec<Tensor> {
        let dd = dim("unbind", d, self.ndim());
        split_views("unbind", self, dd, &vec![1; self.shape()[dd]], true)
    }

    /// Repeats the tensor along each dim (`Tensor.repeat`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// x.repeat(&[3]).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn repeat(&self, repeats: &[usize]) -> Tensor {
        let out = self.data().repeat(repeats);
        let r = repeats.to_vec();
        gather_like("repeat", self, out, move |a| a.repeat(&r))
    }

    /// [`repeat`](Tensor::repeat) with `reps` padded by leading 1s (`torch.tile`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([[1.0f32, 2.0]]).requires_grad_(true);
    /// x.tile(&[2]).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn tile(&self, reps: &[usize]) -> Tensor {
        let out = self.data().tile(reps);
        let r = reps.to_vec();
        gather_like("tile", self, out, move |a| a.tile(&r))
    }

    /// Repeats each element `repeats` times along `dim` (flattened when `None`)
    /// (`torch.repeat_interleave`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// let r = x.repeat_interleave(2, Some(0));
    /// assert_eq!(r.to_vec::<f32>(), vec![1.0, 1.0, 2.0, 2.0]);
    /// r.mul(&Tensor::from([1.0f32, 2.0, 3.0, 4.0])).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![3.0, 7.0]);
    /// ```
    #[track_caller]
    pub fn repeat_interleave(&self, repeats: usize, d: Option<isize>) -> Tensor {
        let out = self.data().repeat_interleave(repeats, d);
        gather_like("repeat_interleave", self, out, move |a| {
            a.repeat_interleave(repeats, d)
        })
    }

    /// Reverses the order along `dims` (`torch.flip`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0]).requires_grad_(true);
    /// x.flip(&[0]).mul(&Tensor::from([1.0f32, 10.0])).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![10.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn flip(&self, dims: &[isize]) -> Tensor {
        let out = self.data().flip(dims);
        let d = dims.to_vec();
        record("flip", out, &[self], move |g, _| {
            smallvec![Some(g[0].as_ref().expect("grad").flip(&d))]
        })
    }

    /// Rotates elements along `dims` by `shifts` (`torch.roll`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::from([1.0f32, 2.0, 3.0]).requires_grad_(true);
    /// assert_eq!(x.roll(&[1], &[0]).to_vec::<f32>(), vec![3.0, 1.0, 2.0]);
    /// x.roll(&[1], &[0]).mul(&Tensor::from([1.0f32, 2.0, 3.0])).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![2.0, 3.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn roll(&self, shifts: &[isize], dims: &[isize]) -> Tensor {
        let out = self.data().roll(shifts, dims);
        let back: Vec<isize> = shifts.iter().map(|s| -s).collect();
        let d = dims.to_vec();
        record("roll", out, &[self], move |g, _| {
            smallvec![Some(g[0].as_ref().expect("grad").roll(&back, &d))]
        })
    }

    /// Zeros above diagonal `diagonal` (`torch.tril`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::ones(&[2, 2], ember_autograd::DType::F32).requires_grad_(true);
    /// x.tril(0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn tril(&self, diagonal: i64) -> Tensor {
        let out = self.data().tril(diagonal);
        record("tril", out, &[self], move |g, _| {
            smallvec![Some(g[0].as_ref().expect("grad").tril(diagonal))]
        })
    }

    /// Zeros below diagonal `diagonal` (`torch.triu`).
    ///
    /// ```
    /// use ember_autograd::Tensor;
    /// let x = Tensor::ones(&[2, 2], ember_autograd::DType::F32).requires_grad_(true);
    /// x.triu(0).sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn triu(&self, diagonal: i64) -> Tensor {
        let out = self.data().triu(diagonal);
        record("triu", out, &[self], move |g, _| {
            smallvec![Some(g[0].as_ref().expect("grad").triu(diagonal))]
        })
    }

    /// Pads (`torch.nn.functional.pad`): `pads` are `(left, right)` pairs from the last dim.
    /// Gradients of padding read from the input (reflect, replicate, circular) add back to it.
    ///
    /// ```
    /// use ember_autograd::{PadMode, Tensor};
    /// let x = Tensor::from([1.0f32, 2.0, 3.0]).requires_grad_(true);
    /// let p = x.pad(&[2, 0], PadMode::Reflect, 0.0); // [3, 2, 1, 2, 3]
    /// p.sum().backward();
    /// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn pad(&self, pads: &[usize], mode: PadMode, value: f64) -> Tensor {
        let out = self.data().pad(pads, mode, value);
        let p = pads.to_vec();
        gather_like("pad", self, out, move |a| a.pad(&p, mode, -1.0))
    }
}
