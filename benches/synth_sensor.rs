//! Sensor speed: BVH build, one scan (50k points), one 640x480 frame, and a
//! whole dataset sample (scene generation + path + scan), on generated scenes.
//! Run: `cargo bench --no-default-features --bench synth_sensor`.

use criterion::{criterion_group, criterion_main, Criterion};
use roomscribe::synth::bvh::{Bvh, Geometry};
use roomscribe::synth::camera::{Intrinsics, PathConfig};
use roomscribe::synth::capture::{rooms_of, Capture, SCAN_TRAJECTORY_FPS};
use roomscribe::synth::dataset::{sample, DatasetConfig, SceneParts};
use roomscribe::synth::render::{RenderConfig, Renderer};
use roomscribe::synth::scan::ScanConfig;
use roomscribe::synth::{generate, SceneConfig};
use std::hint::black_box;

fn parts(seed: u64) -> Result<SceneParts, String> {
    let s = generate(seed, &SceneConfig::default()).map_err(|e| e.to_string())?;
    let rooms = rooms_of(&s);
    Ok((s.layout, s.world, rooms))
}

fn bench(c: &mut Criterion) {
    let scene = generate(7, &SceneConfig::default()).unwrap();
    let capture = Capture::new(&scene.world, &scene.layout, rooms_of(&scene), &PathConfig::default(), 7).unwrap();
    let mut g = c.benchmark_group("synth_sensor");
    g.sample_size(10);
    g.bench_function("bvh_build", |b| b.iter(|| Bvh::build(black_box(&capture.geometry))));
    g.bench_function("geometry_flatten", |b| b.iter(|| Geometry::from_world(black_box(&scene.world))));
    let traj = capture.path.trajectory(SCAN_TRAJECTORY_FPS);
    g.bench_function("scan_50k_lidar", |b| b.iter(|| capture.scan(&traj, &ScanConfig::default(), 7)));
    let r = Renderer {
        geometry: &capture.geometry,
        lighting: &capture.lighting,
        intrinsics: Intrinsics::for_size(640, 480),
        config: RenderConfig::default(),
    };
    let pose = capture.path.pose_at(5.0);
    g.bench_function("render_640x480", |b| b.iter(|| r.render(black_box(&pose), None, 5.0, 0)));
    let cfg = DatasetConfig::default();
    let mut seed = 0;
    g.bench_function("dataset_sample_one_thread", |b| {
        b.iter(|| {
            seed += 1;
            sample(seed, &cfg, &parts)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
