//! 2-D convolution kernels (forward, input gradient, weight gradient) against a direct
//! six-loop f64 reference, on shapes that take each kernel path: small output planes with
//! many images and big weights (several images per product, including a ragged last group),
//! one image with a big plane (tiles), stride 1 (the input gradient as a convolution),
//! pointwise 1×1 kernels, groups, stride, padding and dilation.

use ember_tensor::ops::conv::{
    ConvParams, conv_backward_input, conv_backward_weight, conv_forward, conv_output_size,
};
use ember_tensor::{Array, DType};

struct Case {
    n: usize,
    cin: usize,
    cout: usize,
    hw: [usize; 2],
    k: [usize; 2],
    stride: usize,
    pad: usize,
    dil: usize,
    groups: usize,
}

/// `y[n, co, oh, ow] = Σ x[n, g·cig + ci, oh·s - p + kh·d, ow·s - p + kw·d] · w[co, ci, kh, kw]`,
/// and the two adjoints, by direct loops.
struct Reference {
    y: Vec<f64>,
    dx: Vec<f64>,
    dw: Vec<f64>,
}

fn reference(c: &Case, x: &[f64], w: &[f64], dy: &[f64], out: [usize; 2]) -> Reference {
    let (cig, cog) = (c.cin / c.groups, c.cout / c.groups);
    let [h, wd] = c.hw;
    let [kh, kw] = c.k;
    let [oh, ow] = out;
    let mut y = vec![0.0; c.n * c.cout * oh * ow];
    let mut dx = vec![0.0; x.len()];
    let mut dw = vec![0.0; w.len()];
    for n in 0..c.n {
        for co in 0..c.cout {
            let g = co / cog;
            for i in 0..oh {
                for j in 0..ow {
                    let yi = ((n * c.cout + co) * oh + i) * ow + j;
                    for ci in 0..cig {
                        for a in 0..kh {
                            for b in 0..kw {
                                let r = (i * c.stride + a * c.dil) as isize - c.pad as isize;
                                let s = (j * c.stride + b * c.dil) as isize - c.pad as isize;
                                if r < 0 || s < 0 || r >= h as isize || s >= wd as isize {
                                    continue;
                                }
                                let xi =
                                    ((n * c.cin + g * cig + ci) * h + r as usize) * wd + s as usize;
                                let wi = ((co * cig + ci) * kh + a) * kw + b;
                                y[yi] += x[xi] * w[wi];
                                dx[xi] += dy[yi] * w[wi];
                                dw[wi] += dy[yi] * x[xi];
                            }
                        }
                    }
                }
            }
        }
    }
    Reference { y, dx, dw }
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-10 * (1.0 + w.abs()),
            "{what}[{i}]: got {g}, want {w}"
        );
    }
}

fn check(c: &Case) {
    let p = ConvParams::new(&[c.stride], &[c.pad], &[c.dil], c.groups, 2);
    let x = Array::randn(&[c.n, c.cin, c.hw[0], c.hw[1]], DType::F64);
    let w = Array::randn(&[c.cout, c.cin / c.groups, c.k[0], c.k[1]], DType::F64);
    let bias = Array::randn(&[c.cout], DType::F64);
    let out = conv_output_size(&c.hw, &c.k, &p);
    let dy = Array::randn(&[c.n, c.cout, out[0], out[1]], DType::F64);
    let (xv, wv, dyv) = (x.to_vec::<f64>(), w.to_vec::<f64>(), dy.to_vec::<f64>());
    let r = reference(c, &xv, &wv, &dyv, [out[0], out[1]]);
    let name = format!(
        "n={} cin={} cout={} hw={:?} k={:?} s={} p={} d={} g={}",
        c.n, c.cin, c.cout, c.hw, c.k, c.stride, c.pad, c.dil, c.groups
    );

    let y = conv_forward(&x, &w, None, &p);
    assert_eq!(y.shape(), &[c.n, c.cout, out[0], out[1]], "{name}");
    assert_close(&format!("{name}: y"), &y.to_vec::<f64>(), &r.y);

    let yb = conv_forward(&x, &w, Some(&bias), &p).to_vec::<f64>();
    let bv = bias.to_vec::<f64>();
    let plane = out[0] * out[1];
    let with_bias: Vec<f64> =
        r.y.iter()
            .enumerate()
            .map(|(i, v)| v + bv[(i / plane) % c.cout])
            .collect();
    assert_close(&format!("{name}: y + bias"), &yb, &with_bias);

    let dx = conv_backward_input(&dy, &w, &c.hw, &p);
    assert_close(&format!("{name}: dx"), &dx.to_vec::<f64>(), &r.dx);

    let dw = conv_backward_weight(&x, &dy, &c.k, &p);
    assert_close(&format!("{name}: dw"), &dw.to_vec::<f64>(), &r.dw);

    // f32 goes through the same paths; checked loosely against the f64 reference.
    let y32 = conv_forward(&x.to_dtype(DType::F32), &w.to_dtype(DType::F32), None, &p);
    for (g, want) in y32.to_vec::<f32>().iter().zip(&r.y) {
        assert!(
            (*g as f64 - want).abs() <= 1e-4 * (1.0 + want.abs()),
            "{name}: f32 y"
        );
    }
}

#[test]
fn small_planes_many_images() {
    ember_tensor::manual_seed(11);
    // 4×4, 3×3 and 2×2 output planes with 8 to 37 images and weights of over 512 KiB per
    // group: several images per product, with a last item holding fewer images than the
    // others. Then the same with small weights (one image per product).
    for (n, cin, cout, groups) in [
        (8, 64, 128, 1),
        (9, 128, 256, 2),
        (37, 64, 128, 1),
        (9, 4, 6, 2),
    ] {
        // (input, kernel, stride, padding, dilation) giving 4×4, 3×3 and 2×2 (strided)
        // output planes.
        for (hw, k, stride, pad, dil) in [
            ([6, 6], [3, 3], 1, 0, 1),
            ([6, 5], [3, 2], 2, 1, 1),
            ([7, 7], [2, 2], 1, 1, 2),
        ] {
            check(&Case {
                n,
                cin,
                cout,
                hw,
                k,
                stride,
                pad,
                dil,
                groups,
            });
        }
    }
}

#[test]
fn stride_one_input_gradient_as_a_convolution() {
    ember_tensor::manual_seed(14);
    // Stride 1 with padding up to dilation·(k-1) computes dx as a forward convolution of dy
    // with the flipped weight; planes above 256 outputs take the per-image tiles.
    for (hw, k, pad, dil, groups) in [
        ([20, 18], [3, 3], 1, 1, 1),
        ([20, 18], [3, 5], 2, 1, 2),
        ([17, 19], [3, 3], 0, 2, 1),
        ([17, 19], [3, 3], 4, 2, 2),
        ([9, 9], [4, 2], 1, 1, 1),
    ] {
        check(&Case {
            n: 3,
            cin: 6,
            cout: 4,
            hw,
            k,
            stride: 1,
            pad,
            dil,
            groups,
        });
    }
}

#[test]
fn pointwise_many_images() {
    ember_tensor::manual_seed(12);
    for (n, stride) in [(12, 1), (13, 2)] {
        check(&Case {
            n,
            cin: 6,
            cout: 3,
            hw: [5, 4],
            k: [1, 1],
            stride,
            pad: 0,
            dil: 1,
            groups: 1,
        });
    }
}

#[test]
fn big_planes_and_single_images() {
    ember_tensor::manual_seed(13);
    // One image (tiles over its output plane), and a few images with planes over 256 outputs.
    check(&Case {
        n: 1,
        cin: 3,
        cout: 5,
        hw: [40, 40],
        k: [3, 3],
        stride: 1,
        pad: 1,
        dil: 1,
        groups: 1,
    });
    check(&Case {
        n: 3,
        cin: 4,
        cout: 4,
        hw: [20, 18],
        k: [3, 3],
        stride: 1,
        pad: 1,
        dil: 1,
        groups: 2,
    });
}
