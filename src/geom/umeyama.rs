//! Least-squares similarity / rigid alignment of corresponding point sets
//! (Umeyama 1991, "Least-squares estimation of transformation parameters
//! between two point patterns"): finds `s, R, t` minimising
//! `Σ |dst_i − (s R src_i + t)|²`, with `s = 1` for the rigid (SE(3)) case.

use nalgebra::{Isometry3, Matrix3, Point3, Rotation3, Translation3, UnitQuaternion, Vector3};

/// Fewest correspondences the alignment accepts.
pub const MIN_POINTS: usize = 3;

/// Relative size below which the second singular value of the cross
/// covariance counts as zero (points collinear or coincident).
const RANK_TOLERANCE: f64 = 1e-9;

/// A similarity transform `p ↦ scale · rotation · p + translation`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sim3 {
    pub rotation: Rotation3<f64>,
    pub translation: Vector3<f64>,
    pub scale: f64,
}

impl Sim3 {
    /// The identity transform.
    pub fn identity() -> Sim3 {
        Sim3 { rotation: Rotation3::identity(), translation: Vector3::zeros(), scale: 1.0 }
    }

    /// Applies the transform to a point.
    pub fn transform_point(&self, p: &Point3<f64>) -> Point3<f64> {
        Point3::from(self.scale * (self.rotation * p.coords) + self.translation)
    }

    /// The inverse transform (`scale` must be non-zero).
    pub fn inverse(&self) -> Sim3 {
        let rinv = self.rotation.inverse();
        Sim3 { rotation: rinv, translation: -(rinv * self.translation) / self.scale, scale: 1.0 / self.scale }
    }

    /// Moves a camera pose `world_from_camera` into the target frame: its
    /// centre is transformed as a point, its orientation is rotated (the
    /// scale does not apply to a rotation).
    pub fn transform_pose(&self, world_from_camera: &Isometry3<f64>) -> Isometry3<f64> {
        let c = self.transform_point(&Point3::from(world_from_camera.translation.vector));
        Isometry3::from_parts(Translation3::from(c.coords), UnitQuaternion::from_rotation_matrix(&self.rotation) * world_from_camera.rotation)
    }
}

/// Why an alignment could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UmeyamaError {
    #[error("alignment needs the same number of source and target points, got {src} and {dst}")]
    LengthMismatch { src: usize, dst: usize },
    #[error("alignment needs at least {MIN_POINTS} corresponding points, got {0}")]
    TooFewPoints(usize),
    #[error("alignment is degenerate: the points are coincident or collinear")]
    Degenerate,
    #[error("alignment input contains a non-finite coordinate")]
    NonFinite,
}

/// Aligns `src` onto `dst` (corresponding points). With `with_scale` the
/// result is a Sim(3), otherwise an SE(3) (`scale = 1`).
pub fn umeyama(src: &[Point3<f64>], dst: &[Point3<f64>], with_scale: bool) -> Result<Sim3, UmeyamaError> {
    if src.len() != dst.len() {
        return Err(UmeyamaError::LengthMismatch { src: src.len(), dst: dst.len() });
    }
    let n = src.len();
    if n < MIN_POINTS {
        return Err(UmeyamaError::TooFewPoints(n));
    }
    if src.iter().chain(dst).any(|p| !p.coords.iter().all(|v| v.is_finite())) {
        return Err(UmeyamaError::NonFinite);
    }
    let nf = n as f64;
    let mu_src = src.iter().fold(Vector3::zeros(), |acc, p| acc + p.coords) / nf;
    let mu_dst = dst.iter().fold(Vector3::zeros(), |acc, p| acc + p.coords) / nf;
    let mut cov = Matrix3::zeros();
    let mut var_src = 0.0;
    for (s, d) in src.iter().zip(dst) {
        let xs = s.coords - mu_src;
        let xd = d.coords - mu_dst;
        cov += xd * xs.transpose();
        var_src += xs.norm_squared();
    }
    cov /= nf;
    var_src /= nf;
    let svd = cov.svd(true, true);
    let (Some(u), Some(v_t)) = (svd.u, svd.v_t) else {
        return Err(UmeyamaError::Degenerate);
    };
    let mut sv: Vec<f64> = svd.singular_values.iter().copied().collect();
    sv.sort_by(|a, b| b.total_cmp(a));
    if var_src <= 0.0 || sv[0] <= 0.0 || sv[1] <= RANK_TOLERANCE * sv[0] {
        return Err(UmeyamaError::Degenerate);
    }
    let mut s = Matrix3::identity();
    if u.determinant() * v_t.determinant() < 0.0 {
        // Reflection: flip the axis of the smallest singular value.
        let (imin, _) = svd.singular_values.argmin();
        s[(imin, imin)] = -1.0;
    }
    let r = u * s * v_t;
    let scale = if with_scale { (Matrix3::from_diagonal(&svd.singular_values) * s).trace() / var_src } else { 1.0 };
    let rotation = Rotation3::from_matrix_unchecked(r);
    let translation = mu_dst - scale * (r * mu_src);
    Ok(Sim3 { rotation, translation, scale })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_undoes_the_transform() {
        let s = Sim3 { rotation: Rotation3::from_scaled_axis(Vector3::new(0.2, -0.1, 0.4)), translation: Vector3::new(1.0, -2.0, 0.5), scale: 1.7 };
        let p = Point3::new(0.3, 2.0, -1.0);
        let back = s.inverse().transform_point(&s.transform_point(&p));
        assert!((back - p).norm() < 1e-12, "{back:?}");
    }

    fn cloud() -> Vec<Point3<f64>> {
        vec![
            Point3::new(0.0, 0.0, 0.0),
            Point3::new(1.0, 0.0, 0.0),
            Point3::new(0.0, 2.0, 0.0),
            Point3::new(0.0, 0.0, 3.0),
            Point3::new(1.0, 1.0, 1.0),
        ]
    }

    #[test]
    fn recovers_a_known_similarity() {
        let truth = Sim3 {
            rotation: Rotation3::from_euler_angles(0.3, -0.2, 1.1),
            translation: Vector3::new(1.0, -2.0, 0.5),
            scale: 2.5,
        };
        let src = cloud();
        let dst: Vec<_> = src.iter().map(|p| truth.transform_point(p)).collect();
        let est = umeyama(&src, &dst, true).unwrap();
        assert!((est.scale - 2.5).abs() < 1e-12);
        assert!((est.rotation.matrix() - truth.rotation.matrix()).norm() < 1e-12);
        assert!((est.translation - truth.translation).norm() < 1e-12);
        let rigid = umeyama(&src, &dst, false).unwrap();
        assert_eq!(rigid.scale, 1.0);
    }

    #[test]
    fn reflection_is_not_returned() {
        let src = cloud();
        let dst: Vec<_> = src.iter().map(|p| Point3::new(-p.x, p.y, p.z)).collect();
        let est = umeyama(&src, &dst, false).unwrap();
        assert!((est.rotation.matrix().determinant() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn degenerate_inputs_are_errors() {
        let two = &cloud()[..2];
        assert_eq!(umeyama(two, two, true), Err(UmeyamaError::TooFewPoints(2)));
        let line: Vec<_> = (0..5).map(|i| Point3::new(i as f64, 2.0 * i as f64, 0.0)).collect();
        assert_eq!(umeyama(&line, &line, true), Err(UmeyamaError::Degenerate));
        let same = vec![Point3::new(1.0, 1.0, 1.0); 4];
        assert_eq!(umeyama(&same, &same, false), Err(UmeyamaError::Degenerate));
        assert!(matches!(umeyama(&cloud(), &cloud()[..4], true), Err(UmeyamaError::LengthMismatch { .. })));
    }
}
