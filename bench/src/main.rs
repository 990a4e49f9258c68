//! Ember's benchmark suite (shared/BENCHMARKS.md). See bench/README.md.
//!
//! `cargo run --release -p ember-bench -- [rows...] [--json]`: runs the named rows (all when
//! none is named) and prints median and min–max of each figure (`--json`: also every run's
//! figure). `--list` prints the row ids.

mod rows;
mod rows_autograd;
mod rows_conv;
mod rows_mnist;
mod rows_reduce;
mod rows_resnet;

use std::time::{Duration, Instant};

/// What a row's figure measures.
#[derive(Clone, Copy)]
pub enum Unit {
    /// Billions of floating-point operations per second; the work is the flop count.
    Gflops,
    /// Billions of bytes moved per second; the work is the byte count.
    Gbs,
    /// Microseconds per op (lower is better); the work is the op count.
    UsPerOp,
    /// Steps per second; the work is the step count.
    StepsPerSec,
    /// Images per second over whole epochs; the work is the image count. Rows in this unit
    /// take seconds per run, so they get 1 warm-up and at least 3 timed runs.
    ImagesPerSec,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Gflops => "GFLOP/s",
            Unit::Gbs => "GB/s",
            Unit::UsPerOp => "us/op",
            Unit::StepsPerSec => "steps/s",
            Unit::ImagesPerSec => "images/s",
        }
    }

    /// The figure of one run that did `work` in `secs`.
    fn figure(self, work: f64, secs: f64) -> f64 {
        match self {
            Unit::Gflops | Unit::Gbs => work / secs / 1e9,
            Unit::UsPerOp => secs * 1e6 / work,
            Unit::StepsPerSec | Unit::ImagesPerSec => work / secs,
        }
    }

    /// Whether a larger figure is better (for the speed-up column).
    fn higher_is_better(self) -> bool {
        !matches!(self, Unit::UsPerOp)
    }
}

/// One benchmark: its id, its unit, the work per run (flops or bytes), and a closure that
/// prepares the inputs and returns the timed body.
pub struct Row {
    /// The id of BENCHMARKS.md.
    pub id: &'static str,
    /// The unit of the figure.
    pub unit: Unit,
    /// Flops or bytes per run.
    pub work: f64,
    /// Builds the inputs, returns the timed closure.
    pub setup: fn() -> Box<dyn FnMut()>,
}

/// A deterministic source of standard normal numbers (Box–Muller over SplitMix64), so the
/// bench does not depend on Ember's own random module.
pub struct Normal(u64);

impl Normal {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Normal(seed)
    }
    fn next_u01(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// A contiguous f32 array of `shape` with standard normal values.
    pub fn array(&mut self, shape: &[usize]) -> ember::Array {
        let n: usize = shape.iter().product();
        let mut v = Vec::with_capacity(n);
        while v.len() < n {
            let (u1, u2) = (self.next_u01(), self.next_u01());
            let r = (-2.0 * u1.ln()).sqrt();
            let t = 2.0 * std::f64::consts::PI * u2;
            v.push((r * t.cos()) as f32);
            if v.len() < n {
                v.push((r * t.sin()) as f32);
            }
        }
        // Copied into Ember's allocator, as `Array::randn` would allocate (huge pages for
        // large buffers); PyTorch's `torch.randn` likewise allocates through its own.
        ember::Array::from_slice(&v, shape)
    }
}

/// Median, min and max of a row's figure over the timed runs.
struct Stats {
    median: f64,
    min: f64,
    max: f64,
    runs: usize,
    /// Every run's figure, sorted (the JSON output carries them, so that `run_all.sh` can
    /// pool the runs of several rounds).
    figures: Vec<f64>,
}

/// Warm-up (2 runs), then at least 10 timed runs and at least 1 s in total (at most 1000);
/// whole-epoch rows ([`Unit::ImagesPerSec`]): 1 warm-up and 3 timed runs.
fn measure(row: &Row) -> Stats {
    let (warm_up, min_runs) = match row.unit {
        Unit::ImagesPerSec => (1, 3),
        _ => (2, 10),
    };
    let mut body = (row.setup)();
    for _ in 0..warm_up {
        body();
    }
    let mut times: Vec<f64> = Vec::new();
    let start = Instant::now();
    while times.len() < min_runs || (start.elapsed() < Duration::from_secs(1) && times.len() < 1000)
    {
        let t = Instant::now();
        body();
        times.push(t.elapsed().as_secs_f64());
    }
    let mut figs: Vec<f64> = times
        .iter()
        .map(|&t| row.unit.figure(row.work, t))
        .collect();
    figs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = figs.len();
    let median = if n % 2 == 1 {
        figs[n / 2]
    } else {
        0.5 * (figs[n / 2 - 1] + figs[n / 2])
    };
    Stats {
        median,
        min: figs[0],
        max: figs[n - 1],
        runs: n,
        figures: figs,
    }
}

fn all_rows() -> Vec<Row> {
    #[allow(unused_mut)]
    let mut rows = rows::rows();
    rows.extend(rows_reduce::rows());
    rows.extend(rows_autograd::rows());
    rows.extend(rows_conv::rows());
    rows.extend(rows_mnist::rows());
    rows.extend(rows_resnet::rows());
    rows
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let wanted: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let rows = all_rows();
    if args.iter().any(|a| a == "--list") {
        for r in &rows {
            println!("{}", r.id);
        }
        return;
    }
    for w in &wanted {
        if !rows.iter().any(|r| r.id == w.as_str()) {
            let ids: Vec<&str> = rows.iter().map(|r| r.id).collect();
            eprintln!("unknown row '{w}'; rows in this build: {}", ids.join(", "));
            std::process::exit(2);
        }
    }
    let threads = ember::get_num_threads();
    if !json {
        println!("ember bench, {threads} threads");
        println!(
            "{:<16} {:>10} {:>22} {:>6}  unit",
            "row", "median", "[min - max]", "runs"
        );
    }
    let mut out = Vec::new();
    for row in rows
        .iter()
        .filter(|r| wanted.is_empty() || wanted.iter().any(|w| w.as_str() == r.id))
    {
        let s = measure(row);
        if json {
            let figures: Vec<String> = s.figures.iter().map(|f| format!("{f:.6e}")).collect();
            out.push(format!(
                "{{\"id\": \"{}\", \"unit\": \"{}\", \"median\": {:.3}, \"min\": {:.3}, \
                 \"max\": {:.3}, \"runs\": {}, \"threads\": {threads}, \"higher_is_better\": {}, \
                 \"figures\": [{}]}}",
                row.id,
                row.unit.name(),
                s.median,
                s.min,
                s.max,
                s.runs,
                row.unit.higher_is_better(),
                figures.join(", ")
            ));
        } else {
            println!(
                "{:<16} {:>10.2} {:>22} {:>6}  {}",
                row.id,
                s.median,
                format!("[{:.2} - {:.2}]", s.min, s.max),
                s.runs,
                row.unit.name()
            );
        }
    }
    if json {
        println!("[\n  {}\n]", out.join(",\n  "));
    }
}
