//! Furniture built from primitives, so that sampled clouds look like
//! furniture rather than boxes: a table is a top and four legs, a sofa a
//! base, back, arms and cushions, a bed a frame, mattress, headboard and
//! pillows, and so on. Every part stays inside the object's layout box
//! (local frame: x along the width, y from back (-) to front (+), z up from
//! the box bottom) and carries the label `Object(id)`.

use super::primitives::ROUND_SEGMENTS;
use super::scene::RoomKind;
use super::world::{Material, Mesh, SurfaceLabel, Texture, World};
use crate::layout::{Object, ObjectClass};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A material with a random pattern seed.
pub(crate) fn mat(rng: &mut ChaCha8Rng, texture: Texture, color: [u8; 3]) -> Material {
    Material { texture, color, seed: rng.random() }
}

/// `color` with each channel moved by up to `amount`.
pub(crate) fn jitter(rng: &mut ChaCha8Rng, color: [u8; 3], amount: i32) -> [u8; 3] {
    color.map(|c| (i32::from(c) + rng.random_range(-amount..=amount)).clamp(0, 255) as u8)
}

/// Places parts in an object's local frame.
struct Local<'a> {
    world: &'a mut World,
    center: [f64; 3],
    size: [f64; 3],
    yaw: f64,
    label: SurfaceLabel,
}

impl Local<'_> {
    /// Local (x, y, z from the bottom) to world.
    fn p(&self, x: f64, y: f64, z: f64) -> [f64; 3] {
        let (s, c) = self.yaw.sin_cos();
        [self.center[0] + c * x - s * y, self.center[1] + s * x + c * y, self.center[2] - self.size[2] / 2.0 + z]
    }
    fn hx(&self) -> f64 {
        self.size[0] / 2.0
    }
    fn hy(&self) -> f64 {
        self.size[1] / 2.0
    }
    fn h(&self) -> f64 {
        self.size[2]
    }
    /// Box between local corners `lo` and `hi`.
    fn cube(&mut self, lo: [f64; 3], hi: [f64; 3], m: Material) {
        let c = self.p((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0, (lo[2] + hi[2]) / 2.0);
        let s = [(hi[0] - lo[0]).abs(), (hi[1] - lo[1]).abs(), (hi[2] - lo[2]).abs()];
        if s.iter().all(|&v| v > 1e-4) {
            self.world.add_box(c, s, self.yaw, m, self.label);
        }
    }
    /// Vertical cylinder at local (x, y) from z0 to z1.
    fn cyl(&mut self, x: f64, y: f64, z0: f64, z1: f64, r: f64, m: Material) {
        if z1 - z0 > 1e-4 && r > 1e-4 {
            let b = self.p(x, y, z0);
            self.world.add_cylinder(b, r, z1 - z0, ROUND_SEGMENTS, m, self.label);
        }
    }
    fn ell(&mut self, c: [f64; 3], r: [f64; 3], m: Material) {
        let p = self.p(c[0], c[1], c[2]);
        self.world.add_ellipsoid(p, r, self.yaw, m, self.label);
    }
    /// Four legs inset by `inset`, `t` thick, from the floor to `top`.
    fn legs(&mut self, inset: f64, t: f64, top: f64, m: Material, round: bool) {
        let (x, y) = (self.hx() - inset - t / 2.0, self.hy() - inset - t / 2.0);
        for (sx, sy) in [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)] {
            if round {
                self.cyl(sx * x, sy * y, 0.0, top, t / 2.0, m);
            } else {
                self.cube([sx * x - t / 2.0, sy * y - t / 2.0, 0.0], [sx * x + t / 2.0, sy * y + t / 2.0, top], m);
            }
        }
    }
    /// A cabinet body with door or drawer fronts on the +y face.
    fn cabinet(&mut self, rng: &mut ChaCha8Rng, body: Material, front: Material, z0: f64, z1: f64, drawers: bool) {
        let (hx, hy) = (self.hx(), self.hy());
        let ft = 0.018_f64.min(self.size[1] * 0.1);
        self.cube([-hx, -hy, z0], [hx, hy - ft, z1], body);
        let handle = mat(rng, Texture::Metal, [170, 170, 175]);
        if drawers {
            let n = ((z1 - z0) / 0.22).round().clamp(1.0, 5.0) as usize;
            let step = (z1 - z0) / n as f64;
            for k in 0..n {
                let (a, b) = (z0 + k as f64 * step + 0.005, z0 + (k + 1) as f64 * step - 0.005);
                self.cube([-hx + 0.01, hy - ft, a], [hx - 0.01, hy, b], front);
                self.cube([-0.06, hy - ft * 0.5, (a + b) / 2.0 - 0.01], [0.06, hy, (a + b) / 2.0 + 0.01], handle);
            }
        } else {
            let n = (self.size[0] / 0.6).ceil().clamp(1.0, 4.0) as usize;
            let step = self.size[0] / n as f64;
            for k in 0..n {
                let (a, b) = (-hx + k as f64 * step + 0.004, -hx + (k + 1) as f64 * step - 0.004);
                self.cube([a, hy - ft, z0 + 0.005], [b, hy, z1 - 0.005], front);
                let hxp = if k % 2 == 0 { b - 0.05 } else { a + 0.05 };
                let zm = (z0 + z1) / 2.0;
                self.cube([hxp - 0.008, hy - ft * 0.5, zm - 0.06], [hxp + 0.008, hy, zm + 0.06], handle);
            }
        }
    }
}

fn wood(rng: &mut ChaCha8Rng) -> Material {
    const WOOD: [[u8; 3]; 5] = [[160, 110, 70], [120, 80, 50], [205, 170, 120], [90, 60, 40], [180, 140, 100]];
    let c = WOOD[rng.random_range(0..WOOD.len())];
    let c = jitter(rng, c, 12);
    mat(rng, Texture::Wood, c)
}

fn fabric(rng: &mut ChaCha8Rng) -> Material {
    const FABRIC: [[u8; 3]; 6] = [[120, 120, 125], [80, 90, 120], [150, 120, 95], [60, 60, 65], [170, 160, 145], [110, 130, 100]];
    let c = FABRIC[rng.random_range(0..FABRIC.len())];
    let c = jitter(rng, c, 15);
    mat(rng, Texture::Fabric, c)
}

fn paint(rng: &mut ChaCha8Rng) -> Material {
    const PAINT: [[u8; 3]; 5] = [[240, 240, 236], [60, 60, 62], [200, 195, 185], [150, 160, 170], [225, 215, 195]];
    let c = PAINT[rng.random_range(0..PAINT.len())];
    let c = jitter(rng, c, 8);
    mat(rng, Texture::Plain, c)
}

fn metal(rng: &mut ChaCha8Rng, base: [u8; 3]) -> Material {
    let c = jitter(rng, base, 10);
    mat(rng, Texture::Metal, c)
}

fn plain(rng: &mut ChaCha8Rng, base: [u8; 3], amount: i32) -> Material {
    let c = jitter(rng, base, amount);
    mat(rng, Texture::Plain, c)
}

/// Body material for cabinet-like furniture: wood or paint.
fn body(rng: &mut ChaCha8Rng) -> Material {
    if rng.random_bool(0.55) {
        wood(rng)
    } else {
        paint(rng)
    }
}

/// Adds the meshes of one layout object.
pub(crate) fn build(world: &mut World, o: &Object, room: Option<RoomKind>, rng: &mut ChaCha8Rng) {
    let mut l = Local { world, center: o.center, size: o.size, yaw: o.yaw, label: SurfaceLabel::Object(o.id) };
    let (hx, hy, h) = (l.hx(), l.hy(), l.h());
    use ObjectClass as C;
    match &o.class {
        C::Bed => {
            let frame = body(rng);
            let sheet = plain(rng, [235, 235, 240], 20);
            let hb = 0.06_f64.min(hy * 0.2);
            let leg = 0.1;
            let frame_top = (h * 0.3).clamp(0.25, 0.35);
            let mattress_top = (frame_top + 0.22).min(h - 0.05);
            l.legs(0.05, 0.06, leg, frame, false);
            l.cube([-hx, -hy + hb, leg], [hx, hy, frame_top], frame);
            l.cube([-hx, -hy, 0.0], [hx, -hy + hb, h], frame);
            l.cube([-hx + 0.03, -hy + hb + 0.02, frame_top], [hx - 0.03, hy - 0.03, mattress_top], sheet);
            let blanket = fabric(rng);
            l.cube([-hx + 0.02, -hy + hb + 0.55, mattress_top], [hx - 0.02, hy - 0.02, (mattress_top + 0.04).min(h)], blanket);
            let pillows = if hx > 0.6 { 2 } else { 1 };
            let pw = (2.0 * hx - 0.2) / pillows as f64;
            for k in 0..pillows {
                let x = -hx + 0.1 + pw * (k as f64 + 0.5);
                let r = [pw / 2.0 - 0.03, 0.2, 0.07];
                if mattress_top + 2.0 * r[2] <= h {
                    l.ell([x, -hy + hb + 0.25, mattress_top + r[2]], r, sheet);
                }
            }
        }
        C::Nightstand | C::DressingTable | C::Sideboard | C::TvCabinet | C::ShoeCabinet | C::DecorativeCabinet
        | C::BathroomCabinet | C::WineCabinet | C::EntranceCabinet | C::WashingCabinet => {
            let b = body(rng);
            let f = if rng.random_bool(0.5) { b } else { body(rng) };
            let plinth = (0.06_f64).min(h * 0.15);
            l.cube([-hx + 0.02, -hy + 0.02, 0.0], [hx - 0.02, hy - 0.04, plinth], b);
            let drawers = matches!(o.class, C::Nightstand | C::DressingTable) || rng.random_bool(0.3);
            if o.class == C::DressingTable {
                // A table with a drawer box under one side, on legs.
                let top = h - 0.03;
                l.cube([-hx, -hy, top], [hx, hy, h], b);
                l.legs(0.02, 0.04, top, b, false);
                let dw = (2.0 * hx * 0.4).min(0.45);
                l.cube([hx - 0.04 - dw, -hy + 0.02, top - 0.3], [hx - 0.04, hy - 0.01, top], f);
            } else {
                l.cabinet(rng, b, f, plinth, h, drawers);
            }
        }
        C::Wardrobe | C::Cupboard | C::Sink | C::Stove | C::WallCabinet | C::Refrigerator => {
            let (b, f) = if o.class == C::Refrigerator {
                let m = if rng.random_bool(0.5) { metal(rng, [200, 200, 205]) } else { plain(rng, [240, 240, 240], 6) };
                (m, m)
            } else {
                let b = body(rng);
                (b, if rng.random_bool(0.5) { b } else { paint(rng) })
            };
            let counter = matches!(o.class, C::Cupboard | C::Sink | C::Stove) && h < 1.2;
            let plinth = if o.class == C::WallCabinet { 0.0 } else { 0.08_f64.min(h * 0.1) };
            if plinth > 0.0 {
                l.cube([-hx + 0.01, -hy, 0.0], [hx - 0.01, hy - 0.06, plinth], plain(rng, [60, 60, 60], 10));
            }
            let top = if counter { h - 0.035 } else { h };
            l.cabinet(rng, b, f, plinth, top, o.class == C::Stove);
            if counter {
                let stone = if rng.random_bool(0.5) { plain(rng, [60, 60, 62], 15) } else { wood(rng) };
                l.cube([-hx, -hy, top], [hx, hy, h - 0.002], stone);
                match o.class {
                    C::Sink => {
                        let steel = metal(rng, [185, 185, 190]);
                        l.cube([-hx * 0.7, -hy * 0.5, h - 0.002], [hx * 0.7, hy * 0.6, h], steel);
                    }
                    C::Stove => {
                        let iron = plain(rng, [30, 30, 30], 5);
                        for (x, y) in [(-0.3, -0.3), (0.3, -0.3), (0.3, 0.3), (-0.3, 0.3)] {
                            l.cyl(x * hx * 1.2, y * hy * 1.2, h - 0.002, h, 0.08_f64.min(hx * 0.25), iron);
                        }
                    }
                    _ => {}
                }
            } else if o.class == C::Sink {
                let steel = metal(rng, [185, 185, 190]);
                l.cube([-hx * 0.7, -hy * 0.5, h - 0.002], [hx * 0.7, hy * 0.6, h], steel);
            }
        }
        C::Bookcase => {
            let b = body(rng);
            let t = 0.02;
            l.cube([-hx, -hy, 0.0], [-hx + t, hy, h], b);
            l.cube([hx - t, -hy, 0.0], [hx, hy, h], b);
            l.cube([-hx + t, -hy, 0.0], [hx - t, -hy + t, h], b);
            let shelves = ((h - 0.1) / 0.36).floor().max(1.0) as usize;
            let step = (h - t) / shelves as f64;
            let spines = Material { texture: Texture::BookSpines, color: jitter(rng, [140, 60, 50], 40), seed: rng.random() };
            for k in 0..=shelves {
                let z = (k as f64 * step).min(h - t);
                l.cube([-hx + t, -hy + t, z], [hx - t, hy, z + t], b);
                if k < shelves && rng.random_bool(0.8) {
                    let run = (2.0 * (hx - t)) * rng.random_range(0.4..0.95);
                    let x0 = -hx + t + rng.random_range(0.0..(2.0 * (hx - t) - run).max(1e-3));
                    let bh = (step - t - 0.03).min(rng.random_range(0.18..0.3));
                    l.cube([x0, -hy + t + 0.01, z + t], [x0 + run, hy - 0.03, z + t + bh], spines);
                }
            }
        }
        C::Sofa | C::CombinationSofa => sofa(&mut l, rng),
        C::Chair | C::DiningChair | C::BarChair if o.size[0] > 0.65 => sofa(&mut l, rng),
        C::Chair | C::DiningChair | C::BarChair => {
            let m = if rng.random_bool(0.6) { wood(rng) } else { metal(rng, [50, 50, 55]) };
            let seat = (h * 0.5).clamp(0.4, 0.48);
            let cushion = if rng.random_bool(0.5) { fabric(rng) } else { m };
            l.legs(0.02, 0.035, seat - 0.04, m, rng.random_bool(0.4));
            l.cube([-hx, -hy, seat - 0.04], [hx, hy, seat], cushion);
            l.cube([-hx + 0.01, -hy, seat], [hx - 0.01, -hy + 0.04, h], m);
        }
        C::Stool => {
            let m = if rng.random_bool(0.5) { wood(rng) } else { metal(rng, [60, 60, 65]) };
            let r = hx.min(hy);
            for (x, y) in [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)] {
                l.cyl(x * r, y * r, 0.0, h - 0.04, 0.015, m);
            }
            l.cyl(0.0, 0.0, h - 0.04, h, r, m);
        }
        C::DiningTable | C::Desk | C::CoffeeTable | C::DiningTableCombination => {
            let m = body(rng);
            let tt = if o.class == C::CoffeeTable { 0.04 } else { 0.035 };
            l.cube([-hx, -hy, h - tt], [hx, hy, h], m);
            let legm = if rng.random_bool(0.5) { m } else { metal(rng, [50, 50, 55]) };
            if o.class == C::Desk && rng.random_bool(0.5) {
                // Panel sides and a drawer unit.
                l.cube([-hx, -hy + 0.02, 0.0], [-hx + 0.025, hy - 0.02, h - tt], m);
                l.cube([hx - 0.025, -hy + 0.02, 0.0], [hx, hy - 0.02, h - tt], m);
                let dw = 0.4_f64.min(hx);
                l.cube([hx - 0.025 - dw, -hy + 0.02, h - tt - 0.15], [hx - 0.025, hy - 0.02, h - tt], m);
            } else {
                l.legs(0.04, 0.05, h - tt, legm, rng.random_bool(0.3));
            }
            if o.class == C::CoffeeTable && rng.random_bool(0.5) {
                l.cube([-hx + 0.04, -hy + 0.04, 0.08], [hx - 0.04, hy - 0.04, 0.1], m);
            }
        }
        C::SideTable => {
            let m = body(rng);
            let r = hx.min(hy);
            if rng.random_bool(0.5) {
                l.cyl(0.0, 0.0, h - 0.03, h, r, m);
                l.cyl(0.0, 0.0, 0.02, h - 0.03, 0.03, m);
                l.cyl(0.0, 0.0, 0.0, 0.02, r * 0.6, m);
            } else {
                l.cube([-hx, -hy, h - 0.03], [hx, hy, h], m);
                l.legs(0.02, 0.035, h - 0.03, m, false);
            }
        }
        C::Computer => {
            // A monitor: foot, neck, panel with a screen on the front.
            let frame = plain(rng, [30, 30, 32], 6);
            let screen = plain(rng, [12, 14, 20], 4);
            let panel_lo = h * 0.3;
            l.cube([-hx * 0.4, -hy, 0.0], [hx * 0.4, hy, 0.015], frame);
            l.cube([-0.025, -hy * 0.3, 0.015], [0.025, hy * 0.1, panel_lo], frame);
            l.cube([-hx, hy * 0.1, panel_lo], [hx, hy * 0.5, h], frame);
            l.cube([-hx + 0.015, hy * 0.5, panel_lo + 0.015], [hx - 0.015, hy * 0.5 + 0.004, h - 0.015], screen);
        }
        C::Tv | C::Screen => {
            let frame = plain(rng, [25, 25, 28], 5);
            let screen = plain(rng, [10, 12, 18], 4);
            l.cube([-hx, -hy, 0.0], [hx, hy - 0.004, h], frame);
            l.cube([-hx + 0.015, hy - 0.004, 0.015], [hx - 0.015, hy, h - 0.015], screen);
        }
        C::Curtain => curtain(&mut l, rng),
        C::Painting | C::WallDecoration | C::Mirror => {
            let frame = if rng.random_bool(0.5) { wood(rng) } else { metal(rng, [40, 40, 40]) };
            let f = 0.03_f64.min(hx * 0.2).min(h * 0.2);
            l.cube([-hx, -hy, 0.0], [hx, hy - 0.004, h], frame);
            let face = if o.class == C::Mirror {
                plain(rng, [200, 210, 215], 10)
            } else {
                Material { texture: Texture::Poster, color: jitter(rng, [150, 130, 120], 80), seed: rng.random() }
            };
            l.cube([-hx + f, hy - 0.004, f], [hx - f, hy, h - f], face);
        }
        C::Carpet => {
            let c = jitter(rng, [140, 90, 70], 60);
            let m = mat(rng, Texture::Carpet, c);
            l.cube([-hx, -hy, 0.0], [hx, hy, h], m);
        }
        C::Plants | C::PottedBonsai => {
            let pot = if rng.random_bool(0.5) { plain(rng, [170, 90, 60], 20) } else { paint(rng) };
            let leaf = plain(rng, [60, 120, 55], 25);
            let r = hx.min(hy);
            let ph = (h * 0.3).clamp(0.15, 0.4);
            l.cyl(0.0, 0.0, 0.0, ph, r * 0.55, pot);
            l.cyl(0.0, 0.0, ph, ph + 0.5 * (h - ph), 0.015, plain(rng, [90, 70, 40], 10));
            let blobs = rng.random_range(2..=3);
            for k in 0..blobs {
                let rz = (h - ph) / (2.0 + k as f64 * 0.5);
                let rx = r * rng.random_range(0.55..0.95);
                let ry = r * rng.random_range(0.55..0.95);
                let cz = (h - rz).min(ph + rz + (h - ph - 2.0 * rz) * rng.random_range(0.0..1.0));
                let cx = rng.random_range(-(hx - rx).max(0.0)..=(hx - rx).max(0.0));
                let cy = rng.random_range(-(hy - ry).max(0.0)..=(hy - ry).max(0.0));
                l.ell([cx, cy, cz], [rx, ry, rz], leaf);
            }
        }
        C::Chandelier | C::Illumination => {
            let m = if rng.random_bool(0.5) { metal(rng, [190, 170, 120]) } else { paint(rng) };
            let glow = plain(rng, [250, 245, 225], 5);
            let r = hx.min(hy);
            let body_h = (h * 0.45).min(0.35);
            l.cyl(0.0, 0.0, body_h, h, 0.008, m);
            if rng.random_bool(0.5) {
                l.ell([0.0, 0.0, body_h / 2.0], [r, r, body_h / 2.0], glow);
            } else {
                l.cyl(0.0, 0.0, body_h * 0.6, body_h, r * 0.25, m);
                for k in 0..5 {
                    let a = k as f64 * std::f64::consts::TAU / 5.0;
                    let (s, c) = a.sin_cos();
                    let br = (r * 0.22).min(body_h * 0.3);
                    l.ell([c * (r - br), s * (r - br), br], [br, br, br], glow);
                    l.cyl(c * (r - br) * 0.5, s * (r - br) * 0.5, br, body_h * 0.6, 0.01, m);
                }
            }
        }
        C::AirConditioner => {
            let m = plain(rng, [242, 242, 240], 5);
            let vent = plain(rng, [90, 90, 95], 10);
            l.cube([-hx, -hy, h * 0.25], [hx, hy, h], m);
            l.cube([-hx + 0.01, -hy, 0.0], [hx - 0.01, hy * 0.6, h * 0.25], m);
            l.cube([-hx + 0.05, hy * 0.6, 0.02], [hx - 0.05, hy, h * 0.25 - 0.01], vent);
        }
        C::Toilet => {
            let m = plain(rng, [245, 245, 245], 4);
            let tank_d = (0.2_f64).min(hy * 0.6);
            l.cube([-hx + 0.02, -hy, h * 0.5], [hx - 0.02, -hy + tank_d, h], m);
            let bowl_ry = hy - tank_d / 2.0;
            let bowl_c = -hy + tank_d / 2.0 + bowl_ry;
            l.cyl(0.0, bowl_c - 0.05, 0.0, 0.25, hx * 0.55, m);
            l.ell([0.0, bowl_c, 0.38], [hx, bowl_ry, 0.14_f64.min(h * 0.2)], m);
        }
        C::Tub | C::Shower => {
            let m = plain(rng, [240, 240, 238], 5);
            let rim = 0.06;
            l.cube([-hx, -hy, 0.0], [hx, hy, h - rim], m);
            l.cube([-hx, -hy, h - rim], [hx, -hy + rim, h], m);
            l.cube([-hx, hy - rim, h - rim], [hx, hy, h], m);
            l.cube([-hx, -hy + rim, h - rim], [-hx + rim, hy - rim, h], m);
            l.cube([hx - rim, -hy + rim, h - rim], [hx, hy - rim, h], m);
        }
        C::WashingMachine => {
            let m = plain(rng, [240, 240, 240], 5);
            let door = plain(rng, [60, 65, 75], 10);
            l.cube([-hx, -hy, 0.0], [hx, hy - 0.01, h], m);
            let r = hx.min(h) * 0.6;
            l.cube([-r, hy - 0.01, h * 0.45 - r], [r, hy, h * 0.45 + r], door);
        }
        C::MicroWaveOven => {
            let m = if rng.random_bool(0.5) { metal(rng, [190, 190, 195]) } else { plain(rng, [30, 30, 30], 5) };
            let glass = plain(rng, [20, 20, 25], 4);
            l.cube([-hx, -hy, 0.0], [hx, hy - 0.005, h], m);
            l.cube([-hx + 0.03, hy - 0.005, 0.04], [hx * 0.4, hy, h - 0.04], glass);
        }
        C::FloorStandingLamp => {
            let m = metal(rng, [40, 40, 40]);
            let shade = plain(rng, [235, 225, 200], 10);
            let r = hx.min(hy);
            l.cyl(0.0, 0.0, 0.0, 0.03, r * 0.6, m);
            l.cyl(0.0, 0.0, 0.03, h - 0.3, 0.012, m);
            l.cyl(0.0, 0.0, h - 0.3, h, r, shade);
        }
        _ => {
            let m = body(rng);
            l.cube([-hx, -hy, 0.0], [hx, hy, h], m);
        }
    }
    let _ = room;
}

/// Sofas and armchairs: legs, base, back, arms, seat cushions.
fn sofa(l: &mut Local<'_>, rng: &mut ChaCha8Rng) {
    let (hx, hy, h) = (l.hx(), l.hy(), l.h());
    let cloth = fabric(rng);
    let legm = plain(rng, [40, 30, 25], 10);
    let leg = 0.08;
    let base_top = (h * 0.45).clamp(0.3, 0.42);
    let back_d = (0.2_f64).min(hy * 0.4);
    let arm_w = (0.15_f64).min(hx * 0.2);
    let arm_top = (base_top + 0.22).min(h);
    l.legs(0.04, 0.05, leg, legm, true);
    l.cube([-hx, -hy, leg], [hx, hy, base_top], cloth);
    l.cube([-hx, -hy, base_top], [hx, -hy + back_d, h], cloth);
    l.cube([-hx, -hy + back_d, base_top], [-hx + arm_w, hy, arm_top], cloth);
    l.cube([hx - arm_w, -hy + back_d, base_top], [hx, hy, arm_top], cloth);
    let inner = 2.0 * (hx - arm_w);
    let n = (inner / 0.7).round().clamp(1.0, 4.0) as usize;
    let w = inner / n as f64;
    let cushion = if rng.random_bool(0.6) { cloth } else { fabric(rng) };
    for k in 0..n {
        let x0 = -hx + arm_w + k as f64 * w;
        l.cube([x0 + 0.005, -hy + back_d, base_top], [x0 + w - 0.005, hy - 0.01, (base_top + 0.1).min(h)], cushion);
    }
}

/// A curtain: a rod across the top and two gathered (zig-zag) panels at
/// the sides, leaving the window between them visible.
fn curtain(l: &mut Local<'_>, rng: &mut ChaCha8Rng) {
    let (hx, hy, h) = (l.hx(), l.hy(), l.h());
    let rod = metal(rng, [60, 60, 60]);
    l.cube([-hx, -0.015, h - 0.03], [hx, 0.015, h], rod);
    let cloth = fabric(rng);
    let open: f64 = rng.random_range(0.2..0.45);
    for side in [-1.0, 1.0] {
        let (x_out, x_in) = (side * hx, side * hx * (1.0 - open * 2.0).max(0.1));
        let folds = 6;
        let mut mesh = Mesh { vertices: Vec::new(), uvs: Vec::new(), triangles: Vec::new(), material: cloth, label: l.label };
        let (z0, z1) = (0.0, h - 0.03);
        let amp = (hy - 0.005).max(0.005);
        for k in 0..=folds {
            let x = x_out + (x_in - x_out) * k as f64 / folds as f64;
            let y = if k % 2 == 0 { -amp } else { amp };
            for z in [z0, z1] {
                let p = l.p(x, y, z);
                mesh.vertices.push([p[0] as f32, p[1] as f32, p[2] as f32]);
                mesh.uvs.push([(k as f64 * 0.1) as f32, z as f32]);
            }
        }
        for k in 0..folds as u32 {
            let (a, b, c, d) = (2 * k, 2 * k + 1, 2 * k + 2, 2 * k + 3);
            // Both sides of the cloth.
            mesh.triangles.extend([[a, c, d], [a, d, b], [a, d, c], [a, b, d]]);
        }
        l.world.meshes.push(mesh);
    }
}
