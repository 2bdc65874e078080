//! Ray casting over a [`World`]: the flattened triangle list
//! ([`Geometry`]) and a bounding volume hierarchy over it ([`Bvh`], binned
//! surface-area heuristic, flattened depth-first nodes, f32 traversal).
//!
//! Used by the scan simulator (visible surfaces only), the camera path
//! planner (how far the view reaches) and tests (does the renderer agree
//! with the geometry). Knows nothing of layouts or files.

// Index loops over x/y/z and grid cells read better than iterator chains here.
#![allow(clippy::needless_range_loop)]

use super::world::{Material, SurfaceLabel, World};

/// Number of SAH bins per axis during the build.
const SAH_BINS: usize = 16;
/// Leaves hold at most this many triangles.
const MAX_LEAF_TRIANGLES: usize = 4;
/// Past this depth the build splits at the median (guards against deep,
/// degenerate SAH splits).
const MAX_SAH_DEPTH: usize = 40;
/// Traversal stack size (depth is bounded by the median fallback).
const STACK_SIZE: usize = 128;

/// One triangle of the world, with what the sensors need to shade it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Triangle {
    /// Vertex positions, world frame.
    pub p: [[f32; 3]; 3],
    /// Vertex uvs (metres along the surface).
    pub uv: [[f32; 2]; 3],
    /// Unit normal (right-hand winding), zero for a degenerate triangle.
    pub normal: [f32; 3],
    /// Index of the mesh in [`World::meshes`].
    pub mesh: u32,
}

/// The world flattened into a triangle list (mesh order, then triangle
/// order): the global triangle index used by [`Hit::triangle`].
#[derive(Debug, Clone, Default)]
pub struct Geometry {
    pub triangles: Vec<Triangle>,
    /// Per mesh: its material and label.
    pub materials: Vec<Material>,
    pub labels: Vec<SurfaceLabel>,
}

impl Geometry {
    /// Flattens a world. Triangles with out-of-range vertex indices are
    /// skipped (a malformed mesh never panics here).
    pub fn from_world(world: &World) -> Geometry {
        let mut g = Geometry {
            triangles: Vec::with_capacity(world.triangle_count()),
            materials: Vec::with_capacity(world.meshes.len()),
            labels: Vec::with_capacity(world.meshes.len()),
        };
        for (mi, mesh) in world.meshes.iter().enumerate() {
            g.materials.push(mesh.material);
            g.labels.push(mesh.label);
            for t in &mesh.triangles {
                let (Some(a), Some(b), Some(c)) = (
                    mesh.vertices.get(t[0] as usize),
                    mesh.vertices.get(t[1] as usize),
                    mesh.vertices.get(t[2] as usize),
                ) else {
                    continue;
                };
                let uv = |i: u32| mesh.uvs.get(i as usize).copied().unwrap_or([0.0, 0.0]);
                let n = cross(sub(*b, *a), sub(*c, *a));
                let len = dot(n, n).sqrt();
                let normal = if len > 1e-12 { scale(n, 1.0 / len) } else { [0.0; 3] };
                g.triangles.push(Triangle { p: [*a, *b, *c], uv: [uv(t[0]), uv(t[1]), uv(t[2])], normal, mesh: mi as u32 });
            }
        }
        g
    }

    /// Material of a global triangle.
    pub fn material(&self, triangle: u32) -> Material {
        let mesh = self.triangles[triangle as usize].mesh as usize;
        self.materials[mesh]
    }

    /// Label of a global triangle.
    pub fn label(&self, triangle: u32) -> SurfaceLabel {
        let mesh = self.triangles[triangle as usize].mesh as usize;
        self.labels[mesh]
    }

    /// The uv at barycentric coordinates (`b1`, `b2`) of a triangle.
    pub fn uv_at(&self, triangle: u32, b1: f32, b2: f32) -> [f32; 2] {
        let t = &self.triangles[triangle as usize];
        let b0 = 1.0 - b1 - b2;
        [
            b0 * t.uv[0][0] + b1 * t.uv[1][0] + b2 * t.uv[2][0],
            b0 * t.uv[0][1] + b1 * t.uv[1][1] + b2 * t.uv[2][1],
        ]
    }
}

/// A ray-triangle hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Distance along the ray (in units of the ray direction's length).
    pub t: f32,
    /// Global triangle index into [`Geometry::triangles`].
    pub triangle: u32,
    /// Barycentric weights of vertices 1 and 2.
    pub b1: f32,
    pub b2: f32,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    min: [f32; 3],
    max: [f32; 3],
    /// Leaf: first index into `order`; inner: index of the right child
    /// (the left child follows the node).
    first_or_right: u32,
    /// Leaf: triangle count (> 0); inner: 0.
    count: u32,
}

/// Bounding volume hierarchy over a [`Geometry`]'s triangles.
#[derive(Debug, Clone)]
pub struct Bvh {
    nodes: Vec<Node>,
    /// Triangle indices in leaf order.
    order: Vec<u32>,
    /// Precomputed (v0, e1, e2) per entry of `order`.
    tris: Vec<[[f32; 3]; 3]>,
}

#[derive(Clone, Copy)]
struct Aabb {
    min: [f32; 3],
    max: [f32; 3],
}

impl Aabb {
    const EMPTY: Aabb = Aabb { min: [f32::INFINITY; 3], max: [f32::NEG_INFINITY; 3] };
    fn grow(&mut self, p: [f32; 3]) {
        for k in 0..3 {
            self.min[k] = self.min[k].min(p[k]);
            self.max[k] = self.max[k].max(p[k]);
        }
    }
    fn merge(&mut self, o: &Aabb) {
        for k in 0..3 {
            self.min[k] = self.min[k].min(o.min[k]);
            self.max[k] = self.max[k].max(o.max[k]);
        }
    }
    fn area(&self) -> f32 {
        let d = sub(self.max, self.min);
        if d[0] < 0.0 {
            return 0.0;
        }
        2.0 * (d[0] * d[1] + d[1] * d[2] + d[2] * d[0])
    }
}

impl Bvh {
    /// Builds the hierarchy (deterministic; about a millisecond per 10k
    /// triangles).
    pub fn build(geometry: &Geometry) -> Bvh {
        let n = geometry.triangles.len();
        let mut boxes = Vec::with_capacity(n);
        let mut centroids = Vec::with_capacity(n);
        for t in &geometry.triangles {
            let mut b = Aabb::EMPTY;
            for p in t.p {
                b.grow(p);
            }
            centroids.push(scale(add(b.min, b.max), 0.5));
            boxes.push(b);
        }
        let mut order: Vec<u32> = (0..n as u32).collect();
        let mut nodes = Vec::with_capacity(2 * n / MAX_LEAF_TRIANGLES + 1);
        if n > 0 {
            build_node(&mut nodes, &mut order, 0, n, &boxes, &centroids, 0);
        }
        let tris = order
            .iter()
            .map(|&i| {
                let p = geometry.triangles[i as usize].p;
                [p[0], sub(p[1], p[0]), sub(p[2], p[0])]
            })
            .collect();
        Bvh { nodes, order, tris }
    }

    /// Nearest hit of the ray `origin + t * dir` with `t` in (`t_min`, `t_max`).
    pub fn intersect(&self, origin: [f32; 3], dir: [f32; 3], t_min: f32, t_max: f32) -> Option<Hit> {
        if self.nodes.is_empty() {
            return None;
        }
        let inv = [1.0 / dir[0], 1.0 / dir[1], 1.0 / dir[2]];
        let mut best: Option<Hit> = None;
        let mut t_best = t_max;
        let mut stack = [0u32; STACK_SIZE];
        let mut sp = 0usize;
        let mut node_idx = 0u32;
        loop {
            let node = &self.nodes[node_idx as usize];
            if node.count > 0 {
                let first = node.first_or_right as usize;
                for k in first..first + node.count as usize {
                    if let Some((t, b1, b2)) = intersect_triangle(&self.tris[k], origin, dir, t_min, t_best) {
                        t_best = t;
                        best = Some(Hit { t, triangle: self.order[k], b1, b2 });
                    }
                }
            } else {
                let left = node_idx + 1;
                let right = node.first_or_right;
                let tl = slab(&self.nodes[left as usize], origin, inv, t_min, t_best);
                let tr = slab(&self.nodes[right as usize], origin, inv, t_min, t_best);
                match (tl, tr) {
                    (Some(a), Some(b)) => {
                        let (near, far) = if a <= b { (left, right) } else { (right, left) };
                        if sp < STACK_SIZE {
                            stack[sp] = far;
                            sp += 1;
                        }
                        node_idx = near;
                        continue;
                    }
                    (Some(_), None) => {
                        node_idx = left;
                        continue;
                    }
                    (None, Some(_)) => {
                        node_idx = right;
                        continue;
                    }
                    (None, None) => {}
                }
            }
            if sp == 0 {
                break;
            }
            sp -= 1;
            node_idx = stack[sp];
        }
        best
    }

    /// Distance from `p` to the nearest triangle, if one is within `max_dist`.
    pub fn distance_to_surface(&self, p: [f32; 3], max_dist: f32) -> Option<f32> {
        if self.nodes.is_empty() {
            return None;
        }
        let mut best2 = max_dist * max_dist;
        let mut found = false;
        let mut stack = vec![0u32];
        while let Some(idx) = stack.pop() {
            let node = &self.nodes[idx as usize];
            let mut d2 = 0.0f32;
            for k in 0..3 {
                let d = (node.min[k] - p[k]).max(p[k] - node.max[k]).max(0.0);
                d2 += d * d;
            }
            if d2 > best2 {
                continue;
            }
            if node.count > 0 {
                let first = node.first_or_right as usize;
                for t in &self.tris[first..first + node.count as usize] {
                    let q = closest_point_on_triangle(p, t[0], add(t[0], t[1]), add(t[0], t[2]));
                    let d = sub(p, q);
                    let d2 = dot(d, d);
                    if d2 <= best2 {
                        best2 = d2;
                        found = true;
                    }
                }
            } else {
                stack.push(idx + 1);
                stack.push(node.first_or_right);
            }
        }
        found.then(|| best2.sqrt())
    }

    /// Number of nodes (for diagnostics).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

fn build_node(
    nodes: &mut Vec<Node>,
    order: &mut [u32],
    start: usize,
    end: usize,
    boxes: &[Aabb],
    centroids: &[[f32; 3]],
    depth: usize,
) -> u32 {
    let idx = nodes.len() as u32;
    let mut bounds = Aabb::EMPTY;
    let mut cbounds = Aabb::EMPTY;
    for &i in &order[start..end] {
        bounds.merge(&boxes[i as usize]);
        cbounds.grow(centroids[i as usize]);
    }
    nodes.push(Node { min: bounds.min, max: bounds.max, first_or_right: start as u32, count: (end - start) as u32 });
    let n = end - start;
    if n <= MAX_LEAF_TRIANGLES {
        return idx;
    }
    let extent = sub(cbounds.max, cbounds.min);
    let axis = if extent[0] >= extent[1] && extent[0] >= extent[2] {
        0
    } else if extent[1] >= extent[2] {
        1
    } else {
        2
    };
    if extent[axis] <= 0.0 {
        // All centroids coincide: split in half by index (still terminates).
        let mid = start + n / 2;
        return finish_inner(nodes, idx, order, start, mid, end, boxes, centroids, depth);
    }
    let mut mid = None;
    if depth < MAX_SAH_DEPTH {
        mid = sah_split(order, start, end, boxes, centroids, &cbounds, &bounds);
    }
    let mid = match mid {
        Some(m) => m,
        None => {
            // Median split along the widest centroid axis.
            let slice = &mut order[start..end];
            let k = n / 2;
            slice.select_nth_unstable_by(k, |&a, &b| {
                centroids[a as usize][axis].total_cmp(&centroids[b as usize][axis]).then(a.cmp(&b))
            });
            start + k
        }
    };
    finish_inner(nodes, idx, order, start, mid, end, boxes, centroids, depth)
}

#[allow(clippy::too_many_arguments)]
fn finish_inner(
    nodes: &mut Vec<Node>,
    idx: u32,
    order: &mut [u32],
    start: usize,
    mid: usize,
    end: usize,
    boxes: &[Aabb],
    centroids: &[[f32; 3]],
    depth: usize,
) -> u32 {
    build_node(nodes, order, start, mid, boxes, centroids, depth + 1);
    let right = build_node(nodes, order, mid, end, boxes, centroids, depth + 1);
    let node = &mut nodes[idx as usize];
    node.first_or_right = right;
    node.count = 0;
    idx
}

/// Binned SAH over all three axes; partitions `order[start..end]` and
/// returns the split index, or `None` when no split beats a leaf well
/// enough to be worth it or no bin boundary separates the triangles.
fn sah_split(
    order: &mut [u32],
    start: usize,
    end: usize,
    boxes: &[Aabb],
    centroids: &[[f32; 3]],
    cbounds: &Aabb,
    bounds: &Aabb,
) -> Option<usize> {
    let mut best: Option<(f32, usize, usize)> = None; // cost, axis, boundary
    for axis in 0..3 {
        let lo = cbounds.min[axis];
        let ext = cbounds.max[axis] - lo;
        if ext <= 0.0 {
            continue;
        }
        let scale_bins = SAH_BINS as f32 / ext;
        let mut bin_box = [Aabb::EMPTY; SAH_BINS];
        let mut bin_count = [0usize; SAH_BINS];
        for &i in &order[start..end] {
            let b = (((centroids[i as usize][axis] - lo) * scale_bins) as usize).min(SAH_BINS - 1);
            bin_count[b] += 1;
            bin_box[b].merge(&boxes[i as usize]);
        }
        let mut right_area = [0.0f32; SAH_BINS];
        let mut right_count = [0usize; SAH_BINS];
        let mut acc = Aabb::EMPTY;
        let mut cnt = 0;
        for b in (1..SAH_BINS).rev() {
            acc.merge(&bin_box[b]);
            cnt += bin_count[b];
            right_area[b] = acc.area();
            right_count[b] = cnt;
        }
        let mut acc = Aabb::EMPTY;
        let mut cnt = 0;
        for b in 0..SAH_BINS - 1 {
            acc.merge(&bin_box[b]);
            cnt += bin_count[b];
            let rc = right_count[b + 1];
            if cnt == 0 || rc == 0 {
                continue;
            }
            let cost = acc.area() * cnt as f32 + right_area[b + 1] * rc as f32;
            if best.is_none_or(|(c, _, _)| cost < c) {
                best = Some((cost, axis, b + 1));
            }
        }
    }
    let (cost, axis, boundary) = best?;
    let n = end - start;
    // Leaf cost vs split cost (traversal cost ~ 1 triangle test).
    let leaf_cost = bounds.area() * n as f32;
    if n <= 2 * MAX_LEAF_TRIANGLES && cost + bounds.area() >= leaf_cost {
        return None;
    }
    let lo = cbounds.min[axis];
    let scale_bins = SAH_BINS as f32 / (cbounds.max[axis] - lo);
    let slice = &mut order[start..end];
    let mut i = 0;
    let mut j = slice.len();
    while i < j {
        let b = (((centroids[slice[i] as usize][axis] - lo) * scale_bins) as usize).min(SAH_BINS - 1);
        if b < boundary {
            i += 1;
        } else {
            j -= 1;
            slice.swap(i, j);
        }
    }
    (i > 0 && i < slice.len()).then_some(start + i)
}

#[inline]
fn slab(node: &Node, o: [f32; 3], inv: [f32; 3], t_min: f32, t_max: f32) -> Option<f32> {
    let mut t0 = t_min;
    let mut t1 = t_max;
    for k in 0..3 {
        let a = (node.min[k] - o[k]) * inv[k];
        let b = (node.max[k] - o[k]) * inv[k];
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        // NaN (0 * inf) compares false and leaves the interval unchanged.
        if lo > t0 {
            t0 = lo;
        }
        if hi < t1 {
            t1 = hi;
        }
    }
    (t0 <= t1).then_some(t0)
}

/// Möller–Trumbore on (v0, e1, e2); returns (t, b1, b2).
#[inline]
fn intersect_triangle(tri: &[[f32; 3]; 3], o: [f32; 3], d: [f32; 3], t_min: f32, t_max: f32) -> Option<(f32, f32, f32)> {
    let [v0, e1, e2] = *tri;
    let pv = cross(d, e2);
    let det = dot(e1, pv);
    if det.abs() < 1e-12 {
        return None;
    }
    let inv_det = 1.0 / det;
    let tv = sub(o, v0);
    let b1 = dot(tv, pv) * inv_det;
    if !(0.0..=1.0).contains(&b1) {
        return None;
    }
    let qv = cross(tv, e1);
    let b2 = dot(d, qv) * inv_det;
    if b2 < 0.0 || b1 + b2 > 1.0 {
        return None;
    }
    let t = dot(e2, qv) * inv_det;
    (t > t_min && t < t_max).then_some((t, b1, b2))
}

/// Closest point on triangle abc to p (Ericson, Real-Time Collision
/// Detection, 5.1.5: Voronoi regions of the vertices and edges).
fn closest_point_on_triangle(p: [f32; 3], a: [f32; 3], b: [f32; 3], c: [f32; 3]) -> [f32; 3] {
    let ab = sub(b, a);
    let ac = sub(c, a);
    let ap = sub(p, a);
    let d1 = dot(ab, ap);
    let d2 = dot(ac, ap);
    if d1 <= 0.0 && d2 <= 0.0 {
        return a;
    }
    let bp = sub(p, b);
    let d3 = dot(ab, bp);
    let d4 = dot(ac, bp);
    if d3 >= 0.0 && d4 <= d3 {
        return b;
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        let v = d1 / (d1 - d3);
        return add(a, scale(ab, v));
    }
    let cp = sub(p, c);
    let d5 = dot(ab, cp);
    let d6 = dot(ac, cp);
    if d6 >= 0.0 && d5 <= d6 {
        return c;
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        let w = d2 / (d2 - d6);
        return add(a, scale(ac, w));
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && (d4 - d3) >= 0.0 && (d5 - d6) >= 0.0 {
        let w = (d4 - d3) / ((d4 - d3) + (d5 - d6));
        return add(b, scale(sub(c, b), w));
    }
    let denom = 1.0 / (va + vb + vc);
    let v = vb * denom;
    let w = vc * denom;
    add(a, add(scale(ab, v), scale(ac, w)))
}

#[inline]
pub(crate) fn sub(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
#[inline]
pub(crate) fn add(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
#[inline]
pub(crate) fn scale(a: [f32; 3], s: f32) -> [f32; 3] {
    [a[0] * s, a[1] * s, a[2] * s]
}
#[inline]
pub(crate) fn dot(a: [f32; 3], b: [f32; 3]) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
#[inline]
pub(crate) fn cross(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::world::{Material, SurfaceLabel, Texture};
    use rand::{Rng, SeedableRng};

    fn plain() -> Material {
        Material { texture: Texture::Plain, color: [128, 128, 128], seed: 0 }
    }

    fn random_world(n: usize, seed: u64) -> World {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut w = World::default();
        for _ in 0..n {
            let c = [rng.random_range(-5.0..5.0), rng.random_range(-5.0..5.0), rng.random_range(0.0..3.0)];
            let s = [rng.random_range(0.05..1.0), rng.random_range(0.05..1.0), rng.random_range(0.05..1.0)];
            w.add_box(c, s, rng.random_range(0.0..3.0), plain(), SurfaceLabel::Clutter);
        }
        w
    }

    fn brute(g: &Geometry, o: [f32; 3], d: [f32; 3]) -> Option<(f32, u32)> {
        let mut best: Option<(f32, u32)> = None;
        for (i, t) in g.triangles.iter().enumerate() {
            let tri = [t.p[0], sub(t.p[1], t.p[0]), sub(t.p[2], t.p[0])];
            if let Some((tt, _, _)) = intersect_triangle(&tri, o, d, 0.0, f32::INFINITY) {
                if best.is_none_or(|(b, _)| tt < b) {
                    best = Some((tt, i as u32));
                }
            }
        }
        best
    }

    #[test]
    fn bvh_matches_brute_force() {
        let w = random_world(200, 3);
        let g = Geometry::from_world(&w);
        let bvh = Bvh::build(&g);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut hits = 0;
        for _ in 0..2000 {
            let o = [rng.random_range(-6.0..6.0), rng.random_range(-6.0..6.0), rng.random_range(0.0..3.0)];
            let d = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
            let a = bvh.intersect(o, d, 0.0, f32::INFINITY).map(|h| (h.t, h.triangle));
            let b = brute(&g, o, d);
            match (a, b) {
                (Some(a), Some(b)) => {
                    assert!((a.0 - b.0).abs() < 1e-5, "{a:?} vs {b:?}");
                    hits += 1;
                }
                (None, None) => {}
                _ => panic!("bvh {a:?} vs brute force {b:?}"),
            }
        }
        assert!(hits > 200);
    }

    #[test]
    fn distance_to_surface_of_a_box() {
        let mut w = World::default();
        w.add_box([0.0, 0.0, 1.0], [2.0, 2.0, 2.0], 0.0, plain(), SurfaceLabel::Clutter);
        let bvh = Bvh::build(&Geometry::from_world(&w));
        let d = bvh.distance_to_surface([0.0, 0.0, 1.0], 5.0).unwrap();
        assert!((d - 1.0).abs() < 1e-6);
        let d = bvh.distance_to_surface([3.0, 0.0, 1.0], 5.0).unwrap();
        assert!((d - 2.0).abs() < 1e-6);
        assert!(bvh.distance_to_surface([30.0, 0.0, 1.0], 5.0).is_none());
        let empty = Bvh::build(&Geometry::default());
        assert!(empty.intersect([0.0; 3], [1.0, 0.0, 0.0], 0.0, 1.0).is_none());
    }
}
