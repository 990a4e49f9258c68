//! Pooling (`torch.nn.functional.{max,avg,adaptive_avg,adaptive_max}_pool{1,2,3}d`,
//! `max_unpool{1,2,3}d`), differentiable, on the level-1 kernels of
//! `ember_tensor::ops::pool`.
//!
//! Max poolings scatter the gradient to their indices (a primitive whose own gradient is a
//! gather by the same indices); average poolings have a backward primitive whose gradient is
//! the pooling again. So gradients of any order work.

use ember_tensor::ops::pool as k;
use smallvec::smallvec;

use crate::tensor::{Tensor, any_requires_grad, record, record_multi};

/// Checks that `x` is `(N, C, *spatial)` or `(C, *spatial)` with `nd` spatial dims.
#[track_caller]
fn check_dims(op: &str, x: &Tensor, nd: usize) {
    assert!(
        nd >= 1 && (x.ndim() == nd + 1 || x.ndim() == nd + 2),
        "{op}: expected an input (N, C, *spatial) or (C, *spatial) with {nd} spatial dims \
         (the length of the kernel or output size), got shape {:?}",
        x.shape()
    );
}

/// Max pooling with indices (`torch.nn.functional.max_pool{1,2,3}d(..., return_indices=True)`).
/// The spatial dims are the last `kernel_size.len()`; `stride` empty means `= kernel_size`;
/// each slice holds one value per spatial dim or one for all. Returns the maxima and their i64
/// indices, flat over each plane's spatial dims (as PyTorch's). Gradients go to the maxima.
///
/// ```
/// use ember_autograd::{max_pool, Tensor};
/// let x = Tensor::from([[[1.0f32, 5.0, 2.0, 3.0, 4.0]]]).requires_grad_(true);
/// let (v, i) = max_pool(&x, &[2], &[], &[], &[], true); // ceil_mode: a last, partial window
/// assert_eq!(v.to_vec::<f32>(), vec![5.0, 3.0, 4.0]);
/// assert_eq!(i.to_vec::<i64>(), vec![1, 3, 4]);
/// v.sum().backward();
/// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 0.0, 1.0, 1.0]);
/// ```
#[track_caller]
pub fn max_pool(
    input: &Tensor,
    kernel_size: &[usize],
    stride: &[usize],
    padding: &[usize],
    dilation: &[usize],
    ceil_mode: bool,
) -> (Tensor, Tensor) {
    let nd = kernel_size.len();
    check_dims("max_pool", input, nd);
    let (v, i) = k::max_pool(
        input.data(),
        kernel_size,
        stride,
        padding,
        dilation,
        ceil_mode,
    );
    indexed("max_pool", input, v, i, nd)
}

/// Adaptive max pooling with indices (`adaptive_max_pool{1,2,3}d(..., return_indices=True)`):
/// output index `o` of each spatial dim takes the max of inputs
/// `floor(o·In/Out) .. ceil((o+1)·In/Out)`.
///
/// ```
/// use ember_autograd::{adaptive_max_pool, Tensor};
/// let x = Tensor::from([[1.0f64, 5.0, 2.0, 3.0, 4.0]]).requires_grad_(true);
/// let (v, i) = adaptive_max_pool(&x, &[2]);
/// assert_eq!(v.to_vec::<f64>(), vec![5.0, 4.0]);
/// assert_eq!(i.to_vec::<i64>(), vec![1, 4]);
/// v.sum().backward();
/// assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.0, 1.0, 0.0, 0.0, 1.0]);
/// ```
#[track_caller]
pub fn adaptive_max_pool(input: &Tensor, output_size: &[usize]) -> (Tensor, Tensor) {
    let nd = output_size.len();
    check_dims("adaptive_max_pool", input, nd);
    let (v, i) = k::adaptive_max_pool(input.data(), output_size);
    indexed("adaptive_max_pool", input, v, i, nd)
}

/// Records a max pooling: values get the gradient scattered back at their indices.
#[track_caller]
fn indexed(
    name: &'static str,
    input: &Tensor,
    v: ember_tensor::Array,
    i: ember_tensor::Array,
    nd: usize,
) -> (Tensor, Tensor) {
    let idx = Tensor::from_array(i.clone());
    let shape = input.shape().to_vec();
    let mut outs = record_multi(name, vec![v, i], &[true, false], &[input], move |g, _| {
        smallvec![
            g[0].as_ref()
                .map(|g| scatter_to_indices(g, &idx, &shape, nd)),
        ]
    });
    let i = outs.pop().expect("two outputs");
    (outs.pop().expect("two outputs"), i)
}

/// `g` added at `idx` within each plane of zeros of `shape` (the max poolings' backward);
/// its own gradient gathers at the same indices.
#[track_caller]
fn scatter_to_indices(g: &Tensor, idx: &Tensor, shape: &[usize], nd: usize) -> Tensor {
    let out = k::max_pool_backward(g.data(), idx.data(), shape, nd);
    if !any_requires_grad(&[g]) {
        return Tensor::from_array(out);
    }
    let idx = idx.clone();
    let gshape = g.shape().to_vec();
    record("max_pool_backward", out, &[g], move |gg, _| {
        let gg = gg[0].as_ref().expect("grad");
        smallvec![Some(gather_planes(gg, &idx, &gshape, nd))]
    })
}

/// The elements of `src` at `idx` within each plane (its last `nd` dims), shaped `shape`.
#[track_caller]
fn gather_planes(src: &Tensor, idx: &Tensor, shape: &[usize], nd: usize) -> Tensor {
    let lead = (src.ndim() - nd) as isize;
    let flat_idx = idx.flatten(lead, -1);
    let s: Vec<isize> = shape.iter().map(|&v| v as isize).collect();
    src.flatten(lead, -1).gather(-1, &flat_idx).reshape(&s)
}

/// Inverse of a max pooling (`torch.nn.functional.max_unpool{1,2,3}d`): zeros of spatial size
/// `output_size` (one value per spatial dim) with each input value written at its index in
/// its plane. Gradients flow to `input` (a gather by the same indices).
///
/// ```
/// use ember_autograd::{max_pool, max_unpool, Tensor};
/// let x = Tensor::from([[[1.0f32, 5.0, 2.0, 3.0]]]).requires_grad_(true);
/// let (v, i) = max_pool(&x, &[2], &[], &[], &[], false);
/// let u = max_unpool(&v, &i, &[4]);
/// assert_eq!(u.to_vec::<f32>(), vec![0.0, 5.0, 0.0, 3.0]);
/// u.sum().backward();
/// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![0.0, 1.0, 0.0, 1.0]);
/// ```
#[track_caller]
pub fn max_unpool(input: &Tensor, indices: &Tensor, output_size: &[usize]) -> Tensor {
    let nd = output_size.len();
    check_dims("max_unpool", input, nd);
    assert!(
        indices.shape() == input.shape(),
        "max_unpool: indices {:?} must have the input's shape {:?}",
        indices.shape(),
        input.shape()
    );
    let out = k::max_unpool(input.data(), indices.data(), output_size);
    if !any_requires_grad(&[input]) {
        return Tensor::from_array(out);
    }
    let idx = indices.detach();
    let shape = input.shape().to_vec();
    record("max_unpool", out, &[input], move |g, _| {
        let g = g[0].as_ref().expect("grad");
        smallvec![Some(gather_planes(g, &idx, &shape, nd))]
    })
}

/// The parameters of an average pooling, kept for its backward.
#[derive(Clone)]
struct Avg {
    kernel: Vec<usize>,
    stride: Vec<usize>,
    padding: Vec<usize>,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<usize>,
}

/// Average pooling (`torch.nn.functional.avg_pool{1,2,3}d`) over the last
/// `kernel_size.len()` dims. `stride` empty means `= kernel_size`. Each window is divided by
/// `divisor_override` if given, else by its size counting the zero padding
/// (`count_include_pad`) or by the number of its elements inside the input.
///
/// ```
/// use ember_autograd::{avg_pool, Tensor};
/// let x = Tensor::from([[[1.0f32, 2.0, 3.0, 4.0]]]).requires_grad_(true);
/// let y = avg_pool(&x, &[2], &[], &[1], false, false, None);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.5, 4.0]);
/// y.sum().backward();
/// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.5, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn avg_pool(
    input: &Tensor,
    kernel_size: &[usize],
    stride: &[usize],
    padding: &[usize],
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<usize>,
) -> Tensor {
    check_dims("avg_pool", input, kernel_size.len());
    let a = Avg {
        kernel: kernel_size.to_vec(),
        stride: stride.to_vec(),
        padding: padding.to_vec(),
        ceil_mode,
        count_include_pad,
        divisor_override,
    };
    avg(input, &a)
}

#[track_caller]
fn avg(x: &Tensor, a: &Avg) -> Tensor {
    let out = k::avg_pool(
        x.data(),
        &a.kernel,
        &a.stride,
        &a.padding,
        a.ceil_mode,
        a.count_include_pad,
        a.divisor_override,
    );
    if !any_requires_grad(&[x]) {
        return Tensor::from_array(out);
    }
    let (a, shape) = (a.clone(), x.shape().to_vec());
    record("avg_pool", out, &[x], move |g, _| {
        smallvec![Some(avg_backward(g[0].as_ref().expect("grad"), &shape, &a))]
    })
}

/// The adjoint of [`avg`]; its own gradient is `avg` again.
#[track_caller]
fn avg_backward(g: &Tensor, shape: &[usize], a: &Avg) -> Tensor {
    let out = k::avg_pool_backward(
        g.data(),
        shape,
        &a.kernel,
        &a.stride,
        &a.padding,
        a.ceil_mode,
        a.count_include_pad,
        a.divisor_override,
    );
    if !any_requires_grad(&[g]) {
        return Tensor::from_array(out);
    }
    let a = a.clone();
    record("avg_pool_backward", out, &[g], move |gg, _| {
        smallvec![Some(avg(gg[0].as_ref().expect("grad"), &a))]
    })
}

/// Adaptive average pooling (`torch.nn.functional.adaptive_avg_pool{1,2,3}d`): output index
/// `o` of each spatial dim averages inputs `floor(o·In/Out) .. ceil((o+1)·In/Out)`.
///
/// ```
/// use ember_autograd::{adaptive_avg_pool, Tensor};
/// let x = Tensor::from([[1.0f32, 2.0, 3.0, 4.0, 5.0]]).requires_grad_(true);
/// let y = adaptive_avg_pool(&x, &[2]);
/// assert_eq!(y.to_vec::<f32>(), vec![2.0, 4.0]);
/// y.sum().backward();
/// let third = 1.0f32 / 3.0;
/// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![third, third, 2.0 * third, third, third]);
/// ```
#[track_caller]
pub fn adaptive_avg_pool(input: &Tensor, output_size: &[usize]) -> Tensor {
    check_dims("adaptive_avg_pool", input, output_size.len());
    k_adaptive(input, output_size)
}

/// The adjoint of [`adaptive_avg_pool`]; its own gradient is the pooling again.
#[track_caller]
fn adaptive_avg_backward(g: &Tensor, shape: &[usize]) -> Tensor {
    let out = k::adaptive_avg_pool_backward(g.data(), shape);
    if !any_requires_grad(&[g]) {
        return Tensor::from_array(out);
    }
    // The planes are the leading dims the grad shares with the input (a spatial dim of equal
    // size pools identically either way).
    let lead = g
        .shape()
        .iter()
        .zip(shape)
        .take_while(|(a, b)| a == b)
        .count()
        .min(g.ndim() - 1);
    let out_sp = g.shape()[lead..].to_vec();
    record("adaptive_avg_pool_backward", out, &[g], move |gg, _| {
        smallvec![Some(k_adaptive(gg[0].as_ref().expect("grad"), &out_sp))]
    })
}

/// [`adaptive_avg_pool`] over the last `out_sp.len()` dims, whatever the leading dims.
#[track_caller]
fn k_adaptive(x: &Tensor, out_sp: &[usize]) -> Tensor {
    let out = k::adaptive_avg_pool(x.data(), out_sp);
    if !any_requires_grad(&[x]) {
        return Tensor::from_array(out);
    }
    let shape = x.shape().to_vec();
    record("adaptive_avg_pool", out, &[x], move |g, _| {
        smallvec![Some(adaptive_avg_backward(
            g[0].as_ref().expect("grad"),
            &shape,
        ))]
    })
}
