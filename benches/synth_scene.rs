//! Scene generation speed (layout + world, no sensors) and the validity of
//! a large seed range.
//!
//! Run: `cargo bench --no-default-features --bench synth_scene`.
//! Besides the timings it prints how many of 1,000 scenes violate
//! `Layout::validate()` (expected: 0).

use criterion::{criterion_group, criterion_main, Criterion};
use roomscribe::synth::{generate, stats::scene_stats, SceneConfig};
use std::hint::black_box;

fn bench_scenes(c: &mut Criterion) {
    let cfg = SceneConfig::default();
    let s = scene_stats(0..1000, &cfg);
    eprintln!(
        "1000 scenes (seeds 0..1000): {} failed, {} validate() violations in {} scenes",
        s.failed.len(),
        s.violations,
        s.scenes_with_violations
    );
    let mut group = c.benchmark_group("synth_scene");
    let mut seed = 0u64;
    group.bench_function("generate", |b| {
        b.iter(|| {
            seed += 1;
            generate(black_box(seed % 1000), &cfg).expect("scene")
        })
    });
    let scene = generate(4, &cfg).expect("scene");
    group.bench_function("validate_6_room_apartment", |b| b.iter(|| black_box(&scene.layout).validate()));
    group.sample_size(10);
    group.bench_function("stats_1000_seeds", |b| b.iter(|| scene_stats(0..1000, &cfg)));
    group.finish();
}

criterion_group!(benches, bench_scenes);
criterion_main!(benches);
