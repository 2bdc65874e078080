//! Benchmark runner (manifests under `eval/benchmarks/`).
