//! Solver speed on a 200-entity layout (a 4 x 3 grid of rooms: 31 walls,
//! 17 doors, 152 objects), perturbed by a few centimetres.
use criterion::{criterion_group, criterion_main, Criterion};
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

fn bench(c: &mut Criterion) {
    let l = layout_200();
    let n = l.walls.len() + l.openings.len() + l.objects.len();
    assert_eq!(n, 200);
    let cfg = SolveConfig::default();
    c.bench_function("solve 200 entities", |b| b.iter(|| solve(std::hint::black_box(&l), None, &cfg).map(|s| s.report.valid)));
}

criterion_group!(benches, bench);
criterion_main!(benches);
