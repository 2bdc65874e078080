//! Floor plans: room polygons (rectangular, L, T, U, guillotine-split
//! apartments, an optional chamfered corner for one non-orthogonal wall),
//! the wall graph (shared walls once, split at every junction so walls meet
//! at shared endpoints) and the doors and windows on it.
//!
//! Knows nothing of furniture or meshes.

use super::scene::{RoomKind, SceneConfig, SceneKind};
use crate::layout::OpeningKind;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

pub(crate) type P2 = [f64; 2];

/// Shortest side of any room (m): a bathroom is about this narrow.
const MIN_ROOM_SIDE: f64 = 1.8;
/// Shortest side of an apartment room made by splitting (m).
const MIN_SPLIT_SIDE: f64 = 2.0;
/// Gap between an opening and the end of its wall, beyond half the wall
/// thickness (m): room for the jamb and the neighbouring wall.
const OPENING_END_MARGIN: f64 = 0.12;
/// Free wall between two openings on one wall (m).
const OPENING_GAP: f64 = 0.3;
/// Concrete between a window's top and the ceiling (m).
const LINTEL_MIN: f64 = 0.15;
/// Sill height range of small, high bathroom windows (m).
const BATHROOM_SILL: (f64, f64) = (1.0, 1.2);
/// How far open door leaves stand (radians): 57-90 degrees, so a leaf
/// never swings back into the wall beside its hinge.
const DOOR_OPEN_ANGLE: (f64, f64) = (1.0, std::f64::consts::FRAC_PI_2);
/// Share of apartments (3+ rooms) with a corner left out of the footprint.
const CORNER_CUT_PROBABILITY: f64 = 0.3;
/// Grid of apartment split positions (m).
const CUT_GRID: f64 = 0.05;
/// Shortest wall segment a plan may have (m); shorter junction offsets are
/// re-sampled (the validity rules reject walls under 0.2 m).
const MIN_WALL: f64 = 0.4;
/// Points closer than this are the same vertex (m).
const SAME_POINT: f64 = 1e-6;

/// A room of the plan: kind, counter-clockwise wall centre-line polygon
/// including junction vertices, and the wall of each polygon edge.
#[derive(Debug, Clone)]
pub(crate) struct PlanRoom {
    pub kind: RoomKind,
    pub polygon: Vec<P2>,
    pub wall_ids: Vec<u32>,
}

/// A wall centre-line segment; `left` is the room on its left (a→b runs
/// counter-clockwise around it), `right` the room on the other side.
#[derive(Debug, Clone)]
pub(crate) struct PlanWall {
    pub a: P2,
    pub b: P2,
    pub left: usize,
    pub right: Option<usize>,
}

impl PlanWall {
    pub fn length(&self) -> f64 {
        dist(self.a, self.b)
    }
    /// Unit direction a→b.
    pub fn dir(&self) -> P2 {
        let l = self.length().max(1e-12);
        [(self.b[0] - self.a[0]) / l, (self.b[1] - self.a[1]) / l]
    }
    /// Unit normal pointing into the left room.
    pub fn left_normal(&self) -> P2 {
        let d = self.dir();
        [-d[1], d[0]]
    }
    pub fn at(&self, u: f64) -> P2 {
        let d = self.dir();
        [self.a[0] + d[0] * u, self.a[1] + d[1] * u]
    }
}

/// How a door leaf is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Leaf {
    /// An empty doorway.
    None,
    /// Closed, in the wall plane.
    Closed,
    /// Open by `angle` (radians) to the left (`to_left`) or right side of
    /// the wall, hinged at the opening's low-u end (`hinge_low`) or high end.
    Open { to_left: bool, hinge_low: bool, angle: f64 },
}

/// A door or window on a wall: `u0..u1` along the wall from `a`, `z0..z1`.
#[derive(Debug, Clone)]
pub(crate) struct PlanOpening {
    pub kind: OpeningKind,
    pub id: u32,
    pub wall: u32,
    pub u0: f64,
    pub u1: f64,
    pub z0: f64,
    pub z1: f64,
    pub leaf: Leaf,
}

/// A whole floor plan.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub kind: SceneKind,
    pub non_orthogonal: bool,
    pub height: f64,
    pub thickness: f64,
    pub rooms: Vec<PlanRoom>,
    pub walls: Vec<PlanWall>,
    pub openings: Vec<PlanOpening>,
}

pub(crate) fn dist(a: P2, b: P2) -> f64 {
    ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt()
}

fn cross2(a: P2, b: P2) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

fn uniform(rng: &mut ChaCha8Rng, r: (f64, f64)) -> f64 {
    if r.1 > r.0 {
        rng.random_range(r.0..r.1)
    } else {
        r.0
    }
}

/// Twice the signed area.
pub(crate) fn area2(p: &[P2]) -> f64 {
    super::primitives::signed_area2(p)
}

/// Polygon area (absolute).
pub(crate) fn area(p: &[P2]) -> f64 {
    area2(p).abs() / 2.0
}

/// Applies one of the 8 symmetries of the square, makes the polygon
/// counter-clockwise and moves its bounding box to the origin.
fn normalise(poly: Vec<P2>, sym: u8) -> Vec<P2> {
    let mut p: Vec<P2> = poly
        .into_iter()
        .map(|[x, y]| {
            let (x, y) = match sym % 4 {
                0 => (x, y),
                1 => (-y, x),
                2 => (-x, -y),
                _ => (y, -x),
            };
            if sym >= 4 {
                (-x, y)
            } else {
                (x, y)
            }
        })
        .map(|(x, y)| [x, y])
        .collect();
    if area2(&p) < 0.0 {
        p.reverse();
    }
    let minx = p.iter().map(|q| q[0]).fold(f64::INFINITY, f64::min);
    let miny = p.iter().map(|q| q[1]).fold(f64::INFINITY, f64::min);
    for q in &mut p {
        q[0] -= minx;
        q[1] -= miny;
    }
    p
}

/// Width and depth of a rectangle of area `a` and aspect `aspect` >= 1.
fn dims(a: f64, aspect: f64) -> (f64, f64) {
    let w = (a * aspect).sqrt();
    (w, a / w)
}

/// One room of the given shape with about `target` m² of floor; `None`
/// when the sampled proportions are too tight.
fn shaped_room(rng: &mut ChaCha8Rng, kind: SceneKind, target: f64) -> Option<Vec<P2>> {
    let m = MIN_ROOM_SIDE;
    let poly = match kind {
        SceneKind::Rectangle | SceneKind::Apartment => {
            let (w, d) = dims(target, rng.random_range(1.0..1.7));
            if d < m {
                return None;
            }
            vec![[0.0, 0.0], [w, 0.0], [w, d], [0.0, d]]
        }
        SceneKind::LShape => {
            let (fx, fy) = (rng.random_range(0.3..0.55), rng.random_range(0.3..0.55));
            let (w, d) = dims(target / (1.0 - fx * fy), rng.random_range(1.0..1.5));
            let (cw, cd) = (w * fx, d * fy);
            if w - cw < m || d - cd < m || cw < 0.8 || cd < 0.8 {
                return None;
            }
            vec![[0.0, 0.0], [w, 0.0], [w, d - cd], [w - cw, d - cd], [w - cw, d], [0.0, d]]
        }
        SceneKind::TShape => {
            // A bar across the top and a stem below it.
            let (fx, fy) = (rng.random_range(0.35..0.6), rng.random_range(0.4..0.6));
            let (w, d) = dims(target / (fy + fx * (1.0 - fy)), rng.random_range(1.0..1.4));
            let (sw, bd) = (w * fx, d * fy);
            let side = w - sw;
            if sw < m || bd < m || d - bd < 1.0 || side < 1.6 {
                return None;
            }
            let x0 = rng.random_range(0.8..(side - 0.8).max(0.81));
            vec![[x0, 0.0], [x0 + sw, 0.0], [x0 + sw, d - bd], [w, d - bd], [w, d], [0.0, d], [0.0, d - bd], [x0, d - bd]]
        }
        SceneKind::UShape => {
            let (f1, f2, fn_) = (rng.random_range(0.25..0.38), rng.random_range(0.25..0.38), rng.random_range(0.35..0.6));
            let notch = 1.0 - f1 - f2;
            let (w, d) = dims(target / (1.0 - notch * fn_), rng.random_range(1.0..1.5));
            let (a1, a2, nd) = (w * f1, w * f2, d * fn_);
            if a1 < 1.2 || a2 < 1.2 || w * notch < 1.0 || d - nd < m || nd < 0.8 {
                return None;
            }
            vec![[0.0, 0.0], [w, 0.0], [w, d], [w - a2, d], [w - a2, d - nd], [a1, d - nd], [a1, d], [0.0, d]]
        }
    };
    let sym = rng.random_range(0..8u8);
    Some(normalise(poly, sym))
}

/// Room polygons of a guillotine-split rectangular apartment.
fn apartment(rng: &mut ChaCha8Rng, cfg: &SceneConfig) -> Option<Vec<(RoomKind, Vec<P2>)>> {
    let (lo, hi) = cfg.apartment_rooms;
    let n = rng.random_range(lo.max(2)..=hi.max(lo.max(2)));
    // Sometimes one more rectangle is split off and left out at a corner:
    // an L-shaped (or stepped) apartment.
    let cut_corner = n >= 3 && rng.random_bool(CORNER_CUT_PROBABILITY);
    let parts = n + usize::from(cut_corner);
    let total: f64 = (0..parts).map(|_| uniform(rng, cfg.apartment_room_area)).sum();
    let (w, d) = dims(total, rng.random_range(1.0..1.8));
    let (w, d) = if rng.random_bool(0.5) { (w, d) } else { (d, w) };
    let mut rects: Vec<[f64; 4]> = vec![[0.0, 0.0, w, d]];
    while rects.len() < parts {
        // Split the biggest splittable rectangle across its longer side.
        let pick = rects
            .iter()
            .enumerate()
            .filter(|(_, r)| (r[2] - r[0]).max(r[3] - r[1]) >= 2.0 * MIN_SPLIT_SIDE)
            .max_by(|a, b| {
                let (ra, rb) = (a.1, b.1);
                ((ra[2] - ra[0]) * (ra[3] - ra[1])).total_cmp(&((rb[2] - rb[0]) * (rb[3] - rb[1])))
            })
            .map(|(i, _)| i)?;
        let r = rects.swap_remove(pick);
        let along_x = r[2] - r[0] >= r[3] - r[1];
        let (s0, s1) = if along_x { (r[0], r[2]) } else { (r[1], r[3]) };
        let f = rng.random_range(0.3..0.7);
        let cut = (s0 + f * (s1 - s0)).clamp(s0 + MIN_SPLIT_SIDE, s1 - MIN_SPLIT_SIDE);
        // On a 5 cm grid, so that cuts on both sides of a wall either line up
        // exactly (a crossing) or are clearly apart.
        let cut = ((cut / CUT_GRID).round() * CUT_GRID).clamp(s0 + MIN_SPLIT_SIDE - CUT_GRID, s1 - MIN_SPLIT_SIDE + CUT_GRID);
        if along_x {
            rects.push([r[0], r[1], cut, r[3]]);
            rects.push([cut, r[1], r[2], r[3]]);
        } else {
            rects.push([r[0], r[1], r[2], cut]);
            rects.push([r[0], cut, r[2], r[3]]);
        }
    }
    if cut_corner {
        let area = |r: &[f64; 4]| (r[2] - r[0]) * (r[3] - r[1]);
        let biggest = rects.iter().map(area).fold(0.0, f64::max);
        let corners: Vec<usize> = (0..rects.len())
            .filter(|&i| {
                let r = rects[i];
                (r[0] == 0.0 || r[2] == w) && (r[1] == 0.0 || r[3] == d) && area(&r) < biggest && area(&r) < 0.35 * w * d
            })
            .collect();
        if corners.is_empty() {
            return None;
        }
        rects.swap_remove(corners[rng.random_range(0..corners.len())]);
    }
    // Deterministic order: by position.
    rects.sort_by(|a, b| a[1].total_cmp(&b[1]).then(a[0].total_cmp(&b[0])));
    let areas: Vec<f64> = rects.iter().map(|r| (r[2] - r[0]) * (r[3] - r[1])).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| areas[b].total_cmp(&areas[a]));
    let mut kinds = vec![RoomKind::Bedroom; n];
    kinds[order[0]] = RoomKind::LivingRoom;
    if n >= 3 {
        kinds[order[n - 1]] = RoomKind::Bathroom;
    }
    if n >= 4 {
        kinds[order[n - 2]] = RoomKind::Kitchen;
    }
    for &i in &order[1..] {
        if kinds[i] == RoomKind::Bedroom && rng.random_bool(0.25) {
            kinds[i] = RoomKind::Office;
        }
    }
    Some(
        rects
            .iter()
            .zip(kinds)
            .map(|(r, k)| (k, vec![[r[0], r[1]], [r[2], r[1]], [r[2], r[3]], [r[0], r[3]]]))
            .collect(),
    )
}

/// True when `p` lies on segment a-b strictly between its ends.
fn on_segment_interior(p: P2, a: P2, b: P2) -> bool {
    let l = dist(a, b);
    if l < SAME_POINT {
        return false;
    }
    let d = [(b[0] - a[0]) / l, (b[1] - a[1]) / l];
    let r = [p[0] - a[0], p[1] - a[1]];
    let t = r[0] * d[0] + r[1] * d[1];
    let off = cross2(d, r).abs();
    off < SAME_POINT && t > SAME_POINT && t < l - SAME_POINT
}

/// Cuts convex corner `i` of room `room` by a diagonal wall; the corner
/// must not touch other rooms' walls. Returns false when no corner fits.
fn chamfer(rng: &mut ChaCha8Rng, rooms: &mut [(RoomKind, Vec<P2>)]) -> bool {
    let mut candidates = Vec::new();
    for (r, (_, poly)) in rooms.iter().enumerate() {
        let n = poly.len();
        for i in 0..n {
            let (p, c, q) = (poly[(i + n - 1) % n], poly[i], poly[(i + 1) % n]);
            let convex = cross2([c[0] - p[0], c[1] - p[1]], [q[0] - c[0], q[1] - c[1]]) > 0.0;
            if !convex {
                continue;
            }
            // Both edges at the corner must be exterior: no other room's
            // vertex on them or at the corner, no shared edge.
            let touches = rooms.iter().enumerate().any(|(o, (_, op))| {
                o != r && op.iter().any(|&v| dist(v, c) < SAME_POINT || on_segment_interior(v, p, c) || on_segment_interior(v, c, q))
            });
            let shared = rooms.iter().enumerate().any(|(o, (_, op))| {
                o != r && {
                    let m = op.len();
                    (0..m).any(|j| {
                        let (s, e) = (op[j], op[(j + 1) % m]);
                        let mid = [(s[0] + e[0]) / 2.0, (s[1] + e[1]) / 2.0];
                        on_segment_interior(mid, p, c) || on_segment_interior(mid, c, q)
                    })
                }
            });
            if !touches && !shared && dist(p, c) > 2.4 && dist(c, q) > 2.4 {
                candidates.push((r, i));
            }
        }
    }
    if candidates.is_empty() {
        return false;
    }
    let (r, i) = candidates[rng.random_range(0..candidates.len())];
    let poly = &mut rooms[r].1;
    let n = poly.len();
    let (p, c, q) = (poly[(i + n - 1) % n], poly[i], poly[(i + 1) % n]);
    let c1 = rng.random_range(0.5..(dist(p, c) - 1.6).min(1.8));
    let c2 = rng.random_range(0.5..(dist(c, q) - 1.6).min(1.8));
    let to = |from: P2, towards: P2, len: f64| {
        let l = dist(from, towards);
        [from[0] + (towards[0] - from[0]) * len / l, from[1] + (towards[1] - from[1]) * len / l]
    };
    let (x, y) = (to(c, p, c1), to(c, q, c2));
    poly.splice(i..=i, [x, y]);
    true
}

type Key = (i64, i64);

fn key(p: P2) -> Key {
    ((p[0] * 1e5).round() as i64, (p[1] * 1e5).round() as i64)
}

/// Splits every room edge at the other rooms' vertices on it and numbers
/// the resulting segments as walls, each shared segment once.
fn wall_graph(rooms: &[(RoomKind, Vec<P2>)]) -> (Vec<PlanRoom>, Vec<PlanWall>) {
    let all: Vec<P2> = rooms.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    let mut walls: Vec<PlanWall> = Vec::new();
    let mut by_key: HashMap<(Key, Key), u32> = HashMap::new();
    let mut out = Vec::with_capacity(rooms.len());
    for (r, (kind, poly)) in rooms.iter().enumerate() {
        let n = poly.len();
        let mut chain: Vec<P2> = Vec::new();
        for i in 0..n {
            let (a, b) = (poly[i], poly[(i + 1) % n]);
            chain.push(a);
            let mut mids: Vec<(f64, P2)> =
                all.iter().filter(|&&v| on_segment_interior(v, a, b)).map(|&v| (dist(a, v), v)).collect();
            mids.sort_by(|x, y| x.0.total_cmp(&y.0));
            mids.dedup_by(|x, y| (x.0 - y.0).abs() < SAME_POINT);
            chain.extend(mids.into_iter().map(|m| m.1));
        }
        let m = chain.len();
        let mut ids = Vec::with_capacity(m);
        for i in 0..m {
            let (a, b) = (chain[i], chain[(i + 1) % m]);
            let (ka, kb) = (key(a), key(b));
            let k = if ka <= kb { (ka, kb) } else { (kb, ka) };
            let id = match by_key.get(&k) {
                Some(&id) => {
                    if let Some(w) = walls.get_mut(id as usize) {
                        w.right = Some(r);
                    }
                    id
                }
                None => {
                    let id = walls.len() as u32;
                    walls.push(PlanWall { a, b, left: r, right: None });
                    by_key.insert(k, id);
                    id
                }
            };
            ids.push(id);
        }
        out.push(PlanRoom { kind: *kind, polygon: chain, wall_ids: ids });
    }
    (out, walls)
}

/// Free-interval bookkeeping of openings on walls.
struct Occupancy {
    per_wall: Vec<Vec<(f64, f64)>>,
}

impl Occupancy {
    fn fits(&self, wall: usize, u0: f64, u1: f64) -> bool {
        self.per_wall.get(wall).is_some_and(|v| v.iter().all(|&(a, b)| u1 + OPENING_GAP <= a || u0 >= b + OPENING_GAP))
    }
    fn take(&mut self, wall: usize, u0: f64, u1: f64) {
        if let Some(v) = self.per_wall.get_mut(wall) {
            v.push((u0, u1));
        }
    }
}

/// Samples where along `wall` an opening of `width` fits; `None` if not.
fn spot(rng: &mut ChaCha8Rng, walls: &[PlanWall], occ: &Occupancy, wall: usize, width: f64, thickness: f64) -> Option<(f64, f64)> {
    let len = walls.get(wall)?.length();
    let margin = thickness / 2.0 + OPENING_END_MARGIN;
    let (lo, hi) = (margin + width / 2.0, len - margin - width / 2.0);
    if hi < lo {
        return None;
    }
    for _ in 0..8 {
        let c = if hi > lo { rng.random_range(lo..hi) } else { lo };
        let (u0, u1) = (c - width / 2.0, c + width / 2.0);
        if occ.fits(wall, u0, u1) {
            return Some((u0, u1));
        }
    }
    None
}

fn door_leaf(rng: &mut ChaCha8Rng) -> Leaf {
    let x: f64 = rng.random();
    if x < 0.2 {
        Leaf::None
    } else if x < 0.35 {
        Leaf::Closed
    } else {
        Leaf::Open {
            to_left: rng.random_bool(0.5),
            hinge_low: rng.random_bool(0.5),
            angle: rng.random_range(DOOR_OPEN_ANGLE.0..DOOR_OPEN_ANGLE.1),
        }
    }
}

/// Doors (interior ones connecting every room, an entrance) and windows.
fn openings(rng: &mut ChaCha8Rng, cfg: &SceneConfig, plan: &mut Plan) -> bool {
    let t = plan.thickness;
    let mut occ = Occupancy { per_wall: vec![Vec::new(); plan.walls.len()] };
    let mut out: Vec<PlanOpening> = Vec::new();
    let mut door_id = 0u32;
    let n = plan.rooms.len();
    let door_size = |rng: &mut ChaCha8Rng, narrow: bool| {
        let w = if narrow { uniform(rng, (cfg.door_width.0, cfg.door_width.0 + 0.1)) } else { uniform(rng, cfg.door_width) };
        (w, uniform(rng, cfg.door_height).min(plan.height - LINTEL_MIN))
    };
    // Interior doors: a random spanning tree over shared walls, plus a few extra.
    let mut pair_wall: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, w) in plan.walls.iter().enumerate() {
        if let Some(r) = w.right {
            let k = (w.left.min(r), w.left.max(r));
            let better = pair_wall.get(&k).is_none_or(|&j| plan.walls[j].length() < w.length());
            if better && w.length() >= cfg.door_width.1 + t + 2.0 * OPENING_END_MARGIN {
                pair_wall.insert(k, i);
            }
        }
    }
    let mut pairs: Vec<((usize, usize), usize)> = pair_wall.into_iter().collect();
    pairs.sort();
    let mut connected = vec![false; n];
    if let Some(c) = connected.first_mut() {
        *c = true;
    }
    let mut chosen: Vec<usize> = Vec::new();
    loop {
        let frontier: Vec<usize> =
            (0..pairs.len()).filter(|&i| connected[pairs[i].0 .0] != connected[pairs[i].0 .1]).collect();
        if frontier.is_empty() {
            break;
        }
        let pick = frontier[rng.random_range(0..frontier.len())];
        let (a, b) = pairs[pick].0;
        connected[a] = true;
        connected[b] = true;
        chosen.push(pick);
    }
    if connected.iter().any(|c| !c) {
        return false;
    }
    for i in 0..pairs.len() {
        if !chosen.contains(&i) && rng.random_bool(0.15) {
            chosen.push(i);
        }
    }
    for &i in &chosen {
        let ((a, b), wall) = pairs[i];
        let narrow = plan.rooms[a].kind == RoomKind::Bathroom || plan.rooms[b].kind == RoomKind::Bathroom;
        let (w, h) = door_size(rng, narrow);
        let Some((u0, u1)) = spot(rng, &plan.walls, &occ, wall, w, t) else {
            return false;
        };
        occ.take(wall, u0, u1);
        let leaf = door_leaf(rng);
        out.push(PlanOpening { kind: crate::layout::OpeningKind::Door, id: door_id, wall: wall as u32, u0, u1, z0: 0.0, z1: h, leaf });
        door_id += 1;
    }
    // Entrance doors on exterior walls: one into the apartment (the living
    // room when it has an outside wall), one or two for a single room.
    let entrances = if n == 1 { 1 + usize::from(rng.random_bool(0.25)) } else { 1 };
    let mut ext: Vec<usize> = (0..plan.walls.len()).filter(|&i| plan.walls[i].right.is_none()).collect();
    ext.sort_by_key(|&i| (plan.rooms[plan.walls[i].left].kind == RoomKind::Bathroom, plan.walls[i].left != 0, i));
    let preferred = ext.iter().take_while(|&&i| plan.walls[i].left == plan.walls[ext[0]].left).count();
    for _ in 0..entrances {
        let (w, h) = door_size(rng, false);
        let mut placed = false;
        for _ in 0..12 {
            let pool = if preferred > 0 && rng.random_bool(0.8) { preferred } else { ext.len() };
            if pool == 0 {
                break;
            }
            let wall = ext[rng.random_range(0..pool)];
            if let Some((u0, u1)) = spot(rng, &plan.walls, &occ, wall, w, t) {
                occ.take(wall, u0, u1);
                out.push(PlanOpening {
                    kind: crate::layout::OpeningKind::Door,
                    id: door_id,
                    wall: wall as u32,
                    u0,
                    u1,
                    z0: 0.0,
                    z1: h,
                    // Closed: beyond an entrance there is no modelled
                    // space, and a camera should see a door, not a void.
                    leaf: Leaf::Closed,
                });
                door_id += 1;
                placed = true;
                break;
            }
        }
        if !placed {
            return false;
        }
    }
    // Windows on exterior walls, by room.
    let mut window_id = 0u32;
    for r in 0..n {
        let kind = plan.rooms[r].kind;
        let room_area = area(&plan.rooms[r].polygon);
        let count = match kind {
            RoomKind::Bathroom => usize::from(rng.random_bool(0.5)),
            _ => 1 + usize::from(room_area > 14.0 && rng.random_bool(0.6)) + usize::from(room_area > 26.0 && rng.random_bool(0.5)),
        };
        let walls: Vec<usize> = plan.rooms[r]
            .wall_ids
            .iter()
            .map(|&w| w as usize)
            .filter(|&w| plan.walls.get(w).is_some_and(|x| x.right.is_none()))
            .collect();
        for _ in 0..count {
            let (width, sill, h) = if kind == RoomKind::Bathroom {
                (rng.random_range(0.4..0.8), uniform(rng, BATHROOM_SILL), rng.random_range(0.4..0.8f64))
            } else {
                (uniform(rng, cfg.window_width), uniform(rng, cfg.window_sill), rng.random_range(0.8..1.7f64))
            };
            let h = h.min(plan.height - LINTEL_MIN - sill);
            if h < 0.35 || walls.is_empty() {
                continue;
            }
            for _ in 0..6 {
                let wall = walls[rng.random_range(0..walls.len())];
                if let Some((u0, u1)) = spot(rng, &plan.walls, &occ, wall, width, t) {
                    occ.take(wall, u0, u1);
                    out.push(PlanOpening {
                        kind: crate::layout::OpeningKind::Window,
                        id: window_id,
                        wall: wall as u32,
                        u0,
                        u1,
                        z0: sill,
                        z1: sill + h,
                        leaf: Leaf::None,
                    });
                    window_id += 1;
                    break;
                }
            }
        }
    }
    plan.openings = out;
    true
}

/// Samples a floor plan; `None` when this attempt's proportions failed
/// (the caller retries with the same, advanced RNG).
pub(crate) fn sample(rng: &mut ChaCha8Rng, cfg: &SceneConfig) -> Option<Plan> {
    let height = uniform(rng, cfg.height);
    let thickness = uniform(rng, cfg.wall_thickness);
    let w = &cfg.kind_weights;
    let total = w.rectangle + w.l_shape + w.t_shape + w.u_shape + w.apartment;
    let mut x = rng.random_range(0.0..total.max(1e-9));
    let mut kind = SceneKind::Apartment;
    for (k, wt) in [
        (SceneKind::Rectangle, w.rectangle),
        (SceneKind::LShape, w.l_shape),
        (SceneKind::TShape, w.t_shape),
        (SceneKind::UShape, w.u_shape),
    ] {
        if x < wt {
            kind = k;
            break;
        }
        x -= wt;
    }
    let mut rooms: Vec<(RoomKind, Vec<P2>)> = if kind == SceneKind::Apartment {
        apartment(rng, cfg)?
    } else {
        let room_kind = RoomKind::sample_single(rng, kind == SceneKind::Rectangle);
        let target =
            if room_kind == RoomKind::Bathroom { uniform(rng, cfg.bathroom_area) } else { uniform(rng, cfg.room_area) };
        vec![(room_kind, shaped_room(rng, kind, target)?)]
    };
    // A plan without a corner to cut is re-sampled rather than left
    // orthogonal, so the share of non-orthogonal scenes is the configured one.
    let non_orthogonal = rng.random_bool(cfg.non_orthogonal_probability.clamp(0.0, 1.0));
    if non_orthogonal && !chamfer(rng, &mut rooms) {
        return None;
    }
    let (rooms, walls) = wall_graph(&rooms);
    if walls.iter().any(|w| w.length() < MIN_WALL) {
        return None;
    }
    let mut plan = Plan { kind, non_orthogonal, height, thickness, rooms, walls, openings: Vec::new() };
    openings(rng, cfg, &mut plan).then_some(plan)
}

/// The inner (wall-face) polygon of a centre-line polygon with junctions:
/// every edge moved inward by `half` (half the wall thickness); vertex count
/// and edge order are kept, so edge i still belongs to the same wall.
pub(crate) fn inset(poly: &[P2], half: f64) -> Vec<P2> {
    let n = poly.len();
    (0..n)
        .map(|i| {
            let (p, c, q) = (poly[(i + n - 1) % n], poly[i], poly[(i + 1) % n]);
            let n1 = left_normal(p, c);
            let n2 = left_normal(c, q);
            let k = 1.0 + n1[0] * n2[0] + n1[1] * n2[1];
            let k = if k.abs() < 1e-9 { 1.0 } else { k };
            [c[0] + half * (n1[0] + n2[0]) / k, c[1] + half * (n1[1] + n2[1]) / k]
        })
        .collect()
}

/// Unit left normal of segment a→b.
pub(crate) fn left_normal(a: P2, b: P2) -> P2 {
    let l = dist(a, b).max(1e-12);
    [-(b[1] - a[1]) / l, (b[0] - a[0]) / l]
}

/// Drops vertices where the polygon goes straight on.
pub(crate) fn simplify(poly: &[P2]) -> Vec<P2> {
    let n = poly.len();
    (0..n)
        .filter(|&i| {
            let (p, c, q) = (poly[(i + n - 1) % n], poly[i], poly[(i + 1) % n]);
            cross2([c[0] - p[0], c[1] - p[1]], [q[0] - c[0], q[1] - c[1]]).abs() > 1e-9 * (1.0 + dist(p, c) * dist(c, q))
        })
        .map(|i| poly[i])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn shared_walls_appear_once_and_rooms_close() {
        let cfg = SceneConfig { kind_weights: super::super::scene::KindWeights::only(SceneKind::Apartment), ..Default::default() };
        for seed in 0..50 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let plan = loop {
                if let Some(p) = sample(&mut rng, &cfg) {
                    break p;
                }
            };
            let mut keys = std::collections::HashSet::new();
            for w in &plan.walls {
                let (ka, kb) = (key(w.a), key(w.b));
                assert!(keys.insert(if ka <= kb { (ka, kb) } else { (kb, ka) }), "duplicate wall");
                assert!(w.length() > 0.2);
            }
            for r in &plan.rooms {
                assert_eq!(r.polygon.len(), r.wall_ids.len());
                assert!(area2(&r.polygon) > 0.0);
                for (i, &id) in r.wall_ids.iter().enumerate() {
                    let w = &plan.walls[id as usize];
                    let (a, b) = (r.polygon[i], r.polygon[(i + 1) % r.polygon.len()]);
                    assert!((dist(a, w.a) < 1e-9 && dist(b, w.b) < 1e-9) || (dist(a, w.b) < 1e-9 && dist(b, w.a) < 1e-9));
                }
            }
            assert!(plan.openings.iter().any(|o| o.kind == OpeningKind::Door));
        }
    }

    #[test]
    fn inset_of_square_and_l() {
        let sq = [[0.0, 0.0], [4.0, 0.0], [4.0, 2.0], [4.0, 3.0], [0.0, 3.0]];
        let i = inset(&sq, 0.1);
        assert!((area(&i) - 3.8 * 2.8).abs() < 1e-9);
        assert!(dist(i[2], [3.9, 2.0]) < 1e-9, "{:?}", i[2]);
        assert!(dist(i[3], [3.9, 2.9]) < 1e-9, "{:?}", i[3]);
        assert_eq!(simplify(&sq).len(), 4);
    }
}
