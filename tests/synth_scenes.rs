//! Generated scenes are valid layouts: `Layout::validate()` finds nothing,
//! and the stricter properties the generator promises hold (walls close
//! into loops with shared endpoints, openings inside their walls without
//! overlaps, objects inside their rooms without interpenetrating, nothing
//! in front of a door).

use roomscribe::layout::{Layout, OpeningKind};
use roomscribe::synth::world::SurfaceLabel;
use roomscribe::synth::{generate, Scene, SceneConfig, SceneKind};
use std::collections::HashMap;

/// Scenes checked here; `roomscribe synth stats --seeds 0..1000` checks more.
const SCENES: u64 = 200;

type P2 = [f64; 2];

fn corners(c: [f64; 3], s: [f64; 3], yaw: f64) -> [P2; 4] {
    let (sn, cs) = yaw.sin_cos();
    let p = |a: f64, b: f64| {
        let (x, y) = (a * s[0] / 2.0, b * s[1] / 2.0);
        [c[0] + cs * x - sn * y, c[1] + sn * x + cs * y]
    };
    [p(-1.0, -1.0), p(1.0, -1.0), p(1.0, 1.0), p(-1.0, 1.0)]
}

fn inside(p: P2, poly: &[P2]) -> bool {
    let mut c = false;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]) {
            c = !c;
        }
    }
    c
}

/// Overlap depth of two footprints along the separating axes (<= 0: apart).
fn xy_overlap(a: &[P2; 4], b: &[P2; 4]) -> f64 {
    let mut depth = f64::INFINITY;
    for poly in [a, b] {
        for i in 0..2 {
            let (p, q) = (poly[i], poly[i + 1]);
            let l = ((q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2)).sqrt();
            let ax = [(q[0] - p[0]) / l, (q[1] - p[1]) / l];
            let proj = |s: &[P2; 4]| {
                let v: Vec<f64> = s.iter().map(|c| c[0] * ax[0] + c[1] * ax[1]).collect();
                (v.iter().cloned().fold(f64::INFINITY, f64::min), v.iter().cloned().fold(f64::NEG_INFINITY, f64::max))
            };
            let ((a0, a1), (b0, b1)) = (proj(a), proj(b));
            depth = depth.min(a1.min(b1) - a0.max(b0));
        }
    }
    depth
}

fn check(scene: &Scene) -> Vec<String> {
    let l: &Layout = &scene.layout;
    let mut out: Vec<String> = l.validate().iter().map(|v| v.to_string()).collect();
    // Every wall endpoint is shared with at least one other wall (closed loops).
    let key = |p: [f64; 3]| ((p[0] * 100.0).round() as i64, (p[1] * 100.0).round() as i64);
    let mut degree: HashMap<(i64, i64), usize> = HashMap::new();
    for w in &l.walls {
        *degree.entry(key(w.a)).or_default() += 1;
        *degree.entry(key(w.b)).or_default() += 1;
        if w.length_xy() < 0.2 {
            out.push(format!("wall_{} is {:.3} m long", w.id, w.length_xy()));
        }
        if w.a[2] != 0.0 || w.b[2] != 0.0 {
            out.push(format!("wall_{} does not stand on the floor", w.id));
        }
    }
    for (k, d) in &degree {
        if *d < 2 {
            out.push(format!("wall endpoint {k:?} is open"));
        }
    }
    // Openings: sizes from the issue, no two overlapping on one wall.
    for (i, o) in l.openings.iter().enumerate() {
        let bottom = o.center[2] - o.height / 2.0;
        match o.kind {
            OpeningKind::Door => {
                if bottom.abs() > 1e-9 || !(0.7..=1.0).contains(&o.width) || !(2.0..=2.2).contains(&o.height) {
                    out.push(format!("door_{}: {} x {} m at z {bottom}", o.id, o.width, o.height));
                }
            }
            OpeningKind::Window => {
                if !(0.4..=1.2).contains(&bottom) {
                    out.push(format!("window_{}: sill at {bottom} m", o.id));
                }
            }
        }
        for p in &l.openings[i + 1..] {
            if p.wall != o.wall {
                continue;
            }
            let d = ((p.center[0] - o.center[0]).powi(2) + (p.center[1] - o.center[1]).powi(2)).sqrt();
            if d < (p.width + o.width) / 2.0 {
                out.push(format!("{}_{} overlaps {}_{}", o.kind.name(), o.id, p.kind.name(), p.id));
            }
        }
    }
    // Objects: inside their room's wall faces, no interpenetration.
    for room in &scene.rooms {
        for &id in &room.object_ids {
            let o = &l.objects[id as usize];
            let c = corners(o.center, o.size, o.yaw);
            if !c.iter().all(|&p| inside(p, &room.interior)) {
                out.push(format!("bbox_{id} ({}) leaves its room", o.class));
            }
            if o.center[2] + o.size[2] / 2.0 > room.height + 1e-9 || o.center[2] - o.size[2] / 2.0 < -1e-9 {
                out.push(format!("bbox_{id} ({}) leaves floor-to-ceiling", o.class));
            }
        }
    }
    for a in &l.objects {
        for b in &l.objects {
            if b.id <= a.id {
                continue;
            }
            let z = (a.center[2] + a.size[2] / 2.0).min(b.center[2] + b.size[2] / 2.0)
                - (a.center[2] - a.size[2] / 2.0).max(b.center[2] - b.size[2] / 2.0);
            let xy = xy_overlap(&corners(a.center, a.size, a.yaw), &corners(b.center, b.size, b.yaw));
            if z > 1e-6 && xy > 1e-6 {
                out.push(format!("bbox_{} ({}) and bbox_{} ({}) interpenetrate", a.id, a.class, b.id, b.class));
            }
        }
    }
    // Nothing stands in the first 0.8 m in front of a door.
    for d in l.doors() {
        let w = l.wall(d.wall).unwrap();
        let dir = w.direction_xy().unwrap();
        let n = [-dir[1], dir[0]];
        for side in [1.0, -1.0] {
            let off = side * (w.thickness / 2.0 + 0.4);
            let zone = corners([d.center[0] + n[0] * off, d.center[1] + n[1] * off, 0.0], [d.width, 0.8, 0.0], dir[1].atan2(dir[0]));
            for o in &l.objects {
                let low = o.center[2] - o.size[2] / 2.0 < d.height;
                if low && xy_overlap(&zone, &corners(o.center, o.size, o.yaw)) > 1e-6 {
                    out.push(format!("bbox_{} ({}) blocks door_{}", o.id, o.class, d.id));
                }
            }
        }
    }
    out
}

#[test]
fn generated_scenes_are_valid() {
    let cfg = SceneConfig::default();
    let mut problems = Vec::new();
    let mut kinds = std::collections::BTreeSet::new();
    for seed in 0..SCENES {
        let scene = generate(seed, &cfg).unwrap();
        kinds.insert(scene.kind);
        problems.extend(check(&scene).into_iter().map(|p| format!("seed {seed}: {p}")));
    }
    assert!(problems.is_empty(), "{} problems, first: {:#?}", problems.len(), &problems[..problems.len().min(20)]);
    assert_eq!(kinds.len(), SceneKind::ALL.len(), "every scene kind occurs: {kinds:?}");
}

#[test]
fn checker_catches_broken_scenes() {
    let mut scene = generate(3, &SceneConfig::default()).unwrap();
    assert!(check(&scene).is_empty());
    let mut o = scene.layout.objects[0].clone();
    o.id = scene.layout.objects.len() as u32;
    scene.layout.objects.push(o);
    assert!(check(&scene).iter().any(|p| p.contains("interpenetrate")));
    scene.layout.objects.pop();
    scene.layout.walls[0].b[0] += 0.5;
    assert!(!check(&scene).is_empty());
}

#[test]
fn same_seed_same_bytes() {
    let cfg = SceneConfig::default();
    for seed in [5, 99, 4242] {
        let a = generate(seed, &cfg).unwrap();
        let b = generate(seed, &cfg).unwrap();
        assert_eq!(roomscribe::layout::write_json(&a.layout), roomscribe::layout::write_json(&b.layout));
        assert_eq!(roomscribe::layout::to_spatiallm(&a.layout), roomscribe::layout::to_spatiallm(&b.layout));
        assert_eq!(a.world, b.world);
    }
}

#[test]
fn objects_have_several_parts_and_rooms_have_structure() {
    let cfg = SceneConfig::default();
    for seed in 0..30 {
        let s = generate(seed, &cfg).unwrap();
        for o in &s.layout.objects {
            let parts = s.world.meshes.iter().filter(|m| m.label == SurfaceLabel::Object(o.id)).count();
            let simple = matches!(o.class.name().as_ref(), "carpet");
            assert!(simple || parts >= 2, "seed {seed}: {} is {parts} primitive(s)", o.class);
        }
    }
}

/// Every primitive of an object lies inside the object's layout box, so the
/// boxes are tight ground truth for what the sensors see.
#[test]
fn object_parts_stay_inside_their_boxes() {
    let cfg = SceneConfig::default();
    for seed in 0..40 {
        let s = generate(seed, &cfg).unwrap();
        for o in &s.layout.objects {
            let (sn, cs) = o.yaw.sin_cos();
            for m in s.world.meshes.iter().filter(|m| m.label == SurfaceLabel::Object(o.id)) {
                for v in &m.vertices {
                    let r = [f64::from(v[0]) - o.center[0], f64::from(v[1]) - o.center[1], f64::from(v[2]) - o.center[2]];
                    let local = [cs * r[0] + sn * r[1], -sn * r[0] + cs * r[1], r[2]];
                    for (k, (x, s)) in local.iter().zip(o.size).enumerate() {
                        assert!(
                            x.abs() <= s / 2.0 + 1e-3,
                            "seed {seed}: a part of bbox_{} ({}) sticks out along axis {k}: {:.4} > {:.4}",
                            o.id,
                            o.class,
                            x.abs(),
                            s / 2.0
                        );
                    }
                }
            }
        }
    }
}

/// The SpatialLM text of a scene (what `synth scene` writes as layout.txt)
/// reads back into a layout that is just as valid.
#[test]
fn spatiallm_text_of_scenes_is_valid_too() {
    use roomscribe::layout::{parse_spatiallm, to_spatiallm, ParseMode};
    let cfg = SceneConfig::default();
    for seed in 0..100 {
        let s = generate(seed, &cfg).unwrap();
        let (back, warnings) = parse_spatiallm(&to_spatiallm(&s.layout), ParseMode::Strict).unwrap();
        assert!(warnings.is_empty(), "seed {seed}: {warnings:?}");
        let v = back.validate();
        assert!(v.is_empty(), "seed {seed}: {:?}", &v[..v.len().min(5)]);
        assert_eq!(back.objects.len(), s.layout.objects.len());
    }
}

/// The world is finite, inside the apartment's walls and between floor and
/// ceiling, with indices in range and non-degenerate triangles.
#[test]
fn world_geometry_is_sane() {
    let cfg = SceneConfig::default();
    for seed in 0..40 {
        let s = generate(seed, &cfg).unwrap();
        let t = s.layout.walls.iter().map(|w| w.thickness).fold(0.0, f64::max);
        let h = s.rooms[0].height;
        let xs = s.layout.walls.iter().flat_map(|w| [w.a[0], w.b[0]]);
        let ys = s.layout.walls.iter().flat_map(|w| [w.a[1], w.b[1]]);
        let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
        let (y0, y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
        for m in &s.world.meshes {
            assert_eq!(m.uvs.len(), m.vertices.len());
            for v in &m.vertices {
                let [x, y, z] = v.map(f64::from);
                assert!(x.is_finite() && y.is_finite() && z.is_finite());
                assert!(x > x0 - t && x < x1 + t && y > y0 - t && y < y1 + t, "seed {seed}: {:?} vertex {v:?} outside", m.label);
                assert!(z > -1e-4 && z < h + 1e-4, "seed {seed}: {:?} vertex {v:?} below the floor or above the ceiling", m.label);
            }
            for tri in &m.triangles {
                assert!(tri.iter().all(|&i| (i as usize) < m.vertices.len()));
                let p = |i: u32| nalgebra::Vector3::from(m.vertices[i as usize].map(f64::from));
                let area = (p(tri[1]) - p(tri[0])).cross(&(p(tri[2]) - p(tri[0]))).norm();
                assert!(area > 1e-12, "seed {seed}: degenerate triangle in {:?}", m.label);
            }
        }
    }
}
