//! Door detection (`recon::doors`) on generated apartments: every surface
//! of the synthetic world sampled evenly (as if the whole room had been
//! seen, lintels included), doors found against the layout's doors.
#![cfg(feature = "video")]

use nalgebra::Point3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use roomscribe::recon::doors::{find_doors, DoorConfig};
use roomscribe::synth::{generate, SceneConfig};

/// Points per m² of surface.
const DENSITY: f64 = 300.0;

/// Samples every triangle of the world at `DENSITY` with 1 cm of noise.
fn sample_world(seed: u64) -> (Vec<Point3<f64>>, roomscribe::layout::Layout) {
    let scene = generate(seed, &SceneConfig::default()).expect("scene");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut pts = vec![];
    for mesh in &scene.world.meshes {
        for t in &mesh.triangles {
            let v = t.map(|i| {
                let p = mesh.vertices[i as usize];
                nalgebra::Vector3::new(p[0] as f64, p[1] as f64, p[2] as f64)
            });
            let area = (v[1] - v[0]).cross(&(v[2] - v[0])).norm() / 2.0;
            let n = (area * DENSITY + rng.random_range(0.0..1.0)) as usize;
            for _ in 0..n {
                let (mut a, mut b): (f64, f64) = (rng.random_range(0.0..1.0), rng.random_range(0.0..1.0));
                if a + b > 1.0 {
                    (a, b) = (1.0 - a, 1.0 - b);
                }
                let p = v[0] + (v[1] - v[0]) * a + (v[2] - v[0]) * b;
                let noise = nalgebra::Vector3::new(rng.random_range(-0.01..0.01), rng.random_range(-0.01..0.01), rng.random_range(-0.01..0.01));
                pts.push(Point3::from(p + noise));
            }
        }
    }
    (pts, scene.layout)
}

#[test]
fn doors_of_generated_apartments() {
    let (mut found, mut matched, mut truth, mut false_doors) = (0, 0, 0, 0);
    let mut errors = vec![];
    for seed in 1..=4 {
        let (pts, layout) = sample_world(seed);
        let doors = find_doors(&pts, &DoorConfig::default());
        truth += layout.doors().count();
        found += doors.len();
        for d in &doors {
            let along = (d.start + d.end) / 2.0;
            let c = if d.axis == 0 { [d.offset, along] } else { [along, d.offset] };
            let best = layout.doors().min_by(|a, b| {
                let da = (a.center[0] - c[0]).hypot(a.center[1] - c[1]);
                let db = (b.center[0] - c[0]).hypot(b.center[1] - c[1]);
                da.total_cmp(&db)
            });
            match best.filter(|o| (o.center[0] - c[0]).hypot(o.center[1] - c[1]) < 0.5) {
                Some(o) => {
                    matched += 1;
                    errors.push(d.top - o.height);
                    eprintln!("seed {seed}: door top {:.3} (true {:.3}) width {:.2} (true {:.2})", d.top, o.height, d.width(), o.width);
                }
                None => {
                    false_doors += 1;
                    eprintln!("seed {seed}: false door {d:?}");
                }
            }
        }
    }
    eprintln!("found {found} (matched {matched}, false {false_doors}) of {truth} doors; top errors {errors:?}");
    // No false doors; doors found with their height within 5 cm (the
    // others are closed, exterior, or on walls seen edge-on by the slabs).
    assert_eq!(false_doors, 0);
    assert!(matched >= 2, "{matched}");
    assert!(errors.iter().all(|e| e.abs() < 0.05), "{errors:?}");
}
