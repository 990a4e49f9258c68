//! Joining, splitting, repeating and padding against naive index-loop references.

mod common;
use common::*;
use ember_tensor::{Array, DType, PadMode};

const DTYPES: [DType; 5] = [DType::F64, DType::F32, DType::F16, DType::I64, DType::Bool];

/// Naive reference: builds the output element by element from a map of output index → input
/// multi-index.
fn reference(x: &Array, out_shape: &[usize], src: impl Fn(&[usize]) -> Vec<usize>) -> Vec<f64> {
    let v = values(x);
    let n: usize = out_shape.iter().product();
    (0..n)
        .map(|i| v[ravel(&src(&unravel(i, out_shape)), x.shape())])
        .collect()
}

#[test]
fn cat_matches_reference_over_layouts_dims_and_dtypes() {
    let mut rng = TestRng::new(1);
    for dt in DTYPES {
        let a = rand_of(&mut rng, &[2, 3, 4], dt);
        let b = rand_of(&mut rng, &[2, 1, 4], dt);
        let c = rand_of(&mut rng, &[2, 0, 4], dt);
        let (va, vb) = (values(&a), values(&b));
        for (_, xa) in layouts(&a) {
            for (_, xb) in layouts(&b) {
                for dim in [1isize, -2] {
                    let r = Array::cat(&[&xa, &c, &xb], dim);
                    assert_eq!(r.shape(), &[2, 4, 4]);
                    assert_eq!(r.dtype(), dt);
                    let want: Vec<f64> = (0..32)
                        .map(|i| {
                            let ix = unravel(i, &[2, 4, 4]);
                            if ix[1] < 3 {
                                va[ravel(&ix, &[2, 3, 4])]
                            } else {
                                vb[ravel(&[ix[0], 0, ix[2]], &[2, 1, 4])]
                            }
                        })
                        .collect();
                    assert_eq!(values(&r), want);
                }
            }
        }
    }
}

#[test]
fn cat_promotes_and_skips_legacy_empty() {
    let a = Array::from([1i32, 2]);
    let b = Array::from([0.5f64]);
    let r = Array::cat(&[&a, &b], 0);
    assert_eq!(r.dtype(), DType::F64);
    assert_eq!(r.to_vec::<f64>(), vec![1.0, 2.0, 0.5]);
    let m = Array::from([[1u8, 2]]);
    let e = Array::zeros(&[0], DType::U8);
    let r = Array::cat(&[&e, &m, &e, &m], 0);
    assert_eq!(r.shape(), &[2, 2]);
    assert_eq!(r.to_vec::<u8>(), vec![1, 2, 1, 2]);
    assert_eq!(Array::cat(&[&e, &e], 0).shape(), &[0]);
}

#[test]
#[should_panic(expected = "cat: sizes of arrays must match except in dimension 0")]
fn cat_shape_mismatch_panics() {
    Array::cat(
        &[
            &Array::zeros(&[2, 3], DType::F32),
            &Array::zeros(&[2, 2], DType::F32),
        ],
        0,
    );
}

#[test]
#[should_panic(expected = "zero-dimensional array (at position 1)")]
fn cat_of_scalar_panics() {
    Array::cat(&[&Array::from([1.0f32]), &Array::scalar(1.0f32)], 0);
}

#[test]
fn stack_matches_reference() {
    let mut rng = TestRng::new(2);
    let a = rand_f64(&mut rng, &[2, 3]);
    let b = rand_f64(&mut rng, &[2, 3]);
    let (va, vb) = (values(&a), values(&b));
    for (_, xa) in layouts(&a) {
        for dim in [0isize, 1, 2, -1, -3] {
            let r = Array::stack(&[&xa, &b], dim);
            let d = dim.rem_euclid(3) as usize;
            let mut shape = vec![2, 3];
            shape.insert(d, 2);
            assert_eq!(r.shape(), &shape[..]);
            let want: Vec<f64> = (0..12)
                .map(|i| {
                    let mut ix = unravel(i, &shape);
                    let which = ix.remove(d);
                    [&va, &vb][which][ravel(&ix, &[2, 3])]
                })
                .collect();
            assert_eq!(values(&r), want);
        }
    }
    let s = Array::stack(&[&Array::scalar(1i64), &Array::scalar(2i64)], 0);
    assert_eq!(s.to_vec::<i64>(), vec![1, 2]);
}

#[test]
#[should_panic(expected = "stack: expects each array to be of equal size")]
fn stack_shape_mismatch_panics() {
    Array::stack(
        &[
            &Array::zeros(&[2], DType::F32),
            &Array::zeros(&[3], DType::F32),
        ],
        0,
    );
}

#[test]
fn split_chunk_unbind_are_views_with_pytorch_sizes() {
    let a = Array::arange(0.0, 14.0, 1.0, DType::I64).reshape(&[2, 7]);
    let sizes = |v: &[Array]| v.iter().map(|x| x.shape()[1]).collect::<Vec<_>>();
    let s = a.split(3, -1);
    assert_eq!(sizes(&s), vec![3, 3, 1]);
    assert_eq!(s[2].to_vec::<i64>(), vec![6, 13]);
    assert!(s.iter().all(|x| x.shares_storage(&a)));
    assert_eq!(sizes(&a.split(7, 1)), vec![7]);
    assert_eq!(sizes(&a.split(10, 1)), vec![7]);
    assert_eq!(sizes(&a.split_sizes(&[2, 0, 5], 1)), vec![2, 0, 5]);
    // torch.chunk: ceil(7/3) = 3 → [3, 3, 1]; ceil(7/4) = 2 → [2, 2, 2, 1]; ceil(7/6)=2 → 4.
    assert_eq!(sizes(&a.chunk(3, 1)), vec![3, 3, 1]);
    assert_eq!(sizes(&a.chunk(4, 1)), vec![2, 2, 2, 1]);
    assert_eq!(sizes(&a.chunk(6, 1)), vec![2, 2, 2, 1]);
    assert_eq!(sizes(&a.chunk(7, 1)), vec![1; 7]);
    assert_eq!(sizes(&a.chunk(9, 1)), vec![1; 7]);
    let e = Array::zeros(&[2, 0], DType::F32);
    assert_eq!(e.chunk(3, 1).len(), 3);
    assert_eq!(e.split(2, 1).len(), 1);
    assert_eq!(e.split(0, 1).len(), 1);
    let u = a.t().unbind(0);
    assert_eq!(u.len(), 7);
    assert_eq!(u[3].to_vec::<i64>(), vec![3, 10]);
    // Writing through a split view reaches the base.
    s[1].fill_(-1);
    assert_eq!(a.to_vec::<i64>()[3..7], [-1, -1, -1, 6]);
}

#[test]
#[should_panic(expected = "split_sizes: the sizes [2, 2] must sum exactly to 7")]
fn split_sizes_wrong_sum_panics() {
    Array::zeros(&[7], DType::F32).split_sizes(&[2, 2], 0);
}

#[test]
#[should_panic(expected = "chunk: expects `chunks` to be greater than 0")]
fn chunk_zero_panics() {
    Array::zeros(&[7], DType::F32).chunk(0, 0);
}

#[test]
fn repeat_and_tile_match_reference() {
    let mut rng = TestRng::new(3);
    for dt in DTYPES {
        let a = rand_of(&mut rng, &[2, 3], dt);
        for (_, x) in layouts(&a) {
            let r = x.repeat(&[2, 1, 2]);
            assert_eq!(r.shape(), &[2, 2, 6]);
            assert_eq!(r.dtype(), dt);
            assert!(!r.shares_storage(&x));
            let want = reference(&a, &[2, 2, 6], |ix| vec![ix[1] % 2, ix[2] % 3]);
            assert_eq!(values(&r), want);
            let t = x.tile(&[3]);
            assert_eq!(t.shape(), &[2, 9]);
            assert_eq!(
                values(&t),
                reference(&a, &[2, 9], |ix| vec![ix[0], ix[1] % 3])
            );
            assert_eq!(values(&x.repeat(&[1, 1])), values(&a));
            assert_eq!(x.repeat(&[0, 2]).shape(), &[0, 6]);
        }
    }
    assert_eq!(Array::scalar(4i64).repeat(&[3]).to_vec::<i64>(), vec![4; 3]);
}

#[test]
#[should_panic(expected = "repeat: the number of repeat dims (1) can not be smaller")]
fn repeat_too_few_panics() {
    Array::zeros(&[2, 2], DType::F32).repeat(&[2]);
}

#[test]
fn repeat_interleave_matches_reference() {
    let mut rng = TestRng::new(4);
    let a = rand_of(&mut rng, &[2, 3], DType::I32);
    for (_, x) in layouts(&a) {
        let r = x.repeat_interleave(2, Some(-1));
        assert_eq!(r.shape(), &[2, 6]);
        assert_eq!(
            values(&r),
            reference(&a, &[2, 6], |ix| vec![ix[0], ix[1] / 2])
        );
        let r = x.repeat_interleave(3, Some(0));
        assert_eq!(
            values(&r),
            reference(&a, &[6, 3], |ix| vec![ix[0] / 3, ix[1]])
        );
        let r = x.repeat_interleave(2, None);
        assert_eq!(r.shape(), &[12]);
        let va = values(&a);
        assert_eq!(values(&r), (0..12).map(|i| va[i / 2]).collect::<Vec<_>>());
        assert_eq!(x.repeat_interleave(0, Some(1)).shape(), &[2, 0]);
    }
}

#[test]
fn flip_matches_reference() {
    let mut rng = TestRng::new(5);
    for dt in DTYPES {
        let a = rand_of(&mut rng, &[2, 3, 4], dt);
        for (_, x) in layouts(&a) {
            for dims in [&[0isize][..], &[-1], &[0, 2], &[2, 1, 0], &[]] {
                let r = x.flip(dims);
                let nd: Vec<usize> = dims.iter().map(|&d| d.rem_euclid(3) as usize).collect();
                let want = reference(&a, &[2, 3, 4], |ix| {
                    (0..3)
                        .map(|d| {
                            if nd.contains(&d) {
                                [2, 3, 4][d] - 1 - ix[d]
                            } else {
                                ix[d]
                            }
                        })
                        .collect()
                });
                assert_eq!(values(&r), want, "{dims:?}");
                assert!(!r.shares_storage(&x));
            }
        }
    }
    assert_eq!(
        Array::zeros(&[0, 3], DType::F32).flip(&[0]).shape(),
        &[0, 3]
    );
    assert_eq!(Array::scalar(2i64).flip(&[]).item::<i64>(), 2);
}

#[test]
#[should_panic(expected = "flip: dim 1 appears multiple times")]
fn flip_repeated_dim_panics() {
    Array::zeros(&[2, 2], DType::F32).flip(&[1, -1]);
}

#[test]
fn roll_matches_reference() {
    let mut rng = TestRng::new(6);
    let a = rand_of(&mut rng, &[3, 4], DType::F32);
    let md = |i: usize, s: isize, n: usize| (i as isize - s).rem_euclid(n as isize) as usize;
    for (_, x) in layouts(&a) {
        for (s0, s1) in [(1isize, 0isize), (0, -1), (2, 5), (-4, 3), (3, 4)] {
            let r = x.roll(&[s0, s1], &[0, -1]);
            let want = reference(&a, &[3, 4], |ix| vec![md(ix[0], s0, 3), md(ix[1], s1, 4)]);
            assert_eq!(values(&r), want);
        }
        // Flattened roll.
        let r = x.roll(&[5], &[]);
        let va = values(&a);
        assert_eq!(
            values(&r),
            (0..12).map(|i| va[md(i, 5, 12)]).collect::<Vec<_>>()
        );
        // A dim twice: shifts add up.
        assert_eq!(
            values(&x.roll(&[1, 1], &[1, 1])),
            values(&x.roll(&[2], &[1]))
        );
    }
    assert_eq!(
        Array::zeros(&[0, 2], DType::F32).roll(&[1], &[0]).shape(),
        &[0, 2]
    );
}

#[test]
#[should_panic(expected = "roll: shifts and dims must align")]
fn roll_misaligned_panics() {
    Array::zeros(&[2, 2], DType::F32).roll(&[1, 2], &[0]);
}

#[test]
fn pad_modes_match_reference() {
    let mut rng = TestRng::new(7);
    let a = rand_of(&mut rng, &[2, 3, 4], DType::F64);
    let shape = [2, 3, 4];
    // Index maps for one dim: padded position p with left pad l over size n.
    let reflect = |p: usize, l: usize, n: usize| {
        let i = p as isize - l as isize;
        let n = n as isize;
        let i = if i < 0 { -i } else { i };
        (if i >= n { 2 * (n - 1) - i } else { i }) as usize
    };
    let replicate =
        |p: usize, l: usize, n: usize| (p as isize - l as isize).clamp(0, n as isize - 1) as usize;
    let circular =
        |p: usize, l: usize, n: usize| (p as isize - l as isize).rem_euclid(n as isize) as usize;
    type Map = fn(usize, usize, usize) -> usize;
    for (mode, f) in [
        (PadMode::Reflect, reflect as Map),
        (PadMode::Replicate, replicate as Map),
        (PadMode::Circular, circular as Map),
    ] {
        for pads in [&[2usize, 3][..], &[1, 0, 2, 2], &[0, 3, 1, 1, 1, 0]] {
            let mut lr = [(0, 0); 3];
            for (i, p) in pads.chunks(2).enumerate() {
                lr[2 - i] = (p[0], p[1]);
            }
            let out: Vec<usize> = (0..3).map(|d| shape[d] + lr[d].0 + lr[d].1).collect();
            for (_, x) in layouts(&a) {
                let r = x.pad(pads, mode, 0.0);
                assert_eq!(r.shape(), &out[..]);
                let want = reference(&a, &out, |ix| {
                    (0..3).map(|d| f(ix[d], lr[d].0, shape[d])).collect()
                });
                assert_eq!(values(&r), want, "{mode:?} {pads:?}");
            }
        }
    }
    // Constant, with an int dtype and size-0 dims.
    let b = Array::from([[1i32, 2], [3, 4]]);
    let r = b.t().pad(&[1, 0, 0, 1], PadMode::Constant, -1.0);
    assert_eq!(r.to_vec::<i32>(), vec![-1, 1, 3, -1, 2, 4, -1, -1, -1]);
    let e = Array::zeros(&[0, 2], DType::F32).pad(&[1, 1, 1, 0], PadMode::Constant, 5.0);
    assert_eq!(e.shape(), &[1, 4]);
    assert_eq!(e.to_vec::<f32>(), vec![5.0; 4]);
    let f = Array::from([true]).pad(&[1, 1], PadMode::Replicate, 0.0);
    assert_eq!(f.to_vec::<bool>(), vec![true; 3]);
}

#[test]
#[should_panic(expected = "pad: Reflect padding (3, 0) of dimension 0 is too large")]
fn pad_reflect_too_large_panics() {
    Array::zeros(&[3], DType::F32).pad(&[3, 0], PadMode::Reflect, 0.0);
}

#[test]
#[should_panic(expected = "pad: the padding length must be divisible by 2")]
fn pad_odd_panics() {
    Array::zeros(&[3], DType::F32).pad(&[1], PadMode::Constant, 0.0);
}

#[test]
fn tril_triu_match_reference_batched() {
    let mut rng = TestRng::new(8);
    for dt in [DType::F32, DType::I64, DType::Bool, DType::F16] {
        let a = rand_of(&mut rng, &[2, 3, 4], dt);
        let va = values(&a);
        for (_, x) in layouts(&a) {
            for k in [-4i64, -1, 0, 1, 2, 5] {
                let lo = x.tril(k);
                let up = x.triu(k);
                assert_eq!(lo.dtype(), dt);
                let (wl, wu): (Vec<f64>, Vec<f64>) = (0..24)
                    .map(|i| {
                        let ix = unravel(i, &[2, 3, 4]);
                        let d = ix[2] as i64 - ix[1] as i64;
                        (
                            if d <= k { va[i] } else { 0.0 },
                            if d >= k { va[i] } else { 0.0 },
                        )
                    })
                    .unzip();
                assert_eq!(values(&lo), wl);
                assert_eq!(values(&up), wu);
            }
        }
    }
    assert_eq!(Array::zeros(&[0, 3], DType::F32).tril(0).shape(), &[0, 3]);
}

#[test]
#[should_panic(expected = "tril: input must have at least 2 dimensions")]
fn tril_1d_panics() {
    Array::zeros(&[3], DType::F32).tril(0);
}
