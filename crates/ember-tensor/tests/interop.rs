//! ndarray interop: zero-copy moves and views, copies for other layouts, all dtypes.

mod common;
use common::*;
use ember_tensor::{Array, DType, Element, bf16, f16};
use ndarray::{ArrayD, Axis, IxDyn, s};

/// Checks `nd` holds the same elements as `a` index by index (`unravel` of row-major
/// positions, read through ndarray's own indexing).
#[track_caller]
fn assert_same<T: Element>(nd: &ndarray::ArrayViewD<'_, T>, a: &Array) {
    assert_eq!(nd.shape(), a.shape());
    let want = a.to_vec::<T>();
    for (i, w) in want.iter().enumerate() {
        let idx = unravel(i, a.shape());
        assert_eq!(nd[IxDyn(&idx)], *w, "element {idx:?}");
    }
}

/// Round-trips `a` (any layout) through every conversion for element type `T`.
fn roundtrip<T: Element>(a: &Array) {
    let owned = a.to_ndarray::<T>();
    assert!(owned.is_standard_layout());
    assert_same(&owned.view(), a);
    let g = a.as_ndarray::<T>();
    let v = g.view();
    assert_same(&v, a);
    if a.numel() > 1 {
        // Zero-copy: the same strides (ndarray's are isize).
        for (d, (&n, &st)) in a.shape().iter().zip(a.strides()).enumerate() {
            if n > 1 {
                assert_eq!(v.strides()[d], st as isize, "stride of dim {d}");
            }
        }
    }
    let back = Array::from(owned);
    assert_eq!(back.dtype(), T::DTYPE);
    assert_eq!(back.shape(), a.shape());
    assert_eq!(back.to_vec::<T>(), a.to_vec::<T>());
    let from_view = Array::from(v.view());
    assert_eq!(from_view.to_vec::<T>(), a.to_vec::<T>());
}

#[test]
fn every_dtype_round_trips_in_every_layout() {
    let mut rng = TestRng::new(21);
    for dt in DType::ALL {
        for shape in [&[3, 4][..], &[2, 3, 5], &[5], &[], &[0, 3], &[1, 4]] {
            let a = rand_of(&mut rng, shape, dt);
            for (_name, x) in layouts(&a) {
                match dt {
                    DType::F32 => roundtrip::<f32>(&x),
                    DType::F64 => roundtrip::<f64>(&x),
                    DType::F16 => roundtrip::<f16>(&x),
                    DType::BF16 => roundtrip::<bf16>(&x),
                    DType::I64 => roundtrip::<i64>(&x),
                    DType::I32 => roundtrip::<i32>(&x),
                    DType::U8 => roundtrip::<u8>(&x),
                    DType::Bool => roundtrip::<bool>(&x),
                }
            }
        }
    }
}

#[test]
fn a_standard_layout_ndarray_moves_in_without_a_copy() {
    let nd = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let ptr = nd.as_ptr();
    let a = Array::from(nd);
    assert_eq!(a.shape(), &[2, 3]);
    assert!(a.is_contiguous());
    let g = a.as_ndarray::<f32>();
    assert_eq!(g.view().as_ptr(), ptr, "the buffer was moved, not copied");
    drop(g);
    // Static dimensions too.
    let nd2 = ndarray::Array2::<i64>::from_shape_fn((3, 2), |(i, j)| (i * 10 + j) as i64);
    let ptr2 = nd2.as_ptr();
    let b = Array::from(nd2);
    assert_eq!(b.to_vec::<i64>(), vec![0, 1, 10, 11, 20, 21]);
    assert_eq!(b.as_ndarray::<i64>().view().as_ptr(), ptr2);
    // 0-d.
    let z = Array::from(ndarray::arr0(2.5f64));
    assert_eq!(z.ndim(), 0);
    assert_eq!(z.item::<f64>(), 2.5);
}

#[test]
fn other_ndarray_layouts_are_copied_in_logical_order() {
    let base = ndarray::Array2::<i32>::from_shape_fn((4, 5), |(i, j)| (i * 5 + j) as i32);
    // (description, ndarray, expected row-major values)
    let reference = |v: &ndarray::Array2<i32>| -> Vec<i32> {
        let (r, c) = v.dim();
        (0..r * c).map(|k| v[(k / c, k % c)]).collect()
    };
    let cases: Vec<(&str, ndarray::Array2<i32>)> = vec![
        ("transposed", base.clone().reversed_axes()),
        ("stepped", base.clone().slice_move(s![.., ..;2])),
        (
            "offset, standard layout",
            base.clone().slice_move(s![1.., ..]),
        ),
        ("negative stride", {
            let mut x = base.clone();
            x.invert_axis(Axis(1));
            x
        }),
        (
            "both",
            base.clone().slice_move(s![..;-2, 1..4]).reversed_axes(),
        ),
    ];
    for (name, nd) in cases {
        let want = reference(&nd);
        let shape = nd.shape().to_vec();
        let a = Array::from(nd);
        assert_eq!(a.shape(), shape.as_slice(), "{name}");
        assert!(a.is_contiguous(), "{name}");
        assert_eq!(a.to_vec::<i32>(), want, "{name}");
    }
}

#[test]
fn as_ndarray_views_broadcast_and_overlapping_layouts_without_copying() {
    let a = Array::from([1.0f64, 2.0, 3.0]);
    let e = a.unsqueeze(0).expand(&[4, 3]);
    {
        let g = e.as_ndarray::<f64>();
        let v = g.view();
        assert_eq!(v.shape(), &[4, 3]);
        assert_eq!(v.strides(), &[0, 1]);
        assert_same(&v, &e);
        assert_eq!(v.sum(), 24.0);
    }
    // Overlapping windows of length 4, step 1.
    let x = Array::arange(0.0, 8.0, 1.0, DType::I64);
    let w = x.as_strided(&[5, 4], &[1, 1], 0);
    let g = w.as_ndarray::<i64>();
    assert_same(&g.view(), &w);
    assert_eq!(g.view()[[3, 2]], 5);
    // The view and the array read the same memory.
    let gx = x.as_ndarray::<i64>();
    assert_eq!(g.view().as_ptr(), gx.view().as_ptr());
}

#[test]
fn as_ndarray_of_a_view_with_an_offset_points_into_the_shared_storage() {
    let a = Array::arange(0.0, 12.0, 1.0, DType::F32).reshape(&[3, 4]);
    let sub = a.narrow(0, 1, 2).narrow(1, 1, 2); // rows 1..3, cols 1..3
    let gs = sub.as_ndarray::<f32>();
    let ga = a.as_ndarray::<f32>();
    let (vs, va) = (gs.view(), ga.view());
    assert_eq!(vs.strides(), &[4, 1]);
    // SAFETY-free pointer arithmetic: compare addresses only.
    let offset = (vs.as_ptr() as usize - va.as_ptr() as usize) / std::mem::size_of::<f32>();
    assert_eq!(offset, 5);
    assert_eq!(vs[[1, 1]], 10.0);
}

#[test]
#[should_panic(expected = "as_ndarray::<f32>: the array holds float64 (use as_ndarray::<f64>")]
fn as_ndarray_of_the_wrong_type_panics() {
    let a = Array::from([1.0f64]);
    let _g = a.as_ndarray::<f32>();
}

#[test]
#[should_panic(expected = "to_ndarray::<i32>: the array holds int64 (use to_ndarray::<i64>")]
fn to_ndarray_of_the_wrong_type_panics() {
    Array::from([1i64]).to_ndarray::<i32>();
}
