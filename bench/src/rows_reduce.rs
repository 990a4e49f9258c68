//! Rows built on the reductions (`sum_dim`, `amax`): sum_dim0, sum_dim1, softmax.

use std::hint::black_box;

use crate::{Normal, Row, Unit};

const MIB: f64 = (1 << 20) as f64;

/// sum_dim0, sum_dim1 (read 64 MiB) and softmax (read and write 64 MiB).
pub fn rows() -> Vec<Row> {
    vec![
        Row {
            id: "sum_dim0",
            unit: Unit::Gbs,
            work: 64.0 * MIB,
            setup: || {
                let x = Normal::new(13).array(&[4096, 4096]);
                Box::new(move || {
                    black_box(x.sum_dim(&[0], false));
                })
            },
        },
        Row {
            id: "sum_dim1",
            unit: Unit::Gbs,
            work: 64.0 * MIB,
            setup: || {
                let x = Normal::new(14).array(&[4096, 4096]);
                Box::new(move || {
                    black_box(x.sum_dim(&[1], false));
                })
            },
        },
        Row {
            // Composed from amax, sub, exp, sum_dim, div (level 1 has no fused softmax).
            id: "softmax",
            unit: Unit::Gbs,
            work: 2.0 * 64.0 * MIB,
            setup: || {
                let x = Normal::new(15).array(&[4096, 4096]);
                Box::new(move || {
                    let m = x.amax(&[-1], true);
                    let e = x.sub(&m).exp();
                    black_box(e.div(&e.sum_dim(&[-1], true)));
                })
            },
        },
    ]
}
