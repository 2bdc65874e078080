//! Planes in 3D: least-squares fitting (PCA of the centred points, i.e. the
//! SVD solution) and a RANSAC estimator, optionally constrained to normals
//! near an axis (e.g. horizontal planes for floor detection).

use super::ransac::Estimator;
use nalgebra::{Matrix3, Point3, SymmetricEigen, Vector3};

/// Ratio of the middle to the largest covariance eigenvalue below which a
/// point set counts as collinear (no unique plane).
const COLLINEAR_RATIO: f64 = 1e-10;

/// The plane `{p : normal · p + offset = 0}` with a unit `normal`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plane {
    pub normal: Vector3<f64>,
    pub offset: f64,
}

impl Plane {
    /// A plane from any non-zero normal and a point on it.
    pub fn from_point_normal(point: &Point3<f64>, normal: &Vector3<f64>) -> Option<Plane> {
        let n = normal.try_normalize(1e-12)?;
        Some(Plane { normal: n, offset: -n.dot(&point.coords) })
    }

    /// The plane through three points; `None` when they are collinear.
    pub fn through(a: &Point3<f64>, b: &Point3<f64>, c: &Point3<f64>) -> Option<Plane> {
        Plane::from_point_normal(a, &(b - a).cross(&(c - a)))
    }

    /// Signed distance of `p` (positive on the side the normal points to).
    pub fn signed_distance(&self, p: &Point3<f64>) -> f64 {
        self.normal.dot(&p.coords) + self.offset
    }

    /// The same plane with the opposite normal.
    pub fn flipped(&self) -> Plane {
        Plane { normal: -self.normal, offset: -self.offset }
    }

    /// The same plane, its normal turned to have a non-negative dot product with `dir`.
    pub fn oriented_toward(&self, dir: &Vector3<f64>) -> Plane {
        if self.normal.dot(dir) < 0.0 {
            self.flipped()
        } else {
            *self
        }
    }

    /// Orthogonal projection of `p` onto the plane.
    pub fn project(&self, p: &Point3<f64>) -> Point3<f64> {
        p - self.normal * self.signed_distance(p)
    }
}

/// A least-squares plane fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaneFit {
    pub plane: Plane,
    /// Mean of the points (lies on the plane).
    pub centroid: Point3<f64>,
    /// Root-mean-square point-to-plane distance (metres).
    pub rms: f64,
}

/// Fits the plane minimising the sum of squared orthogonal distances: through
/// the centroid, normal along the least-variance direction. `None` for fewer
/// than 3 points, non-finite input or collinear points.
pub fn fit_plane(points: &[Point3<f64>]) -> Option<PlaneFit> {
    if points.len() < 3 {
        return None;
    }
    let n = points.len() as f64;
    let centroid = Point3::from(points.iter().fold(Vector3::zeros(), |s, p| s + p.coords) / n);
    let mut cov = Matrix3::zeros();
    for p in points {
        let d = p - centroid;
        cov += d * d.transpose();
    }
    if !cov.iter().all(|v| v.is_finite()) {
        return None;
    }
    let eig = SymmetricEigen::new(cov);
    let mut order = [0usize, 1, 2];
    order.sort_by(|&a, &b| eig.eigenvalues[a].total_cmp(&eig.eigenvalues[b]));
    let (smallest, middle, largest) = (order[0], order[1], order[2]);
    if eig.eigenvalues[largest] <= 0.0 || eig.eigenvalues[middle] <= COLLINEAR_RATIO * eig.eigenvalues[largest] {
        return None;
    }
    let plane = Plane::from_point_normal(&centroid, &eig.eigenvectors.column(smallest).into_owned())?;
    let rms = (eig.eigenvalues[smallest].max(0.0) / n).sqrt();
    Some(PlaneFit { plane, centroid, rms })
}

/// RANSAC estimator for planes; with `axis`, only planes whose normal is
/// within `max_angle` (radians) of `±axis` are admissible.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaneEstimator {
    /// Unit axis the normal must stay near, or `None` for any plane.
    pub axis: Option<Vector3<f64>>,
    /// Largest allowed angle between the normal and `±axis` (radians).
    pub max_angle: f64,
}

impl PlaneEstimator {
    /// Any plane.
    pub fn any() -> PlaneEstimator {
        PlaneEstimator { axis: None, max_angle: std::f64::consts::FRAC_PI_2 }
    }

    /// Planes whose normal is within `max_angle` radians of `±axis`.
    pub fn near_axis(axis: Vector3<f64>, max_angle: f64) -> PlaneEstimator {
        PlaneEstimator { axis: axis.try_normalize(1e-12), max_angle }
    }
}

impl Estimator for PlaneEstimator {
    type Datum = Point3<f64>;
    type Model = Plane;
    const SAMPLE_SIZE: usize = 3;

    fn fit(&self, sample: &[Point3<f64>]) -> Option<Plane> {
        let plane = match sample {
            [a, b, c] => Plane::through(a, b, c)?,
            _ => fit_plane(sample)?.plane,
        };
        match self.axis {
            Some(axis) if plane.normal.dot(&axis).abs() < self.max_angle.cos() => None,
            _ => Some(plane),
        }
    }

    fn residual(&self, plane: &Plane, p: &Point3<f64>) -> f64 {
        plane.signed_distance(p).abs()
    }
}

#[cfg(test)]
mod tests {
    use super::super::ransac::{ransac, RansacConfig};
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn tilted_plane_points(rng: &mut ChaCha8Rng, n: usize, noise: f64) -> (Plane, Vec<Point3<f64>>) {
        let normal = Vector3::new(0.1, -0.2, 1.0).normalize();
        let plane = Plane::from_point_normal(&Point3::new(0.0, 0.0, 0.7), &normal).unwrap();
        let u = normal.cross(&Vector3::x()).normalize();
        let v = normal.cross(&u);
        let pts = (0..n)
            .map(|_| {
                let (a, b) = (rng.random_range(-2.0..2.0), rng.random_range(-2.0..2.0));
                Point3::new(0.0, 0.0, 0.7) + u * a + v * b + normal * rng.random_range(-noise..=noise)
            })
            .collect();
        (plane, pts)
    }

    #[test]
    fn least_squares_recovers_a_noisy_plane() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (truth, pts) = tilted_plane_points(&mut rng, 500, 0.005);
        let fit = fit_plane(&pts).unwrap();
        let p = fit.plane.oriented_toward(&truth.normal);
        assert!(p.normal.angle(&truth.normal) < 0.5f64.to_radians());
        assert!((p.offset - truth.offset).abs() < 2e-3);
        assert!(fit.rms < 0.004 && fit.rms > 0.001, "{}", fit.rms);
        assert!(fit.plane.signed_distance(&fit.centroid).abs() < 1e-9);
    }

    #[test]
    fn degenerate_inputs() {
        assert!(fit_plane(&[Point3::origin(), Point3::new(1.0, 0.0, 0.0)]).is_none());
        let line: Vec<_> = (0..5).map(|i| Point3::new(i as f64, 2.0 * i as f64, 0.0)).collect();
        assert!(fit_plane(&line).is_none());
        assert!(Plane::through(&line[0], &line[1], &line[2]).is_none());
        let nan = [Point3::new(f64::NAN, 0.0, 0.0), Point3::origin(), Point3::new(0.0, 1.0, 0.0)];
        assert!(fit_plane(&nan).is_none());
    }

    #[test]
    fn ransac_finds_the_plane_among_outliers_and_respects_the_axis() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (truth, mut pts) = tilted_plane_points(&mut rng, 300, 0.003);
        // A vertical wall with more points than the plane, plus noise.
        pts.extend((0..400).map(|_| Point3::new(3.0, rng.random_range(-2.0..2.0), rng.random_range(0.0..2.5))));
        pts.extend((0..100).map(|_| Point3::new(rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0))));
        let cfg = RansacConfig { threshold: 0.01, seed: 4, ..Default::default() };
        let any = ransac(&PlaneEstimator::any(), &pts, &cfg).unwrap();
        assert!(any.model.normal.x.abs() > 0.999, "unconstrained: the wall is the biggest plane");
        let horiz = ransac(&PlaneEstimator::near_axis(Vector3::z(), 30f64.to_radians()), &pts, &cfg).unwrap();
        let p = horiz.model.oriented_toward(&Vector3::z());
        assert!(p.normal.angle(&truth.normal) < 0.5f64.to_radians(), "{:?}", p);
        assert!(horiz.inliers.len() >= 295);
    }

    #[test]
    fn plane_helpers() {
        let p = Plane::from_point_normal(&Point3::new(0.0, 0.0, 2.0), &Vector3::new(0.0, 0.0, 5.0)).unwrap();
        assert_eq!(p.signed_distance(&Point3::new(1.0, 1.0, 3.0)), 1.0);
        assert_eq!(p.flipped().signed_distance(&Point3::new(1.0, 1.0, 3.0)), -1.0);
        assert_eq!(p.project(&Point3::new(1.0, 1.0, 3.0)), Point3::new(1.0, 1.0, 2.0));
        assert_eq!(p.oriented_toward(&-Vector3::z()).normal, -Vector3::z());
    }
}
