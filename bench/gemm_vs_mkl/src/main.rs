//! Ember's matmul, the gemm crate and MKL on one product, alternating call by call in one
//! process (see README.md).
use std::time::Instant;

use ember_tensor::{Array, DType};

unsafe extern "C" {
    /// MKL's Fortran-style single-precision gemm (column-major).
    fn sgemm_(
        transa: *const u8,
        transb: *const u8,
        m: *const i32,
        n: *const i32,
        k: *const i32,
        alpha: *const f32,
        a: *const f32,
        lda: *const i32,
        b: *const f32,
        ldb: *const i32,
        beta: *const f32,
        c: *mut f32,
        ldc: *const i32,
    );
}

/// The row-major operands: `lhs` (m×k, stored k×m when transposed), `rhs` (k×n, stored n×k
/// when transposed).
struct Problem {
    m: usize,
    k: usize,
    n: usize,
    lhs_t: bool,
    rhs_t: bool,
    lhs: Vec<f32>,
    rhs: Vec<f32>,
}

impl Problem {
    /// Element (i, p) of lhs and (p, j) of rhs as (row stride, column stride).
    fn strides(&self) -> ((usize, usize), (usize, usize)) {
        let (m, k, n) = (self.m, self.k, self.n);
        let ls = if self.lhs_t { (1, m) } else { (k, 1) };
        let rs = if self.rhs_t { (1, k) } else { (n, 1) };
        (ls, rs)
    }

    /// Ember's operands: views of the stored arrays (transposed views when stored transposed).
    fn arrays(&self) -> (Array, Array) {
        let (m, k, n) = (self.m, self.k, self.n);
        let a = if self.lhs_t {
            Array::from_vec(self.lhs.clone(), &[k, m]).t()
        } else {
            Array::from_vec(self.lhs.clone(), &[m, k])
        };
        let b = if self.rhs_t {
            Array::from_vec(self.rhs.clone(), &[n, k]).t()
        } else {
            Array::from_vec(self.rhs.clone(), &[k, n])
        };
        (a, b)
    }

    /// `out = lhs·rhs` by the gemm crate with its own threading over `threads`.
    fn gemm(&self, out: &mut [f32], threads: usize) {
        let ((lrs, lcs), (rrs, rcs)) = self.strides();
        let par = if threads > 1 {
            gemm::Parallelism::Rayon(threads)
        } else {
            gemm::Parallelism::None
        };
        // SAFETY: `out` holds m·n elements (row stride n); the operand strides address
        // exactly the m·k and k·n stored elements.
        unsafe {
            gemm::gemm(
                self.m,
                self.n,
                self.k,
                out.as_mut_ptr(),
                1,
                self.n as isize,
                false,
                self.lhs.as_ptr(),
                lcs as isize,
                lrs as isize,
                self.rhs.as_ptr(),
                rcs as isize,
                rrs as isize,
                0.0f32,
                1.0f32,
                false,
                false,
                false,
                par,
            )
        }
    }

    /// `out = lhs·rhs` by MKL: row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ.
    fn mkl(&self, out: &mut [f32]) {
        let (m, n, k) = (self.m as i32, self.n as i32, self.k as i32);
        let (tb, ldb) = if self.rhs_t { (b'T', k) } else { (b'N', n) };
        let (ta, lda) = if self.lhs_t { (b'T', m) } else { (b'N', k) };
        // SAFETY: the leading dimensions describe the stored buffers exactly; `out` holds m·n.
        unsafe {
            sgemm_(
                &tb,
                &ta,
                &n,
                &m,
                &k,
                &1.0,
                self.rhs.as_ptr(),
                &ldb,
                self.lhs.as_ptr(),
                &lda,
                &0.0,
                out.as_mut_ptr(),
                &n,
            )
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| -> usize {
        args.get(i)
            .and_then(|s| s.parse().ok())
            .expect("usage: gemm-vs-mkl m k n [--lhs-t] [--rhs-t] [--secs S]")
    };
    let (m, k, n) = (num(0), num(1), num(2));
    let flag = |f: &str| args.iter().any(|a| a == f);
    let secs: f64 = args
        .iter()
        .position(|a| a == "--secs")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let fill = |len: usize, mul: usize| -> Vec<f32> {
        (0..len)
            .map(|i| ((i * mul) % 1000) as f32 / 1000.0 - 0.5)
            .collect()
    };
    let p = Problem {
        m,
        k,
        n,
        lhs_t: flag("--lhs-t"),
        rhs_t: flag("--rhs-t"),
        lhs: fill(m * k, 7919),
        rhs: fill(k * n, 104_729),
    };
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(threads);
    let (a, b) = p.arrays();
    // The three ways agree (to f32 rounding) before anything is timed.
    let want = a.matmul(&b).to_dtype(DType::F64).to_vec::<f64>();
    let (mut g, mut k_) = (vec![0f32; m * n], vec![0f32; m * n]);
    p.gemm(&mut g, threads);
    p.mkl(&mut k_);
    let scale = want.iter().fold(1.0f64, |s, x| s.max(x.abs()));
    for (name, got) in [("gemm", &g), ("mkl", &k_)] {
        let err = got
            .iter()
            .zip(&want)
            .fold(0.0f64, |e, (&x, &y)| e.max((x as f64 - y).abs()));
        assert!(err <= 1e-4 * scale, "{name} differs from ember by {err}");
    }
    let names = ["ember", "gemm", "mkl"];
    let mut times: [Vec<f64>; 3] = Default::default();
    let start = Instant::now();
    while start.elapsed().as_secs_f64() < secs {
        for (w, t) in times.iter_mut().enumerate() {
            let t0 = Instant::now();
            match w {
                0 => drop(std::hint::black_box(a.matmul(&b))),
                1 => p.gemm(&mut g, threads),
                _ => p.mkl(&mut k_),
            }
            t.push(t0.elapsed().as_secs_f64());
        }
    }
    let flops = 2.0 * (m * k * n) as f64;
    println!(
        "{m}×{k}×{n} lhs_t={} rhs_t={} threads={threads}, GFLOP/s over {} alternating calls each",
        p.lhs_t,
        p.rhs_t,
        times[0].len()
    );
    for (name, t) in names.iter().zip(times.iter_mut()) {
        t.sort_by(f64::total_cmp);
        let q = |f: f64| flops / t[((t.len() - 1) as f64 * f) as usize] / 1e9;
        println!(
            "{name:6} median {:7.1}  quartiles {:7.1} - {:7.1}  best {:7.1}",
            q(0.5),
            q(0.75),
            q(0.25),
            q(0.0)
        );
    }
}
