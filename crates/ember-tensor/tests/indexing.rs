//! Indexing ops (gathers, scatters, masks) against naive index-loop references.

mod common;
use common::*;
use ember_tensor::{Array, DType, ScatterReduce};

fn idx(v: &[i64], shape: &[usize]) -> Array {
    Array::from_slice(v, shape)
}

/// Random indices in `0..n` of `shape`.
fn rand_idx(rng: &mut TestRng, shape: &[usize], n: usize) -> Array {
    let len: usize = shape.iter().product();
    let v: Vec<i64> = (0..len).map(|_| rng.below(n as u64) as i64).collect();
    Array::from_vec(v, shape)
}

/// The same index array in several layouts (contiguous, transposed, stepped).
fn idx_layouts(a: &Array) -> Vec<Array> {
    layouts(a).into_iter().map(|(_, x)| x).collect()
}

#[test]
fn index_select_matches_reference() {
    let mut rng = TestRng::new(1);
    for dt in [DType::F64, DType::F16, DType::I32, DType::Bool] {
        let a = rand_of(&mut rng, &[3, 4, 5], dt);
        let va = values(&a);
        for dim in [0isize, 1, -1] {
            let d = dim.rem_euclid(3) as usize;
            let n = a.shape()[d];
            let index = rand_idx(&mut rng, &[6], n);
            let vi = index.to_vec::<i64>();
            let mut shape = vec![3, 4, 5];
            shape[d] = 6;
            let want: Vec<f64> = (0..shape.iter().product())
                .map(|i| {
                    let mut ix = unravel(i, &shape);
                    ix[d] = vi[ix[d]] as usize;
                    va[ravel(&ix, &[3, 4, 5])]
                })
                .collect();
            for (_, x) in layouts(&a) {
                for ix in idx_layouts(&index) {
                    let r = x.index_select(dim, &ix);
                    assert_eq!(r.shape(), &shape[..]);
                    assert_eq!(r.dtype(), dt);
                    assert_eq!(values(&r), want);
                }
            }
        }
    }
    let a = Array::from([[1i64, 2], [3, 4]]);
    assert_eq!(
        a.index_select(0, &Array::scalar(1i64)).to_vec::<i64>(),
        vec![3, 4]
    );
    assert_eq!(a.index_select(1, &idx(&[], &[0])).shape(), &[2, 0]);
    let s = Array::scalar(7.0f32).index_select(0, &idx(&[0], &[1]));
    assert_eq!(s.ndim(), 0);
}

#[test]
#[should_panic(expected = "index_select: index -1 is out of bounds for dimension 1 with size 2")]
fn index_select_negative_panics() {
    Array::zeros(&[2, 2], DType::F32).index_select(1, &idx(&[0, -1], &[2]));
}

#[test]
#[should_panic(expected = "index_select: expected an index array of dtype int64, got int32")]
fn index_select_int32_index_panics() {
    Array::zeros(&[2, 2], DType::F32).index_select(1, &Array::from([0i32]));
}

#[test]
fn gather_matches_reference() {
    let mut rng = TestRng::new(2);
    for dt in [DType::F32, DType::I64, DType::Bool, DType::BF16] {
        let a = rand_of(&mut rng, &[3, 4, 5], dt);
        let va = values(&a);
        for dim in [0isize, -2, 2] {
            let d = dim.rem_euclid(3) as usize;
            let ishape = [2, 3, 4];
            let index = rand_idx(&mut rng, &ishape, a.shape()[d]);
            let vi = index.to_vec::<i64>();
            let want: Vec<f64> = (0..24)
                .map(|i| {
                    let mut ix = unravel(i, &ishape);
                    ix[d] = vi[i] as usize;
                    va[ravel(&ix, &[3, 4, 5])]
                })
                .collect();
            for (_, x) in layouts(&a) {
                for ix in idx_layouts(&index) {
                    let r = x.gather(dim, &ix);
                    assert_eq!(r.shape(), &ishape);
                    assert_eq!(values(&r), want);
                }
            }
        }
    }
    let e = Array::zeros(&[2, 0], DType::I64);
    assert_eq!(
        Array::zeros(&[2, 3], DType::F32).gather(1, &e).shape(),
        &[2, 0]
    );
    assert_eq!(
        Array::scalar(3i64)
            .gather(0, &Array::scalar(0i64))
            .item::<i64>(),
        3
    );
}

#[test]
#[should_panic(expected = "gather: index 3 is out of bounds for dimension 0 with size 3")]
fn gather_out_of_range_panics() {
    Array::zeros(&[3], DType::F32).gather(0, &idx(&[3], &[1]));
}

#[test]
#[should_panic(expected = "gather: size does not match at dimension 1")]
fn gather_index_too_large_panics() {
    Array::zeros(&[3, 2], DType::F32).gather(0, &idx(&[0, 0, 0], &[1, 3]));
}

#[test]
fn take_matches_reference_with_negative_indices() {
    let mut rng = TestRng::new(3);
    let a = rand_of(&mut rng, &[3, 4], DType::F32);
    let va = values(&a);
    let index = idx(&[0, -1, 5, -12, 11, 3], &[2, 3]);
    let want: Vec<f64> = [0usize, 11, 5, 0, 11, 3].iter().map(|&i| va[i]).collect();
    for (_, x) in layouts(&a) {
        for ix in idx_layouts(&index) {
            let r = x.take(&ix);
            assert_eq!(r.shape(), &[2, 3]);
            assert_eq!(values(&r), want);
        }
    }
}

#[test]
#[should_panic(expected = "take: index -13 is out of bounds for dimension 0 with size 12")]
fn take_out_of_range_panics() {
    Array::zeros(&[3, 4], DType::F32).take(&idx(&[-13], &[1]));
}

#[test]
fn masked_select_and_nonzero_match_reference() {
    let mut rng = TestRng::new(4);
    for dt in [DType::F64, DType::I32, DType::Bool] {
        let a = rand_of(&mut rng, &[3, 4], dt);
        let m = rand_of(&mut rng, &[4], DType::Bool);
        let (va, vm) = (values(&a), values(&m));
        let want: Vec<f64> = (0..12)
            .filter(|&i| vm[i % 4] != 0.0)
            .map(|i| va[i])
            .collect();
        let nz: Vec<i64> = (0..12)
            .filter(|&i| va[i] != 0.0)
            .flat_map(|i| [(i / 4) as i64, (i % 4) as i64])
            .collect();
        for (_, x) in layouts(&a) {
            for (_, mx) in layouts(&m) {
                let r = x.masked_select(&mx);
                assert_eq!(r.shape(), &[want.len()]);
                assert_eq!(values(&r), want);
            }
            let n = x.nonzero();
            assert_eq!(n.shape(), &[nz.len() / 2, 2]);
            assert_eq!(n.dtype(), DType::I64);
            assert_eq!(n.to_vec::<i64>(), nz);
        }
    }
    // Mask bigger than the array: the result follows the broadcast shape.
    let a = Array::from([1i64, 2]);
    let m = Array::from([[true, false], [true, true]]);
    assert_eq!(a.masked_select(&m).to_vec::<i64>(), vec![1, 1, 2]);
    assert_eq!(Array::scalar(5i64).nonzero().shape(), &[1, 0]);
    assert_eq!(Array::scalar(0i64).nonzero().shape(), &[0, 0]);
    assert_eq!(
        Array::from([f32::NAN, 0.0, -0.0]).nonzero().to_vec::<i64>(),
        vec![0]
    );
}

#[test]
#[should_panic(expected = "masked_select: expected a bool mask, got dtype uint8")]
fn masked_select_non_bool_panics() {
    Array::zeros(&[2], DType::F32).masked_select(&Array::from([1u8, 0]));
}

#[test]
fn one_hot_and_bincount() {
    let c = idx(&[2, 0, 1, 2], &[2, 2]);
    let h = c.t().one_hot(Some(4));
    assert_eq!(h.shape(), &[2, 2, 4]);
    // c.t() = [[2, 1], [0, 2]]
    let want: Vec<i64> = [2, 1, 0, 2]
        .iter()
        .flat_map(|&v| (0..4).map(move |k| (k == v) as i64))
        .collect();
    assert_eq!(h.to_vec::<i64>(), want);
    assert_eq!(c.one_hot(None).shape(), &[2, 2, 3]);
    assert_eq!(idx(&[], &[0]).one_hot(Some(3)).shape(), &[0, 3]);

    let x = Array::from([3u8, 0, 3, 1]);
    assert_eq!(x.bincount(None, 0).to_vec::<i64>(), vec![1, 1, 0, 2]);
    assert_eq!(x.bincount(None, 6).to_vec::<i64>(), vec![1, 1, 0, 2, 0, 0]);
    let w = Array::from([1.0f64, 2.0, 0.5, 4.0]);
    let b = x.bincount(Some(&w), 0);
    assert_eq!(b.dtype(), DType::F64);
    assert_eq!(b.to_vec::<f64>(), vec![2.0, 4.0, 0.0, 1.5]);
    let wi = Array::from([1i64, 1, 1, 1]);
    assert_eq!(x.bincount(Some(&wi), 0).dtype(), DType::F64);
    let e = Array::zeros(&[0], DType::I64);
    assert_eq!(e.bincount(None, 2).to_vec::<i64>(), vec![0, 0]);
    // Strided input.
    let s = Array::from([[1i64, 9], [1, 9], [2, 9]]).select(1, 0);
    assert_eq!(s.bincount(None, 0).to_vec::<i64>(), vec![0, 2, 1]);
}

#[test]
#[should_panic(expected = "one_hot: class value 3 must be smaller than num_classes (3)")]
fn one_hot_too_large_panics() {
    idx(&[3], &[1]).one_hot(Some(3));
}

#[test]
#[should_panic(expected = "one_hot: class values must be non-negative, got -1")]
fn one_hot_negative_panics() {
    idx(&[-1], &[1]).one_hot(None);
}

#[test]
#[should_panic(expected = "bincount: only supports non-negative inputs, got -2")]
fn bincount_negative_panics() {
    idx(&[-2], &[1]).bincount(None, 0);
}

/// Reference scatter over 3-d shapes: calls `f(dst_flat_pos, src_value)` in row-major order
/// of the index.
fn scatter_ref(
    dst_shape: &[usize],
    dim: usize,
    index: &Array,
    src: &[f64],
    src_shape: &[usize],
    mut f: impl FnMut(usize, f64),
) {
    let vi = index.to_vec::<i64>();
    for (i, &j) in vi.iter().enumerate() {
        let ix = unravel(i, index.shape());
        let mut t = ix.clone();
        t[dim] = j as usize;
        f(ravel(&t, dst_shape), src[ravel(&ix, src_shape)]);
    }
}

#[test]
fn scatter_family_matches_reference_and_writes_through_views() {
    let mut rng = TestRng::new(5);
    for dt in [DType::F64, DType::F32, DType::I64, DType::F16] {
        for dim in [0isize, 1, -1] {
            let d = dim.rem_euclid(3) as usize;
            let dst = rand_of(&mut rng, &[3, 4, 5], dt);
            let src = rand_of(&mut rng, &[3, 4, 6], dt);
            let ishape = [2, 3, 4];
            let index = rand_idx(&mut rng, &ishape, dst.shape()[d]);
            let (vd, vs) = (values(&dst), values(&src));
            let mut want_set = vd.clone();
            scatter_ref(&[3, 4, 5], d, &index, &vs, &[3, 4, 6], |p, v| {
                want_set[p] = v
            });
            let mut want_add = vd.clone();
            scatter_ref(&[3, 4, 5], d, &index, &vs, &[3, 4, 6], |p, v| {
                want_add[p] += v
            });
            let tol = match dt {
                DType::F16 => 1e-2,
                DType::F32 => 1e-6,
                _ => 1e-12,
            };
            for (_, x) in layouts(&dst) {
                for (_, s) in layouts(&src) {
                    for ix in idx_layouts(&index) {
                        let r = x.scatter(dim, &ix, &s);
                        assert_eq!(values(&r), want_set);
                        let r = x.scatter_add(dim, &ix, &s);
                        assert_close(&values(&r), &want_add, tol, tol);
                        // In place, through the (possibly strided) view.
                        let y = x.clone_array();
                        let view = y.as_strided(x.shape(), y.strides(), 0);
                        view.scatter_add_(dim, &ix, &s);
                        assert_close(&values(&y), &want_add, tol, tol);
                    }
                }
            }
            // scatter_value_
            let y = dst.clone_array();
            y.scatter_value_(dim, &index, 1);
            let mut want = vd.clone();
            scatter_ref(&[3, 4, 5], d, &index, &vs, &[3, 4, 6], |p, _| want[p] = 1.0);
            assert_eq!(values(&y), want);
        }
    }
}

#[test]
fn scatter_in_place_into_a_transposed_view() {
    let base = Array::zeros(&[3, 2], DType::I64);
    let t = base.t(); // [2, 3], strides [1, 2]
    t.scatter_(1, &idx(&[2, 0], &[2, 1]), &Array::from([[5i64], [6]]));
    // t = [[0, 0, 5], [6, 0, 0]] → base = t.T
    assert_eq!(base.to_vec::<i64>(), vec![0, 6, 0, 0, 5, 0]);
}

#[test]
fn scatter_reduce_matches_reference() {
    let mut rng = TestRng::new(6);
    let reduces = [
        ScatterReduce::Sum,
        ScatterReduce::Prod,
        ScatterReduce::Mean,
        ScatterReduce::Amax,
        ScatterReduce::Amin,
    ];
    for dt in [DType::F64, DType::I64] {
        let dst = rand_of(&mut rng, &[4, 3], dt);
        let src = rand_of(&mut rng, &[5, 3], dt);
        let index = rand_idx(&mut rng, &[5, 3], 4);
        let (vd, vs) = (values(&dst), values(&src));
        for reduce in reduces {
            for include_self in [true, false] {
                // Gather the contributions per destination position.
                let mut lists: Vec<Vec<f64>> = vec![vec![]; 12];
                scatter_ref(&[4, 3], 0, &index, &vs, &[5, 3], |p, v| lists[p].push(v));
                let want: Vec<f64> = (0..12)
                    .map(|p| {
                        if lists[p].is_empty() {
                            return vd[p];
                        }
                        let mut l = lists[p].clone();
                        if include_self {
                            l.insert(0, vd[p]);
                        }
                        match reduce {
                            ScatterReduce::Sum => l.iter().sum(),
                            ScatterReduce::Prod => l.iter().product(),
                            ScatterReduce::Mean => {
                                let m = l.iter().sum::<f64>() / l.len() as f64;
                                if dt == DType::I64 { m.floor() } else { m }
                            }
                            ScatterReduce::Amax => l.iter().cloned().fold(f64::MIN, f64::max),
                            ScatterReduce::Amin => l.iter().cloned().fold(f64::MAX, f64::min),
                        }
                    })
                    .collect();
                for (_, x) in layouts(&dst) {
                    let r = x.scatter_reduce(0, &index, &src, reduce, include_self);
                    assert_close(&values(&r), &want, 1e-12, 1e-12);
                    let y = x.clone_array();
                    y.scatter_reduce_(-2, &index.t().contiguous().t(), &src, reduce, include_self);
                    assert_close(&values(&y), &want, 1e-12, 1e-12);
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "scatter_: index 4 is out of bounds for dimension 0 with size 4")]
fn scatter_out_of_range_panics_before_writing() {
    let a = Array::zeros(&[4], DType::F32);
    a.scatter_(0, &idx(&[4], &[1]), &Array::from([1.0f32]));
}

#[test]
fn scatter_bad_index_leaves_destination_untouched() {
    let a = Array::zeros(&[4], DType::F32);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        a.scatter_(0, &idx(&[1, -1], &[2]), &Array::from([1.0f32, 2.0]))
    }));
    assert!(r.is_err());
    assert_eq!(a.to_vec::<f32>(), vec![0.0; 4]);
}

#[test]
#[should_panic(expected = "scatter_: expected self and src to have the same dtype")]
fn scatter_dtype_mismatch_panics() {
    Array::zeros(&[4], DType::F32).scatter_(0, &idx(&[0], &[1]), &Array::from([1.0f64]));
}

#[test]
#[should_panic(expected = "scatter_add_: cannot write in place")]
fn scatter_into_expanded_view_panics() {
    let a = Array::zeros(&[1], DType::F32).expand(&[3]);
    a.scatter_add_(0, &idx(&[0], &[1]), &Array::from([1.0f32]));
}

#[test]
fn index_add_matches_reference() {
    let mut rng = TestRng::new(7);
    for dt in [DType::F64, DType::I32] {
        for dim in [0isize, -1] {
            let d = dim.rem_euclid(2) as usize;
            let dst = rand_of(&mut rng, &[4, 5], dt);
            let mut sshape = vec![4, 5];
            sshape[d] = 6;
            let src = rand_of(&mut rng, &sshape, dt);
            let index = rand_idx(&mut rng, &[6], dst.shape()[d]);
            let (vd, vs, vi) = (values(&dst), values(&src), index.to_vec::<i64>());
            let mut want = vd.clone();
            for (i, v) in vs.iter().enumerate() {
                let mut ix = unravel(i, &sshape);
                ix[d] = vi[ix[d]] as usize;
                want[ravel(&ix, &[4, 5])] += 2.0 * v;
            }
            for (_, x) in layouts(&dst) {
                for (_, s) in layouts(&src) {
                    for ix in idx_layouts(&index) {
                        let r = x.index_add(dim, &ix, &s, 2);
                        assert_close(&values(&r), &want, 1e-12, 1e-12);
                    }
                }
                let y = x.clone_array();
                let view = y.as_strided(x.shape(), y.strides(), 0);
                view.index_add_(dim, &index, &src, 2);
                assert_close(&values(&y), &want, 1e-12, 1e-12);
            }
        }
    }
}

#[test]
#[should_panic(expected = "index_add_: index 5 is out of bounds for dimension 1 with size 5")]
fn index_add_out_of_range_panics() {
    Array::zeros(&[2, 5], DType::F32).index_add_(
        1,
        &idx(&[5], &[1]),
        &Array::zeros(&[2, 1], DType::F32),
        1.0,
    );
}

#[test]
fn index_put_matches_reference() {
    let mut rng = TestRng::new(8);
    let a = rand_of(&mut rng, &[4, 3, 2], DType::F64);
    let va = values(&a);
    // Two index arrays broadcasting to [2, 3]; values broadcast to [2, 3, 2].
    let i0 = idx(&[0, -1], &[2, 1]);
    let i1 = idx(&[2, 0, 2], &[3]);
    let vals = rand_f64(&mut rng, &[3, 1]);
    let vv = values(&vals);
    for accumulate in [false, true] {
        let mut want = va.clone();
        for b in 0..6 {
            let (r, c) = (b / 3, b % 3);
            let row = [0usize, 3][r];
            let col = [2usize, 0, 2][c];
            for k in 0..2 {
                let p = ravel(&[row, col, k], &[4, 3, 2]);
                let v = vv[c];
                if accumulate {
                    want[p] += v
                } else {
                    want[p] = v
                }
            }
        }
        for (_, x) in layouts(&a) {
            let r = x.index_put(&[&i0, &i1], &vals, accumulate);
            assert_close(&values(&r), &want, 1e-12, 1e-12);
            let y = x.clone_array();
            let view = y.as_strided(x.shape(), y.strides(), 0);
            view.index_put_(&[&i0, &i1], &vals, accumulate);
            assert_close(&values(&y), &want, 1e-12, 1e-12);
        }
    }
    // A bool mask over the first two dims.
    let b = Array::from([[1i64, 2], [3, 4]]);
    let m = Array::from([[true, false], [false, true]]);
    assert_eq!(
        b.index_put(&[&m], &Array::scalar(0i64), false)
            .to_vec::<i64>(),
        vec![0, 2, 3, 0]
    );
    // Empty index list: the whole array.
    assert_eq!(
        b.index_put(&[], &Array::scalar(1i64), true).to_vec::<i64>(),
        vec![2, 3, 4, 5]
    );
}

#[test]
#[should_panic(expected = "index_put_: index 2 is out of bounds for dimension 0 with size 2")]
fn index_put_out_of_range_panics() {
    Array::zeros(&[2], DType::F32).index_put_(&[&idx(&[2], &[1])], &Array::scalar(1.0f32), false);
}

#[test]
fn masked_scatter_matches_reference() {
    let mut rng = TestRng::new(9);
    for dt in [DType::F32, DType::Bool, DType::I64] {
        let a = rand_of(&mut rng, &[3, 4], dt);
        let m = rand_of(&mut rng, &[3, 4], DType::Bool);
        let src = rand_of(&mut rng, &[2, 6], dt);
        let (va, vm, vs) = (values(&a), values(&m), values(&src));
        let mut k = 0;
        let want: Vec<f64> = (0..12)
            .map(|i| {
                if vm[i] != 0.0 {
                    k += 1;
                    vs[k - 1]
                } else {
                    va[i]
                }
            })
            .collect();
        for (_, x) in layouts(&a) {
            for (_, mx) in layouts(&m) {
                for (_, s) in layouts(&src) {
                    assert_eq!(values(&x.masked_scatter(&mx, &s)), want);
                }
            }
            let y = x.clone_array();
            let view = y.as_strided(x.shape(), y.strides(), 0);
            view.masked_scatter_(&m, &src);
            assert_eq!(values(&y), want);
        }
    }
    // Out-of-place broadcasts self against the mask.
    let r = Array::from([1i64, 2]).masked_scatter(
        &Array::from([[true, false], [false, true]]),
        &Array::from([7i64, 8]),
    );
    assert_eq!(r.to_vec::<i64>(), vec![7, 2, 1, 8]);
}

#[test]
#[should_panic(expected = "masked_scatter_: the mask selects 2 elements but the source has only 1")]
fn masked_scatter_short_source_panics() {
    Array::zeros(&[2], DType::F32)
        .masked_scatter_(&Array::from([true, true]), &Array::from([1.0f32]));
}

#[test]
fn scatter_with_src_sharing_storage_is_safe() {
    let a = Array::from([1i64, 2, 3, 4]);
    // src and index are views of the destination itself.
    a.scatter_(0, &idx(&[3, 2], &[2]), &a.narrow(0, 0, 2));
    assert_eq!(a.to_vec::<i64>(), vec![1, 2, 2, 1]);
    let b = Array::from([0i64, 1, 2]);
    b.scatter_add_(0, &b, &b);
    assert_eq!(b.to_vec::<i64>(), vec![0, 2, 4]);
}
