//! Collation: turning a list of items into a batch.

use ember_autograd::Tensor;

use crate::DataError;

/// An item type that the default collate knows how to batch (`default_collate`): tensors are
/// stacked along a new first dimension, integers (`i64`, `usize`, `i32`) become an `i64`
/// tensor, floats an `f32`/`f64` tensor, and tuples and `Vec`s are collated position by
/// position.
///
/// ```
/// use ember_autograd::{DType, Tensor};
/// use ember_data::Collatable;
/// let items = vec![(Tensor::from_vec(vec![1.0f32, 2.0], &[2]), 3i64), (Tensor::from_vec(vec![4.0f32, 5.0], &[2]), 6)];
/// let (x, y) = <(Tensor, i64)>::collate(items).unwrap();
/// assert_eq!(x.shape(), [2, 2]);
/// assert_eq!((y.dtype(), y.to_vec::<i64>()), (DType::I64, vec![3, 6]));
/// ```
pub trait Collatable: Sized {
    /// The batched form.
    type Batch: Send;
    /// Batches `items` (at least one).
    fn collate(items: Vec<Self>) -> Result<Self::Batch, DataError>;
}

impl Collatable for Tensor {
    type Batch = Tensor;
    fn collate(items: Vec<Tensor>) -> Result<Tensor, DataError> {
        let Some(first) = items.first() else {
            return Err(DataError::Collate("no items to stack".into()));
        };
        for (i, t) in items.iter().enumerate() {
            if t.shape() != first.shape() || t.dtype() != first.dtype() {
                return Err(DataError::Collate(format!(
                    "item {i} is a {:?} tensor of shape {:?} but item 0 is a {:?} tensor of shape {:?}",
                    t.dtype(),
                    t.shape(),
                    first.dtype(),
                    first.shape()
                )));
            }
        }
        let refs: Vec<&Tensor> = items.iter().collect();
        Ok(Tensor::stack(&refs, 0))
    }
}

macro_rules! collate_scalar {
    ($($t:ty => $to:ty),*) => {$(
        impl Collatable for $t {
            type Batch = Tensor;
            fn collate(items: Vec<$t>) -> Result<Tensor, DataError> {
                let n = items.len();
                Ok(Tensor::from_vec(items.into_iter().map(|v| v as $to).collect::<Vec<$to>>(), &[n]))
            }
        }
    )*};
}
collate_scalar!(i64 => i64, i32 => i64, usize => i64, u8 => i64, f32 => f32, f64 => f64);

impl<T: Collatable> Collatable for Vec<T> {
    type Batch = Vec<T::Batch>;
    fn collate(items: Vec<Vec<T>>) -> Result<Vec<T::Batch>, DataError> {
        let Some(first) = items.first() else {
            return Ok(Vec::new());
        };
        let k = first.len();
        if let Some(i) = items.iter().position(|v| v.len() != k) {
            return Err(DataError::Collate(format!(
                "item {i} has {} fields but item 0 has {k}",
                items[i].len()
            )));
        }
        let mut columns: Vec<Vec<T>> = (0..k).map(|_| Vec::with_capacity(items.len())).collect();
        for item in items {
            for (c, v) in columns.iter_mut().zip(item) {
                c.push(v);
            }
        }
        columns.into_iter().map(T::collate).collect()
    }
}

macro_rules! collate_tuple {
    ($(($($name:ident $idx:tt),+))*) => {$(
        impl<$($name: Collatable),+> Collatable for ($($name,)+) {
            type Batch = ($($name::Batch,)+);
            #[allow(non_snake_case)]
            fn collate(items: Vec<Self>) -> Result<Self::Batch, DataError> {
                $(let mut $name = Vec::with_capacity(items.len());)+
                for item in items {
                    $($name.push(item.$idx);)+
                }
                Ok(($($name::collate($name)?,)+))
            }
        }
    )*};
}
collate_tuple! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
}

/// How a [`DataLoader`](crate::DataLoader) turns the items of a batch into the batch. Runs on
/// the worker threads.
///
/// ```
/// use ember_data::{Collate, DefaultCollate};
/// let b = DefaultCollate.collate(vec![1i64, 2, 3]).unwrap();
/// assert_eq!(b.to_vec::<i64>(), [1, 2, 3]);
/// ```
pub trait Collate<T>: Send + Sync {
    /// The batch type.
    type Batch: Send;
    /// Collates `items` into a batch.
    fn collate(&self, items: Vec<T>) -> Result<Self::Batch, DataError>;
}

/// The default collate: [`Collatable::collate`].
///
/// ```
/// use ember_autograd::Tensor;
/// use ember_data::{Collate, DefaultCollate};
/// let b = DefaultCollate.collate(vec![vec![Tensor::from_vec(vec![1u8], &[1])]; 3]).unwrap();
/// assert_eq!(b[0].shape(), [3, 1]);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultCollate;

impl<T: Collatable> Collate<T> for DefaultCollate {
    type Batch = T::Batch;
    fn collate(&self, items: Vec<T>) -> Result<T::Batch, DataError> {
        T::collate(items)
    }
}

/// A collate function made from a closure (see
/// [`DataLoaderBuilder::collate_fn`](crate::DataLoaderBuilder::collate_fn)).
///
/// ```
/// use ember_data::{Collate, FnCollate};
/// let c = FnCollate(|items: Vec<i64>| Ok::<_, ember_data::DataError>(items.iter().sum::<i64>()));
/// assert_eq!(c.collate(vec![1, 2, 3]).unwrap(), 6);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FnCollate<F>(pub F);

impl<T, B, F> Collate<T> for FnCollate<F>
where
    F: Fn(Vec<T>) -> Result<B, DataError> + Send + Sync,
    B: Send,
{
    type Batch = B;
    fn collate(&self, items: Vec<T>) -> Result<B, DataError> {
        (self.0)(items)
    }
}
