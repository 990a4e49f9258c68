//! einsum against a naive reference: a loop over every assignment of the equation's letters.

mod common;
use common::*;
use ember_tensor::{Array, DType, einsum};

/// Naive einsum for letter-only explicit equations: for every assignment of all letters,
/// multiply the operands' elements and add into the output's element.
fn naive(eq: &str, ops: &[&Array]) -> (Vec<usize>, Vec<f64>) {
    let (lhs, out) = eq.split_once("->").unwrap();
    let terms: Vec<Vec<char>> = lhs.split(',').map(|t| t.chars().collect()).collect();
    let out: Vec<char> = out.chars().collect();
    let mut letters: Vec<char> = Vec::new();
    let mut size = std::collections::HashMap::new();
    for (t, x) in terms.iter().zip(ops) {
        for (d, &c) in t.iter().enumerate() {
            if !letters.contains(&c) {
                letters.push(c);
            }
            size.insert(c, x.shape()[d]);
        }
    }
    let vals: Vec<Vec<f64>> = ops.iter().map(|x| values(x)).collect();
    let dims: Vec<usize> = letters.iter().map(|c| size[c]).collect();
    let oshape: Vec<usize> = out.iter().map(|c| size[c]).collect();
    let mut res = vec![0.0; oshape.iter().product()];
    let total: usize = dims.iter().product();
    for flat in 0..total {
        let idx = unravel(flat, &dims);
        let at = |c: &char| idx[letters.iter().position(|x| x == c).unwrap()];
        let mut p = 1.0;
        for ((t, x), v) in terms.iter().zip(ops).zip(&vals) {
            let i: Vec<usize> = t.iter().map(at).collect();
            p *= v[ravel(&i, x.shape())];
        }
        let oi: Vec<usize> = out.iter().map(at).collect();
        res[ravel(&oi, &oshape)] += p;
    }
    (oshape, res)
}

fn check(eq: &str, shapes: &[&[usize]], seed: u64) {
    let mut rng = TestRng::new(seed);
    let arrays: Vec<Array> = shapes.iter().map(|s| rand_f64(&mut rng, s)).collect();
    let refs: Vec<&Array> = arrays.iter().collect();
    let (shape, want) = naive(eq, &refs);
    for dt in [DType::F64, DType::F32] {
        // Every operand in each of its layouts (the others contiguous).
        for k in 0..arrays.len() {
            for (_, lay) in layouts(&arrays[k].to_dtype(dt)) {
                let ops: Vec<Array> = arrays
                    .iter()
                    .enumerate()
                    .map(|(j, a)| if j == k { lay.clone() } else { a.to_dtype(dt) })
                    .collect();
                let refs: Vec<&Array> = ops.iter().collect();
                let got = einsum(eq, &refs);
                assert_eq!(got.shape(), &shape[..], "{eq}");
                assert_eq!(got.dtype(), dt);
                let t = if dt == DType::F64 { 1e-10 } else { 1e-4 };
                assert_close(&values(&got), &want, t, t);
            }
        }
    }
}

#[test]
fn explicit_equations_match_naive() {
    let cases: &[(&str, &[&[usize]])] = &[
        ("ij,jk->ik", &[&[3, 4], &[4, 5]]),
        ("ij,jk->ki", &[&[3, 4], &[4, 5]]),
        ("bij,bjk->bik", &[&[2, 3, 4], &[2, 4, 5]]),
        ("ij->ji", &[&[3, 4]]),
        ("ij->j", &[&[3, 4]]),
        ("ij->", &[&[3, 4]]),
        ("ii->i", &[&[4, 4]]),
        ("ii->", &[&[4, 4]]),
        ("iij->j", &[&[3, 3, 2]]),
        ("i,i->", &[&[5], &[5]]),
        ("i,j->ij", &[&[3], &[4]]),
        ("ij,ij->ij", &[&[3, 4], &[3, 4]]),
        ("ij,ij->i", &[&[3, 4], &[3, 4]]),
        ("ijk,jl->lik", &[&[2, 3, 4], &[3, 5]]),
        ("ab,bc,cd->ad", &[&[2, 3], &[3, 4], &[4, 2]]),
        ("ab,cd,bd->ac", &[&[2, 3], &[4, 5], &[3, 5]]),
        ("bhqd,bhkd->bhqk", &[&[2, 2, 3, 4], &[2, 2, 5, 4]]),
        ("ij,jk->ik", &[&[0, 4], &[4, 5]]),
        ("ij,jk->ik", &[&[3, 0], &[0, 5]]),
        ("ij,jk->ik", &[&[1, 1], &[1, 1]]),
        ("i,ij->j", &[&[3], &[3, 2]]),
        ("ijk->kji", &[&[2, 3, 4]]),
        ("ik,jk->", &[&[2, 3], &[4, 3]]),
    ];
    for (s, (eq, shapes)) in cases.iter().enumerate() {
        check(eq, shapes, s as u64 + 100);
    }
}

#[test]
fn implicit_output_is_sorted_single_letters() {
    let mut rng = TestRng::new(3);
    let a = rand_f64(&mut rng, &[3, 4]);
    let b = rand_f64(&mut rng, &[4, 2]);
    // "ij,jk" == "ij,jk->ik"
    assert_close(
        &values(&einsum("ij,jk", &[&a, &b])),
        &values(&einsum("ij,jk->ik", &[&a, &b])),
        1e-12,
        1e-12,
    );
    // "ba" implicit output is "ab": a transpose
    let t = einsum("ba", &[&a]);
    assert_eq!(t.shape(), &[4, 3]);
    assert_close(&values(&t), &values(&a.t()), 0.0, 0.0);
    // "ii" is the trace
    let sq = rand_f64(&mut rng, &[3, 3]);
    let v = values(&sq);
    let tr = einsum("ii", &[&sq]);
    assert_eq!(tr.ndim(), 0);
    assert!((tr.item::<f64>() - (v[0] + v[4] + v[8])).abs() < 1e-12);
    // Upper case sorts first.
    assert_eq!(einsum("aB", &[&a]).shape(), &[4, 3]);
}

#[test]
fn ellipsis_broadcasts() {
    let mut rng = TestRng::new(4);
    let a = rand_f64(&mut rng, &[2, 1, 3, 4]);
    let b = rand_f64(&mut rng, &[5, 4, 2]);
    let got = einsum("...ij,...jk->...ik", &[&a, &b]);
    let want = a.matmul(&b); // matmul is checked against a naive loop in tests/linalg.rs
    assert_eq!(got.shape(), &[2, 5, 3, 2]);
    assert_close(&values(&got), &values(&want), 1e-12, 1e-12);
    // Implicit output puts ... first.
    let x = rand_f64(&mut rng, &[3, 2, 6]);
    assert_eq!(einsum("i...", &[&x]).shape(), &[2, 6, 3]);
    // Explicit output may drop ... (summed).
    let s = einsum("...i->i", &[&x]);
    let vx = values(&x);
    let want: Vec<f64> = (0..6)
        .map(|i| (0..6).map(|r| vx[r * 6 + i]).sum())
        .collect();
    assert_close(&values(&s), &want, 1e-12, 1e-12);
}

#[test]
fn integer_and_half_dtypes() {
    let a = Array::from([[1i64, 2], [3, 4]]);
    assert_eq!(
        einsum("ij,jk->ik", &[&a, &a]).to_vec::<i64>(),
        vec![7, 10, 15, 22]
    );
    assert_eq!(einsum("ii->", &[&a]).item::<i64>(), 5);
    let h = a.to_dtype(DType::F16);
    assert_eq!(values(&einsum("ij->i", &[&h])), vec![3.0, 7.0]);
}

#[test]
#[should_panic(expected = "einsum: the equation 'ij,jk->ik' has 2 operand terms but 1 operands")]
fn wrong_operand_count() {
    einsum("ij,jk->ik", &[&Array::zeros(&[2, 2], DType::F32)]);
}

#[test]
#[should_panic(expected = "einsum: operand 0 of shape [2, 2, 2] has 3 dims but its term")]
fn wrong_rank() {
    einsum("ij->i", &[&Array::zeros(&[2, 2, 2], DType::F32)]);
}

#[test]
#[should_panic(expected = "einsum: invalid character '1'")]
fn bad_character() {
    einsum("i1->i", &[&Array::zeros(&[2, 2], DType::F32)]);
}

#[test]
#[should_panic(expected = "einsum: the output subscript 'k' of 'ij->k' does not appear")]
fn unknown_output_letter() {
    einsum("ij->k", &[&Array::zeros(&[2, 2], DType::F32)]);
}

#[test]
#[should_panic(expected = "einsum: subscript 'j' in 'ij,jk->ik' has size 3 in one operand and 4")]
fn size_mismatch() {
    einsum(
        "ij,jk->ik",
        &[
            &Array::zeros(&[2, 3], DType::F32),
            &Array::zeros(&[4, 2], DType::F32),
        ],
    );
}

#[test]
#[should_panic(expected = "einsum: the repeated subscript 'i'")]
fn diagonal_of_non_square() {
    einsum("ii->i", &[&Array::zeros(&[2, 3], DType::F32)]);
}
