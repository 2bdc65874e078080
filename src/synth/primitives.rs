//! More mesh primitives for [`World`]: vertical cylinders, ellipsoids,
//! quads, horizontal polygons (ear-clipped) and a polygon triangulator.
//! Every primitive is one [`Mesh`] with outward-facing triangles and uvs in
//! metres along the surface.

use super::world::{Material, Mesh, SurfaceLabel, World};
use std::f64::consts::TAU;

/// Segments around a cylinder or ellipsoid: enough to look round in a
/// 640x480 frame, few enough to keep scenes cheap.
pub const ROUND_SEGMENTS: usize = 12;
/// Rings from pole to pole of an ellipsoid.
const ELLIPSOID_RINGS: usize = 7;

fn f32x3(p: [f64; 3]) -> [f32; 3] {
    [p[0] as f32, p[1] as f32, p[2] as f32]
}

impl World {
    /// A vertical cylinder (closed), its bottom centre at `base`, with
    /// `segments` sides.
    pub fn add_cylinder(
        &mut self,
        base: [f64; 3],
        radius: f64,
        height: f64,
        segments: usize,
        material: Material,
        label: SurfaceLabel,
    ) {
        let n = segments.max(3);
        let mut m = Mesh { vertices: Vec::new(), uvs: Vec::new(), triangles: Vec::new(), material, label };
        let circ = TAU * radius;
        // Side: n+1 columns so the uv seam is clean.
        for k in 0..=n {
            let a = TAU * k as f64 / n as f64;
            let (s, c) = a.sin_cos();
            let (x, y) = (base[0] + radius * c, base[1] + radius * s);
            let u = circ * k as f64 / n as f64;
            m.vertices.push(f32x3([x, y, base[2]]));
            m.uvs.push([u as f32, 0.0]);
            m.vertices.push(f32x3([x, y, base[2] + height]));
            m.uvs.push([u as f32, height as f32]);
        }
        for k in 0..n as u32 {
            let (b0, t0, b1, t1) = (2 * k, 2 * k + 1, 2 * k + 2, 2 * k + 3);
            m.triangles.push([b0, b1, t1]);
            m.triangles.push([b0, t1, t0]);
        }
        // Caps: a centre vertex each.
        for (z, up) in [(base[2] + height, true), (base[2], false)] {
            let centre = m.vertices.len() as u32;
            m.vertices.push(f32x3([base[0], base[1], z]));
            m.uvs.push([0.0, 0.0]);
            for k in 0..n {
                let a = TAU * k as f64 / n as f64;
                let (s, c) = a.sin_cos();
                m.vertices.push(f32x3([base[0] + radius * c, base[1] + radius * s, z]));
                m.uvs.push([(radius * c) as f32, (radius * s) as f32]);
            }
            for k in 0..n as u32 {
                let (i, j) = (centre + 1 + k, centre + 1 + (k + 1) % n as u32);
                m.triangles.push(if up { [centre, i, j] } else { [centre, j, i] });
            }
        }
        self.meshes.push(m);
    }

    /// An ellipsoid centred at `center` with semi-axes `radii` along its own
    /// x, y, z, rotated by `yaw` about +z.
    pub fn add_ellipsoid(&mut self, center: [f64; 3], radii: [f64; 3], yaw: f64, material: Material, label: SurfaceLabel) {
        let (n, rings) = (ROUND_SEGMENTS, ELLIPSOID_RINGS);
        let (sy, cy) = yaw.sin_cos();
        let mut m = Mesh { vertices: Vec::new(), uvs: Vec::new(), triangles: Vec::new(), material, label };
        let mean_r = (radii[0] + radii[1]) / 2.0;
        for r in 0..=rings {
            let phi = std::f64::consts::PI * r as f64 / rings as f64; // 0 at the top
            let (sp, cp) = phi.sin_cos();
            for k in 0..=n {
                let a = TAU * k as f64 / n as f64;
                let (sa, ca) = a.sin_cos();
                let (x, y, z) = (radii[0] * sp * ca, radii[1] * sp * sa, radii[2] * cp);
                m.vertices.push(f32x3([center[0] + cy * x - sy * y, center[1] + sy * x + cy * y, center[2] + z]));
                m.uvs.push([(TAU * mean_r * k as f64 / n as f64) as f32, (radii[2] * (1.0 - cp)) as f32]);
            }
        }
        let row = (n + 1) as u32;
        for r in 0..rings as u32 {
            for k in 0..n as u32 {
                let (a, b) = (r * row + k, r * row + k + 1);
                let (c, d) = ((r + 1) * row + k, (r + 1) * row + k + 1);
                // Rows go downward from the top pole; counter-clockwise seen
                // from outside is (a, c, d), (a, d, b).
                if r != 0 {
                    m.triangles.push([a, c, b]);
                }
                if r + 1 != rings as u32 {
                    m.triangles.push([b, c, d]);
                }
            }
        }
        self.meshes.push(m);
    }

    /// A planar quad with corners in order; the face points to the side from
    /// which the corners run counter-clockwise. uvs: metres along the first
    /// edge and along the last edge.
    pub fn add_quad(&mut self, corners: [[f64; 3]; 4], material: Material, label: SurfaceLabel) {
        let d = |a: [f64; 3], b: [f64; 3]| ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2) + (b[2] - a[2]).powi(2)).sqrt();
        let (du, dv) = (d(corners[0], corners[1]), d(corners[0], corners[3]));
        let uv = [[0.0, 0.0], [du, 0.0], [du, dv], [0.0, dv]];
        self.meshes.push(Mesh {
            vertices: corners.iter().map(|&p| f32x3(p)).collect(),
            uvs: uv.iter().map(|p| [p[0] as f32, p[1] as f32]).collect(),
            triangles: vec![[0, 1, 2], [0, 2, 3]],
            material,
            label,
        });
    }

    /// A horizontal polygon at height `z` (any simple polygon, either
    /// orientation), facing up (`up`) or down; uvs are world x, y.
    /// Returns false (and adds nothing) when the polygon cannot be
    /// triangulated.
    pub fn add_polygon(&mut self, polygon: &[[f64; 2]], z: f64, up: bool, material: Material, label: SurfaceLabel) -> bool {
        let Some(mut tris) = triangulate(polygon) else { return false };
        // `triangulate` returns counter-clockwise triangles (facing up).
        if !up {
            for t in &mut tris {
                t.swap(1, 2);
            }
        }
        self.meshes.push(Mesh {
            vertices: polygon.iter().map(|p| f32x3([p[0], p[1], z])).collect(),
            uvs: polygon.iter().map(|p| [p[0] as f32, p[1] as f32]).collect(),
            triangles: tris,
            material,
            label,
        });
        true
    }
}

/// Twice the signed area (positive when counter-clockwise).
pub fn signed_area2(p: &[[f64; 2]]) -> f64 {
    let n = p.len();
    (0..n).map(|i| {
        let (a, b) = (p[i], p[(i + 1) % n]);
        a[0] * b[1] - b[0] * a[1]
    }).sum()
}

fn cross(o: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
}

/// Ear-clipping triangulation of a simple polygon (either orientation,
/// collinear vertices allowed). Triangles index `polygon` and run
/// counter-clockwise. `None` for fewer than 3 vertices or a polygon that is
/// not simple.
pub fn triangulate(polygon: &[[f64; 2]]) -> Option<Vec<[u32; 3]>> {
    let n = polygon.len();
    if n < 3 {
        return None;
    }
    let mut idx: Vec<usize> = (0..n).collect();
    if signed_area2(polygon) < 0.0 {
        idx.reverse();
    }
    let mut out = Vec::with_capacity(n - 2);
    let mut guard = 0usize;
    while idx.len() > 3 {
        let m = idx.len();
        let mut clipped = false;
        for i in 0..m {
            let (ia, ib, ic) = (idx[(i + m - 1) % m], idx[i], idx[(i + 1) % m]);
            let (a, b, c) = (polygon[ia], polygon[ib], polygon[ic]);
            let turn = cross(a, b, c);
            if turn < 0.0 {
                continue; // reflex
            }
            if turn == 0.0 {
                // Collinear vertex: drop it without a triangle.
                idx.remove(i);
                clipped = true;
                break;
            }
            let inside = idx.iter().any(|&j| {
                if j == ia || j == ib || j == ic {
                    return false;
                }
                let p = polygon[j];
                cross(a, b, p) >= 0.0 && cross(b, c, p) >= 0.0 && cross(c, a, p) >= 0.0
            });
            if inside {
                continue;
            }
            out.push([ia as u32, ib as u32, ic as u32]);
            idx.remove(i);
            clipped = true;
            break;
        }
        guard += 1;
        if !clipped || guard > 4 * n {
            return None;
        }
    }
    let (a, b, c) = (polygon[idx[0]], polygon[idx[1]], polygon[idx[2]]);
    if cross(a, b, c) > 0.0 {
        out.push([idx[0] as u32, idx[1] as u32, idx[2] as u32]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::world::Texture;

    fn mat() -> Material {
        Material { texture: Texture::Plain, color: [128, 128, 128], seed: 0 }
    }

    fn v(m: &Mesh, i: u32) -> nalgebra::Vector3<f64> {
        nalgebra::Vector3::from(m.vertices[i as usize].map(f64::from))
    }

    fn assert_outward(m: &Mesh, c: [f64; 3]) {
        let c = nalgebra::Vector3::from(c);
        for t in &m.triangles {
            let n = (v(m, t[1]) - v(m, t[0])).cross(&(v(m, t[2]) - v(m, t[0])));
            let centroid = (v(m, t[0]) + v(m, t[1]) + v(m, t[2])) / 3.0;
            assert!(n.norm() > 0.0, "degenerate triangle");
            assert!(n.dot(&(centroid - c)) > 0.0, "face points inward");
        }
    }

    #[test]
    fn cylinder_and_ellipsoid_face_outward() {
        let mut w = World::default();
        w.add_cylinder([1.0, 2.0, 0.0], 0.3, 1.0, 12, mat(), SurfaceLabel::Clutter);
        w.add_ellipsoid([0.0, 0.0, 1.0], [0.5, 0.3, 0.2], 0.4, mat(), SurfaceLabel::Clutter);
        assert_outward(&w.meshes[0], [1.0, 2.0, 0.5]);
        assert_outward(&w.meshes[1], [0.0, 0.0, 1.0]);
    }

    #[test]
    fn l_shape_triangulates_to_its_area() {
        let l = [[0.0, 0.0], [4.0, 0.0], [4.0, 2.0], [2.0, 2.0], [2.0, 4.0], [0.0, 4.0]];
        let tris = triangulate(&l).unwrap();
        let area: f64 = tris.iter().map(|t| cross(l[t[0] as usize], l[t[1] as usize], l[t[2] as usize]) / 2.0).sum();
        assert!((area - 12.0).abs() < 1e-9, "{area}");
        assert!(tris.iter().all(|t| cross(l[t[0] as usize], l[t[1] as usize], l[t[2] as usize]) > 0.0));
        // Clockwise input and collinear vertices work too.
        let mut cw = vec![[0.0, 0.0], [0.0, 2.0], [0.0, 4.0], [4.0, 4.0], [4.0, 0.0]];
        let tris = triangulate(&cw).unwrap();
        let area: f64 = tris.iter().map(|t| cross(cw[t[0] as usize], cw[t[1] as usize], cw[t[2] as usize]) / 2.0).sum();
        assert!((area - 16.0).abs() < 1e-9);
        cw.truncate(2);
        assert!(triangulate(&cw).is_none());
    }

    #[test]
    fn polygon_faces_the_asked_way() {
        let mut w = World::default();
        let sq = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
        assert!(w.add_polygon(&sq, 2.5, false, mat(), SurfaceLabel::Ceiling));
        let m = &w.meshes[0];
        for t in &m.triangles {
            let n = (v(m, t[1]) - v(m, t[0])).cross(&(v(m, t[2]) - v(m, t[0])));
            assert!(n.z < 0.0);
        }
    }
}
