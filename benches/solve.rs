//! Solver speed on a 200-entity layout (a 4 x 3 grid of rooms: 31 walls,
//! 17 doors, 152 objects), perturbed by a few centimetres; and the same
//! layout refined against a 200k-point scan of its true walls.
use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use roomscribe::cloud::PointCloud;
use roomscribe::solve::Pass;
use roomscribe::layout::{Layout, Object, ObjectClass, Opening, OpeningKind, Wall};
use roomscribe::solve::{solve, SolveConfig};

fn layout_200() -> Layout {
    let mut l = Layout::new();
    let (nx, ny, s) = (4usize, 3usize, 4.0f64);
    let jitter = |k: usize| ((k * 7919) % 13) as f64 / 13.0 * 0.1 - 0.05;
    let mut id = 0u32;
    let mut wall = |l: &mut Layout, a: [f64; 2], b: [f64; 2]| {
        let j = jitter(id as usize);
        l.walls.push(Wall { id, a: [a[0] + j, a[1] - j, 0.0], b: [b[0] - j, b[1] + j, 0.0], height: 2.7, thickness: 0.1 });
        id += 1;
    };
    for y in 0..=ny {
        for x in 0..nx {
            wall(&mut l, [x as f64 * s, y as f64 * s], [(x + 1) as f64 * s, y as f64 * s]);
        }
    }
    for x in 0..=nx {
        for y in 0..ny {
            wall(&mut l, [x as f64 * s, y as f64 * s], [x as f64 * s, (y + 1) as f64 * s]);
        }
    }
    let mut door = 0;
    for w in l.walls.clone() {
        let inner = |p: [f64; 3]| p[0] > 0.1 && p[0] < nx as f64 * s - 0.1 && p[1] > 0.1 && p[1] < ny as f64 * s - 0.1;
        if inner(w.a) || inner(w.b) {
            let c = [(w.a[0] + w.b[0]) / 2.0 + 0.1, (w.a[1] + w.b[1]) / 2.0 + 0.15, 1.1];
            l.openings.push(Opening { id: door, kind: OpeningKind::Door, wall: w.id, center: c, width: 0.9, height: 2.0 });
            door += 1;
            if door == 17 {
                break;
            }
        }
    }
    let mut oid = 0;
    for y in 0..ny {
        for x in 0..nx {
            for k in 0..13 {
                if oid == 152 {
                    break;
                }
                let cx = x as f64 * s + 0.6 + (k % 4) as f64 * 0.9;
                let cy = y as f64 * s + 0.6 + (k / 4) as f64 * 0.9;
                let class = [ObjectClass::Chair, ObjectClass::Nightstand, ObjectClass::Stool, ObjectClass::Plants][k % 4].clone();
                l.objects.push(Object { id: oid, class, center: [cx, cy, 0.3 + jitter(oid as usize)], size: [0.5, 0.5, 0.6], yaw: 0.05 });
                oid += 1;
            }
        }
    }
    l
}

/// 200k points on the true (unjittered) grid: both faces of every wall
/// inside the apartment (the outer faces are not scanned), floor and
/// ceiling, 1.5 cm noise.
fn cloud_200k() -> PointCloud {
    let (nx, ny, s, h, t) = (4usize, 3usize, 4.0f64, 2.7f64, 0.05f64);
    let (w, d) = (nx as f64 * s, ny as f64 * s);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut pts = Vec::with_capacity(200_000);
    let noise = |rng: &mut ChaCha8Rng| (rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>() - 1.5) * 0.03;
    while pts.len() < 200_000 {
        let z = rng.random_range(0.0..h);
        match rng.random_range(0..4) {
            // A face of a wall on a vertical grid line x = k s.
            0 => {
                let k = rng.random_range(0..=nx) as f64;
                let side = if k == 0.0 { 1.0 } else if k as usize == nx { -1.0 } else if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                let x = k * s + side * t + noise(&mut rng);
                pts.push([x as f32, rng.random_range(0.0..d) as f32, z as f32]);
            }
            1 => {
                let k = rng.random_range(0..=ny) as f64;
                let side = if k == 0.0 { 1.0 } else if k as usize == ny { -1.0 } else if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                let y = k * s + side * t + noise(&mut rng);
                pts.push([rng.random_range(0.0..w) as f32, y as f32, z as f32]);
            }
            2 => pts.push([rng.random_range(0.0..w) as f32, rng.random_range(0.0..d) as f32, noise(&mut rng) as f32]),
            _ => pts.push([rng.random_range(0.0..w) as f32, rng.random_range(0.0..d) as f32, (h + noise(&mut rng)) as f32]),
        }
    }
    PointCloud::from_points(pts)
}

fn bench(c: &mut Criterion) {
    let l = layout_200();
    let n = l.walls.len() + l.openings.len() + l.objects.len();
    assert_eq!(n, 200);
    let cfg = SolveConfig::default();
    c.bench_function("solve 200 entities", |b| b.iter(|| solve(std::hint::black_box(&l), None, &cfg).map(|s| s.report.valid)));
    let cloud = cloud_200k();
    // The refinement must really run (and move walls) for the figure to mean anything.
    let s = solve(&l, Some(&cloud), &cfg).expect("solve");
    let moved = s.report.changes.iter().filter(|c| c.pass == Pass::Refine).count();
    assert!(moved > 0 && s.report.valid, "refinement did not run: {:?} {:?}", s.report.skipped, s.report.remaining);
    c.bench_function("solve 200 entities + 200k-point cloud", |b| {
        b.iter(|| solve(std::hint::black_box(&l), Some(&cloud), &cfg).map(|s| s.report.valid))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
