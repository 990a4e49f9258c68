//! `einsum`: Einstein summation over any number of operands, built from views (permute,
//! reshape, expand, diagonals via `as_strided`) and batched matrix products; no per-element
//! loop of its own.

use crate::Array;

/// A subscript label: letters are their ASCII code; the dims covered by `...` get
/// `ELLIPSIS_BASE + j`, aligned from the right across operands (so they broadcast).
type Label = u32;
const ELLIPSIS_BASE: Label = 256;

/// One parsed term: its letters and the position of `...` among them, if any.
struct Term {
    letters: Vec<char>,
    ellipsis_at: Option<usize>,
}

#[track_caller]
fn parse_term(eq: &str, term: &str) -> Term {
    let mut letters = Vec::new();
    let mut ellipsis_at = None;
    let mut rest = term;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("...") {
            assert!(
                ellipsis_at.is_none(),
                "einsum: '...' appears more than once in the term '{term}' of '{eq}'"
            );
            ellipsis_at = Some(letters.len());
            rest = &rest[3..];
            continue;
        }
        assert!(
            c.is_ascii_alphabetic(),
            "einsum: invalid character '{c}' in '{eq}': subscripts are letters a-z, A-Z, with \
             ',' between operands, an optional '->' before the output and '...' for broadcast \
             dims"
        );
        letters.push(c);
        rest = &rest[1..];
    }
    Term {
        letters,
        ellipsis_at,
    }
}

/// The labels of every dim of an operand with `ndim` dims under `term`.
fn operand_labels(term: &Term, ndim: usize, max_ell: usize) -> Vec<Label> {
    let n = term.letters.len();
    let ell = ndim.saturating_sub(n);
    let mut out = Vec::with_capacity(ndim);
    for (p, &c) in term.letters.iter().enumerate() {
        if term.ellipsis_at == Some(p) {
            out.extend((0..ell).map(|j| ELLIPSIS_BASE + (max_ell - ell + j) as Label));
        }
        out.push(c as Label);
    }
    if term.ellipsis_at == Some(n) {
        out.extend((0..ell).map(|j| ELLIPSIS_BASE + (max_ell - ell + j) as Label));
    }
    out
}

fn label_name(l: Label) -> String {
    if l >= ELLIPSIS_BASE {
        format!("...[{}]", l - ELLIPSIS_BASE)
    } else {
        (char::from_u32(l).unwrap_or('?')).to_string()
    }
}

/// Takes the diagonal over every label that repeats within one operand (`ii` -> `i`), as a
/// view: the merged dim steps by the sum of the repeated dims' strides.
#[track_caller]
fn diagonals(eq: &str, x: &Array, labels: &[Label]) -> (Array, Vec<Label>) {
    let mut uniq: Vec<Label> = Vec::new();
    let mut shape: Vec<usize> = Vec::new();
    let mut strides: Vec<usize> = Vec::new();
    for (d, &l) in labels.iter().enumerate() {
        let (n, s) = (x.shape()[d], x.strides()[d]);
        if let Some(p) = uniq.iter().position(|&u| u == l) {
            assert!(
                shape[p] == n,
                "einsum: the repeated subscript '{}' in '{eq}' spans dims of different sizes \
                 {} and {n} (shape {:?})",
                label_name(l),
                shape[p],
                x.shape()
            );
            strides[p] += s;
        } else {
            uniq.push(l);
            shape.push(n);
            strides.push(s);
        }
    }
    if uniq.len() == labels.len() {
        return (x.clone(), uniq);
    }
    (x.as_strided(&shape, &strides, x.storage_offset()), uniq)
}

/// Sums `x` over the dims whose labels are not in `keep`, via a product with a ones vector.
fn sum_out(x: Array, labels: Vec<Label>, keep: &[Label]) -> (Array, Vec<Label>) {
    let (kept, gone): (Vec<usize>, Vec<usize>) =
        (0..labels.len()).partition(|&d| keep.contains(&labels[d]));
    if gone.is_empty() {
        return (x, labels);
    }
    let perm: Vec<isize> = kept.iter().chain(&gone).map(|&d| d as isize).collect();
    let mut shape: Vec<isize> = kept.iter().map(|&d| x.shape()[d] as isize).collect();
    let s: usize = gone.iter().map(|&d| x.shape()[d]).product();
    shape.push(s as isize);
    let flat = x.permute(&perm).reshape(&shape);
    let ones = Array::ones(&[s], x.dtype());
    let r = flat.matmul(&ones);
    (r, kept.iter().map(|&d| labels[d]).collect())
}

/// Contracts `a` and `b` over their shared labels not in `keep`; shared labels in `keep` are
/// batch dims. Returns the product with labels `[batch…, a-only…, b-only…]`.
#[track_caller]
fn contract(
    eq: &str,
    (a, la): (Array, Vec<Label>),
    (b, lb): (Array, Vec<Label>),
    keep: &[Label],
) -> (Array, Vec<Label>) {
    let (a, la) = sum_out(a, la.clone(), &[keep, &lb].concat());
    let (b, lb) = sum_out(b, lb.clone(), &[keep, &la].concat());
    let size = |l: Label| -> usize {
        let sa = la.iter().position(|&x| x == l).map(|d| a.shape()[d]);
        let sb = lb.iter().position(|&x| x == l).map(|d| b.shape()[d]);
        match (sa, sb) {
            (Some(x), Some(y)) => {
                assert!(
                    x == y || x == 1 || y == 1,
                    "einsum: subscript '{}' in '{eq}' has size {x} in one operand and {y} in \
                     another (sizes must match or be 1)",
                    label_name(l)
                );
                x.max(y)
            }
            (Some(x), None) | (None, Some(x)) => x,
            (None, None) => 1,
        }
    };
    let batch: Vec<Label> = la
        .iter()
        .copied()
        .filter(|l| lb.contains(l) && keep.contains(l))
        .collect();
    let summed: Vec<Label> = la
        .iter()
        .copied()
        .filter(|l| lb.contains(l) && !keep.contains(l))
        .collect();
    let a_only: Vec<Label> = la.iter().copied().filter(|l| !lb.contains(l)).collect();
    let b_only: Vec<Label> = lb.iter().copied().filter(|l| !la.contains(l)).collect();
    let prod = |ls: &[Label]| ls.iter().map(|&l| size(l)).product::<usize>();
    let (nbt, m, k, n) = (prod(&batch), prod(&a_only), prod(&summed), prod(&b_only));
    let arrange = |x: &Array, lx: &[Label], order: &[&[Label]], flat: [usize; 3]| -> Array {
        let all: Vec<Label> = order.concat();
        let perm: Vec<isize> = all
            .iter()
            .map(|l| lx.iter().position(|x| x == l).unwrap() as isize)
            .collect();
        let full: Vec<isize> = all.iter().map(|&l| size(l) as isize).collect();
        let flat: Vec<isize> = flat.iter().map(|&s| s as isize).collect();
        x.permute(&perm).expand(&full).reshape(&flat)
    };
    let a3 = arrange(&a, &la, &[&batch, &a_only, &summed], [nbt, m, k]);
    let b3 = arrange(&b, &lb, &[&batch, &summed, &b_only], [nbt, k, n]);
    let r = a3.bmm(&b3);
    let labels: Vec<Label> = [batch, a_only, b_only].concat();
    let shape: Vec<isize> = labels.iter().map(|&l| size(l) as isize).collect();
    (r.reshape(&shape), labels)
}

/// Einstein summation (`torch.einsum`): `equation` names each operand's dims with letters,
/// operands separated by `,`, optionally followed by `->` and the output's letters.
///
/// - a letter shared by operands is multiplied along; a letter missing from the output is
///   summed over;
/// - a letter repeated within one operand takes its diagonal (`ii->i`; `ii->` is the trace);
/// - without `->`, the output has the letters that appear exactly once, in alphabetical
///   order (upper case first), after the `...` dims;
/// - `...` stands for the remaining dims of an operand; they broadcast across operands
///   (aligned from the right) and come first in an implicit output.
///
/// Operands are contracted pairwise, left to right, each contraction one batched matrix
/// product (so f32/f64/f16 run on gemm).
///
/// # Panics
/// If the equation is malformed (bad character, wrong number of terms, a term naming more
/// or fewer dims than its operand has, an output letter absent from the inputs or repeated),
/// if the sizes of a letter disagree, or if the operands' dtypes differ.
///
/// ```
/// use ember_tensor::{Array, einsum};
/// let a = Array::from([[1.0f32, 2.0], [3.0, 4.0]]);
/// let b = Array::from([[5.0f32, 6.0], [7.0, 8.0]]);
/// assert_eq!(einsum("ij,jk->ik", &[&a, &b]).to_vec::<f32>(), vec![19.0, 22.0, 43.0, 50.0]);
/// assert_eq!(einsum("ii", &[&a]).item::<f32>(), 5.0);                 // trace
/// assert_eq!(einsum("ij->j", &[&a]).to_vec::<f32>(), vec![4.0, 6.0]); // column sums
/// assert_eq!(einsum("ij", &[&a.t()]).to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
/// let x = Array::ones(&[5, 3, 2], ember_tensor::DType::F32);
/// assert_eq!(einsum("...ij,jk", &[&x, &b]).shape(), &[5, 3, 2]);
/// ```
#[track_caller]
pub fn einsum(equation: &str, operands: &[&Array]) -> Array {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (eq.as_str(), None),
    };
    let terms: Vec<Term> = lhs.split(',').map(|t| parse_term(equation, t)).collect();
    assert!(
        terms.len() == operands.len(),
        "einsum: the equation '{equation}' has {} operand terms but {} operands were given",
        terms.len(),
        operands.len()
    );
    assert!(
        !operands.is_empty(),
        "einsum: at least one operand is required"
    );
    for (i, x) in operands.iter().enumerate() {
        assert!(
            x.dtype() == operands[0].dtype(),
            "einsum: all operands must have the same dtype; operand 0 is {} and operand {i} is {}",
            operands[0].dtype(),
            x.dtype()
        );
    }
    // Dims covered by `...` in each operand, and the labels of every dim.
    let mut max_ell = 0;
    for (i, (t, x)) in terms.iter().zip(operands).enumerate() {
        let n = t.letters.len();
        if t.ellipsis_at.is_some() {
            assert!(
                x.ndim() >= n,
                "einsum: operand {i} of shape {:?} has {} dims, fewer than the {n} subscripts \
                 of its term in '{equation}'",
                x.shape(),
                x.ndim()
            );
            max_ell = max_ell.max(x.ndim() - n);
        } else {
            assert!(
                x.ndim() == n,
                "einsum: operand {i} of shape {:?} has {} dims but its term in '{equation}' \
                 names {n} (use '...' for the rest)",
                x.shape(),
                x.ndim()
            );
        }
    }
    let labels: Vec<Vec<Label>> = terms
        .iter()
        .zip(operands)
        .map(|(t, x)| operand_labels(t, x.ndim(), max_ell))
        .collect();
    let any_ellipsis = terms.iter().any(|t| t.ellipsis_at.is_some());
    let ell_labels: Vec<Label> = (0..max_ell).map(|j| ELLIPSIS_BASE + j as Label).collect();
    let output: Vec<Label> = match rhs {
        Some(r) => {
            let t = parse_term(equation, r);
            let mut out = Vec::new();
            for (p, &c) in t.letters.iter().enumerate() {
                if t.ellipsis_at == Some(p) {
                    out.extend(&ell_labels);
                }
                let l = c as Label;
                assert!(
                    !out.contains(&l),
                    "einsum: the output subscript '{c}' appears more than once in '{equation}'"
                );
                assert!(
                    labels.iter().any(|ls| ls.contains(&l)),
                    "einsum: the output subscript '{c}' of '{equation}' does not appear in any \
                     input"
                );
                out.push(l);
            }
            if t.ellipsis_at == Some(t.letters.len()) {
                out.extend(&ell_labels);
            }
            out
        }
        None => {
            let mut once: Vec<char> = Vec::new();
            let all: Vec<char> = terms.iter().flat_map(|t| t.letters.clone()).collect();
            for &c in &all {
                if all.iter().filter(|&&x| x == c).count() == 1 {
                    once.push(c);
                }
            }
            once.sort_unstable();
            let mut out = if any_ellipsis {
                ell_labels.clone()
            } else {
                Vec::new()
            };
            out.extend(once.iter().map(|&c| c as Label));
            out
        }
    };
    // Labels still needed after operand `i`: the output's and those of operands after `i`.
    let needed_after = |i: usize| -> Vec<Label> {
        let mut v = output.clone();
        for ls in &labels[i + 1..] {
            v.extend(ls);
        }
        v
    };
    let (x0, l0) = diagonals(equation, operands[0], &labels[0]);
    let mut acc = if operands.len() == 1 {
        sum_out(x0, l0, &output)
    } else {
        (x0, l0)
    };
    for i in 1..operands.len() {
        let (xi, li) = diagonals(equation, operands[i], &labels[i]);
        acc = contract(equation, acc, (xi, li), &needed_after(i));
    }
    let (r, lr) = acc;
    // Labels in the output but absent from the result can only be broadcast ellipsis dims.
    let perm: Vec<isize> = output
        .iter()
        .map(|l| lr.iter().position(|x| x == l).unwrap() as isize)
        .collect();
    r.permute(&perm)
}
