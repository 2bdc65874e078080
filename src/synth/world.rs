//! The renderable world: triangle meshes with a material and a label.
//! Scene generation writes it; scan simulation and video rendering read it.

/// Procedural texture families (evaluated by the renderer from `uv`, which
/// is in metres along the surface, so patterns have real-world scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Texture {
    /// Uniform colour (real rooms have many plain walls).
    Plain,
    Wood,
    Fabric,
    Tiles,
    Wallpaper,
    Poster,
    BookSpines,
    Carpet,
    Metal,
}

/// Surface appearance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Material {
    pub texture: Texture,
    /// Base colour, sRGB.
    pub color: [u8; 3],
    /// Varies the pattern between surfaces of the same texture.
    pub seed: u32,
}

/// What a surface belongs to in the ground truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SurfaceLabel {
    Floor,
    Ceiling,
    /// Wall with this layout wall id.
    Wall(u32),
    /// Door leaf or window pane with this layout opening id.
    Door(u32),
    Window(u32),
    /// Part of the layout object with this id.
    Object(u32),
    /// Unlabelled clutter.
    Clutter,
}

/// A triangle mesh. `uvs` has one entry per vertex (metres along the surface).
#[derive(Debug, Clone, PartialEq)]
pub struct Mesh {
    pub vertices: Vec<[f32; 3]>,
    pub uvs: Vec<[f32; 2]>,
    pub triangles: Vec<[u32; 3]>,
    pub material: Material,
    pub label: SurfaceLabel,
}

/// Everything visible in a scene, world frame (metres, +z up).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct World {
    pub meshes: Vec<Mesh>,
}

impl World {
    /// Adds an axis-aligned-in-its-own-frame box rotated by `yaw` about +z,
    /// centred at `center` with full extents `size`; 12 outward-facing
    /// triangles, uvs in metres on each face.
    pub fn add_box(&mut self, center: [f64; 3], size: [f64; 3], yaw: f64, material: Material, label: SurfaceLabel) {
        let (s, c) = yaw.sin_cos();
        let h = [size[0] / 2.0, size[1] / 2.0, size[2] / 2.0];
        let corner = |sx: f64, sy: f64, sz: f64| -> [f32; 3] {
            let (x, y, z) = (sx * h[0], sy * h[1], sz * h[2]);
            [(center[0] + c * x - s * y) as f32, (center[1] + s * x + c * y) as f32, (center[2] + z) as f32]
        };
        // Each face: four corners counter-clockwise seen from outside, and
        // the extents along its u and v directions for the uvs.
        type Face = ([(f64, f64, f64); 4], f64, f64);
        let faces: [Face; 6] = [
            ([(1., -1., -1.), (1., 1., -1.), (1., 1., 1.), (1., -1., 1.)], size[1], size[2]),
            ([(-1., 1., -1.), (-1., -1., -1.), (-1., -1., 1.), (-1., 1., 1.)], size[1], size[2]),
            ([(1., 1., -1.), (-1., 1., -1.), (-1., 1., 1.), (1., 1., 1.)], size[0], size[2]),
            ([(-1., -1., -1.), (1., -1., -1.), (1., -1., 1.), (-1., -1., 1.)], size[0], size[2]),
            ([(-1., -1., 1.), (1., -1., 1.), (1., 1., 1.), (-1., 1., 1.)], size[0], size[1]),
            ([(-1., 1., -1.), (1., 1., -1.), (1., -1., -1.), (-1., -1., -1.)], size[0], size[1]),
        ];
        let mut mesh = Mesh { vertices: Vec::with_capacity(24), uvs: Vec::with_capacity(24), triangles: Vec::with_capacity(12), material, label };
        for (corners, du, dv) in faces {
            let base = mesh.vertices.len() as u32;
            for (k, (x, y, z)) in corners.into_iter().enumerate() {
                mesh.vertices.push(corner(x, y, z));
                let (u, v) = [(0.0, 0.0), (du, 0.0), (du, dv), (0.0, dv)][k];
                mesh.uvs.push([u as f32, v as f32]);
            }
            mesh.triangles.push([base, base + 1, base + 2]);
            mesh.triangles.push([base, base + 2, base + 3]);
        }
        self.meshes.push(mesh);
    }

    /// Total triangle count.
    pub fn triangle_count(&self) -> usize {
        self.meshes.iter().map(|m| m.triangles.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_faces_point_outward() {
        let mut w = World::default();
        let m = Material { texture: Texture::Plain, color: [200, 200, 200], seed: 0 };
        w.add_box([1.0, 2.0, 0.5], [2.0, 1.0, 1.0], 0.3, m, SurfaceLabel::Clutter);
        let mesh = &w.meshes[0];
        assert_eq!(mesh.triangles.len(), 12);
        let v = |i: u32| nalgebra::Vector3::from(mesh.vertices[i as usize].map(f64::from));
        let c = nalgebra::Vector3::new(1.0, 2.0, 0.5);
        for t in &mesh.triangles {
            let n = (v(t[1]) - v(t[0])).cross(&(v(t[2]) - v(t[0])));
            let centroid = (v(t[0]) + v(t[1]) + v(t[2])) / 3.0;
            assert!(n.dot(&(centroid - c)) > 0.0, "face points inward");
        }
    }
}
