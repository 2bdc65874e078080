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

/// Standard normal sample (Box-Muller).
fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    let (u1, u2): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random());
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

/// Noise and density of [`scan_layout`].
pub struct ScanSim {
    /// Points per m² of wall face, floor/ceiling, furniture surface.
    pub wall_density: f64,
    pub floor_density: f64,
    pub clutter_density: f64,
    /// Gaussian noise (m) across each surface.
    pub sigma: f64,
    /// Fraction of extra points scattered uniformly through the rooms.
    pub outliers: f64,
    /// Fraction of 0.5 m x 0.5 m wall patches left unscanned (holes).
    pub holes: f64,
    /// Fraction of walls not scanned at all.
    pub unseen_walls: f64,
}

impl Default for ScanSim {
    fn default() -> Self {
        ScanSim {
            wall_density: 150.0,
            floor_density: 30.0,
            clutter_density: 150.0,
            sigma: 0.015,
            outliers: 0.03,
            holes: 0.2,
            unseen_walls: 0.05,
        }
    }
}

/// A simulated scan of a ground-truth layout: both faces of every wall
/// (half a thickness off its centre line) where a room lies on that side,
/// with the doors and windows cut out, the parts hidden behind furniture
/// removed, random holes and a few walls not scanned at all; floors and
/// ceilings; the visible surfaces of every object (furniture clutter, some
/// right against the walls); uniform outliers. Gaussian noise across each
/// surface.
pub fn scan_layout(gt: &Layout, sim: &ScanSim, seed: u64) -> roomscribe::cloud::PointCloud {
    use roomscribe::geom::line::P2;
    use roomscribe::layout::validate::rooms;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xc10d);
    let rs = rooms(gt, &roomscribe::layout::Tolerances::default());
    let inside = |p: P2| rs.iter().any(|r| r.contains(&p));
    let mut pts: Vec<[f32; 3]> = Vec::new();
    for w in &gt.walls {
        let (a, b) = (P2::new(w.a[0], w.a[1]), P2::new(w.b[0], w.b[1]));
        let len = (b - a).norm();
        let dir = (b - a) / len;
        let n = P2::new(-dir.y, dir.x);
        let holes: Vec<(f64, f64, f64, f64)> = gt
            .openings
            .iter()
            .filter(|o| o.wall == w.id)
            .map(|o| {
                let t = (P2::new(o.center[0], o.center[1]) - a).dot(&dir);
                (t - o.width / 2.0, t + o.width / 2.0, o.center[2] - o.height / 2.0, o.center[2] + o.height / 2.0)
            })
            .collect();
        if rng.random_bool(sim.unseen_walls) {
            continue;
        }
        // Unscanned patches: 0.5 m cells along and up the wall.
        let cells = ((len / 0.5).ceil() as usize + 1) * 8;
        let missing: Vec<bool> = (0..2 * cells).map(|_| rng.random_bool(sim.holes)).collect();
        for (k, side) in [1.0, -1.0].into_iter().enumerate() {
            let count = (len * w.height * sim.wall_density) as usize;
            for _ in 0..count {
                let t = rng.random_range(0.0..len);
                let z = rng.random_range(0.0..w.height);
                if holes.iter().any(|h| t > h.0 && t < h.1 && z > h.2 && z < h.3) {
                    continue;
                }
                if missing.get(k * cells + (t / 0.5) as usize * 8 + (z / 0.5) as usize).copied().unwrap_or(false) {
                    continue;
                }
                let on = a + dir * t + n * (side * w.thickness / 2.0);
                if !inside(on + n * (side * 0.02)) {
                    continue;
                }
                // Hidden behind furniture standing within 30 cm of the face.
                let probe = on + n * (side * 0.3);
                let hidden = gt.objects.iter().any(|o| {
                    let top = o.center[2] + o.size[2] / 2.0;
                    let (s, c) = o.yaw.sin_cos();
                    let in_box = |q: P2| {
                        let d = q - P2::new(o.center[0], o.center[1]);
                        (c * d.x + s * d.y).abs() <= o.size[0] / 2.0 && (-s * d.x + c * d.y).abs() <= o.size[1] / 2.0
                    };
                    z < top && (0..=6).any(|j| in_box(on + (probe - on) * (j as f64 / 6.0)))
                });
                if hidden {
                    continue;
                }
                let p = on + n * (gauss(&mut rng) * sim.sigma);
                pts.push([p.x as f32, p.y as f32, z as f32]);
            }
        }
    }
    let (mut lo, mut hi) = (P2::repeat(f64::INFINITY), P2::repeat(f64::NEG_INFINITY));
    for w in &gt.walls {
        for p in [P2::new(w.a[0], w.a[1]), P2::new(w.b[0], w.b[1])] {
            lo = lo.inf(&p);
            hi = hi.sup(&p);
        }
    }
    let ceiling = gt.walls.iter().map(|w| w.height).fold(0.0, f64::max);
    let area = (hi.x - lo.x) * (hi.y - lo.y);
    for _ in 0..(area * sim.floor_density) as usize {
        let p = P2::new(rng.random_range(lo.x..hi.x), rng.random_range(lo.y..hi.y));
        if inside(p) {
            pts.push([p.x as f32, p.y as f32, (gauss(&mut rng) * sim.sigma) as f32]);
            pts.push([p.x as f32, p.y as f32, (ceiling + gauss(&mut rng) * sim.sigma) as f32]);
        }
    }
    for o in &gt.objects {
        let (c, sz) = (o.center, o.size);
        let (s, co) = o.yaw.sin_cos();
        let ax = P2::new(co, s);
        let ay = P2::new(-s, co);
        let ctr = P2::new(c[0], c[1]);
        // Four sides and the top.
        for (k, area) in [(0, sz[1] * sz[2]), (1, sz[1] * sz[2]), (2, sz[0] * sz[2]), (3, sz[0] * sz[2]), (4, sz[0] * sz[1])] {
            for _ in 0..(area * sim.clutter_density) as usize {
                let (u, v, z) = (rng.random_range(-0.5..0.5), rng.random_range(-0.5..0.5), rng.random_range(-0.5..0.5));
                let e = gauss(&mut rng) * sim.sigma;
                let (x, y, zz) = match k {
                    0 => (0.5 * sz[0] + e, v * sz[1], z * sz[2]),
                    1 => (-0.5 * sz[0] + e, v * sz[1], z * sz[2]),
                    2 => (u * sz[0], 0.5 * sz[1] + e, z * sz[2]),
                    3 => (u * sz[0], -0.5 * sz[1] + e, z * sz[2]),
                    _ => (u * sz[0], v * sz[1], 0.5 * sz[2] + e),
                };
                let p = ctr + ax * x + ay * y;
                pts.push([p.x as f32, p.y as f32, (c[2] + zz) as f32]);
            }
        }
    }
    let extra = (pts.len() as f64 * sim.outliers) as usize;
    for _ in 0..extra {
        let p = P2::new(rng.random_range(lo.x..hi.x), rng.random_range(lo.y..hi.y));
        pts.push([p.x as f32, p.y as f32, rng.random_range(0.0..ceiling) as f32]);
    }
    roomscribe::cloud::PointCloud::from_points(pts)
}

/// The 3 cm target, with evidence: 10 cm endpoint noise, the
/// layout solved against a simulated scan (1.5 cm noise, furniture, 2 %
/// outliers).
#[test]
fn endpoint_error_for_10cm_noise_with_a_cloud() {
    let cases: u64 = std::env::var("SOLVE_CLOUD_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let p = Perturb { noise: (0.1, 0.1), ..Default::default() };
    let (mut before, mut plain, mut refined) = (Vec::new(), Vec::new(), Vec::new());
    let (mut valid, mut f1_ok) = (0, 0);
    let (mut f1_before, mut f1_after) = (0.0, 0.0);
    for seed in 0..cases {
        let gt = gt_apartment(seed);
        let noisy = perturb(&gt, &p, seed + 1000);
        let cloud = scan_layout(&gt, &ScanSim::default(), seed);
        let s0 = solve(&noisy, None, &SolveConfig::default()).unwrap();
        let s = solve(&noisy, Some(&cloud), &SolveConfig::default()).unwrap();
        assert_eq!(s.layout.validate(), s.report.remaining, "seed {seed}: the report must list what validate() finds");
        if s.report.valid {
            valid += 1;
        } else {
            eprintln!("seed {seed} invalid with a cloud: {:?}", s.report.remaining);
        }
        let (fb, fa) = (layout_f1_05(&noisy, &gt), layout_f1_05(&s.layout, &gt));
        f1_before += fb;
        f1_after += fa;
        if fa >= fb {
            f1_ok += 1;
        }
        before.extend(endpoint_errors(&noisy, &gt));
        plain.extend(endpoint_errors(&s0.layout, &gt));
        refined.extend(endpoint_errors(&s.layout, &gt));
    }
    let (b, p0, a) = (median(before), median(plain), median(refined));
    eprintln!(
        "10 cm endpoint noise: median endpoint error {b:.3} m -> {p0:.3} m without a cloud -> {a:.3} m with one; {valid} / {cases} valid; layout F1@0.5 {:.3} -> {:.3}, kept or improved in {f1_ok} / {cases}",
        f1_before / cases as f64,
        f1_after / cases as f64
    );
    assert_eq!(valid, cases, "every case must be valid with a cloud too");
    assert!(a <= 0.03, "median endpoint error with a cloud {a} m > 3 cm");
    assert!(f1_ok * 100 >= 95 * cases, "F1 kept or improved only in {f1_ok} / {cases}");
}

/// Synthetic scenes (rotated frames, non-Manhattan walls, thick walls),
/// 10 cm endpoint noise, solved against a simulated scan of the scene.
#[test]
fn synthetic_scenes_with_a_cloud() {
    use roomscribe::synth::{generate, SceneConfig};
    let cases: u64 = std::env::var("SOLVE_SYNTH_CLOUD_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    let p = Perturb { noise: (0.1, 0.1), ..Default::default() };
    let (mut before, mut plain, mut refined) = (Vec::new(), Vec::new(), Vec::new());
    let (mut valid, mut f1_ok) = (0, 0);
    for seed in 0..cases {
        let gt = generate(seed, &SceneConfig::default()).expect("scene").layout;
        let noisy = perturb(&gt, &p, seed + 1000);
        let cloud = scan_layout(&gt, &ScanSim::default(), seed);
        let s0 = solve(&noisy, None, &SolveConfig::default()).unwrap();
        let s = solve(&noisy, Some(&cloud), &SolveConfig::default()).unwrap();
        if s.report.valid {
            valid += 1;
        } else {
            eprintln!("synthetic seed {seed} invalid with a cloud: {:?}", s.report.remaining);
        }
        if layout_f1_05(&s.layout, &gt) >= layout_f1_05(&noisy, &gt) {
            f1_ok += 1;
        }
        before.extend(endpoint_errors(&noisy, &gt));
        plain.extend(endpoint_errors(&s0.layout, &gt));
        refined.extend(endpoint_errors(&s.layout, &gt));
    }
    let (b, p0, a) = (median(before), median(plain), median(refined));
    eprintln!(
        "synthetic scenes, 10 cm endpoint noise: median endpoint error {b:.3} m -> {p0:.3} m without a cloud -> {a:.3} m with one; {valid} / {cases} valid; F1@0.5 kept or improved in {f1_ok} / {cases}"
    );
    assert_eq!(valid, cases, "every case must be valid with a cloud too");
    assert!(a <= 0.03, "median endpoint error with a cloud {a} m > 3 cm");
    assert!(f1_ok * 100 >= 95 * cases, "F1 kept or improved only in {f1_ok} / {cases}");
}

/// Seeds that failed in sweeps of 10000 apartments and 3000 synthetic
/// scenes (and 1000 scenes with a cloud) before the passes were fixed:
/// corners swallowing a short wall, free duplicates, frame/validator
/// disagreement, dangling stubs, collinear walls too far apart, wall-hung
/// objects pushed off their wall, wedged furniture, corners thrown by
/// refitting nearly parallel walls.
#[test]
fn regression_seeds_stay_valid() {
    use roomscribe::synth::{generate, SceneConfig};
    for seed in [3966u64, 4343, 4422, 7678, 8655, 9794] {
        let gt = gt_apartment(seed);
        let s = solve(&perturb(&gt, &Perturb::default(), seed), None, &SolveConfig::default()).unwrap();
        assert!(s.report.valid, "apartment seed {seed}: {:?}", s.report.remaining);
    }
    for seed in [328u64, 348, 708, 956, 1107, 1276, 1311, 1400, 1802, 2004, 2074, 2159, 2228, 2362, 2527, 2606, 2619, 2654, 2716, 2952] {
        let gt = generate(seed, &SceneConfig::default()).expect("scene").layout;
        let s = solve(&perturb(&gt, &Perturb::default(), seed), None, &SolveConfig::default()).unwrap();
        assert!(s.report.valid, "synthetic seed {seed}: {:?}", s.report.remaining);
    }
    let p = Perturb { noise: (0.1, 0.1), ..Default::default() };
    for seed in [215u64, 223, 370] {
        let gt = generate(seed, &SceneConfig::default()).expect("scene").layout;
        let noisy = perturb(&gt, &p, seed + 1000);
        let cloud = scan_layout(&gt, &ScanSim::default(), seed);
        for c in [None, Some(&cloud)] {
            let s = solve(&noisy, c, &SolveConfig::default()).unwrap();
            assert!(s.report.valid, "synthetic seed {seed} (cloud: {}): {:?}", c.is_some(), s.report.remaining);
        }
    }
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
    let noisy = if std::env::var("TEN").is_ok() {
        perturb(&gt, &Perturb { noise: (0.1, 0.1), ..Default::default() }, seed + 1000)
    } else {
        perturb(&gt, &Perturb::default(), seed)
    };
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

#[test]
#[ignore]
fn debug_cloud() {
    let seed: u64 = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let gt = gt_apartment(seed);
    let p = Perturb { noise: (0.1, 0.1), ..Default::default() };
    let noisy = perturb(&gt, &p, seed + 1000);
    let cloud = scan_layout(&gt, &ScanSim::default(), seed);
    eprintln!("{} points", cloud.len());
    let s = solve(&noisy, Some(&cloud), &SolveConfig::default()).unwrap();
    for k in &s.report.skipped {
        eprintln!("{k:?}");
    }
    for c in s.report.changes.iter().filter(|c| c.pass == roomscribe::solve::Pass::Refine) {
        eprintln!("{c:?}");
    }
}

#[test]
#[ignore]
fn debug_objects() {
    use roomscribe::layout::EntityRef;
    let seed: u64 = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(348);
    let gt = roomscribe::synth::generate(seed, &roomscribe::synth::SceneConfig::default()).unwrap().layout;
    let with_cloud = std::env::var("CLOUD").is_ok();
    let p = if with_cloud { Perturb { noise: (0.1, 0.1), ..Default::default() } } else { Perturb::default() };
    let noisy = perturb(&gt, &p, if with_cloud { seed + 1000 } else { seed });
    let cloud = scan_layout(&gt, &ScanSim::default(), seed);
    let s = solve(&noisy, with_cloud.then_some(&cloud), &SolveConfig::default()).unwrap();
    let mut ids = Vec::new();
    for v in &s.report.remaining {
        eprintln!("{v}");
        if let EntityRef::Object(i) = v.entity {
            ids.push(i);
        }
        if let Some(k) = v.message.find("bbox_") {
            if let Some(i) = v.message[k + 5..].split_whitespace().next().and_then(|x| x.parse::<u32>().ok()) {
                ids.push(i);
            }
        }
    }
    for id in ids {
        let f = |l: &Layout| l.objects.iter().find(|o| o.id == id).cloned();
        eprintln!("gt     {:?}\nnoisy  {:?}\nsolved {:?}", f(&gt), f(&noisy), f(&s.layout));
        for c in s.report.changes.iter().filter(|c| c.entity == EntityRef::Object(id)) {
            eprintln!("   {:?} {:.3} {}", c.pass, c.moved, c.detail);
        }
    }
}

#[test]
#[ignore]
fn debug_synth_cloud() {
    let seed: u64 = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(215);
    let gt = roomscribe::synth::generate(seed, &roomscribe::synth::SceneConfig::default()).unwrap().layout;
    let p = Perturb { noise: (0.1, 0.1), ..Default::default() };
    let noisy = perturb(&gt, &p, seed + 1000);
    let cloud = scan_layout(&gt, &ScanSim::default(), seed);
    let s0 = solve(&noisy, None, &SolveConfig::default()).unwrap();
    let s = solve(&noisy, Some(&cloud), &SolveConfig::default()).unwrap();
    eprintln!("without cloud: {:?}", s0.report.remaining);
    eprintln!("with cloud: {:?}", s.report.remaining);
    for k in s.report.skipped.iter().filter(|k| k.pass == roomscribe::solve::Pass::Refine) {
        eprintln!("{k:?}");
    }
    for c in s.report.changes.iter().filter(|c| c.pass == roomscribe::solve::Pass::Refine) {
        eprintln!("{c:?}");
    }
    for (a, b) in s0.layout.walls.iter().zip(&s.layout.walls) {
        eprintln!("wall {} {:?} {:?} -> {} {:?} {:?}", a.id, a.a, a.b, b.id, b.a, b.b);
    }
}

/// Measurement only (`--ignored --nocapture`): the decoded layout says
/// thickness 0 (SpatialLM's "unknown") while the scanned walls are 10 cm
/// thick, so the refit lands on the visible face.
#[test]
#[ignore]
fn measure_cloud_with_unknown_thickness() {
    let p = Perturb { noise: (0.1, 0.1), ..Default::default() };
    let (mut plain, mut refined) = (Vec::new(), Vec::new());
    for seed in 0..200 {
        let gt = gt_apartment(seed);
        let mut noisy = perturb(&gt, &p, seed + 1000);
        for w in &mut noisy.walls {
            w.thickness = 0.0;
        }
        let cloud = scan_layout(&gt, &ScanSim::default(), seed);
        plain.extend(endpoint_errors(&solve(&noisy, None, &SolveConfig::default()).unwrap().layout, &gt));
        let s = solve(&noisy, Some(&cloud), &SolveConfig::default()).unwrap();
        assert!(s.report.valid, "seed {seed}: {:?}", s.report.remaining);
        refined.extend(endpoint_errors(&s.layout, &gt));
    }
    eprintln!("thickness unknown: median endpoint error {:.3} m without a cloud, {:.3} m with one", median(plain), median(refined));
}

/// Synthetic scenes scanned by the ray-casting sensor simulator
/// (`synth::capture`, LiDAR and MVS profiles, 50k points; cases from
/// `SOLVE_SENSOR_CASES`, default 10), layouts with 10 cm endpoint noise,
/// solved with and without the scan: every result valid, and the LiDAR
/// median endpoint error within the 3 cm.
#[test]
fn cloud_from_the_sensor_simulator() {
    use roomscribe::synth::camera::{Intrinsics, PathConfig};
    use roomscribe::synth::capture::{rooms_of, Capture, SCAN_TRAJECTORY_FPS};
    use roomscribe::synth::scan::{NoiseProfile, ScanConfig};
    use roomscribe::synth::{generate, SceneConfig};
    let cases: u64 = std::env::var("SOLVE_SENSOR_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let p = Perturb { noise: (0.1, 0.1), ..Default::default() };
    for profile in [NoiseProfile::Lidar, NoiseProfile::Mvs] {
        let (mut before, mut plain, mut refined) = (Vec::new(), Vec::new(), Vec::new());
        let (mut valid, mut used) = (0, 0);
        for seed in 0..cases {
            let scene = generate(seed, &SceneConfig::default()).expect("scene");
            let gt = scene.layout.clone();
            let Ok(capture) = Capture::new(&scene.world, &gt, rooms_of(&scene), &PathConfig::default(), seed) else { continue };
            let traj = capture.path.trajectory(SCAN_TRAJECTORY_FPS);
            let cfg = ScanConfig { profile, target_points: 50_000, intrinsics: Intrinsics::for_size(640, 480), ..ScanConfig::default() };
            let cloud = capture.scan(&traj, &cfg, seed);
            let noisy = perturb(&gt, &p, seed + 1000);
            let s0 = solve(&noisy, None, &SolveConfig::default()).unwrap();
            let s = solve(&noisy, Some(&cloud), &SolveConfig::default()).unwrap();
            used += 1;
            if std::env::var("SOLVE_SENSOR_DEBUG").is_ok() {
                for k in s.report.skipped.iter().filter(|k| k.pass == roomscribe::solve::Pass::Refine) {
                    eprintln!("{} seed {seed}: {} {}", profile.name(), k.entity, k.reason);
                }
                let e: Vec<f64> = endpoint_errors(&s.layout, &gt);
                eprintln!("{} seed {seed}: median {:.3} max {:.3}", profile.name(), median(e.clone()), e.iter().copied().fold(0.0, f64::max));
            }
            if s.report.valid {
                valid += 1;
            } else {
                eprintln!("{} seed {seed} invalid: {:?}", profile.name(), s.report.remaining);
            }
            before.extend(endpoint_errors(&noisy, &gt));
            plain.extend(endpoint_errors(&s0.layout, &gt));
            refined.extend(endpoint_errors(&s.layout, &gt));
        }
        let a = median(refined);
        eprintln!(
            "{} scans: median endpoint error {:.3} m -> {:.3} m without the cloud -> {a:.3} m with it; {valid} / {used} valid",
            profile.name(),
            median(before),
            median(plain),
        );
        assert!(used > 0 && valid == used, "{}: {valid} / {used} valid", profile.name());
        if profile == NoiseProfile::Lidar {
            assert!(a <= 0.03, "LiDAR scans: median endpoint error {a} m > 3 cm");
        }
    }
}

#[test]
#[ignore]
fn debug_sensor() {
    use roomscribe::synth::camera::{Intrinsics, PathConfig};
    use roomscribe::synth::capture::{rooms_of, Capture, SCAN_TRAJECTORY_FPS};
    use roomscribe::synth::scan::ScanConfig;
    use roomscribe::synth::{generate, SceneConfig};
    let seed: u64 = std::env::var("SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    let scene = generate(seed, &SceneConfig::default()).expect("scene");
    let gt = scene.layout.clone();
    let capture = Capture::new(&scene.world, &gt, rooms_of(&scene), &PathConfig::default(), seed).unwrap();
    let traj = capture.path.trajectory(SCAN_TRAJECTORY_FPS);
    let profile = if std::env::var("MVS").is_ok() { roomscribe::synth::scan::NoiseProfile::Mvs } else { roomscribe::synth::scan::NoiseProfile::Lidar };
    let cfg = ScanConfig { profile, target_points: 50_000, intrinsics: Intrinsics::for_size(640, 480), ..ScanConfig::default() };
    let cloud = capture.scan(&traj, &cfg, seed);
    let noisy = perturb(&gt, &Perturb { noise: (0.1, 0.1), ..Default::default() }, seed + 1000);
    let s = solve(&noisy, Some(&cloud), &SolveConfig::default()).unwrap();
    eprintln!("frame {:?}", s.report.frame.map(f64::to_degrees));
    for c in s.report.changes.iter().filter(|c| c.pass == roomscribe::solve::Pass::Refine) {
        eprintln!("{} {:.3} {}", c.entity, c.moved, c.detail);
    }
    for g in &gt.walls {
        if let Some(w) = s.layout.wall(g.id) {
            eprintln!("wall {} t {:.2} gt {:?} {:?} solved {:?} {:?}", g.id, g.thickness, &g.a[..2], &g.b[..2], &w.a[..2], &w.b[..2]);
        }
    }
}
