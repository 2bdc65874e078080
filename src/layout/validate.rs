//! Physical validity rules. Each violation names the entity, the rule and
//! the measured amount, so a user (or the solver) can see what is wrong and
//! by how much. Tolerances are named fields of [`Tolerances`].
//!
//! The rules (see `docs/solver.md` for the reasoning behind each):
//! - walls: finite, positive sizes, unique ids; bottoms on the floor; at
//!   least [`Tolerances::min_wall_length`] long; equal heights within a room;
//!   every endpoint joined to another wall (a shared corner or a T-junction)
//!   unless [`Tolerances::allow_open`]; no crossings except at shared
//!   corners; no overlapping collinear walls; walls within
//!   [`Tolerances::frame_snap_angle`] of the dominant Manhattan frame are
//!   exactly parallel or orthogonal to it.
//! - openings: an existing host wall, in its plane, inside its extent;
//!   doors start at the floor; windows end below the wall top; no two
//!   openings overlap on one wall; sizes within the class ranges.
//! - objects: supported according to their class ([`ObjectClass::support`]);
//!   inside a room polygon (rooms are the bounded faces of the planar wall
//!   graph); no interpenetration (carpets lie under furniture and are
//!   exempt); yaw aligned to the nearest wall direction when within
//!   [`Tolerances::yaw_snap_angle`].

use super::{Layout, Object, ObjectClass, OpeningKind, Support, Wall};
use crate::geom::line::{
    angle_diff_mod, angle_of, collinear, distance_to_polygon_boundary, point_in_polygon, Segment2,
    SegmentIntersection, P2,
};
use crate::geom::polygon;
use crate::geom::stats::median;
use serde::Serialize;
use std::collections::BTreeMap;
use std::f64::consts::{FRAC_PI_2, PI};

/// Default minimum wall length: 0.2 m, the validity rule (shorter
/// pieces are model noise or slivers left by corner joining).
pub const MIN_WALL_LENGTH: f64 = 0.2;
/// Default distance within which wall endpoints count as one corner (1 cm).
pub const JOIN_TOLERANCE: f64 = 0.01;
/// Default Manhattan snapping window: walls within 5° of the dominant frame
/// must be exactly parallel / orthogonal to it.
pub const FRAME_SNAP_ANGLE: f64 = 5.0 * PI / 180.0;
/// Default object-yaw snapping window: 10° of a wall direction.
pub const YAW_SNAP_ANGLE: f64 = 10.0 * PI / 180.0;
/// What "exactly parallel" means numerically: 1 µrad (a 10 m wall then
/// deviates by 10 µm), far above float round-off and far below anything
/// visible.
pub const EXACT_ANGLE: f64 = 1e-6;

/// Tolerances of the validity rules (metres unless stated).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tolerances {
    /// Walls shorter than this (in xy) are degenerate.
    pub min_wall_length: f64,
    /// How far an opening may extend past its host wall's ends, top or bottom.
    pub opening_extent: f64,
    /// How far an opening's centre may lie off its host wall's centre line,
    /// beyond half the wall's thickness.
    pub opening_plane: f64,
    /// Wall endpoints closer than this are one corner; an endpoint this close
    /// to another wall's interior is a T-junction.
    pub join: f64,
    /// How far a wall's bottom may be off the floor (z = 0).
    pub floor: f64,
    /// How much wall heights may differ within one room.
    pub wall_height: f64,
    /// Angle (radians) within which walls must be snapped to the dominant frame.
    pub frame_snap_angle: f64,
    /// Angle (radians) below which a direction counts as exactly aligned.
    pub exact_angle: f64,
    /// Accept wall chains with open ends (a room scanned from one side).
    pub allow_open: bool,
    /// How far a door's bottom may be above the wall's base.
    pub door_floor: f64,
    /// Door width range, metres (min, max).
    pub door_width: [f64; 2],
    /// Door height range, metres.
    pub door_height: [f64; 2],
    /// Window width range, metres.
    pub window_width: [f64; 2],
    /// Window height range, metres.
    pub window_height: [f64; 2],
    /// Gap within which an object rests on the floor, an object, a wall or
    /// the ceiling.
    pub support: f64,
    /// Gap within which a wall-hung object counts as on its wall's face:
    /// mounting brackets stand off the wall, and SpatialLM writes thickness
    /// 0 (unknown), so the real face may lie a few centimetres out.
    pub wall_support: f64,
    /// How far an object's footprint may stick out of the room polygons.
    pub room: f64,
    /// Largest overlap volume between two objects, m³ (1 litre).
    pub overlap_volume: f64,
    /// Angle (radians) within which an object's yaw must equal a wall direction.
    pub yaw_snap_angle: f64,
    /// Bounded faces of the wall graph smaller than this (m²) are not rooms.
    pub min_room_area: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            min_wall_length: MIN_WALL_LENGTH,
            // 1 cm: model output quantization is coarser than this.
            opening_extent: 0.01,
            opening_plane: 0.01,
            join: JOIN_TOLERANCE,
            floor: 0.01,
            // 2 cm: below any deliberate ceiling step.
            wall_height: 0.02,
            frame_snap_angle: FRAME_SNAP_ANGLE,
            exact_angle: EXACT_ANGLE,
            allow_open: false,
            door_floor: 0.01,
            // Door ranges from the issue (0.6-2.5 m wide, 1.8-2.6 m high).
            door_width: [0.6, 2.5],
            door_height: [1.8, 2.6],
            // Windows: from a 20 cm bathroom slit to a 6 m glass front, up
            // to floor-to-ceiling height.
            window_width: [0.2, 6.0],
            window_height: [0.2, 3.0],
            support: 0.02,
            // 10 cm: a TV bracket plus half an unknown wall thickness.
            wall_support: 0.1,
            room: 0.02,
            overlap_volume: 1e-3,
            yaw_snap_angle: YAW_SNAP_ANGLE,
            // 0.5 m²: smaller closed faces are slivers, not rooms.
            min_room_area: 0.5,
        }
    }
}

/// The entity a violation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum EntityRef {
    Wall(u32),
    Door(u32),
    Window(u32),
    Object(u32),
    Layout,
}

impl std::fmt::Display for EntityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntityRef::Wall(i) => write!(f, "wall_{i}"),
            EntityRef::Door(i) => write!(f, "door_{i}"),
            EntityRef::Window(i) => write!(f, "window_{i}"),
            EntityRef::Object(i) => write!(f, "bbox_{i}"),
            EntityRef::Layout => write!(f, "layout"),
        }
    }
}

/// A validity rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A coordinate or size is NaN or infinite.
    NonFinite,
    /// Two entities of one kind share an id.
    DuplicateId,
    /// A wall is (nearly) zero length.
    ShortWall,
    /// A height, width, thickness or box size is zero or negative.
    NonPositiveSize,
    /// An opening names a wall that does not exist.
    MissingHostWall,
    /// An opening sticks out of its host wall's extent.
    OpeningOutsideWall,
    /// An opening's centre is not in its host wall's plane.
    OpeningOffWallPlane,
    /// A wall's bottom is not on the floor (amount: metres off).
    WallOffFloor,
    /// A wall's height differs from its room's (amount: metres).
    WallHeightMismatch,
    /// A wall endpoint joins no other wall (amount: metres to the nearest wall).
    OpenWallEnd,
    /// Two walls cross away from a shared corner (amount: metres from the
    /// crossing to the nearest of their endpoints).
    WallsCross,
    /// Two collinear walls overlap (amount: overlap length, metres).
    OverlappingWalls,
    /// A wall is within the snapping window of the dominant frame but not
    /// exactly on it (amount: radians off).
    OffFrame,
    /// A door does not start at the floor (amount: metres above).
    DoorOffFloor,
    /// Two openings overlap on one wall (amount: overlap along the wall, metres).
    OpeningsOverlap,
    /// An opening's width or height is outside its class range (amount:
    /// metres outside).
    OpeningSize,
    /// An object rests on nothing its class may rest on (amount: metres
    /// beyond the tolerance to the nearest allowed support).
    Unsupported,
    /// An object sticks out of every room polygon (amount: metres).
    OutsideRoom,
    /// Two objects interpenetrate (amount: overlap volume, m³).
    Interpenetration,
    /// An object's yaw is near a wall direction but not on it (amount: radians).
    YawNotAligned,
}

/// How serious a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The layout is not physically valid.
    Error,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub entity: EntityRef,
    pub rule: Rule,
    pub severity: Severity,
    /// The measured amount by which the rule is broken (metres, or the
    /// offending value), 0 where there is no amount.
    pub amount: f64,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.entity, self.message)
    }
}

fn v(entity: EntityRef, rule: Rule, amount: f64, message: String) -> Violation {
    Violation { entity, rule, severity: Severity::Error, amount, message }
}

pub(crate) fn opening_ref(kind: OpeningKind, id: u32) -> EntityRef {
    match kind {
        OpeningKind::Door => EntityRef::Door(id),
        OpeningKind::Window => EntityRef::Window(id),
    }
}

fn all_finite(xs: &[f64]) -> bool {
    xs.iter().all(|x| x.is_finite())
}

/// Whether a wall's numbers are all finite.
pub(crate) fn wall_is_finite(w: &Wall) -> bool {
    all_finite(&[w.a[0], w.a[1], w.a[2], w.b[0], w.b[1], w.b[2], w.height, w.thickness])
}

/// Whether an object's numbers are finite and its sizes positive.
pub(crate) fn object_is_sound(o: &Object) -> bool {
    all_finite(&[o.center[0], o.center[1], o.center[2], o.size[0], o.size[1], o.size[2], o.yaw])
        && o.size.iter().all(|s| *s > 0.0)
}

/// The wall's bottom centre line in the plane.
pub(crate) fn wall_segment(w: &Wall) -> Segment2 {
    Segment2::new(P2::new(w.a[0], w.a[1]), P2::new(w.b[0], w.b[1]))
}

/// The object's footprint: four corners, counter-clockwise.
pub(crate) fn footprint(o: &Object) -> [P2; 4] {
    let (s, c) = o.yaw.sin_cos();
    let (hx, hy) = (o.size[0] / 2.0, o.size[1] / 2.0);
    let corner = |x: f64, y: f64| P2::new(o.center[0] + c * x - s * y, o.center[1] + s * x + c * y);
    [corner(-hx, -hy), corner(hx, -hy), corner(hx, hy), corner(-hx, hy)]
}

/// Bottom and top z of an object's box.
pub(crate) fn z_range(o: &Object) -> (f64, f64) {
    (o.center[2] - o.size[2] / 2.0, o.center[2] + o.size[2] / 2.0)
}

/// Volume shared by two objects' boxes, m³.
pub(crate) fn overlap_volume(a: &Object, b: &Object) -> f64 {
    let (a0, a1) = z_range(a);
    let (b0, b1) = z_range(b);
    let dz = a1.min(b1) - a0.max(b0);
    if dz <= 0.0 {
        return 0.0;
    }
    let (fa, fb) = (footprint(a), footprint(b));
    // Cheap reject on circumscribed circles.
    let (ra, rb) = ((fa[0] - fa[2]).norm() / 2.0, (fb[0] - fb[2]).norm() / 2.0);
    if (P2::new(a.center[0], a.center[1]) - P2::new(b.center[0], b.center[1])).norm() >= ra + rb {
        return 0.0;
    }
    polygon::convex_intersection_area(&fa.map(|p| [p.x, p.y]), &fb.map(|p| [p.x, p.y])) * dz
}

/// Whether two objects' overlap is exempt from the interpenetration rule:
/// carpets lie under furniture.
pub(crate) fn overlap_exempt(a: &Object, b: &Object) -> bool {
    a.class == ObjectClass::Carpet || b.class == ObjectClass::Carpet
}

/// Where an object of this class may rest, as the validator and the solver
/// read [`ObjectClass::support`].
pub(crate) fn support_of(class: &ObjectClass) -> Support {
    class.support()
}

/// The dominant Manhattan frame of a set of directions: an angle in
/// [0, π/2). `dirs` are `(angle, weight)` pairs (weights are wall lengths).
/// The candidate direction with the largest weight within `window` wins,
/// then the frame is the weighted median (period π/2) of the directions
/// within `window` of it, so when most of the length is exactly aligned the
/// frame is that direction to round-off. Deterministic; `None` when empty.
pub fn dominant_frame(dirs: &[(f64, f64)], window: f64) -> Option<f64> {
    let mut best: Option<(f64, usize)> = None;
    for (i, (ai, _)) in dirs.iter().enumerate() {
        let score: f64 =
            dirs.iter().filter(|(aj, _)| angle_diff_mod(*aj, *ai, FRAC_PI_2) <= window).map(|(_, w)| w).sum();
        if best.is_none_or(|(s, _)| score > s + 1e-12) {
            best = Some((score, i));
        }
    }
    let (_, i) = best?;
    let anchor = dirs[i].0;
    // Weighted median of the inliers' offsets from the anchor (wrapped into
    // ±π/4): robust to a few skewed walls, and exact when most of the
    // weight is on one direction (no trigonometric round trip).
    let mut offs: Vec<(f64, f64)> = dirs
        .iter()
        .map(|(a, w)| (crate::geom::line::signed_angle_diff_mod(*a, anchor, FRAC_PI_2), *w))
        .filter(|(d, _)| d.abs() <= window)
        .collect();
    offs.sort_by(|x, y| x.0.total_cmp(&y.0));
    let total: f64 = offs.iter().map(|x| x.1).sum();
    let mut acc = 0.0;
    let mut med = 0.0;
    for (d, w) in &offs {
        acc += w;
        med = *d;
        if acc >= total / 2.0 {
            break;
        }
    }
    Some((anchor + med).rem_euclid(FRAC_PI_2))
}

/// A room: a bounded face of the planar wall graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    /// Corners, counter-clockwise.
    pub polygon: Vec<P2>,
    /// Ids of the walls on its boundary, ascending.
    pub walls: Vec<u32>,
    /// Area, m².
    pub area: f64,
}

impl Room {
    /// Whether `p` is inside the room.
    pub fn contains(&self, p: &P2) -> bool {
        point_in_polygon(p, &self.polygon)
    }
}

/// Rooms of a layout: the bounded faces of the planar graph formed by the
/// walls' centre lines (endpoints within `tol.join` merged, walls split at
/// T-junctions and crossings, dangling chains pruned), at least
/// `tol.min_room_area` large. Walls shared by two rooms appear in both.
pub fn rooms(layout: &Layout, tol: &Tolerances) -> Vec<Room> {
    let walls: Vec<(u32, Segment2)> = layout
        .walls
        .iter()
        .filter(|w| all_finite(&[w.a[0], w.a[1], w.b[0], w.b[1]]) && w.length_xy() > tol.join)
        .map(|w| (w.id, wall_segment(w)))
        .collect();
    // Vertices: endpoints merged within tol.join, then crossing points.
    let mut verts: Vec<P2> = Vec::new();
    let vertex_at = |p: P2, verts: &mut Vec<P2>| -> usize {
        match verts.iter().position(|q| (q - p).norm() <= tol.join) {
            Some(i) => i,
            None => {
                verts.push(p);
                verts.len() - 1
            }
        }
    };
    for (_, s) in &walls {
        vertex_at(s.a, &mut verts);
        vertex_at(s.b, &mut verts);
    }
    for i in 0..walls.len() {
        for j in i + 1..walls.len() {
            if let SegmentIntersection::Point { p, .. } = walls[i].1.intersect(&walls[j].1, tol.join) {
                vertex_at(p, &mut verts);
            }
        }
    }
    // Edges: each wall split at every vertex on it.
    let mut edges: BTreeMap<(usize, usize), u32> = BTreeMap::new();
    for (id, s) in &walls {
        let mut on: Vec<(f64, usize)> = verts
            .iter()
            .enumerate()
            .filter(|(_, p)| s.distance(p) <= tol.join)
            .map(|(k, p)| (s.project_param(p), k))
            .collect();
        on.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        for pair in on.windows(2) {
            let (u, w) = (pair[0].1, pair[1].1);
            if u != w {
                edges.entry((u.min(w), u.max(w))).or_insert(*id);
            }
        }
    }
    // Prune dangling chains.
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); verts.len()];
    for &(u, w) in edges.keys() {
        adj[u].push(w);
        adj[w].push(u);
    }
    loop {
        let dangling: Vec<(usize, usize)> =
            edges.keys().copied().filter(|&(u, w)| adj[u].len() < 2 || adj[w].len() < 2).collect();
        if dangling.is_empty() {
            break;
        }
        for (u, w) in dangling {
            edges.remove(&(u, w));
            adj[u].retain(|&x| x != w);
            adj[w].retain(|&x| x != u);
        }
    }
    // Outgoing half-edges at each vertex sorted by angle.
    for (k, list) in adj.iter_mut().enumerate() {
        let p = verts[k];
        list.sort_by(|&x, &y| angle_of(&(verts[x] - p)).total_cmp(&angle_of(&(verts[y] - p))).then(x.cmp(&y)));
    }
    // Trace faces keeping the face on the left: at each vertex turn to the
    // next outgoing edge clockwise from the edge we came along.
    let mut used: std::collections::BTreeSet<(usize, usize)> = Default::default();
    let mut out = Vec::new();
    for &(u0, w0) in edges.keys() {
        for (s, t) in [(u0, w0), (w0, u0)] {
            if used.contains(&(s, t)) {
                continue;
            }
            let (mut a, mut b) = (s, t);
            let mut poly = Vec::new();
            let mut ids = Vec::new();
            let mut guard = 0;
            while used.insert((a, b)) && guard <= 2 * edges.len() + 2 {
                guard += 1;
                poly.push(verts[a]);
                if let Some(id) = edges.get(&(a.min(b), a.max(b))) {
                    ids.push(*id);
                }
                let list = &adj[b];
                let Some(pos) = list.iter().position(|&x| x == a) else { break };
                let next = list[(pos + list.len() - 1) % list.len()];
                a = b;
                b = next;
            }
            let area = polygon::signed_area(&poly.iter().map(|p| [p.x, p.y]).collect::<Vec<_>>());
            if area >= tol.min_room_area {
                ids.sort_unstable();
                ids.dedup();
                out.push(Room { polygon: poly, walls: ids, area });
            }
        }
    }
    out
}

/// Ceiling height over a point: the tallest wall of the room containing
/// it, else the tallest wall of the layout; `None` without walls.
pub(crate) fn ceiling_at(layout: &Layout, rooms: &[Room], p: &P2) -> Option<f64> {
    let tallest = |ids: &mut dyn Iterator<Item = f64>| ids.filter(|h| h.is_finite()).fold(None, |m: Option<f64>, h| Some(m.map_or(h, |m| m.max(h))));
    if let Some(room) = rooms.iter().find(|r| r.contains(p)) {
        let h = tallest(&mut room.walls.iter().filter_map(|id| layout.wall(*id)).map(|w| w.height));
        if h.is_some() {
            return h;
        }
    }
    tallest(&mut layout.walls.iter().map(|w| w.height))
}

/// How an object is held up, as measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SupportGaps {
    /// |bottom| (distance of the bottom from the floor).
    pub floor: f64,
    /// Smallest |bottom - top of S| over objects S under the object's centre.
    pub object: f64,
    /// Smallest gap between the footprint and a wall's face (walls spanning
    /// the object's height), `INFINITY` without walls.
    pub wall: f64,
    /// |top - ceiling|, `None` when the ceiling height is unknown.
    pub ceiling: Option<f64>,
}

pub(crate) fn support_gaps(layout: &Layout, rooms: &[Room], idx: usize, tol: &Tolerances) -> SupportGaps {
    let o = &layout.objects[idx];
    let (bottom, top) = z_range(o);
    let c = P2::new(o.center[0], o.center[1]);
    let mut object = f64::INFINITY;
    for (j, s) in layout.objects.iter().enumerate() {
        if j == idx || !object_is_sound(s) {
            continue;
        }
        let fp = footprint(s);
        if point_in_polygon(&c, &fp) || distance_to_polygon_boundary(&c, &fp) <= tol.support {
            object = object.min((bottom - z_range(s).1).abs());
        }
    }
    let fp = footprint(o);
    let mut wall = f64::INFINITY;
    for w in &layout.walls {
        if !wall_is_finite(w) || w.length_xy() <= tol.join {
            continue;
        }
        let base = w.a[2].min(w.b[2]);
        if bottom < base - tol.support || top > base + w.height + tol.support {
            continue;
        }
        let seg = wall_segment(w);
        let d = (0..4)
            .map(|k| seg.distance_to_segment(&Segment2::new(fp[k], fp[(k + 1) % 4])))
            .fold(f64::INFINITY, f64::min);
        wall = wall.min((d - w.thickness.max(0.0) / 2.0).max(0.0));
    }
    let ceiling = ceiling_at(layout, rooms, &c).map(|h| (top - h).abs());
    SupportGaps { floor: bottom.abs(), object, wall, ceiling }
}

/// The gap to the nearest support the class allows; `None` when the rule
/// cannot be checked (a wall or ceiling class in a layout without walls).
/// Gaps are measured beyond their tolerance (`support`, or `wall_support`
/// for walls), so the result is positive exactly when the rule is broken.
pub(crate) fn support_excess(class: &ObjectClass, g: &SupportGaps, has_walls: bool, tol: &Tolerances) -> Option<f64> {
    let rest = (g.floor.min(g.object) - tol.support).max(0.0);
    let wall = (g.wall - tol.wall_support).max(0.0);
    let ceiling = g.ceiling.map(|c| (c - tol.support).max(0.0));
    match support_of(class) {
        Support::Floor => Some(rest),
        Support::Wall => has_walls.then_some(wall.min(rest)),
        Support::Ceiling => ceiling,
        Support::Any => Some(rest.min(wall).min(ceiling.unwrap_or(f64::INFINITY))),
    }
}

/// How far a footprint sticks out of the union of rooms (0 when inside).
pub(crate) fn outside_rooms(fp: &[P2], rooms: &[Room]) -> f64 {
    fp.iter()
        .map(|p| {
            if rooms.iter().any(|r| r.contains(p)) {
                0.0
            } else {
                rooms.iter().map(|r| distance_to_polygon_boundary(p, &r.polygon)).fold(f64::INFINITY, f64::min)
            }
        })
        .fold(0.0, f64::max)
}

pub(super) fn validate(layout: &Layout, tol: &Tolerances) -> Vec<Violation> {
    let mut out = Vec::new();

    // ---- walls: per-entity checks --------------------------------------
    let mut seen = std::collections::HashSet::new();
    let mut good_walls: Vec<&Wall> = Vec::new();
    for w in &layout.walls {
        let e = EntityRef::Wall(w.id);
        if !seen.insert(w.id) {
            out.push(v(e, Rule::DuplicateId, 0.0, format!("wall id {} is used more than once", w.id)));
        }
        if all_finite(&[w.a[0], w.a[1], w.b[0], w.b[1]]) && w.length_xy() > tol.join {
            // Topology (joins, crossings, rooms) needs only the footprint.
            good_walls.push(w);
        }
        if !wall_is_finite(w) {
            out.push(v(e, Rule::NonFinite, 0.0, "has a NaN or infinite value".into()));
            continue;
        }
        let len = w.length_xy();
        if len < tol.min_wall_length {
            out.push(v(e, Rule::ShortWall, len, format!("is {len:.4} m long (minimum {} m)", tol.min_wall_length)));
        }
        if w.height <= 0.0 {
            out.push(v(e, Rule::NonPositiveSize, w.height, format!("height {} m is not positive", w.height)));
        }
        if w.thickness < 0.0 {
            out.push(v(e, Rule::NonPositiveSize, w.thickness, format!("thickness {} m is negative", w.thickness)));
        }
        let off = w.a[2].abs().max(w.b[2].abs());
        if off > tol.floor {
            out.push(v(e, Rule::WallOffFloor, off, format!("bottom is {off:.3} m off the floor")));
        }
    }

    let segs: Vec<Segment2> = good_walls.iter().map(|w| wall_segment(w)).collect();
    if !tol.allow_open {
        for (i, w) in good_walls.iter().enumerate() {
            for (end, p) in [("a", segs[i].a), ("b", segs[i].b)] {
                let nearest = segs
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, s)| s.distance(&p))
                    .fold(f64::INFINITY, f64::min);
                if nearest > tol.join {
                    let msg = if nearest.is_finite() {
                        format!("end {end} joins no other wall (nearest is {nearest:.3} m away)")
                    } else {
                        format!("end {end} joins no other wall (it is the only wall)")
                    };
                    out.push(v(EntityRef::Wall(w.id), Rule::OpenWallEnd, nearest.min(f64::MAX), msg));
                }
            }
        }
    }
    let parallel = tol.join.max(1e-9);
    for i in 0..good_walls.len() {
        for j in i + 1..good_walls.len() {
            let (s, o) = (&segs[i], &segs[j]);
            if collinear(s, o, tol.exact_angle.max(1e-4), tol.join) {
                if let SegmentIntersection::Overlap { overlap } = s.intersect(o, parallel) {
                    if overlap > tol.join {
                        out.push(v(
                            EntityRef::Wall(good_walls[j].id),
                            Rule::OverlappingWalls,
                            overlap,
                            format!("overlaps collinear wall_{} over {overlap:.3} m", good_walls[i].id),
                        ));
                    }
                }
                continue;
            }
            if let SegmentIntersection::Point { p, .. } = s.intersect(o, 0.0) {
                let d = [s.a, s.b, o.a, o.b].iter().map(|q| (q - p).norm()).fold(f64::INFINITY, f64::min);
                // An endpoint on the other wall is a corner or a T-junction.
                let t_junction = [s.a, s.b].iter().any(|q| o.distance(q) <= tol.join)
                    || [o.a, o.b].iter().any(|q| s.distance(q) <= tol.join);
                if d > tol.join && !t_junction {
                    out.push(v(
                        EntityRef::Wall(good_walls[j].id),
                        Rule::WallsCross,
                        d,
                        format!("crosses wall_{} {d:.3} m from the nearest wall end", good_walls[i].id),
                    ));
                }
            }
        }
    }
    let dirs: Vec<(f64, f64)> = segs.iter().map(|s| (angle_of(&(s.b - s.a)), s.length())).collect();
    if let Some(frame) = dominant_frame(&dirs, tol.frame_snap_angle) {
        for (k, (a, _)) in dirs.iter().enumerate() {
            let d = angle_diff_mod(*a, frame, FRAC_PI_2);
            if d > tol.exact_angle && d <= tol.frame_snap_angle {
                out.push(v(
                    EntityRef::Wall(good_walls[k].id),
                    Rule::OffFrame,
                    d,
                    format!(
                        "is {:.3}° off the dominant frame ({:.3}°) but within the {:.1}° snapping window",
                        d.to_degrees(),
                        frame.to_degrees(),
                        tol.frame_snap_angle.to_degrees()
                    ),
                ));
            }
        }
    }
    let room_list = rooms(layout, tol);
    let mut height_flagged = std::collections::BTreeSet::new();
    for room in &room_list {
        let hs: Vec<(u32, f64)> =
            room.walls.iter().filter_map(|id| layout.wall(*id)).filter(|w| w.height.is_finite()).map(|w| (w.id, w.height)).collect();
        let mut only: Vec<f64> = hs.iter().map(|x| x.1).collect();
        let Some(med) = median(&mut only) else { continue };
        for (id, h) in hs {
            let d = (h - med).abs();
            if d > tol.wall_height && height_flagged.insert(id) {
                out.push(v(
                    EntityRef::Wall(id),
                    Rule::WallHeightMismatch,
                    d,
                    format!("height {h:.3} m differs from its room's {med:.3} m"),
                ));
            }
        }
    }

    // ---- openings ------------------------------------------------------
    let mut seen = std::collections::HashSet::new();
    // (host wall id, along-interval, z-interval, entity) of placed openings.
    let mut placed: Vec<(u32, f64, f64, f64, f64, EntityRef)> = Vec::new();
    for o in &layout.openings {
        let e = opening_ref(o.kind, o.id);
        if !seen.insert((o.kind, o.id)) {
            out.push(v(e, Rule::DuplicateId, 0.0, format!("{} id {} is used more than once", o.kind.name(), o.id)));
        }
        if !all_finite(&[o.center[0], o.center[1], o.center[2], o.width, o.height]) {
            out.push(v(e, Rule::NonFinite, 0.0, "has a NaN or infinite value".into()));
            continue;
        }
        let mut sized = true;
        for (name, x) in [("width", o.width), ("height", o.height)] {
            if x <= 0.0 {
                out.push(v(e, Rule::NonPositiveSize, x, format!("{name} {x} m is not positive")));
                sized = false;
            }
        }
        if sized {
            let (wr, hr) = match o.kind {
                OpeningKind::Door => (tol.door_width, tol.door_height),
                OpeningKind::Window => (tol.window_width, tol.window_height),
            };
            for (name, x, r) in [("width", o.width, wr), ("height", o.height, hr)] {
                let ex = (r[0] - x).max(x - r[1]);
                if ex > 0.0 {
                    out.push(v(
                        e,
                        Rule::OpeningSize,
                        ex,
                        format!("{name} {x:.3} m is outside the {} range {}-{} m", o.kind.name(), r[0], r[1]),
                    ));
                }
            }
        }
        let Some(w) = layout.wall(o.wall) else {
            out.push(v(e, Rule::MissingHostWall, 0.0, format!("host wall_{} does not exist", o.wall)));
            continue;
        };
        let Some(d) = w.direction_xy() else { continue };
        if !all_finite(&[w.a[0], w.a[1], w.a[2], w.b[0], w.b[1], w.b[2], w.height]) {
            continue;
        }
        let rel = [o.center[0] - w.a[0], o.center[1] - w.a[1]];
        let along = rel[0] * d[0] + rel[1] * d[1];
        let across = (rel[0] * -d[1] + rel[1] * d[0]).abs();
        let plane_excess = across - (w.thickness / 2.0).max(0.0);
        if plane_excess > tol.opening_plane {
            out.push(v(
                e,
                Rule::OpeningOffWallPlane,
                plane_excess,
                format!("centre is {across:.3} m off the plane of wall_{}", w.id),
            ));
        }
        let len = w.length_xy();
        let base = w.a[2].min(w.b[2]);
        let excess = [
            -(along - o.width / 2.0),
            along + o.width / 2.0 - len,
            base - (o.center[2] - o.height / 2.0),
            o.center[2] + o.height / 2.0 - (base + w.height),
        ]
        .into_iter()
        .fold(0.0f64, f64::max);
        if excess > tol.opening_extent {
            out.push(v(
                e,
                Rule::OpeningOutsideWall,
                excess,
                format!("sticks out of wall_{} by {excess:.3} m", w.id),
            ));
        }
        if o.kind == OpeningKind::Door {
            let above = o.center[2] - o.height / 2.0 - base;
            if above > tol.door_floor {
                out.push(v(e, Rule::DoorOffFloor, above, format!("bottom is {above:.3} m above the floor")));
            }
        }
        let (lo, hi) = (along - o.width / 2.0, along + o.width / 2.0);
        let (zlo, zhi) = (o.center[2] - o.height / 2.0, o.center[2] + o.height / 2.0);
        for (host, plo, phi, pzlo, pzhi, pe) in &placed {
            if *host != w.id {
                continue;
            }
            let ov = hi.min(*phi) - lo.max(*plo);
            let zov = zhi.min(*pzhi) - zlo.max(*pzlo);
            if ov > tol.opening_extent && zov > tol.opening_extent {
                out.push(v(e, Rule::OpeningsOverlap, ov, format!("overlaps {pe} on wall_{} by {ov:.3} m", w.id)));
            }
        }
        placed.push((w.id, lo, hi, zlo, zhi, e));
    }

    // ---- objects -------------------------------------------------------
    let mut seen = std::collections::HashSet::new();
    let mut sound = vec![false; layout.objects.len()];
    for (k, o) in layout.objects.iter().enumerate() {
        let e = EntityRef::Object(o.id);
        if !seen.insert(o.id) {
            out.push(v(e, Rule::DuplicateId, 0.0, format!("object id {} is used more than once", o.id)));
        }
        if !all_finite(&[o.center[0], o.center[1], o.center[2], o.size[0], o.size[1], o.size[2], o.yaw]) {
            out.push(v(e, Rule::NonFinite, 0.0, "has a NaN or infinite value".into()));
            continue;
        }
        for (axis, s) in ["x", "y", "z"].iter().zip(o.size) {
            if s <= 0.0 {
                out.push(v(e, Rule::NonPositiveSize, s, format!("size along {axis} {s} m is not positive")));
            }
        }
        sound[k] = object_is_sound(o);
    }
    let has_walls = !good_walls.is_empty();
    let wall_dirs: Vec<f64> = dirs.iter().map(|d| d.0).collect();
    for (k, o) in layout.objects.iter().enumerate() {
        if !sound[k] {
            continue;
        }
        let e = EntityRef::Object(o.id);
        let gaps = support_gaps(layout, &room_list, k, tol);
        if let Some(ex) = support_excess(&o.class, &gaps, has_walls, tol) {
            if ex > 0.0 {
                let want = match support_of(&o.class) {
                    Support::Floor => "the floor or another object",
                    Support::Wall => "a wall or another object",
                    Support::Ceiling => "the ceiling",
                    Support::Any => "the floor, an object, a wall or the ceiling",
                };
                out.push(v(e, Rule::Unsupported, ex, format!("{} is {ex:.3} m too far from {want}", o.class)));
            }
        }
        if !room_list.is_empty() {
            let ex = outside_rooms(&footprint(o), &room_list);
            if ex > tol.room {
                out.push(v(e, Rule::OutsideRoom, ex, format!("sticks {ex:.3} m out of the rooms")));
            }
        }
        if let Some(d) = wall_dirs.iter().map(|a| angle_diff_mod(o.yaw, *a, FRAC_PI_2)).min_by(f64::total_cmp) {
            if d > tol.exact_angle && d <= tol.yaw_snap_angle {
                out.push(v(
                    e,
                    Rule::YawNotAligned,
                    d,
                    format!("yaw is {:.3}° off a wall direction (within {:.1}°)", d.to_degrees(), tol.yaw_snap_angle.to_degrees()),
                ));
            }
        }
        for (j, p) in layout.objects.iter().enumerate().take(k) {
            if !sound[j] || p.id == o.id || overlap_exempt(o, p) {
                continue;
            }
            let vol = overlap_volume(o, p);
            if vol > tol.overlap_volume {
                out.push(v(e, Rule::Interpenetration, vol, format!("overlaps bbox_{} by {:.4} m³", p.id, vol)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{dominant_frame, rooms};
    use crate::layout::*;

    fn wall(id: u32, a: [f64; 2], b: [f64; 2]) -> Wall {
        Wall { id, a: [a[0], a[1], 0.0], b: [b[0], b[1], 0.0], height: 2.8, thickness: 0.1 }
    }

    /// A closed 4 m x 3 m room with a door on wall 0 and a bed.
    fn room() -> Layout {
        let mut l = Layout::new();
        l.walls.push(wall(0, [0.0, 0.0], [4.0, 0.0]));
        l.walls.push(wall(1, [4.0, 0.0], [4.0, 3.0]));
        l.walls.push(wall(2, [4.0, 3.0], [0.0, 3.0]));
        l.walls.push(wall(3, [0.0, 3.0], [0.0, 0.0]));
        l.openings.push(Opening { id: 0, kind: OpeningKind::Door, wall: 0, center: [2.0, 0.0, 1.0], width: 0.9, height: 2.0 });
        l.objects.push(Object { id: 0, class: ObjectClass::Bed, center: [1.2, 1.0, 0.3], size: [2.0, 1.6, 0.6], yaw: 0.0 });
        l
    }

    /// Two rooms side by side sharing wall 1 (split walls, T-free), plus a
    /// third room below both whose top wall is one long wall (T-junction).
    fn apartment() -> Layout {
        let mut l = Layout::new();
        l.walls.push(wall(0, [0.0, 0.0], [4.0, 0.0]));
        l.walls.push(wall(1, [4.0, 0.0], [4.0, 3.0]));
        l.walls.push(wall(2, [4.0, 3.0], [0.0, 3.0]));
        l.walls.push(wall(3, [0.0, 3.0], [0.0, 0.0]));
        l.walls.push(wall(4, [4.0, 0.0], [7.0, 0.0]));
        l.walls.push(wall(5, [7.0, 0.0], [7.0, 3.0]));
        l.walls.push(wall(6, [7.0, 3.0], [4.0, 3.0]));
        l.walls.push(wall(7, [0.0, 0.0], [0.0, -2.0]));
        l.walls.push(wall(8, [0.0, -2.0], [7.0, -2.0]));
        l.walls.push(wall(9, [7.0, -2.0], [7.0, 0.0]));
        l
    }

    fn rules(l: &Layout) -> Vec<Rule> {
        l.validate().iter().map(|v| v.rule).collect()
    }

    #[test]
    fn valid_room_has_no_violations() {
        assert!(room().validate().is_empty(), "{:?}", room().validate());
        assert!(apartment().validate().is_empty(), "{:?}", apartment().validate());
    }

    #[test]
    fn each_rule_fires() {
        let mut l = room();
        l.walls[0].b = [0.0, 0.0, 0.0];
        assert!(rules(&l).contains(&Rule::ShortWall));
        let mut l = room();
        l.walls[0].height = f64::NAN;
        assert_eq!(rules(&l), vec![Rule::NonFinite]);
        let mut l = room();
        l.objects[0].size[2] = 0.0;
        assert_eq!(rules(&l), vec![Rule::NonPositiveSize]);
        let mut l = room();
        l.openings[0].wall = 7;
        assert_eq!(rules(&l), vec![Rule::MissingHostWall]);
        let mut l = room();
        l.openings[0].center[0] = 3.8;
        let vs = l.validate();
        assert_eq!(vs.len(), 1);
        assert_eq!(vs[0].rule, Rule::OpeningOutsideWall);
        assert!((vs[0].amount - 0.25).abs() < 1e-9);
        let mut l = room();
        l.openings[0].center[1] = 0.5;
        assert_eq!(rules(&l), vec![Rule::OpeningOffWallPlane]);
        let mut l = room();
        l.objects.push(l.objects[0].clone());
        assert_eq!(rules(&l), vec![Rule::DuplicateId]);
    }

    #[test]
    fn wall_rules_fire_with_amounts() {
        let one = |l: &Layout, r: Rule| -> f64 {
            let vs: Vec<_> = l.validate().into_iter().filter(|v| v.rule == r).collect();
            assert!(!vs.is_empty(), "{r:?} did not fire: {:?}", l.validate());
            vs[0].amount
        };
        let mut l = room();
        l.walls[1].a[2] = 0.05;
        assert!((one(&l, Rule::WallOffFloor) - 0.05).abs() < 1e-9);
        let mut l = room();
        l.walls[2].height = 2.5;
        assert!((one(&l, Rule::WallHeightMismatch) - 0.3).abs() < 1e-9);
        let mut l = room();
        l.walls[0].b = [3.9, 0.0, 0.0];
        assert!((one(&l, Rule::OpenWallEnd) - 0.1).abs() < 1e-9);
        let t = Tolerances { allow_open: true, ..Default::default() };
        assert!(!l.validate_with(&t).iter().any(|v| v.rule == Rule::OpenWallEnd));
        // An overshooting corner is an open end, not a crossing.
        let mut l = room();
        l.walls[0].a = [-0.5, 0.0, 0.0];
        assert!((one(&l, Rule::OpenWallEnd) - 0.5).abs() < 1e-9);
        assert!(!rules(&l).contains(&Rule::WallsCross));
        let mut l = room();
        l.walls.push(wall(4, [1.0, -1.0], [1.0, 1.0]));
        assert!((one(&l, Rule::WallsCross) - 1.0).abs() < 1e-9);
        let mut l = room();
        l.walls.push(wall(4, [1.0, 0.0], [2.5, 0.0]));
        assert!((one(&l, Rule::OverlappingWalls) - 1.5).abs() < 1e-9);
        let mut l = room();
        l.walls[1].b = [4.1, 3.0, 0.0];
        l.walls[2].a = [4.1, 3.0, 0.0];
        assert!((one(&l, Rule::OffFrame) - (0.1f64 / 3.0).atan()).abs() < 1e-3);
        // A wall far outside the window is left alone.
        let mut l = room();
        l.walls[1].b = [5.0, 3.0, 0.0];
        l.walls[2].a = [5.0, 3.0, 0.0];
        assert!(!rules(&l).contains(&Rule::OffFrame), "{:?}", l.validate());
    }

    #[test]
    fn opening_rules_fire_with_amounts() {
        let mut l = room();
        l.openings[0].center[2] = 1.2;
        assert!(rules(&l).contains(&Rule::DoorOffFloor));
        let mut l = room();
        l.openings[0].width = 3.0;
        assert_eq!(rules(&l), vec![Rule::OpeningSize]);
        let mut l = room();
        l.openings.push(Opening { id: 0, kind: OpeningKind::Window, wall: 0, center: [2.5, 0.0, 1.5], width: 1.0, height: 1.0 });
        let vs = l.validate();
        assert_eq!(vs.len(), 1, "{vs:?}");
        assert_eq!(vs[0].rule, Rule::OpeningsOverlap);
        assert!((vs[0].amount - 0.45).abs() < 1e-9);
        // A window above a door does not overlap it.
        let mut l = room();
        l.walls.iter_mut().for_each(|w| w.height = 4.0);
        l.openings.push(Opening { id: 0, kind: OpeningKind::Window, wall: 0, center: [2.0, 0.0, 2.8], width: 1.0, height: 1.0 });
        assert!(l.validate().is_empty(), "{:?}", l.validate());
    }

    #[test]
    fn object_rules_fire_with_amounts() {
        let mut l = room();
        l.objects[0].center[2] = 0.5;
        let vs = l.validate();
        assert_eq!(vs.len(), 1);
        assert_eq!(vs[0].rule, Rule::Unsupported);
        assert!((vs[0].amount - 0.18).abs() < 1e-9);
        // A nightstand on the bed is supported.
        let mut l = room();
        l.objects.push(Object { id: 1, class: ObjectClass::Pillow, center: [0.5, 1.0, 0.65], size: [0.4, 0.6, 0.1], yaw: 0.0 });
        assert!(l.validate().is_empty(), "{:?}", l.validate());
        // A painting must hang on a wall.
        let mut l = room();
        l.objects.push(Object { id: 1, class: ObjectClass::Painting, center: [2.0, 2.925, 1.5], size: [1.0, 0.05, 0.6], yaw: 0.0 });
        assert!(l.validate().is_empty(), "{:?}", l.validate());
        l.objects[1].center[1] = 2.85;
        assert!(l.validate().is_empty(), "bracket-mounted: {:?}", l.validate());
        l.objects[1].center[1] = 2.5;
        assert!(rules(&l).contains(&Rule::Unsupported));
        // A chandelier hangs from the ceiling.
        let mut l = room();
        l.objects.push(Object { id: 1, class: ObjectClass::Chandelier, center: [2.0, 1.5, 2.6], size: [0.5, 0.5, 0.4], yaw: 0.0 });
        assert!(l.validate().is_empty(), "{:?}", l.validate());
        let mut l = room();
        l.objects[0].center[0] = 3.5;
        let vs = l.validate();
        assert_eq!(vs.len(), 1);
        assert_eq!(vs[0].rule, Rule::OutsideRoom);
        assert!((vs[0].amount - 0.5).abs() < 1e-9);
        let mut l = room();
        l.objects.push(Object { id: 1, class: ObjectClass::Nightstand, center: [2.35, 1.0, 0.25], size: [0.5, 0.5, 0.5], yaw: 0.0 });
        let vs = l.validate();
        assert_eq!(vs.len(), 1, "{vs:?}");
        assert_eq!(vs[0].rule, Rule::Interpenetration);
        assert!((vs[0].amount - 0.1 * 0.5 * 0.5).abs() < 1e-9);
        // Carpets lie under furniture.
        let mut l = room();
        l.objects.push(Object { id: 1, class: ObjectClass::Carpet, center: [2.0, 1.5, 0.005], size: [3.0, 2.0, 0.01], yaw: 0.0 });
        assert!(l.validate().is_empty(), "{:?}", l.validate());
        let mut l = room();
        l.objects[0].yaw = 0.05;
        let vs = l.validate();
        assert_eq!(vs.len(), 1, "{vs:?}");
        assert_eq!(vs[0].rule, Rule::YawNotAligned);
        assert!((vs[0].amount - 0.05).abs() < 1e-9);
        l.objects[0].yaw = std::f64::consts::FRAC_PI_2;
        l.objects[0].size = [1.6, 2.0, 0.6];
        assert!(l.validate().is_empty(), "{:?}", l.validate());
    }

    #[test]
    fn rooms_are_faces_of_the_wall_graph() {
        let rs = rooms(&apartment(), &Tolerances::default());
        let mut areas: Vec<f64> = rs.iter().map(|r| r.area).collect();
        areas.sort_by(f64::total_cmp);
        assert_eq!(areas.len(), 3, "{rs:?}");
        for (a, want) in areas.iter().zip([9.0, 12.0, 14.0]) {
            assert!((a - want).abs() < 1e-9, "{areas:?}");
        }
        // The shared wall borders two rooms.
        assert_eq!(rs.iter().filter(|r| r.walls.contains(&1)).count(), 2);
        // An open chain has no room.
        let mut l = room();
        l.walls.pop();
        assert!(rooms(&l, &Tolerances::default()).is_empty());
    }

    #[test]
    fn frame_of_exact_walls_is_exact() {
        let a = 0.3f64;
        let dirs = [(a, 4.0), (a + std::f64::consts::FRAC_PI_2, 3.0), (a + std::f64::consts::PI, 4.0), (1.0, 0.5)];
        let f = dominant_frame(&dirs, 5f64.to_radians()).unwrap();
        assert!((f - a).abs() < 1e-15, "{f}");
        assert!(dominant_frame(&[], 0.1).is_none());
    }
}
