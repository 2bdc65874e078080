//! Furniture placement by room-type rules: anchors against walls (beds with
//! nightstands, sofas facing a tv, kitchen counter runs, desks with chairs),
//! tables with chairs around them, wall items on walls, chandeliers on the
//! ceiling, carpets on the floor (furniture fully on a carpet stands on it),
//! curtains at windows, and unlabelled clutter.
//!
//! Every item is a yaw-rotated box checked against the room's wall faces,
//! the door clearance zones (nothing blocks a door), the window zones and
//! every other item (no interpenetration, a small gap). Knows nothing of
//! meshes: shapes are built later from the boxes.

use super::plan::{self, Plan, P2};
use super::scene::{RoomKind, SceneConfig};
use crate::layout::{ObjectClass, OpeningKind};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::f64::consts::{FRAC_PI_2, PI};

/// Gap kept between any two items (m); the validity rules allow touching,
/// the gap keeps float noise from reading as interpenetration.
const ITEM_GAP: f64 = 0.02;
/// Gap between furniture and the wall face behind it (m).
const WALL_GAP: f64 = 0.02;
/// Gap between a wall-hung item and the wall face (m).
const HANG_GAP: f64 = 0.005;
/// Depth of the clearance zone in front of a door, at least (m); wider
/// doors get their leaf width plus a little.
const DOOR_ZONE_DEPTH: f64 = 1.0;
/// Extra width of a door zone on each side of the opening (m).
const DOOR_ZONE_SIDE: f64 = 0.1;
/// Depth of the zone in front of a window that tall furniture avoids (m).
const WINDOW_ZONE_DEPTH: f64 = 0.35;
/// Placement attempts per item.
const TRIES: usize = 24;
/// Highest a ceiling item hangs down to, at least this far above the floor (m).
const HEADROOM: f64 = 2.0;

/// One placed layout object.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub class: ObjectClass,
    pub center: [f64; 3],
    pub size: [f64; 3],
    pub yaw: f64,
    pub room: usize,
}

/// Unlabelled clutter kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClutterKind {
    Box,
    Bag,
    Clothes,
}

/// One clutter item (not in the layout).
#[derive(Debug, Clone)]
pub(crate) struct Clutter {
    pub kind: ClutterKind,
    pub center: [f64; 3],
    pub size: [f64; 3],
    pub yaw: f64,
}

/// The furniture of a whole plan.
#[derive(Debug, Clone, Default)]
pub(crate) struct Furnished {
    pub items: Vec<Item>,
    pub clutter: Vec<Clutter>,
}

/// A yaw-rotated box: centre and half extents in xy, z range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Obb {
    pub c: P2,
    pub h: P2,
    pub yaw: f64,
    pub z0: f64,
    pub z1: f64,
}

fn dot(a: P2, b: P2) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

impl Obb {
    fn axes(&self) -> [P2; 2] {
        let (s, c) = self.yaw.sin_cos();
        [[c, s], [-s, c]]
    }
    pub fn corners(&self) -> [P2; 4] {
        let [u, v] = self.axes();
        let p = |a: f64, b: f64| [self.c[0] + a * self.h[0] * u[0] + b * self.h[1] * v[0], self.c[1] + a * self.h[0] * u[1] + b * self.h[1] * v[1]];
        [p(-1.0, -1.0), p(1.0, -1.0), p(1.0, 1.0), p(-1.0, 1.0)]
    }
    fn project(&self, ax: P2) -> (f64, f64) {
        let [u, v] = self.axes();
        let c = dot(self.c, ax);
        let r = self.h[0] * dot(u, ax).abs() + self.h[1] * dot(v, ax).abs();
        (c - r, c + r)
    }
    /// Whether the footprints come closer than `margin` (separating axes).
    pub fn overlaps_xy(&self, o: &Obb, margin: f64) -> bool {
        let [a, b] = self.axes();
        let [c, d] = o.axes();
        [a, b, c, d].into_iter().all(|ax| {
            let (a0, a1) = self.project(ax);
            let (b0, b1) = o.project(ax);
            a1 + margin > b0 && b1 + margin > a0
        })
    }
    /// Whether the boxes share volume (z ranges overlapping by more than
    /// a micrometre) with footprints closer than `margin`.
    pub fn overlaps(&self, o: &Obb, margin: f64) -> bool {
        self.z0 < o.z1 - 1e-6 && o.z0 < self.z1 - 1e-6 && self.overlaps_xy(o, margin)
    }
    /// Whether `p` is inside the footprint shrunk by `inset`.
    pub fn contains_xy(&self, p: P2, inset: f64) -> bool {
        let [u, v] = self.axes();
        let r = [p[0] - self.c[0], p[1] - self.c[1]];
        dot(r, u).abs() < self.h[0] - inset && dot(r, v).abs() < self.h[1] - inset
    }
}

/// Crossing-number point-in-polygon test.
pub(crate) fn point_in_polygon(p: P2, poly: &[P2]) -> bool {
    let n = poly.len();
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (poly[i], poly[(i + 1) % n]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// Whether a footprint lies inside a polygon (corners inside, no polygon
/// vertex inside the footprint).
pub(crate) fn obb_in_polygon(o: &Obb, poly: &[P2]) -> bool {
    o.corners().iter().all(|&c| point_in_polygon(c, poly)) && !poly.iter().any(|&v| o.contains_xy(v, 1e-6))
}

/// A straight piece of wall face, seen from inside a room.
#[derive(Debug, Clone, Copy)]
struct Face {
    a: P2,
    dir: P2,
    /// Into the room.
    n: P2,
    len: f64,
}

impl Face {
    fn new(a: P2, b: P2) -> Face {
        let len = plan::dist(a, b);
        let dir = [(b[0] - a[0]) / len.max(1e-12), (b[1] - a[1]) / len.max(1e-12)];
        Face { a, dir, n: [-dir[1], dir[0]], len }
    }
    fn at(&self, u: f64, off: f64) -> P2 {
        [self.a[0] + self.dir[0] * u + self.n[0] * off, self.a[1] + self.dir[1] * u + self.n[1] * off]
    }
    fn yaw(&self) -> f64 {
        self.dir[1].atan2(self.dir[0])
    }
    /// Position of `p` along the face.
    fn u_of(&self, p: P2) -> f64 {
        dot([p[0] - self.a[0], p[1] - self.a[1]], self.dir)
    }
    /// Distance of `p` in front of the face.
    fn off_of(&self, p: P2) -> f64 {
        dot([p[0] - self.a[0], p[1] - self.a[1]], self.n)
    }
}

/// A room as the placer sees it.
struct RoomGeom {
    idx: usize,
    kind: RoomKind,
    inner: Vec<P2>,
    /// Wall faces with collinear pieces merged (floor furniture).
    faces: Vec<Face>,
    /// One face per layout wall (wall-hung items stay on one wall).
    segs: Vec<Face>,
    area: f64,
    bbox: [f64; 4],
    /// Yaw of the longest face: free-standing items align with it.
    base_yaw: f64,
}

impl RoomGeom {
    fn new(idx: usize, plan: &Plan) -> RoomGeom {
        let r = &plan.rooms[idx];
        let inner = plan::inset(&r.polygon, plan.thickness / 2.0);
        let simple = plan::simplify(&inner);
        let edges = |p: &[P2]| -> Vec<Face> { (0..p.len()).map(|i| Face::new(p[i], p[(i + 1) % p.len()])).collect() };
        let faces = edges(&simple);
        let segs = edges(&inner);
        let bbox = inner.iter().fold([f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY], |b, p| {
            [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])]
        });
        let base_yaw = faces.iter().max_by(|a, b| a.len.total_cmp(&b.len)).map_or(0.0, |f| f.yaw());
        RoomGeom { idx, kind: r.kind, area: plan::area(&inner), inner, faces, segs, bbox, base_yaw }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ZoneKind {
    Door,
    Window,
}

struct Placed {
    item: Item,
    obb: Obb,
}

struct Placer<'a> {
    rng: &'a mut ChaCha8Rng,
    cfg: &'a SceneConfig,
    height: f64,
    zones: Vec<(ZoneKind, Obb)>,
    placed: Vec<Placed>,
    clutter: Vec<(Clutter, Obb)>,
}

fn wrap(yaw: f64) -> f64 {
    let mut y = yaw % (2.0 * PI);
    if y > PI {
        y -= 2.0 * PI;
    }
    if y <= -PI {
        y += 2.0 * PI;
    }
    y
}

/// Point at local offset (dx, dy) of a box frame.
fn rel(o: &Obb, dx: f64, dy: f64) -> P2 {
    let (s, c) = o.yaw.sin_cos();
    [o.c[0] + c * dx - s * dy, o.c[1] + s * dx + c * dy]
}

fn range(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    if hi > lo {
        rng.random_range(lo..hi)
    } else {
        lo
    }
}

/// Typical size (width along the wall, depth, height) of a class, metres.
fn size_of(rng: &mut ChaCha8Rng, class: &ObjectClass, ceiling: f64) -> [f64; 3] {
    use ObjectClass as C;
    let mut r = |lo: f64, hi: f64| range(rng, lo, hi);
    match class {
        C::Nightstand => [r(0.4, 0.55), r(0.35, 0.45), r(0.45, 0.62)],
        C::Wardrobe => [r(0.9, 2.2), r(0.55, 0.65), r(1.9, 2.3).min(ceiling - 0.1)],
        C::Sofa => [r(1.6, 2.6), r(0.8, 1.0), r(0.75, 0.95)],
        C::Chair => [r(0.42, 0.55), r(0.45, 0.58), r(0.8, 1.0)],
        C::DiningTable => [r(1.1, 1.9), r(0.75, 1.0), r(0.72, 0.78)],
        C::CoffeeTable => [r(0.8, 1.3), r(0.45, 0.7), r(0.35, 0.48)],
        C::SideTable => {
            let s = r(0.4, 0.6);
            [s, s, r(0.45, 0.65)]
        }
        C::TvCabinet => [r(1.2, 2.2), r(0.35, 0.48), r(0.4, 0.6)],
        C::Tv => {
            let w = r(0.9, 1.6);
            [w, r(0.04, 0.08), w * 0.58 + 0.03]
        }
        C::DressingTable => [r(0.8, 1.2), r(0.4, 0.5), r(0.74, 0.78)],
        C::Stool => {
            let s = r(0.3, 0.4);
            [s, s, r(0.42, 0.7)]
        }
        C::Refrigerator => [r(0.6, 0.9), r(0.6, 0.72), r(1.5, 2.0)],
        C::Cupboard => [r(0.6, 1.2), r(0.56, 0.62), r(0.85, 0.92)],
        C::Stove => [r(0.6, 0.75), r(0.56, 0.62), r(0.85, 0.92)],
        C::WallCabinet => [r(0.6, 1.4), r(0.3, 0.36), r(0.6, 0.75)],
        C::Bookcase => [r(0.6, 1.2), r(0.28, 0.4), r(1.6, 2.2).min(ceiling - 0.1)],
        C::Sideboard => [r(1.2, 2.0), r(0.4, 0.5), r(0.7, 0.9)],
        C::DecorativeCabinet => [r(0.6, 1.2), r(0.35, 0.5), r(0.8, 1.6)],
        C::BathroomCabinet => [r(0.4, 0.8), r(0.3, 0.4), r(0.6, 1.8)],
        C::Painting => [r(0.4, 1.4), r(0.02, 0.05), r(0.3, 1.0)],
        C::Plants => {
            let s = r(0.3, 0.6);
            [s, s * r(0.85, 1.0), r(0.4, 1.6)]
        }
        C::Chandelier => {
            let s = r(0.35, 0.8);
            [s, s, r(0.3, 0.9).min(ceiling - HEADROOM)]
        }
        C::AirConditioner => [r(0.75, 1.0), r(0.19, 0.25), r(0.26, 0.32)],
        C::Desk => [r(1.0, 1.6), r(0.55, 0.75), r(0.72, 0.76)],
        C::Toilet => [r(0.36, 0.44), r(0.62, 0.72), r(0.72, 0.82)],
        C::Sink => [r(0.5, 0.9), r(0.42, 0.55), r(0.8, 0.9)],
        C::Tub => [r(1.5, 1.75), r(0.7, 0.8), r(0.5, 0.6)],
        C::Mirror => [r(0.4, 0.9), r(0.02, 0.03), r(0.5, 0.9)],
        C::WashingMachine => [r(0.58, 0.62), r(0.55, 0.62), r(0.84, 0.88)],
        C::FloorStandingLamp => {
            let s = r(0.3, 0.45);
            [s, s, r(1.4, 1.8)]
        }
        C::MicroWaveOven => [r(0.45, 0.55), r(0.33, 0.4), r(0.26, 0.32)],
        C::Bed => [r(1.4, 1.9), r(1.95, 2.15), r(0.8, 1.15)],
        _ => [r(0.4, 0.8), r(0.4, 0.6), r(0.4, 0.9)],
    }
}

impl Placer<'_> {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool((p * self.cfg.furniture).clamp(0.0, 1.0))
    }

    fn size(&mut self, class: &ObjectClass) -> [f64; 3] {
        size_of(self.rng, class, self.height)
    }

    /// The box is inside the room, clear of zones and of every item.
    fn free_at(&self, room: &RoomGeom, obb: &Obb, class: &ObjectClass) -> bool {
        obb.z1 <= self.height + 1e-9
            && obb_in_polygon(obb, &room.inner)
            && !self
                .zones
                .iter()
                .any(|(k, z)| !(*k == ZoneKind::Window && *class == ObjectClass::Curtain) && z.overlaps(obb, 0.0))
            && !self.placed.iter().any(|p| p.obb.overlaps(obb, ITEM_GAP))
            && !self.clutter.iter().any(|(_, c)| c.overlaps(obb, ITEM_GAP))
    }

    /// Height a floor item at this footprint stands at: on top of a carpet
    /// that holds its whole footprint, else on the floor.
    fn floor_base(&self, obb: &Obb) -> f64 {
        self.placed
            .iter()
            .filter(|p| p.item.class == ObjectClass::Carpet && obb.corners().iter().all(|&c| p.obb.contains_xy(c, 0.0)))
            .map(|p| p.obb.z1)
            .fold(0.0, f64::max)
    }

    /// Places an item if it fits; `z0` None stands it on the floor (or a
    /// carpet). Returns its index.
    fn put(&mut self, room: &RoomGeom, class: ObjectClass, c: P2, size: [f64; 3], yaw: f64, z0: Option<f64>) -> Option<usize> {
        let mut obb = Obb { c, h: [size[0] / 2.0, size[1] / 2.0], yaw: wrap(yaw), z0: 0.0, z1: size[2] };
        let base = match z0 {
            Some(z) => z,
            None if class == ObjectClass::Carpet => 0.0,
            None => self.floor_base(&obb),
        };
        obb.z0 = base;
        obb.z1 = base + size[2];
        if !self.free_at(room, &obb, &class) {
            return None;
        }
        let item =
            Item { class, center: [c[0], c[1], base + size[2] / 2.0], size, yaw: obb.yaw, room: room.idx };
        self.placed.push(Placed { item, obb });
        Some(self.placed.len() - 1)
    }

    /// Against a wall face (back to the wall), anywhere along faces that
    /// pass `ok`. Returns (item, face, u).
    fn against(
        &mut self,
        room: &RoomGeom,
        class: &ObjectClass,
        size: [f64; 3],
        ok: &dyn Fn(&Face) -> bool,
    ) -> Option<(usize, usize, f64)> {
        let cands: Vec<usize> =
            (0..room.faces.len()).filter(|&i| room.faces[i].len >= size[0] + 0.06 && ok(&room.faces[i])).collect();
        if cands.is_empty() {
            return None;
        }
        let total: f64 = cands.iter().map(|&i| room.faces[i].len).sum();
        for _ in 0..TRIES {
            let mut x = self.rng.random_range(0.0..total);
            let mut fi = cands[0];
            for &i in &cands {
                fi = i;
                if x < room.faces[i].len {
                    break;
                }
                x -= room.faces[i].len;
            }
            let f = room.faces[fi];
            let u = range(self.rng, size[0] / 2.0 + 0.03, f.len - size[0] / 2.0 - 0.03);
            if let Some(i) = self.put(room, class.clone(), f.at(u, WALL_GAP + size[1] / 2.0), size, f.yaw(), None) {
                return Some((i, fi, u));
            }
        }
        None
    }

    /// Hangs an item on one layout wall with its bottom at `z0`, near
    /// `near` (a point in front of the wall) or anywhere.
    fn hang(&mut self, room: &RoomGeom, class: ObjectClass, size: [f64; 3], z0: f64, near: Option<P2>) -> Option<usize> {
        if z0 + size[2] > self.height - 0.05 || z0 < 0.0 {
            return None;
        }
        let segs: Vec<usize> = (0..room.segs.len()).filter(|&i| room.segs[i].len >= size[0] + 0.1).collect();
        if segs.is_empty() {
            return None;
        }
        if let Some(p) = near {
            // The wall right behind `near` (the nearest one whose span holds the item).
            let f = segs
                .iter()
                .map(|&i| room.segs[i])
                .filter(|f| {
                    let u = f.u_of(p);
                    (-0.05..1.5).contains(&f.off_of(p)) && u > size[0] / 2.0 && u < f.len - size[0] / 2.0
                })
                .min_by(|a, b| a.off_of(p).total_cmp(&b.off_of(p)))?;
            let u = f.u_of(p);
            return self.put(room, class, f.at(u, HANG_GAP + size[1] / 2.0), size, f.yaw(), Some(z0));
        }
        for _ in 0..TRIES {
            let f = room.segs[segs[self.rng.random_range(0..segs.len())]];
            let u = range(self.rng, size[0] / 2.0 + 0.05, f.len - size[0] / 2.0 - 0.05);
            if let Some(i) = self.put(room, class.clone(), f.at(u, HANG_GAP + size[1] / 2.0), size, f.yaw(), Some(z0)) {
                return Some(i);
            }
        }
        None
    }

    /// Free-standing, aligned with the room (quarter turns).
    fn free(&mut self, room: &RoomGeom, class: &ObjectClass, size: [f64; 3], z0: Option<f64>) -> Option<usize> {
        for _ in 0..TRIES {
            let c = [range(self.rng, room.bbox[0], room.bbox[2]), range(self.rng, room.bbox[1], room.bbox[3])];
            let yaw = room.base_yaw + FRAC_PI_2 * self.rng.random_range(0..4) as f64;
            if let Some(i) = self.put(room, class.clone(), c, size, yaw, z0) {
                return Some(i);
            }
        }
        None
    }

    fn obb(&self, i: usize) -> Obb {
        self.placed[i].obb
    }

    /// The first merged face hit by a ray from `p` along `d`, facing back.
    fn facing_face(room: &RoomGeom, p: P2, d: P2) -> Option<(usize, f64, f64)> {
        let mut best: Option<(usize, f64, f64)> = None;
        for (i, f) in room.faces.iter().enumerate() {
            let denom = dot(d, f.n);
            if denom > -0.9 {
                continue;
            }
            let t = f.off_of(p) / -denom;
            if t <= 0.1 {
                continue;
            }
            let hit = [p[0] + d[0] * t, p[1] + d[1] * t];
            let u = f.u_of(hit);
            if u < 0.0 || u > f.len {
                continue;
            }
            if best.is_none_or(|b| t < b.2) {
                best = Some((i, u, t));
            }
        }
        best
    }

    // ----- groups -------------------------------------------------------

    /// A table with chairs around it; a table that gets fewer than two
    /// chairs is taken back.
    fn dining_set(&mut self, room: &RoomGeom) {
        let size = self.size(&ObjectClass::DiningTable);
        for _ in 0..12 {
            let mark = self.placed.len();
            let Some(t) = self.free(room, &ObjectClass::DiningTable, size, None) else { return };
            let o = self.obb(t);
            let chair = self.size(&ObjectClass::Chair);
            let per_side = (((size[0] - 0.1) / 0.62).floor() as usize).clamp(1, 3);
            let mut n = 0;
            for side in [-1.0, 1.0] {
                for k in 0..per_side {
                    let x = (k as f64 + 0.5) / per_side as f64 * size[0] - size[0] / 2.0;
                    let c = rel(&o, x, side * (size[1] / 2.0 + 0.06 + chair[1] / 2.0));
                    let yaw = o.yaw + if side > 0.0 { PI } else { 0.0 };
                    n += usize::from(self.put(room, ObjectClass::Chair, c, chair, yaw, None).is_some());
                }
            }
            for side in [-1.0, 1.0] {
                if self.rng.random_bool(0.3) {
                    let c = rel(&o, side * (size[0] / 2.0 + 0.06 + chair[1] / 2.0), 0.0);
                    n += usize::from(self.put(room, ObjectClass::Chair, c, chair, o.yaw + side * FRAC_PI_2, None).is_some());
                }
            }
            if n >= 2 {
                return;
            }
            self.placed.truncate(mark);
        }
    }

    /// A tv cabinet (and usually a tv hung above it) on the face across
    /// from `o`; cabinet spots where the tv cannot hang (a window above)
    /// are given up for the next spot.
    fn tv_facing(&mut self, room: &RoomGeom, o: &Obb) -> Option<usize> {
        let n = [-o.yaw.sin(), o.yaw.cos()];
        let front = rel(o, 0.0, o.h[1]);
        let (fi, u, dist) = Self::facing_face(room, front, n)?;
        if dist < 1.4 {
            return None;
        }
        let size = self.size(&ObjectClass::TvCabinet);
        let f = room.faces[fi];
        if f.len < size[0] + 0.06 {
            return None;
        }
        let want_tv = self.chance(0.85);
        const SPOTS: usize = 8;
        let mut kept = None;
        for k in 0..SPOTS {
            let shift = 0.2 * k.div_ceil(2) as f64 * if k % 2 == 0 { 1.0 } else { -1.0 };
            let uu = (u + shift).clamp(size[0] / 2.0 + 0.03, f.len - size[0] / 2.0 - 0.03);
            let mark = self.placed.len();
            let Some(cab) = self.put(room, ObjectClass::TvCabinet, f.at(uu, WALL_GAP + size[1] / 2.0), size, f.yaw(), None)
            else {
                continue;
            };
            if !want_tv || self.tv_above(room, cab) {
                return Some(cab);
            }
            if k + 1 == SPOTS {
                kept = Some(cab);
            } else {
                self.placed.truncate(mark);
            }
        }
        kept
    }

    /// Hangs a tv on the wall above a cabinet, trying smaller screens.
    fn tv_above(&mut self, room: &RoomGeom, cab: usize) -> bool {
        let c = self.obb(cab);
        let mut tv = self.size(&ObjectClass::Tv);
        for _ in 0..3 {
            let z0 = c.z1 + range(self.rng, 0.1, 0.3);
            if self.hang(room, ObjectClass::Tv, tv, z0, Some(c.c)).is_some() {
                return true;
            }
            tv = [tv[0] * 0.8, tv[1], (tv[2] - 0.03) * 0.8 + 0.03];
        }
        false
    }

    /// A carpet between two boxes facing each other (sofa and tv cabinet).
    fn carpet_between(&mut self, room: &RoomGeom, a: &Obb, b: &Obb) -> Option<usize> {
        let fa = rel(a, 0.0, a.h[1]);
        let fb = rel(b, 0.0, b.h[1]);
        let gap = plan::dist(fa, fb);
        let depth = (gap - 2.0 * range(self.rng, 0.15, 0.3)).min(2.6);
        if depth < 0.8 {
            return None;
        }
        let width = (2.0 * a.h[0] * range(self.rng, 0.8, 1.25)).clamp(1.0, 3.2);
        let c = [(fa[0] + fb[0]) / 2.0, (fa[1] + fb[1]) / 2.0];
        let t = range(self.rng, 0.008, 0.02);
        self.put(room, ObjectClass::Carpet, c, [width, depth, t], a.yaw, None)
    }

    fn carpet(&mut self, room: &RoomGeom, w: (f64, f64), d: (f64, f64)) -> Option<usize> {
        let size = [range(self.rng, w.0, w.1), range(self.rng, d.0, d.1), range(self.rng, 0.008, 0.02)];
        self.free(room, &ObjectClass::Carpet, size, None)
    }

    fn chandelier(&mut self, room: &RoomGeom) -> Option<usize> {
        let size = self.size(&ObjectClass::Chandelier);
        if size[2] < 0.2 {
            return None;
        }
        let z0 = self.height - size[2];
        let n = room.inner.len() as f64;
        let centroid = room.inner.iter().fold([0.0, 0.0], |s, p| [s[0] + p[0] / n, s[1] + p[1] / n]);
        self.put(room, ObjectClass::Chandelier, centroid, size, room.base_yaw, Some(z0))
            .or_else(|| self.free(room, &ObjectClass::Chandelier, size, Some(z0)))
    }

    fn wall_item(&mut self, room: &RoomGeom, class: ObjectClass) -> Option<usize> {
        let size = self.size(&class);
        let z0 = match class {
            ObjectClass::AirConditioner => self.height - range(self.rng, 0.1, 0.35) - size[2],
            ObjectClass::Mirror => range(self.rng, 1.1, 1.4),
            _ => (range(self.rng, 1.35, 1.75) - size[2] / 2.0).min(self.height - 0.2 - size[2]),
        };
        self.hang(room, class, size, z0, None)
    }

    fn curtains(&mut self, room: &RoomGeom, plan: &Plan, p: f64) {
        for o in plan.openings.iter().filter(|o| o.kind == OpeningKind::Window) {
            let Some(w) = plan.walls.get(o.wall as usize) else { continue };
            if w.left != room.idx || !self.chance(p) {
                continue;
            }
            let extra = range(self.rng, 0.1, 0.3);
            let depth = range(self.rng, 0.08, 0.15);
            let top = (o.z1 + range(self.rng, 0.1, 0.3)).min(self.height - 0.03);
            let bottom = if self.rng.random_bool(0.7) || o.z0 < 0.6 { 0.02 } else { o.z0 - 0.15 };
            let size = [o.u1 - o.u0 + 2.0 * extra, depth, top - bottom];
            // Centre in front of the window, on the inner face.
            let mid = w.at((o.u0 + o.u1) / 2.0);
            let n = w.left_normal();
            let near = [mid[0] + n[0] * (plan.thickness / 2.0 + 0.05), mid[1] + n[1] * (plan.thickness / 2.0 + 0.05)];
            self.hang(room, ObjectClass::Curtain, size, bottom, Some(near));
        }
    }

    /// Something beside an anchor along its wall (nightstands, side tables).
    fn beside(&mut self, room: &RoomGeom, anchor: usize, class: ObjectClass, side: f64) -> Option<usize> {
        let size = self.size(&class);
        self.beside_sized(room, anchor, class, side, size)
    }

    fn beside_sized(&mut self, room: &RoomGeom, anchor: usize, class: ObjectClass, side: f64, size: [f64; 3]) -> Option<usize> {
        let o = self.obb(anchor);
        let gap = range(self.rng, 0.03, 0.1);
        // Back flush with the anchor's back (both against the wall).
        let c = rel(&o, side * (o.h[0] + gap + size[0] / 2.0), -o.h[1] + size[1] / 2.0);
        self.put(room, class, c, size, o.yaw, None)
    }

    /// Something in front of an anchor, facing it (`turn` = PI) or not.
    fn in_front(&mut self, room: &RoomGeom, anchor: usize, class: ObjectClass, gap: f64, turn: f64) -> Option<usize> {
        let o = self.obb(anchor);
        let size = self.size(&class);
        let c = rel(&o, 0.0, o.h[1] + gap + size[1] / 2.0);
        self.put(room, class, c, size, o.yaw + turn, None)
    }

    fn along_wall(&mut self, room: &RoomGeom, class: ObjectClass) -> Option<usize> {
        let size = self.size(&class);
        self.against(room, &class, size, &|_| true).map(|r| r.0)
    }

    // ----- rooms --------------------------------------------------------

    fn bedroom(&mut self, room: &RoomGeom, plan: &Plan) {
        let mut bed = self.size(&ObjectClass::Bed);
        if self.rng.random_bool(0.3) {
            bed[0] = range(self.rng, 0.9, 1.2);
        }
        let single = [range(self.rng, 0.9, 1.0), range(self.rng, 1.9, 2.0), bed[2]];
        let placed = self
            .against(room, &ObjectClass::Bed, bed, &|f| f.len >= bed[0] + 1.1)
            .or_else(|| self.against(room, &ObjectClass::Bed, bed, &|_| true))
            .or_else(|| self.against(room, &ObjectClass::Bed, single, &|_| true));
        if let Some((b, _, _)) = placed {
            for side in [-1.0, 1.0] {
                if self.chance(0.85) && self.beside(room, b, ObjectClass::Nightstand, side).is_none() {
                    // A narrow one may still fit.
                    self.beside_sized(room, b, ObjectClass::Nightstand, side, [0.35, 0.33, 0.5]);
                }
            }
            if self.chance(0.45) {
                let o = self.obb(b);
                let size = self.size(&ObjectClass::Painting);
                let z0 = o.z1 + range(self.rng, 0.15, 0.4);
                self.hang(room, ObjectClass::Painting, size, z0, Some(rel(&o, 0.0, -o.h[1])));
            }
            if self.chance(0.2) {
                let o = self.obb(b);
                self.tv_facing(room, &o);
            }
        }
        if self.chance(0.7) {
            self.along_wall(room, ObjectClass::Wardrobe);
        }
        if self.chance(0.3) {
            if let Some(t) = self.along_wall(room, ObjectClass::DressingTable) {
                if self.chance(0.7) {
                    self.in_front(room, t, ObjectClass::Stool, 0.08, 0.0);
                }
            }
        }
        if self.chance(0.2) {
            self.desk(room);
        }
        self.common(room, plan, &[(ObjectClass::Chair, 0.2), (ObjectClass::DecorativeCabinet, 0.15)]);
        if self.chance(0.35) {
            self.carpet(room, (1.2, 2.2), (0.8, 1.6));
        }
        self.finish(room, plan, 0.45, 0.55, 0.75);
    }

    fn living_room(&mut self, room: &RoomGeom, plan: &Plan) {
        let sofa = self.size(&ObjectClass::Sofa);
        let s = self
            .against(room, &ObjectClass::Sofa, sofa, &|f| f.len >= sofa[0] + 0.8)
            .or_else(|| self.against(room, &ObjectClass::Sofa, sofa, &|_| true));
        if let Some((s, _, _)) = s {
            let so = self.obb(s);
            let cab = self.tv_facing(room, &so);
            if let Some(c) = cab {
                if self.chance(0.6) {
                    let co = self.obb(c);
                    self.carpet_between(room, &so, &co);
                }
            }
            if self.chance(0.85) {
                let gap = range(self.rng, 0.35, 0.5);
                self.in_front(room, s, ObjectClass::CoffeeTable, gap, 0.0);
            }
            for side in [-1.0, 1.0] {
                if self.chance(0.35) {
                    self.beside(room, s, ObjectClass::SideTable, side);
                }
            }
            if self.chance(0.4) {
                // An armchair at the side of the sofa group, facing across.
                let size = [range(self.rng, 0.7, 0.9), range(self.rng, 0.7, 0.85), range(self.rng, 0.75, 0.95)];
                let side = if self.rng.random_bool(0.5) { 1.0 } else { -1.0 };
                let c = rel(&so, side * (so.h[0] + 0.5 + size[1] / 2.0), so.h[1] + 0.5 + size[0] / 2.0);
                self.put(room, ObjectClass::Chair, c, size, so.yaw - side * FRAC_PI_2, None);
            }
        } else if self.chance(0.8) {
            if let Some(c) = self.along_wall(room, ObjectClass::TvCabinet) {
                if self.chance(0.85) {
                    self.tv_above(room, c);
                }
            }
        }
        if room.area > 22.0 && self.chance(0.5) {
            self.dining_set(room);
        }
        self.common(
            room,
            plan,
            &[
                (ObjectClass::Bookcase, 0.35),
                (ObjectClass::Sideboard, 0.3),
                (ObjectClass::FloorStandingLamp, 0.3),
                (ObjectClass::Plants, 0.3),
                (ObjectClass::Painting, 0.35),
            ],
        );
        self.finish(room, plan, 0.45, 0.65, 0.8);
    }

    fn kitchen(&mut self, room: &RoomGeom, plan: &Plan) {
        // A counter run along one face: cupboards, a sink, a stove; a face
        // where fewer than two modules fit is given up for another.
        let mut faces: Vec<usize> = (0..room.faces.len()).filter(|&i| room.faces[i].len >= 1.8).collect();
        let (h, d) = (range(self.rng, 0.86, 0.92), range(self.rng, 0.56, 0.62));
        let mut cupboards = Vec::new();
        while !faces.is_empty() {
            let f = room.faces[faces.swap_remove(self.rng.random_range(0..faces.len()))];
            let mut modules = vec![ObjectClass::Sink, ObjectClass::Stove, ObjectClass::Cupboard, ObjectClass::Cupboard];
            if self.rng.random_bool(0.5) {
                modules.push(ObjectClass::Cupboard);
            }
            let shift = self.rng.random_range(0..modules.len());
            modules.rotate_left(shift);
            let mark = self.placed.len();
            let mut u = range(self.rng, 0.03, 0.4);
            cupboards.clear();
            for m in modules {
                let w = self.size(&m)[0];
                if u + w + 0.03 > f.len {
                    break;
                }
                let c = f.at(u + w / 2.0, WALL_GAP + d / 2.0);
                if let Some(i) = self.put(room, m.clone(), c, [w, d, h], f.yaw(), None) {
                    if m == ObjectClass::Cupboard {
                        cupboards.push(i);
                    }
                }
                u += w + 0.03;
            }
            if self.placed.len() >= mark + 2 {
                break;
            }
            self.placed.truncate(mark);
            cupboards.clear();
        }
        let upper = self.chance(0.5);
        for &c in &cupboards {
            let o = self.obb(c);
            if upper && self.rng.random_bool(0.8) {
                let size = [o.h[0] * 2.0, range(self.rng, 0.3, 0.35), range(self.rng, 0.6, 0.72)];
                let z0 = range(self.rng, 1.45, 1.6);
                self.hang(room, ObjectClass::WallCabinet, size, z0, Some(rel(&o, 0.0, -o.h[1])));
            }
        }
        if let Some(&c) = cupboards.first() {
            if self.chance(0.4) {
                let o = self.obb(c);
                let size = self.size(&ObjectClass::MicroWaveOven);
                if size[0] < 2.0 * o.h[0] {
                    let at = rel(&o, 0.0, -o.h[1] + 0.03 + size[1] / 2.0);
                    self.put(room, ObjectClass::MicroWaveOven, at, size, o.yaw, Some(o.z1));
                }
            }
        }
        if self.chance(0.9) {
            self.along_wall(room, ObjectClass::Refrigerator);
        }
        if room.area > 9.0 && self.chance(0.55) {
            self.dining_set(room);
        }
        self.common(room, plan, &[(ObjectClass::Stool, 0.15), (ObjectClass::Cupboard, 0.2), (ObjectClass::Painting, 0.2)]);
        self.finish(room, plan, 0.15, 0.4, 0.4);
    }

    fn bathroom(&mut self, room: &RoomGeom, plan: &Plan) {
        if self.chance(0.55) {
            self.along_wall(room, ObjectClass::Tub);
        }
        self.along_wall(room, ObjectClass::Toilet);
        if let Some(s) = self.along_wall(room, ObjectClass::Sink) {
            if self.chance(0.75) {
                let o = self.obb(s);
                let size = self.size(&ObjectClass::Mirror);
                let z0 = o.z1 + range(self.rng, 0.15, 0.3);
                self.hang(room, ObjectClass::Mirror, size, z0, Some(rel(&o, 0.0, -o.h[1])));
            }
        }
        self.common(room, plan, &[(ObjectClass::BathroomCabinet, 0.4), (ObjectClass::WashingMachine, 0.3)]);
        if self.chance(0.35) {
            self.carpet(room, (0.5, 0.8), (0.4, 0.6));
        }
        if self.chance(0.1) {
            self.along_wall(room, ObjectClass::Plants);
        }
        self.finish(room, plan, 0.0, 0.15, 0.2);
    }

    fn desk(&mut self, room: &RoomGeom) {
        if let Some(d) = self.along_wall(room, ObjectClass::Desk) {
            if self.chance(0.9) {
                self.in_front(room, d, ObjectClass::Chair, 0.08, PI);
            }
            if self.chance(0.5) {
                // A monitor standing at the back of the desk top.
                let o = self.obb(d);
                let size = [range(self.rng, 0.45, 0.62), range(self.rng, 0.15, 0.22), range(self.rng, 0.35, 0.48)];
                if size[0] < 2.0 * o.h[0] - 0.1 {
                    let x = range(self.rng, -o.h[0] + size[0] / 2.0 + 0.05, o.h[0] - size[0] / 2.0 - 0.05);
                    let at = rel(&o, x, -o.h[1] + 0.05 + size[1] / 2.0);
                    self.put(room, ObjectClass::Computer, at, size, o.yaw, Some(o.z1));
                }
            }
        }
    }

    fn office(&mut self, room: &RoomGeom, plan: &Plan) {
        self.desk(room);
        if self.chance(0.8) {
            self.along_wall(room, ObjectClass::Bookcase);
        }
        self.common(
            room,
            plan,
            &[
                (ObjectClass::Bookcase, 0.4),
                (ObjectClass::DecorativeCabinet, 0.4),
                (ObjectClass::Sofa, 0.25),
                (ObjectClass::SideTable, 0.25),
                (ObjectClass::Painting, 0.3),
            ],
        );
        if self.chance(0.25) {
            self.carpet(room, (1.2, 2.0), (0.8, 1.4));
        }
        self.finish(room, plan, 0.4, 0.5, 0.6);
    }

    /// Optional extra pieces: wall items hang, the rest stand at walls.
    fn common(&mut self, room: &RoomGeom, _plan: &Plan, extras: &[(ObjectClass, f64)]) {
        for (class, p) in extras {
            if !self.chance(*p) {
                continue;
            }
            match class.support() {
                crate::layout::Support::Wall => {
                    self.wall_item(room, class.clone());
                }
                _ if *class == ObjectClass::Chair => {
                    let size = self.size(class);
                    self.free(room, class, size, None);
                }
                _ => {
                    self.along_wall(room, class.clone());
                }
            }
        }
    }

    /// Things every room may have: plants, a painting, an air conditioner,
    /// a chandelier, curtains.
    fn finish(&mut self, room: &RoomGeom, plan: &Plan, p_ac: f64, p_chandelier: f64, p_curtain: f64) {
        self.curtains(room, plan, p_curtain);
        if room.kind != RoomKind::Bathroom {
            if self.chance(0.45) {
                self.along_wall(room, ObjectClass::Plants);
            }
            if self.chance(0.5) {
                self.wall_item(room, ObjectClass::Painting);
            }
        }
        if self.chance(p_ac) {
            self.wall_item(room, ObjectClass::AirConditioner);
        }
        if self.chance(p_chandelier) {
            self.chandelier(room);
        }
    }

    fn add_clutter(&mut self, room: &RoomGeom) {
        let expected = room.area * self.cfg.clutter_per_m2;
        let n = (expected * range(self.rng, 0.5, 1.5)).round() as usize;
        const ON_TOP: [ObjectClass; 9] = [
            ObjectClass::Bed,
            ObjectClass::DiningTable,
            ObjectClass::Desk,
            ObjectClass::Nightstand,
            ObjectClass::TvCabinet,
            ObjectClass::Sideboard,
            ObjectClass::DressingTable,
            ObjectClass::CoffeeTable,
            ObjectClass::Cupboard,
        ];
        let hosts: Vec<usize> = (0..self.placed.len())
            .filter(|&i| self.placed[i].item.room == room.idx && ON_TOP.contains(&self.placed[i].item.class))
            .collect();
        for _ in 0..n {
            let x: f64 = self.rng.random();
            let (kind, size) = match x {
                _ if x < 0.45 => {
                    (ClutterKind::Box, [range(self.rng, 0.2, 0.6), range(self.rng, 0.2, 0.5), range(self.rng, 0.12, 0.5)])
                }
                _ if x < 0.7 => {
                    (ClutterKind::Bag, [range(self.rng, 0.3, 0.5), range(self.rng, 0.2, 0.35), range(self.rng, 0.25, 0.45)])
                }
                _ => (
                    ClutterKind::Clothes,
                    [range(self.rng, 0.3, 0.7), range(self.rng, 0.3, 0.6), range(self.rng, 0.05, 0.15)],
                ),
            };
            let yaw = self.rng.random_range(-PI..PI);
            for _ in 0..8 {
                let (c, z0) = if !hosts.is_empty() && self.rng.random_bool(0.4) {
                    let h = self.placed[hosts[self.rng.random_range(0..hosts.len())]].obb;
                    let size = [size[0].min(h.h[0]), size[1].min(h.h[1]), size[2]];
                    let c = rel(&h, range(self.rng, -h.h[0] + size[0] / 2.0, h.h[0] - size[0] / 2.0), range(self.rng, -h.h[1] + size[1] / 2.0, h.h[1] - size[1] / 2.0));
                    (c, Some(h.z1))
                } else {
                    ([range(self.rng, room.bbox[0], room.bbox[2]), range(self.rng, room.bbox[1], room.bbox[3])], None)
                };
                let mut obb = Obb { c, h: [size[0] / 2.0, size[1] / 2.0], yaw, z0: 0.0, z1: 0.0 };
                // On a host: the footprint must stay on it.
                if let Some(z) = z0 {
                    let host_ok = self.placed.iter().any(|p| (p.obb.z1 - z).abs() < 1e-9 && obb.corners().iter().all(|&q| p.obb.contains_xy(q, 0.0)));
                    if !host_ok {
                        continue;
                    }
                }
                obb.z0 = z0.unwrap_or_else(|| self.floor_base(&obb));
                obb.z1 = obb.z0 + size[2];
                if obb.z1 > self.height - 0.3 || !self.free_at(room, &obb, &ObjectClass::Other(String::new())) {
                    continue;
                }
                let center = [c[0], c[1], obb.z0 + size[2] / 2.0];
                self.clutter.push((Clutter { kind, center, size, yaw }, obb));
                break;
            }
        }
    }
}

/// Door clearance and window zones of a plan.
fn zones(plan: &Plan) -> Vec<(ZoneKind, Obb)> {
    let t = plan.thickness;
    let mut out = Vec::new();
    for o in &plan.openings {
        let Some(w) = plan.walls.get(o.wall as usize) else { continue };
        let (n, d) = (w.left_normal(), w.dir());
        let mid = w.at((o.u0 + o.u1) / 2.0);
        let width = o.u1 - o.u0;
        let yaw = d[1].atan2(d[0]);
        for side in [1.0, -1.0] {
            let (kind, depth, half_w, z0, z1) = match o.kind {
                OpeningKind::Door => (ZoneKind::Door, DOOR_ZONE_DEPTH.max(width + 0.15), width / 2.0 + DOOR_ZONE_SIDE, 0.0, o.z1 + 0.05),
                OpeningKind::Window => (ZoneKind::Window, WINDOW_ZONE_DEPTH, width / 2.0 + 0.05, o.z0, o.z1),
            };
            let off = side * (t / 2.0 + depth / 2.0);
            out.push((
                kind,
                Obb { c: [mid[0] + n[0] * off, mid[1] + n[1] * off], h: [half_w, depth / 2.0], yaw, z0, z1 },
            ));
        }
    }
    out
}

/// Furnishes every room of a plan. `None` never happens today (rooms that
/// cannot take an item just go without it); kept for rules that may
/// reject a plan.
pub(crate) fn furnish(rng: &mut ChaCha8Rng, cfg: &SceneConfig, plan: &Plan) -> Option<Furnished> {
    let mut p = Placer { rng, cfg, height: plan.height, zones: zones(plan), placed: Vec::new(), clutter: Vec::new() };
    let rooms: Vec<RoomGeom> = (0..plan.rooms.len()).map(|i| RoomGeom::new(i, plan)).collect();
    for room in &rooms {
        match room.kind {
            RoomKind::Bedroom => p.bedroom(room, plan),
            RoomKind::LivingRoom => p.living_room(room, plan),
            RoomKind::Kitchen => p.kitchen(room, plan),
            RoomKind::Bathroom => p.bathroom(room, plan),
            RoomKind::Office => p.office(room, plan),
        }
    }
    for room in &rooms {
        p.add_clutter(room);
    }
    // Items in room order, so object ids run room by room.
    let mut items: Vec<Item> = p.placed.into_iter().map(|x| x.item).collect();
    items.sort_by_key(|i| i.room);
    Some(Furnished { items, clutter: p.clutter.into_iter().map(|c| c.0).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obb_overlap_and_containment() {
        let a = Obb { c: [0.0, 0.0], h: [1.0, 0.5], yaw: 0.0, z0: 0.0, z1: 1.0 };
        let mut b = Obb { c: [2.05, 0.0], h: [1.0, 0.5], yaw: 0.0, z0: 0.0, z1: 1.0 };
        assert!(!a.overlaps(&b, 0.02));
        assert!(a.overlaps(&b, 0.1));
        b.yaw = 0.5;
        assert!(a.overlaps(&b, 0.0));
        b.z0 = 1.0;
        b.z1 = 2.0;
        assert!(!a.overlaps(&b, 0.0), "touching in z is not overlapping");
        let l = [[0.0, 0.0], [4.0, 0.0], [4.0, 2.0], [2.0, 2.0], [2.0, 4.0], [0.0, 4.0]];
        let inside = Obb { c: [1.0, 1.0], h: [0.5, 0.5], yaw: 0.3, z0: 0.0, z1: 1.0 };
        assert!(obb_in_polygon(&inside, &l));
        // Corners all inside the L but the reflex corner pokes in.
        let across = Obb { c: [2.0, 2.0], h: [0.3, 0.3], yaw: 0.0, z0: 0.0, z1: 1.0 };
        assert!(!obb_in_polygon(&across, &l));
    }
}
