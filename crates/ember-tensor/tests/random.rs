//! Random ops: determinism under seeds, statistics of 100k samples within a few standard
//! errors, writes through views, thread-count independence, and the panics.

mod common;
use common::*;
use ember_tensor::{Array, DType, Generator, manual_seed, with_default_generator};
use std::sync::Mutex;

const FLOATS: [DType; 4] = [DType::F32, DType::F64, DType::F16, DType::BF16];
const N: usize = 100_000;

/// Tests that use the process-wide default generator run one at a time (the test harness runs
/// tests on several threads).
static DEFAULT_GEN: Mutex<()> = Mutex::new(());

fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Pearson's chi-square statistic of `counts` against equal expected counts.
fn chi_square(counts: &[usize]) -> f64 {
    let total: usize = counts.iter().sum();
    let e = total as f64 / counts.len() as f64;
    counts.iter().map(|&c| (c as f64 - e).powi(2) / e).sum()
}

#[test]
fn same_seed_same_numbers_different_seed_different_numbers() {
    type Draw = fn(&mut Generator, DType) -> Array;
    let draws: [(&str, Draw, &[DType]); 7] = [
        ("rand", |g, d| Array::rand_with(&[50], d, g), &FLOATS),
        ("randn", |g, d| Array::randn_with(&[51], d, g), &FLOATS),
        (
            "randint",
            |g, d| Array::randint_with(0, 100, &[50], d, g),
            &[DType::I64, DType::I32, DType::U8, DType::F32],
        ),
        (
            "randperm",
            |g, d| Array::randperm_with(50, d, g),
            &[DType::I64, DType::I32, DType::U8, DType::F64],
        ),
        (
            "bernoulli",
            |g, d| Array::full(&[50], 0.5, d).bernoulli_with(g),
            &FLOATS,
        ),
        (
            "normal_",
            |g, d| Array::zeros(&[7, 7], d).normal_with_(1.0, 2.0, g).clone(),
            &FLOATS,
        ),
        (
            "uniform_",
            |g, d| Array::zeros(&[7, 7], d).uniform_with_(-3.0, 3.0, g).clone(),
            &FLOATS,
        ),
    ];
    for (name, draw, dtypes) in draws {
        for &dt in dtypes {
            let a = draw(&mut Generator::new(123), dt);
            let b = draw(&mut Generator::new(123), dt);
            let c = draw(&mut Generator::new(124), dt);
            assert_eq!(a.dtype(), dt, "{name}");
            assert_eq!(values(&a), values(&b), "{name} {dt}: same seed");
            assert_ne!(values(&a), values(&c), "{name} {dt}: different seeds");
            // A generator moves on: the next draw differs from the first.
            let mut g = Generator::new(123);
            let first = draw(&mut g, dt);
            let second = draw(&mut g, dt);
            assert_ne!(
                values(&first),
                values(&second),
                "{name} {dt}: stream advances"
            );
            // manual_seed on a generator restarts it.
            g.manual_seed(123);
            assert_eq!(values(&draw(&mut g, dt)), values(&a), "{name} {dt}: reseed");
        }
    }
}

#[test]
fn default_generator_is_seeded_by_manual_seed() {
    let _lock = DEFAULT_GEN.lock().unwrap_or_else(|e| e.into_inner());
    manual_seed(5);
    let a = Array::rand(&[10], DType::F32);
    let b = Array::randn(&[10], DType::F64);
    let c = Array::randint(0, 10, &[10], DType::I64);
    let p = Array::randperm(10, DType::I64);
    let x = Array::zeros(&[10], DType::F32);
    x.normal_(0.0, 1.0).uniform_(0.0, 1.0);
    let bern = Array::full(&[10], 0.5, DType::F32).bernoulli();
    let like = b.randn_like();
    manual_seed(5);
    assert_eq!(
        Array::rand(&[10], DType::F32).to_vec::<f32>(),
        a.to_vec::<f32>()
    );
    assert_eq!(
        Array::randn(&[10], DType::F64).to_vec::<f64>(),
        b.to_vec::<f64>()
    );
    assert_eq!(
        Array::randint(0, 10, &[10], DType::I64).to_vec::<i64>(),
        c.to_vec::<i64>()
    );
    assert_eq!(
        Array::randperm(10, DType::I64).to_vec::<i64>(),
        p.to_vec::<i64>()
    );
    let y = Array::zeros(&[10], DType::F32);
    y.normal_(0.0, 1.0).uniform_(0.0, 1.0);
    assert_eq!(y.to_vec::<f32>(), x.to_vec::<f32>());
    let bern2 = Array::full(&[10], 0.5, DType::F32).bernoulli();
    assert_eq!(bern2.to_vec::<f32>(), bern.to_vec::<f32>());
    assert_eq!(b.randn_like().to_vec::<f64>(), like.to_vec::<f64>());
    // The default generator is the same stream as a Generator with that seed.
    let mut g = Generator::new(5);
    assert_eq!(
        Array::rand_with(&[10], DType::F32, &mut g).to_vec::<f32>(),
        a.to_vec::<f32>()
    );
    manual_seed(6);
    assert_eq!(with_default_generator(|g| g.initial_seed()), 6);
    assert_ne!(
        Array::rand(&[10], DType::F32).to_vec::<f32>(),
        a.to_vec::<f32>()
    );
}

#[test]
fn one_large_draw_equals_many_small_draws() {
    // A large draw is split into blocks filled on several threads; drawing the same number of
    // elements in small pieces (one thread) must give the same sequence.
    let n = 70_000; // above the parallel threshold
    for dt in [DType::F32, DType::F64, DType::BF16] {
        for op in ["rand", "randn"] {
            let draw = |g: &mut Generator, k: usize| -> Vec<f64> {
                let a = if op == "rand" {
                    Array::rand_with(&[k], dt, g)
                } else {
                    Array::randn_with(&[k], dt, g)
                };
                values(&a)
            };
            let big = draw(&mut Generator::new(9), n);
            let mut g = Generator::new(9);
            let mut small = Vec::new();
            while small.len() < n {
                small.extend(draw(&mut g, 1000.min(n - small.len())));
            }
            assert_eq!(big, small, "{op} {dt}");
        }
    }
    let big = Array::randint_with(-5, 5, &[n], DType::I64, &mut Generator::new(3));
    let mut g = Generator::new(3);
    let halves: Vec<i64> = [n / 2, n - n / 2]
        .iter()
        .flat_map(|&k| Array::randint_with(-5, 5, &[k], DType::I64, &mut g).to_vec::<i64>())
        .collect();
    assert_eq!(big.to_vec::<i64>(), halves);
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut g = Generator::new(77);
            let a = Array::randn_with(&[N + 1], DType::F32, &mut g);
            let b = Array::rand_with(&[N], DType::F64, &mut g);
            let c = Array::full(&[N], 0.3, DType::F32).bernoulli_with(&mut g);
            (values(&a), values(&b), values(&c))
        })
    };
    assert!(run(1) == run(3));
}

#[test]
fn rand_is_uniform_on_zero_one() {
    for dt in FLOATS {
        let v = values(&Array::rand_with(&[N], dt, &mut Generator::new(1)));
        assert!(
            v.iter().all(|&x| (0.0..1.0).contains(&x)),
            "{dt}: out of [0, 1)"
        );
        let (mean, var) = mean_var(&v);
        // U[0,1): mean 1/2, variance 1/12; standard errors sqrt(1/12/n) and ~sqrt(1/180/n).
        let se_mean = (1.0 / 12.0 / N as f64).sqrt();
        // bf16 keeps 8 random bits: its mean is (1 - 2^-8)/2, its variance slightly lower.
        let bias = if dt == DType::BF16 { 0.5 / 256.0 } else { 0.0 };
        assert!(
            (mean - 0.5 + bias).abs() < 5.0 * se_mean,
            "{dt}: mean {mean}"
        );
        assert!((var - 1.0 / 12.0).abs() < 0.003, "{dt}: var {var}");
        // Eight equal bins (each holds the same number of bf16 values): chi-square with 7
        // degrees of freedom stays far below 35.
        let mut counts = [0usize; 8];
        for &x in &v {
            counts[(x * 8.0) as usize] += 1;
        }
        assert!(chi_square(&counts) < 35.0, "{dt}: bins {counts:?}");
    }
}

#[test]
fn randn_is_standard_normal() {
    for dt in FLOATS {
        let v = values(&Array::randn_with(&[N], dt, &mut Generator::new(2)));
        let (mean, var) = mean_var(&v);
        let n = N as f64;
        assert!(mean.abs() < 5.0 / n.sqrt(), "{dt}: mean {mean}");
        // Var of the sample variance of a normal is 2/(n-1); bf16 rounding adds ~1e-5.
        assert!(
            (var - 1.0).abs() < 5.0 * (2.0 / n).sqrt(),
            "{dt}: var {var}"
        );
        // Tails: P(|z| > 1.96) = 0.05, P(|z| > 3) = 0.0027.
        let tail = |t: f64| v.iter().filter(|x| x.abs() > t).count() as f64 / n;
        let se = |p: f64| (p * (1.0 - p) / n).sqrt();
        assert!(
            (tail(1.96) - 0.05).abs() < 5.0 * se(0.05),
            "{dt}: tail {}",
            tail(1.96)
        );
        assert!(
            (tail(3.0) - 0.0027).abs() < 5.0 * se(0.0027),
            "{dt}: tail3 {}",
            tail(3.0)
        );
        // Skewness near 0.
        let skew = v.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n / var.powf(1.5);
        assert!(skew.abs() < 5.0 * (6.0 / n).sqrt(), "{dt}: skew {skew}");
    }
}

#[test]
fn normal_and_uniform_write_through_every_layout() {
    let mut g = Generator::new(4);
    for dt in FLOATS {
        let shape = [200, 250];
        let a = Array::zeros(&shape, dt);
        for (name, view) in layouts(&a) {
            // `layouts` gives copies: fill the view and check it (and only it) changed.
            let base_before = values(&view);
            assert!(base_before.iter().all(|&x| x == 0.0));
            view.normal_with_(3.0, 2.0, &mut g);
            let v = values(&view);
            let (mean, var) = mean_var(&v);
            let n = v.len() as f64;
            assert!(
                (mean - 3.0).abs() < 5.0 * 2.0 / n.sqrt(),
                "{name} {dt}: {mean}"
            );
            assert!(
                (var.sqrt() - 2.0).abs() < 0.03,
                "{name} {dt}: std {}",
                var.sqrt()
            );
            view.uniform_with_(-2.0, -1.0, &mut g);
            let v = values(&view);
            assert!(
                v.iter().all(|&x| (-2.0..=-1.0).contains(&x)),
                "{name} {dt}: out of range"
            );
            let (mean, _) = mean_var(&v);
            assert!((mean + 1.5).abs() < 0.01, "{name} {dt}: {mean}");
        }
    }
}

#[test]
fn in_place_fill_of_a_strided_view_leaves_the_rest_alone_and_bumps_the_version() {
    let base = Array::zeros(&[6, 8], DType::F32);
    let view = base.t().narrow(0, 2, 3); // rows 2..5 of the transpose: columns 2..5 of base
    let v0 = base.version();
    view.uniform_with_(1.0, 2.0, &mut Generator::new(0));
    assert!(base.version() > v0);
    let got = base.to_vec::<f32>();
    for r in 0..6 {
        for c in 0..8 {
            let x = got[r * 8 + c];
            if (2..5).contains(&c) {
                assert!((1.0..2.0).contains(&x), "({r}, {c}) = {x}");
            } else {
                assert_eq!(x, 0.0, "({r}, {c}) must be untouched");
            }
        }
    }
    // Row-major order of the view: the same numbers as filling a contiguous [3, 6] array.
    let fresh = Array::zeros(&[3, 6], DType::F32);
    fresh.uniform_with_(1.0, 2.0, &mut Generator::new(0));
    assert_eq!(view.to_vec::<f32>(), fresh.to_vec::<f32>());
}

#[test]
fn uniform_with_equal_bounds_and_normal_with_zero_std_are_constant() {
    let a = Array::zeros(&[5], DType::F64);
    a.uniform_with_(2.5, 2.5, &mut Generator::new(0));
    assert_eq!(a.to_vec::<f64>(), vec![2.5; 5]);
    a.normal_with_(-1.0, 0.0, &mut Generator::new(0));
    assert_eq!(a.to_vec::<f64>(), vec![-1.0; 5]);
}

#[test]
fn randint_covers_its_range_uniformly() {
    let mut g = Generator::new(8);
    for dt in [DType::I64, DType::I32, DType::U8, DType::F32, DType::F64] {
        let (low, high) = if dt == DType::U8 { (3, 13) } else { (-4, 6) };
        let a = Array::randint_with(low, high, &[N], dt, &mut g);
        assert_eq!((a.shape(), a.dtype()), (&[N][..], dt));
        let v = values(&a);
        let mut counts = [0usize; 10];
        for &x in &v {
            assert!(
                x == x.trunc() && x >= low as f64 && x < high as f64,
                "{dt}: {x}"
            );
            counts[(x as i64 - low) as usize] += 1;
        }
        assert!(chi_square(&counts) < 40.0, "{dt}: {counts:?}");
    }
    // The full uint8 range, every value present.
    let v = Array::randint_with(0, 256, &[20_000], DType::U8, &mut g).to_vec::<u8>();
    let mut seen = [false; 256];
    v.iter().for_each(|&x| seen[x as usize] = true);
    assert!(seen.iter().all(|&s| s));
    // A range wider than 2^63 works for i64.
    let w = Array::randint_with(i64::MIN, i64::MAX, &[1000], DType::I64, &mut g).to_vec::<i64>();
    assert!(w.iter().any(|&x| x < 0) && w.iter().any(|&x| x > 0));
    // One-value range and bool.
    let one = Array::randint_with(7, 8, &[4], DType::I32, &mut g);
    assert_eq!(one.to_vec::<i32>(), vec![7; 4]);
    let b = Array::randint_with(0, 2, &[1000], DType::Bool, &mut g).to_vec::<bool>();
    let ones = b.iter().filter(|&&x| x).count();
    assert!((ones as f64 - 500.0).abs() < 5.0 * 250f64.sqrt());
}

#[test]
fn randperm_is_a_uniform_permutation() {
    let mut g = Generator::new(10);
    for dt in [
        DType::I64,
        DType::I32,
        DType::U8,
        DType::F32,
        DType::F16,
        DType::BF16,
    ] {
        for n in [0usize, 1, 2, 5, 100, 256] {
            let p = Array::randperm_with(n, dt, &mut g);
            assert_eq!((p.shape(), p.dtype()), (&[n][..], dt));
            let mut v: Vec<i64> = values(&p).iter().map(|&x| x as i64).collect();
            v.sort_unstable();
            assert_eq!(v, (0..n as i64).collect::<Vec<_>>(), "{dt} n={n}");
        }
    }
    // Where element 0 lands in 5000 permutations of 5: uniform over the 5 positions.
    let mut counts = [0usize; 5];
    for _ in 0..5000 {
        let p = Array::randperm_with(5, DType::I64, &mut g).to_vec::<i64>();
        counts[p.iter().position(|&x| x == 0).unwrap()] += 1;
    }
    assert!(chi_square(&counts) < 25.0, "{counts:?}");
    // Large n stays a permutation.
    let mut v = Array::randperm_with(50_000, DType::I64, &mut g).to_vec::<i64>();
    let moved = v
        .iter()
        .enumerate()
        .filter(|&(i, &x)| i as i64 != x)
        .count();
    assert!(moved > 49_000);
    v.sort_unstable();
    assert_eq!(v, (0..50_000).collect::<Vec<i64>>());
}

#[test]
fn bernoulli_frequency_matches_probabilities_over_layouts() {
    let mut g = Generator::new(12);
    for dt in FLOATS {
        let p = Array::full(&[N], 0.3, dt);
        let v = values(&p.bernoulli_with(&mut g));
        assert!(v.iter().all(|&x| x == 0.0 || x == 1.0));
        let freq = v.iter().sum::<f64>() / N as f64;
        let pr = values(&Array::scalar(0.3f64).to_dtype(dt))[0]; // 0.3 as the dtype holds it
        let se = (pr * (1.0 - pr) / N as f64).sqrt();
        assert!((freq - pr).abs() < 5.0 * se, "{dt}: {freq}");
    }
    // Probabilities 0 and 1 are exact, per element, through any layout.
    let mut rng = TestRng::new(5);
    let p = rand_f64(&mut rng, &[4, 6])
        .relu()
        .to_dtype(DType::Bool)
        .to_dtype(DType::F32);
    let want = values(&p);
    for (name, x) in layouts(&p) {
        let out = x.bernoulli_with(&mut g);
        assert_eq!(out.shape(), &[4, 6]);
        assert!(out.is_contiguous());
        assert_eq!(values(&out), want, "{name}");
    }
}

#[test]
fn bernoulli_in_place_with_a_scalar_probability() {
    let mut g = Generator::new(13);
    for dt in DType::ALL {
        let a = Array::zeros(&[N], dt);
        a.bernoulli_with_(0.8, &mut g);
        let v = values(&a);
        assert!(v.iter().all(|&x| x == 0.0 || x == 1.0));
        let freq = v.iter().sum::<f64>() / N as f64;
        assert!(
            (freq - 0.8).abs() < 5.0 * (0.16 / N as f64).sqrt(),
            "{dt}: {freq}"
        );
    }
    // Through a transposed view, p = 0 and p = 1 are exact.
    let a = Array::full(&[3, 4], 5, DType::I32);
    a.t().bernoulli_with_(0.0, &mut g);
    assert_eq!(a.to_vec::<i32>(), vec![0; 12]);
    a.t().bernoulli_with_(1.0, &mut g);
    assert_eq!(a.to_vec::<i32>(), vec![1; 12]);
}

#[test]
fn empty_shapes() {
    let mut g = Generator::new(0);
    assert_eq!(Array::rand_with(&[0], DType::F32, &mut g).shape(), &[0]);
    assert_eq!(
        Array::randn_with(&[2, 0], DType::F64, &mut g).shape(),
        &[2, 0]
    );
    assert_eq!(
        Array::randint_with(0, 3, &[0, 4], DType::I64, &mut g).numel(),
        0
    );
    assert_eq!(Array::randperm_with(0, DType::I64, &mut g).shape(), &[0]);
    assert_eq!(
        Array::zeros(&[0], DType::F32)
            .bernoulli_with(&mut g)
            .numel(),
        0
    );
    Array::zeros(&[0, 3], DType::F32).normal_with_(0.0, 1.0, &mut g);
    let s = Array::randn_with(&[], DType::F32, &mut g);
    assert_eq!(s.ndim(), 0);
    assert!(s.item::<f32>().is_finite());
}

#[test]
fn like_variants_follow_shape_and_dtype() {
    let mut g = Generator::new(1);
    let x = Array::zeros(&[3, 2], DType::F16).t();
    let r = x.rand_like_with(&mut g);
    assert_eq!((r.shape(), r.dtype()), (&[2, 3][..], DType::F16));
    assert!(r.is_contiguous());
    let n = x.randn_like_with(&mut g);
    assert_eq!((n.shape(), n.dtype()), (&[2, 3][..], DType::F16));
}

#[test]
#[should_panic(expected = "rand: expected a floating dtype")]
fn rand_of_an_integer_dtype_panics() {
    Array::rand_with(&[2], DType::I64, &mut Generator::new(0));
}

#[test]
#[should_panic(expected = "randn: expected a floating dtype")]
fn randn_like_of_a_bool_array_panics() {
    Array::zeros(&[2], DType::Bool).randn_like_with(&mut Generator::new(0));
}

#[test]
#[should_panic(expected = "normal_: expected a floating dtype")]
fn normal_of_an_integer_array_panics() {
    Array::zeros(&[2], DType::I32).normal_with_(0.0, 1.0, &mut Generator::new(0));
}

#[test]
#[should_panic(expected = "normal_: expects std >= 0.0, but found std -1")]
fn normal_with_negative_std_panics() {
    Array::zeros(&[2], DType::F32).normal_with_(0.0, -1.0, &mut Generator::new(0));
}

#[test]
#[should_panic(expected = "uniform_: expects to return a [low, high) range, but found low=2")]
fn uniform_with_reversed_bounds_panics() {
    Array::zeros(&[2], DType::F32).uniform_with_(2.0, 1.0, &mut Generator::new(0));
}

#[test]
#[should_panic(expected = "more than one element refers to the same memory location")]
fn uniform_into_an_expanded_view_panics() {
    let a = Array::zeros(&[1, 3], DType::F32).expand(&[2, 3]);
    a.uniform_with_(0.0, 1.0, &mut Generator::new(0));
}

#[test]
#[should_panic(expected = "randint: expects low < high, but got low=5 >= high=5")]
fn randint_with_an_empty_range_panics() {
    Array::randint_with(5, 5, &[2], DType::I64, &mut Generator::new(0));
}

#[test]
#[should_panic(expected = "randint: the range [0, 300) does not fit dtype uint8")]
fn randint_out_of_the_dtype_range_panics() {
    Array::randint_with(0, 300, &[2], DType::U8, &mut Generator::new(0));
}

#[test]
#[should_panic(expected = "randperm: n=300 is too large for dtype uint8")]
fn randperm_too_large_for_the_dtype_panics() {
    Array::randperm_with(300, DType::U8, &mut Generator::new(0));
}

#[test]
#[should_panic(expected = "bernoulli: every probability must be in [0, 1]")]
fn bernoulli_with_a_probability_above_one_panics() {
    Array::from([0.5f32, 1.5]).bernoulli_with(&mut Generator::new(0));
}

#[test]
#[should_panic(expected = "bernoulli: expected a floating dtype")]
fn bernoulli_of_an_integer_array_panics() {
    Array::from([0i64, 1]).bernoulli_with(&mut Generator::new(0));
}

#[test]
#[should_panic(expected = "bernoulli_: expects 0 <= p <= 1, but got p=-0.5")]
fn bernoulli_in_place_with_a_negative_probability_panics() {
    Array::zeros(&[2], DType::F32).bernoulli_with_(-0.5, &mut Generator::new(0));
}

#[test]
fn generator_state_resumes_the_stream_exactly() {
    use ember_tensor::{Generator, GeneratorState};
    let mut g = Generator::new(11);
    // Mixed draws, including a large one that runs on several threads and an odd-length
    // normal draw (Box-Muller pairs), then a snapshot.
    Array::rand_with(&[100_003], DType::F32, &mut g);
    Array::randn_with(&[7], DType::F64, &mut g);
    Array::randint_with(0, 10, &[5], DType::I64, &mut g);
    let state = g.get_state();
    let expect_a = Array::randn_with(&[70_001], DType::F32, &mut g).to_vec::<f32>();
    let expect_b = Array::rand_with(&[3], DType::BF16, &mut g).to_vec::<ember_tensor::bf16>();
    let mut h = Generator::new(999);
    h.set_state(&GeneratorState::from_bytes(&state.to_bytes()));
    assert_eq!(h.initial_seed(), 11);
    assert_eq!(
        Array::randn_with(&[70_001], DType::F32, &mut h).to_vec::<f32>(),
        expect_a
    );
    assert_eq!(
        Array::rand_with(&[3], DType::BF16, &mut h).to_vec::<ember_tensor::bf16>(),
        expect_b
    );
    assert_eq!(h.get_state(), g.get_state());
}
