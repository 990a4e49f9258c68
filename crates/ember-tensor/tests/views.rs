//! View ops and `i(...)` indexing against naive index-math references, over layouts and dtypes;
//! storage sharing, writes through views, and panic messages.

mod common;
use common::*;
use ember_tensor::{Array, DType, Ellipsis, IndexItem, NewAxis, Slice, s};

#[test]
fn to_vec_copies_and_leaves_the_array_and_its_views_intact() {
    // A contiguous array that nobody else holds, a view of one, and a fresh result: `to_vec`
    // may hand over only a buffer that no array can reach afterwards.
    let a = Array::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    assert_eq!(a.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(a.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let row = a.select(0, 1);
    assert_eq!(row.to_vec::<f32>(), vec![4.0, 5.0, 6.0]);
    let t = a.t();
    assert_eq!(t.to_vec::<f32>(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(t.to_vec::<f32>(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(
        a.add(1.0).to_vec::<f32>(),
        vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    );
    a.fill_(0.0);
    assert_eq!(row.to_vec::<f32>(), vec![0.0; 3]);
}

/// `out[idx] = src[map(idx)]` for every `idx` of `out_shape`, with `src` row-major of
/// `src_shape`.
fn gather_ref(
    src: &[f64],
    src_shape: &[usize],
    out_shape: &[usize],
    map: impl Fn(&[usize]) -> Vec<usize>,
) -> Vec<f64> {
    let n: usize = out_shape.iter().product();
    (0..n)
        .map(|i| {
            let from = map(&unravel(i, out_shape));
            assert_eq!(from.len(), src_shape.len());
            for (&k, &m) in from.iter().zip(src_shape) {
                assert!(k < m, "reference index {from:?} outside {src_shape:?}");
            }
            src[ravel(&from, src_shape)]
        })
        .collect()
}

/// Checks `op` on every layout of a random `shape` array: a view sharing storage, of
/// `out_shape`, whose values are `gather_ref(.., map)`.
#[track_caller]
fn check_view(
    shape: &[usize],
    op: impl Fn(&Array) -> Array,
    out_shape: &[usize],
    map: impl Fn(&[usize]) -> Vec<usize>,
) {
    let mut rng = TestRng::new(shape.iter().sum::<usize>() as u64 + 7);
    let a = rand_f64(&mut rng, shape);
    let want = gather_ref(&values(&a), shape, out_shape, map);
    for (name, x) in layouts(&a) {
        let v = op(&x);
        assert_eq!(v.shape(), out_shape, "{name}");
        assert!(v.shares_storage(&x), "{name}: not a view");
        assert_eq!(values(&v), want, "{name}");
    }
}

#[test]
fn squeeze_and_squeeze_dim() {
    check_view(
        &[1, 3, 1, 2],
        |x| x.squeeze(),
        &[3, 2],
        |o| vec![0, o[0], 0, o[1]],
    );
    check_view(
        &[1, 3, 1, 2],
        |x| x.squeeze_dim(-2),
        &[1, 3, 2],
        |o| vec![0, o[1], 0, o[2]],
    );
    check_view(
        &[1, 3, 1, 2],
        |x| x.squeeze_dim(1),
        &[1, 3, 1, 2],
        |o| o.to_vec(),
    );
    check_view(&[1, 1], |x| x.squeeze(), &[], |_| vec![0, 0]);
    check_view(&[0, 1], |x| x.squeeze(), &[0], |o| vec![o[0], 0]);
    let z = Array::scalar(4.0f32);
    assert_eq!(z.squeeze_dim(0).shape(), &[] as &[usize]);
    assert_eq!(z.squeeze_dim(-1).item::<f32>(), 4.0);
    assert_eq!(z.squeeze().shape(), &[] as &[usize]);
}

#[test]
fn flatten_is_reshape() {
    let mut rng = TestRng::new(3);
    let a = rand_f64(&mut rng, &[2, 3, 4]);
    let want = values(&a);
    for (name, x) in layouts(&a) {
        for (s, e, shape) in [
            (0, -1, vec![24]),
            (1, 2, vec![2, 12]),
            (-3, -2, vec![6, 4]),
            (1, 1, vec![2, 3, 4]),
        ] {
            let f = x.flatten(s, e);
            assert_eq!(f.shape(), shape.as_slice(), "{name} {s} {e}");
            assert_eq!(values(&f), want, "{name} {s} {e}");
            // A view exactly when the merged dims step evenly (always for contiguous input).
            if name == "contiguous" || s == e {
                assert!(f.shares_storage(&x));
            }
        }
    }
    // A transpose cannot be flattened without a copy; the copy does not alias.
    let t = a.transpose(0, 2);
    let f = t.flatten(0, -1);
    assert!(!f.shares_storage(&a));
    assert_eq!(
        values(&f),
        gather_ref(&values(&a), &[2, 3, 4], &[24], |o| {
            let i = unravel(o[0], &[4, 3, 2]);
            vec![i[2], i[1], i[0]]
        })
    );
    let z = Array::scalar(2i64);
    assert_eq!(z.flatten(0, -1).shape(), &[1]);
    assert_eq!(
        Array::zeros(&[2, 0, 3], DType::F32).flatten(0, 1).shape(),
        &[0, 3]
    );
}

#[test]
fn unflatten_splits_a_dim() {
    check_view(
        &[2, 6],
        |x| x.unflatten(1, &[3, -1]),
        &[2, 3, 2],
        |o| vec![o[0], o[1] * 2 + o[2]],
    );
    check_view(
        &[6, 2],
        |x| x.unflatten(-2, &[-1, 1, 3]),
        &[2, 1, 3, 2],
        |o| vec![o[0] * 3 + o[2], o[3]],
    );
    check_view(&[4], |x| x.unflatten(0, &[4]), &[4], |o| o.to_vec());
    assert_eq!(
        Array::zeros(&[0, 2], DType::F32)
            .unflatten(0, &[3, 0])
            .shape(),
        &[3, 0, 2]
    );
}

#[test]
fn expand_as_and_broadcast_to() {
    let other = Array::zeros(&[2, 3, 4], DType::I32);
    check_view(
        &[3, 1],
        |x| x.expand_as(&other),
        &[2, 3, 4],
        |o| vec![o[1], 0],
    );
    check_view(
        &[1, 4],
        |x| x.broadcast_to(&[3, 2, 4]),
        &[3, 2, 4],
        |o| vec![0, o[2]],
    );
    check_view(&[2], |x| x.broadcast_to(&[2]), &[2], |o| o.to_vec());
    check_view(&[1], |x| x.broadcast_to(&[0]), &[0], |o| o.to_vec());
    let b = Array::scalar(1.5f32).broadcast_to(&[2, 2]);
    assert_eq!(b.strides(), &[0, 0]);
    assert_eq!(b.to_vec::<f32>(), vec![1.5; 4]);
}

#[test]
fn diagonal_matches_reference() {
    for (shape, off, d1, d2) in [
        (vec![3, 4], 0i64, 0isize, 1isize),
        (vec![3, 4], 1, 0, 1),
        (vec![3, 4], 3, 0, 1),
        (vec![3, 4], 4, 0, 1),
        (vec![3, 4], 9, 0, 1),
        (vec![3, 4], -2, 0, 1),
        (vec![3, 4], -3, 0, 1),
        (vec![3, 4], 2, 1, 0),
        (vec![3, 4], -1, -1, -2),
        (vec![2, 3, 4], 1, 0, 2),
        (vec![2, 3, 4], -1, -1, 1),
        (vec![2, 3, 4], 0, 2, 0),
        (vec![0, 3], 0, 0, 1),
        (vec![1, 1], 0, 0, 1),
    ] {
        let nd = shape.len();
        let n = |d: isize| (if d < 0 { d + nd as isize } else { d }) as usize;
        let (a, b) = (n(d1), n(d2));
        let (na, nb) = (shape[a] as i64, shape[b] as i64);
        let len = if off >= 0 {
            na.min(nb - off)
        } else {
            (na + off).min(nb)
        }
        .max(0) as usize;
        let mut out: Vec<usize> = (0..nd)
            .filter(|&d| d != a && d != b)
            .map(|d| shape[d])
            .collect();
        out.push(len);
        check_view(
            &shape,
            |x| x.diagonal(off, d1, d2),
            &out,
            |o| {
                let k = o[o.len() - 1];
                let mut rest = o[..o.len() - 1].iter();
                (0..nd)
                    .map(|d| {
                        if d == a {
                            k + (-off).max(0) as usize
                        } else if d == b {
                            k + off.max(0) as usize
                        } else {
                            *rest.next().unwrap()
                        }
                    })
                    .collect()
            },
        );
    }
    // Hand-computed.
    let m = Array::from([[1i64, 2, 3], [4, 5, 6]]);
    assert_eq!(m.diagonal(0, 0, 1).to_vec::<i64>(), vec![1, 5]);
    assert_eq!(m.diagonal(1, 0, 1).to_vec::<i64>(), vec![2, 6]);
    assert_eq!(m.diagonal(-1, 0, 1).to_vec::<i64>(), vec![4]);
    assert_eq!(m.diagonal(1, 1, 0).to_vec::<i64>(), vec![4]);
}

#[test]
fn unfold_matches_reference() {
    for (shape, dim, size, step) in [
        (vec![7], 0isize, 3usize, 2usize),
        (vec![7], 0, 7, 1),
        (vec![7], -1, 1, 3),
        (vec![2, 5], -1, 2, 1),
        (vec![5, 2], 0, 2, 3),
        (vec![2, 5, 3], 1, 3, 1),
        (vec![3, 4], 1, 0, 2),
        (vec![0, 4], 1, 2, 2),
        (vec![3, 0], 1, 0, 1),
    ] {
        let nd = shape.len();
        let d = if dim < 0 { dim + nd as isize } else { dim } as usize;
        let mut out = shape.clone();
        out[d] = (shape[d] - size) / step + 1;
        out.push(size);
        check_view(
            &shape,
            |x| x.unfold(dim, size, step),
            &out,
            |o| {
                let mut i = o[..nd].to_vec();
                i[d] = o[d] * step + o[nd];
                i
            },
        );
    }
    let w = Array::from([1i32, 2, 3, 4, 5]).unfold(0, 2, 2);
    assert_eq!(w.to_vec::<i32>(), vec![1, 2, 3, 4]);
    let z = Array::scalar(3.0f64).unfold(0, 1, 1);
    assert_eq!(z.shape(), &[1]);
    assert_eq!(z.to_vec::<f64>(), vec![3.0]);
}

#[test]
fn movedim_matches_reference() {
    // (source, destination, the resulting permutation: out dim k is input dim perm[k])
    let cases: [(&[isize], &[isize], [usize; 4]); 5] = [
        (&[0], &[-1], [1, 2, 3, 0]),
        (&[-1, 0], &[0, 1], [3, 0, 1, 2]),
        (&[1, 3], &[3, 1], [0, 3, 2, 1]),
        (&[0, 1, 2, 3], &[3, 2, 1, 0], [3, 2, 1, 0]),
        (&[], &[], [0, 1, 2, 3]),
    ];
    let shape = [2, 3, 1, 4];
    for (src, dst, perm) in cases {
        let out: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
        check_view(
            &shape,
            |x| x.movedim(src, dst),
            &out,
            |o| {
                let mut i = vec![0; 4];
                for k in 0..4 {
                    i[perm[k]] = o[k];
                }
                i
            },
        );
    }
    assert_eq!(
        Array::scalar(1u8).movedim(&[0], &[-1]).shape(),
        &[] as &[usize]
    );
}

/// How one source dim (or a new axis) appears in the naive reference of an index.
enum RefDim {
    /// An integer index: the source dim is fixed and does not appear in the output.
    Fixed(usize),
    /// A slice: an output dim taking these source indices.
    Take(Vec<usize>),
    /// A new axis: an output dim of size 1 with no source dim.
    New,
}

/// Naive meaning of a basic index, built by filtering `0..n` on each dim.
fn index_ref(shape: &[usize], items: &[IndexItem]) -> (Vec<usize>, Vec<RefDim>) {
    let used = items
        .iter()
        .filter(|i| matches!(i, IndexItem::Select(_) | IndexItem::Slice(_)))
        .count();
    let mut full: Vec<IndexItem> = Vec::new();
    for it in items {
        if *it == IndexItem::Ellipsis {
            full.extend((0..shape.len() - used).map(|_| IndexItem::Slice(s(..))));
        } else {
            full.push(*it);
        }
    }
    while full
        .iter()
        .filter(|i| !matches!(i, IndexItem::NewAxis))
        .count()
        < shape.len()
    {
        full.push(IndexItem::Slice(s(..)));
    }
    let mut out_shape = Vec::new();
    let mut dims = Vec::new();
    let mut d = 0;
    for it in full {
        match it {
            IndexItem::Select(i) => {
                let n = shape[d] as i64;
                dims.push(RefDim::Fixed((if i < 0 { i + n } else { i }) as usize));
                d += 1;
            }
            IndexItem::Slice(sl) => {
                let n = shape[d] as i64;
                let norm = |b: i64| (if b < 0 { b + n } else { b }).clamp(0, n);
                let lo = sl.start.map_or(0, norm);
                let hi = sl.end.map_or(n, norm);
                let take: Vec<usize> = (0..n)
                    .filter(|&i| i >= lo && i < hi && (i - lo) % sl.step as i64 == 0)
                    .map(|i| i as usize)
                    .collect();
                out_shape.push(take.len());
                dims.push(RefDim::Take(take));
                d += 1;
            }
            IndexItem::NewAxis => {
                out_shape.push(1);
                dims.push(RefDim::New);
            }
            IndexItem::Ellipsis => unreachable!(),
        }
    }
    (out_shape, dims)
}

#[track_caller]
fn check_index(shape: &[usize], items: Vec<IndexItem>) {
    let (out_shape, dims) = index_ref(shape, &items);
    check_view(
        shape,
        |x| x.i(items.clone()),
        &out_shape,
        |o| {
            let mut src = Vec::new();
            let mut k = 0;
            for dim in &dims {
                match dim {
                    RefDim::Fixed(i) => src.push(*i),
                    RefDim::Take(list) => {
                        src.push(list[o[k]]);
                        k += 1;
                    }
                    RefDim::New => k += 1,
                }
            }
            src
        },
    );
}

#[test]
fn indexing_matches_reference() {
    use IndexItem::{Select as I, Slice as S};
    let sl = |a: Option<i64>, b: Option<i64>, st: usize| {
        S(Slice {
            start: a,
            end: b,
            step: st,
        })
    };
    let shape = [3, 4, 5];
    let cases: Vec<Vec<IndexItem>> = vec![
        vec![],
        vec![I(0)],
        vec![I(-1)],
        vec![I(2), I(-4), I(4)],
        vec![sl(None, None, 1), I(1)],
        vec![
            sl(Some(1), None, 1),
            sl(None, Some(-1), 2),
            sl(Some(-3), Some(100), 2),
        ],
        vec![sl(Some(-100), Some(2), 1)],
        vec![sl(Some(2), Some(1), 1)],
        vec![sl(Some(5), None, 1)],
        vec![sl(None, None, 7), sl(Some(1), Some(4), 3)],
        vec![IndexItem::NewAxis, I(1), IndexItem::NewAxis],
        vec![IndexItem::Ellipsis, I(-2)],
        vec![I(0), IndexItem::Ellipsis, sl(Some(1), None, 2)],
        vec![IndexItem::Ellipsis, I(0), I(0), I(0)],
        vec![I(1), IndexItem::Ellipsis, IndexItem::NewAxis],
        vec![IndexItem::NewAxis, IndexItem::Ellipsis, IndexItem::NewAxis],
    ];
    for items in cases {
        check_index(&shape, items);
    }
    check_index(&[0, 3], vec![sl(Some(1), None, 2), I(1)]);
    check_index(&[1, 1], vec![I(-1), sl(Some(1), None, 1)]);
    check_index(&[], vec![IndexItem::NewAxis, IndexItem::Ellipsis]);
}

#[test]
fn indexing_accepts_ranges_integers_and_tuples() {
    let x = Array::arange(0.0, 24.0, 1.0, DType::I64).reshape(&[2, 3, 4]);
    let v = |a: Array| a.to_vec::<i64>();
    assert_eq!(v(x.i(1usize).i(2i64)), vec![20, 21, 22, 23]);
    assert_eq!(v(x.i((-1isize, 0i32, 3u32))), vec![15]);
    assert_eq!(v(x.i((0, 1..3, ..2))), vec![4, 5, 8, 9]);
    assert_eq!(v(x.i((0, 1..=2, -2..))), vec![6, 7, 10, 11]);
    assert_eq!(v(x.i((0, ..=-1, ..=1))), vec![0, 1, 4, 5, 8, 9]);
    assert_eq!(v(x.i((0, ..-2, 1usize..))), vec![1, 2, 3]);
    assert_eq!(v(x.i((1, 2, s(..).step(2)))), vec![20, 22]);
    assert_eq!(
        v(x.i((1, s(-2..=-1), s(1..).step(2)))),
        vec![17, 19, 21, 23]
    );
    assert_eq!(
        x.i((0, NewAxis, .., NewAxis, 1, NewAxis)).shape(),
        &[1, 3, 1, 1]
    );
    assert_eq!(x.i((Ellipsis, 1..3)).shape(), &[2, 3, 2]);
    assert_eq!(x.i((.., .., .., NewAxis, Ellipsis)).shape(), &[2, 3, 4, 1]);
    assert_eq!(v(x.i((1, 2, 3, Ellipsis))), vec![23]);
    assert_eq!(x.i((1, 2, 3)).shape(), &[] as &[usize]);
    assert_eq!(x.i((0, 5..)).shape(), &[0, 4]);
    let items: &[IndexItem] = &[IndexItem::Select(1), IndexItem::Slice(s(1..))];
    assert_eq!(x.i(items).shape(), &[2, 4]);
    // A 0-d array: only NewAxis and Ellipsis apply.
    let z = Array::scalar(5.0f32);
    assert_eq!(z.i(NewAxis).shape(), &[1]);
    assert_eq!(z.i(Ellipsis).item::<f32>(), 5.0);
    assert_eq!(z.i(()).shape(), &[] as &[usize]);
}

#[test]
fn writes_through_views_reach_the_base() {
    let base = Array::zeros(&[3, 4], DType::F32);
    base.diagonal(1, 0, 1).fill_(1.0);
    base.i((.., s(..).step(3))).add_(2.0);
    base.unfold(1, 2, 2)
        .i((2, .., 1))
        .copy_(&Array::from([5.0f32, 6.0]));
    base.unflatten(0, &[1, 3])
        .movedim(&[0], &[-1])
        .squeeze()
        .i((0, 0))
        .fill_(9.0);
    let v = base.to_vec::<f32>();
    let mut want = [0.0f32; 12];
    for r in 0..3 {
        want[r * 4 + r + 1] = 1.0;
        want[r * 4] += 2.0;
        want[r * 4 + 3] += 2.0;
    }
    want[2 * 4 + 1] = 5.0;
    want[2 * 4 + 3] = 6.0;
    want[0] = 9.0;
    assert_eq!(v, want);
    // flatten of a contiguous array is a view too.
    base.flatten(0, -1).i(s(..).step(5)).fill_(-1.0);
    let v = base.to_vec::<f32>();
    assert_eq!((v[0], v[5], v[10]), (-1.0, -1.0, -1.0));
    let version = base.version();
    base.i(1).fill_(0.0);
    assert!(
        base.version() > version,
        "a write through a view bumps the base's version"
    );
}

#[test]
fn views_of_every_dtype() {
    let mut rng = TestRng::new(11);
    for dt in [
        DType::F32,
        DType::F64,
        DType::F16,
        DType::BF16,
        DType::I64,
        DType::I32,
        DType::U8,
        DType::Bool,
    ] {
        let a = rand_of(&mut rng, &[3, 4], dt);
        let va = values(&a);
        let at = |r: usize, c: usize| va[r * 4 + c];
        for (name, x) in layouts(&a) {
            let d = x.diagonal(-1, 1, 0);
            assert_eq!(d.dtype(), dt);
            assert_eq!(
                values(&d),
                vec![at(0, 1), at(1, 2), at(2, 3)],
                "{dt:?} {name}"
            );
            let sl = x.i((-2.., s(1..).step(2)));
            assert_eq!(values(&sl), vec![at(1, 1), at(1, 3), at(2, 1), at(2, 3)]);
            let w = x.i(0).unfold(0, 2, 1);
            assert_eq!(
                values(&w),
                vec![at(0, 0), at(0, 1), at(0, 1), at(0, 2), at(0, 2), at(0, 3)]
            );
            assert!(w.shares_storage(&x) && sl.shares_storage(&x) && d.shares_storage(&x));
        }
    }
}

#[test]
fn view_error_explains_strides_and_remedies() {
    let a = Array::zeros(&[4, 3], DType::F32);
    let err = std::panic::catch_unwind(|| a.t().view(&[12])).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    for needle in [
        "view:",
        "shape [3, 4]",
        "strides [1, 3]",
        "[12]",
        "groups (0) (1)",
        "reshape",
        "contiguous",
    ] {
        assert!(msg.contains(needle), "missing {needle:?} in: {msg}");
    }
    // A stepped slice cannot be merged either; splitting a dim still works.
    let b = Array::arange(0.0, 10.0, 1.0, DType::I64)
        .reshape(&[2, 5])
        .i((.., s(..).step(2)));
    assert_eq!(b.strides(), &[5, 2]);
    assert!(std::panic::catch_unwind(|| b.view(&[6])).is_err());
    let split = b.view(&[2, 3, 1]);
    assert!(split.shares_storage(&b));
    assert_eq!(split.to_vec::<i64>(), vec![0, 2, 4, 5, 7, 9]);
    // Evenly spaced dims merge even when not contiguous: [2, 3] with strides [6, 2].
    let c = Array::zeros(&[2, 6], DType::F32).i((.., s(..).step(2)));
    assert_eq!(c.view(&[6]).strides(), &[2]);
}

macro_rules! panics {
    ($name:ident, $expected:literal, $body:expr) => {
        #[test]
        #[should_panic(expected = $expected)]
        fn $name() {
            let _ = $body;
        }
    };
}

fn m34() -> Array {
    Array::zeros(&[3, 4], DType::F32)
}

panics!(
    view_mismatch,
    "view: shape [5] is invalid",
    m34().view(&[5])
);
panics!(
    squeeze_dim_range,
    "squeeze_dim: dimension 2 is out of range",
    m34().squeeze_dim(2)
);
panics!(
    flatten_order,
    "flatten: start_dim 1 comes after end_dim 0",
    m34().flatten(1, 0)
);
panics!(
    unflatten_sizes,
    "unflatten: sizes [2, 3] do not multiply to 4",
    m34().unflatten(1, &[2, 3])
);
panics!(
    unflatten_empty,
    "unflatten: sizes must be non-empty",
    m34().unflatten(0, &[])
);
panics!(
    broadcast_to_bad,
    "broadcast_to: the size 4 of dim 1 of the array (shape [3, 4]) must be 1",
    m34().broadcast_to(&[3, 5])
);
panics!(
    expand_as_bad,
    "expand_as: the target shape [4] has fewer dims",
    m34().expand_as(&Array::zeros(&[4], DType::F32))
);
panics!(
    diagonal_same_dim,
    "diagonal: dim1 1 and dim2 -1 are the same dim",
    m34().diagonal(0, 1, -1)
);
panics!(
    diagonal_1d,
    "diagonal: expects an array with at least 2 dims",
    Array::zeros(&[3], DType::F32).diagonal(0, 0, 1)
);
panics!(
    unfold_too_big,
    "unfold: the window size 5 exceeds the size 4 of dim -1",
    m34().unfold(-1, 5, 1)
);
panics!(
    unfold_step0,
    "unfold: step must be positive",
    m34().unfold(0, 1, 0)
);
panics!(
    movedim_lengths,
    "movedim: source [0] and destination [0, 1] must have the same number",
    m34().movedim(&[0], &[0, 1])
);
panics!(
    movedim_repeat,
    "movedim: dim 1 repeats in destination",
    m34().movedim(&[0, 1], &[1, -1])
);
panics!(
    index_range,
    "i: index 3 is out of range for dim 0 of size 3",
    m34().i(3)
);
panics!(
    index_negative_range,
    "i: index -5 is out of range for dim 1 of size 4 (shape [3, 4], index [:, -5])",
    m34().i((.., -5))
);
panics!(
    index_too_many,
    "i: too many indices for an array of shape [3, 4]",
    m34().i((0, 0, 0))
);
panics!(
    index_two_ellipses,
    "i: an index can only have a single Ellipsis",
    m34().i((Ellipsis, 0, Ellipsis))
);
panics!(
    index_step_zero,
    "i: slice step must be positive, got 1::0",
    m34().i(s(1..).step(0))
);
panics!(
    expand_negative,
    "expand: invalid size -2 in the target shape [3, -2]",
    m34().expand(&[3, -2])
);
