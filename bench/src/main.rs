//! Ember's benchmark suite (shared/BENCHMARKS.md). See bench/README.md.

fn main() {}
