//! Property tests: a random chain of views gives the same values whatever the layout of the
//! array it starts from (contiguous, its `clone_array()`, transposed or stepped copies), and
//! the same values as a naive model of each op (row-major values moved by index arithmetic).

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

/// A view op with concrete arguments.
#[derive(Clone, Debug)]
enum Op {
    Permute(Vec<isize>),
    Transpose(isize, isize),
    Narrow(isize, usize, usize),
    Select(isize, usize),
    Unsqueeze(isize),
    Squeeze,
    SqueezeDim(isize),
    ExpandAs(Vec<usize>),
    BroadcastTo(Vec<usize>),
    Index(Vec<IndexItem>),
    Flatten(isize, isize),
    Reshape(Vec<isize>),
    Diagonal(i64, isize, isize),
    Unfold(isize, usize, usize),
    Movedim(Vec<isize>, Vec<isize>),
    Unflatten(isize, Vec<isize>),
    Identity,
}

/// Turns a random step into a valid op for `shape`.
fn decide(shape: &[usize], (kind, r): Step) -> Op {
    let shape = shape.to_vec();
    let nd = shape.len();
    let neg = r[3] & 1 == 1;
    let dim = |i: usize| (r[i] % nd.max(1) as u64) as usize;
    match kind {
        0 => {
            let p: Vec<isize> = perm(nd, r[0])
                .into_iter()
                .map(|d| as_dim(d, nd, neg))
                .collect();
            Op::Permute(p)
        }
        1 => Op::Transpose(as_dim(dim(0), nd, neg), as_dim(dim(1), nd, !neg)),
        2 if nd > 0 => {
            let d = dim(0);
            let start = (r[1] % (shape[d] as u64 + 1)) as usize;
            let len = (r[2] % ((shape[d] - start) as u64 + 1)) as usize;
            Op::Narrow(as_dim(d, nd, neg), start, len)
        }
        3 if nd > 0 && shape[dim(0)] > 0 => Op::Select(
            as_dim(dim(0), nd, neg),
            (r[1] % shape[dim(0)] as u64) as usize,
        ),
        4 if nd < 6 => Op::Unsqueeze(as_dim((r[0] % (nd as u64 + 1)) as usize, nd + 1, neg)),
        5 if r[0] % 2 == 0 => Op::Squeeze,
        5 => Op::SqueezeDim(as_dim(dim(1), nd, neg)),
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
                Op::ExpandAs(target)
            } else {
                Op::BroadcastTo(target)
            }
        }
        7 => Op::Index(random_index(&shape, r)),
        8 => {
            let s = dim(0);
            let e = s + (r[1] % (nd.max(1) - s) as u64) as usize;
            Op::Flatten(as_dim(s, nd, neg), as_dim(e, nd, neg))
        }
        9 => {
            let n: usize = shape.iter().product();
            let new: Vec<isize> = match (n, r[0] % 3) {
                (0, 0) => vec![0],
                (0, _) => vec![2, 0, (r[1] % 3) as isize],
                (_, 0) => vec![-1],
                (_, 1) => vec![divisor(n, r[1]) as isize, -1],
                _ => vec![1, -1, divisor(n, r[1]) as isize],
            };
            Op::Reshape(new)
        }
        10 if nd >= 2 => {
            let d1 = dim(0);
            let d2 = (d1 + 1 + (r[1] % (nd as u64 - 1)) as usize) % nd;
            let offset = (r[2] % 7) as i64 - 3;
            Op::Diagonal(offset, as_dim(d1, nd, neg), as_dim(d2, nd, !neg))
        }
        11 if nd < 6 => {
            let d = dim(0);
            let n = if nd == 0 { 1 } else { shape[d] };
            let size = (r[1] % (n as u64 + 1)) as usize;
            Op::Unfold(as_dim(d, nd, neg), size, 1 + (r[2] % 3) as usize)
        }
        12 => {
            let k = (r[0] % (nd as u64 + 1)) as usize;
            let src: Vec<isize> = perm(nd, r[1])[..k].iter().map(|&d| d as isize).collect();
            let dst: Vec<isize> = perm(nd, r[2])[..k]
                .iter()
                .map(|&d| as_dim(d, nd, neg))
                .collect();
            Op::Movedim(src, dst)
        }
        13 if nd > 0 && nd < 6 => {
            let d = dim(0);
            let n = shape[d];
            let sizes: Vec<isize> = if n == 0 {
                vec![(r[1] % 3) as isize, 0]
            } else {
                vec![-1, divisor(n, r[1]) as isize]
            };
            Op::Unflatten(as_dim(d, nd, neg), sizes)
        }
        _ => Op::Identity,
    }
}

/// Applies `op` to an array, with the code under test.
fn apply(x: &Array, op: &Op) -> Array {
    match op {
        Op::Permute(p) => x.permute(p),
        Op::Transpose(a, b) => x.transpose(*a, *b),
        Op::Narrow(d, start, len) => x.narrow(*d, *start, *len),
        Op::Select(d, i) => x.select(*d, *i),
        Op::Unsqueeze(d) => x.unsqueeze(*d),
        Op::Squeeze => x.squeeze(),
        Op::SqueezeDim(d) => x.squeeze_dim(*d),
        Op::ExpandAs(t) => x.expand_as(&Array::zeros(t, x.dtype())),
        Op::BroadcastTo(t) => x.broadcast_to(t),
        Op::Index(items) => x.i(items.as_slice()),
        Op::Flatten(a, b) => x.flatten(*a, *b),
        Op::Reshape(sh) => x.reshape(sh),
        Op::Diagonal(off, a, b) => x.diagonal(*off, *a, *b),
        Op::Unfold(d, size, step) => x.unfold(*d, *size, *step),
        Op::Movedim(src, dst) => x.movedim(src, dst),
        Op::Unflatten(d, sizes) => x.unflatten(*d, sizes),
        Op::Identity => x.clone(),
    }
}

/// The naive model: row-major values and a shape.
#[derive(Clone, Debug)]
struct Model {
    shape: Vec<usize>,
    vals: Vec<f64>,
}

impl Model {
    /// `out[o] = self[map(o)]` over `shape`.
    fn gather(&self, shape: Vec<usize>, map: impl Fn(&[usize]) -> Vec<usize>) -> Model {
        let n: usize = shape.iter().product();
        let vals = (0..n)
            .map(|i| self.vals[ravel(&map(&unravel(i, &shape)), &self.shape)])
            .collect();
        Model { shape, vals }
    }

    /// Same values in the same order, new shape (`-1` inferred).
    fn reshaped(&self, sizes: &[isize]) -> Model {
        let known: usize = sizes
            .iter()
            .filter(|&&s| s >= 0)
            .map(|&s| s as usize)
            .product();
        let shape = sizes
            .iter()
            .map(|&s| {
                if s < 0 {
                    self.vals.len() / known
                } else {
                    s as usize
                }
            })
            .collect();
        Model {
            shape,
            vals: self.vals.clone(),
        }
    }
}

fn nrm(d: isize, nd: usize) -> usize {
    if d < 0 {
        (d + nd as isize) as usize
    } else {
        d as usize
    }
}

/// Applies `op` to the model by index arithmetic, independently of the code under test.
fn model_apply(m: &Model, op: &Op) -> Model {
    let sh = &m.shape;
    let nd = sh.len();
    match op {
        Op::Permute(p) => {
            let p: Vec<usize> = p.iter().map(|&d| nrm(d, nd)).collect();
            m.gather(p.iter().map(|&d| sh[d]).collect(), |o| {
                let mut i = vec![0; nd];
                for (k, &d) in p.iter().enumerate() {
                    i[d] = o[k];
                }
                i
            })
        }
        Op::Transpose(..) if nd == 0 => m.clone(),
        Op::Transpose(a, b) => {
            let mut p: Vec<isize> = (0..nd as isize).collect();
            p.swap(nrm(*a, nd), nrm(*b, nd));
            model_apply(m, &Op::Permute(p))
        }
        Op::Narrow(d, start, len) => {
            let d = nrm(*d, nd);
            let mut out = sh.clone();
            out[d] = *len;
            m.gather(out, |o| {
                let mut i = o.to_vec();
                i[d] += start;
                i
            })
        }
        Op::Select(d, k) => {
            let d = nrm(*d, nd);
            let mut out = sh.clone();
            out.remove(d);
            m.gather(out, |o| {
                let mut i = o.to_vec();
                i.insert(d, *k);
                i
            })
        }
        Op::Unsqueeze(d) => {
            let mut out = sh.clone();
            out.insert(nrm(*d, nd + 1), 1);
            Model {
                shape: out,
                vals: m.vals.clone(),
            }
        }
        Op::Squeeze => Model {
            shape: sh.iter().copied().filter(|&n| n != 1).collect(),
            vals: m.vals.clone(),
        },
        Op::SqueezeDim(d) => {
            let mut out = sh.clone();
            if nd > 0 && sh[nrm(*d, nd)] == 1 {
                out.remove(nrm(*d, nd));
            }
            Model {
                shape: out,
                vals: m.vals.clone(),
            }
        }
        Op::ExpandAs(t) | Op::BroadcastTo(t) => {
            let lead = t.len() - nd;
            m.gather(t.clone(), |o| {
                (0..nd)
                    .map(|d| if sh[d] == 1 { 0 } else { o[d + lead] })
                    .collect()
            })
        }
        Op::Index(items) => model_index(m, items),
        Op::Flatten(..) if nd == 0 => m.reshaped(&[1]),
        Op::Flatten(a, b) => {
            let (a, b) = (nrm(*a, nd), nrm(*b, nd));
            let mut out: Vec<isize> = sh[..a].iter().map(|&n| n as isize).collect();
            out.push(sh[a..=b].iter().product::<usize>() as isize);
            out.extend(sh[b + 1..].iter().map(|&n| n as isize));
            m.reshaped(&out)
        }
        Op::Reshape(sizes) => m.reshaped(sizes),
        Op::Unflatten(d, sizes) => {
            let d = nrm(*d, nd);
            let known: usize = sizes
                .iter()
                .filter(|&&s| s >= 0)
                .map(|&s| s as usize)
                .product();
            let mut out: Vec<isize> = sh[..d].iter().map(|&n| n as isize).collect();
            out.extend(
                sizes
                    .iter()
                    .map(|&s| if s < 0 { (sh[d] / known) as isize } else { s }),
            );
            out.extend(sh[d + 1..].iter().map(|&n| n as isize));
            m.reshaped(&out)
        }
        Op::Diagonal(off, a, b) => {
            let (a, b, off) = (nrm(*a, nd), nrm(*b, nd), *off);
            // Walk the plane and keep the cells on the diagonal, in order.
            let cells: Vec<(usize, usize)> = (0..sh[a])
                .flat_map(|i| (0..sh[b]).map(move |j| (i, j)))
                .filter(|&(i, j)| j as i64 - i as i64 == off)
                .collect();
            let mut out: Vec<usize> = (0..nd)
                .filter(|&d| d != a && d != b)
                .map(|d| sh[d])
                .collect();
            out.push(cells.len());
            m.gather(out, |o| {
                let (i, j) = cells[o[o.len() - 1]];
                let mut rest = o.iter();
                (0..nd)
                    .map(|d| {
                        if d == a {
                            i
                        } else if d == b {
                            j
                        } else {
                            *rest.next().unwrap()
                        }
                    })
                    .collect()
            })
        }
        Op::Unfold(_, size, _) if nd == 0 => Model {
            shape: vec![*size],
            vals: m.vals[..*size].to_vec(),
        },
        Op::Unfold(d, size, step) => {
            let d = nrm(*d, nd);
            // Window starts: every `step` while a whole window fits.
            let starts: Vec<usize> = (0..=sh[d])
                .step_by(*step)
                .filter(|&s| s + size <= sh[d])
                .collect();
            let mut out = sh.clone();
            out[d] = starts.len();
            out.push(*size);
            m.gather(out, |o| {
                let mut i = o[..nd].to_vec();
                i[d] = starts[o[d]] + o[nd];
                i
            })
        }
        Op::Movedim(src, dst) => {
            let src: Vec<usize> = src.iter().map(|&d| nrm(d, nd)).collect();
            let dst: Vec<usize> = dst.iter().map(|&d| nrm(d, nd)).collect();
            let mut rest = (0..nd).filter(|d| !src.contains(d));
            let p: Vec<isize> = (0..nd)
                .map(|k| match dst.iter().position(|&t| t == k) {
                    Some(j) => src[j] as isize,
                    None => rest.next().unwrap() as isize,
                })
                .collect();
            if nd == 0 {
                m.clone()
            } else {
                model_apply(m, &Op::Permute(p))
            }
        }
        Op::Identity => m.clone(),
    }
}

/// A basic index on the model: expand the ellipsis, then one dim at a time.
fn model_index(m: &Model, items: &[IndexItem]) -> Model {
    let nd = m.shape.len();
    let used = items
        .iter()
        .filter(|i| matches!(i, IndexItem::Select(_) | IndexItem::Slice(_)))
        .count();
    let whole = IndexItem::Slice(Slice {
        start: None,
        end: None,
        step: 1,
    });
    let mut full = Vec::new();
    for &it in items {
        if it == IndexItem::Ellipsis {
            full.extend(std::iter::repeat_n(whole, nd - used));
        } else {
            full.push(it);
        }
    }
    if !items.contains(&IndexItem::Ellipsis) {
        full.extend(std::iter::repeat_n(whole, nd - used));
    }
    let mut cur = m.clone();
    let mut d = 0; // dim of `cur` the next item applies to
    for it in full {
        match it {
            IndexItem::Select(i) => {
                let n = cur.shape[d] as i64;
                let k = (if i < 0 { i + n } else { i }) as usize;
                cur = model_apply(&cur, &Op::Select(d as isize, k));
            }
            IndexItem::Slice(sl) => {
                let n = cur.shape[d] as i64;
                let norm = |b: i64| (if b < 0 { b + n } else { b }).clamp(0, n);
                let (lo, hi) = (sl.start.map_or(0, norm), sl.end.map_or(n, norm));
                let take: Vec<usize> = (lo..hi.max(lo))
                    .step_by(sl.step)
                    .map(|i| i as usize)
                    .collect();
                let mut out = cur.shape.clone();
                out[d] = take.len();
                cur = cur.gather(out, |o| {
                    let mut i = o.to_vec();
                    i[d] = take[o[d]];
                    i
                });
                d += 1;
            }
            IndexItem::NewAxis => {
                cur = model_apply(&cur, &Op::Unsqueeze(d as isize));
                d += 1;
            }
            IndexItem::Ellipsis => unreachable!(),
        }
    }
    cur
}

/// Runs a chain of random steps; `EMBER_VIEW_TRACE=1` prints each op (to read a failure).
fn chain(x: &Array, steps: &[Step]) -> Array {
    steps.iter().fold(x.clone(), |acc, &s| {
        let op = decide(acc.shape(), s);
        let r = apply(&acc, &op);
        if std::env::var_os("EMBER_VIEW_TRACE").is_some() {
            eprintln!("{:?} {op:?} -> {:?}", acc.shape(), r.shape());
        }
        r
    })
}

fn model_chain(m: &Model, steps: &[Step]) -> Model {
    steps.iter().fold(m.clone(), |acc, &s| {
        model_apply(&acc, &decide(&acc.shape, s))
    })
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
            let model = model_chain(&Model { shape: shape.clone(), vals: values(&a) }, steps);
            prop_assert_eq!(got.shape(), model.shape.as_slice(), "model");
            prop_assert_eq!(&want_vals, &model.vals, "model");
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
