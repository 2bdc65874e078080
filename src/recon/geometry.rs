//! Multi-view geometry helpers: PnP RANSAC and two-view relative pose
//! (OpenCV calib3d), linear triangulation and parallax (nalgebra).

use super::{cv, ReconError};
use nalgebra::{Isometry3, Matrix3, Matrix4, Point2, Point3, Translation3, UnitQuaternion, Vector3};
use opencv::core::{Mat, Point2f, Point3f, Vector};
use opencv::prelude::*;
use opencv::calib3d;

/// Pinhole camera (no distortion: keypoints are undistorted at extraction).
#[derive(Debug, Clone, Copy)]
pub struct Pinhole {
    pub fx: f64,
    pub fy: f64,
    pub cx: f64,
    pub cy: f64,
}

impl Pinhole {
    /// Projects a point in the camera frame, `None` behind the camera.
    #[inline]
    pub fn project(&self, pc: &Point3<f64>) -> Option<Point2<f64>> {
        (pc.z > 1e-6).then(|| Point2::new(self.fx * pc.x / pc.z + self.cx, self.fy * pc.y / pc.z + self.cy))
    }
    /// [`Self::project`], and `None` outside a `width` x `height` image.
    #[inline]
    pub fn project_in(&self, pc: &Point3<f64>, width: u32, height: u32) -> Option<Point2<f64>> {
        self.project(pc).filter(|uv| uv.x >= 0.0 && uv.y >= 0.0 && uv.x < width as f64 && uv.y < height as f64)
    }
    /// Unit-depth ray of a pixel.
    #[inline]
    pub fn ray(&self, uv: &Point2<f64>) -> Vector3<f64> {
        Vector3::new((uv.x - self.cx) / self.fx, (uv.y - self.cy) / self.fy, 1.0)
    }
    /// The camera matrix as an OpenCV Mat.
    pub fn mat(&self) -> Result<Mat, ReconError> {
        Mat::from_slice_2d(&[[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]]).map_err(cv("camera matrix"))
    }
    pub fn tuple(&self) -> (f64, f64, f64, f64) {
        (self.fx, self.fy, self.cx, self.cy)
    }
}

/// A pose with the indices of its inlier correspondences.
pub type PoseInliers = (Isometry3<f64>, Vec<usize>);
/// A pose with a per-correspondence inlier mask.
pub type PoseMask = (Isometry3<f64>, Vec<bool>);

fn pose_from_rvec_tvec(rvec: &Mat, tvec: &Mat) -> Result<Isometry3<f64>, ReconError> {
    let r: Vec<f64> = (0..3).map(|i| rvec.at::<f64>(i).copied()).collect::<Result<_, _>>().map_err(cv("rvec"))?;
    let t: Vec<f64> = (0..3).map(|i| tvec.at::<f64>(i).copied()).collect::<Result<_, _>>().map_err(cv("tvec"))?;
    Ok(Isometry3::from_parts(Translation3::new(t[0], t[1], t[2]), UnitQuaternion::from_scaled_axis(Vector3::new(r[0], r[1], r[2]))))
}

/// PnP with RANSAC: `camera_from_world` and inlier indices, `None` when
/// OpenCV finds no pose. Hypotheses come from the AP3P minimal solver (4
/// points; several times cheaper than EPnP's, which OpenCV still uses for
/// the final fit on the inliers): relocalisation and map merging run
/// thousands of these on a long video.
pub fn pnp_ransac(k: &Pinhole, pts: &[Point3<f64>], uv: &[Point2<f64>], reproj_px: f64) -> Result<Option<PoseInliers>, ReconError> {
    if pts.len() < 6 || pts.len() != uv.len() {
        return Ok(None);
    }
    let obj: Vector<Point3f> = pts.iter().map(|p| Point3f::new(p.x as f32, p.y as f32, p.z as f32)).collect();
    let img: Vector<Point2f> = uv.iter().map(|p| Point2f::new(p.x as f32, p.y as f32)).collect();
    let (mut rvec, mut tvec, mut inl) = (Mat::default(), Mat::default(), Mat::default());
    let ok = calib3d::solve_pnp_ransac(&obj, &img, &k.mat()?, &opencv::core::no_array(), &mut rvec, &mut tvec, false, 200, reproj_px as f32, 0.999, &mut inl, calib3d::SOLVEPNP_AP3P)
        .map_err(cv("solvePnPRansac"))?;
    if !ok || inl.empty() {
        return Ok(None);
    }
    let n = inl.total();
    let mut inliers = Vec::with_capacity(n);
    for i in 0..n as i32 {
        inliers.push(*inl.at::<i32>(i).map_err(cv("PnP inliers"))? as usize);
    }
    Ok(Some((pose_from_rvec_tvec(&rvec, &tvec)?, inliers)))
}

/// Relative pose of view b from view a (`b_from_a`, unit baseline) by the
/// essential matrix (RANSAC) and cheirality; returns the inlier mask.
pub fn two_view(k: &Pinhole, a: &[Point2<f64>], b: &[Point2<f64>], thresh_px: f64) -> Result<Option<PoseMask>, ReconError> {
    if a.len() < 8 || a.len() != b.len() {
        return Ok(None);
    }
    let pa: Vector<Point2f> = a.iter().map(|p| Point2f::new(p.x as f32, p.y as f32)).collect();
    let pb: Vector<Point2f> = b.iter().map(|p| Point2f::new(p.x as f32, p.y as f32)).collect();
    let km = k.mat()?;
    let mut mask = Mat::default();
    let e = calib3d::find_essential_mat(&pa, &pb, &km, calib3d::RANSAC, 0.999, thresh_px, 1000, &mut mask).map_err(cv("findEssentialMat"))?;
    if e.rows() != 3 || e.cols() != 3 {
        return Ok(None);
    }
    let (mut r, mut t) = (Mat::default(), Mat::default());
    let n = calib3d::recover_pose_estimated(&e, &pa, &pb, &km, &mut r, &mut t, &mut mask).map_err(cv("recoverPose"))?;
    if n < 8 {
        return Ok(None);
    }
    let mut rm = Matrix3::zeros();
    for i in 0..3 {
        for j in 0..3 {
            rm[(i, j)] = *r.at_2d::<f64>(i as i32, j as i32).map_err(cv("R"))?;
        }
    }
    let tv = Vector3::new(*t.at::<f64>(0).map_err(cv("t"))?, *t.at::<f64>(1).map_err(cv("t"))?, *t.at::<f64>(2).map_err(cv("t"))?);
    let m: Vec<bool> = (0..a.len() as i32).map(|i| mask.at::<u8>(i).map(|v| *v != 0).unwrap_or(false)).collect();
    let rot = UnitQuaternion::from_matrix(&rm);
    Ok(Some((Isometry3::from_parts(Translation3::from(tv), rot), m)))
}

/// Linear (DLT) triangulation from two `camera_from_world` poses and
/// pixel observations; `None` when degenerate.
pub fn triangulate(k: &Pinhole, pa: &Isometry3<f64>, ua: &Point2<f64>, pb: &Isometry3<f64>, ub: &Point2<f64>) -> Option<Point3<f64>> {
    let ra = k.ray(ua);
    let rb = k.ray(ub);
    let rows = |p: &Isometry3<f64>, r: &Vector3<f64>| {
        let m = p.to_homogeneous();
        let p0 = m.row(0);
        let p1 = m.row(1);
        let p2 = m.row(2);
        (r.x * p2 - p0, r.y * p2 - p1)
    };
    let (a0, a1) = rows(pa, &ra);
    let (b0, b1) = rows(pb, &rb);
    let mut a = Matrix4::zeros();
    a.set_row(0, &a0);
    a.set_row(1, &a1);
    a.set_row(2, &b0);
    a.set_row(3, &b1);
    let svd = a.svd(false, true);
    let vt = svd.v_t?;
    // Smallest singular value's right vector.
    let (imin, _) = svd.singular_values.iter().enumerate().min_by(|x, y| x.1.total_cmp(y.1))?;
    let x = vt.row(imin);
    if x[3].abs() < 1e-12 {
        return None;
    }
    let p = Point3::new(x[0] / x[3], x[1] / x[3], x[2] / x[3]);
    p.coords.iter().all(|v| v.is_finite()).then_some(p)
}

/// Kabsch: the rotation `R` minimising `Σ |b_i − R a_i|²` over the pairs
/// `idx` of unit rays (a reflection is turned into the nearest rotation).
pub fn kabsch(a: &[Vector3<f64>], b: &[Vector3<f64>], idx: impl Iterator<Item = usize>) -> Option<Matrix3<f64>> {
    let mut h = Matrix3::zeros();
    for i in idx {
        h += b[i] * a[i].transpose();
    }
    let svd = h.svd(true, true);
    let (u, vt) = (svd.u?, svd.v_t?);
    let mut d = Matrix3::identity();
    if (u * vt).determinant() < 0.0 {
        d[(2, 2)] = -1.0;
    }
    Some(u * d * vt)
}

/// The rotation-only part of two views' relative motion: the rotation `R`
/// (`b_from_a`) that best maps the rays of `a` onto those of `b`
/// (least squares on unit rays, refitted on the better half of the
/// pairs so that a few wrong matches do not bias it), and the median
/// angle (degrees) left between `R · ray(a)` and `ray(b)` over all pairs.
/// Under a pure rotation that residual is noise, whatever depths the
/// scene has; a translation leaves the parallax it causes (what a rotation
/// cannot absorb). `None` for fewer than 3 pairs or a degenerate fit.
pub fn derotated_parallax(k: &Pinhole, a: &[Point2<f64>], b: &[Point2<f64>]) -> Option<(UnitQuaternion<f64>, f64)> {
    let n = a.len().min(b.len());
    if n < 3 {
        return None;
    }
    let ra: Vec<Vector3<f64>> = a.iter().take(n).map(|u| k.ray(u).normalize()).collect();
    let rb: Vec<Vector3<f64>> = b.iter().take(n).map(|u| k.ray(u).normalize()).collect();
    let fit = |idx: &[usize]| kabsch(&ra, &rb, idx.iter().copied());
    let residuals = |r: &Matrix3<f64>| -> Vec<f64> { (0..n).map(|i| (r * ra[i]).angle(&rb[i]).to_degrees()).collect() };
    let all: Vec<usize> = (0..n).collect();
    let r0 = fit(&all)?;
    let res0 = residuals(&r0);
    let mut order = all;
    order.sort_by(|&i, &j| res0[i].total_cmp(&res0[j]));
    order.truncate(n.div_ceil(2).max(3));
    let r1 = fit(&order)?;
    let mut res = residuals(&r1);
    res.sort_by(|x, y| x.total_cmp(y));
    let rot = UnitQuaternion::from_matrix(&r1);
    Some((rot, res[n / 2]))
}

/// Centre of a camera in the world, from its `camera_from_world` pose.
pub fn camera_centre(cam_from_world: &Isometry3<f64>) -> Point3<f64> {
    Point3::from(cam_from_world.inverse().translation.vector)
}

/// Cosine of the angle between the two viewing rays to `x` from camera
/// centres `ca` and `cb` (world frame).
pub fn parallax_cos(x: &Point3<f64>, ca: &Point3<f64>, cb: &Point3<f64>) -> f64 {
    let a = x - ca;
    let b = x - cb;
    a.dot(&b) / (a.norm() * b.norm()).max(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn pnp_two_view_and_triangulation_on_synthetic_points() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let k = Pinhole { fx: 500.0, fy: 500.0, cx: 320.0, cy: 240.0 };
        let pts: Vec<Point3<f64>> = (0..150).map(|_| Point3::new(rng.random_range(-2.0..2.0), rng.random_range(-1.5..1.5), rng.random_range(3.0..6.0))).collect();
        let a = Isometry3::identity();
        let b = Isometry3::new(Vector3::new(-0.4, 0.05, 0.1), Vector3::new(0.02, -0.1, 0.01));
        let proj = |p: &Isometry3<f64>| -> Vec<Point2<f64>> { pts.iter().map(|x| k.project(&(p * x)).unwrap()).collect() };
        let (ua, mut ub) = (proj(&a), proj(&b));
        for u in ub.iter_mut().take(20) {
            u.x += 30.0; // outliers
        }
        let (pose, inl) = pnp_ransac(&k, &pts, &ub, 2.0).unwrap().unwrap();
        let d = pose.inverse() * b;
        assert!(d.translation.vector.norm() < 1e-3 && inl.len() >= 125 && !inl.contains(&0));
        let (rel, mask) = two_view(&k, &ua, &ub, 1.0).unwrap().unwrap();
        // OpenCV 4.6 does not refine E on all inliers: a few mrad / degrees off.
        assert!((rel.rotation.angle_to(&b.rotation)) < 1e-2, "{rel:?} {b:?}");
        assert!((rel.translation.vector.normalize() - b.translation.vector.normalize()).norm() < 0.06);
        assert!(!mask[0] && mask[100]);
        let x = triangulate(&k, &a, &ua[50], &b, &proj(&b)[50]).unwrap();
        assert!((x - pts[50]).norm() < 1e-6);
    }

    #[test]
    fn derotated_parallax_separates_rotation_from_translation() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let k = Pinhole { fx: 500.0, fy: 500.0, cx: 320.0, cy: 240.0 };
        let pts: Vec<Point3<f64>> = (0..200).map(|_| Point3::new(rng.random_range(-2.0..2.0), rng.random_range(-1.5..1.5), rng.random_range(2.0..5.0))).collect();
        let proj = |p: &Isometry3<f64>| -> Vec<Point2<f64>> { pts.iter().map(|x| k.project(&(p * x)).unwrap()).collect() };
        let a = proj(&Isometry3::identity());
        // A 12° turn with a 5 mm drift: no usable parallax, though the
        // image moves by ~100 px; 10 wrong matches do not change that.
        let turn = Isometry3::new(Vector3::new(0.005, 0.0, 0.0), Vector3::new(0.0, 0.21, 0.02));
        let mut b = proj(&turn);
        for u in b.iter_mut().take(10) {
            u.y += 40.0;
        }
        let (rot, par) = derotated_parallax(&k, &a, &b).unwrap();
        assert!(par < 0.1, "{par}");
        assert!(rot.angle_to(&turn.rotation) < 3e-3, "{}", rot.angle_to(&turn.rotation));
        // The same turn while walking 30 cm forward: the parallax stays.
        let walk = Isometry3::new(Vector3::new(0.0, 0.0, -0.3), Vector3::new(0.0, 0.21, 0.02));
        let (_, par) = derotated_parallax(&k, &a, &proj(&walk)).unwrap();
        assert!(par > 1.0, "{par}");
        assert!(derotated_parallax(&k, &a[..2], &b[..2]).is_none());
    }
}
