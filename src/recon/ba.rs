//! Bundle adjustment: sparse Levenberg–Marquardt over camera poses and 3D
//! points with the Schur complement (points eliminated, the reduced camera
//! system solved densely by Cholesky), Huber-robust reprojection error.
//! Also used for motion-only refinement (one free camera, fixed points).
//!
//! Pure nalgebra; knows nothing of OpenCV or frames.
#![allow(clippy::needless_range_loop)] // block indices address several arrays at once

use nalgebra::{DMatrix, DVector, Isometry3, Matrix3, Matrix3x6, Matrix6, Point2, Point3, SMatrix, Translation3, UnitQuaternion, Vector3, Vector6};

/// One observation: camera `cam` sees point `point` at pixel `uv`.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    pub cam: usize,
    pub point: usize,
    pub uv: Point2<f64>,
}

/// A bundle-adjustment problem. Poses are `camera_from_world`.
#[derive(Debug, Clone)]
pub struct Problem {
    pub fx: f64,
    pub fy: f64,
    pub cx: f64,
    pub cy: f64,
    pub cams: Vec<Isometry3<f64>>,
    pub cam_fixed: Vec<bool>,
    pub points: Vec<Point3<f64>>,
    pub point_fixed: Vec<bool>,
    pub obs: Vec<Observation>,
}

/// Solver settings.
#[derive(Debug, Clone)]
pub struct BaConfig {
    /// LM iterations.
    pub iterations: usize,
    /// Huber threshold in pixels.
    pub huber_px: f64,
    /// Initial LM damping (relative to the diagonal).
    pub lambda: f64,
}

impl Default for BaConfig {
    fn default() -> Self {
        BaConfig { iterations: 10, huber_px: 2.0, lambda: 1e-3 }
    }
}

/// What the solver did.
#[derive(Debug, Clone, Default)]
pub struct BaSummary {
    pub initial_cost: f64,
    pub final_cost: f64,
    pub iterations: usize,
}

/// Minimum depth (camera z) for an observation to count, in map units.
const MIN_DEPTH: f64 = 1e-6;

/// Per point: Hpp, its gradient, and the (free camera, Hpc) blocks.
type PointBlock = (Matrix3<f64>, Vector3<f64>, Vec<(usize, Matrix3x6<f64>)>);

fn huber_weight(r2: f64, delta: f64) -> f64 {
    let r = r2.sqrt();
    if r <= delta {
        1.0
    } else {
        delta / r
    }
}

fn huber_cost(r2: f64, delta: f64) -> f64 {
    let r = r2.sqrt();
    if r <= delta {
        r2
    } else {
        2.0 * delta * r - delta * delta
    }
}

/// Left-multiplies `pose` by exp(δ) with δ = (ω, v).
fn retract(pose: &Isometry3<f64>, d: &Vector6<f64>) -> Isometry3<f64> {
    let w = Vector3::new(d[0], d[1], d[2]);
    let v = Vector3::new(d[3], d[4], d[5]);
    let dp = Isometry3::from_parts(Translation3::from(v), UnitQuaternion::from_scaled_axis(w));
    dp * pose
}

impl Problem {
    /// Residual of observation `o` (projected − measured), `None` when the
    /// point is behind the camera.
    pub fn residual(&self, o: &Observation) -> Option<nalgebra::Vector2<f64>> {
        let pc = self.cams[o.cam] * self.points[o.point];
        if pc.z <= MIN_DEPTH {
            return None;
        }
        Some(nalgebra::Vector2::new(self.fx * pc.x / pc.z + self.cx - o.uv.x, self.fy * pc.y / pc.z + self.cy - o.uv.y))
    }

    /// Robust cost over all observations (points behind count as 4 δ²).
    pub fn cost(&self, delta: f64) -> f64 {
        self.obs
            .iter()
            .map(|o| match self.residual(o) {
                Some(r) => huber_cost(r.norm_squared(), delta),
                None => 4.0 * delta * delta,
            })
            .sum()
    }

    /// Runs Levenberg–Marquardt in place.
    pub fn solve(&mut self, cfg: &BaConfig) -> BaSummary {
        let nc = self.cams.len();
        let np = self.points.len();
        // Index of free cameras in the reduced system.
        let mut cam_idx = vec![usize::MAX; nc];
        let mut nfree = 0;
        for c in 0..nc {
            if !self.cam_fixed.get(c).copied().unwrap_or(false) {
                cam_idx[c] = nfree;
                nfree += 1;
            }
        }
        let point_free: Vec<bool> = (0..np).map(|p| !self.point_fixed.get(p).copied().unwrap_or(false)).collect();
        // Observations grouped by point.
        let mut by_point: Vec<Vec<usize>> = vec![vec![]; np];
        for (i, o) in self.obs.iter().enumerate() {
            if o.cam < nc && o.point < np {
                by_point[o.point].push(i);
            }
        }
        let mut summary = BaSummary { initial_cost: self.cost(cfg.huber_px), ..Default::default() };
        let mut cost = summary.initial_cost;
        let mut lambda = cfg.lambda;
        for it in 0..cfg.iterations {
            summary.iterations = it + 1;
            let n = 6 * nfree;
            let mut s = DMatrix::<f64>::zeros(n, n);
            let mut g = DVector::<f64>::zeros(n);
            // Per point: Hpp, bp, and the list of (free cam, Hcp block).
            let mut point_solve: Vec<Option<PointBlock>> = vec![None; np];
            let mut hcc_blocks: Vec<Matrix6<f64>> = vec![Matrix6::zeros(); nfree];
            let mut bc: Vec<Vector6<f64>> = vec![Vector6::zeros(); nfree];
            for p in 0..np {
                let mut hpp = Matrix3::<f64>::zeros();
                let mut bp = Vector3::<f64>::zeros();
                let mut hcp: Vec<(usize, Matrix3x6<f64>)> = vec![];
                for &oi in &by_point[p] {
                    let o = self.obs[oi];
                    let pose = &self.cams[o.cam];
                    let pc = pose * self.points[p];
                    if pc.z <= MIN_DEPTH {
                        continue;
                    }
                    let iz = 1.0 / pc.z;
                    let r = nalgebra::Vector2::new(self.fx * pc.x * iz + self.cx - o.uv.x, self.fy * pc.y * iz + self.cy - o.uv.y);
                    let w = huber_weight(r.norm_squared(), cfg.huber_px);
                    let jpi = SMatrix::<f64, 2, 3>::new(self.fx * iz, 0.0, -self.fx * pc.x * iz * iz, 0.0, self.fy * iz, -self.fy * pc.y * iz * iz);
                    let ci = cam_idx[o.cam];
                    let jc = if ci != usize::MAX {
                        // dPc/dδ = [-[Pc]x | I]
                        let mut m = Matrix3x6::<f64>::zeros();
                        let skew = Matrix3::new(0.0, -pc.z, pc.y, pc.z, 0.0, -pc.x, -pc.y, pc.x, 0.0);
                        m.fixed_view_mut::<3, 3>(0, 0).copy_from(&(-skew));
                        m.fixed_view_mut::<3, 3>(0, 3).copy_from(&Matrix3::identity());
                        Some(jpi * m)
                    } else {
                        None
                    };
                    let jp = if point_free[p] { Some(jpi * pose.rotation.to_rotation_matrix().matrix()) } else { None };
                    if let Some(jc) = &jc {
                        hcc_blocks[ci] += w * jc.transpose() * jc;
                        bc[ci] -= w * jc.transpose() * r;
                    }
                    if let Some(jp) = &jp {
                        hpp += w * jp.transpose() * jp;
                        bp -= w * jp.transpose() * r;
                        if let Some(jc) = &jc {
                            hcp.push((ci, w * jp.transpose() * jc));
                        }
                    }
                }
                if point_free[p] && hpp.trace() > 0.0 {
                    point_solve[p] = Some((hpp, bp, hcp));
                }
            }
            for ci in 0..nfree {
                let mut h = hcc_blocks[ci];
                for k in 0..6 {
                    h[(k, k)] += lambda * h[(k, k)].max(1e-9);
                }
                s.view_mut((6 * ci, 6 * ci), (6, 6)).copy_from(&h);
                g.rows_mut(6 * ci, 6).copy_from(&bc[ci]);
            }
            // Eliminate points.
            let mut hpp_inv: Vec<Option<Matrix3<f64>>> = vec![None; np];
            for p in 0..np {
                let Some((hpp, bp, hcp)) = &point_solve[p] else { continue };
                let mut h = *hpp;
                for k in 0..3 {
                    h[(k, k)] += lambda * h[(k, k)].max(1e-9);
                }
                let Some(inv) = h.try_inverse() else { continue };
                hpp_inv[p] = Some(inv);
                for (a, &(ca, ma)) in hcp.iter().enumerate() {
                    let ta = ma.transpose() * inv; // 6x3
                    let tb = ta * bp;
                    for k in 0..6 {
                        g[6 * ca + k] -= tb[k];
                    }
                    for &(cb, mb) in hcp.iter().skip(a) {
                        let blk = ta * mb;
                        let mut v = s.view_mut((6 * ca, 6 * cb), (6, 6));
                        v -= blk;
                        if cb != ca {
                            let mut v2 = s.view_mut((6 * cb, 6 * ca), (6, 6));
                            v2 -= blk.transpose();
                        }
                    }
                }
            }
            let dc = if n > 0 {
                match s.clone().cholesky() {
                    Some(ch) => ch.solve(&g),
                    None => {
                        lambda *= 10.0;
                        continue;
                    }
                }
            } else {
                DVector::zeros(0)
            };
            // Back-substitute points.
            let old_cams = self.cams.clone();
            let old_points = self.points.clone();
            for c in 0..nc {
                let ci = cam_idx[c];
                if ci != usize::MAX {
                    let d = Vector6::from_iterator(dc.rows(6 * ci, 6).iter().copied());
                    self.cams[c] = retract(&self.cams[c], &d);
                }
            }
            for p in 0..np {
                let (Some((_, bp, hcp)), Some(inv)) = (&point_solve[p], &hpp_inv[p]) else { continue };
                let mut rhs = *bp;
                for (ci, m) in hcp {
                    let d = Vector6::from_iterator(dc.rows(6 * ci, 6).iter().copied());
                    rhs -= m * d;
                }
                self.points[p] += inv * rhs;
            }
            let new_cost = self.cost(cfg.huber_px);
            if new_cost < cost {
                let rel = (cost - new_cost) / cost.max(1e-12);
                cost = new_cost;
                lambda = (lambda * 0.3).max(1e-7);
                if rel < 1e-6 {
                    break;
                }
            } else {
                self.cams = old_cams;
                self.points = old_points;
                lambda *= 10.0;
                if lambda > 1e6 {
                    break;
                }
            }
        }
        summary.final_cost = cost;
        summary
    }
}

/// Refines one `camera_from_world` pose against fixed 3D points
/// (motion-only BA). Returns the refined pose and a per-correspondence
/// inlier flag (reprojection error ≤ `inlier_px`).
pub fn refine_pose(
    k: (f64, f64, f64, f64),
    pose: &Isometry3<f64>,
    points: &[Point3<f64>],
    uv: &[Point2<f64>],
    inlier_px: f64,
) -> (Isometry3<f64>, Vec<bool>) {
    let mut prob = Problem {
        fx: k.0,
        fy: k.1,
        cx: k.2,
        cy: k.3,
        cams: vec![*pose],
        cam_fixed: vec![false],
        points: points.to_vec(),
        point_fixed: vec![true; points.len()],
        obs: uv.iter().enumerate().map(|(i, u)| Observation { cam: 0, point: i, uv: *u }).collect(),
    };
    prob.solve(&BaConfig { iterations: 8, huber_px: inlier_px, lambda: 1e-4 });
    let inl = prob.obs.iter().map(|o| prob.residual(o).map(|r| r.norm() <= inlier_px).unwrap_or(false)).collect();
    (prob.cams[0], inl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn make_problem(rng: &mut ChaCha8Rng, noise_px: f64) -> (Problem, Vec<Isometry3<f64>>, Vec<Point3<f64>>) {
        let (fx, cx, cy) = (500.0, 320.0, 240.0);
        let points: Vec<Point3<f64>> = (0..200)
            .map(|_| Point3::new(rng.random_range(-2.0..2.0), rng.random_range(-1.5..1.5), rng.random_range(4.0..8.0)))
            .collect();
        // camera_from_world: cameras move along x, slight rotations.
        let cams: Vec<Isometry3<f64>> = (0..6)
            .map(|i| {
                let w = Isometry3::new(Vector3::new(0.3 * i as f64, 0.05 * i as f64, 0.0), Vector3::new(0.0, 0.02 * i as f64, 0.01));
                w.inverse()
            })
            .collect();
        let mut obs = vec![];
        for (c, pose) in cams.iter().enumerate() {
            for (p, x) in points.iter().enumerate() {
                let pc = pose * x;
                let u = Point2::new(fx * pc.x / pc.z + cx + rng.random_range(-noise_px..=noise_px), fx * pc.y / pc.z + cy + rng.random_range(-noise_px..=noise_px));
                obs.push(Observation { cam: c, point: p, uv: u });
            }
        }
        let prob = Problem { fx, fy: fx, cx, cy, cams: cams.clone(), cam_fixed: vec![false; 6], points: points.clone(), point_fixed: vec![false; 200], obs };
        (prob, cams, points)
    }

    #[test]
    fn ba_recovers_perturbed_poses_and_points() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (mut prob, cams, points) = make_problem(&mut rng, 0.0);
        prob.cam_fixed[0] = true;
        prob.cam_fixed[1] = true; // fixes the gauge including scale
        for c in 2..6 {
            prob.cams[c] = retract(&prob.cams[c], &Vector6::new(0.01, -0.01, 0.005, 0.05, -0.03, 0.04));
        }
        for p in prob.points.iter_mut() {
            *p += Vector3::new(rng.random_range(-0.05..0.05), rng.random_range(-0.05..0.05), rng.random_range(-0.1..0.1));
        }
        let s = prob.solve(&BaConfig { iterations: 30, ..Default::default() });
        assert!(s.final_cost < 1e-6 * s.initial_cost.max(1.0), "{s:?}");
        for c in 2..6 {
            let d = prob.cams[c].inverse() * cams[c];
            assert!(d.translation.vector.norm() < 1e-4 && d.rotation.angle() < 1e-5);
        }
        assert!((prob.points[10] - points[10]).norm() < 1e-3);
    }

    #[test]
    fn motion_only_refinement_flags_outliers() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (prob, cams, points) = make_problem(&mut rng, 0.3);
        let mut uv: Vec<Point2<f64>> = prob.obs.iter().filter(|o| o.cam == 3).map(|o| o.uv).collect();
        uv[0].x += 40.0;
        let start = retract(&cams[3], &Vector6::new(0.02, 0.0, -0.01, 0.1, 0.05, -0.1));
        let (pose, inl) = refine_pose((500.0, 500.0, 320.0, 240.0), &start, &points, &uv, 2.0);
        let d = pose.inverse() * cams[3];
        assert!(d.translation.vector.norm() < 0.01 && d.rotation.angle() < 0.002);
        assert!(!inl[0] && inl.iter().filter(|x| **x).count() > 190);
    }
}
