//! Basic indexing, `x.i(...)`: PyTorch's `x[...]` with integers, ranges, stepped slices,
//! [`NewAxis`] and [`Ellipsis`]. The result is always a view sharing storage with `x`.
//!
//! | PyTorch | Ember |
//! |---|---|
//! | `x[1]`, `x[-1]` | `x.i(1)`, `x.i(-1)` |
//! | `x[:, 1:3]` | `x.i((.., 1..3))` |
//! | `x[1:]`, `x[:-1]`, `x[2:5]` (end inclusive 4) | `x.i(1..)`, `x.i(..-1)`, `x.i(2..=4)` |
//! | `x[::2]`, `x[1::3]` | `x.i(s(..).step(2))`, `x.i(s(1..).step(3))` |
//! | `x[None]`, `x[:, None]` | `x.i(NewAxis)`, `x.i((.., NewAxis))` |
//! | `x[..., 0]` | `x.i((Ellipsis, 0))` |
//!
//! Range bounds are clamped like Python slices (`x.i(2..100)` on a dim of size 5 gives its
//! last 3 elements, `x.i(4..2)` an empty dim); integers must be in range. Steps are positive,
//! as in PyTorch: to reverse a dim, use `flip`. Advanced indexing with index arrays is
//! `index_select`, `gather` and `index_put`.
//!
//! ```
//! use ember_tensor::{Array, DType, Ellipsis, NewAxis, s};
//! let x = Array::arange(0.0, 24.0, 1.0, DType::I64).reshape(&[2, 3, 4]);
//! assert_eq!(x.i((1, .., -1)).to_vec::<i64>(), vec![15, 19, 23]);
//! assert_eq!(x.i((0, 1..)).shape(), &[2, 4]);
//! assert_eq!(x.i((Ellipsis, s(..).step(3))).shape(), &[2, 3, 2]);
//! assert_eq!(x.i((NewAxis, 0, ..=1)).shape(), &[1, 2, 4]);
//! let row = x.i((0, 2));
//! row.fill_(0);                                   // writes through the view
//! assert_eq!(x.i((0, 2)).to_vec::<i64>(), vec![0, 0, 0, 0]);
//! ```

use std::fmt;
use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

use smallvec::SmallVec;

use crate::Array;
use crate::layout::{Dims, Layout};

/// A slice of one dim: `start..end` taken every `step` elements (Python's `start:end:step`).
///
/// `None` bounds mean the start or end of the dim; negative bounds count from the end. Build
/// one from a range with [`s`] (or `Slice::from`), then set a step with [`Slice::step`].
///
/// ```
/// use ember_tensor::{Array, Slice, s};
/// let x = Array::from([0i64, 1, 2, 3, 4, 5, 6]);
/// assert_eq!(x.i(s(1..).step(2)).to_vec::<i64>(), vec![1, 3, 5]);
/// let every_third = Slice { start: None, end: Some(-1), step: 3 };
/// assert_eq!(x.i(every_third).to_vec::<i64>(), vec![0, 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slice {
    /// First index (default 0); negative counts from the end.
    pub start: Option<i64>,
    /// One past the last index (default the dim's size); negative counts from the end.
    pub end: Option<i64>,
    /// Distance between taken elements; must be positive.
    pub step: usize,
}

impl Slice {
    /// The same slice taking every `step`-th element (`x[a:b:step]`).
    ///
    /// A step of 0 panics when the slice is used; there are no negative steps (use `flip`).
    ///
    /// ```
    /// use ember_tensor::{Array, s};
    /// let x = Array::from([0i64, 1, 2, 3, 4, 5]);
    /// assert_eq!(x.i(s(..).step(4)).to_vec::<i64>(), vec![0, 4]);
    /// ```
    pub fn step(self, step: usize) -> Slice {
        Slice { step, ..self }
    }

    /// The view's `(first index, length)` on a dim of size `n`, clamped like Python's
    /// `slice.indices`.
    fn resolve(&self, n: usize) -> (usize, usize) {
        let n = n as i64;
        let clamp = |b: i64| if b < 0 { (b + n).max(0) } else { b.min(n) };
        let start = self.start.map_or(0, clamp);
        let end = self.end.map_or(n, clamp);
        let len = if end > start {
            ((end - start) as usize).div_ceil(self.step)
        } else {
            0
        };
        (start as usize, len)
    }
}

impl fmt::Display for Slice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(a) = self.start {
            write!(f, "{a}")?;
        }
        write!(f, ":")?;
        if let Some(b) = self.end {
            write!(f, "{b}")?;
        }
        if self.step != 1 {
            write!(f, ":{}", self.step)?;
        }
        Ok(())
    }
}

/// A [`Slice`] from a range: `s(1..4)`, `s(2..)`, `s(..-1)`, `s(..)`, `s(0..=2)`; chain
/// [`.step(n)`](Slice::step) for a stepped slice.
///
/// ```
/// use ember_tensor::{Array, s};
/// let x = Array::from([0i64, 1, 2, 3, 4, 5, 6, 7]);
/// assert_eq!(x.i(s(1..7).step(3)).to_vec::<i64>(), vec![1, 4]);
/// assert_eq!(x.i(s(-3..)).to_vec::<i64>(), vec![5, 6, 7]);
/// ```
pub fn s(range: impl Into<Slice>) -> Slice {
    range.into()
}

/// Inserts a dim of size 1 at its place in an index (PyTorch's `None`, NumPy's `newaxis`).
///
/// ```
/// use ember_tensor::{Array, DType, NewAxis};
/// let x = Array::zeros(&[2, 3], DType::F32);
/// assert_eq!(x.i((.., NewAxis)).shape(), &[2, 1, 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewAxis;

/// Stands for as many full slices (`..`) as needed to index every dim (Python's `...`); at
/// most one per index.
///
/// ```
/// use ember_tensor::{Array, DType, Ellipsis};
/// let x = Array::zeros(&[2, 3, 4, 5], DType::F32);
/// assert_eq!(x.i((Ellipsis, 0)).shape(), &[2, 3, 4]);
/// assert_eq!(x.i((1, Ellipsis, 0)).shape(), &[3, 4]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ellipsis;

/// One component of an index: what a single position of `x[a, b, ...]` can hold.
///
/// Usually built implicitly through [`IntoIndexItem`]; build a `Vec<IndexItem>` to index with
/// a number of components only known at run time.
///
/// ```
/// use ember_tensor::{Array, DType, IndexItem, s};
/// let x = Array::arange(0.0, 12.0, 1.0, DType::I64).reshape(&[3, 4]);
/// let idx = vec![IndexItem::Slice(s(1..)), IndexItem::Select(-1)];
/// assert_eq!(x.i(idx).to_vec::<i64>(), vec![7, 11]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexItem {
    /// Take one index (negative counts from the end) and remove the dim.
    Select(i64),
    /// Keep the dim, sliced.
    Slice(Slice),
    /// Insert a dim of size 1.
    NewAxis,
    /// As many full slices as needed to cover the unindexed dims.
    Ellipsis,
}

impl fmt::Display for IndexItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexItem::Select(i) => write!(f, "{i}"),
            IndexItem::Slice(s) => write!(f, "{s}"),
            IndexItem::NewAxis => write!(f, "None"),
            IndexItem::Ellipsis => write!(f, "..."),
        }
    }
}

/// What one position of an index accepts: integers (`usize`, `isize`, `i64`, `i32`, `u32`),
/// ranges of them (`..`, `a..b`, `a..`, `..b`, `a..=b`, `..=b`), [`Slice`], [`NewAxis`],
/// [`Ellipsis`] and [`IndexItem`].
pub trait IntoIndexItem {
    /// The index component.
    fn into_index_item(self) -> IndexItem;
}

/// What [`Array::i`] accepts: one [`IntoIndexItem`], a tuple of up to 6 of them (`()` for
/// none), or a `Vec`/slice of [`IndexItem`].
pub trait IndexArg {
    /// The index components, in order.
    fn into_index_items(self) -> SmallVec<[IndexItem; 6]>;
}

impl IntoIndexItem for IndexItem {
    fn into_index_item(self) -> IndexItem {
        self
    }
}

impl IntoIndexItem for Slice {
    fn into_index_item(self) -> IndexItem {
        IndexItem::Slice(self)
    }
}

impl IntoIndexItem for NewAxis {
    fn into_index_item(self) -> IndexItem {
        IndexItem::NewAxis
    }
}

impl IntoIndexItem for Ellipsis {
    fn into_index_item(self) -> IndexItem {
        IndexItem::Ellipsis
    }
}

impl From<RangeFull> for Slice {
    fn from(_: RangeFull) -> Slice {
        Slice {
            start: None,
            end: None,
            step: 1,
        }
    }
}

impl IntoIndexItem for RangeFull {
    fn into_index_item(self) -> IndexItem {
        IndexItem::Slice(self.into())
    }
}

/// Integers beyond `i64` saturate: they are out of range for any dim anyway.
fn to_i64<T: TryInto<i64>>(v: T) -> i64 {
    v.try_into().unwrap_or(i64::MAX)
}

/// An inclusive end `b` as an exclusive one: `-1` (the last element) means "to the end".
fn inclusive_end(b: i64) -> Option<i64> {
    if b == -1 {
        None
    } else {
        Some(b.saturating_add(1))
    }
}

macro_rules! int_index {
    ($($t:ty),*) => {$(
        impl IntoIndexItem for $t {
            fn into_index_item(self) -> IndexItem {
                IndexItem::Select(to_i64(self))
            }
        }
        impl From<Range<$t>> for Slice {
            fn from(r: Range<$t>) -> Slice {
                Slice { start: Some(to_i64(r.start)), end: Some(to_i64(r.end)), step: 1 }
            }
        }
        impl From<RangeFrom<$t>> for Slice {
            fn from(r: RangeFrom<$t>) -> Slice {
                Slice { start: Some(to_i64(r.start)), end: None, step: 1 }
            }
        }
        impl From<RangeTo<$t>> for Slice {
            fn from(r: RangeTo<$t>) -> Slice {
                Slice { start: None, end: Some(to_i64(r.end)), step: 1 }
            }
        }
        impl From<RangeInclusive<$t>> for Slice {
            fn from(r: RangeInclusive<$t>) -> Slice {
                let (a, b) = r.into_inner();
                Slice { start: Some(to_i64(a)), end: inclusive_end(to_i64(b)), step: 1 }
            }
        }
        impl From<RangeToInclusive<$t>> for Slice {
            fn from(r: RangeToInclusive<$t>) -> Slice {
                Slice { start: None, end: inclusive_end(to_i64(r.end)), step: 1 }
            }
        }
        impl IntoIndexItem for Range<$t> {
            fn into_index_item(self) -> IndexItem {
                IndexItem::Slice(self.into())
            }
        }
        impl IntoIndexItem for RangeFrom<$t> {
            fn into_index_item(self) -> IndexItem {
                IndexItem::Slice(self.into())
            }
        }
        impl IntoIndexItem for RangeTo<$t> {
            fn into_index_item(self) -> IndexItem {
                IndexItem::Slice(self.into())
            }
        }
        impl IntoIndexItem for RangeInclusive<$t> {
            fn into_index_item(self) -> IndexItem {
                IndexItem::Slice(self.into())
            }
        }
        impl IntoIndexItem for RangeToInclusive<$t> {
            fn into_index_item(self) -> IndexItem {
                IndexItem::Slice(self.into())
            }
        }
    )*};
}
int_index!(usize, isize, i64, i32, u32);

impl<T: IntoIndexItem> IndexArg for T {
    fn into_index_items(self) -> SmallVec<[IndexItem; 6]> {
        smallvec::smallvec![self.into_index_item()]
    }
}

macro_rules! tuple_index {
    ($($name:ident),+) => {
        impl<$($name: IntoIndexItem),+> IndexArg for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_index_items(self) -> SmallVec<[IndexItem; 6]> {
                let ($($name,)+) = self;
                smallvec::smallvec![$($name.into_index_item()),+]
            }
        }
    };
}
/// `x.i(())` is `x[()]`: the whole array, as a view.
impl IndexArg for () {
    fn into_index_items(self) -> SmallVec<[IndexItem; 6]> {
        SmallVec::new()
    }
}

tuple_index!(A);
tuple_index!(A, B);
tuple_index!(A, B, C);
tuple_index!(A, B, C, D);
tuple_index!(A, B, C, D, E);
tuple_index!(A, B, C, D, E, F);

impl IndexArg for &[IndexItem] {
    fn into_index_items(self) -> SmallVec<[IndexItem; 6]> {
        self.into()
    }
}

impl IndexArg for Vec<IndexItem> {
    fn into_index_items(self) -> SmallVec<[IndexItem; 6]> {
        self.into()
    }
}

/// `[a, b, c]` as PyTorch would print the index, for messages.
fn show(items: &[IndexItem]) -> String {
    let parts: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

impl Array {
    /// Basic indexing, PyTorch's `x[...]`: a view selected by integers, ranges, stepped
    /// slices ([`s`]), [`NewAxis`] and [`Ellipsis`]; see the [module docs](crate::ops::slice)
    /// for the full table. Integers remove their dim; ranges keep it (bounds clamped like
    /// Python's); dims left unindexed are kept whole.
    ///
    /// # Panics
    /// If an integer is out of range for its dim, there are more indices than dims, an index
    /// holds two [`Ellipsis`], or a step is 0.
    ///
    /// ```
    /// use ember_tensor::{Array, DType, NewAxis, s};
    /// let x = Array::arange(0.0, 12.0, 1.0, DType::F32).reshape(&[3, 4]);
    /// assert_eq!(x.i(1).to_vec::<f32>(), vec![4.0, 5.0, 6.0, 7.0]);
    /// assert_eq!(x.i((.., -1)).to_vec::<f32>(), vec![3.0, 7.0, 11.0]);
    /// assert_eq!(x.i((1.., s(..).step(2))).to_vec::<f32>(), vec![4.0, 6.0, 8.0, 10.0]);
    /// assert_eq!(x.i((0..=1, NewAxis, 3)).shape(), &[2, 1]);
    /// let v = x.i((.., 1..3));
    /// assert!(v.shares_storage(&x));
    /// v.mul_(0.0);
    /// assert_eq!(x.i(0).to_vec::<f32>(), vec![0.0, 0.0, 0.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn i(&self, index: impl IndexArg) -> Array {
        let items = index.into_index_items();
        let nd = self.ndim();
        let ellipses = items.iter().filter(|&&i| i == IndexItem::Ellipsis).count();
        assert!(
            ellipses <= 1,
            "i: an index can only have a single Ellipsis, got {}",
            show(&items)
        );
        let consumed = items
            .iter()
            .filter(|i| matches!(i, IndexItem::Select(_) | IndexItem::Slice(_)))
            .count();
        assert!(
            consumed <= nd,
            "i: too many indices for an array of shape {:?}: {} indexes {consumed} dims but \
             the array has {nd}",
            self.shape(),
            show(&items)
        );
        let (shape, strides) = (self.shape(), self.strides());
        let mut out_shape = Dims::new();
        let mut out_strides = Dims::new();
        let mut offset = self.storage_offset();
        let mut d = 0; // next dim of `self` to index
        for item in &items {
            match *item {
                IndexItem::Select(i) => {
                    let n = shape[d];
                    let k = if i < 0 { i + n as i64 } else { i };
                    assert!(
                        (0..n as i64).contains(&k),
                        "i: index {i} is out of range for dim {d} of size {n} (shape {:?}, \
                         index {})",
                        shape,
                        show(&items)
                    );
                    offset += k as usize * strides[d];
                    d += 1;
                }
                IndexItem::Slice(sl) => {
                    assert!(
                        sl.step > 0,
                        "i: slice step must be positive, got {sl} for dim {d} (shape {:?}); \
                         to reverse a dim use flip",
                        shape
                    );
                    let (start, len) = sl.resolve(shape[d]);
                    if len > 0 {
                        offset += start * strides[d];
                    }
                    out_shape.push(len);
                    out_strides.push(strides[d] * sl.step);
                    d += 1;
                }
                IndexItem::NewAxis => {
                    // The stride unsqueeze would give; any stride is valid for a size-1 dim.
                    let st = if d < nd { strides[d] * shape[d] } else { 1 };
                    out_shape.push(1);
                    out_strides.push(st);
                }
                IndexItem::Ellipsis => {
                    let whole = nd - consumed;
                    out_shape.extend_from_slice(&shape[d..d + whole]);
                    out_strides.extend_from_slice(&strides[d..d + whole]);
                    d += whole;
                }
            }
        }
        out_shape.extend_from_slice(&shape[d..]);
        out_strides.extend_from_slice(&strides[d..]);
        self.with_layout(Layout::new(&out_shape, &out_strides, offset))
    }
}
