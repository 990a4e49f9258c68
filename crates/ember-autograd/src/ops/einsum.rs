//! `einsum` with gradients. The equation is first normalised so that every operand's letters
//! are distinct and each appears in the output or another operand: `...` becomes explicit
//! letters, repeated letters take their diagonal, letters private to one operand are summed.
//! Those steps are differentiable tensor ops; on the normalised form the gradient of operand
//! `i` is itself an einsum: `out, others -> operand_i`.

use ember_tensor::Array;

use crate::tensor::{Tensor, any_requires_grad, record};

fn letters(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// `einsum` over tensors (`torch.einsum`); see [`ember_tensor::einsum`] for the equation rules.
/// Differentiable in every operand.
///
/// ```
/// use ember_autograd::{einsum, Tensor};
/// let a = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).requires_grad_(true);
/// let b = Tensor::from([[1.0f32, 0.0], [0.0, 1.0]]).requires_grad_(true);
/// let y = einsum("ij,jk->ik", &[&a, &b]); // a @ b
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]);
/// y.sum().backward();
/// assert_eq!(a.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0, 1.0, 1.0]);
/// let t = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).requires_grad_(true);
/// let tr = einsum("ii", &[&t]); // trace
/// assert_eq!(tr.item::<f32>(), 5.0);
/// tr.backward();
/// assert_eq!(t.grad().unwrap().to_vec::<f32>(), vec![1.0, 0.0, 0.0, 1.0]);
/// ```
#[track_caller]
pub fn einsum(equation: &str, operands: &[&Tensor]) -> Tensor {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.split_once("->") {
        Some((l, r)) => (l.to_string(), Some(r.to_string())),
        None => (eq.clone(), None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    assert!(
        terms.len() == operands.len(),
        "einsum: the equation {equation:?} names {} operands but {} were given",
        terms.len(),
        operands.len()
    );
    // Letters for `...`: unused ones, shared by all operands, aligned from the right.
    let used: Vec<char> = eq.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    let mut free = ('A'..='Z').chain('a'..='z').filter(|c| !used.contains(c));
    let ell_dims = terms
        .iter()
        .zip(operands)
        .filter(|(t, _)| t.contains("..."))
        .map(|(t, o)| o.ndim() - (t.len() - 3))
        .max()
        .unwrap_or(0);
    let ell: Vec<char> = (0..ell_dims)
        .map(|_| free.next().expect("52 letters"))
        .collect();
    let mut ops: Vec<Tensor> = operands.iter().map(|t| (*t).clone()).collect();
    let mut subs: Vec<Vec<char>> = terms
        .iter()
        .zip(operands)
        .map(|(t, o)| match t.split_once("...") {
            Some((a, b)) => {
                let k = o.ndim() - (t.len() - 3);
                let mut v = letters(a);
                v.extend(&ell[ell_dims - k..]);
                v.extend(letters(b));
                v
            }
            None => letters(t),
        })
        .collect();
    let out: Vec<char> = match &rhs {
        Some(r) => match r.split_once("...") {
            Some((a, b)) => {
                let mut v = letters(a);
                v.extend(&ell);
                v.extend(letters(b));
                v
            }
            None => letters(r),
        },
        None => {
            let mut once: Vec<char> = used
                .iter()
                .copied()
                .filter(|c| used.iter().filter(|d| *d == c).count() == 1)
                .collect();
            once.sort_unstable();
            let mut v = ell.clone();
            v.extend(once);
            v
        }
    };
    for (i, (s, o)) in subs.iter().zip(&ops).enumerate() {
        assert!(
            s.len() == o.ndim(),
            "einsum: term {i} of {equation:?} names {} dims but operand {i} has shape {:?}",
            s.len(),
            o.shape()
        );
    }
    // Size of each letter (broadcast ellipsis dims of size 1 are squeezed below).
    let size_of = |c: char, subs: &Vec<Vec<char>>, ops: &Vec<Tensor>| -> usize {
        subs.iter()
            .zip(ops)
            .flat_map(|(s, o)| {
                s.iter()
                    .zip(o.shape())
                    .filter(|(d, _)| **d == c)
                    .map(|(_, n)| *n)
            })
            .max()
            .unwrap_or(1)
    };
    // 1. Repeated letters within an operand: take the diagonal.
    for i in 0..ops.len() {
        loop {
            let s = &subs[i];
            let Some((p, q)) = (0..s.len())
                .flat_map(|p| (p + 1..s.len()).map(move |q| (p, q)))
                .find(|&(p, q)| s[p] == s[q])
            else {
                break;
            };
            let c = s[p];
            ops[i] = ops[i].diagonal(0, p as isize, q as isize);
            let mut ns: Vec<char> = s
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != p && *k != q)
                .map(|(_, c)| *c)
                .collect();
            ns.push(c);
            subs[i] = ns;
        }
    }
    // 2. Size-1 broadcast dims and letters private to one operand are summed away.
    for i in 0..ops.len() {
        let mut k = subs[i].len();
        while k > 0 {
            k -= 1;
            let c = subs[i][k];
            let elsewhere = out.contains(&c)
                || subs
                    .iter()
                    .enumerate()
                    .any(|(j, s)| j != i && s.contains(&c));
            let broadcast = ops[i].shape()[k] == 1 && size_of(c, &subs, &ops) > 1;
            if !elsewhere || broadcast {
                ops[i] = ops[i].sum_dim(&[k as isize], false);
                subs[i].remove(k);
            }
        }
    }
    // Output letters no operand has any more (size-1 broadcast everywhere): add them back.
    let missing: Vec<usize> = (0..out.len())
        .filter(|&k| !subs.iter().any(|s| s.contains(&out[k])))
        .collect();
    let core_out: Vec<char> = out
        .iter()
        .copied()
        .filter(|c| subs.iter().any(|s| s.contains(c)))
        .collect();
    let y = einsum_core(&ops, &subs, &core_out);
    if missing.is_empty() {
        y
    } else {
        let mut y = y;
        for k in missing {
            y = y.unsqueeze(k as isize);
        }
        y
    }
}

/// The normalised einsum: distinct letters per operand, each in the output or another operand.
#[track_caller]
fn einsum_core(ops: &[Tensor], subs: &[Vec<char>], out: &[char]) -> Tensor {
    let eq = format!(
        "{}->{}",
        subs.iter()
            .map(|s| s.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(","),
        out.iter().collect::<String>()
    );
    let arrays: Vec<&Array> = ops.iter().map(|t| t.data()).collect();
    let y = ember_tensor::einsum(&eq, &arrays);
    let refs: Vec<&Tensor> = ops.iter().collect();
    if !any_requires_grad(&refs) {
        return Tensor::from_array(y);
    }
    let mut saved: Vec<crate::node::SavedTensor> = Vec::with_capacity(ops.len());
    for t in ops {
        saved.push(t.save("einsum")); // not in a closure: keeps the caller's line
    }
    let subs = subs.to_vec();
    let out = out.to_vec();
    record("einsum", y, &refs, move |g, n| {
        let g = g[0].as_ref().expect("grad");
        (0..saved.len())
            .map(|i| {
                n[i].then(|| {
                    let others: Vec<Tensor> = saved.iter().map(|s| s.unpack()).collect();
                    let mut terms = vec![out.iter().collect::<String>()];
                    let mut args = vec![g];
                    for (j, t) in others.iter().enumerate() {
                        if j != i {
                            terms.push(subs[j].iter().collect());
                            args.push(t);
                        }
                    }
                    let eq = format!(
                        "{}->{}",
                        terms.join(","),
                        subs[i].iter().collect::<String>()
                    );
                    einsum(&eq, &args)
                })
            })
            .collect()
    })
}
