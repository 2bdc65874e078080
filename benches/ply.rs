//! PLY read/write throughput on a 5-million-point binary little-endian cloud
//! (x y z float, red green blue uchar, nx ny nz float: 27 bytes per point).
//!
//! Run: `cargo bench --no-default-features --bench ply`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use roomscribe::cloud::{read_ply, write_ply, PlyEncoding, PointCloud};
use std::hint::black_box;

/// Points in the benchmark cloud (the target size).
const POINTS: usize = 5_000_000;

fn make_cloud(n: usize) -> PointCloud {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let points = (0..n).map(|_| [rng.random::<f32>() * 8.0, rng.random::<f32>() * 6.0, rng.random::<f32>() * 3.0]).collect();
    let colors = Some((0..n).map(|_| [rng.random(), rng.random(), rng.random()]).collect());
    let normals = Some((0..n).map(|_| [0.0, 0.0, 1.0]).collect());
    PointCloud { points, colors, normals }
}

fn bench_ply(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.ply");
    let cloud = make_cloud(POINTS);
    write_ply(&path, &cloud, PlyEncoding::BinaryLittleEndian).expect("write bench file");
    let bytes = std::fs::metadata(&path).expect("stat").len();

    let mut group = c.benchmark_group("ply_5M_binary_le");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("read", |b| {
        b.iter(|| {
            let r = read_ply(black_box(&path)).expect("read");
            assert_eq!(r.cloud.len(), POINTS);
            r
        })
    });
    let out = dir.path().join("out.ply");
    group.bench_function("write", |b| {
        b.iter(|| write_ply(black_box(&out), black_box(&cloud), PlyEncoding::BinaryLittleEndian).expect("write"))
    });
    group.finish();
}

criterion_group!(benches, bench_ply);
criterion_main!(benches);
