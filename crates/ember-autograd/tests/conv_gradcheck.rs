//! Convolution and pooling gradchecked (f64 central differences): stride, padding, dilation,
//! groups, 1d/2d/3d, transposed with output_padding, non-contiguous inputs; second order for
//! convolution (its backward is made of differentiable convolution primitives) and the
//! poolings; plus error messages and a few kernel paths (1x1, large tiles, big batches).

use ember_autograd::{
    Array, DType, GradcheckOptions, Tensor, adaptive_avg_pool, adaptive_max_pool, avg_pool,
    convolution, gradcheck, gradgradcheck, max_pool, max_unpool,
};

fn r(shape: &[usize]) -> Tensor {
    Tensor::from_array(Array::randn(shape, DType::F64)).requires_grad_(true)
}

/// Distinct, well separated values (no ties for max pooling), shuffled.
fn distinct(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let perm = Array::randperm(n, DType::I64).to_dtype(DType::F64);
    let s: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    Tensor::from_array(perm.mul(0.1).reshape(&s)).requires_grad_(true)
}

#[track_caller]
fn check(name: &str, inputs: &[Tensor], second: bool, f: impl Fn(&[Tensor]) -> Tensor) {
    if let Err(e) = gradcheck(|t| vec![f(t)], inputs, GradcheckOptions::default()) {
        panic!("{name}: {e}");
    }
    if second && let Err(e) = gradgradcheck(|t| vec![f(t)], inputs, GradcheckOptions::default()) {
        panic!("{name} (second order): {e}");
    }
}

struct C<'a> {
    name: &'a str,
    x: &'a [usize],
    w: &'a [usize],
    bias: bool,
    stride: &'a [usize],
    padding: &'a [usize],
    dilation: &'a [usize],
    transposed: bool,
    output_padding: &'a [usize],
    groups: usize,
}

fn conv_case(c: &C, second: bool) {
    let mut inputs = vec![r(c.x), r(c.w)];
    if c.bias {
        let cout = if c.transposed {
            c.w[1] * c.groups
        } else {
            c.w[0]
        };
        inputs.push(r(&[cout]));
    }
    check(c.name, &inputs, second, |t| {
        convolution(
            &t[0],
            &t[1],
            t.get(2),
            c.stride,
            c.padding,
            c.dilation,
            c.transposed,
            c.output_padding,
            c.groups,
        )
    });
}

#[rustfmt::skip]
const CONVS: &[C] = &[
    C { name: "conv1d", x: &[2, 3, 7], w: &[4, 3, 3], bias: true, stride: &[1], padding: &[0], dilation: &[1], transposed: false, output_padding: &[], groups: 1 },
    C { name: "conv1d s2 p1 d2", x: &[2, 2, 9], w: &[3, 2, 3], bias: true, stride: &[2], padding: &[1], dilation: &[2], transposed: false, output_padding: &[], groups: 1 },
    C { name: "conv1d groups", x: &[1, 4, 6], w: &[6, 2, 2], bias: false, stride: &[1], padding: &[1], dilation: &[1], transposed: false, output_padding: &[], groups: 2 },
    C { name: "conv2d pad", x: &[2, 2, 5, 4], w: &[3, 2, 3, 3], bias: true, stride: &[1], padding: &[1], dilation: &[1], transposed: false, output_padding: &[], groups: 1 },
    C { name: "conv2d s/p/d per dim", x: &[1, 2, 6, 7], w: &[2, 2, 2, 3], bias: true, stride: &[2, 1], padding: &[1, 0], dilation: &[1, 2], transposed: false, output_padding: &[], groups: 1 },
    C { name: "conv2d depthwise", x: &[2, 3, 4, 4], w: &[3, 1, 3, 3], bias: false, stride: &[2], padding: &[1], dilation: &[1], transposed: false, output_padding: &[], groups: 3 },
    C { name: "conv2d 1x1", x: &[2, 3, 3, 3], w: &[2, 3, 1, 1], bias: true, stride: &[1], padding: &[0], dilation: &[1], transposed: false, output_padding: &[], groups: 1 },
    C { name: "conv3d", x: &[1, 2, 3, 4, 3], w: &[2, 2, 2, 2, 2], bias: true, stride: &[1, 2, 1], padding: &[1, 0, 1], dilation: &[1], transposed: false, output_padding: &[], groups: 1 },
    C { name: "conv3d groups dil", x: &[1, 2, 4, 4, 4], w: &[2, 1, 2, 2, 2], bias: false, stride: &[1], padding: &[1], dilation: &[2], transposed: false, output_padding: &[], groups: 2 },
    C { name: "conv_t1d op", x: &[2, 2, 4], w: &[2, 3, 3], bias: true, stride: &[2], padding: &[1], dilation: &[1], transposed: true, output_padding: &[1], groups: 1 },
    C { name: "conv_t2d groups dil", x: &[1, 4, 3, 3], w: &[4, 1, 2, 2], bias: true, stride: &[2, 1], padding: &[0, 1], dilation: &[1, 2], transposed: true, output_padding: &[1, 0], groups: 2 },
    C { name: "conv_t3d", x: &[1, 2, 2, 2, 3], w: &[2, 2, 2, 2, 2], bias: true, stride: &[2], padding: &[0], dilation: &[1], transposed: true, output_padding: &[0, 1, 0], groups: 1 },
];

#[test]
fn convolution_gradcheck() {
    ember_autograd::manual_seed(1);
    for c in CONVS {
        conv_case(c, false);
    }
}

#[test]
fn convolution_gradgradcheck() {
    ember_autograd::manual_seed(2);
    for c in CONVS.iter().step_by(2) {
        conv_case(c, true);
    }
    // The transposed and grouped ones too.
    conv_case(&CONVS[10], true);
}

#[test]
fn convolution_noncontiguous_and_unbatched() {
    ember_autograd::manual_seed(3);
    // A permuted input and a transposed weight give the same values as their contiguous copies.
    let x = r(&[2, 5, 3, 4]).permute(&[0, 2, 1, 3]); // (2, 3, 5, 4), not contiguous
    let w = r(&[3, 2, 2, 2]).transpose(0, 1); // (2, 3, 2, 2)
    assert!(!x.is_contiguous() && !w.is_contiguous());
    let y = convolution(&x, &w, None, &[1], &[1], &[1], false, &[], 1);
    let y2 = convolution(
        &x.contiguous(),
        &w.contiguous(),
        None,
        &[1],
        &[1],
        &[1],
        false,
        &[],
        1,
    );
    assert_eq!(y.to_vec::<f64>(), y2.to_vec::<f64>());
    check(
        "noncontiguous",
        &[x.detach().requires_grad_(true)],
        false,
        |t| convolution(&t[0], &w.detach(), None, &[2], &[1], &[1], false, &[], 1),
    );
    // Unbatched (C, H, W) is the batch of one, squeezed.
    let xu = r(&[3, 5, 4]);
    let yu = convolution(&xu, &w, None, &[1], &[0], &[1], false, &[], 1);
    let yb = convolution(&xu.unsqueeze(0), &w, None, &[1], &[0], &[1], false, &[], 1);
    assert_eq!(yu.shape(), &[2, 4, 3]);
    assert_eq!(yu.to_vec::<f64>(), yb.to_vec::<f64>());
}

/// A naive reference of a 2-d convolution (groups, stride, padding, dilation).
#[allow(clippy::too_many_arguments)]
fn naive_conv2d(
    x: &[f64],
    xs: [usize; 4],
    w: &[f64],
    ws: [usize; 4],
    s: usize,
    p: usize,
    d: usize,
    groups: usize,
) -> (Vec<f64>, [usize; 4]) {
    let [n, c, h, wd] = xs;
    let [co, cig, kh, kw] = ws;
    let oh = (h + 2 * p - d * (kh - 1) - 1) / s + 1;
    let ow = (wd + 2 * p - d * (kw - 1) - 1) / s + 1;
    let cog = co / groups;
    let mut out = vec![0.0; n * co * oh * ow];
    for b in 0..n {
        for o in 0..co {
            let g = o / cog;
            for i in 0..oh {
                for j in 0..ow {
                    let mut acc = 0.0;
                    for ci in 0..cig {
                        for a in 0..kh {
                            for bb in 0..kw {
                                let y = (i * s + a * d) as isize - p as isize;
                                let z = (j * s + bb * d) as isize - p as isize;
                                if y < 0 || z < 0 || y as usize >= h || z as usize >= wd {
                                    continue;
                                }
                                let xc = g * cig + ci;
                                acc += x[((b * c + xc) * h + y as usize) * wd + z as usize]
                                    * w[((o * cig + ci) * kh + a) * kw + bb];
                            }
                        }
                    }
                    out[((b * co + o) * oh + i) * ow + j] = acc;
                }
            }
        }
    }
    (out, [n, co, oh, ow])
}

#[test]
fn convolution_large_matches_naive() {
    // Big enough for several column tiles per image and a parallel batch, in f32 and f64.
    ember_autograd::manual_seed(4);
    for (xs, ws, s, p, d, g) in [
        ([5, 16, 40, 36], [8, 16, 3, 3], 1, 1, 1, 1),
        ([3, 8, 33, 30], [6, 4, 5, 3], 2, 2, 2, 2),
        ([1, 24, 20, 20], [12, 24, 1, 1], 1, 0, 1, 1),
    ] {
        let x = Array::randn(&xs, DType::F64);
        let w = Array::randn(&ws, DType::F64);
        let (want, shape) = naive_conv2d(&x.to_vec(), xs, &w.to_vec(), ws, s, p, d, g);
        for dt in [DType::F64, DType::F32] {
            let y = convolution(
                &Tensor::from_array(x.to_dtype(dt)),
                &Tensor::from_array(w.to_dtype(dt)),
                None,
                &[s],
                &[p],
                &[d],
                false,
                &[],
                g,
            );
            assert_eq!(y.shape(), &shape);
            let tol = if dt == DType::F64 { 1e-10 } else { 1e-3 };
            for (a, b) in y.to_dtype(DType::F64).to_vec::<f64>().iter().zip(&want) {
                assert!((a - b).abs() <= tol * (1.0 + b.abs()), "{a} vs {b}");
            }
        }
        // Backward against the adjoint identity <conv(x), v> = <x, dx(v)> = <w, dw(v)>.
        let xt = Tensor::from_array(x.clone()).requires_grad_(true);
        let wt = Tensor::from_array(w.clone()).requires_grad_(true);
        let y = convolution(&xt, &wt, None, &[s], &[p], &[d], false, &[], g);
        let v = Tensor::randn(y.shape(), DType::F64);
        let dot = y.mul(&v).sum().item::<f64>();
        y.mul(&v).sum().backward();
        let via_x = xt.grad().unwrap().mul(&xt).sum().item::<f64>();
        let via_w = wt.grad().unwrap().mul(&wt).sum().item::<f64>();
        assert!(
            (dot - via_x).abs() < 1e-8 * (1.0 + dot.abs()),
            "{dot} vs {via_x}"
        );
        assert!(
            (dot - via_w).abs() < 1e-8 * (1.0 + dot.abs()),
            "{dot} vs {via_w}"
        );
    }
}

#[test]
fn convolution_errors() {
    let x = Tensor::zeros(&[1, 3, 5, 5], DType::F32);
    let w = Tensor::zeros(&[4, 2, 3, 3], DType::F32);
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        convolution(&x, &w, None, &[1], &[0], &[1], false, &[], 1)
    }))
    .unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("[1, 3, 5, 5]") && msg.contains("[4, 2, 3, 3]"),
        "{msg}"
    );
    let xi = Tensor::zeros(&[1, 2, 5, 5], DType::I64);
    let wi = Tensor::zeros(&[4, 2, 3, 3], DType::I64);
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        convolution(&xi, &wi, None, &[1], &[0], &[1], false, &[], 1)
    }))
    .unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(msg.contains("f32 and f64"), "{msg}");
}

#[test]
fn pooling_gradcheck() {
    ember_autograd::manual_seed(5);
    let x1 = distinct(&[2, 2, 9]);
    let x2 = distinct(&[1, 2, 7, 6]);
    let x3 = distinct(&[1, 1, 4, 5, 4]);
    check("max_pool1d", std::slice::from_ref(&x1), true, |t| {
        max_pool(&t[0], &[3], &[2], &[1], &[1], true).0
    });
    check(
        "max_pool2d dil ceil",
        std::slice::from_ref(&x2),
        true,
        |t| max_pool(&t[0], &[3, 2], &[2, 1], &[1, 0], &[1, 2], true).0,
    );
    check("max_pool3d", std::slice::from_ref(&x3), false, |t| {
        max_pool(&t[0], &[2, 2, 2], &[], &[1], &[], false).0
    });
    check(
        "adaptive_max_pool2d",
        std::slice::from_ref(&x2),
        true,
        |t| adaptive_max_pool(&t[0], &[3, 4]).0,
    );
    for (ceil, cip, div) in [
        (false, true, None),
        (true, true, None),
        (true, false, None),
        (false, false, Some(5)),
    ] {
        check("avg_pool2d", &[r(&[1, 2, 7, 6])], true, |t| {
            avg_pool(&t[0], &[3, 2], &[2, 2], &[1], ceil, cip, div)
        });
        check("avg_pool1d", &[r(&[2, 8])], false, |t| {
            avg_pool(&t[0], &[3], &[2], &[1], ceil, cip, div)
        });
    }
    check("avg_pool3d", &[r(&[1, 1, 4, 5, 3])], false, |t| {
        avg_pool(&t[0], &[2, 2, 2], &[2], &[1], true, false, None)
    });
    check("adaptive_avg_pool1d", &[r(&[2, 3, 7])], true, |t| {
        adaptive_avg_pool(&t[0], &[3])
    });
    check("adaptive_avg_pool2d", &[r(&[2, 5, 7])], true, |t| {
        adaptive_avg_pool(&t[0], &[3, 4])
    });
    check("adaptive_avg_pool3d", &[r(&[1, 1, 5, 3, 4])], false, |t| {
        adaptive_avg_pool(&t[0], &[2, 2, 3])
    });
    let (v, i) = max_pool(&x2.detach(), &[2, 2], &[], &[], &[], false);
    check("max_unpool2d", &[v.requires_grad_(true)], true, |t| {
        max_unpool(&t[0], &i, &[7, 6])
    });
}

#[test]
fn pooling_errors() {
    let x = Tensor::zeros(&[1, 2, 5, 5], DType::F32);
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        max_pool(&x, &[2, 2], &[], &[2], &[], false)
    }))
    .unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(msg.contains("max_pool") && msg.contains("half"), "{msg}");
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        avg_pool(&x, &[2, 2, 2, 2], &[], &[], false, true, None)
    }))
    .unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("avg_pool") && msg.contains("[1, 2, 5, 5]"),
        "{msg}"
    );
}
