//! Property tests: a random chain of views gives the same values whatever the layout of the
//! array it starts from (contiguous, its `clone_array()`, transposed or stepped copies).

mod common;
use common::*;
use ember_tensor::{Array, IndexItem, Slice};
use proptest::prelude::*;

/// One step of a chain: which view (`kind`) and raw randomness the step turns into valid
/// arguments for the shape it meets, so every chain is valid and depends only on shapes.
type Step = (u8, [u64; 4]);

const KINDS: u8 = 14;

/// A random permutation of `0..n` from the bits of `r`.
fn perm(n: usize, mut r: u64) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        p.swap(i, (r % (i as u64 + 1)) as usize);
        r /= i as u64 + 1;
    }
    p
}

/// `d` as a dim of an `nd`-d array, negative when `neg` (both forms must work).
fn as_dim(d: usize, nd: usize, neg: bool) -> isize {
    if neg && nd > 0 {
        d as isize - nd as isize
    } else {
        d as isize
    }
}

/// A random divisor of `n` (> 0).
fn divisor(n: usize, r: u64) -> usize {
    let ds: Vec<usize> = (1..=n).filter(|k| n.is_multiple_of(*k)).collect();
    ds[(r % ds.len() as u64) as usize]
}

/// A random basic index for `shape`.
fn random_index(shape: &[usize], r: [u64; 4]) -> Vec<IndexItem> {
    let nd = shape.len();
    let count = (r[0] % (nd as u64 + 1)) as usize;
    let mut items = Vec::new();
    let mut bits = r[1];
    let mut more = r[2] ^ r[3].rotate_left(17);
    let mut next = |m: u64| {
        let v = more % m;
        more = (more / m) ^ (more << 7);
        v
    };
    let ellipsis_at = if bits & 1 == 1 {
        Some(next(count as u64 + 1) as usize)
    } else {
        None
    };
    bits >>= 1;
    for d in 0..count {
        if ellipsis_at == Some(d) {
            items.push(IndexItem::Ellipsis);
        }
        if bits & 7 == 0 {
            items.push(IndexItem::NewAxis);
        }
        let n = shape[if ellipsis_at.is_some_and(|e| e <= d) {
            nd - count + d
        } else {
            d
        }] as i64;
        if bits & 8 == 8 && n > 0 {
            items.push(IndexItem::Select(next(2 * n as u64) as i64 - n));
        } else {
            let bound = |v: u64| match v % 4 {
                0 => None,
                _ => Some((v / 4) as i64 % (2 * n + 3) - n - 1),
            };
            items.push(IndexItem::Slice(Slice {
                start: bound(next(1 << 20)),
                end: bound(next(1 << 20)),
                step: 1 + next(3) as usize,
            }));
        }
        bits >>= 4;
    }
    if ellipsis_at == Some(count) {
        items.push(IndexItem::Ellipsis);
    }
    items
}

/// Applies one step to `x`; its arguments depend only on `x.shape()`.
fn apply(x: &Array, (kind, r): Step) -> Array {
    let shape = x.shape().to_vec();
    let nd = shape.len();
    let neg = r[3] & 1 == 1;
    let dim = |i: usize| (r[i] % nd.max(1) as u64) as usize;
    match kind {
        0 => {
            let p: Vec<isize> = perm(nd, r[0])
                .into_iter()
                .map(|d| as_dim(d, nd, neg))
                .collect();
            x.permute(&p)
        }
        1 => x.transpose(as_dim(dim(0), nd, neg), as_dim(dim(1), nd, !neg)),
        2 if nd > 0 => {
            let d = dim(0);
            let start = (r[1] % (shape[d] as u64 + 1)) as usize;
            let len = (r[2] % ((shape[d] - start) as u64 + 1)) as usize;
            x.narrow(as_dim(d, nd, neg), start, len)
        }
        3 if nd > 0 && shape[dim(0)] > 0 => x.select(
            as_dim(dim(0), nd, neg),
            (r[1] % shape[dim(0)] as u64) as usize,
        ),
        4 if nd < 6 => x.unsqueeze(as_dim((r[0] % (nd as u64 + 1)) as usize, nd + 1, neg)),
        5 if r[0] % 2 == 0 => x.squeeze(),
        5 => x.squeeze_dim(as_dim(dim(1), nd, neg)),
        6 => {
            // Grow size-1 dims to 0..=3 and maybe add a leading dim.
            let mut target: Vec<usize> = shape
                .iter()
                .enumerate()
                .map(|(d, &n)| {
                    if n == 1 {
                        ((r[0] >> (2 * d)) % 4) as usize
                    } else {
                        n
                    }
                })
                .collect();
            if nd < 5 && r[1] % 2 == 0 {
                target.insert(0, (r[2] % 3) as usize);
            }
            if r[3] % 4 == 0 {
                let other = Array::zeros(&target, x.dtype());
                x.expand_as(&other)
            } else {
                x.broadcast_to(&target)
            }
        }
        7 => x.i(random_index(&shape, r)),
        8 => {
            let s = dim(0);
            let e = s + (r[1] % (nd.max(1) - s) as u64) as usize;
            x.flatten(as_dim(s, nd, neg), as_dim(e, nd, neg))
        }
        9 => {
            let n = x.numel();
            let new: Vec<isize> = match (n, r[0] % 3) {
                (0, 0) => vec![0],
                (0, _) => vec![2, 0, (r[1] % 3) as isize],
                (_, 0) => vec![-1],
                (_, 1) => vec![divisor(n, r[1]) as isize, -1],
                _ => vec![1, -1, divisor(n, r[1]) as isize],
            };
            x.reshape(&new)
        }
        10 if nd >= 2 => {
            let d1 = dim(0);
            let d2 = (d1 + 1 + (r[1] % (nd as u64 - 1)) as usize) % nd;
            let offset = (r[2] % 7) as i64 - 3;
            x.diagonal(offset, as_dim(d1, nd, neg), as_dim(d2, nd, !neg))
        }
        11 if nd < 6 => {
            let d = dim(0);
            let n = if nd == 0 { 1 } else { shape[d] };
            let size = (r[1] % (n as u64 + 1)) as usize;
            x.unfold(as_dim(d, nd, neg), size, 1 + (r[2] % 3) as usize)
        }
        12 => {
            let k = (r[0] % (nd as u64 + 1)) as usize;
            let src: Vec<isize> = perm(nd, r[1])[..k].iter().map(|&d| d as isize).collect();
            let dst: Vec<isize> = perm(nd, r[2])[..k]
                .iter()
                .map(|&d| as_dim(d, nd, neg))
                .collect();
            x.movedim(&src, &dst)
        }
        13 if nd > 0 && nd < 6 => {
            let d = dim(0);
            let n = shape[d];
            let sizes: Vec<isize> = if n == 0 {
                vec![(r[1] % 3) as isize, 0]
            } else {
                vec![-1, divisor(n, r[1]) as isize]
            };
            x.unflatten(as_dim(d, nd, neg), &sizes)
        }
        _ => x.clone(),
    }
}

fn chain(x: &Array, steps: &[Step]) -> Array {
    steps.iter().fold(x.clone(), |acc, &s| apply(&acc, s))
}

/// Up to 4 dims of sizes 0..5, size 0 rarer so most chains see elements.
fn shape_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1 => Just(0usize), 8 => 1usize..5], 0..=4)
}

/// Several chains per case (cheap), so 64 cases try a few hundred chains.
fn chains_strategy() -> impl Strategy<Value = Vec<Vec<Step>>> {
    prop::collection::vec(
        prop::collection::vec((0..KINDS, any::<[u64; 4]>()), 1..7),
        8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn view_chains_do_not_depend_on_layout(
        shape in shape_strategy(),
        chains in chains_strategy(),
        seed in any::<u64>(),
    ) {
        let a = rand_f64(&mut TestRng::new(seed), &shape);
        let lays = layouts(&a);
        let copy = a.clone_array();
        for steps in &chains {
            let got = chain(&a, steps);
            let want = chain(&copy, steps);
            prop_assert_eq!(got.shape(), want.shape());
            let want_vals = want.to_vec::<f64>();
            prop_assert_eq!(&got.to_vec::<f64>(), &want_vals);
            for (name, x) in &lays {
                let v = chain(x, steps);
                prop_assert_eq!(v.shape(), want.shape(), "{}", name);
                prop_assert_eq!(&v.to_vec::<f64>(), &want_vals, "{}", name);
            }
        }
    }

    #[test]
    fn view_chains_share_storage_unless_reshaped(
        shape in shape_strategy(),
        chains in chains_strategy(),
    ) {
        // Without reshape/flatten (which may copy) every step is a view of the base.
        let a = rand_f64(&mut TestRng::new(1), &shape);
        for steps in chains {
            let steps: Vec<Step> = steps.into_iter().filter(|&(k, _)| k != 8 && k != 9).collect();
            for (_, x) in layouts(&a) {
                prop_assert!(chain(&x, &steps).shares_storage(&x));
            }
        }
    }
}
