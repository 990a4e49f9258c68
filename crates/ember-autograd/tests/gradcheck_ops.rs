//! Every differentiable op gradchecked (f64 central differences) on random inputs, including
//! non-contiguous (transposed, stepped) and broadcast ones; second-order checks for the ops
//! the issue lists.

use ember_autograd::{
    Array, DType, GradcheckOptions, PadMode, Tensor, einsum, gradcheck, gradgradcheck, s,
};

fn seed(k: u64) {
    ember_autograd::manual_seed(k);
}

/// A random f64 leaf requiring grad, values in `[lo, hi)`.
fn r(shape: &[usize], lo: f64, hi: f64) -> Tensor {
    let a = Array::rand(shape, DType::F64).mul(hi - lo).add(lo);
    Tensor::from_array(a).requires_grad_(true)
}

/// The same, stored transposed (a non-contiguous leaf).
fn rt(shape: &[usize], lo: f64, hi: f64) -> Tensor {
    let mut rev = shape.to_vec();
    rev.reverse();
    let a = Array::rand(&rev, DType::F64).mul(hi - lo).add(lo);
    let p: Vec<isize> = (0..shape.len() as isize).rev().collect();
    let t = Tensor::from_array(a.permute(&p)).requires_grad_(true);
    assert!(!t.is_contiguous() || shape.iter().filter(|&&d| d > 1).count() < 2);
    t
}

/// Strictly increasing distinct values (no ties), shuffled, non-contiguous when 2-d.
fn distinct(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let perm = Array::randperm(n, DType::I64).to_dtype(DType::F64);
    let noise = Array::rand(&[n], DType::F64).mul(0.5);
    Tensor::from_array(
        perm.add(&noise)
            .mul(0.3)
            .reshape(&shape.iter().map(|&d| d as isize).collect::<Vec<_>>()),
    )
    .requires_grad_(true)
}

#[track_caller]
fn check(name: &str, inputs: &[Tensor], f: impl Fn(&[Tensor]) -> Tensor) {
    if let Err(e) = gradcheck(|t| vec![f(t)], inputs, GradcheckOptions::default()) {
        panic!("{name}: {e}");
    }
}

#[track_caller]
fn check2(name: &str, inputs: &[Tensor], f: impl Fn(&[Tensor]) -> Tensor) {
    check(name, inputs, &f);
    if let Err(e) = gradgradcheck(|t| vec![f(t)], inputs, GradcheckOptions::default()) {
        panic!("{name} (second order): {e}");
    }
}

#[test]
fn unary_ops() {
    seed(1);
    type U = fn(&Tensor) -> Tensor;
    let cases: Vec<(&str, U, f64, f64)> = vec![
        ("neg", |x| x.neg(), -2.0, 2.0),
        ("abs", |x| x.abs(), 0.1, 2.0),
        ("exp", |x| x.exp(), -2.0, 2.0),
        ("exp2", |x| x.exp2(), -2.0, 2.0),
        ("expm1", |x| x.expm1(), -2.0, 2.0),
        ("log", |x| x.log(), 0.2, 3.0),
        ("log2", |x| x.log2(), 0.2, 3.0),
        ("log10", |x| x.log10(), 0.2, 3.0),
        ("log1p", |x| x.log1p(), -0.5, 3.0),
        ("sqrt", |x| x.sqrt(), 0.2, 3.0),
        ("rsqrt", |x| x.rsqrt(), 0.2, 3.0),
        ("reciprocal", |x| x.reciprocal(), 0.3, 3.0),
        ("sin", |x| x.sin(), -3.0, 3.0),
        ("cos", |x| x.cos(), -3.0, 3.0),
        ("tan", |x| x.tan(), -1.2, 1.2),
        ("asin", |x| x.asin(), -0.9, 0.9),
        ("acos", |x| x.acos(), -0.9, 0.9),
        ("atan", |x| x.atan(), -3.0, 3.0),
        ("sinh", |x| x.sinh(), -2.0, 2.0),
        ("cosh", |x| x.cosh(), -2.0, 2.0),
        ("tanh", |x| x.tanh(), -2.0, 2.0),
        ("sigmoid", |x| x.sigmoid(), -3.0, 3.0),
        ("silu", |x| x.silu(), -3.0, 3.0),
        ("erf", |x| x.erf(), -2.0, 2.0),
        ("relu", |x| x.relu(), 0.1, 2.0),
        ("square", |x| x.square(), -2.0, 2.0),
        ("leaky_relu", |x| x.leaky_relu(0.1).mul(x), -2.0, 2.0),
        ("elu", |x| x.elu(1.3), 0.05, 2.0),
        ("elu_neg", |x| x.elu(1.3), -2.0, -0.05),
        ("gelu", |x| x.gelu(false), -3.0, 3.0),
        ("gelu_tanh", |x| x.gelu(true), -3.0, 3.0),
        ("softplus", |x| x.softplus(2.0, 3.0), -2.0, 1.0),
        ("clamp", |x| x.clamp(-0.5, 0.5), -0.4, 0.4),
        ("clamp_out", |x| x.clamp(-0.5, 0.5).mul(x), 0.6, 2.0),
        ("clamp_min", |x| x.clamp_min(0.0), 0.1, 1.0),
        ("clamp_max", |x| x.clamp_max(0.0), 0.1, 1.0),
    ];
    for (name, f, lo, hi) in cases {
        check(name, &[r(&[2, 3], lo, hi)], |t| f(&t[0]));
        check(name, &[rt(&[3, 2], lo, hi)], |t| f(&t[0]));
    }
}

#[test]
fn binary_ops_broadcast_and_noncontiguous() {
    seed(2);
    type B = fn(&Tensor, &Tensor) -> Tensor;
    let cases: Vec<(&str, B, f64, f64)> = vec![
        ("add", |a, b| a.add(b), -2.0, 2.0),
        ("sub", |a, b| a.sub(b), -2.0, 2.0),
        ("mul", |a, b| a.mul(b), -2.0, 2.0),
        ("div", |a, b| a.div(b), 0.5, 2.0),
        ("pow", |a, b| a.pow(b), 0.5, 2.0),
        ("atan2", |a, b| a.atan2(b), 0.5, 2.0),
        ("remainder", |a, b| a.mul(3.0).remainder(b), 0.5, 2.0),
        ("fmod", |a, b| a.mul(3.0).fmod(b), 0.5, 2.0),
        ("lerp", |a, b| a.lerp(b, &b.sigmoid()), -2.0, 2.0),
        ("addcmul", |a, b| a.addcmul(b, b, 0.7), -2.0, 2.0),
        ("addcdiv", |a, b| a.addcdiv(b, &b.exp(), 0.7), -2.0, 2.0),
    ];
    for (name, f, lo, hi) in cases {
        check(name, &[r(&[2, 3], lo, hi), r(&[2, 3], lo, hi)], |t| {
            f(&t[0], &t[1])
        });
        check(name, &[rt(&[3, 2], lo, hi), r(&[2], lo, hi)], |t| {
            f(&t[0], &t[1])
        });
        check(name, &[r(&[3, 1], lo, hi), rt(&[2, 1, 2], lo, hi)], |t| {
            f(&t[0], &t[1])
        });
    }
    // maximum/minimum away from ties, and with exact ties (gradient split in half).
    let a = r(&[2, 3], -1.0, 1.0);
    let b = r(&[3], 2.0, 3.0);
    check("maximum", &[a.clone(), b.clone()], |t| t[0].maximum(&t[1]));
    check("minimum", &[a, b], |t| t[0].minimum(&t[1]));
    let x = Tensor::from([1.0f64, 2.0]).requires_grad_(true);
    let y = Tensor::from([1.0f64, 0.0]).requires_grad_(true);
    x.maximum(&y).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.5, 1.0]);
    assert_eq!(y.grad().unwrap().to_vec::<f64>(), vec![0.5, 0.0]);
    // Scalar operands.
    check("pow_scalar", &[r(&[4], 0.5, 2.0)], |t| t[0].pow(2.5));
    check("rsub_scalar", &[r(&[4], 0.5, 2.0)], |t| {
        t[0].mul(-1.0).add(3.0).div(2.0)
    });
}

#[test]
fn where_masked_and_casts() {
    seed(3);
    let cond = Tensor::from([[true, false, true], [false, false, true]]);
    check(
        "where_cond",
        &[r(&[2, 3], -1.0, 1.0), r(&[3], -1.0, 1.0)],
        |t| Tensor::where_cond(&cond, &t[0], &t[1]),
    );
    check("masked_fill", &[rt(&[2, 3], -1.0, 1.0)], |t| {
        t[0].masked_fill(&cond, 2.0)
    });
    // Through f32 and back: f32 rounding needs a larger step and tolerance.
    let coarse = GradcheckOptions {
        eps: 1e-3,
        atol: 1e-4,
        rtol: 1e-3,
    };
    let f = |t: &[Tensor]| vec![t[0].to_dtype(DType::F32).to_dtype(DType::F64).mul(&t[0])];
    gradcheck(f, &[r(&[3], -1.0, 1.0)], coarse).unwrap();
}

#[test]
fn reductions() {
    seed(4);
    let x = || rt(&[3, 4], -1.0, 1.0);
    check("sum", &[x()], |t| t[0].sum());
    check("sum_dim", &[x()], |t| t[0].sum_dim(&[1], false));
    check("sum_dim_keep", &[x()], |t| t[0].sum_dim(&[0, -1], true));
    check("mean", &[x()], |t| t[0].mean());
    check("mean_dim", &[x()], |t| t[0].mean_dim(&[0], true));
    check("prod", &[r(&[5], 0.5, 1.5)], |t| t[0].prod());
    check("prod_dim", &[x()], |t| t[0].prod_dim(1, false));
    // A zero in the product: the others' product is still exact.
    let z = Tensor::from([[2.0f64, 0.0, 3.0], [1.0, 0.0, 0.0]]).requires_grad_(true);
    check("prod_dim_zeros", std::slice::from_ref(&z), |t| {
        t[0].prod_dim(1, false)
    });
    check("prod_zeros", &[z], |t| t[0].prod());
    check("max", &[distinct(&[3, 4])], |t| t[0].max());
    check("min", &[distinct(&[3, 4])], |t| t[0].min());
    check("amax", &[distinct(&[3, 4])], |t| t[0].amax(&[1], false));
    check("amin", &[distinct(&[3, 4])], |t| t[0].amin(&[0], true));
    check("max_dim", &[distinct(&[3, 4])], |t| {
        t[0].max_dim(1, false).0
    });
    check("min_dim", &[distinct(&[3, 4])], |t| t[0].min_dim(0, true).0);
    check("kthvalue", &[distinct(&[3, 5])], |t| {
        t[0].kthvalue(2, 1, false).0
    });
    check("median", &[distinct(&[3, 5])], |t| t[0].median());
    check("median_dim", &[distinct(&[3, 5])], |t| {
        t[0].median_dim(1, true).0
    });
    check("var", &[x()], |t| t[0].var(1.0));
    check("var_dim", &[x()], |t| t[0].var_dim(&[1], 0.0, false));
    check("std", &[x()], |t| t[0].std(1.0));
    check("std_dim", &[x()], |t| t[0].std_dim(&[0], 1.0, true));
    for p in [1.0, 2.0, 3.0, f64::INFINITY] {
        check(
            "norm",
            &[distinct(&[3, 4]).sub(1.5).detach().requires_grad_(true)],
            |t| t[0].norm(p),
        );
        check("norm_dim", &[distinct(&[3, 4])], |t| {
            t[0].norm_dim(p, &[1], false)
        });
    }
    check("logsumexp", &[x()], |t| t[0].logsumexp(&[1], false));
    check("softmax", &[x()], |t| t[0].softmax(1));
    check("log_softmax", &[x()], |t| t[0].log_softmax(0));
    check("cumsum", &[x()], |t| t[0].cumsum(1));
    check("cumprod", &[r(&[3, 4], 0.5, 1.5)], |t| t[0].cumprod(1));
    let z = Tensor::from([[2.0f64, 0.0, 3.0, 1.5], [0.5, 1.0, 0.0, 2.0]]).requires_grad_(true);
    check("cumprod_zeros", &[z], |t| t[0].cumprod(1));
    check("logcumsumexp", &[x()], |t| t[0].logcumsumexp(0));
    check("cummax", &[distinct(&[3, 4])], |t| t[0].cummax(1).0);
    check("cummin", &[distinct(&[3, 4])], |t| t[0].cummin(0).0);
    check("sort", &[distinct(&[3, 4])], |t| t[0].sort(1, true).0);
    check("topk", &[distinct(&[3, 5])], |t| {
        t[0].topk(2, 1, true, true).0
    });
}

#[test]
fn views() {
    seed(5);
    let x = || rt(&[3, 4], -1.0, 1.0);
    let w = Tensor::randn(&[12], DType::F64); // weights make each element's gradient distinct
    let wsum = |y: Tensor| y.reshape(&[-1]).mul(&w.narrow(0, 0, y.numel())).sum();
    check("view", &[r(&[3, 4], -1.0, 1.0)], |t| {
        wsum(t[0].view(&[2, 6]))
    });
    check("reshape", &[x()], |t| wsum(t[0].reshape(&[6, 2])));
    check("permute", &[rt(&[2, 3, 2], -1.0, 1.0)], |t| {
        wsum(t[0].permute(&[2, 0, 1]))
    });
    check("transpose", &[x()], |t| wsum(t[0].transpose(0, 1)));
    check("t", &[x()], |t| wsum(t[0].t()));
    check("narrow", &[x()], |t| wsum(t[0].narrow(1, 1, 2)));
    check("select", &[x()], |t| wsum(t[0].select(0, 2)));
    check("slice_step", &[x()], |t| {
        wsum(t[0].i((s(1..), s(..).step(2))))
    });
    check("squeeze", &[r(&[3, 1, 4], -1.0, 1.0)], |t| {
        wsum(t[0].squeeze())
    });
    check("unsqueeze", &[x()], |t| wsum(t[0].unsqueeze(1)));
    check("flatten", &[x()], |t| wsum(t[0].flatten(0, -1)));
    check("unflatten", &[r(&[12], -1.0, 1.0)], |t| {
        wsum(t[0].unflatten(0, &[3, 4]))
    });
    check("expand", &[r(&[3, 1], -1.0, 1.0)], |t| {
        wsum(t[0].expand(&[3, 4]))
    });
    check("diagonal", &[x()], |t| wsum(t[0].diagonal(1, 0, 1)));
    check("unfold_overlap", &[r(&[7], -1.0, 1.0)], |t| {
        wsum(t[0].unfold(0, 3, 2))
    });
    check("as_strided", &[r(&[6], -1.0, 1.0)], |t| {
        wsum(t[0].as_strided(&[3, 3], &[1, 1], 1))
    });
    check("movedim", &[rt(&[2, 3, 2], -1.0, 1.0)], |t| {
        wsum(t[0].movedim(&[0], &[2]))
    });
    check("contiguous", &[x()], |t| wsum(t[0].contiguous()));
    check("view_of_view", &[x()], |t| {
        wsum(t[0].t().narrow(0, 1, 2).i((.., s(..).step(2))))
    });
}

#[test]
fn joins_and_copies() {
    seed(6);
    let w = Tensor::randn(&[64], DType::F64);
    let wsum = |y: Tensor| y.reshape(&[-1]).mul(&w.narrow(0, 0, y.numel())).sum();
    let a = rt(&[2, 3], -1.0, 1.0);
    let b = r(&[2, 2], -1.0, 1.0);
    check("cat", &[a.clone(), b.clone()], |t| {
        wsum(Tensor::cat(&[&t[0], &t[1]], 1))
    });
    check("stack", &[a.clone(), r(&[2, 3], -1.0, 1.0)], |t| {
        wsum(Tensor::stack(&[&t[0], &t[1]], 1))
    });
    check("split", &[r(&[5, 2], -1.0, 1.0)], |t| {
        let p = t[0].split(2, 0);
        wsum(p[0].sum_dim(&[0], false).mul(&p[2].squeeze_dim(0)))
    });
    check("chunk", &[r(&[4, 3], -1.0, 1.0)], |t| {
        let p = t[0].chunk(2, 0);
        wsum(p[0].mul(&p[1]))
    });
    check("unbind", std::slice::from_ref(&a), |t| {
        let p = t[0].unbind(1);
        wsum(p[0].mul(&p[2]).add(&p[1]))
    });
    check("repeat", std::slice::from_ref(&a), |t| {
        wsum(t[0].repeat(&[2, 1, 2]))
    });
    check("tile", std::slice::from_ref(&a), |t| wsum(t[0].tile(&[2])));
    check("repeat_interleave", std::slice::from_ref(&a), |t| {
        wsum(t[0].repeat_interleave(2, Some(1)))
    });
    check("repeat_interleave_flat", std::slice::from_ref(&a), |t| {
        wsum(t[0].repeat_interleave(3, None))
    });
    check("flip", std::slice::from_ref(&a), |t| {
        wsum(t[0].flip(&[0, 1]))
    });
    check("roll", std::slice::from_ref(&a), |t| {
        wsum(t[0].roll(&[1, -1], &[0, 1]))
    });
    check("tril", &[r(&[3, 3], -1.0, 1.0)], |t| wsum(t[0].tril(0)));
    check("triu", &[r(&[3, 4], -1.0, 1.0)], |t| wsum(t[0].triu(1)));
    for mode in [
        PadMode::Constant,
        PadMode::Reflect,
        PadMode::Replicate,
        PadMode::Circular,
    ] {
        check("pad", &[rt(&[2, 3, 3], -1.0, 1.0)], |t| {
            wsum(t[0].pad(&[2, 1, 1, 0], mode, 0.5))
        });
    }
}

#[test]
fn indexing() {
    seed(7);
    let w = Tensor::randn(&[64], DType::F64);
    let wsum = |y: Tensor| y.reshape(&[-1]).mul(&w.narrow(0, 0, y.numel())).sum();
    let x = || rt(&[3, 4], -1.0, 1.0);
    let idx = Tensor::from([2i64, 0, 2]);
    check("index_select", &[x()], |t| wsum(t[0].index_select(1, &idx)));
    let gi = Tensor::from([[0i64, 3], [1, 1], [2, 0]]);
    check("gather", &[x()], |t| wsum(t[0].gather(1, &gi)));
    let si = Tensor::from([[0i64, 3], [1, 2], [2, 0]]);
    check("scatter", &[x(), r(&[3, 2], -1.0, 1.0)], |t| {
        wsum(t[0].scatter(1, &si, &t[1]))
    });
    check("scatter_add", &[x(), r(&[3, 2], -1.0, 1.0)], |t| {
        wsum(t[0].scatter_add(1, &gi, &t[1]))
    });
    check("index_add", &[x(), r(&[3, 3], -1.0, 1.0)], |t| {
        wsum(t[0].index_add(1, &idx, &t[1], 0.5))
    });
    check("take", &[x()], |t| {
        wsum(t[0].take(&Tensor::from([[0i64, 5], [-1, 5]])))
    });
    let m = Tensor::from([true, false, true, true]);
    check("masked_select", &[x()], |t| wsum(t[0].masked_select(&m)));
    let m2 = Tensor::from([
        [true, false, true, true],
        [false, false, true, false],
        [true; 4],
    ]);
    check("masked_scatter", &[x(), r(&[10], -1.0, 1.0)], |t| {
        wsum(t[0].masked_scatter(&m2, &t[1]))
    });
    let rows = Tensor::from([2i64, 0]);
    let cols = Tensor::from([1i64, 3]);
    for acc in [false, true] {
        check("index_put", &[x(), r(&[2], -1.0, 1.0)], |t| {
            wsum(t[0].index_put(&[&rows, &cols], &t[1], acc))
        });
    }
    check("index_get", &[x()], |t| {
        wsum(t[0].index_get(&[&rows, &cols]))
    });
}

#[test]
fn linalg() {
    seed(8);
    check(
        "matmul_2d",
        &[rt(&[3, 4], -1.0, 1.0), r(&[4, 2], -1.0, 1.0)],
        |t| t[0].matmul(&t[1]).sum(),
    );
    check(
        "matmul_vec",
        &[r(&[4], -1.0, 1.0), rt(&[4, 3], -1.0, 1.0)],
        |t| t[0].matmul(&t[1]).exp().sum(),
    );
    check(
        "matvec",
        &[rt(&[3, 4], -1.0, 1.0), r(&[4], -1.0, 1.0)],
        |t| t[0].matmul(&t[1]).exp().sum(),
    );
    check("dot", &[r(&[4], -1.0, 1.0), r(&[4], -1.0, 1.0)], |t| {
        t[0].dot(&t[1])
    });
    check(
        "batched_broadcast",
        &[r(&[2, 1, 3, 4], -1.0, 1.0), rt(&[3, 4, 2], -1.0, 1.0)],
        |t| t[0].matmul(&t[1]).exp().sum(),
    );
    check(
        "bmm",
        &[r(&[2, 3, 4], -1.0, 1.0), r(&[2, 4, 2], -1.0, 1.0)],
        |t| t[0].bmm(&t[1]).sin().sum(),
    );
    check("outer", &[r(&[3], -1.0, 1.0), r(&[2], -1.0, 1.0)], |t| {
        t[0].outer(&t[1]).sin().sum()
    });
    check(
        "addmm",
        &[
            r(&[2], -1.0, 1.0),
            r(&[3, 4], -1.0, 1.0),
            r(&[4, 2], -1.0, 1.0),
        ],
        |t| t[0].addmm(&t[1], &t[2], 0.5, 2.0).sin().sum(),
    );
    check(
        "baddbmm",
        &[
            r(&[1, 3, 2], -1.0, 1.0),
            r(&[2, 3, 4], -1.0, 1.0),
            r(&[2, 4, 2], -1.0, 1.0),
        ],
        |t| t[0].baddbmm(&t[1], &t[2], 0.5, 2.0).sin().sum(),
    );
    check(
        "einsum_mm",
        &[r(&[3, 4], -1.0, 1.0), rt(&[4, 2], -1.0, 1.0)],
        |t| einsum("ij,jk->ik", &[&t[0], &t[1]]).sin().sum(),
    );
    check(
        "einsum_batch",
        &[r(&[2, 3, 4], -1.0, 1.0), r(&[2, 4], -1.0, 1.0)],
        |t| einsum("bij,bj->bi", &[&t[0], &t[1]]).sin().sum(),
    );
    check("einsum_trace", &[r(&[3, 3], -1.0, 1.0)], |t| {
        einsum("ii->", &[&t[0]])
    });
    check(
        "einsum_diag_sum",
        &[r(&[3, 3, 2], -1.0, 1.0), r(&[2], -1.0, 1.0)],
        |t| einsum("iij,j->i", &[&t[0], &t[1]]).sin().sum(),
    );
    check(
        "einsum_ellipsis",
        &[r(&[2, 3, 4], -1.0, 1.0), r(&[4], -1.0, 1.0)],
        |t| einsum("...j,j->...", &[&t[0], &t[1]]).sin().sum(),
    );
    check(
        "einsum_private",
        &[r(&[3, 4], -1.0, 1.0), r(&[3], -1.0, 1.0)],
        |t| einsum("ij,i->i", &[&t[0], &t[1]]).sin().sum(),
    );
}

#[test]
fn second_order() {
    seed(9);
    let x = || r(&[2, 3], 0.5, 1.5);
    check2("mul", &[x(), x()], |t| t[0].mul(&t[1]).sum());
    check2("div", &[x(), x()], |t| t[0].div(&t[1]).sum());
    check2("exp", &[x()], |t| t[0].exp().sum());
    check2("log", &[x()], |t| t[0].log().sum());
    check2("tanh", &[x()], |t| t[0].tanh().sum());
    check2("sigmoid", &[x()], |t| t[0].sigmoid().sum());
    check2(
        "matmul",
        &[rt(&[2, 3], -1.0, 1.0), r(&[3, 2], -1.0, 1.0)],
        |t| t[0].matmul(&t[1]).sin().sum(),
    );
    check2("sum", &[x()], |t| t[0].sum().pow(2.0));
    check2("mean", &[x()], |t| {
        t[0].mean_dim(&[1], false).pow(2.0).sum()
    });
    check2("pow", &[x(), x()], |t| t[0].pow(&t[1]).sum());
    check2("pow_scalar", &[x()], |t| t[0].pow(3.0).sum());
    check2("softmax_composite", &[x()], |t| {
        let e = t[0].sub(&t[0].amax(&[1], true).detach()).exp();
        e.div(&e.sum_dim(&[1], true)).mul(&t[0]).sum()
    });
    check2("softmax", &[x()], |t| t[0].softmax(1).mul(&t[0]).sum());
    check2("log_softmax", &[x()], |t| {
        t[0].log_softmax(1).mul(&t[0]).sum()
    });
    check2("relu", &[r(&[2, 3], 0.2, 1.0)], |t| {
        t[0].relu().mul(&t[0]).sum()
    });
    check2("narrow_expand", &[x()], |t| {
        t[0].narrow(1, 1, 2)
            .expand(&[2, 2, 2])
            .mul(&t[0].sum())
            .sum()
    });
    check2("gather", &[x()], |t| {
        t[0].gather(1, &Tensor::from([[0i64], [2]])).exp().sum()
    });
    check2("cumsum_var", &[x()], |t| t[0].cumsum(1).var(1.0));
}
