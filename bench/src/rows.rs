//! The rows of BENCHMARKS.md that level 1 runs without the reductions.

use std::hint::black_box;

use crate::{Normal, Row, Unit};

const MIB: f64 = (1 << 20) as f64;
const N16M: usize = 16 << 20;

fn matmul_row(id: &'static str, n: usize, setup: fn() -> Box<dyn FnMut()>) -> Row {
    Row {
        id,
        unit: Unit::Gflops,
        work: 2.0 * (n as f64).powi(3),
        setup,
    }
}

fn square(n: usize) -> Box<dyn FnMut()> {
    let mut g = Normal::new(n as u64);
    let (a, b) = (g.array(&[n, n]), g.array(&[n, n]));
    Box::new(move || {
        black_box(a.matmul(&b));
    })
}

/// Every row of this module, in BENCHMARKS.md's order.
pub fn rows() -> Vec<Row> {
    vec![
        matmul_row("matmul_256", 256, || square(256)),
        matmul_row("matmul_1024", 1024, || square(1024)),
        matmul_row("matmul_2048", 2048, || square(2048)),
        matmul_row("matmul_t_1024", 1024, || {
            let mut g = Normal::new(7);
            let (a, b) = (g.array(&[1024, 1024]), g.array(&[1024, 1024]));
            Box::new(move || {
                // `a.t()` is a view; matmul hands its strides to gemm (no copy).
                black_box(a.t().matmul(&b));
            })
        }),
        Row {
            id: "bmm",
            unit: Unit::Gflops,
            work: 2.0 * 64.0 * 128.0 * 64.0 * 128.0,
            setup: || {
                let mut g = Normal::new(8);
                let (a, b) = (g.array(&[64, 128, 64]), g.array(&[64, 64, 128]));
                Box::new(move || {
                    black_box(a.bmm(&b));
                })
            },
        },
        Row {
            id: "add_16m",
            unit: Unit::Gbs,
            work: 3.0 * 64.0 * MIB,
            setup: || {
                let mut g = Normal::new(9);
                let (a, b) = (g.array(&[N16M]), g.array(&[N16M]));
                Box::new(move || {
                    black_box(a.add(&b));
                })
            },
        },
        Row {
            id: "add_bcast",
            unit: Unit::Gbs,
            work: 2.0 * 64.0 * MIB,
            setup: || {
                let mut g = Normal::new(10);
                let (a, b) = (g.array(&[4096, 4096]), g.array(&[4096]));
                Box::new(move || {
                    black_box(a.add(&b));
                })
            },
        },
        Row {
            id: "add_noncontig",
            unit: Unit::Gbs,
            work: 3.0 * 64.0 * MIB,
            setup: || {
                let mut g = Normal::new(11);
                let (x, y) = (g.array(&[4096, 4096]), g.array(&[4096, 4096]));
                Box::new(move || {
                    black_box(x.t().add(&y));
                })
            },
        },
        Row {
            // The tanh form (PyTorch: gelu(approximate="tanh")); reads and writes 64 MiB.
            id: "gelu_16m",
            unit: Unit::Gbs,
            work: 2.0 * 64.0 * MIB,
            setup: || {
                let mut g = Normal::new(12);
                let a = g.array(&[N16M]);
                Box::new(move || {
                    black_box(a.gelu(true));
                })
            },
        },
    ]
}
