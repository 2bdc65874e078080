//! Procedural textures: the albedo of a [`Material`] at a surface point,
//! from its uv (metres along the surface) and the pixel footprint (metres
//! per pixel, for band-limiting fine detail so distant surfaces do not
//! alias into noise). Shared by the renderer (pixels) and the scan
//! simulator (point colours). Pure functions, deterministic.
//!
//! The patterns are built to give a feature tracker corners: plank seams and
//! ends, tile grout, poster shapes, book spines, fabric stripes. Plain
//! surfaces stay plain, as many real walls are.

use super::world::{Material, Texture};

/// Albedo in [0, 1] per channel (sRGB-ish) of `material` at `uv`.
/// `footprint` is the size of one pixel on the surface, metres.
pub fn albedo(material: &Material, uv: [f32; 2], footprint: f32) -> [f32; 3] {
    let base = material.color.map(|c| c as f32 / 255.0);
    let s = material.seed;
    let (u, v) = (uv[0], uv[1]);
    let fp = footprint.max(1e-5);
    match material.texture {
        Texture::Plain => {
            let m = 1.0 + 0.04 * (value_noise(u * 1.3, v * 1.3, s) - 0.5);
            mul(base, m)
        }
        Texture::Wood => wood(base, u, v, fp, s),
        Texture::Fabric => fabric(base, u, v, fp, s),
        Texture::Tiles => tiles(base, u, v, fp, s),
        Texture::Wallpaper => wallpaper(base, u, v, fp, s),
        Texture::Poster => poster(base, u, v, fp, s),
        Texture::BookSpines => books(base, u, v, fp, s),
        Texture::Carpet => carpet(base, u, v, fp, s),
        Texture::Metal => {
            let streak = value_noise(u * 3.0, v * 150.0, s) - 0.5;
            let streak = streak * fade(1.0 / 150.0, fp);
            let sheen = 0.1 * (value_noise(u * 0.7, v * 0.7, s ^ 7) - 0.5);
            mul(base, 1.0 + 0.12 * streak + sheen)
        }
    }
}

fn wood(base: [f32; 3], u: f32, v: f32, fp: f32, s: u32) -> [f32; 3] {
    let plank_w = 0.12 + 0.08 * hash1(s, 1);
    let plank_l = 0.9 + 0.8 * hash1(s, 2);
    let i = (u / plank_w).floor();
    let offset = hash2(i as i32, 17, s) * plank_l;
    let j = ((v + offset) / plank_l).floor();
    let tint = 0.7 + 0.5 * hash2(i as i32, j as i32, s ^ 0x51);
    let lu = u - i * plank_w;
    let lv = v + offset - j * plank_l;
    // Grain: stripes along the plank, warped by low-frequency noise.
    let warp = 3.0 * value_noise(lu * 6.0 + i, lv * 1.5, s ^ 3);
    let period = 0.012 + 0.01 * hash2(i as i32, j as i32, s ^ 9);
    let g = (std::f32::consts::TAU * (lu / period + warp)).sin();
    let grain = 1.0 + 0.2 * g * fade(period, fp);
    let knots = 1.0 - 0.45 * smooth_step(0.8, 0.86, value_noise(lu * 40.0, lv * 14.0, s ^ 11)) * fade(0.03, fp);
    // Seams between planks and at plank ends.
    let seam_side = line_coverage(lu.min(plank_w - lu), 0.0015, fp);
    let seam_end = line_coverage(lv.min(plank_l - lv), 0.0015, fp);
    let seam = 1.0 - 0.55 * seam_side.max(seam_end);
    mul(base, tint * grain * knots * seam)
}

fn fabric(base: [f32; 3], u: f32, v: f32, fp: f32, s: u32) -> [f32; 3] {
    let mottle = 1.0 + 0.18 * (fbm(u * 6.0, v * 6.0, s) - 0.5);
    let weave_p = 0.004;
    let weave = (((u / weave_p).floor() + (v / weave_p).floor()) as i64 & 1) as f32 - 0.5;
    let weave = 1.0 + 0.1 * weave * fade(weave_p, fp);
    // Some fabrics carry a plaid / stripe print.
    let kind = hash1(s, 5);
    // Heathered yarn: blotches a centimetre or two across.
    let heather = 1.0 + 0.28 * (value_noise(u * 70.0, v * 70.0, s ^ 0x4ea7) - 0.5) * fade(1.0 / 70.0, fp);
    let mut c = mul(base, mottle * weave * heather);
    if kind < 0.5 {
        let p = 0.06 + 0.08 * hash1(s, 6);
        let su = line_coverage(wrap_dist(u, p), p * 0.12, fp);
        let sv = if kind < 0.25 { line_coverage(wrap_dist(v, p), p * 0.12, fp) } else { 0.0 };
        let accent = accent_color(s);
        c = mix(c, accent, 0.6 * su.max(sv));
    }
    c
}

fn tiles(base: [f32; 3], u: f32, v: f32, fp: f32, s: u32) -> [f32; 3] {
    let size = 0.2 + 0.4 * hash1(s, 1);
    let (i, j) = ((u / size).floor(), (v / size).floor());
    let tint = 0.88 + 0.2 * hash2(i as i32, j as i32, s);
    let speck = 1.0 + 0.08 * (value_noise(u * 80.0, v * 80.0, s) - 0.5) * fade(1.0 / 80.0, fp);
    let du = u - i * size;
    let dv = v - j * size;
    let d = du.min(size - du).min(dv).min(size - dv);
    let grout = line_coverage(d, 0.003, fp);
    // Grout contrasts with the tile (light tiles, dark grout and back).
    let lum = 0.3 * base[0] + 0.59 * base[1] + 0.11 * base[2];
    let grout_color = if lum < 0.55 { [0.92, 0.92, 0.9] } else { [0.3, 0.3, 0.31] };
    mix(mul(base, tint * speck), grout_color, grout)
}

fn wallpaper(base: [f32; 3], u: f32, v: f32, fp: f32, s: u32) -> [f32; 3] {
    let p = 0.08 + 0.1 * hash1(s, 1);
    let accent = mix(base, accent_color(s), 0.5);
    match (hash1(s, 2) * 3.0) as u32 {
        0 => {
            // Stripes.
            let d = wrap_dist(u, p);
            mix(base, accent, line_coverage(d, p * 0.22, fp))
        }
        1 => {
            // Diamond lattice.
            let a = wrap_dist(u + v, p);
            let b = wrap_dist(u - v, p);
            mix(base, accent, line_coverage(a.min(b), p * 0.06, fp))
        }
        _ => {
            // Dots on a staggered grid.
            let row = (v / p).floor();
            let uu = u + 0.5 * p * (row as i32 & 1) as f32;
            let du = wrap_dist(uu, p);
            let dv = wrap_dist(v, p);
            let r = (du * du + dv * dv).sqrt();
            mix(base, accent, line_coverage(r, p * 0.18, fp))
        }
    }
}

fn poster(base: [f32; 3], u: f32, v: f32, fp: f32, s: u32) -> [f32; 3] {
    // Coloured blocks on a background: each 0.12 m cell holds a rectangle,
    // a disc or text-like bars.
    let cell = 0.12;
    let (i, j) = ((u / cell).floor(), (v / cell).floor());
    let (lu, lv) = (u / cell - i, v / cell - j);
    let h = |k: u32| hash2(i as i32, j as i32, s.wrapping_mul(31).wrapping_add(k));
    let bg = mix(base, [0.95, 0.95, 0.92], 0.3 * value_noise(u * 2.0, v * 2.0, s));
    let color = palette(s.wrapping_add((h(1) * 8.0) as u32));
    let e = fp / cell; // footprint in cell units
    match (h(2) * 4.0) as u32 {
        0 => {
            let (x0, x1) = (0.1 + 0.3 * h(3), 0.6 + 0.3 * h(4));
            let (y0, y1) = (0.1 + 0.3 * h(5), 0.6 + 0.3 * h(6));
            let d = (x0 - lu).max(lu - x1).max(y0 - lv).max(lv - y1);
            mix(bg, color, (0.5 - d / e.max(1e-4)).clamp(0.0, 1.0))
        }
        1 => {
            let r = 0.2 + 0.25 * h(3);
            let d = ((lu - 0.5).powi(2) + (lv - 0.5).powi(2)).sqrt() - r;
            mix(bg, color, (0.5 - d / e.max(1e-4)).clamp(0.0, 1.0))
        }
        2 => {
            // Text lines.
            let line = wrap_dist(lv, 0.25);
            let len = 0.3 + 0.6 * h(3);
            let on = if lu < len { line_coverage(line, 0.05, e) } else { 0.0 };
            mix(bg, [0.08, 0.08, 0.1], on)
        }
        _ => bg,
    }
}

fn books(base: [f32; 3], u: f32, v: f32, fp: f32, s: u32) -> [f32; 3] {
    let shelf = 0.34;
    let row = (v / shelf).floor();
    let lv = v - row * shelf;
    // The shelf board.
    if lv < 0.02 {
        return mul(base, 0.9);
    }
    let w = 0.028;
    let i = (u / w).floor();
    let lu = u / w - i;
    let h = |k: u32| hash2(i as i32, row as i32, s.wrapping_mul(131).wrapping_add(k));
    let height = 0.18 + 0.13 * h(1);
    if lv > height || h(2) < 0.08 {
        return [0.07, 0.06, 0.05];
    }
    let color = mul(palette((h(3) * 1000.0) as u32 + s), 0.6 + 0.5 * h(4));
    let edge = line_coverage(lu.min(1.0 - lu) * w, 0.001, fp);
    let title = if (lv - height * 0.65).abs() < 0.012 && h(5) < 0.6 { 0.7 } else { 0.0 };
    let c = mix(color, [0.9, 0.85, 0.6], title * fade(0.02, fp));
    mul(c, 1.0 - 0.6 * edge)
}

fn carpet(base: [f32; 3], u: f32, v: f32, fp: f32, s: u32) -> [f32; 3] {
    let mottle = 1.0 + 0.22 * (fbm(u * 4.0, v * 4.0, s) - 0.5);
    let pile = 1.0 + 0.15 * (value_noise(u * 150.0, v * 150.0, s ^ 5) - 0.5) * fade(1.0 / 150.0, fp);
    let p = 0.15 + 0.1 * hash1(s, 2);
    let a = wrap_dist(u + v, p);
    let b = wrap_dist(u - v, p);
    let motif = line_coverage(a.min(b), p * 0.08, fp);
    let lum = 0.3 * base[0] + 0.59 * base[1] + 0.11 * base[2];
    let motif_color = if lum < 0.5 { mix(accent_color(s), [1.0, 1.0, 1.0], 0.5) } else { mul(accent_color(s), 0.35) };
    mix(mul(base, mottle * pile), motif_color, 0.6 * motif)
}

/// What a window shows: a procedural outdoor view at infinity seen along
/// the unit world direction `d` (sky with clouds, a skyline of buildings
/// with window grids, ground below the horizon). Also what is seen where a
/// ray leaves the apartment through an open doorway.
pub fn outdoor(d: [f32; 3], seed: u32) -> [f32; 3] {
    let e = d[2].clamp(-1.0, 1.0).asin();
    let a = d[1].atan2(d[0]) + std::f32::consts::PI; // 0..2pi
    // Buildings: azimuth bins of varying width.
    let bin_w = 0.22;
    let bi = (a / bin_w).floor();
    let h = |k: u32| hash2(bi as i32, k as i32, seed ^ 0xb01d);
    let top = 0.04 + 0.4 * h(1) * h(1);
    if e < -0.02 {
        // Ground: grass and paving.
        let g = fbm(a * 8.0, e * 30.0, seed ^ 0x6a55);
        return if h(5) < 0.5 { [0.3 + 0.2 * g, 0.45 + 0.2 * g, 0.25] } else { [0.45 + 0.2 * g, 0.45 + 0.2 * g, 0.47 + 0.2 * g] };
    }
    if e < top && h(2) > 0.15 {
        let facade = palette_soft((h(3) * 97.0) as u32);
        let cell = 0.035;
        let (wu, wv) = ((a / cell).fract(), ((e + 0.02) / cell).fract());
        let window = (0.25..0.75).contains(&wu) && (0.3..0.8).contains(&wv);
        return if window { [0.25, 0.3, 0.38] } else { facade };
    }
    // Sky: gradient plus clouds.
    let t = (e / 1.2).clamp(0.0, 1.0);
    let sky = [0.75 - 0.3 * t, 0.85 - 0.25 * t, 0.95];
    let c = smooth_step(0.55, 0.75, fbm(a * 3.0, e * 6.0, seed ^ 0xc10d));
    mix(sky, [0.97, 0.97, 0.97], c)
}

fn palette_soft(k: u32) -> [f32; 3] {
    const P: [[f32; 3]; 6] = [[0.8, 0.75, 0.65], [0.65, 0.55, 0.5], [0.85, 0.85, 0.82], [0.55, 0.6, 0.65], [0.75, 0.6, 0.45], [0.6, 0.62, 0.58]];
    P[(hash_u32(k, 0x51) % P.len() as u32) as usize]
}

/// Room lighting: one ceiling light per room plus ambient light; no
/// shadows. Shared by the renderer and the scan colours.
#[derive(Debug, Clone, PartialEq)]
pub struct Lighting {
    /// Light positions, world frame, metres.
    pub lights: Vec<[f32; 3]>,
    /// Ambient term (fraction of the albedo lit everywhere).
    pub ambient: f32,
    /// Diffuse strength of each light at 1 m.
    pub strength: f32,
    /// Quadratic falloff per m²: intensity / (1 + falloff * d²).
    pub falloff: f32,
}

impl Default for Lighting {
    fn default() -> Self {
        Lighting { lights: Vec::new(), ambient: 0.42, strength: 0.6, falloff: 0.08 }
    }
}

impl Lighting {
    /// One light 0.3 m below the ceiling above each room's vertex centroid.
    pub fn from_rooms(rooms: &[super::camera::RoomOutline]) -> Lighting {
        let lights = rooms
            .iter()
            .filter(|r| !r.polygon.is_empty())
            .map(|r| {
                let n = r.polygon.len() as f64;
                let cx = r.polygon.iter().map(|p| p[0]).sum::<f64>() / n;
                let cy = r.polygon.iter().map(|p| p[1]).sum::<f64>() / n;
                [cx as f32, cy as f32, (r.height - 0.3).max(1.8) as f32]
            })
            .collect();
        Lighting { lights, ..Lighting::default() }
    }

    /// Brightness factor at point `p` with unit normal `n` (either side lit).
    #[inline]
    pub fn shade(&self, p: [f32; 3], n: [f32; 3]) -> f32 {
        let mut diffuse = 0.0;
        for l in &self.lights {
            let d = [l[0] - p[0], l[1] - p[1], l[2] - p[2]];
            let d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            let inv = 1.0 / d2.sqrt().max(1e-3);
            let cos = ((d[0] * n[0] + d[1] * n[1] + d[2] * n[2]) * inv).abs();
            diffuse += cos / (1.0 + self.falloff * d2);
        }
        if self.lights.is_empty() {
            // A soft overhead light so unlit worlds still show their shape.
            diffuse = 0.6 + 0.4 * n[2].abs();
        }
        self.ambient + self.strength * diffuse.min(1.2)
    }
}

/// Fraction of a pixel of width `fp` covered by a line of half-width `hw`
/// whose centre is `d` away (box filter).
#[inline]
fn line_coverage(d: f32, hw: f32, fp: f32) -> f32 {
    let half = 0.5 * fp;
    let lo = (d - half).max(-hw);
    let hi = (d + half).min(hw);
    ((hi - lo).max(0.0) / fp).clamp(0.0, 1.0)
}

/// Distance from `x` to the nearest multiple of `p`.
#[inline]
fn wrap_dist(x: f32, p: f32) -> f32 {
    let r = x.rem_euclid(p);
    r.min(p - r)
}

/// Contrast kept for a pattern of period `p` seen with pixel footprint `fp`.
#[inline]
fn fade(p: f32, fp: f32) -> f32 {
    (1.5 - 2.0 * fp / p).clamp(0.0, 1.0)
}

#[inline]
fn smooth_step(a: f32, b: f32, x: f32) -> f32 {
    let t = ((x - a) / (b - a)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

#[inline]
fn mul(c: [f32; 3], m: f32) -> [f32; 3] {
    [c[0] * m, c[1] * m, c[2] * m]
}

#[inline]
fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

/// A saturated colour picked by `k`.
fn palette(k: u32) -> [f32; 3] {
    const P: [[f32; 3]; 10] = [
        [0.85, 0.2, 0.15],
        [0.15, 0.35, 0.75],
        [0.95, 0.75, 0.15],
        [0.2, 0.6, 0.3],
        [0.9, 0.9, 0.85],
        [0.1, 0.1, 0.12],
        [0.6, 0.25, 0.6],
        [0.95, 0.5, 0.2],
        [0.3, 0.7, 0.8],
        [0.55, 0.35, 0.2],
    ];
    P[(hash_u32(k, 0x9e37) % P.len() as u32) as usize]
}

fn accent_color(s: u32) -> [f32; 3] {
    palette(s.wrapping_add(3))
}

#[inline]
fn hash_u32(a: u32, b: u32) -> u32 {
    // A small integer mixer (lowbias32-style).
    let mut x = a ^ b.wrapping_mul(0x9e37_79b9);
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

#[inline]
fn hash1(s: u32, k: u32) -> f32 {
    (hash_u32(s, k.wrapping_add(0x1234_5678)) >> 8) as f32 / (1u32 << 24) as f32
}

/// Uniform in [0, 1) from integer lattice coordinates and a seed.
#[inline]
pub(crate) fn hash2(i: i32, j: i32, s: u32) -> f32 {
    let h = hash_u32(hash_u32(i as u32, s) ^ (j as u32).wrapping_mul(0x85eb_ca6b), s ^ 0x27d4_eb2d);
    (h >> 8) as f32 / (1u32 << 24) as f32
}

/// Smooth value noise in [0, 1).
#[inline]
pub(crate) fn value_noise(x: f32, y: f32, s: u32) -> f32 {
    let (xi, yi) = (x.floor(), y.floor());
    let (fx, fy) = (x - xi, y - yi);
    let (i, j) = (xi as i32, yi as i32);
    let sx = fx * fx * (3.0 - 2.0 * fx);
    let sy = fy * fy * (3.0 - 2.0 * fy);
    let a = hash2(i, j, s);
    let b = hash2(i + 1, j, s);
    let c = hash2(i, j + 1, s);
    let d = hash2(i + 1, j + 1, s);
    let top = a + (b - a) * sx;
    let bot = c + (d - c) * sx;
    top + (bot - top) * sy
}

/// Three octaves of value noise, in [0, 1).
pub(crate) fn fbm(x: f32, y: f32, s: u32) -> f32 {
    0.57 * value_noise(x, y, s) + 0.29 * value_noise(2.03 * x, 2.03 * y, s ^ 1) + 0.14 * value_noise(4.1 * x, 4.1 * y, s ^ 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contrast(texture: Texture) -> f32 {
        let m = Material { texture, color: [150, 120, 90], seed: 4 };
        let mut lo = f32::MAX;
        let mut hi = f32::MIN;
        for i in 0..200 {
            for j in 0..200 {
                let c = albedo(&m, [i as f32 * 0.005, j as f32 * 0.005], 0.002);
                let l = c[0] + c[1] + c[2];
                assert!(l.is_finite());
                lo = lo.min(l);
                hi = hi.max(l);
            }
        }
        hi - lo
    }

    #[test]
    fn patterned_textures_have_contrast_and_plain_does_not() {
        assert!(contrast(Texture::Plain) < 0.2);
        for t in [Texture::Wood, Texture::Tiles, Texture::Poster, Texture::BookSpines, Texture::Wallpaper] {
            assert!(contrast(t) > 0.5, "{t:?} too flat");
        }
    }

    #[test]
    fn deterministic() {
        let m = Material { texture: Texture::Wood, color: [150, 120, 90], seed: 4 };
        assert_eq!(albedo(&m, [0.3, 0.7], 0.001), albedo(&m, [0.3, 0.7], 0.001));
    }
}
