//! Object passes: sanitize, yaw snapping to wall directions, support by
//! class (drop onto the floor or the object below, onto the nearest wall,
//! up to the ceiling), containment in the rooms, and separation of
//! interpenetrating objects with minimal moves. Support, containment and
//! separation repeat for a few rounds because each can undo the others.

use super::{Pass, SolveConfig, SolveReport};
use crate::geom::line::{angle_of, closest_point_on_polygon_boundary, distance_to_polygon_boundary, point_in_polygon, signed_angle_diff_mod, P2};
use crate::layout::validate::{
    ceiling_at, footprint, object_is_sound, outside_rooms, overlap_exempt, overlap_volume, rooms, support_excess,
    support_gaps, support_of, wall_is_finite, wall_segment, z_range, Room,
};
use crate::layout::{EntityRef, Layout, Object, ObjectClass, Support};
use std::f64::consts::FRAC_PI_2;

/// Size given to a zero extent (m): a thin but real box.
const MIN_OBJECT_SIZE: f64 = 0.02;
/// Clearance left when pushing objects apart or into a room (m).
const PUSH_GAP: f64 = 0.002;
/// Containment iterations per object.
const CONTAIN_ITERS: usize = 16;
/// Grid step and reach (m) of the last-resort search for a free spot.
const SEARCH_STEP: f64 = 0.05;
const SEARCH_RADIUS: f64 = 1.0;

fn rec(before: &[Object], after: &[Object], pass: Pass, what: &str, report: &mut SolveReport) {
    for (b, a) in before.iter().zip(after) {
        let d = ((a.center[0] - b.center[0]).powi(2) + (a.center[1] - b.center[1]).powi(2) + (a.center[2] - b.center[2]).powi(2)).sqrt();
        if d > 1e-12 {
            report.change(EntityRef::Object(a.id), pass, d, what);
        }
    }
}

/// Sanitize pass: drops objects with non-finite numbers, makes sizes
/// positive and ids unique.
pub fn sanitize(layout: &mut Layout, report: &mut SolveReport) {
    layout.objects.retain(|o| {
        let ok = o.center.iter().chain(o.size.iter()).all(|x| x.is_finite()) && o.yaw.is_finite();
        if !ok {
            report.change(EntityRef::Object(o.id), Pass::Sanitize, 0.0, "removed: a number is NaN or infinite");
        }
        ok
    });
    let mut next = layout.objects.iter().map(|o| o.id).max().map_or(0, |m| m.saturating_add(1));
    let mut seen = std::collections::BTreeSet::new();
    for o in &mut layout.objects {
        if !seen.insert(o.id) {
            report.change(EntityRef::Object(o.id), Pass::Sanitize, 0.0, format!("repeated id renumbered to {next}"));
            o.id = next;
            seen.insert(next);
            next = next.saturating_add(1);
        }
        if o.size.iter().any(|s| *s <= 0.0) {
            let old = o.size;
            o.size = o.size.map(|s| if s == 0.0 { MIN_OBJECT_SIZE } else { s.abs() });
            report.change(EntityRef::Object(o.id), Pass::Sanitize, 0.0, format!("size {old:?} made positive"));
        }
    }
}

/// Yaw pass: a yaw within `yaw_snap_angle` of a wall direction (modulo 90°)
/// is set to it.
pub fn snap_yaw(layout: &mut Layout, cfg: &SolveConfig, report: &mut SolveReport) {
    let dirs: Vec<f64> = layout
        .walls
        .iter()
        .filter(|w| wall_is_finite(w) && w.length_xy() > 1e-9)
        .map(|w| angle_of(&P2::new(w.b[0] - w.a[0], w.b[1] - w.a[1])))
        .collect();
    for o in &mut layout.objects {
        let best = dirs
            .iter()
            .map(|a| (signed_angle_diff_mod(*a, o.yaw, FRAC_PI_2), *a))
            .min_by(|x, y| x.0.abs().total_cmp(&y.0.abs()));
        if let Some((d, wall)) = best {
            if d != 0.0 && d.abs() <= cfg.tolerances.yaw_snap_angle {
                // The wall's own angle less whole quarter turns: exact when
                // the wall is on an axis.
                let k = ((wall - o.yaw) / FRAC_PI_2).round();
                let old = o.yaw;
                o.yaw = wall - k * FRAC_PI_2;
                report.change(EntityRef::Object(o.id), Pass::ObjectYaw, (o.yaw - old).abs(), format!("yaw turned {:.2}° onto a wall direction", d.to_degrees()));
            }
        }
    }
}

fn translate(o: &mut Object, d: P2) {
    o.center[0] += d.x;
    o.center[1] += d.y;
}

/// Wall-support pass: wall-class objects neither on a wall (within
/// `wall_support`) nor resting on another object are moved against the
/// nearest wall's face, inside its extent and height.
pub fn attach_to_walls(layout: &mut Layout, rooms: &[Room], cfg: &SolveConfig) {
    let t = &cfg.tolerances;
    let walls: Vec<_> = layout.walls.iter().filter(|w| wall_is_finite(w) && w.length_xy() > t.min_wall_length / 2.0).cloned().collect();
    if walls.is_empty() {
        return;
    }
    for k in 0..layout.objects.len() {
        let o = &layout.objects[k];
        if support_of(&o.class) != Support::Wall || !object_is_sound(o) {
            continue;
        }
        let g = support_gaps(layout, rooms, k, t);
        // Resting on an object, or already on a wall (brackets): leave it.
        if g.object <= t.support || g.wall <= t.wall_support {
            continue;
        }
        let fp = footprint(o);
        let c = P2::new(o.center[0], o.center[1]);
        let Some(w) = walls
            .iter()
            .min_by(|a, b| {
                let da = wall_segment(a).distance(&c);
                let db = wall_segment(b).distance(&c);
                da.total_cmp(&db).then(a.id.cmp(&b.id))
            })
            .cloned()
        else {
            continue;
        };
        let seg = wall_segment(&w);
        let Some(line) = seg.line() else { continue };
        let n = line.normal();
        let sd = line.signed_distance(&c);
        // The side facing a room, else the side the object is on.
        let side = if !rooms.is_empty() {
            let probe = |s: f64| rooms.iter().any(|r| r.contains(&(line.closest_point(&c) + n * (s * (w.thickness / 2.0 + 0.05)))));
            match (probe(1.0), probe(-1.0)) {
                (true, false) => 1.0,
                (false, true) => -1.0,
                _ => if sd >= 0.0 { 1.0 } else { -1.0 },
            }
        } else if sd >= 0.0 {
            1.0
        } else {
            -1.0
        };
        let half_n = fp.iter().map(|p| (p - c).dot(&n).abs()).fold(0.0, f64::max);
        let half_t = fp.iter().map(|p| (p - c).dot(&line.dir).abs()).fold(0.0, f64::max);
        let target = side * (w.thickness / 2.0 + half_n);
        let mut d = n * (target - sd);
        let along = line.project(&c);
        let len = seg.length();
        if half_t * 2.0 <= len {
            let cl = along.clamp(half_t, len - half_t);
            d += line.dir * (cl - along);
        }
        let o = &mut layout.objects[k];
        translate(o, d);
        let (bottom, top) = z_range(o);
        let base = w.a[2].min(w.b[2]);
        if o.size[2] <= w.height {
            if bottom < base {
                o.center[2] += base - bottom;
            } else if top > base + w.height {
                o.center[2] -= top - base - w.height;
            }
        }
    }
}

/// Ceiling pass: ceiling-class objects are moved up or down to touch the
/// ceiling (the height of the walls of the room they are in).
pub fn hang_from_ceiling(layout: &mut Layout, rooms: &[Room], report: &mut SolveReport, skipped: &mut bool) {
    for k in 0..layout.objects.len() {
        let o = &layout.objects[k];
        if support_of(&o.class) != Support::Ceiling || !object_is_sound(o) {
            continue;
        }
        match ceiling_at(layout, rooms, &P2::new(o.center[0], o.center[1])) {
            Some(h) => {
                let o = &mut layout.objects[k];
                o.center[2] = h - o.size[2] / 2.0;
            }
            None => {
                if !*skipped {
                    report.skip(Pass::ObjectSupport, EntityRef::Object(o.id), "no walls: the ceiling height is unknown");
                }
            }
        }
    }
    *skipped = true;
}

/// Whether `s` can carry other objects on its top.
fn can_carry(s: &Object) -> bool {
    s.class != ObjectClass::Carpet && matches!(support_of(&s.class), Support::Floor | Support::Any)
}

/// Gravity pass: floor-class (and unsupported any-class) objects drop onto
/// the highest top below them (an object whose footprint holds their
/// centre, no higher than `sink_tolerance` above their bottom) or the floor;
/// objects sunk into the floor come up. Lower objects settle first.
pub fn drop_to_support(layout: &mut Layout, rooms: &[Room], cfg: &SolveConfig) {
    let t = &cfg.tolerances;
    let mut order: Vec<usize> = (0..layout.objects.len()).filter(|&k| object_is_sound(&layout.objects[k])).collect();
    order.sort_by(|&a, &b| z_range(&layout.objects[a]).0.total_cmp(&z_range(&layout.objects[b]).0).then(a.cmp(&b)));
    let has_walls = layout.walls.iter().any(wall_is_finite);
    for k in order {
        let o = &layout.objects[k];
        match support_of(&o.class) {
            Support::Ceiling => continue,
            Support::Wall => {
                // Held by the wall unless neither wall nor object holds it.
                let g = support_gaps(layout, rooms, k, t);
                if has_walls || g.object <= t.support {
                    continue;
                }
            }
            Support::Any => {
                // Small items already held by a wall or the ceiling stay,
                // unless they are sunk into another object.
                let g = support_gaps(layout, rooms, k, t);
                let held = g.wall <= t.wall_support || g.ceiling.is_some_and(|c| c <= t.support);
                let sunk = layout.objects.iter().enumerate().any(|(j, s)| {
                    j != k && object_is_sound(s) && !overlap_exempt(o, s) && overlap_volume(o, s) > t.overlap_volume
                });
                if held && !sunk {
                    continue;
                }
            }
            Support::Floor => {}
        }
        let (bottom, _) = z_range(o);
        let c = P2::new(o.center[0], o.center[1]);
        let mut h: f64 = 0.0;
        for (j, s) in layout.objects.iter().enumerate() {
            if j == k || !object_is_sound(s) || !can_carry(s) {
                continue;
            }
            let fp = footprint(s);
            if !(point_in_polygon(&c, &fp) || distance_to_polygon_boundary(&c, &fp) <= t.support) {
                continue;
            }
            let top = z_range(s).1;
            // Only what lies below: a box whose bottom is above ours is not a support.
            if top <= bottom + cfg.sink_tolerance && z_range(s).0 < bottom - 1e-9 + cfg.sink_tolerance && top > h {
                h = top;
            }
        }
        let o = &mut layout.objects[k];
        o.center[2] += h - bottom;
    }
}

/// Containment pass: an object sticking out of the rooms is moved, its
/// worst corner first, until its footprint is inside.
pub fn contain(layout: &mut Layout, rooms: &[Room]) {
    if rooms.is_empty() {
        return;
    }
    for o in &mut layout.objects {
        if !object_is_sound(o) {
            continue;
        }
        for _ in 0..CONTAIN_ITERS {
            let fp = footprint(o);
            if outside_rooms(&fp, rooms) <= 0.0 {
                break;
            }
            let mut worst: Option<(f64, P2, P2)> = None;
            for p in &fp {
                if rooms.iter().any(|r| r.contains(p)) {
                    continue;
                }
                let q = rooms
                    .iter()
                    .filter_map(|r| closest_point_on_polygon_boundary(p, &r.polygon))
                    .min_by(|a, b| (a - p).norm_squared().total_cmp(&(b - p).norm_squared()));
                if let Some(q) = q {
                    let d = (q - p).norm();
                    if worst.is_none_or(|w| d > w.0) {
                        worst = Some((d, *p, q));
                    }
                }
            }
            let Some((d, p, q)) = worst else { break };
            let dir = if d > 1e-12 { (q - p) / d } else { P2::zeros() };
            translate(o, q - p + dir * PUSH_GAP);
        }
    }
}

/// Candidate moves (xy) separating `a` from `b`: along each footprint
/// axis, both ways, shortest first (each with a small clearance).
fn separating_moves(a: &Object, b: &Object) -> Vec<(f64, P2)> {
    let (fa, fb) = (footprint(a), footprint(b));
    let mut out = Vec::new();
    for f in [&fa, &fb] {
        for e in 0..2 {
            let edge = f[e + 1] - f[e];
            let n = edge.norm();
            if n < 1e-12 {
                continue;
            }
            let axis = P2::new(-edge.y, edge.x) / n;
            let proj = |poly: &[P2; 4]| {
                poly.iter().map(|p| p.dot(&axis)).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
            };
            let ((a0, a1), (b0, b1)) = (proj(&fa), proj(&fb));
            if a1.min(b1) - a0.max(b0) <= 0.0 {
                return Vec::new();
            }
            for (amt, sign) in [(b1 - a0, 1.0), (a1 - b0, -1.0)] {
                out.push((amt + PUSH_GAP, axis * (sign * (amt + PUSH_GAP))));
            }
        }
    }
    out.sort_by(|x, y| x.0.total_cmp(&y.0));
    out
}

/// How firmly an object stays put when two collide: wall- and ceiling-hung
/// objects most, then bigger ones.
fn anchoring(o: &Object) -> (u8, f64) {
    let fixed = match support_of(&o.class) {
        Support::Wall | Support::Ceiling => 1,
        _ => 0,
    };
    (fixed, o.size[0] * o.size[1] * o.size[2])
}

/// Candidate moves of object `m` out of object `s`, shortest first:
/// sideways along each footprint axis (both ways), and lifting onto `s`
/// when `m` rests over it.
fn candidate_moves(m: &Object, s: &Object) -> Vec<(f64, [f64; 3])> {
    let mut cands: Vec<(f64, [f64; 3])> = separating_moves(m, s).into_iter().map(|(d, v)| (d, [v.x, v.y, 0.0])).collect();
    let c = P2::new(m.center[0], m.center[1]);
    // Wall-hung objects also slide up or down their wall (an air
    // conditioner above a curtain).
    if !cands.is_empty() && support_of(&m.class) == Support::Wall {
        let up = z_range(s).1 - z_range(m).0 + PUSH_GAP;
        let down = z_range(m).1 - z_range(s).0 + PUSH_GAP;
        cands.push((up, [0.0, 0.0, up]));
        cands.push((down, [0.0, 0.0, -down]));
    }
    if !cands.is_empty()
        && can_carry(s)
        && matches!(support_of(&m.class), Support::Floor | Support::Any)
        && point_in_polygon(&c, &footprint(s))
    {
        let lift = z_range(s).1 - z_range(m).0;
        if lift > 0.0 {
            cands.push((lift, [0.0, 0.0, lift]));
        }
    }
    cands.sort_by(|x, y| x.0.total_cmp(&y.0));
    cands
}

/// Whether object `k` moved by `v` is inside the rooms and clear of every
/// other object, and, when it hangs on a wall, still held there (pushing
/// it off its wall only makes the wall pass pull it back into the
/// collision).
fn move_is_clear(layout: &mut Layout, k: usize, v: &[f64; 3], rooms: &[Room], cfg: &SolveConfig) -> bool {
    let t = &cfg.tolerances;
    let m = &layout.objects[k];
    let mut moved = m.clone();
    moved.center = [m.center[0] + v[0], m.center[1] + v[1], m.center[2] + v[2]];
    if !rooms.is_empty() && outside_rooms(&footprint(&moved), rooms) > t.room {
        return false;
    }
    let clear = layout.objects.iter().enumerate().all(|(j, o)| {
        j == k || !object_is_sound(o) || overlap_exempt(&moved, o) || overlap_volume(&moved, o) <= t.overlap_volume
    });
    if !clear || support_of(&moved.class) != Support::Wall || !layout.walls.iter().any(wall_is_finite) {
        return clear;
    }
    let held = |l: &Layout| support_excess(&l.objects[k].class, &support_gaps(l, rooms, k, t), true, t).is_some_and(|e| e <= 0.0);
    if !held(layout) {
        return true;
    }
    let old = std::mem::replace(&mut layout.objects[k], moved);
    let ok = held(layout);
    layout.objects[k] = old;
    ok
}

/// Last resort when no single push frees a pair (a wardrobe wedged
/// between a wall and a bed): the nearest spot on a `SEARCH_STEP` grid
/// within `SEARCH_RADIUS` where the object is inside the rooms and clear of
/// everything.
fn nearest_clear(layout: &mut Layout, k: usize, rooms: &[Room], cfg: &SolveConfig) -> Option<[f64; 3]> {
    let r = (SEARCH_RADIUS / SEARCH_STEP).round() as i32;
    let mut offs: Vec<(i32, i32)> = (-r..=r).flat_map(|x| (-r..=r).map(move |y| (x, y))).filter(|&(x, y)| x * x + y * y <= r * r && (x, y) != (0, 0)).collect();
    offs.sort_by_key(|&(x, y)| (x * x + y * y, x, y));
    offs.into_iter()
        .map(|(x, y)| [x as f64 * SEARCH_STEP, y as f64 * SEARCH_STEP, 0.0])
        .find(|v| move_is_clear(layout, k, v, rooms, cfg))
}

/// Separation pass: each interpenetrating pair is pushed apart with the
/// smallest move (sideways along a footprint axis, or up onto the other
/// object) that leaves the mover inside the rooms and clear of every other
/// object; the less anchored object is tried first, then the other; then
/// the nearest free spot within a metre; when nothing is clear, the
/// shortest push of the less anchored object is made.
pub fn separate(layout: &mut Layout, rooms: &[Room], cfg: &SolveConfig) {
    let n = layout.objects.len();
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (&layout.objects[i], &layout.objects[j]);
            if !object_is_sound(a) || !object_is_sound(b) || overlap_exempt(a, b) {
                continue;
            }
            if overlap_volume(a, b) <= cfg.tolerances.overlap_volume {
                continue;
            }
            let (ka, kb) = (anchoring(a), anchoring(b));
            let a_moves = ka.0 < kb.0 || (ka.0 == kb.0 && ka.1 <= kb.1);
            let (m, s) = if a_moves { (i, j) } else { (j, i) };
            let first = candidate_moves(&layout.objects[m], &layout.objects[s]);
            let second = candidate_moves(&layout.objects[s], &layout.objects[m]);
            let pick = first
                .iter()
                .find(|(_, v)| move_is_clear(layout, m, v, rooms, cfg))
                .map(|(_, v)| (m, *v))
                .or_else(|| second.iter().find(|(_, v)| move_is_clear(layout, s, v, rooms, cfg)).map(|(_, v)| (s, *v)))
                .or_else(|| nearest_clear(layout, m, rooms, cfg).map(|v| (m, v)))
                .or_else(|| nearest_clear(layout, s, rooms, cfg).map(|v| (s, v)))
                .or_else(|| first.first().map(|(_, v)| (m, *v)));
            if let Some((k, v)) = pick {
                for (c, d) in layout.objects[k].center.iter_mut().zip(v) {
                    *c += d;
                }
            }
        }
    }
}

/// Runs the object passes.
pub fn solve_objects(layout: &mut Layout, cfg: &SolveConfig, report: &mut SolveReport) {
    sanitize(layout, report);
    let before = layout.objects.clone();
    snap_yaw(layout, cfg, report);
    let _ = before;
    let rs = rooms(layout, &cfg.tolerances);
    let has_walls = layout.walls.iter().any(wall_is_finite);
    if !has_walls {
        for o in &layout.objects {
            if support_of(&o.class) == Support::Wall {
                report.skip(Pass::ObjectSupport, EntityRef::Object(o.id), format!("no walls: {} cannot be hung on a wall", o.class));
            }
        }
    }
    if rs.is_empty() && !layout.objects.is_empty() {
        report.skip(Pass::ObjectContain, EntityRef::Layout, "no closed room: room containment does not apply");
    }
    let mut ceiling_skipped = false;
    for round in 0..cfg.object_rounds.max(1) {
        let b = layout.objects.clone();
        attach_to_walls(layout, &rs, cfg);
        hang_from_ceiling(layout, &rs, report, &mut ceiling_skipped);
        drop_to_support(layout, &rs, cfg);
        rec(&b, &layout.objects, Pass::ObjectSupport, "moved onto its support", report);
        let b = layout.objects.clone();
        contain(layout, &rs);
        rec(&b, &layout.objects, Pass::ObjectContain, "moved inside the room", report);
        let b = layout.objects.clone();
        separate(layout, &rs, cfg);
        rec(&b, &layout.objects, Pass::ObjectSeparate, "pushed out of another object", report);
        let moved = b != layout.objects;
        if !moved && round > 0 {
            break;
        }
    }
    let b = layout.objects.clone();
    attach_to_walls(layout, &rs, cfg);
    hang_from_ceiling(layout, &rs, report, &mut ceiling_skipped);
    drop_to_support(layout, &rs, cfg);
    rec(&b, &layout.objects, Pass::ObjectSupport, "moved onto its support", report);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Object, ObjectClass, Wall};

    fn room() -> Layout {
        let mut l = Layout::new();
        let w = |id, a: [f64; 2], b: [f64; 2]| Wall { id, a: [a[0], a[1], 0.0], b: [b[0], b[1], 0.0], height: 2.7, thickness: 0.1 };
        l.walls = vec![w(0, [0.0, 0.0], [4.0, 0.0]), w(1, [4.0, 0.0], [4.0, 3.0]), w(2, [4.0, 3.0], [0.0, 3.0]), w(3, [0.0, 3.0], [0.0, 0.0])];
        l
    }

    fn obj(id: u32, class: ObjectClass, c: [f64; 3], s: [f64; 3], yaw: f64) -> Object {
        Object { id, class, center: c, size: s, yaw }
    }

    fn rep() -> SolveReport {
        SolveReport { frame: None, changes: vec![], skipped: vec![], remaining: vec![], valid: false }
    }

    #[test]
    fn floating_and_sunk_objects_land_on_their_support() {
        let mut l = room();
        l.objects.push(obj(0, ObjectClass::Bed, [1.5, 1.5, 0.1], [2.0, 1.6, 0.6], 0.0));
        l.objects.push(obj(1, ObjectClass::Pillow, [1.0, 1.5, 0.9], [0.5, 0.4, 0.15], 0.0));
        l.objects.push(obj(2, ObjectClass::Chair, [3.3, 2.5, 0.8], [0.5, 0.5, 0.9], 0.0));
        let mut r = rep();
        solve_objects(&mut l, &SolveConfig::default(), &mut r);
        assert_eq!(l.objects[0].center[2], 0.3);
        assert!((l.objects[1].center[2] - 0.675).abs() < 1e-12);
        assert_eq!(l.objects[2].center[2], 0.45);
        assert!(l.validate().is_empty(), "{:?}", l.validate());
    }

    #[test]
    fn wall_and_ceiling_classes_go_to_wall_and_ceiling() {
        let mut l = room();
        l.objects.push(obj(0, ObjectClass::Painting, [2.0, 2.6, 1.5], [1.0, 0.04, 0.6], 0.05));
        l.objects.push(obj(1, ObjectClass::Chandelier, [2.0, 1.5, 2.0], [0.6, 0.6, 0.5], 0.0));
        let mut r = rep();
        solve_objects(&mut l, &SolveConfig::default(), &mut r);
        assert_eq!(l.objects[0].yaw, 0.0);
        assert!((l.objects[0].center[1] - (3.0 - 0.05 - 0.02)).abs() < 1e-12);
        assert!((l.objects[1].center[2] - 2.45).abs() < 1e-12);
        assert!(l.validate().is_empty(), "{:?}", l.validate());
    }

    #[test]
    fn interpenetrating_objects_separate_minimally_and_stay_inside() {
        let mut l = room();
        l.objects.push(obj(0, ObjectClass::Wardrobe, [0.6, 1.5, 1.0], [1.0, 0.6, 2.0], 0.0));
        l.objects.push(obj(1, ObjectClass::Nightstand, [1.2, 1.5, 0.25], [0.4, 0.4, 0.5], 0.0));
        l.objects.push(obj(2, ObjectClass::Sofa, [3.9, 1.5, 0.4], [2.0, 0.9, 0.8], FRAC_PI_2));
        let mut r = rep();
        solve_objects(&mut l, &SolveConfig::default(), &mut r);
        // The nightstand moved out by the overlap (0.1 m) plus the gap.
        assert!((l.objects[1].center[0] - (1.3 + PUSH_GAP)).abs() < 1e-9, "{:?}", l.objects[1]);
        assert_eq!(l.objects[0].center, [0.6, 1.5, 1.0]);
        assert!(l.validate().is_empty(), "{:?}", l.validate());
        assert!(r.changes.iter().any(|c| c.pass == Pass::ObjectContain && c.entity == EntityRef::Object(2)));
    }

    #[test]
    fn without_walls_objects_still_get_support_and_separation() {
        let mut l = Layout::new();
        l.objects.push(obj(0, ObjectClass::Tv, [0.0, 0.0, 1.0], [1.0, 0.1, 0.6], 0.0));
        l.objects.push(obj(1, ObjectClass::DiningTable, [0.0, 0.0, 0.5], [1.0, 1.0, 0.8], 0.0));
        let mut r = rep();
        solve_objects(&mut l, &SolveConfig::default(), &mut r);
        assert!(r.skipped.iter().any(|s| s.reason.contains("no walls")));
        assert!(l.validate().is_empty(), "{:?}", l.validate());
    }
}
