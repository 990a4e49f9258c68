//! Matrix products against a naive triple loop in f64, over shapes, layouts and dtypes.

mod common;
use common::*;
use ember_tensor::{Array, DType};

/// Naive torch.matmul in f64: promotes 1-D operands, broadcasts batch dims, loops.
fn naive_matmul(a: &Array, b: &Array) -> (Vec<usize>, Vec<f64>) {
    let (va, vb) = (values(a), values(b));
    let (mut sa, mut sb) = (a.shape().to_vec(), b.shape().to_vec());
    let (a1, b1) = (sa.len() == 1, sb.len() == 1);
    if a1 {
        sa.insert(0, 1);
    }
    if b1 {
        sb.push(1);
    }
    let (m, k, n) = (sa[sa.len() - 2], sa[sa.len() - 1], sb[sb.len() - 1]);
    assert_eq!(k, sb[sb.len() - 2]);
    let (ba, bb) = (&sa[..sa.len() - 2], &sb[..sb.len() - 2]);
    let nd = ba.len().max(bb.len());
    let pad = |s: &[usize]| {
        let mut v = vec![1; nd - s.len()];
        v.extend_from_slice(s);
        v
    };
    let (pa, pb) = (pad(ba), pad(bb));
    let batch: Vec<usize> = (0..nd)
        .map(|d| if pa[d] == 1 { pb[d] } else { pa[d] })
        .collect();
    let nbatch: usize = batch.iter().product();
    let mut out = vec![0.0; nbatch * m * n];
    for bi in 0..nbatch {
        let idx = unravel(bi, &batch);
        let ia: Vec<usize> = idx.iter().zip(&pa).map(|(&i, &s)| i % s).collect();
        let ib: Vec<usize> = idx.iter().zip(&pb).map(|(&i, &s)| i % s).collect();
        let (oa, ob) = (ravel(&ia, &pa) * m * k, ravel(&ib, &pb) * k * n);
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for p in 0..k {
                    s += va[oa + i * k + p] * vb[ob + p * n + j];
                }
                out[bi * m * n + i * n + j] = s;
            }
        }
    }
    let mut shape = batch;
    if !a1 {
        shape.push(m);
    }
    if !b1 {
        shape.push(n);
    }
    (shape, out)
}

fn tol(dt: DType) -> f64 {
    match dt {
        DType::F64 => 1e-12,
        DType::F32 => 1e-5,
        DType::F16 => 1e-2,
        DType::BF16 => 3e-2,
        _ => 0.0,
    }
}

fn check(a: &Array, b: &Array) {
    let got = a.matmul(b);
    let (shape, want) = naive_matmul(a, b);
    assert_eq!(got.shape(), &shape[..], "{:?} @ {:?}", a.shape(), b.shape());
    assert_eq!(got.dtype(), a.dtype());
    // Tolerance relative to the magnitude of the sums (k terms of size <= 10).
    let t = tol(a.dtype()) * (a.shape().last().copied().unwrap_or(1) as f64).max(1.0);
    assert_close(&values(&got), &want, t, t);
}

const SHAPES: &[(&[usize], &[usize])] = &[
    (&[3], &[3]),
    (&[4, 3], &[3]),
    (&[3], &[3, 5]),
    (&[4, 3], &[3, 5]),
    (&[2, 4, 3], &[3, 5]),
    (&[4, 3], &[2, 3, 5]),
    (&[2, 1, 4, 3], &[3, 3, 5]),
    (&[3], &[2, 3, 5]),
    (&[2, 4, 3], &[3]),
    (&[1, 4, 3], &[2, 3, 1]),
    (&[0, 3], &[3, 5]),
    (&[4, 0], &[0, 5]),
    (&[2, 0, 4, 3], &[3, 5]),
    (&[0], &[0]),
    (&[1, 1], &[1, 1]),
];

#[test]
fn matmul_shapes_layouts_and_float_dtypes_match_naive() {
    let mut rng = TestRng::new(11);
    for &(sa, sb) in SHAPES {
        let a = rand_f64(&mut rng, sa);
        let b = rand_f64(&mut rng, sb);
        for dt in [DType::F64, DType::F32, DType::F16, DType::BF16] {
            // Round the inputs to the dtype first so the reference sees the same values.
            let (a, b) = (a.to_dtype(dt), b.to_dtype(dt));
            for (_, xa) in layouts(&a) {
                for (_, xb) in layouts(&b) {
                    check(&xa, &xb);
                }
            }
        }
    }
}

#[test]
fn matmul_integer_dtypes_match_naive_exactly() {
    let mut rng = TestRng::new(12);
    for &(sa, sb) in SHAPES {
        for dt in [DType::I64, DType::I32, DType::U8] {
            let a = rand_of(&mut rng, sa, dt);
            let b = rand_of(&mut rng, sb, dt);
            for (_, xa) in layouts(&a) {
                for (_, xb) in layouts(&b) {
                    if dt == DType::U8 {
                        // u8 wraps: compare modulo 256.
                        let got = xa.matmul(&xb);
                        let (_, want) = naive_matmul(&xa, &xb);
                        let want: Vec<f64> = want
                            .iter()
                            .map(|&w| (w as i64).rem_euclid(256) as f64)
                            .collect();
                        assert_eq!(values(&got), want);
                    } else {
                        check(&xa, &xb);
                    }
                }
            }
        }
    }
}

#[test]
fn matmul_of_larger_strided_products_uses_gemm_threads_correctly() {
    // Big enough for the multi-threaded and batch-parallel paths.
    let mut rng = TestRng::new(13);
    let a = rand_f64(&mut rng, &[130, 70]).to_dtype(DType::F32);
    let b = rand_f64(&mut rng, &[130, 90]).to_dtype(DType::F32);
    check(&a.t(), &b); // transposed lhs [70,130] @ [130,90]
    let x = rand_f64(&mut rng, &[8, 40, 50]).to_dtype(DType::F32);
    let y = rand_f64(&mut rng, &[8, 60, 50]).to_dtype(DType::F32);
    check(&x, &y.transpose(1, 2));
    let stepped = x.as_strided(&[4, 40, 25], &[4000, 50, 2], 0);
    check(
        &stepped,
        &y.narrow(0, 0, 4).narrow(2, 0, 25).transpose(1, 2),
    );
}

#[test]
fn broadcast_batch_operand_is_read_in_place() {
    let mut rng = TestRng::new(14);
    let a = rand_f64(&mut rng, &[1, 3, 4]).expand(&[5, 3, 4]);
    let b = rand_f64(&mut rng, &[5, 4, 2]);
    check(&a, &b);
}

#[test]
fn mm_bmm_dot_outer() {
    let mut rng = TestRng::new(15);
    let a = rand_f64(&mut rng, &[3, 4]);
    let b = rand_f64(&mut rng, &[4, 2]);
    let (_, want) = naive_matmul(&a, &b);
    assert_close(&values(&a.mm(&b)), &want, 1e-12, 1e-12);
    let x = rand_f64(&mut rng, &[2, 3, 4]);
    let y = rand_f64(&mut rng, &[2, 4, 5]);
    let (_, want) = naive_matmul(&x, &y);
    assert_close(&values(&x.bmm(&y)), &want, 1e-12, 1e-12);
    let u = rand_f64(&mut rng, &[5]);
    let v = rand_f64(&mut rng, &[5]);
    let (vu, vv) = (values(&u), values(&v));
    let d = u.dot(&v);
    assert_eq!(d.ndim(), 0);
    let want: f64 = vu.iter().zip(&vv).map(|(x, y)| x * y).sum();
    assert!((d.item::<f64>() - want).abs() < 1e-12);
    let o = u.outer(&v.narrow(0, 0, 3));
    assert_eq!(o.shape(), &[5, 3]);
    let want: Vec<f64> = (0..15).map(|i| vu[i / 3] * vv[i % 3]).collect();
    assert_close(&values(&o), &want, 1e-12, 1e-12);
    // outer promotes like mul
    assert_eq!(
        Array::from([1i64, 2]).outer(&Array::from([0.5f32])).dtype(),
        DType::F32
    );
}

#[test]
fn addmm_and_baddbmm_match_reference() {
    let mut rng = TestRng::new(16);
    for dt in [DType::F64, DType::F32, DType::F16, DType::BF16, DType::I64] {
        let m1 = rand_of(&mut rng, &[3, 4], dt);
        let m2 = rand_of(&mut rng, &[4, 2], dt);
        let (_, p) = naive_matmul(&m1, &m2);
        for bias_shape in [&[2][..], &[3, 2], &[3, 1], &[]] {
            let bias = rand_of(&mut rng, bias_shape, dt);
            let vb = values(&bias.expand(&[3, 2]).contiguous());
            let (beta, alpha) = if dt == DType::I64 {
                (2.0, 3.0)
            } else {
                (0.5, -1.5)
            };
            let got = bias.addmm(&m1.t().contiguous().t(), &m2, beta, alpha);
            assert_eq!(got.dtype(), dt);
            let want: Vec<f64> = (0..6).map(|i| beta * vb[i] + alpha * p[i]).collect();
            let t = tol(dt) * 8.0;
            assert_close(&values(&got), &want, t, t);
        }
    }
    // beta = 0 ignores NaN in the input
    let nan = Array::full(&[2, 2], f64::NAN, DType::F32);
    let i2 = Array::from([[1.0f32, 0.0], [0.0, 1.0]]);
    assert_eq!(
        nan.addmm(&i2, &i2, 0.0, 1.0).to_vec::<f32>(),
        vec![1.0, 0.0, 0.0, 1.0]
    );
    // The output never shares the input's buffer, and the input is left as it was.
    let input = Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
    let r = input.addmm(&i2, &Array::from([[1.0f32, 1.0], [0.0, 1.0]]), 1.0, 1.0);
    assert_eq!(r.to_vec::<f32>(), vec![2.0, 3.0, 3.0, 5.0]);
    assert_eq!(input.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]);
    r.fill_(0.0);
    assert_eq!(input.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]);
    // baddbmm
    let b1 = rand_f64(&mut rng, &[2, 3, 4]);
    let b2 = rand_f64(&mut rng, &[2, 4, 5]);
    let inp = rand_f64(&mut rng, &[3, 5]);
    let (_, p) = naive_matmul(&b1, &b2);
    let vi = values(&inp);
    let got = inp.baddbmm(
        &b1,
        &b2.transpose(1, 2).contiguous().transpose(1, 2),
        2.0,
        0.5,
    );
    assert_eq!(got.shape(), &[2, 3, 5]);
    let want: Vec<f64> = (0..30).map(|i| 2.0 * vi[i % 15] + 0.5 * p[i]).collect();
    assert_close(&values(&got), &want, 1e-12, 1e-12);
}

#[test]
#[should_panic(expected = "matmul: shapes [2, 3] and [4, 5] cannot be multiplied")]
fn matmul_mismatch_names_op_and_shapes() {
    Array::zeros(&[2, 3], DType::F32).matmul(&Array::zeros(&[4, 5], DType::F32));
}

#[test]
#[should_panic(expected = "matmul: 1-D operands of shapes [2] and [3]")]
fn matmul_1d_mismatch() {
    Array::zeros(&[2], DType::F32).matmul(&Array::zeros(&[3], DType::F32));
}

#[test]
#[should_panic(
    expected = "matmul: the batch dims of shapes [2, 2, 3] and [3, 3, 1] cannot be broadcast"
)]
fn matmul_batch_mismatch() {
    Array::zeros(&[2, 2, 3], DType::F32).matmul(&Array::zeros(&[3, 3, 1], DType::F32));
}

#[test]
#[should_panic(expected = "matmul: both arguments need to be at least 1-D")]
fn matmul_0d() {
    Array::scalar(1.0f32).matmul(&Array::zeros(&[3], DType::F32));
}

#[test]
#[should_panic(expected = "same dtype")]
fn matmul_dtype_mismatch() {
    Array::zeros(&[3], DType::F32).matmul(&Array::zeros(&[3], DType::F64));
}

#[test]
#[should_panic(expected = "mm: both operands must be 2-D, got shapes [3] and [3, 2]")]
fn mm_rank() {
    Array::zeros(&[3], DType::F32).mm(&Array::zeros(&[3, 2], DType::F32));
}

#[test]
#[should_panic(expected = "bmm: the batch sizes differ: shapes [2, 3, 4] and [1, 4, 5]")]
fn bmm_batch() {
    Array::zeros(&[2, 3, 4], DType::F32).bmm(&Array::zeros(&[1, 4, 5], DType::F32));
}

#[test]
#[should_panic(expected = "bool")]
fn matmul_bool_refused() {
    Array::from([[true]]).matmul(&Array::from([[true]]));
}

#[test]
#[should_panic(
    expected = "addmm: the input of shape [4] cannot be broadcast to the product's shape [2, 3]"
)]
fn addmm_bad_input() {
    Array::zeros(&[4], DType::F32).addmm(
        &Array::zeros(&[2, 5], DType::F32),
        &Array::zeros(&[5, 3], DType::F32),
        1.0,
        1.0,
    );
}
