//! RGB-D pose refinement: one camera pose refined jointly on feature
//! reprojections (matched map points) and on the frame's own depth, aligned
//! point-to-plane to a reference keyframe's depth (ICP with projective data
//! association). The depth term pins the translation where the features
//! alone leave it loose (few features clustered in one part of the image,
//! e.g. a curtain against plain walls: a small rotation and a large
//! sideways shift then reproject almost alike), and the feature term pins
//! the motions the surfaces leave free (sliding along one flat wall).
//!
//! Pure nalgebra on plain depth arrays; knows nothing of OpenCV, keyframes
//! or maps (the tracker converts its `Mat`s with [`DepthImage::from_mat`]).

use super::geometry::Pinhole;
use super::{cv, ReconError};
use nalgebra::{Isometry3, Matrix6, Point2, Point3, Translation3, UnitQuaternion, Vector3, Vector6};
use opencv::core::Mat;
use opencv::prelude::*;

/// A depth image in metres (0 or non-finite = no depth), row-major.
#[derive(Debug, Clone)]
pub struct DepthImage {
    pub width: usize,
    pub height: usize,
    pub z: Vec<f32>,
}

impl DepthImage {
    /// Copies a single-channel `f32` depth `Mat` (metres).
    pub fn from_mat(m: &Mat) -> Result<DepthImage, ReconError> {
        let (w, h) = (m.cols().max(0) as usize, m.rows().max(0) as usize);
        let mut z = Vec::with_capacity(w * h);
        for r in 0..h as i32 {
            let row = m.at_row::<f32>(r).map_err(cv("depth row"))?;
            z.extend_from_slice(row);
        }
        Ok(DepthImage { width: w, height: h, z })
    }

    /// Depth at pixel (`u`, `v`) when inside `[dmin, dmax]`.
    #[inline]
    pub fn at(&self, u: usize, v: usize, dmin: f64, dmax: f64) -> Option<f64> {
        if u >= self.width || v >= self.height {
            return None;
        }
        let z = *self.z.get(v * self.width + u)? as f64;
        (z.is_finite() && z > dmin && z < dmax).then_some(z)
    }

    /// Points of every `stride`-th pixel with depth, in the camera frame.
    pub fn sample_points(&self, k: &Pinhole, stride: usize, dmin: f64, dmax: f64) -> Vec<Point3<f64>> {
        let s = stride.max(1);
        let mut out = Vec::with_capacity((self.width / s + 1) * (self.height / s + 1));
        for v in (s / 2..self.height).step_by(s) {
            for u in (s / 2..self.width).step_by(s) {
                if let Some(z) = self.at(u, v, dmin, dmax) {
                    out.push(Point3::from(k.ray(&Point2::new(u as f64, v as f64)) * z));
                }
            }
        }
        out
    }
}

/// A reference keyframe's surface for projective association: points and
/// normals in its camera frame on a grid of every `step`-th pixel.
#[derive(Debug, Clone)]
pub struct RefSurface {
    cols: usize,
    rows: usize,
    step: usize,
    k: Pinhole,
    /// (point, unit normal facing the camera) per grid cell.
    cells: Vec<Option<(Point3<f64>, Vector3<f64>)>>,
}

/// Neighbouring depths differing by more than this fraction of the depth
/// (plus [`EDGE_ABS_M`]) mark a depth edge: no normal there.
const EDGE_REL: f64 = 0.05;
/// Absolute part of the depth-edge test (metres).
const EDGE_ABS_M: f64 = 0.02;

impl RefSurface {
    /// Back-projects `depth` (camera `k`) on a grid of `step` pixels and
    /// estimates normals from the grid neighbours (central differences);
    /// cells at depth edges get none.
    pub fn new(depth: &DepthImage, k: &Pinhole, step: usize, dmin: f64, dmax: f64) -> RefSurface {
        let s = step.max(1);
        let (cols, rows) = (depth.width / s, depth.height / s);
        let pt = |c: usize, r: usize| -> Option<Point3<f64>> {
            let (u, v) = (c * s, r * s);
            depth.at(u, v, dmin, dmax).map(|z| Point3::from(k.ray(&Point2::new(u as f64, v as f64)) * z))
        };
        let pts: Vec<Option<Point3<f64>>> = (0..rows).flat_map(|r| (0..cols).map(move |c| (c, r))).map(|(c, r)| pt(c, r)).collect();
        let get = |c: usize, r: usize| -> Option<Point3<f64>> { if c < cols && r < rows { pts[r * cols + c] } else { None } };
        let mut cells = vec![None; cols * rows];
        for r in 1..rows.saturating_sub(1) {
            for c in 1..cols.saturating_sub(1) {
                let Some(p) = get(c, r) else { continue };
                let (Some(l), Some(rt), Some(up), Some(dn)) = (get(c - 1, r), get(c + 1, r), get(c, r - 1), get(c, r + 1)) else { continue };
                let tol = EDGE_REL * p.z + EDGE_ABS_M;
                if [l, rt, up, dn].iter().any(|q| (q.z - p.z).abs() > tol) {
                    continue;
                }
                let n = (rt - l).cross(&(dn - up));
                let len = n.norm();
                if len < 1e-12 {
                    continue;
                }
                let mut n = n / len;
                if n.dot(&p.coords) > 0.0 {
                    n = -n;
                }
                cells[r * cols + c] = Some((p, n));
            }
        }
        RefSurface { cols, rows, step: s, k: *k, cells }
    }

    /// The surface point and normal a point `q` (reference camera frame)
    /// projects onto.
    #[inline]
    fn lookup(&self, q: &Point3<f64>) -> Option<&(Point3<f64>, Vector3<f64>)> {
        let uv = self.k.project(q)?;
        let s = self.step as f64;
        let (c, r) = ((uv.x / s).round(), (uv.y / s).round());
        if c < 0.0 || r < 0.0 || c >= self.cols as f64 || r >= self.rows as f64 {
            return None;
        }
        self.cells[r as usize * self.cols + c as usize].as_ref()
    }

    /// Cells with a point and a normal.
    pub fn len(&self) -> usize {
        self.cells.iter().flatten().count()
    }

    /// Whether no cell has a point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The depth term: the reference surface, its keyframe's pose and the
/// current frame's depth points (current camera frame).
pub struct DepthTerm<'a> {
    pub surface: &'a RefSurface,
    /// The reference keyframe's `camera_from_world`.
    pub ref_from_world: Isometry3<f64>,
    pub points: &'a [Point3<f64>],
}

/// Joint refinement settings.
#[derive(Debug, Clone)]
pub struct RgbdRefineConfig {
    /// Gauss–Newton iterations (data association redone each time).
    pub iterations: usize,
    /// Feature inlier threshold and Huber scale (pixels).
    pub inlier_px: f64,
    /// Depth pairs further apart than this are not associated (metres).
    pub max_pair_dist_m: f64,
    /// Point-to-plane noise at 1 m depth (metres); grows with depth²
    /// (structured-light / Kinect-style noise: Nguyen et al. 2012 measured
    /// σ ≈ 0.0012 + 0.0019 (z − 0.4)² m, about 2 mm at 1 m, 14 mm at 3 m).
    pub sigma_m: f64,
    /// Huber scale of the depth term in units of its sigma.
    pub huber_sigmas: f64,
    /// Normals whose direction differs by more than this from the line of
    /// sight's side are not used (cosine between normal and −ray, minimum).
    pub min_normal_cos: f64,
}

impl Default for RgbdRefineConfig {
    fn default() -> Self {
        RgbdRefineConfig { iterations: 10, inlier_px: 2.5, max_pair_dist_m: 0.1, sigma_m: 0.002, huber_sigmas: 2.0, min_normal_cos: 0.1 }
    }
}

/// What the joint refinement found.
#[derive(Debug, Clone)]
pub struct RgbdRefined {
    /// Refined `camera_from_world`.
    pub pose: Isometry3<f64>,
    /// Per feature correspondence: reprojection error ≤ `inlier_px`.
    pub inliers: Vec<bool>,
    /// Depth points associated with the reference surface at the end.
    pub depth_pairs: usize,
    /// Of those, within 2 sigma of the surface.
    pub depth_inliers: usize,
}

fn huber_w(r_abs: f64, delta: f64) -> f64 {
    if r_abs <= delta {
        1.0
    } else {
        delta / r_abs
    }
}

fn huber_rho(r_abs: f64, delta: f64) -> f64 {
    if r_abs <= delta {
        r_abs * r_abs
    } else {
        2.0 * delta * r_abs - delta * delta
    }
}

/// Left-multiplies `pose` by exp(δ), δ = (ω, v) (as in [`super::ba`]).
fn retract(pose: &Isometry3<f64>, d: &Vector6<f64>) -> Isometry3<f64> {
    let dp = Isometry3::from_parts(Translation3::new(d[3], d[4], d[5]), UnitQuaternion::from_scaled_axis(Vector3::new(d[0], d[1], d[2])));
    dp * pose
}

fn skew(p: &Vector3<f64>) -> nalgebra::Matrix3<f64> {
    nalgebra::Matrix3::new(0.0, -p.z, p.y, p.z, 0.0, -p.x, -p.y, p.x, 0.0)
}

/// A depth point of the current frame (index) paired with a reference
/// surface point and its normal (reference camera frame).
type Pair = (usize, Point3<f64>, Vector3<f64>);

/// Projective data association at `pose`: each current depth point goes
/// to the reference surface cell it projects onto, when near and facing.
fn associate(pose: &Isometry3<f64>, depth: &DepthTerm, cfg: &RgbdRefineConfig) -> Vec<Pair> {
    let ref_from_cur = depth.ref_from_world * pose.inverse();
    let mut out = Vec::with_capacity(depth.points.len());
    for (i, p) in depth.points.iter().enumerate() {
        let q = ref_from_cur * p;
        let Some((s, n)) = depth.surface.lookup(&q) else { continue };
        if (q - s).norm() > cfg.max_pair_dist_m || -n.dot(&q.coords.normalize()) < cfg.min_normal_cos {
            continue;
        }
        out.push((i, *s, *n));
    }
    out
}

/// Normal equations and robust cost of both terms at `pose` with the
/// depth pairs fixed; also the depth pairs within 2 sigma.
fn build(k: &Pinhole, pose: &Isometry3<f64>, world: &[Point3<f64>], uv: &[Point2<f64>], depth: Option<(&DepthTerm, &[Pair])>, cfg: &RgbdRefineConfig) -> (Matrix6<f64>, Vector6<f64>, f64, usize) {
    let mut h = Matrix6::zeros();
    let mut g = Vector6::zeros();
    let mut cost = 0.0;
    for (x, u) in world.iter().zip(uv) {
        let pc = pose * x;
        if pc.z <= 1e-6 {
            cost += 4.0 * cfg.inlier_px * cfg.inlier_px;
            continue;
        }
        let iz = 1.0 / pc.z;
        let r = nalgebra::Vector2::new(k.fx * pc.x * iz + k.cx - u.x, k.fy * pc.y * iz + k.cy - u.y);
        let rn = r.norm();
        cost += huber_rho(rn, cfg.inlier_px);
        let w = huber_w(rn, cfg.inlier_px);
        let jpi = nalgebra::SMatrix::<f64, 2, 3>::new(k.fx * iz, 0.0, -k.fx * pc.x * iz * iz, 0.0, k.fy * iz, -k.fy * pc.y * iz * iz);
        let mut m = nalgebra::Matrix3x6::<f64>::zeros();
        m.fixed_view_mut::<3, 3>(0, 0).copy_from(&(-skew(&pc.coords)));
        m.fixed_view_mut::<3, 3>(0, 3).copy_from(&nalgebra::Matrix3::identity());
        let j = jpi * m;
        h += w * j.transpose() * j;
        g -= w * j.transpose() * r;
    }
    let mut inl = 0;
    if let Some((d, pairs)) = depth {
        // q = ref_from_cur · p; with the left perturbation of cur's
        // camera_from_world, p becomes exp(−δ) p ≈ p + [p]× ω − v.
        let ref_from_cur = d.ref_from_world * pose.inverse();
        let rot = ref_from_cur.rotation.to_rotation_matrix();
        let rm = rot.matrix();
        for (i, s, n) in pairs {
            let Some(p) = d.points.get(*i) else { continue };
            let q = ref_from_cur * p;
            let sigma = cfg.sigma_m * (q.z * q.z).max(1.0);
            let r = n.dot(&(q - s)) / sigma;
            if r.abs() <= 2.0 {
                inl += 1;
            }
            cost += huber_rho(r.abs(), cfg.huber_sigmas);
            let w = huber_w(r.abs(), cfg.huber_sigmas);
            let nt = n.transpose() * rm / sigma;
            let jw = nt * skew(&p.coords);
            let j = Vector6::new(jw[0], jw[1], jw[2], -nt[0], -nt[1], -nt[2]);
            h += w * j * j.transpose();
            g -= w * j * r;
        }
    }
    (h, g, cost, inl)
}

/// Damping tries per association before giving up on a step.
const LM_TRIES: usize = 6;

/// Refines `init` (`camera_from_world`) on feature correspondences
/// (`world[i]` seen at `uv[i]`) and, when given, the depth term, by
/// Levenberg–Marquardt with Huber weights; depth pairs are re-associated
/// after every accepted step. Without enough constraints (fewer than 6
/// of either kind) the pose is returned as it is.
pub fn refine_pose_rgbd(k: &Pinhole, init: &Isometry3<f64>, world: &[Point3<f64>], uv: &[Point2<f64>], depth: Option<&DepthTerm>, cfg: &RgbdRefineConfig) -> RgbdRefined {
    let n = world.len().min(uv.len());
    let (world, uv) = (&world[..n], &uv[..n]);
    let mut pose = *init;
    pose.rotation.renormalize();
    let mut lambda = 1e-4;
    let mut pairs: Vec<Pair> = depth.map(|d| associate(&pose, d, cfg)).unwrap_or_default();
    if n >= 6 || pairs.len() >= 6 {
        for _ in 0..cfg.iterations {
            let (h, g, cost, _) = build(k, &pose, world, uv, depth.map(|d| (d, pairs.as_slice())), cfg);
            let mut moved = None;
            for _ in 0..LM_TRIES {
                let mut a = h;
                for i in 0..6 {
                    a[(i, i)] += lambda * h[(i, i)].max(1e-9);
                }
                let Some(ch) = a.cholesky() else { break };
                let d = ch.solve(&g);
                let cand = retract(&pose, &d);
                let (_, _, c2, _) = build(k, &cand, world, uv, depth.map(|dt| (dt, pairs.as_slice())), cfg);
                if c2 <= cost {
                    lambda = (lambda * 0.3).max(1e-7);
                    moved = Some((cand, d.norm()));
                    break;
                }
                lambda *= 10.0;
            }
            let Some((cand, step)) = moved else { break };
            pose = cand;
            pose.rotation.renormalize();
            if let Some(d) = depth {
                pairs = associate(&pose, d, cfg);
            }
            if step < 1e-7 {
                break;
            }
        }
    }
    let (_, _, _, depth_inliers) = build(k, &pose, &[], &[], depth.map(|d| (d, pairs.as_slice())), cfg);
    let inliers = world.iter().zip(uv).map(|(x, u)| k.project(&(pose * x)).map(|p| (p - u).norm() <= cfg.inlier_px).unwrap_or(false)).collect();
    RgbdRefined { pose, inliers, depth_pairs: pairs.len(), depth_inliers }
}

/// How well the depth agrees at `pose`: (associated pairs, pairs within
/// 2 sigma of the reference surface).
pub fn depth_agreement(pose: &Isometry3<f64>, depth: &DepthTerm, cfg: &RgbdRefineConfig) -> (usize, usize) {
    let pairs = associate(pose, depth, cfg);
    let (_, _, _, inl) = build(&Pinhole { fx: 1.0, fy: 1.0, cx: 0.0, cy: 0.0 }, pose, &[], &[], Some((depth, pairs.as_slice())), cfg);
    (pairs.len(), inl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recon::geometry::camera_centre;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    pub const K: Pinhole = Pinhole { fx: 300.0, fy: 300.0, cx: 160.0, cy: 120.0 };

    /// Depth of a box room seen from `cam_from_world` (ray casting against
    /// the six planes of [0,4]x[0,3]x[0,2.5]).
    pub fn render_box(pose: &Isometry3<f64>) -> DepthImage {
        let (w, h) = (320usize, 240usize);
        let wfc = pose.inverse();
        let o = wfc.translation.vector;
        let mut z = vec![0f32; w * h];
        let size = Vector3::new(4.0, 3.0, 2.5);
        for v in 0..h {
            for u in 0..w {
                let ray_c = K.ray(&Point2::new(u as f64, v as f64));
                let d = wfc.rotation * ray_c;
                let mut best = f64::INFINITY;
                for a in 0..3 {
                    for wall in [0.0, size[a]] {
                        if d[a].abs() < 1e-12 {
                            continue;
                        }
                        let t = (wall - o[a]) / d[a];
                        if t > 0.0 && t < best {
                            best = t;
                        }
                    }
                }
                z[v * w + u] = best as f32; // ray_c has z = 1: t is the depth
            }
        }
        DepthImage { width: w, height: h, z }
    }

    pub fn pose_at(x: f64, yaw: f64) -> Isometry3<f64> {
        // world_from_camera looking along +x (camera z), y down = −world z.
        let rot = nalgebra::Rotation3::from_basis_unchecked(&[Vector3::new(0.0, -1.0, 0.0), Vector3::new(0.0, 0.0, -1.0), Vector3::new(1.0, 0.0, 0.0)]);
        let r = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), yaw) * UnitQuaternion::from_rotation_matrix(&rot);
        Isometry3::from_parts(Translation3::new(x, 1.2, 1.4), r).inverse()
    }

    #[test]
    fn depth_term_recovers_a_shifted_pose_in_a_box_room() {
        let ref_pose = pose_at(1.0, 0.3);
        let cur_pose = pose_at(1.15, 0.45);
        let surface = RefSurface::new(&render_box(&ref_pose), &K, 2, 0.1, 10.0);
        assert!(surface.len() > 10_000);
        let pts = render_box(&cur_pose).sample_points(&K, 6, 0.1, 10.0);
        let term = DepthTerm { surface: &surface, ref_from_world: ref_pose, points: &pts };
        // Start 6 cm and 2° off, no features at all.
        let start = retract(&cur_pose, &Vector6::new(0.01, -0.03, 0.01, 0.04, -0.03, 0.03));
        let r = refine_pose_rgbd(&K, &start, &[], &[], Some(&term), &RgbdRefineConfig { iterations: 30, ..Default::default() });
        let d = r.pose * cur_pose.inverse();
        assert!(d.translation.vector.norm() < 0.003 && d.rotation.angle() < 0.002, "{d:?} pairs {}", r.depth_pairs);
        assert!(r.depth_inliers > r.depth_pairs * 9 / 10);
    }

    #[test]
    fn depth_pins_translation_that_clustered_features_leave_loose() {
        // Features only in a small patch far away: translation and
        // rotation trade off; with the depth term the pose comes back.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let ref_pose = pose_at(1.0, 0.0);
        let cur_pose = pose_at(1.1, 0.05);
        let world: Vec<Point3<f64>> = (0..40).map(|_| Point3::new(4.0, rng.random_range(1.3..1.7), rng.random_range(1.2..1.6))).collect();
        let uv: Vec<Point2<f64>> = world.iter().map(|x| K.project(&(cur_pose * x)).unwrap() + nalgebra::Vector2::new(rng.random_range(-0.7..0.7), rng.random_range(-0.7..0.7))).collect();
        let start = retract(&cur_pose, &Vector6::new(0.0, 0.02, 0.0, 0.06, 0.0, 0.0));
        let only = refine_pose_rgbd(&K, &start, &world, &uv, None, &RgbdRefineConfig::default());
        let surface = RefSurface::new(&render_box(&ref_pose), &K, 2, 0.1, 10.0);
        let pts = render_box(&cur_pose).sample_points(&K, 6, 0.1, 10.0);
        let term = DepthTerm { surface: &surface, ref_from_world: ref_pose, points: &pts };
        let both = refine_pose_rgbd(&K, &start, &world, &uv, Some(&term), &RgbdRefineConfig::default());
        let err = |p: &Isometry3<f64>| (camera_centre(p) - camera_centre(&cur_pose)).norm();
        assert!(err(&both.pose) < 0.005, "joint {}", err(&both.pose));
        assert!(err(&only.pose) > 2.0 * err(&both.pose), "features only {} joint {}", err(&only.pose), err(&both.pose));
        assert!(both.inliers.iter().filter(|x| **x).count() >= 38);
    }
}
