//! Convolution (`torch.nn.functional.conv{1,2,3}d`, `conv_transpose{1,2,3}d`) as one
//! differentiable [`convolution`], PyTorch's `torch.convolution` signature.
//!
//! Three tensor primitives close under differentiation, so gradients of any order work:
//! - `conv` (regular forward): grads are `conv_input_grad(dy, w)` and `conv_weight_grad(x, dy)`;
//! - `conv_input_grad(dy, w)` (also the transposed convolution's forward): its grads are
//!   `conv(a, w)` and `conv_weight_grad(a, dy)`;
//! - `conv_weight_grad(x, dy)`: its grads are `conv_input_grad(dy, b)` and `conv(x, b)`.
//!
//! Each calls its level-1 gemm kernel (`ember_tensor::ops::conv`). The bias is fused into the
//! forward kernel; its gradient is `dy` summed over the batch and spatial dims.

use ember_tensor::ops::conv::{self as k, ConvParams};
use smallvec::smallvec;

use crate::tensor::{Tensor, any_requires_grad, record};

/// Convolution or transposed convolution (`torch.convolution`).
///
/// - `input`: `(N, C_in, *spatial)` or unbatched `(C_in, *spatial)`, 1, 2 or 3 spatial dims;
/// - `weight`: `(C_out, C_in/groups, *kernel)`, or for `transposed`
///   `(C_in, C_out/groups, *kernel)`;
/// - `bias`: `(C_out)`;
/// - `stride`, `padding` (zeros), `dilation`, `output_padding` (transposed only): one value per
///   spatial dim, a single value for all, or empty for the default (1, 0, 1, 0).
///
/// f32 or f64. Gradients flow to input, weight and bias, and are differentiable again.
///
/// # Panics
/// With a message naming the shapes when they do not fit together.
///
/// ```
/// use ember_autograd::{convolution, Tensor};
/// let x = Tensor::ones(&[1, 1, 4, 4], ember_autograd::DType::F32).requires_grad_(true);
/// let w = Tensor::ones(&[2, 1, 3, 3], ember_autograd::DType::F32).requires_grad_(true);
/// let b = Tensor::from([0.5f32, -0.5]);
/// let y = convolution(&x, &w, Some(&b), &[1], &[1], &[1], false, &[], 1);
/// assert_eq!(y.shape(), &[1, 2, 4, 4]);
/// assert_eq!(y.to_vec::<f32>()[..4], [4.5, 6.5, 6.5, 4.5]);
/// y.sum().backward();
/// assert_eq!(w.grad().unwrap().shape(), &[2, 1, 3, 3]);
/// assert_eq!(x.grad().unwrap().to_vec::<f32>()[0], 8.0); // 2 channels x 4 taps
///
/// // The transposed convolution undoes the shape change of a strided one.
/// let wt = Tensor::ones(&[1, 3, 2, 2], ember_autograd::DType::F32);
/// let up = convolution(&x, &wt, None, &[2], &[0], &[1], true, &[0], 1);
/// assert_eq!(up.shape(), &[1, 3, 8, 8]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn convolution(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: &[usize],
    padding: &[usize],
    dilation: &[usize],
    transposed: bool,
    output_padding: &[usize],
    groups: usize,
) -> Tensor {
    let name = if transposed {
        "conv_transpose"
    } else {
        "convolution"
    };
    assert!(
        weight.ndim() >= 3,
        "{name}: weight must be ({}, *kernel) with 1 to 3 kernel dims, got shape {:?}",
        if transposed {
            "C_in, C_out/groups"
        } else {
            "C_out, C_in/groups"
        },
        weight.shape()
    );
    let nd = weight.ndim() - 2;
    if input.ndim() == nd + 1 {
        let y = convolution(
            &input.unsqueeze(0),
            weight,
            bias,
            stride,
            padding,
            dilation,
            transposed,
            output_padding,
            groups,
        );
        return y.squeeze_dim(0);
    }
    assert!(
        input.ndim() == nd + 2,
        "{name}: input must be (N, C, *spatial) or (C, *spatial) with {nd} spatial dims to \
         match weight {:?}, got shape {:?}",
        weight.shape(),
        input.shape()
    );
    let p = ConvParams::new(stride, padding, dilation, groups, nd);
    if !transposed {
        assert!(
            output_padding.iter().all(|&o| o == 0),
            "convolution: output_padding {output_padding:?} is only for transposed convolutions"
        );
        return conv(input, weight, bias, &p);
    }
    let (cin, ws) = (input.shape()[1], weight.shape());
    assert!(
        cin == ws[0] && cin.is_multiple_of(groups),
        "conv_transpose: input {:?} has {cin} channels, the weight {:?} must be (C_in, \
         C_out/groups, *kernel) with C_in divisible by groups={groups}",
        input.shape(),
        ws
    );
    let out_sp = k::conv_transpose_output_size(&input.shape()[2..], &ws[2..], &p, output_padding);
    let y = conv_input_grad(input, weight, &out_sp, &p);
    match bias {
        None => y,
        Some(b) => {
            let c = y.shape()[1];
            assert!(
                b.shape() == [c],
                "conv_transpose: bias of shape {:?} does not match {c} output channels (weight \
                 {:?}, groups={groups})",
                b.shape(),
                ws
            );
            let mut bs = vec![1isize; y.ndim()];
            bs[1] = c as isize;
            y.add(&b.reshape(&bs))
        }
    }
}

/// Regular convolution with its bias fused.
#[track_caller]
fn conv(x: &Tensor, w: &Tensor, bias: Option<&Tensor>, p: &ConvParams) -> Tensor {
    let out = k::conv_forward(x.data(), w.data(), bias.map(|b| b.data()), p);
    let mut inputs = vec![x, w];
    inputs.extend(bias);
    if !any_requires_grad(&inputs) {
        return Tensor::from_array(out);
    }
    let in_sp = x.shape()[2..].to_vec();
    let k_sp = w.shape()[2..].to_vec();
    let xs = w.requires_grad().then(|| x.save("convolution"));
    let ws = x.requires_grad().then(|| w.save("convolution"));
    let sum_dims: Vec<isize> = std::iter::once(0).chain(2..x.ndim() as isize).collect();
    let has_bias = bias.is_some();
    let p = p.clone();
    record("convolution", out, &inputs, move |g, n| {
        let g = g[0].as_ref().expect("grad");
        let mut r: crate::node::InputGrads = smallvec![
            n[0].then(|| conv_input_grad(g, &ws.as_ref().expect("saved").unpack(), &in_sp, &p)),
            n[1].then(|| conv_weight_grad(&xs.as_ref().expect("saved").unpack(), g, &k_sp, &p)),
        ];
        if has_bias {
            r.push(n[2].then(|| g.sum_dim(&sum_dims, false)));
        }
        r
    })
}

/// Gradient of a convolution with respect to its input of spatial size `in_sp` (the
/// transposed convolution of `dy`); linear in both operands.
#[track_caller]
fn conv_input_grad(dy: &Tensor, w: &Tensor, in_sp: &[usize], p: &ConvParams) -> Tensor {
    let out = k::conv_backward_input(dy.data(), w.data(), in_sp, p);
    if !any_requires_grad(&[dy, w]) {
        return Tensor::from_array(out);
    }
    let k_sp = w.shape()[2..].to_vec();
    let dys = w.requires_grad().then(|| dy.save("convolution_backward"));
    let ws = dy.requires_grad().then(|| w.save("convolution_backward"));
    let p = p.clone();
    record("convolution_backward", out, &[dy, w], move |g, n| {
        let a = g[0].as_ref().expect("grad");
        smallvec![
            n[0].then(|| conv(a, &ws.as_ref().expect("saved").unpack(), None, &p)),
            n[1].then(|| conv_weight_grad(a, &dys.as_ref().expect("saved").unpack(), &k_sp, &p)),
        ]
    })
}

/// Gradient of a convolution with respect to its weight (kernel size `k_sp`); linear in both
/// operands.
#[track_caller]
fn conv_weight_grad(x: &Tensor, dy: &Tensor, k_sp: &[usize], p: &ConvParams) -> Tensor {
    let out = k::conv_backward_weight(x.data(), dy.data(), k_sp, p);
    if !any_requires_grad(&[x, dy]) {
        return Tensor::from_array(out);
    }
    let in_sp = x.shape()[2..].to_vec();
    let xs = dy
        .requires_grad()
        .then(|| x.save("convolution_weight_backward"));
    let dys = x
        .requires_grad()
        .then(|| dy.save("convolution_weight_backward"));
    let p = p.clone();
    record("convolution_weight_backward", out, &[x, dy], move |g, n| {
        let b = g[0].as_ref().expect("grad");
        smallvec![
            n[0].then(|| conv_input_grad(&dys.as_ref().expect("saved").unpack(), b, &in_sp, &p)),
            n[1].then(|| conv(&xs.as_ref().expect("saved").unpack(), b, None, &p)),
        ]
    })
}
