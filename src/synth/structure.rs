//! The world of a scene: floors and ceilings per room, walls as slabs with
//! real holes at doors and windows (mitred at corners), door leaves, window
//! panes and frames, furniture from [`super::shapes`] and clutter, each with
//! a material chosen per room (plain or papered walls, wood or tiled floors).

use super::furnish::{ClutterKind, Furnished};
use super::plan::{self, Leaf, Plan, PlanOpening, P2};
use super::scene::{RoomKind, SceneConfig};
use super::shapes::{self, jitter, mat};
use super::world::{Material, Mesh, SurfaceLabel, Texture, World};
use crate::layout::{Layout, OpeningKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// Door leaf thickness (m).
const LEAF_THICKNESS: f64 = 0.04;
/// Window pane thickness (m).
const PANE_THICKNESS: f64 = 0.02;
/// Window frame bar width and depth (m).
const FRAME_BAR: f64 = 0.05;

struct RoomLook {
    wall: Material,
    floor: Material,
    ceiling: Material,
}

fn room_look(rng: &mut ChaCha8Rng, kind: RoomKind) -> RoomLook {
    const PAINT: [[u8; 3]; 8] = [
        [236, 232, 222],
        [242, 240, 236],
        [220, 214, 200],
        [200, 210, 215],
        [214, 222, 206],
        [232, 218, 200],
        [190, 190, 186],
        [245, 236, 214],
    ];
    const WOOD: [[u8; 3]; 4] = [[170, 120, 75], [140, 95, 60], [200, 160, 110], [110, 75, 50]];
    const TILE: [[u8; 3]; 4] = [[225, 225, 222], [190, 195, 200], [160, 150, 140], [210, 200, 185]];
    let pick = |rng: &mut ChaCha8Rng, p: &[[u8; 3]]| p[rng.random_range(0..p.len())];
    let wet = matches!(kind, RoomKind::Bathroom | RoomKind::Kitchen);
    let x: f64 = rng.random();
    let wall = if kind == RoomKind::Bathroom && x < 0.7 || kind == RoomKind::Kitchen && x < 0.25 {
        let c = pick(rng, &TILE);
        mat(rng, Texture::Tiles, c)
    } else if x < 0.72 {
        let c = pick(rng, &PAINT);
        mat(rng, Texture::Plain, c)
    } else {
        let c = pick(rng, &PAINT);
        mat(rng, Texture::Wallpaper, c)
    };
    let y: f64 = rng.random();
    let floor = if wet && y < 0.85 {
        let c = pick(rng, &TILE);
        mat(rng, Texture::Tiles, c)
    } else if y < 0.75 {
        let c = pick(rng, &WOOD);
        mat(rng, Texture::Wood, c)
    } else if y < 0.88 {
        let c = pick(rng, &TILE);
        mat(rng, Texture::Tiles, c)
    } else {
        let c = jitter(rng, [150, 140, 130], 30);
        mat(rng, Texture::Carpet, c)
    };
    let ceiling = {
        let c = jitter(rng, [244, 244, 240], 8);
        mat(rng, Texture::Plain, c)
    };
    RoomLook { wall, floor, ceiling }
}

type Key = (i64, i64);

fn key(p: P2) -> Key {
    ((p[0] * 1e5).round() as i64, (p[1] * 1e5).round() as i64)
}

fn cross(a: P2, b: P2) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

/// Where the left (`side` = 1) or right (-1) face of wall `w` starts or
/// ends, as an offset along the wall from its `a` (at_b false) or `b` end:
/// mitred with the one other wall at that corner, else square.
fn face_end(plan: &Plan, at: &HashMap<Key, Vec<usize>>, w: usize, at_b: bool, side: f64) -> f64 {
    let wall = &plan.walls[w];
    let (p, d) = (if at_b { wall.b } else { wall.a }, wall.dir());
    let away = if at_b { [-d[0], -d[1]] } else { d };
    let Some(list) = at.get(&key(p)) else { return 0.0 };
    if list.len() != 2 {
        return 0.0;
    }
    let Some(&o) = list.iter().find(|&&i| i != w) else { return 0.0 };
    let ow = &plan.walls[o];
    let od = ow.dir();
    let oaway = if plan::dist(ow.a, p) < plan::dist(ow.b, p) { od } else { [-od[0], -od[1]] };
    let m = [away[0] + oaway[0], away[1] + oaway[1]];
    if (m[0] * m[0] + m[1] * m[1]).sqrt() < 1e-6 || cross(d, m).abs() < 1e-9 {
        return 0.0;
    }
    let n = wall.left_normal();
    let off = [n[0] * side * plan.thickness / 2.0, n[1] * side * plan.thickness / 2.0];
    // off + s d lies on the bisector line p + λ m.
    -cross(off, m) / cross(d, m)
}

struct MeshBuilder {
    mesh: Mesh,
}

impl MeshBuilder {
    fn new(material: Material, label: SurfaceLabel) -> MeshBuilder {
        MeshBuilder { mesh: Mesh { vertices: Vec::new(), uvs: Vec::new(), triangles: Vec::new(), material, label } }
    }
    /// A quad, counter-clockwise seen from the side it faces.
    fn quad(&mut self, p: [[f64; 3]; 4], uv: [[f64; 2]; 4]) {
        let b = self.mesh.vertices.len() as u32;
        for (q, t) in p.iter().zip(uv) {
            self.mesh.vertices.push([q[0] as f32, q[1] as f32, q[2] as f32]);
            self.mesh.uvs.push([t[0] as f32, t[1] as f32]);
        }
        self.mesh.triangles.push([b, b + 1, b + 2]);
        self.mesh.triangles.push([b, b + 2, b + 3]);
    }
}

/// Rectangles (u0, u1, z0, z1) covering the wall face `u_lo..u_hi` x
/// `0..height` minus the openings.
fn face_pieces(u_lo: f64, u_hi: f64, height: f64, openings: &[&PlanOpening]) -> Vec<[f64; 4]> {
    let mut out = Vec::new();
    let mut cursor = u_lo;
    for o in openings {
        if o.u0 > cursor {
            out.push([cursor, o.u0, 0.0, height]);
        }
        if o.z0 > 0.0 {
            out.push([o.u0, o.u1, 0.0, o.z0]);
        }
        if o.z1 < height {
            out.push([o.u0, o.u1, o.z1, height]);
        }
        cursor = o.u1;
    }
    if u_hi > cursor {
        out.push([cursor, u_hi, 0.0, height]);
    }
    out
}

fn walls(world: &mut World, plan: &Plan, looks: &[RoomLook], outside: Material) {
    let mut at: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, w) in plan.walls.iter().enumerate() {
        at.entry(key(w.a)).or_default().push(i);
        at.entry(key(w.b)).or_default().push(i);
    }
    let h = plan.height;
    let half = plan.thickness / 2.0;
    for (i, w) in plan.walls.iter().enumerate() {
        let mut ops: Vec<&PlanOpening> = plan.openings.iter().filter(|o| o.wall as usize == i).collect();
        ops.sort_by(|a, b| a.u0.total_cmp(&b.u0));
        let (d, n, len) = (w.dir(), w.left_normal(), w.length());
        let point = |u: f64, off: f64, z: f64| [w.a[0] + d[0] * u + n[0] * off, w.a[1] + d[1] * u + n[1] * off, z];
        for side in [1.0, -1.0] {
            let material = if side > 0.0 {
                looks.get(w.left).map_or(outside, |l| l.wall)
            } else {
                w.right.and_then(|r| looks.get(r)).map_or(outside, |l| l.wall)
            };
            let mut mb = MeshBuilder::new(material, SurfaceLabel::Wall(i as u32));
            let u_lo = face_end(plan, &at, i, false, side);
            let u_hi = len + face_end(plan, &at, i, true, side);
            let off = side * half;
            for [u0, u1, z0, z1] in face_pieces(u_lo, u_hi, h, &ops) {
                let uv = [[u0, z0], [u1, z0], [u1, z1], [u0, z1]];
                if side > 0.0 {
                    // Facing +n: corners run u1 -> u0 seen from the left.
                    mb.quad(
                        [point(u1, off, z0), point(u0, off, z0), point(u0, off, z1), point(u1, off, z1)],
                        [uv[1], uv[0], uv[3], uv[2]],
                    );
                } else {
                    mb.quad([point(u0, off, z0), point(u1, off, z0), point(u1, off, z1), point(u0, off, z1)], uv);
                }
            }
            // Reveals (the wall's thickness inside each opening), once.
            if side > 0.0 {
                for o in &ops {
                    let t = plan.thickness;
                    let (l, r) = (half, -half);
                    // Jamb at u0 faces +d, jamb at u1 faces -d.
                    mb.quad(
                        [point(o.u0, r, o.z0), point(o.u0, l, o.z0), point(o.u0, l, o.z1), point(o.u0, r, o.z1)],
                        [[0.0, o.z0], [t, o.z0], [t, o.z1], [0.0, o.z1]],
                    );
                    mb.quad(
                        [point(o.u1, l, o.z0), point(o.u1, r, o.z0), point(o.u1, r, o.z1), point(o.u1, l, o.z1)],
                        [[0.0, o.z0], [t, o.z0], [t, o.z1], [0.0, o.z1]],
                    );
                    if o.z0 > 0.0 {
                        // Sill faces up.
                        mb.quad(
                            [point(o.u0, r, o.z0), point(o.u1, r, o.z0), point(o.u1, l, o.z0), point(o.u0, l, o.z0)],
                            [[o.u0, 0.0], [o.u1, 0.0], [o.u1, t], [o.u0, t]],
                        );
                    }
                    if o.z1 < h {
                        // Lintel faces down.
                        mb.quad(
                            [point(o.u0, l, o.z1), point(o.u1, l, o.z1), point(o.u1, r, o.z1), point(o.u0, r, o.z1)],
                            [[o.u0, 0.0], [o.u1, 0.0], [o.u1, t], [o.u0, t]],
                        );
                    }
                }
            }
            if !mb.mesh.triangles.is_empty() {
                world.meshes.push(mb.mesh);
            }
        }
    }
}

fn openings(world: &mut World, rng: &mut ChaCha8Rng, plan: &Plan) {
    let frame = mat(rng, Texture::Plain, [240, 240, 238]);
    for o in &plan.openings {
        let Some(w) = plan.walls.get(o.wall as usize) else { continue };
        let (d, n) = (w.dir(), w.left_normal());
        let yaw = d[1].atan2(d[0]);
        let width = o.u1 - o.u0;
        match o.kind {
            OpeningKind::Door => {
                let label = SurfaceLabel::Door(o.id);
                let leaf_mat = if rng.random_bool(0.6) {
                    let c = jitter(rng, [150, 105, 70], 40);
                    mat(rng, Texture::Wood, c)
                } else {
                    let c = jitter(rng, [235, 235, 230], 10);
                    mat(rng, Texture::Plain, c)
                };
                let lw = width - 0.02;
                let lh = o.z1 - o.z0 - 0.01;
                match o.leaf {
                    Leaf::None => {}
                    Leaf::Closed => {
                        let c = w.at((o.u0 + o.u1) / 2.0);
                        world.add_box([c[0], c[1], lh / 2.0], [lw, LEAF_THICKNESS, lh], yaw, leaf_mat, label);
                    }
                    Leaf::Open { to_left, hinge_low, angle } => {
                        let s = if to_left { 1.0 } else { -1.0 };
                        let face = s * (plan.thickness / 2.0 + LEAF_THICKNESS / 2.0);
                        let (hu, along) = if hinge_low { (o.u0 + 0.01, d) } else { (o.u1 - 0.01, [-d[0], -d[1]]) };
                        let hinge = [w.a[0] + d[0] * hu + n[0] * face, w.a[1] + d[1] * hu + n[1] * face];
                        let (sa, ca) = angle.sin_cos();
                        let dir = [along[0] * ca + n[0] * s * sa, along[1] * ca + n[1] * s * sa];
                        let c = [hinge[0] + dir[0] * lw / 2.0, hinge[1] + dir[1] * lw / 2.0];
                        world.add_box([c[0], c[1], lh / 2.0], [lw, LEAF_THICKNESS, lh], dir[1].atan2(dir[0]), leaf_mat, label);
                    }
                }
            }
            OpeningKind::Window => {
                let label = SurfaceLabel::Window(o.id);
                let c = w.at((o.u0 + o.u1) / 2.0);
                let h = o.z1 - o.z0;
                let zc = (o.z0 + o.z1) / 2.0;
                let pane = Material { texture: Texture::Plain, color: jitter(rng, [170, 195, 210], 15), seed: rng.random() };
                world.add_box([c[0], c[1], zc], [width - 2.0 * FRAME_BAR, PANE_THICKNESS, h - 2.0 * FRAME_BAR], yaw, pane, label);
                let fb = FRAME_BAR;
                let at = |u: f64| [c[0] + d[0] * u, c[1] + d[1] * u];
                for (u, z, sx, sz) in [
                    (0.0, o.z0 + fb / 2.0, width, fb),
                    (0.0, o.z1 - fb / 2.0, width, fb),
                    (-width / 2.0 + fb / 2.0, zc, fb, h - 2.0 * fb),
                    (width / 2.0 - fb / 2.0, zc, fb, h - 2.0 * fb),
                ] {
                    let p = at(u);
                    world.add_box([p[0], p[1], z], [sx, fb, sz], yaw, frame, label);
                }
                if width > 1.2 {
                    world.add_box([c[0], c[1], zc], [fb, fb, h - 2.0 * fb], yaw, frame, label);
                }
            }
        }
    }
}

fn clutter(world: &mut World, rng: &mut ChaCha8Rng, furnished: &Furnished) {
    for c in &furnished.clutter {
        let l = SurfaceLabel::Clutter;
        match c.kind {
            ClutterKind::Box => {
                let col = jitter(rng, [180, 140, 95], 25);
                let m = mat(rng, Texture::Plain, col);
                world.add_box(c.center, c.size, c.yaw, m, l);
                let tape = mat(rng, Texture::Plain, [200, 180, 140]);
                let top = c.center[2] + c.size[2] / 2.0;
                world.add_box([c.center[0], c.center[1], top + 0.001], [c.size[0], 0.05_f64.min(c.size[1]), 0.002], c.yaw, tape, l);
            }
            ClutterKind::Bag => {
                let col = jitter(rng, [70, 70, 90], 50);
                let m = mat(rng, Texture::Fabric, col);
                world.add_ellipsoid(c.center, [c.size[0] / 2.0, c.size[1] / 2.0, c.size[2] / 2.0], c.yaw, m, l);
            }
            ClutterKind::Clothes => {
                for k in 0..3 {
                    let col = jitter(rng, [120, 90, 140], 90);
                    let m = mat(rng, Texture::Fabric, col);
                    let f = 1.0 - 0.25 * k as f64;
                    let (s, co) = c.yaw.sin_cos();
                    let dx = (k as f64 - 1.0) * c.size[0] * 0.15;
                    // Each blob rests on the pile's base.
                    let rz = c.size[2] / 2.0 * (1.0 - 0.2 * k as f64);
                    let p = [c.center[0] + co * dx, c.center[1] + s * dx, c.center[2] - c.size[2] / 2.0 + rz];
                    world.add_ellipsoid(p, [c.size[0] / 2.0 * f, c.size[1] / 2.0 * f, rz], c.yaw + k as f64, m, l);
                }
            }
        }
    }
}

/// Builds the renderable world of a plan and its furniture.
pub(crate) fn build_world(
    seed: u64,
    rng: &mut ChaCha8Rng,
    _cfg: &SceneConfig,
    plan: &Plan,
    layout: &Layout,
    furnished: &Furnished,
) -> World {
    let mut world = World::default();
    let looks: Vec<RoomLook> = plan.rooms.iter().map(|r| room_look(rng, r.kind)).collect();
    let outside = mat(rng, Texture::Plain, [200, 200, 200]);
    for (r, look) in plan.rooms.iter().zip(&looks) {
        let poly = plan::simplify(&r.polygon);
        world.add_polygon(&poly, 0.0, true, look.floor, SurfaceLabel::Floor);
        world.add_polygon(&poly, plan.height, false, look.ceiling, SurfaceLabel::Ceiling);
    }
    walls(&mut world, plan, &looks, outside);
    openings(&mut world, rng, plan);
    for (o, item) in layout.objects.iter().zip(&furnished.items) {
        // Each object's look comes from its own stream, so adding an
        // object does not change every other object's look.
        let mut orng = ChaCha8Rng::seed_from_u64(seed ^ (u64::from(o.id) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        shapes::build(&mut world, o, plan.rooms.get(item.room).map(|r| r.kind), &mut orng);
    }
    clutter(&mut world, rng, furnished);
    world
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn face_pieces_cover_the_face_minus_openings() {
        let door = PlanOpening { kind: OpeningKind::Door, id: 0, wall: 0, u0: 1.0, u1: 2.0, z0: 0.0, z1: 2.0, leaf: Leaf::None };
        let win = PlanOpening { kind: OpeningKind::Window, id: 0, wall: 0, u0: 3.0, u1: 4.0, z0: 1.0, z1: 2.0, leaf: Leaf::None };
        let pieces = face_pieces(-0.1, 5.1, 2.5, &[&door, &win]);
        let area: f64 = pieces.iter().map(|p| (p[1] - p[0]) * (p[3] - p[2])).sum();
        assert!((area - (5.2 * 2.5 - 2.0 - 1.0)).abs() < 1e-9, "{area}");
    }
}
