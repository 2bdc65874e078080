//! Throughput of the cloud operations on synthetic room-sized clouds.
//!
//! Run: `cargo bench --no-default-features --bench cloud`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use roomscribe::cloud::{
    align_to_gravity, estimate_normals, farthest_point_sampling, group_patches, statistical_outlier_removal,
    voxel_downsample, AlignConfig, KnnIndex, NormalConfig, PointCloud,
};
use std::hint::black_box;

/// Points on the six faces of a 6 × 5 × 2.7 m box room, seeded.
fn room(n: usize) -> PointCloud {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (sx, sy, sz) = (6.0f32, 5.0f32, 2.7f32);
    let points = (0..n)
        .map(|_| {
            let (u, v) = (rng.random::<f32>(), rng.random::<f32>());
            let e = (rng.random::<f32>() - 0.5) * 0.01;
            match rng.random_range(0..6) {
                0 => [u * sx, v * sy, e],
                1 => [u * sx, v * sy, sz + e],
                2 => [u * sx, e, v * sz],
                3 => [u * sx, sy + e, v * sz],
                4 => [e, u * sy, v * sz],
                _ => [sx + e, u * sy, v * sz],
            }
        })
        .collect();
    PointCloud::from_points(points)
}

fn bench_cloud(c: &mut Criterion) {
    let big = room(2_000_000);
    let small = room(200_000);
    let mut g = c.benchmark_group("cloud");
    g.sample_size(10);

    g.throughput(Throughput::Elements(big.len() as u64));
    g.bench_function("voxel_downsample_2M_2cm", |b| b.iter(|| voxel_downsample(black_box(&big), 0.02).expect("voxel")));
    g.bench_function("align_to_gravity_2M", |b| {
        b.iter(|| align_to_gravity(black_box(&big), &AlignConfig::default()).expect("align"))
    });

    g.throughput(Throughput::Elements(small.len() as u64));
    g.bench_function("kdtree_build_200k", |b| b.iter(|| KnnIndex::new(black_box(&small.points)).expect("index")));
    let index = KnnIndex::new(&small.points).expect("index");
    g.bench_function("knn16_batch_200k", |b| b.iter(|| index.knn_batch(black_box(&small.points), 16)));
    g.bench_function("normals_k16_200k", |b| {
        b.iter(|| estimate_normals(black_box(&small.points), &NormalConfig::default()).expect("normals"))
    });
    g.bench_function("sor_k20_200k", |b| {
        b.iter(|| statistical_outlier_removal(black_box(&small.points), 20, 2.0).expect("sor"))
    });
    g.bench_function("fps_4096_of_200k", |b| b.iter(|| farthest_point_sampling(black_box(&small.points), 4096).expect("fps")));
    let centres = farthest_point_sampling(&small.points, 1024).expect("fps");
    g.bench_function("patches_1024x64_of_200k", |b| {
        b.iter(|| group_patches(black_box(&small.points), &centres, 64).expect("patches"))
    });
    g.finish();
}

criterion_group!(benches, bench_cloud);
criterion_main!(benches);
