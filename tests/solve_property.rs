//! Property tests of the constraint solver: hand-made multi-room ground
//! truth layouts are perturbed the way a decoder gets them wrong (endpoint
//! noise, rotated walls, corner gaps, duplicate walls, openings off their
//! wall, floating / sunk / interpenetrating objects), solved, and checked:
//! zero violations in every case; wall endpoints closer to the ground truth
//! than before; the measured errors are printed (`--nocapture`).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use roomscribe::layout::{Layout, Object, ObjectClass, Opening, OpeningKind, Wall};
use roomscribe::solve::{solve, SolveConfig};
use std::f64::consts::{FRAC_PI_2, PI};

const H: f64 = 2.7;

fn wall(id: u32, a: [f64; 2], b: [f64; 2]) -> Wall {
    Wall { id, a: [a[0], a[1], 0.0], b: [b[0], b[1], 0.0], height: H, thickness: 0.1 }
}

/// A ground-truth apartment: an outer rectangle split into two or three
/// rooms (shared interior walls; outer walls split at every junction), a door
/// in each interior wall, windows in outer walls, furniture in each room.
pub fn gt_apartment(seed: u64) -> Layout {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let w: f64 = (rng.random_range(50..90) as f64) / 10.0;
    let d: f64 = (rng.random_range(40..70) as f64) / 10.0;
    let xs = (rng.random_range(35..65) as f64 / 100.0 * w * 10.0).round() / 10.0;
    let three = rng.random_bool(0.5);
    let ys = (rng.random_range(45..55) as f64 / 100.0 * d * 10.0).round() / 10.0;
    let mut l = Layout::new();
    let mut id = 0;
    let mut push = |l: &mut Layout, a: [f64; 2], b: [f64; 2]| {
        l.walls.push(wall(id, a, b));
        id += 1;
    };
    // Bottom edge split at xs, right edge split at ys when three rooms.
    push(&mut l, [0.0, 0.0], [xs, 0.0]);
    push(&mut l, [xs, 0.0], [w, 0.0]);
    if three {
        push(&mut l, [w, 0.0], [w, ys]);
        push(&mut l, [w, ys], [w, d]);
    } else {
        push(&mut l, [w, 0.0], [w, d]);
    }
    push(&mut l, [w, d], [xs, d]);
    push(&mut l, [xs, d], [0.0, d]);
    push(&mut l, [0.0, d], [0.0, 0.0]);
    let interior = l.walls.len() as u32;
    push(&mut l, [xs, 0.0], [xs, if three { ys } else { d }]);
    if three {
        push(&mut l, [xs, ys], [xs, d]);
        push(&mut l, [xs, ys], [w, ys]);
    }
    // Doors in interior walls, windows in the two long outer walls.
    let mut door_id = 0;
    for k in interior..l.walls.len() as u32 {
        let wl = &l.walls[k as usize];
        let t = rng.random_range(0.3..0.7);
        let c = [wl.a[0] + (wl.b[0] - wl.a[0]) * t, wl.a[1] + (wl.b[1] - wl.a[1]) * t, 1.0];
        if wl.length_xy() > 2.0 {
            l.openings.push(Opening { id: door_id, kind: OpeningKind::Door, wall: k, center: c, width: 0.9, height: 2.0 });
            door_id += 1;
        }
    }
    for (n, k) in [0u32, 5].into_iter().enumerate() {
        let k = if three && k == 5 { 5 } else { k };
        let wl = l.walls[k as usize].clone();
        if wl.length_xy() > 1.8 {
            let c = [(wl.a[0] + wl.b[0]) / 2.0, (wl.a[1] + wl.b[1]) / 2.0, 1.5];
            l.openings.push(Opening { id: n as u32, kind: OpeningKind::Window, wall: k, center: c, width: 1.2, height: 1.2 });
        }
    }
    // Furniture per room rectangle.
    let rooms: Vec<[f64; 4]> = if three {
        vec![[0.0, 0.0, xs, d], [xs, 0.0, w, ys], [xs, ys, w, d]]
    } else {
        vec![[0.0, 0.0, xs, d], [xs, 0.0, w, d]]
    };
    let mut oid = 0;
    let mut obj = |l: &mut Layout, class: ObjectClass, c: [f64; 3], s: [f64; 3], yaw: f64| {
        l.objects.push(Object { id: oid, class, center: c, size: s, yaw });
        oid += 1;
    };
    let t = 0.05; // half wall thickness
    for (r, [x0, y0, x1, y1]) in rooms.into_iter().enumerate() {
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let (rw, rd) = (x1 - x0, y1 - y0);
        if r % 2 == 0 {
            // Bed against the top wall, nightstand beside it, painting above.
            let bw = 1.6f64.min(rw - 1.2);
            let bl = 2.0f64.min(rd - 0.8);
            obj(&mut l, ObjectClass::Bed, [cx, y1 - t - bl / 2.0, 0.3], [bw, bl, 0.6], FRAC_PI_2 * 0.0);
            obj(&mut l, ObjectClass::Nightstand, [cx + bw / 2.0 + 0.3, y1 - t - 0.25, 0.25], [0.45, 0.45, 0.5], 0.0);
            obj(&mut l, ObjectClass::Pillow, [cx, y1 - t - 0.3, 0.675], [0.6, 0.35, 0.15], 0.0);
            obj(&mut l, ObjectClass::Painting, [cx, y1 - t - 0.02, 1.6], [1.0, 0.04, 0.6], 0.0);
        } else {
            // Sofa against the bottom wall, coffee table, carpet, tv opposite.
            let sw = 2.0f64.min(rw - 0.6);
            obj(&mut l, ObjectClass::Sofa, [cx, y0 + t + 0.45, 0.4], [sw, 0.9, 0.8], 0.0);
            obj(&mut l, ObjectClass::CoffeeTable, [cx, y0 + t + 0.9 + 0.35, 0.225], [1.0, 0.5, 0.45], 0.0);
            obj(&mut l, ObjectClass::Carpet, [cx, cy, 0.005], [rw * 0.6, rd * 0.5, 0.01], 0.0);
            obj(&mut l, ObjectClass::Tv, [cx, y1 - t - 0.04, 1.3], [1.2, 0.08, 0.7], PI);
        }
        obj(&mut l, ObjectClass::Chandelier, [cx, cy, H - 0.2], [0.5, 0.5, 0.4], 0.0);
    }
    l
}

/// Perturbation settings (metres, degrees).
pub struct Perturb {
    /// Endpoint noise magnitude range.
    pub noise: (f64, f64),
    /// Wall rotation range, degrees, applied to `rotate_frac` of the walls.
    pub rotation: (f64, f64),
    pub rotate_frac: f64,
    /// Fraction of wall ends pulled back (corner gaps) by 5-25 cm.
    pub gap_frac: f64,
    pub duplicates: usize,
    /// Whether openings and objects are disturbed too.
    pub entities: bool,
}

impl Default for Perturb {
    fn default() -> Self {
        Perturb { noise: (0.05, 0.15), rotation: (2.0, 5.0), rotate_frac: 0.3, gap_frac: 0.2, duplicates: 1, entities: true }
    }
}

pub fn perturb(gt: &Layout, p: &Perturb, seed: u64) -> Layout {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
    let mut l = gt.clone();
    for w in &mut l.walls {
        if rng.random_bool(p.rotate_frac) {
            let ang = rng.random_range(p.rotation.0..=p.rotation.1).to_radians() * if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            let m = [(w.a[0] + w.b[0]) / 2.0, (w.a[1] + w.b[1]) / 2.0];
            let (s, c) = ang.sin_cos();
            for e in [&mut w.a, &mut w.b] {
                let (x, y) = (e[0] - m[0], e[1] - m[1]);
                e[0] = m[0] + c * x - s * y;
                e[1] = m[1] + s * x + c * y;
            }
        }
        let len = w.length_xy();
        let dir = [(w.b[0] - w.a[0]) / len, (w.b[1] - w.a[1]) / len];
        for (e, sign) in [(&mut w.a, 1.0), (&mut w.b, -1.0)] {
            let r = rng.random_range(p.noise.0..=p.noise.1);
            let th = rng.random_range(0.0..2.0 * PI);
            e[0] += r * th.cos();
            e[1] += r * th.sin();
            if rng.random_bool(p.gap_frac) {
                let g = rng.random_range(0.05..0.25);
                e[0] += sign * dir[0] * g;
                e[1] += sign * dir[1] * g;
            }
        }
    }
    let next = l.walls.len() as u32;
    for k in 0..p.duplicates {
        let src = l.walls[rng.random_range(0..l.walls.len())].clone();
        let mut dup = src.clone();
        dup.id = next + k as u32;
        for e in [&mut dup.a, &mut dup.b] {
            e[0] += rng.random_range(-0.05..0.05);
            e[1] += rng.random_range(-0.05..0.05);
        }
        l.walls.push(dup);
    }
    if p.entities {
        for o in &mut l.openings {
            o.center[0] += rng.random_range(-0.3..0.3);
            o.center[1] += rng.random_range(-0.3..0.3);
            o.center[2] += rng.random_range(-0.2..0.2);
        }
        for o in &mut l.objects {
            match rng.random_range(0..4) {
                0 => o.center[2] += rng.random_range(0.05..0.3), // floating
                1 => o.center[2] -= rng.random_range(0.02..0.1),  // sunk
                2 => {
                    // pushed sideways, into neighbours or walls
                    o.center[0] += rng.random_range(-0.25..0.25);
                    o.center[1] += rng.random_range(-0.25..0.25);
                }
                _ => {}
            }
            o.yaw += rng.random_range(-6f64..6.0).to_radians();
        }
    }
    l
}

/// Endpoint errors of walls present (by id) in both layouts.
fn endpoint_errors(l: &Layout, gt: &Layout) -> Vec<f64> {
    let mut out = Vec::new();
    for g in &gt.walls {
        if let Some(w) = l.wall(g.id) {
            for (p, q) in [(w.a, g.a), (w.b, g.b)] {
                out.push(((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt());
            }
        }
    }
    out
}

/// Layout F1 at IoU 0.5 (walls, doors and windows pooled), with the eval
/// harness's SpatialLM-compatible metric.
fn layout_f1_05(pred: &Layout, gt: &Layout) -> f64 {
    use roomscribe::eval::layout_f1::score_scene;
    use roomscribe::eval::{EvalClass, EvalScene, LayoutMetricConfig};
    let cfg = LayoutMetricConfig::default();
    let k = cfg.iou_thresholds.iter().position(|t| (*t - 0.5).abs() < 1e-12).expect("0.5 threshold");
    let counts = score_scene(&EvalScene::from_layout(pred), &EvalScene::from_layout(gt), &cfg);
    let (mut tp, mut np, mut ng) = (0, 0, 0);
    for c in EvalClass::LAYOUT {
        if let Some(v) = counts.get(&c) {
            tp += v[k].tp;
            np += v[k].num_pred;
            ng += v[k].num_gt;
        }
    }
    if np + ng == 0 {
        return 1.0;
    }
    2.0 * tp as f64 / (np + ng) as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn ground_truth_is_valid_and_left_alone() {
    for seed in 0..20 {
        let gt = gt_apartment(seed);
        assert!(gt.validate().is_empty(), "seed {seed}: {:?}", gt.validate());
        let s = solve(&gt, None, &SolveConfig::default()).unwrap();
        assert!(s.report.valid, "seed {seed}: {:?}", s.report.remaining);
        assert_eq!(s.layout.walls, gt.walls, "seed {seed}: {:?}", s.report.changes);
        assert!(endpoint_errors(&s.layout, &gt).iter().all(|e| *e == 0.0));
    }
}

#[test]
fn perturbed_layouts_solve_to_valid_plans() {
    let cases: u64 = std::env::var("SOLVE_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let mut failures = Vec::new();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    let mut improved = 0;
    let mut f1_ok = 0;
    let (mut f1_before, mut f1_after) = (0.0, 0.0);
    for seed in 0..cases {
        let gt = gt_apartment(seed);
        let noisy = perturb(&gt, &Perturb::default(), seed);
        let s = solve(&noisy, None, &SolveConfig::default()).unwrap();
        let remaining = s.layout.validate();
        assert_eq!(remaining, s.report.remaining, "the report must list what validate() finds");
        if !remaining.is_empty() {
            eprintln!("seed {seed} invalid: {remaining:?}");
            failures.push((seed, remaining));
        }
        let (b, a) = (median(endpoint_errors(&noisy, &gt)), median(endpoint_errors(&s.layout, &gt)));
        if a <= b {
            improved += 1;
        }
        let (fb, fa) = (layout_f1_05(&noisy, &gt), layout_f1_05(&s.layout, &gt));
        f1_before += fb;
        f1_after += fa;
        if fa >= fb {
            f1_ok += 1;
        }
        before.push(b);
        after.push(a);
    }
    eprintln!(
        "perturbed 5-15 cm: {} / {cases} valid; median endpoint error {:.3} m -> {:.3} m; improved in {improved} / {cases}",
        cases as usize - failures.len(),
        median(before),
        median(after)
    );
    eprintln!(
        "layout F1@0.5: mean {:.3} -> {:.3}; solved >= perturbed in {f1_ok} / {cases}",
        f1_before / cases as f64,
        f1_after / cases as f64
    );
    assert!(failures.is_empty(), "{} failures, first: {:?}", failures.len(), failures.first());
    assert!(improved * 100 >= 95 * cases, "improved only in {improved} / {cases}");
    assert!(f1_ok * 100 >= 95 * cases, "F1 kept or improved only in {f1_ok} / {cases}");
}

#[test]
fn endpoint_error_for_10cm_noise() {
    let p = Perturb { noise: (0.1, 0.1), ..Default::default() };
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for seed in 0..100 {
        let gt = gt_apartment(seed);
        let noisy = perturb(&gt, &p, seed + 1000);
        let s = solve(&noisy, None, &SolveConfig::default()).unwrap();
        assert!(s.report.valid, "seed {seed}: {:?}", s.report.remaining);
        before.extend(endpoint_errors(&noisy, &gt));
        after.extend(endpoint_errors(&s.layout, &gt));
    }
    let (b, a) = (median(before), median(after));
    eprintln!("10 cm endpoint noise, no cloud: median endpoint error {b:.3} m -> {a:.3} m");
    assert!(a < b, "solving must bring endpoints closer: {b} -> {a}");
}

#[test]
fn rotated_apartments_solve_too() {
    for seed in 0..30 {
        let mut gt = gt_apartment(seed);
        let r: f64 = 0.2 + seed as f64 * 0.037;
        let (s, c) = r.sin_cos();
        let rot = |p: &mut [f64; 3]| {
            let (x, y) = (p[0], p[1]);
            p[0] = c * x - s * y;
            p[1] = s * x + c * y;
        };
        for w in &mut gt.walls {
            rot(&mut w.a);
            rot(&mut w.b);
        }
        for o in &mut gt.openings {
            rot(&mut o.center);
        }
        for o in &mut gt.objects {
            rot(&mut o.center);
            o.yaw += r;
        }
        assert!(gt.validate().is_empty(), "seed {seed}: {:?}", gt.validate());
        let noisy = perturb(&gt, &Perturb::default(), seed);
        let sol = solve(&noisy, None, &SolveConfig::default()).unwrap();
        assert!(sol.report.valid, "seed {seed}: {:?}", sol.report.remaining);
    }
}

#[test]
fn solving_is_deterministic() {
    let gt = gt_apartment(3);
    let noisy = perturb(&gt, &Perturb::default(), 3);
    let a = solve(&noisy, None, &SolveConfig::default()).unwrap();
    let b = solve(&noisy, None, &SolveConfig::default()).unwrap();
    assert_eq!(roomscribe::layout::write_json(&a.layout), roomscribe::layout::write_json(&b.layout));
    assert_eq!(serde_json::to_string(&a.report).unwrap(), serde_json::to_string(&b.report).unwrap());
}

/// Synthetic apartments from the generator, perturbed the same way.
#[test]
fn synthetic_scenes_solve_to_valid_plans() {
    use roomscribe::synth::{generate, SceneConfig};
    let cases: u64 = std::env::var("SOLVE_SYNTH_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    let cfg = SceneConfig::default();
    let mut failures = Vec::new();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    let (mut f1_ok, mut improved) = (0, 0);
    let (mut f1_before, mut f1_after) = (0.0, 0.0);
    for seed in 0..cases {
        let gt = generate(seed, &cfg).expect("scene").layout;
        assert!(gt.validate().is_empty(), "synthetic seed {seed} is invalid: {:?}", gt.validate());
        let clean = solve(&gt, None, &SolveConfig::default()).unwrap();
        assert!(clean.report.valid, "seed {seed}: solving a valid scene broke it: {:?}", clean.report.remaining);
        let noisy = perturb(&gt, &Perturb::default(), seed);
        let s = solve(&noisy, None, &SolveConfig::default()).unwrap();
        if !s.report.valid {
            eprintln!("synthetic seed {seed} invalid: {:?}", s.report.remaining);
            failures.push((seed, s.report.remaining.clone()));
        }
        let (b, a) = (median(endpoint_errors(&noisy, &gt)), median(endpoint_errors(&s.layout, &gt)));
        if a <= b {
            improved += 1;
        }
        before.push(b);
        after.push(a);
        let (fb, fa) = (layout_f1_05(&noisy, &gt), layout_f1_05(&s.layout, &gt));
        f1_before += fb;
        f1_after += fa;
        if fa >= fb {
            f1_ok += 1;
        }
    }
    eprintln!(
        "synthetic scenes: {} / {cases} valid; median endpoint error {:.3} -> {:.3} m (improved in {improved}); layout F1@0.5 {:.3} -> {:.3}, kept or improved in {f1_ok} / {cases}",
        cases as usize - failures.len(),
        median(before),
        median(after),
        f1_before / cases as f64,
        f1_after / cases as f64
    );
    assert!(failures.is_empty(), "{} failures, first: {:?}", failures.len(), failures.first());
    assert!(f1_ok * 100 >= 95 * cases, "F1 kept or improved only in {f1_ok} / {cases}");
}

#[test]
#[ignore]
fn debug_case() {
    let seed: u64 = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7);
    let gt = if std::env::var("SYNTH").is_ok() {
        roomscribe::synth::generate(seed, &roomscribe::synth::SceneConfig::default()).unwrap().layout
    } else {
        gt_apartment(seed)
    };
    let noisy = perturb(&gt, &Perturb::default(), seed);
    let s = solve(&noisy, None, &SolveConfig::default()).unwrap();
    let want: u32 = std::env::var("OBJ").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    eprintln!("gt {:?}\nnoisy {:?}\nsolved {:?}", gt.objects[want as usize], noisy.objects[want as usize], s.layout.objects[want as usize]);
    for c in &s.report.changes {
        eprintln!("{c:?}");
    }
    eprintln!("{:?}", s.report.remaining);
    eprintln!("{:?}", s.report.skipped);
    for w in &noisy.walls {
        eprintln!("noisy {} {:?} {:?}", w.id, w.a, w.b);
    }
    for w in &s.layout.walls {
        eprintln!("solved {} {:?} {:?}", w.id, w.a, w.b);
    }
}

#[test]
#[ignore]
fn debug_frame() {
    let seed: u64 = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7);
    let gt = gt_apartment(seed);
    let noisy = perturb(&gt, &Perturb::default(), seed);
    for w in &noisy.walls {
        eprintln!("{} len {:.2} ang {:.2}", w.id, w.length_xy(), (w.b[1] - w.a[1]).atan2(w.b[0] - w.a[0]).to_degrees());
    }
    let s = solve(&noisy, None, &SolveConfig::default()).unwrap();
    eprintln!("frame {:?}", s.report.frame.map(f64::to_degrees));
}

#[test]
#[ignore]
fn debug_synth() {
    use roomscribe::synth::{generate, SceneConfig};
    let seed: u64 = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(23);
    let gt = generate(seed, &SceneConfig::default()).unwrap().layout;
    let noisy = perturb(&gt, &Perturb::default(), seed);
    let s = solve(&noisy, None, &SolveConfig::default()).unwrap();
    for id in [3usize, 8, 9] {
        eprintln!("gt {:?}\nnoisy {:?}\nsolved {:?}", gt.objects[id], noisy.objects[id], s.layout.objects[id]);
    }
    for c in s.report.changes.iter().filter(|c| matches!(c.entity, roomscribe::layout::EntityRef::Object(3 | 8 | 9))) {
        eprintln!("{c:?}");
    }
}
